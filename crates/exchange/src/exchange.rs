//! The exchange's public API and what every protocol shares: nodes,
//! datasets and seeders, starting and ending downloads, discovery (DHT
//! lookups and the discovery loop), a node going down or up, timers and
//! flow ends dispatched to the protocols, received blocks counted, the
//! invariants.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rustc_hash::FxHashMap as HashMap;

use codexsim_engine::dist::Dist;
use codexsim_engine::rng::{RandomStream, StreamId};
use codexsim_net::{Endpoint, FlowId};

use crate::bits::Bits;
use crate::params::{wire, Params, Protocol};
use crate::send::Wire;
use crate::state::{
    Agenda, BlockList, Dataset, DatasetIx, Download, DownloadIx, DownloadStats, Envelope, Exchange,
    Msg, Node, NodeIx, Outcome, ReceivedHistogram, Timer, Traffic,
};

impl Exchange {
    /// An exchange running `params`, its random draws from `seed`; DHT
    /// lookups take `lookup_latency_s` seconds.
    pub fn new(params: Params, seed: u64, lookup_latency_s: Dist) -> Exchange {
        Exchange {
            p: params,
            nodes: Vec::new(),
            by_endpoint: HashMap::default(),
            datasets: Vec::new(),
            downloads: Vec::new(),
            active: Vec::new(),
            pipes: Vec::new(),
            pipe_of: HashMap::default(),
            flow_pipe: Vec::new(),
            sent: HashMap::default(),
            agenda: Agenda::default(),
            rng: RandomStream::new(seed, StreamId::new("exchange", 0)),
            lookup_latency: lookup_latency_s,
            traffic: Traffic::default(),
            ended: Vec::new(),
            early_arrivals: 0,
            block_bytes_arrived: 0,
            block_bytes_dropped: 0,
            batch_seq: 0,
            links: BTreeSet::new(),
            bt_up: BTreeMap::new(),
            bt_down: BTreeMap::new(),
            bt_choker: BTreeSet::new(),
            released_histogram: ReceivedHistogram::new(),
            empty_bits: Bits::new(0),
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &Params {
        &self.p
    }

    /// The node at `endpoint` (added at first use).
    pub fn node(&mut self, endpoint: Endpoint) -> NodeIx {
        if let Some(&n) = self.by_endpoint.get(&endpoint) {
            return n;
        }
        self.nodes.push(Node {
            endpoint,
            up: true,
            unchoked: Vec::new(),
            optimistic: None,
            extra: None,
        });
        let n = (self.nodes.len() - 1) as NodeIx;
        self.by_endpoint.insert(endpoint, n);
        self.active.push(Default::default());
        n
    }

    /// Every flow from `node` also crosses `resource`.
    pub fn set_extra_resource(&mut self, node: NodeIx, resource: codexsim_net::ResourceId) {
        self.nodes[node as usize].extra = Some(resource);
    }

    /// A dataset of `bytes` whose flows count as `purpose` and are limited
    /// to `cap_bytes_per_s` each (`f64::INFINITY`: no limit of their own).
    pub fn add_dataset(
        &mut self,
        bytes: u64,
        purpose: codexsim_net::Purpose,
        cap_bytes_per_s: f64,
    ) -> DatasetIx {
        let blocks = self.p.blocks_of(bytes);
        let block_msg_bytes = if self.p.protocol == Protocol::BitTorrent {
            // A piece message's header per block; pieces are checked
            // against their hash, without proofs.
            self.p.block_bytes as u64 + 13
        } else {
            wire::block_bytes(self.p.block_bytes, blocks)
        };
        let pieces = blocks.div_ceil(self.p.piece_blocks.max(1));
        self.datasets.push(Dataset {
            blocks,
            block_msg_bytes,
            is_seeder: Vec::new(),
            providers: Vec::new(),
            availability: vec![0; pieces as usize],
            purpose,
            cap_bytes_per_s,
        });
        (self.datasets.len() - 1) as DatasetIx
    }

    /// Blocks of a dataset.
    pub fn dataset_blocks(&self, ds: DatasetIx) -> u32 {
        self.datasets[ds as usize].blocks
    }

    /// `node` holds the whole of `ds` and announces it.
    pub fn seed(&mut self, node: NodeIx, ds: DatasetIx) {
        if self.is_seeder(node, ds) {
            return;
        }
        let d = &mut self.datasets[ds as usize];
        if d.is_seeder.len() <= node as usize {
            d.is_seeder.resize(node as usize + 1, false);
        }
        d.is_seeder[node as usize] = true;
        if !d.providers.contains(&node) {
            d.providers.push(node);
        }
        for a in d.availability.iter_mut() {
            *a += 1;
        }
    }

    /// `node`'s latest download of `ds` (running or ended).
    #[inline]
    pub(crate) fn active_of(&self, node: NodeIx, ds: DatasetIx) -> Option<DownloadIx> {
        self.active[node as usize]
            .iter()
            .find(|x| x.0 == ds)
            .map(|x| x.1)
    }

    /// Whether `node` holds the whole of `ds` from the start.
    #[inline]
    pub(crate) fn is_seeder(&self, node: NodeIx, ds: DatasetIx) -> bool {
        self.datasets[ds as usize]
            .is_seeder
            .get(node as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Whether `node` holds block `b` of `ds`.
    pub(crate) fn holds(&self, node: NodeIx, ds: DatasetIx, b: u32) -> bool {
        if self.is_seeder(node, ds) {
            return true;
        }
        match self.active_of(node, ds) {
            Some(d) => {
                let dl = &self.downloads[d as usize];
                !dl.released && dl.have.get(b)
            }
            None => false,
        }
    }

    /// `node` starts downloading `ds`, finding its peers by DHT lookups.
    pub fn start_download(&mut self, now_ns: u64, node: NodeIx, ds: DatasetIx) -> DownloadIx {
        let d = self.new_download(now_ns, node, ds);
        // Storing the manifest first makes the downloader a provider.
        let providers = &mut self.datasets[ds as usize].providers;
        if !providers.contains(&node) {
            providers.push(node);
        }
        self.lookup(now_ns, d);
        self.agenda.at(
            now_ns + self.p.discovery_interval_ns,
            Timer::Discover { download: d },
        );
        d
    }

    /// `node` starts downloading `ds` from `peers`, already known (a fill
    /// from its client, a repair from a chosen holder): no lookups.
    pub fn start_download_from(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        node: NodeIx,
        ds: DatasetIx,
        peers: &[NodeIx],
    ) -> DownloadIx {
        let d = self.new_download(now_ns, node, ds);
        self.connect(w, now_ns, d, peers);
        d
    }

    fn new_download(&mut self, now_ns: u64, node: NodeIx, ds: DatasetIx) -> DownloadIx {
        let blocks = self.datasets[ds as usize].blocks;
        let pieces = self.datasets[ds as usize].availability.len() as u32;
        let bt = self.p.protocol == Protocol::BitTorrent;
        let d = self.downloads.len() as DownloadIx;
        self.downloads.push(Download {
            node,
            dataset: ds,
            started_ns: now_ns,
            ended: None,
            stats: DownloadStats::default(),
            blocks,
            have: Bits::new(blocks),
            requested: Bits::new(blocks),
            dup: Bits::new(blocks),
            many: BTreeMap::new(),
            asked: BTreeMap::new(),
            next: 0,
            wants: BTreeSet::new(),
            arrived_since_fill: 0,
            peers: Vec::new(),
            peer_of: HashMap::default(),
            handling_until_ns: now_ns,
            due: VecDeque::new(),
            due_armed: false,
            retries_left: BTreeMap::new(),
            last_lookup_ns: None,
            lookup_pending: false,
            requeued: VecDeque::new(),
            window_base: 0,
            batch_peer: BTreeMap::new(),
            gained_since_have: 0,
            last_range_ask_ns: None,
            pieces_wanted: if bt { Bits::full(pieces) } else { Bits::new(0) },
            pieces_have: Bits::new(if bt { pieces } else { 0 }),
            released: false,
        });
        let list = &mut self.active[node as usize];
        match list.iter_mut().find(|x| x.0 == ds) {
            Some(x) => x.1 = d,
            None => list.push((ds, d)),
        }
        d
    }

    /// A download's state.
    pub fn download(&self, d: DownloadIx) -> &Download {
        &self.downloads[d as usize]
    }

    /// Every download so far.
    pub fn downloads(&self) -> &[Download] {
        &self.downloads
    }

    /// Downloads that ended since the last call, in the order they ended.
    pub fn take_ended(&mut self) -> Vec<DownloadIx> {
        std::mem::take(&mut self.ended)
    }

    /// Traffic by message kind so far.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// (Download, block) pairs of every download by times received.
    pub fn received_histogram(&self) -> ReceivedHistogram {
        let mut h = self.released_histogram.clone();
        for d in self.downloads.iter().filter(|d| !d.released) {
            for (k, v) in Self::histogram_of(d) {
                *h.entry(k).or_default() += v;
            }
        }
        h.retain(|_, v| *v > 0);
        h
    }

    /// Frees an ended download's block sets and its dataset's per-node
    /// state (a fleet run's transfers are many): its counters stay; what
    /// still arrives for it is counted as traffic only.
    pub fn release(&mut self, d: DownloadIx) {
        debug_assert!(
            self.downloads[d as usize].ended.is_some(),
            "only an ended download is released"
        );
        if self.downloads[d as usize].released {
            return;
        }
        let h = Self::histogram_of(&self.downloads[d as usize]);
        for (k, v) in h {
            *self.released_histogram.entry(k).or_default() += v;
        }
        let dl = &mut self.downloads[d as usize];
        dl.released = true;
        for b in [
            &mut dl.have,
            &mut dl.requested,
            &mut dl.dup,
            &mut dl.pieces_wanted,
            &mut dl.pieces_have,
        ] {
            *b = Bits::new(0);
        }
        dl.many = BTreeMap::new();
        dl.asked = BTreeMap::new();
        dl.wants = BTreeSet::new();
        dl.peers = Vec::new();
        dl.peer_of = HashMap::default();
        dl.batch_peer = BTreeMap::new();
        dl.retries_left = BTreeMap::new();
        dl.due = VecDeque::new();
        dl.requeued = VecDeque::new();
        let ds = dl.dataset as usize;
        let node = dl.node;
        let data = &mut self.datasets[ds];
        data.is_seeder = Vec::new();
        data.availability = Vec::new();
        data.providers = Vec::new();
        // The node's list keeps only live downloads' entries.
        self.active[node as usize].retain(|x| x.1 != d);
    }

    /// Flows of the exchange's connections now moving.
    pub fn active_flows(&self) -> usize {
        self.pipes.iter().filter(|p| p.flow.is_some()).count()
    }

    fn histogram_of(d: &Download) -> ReceivedHistogram {
        let mut h = ReceivedHistogram::new();
        let once = d.have.ones() - d.dup.ones();
        let twice = d.dup.ones() - d.many.len() as u32;
        h.insert(0, (d.blocks - d.have.ones()) as u64);
        h.insert(1, once as u64);
        h.insert(2, twice as u64);
        for &k in d.many.values() {
            *h.entry(k).or_default() += 1;
        }
        h.retain(|_, v| *v > 0);
        h
    }

    /// Stops a running download (its user gave up on it). The caller
    /// knows: it is not listed by [`Exchange::take_ended`].
    pub fn cancel(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        self.close(w, now_ns, d, Outcome::Cancelled);
    }

    /// Ends a download, listed for [`Exchange::take_ended`].
    pub(crate) fn end(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, how: Outcome) {
        if self.close(w, now_ns, d, how) {
            self.ended.push(d);
        }
    }

    /// Ends a download (unless it ended before: false).
    fn close(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, how: Outcome) -> bool {
        let dl = &mut self.downloads[d as usize];
        if dl.ended.is_some() {
            return false;
        }
        dl.ended = Some((now_ns, how));
        let (node, ds) = (dl.node, dl.dataset);
        if how == Outcome::Complete && self.p.protocol != Protocol::BitTorrent {
            // Outstanding wants elsewhere are cancelled.
            let pending: Vec<u32> = dl.asked.keys().copied().collect();
            if !pending.is_empty() {
                let peers: Vec<NodeIx> = {
                    let mut s = BTreeSet::new();
                    for v in dl.asked.values() {
                        s.extend(v.iter().copied());
                    }
                    s.into_iter().collect()
                };
                for p in peers {
                    self.send(
                        w,
                        now_ns,
                        node,
                        p,
                        ds,
                        Msg::Cancel {
                            blocks: BlockList::from_slice(&pending),
                        },
                    );
                }
            }
        }
        let dl = &mut self.downloads[d as usize];
        dl.asked.clear();
        dl.due.clear();
        if how != Outcome::Complete {
            // What it holds stays servable; it is no longer a provider.
            self.datasets[ds as usize].providers.retain(|&n| n != node);
        }
        true
    }

    /// `node` goes down (its connections stop, its downloads fail) or
    /// comes back (a seeder announces itself again).
    pub fn set_up(&mut self, w: &mut Wire, now_ns: u64, node: NodeIx, up: bool) {
        if self.nodes[node as usize].up == up {
            return;
        }
        self.nodes[node as usize].up = up;
        if up {
            for ds in 0..self.datasets.len() {
                if self.is_seeder(node, ds as DatasetIx)
                    && !self.datasets[ds].providers.contains(&node)
                {
                    self.datasets[ds].providers.push(node);
                }
            }
            return;
        }
        self.cut(w, now_ns, node);
        for d in 0..self.downloads.len() {
            if self.downloads[d].node == node && self.downloads[d].ended.is_none() {
                self.end(w, now_ns, d as DownloadIx, Outcome::NodeDown);
            }
        }
        for d in &mut self.datasets {
            d.providers.retain(|&n| n != node);
        }
    }

    /// Whether `node` is up.
    pub fn is_up(&self, node: NodeIx) -> bool {
        self.nodes[node as usize].up
    }

    /// When the next timer is due, ns.
    pub fn next_timer_ns(&self) -> Option<u64> {
        self.agenda.next_ns()
    }

    /// Timers waiting.
    pub fn timers(&self) -> usize {
        self.agenda.len()
    }

    /// Runs every timer due at or before `now_ns`.
    pub fn fire(&mut self, w: &mut Wire, now_ns: u64) {
        while let Some(t) = self.agenda.pop_due(now_ns) {
            self.on_timer(w, now_ns, t);
        }
    }

    /// One of the exchange's flows moved its last byte (see
    /// [`Exchange::owns`]).
    pub fn flow_finished(&mut self, w: &mut Wire, now_ns: u64, flow: FlowId) {
        self.head_done(w, now_ns, flow);
    }

    fn on_timer(&mut self, w: &mut Wire, now_ns: u64, t: Timer) {
        match t {
            Timer::Arrive(env) => self.arrive(w, now_ns, env),
            Timer::Multicast(env, more) => {
                let copy = env.clone();
                self.arrive(w, now_ns, env);
                for n in more {
                    let mut e = copy.clone();
                    e.to = n;
                    self.arrive(w, now_ns, e);
                }
            }
            Timer::Lookup { download } => self.on_lookup(w, now_ns, download),
            Timer::Discover { download } => self.on_discover(now_ns, download),
            Timer::Due { download } => self.on_due(w, now_ns, download),
            Timer::Activity { download, node } => self.on_activity(w, now_ns, download, node),
            Timer::Fill { download } => match self.p.protocol {
                Protocol::V2026 => self.pump(w, now_ns, download),
                _ => self.fill_window(w, now_ns, download),
            },
            Timer::Handled {
                download,
                from,
                blocks,
                bytes,
            } => self.handled(w, now_ns, download, from, blocks, bytes),
            Timer::Batch {
                download,
                batch,
                seq,
            } => self.on_batch_timeout(w, now_ns, download, batch, seq),
            Timer::Announce { download } => self.on_announce(w, now_ns, download),
            Timer::Rechoke {
                node,
                dataset,
                round,
            } => self.on_rechoke(w, now_ns, node, dataset, round),
        }
    }

    /// A message arrives at its destination.
    fn arrive(&mut self, w: &mut Wire, now_ns: u64, env: Envelope) {
        if env.sent_ns > now_ns {
            self.early_arrivals += 1;
        }
        let is_block = matches!(env.msg, Msg::Blocks { .. });
        if !self.nodes[env.to as usize].up {
            if is_block {
                self.block_bytes_dropped += env.bytes;
            }
            return;
        }
        if is_block {
            self.block_bytes_arrived += env.bytes;
        } else if let Some(d) = self.active_of(env.to, env.dataset) {
            self.downloads[d as usize].stats.control_bytes_received += env.bytes;
        }
        match self.p.protocol {
            Protocol::V01 | Protocol::V02 | Protocol::V2511 => self.legacy_arrive(w, now_ns, env),
            Protocol::V2026 => self.rewrite_arrive(w, now_ns, env),
            Protocol::BitTorrent => self.bt_arrive(w, now_ns, env),
        }
    }

    /// Blocks arrived at `d` from `from`: counted at once (duplicates too);
    /// they take effect after the download's handling of them.
    pub(crate) fn receive(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        from: NodeIx,
        blocks: BlockList,
        bytes: u64,
    ) {
        let block_bytes = self.p.block_bytes as u64;
        let handling = self.p.block_handling_ns;
        let dl = &mut self.downloads[d as usize];
        dl.stats.block_bytes_received += bytes;
        *dl.stats.bytes_by_peer.entry(from).or_default() += bytes;
        if dl.released {
            return;
        }
        let mut fresh = BlockList::new();
        for b in blocks {
            if dl.have.set(b) {
                fresh.push(b);
                dl.stats.useful_bytes += block_bytes;
            } else {
                dl.stats.duplicate_blocks += 1;
                if !dl.dup.set(b) {
                    *dl.many.entry(b).or_insert(2) += 1;
                }
            }
        }
        if handling == 0 || fresh.is_empty() {
            self.handled(w, now_ns, d, from, fresh, bytes);
            return;
        }
        let dl = &mut self.downloads[d as usize];
        let at = dl.handling_until_ns.max(now_ns) + handling * fresh.len() as u64;
        dl.handling_until_ns = at;
        self.agenda.at(
            at,
            Timer::Handled {
                download: d,
                from,
                blocks: fresh,
                bytes,
            },
        );
    }

    /// Received blocks take effect: the protocol goes on; a download that
    /// holds every block is complete.
    fn handled(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        from: NodeIx,
        fresh: BlockList,
        bytes: u64,
    ) {
        if self.downloads[d as usize].ended.is_some() {
            return;
        }
        match self.p.protocol {
            Protocol::V01 | Protocol::V02 | Protocol::V2511 => {
                self.legacy_blocks(w, now_ns, d, from, &fresh)
            }
            Protocol::V2026 => self.rewrite_blocks(w, now_ns, d, from, &fresh, bytes),
            Protocol::BitTorrent => self.bt_blocks(w, now_ns, d, from, &fresh, bytes),
        }
        let dl = &self.downloads[d as usize];
        if dl.ended.is_none() && dl.have.ones() == dl.blocks {
            self.end(w, now_ns, d, Outcome::Complete);
        }
    }

    // ------------------------------------------------------------ checks

    /// The invariants: no message arrived before it was sent; every block
    /// byte that started to move arrived, was lost with a node, or is on
    /// its way; counters agree with block sets.
    pub fn check(&self) -> Result<(), String> {
        if self.early_arrivals > 0 {
            return Err(format!(
                "{} messages arrived before they were sent",
                self.early_arrivals
            ));
        }
        let mut on_way = 0u64;
        for p in &self.pipes {
            if p.flow.is_some() {
                on_way += p.queue.front().map_or(0, |e| e.bytes);
            }
        }
        // Block messages between their last byte and their arrival.
        on_way += self.agenda.block_bytes();
        let sent = self.traffic.bytes[crate::state::MsgKind::Block as usize];
        let seen = self.block_bytes_arrived + self.block_bytes_dropped + on_way;
        if sent != seen {
            return Err(format!(
                "block bytes sent {sent} != arrived {} + lost {} + on the way {on_way}",
                self.block_bytes_arrived, self.block_bytes_dropped
            ));
        }
        let received: u64 = self
            .downloads
            .iter()
            .map(|d| d.stats.block_bytes_received)
            .sum();
        if received > self.block_bytes_arrived {
            return Err(format!(
                "downloads received {received} block bytes, more than arrived ({})",
                self.block_bytes_arrived
            ));
        }
        for (i, d) in self
            .downloads
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.released)
        {
            let dups =
                (d.dup.ones() as u64) + d.many.values().map(|&k| (k - 2) as u64).sum::<u64>();
            if dups != d.stats.duplicate_blocks {
                return Err(format!(
                    "download {i}: {} duplicates counted, {dups} in its block sets",
                    d.stats.duplicate_blocks
                ));
            }
            if matches!(d.ended, Some((_, Outcome::Complete))) && d.have.ones() != d.blocks {
                return Err(format!("download {i} complete without every block"));
            }
        }
        Ok(())
    }
}
