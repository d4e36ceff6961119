//! The three generations with want lists and per-block presence: v0.1,
//! v0.2 and 2025-11 (`docs/blockexchange.md`, "Generations").
//!
//! - **v0.1**: the stream wants one block at a time. WantBlock to
//!   `peers[hash(address) mod n]` (among the peers that said Have, else
//!   among all), WantHave to every other peer; every Have answers with a
//!   WantBlock for every wanted block that peer has, with no in-flight
//!   check; cancels to every peer after a delivery; a block not delivered
//!   within 10 minutes fails the download and drops the peer.
//! - **v0.2**: batches of 10 blocks, each awaited before the next (1 ms
//!   apart). Per block a loop: WantBlock to a random peer that said Have,
//!   else WantHave to every peer and a lookup; again every 500 ms until the
//!   block arrives (no in-flight check); a Have sends WantBlock for the
//!   blocks not in flight; cancels to the peers that said Have.
//! - **2025-11**: a window of 1,024 blocks refilled when 75 % arrived;
//!   WantHave for the new blocks to every peer (at most 1,024 entries a
//!   message); a Have sends one WantBlock to that peer for every wanted
//!   block it has that nobody was asked for; the server sends a block to a
//!   peer once, at most 20 a message, and answers DontHave; a block not
//!   arrived 2 s after its request is asked again of a holder weighted by
//!   outstanding requests (or WantHave to all when none is known); a peer
//!   silent for a minute with requests outstanding is dropped and its
//!   requests asked elsewhere at once.

use crate::params::{Protocol, Window};
use crate::send::Wire;
use crate::state::{
    mix, BlockList, DatasetIx, DownloadIx, Due, Envelope, Exchange, Msg, NodeIx, Outcome, Timer,
};

impl Exchange {
    /// A want-list generation's message arrives.
    pub(crate) fn legacy_arrive(&mut self, w: &mut Wire, now_ns: u64, env: Envelope) {
        let (me, from, ds) = (env.to, env.from, env.dataset);
        match env.msg {
            Msg::WantHave { blocks } => {
                let (have, lack): (BlockList, BlockList) =
                    blocks.into_iter().partition(|&b| self.holds(me, ds, b));
                if !have.is_empty() {
                    self.send(w, now_ns, me, from, ds, Msg::Have { blocks: have });
                }
                if !lack.is_empty() && self.p.protocol == Protocol::V2511 {
                    self.send(w, now_ns, me, from, ds, Msg::DontHave { blocks: lack });
                }
            }
            Msg::WantBlock { blocks } => self.serve(w, now_ns, me, from, ds, blocks),
            Msg::Cancel { blocks } => self.unqueue(me, from, ds, &blocks),
            Msg::Have { blocks } => {
                if let Some(d) = self.running(me, ds) {
                    self.on_have(w, now_ns, d, from, blocks);
                }
            }
            Msg::DontHave { blocks } => {
                if let Some(d) = self.running(me, ds) {
                    if let Some(v) = self.downloads[d as usize].view(from) {
                        for b in blocks {
                            v.known.remove(&b);
                        }
                    }
                }
            }
            Msg::Blocks { blocks } => {
                if let Some(d) = self.active_of(me, ds) {
                    self.receive(w, now_ns, d, from, blocks, env.bytes);
                }
            }
            _ => {}
        }
    }

    /// The running download of `ds` at `node`.
    pub(crate) fn running(&self, node: NodeIx, ds: DatasetIx) -> Option<DownloadIx> {
        let d = self.active_of(node, ds)?;
        self.downloads[d as usize].ended.is_none().then_some(d)
    }

    /// A server sends the wanted blocks it holds (2025-11: each block once
    /// per peer, DontHave for the others).
    pub(crate) fn serve(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        me: NodeIx,
        to: NodeIx,
        ds: DatasetIx,
        blocks: BlockList,
    ) {
        let (mut held, lack): (BlockList, BlockList) =
            blocks.into_iter().partition(|&b| self.holds(me, ds, b));
        if self.p.protocol == Protocol::V2511 {
            let n = self.datasets[ds as usize].blocks;
            let sent = self
                .sent
                .entry((me, to, ds))
                .or_insert_with(|| crate::bits::Bits::new(n));
            held.retain(|b| sent.set(*b));
            if !lack.is_empty() {
                self.send(w, now_ns, me, to, ds, Msg::DontHave { blocks: lack });
            }
        }
        self.send_blocks(w, now_ns, me, to, ds, held);
    }

