//! Owns a run directory's series under Codex's metric names, on a wall
//! clock: simulated time 0 is `start_unix_s`. The files are read as their
//! record types in `codexsim_model::output`, which the binary writes with.

use std::collections::BTreeMap;
use std::path::Path;

use codexsim_model::output::{CanaryRecord, FleetSample, NodeSample};
use serde::de::DeserializeOwned;

use crate::{LiveError, Series};

/// A column of a run directory's file: the field of its record type `T`.
pub type Column<T> = fn(&T) -> u64;

/// Fleet counters (a `fleet.csv` column -> metric). Codex's purchase
/// counters keep their names; quantities Codex does not export are
/// `codexsim_*`.
pub const FLEET_COUNTERS: [(Column<FleetSample>, &str); 12] = [
    (
        |s| s.codex_purchases_submitted_total,
        "codex_purchases_submitted",
    ),
    (
        |s| s.codex_purchases_started_total,
        "codex_purchases_started",
    ),
    (
        |s| s.codex_purchases_finished_total,
        "codex_purchases_finished",
    ),
    (
        |s| s.codex_purchases_cancelled_total,
        "codex_purchases_cancelled",
    ),
    (|s| s.codex_purchases_failed_total, "codex_purchases_failed"),
    (|s| s.slots_filled_total, "codexsim_slots_filled"),
    (|s| s.slots_freed_total, "codexsim_slots_freed"),
    (|s| s.slots_repaired_total, "codexsim_slots_repaired"),
    (|s| s.proofs_missed_total, "codexsim_proofs_missed"),
    (|s| s.datasets_lost_total, "codexsim_datasets_lost"),
    (|s| s.bytes_lost_total, "codexsim_bytes_lost"),
    (|s| s.net_repair_bytes_total, "codexsim_repair_bytes"),
];

/// Node gauges (a `nodes.csv` column -> metric).
pub const NODE_GAUGES: [(Column<NodeSample>, &str); 5] = [
    (
        |n| n.codex_repostore_bytes_used,
        "codex_repostore_bytes_used",
    ),
    (
        |n| n.codex_repostore_bytes_reserved,
        "codex_repostore_bytes_reserved",
    ),
    (|n| n.quota_bytes, "codexsim_quota_bytes"),
    (|n| n.up.into(), "codexsim_node_up"),
    (|n| n.slots.into(), "codexsim_slots"),
];

/// Whether a metric is a counter (its samples carry `_total`).
pub fn is_counter(name: &str) -> bool {
    let name = crate::names::snake_case(name);
    FLEET_COUNTERS.iter().any(|(_, m)| *m == name)
}

fn malformed(path: &Path, detail: impl Into<String>) -> LiveError {
    LiveError::Malformed {
        what: path.display().to_string(),
        detail: detail.into(),
    }
}

/// Every row of a CSV file of the run directory, as its record type.
fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, LiveError> {
    let mut r = csv::Reader::from_path(path).map_err(|e| malformed(path, e.to_string()))?;
    let rows: Result<Vec<T>, _> = r.deserialize().collect();
    rows.map_err(|e| malformed(path, e.to_string()))
}

/// Every series of a run directory: fleet counters (`instance="fleet"`),
/// per-node gauges (`instance="node-I"`), and canary transfer durations
/// (`codexsim_canary_upload_seconds`, `..._download_seconds`, one point per
/// completed round, `instance` = the probe node).
pub fn series(run_dir: &Path, start_unix_s: f64) -> Result<Vec<Series>, LiveError> {
    let mut out = Vec::new();
    let label = |v: &str| {
        let mut m = BTreeMap::new();
        m.insert("instance".to_string(), v.to_string());
        m
    };
    let fleet = run_dir.join(FleetSample::FILE);
    if !fleet.is_file() {
        return Err(malformed(
            run_dir,
            format!("not a codexsim run directory (no {})", FleetSample::FILE),
        ));
    }
    let rows: Vec<FleetSample> = read_rows(&fleet)?;
    for (get, metric) in FLEET_COUNTERS {
        out.push(Series {
            name: metric.to_string(),
            labels: label("fleet"),
            points: rows
                .iter()
                .map(|r| (start_unix_s + r.time_s, get(r) as f64))
                .collect(),
        });
    }
    let nodes = run_dir.join(NodeSample::FILE);
    if nodes.is_file() {
        let rows: Vec<NodeSample> = read_rows(&nodes)?;
        let mut by: BTreeMap<(u32, &str), Vec<(f64, f64)>> = BTreeMap::new();
        for r in &rows {
            let time = start_unix_s + r.time_s;
            for (get, metric) in NODE_GAUGES {
                by.entry((r.node, metric))
                    .or_default()
                    .push((time, get(r) as f64));
            }
        }
        // Metric by metric, nodes in order (OpenMetrics groups families).
        for (_, metric) in NODE_GAUGES {
            for ((node, m), points) in &by {
                if *m == metric {
                    out.push(Series {
                        name: metric.to_string(),
                        labels: label(&format!("node-{node}")),
                        points: points.clone(),
                    });
                }
            }
        }
    }
    let canary = run_dir.join(CanaryRecord::FILE);
    if canary.is_file() {
        let rows: Vec<CanaryRecord> = read_rows(&canary)?;
        let mut by: BTreeMap<(&str, String), Vec<(f64, f64)>> = BTreeMap::new();
        for r in &rows {
            let time = start_unix_s + r.time_s;
            if let Some(s) = r.upload_s {
                by.entry(("codexsim_canary_upload_seconds", r.upload_node.to_string()))
                    .or_default()
                    .push((time, s));
            }
            if let Some(s) = r.download_s {
                by.entry((
                    "codexsim_canary_download_seconds",
                    r.download_node.to_string(),
                ))
                .or_default()
                .push((time, s));
            }
        }
        for ((metric, node), points) in by {
            out.push(Series {
                name: metric.to_string(),
                labels: label(&format!("node-{node}")),
                points,
            });
        }
    }
    Ok(out)
}
