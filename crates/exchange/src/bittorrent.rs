//! A BitTorrent-like reference, the yardstick beside each generation:
//! pieces of 4 blocks (256 KiB), requested rarest first, a few pieces
//! outstanding per peer; every node unchokes 4 peers (by the rate they
//! gave it over the last round; a complete node by the rate it gave them)
//! and 1 optimistic peer rotated every third round; rounds every 10 s; in
//! the end game the last pieces are asked of every peer that has them,
//! and cancelled when they arrive.
//!
//! Simplifications: a peer's pieces are known the moment it has them (the
//! HAVE and bitfield messages are counted as traffic, but their latency
//! does not delay requests); "rarest" is the rarest of up to 32 eligible
//! pieces found from a download's own cursor (a full scan per request
//! would cost the square of the pieces); a piece moves as one message.

use crate::send::Wire;
use crate::state::{DatasetIx, DownloadIx, Envelope, Exchange, Msg, NodeIx, Timer};

const SAMPLE: usize = 32;

impl Exchange {
    fn pieces(&self, ds: DatasetIx) -> u32 {
        self.datasets[ds as usize].availability.len() as u32
    }

    fn piece_span(&self, ds: DatasetIx, piece: u32) -> (u32, u32) {
        let pb = self.p.piece_blocks.max(1);
        let n = self.datasets[ds as usize].blocks;
        (piece * pb, ((piece + 1) * pb).min(n))
    }

    fn holds_piece(&self, node: NodeIx, ds: DatasetIx, piece: u32) -> bool {
        let (s, e) = self.piece_span(ds, piece);
        (s..e).all(|b| self.holds(node, ds, b))
    }

    /// A BitTorrent message arrives.
    pub(crate) fn bt_arrive(&mut self, w: &mut Wire, now_ns: u64, env: Envelope) {
        let (me, from, ds) = (env.to, env.from, env.dataset);
        match env.msg {
            Msg::Choke { unchoked } => {
                let Some(d) = self.running(me, ds) else {
                    return;
                };
                let Some(v) = self.downloads[d as usize].view(from) else {
                    return;
                };
                v.unchoked_us = unchoked;
                if unchoked {
                    self.bt_pump(w, now_ns, d, from);
                } else {
                    // Requests to a choking peer are dropped by it.
                    v.outstanding = 0;
                    let theirs = self.downloads[d as usize].asked_of(from);
                    for piece in theirs {
                        self.forget_ask(d, piece, from);
                    }
                }
            }
            Msg::Request { piece } => {
                let unchoked = {
                    let n = &self.nodes[me as usize];
                    n.unchoked.contains(&from) || n.optimistic == Some(from)
                };
                if unchoked && self.holds_piece(me, ds, piece) {
                    let (s, e) = self.piece_span(ds, piece);
                    self.send_blocks(w, now_ns, me, from, ds, (s..e).collect());
                }
            }
            Msg::BtCancel { piece } => {
                let (s, e) = self.piece_span(ds, piece);
                let blocks: Vec<u32> = (s..e).collect();
                self.unqueue(me, from, ds, &blocks);
            }
            Msg::Blocks { blocks } => {
                self.nodes_traffic(from, me, env.bytes);
                if let Some(d) = self.active_of(me, ds) {
                    self.receive(w, now_ns, d, from, blocks, env.bytes);
                }
            }
            _ => {}
        }
    }

    fn nodes_traffic(&mut self, from: NodeIx, to: NodeIx, bytes: u64) {
        *self.bt_up.entry((from, to)).or_default() += bytes;
        *self.bt_down.entry((to, from)).or_default() += bytes;
    }

    /// A piece's request to `p` is over (arrived, choked, cancelled).
    fn forget_ask(&mut self, d: DownloadIx, piece: u32, p: NodeIx) {
        let ds = self.downloads[d as usize].dataset;
        let (s, e) = self.piece_span(ds, piece);
        let dl = &mut self.downloads[d as usize];
        if let Some(ps) = dl.asked.get_mut(&piece) {
            ps.retain(|&x| x != p);
            if ps.is_empty() {
                dl.asked.remove(&piece);
                for b in s..e {
                    dl.requested.clear(b);
                }
                if !dl.pieces_have.get(piece) {
                    dl.pieces_wanted.set(piece);
                }
            }
        }
    }

