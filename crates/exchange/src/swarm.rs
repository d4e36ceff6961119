//! A swarm on its own: seeders and downloaders, each a host with its own
//! access link (up, down, one-way latency) and disk, joined at one
//! switch; downloads start at given times; nodes may go down and come
//! back. The loop the exchange needs (flow ends, then timers, one flush
//! per instant) and the results: per download, the received-count
//! histogram, traffic by message kind.

use codexsim_engine::dist::Dist;
use codexsim_net::flows::Recompute;
use codexsim_net::topology::HostSpec;
use codexsim_net::{Endpoint, FlowNet, LinkCapacity, Purpose, Topology};
use serde::Serialize;

use crate::params::Params;
use crate::send::Wire;
use crate::state::{Exchange, Outcome, ReceivedHistogram, Traffic, KINDS};

/// One swarm to run.
#[derive(Clone, Debug)]
pub struct SwarmSpec {
    /// The protocol and its constants.
    pub params: Params,
    /// Master seed.
    pub seed: u64,
    /// Nodes holding the whole file from the start.
    pub seeders: u32,
    /// Nodes downloading it.
    pub downloaders: u32,
    /// The file, bytes.
    pub file_bytes: u64,
    /// Every node's access link.
    pub link: LinkCapacity,
    /// Every node's disk reads and writes, bytes per second.
    pub disk_read_bytes_per_s: f64,
    /// See `disk_read_bytes_per_s`.
    pub disk_write_bytes_per_s: f64,
    /// Each connection's own rate limit (`f64::INFINITY`: none).
    pub stream_cap_bytes_per_s: f64,
    /// Downloader `i` starts at `i x start_gap_ns`.
    pub start_gap_ns: u64,
    /// DHT lookups' latency, seconds.
    pub lookup_latency_s: Dist,
    /// Nodes going down (`false`) or up, at times (node index: seeders
    /// first, then downloaders).
    pub changes: Vec<(u64, u32, bool)>,
    /// The run stops here at the latest.
    pub until_ns: u64,
}

/// One download's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DownloadRow {
    /// The node (seeders first, then downloaders).
    pub node: u32,
    /// Start, s.
    pub start_s: f64,
    /// End, s (when it ended).
    pub end_s: Option<f64>,
    /// `end_s - start_s`.
    pub duration_s: Option<f64>,
    /// How it ended ("running" if it had not).
    pub outcome: String,
    /// Distinct blocks received, data bytes.
    pub useful_bytes: u64,
    /// Every block message received, bytes.
    pub block_bytes_received: u64,
    /// Blocks received more than once.
    pub duplicate_blocks: u64,
    /// Control bytes sent and received.
    pub control_bytes_sent: u64,
    /// See `control_bytes_sent`.
    pub control_bytes_received: u64,
    /// Requests sent again.
    pub retries: u64,
    /// Peers dropped.
    pub peers_dropped: u32,
    /// Distinct peers that sent it blocks.
    pub serving_peers: u32,
    /// The most any one peer sent it, bytes.
    pub max_peer_bytes: u64,
}

/// A swarm's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SwarmReport {
    /// The protocol's name.
    pub protocol: String,
    /// Blocks in the file.
    pub blocks: u32,
    /// Per download, in node order.
    pub downloads: Vec<DownloadRow>,
    /// (Download, block) pairs by times received.
    pub received_histogram: ReceivedHistogram,
    /// Bytes by message kind (names of [`crate::MsgKind`]).
    pub traffic_bytes: Vec<(String, u64)>,
    /// Messages by kind.
    pub traffic_messages: Vec<(String, u64)>,
    /// Bytes per peer and download: (downloader, peer, bytes).
    pub peer_bytes: Vec<(u32, u32, u64)>,
    /// Bytes that crossed every node's down link (data flows only).
    pub link_block_bytes: u64,
    /// When the last download ended (or the run stopped, if one had not),
    /// s.
    pub end_s: f64,
    /// Steps of the loop (flow ends, timer instants, changes).
    pub steps: u64,
    /// Peak timers waiting.
    pub peak_timers: usize,
}

impl SwarmReport {
    /// Completed downloads' durations, s, in node order.
    pub fn durations_s(&self) -> Vec<f64> {
        self.downloads.iter().filter_map(|d| d.duration_s).collect()
    }
}

/// A swarm that cannot run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SwarmError {
    /// The exchange broke an invariant.
    #[error("the exchange broke an invariant at {time_s} s: {what}")]
    Invariant {
        /// When.
        time_s: f64,
        /// What.
        what: String,
    },
}

