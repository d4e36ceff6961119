//! Discovery: DHT lookups (a drawn latency, the dataset's providers that
//! are up), the discovery loop, connections (both ways), dropping a peer
//! that does not answer.

use crate::params::Protocol;
use crate::send::Wire;
use crate::state::{DownloadIx, Exchange, NodeIx, PeerView, Timer};

impl Exchange {
    pub(crate) fn lookup(&mut self, now_ns: u64, d: DownloadIx) {
        let dl = &mut self.downloads[d as usize];
        if dl.lookup_pending || dl.ended.is_some() {
            return;
        }
        dl.lookup_pending = true;
        dl.last_lookup_ns = Some(now_ns);
        let s = self.lookup_latency.sample(&mut self.rng).max(0.0);
        let at = now_ns + (s * 1e9).round() as u64;
        self.agenda.at(at, Timer::Lookup { download: d });
    }

    /// Asks the DHT again unless asked within the discovery interval.
    pub(crate) fn lookup_limited(&mut self, now_ns: u64, d: DownloadIx) {
        let last = self.downloads[d as usize].last_lookup_ns;
        if last.is_none_or(|t| now_ns >= t + self.p.discovery_interval_ns) {
            self.lookup(now_ns, d);
        }
    }

    pub(crate) fn on_lookup(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx) {
        let dl = &mut self.downloads[d as usize];
        dl.lookup_pending = false;
        if dl.ended.is_some() {
            return;
        }
        let (node, ds) = (dl.node, dl.dataset);
        let found: Vec<NodeIx> = self.datasets[ds as usize]
            .providers
            .iter()
            .copied()
            .filter(|&n| n != node && self.nodes[n as usize].up)
            .collect();
        self.connect(w, now_ns, d, &found);
    }

    /// Live peers (neither dropped nor known gone).
    pub(crate) fn live_peers(&self, d: DownloadIx) -> usize {
        self.downloads[d as usize]
            .peers
            .iter()
            .filter(|p| !p.dropped)
            .count()
    }

    pub(crate) fn on_discover(&mut self, now_ns: u64, d: DownloadIx) {
        if self.downloads[d as usize].ended.is_some() {
            return;
        }
        if self.live_peers(d) < self.p.min_peers as usize {
            self.lookup(now_ns, d);
        }
        self.agenda.at(
            now_ns + self.p.discovery_interval_ns,
            Timer::Discover { download: d },
        );
    }

    /// Connects download `d` to `found` (up to the peer limit); a peer that
    /// downloads the same dataset sees the connection too.
    pub(crate) fn connect(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, found: &[NodeIx]) {
        let (node, ds) = {
            let dl = &self.downloads[d as usize];
            (dl.node, dl.dataset)
        };
        let mut added = Vec::new();
        for &n in found {
            let max = self.p.max_peers as usize;
            if max > 0 && self.live_peers(d) >= max {
                break;
            }
            if self.add_view(d, n, now_ns) {
                added.push(n);
                self.links.insert((node, n));
                self.links.insert((n, node));
                if let Some(pd) = self.active_of(n, ds) {
                    if self.downloads[pd as usize].ended.is_none()
                        && self.add_view(pd, node, now_ns)
                    {
                        self.peer_added(w, now_ns, pd, &[node]);
                    }
                }
            }
        }
        if !added.is_empty() || self.downloads[d as usize].peers.is_empty() {
            self.peer_added(w, now_ns, d, &added);
        }
    }

    /// Adds `n` to `d`'s peers (again, if it was dropped); whether it was
    /// new or back.
    fn add_view(&mut self, d: DownloadIx, n: NodeIx, now_ns: u64) -> bool {
        let depth = self.p.depth_min;
        let dl = &mut self.downloads[d as usize];
        if let Some(v) = dl.view(n) {
            if !v.dropped {
                return false;
            }
            v.dropped = false;
            v.timeouts = 0;
            v.last_block_ns = now_ns;
            return true;
        }
        dl.peer_of.insert(n, dl.peers.len() as u32);
        dl.peers.push(PeerView {
            node: n,
            depth,
            last_block_ns: now_ns,
            probe_start_ns: now_ns,
            ..PeerView::default()
        });
        true
    }

    fn peer_added(&mut self, w: &mut Wire, now_ns: u64, d: DownloadIx, added: &[NodeIx]) {
        match self.p.protocol {
            Protocol::V01 | Protocol::V02 | Protocol::V2511 => {
                self.legacy_peers(w, now_ns, d, added)
            }
            Protocol::V2026 => self.rewrite_peers(w, now_ns, d, added),
            Protocol::BitTorrent => self.bt_peers(w, now_ns, d, added),
        }
    }

    /// A download drops a peer that does not answer; discovery looks for
    /// others.
    pub(crate) fn drop_peer(&mut self, now_ns: u64, d: DownloadIx, n: NodeIx) {
        if let Some(v) = self.downloads[d as usize].view(n) {
            if !v.dropped {
                v.dropped = true;
                v.outstanding = 0;
                v.known.clear();
                v.ranges.clear();
                v.complete = false;
                self.downloads[d as usize].stats.peers_dropped += 1;
            }
        }
        self.lookup_limited(now_ns, d);
    }
}
