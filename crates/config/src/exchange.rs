//! The block exchange's configuration: `[exchange]` (the protocol and any
//! constant that differs from the node's), the block model's switches
//! (`[canary] model`, `[transfers] model`), and swarm files (`codexsim
//! swarm`: `[run]`, `[exchange]`, `[swarm]`).

use std::path::Path;

use codexsim_engine::{Dist, SimDuration};
use serde::{Deserialize, Serialize};

use crate::dist::RawDist;
use crate::error::LoadError;
use crate::units::RawQuantity;
use crate::validate::{Ctx, Unit};

/// The protocols' names, in order (the exchange crate's `Protocol` names).
pub const PROTOCOLS: [&str; 5] = ["v0.1", "v0.2", "2025-11", "2026", "bittorrent"];

/// `[exchange]` as written: the protocol, and any of its constants to
/// change (each defaults to the node's value for the protocol).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawExchange {
    /// `"v0.1"`, `"v0.2"`, `"2025-11"`, `"2026"` (the default) or
    /// `"bittorrent"`.
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// A DHT lookup's latency (a distribution). Default 200 ms.
    #[serde(default = "default_lookup")]
    pub lookup_latency_s: RawDist,
    /// Block size (64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_bytes: Option<RawQuantity>,
    /// Blocks wanted at once: the batch (v0.1: 1, v0.2: 10) or the sliding
    /// window (2025-11: 1,024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_blocks: Option<i64>,
    /// A block not arrived is asked again after this long (v0.2: 500 ms,
    /// 2025-11 and 2026: 2 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval_s: Option<RawQuantity>,
    /// v0.1: a request unanswered this long fails the download (10 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_timeout_s: Option<RawQuantity>,
    /// 2025-11: a peer silent this long with requests outstanding is
    /// dropped (1 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_timeout_s: Option<RawQuantity>,
    /// Blocks per delivery message at most (2025-11: 20; 0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_blocks_per_message: Option<i64>,
    /// A download's peers at most (0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_peers: Option<i64>,
    /// Discovery looks again while fewer peers are connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_peers: Option<i64>,
    /// The downloader's handling of each received block (validation,
    /// storing), one block at a time. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_handling_s: Option<RawQuantity>,
    /// 2026: blocks per batch (2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_blocks: Option<i64>,
    /// 2026: pipeline depth per peer, lowest and highest (2, 128).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_min: Option<i64>,
    /// See `depth_min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_max: Option<i64>,
    /// 2026: a random peer this share of the time, percent (20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploration_percent: Option<i64>,
    /// BitTorrent: blocks per piece (4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub piece_blocks: Option<i64>,
    /// BitTorrent: regular unchoke slots (4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchoke_slots: Option<i64>,
    /// BitTorrent: pieces asked of one peer at once (5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_peer: Option<i64>,
}

impl Default for RawExchange {
    fn default() -> Self {
        RawExchange {
            protocol: default_protocol(),
            lookup_latency_s: default_lookup(),
            block_bytes: None,
            window_blocks: None,
            retry_interval_s: None,
            block_timeout_s: None,
            activity_timeout_s: None,
            max_blocks_per_message: None,
            max_peers: None,
            min_peers: None,
            block_handling_s: None,
            batch_blocks: None,
            depth_min: None,
            depth_max: None,
            exploration_percent: None,
            piece_blocks: None,
            unchoke_slots: None,
            requests_per_peer: None,
        }
    }
}

fn default_protocol() -> String {
    "2026".into()
}
fn default_lookup() -> RawDist {
    RawDist::Scalar(RawQuantity::Text("200 ms".into()))
}

/// `[exchange]`, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ExchangeConfig {
    /// One of [`PROTOCOLS`].
    pub protocol: String,
    /// DHT lookups' latency, seconds.
    pub lookup_latency_s: Dist,
    /// Block size.
    pub block_bytes: Option<u32>,
    /// See [`RawExchange::window_blocks`].
    pub window_blocks: Option<u32>,
    /// See [`RawExchange::retry_interval_s`].
    pub retry_interval: Option<SimDuration>,
    /// See [`RawExchange::block_timeout_s`].
    pub block_timeout: Option<SimDuration>,
    /// See [`RawExchange::activity_timeout_s`].
    pub activity_timeout: Option<SimDuration>,
    /// See [`RawExchange::max_blocks_per_message`].
    pub max_blocks_per_message: Option<u32>,
    /// See [`RawExchange::max_peers`].
    pub max_peers: Option<u32>,
    /// See [`RawExchange::min_peers`].
    pub min_peers: Option<u32>,
    /// See [`RawExchange::block_handling_s`].
    pub block_handling: Option<SimDuration>,
    /// See [`RawExchange::batch_blocks`].
    pub batch_blocks: Option<u32>,
    /// See [`RawExchange::depth_min`].
    pub depth_min: Option<u32>,
    /// See [`RawExchange::depth_max`].
    pub depth_max: Option<u32>,
    /// See [`RawExchange::exploration_percent`].
    pub exploration_percent: Option<u32>,
    /// See [`RawExchange::piece_blocks`].
    pub piece_blocks: Option<u32>,
    /// See [`RawExchange::unchoke_slots`].
    pub unchoke_slots: Option<u32>,
    /// See [`RawExchange::requests_per_peer`].
    pub requests_per_peer: Option<u32>,
}

