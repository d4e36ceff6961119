//! A run's work and output, estimated from its configuration and bounded
//! before it starts: a configuration that would run for ever or write
//! gigabytes by mistake (a 1 ns sampling interval, a million nodes) is
//! refused, naming the keys, unless the user raises the limit
//! (`[run] max_*`).

use codexsim_engine::SimDuration;

use super::super::{RawRun, Scenario};
use crate::validate::Ctx;

/// Default `run.max_nodes`.
pub const DEFAULT_MAX_NODES: u64 = 20_000;
/// Default `run.max_arrivals`.
pub const DEFAULT_MAX_ARRIVALS: u64 = 100_000_000;
/// Default `run.max_series_rows`.
pub const DEFAULT_MAX_SERIES_ROWS: u64 = 50_000_000;
/// Default `run.max_canary_rounds`.
pub const DEFAULT_MAX_CANARY_ROUNDS: u64 = 10_000_000;

/// Bytes per row of each series file, about (measured on the shipped
/// scenarios, counters of a few TB).
const NODE_ROW_BYTES: f64 = 130.0;
const FLEET_ROW_BYTES: f64 = 290.0;
const LINK_ROW_BYTES: f64 = 50.0;
const CANARY_ROW_BYTES: f64 = 55.0;

/// What a run will do and write, estimated from its configuration (expected
/// values: random arrivals at their mean rate, no stop before the horizon).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkEstimate {
    /// Storage nodes.
    pub nodes: u64,
    /// Arrivals of new requests (random and fixed).
    pub arrivals: f64,
    /// Time-series samples (`fleet.csv` rows).
    pub samples: f64,
    /// `nodes.csv` rows.
    pub node_rows: f64,
    /// `links.csv` rows.
    pub link_rows: f64,
    /// Canary rounds.
    pub canary_rounds: f64,
    /// `canary.csv` rows.
    pub canary_rows: f64,
}

impl WorkEstimate {
    /// Every series row: fleet, nodes and links.
    pub fn series_rows(&self) -> f64 {
        self.samples + self.node_rows + self.link_rows
    }

    /// The bytes of the series files, about.
    pub fn output_bytes(&self) -> f64 {
        self.samples * FLEET_ROW_BYTES
            + self.node_rows * NODE_ROW_BYTES
            + self.link_rows * LINK_ROW_BYTES
            + self.canary_rows * CANARY_ROW_BYTES
    }
}

fn ratio(a: SimDuration, b: SimDuration) -> f64 {
    a.as_nanos() as f64 / b.as_nanos().max(1) as f64
}

impl Scenario {
    /// The run's work and output, estimated from the configuration.
    pub fn work_estimate(&self) -> WorkEstimate {
        let duration = self.run.duration;
        let nodes: u64 = self.node_groups.iter().map(|g| g.count as u64).sum();
        let w = &self.workload;
        let mean_s = w.interarrival_s.mean();
        let mut random = if mean_s > 0.0 {
            duration.as_secs_f64() / mean_s
        } else {
            f64::INFINITY
        };
        if let Some(max) = w.max_datasets {
            random = random.min(max as f64);
        }
        let arrivals = random + w.arrival_times.len() as f64;
        let samples = (ratio(duration, self.run.series_interval)).floor() + 2.0;
        let node_rows = if self.run.per_node_series {
            samples * nodes as f64
        } else {
            0.0
        };
        let links: u64 = self.domain_levels.iter().map(|l| 2 * l.count as u64).sum();
        let link_rows = samples * links as f64;
        let (canary_rounds, canary_rows) = match &self.canary {
            Some(k) => {
                let left =
                    SimDuration::from_nanos(duration.as_nanos().saturating_sub(k.start.as_nanos()));
                let rounds = ratio(left, k.interval).floor() + 1.0;
                // An upload and a download per probe node and round.
                (rounds, rounds * 2.0 * k.nodes.len() as f64)
            }
            None => (0.0, 0.0),
        };
        WorkEstimate {
            nodes,
            arrivals,
            samples,
            node_rows,
            link_rows,
            canary_rounds,
            canary_rows,
        }
    }
}

/// A limit key's value, or its default.
fn limit(c: &mut Ctx, key: &str, v: Option<i64>, default: u64) -> Option<u64> {
    match v {
        None => Some(default),
        Some(v) => c.int_in(key, v, 1, i64::MAX).map(|v| v as u64),
    }
}

/// Refuses a run whose estimated work is past a limit of `[run]`.
pub(super) fn check(c: &mut Ctx, s: &Scenario, r: &RawRun) {
    let e = s.work_estimate();
    let max_nodes = limit(c, "run.max_nodes", r.max_nodes, DEFAULT_MAX_NODES);
    let max_arrivals = limit(c, "run.max_arrivals", r.max_arrivals, DEFAULT_MAX_ARRIVALS);
    let max_rows = limit(
        c,
        "run.max_series_rows",
        r.max_series_rows,
        DEFAULT_MAX_SERIES_ROWS,
    );
    let max_rounds = limit(
        c,
        "run.max_canary_rounds",
        r.max_canary_rounds,
        DEFAULT_MAX_CANARY_ROUNDS,
    );
    let raise = |key: &str, max: u64| format!("past {key} = {max} (raise {key} to allow it)");
    if let Some(max) = max_nodes {
        if e.nodes > max {
            c.errors.push(
                "node_groups[].count",
                format!("{} nodes in all", e.nodes),
                raise("run.max_nodes", max),
            );
        }
        for (i, l) in s.domain_levels.iter().enumerate() {
            if l.count as u64 > max {
                c.errors.push(
                    format!("domain_levels[{i}].count"),
                    l.count,
                    raise("run.max_nodes", max),
                );
            }
        }
    }
    if let Some(max) = max_arrivals {
        if e.arrivals > max as f64 {
            c.errors.push(
                "workload.interarrival_s",
                format!(
                    "mean {} s over run.duration_s = {}",
                    s.workload.interarrival_s.mean(),
                    s.run.duration
                ),
                format!(
                    "means about {:.3e} arrivals, {}",
                    e.arrivals,
                    raise("run.max_arrivals", max)
                ),
            );
        }
    }
    if let Some(max) = max_rows {
        if e.series_rows() > max as f64 {
            c.errors.push(
                "run.series_interval_s",
                s.run.series_interval,
                format!(
                    "means about {:.3e} time-series rows over run.duration_s = {} ({:.3e} samples \
                     x {} nodes and {} link directions; about {}), {}",
                    e.series_rows(),
                    s.run.duration,
                    e.samples,
                    if s.run.per_node_series { e.nodes } else { 0 },
                    (e.link_rows / e.samples) as u64,
                    human_bytes(e.output_bytes()),
                    raise("run.max_series_rows", max)
                ),
            );
        }
    }
    if let (Some(max), Some(k)) = (max_rounds, &s.canary) {
        if e.canary_rounds > max as f64 {
            c.errors.push(
                "canary.interval_s",
                k.interval,
                format!(
                    "means about {:.3e} canary rounds over run.duration_s = {}, {}",
                    e.canary_rounds,
                    s.run.duration,
                    raise("run.max_canary_rounds", max)
                ),
            );
        }
    }
}

/// Bytes for people: "1.9 GB".
pub fn human_bytes(b: f64) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (name, scale) in UNITS {
        if b >= scale {
            return format!("{:.1} {name}", b / scale);
        }
    }
    format!("{b:.0} B")
}
