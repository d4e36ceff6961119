//! Moving messages: control messages arrive after the path's latency and
//! cost their bytes (they take no share of a link: small next to blocks);
//! block messages queue on the connection from server to receiver, whose
//! head message moves as a flow on the network (one flow per busy
//! connection, extended message after message), and arrive one latency
//! after their last byte left.

use codexsim_net::{FlowId, FlowNet, Purpose, ResourceId, Topology};

use crate::params::{wire, Protocol};
use crate::state::{
    BlockList, DatasetIx, Envelope, Exchange, Msg, MsgKind, NodeIx, Pipe, Timer, NO_PIPE,
};

/// What the exchange moves its data over: the network and its topology
/// (a dataset says what its flows count as and their own limit).
pub struct Wire<'a> {
    /// The flow network (finish times tracked by the caller's loop).
    pub net: &'a mut FlowNet,
    /// The topology the nodes' endpoints are in.
    pub topo: &'a Topology,
}

impl Exchange {
    /// The bytes of a message about dataset `ds`.
    pub(crate) fn msg_bytes(&self, ds: DatasetIx, msg: &Msg) -> u64 {
        let n = |v: &BlockList| v.len() as u64;
        wire::MESSAGE_BYTES
            + match msg {
                Msg::WantHave { blocks } | Msg::WantBlock { blocks } | Msg::Cancel { blocks } => {
                    n(blocks) * wire::WANT_ENTRY_BYTES
                }
                Msg::Have { blocks } | Msg::DontHave { blocks } => {
                    n(blocks) * wire::PRESENCE_ENTRY_BYTES
                }
                Msg::WantRange { .. } => wire::RANGE_ENTRY_BYTES,
                Msg::HaveRange { ranges, .. } => {
                    (ranges.len().max(1) as u64) * wire::RANGE_ENTRY_BYTES
                }
                Msg::Blocks { blocks } => n(blocks) * self.datasets[ds as usize].block_msg_bytes,
                Msg::BtHave { .. } | Msg::Choke { .. } => {
                    return wire::BT_SMALL_BYTES;
                }
                Msg::Request { .. } | Msg::BtCancel { .. } => return wire::BT_REQUEST_BYTES,
            }
    }

    /// The connection from `from` to `to` (made at first use).
    pub(crate) fn pipe(&mut self, w: &Wire, from: NodeIx, to: NodeIx) -> u32 {
        if let Some(&p) = self.pipe_of.get(&(from, to)) {
            return p;
        }
        let mut path: Vec<ResourceId> = Vec::new();
        let latency_ns = w.topo.path_into(
            self.nodes[from as usize].endpoint,
            self.nodes[to as usize].endpoint,
            &mut path,
        );
        if let Some(r) = self.nodes[from as usize].extra {
            path.push(r);
        }
        self.pipes.push(Pipe {
            from,
            to,
            flow: None,
            latency_ns,
            path,
            flow_kind: (Purpose::Canary, 0),
            queue: Default::default(),
        });
        let p = (self.pipes.len() - 1) as u32;
        self.pipe_of.insert((from, to), p);
        p
    }

    fn account(&mut self, from: NodeIx, ds: DatasetIx, kind: MsgKind, bytes: u64) {
        self.account_n(from, ds, kind, bytes, 1);
    }

    /// `n` messages of `bytes` each.
    fn account_n(&mut self, from: NodeIx, ds: DatasetIx, kind: MsgKind, bytes: u64, n: u64) {
        self.traffic.messages[kind as usize] += n;
        self.traffic.bytes[kind as usize] += bytes * n;
        if kind != MsgKind::Block {
            if let Some(d) = self.active_of(from, ds) {
                self.downloads[d as usize].stats.control_bytes_sent += bytes * n;
            }
        }
    }

    /// Sends a control message; it arrives one latency later.
    pub(crate) fn send(
        &mut self,
        w: &Wire,
        now_ns: u64,
        from: NodeIx,
        to: NodeIx,
        ds: DatasetIx,
        msg: Msg,
    ) {
        let bytes = self.msg_bytes(ds, &msg);
        self.account(from, ds, msg.kind(), bytes);
        let p = self.pipe(w, from, to);
        let at = now_ns + self.pipes[p as usize].latency_ns;
        self.agenda.at(
            at,
            Timer::Arrive(Envelope {
                from,
                to,
                dataset: ds,
                sent_ns: now_ns,
                bytes,
                msg,
            }),
        );
    }

