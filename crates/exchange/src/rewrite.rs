//! The 2026 rewrite (`docs/blockexchange.md`, "2026 rewrite"): a swarm
//! per download, range presence, batches of 2 blocks to one peer chosen by
//! score, a pipeline depth per peer found by probing, batch timeouts.
//!
//! How the model reads it:
//! - A new peer is asked for presence over the current presence window
//!   (16,384 blocks); it answers `Complete` (a seeder), its held ranges
//!   within the window, or DontHave. Peers' ranges only grow; each
//!   downloader sends its own ranges to its peers every 5-10 s (uniform),
//!   or at once after gaining 8,192 blocks.
//! - Batches are issued in order (timed-out ones first) within the
//!   presence window, each to one peer that covers it and has fewer
//!   batches outstanding than its depth: a random such peer 20 % of the
//!   time, else a peer without a throughput estimate, else the lowest
//!   score 0.30 x load / depth + 0.25 x (1 - throughput / 100 MiB/s) +
//!   0.25 x RTT / 500 ms + 0.20 x min(3 x timeouts / 15, 1).
//! - Depth starts at 2. Every 16 x 2^reverts batches from a peer, its
//!   throughput over that stretch is set against the previous stretch's:
//!   a gain of 8 % or more raises the depth by 1 (the probe is kept), a
//!   loss of 20 % or more lowers it by 2, anything else by 1 (a revert);
//!   2 to 128. (Simplification: the node probes +1 and then keeps or
//!   reverts; the model probes with each stretch's outcome.)
//! - A batch's timeout is 3 x (batch bytes / throughput + RTT), 5-45 s,
//!   300 s before there is an estimate; on timeout the batch goes back to
//!   the front, a cancel goes to the peer, and 5 timeouts drop it. A
//!   DontHave puts the batch back at once.
//! - The presence window advances by its length when all its batches were
//!   issued and 75 % of its blocks arrived.

use crate::send::Wire;
use crate::state::{BlockList, DownloadIx, Envelope, Exchange, Msg, NodeIx, Timer};

const MIB_S: f64 = 1024.0 * 1024.0;

/// Merges `add` into the sorted, disjoint ranges `into`.
pub(crate) fn merge_ranges(into: &mut Vec<(u32, u32)>, add: &[(u32, u32)]) {
    into.extend_from_slice(add);
    into.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(into.len());
    for &(s, e) in into.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    *into = out;
}

fn covers(ranges: &[(u32, u32)], s: u32, e: u32) -> bool {
    let i = ranges.partition_point(|r| r.1 < e);
    i < ranges.len() && ranges[i].0 <= s && ranges[i].1 >= e
}

impl Exchange {
    fn batch_span(&self, d: DownloadIx, batch: u32) -> (u32, u32) {
        let bb = self.p.batch_blocks.max(1);
        let n = self.downloads[d as usize].blocks;
        (batch * bb, ((batch + 1) * bb).min(n))
    }

    fn window_end(&self, d: DownloadIx) -> u32 {
        let dl = &self.downloads[d as usize];
        (dl.window_base + self.p.presence_window_blocks).min(dl.blocks)
    }

    /// A 2026 message arrives.
    pub(crate) fn rewrite_arrive(&mut self, w: &mut Wire, now_ns: u64, env: Envelope) {
        let (me, from, ds) = (env.to, env.from, env.dataset);
        match env.msg {
            Msg::WantRange { start, end } => {
                let reply = if self.is_seeder(me, ds) {
                    Msg::HaveRange {
                        ranges: Vec::new(),
                        complete: true,
                    }
                } else if let Some(d) = self.active_of(me, ds) {
                    let ranges: Vec<(u32, u32)> = self.downloads[d as usize]
                        .have
                        .ranges()
                        .into_iter()
                        .filter(|r| r.1 > start && r.0 < end)
                        .collect();
                    if ranges.is_empty() {
                        Msg::DontHave {
                            blocks: BlockList::new(),
                        }
                    } else {
                        Msg::HaveRange {
                            ranges,
                            complete: false,
                        }
                    }
                } else {
                    Msg::DontHave {
                        blocks: BlockList::new(),
                    }
                };
                self.send(w, now_ns, me, from, ds, reply);
            }
            Msg::HaveRange { ranges, complete } => {
                if let Some(d) = self.running(me, ds) {
                    if let Some(v) = self.downloads[d as usize].view(from) {
                        if !v.dropped {
                            v.complete |= complete;
                            merge_ranges(&mut v.ranges, &ranges);
                        }
                    }
                    self.pump(w, now_ns, d);
                }
            }
            Msg::WantBlock { blocks } => {
                let (held, lack): (BlockList, BlockList) =
                    blocks.into_iter().partition(|&b| self.holds(me, ds, b));
                if !lack.is_empty() {
                    self.send(w, now_ns, me, from, ds, Msg::DontHave { blocks: lack });
                }
                self.send_blocks(w, now_ns, me, from, ds, held);
            }
            Msg::DontHave { blocks } => {
                if blocks.is_empty() {
                    return;
                }
                if let Some(d) = self.running(me, ds) {
                    let batch = blocks[0] / self.p.batch_blocks.max(1);
                    self.batch_failed(w, now_ns, d, batch, from, false);
                    self.pump(w, now_ns, d);
                }
            }
            Msg::Cancel { blocks } => self.unqueue(me, from, ds, &blocks),
            Msg::Blocks { blocks } => {
                if let Some(d) = self.active_of(me, ds) {
                    self.receive(w, now_ns, d, from, blocks, env.bytes);
                }
            }
            _ => {}
        }
    }