    /// New connections: bitfields both ways, and the choker of both ends
    /// runs (and keeps running every round).
    pub(crate) fn bt_peers(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, added: &[NodeIx]) {
        let (me, ds) = {
            let dl = &self.downloads[d as usize];
            (dl.node, dl.dataset)
        };
        let bitfield = 5 + (self.pieces(ds) as u64).div_ceil(8);
        for &n in added {
            for (a, b) in [(me, n), (n, me)] {
                self.traffic.messages[crate::state::MsgKind::BtHave as usize] += 1;
                self.traffic.bytes[crate::state::MsgKind::BtHave as usize] += bitfield;
                let _ = (a, b);
            }
            for (node, other) in [(me, n), (n, me)] {
                if self.bt_choker.insert((node, ds)) {
                    self.on_rechoke(w, now_ns, node, ds, 0);
                    continue;
                }
                // A running choker fills a free regular slot at once.
                let slots = self.p.unchoke_slots as usize;
                let nd = &self.nodes[node as usize];
                let free = nd.unchoked.len() < slots
                    && !nd.unchoked.contains(&other)
                    && nd.optimistic != Some(other);
                if free && self.running(other, ds).is_some() {
                    self.nodes[node as usize].unchoked.push(other);
                    self.send(w, now_ns, node, other, ds, Msg::Choke { unchoked: true });
                }
            }
        }
    }

    /// A node's choker: the 4 interested peers that gave it the most over
    /// the last round (a complete node: that it gave the most), plus one
    /// optimistic peer, rotated every third round.
    pub(crate) fn on_rechoke(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        node: NodeIx,
        ds: DatasetIx,
        round: u32,
    ) {
        if !self.nodes[node as usize].up {
            self.bt_choker.remove(&(node, ds));
            return;
        }
        let complete = self.is_seeder(node, ds) || self.running(node, ds).is_none();
        // Interested: connected downloaders still running.
        let mut interested: Vec<NodeIx> = self
            .links
            .range((node, 0)..(node + 1, 0))
            .map(|&(_, b)| b)
            .filter(|&b| self.running(b, ds).is_some())
            .collect();
        interested.sort_unstable();
        let rate = |s: &Self, p: NodeIx| -> u64 {
            if complete {
                s.bt_up.get(&(node, p)).copied().unwrap_or(0)
            } else {
                s.bt_down.get(&(node, p)).copied().unwrap_or(0)
            }
        };
        let mut ranked: Vec<(u64, NodeIx)> =
            interested.iter().map(|&p| (rate(self, p), p)).collect();
        // Highest rate first; ties in a random order.
        self.rng.shuffle(&mut ranked);
        ranked.sort_by_key(|x| std::cmp::Reverse(x.0));
        let slots = self.p.unchoke_slots as usize;
        let regular: Vec<NodeIx> = ranked.iter().take(slots).map(|x| x.1).collect();
        let rotate = round % 3 == 0;
        let mut optimistic = self.nodes[node as usize].optimistic;
        let rest: Vec<NodeIx> = interested
            .iter()
            .copied()
            .filter(|p| !regular.contains(p))
            .collect();
        if rotate || optimistic.is_none_or(|o| !rest.contains(&o)) {
            optimistic = if rest.is_empty() {
                None
            } else {
                Some(rest[self.rng.below(rest.len() as u64) as usize])
            };
        }
        let before: Vec<NodeIx> = {
            let n = &self.nodes[node as usize];
            let mut v = n.unchoked.clone();
            v.extend(n.optimistic);
            v
        };
        let mut after = regular.clone();
        after.extend(optimistic);
        self.nodes[node as usize].unchoked = regular;
        self.nodes[node as usize].optimistic = optimistic;
        for &p in &before {
            if !after.contains(&p) {
                self.send(w, now_ns, node, p, ds, Msg::Choke { unchoked: false });
            }
        }
        for &p in &after {
            if !before.contains(&p) {
                self.send(w, now_ns, node, p, ds, Msg::Choke { unchoked: true });
            }
        }
        // The round's rates start again (this node's view of them).
        for map in [&mut self.bt_up, &mut self.bt_down] {
            let keys: Vec<(NodeIx, NodeIx)> = map
                .range((node, 0)..(node + 1, 0))
                .map(|(k, _)| *k)
                .collect();
            for k in keys {
                map.remove(&k);
            }
        }
        if interested.is_empty() && complete && self.running(node, ds).is_none() && round > 0 {
            // Nothing to serve for now: the choker sleeps until a new
            // connection wakes it.
            let any_running = self
                .downloads
                .iter()
                .any(|d| d.dataset == ds && d.ended.is_none());
            if !any_running {
                self.bt_choker.remove(&(node, ds));
                return;
            }
        }
        self.agenda.at(
            now_ns + self.p.rechoke_interval_ns,
            Timer::Rechoke {
                node,
                dataset: ds,
                round: round + 1,
            },
        );
    }