    /// Sends one control message to each of `to`: one timer per distinct
    /// latency.
    pub(crate) fn send_many(
        &mut self,
        w: &Wire,
        now_ns: u64,
        from: NodeIx,
        to: &[NodeIx],
        ds: DatasetIx,
        msg: Msg,
    ) {
        if to.is_empty() {
            return;
        }
        let bytes = self.msg_bytes(ds, &msg);
        self.account_n(from, ds, msg.kind(), bytes, to.len() as u64);
        let mut groups: Vec<(u64, Vec<NodeIx>)> = Vec::new();
        for &n in to {
            let p = self.pipe(w, from, n);
            let lat = self.pipes[p as usize].latency_ns;
            match groups.iter_mut().find(|g| g.0 == lat) {
                Some(g) => g.1.push(n),
                None => groups.push((lat, vec![n])),
            }
        }
        for (lat, mut nodes) in groups {
            let first = nodes.remove(0);
            let env = Envelope {
                from,
                to: first,
                dataset: ds,
                sent_ns: now_ns,
                bytes,
                msg: msg.clone(),
            };
            let t = if nodes.is_empty() {
                Timer::Arrive(env)
            } else {
                Timer::Multicast(env, nodes)
            };
            self.agenda.at(now_ns + lat, t);
        }
    }

    /// Counts a control message to every node of `to` but sends it only to
    /// those of `live` (a cancel is a no-op where nothing is pending: the
    /// bytes are the same, the events fewer).
    pub(crate) fn send_counted(
        &mut self,
        w: &Wire,
        now_ns: u64,
        (from, ds): (NodeIx, DatasetIx),
        to: usize,
        live: &[NodeIx],
        msg: Msg,
    ) {
        let bytes = self.msg_bytes(ds, &msg);
        let silent = to.saturating_sub(live.len()) as u64;
        self.account_n(from, ds, msg.kind(), bytes, silent);
        for &n in live {
            self.send(w, now_ns, from, n, ds, msg.clone());
        }
    }

    /// Queues blocks from `from` to `to`, in messages of at most the
    /// protocol's blocks per message.
    pub(crate) fn send_blocks(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        from: NodeIx,
        to: NodeIx,
        ds: DatasetIx,
        blocks: BlockList,
    ) {
        if blocks.is_empty() {
            return;
        }
        let per = match self.p.max_blocks_per_message {
            0 => blocks.len(),
            k => k as usize,
        };
        let p = self.pipe(w, from, to);
        for chunk in blocks.chunks(per) {
            let msg = Msg::Blocks {
                blocks: BlockList::from_slice(chunk),
            };
            let bytes = self.msg_bytes(ds, &msg);
            self.pipes[p as usize].queue.push_back(Envelope {
                from,
                to,
                dataset: ds,
                sent_ns: now_ns,
                bytes,
                msg,
            });
        }
        if self.pipes[p as usize].flow.is_none() {
            self.start_head(w, now_ns, p);
        }
    }

    /// The purpose and limit of a dataset's flows.
    fn flow_kind(&self, ds: DatasetIx) -> (Purpose, f64) {
        let d = &self.datasets[ds as usize];
        (d.purpose, d.cap_bytes_per_s)
    }

    fn start_head(&mut self, w: &mut Wire, now_ns: u64, p: u32) {
        let Some(ds) = self.pipes[p as usize].queue.front().map(|h| h.dataset) else {
            return;
        };
        let (purpose, cap) = self.flow_kind(ds);
        let pipe = &mut self.pipes[p as usize];
        let head = pipe.queue.front_mut().expect("a head");
        head.sent_ns = now_ns;
        let (bytes, from, ds) = (head.bytes, head.from, head.dataset);
        let (flow, _) = w.net.start(now_ns, &pipe.path, cap, bytes, purpose);
        pipe.flow_kind = (purpose, cap.to_bits());
        pipe.flow = Some(flow);
        let slot = flow.index as usize;
        if self.flow_pipe.len() <= slot {
            self.flow_pipe.resize(slot + 1, NO_PIPE);
        }
        self.flow_pipe[slot] = p;
        self.account(from, ds, MsgKind::Block, bytes);
    }