    /// New peers hear a presence request for the window; the first peers
    /// start the announcements.
    pub(crate) fn rewrite_peers(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        added: &[NodeIx],
    ) {
        let (me, ds, base) = {
            let dl = &self.downloads[d as usize];
            (dl.node, dl.dataset, dl.window_base)
        };
        let end = self.window_end(d);
        for &n in added {
            self.send(w, now_ns, me, n, ds, Msg::WantRange { start: base, end });
        }
        if !added.is_empty() && self.downloads[d as usize].last_range_ask_ns.is_none() {
            self.downloads[d as usize].last_range_ask_ns = Some(now_ns);
            self.arm_announce(now_ns, d);
        }
    }

    fn arm_announce(&mut self, now_ns: u64, d: DownloadIx) {
        let (lo, hi) = (self.p.have_broadcast_min_ns, self.p.have_broadcast_max_ns);
        let wait = lo + self.rng.below(hi - lo + 1);
        self.agenda
            .at(now_ns + wait, Timer::Announce { download: d });
    }

    /// The downloader's own ranges to its peers.
    pub(crate) fn on_announce(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        if self.downloads[d as usize].ended.is_some() {
            return;
        }
        self.announce(w, now_ns, d);
        self.arm_announce(now_ns, d);
    }

    fn announce(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        let dl = &mut self.downloads[d as usize];
        dl.gained_since_have = 0;
        let (me, ds) = (dl.node, dl.dataset);
        let ranges = dl.have.ranges();
        if ranges.is_empty() {
            return;
        }
        let peers: Vec<NodeIx> = dl
            .peers
            .iter()
            .filter(|v| !v.dropped)
            .map(|v| v.node)
            .collect();
        for n in peers {
            self.send(
                w,
                now_ns,
                me,
                n,
                ds,
                Msg::HaveRange {
                    ranges: ranges.clone(),
                    complete: false,
                },
            );
        }
    }

    /// The score of a peer (lower is better).
    fn score(v: &crate::state::PeerView) -> f64 {
        0.30 * v.outstanding as f64 / v.depth.max(1) as f64
            + 0.25 * (1.0 - (v.throughput / (100.0 * MIB_S)).min(1.0))
            + 0.25 * v.rtt_ns as f64 / 500e6
            + 0.20 * (3.0 * v.timeouts as f64 / 15.0).min(1.0)
    }