    /// Peers were added to `d`: the first start the window; later ones
    /// hear the want list (2025-11) or take the blocks that waited for a
    /// peer.
    pub(crate) fn legacy_peers(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        added: &[NodeIx],
    ) {
        let dl = &self.downloads[d as usize];
        if dl.next == 0 && dl.wants.is_empty() {
            return self.fill_window(w, now_ns, d);
        }
        // A new peer hears the whole want list (as WantHave); blocks that
        // found no peer before are requested now.
        let wants: Vec<u32> = dl.wants.iter().copied().collect();
        for &n in added {
            self.want_have_all(w, now_ns, d, &[n], &wants);
        }
        if self.p.protocol != Protocol::V2511 {
            for b in wants {
                if !self.downloads[d as usize].requested.get(b) {
                    self.request(w, now_ns, d, b);
                }
            }
        }
    }

    fn want_have_all(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        to: &[NodeIx],
        blocks: &[u32],
    ) {
        let (me, ds) = (
            self.downloads[d as usize].node,
            self.downloads[d as usize].dataset,
        );
        let per = match self.p.max_want_entries {
            0 => blocks.len().max(1),
            k => k as usize,
        };
        for chunk in blocks.chunks(per) {
            let msg = Msg::WantHave {
                blocks: BlockList::from_slice(chunk),
            };
            self.send_many(w, now_ns, me, to, ds, msg);
        }
    }

    fn live_nodes(&self, d: DownloadIx) -> Vec<NodeIx> {
        self.downloads[d as usize]
            .peers
            .iter()
            .filter(|v| !v.dropped)
            .map(|v| v.node)
            .collect()
    }

    /// Wants the next blocks of the window (when it is due).
    pub(crate) fn fill_window(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        let dl = &mut self.downloads[d as usize];
        if dl.ended.is_some() || !dl.peers.iter().any(|v| !v.dropped) {
            return;
        }
        let room = match self.p.window {
            Window::Batches(n) => {
                if !dl.wants.is_empty() {
                    return;
                }
                n
            }
            Window::Sliding { blocks, .. } => blocks - dl.wants.len() as u32,
        };
        dl.arrived_since_fill = 0;
        let mut new = Vec::with_capacity(room as usize);
        while (new.len() as u32) < room {
            let Some(b) = dl.have.next_clear(dl.next) else {
                break;
            };
            dl.next = b + 1;
            if dl.wants.insert(b) {
                new.push(b);
            }
        }
        if new.is_empty() {
            return;
        }
        if self.p.protocol == Protocol::V2511 {
            let live = self.live_nodes(d);
            self.want_have_all(w, now_ns, d, &live, &new);
            let wait = self.p.retry_interval_ns.unwrap_or(0);
            for b in new {
                self.push_due(d, now_ns + wait, b);
            }
        } else {
            for b in new {
                self.request(w, now_ns, d, b);
            }
        }
    }

    /// One step of a block's request (v0.1, v0.2).
    fn request(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, b: u32) {
        let (me, ds) = (
            self.downloads[d as usize].node,
            self.downloads[d as usize].dataset,
        );
        let live = self.live_nodes(d);
        if live.is_empty() {
            return;
        }
        let dl = &self.downloads[d as usize];
        let holders: Vec<NodeIx> = dl
            .peers
            .iter()
            .filter(|v| !v.dropped && (v.complete || v.known.contains(&b)))
            .map(|v| v.node)
            .collect();
        match self.p.protocol {
            Protocol::V01 => {
                if dl.requested.get(b) {
                    return;
                }
                let cand = if holders.is_empty() { &live } else { &holders };
                let h = mix(((ds as u64) << 32) | b as u64);
                let p = cand[(h % cand.len() as u64) as usize];
                self.ask(w, now_ns, d, p, smallvec::smallvec![b]);
                let others: Vec<NodeIx> = live.into_iter().filter(|&n| n != p).collect();
                let msg = Msg::WantHave {
                    blocks: smallvec::smallvec![b],
                };
                self.send_many(w, now_ns, me, &others, ds, msg);
                self.push_due(d, now_ns + self.p.block_timeout_ns, b);
            }
            _ => {
                if holders.is_empty() {
                    let msg = Msg::WantHave {
                        blocks: smallvec::smallvec![b],
                    };
                    self.send_many(w, now_ns, me, &live, ds, msg);
                    self.lookup_limited(now_ns, d);
                } else {
                    let p = holders[self.rng.below(holders.len() as u64) as usize];
                    self.ask(w, now_ns, d, p, smallvec::smallvec![b]);
                }
                let wait = self.p.retry_interval_ns.unwrap_or(0);
                self.push_due(d, now_ns + wait, b);
            }
        }
    }