    /// Whether `flow` is one of the exchange's.
    pub fn owns(&self, flow: FlowId) -> bool {
        let p = self.flow_pipe.get(flow.index as usize).copied();
        p.is_some_and(|p| p != NO_PIPE && self.pipes[p as usize].flow == Some(flow))
    }

    /// A connection's head message left entirely: it arrives one latency
    /// later; the next message goes on in the same flow, or the flow ends.
    pub(crate) fn head_done(&mut self, w: &mut Wire, now_ns: u64, flow: FlowId) {
        let p = self.flow_pipe[flow.index as usize];
        let pipe = &mut self.pipes[p as usize];
        let mut env = pipe
            .queue
            .pop_front()
            .expect("a busy connection has a head");
        env.sent_ns = now_ns;
        let at = now_ns + pipe.latency_ns;
        let next_kind = pipe.queue.front().map(|n| n.dataset);
        let next_kind = next_kind.map(|ds| self.flow_kind(ds));
        let pipe = &mut self.pipes[p as usize];
        match next_kind {
            Some((purpose, cap)) if (purpose, cap.to_bits()) == pipe.flow_kind => {
                let next = pipe.queue.front_mut().expect("a next message");
                next.sent_ns = now_ns;
                let (more, from, ds) = (next.bytes, next.from, next.dataset);
                w.net.extend(now_ns, flow, more);
                self.account(from, ds, MsgKind::Block, more);
            }
            other => {
                // Done, or the next message is another kind of flow.
                pipe.flow = None;
                self.flow_pipe[flow.index as usize] = NO_PIPE;
                w.net.finish(now_ns, flow);
                if other.is_some() {
                    self.start_head(w, now_ns, p);
                }
            }
        }
        self.agenda.at(at, Timer::Arrive(env));
    }

    /// Drops, from the messages queued from `from` to `to` for `ds` and
    /// not yet moving, the blocks of `blocks` (a cancel); a message left
    /// empty is dropped. (Block messages count as traffic when they start
    /// to move.)
    pub(crate) fn unqueue(&mut self, from: NodeIx, to: NodeIx, ds: DatasetIx, blocks: &[u32]) {
        let Some(&p) = self.pipe_of.get(&(from, to)) else {
            return;
        };
        let per_block = self.datasets[ds as usize].block_msg_bytes;
        let pipe = &mut self.pipes[p as usize];
        let moving = pipe.flow.is_some() as usize;
        let mut k = moving;
        while k < pipe.queue.len() {
            let env = &mut pipe.queue[k];
            if env.dataset == ds {
                if let Msg::Blocks { blocks: b } = &mut env.msg {
                    b.retain(|x| !blocks.contains(x));
                    if b.is_empty() {
                        pipe.queue.remove(k);
                        continue;
                    }
                    env.bytes = wire::MESSAGE_BYTES + b.len() as u64 * per_block;
                }
            }
            k += 1;
        }
    }

    /// Stops every connection from or to `node`: its moving messages are
    /// lost part way, its queued ones never sent.
    pub(crate) fn cut(&mut self, w: &mut Wire, now_ns: u64, node: NodeIx) {
        for p in 0..self.pipes.len() {
            let pipe = &mut self.pipes[p];
            if pipe.from != node && pipe.to != node {
                continue;
            }
            let moving = pipe.flow.is_some();
            if let Some(flow) = pipe.flow.take() {
                w.net.abort(now_ns, flow);
                self.flow_pipe[flow.index as usize] = NO_PIPE;
            }
            // The moving head counted as traffic and is lost; the others
            // never left.
            if let Some(head) = pipe.queue.front() {
                if moving {
                    self.block_bytes_dropped += head.bytes;
                }
            }
            pipe.queue.clear();
        }
    }

    /// The protocol in force.
    pub fn protocol(&self) -> Protocol {
        self.p.protocol
    }
}