/// Runs a swarm; `check_every_step` checks the invariants after every
/// step (tests), else at the end.
pub fn run(spec: &SwarmSpec, check_every_step: bool) -> Result<SwarmReport, SwarmError> {
    let mut net = FlowNet::new(Recompute::Incremental);
    net.track_finishes();
    net.defer_changes();
    let n = spec.seeders + spec.downloaders;
    let hosts: Vec<HostSpec> = (0..n)
        .map(|_| HostSpec {
            domains: Vec::new(),
            link: spec.link,
            disk_read_bytes_per_s: spec.disk_read_bytes_per_s,
            disk_write_bytes_per_s: spec.disk_write_bytes_per_s,
        })
        .collect();
    let topo = Topology::build(&[], &hosts, LinkCapacity::UNLIMITED, &mut net)
        .expect("a flat topology always builds");
    let mut ex = Exchange::new(
        spec.params.clone(),
        spec.seed,
        spec.lookup_latency_s.clone(),
    );
    for h in 0..n {
        ex.node(Endpoint::Host(h));
    }
    let ds = ex.add_dataset(
        spec.file_bytes,
        Purpose::Canary,
        spec.stream_cap_bytes_per_s,
    );
    for s in 0..spec.seeders {
        ex.seed(s, ds);
    }
    // External events: starts, then changes, in time order.
    let mut external: Vec<(u64, u32, u8)> = Vec::new();
    for i in 0..spec.downloaders {
        external.push((i as u64 * spec.start_gap_ns, spec.seeders + i, 2));
    }
    for &(t, node, up) in &spec.changes {
        external.push((t, node, up as u8));
    }
    external.sort_by_key(|e| e.0);
    let mut next_external = 0;
    let mut started = 0u32;
    let mut ended = 0u32;
    let mut now = 0u64;
    let mut last_end = 0u64;
    let mut steps = 0u64;
    let mut peak_timers = 0usize;
    let mut w = Wire {
        net: &mut net,
        topo: &topo,
    };
    loop {
        if w.net.has_pending() {
            w.net.flush(now);
        }
        let tf = w.net.next_finish();
        let tt = ex.next_timer_ns();
        let te = external.get(next_external).map(|e| e.0);
        let Some(t) = [tf.map(|f| f.0), tt, te].into_iter().flatten().min() else {
            break;
        };
        if t > spec.until_ns {
            break;
        }
        now = t;
        steps += 1;
        if te == Some(t) {
            let (_, node, what) = external[next_external];
            next_external += 1;
            match what {
                2 => {
                    if ex.is_up(node) {
                        ex.start_download(now, node, ds);
                    }
                    started += 1;
                }
                up => ex.set_up(&mut w, now, node, up == 1),
            }
        } else if let Some((f, flow)) = tf.filter(|f| f.0 == t) {
            let _ = f;
            ex.flow_finished(&mut w, now, flow);
        } else {
            ex.fire(&mut w, now);
        }
        peak_timers = peak_timers.max(ex.timers());
        let just_ended = ex.take_ended().len() as u32;
        if just_ended > 0 {
            ended += just_ended;
            last_end = now;
        }
        if check_every_step {
            ex.check().map_err(|what| SwarmError::Invariant {
                time_s: now as f64 / 1e9,
                what,
            })?;
        }
        // Every download over: what is still on its way arrives (and is
        // counted), then the run stops.
        if started == spec.downloaders
            && ended >= started
            && next_external >= external.len()
            && w.net.active_flows() == 0
            && ex.next_timer_ns().is_none()
        {
            break;
        }
    }
    ex.check().map_err(|what| SwarmError::Invariant {
        time_s: now as f64 / 1e9,
        what,
    })?;
    let mut link_block_bytes = 0;
    for h in 0..n {
        let (_, down) = topo.host_link(h);
        link_block_bytes += net.resource_bytes(down)[Purpose::Canary as usize];
    }
    let end = if ended >= spec.downloaders {
        last_end
    } else {
        now
    };
    Ok(report(&ex, end, steps, peak_timers, link_block_bytes))
}

fn report(
    ex: &Exchange,
    now: u64,
    steps: u64,
    peak_timers: usize,
    link_block_bytes: u64,
) -> SwarmReport {
    let s = |ns: u64| ns as f64 / 1e9;
    let mut downloads = Vec::new();
    let mut peer_bytes = Vec::new();
    for d in ex.downloads() {
        let st = &d.stats;
        for (&p, &b) in &st.bytes_by_peer {
            peer_bytes.push((d.node, p, b));
        }
        downloads.push(DownloadRow {
            node: d.node,
            start_s: s(d.started_ns),
            end_s: d.ended.map(|e| s(e.0)),
            duration_s: d
                .ended
                .filter(|e| e.1 == Outcome::Complete)
                .map(|e| s(e.0 - d.started_ns)),
            outcome: d.ended.map_or("running", |e| e.1.name()).to_string(),
            useful_bytes: st.useful_bytes,
            block_bytes_received: st.block_bytes_received,
            duplicate_blocks: st.duplicate_blocks,
            control_bytes_sent: st.control_bytes_sent,
            control_bytes_received: st.control_bytes_received,
            retries: st.retries,
            peers_dropped: st.peers_dropped,
            serving_peers: st.bytes_by_peer.len() as u32,
            max_peer_bytes: st.bytes_by_peer.values().copied().max().unwrap_or(0),
        });
    }
    downloads.sort_by_key(|d| d.node);
    peer_bytes.sort_unstable();
    let t: &Traffic = ex.traffic();
    let kinds = crate::state::MsgKind::ALL;
    let named = |v: &[u64; KINDS]| -> Vec<(String, u64)> {
        kinds
            .iter()
            .map(|k| (k.name().to_string(), v[*k as usize]))
            .collect()
    };
    SwarmReport {
        protocol: ex.protocol().name().to_string(),
        blocks: ex.dataset_blocks(0),
        downloads,
        received_histogram: ex.received_histogram(),
        traffic_bytes: named(&t.bytes),
        traffic_messages: named(&t.messages),
        peer_bytes,
        link_block_bytes,
        end_s: s(now),
        steps,
        peak_timers,
    }
}