    /// WantBlock for `blocks` to `p`, marked requested and asked of `p`.
    fn ask(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, p: NodeIx, blocks: BlockList) {
        if blocks.is_empty() {
            return;
        }
        let dl = &mut self.downloads[d as usize];
        let (me, ds) = (dl.node, dl.dataset);
        for &b in &blocks {
            dl.requested.set(b);
            let asked = dl.asked.entry(b).or_default();
            if !asked.contains(&p) {
                asked.push(p);
            }
        }
        let n = blocks.len() as u32;
        let timeout = self.p.activity_timeout_ns;
        let arm = if let Some(v) = dl.view(p) {
            if v.outstanding == 0 {
                v.last_block_ns = now_ns;
            }
            v.outstanding += n;
            let arm = !v.activity_armed;
            v.activity_armed = true;
            arm
        } else {
            false
        };
        if arm && self.p.protocol == Protocol::V2511 {
            self.agenda.at(
                now_ns + timeout,
                Timer::Activity {
                    download: d,
                    node: p,
                },
            );
        }
        let per = match self.p.max_want_entries {
            0 => blocks.len(),
            k => k as usize,
        };
        for chunk in blocks.chunks(per) {
            self.send(
                w,
                now_ns,
                me,
                p,
                ds,
                Msg::WantBlock {
                    blocks: BlockList::from_slice(chunk),
                },
            );
        }
    }

    fn push_due(&mut self, d: DownloadIx, at_ns: u64, b: u32) {
        let dl = &mut self.downloads[d as usize];
        dl.due.push_back(Due { at_ns, block: b });
        if !dl.due_armed {
            dl.due_armed = true;
            self.agenda.at(at_ns, Timer::Due { download: d });
        }
    }

    /// A Have from `p`.
    fn on_have(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, p: NodeIx, blocks: BlockList) {
        let protocol = self.p.protocol;
        let dl = &mut self.downloads[d as usize];
        let wants = &dl.wants;
        let requested = &dl.requested;
        let Some(&i) = dl.peer_of.get(&p) else {
            return;
        };
        let v = &mut dl.peers[i as usize];
        if v.dropped {
            return;
        }
        for &b in &blocks {
            if wants.contains(&b) {
                v.known.insert(b);
            }
        }
        let ask: BlockList = match protocol {
            // Every wanted block the peer is known to have, requested or not.
            Protocol::V01 => v
                .known
                .iter()
                .copied()
                .filter(|b| wants.contains(b))
                .collect(),
            Protocol::V02 => blocks
                .into_iter()
                .filter(|&b| wants.contains(&b) && !requested.get(b))
                .collect(),
            _ => v
                .known
                .iter()
                .copied()
                .filter(|&b| wants.contains(&b) && !requested.get(b))
                .collect(),
        };
        self.ask(w, now_ns, d, p, ask);
    }

    /// Blocks arrived and were handled: cancels, the window moves on.
    pub(crate) fn legacy_blocks(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        from: NodeIx,
        fresh: &[u32],
    ) {
        let protocol = self.p.protocol;
        let dl = &mut self.downloads[d as usize];
        let (me, ds) = (dl.node, dl.dataset);
        if let Some(v) = dl.view(from) {
            v.outstanding = v.outstanding.saturating_sub(fresh.len() as u32);
            v.last_block_ns = now_ns;
        }
        if fresh.is_empty() {
            return;
        }
        // Cancels: to every peer (v0.1) or to those that said Have; sent as
        // events only where a WantBlock is pending.
        let mut told = 0usize;
        let mut pending: Vec<NodeIx> = Vec::new();
        for &b in fresh {
            dl.wants.remove(&b);
            dl.requested.clear(b);
            if let Some(asked) = dl.asked.remove(&b) {
                for p in asked {
                    if p != from && !pending.contains(&p) {
                        pending.push(p);
                    }
                }
            }
        }
        pending.retain(|&p| dl.view(p).is_some_and(|v| !v.dropped));
        for v in dl.peers.iter_mut() {
            if v.dropped {
                continue;
            }
            let said_have = fresh.iter().any(|b| v.known.contains(b));
            for b in fresh {
                v.known.remove(b);
            }
            if protocol == Protocol::V01 || said_have || pending.contains(&v.node) {
                told += 1;
            }
        }
        dl.arrived_since_fill += fresh.len() as u32;
        let cancel = Msg::Cancel {
            blocks: BlockList::from_slice(fresh),
        };
        self.send_counted(w, now_ns, (me, ds), told, &pending, cancel);
        let dl = &self.downloads[d as usize];
        match self.p.window {
            Window::Batches(_) => {
                if dl.wants.is_empty() {
                    if protocol == Protocol::V02 {
                        // The prefetch's next batch, 1 ms later.
                        self.agenda
                            .at(now_ns + 1_000_000, Timer::Fill { download: d });
                    } else {
                        self.fill_window(w, now_ns, d);
                    }
                }
            }
            Window::Sliding {
                blocks,
                refill_percent,
            } => {
                if dl.arrived_since_fill * 100 >= blocks * refill_percent || dl.wants.is_empty() {
                    self.fill_window(w, now_ns, d);
                }
            }
        }
    }