    /// Requests pieces of `p` while it unchokes us and the pipeline has
    /// room: the rarest eligible piece of a sample; in the end game,
    /// pieces already asked of others.
    pub(crate) fn bt_pump(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, p: NodeIx) {
        let per_peer = self.p.requests_per_peer;
        loop {
            let dl = &mut self.downloads[d as usize];
            if dl.ended.is_some() {
                return;
            }
            let (me, ds) = (dl.node, dl.dataset);
            let Some(v) = dl.view(p) else {
                return;
            };
            if v.dropped || !v.unchoked_us || v.outstanding >= per_peer {
                return;
            }
            let Some(piece) = self.choose_piece(d, p) else {
                return;
            };
            let (s, e) = self.piece_span(ds, piece);
            let dl = &mut self.downloads[d as usize];
            for b in s..e {
                dl.requested.set(b);
            }
            dl.pieces_wanted.clear(piece);
            dl.asked.entry(piece).or_default().push(p);
            if let Some(v) = dl.view(p) {
                v.outstanding += 1;
            }
            self.send(w, now_ns, me, p, ds, Msg::Request { piece });
        }
    }

    /// The pieces `p` holds: every one (`None`), or its bit set.
    fn peer_pieces(&self, p: NodeIx, ds: DatasetIx) -> Option<&crate::bits::Bits> {
        if self.is_seeder(p, ds) {
            return None;
        }
        match self.active_of(p, ds) {
            Some(pd) => Some(&self.downloads[pd as usize].pieces_have),
            None => Some(&self.empty_bits),
        }
    }

    /// `p` now has `piece`: download `d` asks for it if it wants it and
    /// `p` unchokes it with room in its pipeline.
    fn bt_offer(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, p: NodeIx, piece: u32) {
        let per_peer = self.p.requests_per_peer;
        let dl = &mut self.downloads[d as usize];
        if !dl.pieces_wanted.get(piece) {
            return;
        }
        let (me, ds) = (dl.node, dl.dataset);
        let Some(v) = dl.view(p) else {
            return;
        };
        if v.dropped || !v.unchoked_us || v.outstanding >= per_peer {
            return;
        }
        v.outstanding += 1;
        let (s, e) = self.piece_span(ds, piece);
        let dl = &mut self.downloads[d as usize];
        for b in s..e {
            dl.requested.set(b);
        }
        dl.pieces_wanted.clear(piece);
        dl.asked.entry(piece).or_default().push(p);
        self.send(w, now_ns, me, p, ds, Msg::Request { piece });
    }

