//! `[exchange]` as the exchange's parameters: the protocol's constants
//! from the node, with the file's changes on top. A leaf: no model state.

use codexsim_config::ExchangeConfig;
use codexsim_engine::Dist;
use codexsim_exchange::{Params, Protocol, Window};

/// The parameters and DHT lookup latency (seconds) of `[exchange]` (the
/// defaults, protocol 2026, when there is none).
pub fn exchange_params(x: Option<&ExchangeConfig>) -> (Params, Dist) {
    let Some(x) = x else {
        return (Params::of(Protocol::V2026), Dist::Fixed { value: 0.2 });
    };
    let protocol = Protocol::from_name(&x.protocol).expect("a validated protocol");
    let mut p = Params::of(protocol);
    if let Some(b) = x.block_bytes {
        p.block_bytes = b;
    }
    if let Some(n) = x.window_blocks {
        p.window = match p.window {
            Window::Batches(_) => Window::Batches(n),
            Window::Sliding { refill_percent, .. } => Window::Sliding {
                blocks: n,
                refill_percent,
            },
        };
    }
    let ns = |d: codexsim_engine::SimDuration| d.as_nanos();
    if let Some(d) = x.retry_interval {
        p.retry_interval_ns = Some(ns(d));
    }
    if let Some(d) = x.block_timeout {
        p.block_timeout_ns = ns(d);
    }
    if let Some(d) = x.activity_timeout {
        p.activity_timeout_ns = ns(d);
    }
    if let Some(d) = x.block_handling {
        p.block_handling_ns = ns(d);
    }
    let set = |field: &mut u32, v: Option<u32>| {
        if let Some(v) = v {
            *field = v;
        }
    };
    set(&mut p.max_blocks_per_message, x.max_blocks_per_message);
    set(&mut p.max_peers, x.max_peers);
    set(&mut p.min_peers, x.min_peers);
    set(&mut p.batch_blocks, x.batch_blocks);
    set(&mut p.depth_min, x.depth_min);
    set(&mut p.depth_max, x.depth_max);
    set(&mut p.exploration_percent, x.exploration_percent);
    set(&mut p.piece_blocks, x.piece_blocks);
    set(&mut p.unchoke_slots, x.unchoke_slots);
    set(&mut p.requests_per_peer, x.requests_per_peer);
    if x.depth_min.is_some() && x.depth_max.is_none() {
        p.depth_max = p.depth_max.max(p.depth_min);
    }
    if x.depth_max.is_some() && x.depth_min.is_none() {
        p.depth_min = p.depth_min.min(p.depth_max);
    }
    (p, x.lookup_latency_s.clone())
}

/// A swarm file as the exchange's swarm.
pub fn swarm_spec(cfg: &codexsim_config::SwarmConfig) -> codexsim_exchange::swarm::SwarmSpec {
    let (params, lookup) = exchange_params(Some(&cfg.exchange));
    codexsim_exchange::swarm::SwarmSpec {
        params,
        seed: cfg.seed,
        seeders: cfg.seeders,
        downloaders: cfg.downloaders,
        file_bytes: cfg.file_bytes,
        link: codexsim_net::LinkCapacity {
            up_bytes_per_s: cfg.up_bytes_per_s,
            down_bytes_per_s: cfg.down_bytes_per_s,
            latency_ns: cfg.latency.as_nanos(),
        },
        disk_read_bytes_per_s: cfg.disk_read_bytes_per_s,
        disk_write_bytes_per_s: cfg.disk_write_bytes_per_s,
        stream_cap_bytes_per_s: cfg.stream_cap_bytes_per_s,
        start_gap_ns: cfg.start_gap.as_nanos(),
        lookup_latency_s: lookup,
        changes: cfg
            .changes
            .iter()
            .map(|&(t, n, up)| (t.as_nanos(), n, up))
            .collect(),
        until_ns: cfg.until.as_nanos(),
    }
}