/// Validates `[exchange]`.
pub fn validate_exchange(c: &mut Ctx, x: &RawExchange) -> Option<ExchangeConfig> {
    let mut ok = true;
    if !PROTOCOLS.contains(&x.protocol.as_str()) {
        let names: Vec<String> = PROTOCOLS.iter().map(|n| format!("{n:?}")).collect();
        c.errors.push(
            "exchange.protocol",
            format!("{:?}", x.protocol),
            format!("must be one of {}", names.join(", ")),
        );
        ok = false;
    }
    let lookup = c.dist(
        "exchange.lookup_latency_s",
        &x.lookup_latency_s,
        Unit::Seconds,
    );
    let mut int = |c: &mut Ctx, name: &str, v: Option<i64>, min: i64, max: i64| -> Option<u32> {
        let v = v?;
        let r = c
            .int_in(&format!("exchange.{name}"), v, min, max)
            .map(|v| v as u32);
        ok &= r.is_some();
        r
    };
    let window_blocks = int(c, "window_blocks", x.window_blocks, 1, 1 << 20);
    let max_blocks_per_message = int(
        c,
        "max_blocks_per_message",
        x.max_blocks_per_message,
        0,
        1 << 20,
    );
    let max_peers = int(c, "max_peers", x.max_peers, 0, 100_000);
    let min_peers = int(c, "min_peers", x.min_peers, 0, 100_000);
    let batch_blocks = int(c, "batch_blocks", x.batch_blocks, 1, 1 << 16);
    let depth_min = int(c, "depth_min", x.depth_min, 1, 1 << 16);
    let depth_max = int(c, "depth_max", x.depth_max, 1, 1 << 16);
    let exploration_percent = int(c, "exploration_percent", x.exploration_percent, 0, 100);
    let piece_blocks = int(c, "piece_blocks", x.piece_blocks, 1, 1 << 16);
    let unchoke_slots = int(c, "unchoke_slots", x.unchoke_slots, 1, 1_000);
    let requests_per_peer = int(c, "requests_per_peer", x.requests_per_peer, 1, 1 << 16);
    if let (Some(lo), Some(hi)) = (depth_min, depth_max) {
        if lo > hi {
            c.errors.push(
                "exchange.depth_min",
                lo.to_string(),
                format!("must be at most exchange.depth_max ({hi})"),
            );
            ok = false;
        }
    }
    let block_bytes = match &x.block_bytes {
        Some(q) => match c.bytes("exchange.block_bytes", q, 1) {
            Some(b) if b <= 16 << 20 => Some(b as u32),
            Some(b) => {
                c.errors.push(
                    "exchange.block_bytes",
                    b.to_string(),
                    "must be at most 16 MiB (the node's blocks are 4 KiB to 512 KiB)",
                );
                ok = false;
                None
            }
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    let mut dur = |c: &mut Ctx, name: &str, q: &Option<RawQuantity>, min: SimDuration| {
        let q = q.as_ref()?;
        let r = c.duration(&format!("exchange.{name}"), q, min);
        ok &= r.is_some();
        r
    };
    let one_ns = SimDuration::from_nanos(1);
    let retry_interval = dur(c, "retry_interval_s", &x.retry_interval_s, one_ns);
    let block_timeout = dur(c, "block_timeout_s", &x.block_timeout_s, one_ns);
    let activity_timeout = dur(c, "activity_timeout_s", &x.activity_timeout_s, one_ns);
    let block_handling = dur(
        c,
        "block_handling_s",
        &x.block_handling_s,
        SimDuration::ZERO,
    );
    if !ok {
        return None;
    }
    Some(ExchangeConfig {
        protocol: x.protocol.clone(),
        lookup_latency_s: lookup?,
        block_bytes,
        window_blocks,
        retry_interval,
        block_timeout,
        activity_timeout,
        max_blocks_per_message,
        max_peers,
        min_peers,
        block_handling,
        batch_blocks,
        depth_min,
        depth_max,
        exploration_percent,
        piece_blocks,
        unchoke_slots,
        requests_per_peer,
    })
}

/// How a kind of transfer moves its data: `"fluid"` (one flow at the
/// transfer's cap, the default) or `"blocks"` (the block exchange).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferModel {
    /// One fluid flow per part.
    Fluid,
    /// Block exchange (`[exchange]`).
    Blocks,
}

/// The transfer models' names.
pub const TRANSFER_MODELS: [(&str, TransferModel); 2] = [
    ("fluid", TransferModel::Fluid),
    ("blocks", TransferModel::Blocks),
];

/// `[transfers]` as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransfers {
    /// How fills and repairs move their data: `"fluid"` (default) or
    /// `"blocks"`.
    #[serde(default = "default_model")]
    pub model: String,
}