    /// Issues batches while a peer can take one.
    pub(crate) fn pump(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        let bb = self.p.batch_blocks.max(1);
        loop {
            let dl = &self.downloads[d as usize];
            if dl.ended.is_some() {
                return;
            }
            let end = self.window_end(d);
            let (batch, requeued) = match dl.requeued.front() {
                Some(&b) => (b, true),
                None if dl.next * bb < end => (dl.next, false),
                None => return,
            };
            let (s, e) = self.batch_span(d, batch);
            let missing: BlockList = (s..e).filter(|&b| !dl.have.get(b)).collect();
            if missing.is_empty() || dl.batch_peer.contains_key(&batch) {
                let dl = &mut self.downloads[d as usize];
                if requeued {
                    dl.requeued.pop_front();
                } else {
                    dl.next += 1;
                }
                continue;
            }
            let covering: Vec<usize> = dl
                .peers
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.dropped && (v.complete || covers(&v.ranges, s, e)))
                .map(|(i, _)| i)
                .collect();
            let ready: Vec<usize> = covering
                .iter()
                .copied()
                .filter(|&i| dl.peers[i].outstanding < dl.peers[i].depth)
                .collect();
            if ready.is_empty() {
                if covering.is_empty() {
                    self.ask_ranges(w, now_ns, d);
                }
                return;
            }
            let explore = self.rng.below(100) < self.p.exploration_percent as u64;
            let dl = &self.downloads[d as usize];
            let pick = if explore {
                ready[self.rng.below(ready.len() as u64) as usize]
            } else if let Some(&i) = ready.iter().find(|&&i| dl.peers[i].throughput == 0.0) {
                i
            } else {
                let mut best = ready[0];
                for &i in &ready[1..] {
                    if Self::score(&dl.peers[i]) < Self::score(&dl.peers[best]) {
                        best = i;
                    }
                }
                best
            };
            let bytes = (missing.len() as u64) * self.p.block_bytes as u64;
            let dl = &mut self.downloads[d as usize];
            if requeued {
                dl.requeued.pop_front();
            } else {
                dl.next += 1;
            }
            let v = &mut dl.peers[pick];
            v.outstanding += 1;
            let timeout = if v.throughput > 0.0 {
                let t = 3.0 * (bytes as f64 / v.throughput * 1e9 + v.rtt_ns as f64);
                (t as u64).clamp(self.p.batch_timeout_min_ns, self.p.batch_timeout_max_ns)
            } else {
                self.p.batch_timeout_initial_ns
            };
            let node = v.node;
            self.batch_seq += 1;
            let seq = self.batch_seq;
            dl.batch_peer.insert(batch, (node, now_ns, seq));
            for &b in &missing {
                dl.requested.set(b);
            }
            let (me, ds) = (dl.node, dl.dataset);
            self.send(w, now_ns, me, node, ds, Msg::WantBlock { blocks: missing });
            self.agenda.at(
                now_ns + timeout,
                Timer::Batch {
                    download: d,
                    batch,
                    seq,
                },
            );
        }
    }

    /// No peer covers the next batch: presence from every connected peer,
    /// at most once per retry interval, and discovery.
    fn ask_ranges(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        let wait = self.p.retry_interval_ns.unwrap_or(0);
        let dl = &self.downloads[d as usize];
        if dl.last_range_ask_ns.is_some_and(|t| now_ns < t + wait) {
            return;
        }
        let peers: Vec<NodeIx> = dl
            .peers
            .iter()
            .filter(|v| !v.dropped)
            .map(|v| v.node)
            .collect();
        self.downloads[d as usize].last_range_ask_ns = Some(now_ns);
        self.rewrite_peers(w, now_ns, d, &peers);
        self.lookup_limited(now_ns, d);
        // Look again when the answers can have come.
        self.agenda.at(now_ns + wait, Timer::Fill { download: d });
    }

    /// A batch failed at `node` (a timeout, or DontHave): back to the front.
    fn batch_failed(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        batch: u32,
        node: NodeIx,
        timeout: bool,
    ) {
        let dl = &mut self.downloads[d as usize];
        if dl.batch_peer.get(&batch).map(|x| x.0) != Some(node) {
            return;
        }
        dl.batch_peer.remove(&batch);
        dl.requeued.push_front(batch);
        dl.stats.retries += 1;
        let (s, e) = self.batch_span(d, batch);
        let dl = &mut self.downloads[d as usize];
        for b in s..e {
            dl.requested.clear(b);
        }
        let max = self.p.peer_max_timeouts;
        let (me, ds) = (dl.node, dl.dataset);
        let Some(v) = dl.view(node) else {
            return;
        };
        v.outstanding = v.outstanding.saturating_sub(1);
        let drop = if timeout {
            v.timeouts += 1;
            v.timeouts >= max
        } else {
            // A peer that lacks what it announced loses its ranges.
            v.ranges.clear();
            v.complete = false;
            false
        };
        if timeout {
            let blocks: BlockList = (s..e).collect();
            self.send(w, now_ns, me, node, ds, Msg::Cancel { blocks });
        }
        if drop {
            // Its other batches go back too.
            let theirs: Vec<u32> = self.downloads[d as usize]
                .batch_peer
                .iter()
                .filter(|(_, x)| x.0 == node)
                .map(|(&b, _)| b)
                .collect();
            for b in theirs {
                self.batch_failed(w, now_ns, d, b, node, false);
            }
            self.drop_peer(now_ns, d, node);
        }
    }

    /// A batch's timeout.
    pub(crate) fn on_batch_timeout(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        batch: u32,
        seq: u32,
    ) {
        let dl = &self.downloads[d as usize];
        if dl.ended.is_some() {
            return;
        }
        let Some(&(node, _, s)) = dl.batch_peer.get(&batch) else {
            return;
        };
        if s != seq {
            return;
        }
        self.batch_failed(w, now_ns, d, batch, node, true);
        self.pump(w, now_ns, d);
    }

    /// Blocks arrived and were handled: the batch is done, the peer's
    /// estimates and depth move, the window may advance.
    pub(crate) fn rewrite_blocks(
        &mut self,
        w: &mut Wire,
        now_ns: u64,
        d: DownloadIx,
        from: NodeIx,
        fresh: &[u32],
        bytes: u64,
    ) {
        let bb = self.p.batch_blocks.max(1);
        let (dmin, dmax) = (self.p.depth_min, self.p.depth_max);
        let dl = &mut self.downloads[d as usize];
        dl.gained_since_have += fresh.len() as u32;
        let mut batches: Vec<u32> = fresh.iter().map(|b| b / bb).collect();
        batches.dedup();
        for batch in batches {
            let Some(&(node, asked_ns, _)) = dl.batch_peer.get(&batch) else {
                continue;
            };
            if node != from {
                continue;
            }
            let s = batch * bb;
            let e = ((batch + 1) * bb).min(dl.blocks);
            if !(s..e).all(|b| dl.have.get(b)) {
                continue;
            }
            dl.batch_peer.remove(&batch);
            let Some(&i) = dl.peer_of.get(&from) else {
                continue;
            };
            let v = &mut dl.peers[i as usize];
            v.outstanding = v.outstanding.saturating_sub(1);
            v.timeouts = 0;
            let sample = now_ns - asked_ns;
            v.rtt_ns = if v.rtt_ns == 0 {
                sample
            } else {
                v.rtt_ns.min(sample)
            };
            v.batches_done += 1;
            v.probe_bytes += bytes;
            let elapsed = now_ns.saturating_sub(v.probe_start_ns).max(1);
            v.throughput = v.probe_bytes as f64 * 1e9 / elapsed as f64;
            let stretch = 16u32 << v.reverts.min(6);
            if v.batches_done % stretch == 0 {
                let now_thr = v.throughput;
                if v.probe_prev == 0.0 || now_thr >= v.probe_prev * 1.08 {
                    v.depth = (v.depth + 1).min(dmax);
                } else if now_thr <= v.probe_prev * 0.80 {
                    v.depth = v.depth.saturating_sub(2).max(dmin);
                    v.reverts += 1;
                } else {
                    v.depth = v.depth.saturating_sub(1).max(dmin);
                    v.reverts += 1;
                }
                v.probe_prev = now_thr;
                v.probe_bytes = 0;
                v.probe_start_ns = now_ns;
            }
        }
        if dl.gained_since_have >= 8_192 {
            self.announce(w, now_ns, d);
        }
        // The presence window advances.
        let end = self.window_end(d);
        let dl = &self.downloads[d as usize];
        if end < dl.blocks && dl.next * bb >= end && dl.requeued.is_empty() {
            let base = dl.window_base;
            let held = (base..end).filter(|&b| dl.have.get(b)).count() as u32;
            if held * 100 >= (end - base) * 75 {
                self.downloads[d as usize].window_base = end;
                let peers: Vec<NodeIx> = self.downloads[d as usize]
                    .peers
                    .iter()
                    .filter(|v| !v.dropped)
                    .map(|v| v.node)
                    .collect();
                self.rewrite_peers(w, now_ns, d, &peers);
            }
        }
        self.pump(w, now_ns, d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_cover() {
        let mut r = vec![(0, 4), (10, 12)];
        merge_ranges(&mut r, &[(4, 6), (11, 20), (30, 31)]);
        assert_eq!(r, vec![(0, 6), (10, 20), (30, 31)]);
        assert!(covers(&r, 2, 6));
        assert!(covers(&r, 10, 20));
        assert!(!covers(&r, 5, 11));
        assert!(!covers(&r, 20, 21));
    }
}
