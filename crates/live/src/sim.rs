//! A run directory's series under Codex's metric names, on a wall clock:
//! simulated time 0 is `start_unix_s`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{LiveError, Series};

/// Fleet counters (fleet.csv column -> metric). Codex's purchase counters
/// keep their names; quantities Codex does not export are `codexsim_*`.
pub const FLEET_COUNTERS: [(&str, &str); 12] = [
    (
        "codex_purchases_submitted_total",
        "codex_purchases_submitted",
    ),
    ("codex_purchases_started_total", "codex_purchases_started"),
    ("codex_purchases_finished_total", "codex_purchases_finished"),
    (
        "codex_purchases_cancelled_total",
        "codex_purchases_cancelled",
    ),
    ("codex_purchases_failed_total", "codex_purchases_failed"),
    ("slots_filled_total", "codexsim_slots_filled"),
    ("slots_freed_total", "codexsim_slots_freed"),
    ("slots_repaired_total", "codexsim_slots_repaired"),
    ("proofs_missed_total", "codexsim_proofs_missed"),
    ("datasets_lost_total", "codexsim_datasets_lost"),
    ("bytes_lost_total", "codexsim_bytes_lost"),
    ("net_repair_bytes_total", "codexsim_repair_bytes"),
];

/// Node gauges (nodes.csv column -> metric).
pub const NODE_GAUGES: [(&str, &str); 5] = [
    ("codex_repostore_bytes_used", "codex_repostore_bytes_used"),
    (
        "codex_repostore_bytes_reserved",
        "codex_repostore_bytes_reserved",
    ),
    ("quota_bytes", "codexsim_quota_bytes"),
    ("up", "codexsim_node_up"),
    ("slots", "codexsim_slots"),
];

/// Whether a metric is a counter (its samples carry `_total`).
pub fn is_counter(name: &str) -> bool {
    FLEET_COUNTERS.iter().any(|(_, m)| *m == name)
}

fn malformed(path: &Path, detail: impl Into<String>) -> LiveError {
    LiveError::Malformed {
        what: path.display().to_string(),
        detail: detail.into(),
    }
}

fn read_table(path: &Path) -> Result<(Vec<String>, Vec<csv::StringRecord>), LiveError> {
    let mut r = csv::Reader::from_path(path).map_err(|e| malformed(path, e.to_string()))?;
    let header = r
        .headers()
        .map_err(|e| malformed(path, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let rows: Result<Vec<_>, _> = r.records().collect();
    Ok((header, rows.map_err(|e| malformed(path, e.to_string()))?))
}

fn num(path: &Path, v: &str) -> Result<f64, LiveError> {
    v.parse()
        .map_err(|_| malformed(path, format!("{v:?} is not a number")))
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
    let fleet = run_dir.join("fleet.csv");
    if !fleet.is_file() {
        return Err(malformed(
            run_dir,
            "not a codexsim run directory (no fleet.csv)",
        ));
    }
    let (header, rows) = read_table(&fleet)?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let t = col("time_s").ok_or_else(|| malformed(&fleet, "no time_s column"))?;
    for (column, metric) in FLEET_COUNTERS {
        let Some(c) = col(column) else { continue };
        let mut points = Vec::with_capacity(rows.len());
        for r in &rows {
            points.push((start_unix_s + num(&fleet, &r[t])?, num(&fleet, &r[c])?));
        }
        out.push(Series {
            name: metric.to_string(),
            labels: label("fleet"),
            points,
        });
    }
    let nodes = run_dir.join("nodes.csv");
    if nodes.is_file() {
        let (header, rows) = read_table(&nodes)?;
        let col = |name: &str| header.iter().position(|h| h == name);
        let (t, n) = (
            col("time_s").ok_or_else(|| malformed(&nodes, "no time_s column"))?,
            col("node").ok_or_else(|| malformed(&nodes, "no node column"))?,
        );
        let mut by: BTreeMap<(u32, &str), Vec<(f64, f64)>> = BTreeMap::new();
        for r in &rows {
            let node: u32 = r[n].parse().map_err(|_| malformed(&nodes, "bad node"))?;
            let time = start_unix_s + num(&nodes, &r[t])?;
            for (column, metric) in NODE_GAUGES {
                if let Some(c) = col(column) {
                    by.entry((node, metric))
                        .or_default()
                        .push((time, num(&nodes, &r[c])?));
                }
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
    let canary = run_dir.join("canary.csv");
    if canary.is_file() {
        let (header, rows) = read_table(&canary)?;
        let col = |name: &str| header.iter().position(|h| h == name);
        if let (Some(t), Some(un), Some(dn), Some(us), Some(ds)) = (
            col("time_s"),
            col("upload_node"),
            col("download_node"),
            col("upload_s"),
            col("download_s"),
        ) {
            let mut by: BTreeMap<(&str, String), Vec<(f64, f64)>> = BTreeMap::new();
            for r in &rows {
                let time = start_unix_s + num(&canary, &r[t])?;
                if !r[us].is_empty() {
                    by.entry(("codexsim_canary_upload_seconds", r[un].to_string()))
                        .or_default()
                        .push((time, num(&canary, &r[us])?));
                }
                if !r[ds].is_empty() {
                    by.entry(("codexsim_canary_download_seconds", r[dn].to_string()))
                        .or_default()
                        .push((time, num(&canary, &r[ds])?));
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
    }
    Ok(out)
}