fn default_model() -> String {
    "fluid".into()
}

/// The model of a name, or an error listing the names.
pub fn transfer_model(c: &mut Ctx, path: &str, name: &str) -> Option<TransferModel> {
    if let Some((_, m)) = TRANSFER_MODELS.iter().find(|(n, _)| *n == name) {
        return Some(*m);
    }
    c.errors.push(
        path,
        format!("{name:?}"),
        "must be one of \"fluid\", \"blocks\"",
    );
    None
}

// ------------------------------------------------------------ swarm files

/// A swarm file as written.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSwarmFile {
    /// A short name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `[run]`: the seed.
    #[serde(default)]
    pub run: RawSwarmRun,
    /// The protocol.
    #[serde(default)]
    pub exchange: RawExchange,
    /// The swarm.
    #[serde(default)]
    pub swarm: RawSwarm,
}

/// `[run]` of a swarm file.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSwarmRun {
    /// Master seed (>= 0). Default 1.
    pub seed: i64,
    /// The run stops here at the latest. Default 1 day.
    pub until_s: RawQuantity,
}

impl Default for RawSwarmRun {
    fn default() -> Self {
        RawSwarmRun {
            seed: 1,
            until_s: RawQuantity::Text("1 day".into()),
        }
    }
}

/// `[swarm]`: seeders and downloaders on one switch.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSwarm {
    /// Nodes holding the file from the start. Default 1.
    pub seeders: i64,
    /// Nodes downloading it. Default 20.
    pub downloaders: i64,
    /// The file. Default 1 GiB.
    pub file_bytes: RawQuantity,
    /// Every node's upload. Default 1 Gbit/s (125 MB).
    pub up_bytes_per_s: RawQuantity,
    /// Every node's download. Default 125 MB.
    pub down_bytes_per_s: RawQuantity,
    /// One-way latency of every node's link (a node-to-node path crosses
    /// two). Default 5 ms.
    pub latency_s: RawQuantity,
    /// Disk reads and writes per node. Default unlimited (0 means
    /// unlimited).
    pub disk_read_bytes_per_s: RawQuantity,
    /// See `disk_read_bytes_per_s`.
    pub disk_write_bytes_per_s: RawQuantity,
    /// Each connection's own rate limit (the node's software); 0 for none.
    pub stream_cap_bytes_per_s: RawQuantity,
    /// Downloader i starts at i x this. Default 0 (all at once).
    pub start_gap_s: RawQuantity,
    /// Nodes going down or up: `{ time_s, node, up }` (node: seeders first,
    /// then downloaders).
    pub changes: Vec<RawChange>,
}

impl Default for RawSwarm {
    fn default() -> Self {
        let t = |s: &str| RawQuantity::Text(s.into());
        RawSwarm {
            seeders: 1,
            downloaders: 20,
            file_bytes: t("1 GiB"),
            up_bytes_per_s: t("125 MB"),
            down_bytes_per_s: t("125 MB"),
            latency_s: t("5 ms"),
            disk_read_bytes_per_s: RawQuantity::Int(0),
            disk_write_bytes_per_s: RawQuantity::Int(0),
            stream_cap_bytes_per_s: RawQuantity::Int(0),
            start_gap_s: RawQuantity::Int(0),
            changes: Vec::new(),
        }
    }
}

/// A node going down or coming back.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    /// When.
    pub time_s: RawQuantity,
    /// Which node (seeders first, then downloaders).
    pub node: i64,
    /// `false`: down; `true`: back up.
    pub up: bool,
}

/// A swarm file, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct SwarmConfig {
    /// The file as parsed, every default filled in.
    pub source: RawSwarmFile,
    /// Master seed.
    pub seed: u64,
    /// The horizon.
    pub until: SimDuration,
    /// The protocol.
    pub exchange: ExchangeConfig,
    /// Seeders, downloaders.
    pub seeders: u32,
    /// See `seeders`.
    pub downloaders: u32,
    /// The file.
    pub file_bytes: u64,
    /// Link capacities (bytes/s) and one-way latency.
    pub up_bytes_per_s: f64,
    /// See `up_bytes_per_s`.
    pub down_bytes_per_s: f64,
    /// See `up_bytes_per_s`.
    pub latency: SimDuration,
    /// Disk rates, `f64::INFINITY` for unlimited.
    pub disk_read_bytes_per_s: f64,
    /// See `disk_read_bytes_per_s`.
    pub disk_write_bytes_per_s: f64,
    /// A connection's own limit, `f64::INFINITY` for none.
    pub stream_cap_bytes_per_s: f64,
    /// Between starts.
    pub start_gap: SimDuration,
    /// (time, node, up).
    pub changes: Vec<(SimDuration, u32, bool)>,
}