    /// The head of `d`'s retry queue is due: v0.1 fails the download on a
    /// block's timeout; v0.2 and 2025-11 ask again.
    pub(crate) fn on_due(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        self.downloads[d as usize].due_armed = false;
        loop {
            let dl = &mut self.downloads[d as usize];
            if dl.ended.is_some() {
                dl.due.clear();
                return;
            }
            let Some(&due) = dl.due.front() else {
                return;
            };
            if due.at_ns > now_ns {
                dl.due_armed = true;
                self.agenda.at(due.at_ns, Timer::Due { download: d });
                return;
            }
            dl.due.pop_front();
            let b = due.block;
            if dl.have.get(b) {
                continue;
            }
            let left = dl.retries_left.entry(b).or_insert(self.p.block_retries);
            *left = left.saturating_sub(1);
            let exhausted = *left == 0;
            match self.p.protocol {
                Protocol::V01 => {
                    // The request's timeout: the peer is disconnected, the
                    // stream's read fails.
                    let asked = dl.asked.get(&b).cloned().unwrap_or_default();
                    for p in asked {
                        self.drop_peer(now_ns, d, p);
                    }
                    self.end(w, now_ns, d, Outcome::Failed);
                    return;
                }
                _ if exhausted => {
                    self.end(w, now_ns, d, Outcome::Failed);
                    return;
                }
                Protocol::V02 => {
                    dl.stats.retries += 1;
                    self.request(w, now_ns, d, b);
                }
                _ => {
                    dl.stats.retries += 1;
                    self.retry_2511(w, now_ns, d, b);
                    let wait = self.p.retry_interval_ns.unwrap_or(0);
                    self.push_due(d, now_ns + wait, b);
                }
            }
        }
    }

    /// 2025-11: asks a holder weighted by outstanding requests (weight
    /// max score + 1 - score, score = 2 x outstanding + 5 x (1 - 0.5)), or
    /// every peer for presence when no holder is known.
    fn retry_2511(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, b: u32) {
        let dl = &self.downloads[d as usize];
        let holders: Vec<(NodeIx, f64)> = dl
            .peers
            .iter()
            .filter(|v| !v.dropped && (v.complete || v.known.contains(&b)))
            .map(|v| (v.node, 2.0 * v.outstanding as f64 + 2.5))
            .collect();
        if holders.is_empty() {
            let live = self.live_nodes(d);
            self.want_have_all(w, now_ns, d, &live, &[b]);
            self.lookup_limited(now_ns, d);
            return;
        }
        let max = holders.iter().map(|h| h.1).fold(0.0, f64::max);
        let total: f64 = holders.iter().map(|h| max + 1.0 - h.1).sum();
        let mut x = self.rng.uniform01() * total;
        let mut pick = holders[holders.len() - 1].0;
        for &(n, s) in &holders {
            x -= max + 1.0 - s;
            if x < 0.0 {
                pick = n;
                break;
            }
        }
        self.ask(w, now_ns, d, pick, smallvec::smallvec![b]);
    }

    /// 2025-11: a peer's activity timeout.
    pub(crate) fn on_activity(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, n: NodeIx) {
        let timeout = self.p.activity_timeout_ns;
        let dl = &mut self.downloads[d as usize];
        if dl.ended.is_some() {
            return;
        }
        let Some(v) = dl.view(n) else {
            return;
        };
        v.activity_armed = false;
        if v.dropped || v.outstanding == 0 {
            return;
        }
        if now_ns < v.last_block_ns + timeout {
            v.activity_armed = true;
            let at = v.last_block_ns + timeout;
            self.agenda.at(
                at,
                Timer::Activity {
                    download: d,
                    node: n,
                },
            );
            return;
        }
        // Dropped: its requests go elsewhere at once.
        let mine = dl.asked_of(n);
        for &b in &mine {
            if let Some(ps) = dl.asked.get_mut(&b) {
                ps.retain(|&x| x != n);
                if ps.is_empty() {
                    dl.asked.remove(&b);
                    dl.requested.clear(b);
                }
            }
        }
        self.drop_peer(now_ns, d, n);
        for b in mine {
            if !self.downloads[d as usize].requested.get(b) {
                self.downloads[d as usize].stats.retries += 1;
                self.retry_2511(w, now_ns, d, b);
            }
        }
    }
}