    fn choose_piece(&mut self, d: DownloadIx, p: NodeIx) -> Option<u32> {
        let ds = self.downloads[d as usize].dataset;
        let pieces = self.pieces(ds);
        if pieces == 0 {
            return None;
        }
        if self.downloads[d as usize].next == 0 {
            // A random place to start from (so downloaders spread out).
            self.downloads[d as usize].next = 1 + self.rng.below(pieces as u64) as u32;
        }
        let dl = &self.downloads[d as usize];
        let peer = self.peer_pieces(p, ds);
        let peer_word =
            |i: usize| peer.map_or(u64::MAX, |b| if i < b.word_count() { b.word(i) } else { 0 });
        let words = dl.pieces_wanted.word_count();
        let start = ((dl.next - 1) % pieces) as usize / 64;
        let mut found: Vec<u32> = Vec::with_capacity(SAMPLE);
        for k in 0..words {
            let i = (start + k) % words;
            let mut m = dl.pieces_wanted.word(i) & peer_word(i);
            while m != 0 && found.len() < SAMPLE {
                found.push((i * 64) as u32 + m.trailing_zeros());
                m &= m - 1;
            }
            if found.len() >= SAMPLE {
                break;
            }
        }
        let avail = &self.datasets[ds as usize].availability;
        if let Some(piece) = found.iter().copied().min_by_key(|&x| avail[x as usize]) {
            self.downloads[d as usize].next = piece + 1;
            return Some(piece);
        }
        if dl.pieces_wanted.ones() > 0 {
            return None;
        }
        // End game: every missing piece is asked of someone; ask this peer
        // for one it has and was not asked for.
        for i in 0..words {
            let mut m = !dl.pieces_have.word(i) & peer_word(i);
            while m != 0 {
                let piece = (i * 64) as u32 + m.trailing_zeros();
                m &= m - 1;
                if piece >= pieces {
                    break;
                }
                if dl.asked.get(&piece).is_some_and(|ps| !ps.contains(&p)) {
                    return Some(piece);
                }
            }
        }
        None
    }

    /// Blocks arrived and were handled: a whole piece is announced (HAVE
    /// to every connected peer), end-game duplicates cancelled, and the
    /// peers that unchoke us and now have room are asked again.
    pub(crate) fn bt_blocks(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        from: NodeIx,
        fresh: &[u32],
        _bytes: u64,
    ) {
        let ds = self.downloads[d as usize].dataset;
        let me = self.downloads[d as usize].node;
        let pb = self.p.piece_blocks.max(1);
        let mut pieces: Vec<u32> = fresh.iter().map(|b| b / pb).collect();
        pieces.dedup();
        if let Some(v) = self.downloads[d as usize].view(from) {
            v.outstanding = v.outstanding.saturating_sub(1);
        }
        let mut pieces_done = Vec::new();
        for piece in pieces {
            let (s, e) = self.piece_span(ds, piece);
            if !(s..e).all(|b| self.downloads[d as usize].have.get(b)) {
                continue;
            }
            self.datasets[ds as usize].availability[piece as usize] += 1;
            let dl = &mut self.downloads[d as usize];
            dl.pieces_have.set(piece);
            dl.pieces_wanted.clear(piece);
            pieces_done.push(piece);
            let others: Vec<NodeIx> = self.downloads[d as usize]
                .asked
                .remove(&piece)
                .unwrap_or_default()
                .into_iter()
                .filter(|&x| x != from)
                .collect();
            for &o in &others {
                if let Some(v) = self.downloads[d as usize].view(o) {
                    v.outstanding = v.outstanding.saturating_sub(1);
                }
                self.send(w, now_ns, me, o, ds, Msg::BtCancel { piece });
            }
            let live = self.live_peers(d);
            self.send_counted(w, now_ns, (me, ds), live, &[], Msg::BtHave { piece });
        }
        // The peer that sent it has room again; the downloaders this node
        // unchokes may want its new pieces (nothing else of this node's
        // changed for them).
        self.bt_pump(w, now_ns, d, from);
        let unchoked: Vec<NodeIx> = {
            let n = &self.nodes[me as usize];
            let mut v = n.unchoked.clone();
            v.extend(n.optimistic);
            v
        };
        let completed: Vec<u32> = pieces_done;
        for u in unchoked {
            let Some(ud) = self.running(u, ds) else {
                continue;
            };
            for &piece in &completed {
                self.bt_offer(w, now_ns, ud, me, piece);
            }
        }
    }
}