impl SwarmConfig {
    /// The file with every default filled in.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.source).expect("a raw swarm always serializes")
    }
}

/// Validates a swarm file.
pub fn validate_swarm(raw: &RawSwarmFile) -> Result<SwarmConfig, crate::ConfigErrors> {
    let mut c = Ctx::default();
    let c = &mut c;
    let seed = c
        .int_in("run.seed", raw.run.seed, 0, i64::MAX)
        .map(|v| v as u64);
    let until = c.duration("run.until_s", &raw.run.until_s, SimDuration::from_nanos(1));
    let exchange = validate_exchange(c, &raw.exchange);
    let s = &raw.swarm;
    let seeders = c
        .int_in("swarm.seeders", s.seeders, 1, 100_000)
        .map(|v| v as u32);
    let downloaders = c
        .int_in("swarm.downloaders", s.downloaders, 1, 100_000)
        .map(|v| v as u32);
    let file = c.bytes("swarm.file_bytes", &s.file_bytes, 1);
    if let (Some(f), Some(x)) = (file, &exchange) {
        let block = x.block_bytes.unwrap_or(65_536) as u64;
        if f.div_ceil(block) > u32::MAX as u64 / 2 {
            c.errors.push(
                "swarm.file_bytes",
                f.to_string(),
                format!("must be at most {} blocks of {block} bytes", u32::MAX / 2),
            );
        }
    }
    let up = c.bytes("swarm.up_bytes_per_s", &s.up_bytes_per_s, 1);
    let down = c.bytes("swarm.down_bytes_per_s", &s.down_bytes_per_s, 1);
    let latency = c.duration("swarm.latency_s", &s.latency_s, SimDuration::ZERO);
    let unlimited = |v: Option<u64>| v.map(|b| if b == 0 { f64::INFINITY } else { b as f64 });
    let dr = unlimited(c.bytes("swarm.disk_read_bytes_per_s", &s.disk_read_bytes_per_s, 0));
    let dw = unlimited(c.bytes("swarm.disk_write_bytes_per_s", &s.disk_write_bytes_per_s, 0));
    let cap = unlimited(c.bytes("swarm.stream_cap_bytes_per_s", &s.stream_cap_bytes_per_s, 0));
    let gap = c.duration("swarm.start_gap_s", &s.start_gap_s, SimDuration::ZERO);
    let nodes = s.seeders.max(0) + s.downloaders.max(0);
    let mut changes = Vec::new();
    for (j, ch) in s.changes.iter().enumerate() {
        let t = c.duration(
            &format!("swarm.changes[{j}].time_s"),
            &ch.time_s,
            SimDuration::ZERO,
        );
        if ch.node < 0 || ch.node >= nodes {
            c.errors.push(
                format!("swarm.changes[{j}].node"),
                ch.node.to_string(),
                format!("must be a node index below the swarm's {nodes} nodes (seeders first)"),
            );
        } else if let Some(t) = t {
            changes.push((t, ch.node as u32, ch.up));
        }
    }
    if !c.errors.is_empty() {
        return Err(std::mem::take(&mut c.errors));
    }
    Ok(SwarmConfig {
        source: raw.clone(),
        seed: seed.expect("validated"),
        until: until.expect("validated"),
        exchange: exchange.expect("validated"),
        seeders: seeders.expect("validated"),
        downloaders: downloaders.expect("validated"),
        file_bytes: file.expect("validated"),
        up_bytes_per_s: up.expect("validated") as f64,
        down_bytes_per_s: down.expect("validated") as f64,
        latency: latency.expect("validated"),
        disk_read_bytes_per_s: dr.expect("validated"),
        disk_write_bytes_per_s: dw.expect("validated"),
        stream_cap_bytes_per_s: cap.expect("validated"),
        start_gap: gap.expect("validated"),
        changes,
    })
}

/// Parses and validates a swarm file's text.
pub fn parse_swarm(text: &str, origin: &str) -> Result<SwarmConfig, LoadError> {
    let raw: RawSwarmFile = crate::parse_toml(text, origin)?;
    validate_swarm(&raw).map_err(|errors| LoadError::Invalid {
        origin: origin.to_string(),
        errors,
    })
}

/// Reads, parses and validates a swarm file.
pub fn load_swarm(path: &Path) -> Result<SwarmConfig, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_swarm(&text, &path.display().to_string())
}
