//! Post-mortems: a trace of what happened (the marketplace's on-chain events
//! and nodes going down and up) drives a run, and the run's predictions are
//! compared with the trace.
//!
//! A trace is CSV (`time_s,event,request,slot,node,bytes`) or JSON Lines
//! (objects with the same fields), `time_s` in seconds from the trace's
//! start. Events: `StorageRequested` (with `bytes`, the dataset's size),
//! `SlotFilled`, `SlotFreed`, `RequestFulfilled`, `RequestFailed`,
//! `RequestCancelled` (the marketplace's), and `NodeDown`, `NodeUp` (with
//! `node`, the fleet index).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::{LiveError, Series};

/// One trace event.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TraceEvent {
    /// Seconds from the trace's start.
    pub time_s: f64,
    /// The event's name.
    pub event: String,
    /// The request, if any.
    #[serde(default)]
    pub request: Option<String>,
    /// The slot, if any.
    #[serde(default)]
    pub slot: Option<u64>,
    /// The node, if any.
    #[serde(default)]
    pub node: Option<u64>,
    /// Bytes (a StorageRequested's dataset size).
    #[serde(default)]
    pub bytes: Option<f64>,
}

/// The marketplace events and the counters they are compared with.
pub const COUNTED: [(&str, &str); 6] = [
    ("StorageRequested", "codex_purchases_submitted"),
    ("RequestFulfilled", "codex_purchases_started"),
    ("RequestFailed", "codex_purchases_failed"),
    ("RequestCancelled", "codex_purchases_cancelled"),
    ("SlotFilled", "codexsim_slots_filled"),
    ("SlotFreed", "codexsim_slots_freed"),
];

const KNOWN: [&str; 8] = [
    "StorageRequested",
    "SlotFilled",
    "SlotFreed",
    "RequestFulfilled",
    "RequestFailed",
    "RequestCancelled",
    "NodeDown",
    "NodeUp",
];

fn malformed(what: &str, detail: impl Into<String>) -> LiveError {
    LiveError::Malformed {
        what: what.into(),
        detail: detail.into(),
    }
}

/// Reads a trace (`.jsonl` as JSON Lines, anything else as CSV), sorted by
/// time.
pub fn read(path: &Path) -> Result<Vec<TraceEvent>, LiveError> {
    let what = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LiveError::Io {
        path: what.clone(),
        source,
    })?;
    let mut events: Vec<TraceEvent> = if path.extension().is_some_and(|e| e == "jsonl") {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| malformed(&what, format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?
    } else {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        r.deserialize()
            .enumerate()
            .map(|(i, row)| row.map_err(|e| malformed(&what, format!("row {}: {e}", i + 2))))
            .collect::<Result<_, _>>()?
    };
    // The latest time a trace may hold: a run's longest span.
    let max_time_s = codexsim_engine::SimDuration::CONFIG_MAX.as_secs_f64();
    for (i, e) in events.iter().enumerate() {
        if !KNOWN.contains(&e.event.as_str()) {
            return Err(malformed(
                &what,
                format!(
                    "event {} ({:?}): unknown; known: {}",
                    i + 1,
                    e.event,
                    KNOWN.join(", ")
                ),
            ));
        }
        if !(e.time_s >= 0.0 && e.time_s <= max_time_s) {
            return Err(malformed(
                &what,
                format!(
                    "event {}: time_s {:e} must be between 0 and {max_time_s:e} (200 years, the \
                     longest run)",
                    i + 1,
                    e.time_s
                ),
            ));
        }
        if let Some(node) = e.node {
            if node > u32::MAX as u64 {
                return Err(malformed(
                    &what,
                    format!(
                        "event {}: node {node} is not a fleet index (at most {})",
                        i + 1,
                        u32::MAX
                    ),
                ));
            }
        }
        if matches!(e.event.as_str(), "NodeDown" | "NodeUp") && e.node.is_none() {
            return Err(malformed(
                &what,
                format!("event {} ({}): needs node", i + 1, e.event),
            ));
        }
    }
    events.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    Ok(events)
}

/// A scenario driven by the trace: `base` (a scenario's TOML) with the
/// trace's requests as fixed arrivals (random arrivals and renewals off,
/// sizes drawn from the trace's sizes), its node outages as the only
/// faults (scheduled outages; the base's random faults are dropped), and its
/// span as the run's duration. What the marketplace did (fills, frees,
/// failures) is left to the model: that is the prediction to compare.
/// `series_interval_s` is the base's sampling interval: a trace shorter
/// than it is sampled 60 times instead.
pub fn scenario(
    base: &str,
    events: &[TraceEvent],
    what: &str,
    series_interval_s: f64,
) -> Result<String, LiveError> {
    let mut doc: toml::Table = base
        .parse()
        .map_err(|e: toml::de::Error| malformed(what, e.to_string()))?;
    // The trace is the record of what failed: no random faults.
    doc.insert("faults".into(), toml::Value::Array(Vec::new()));
    let arrivals: Vec<toml::Value> = events
        .iter()
        .filter(|e| e.event == "StorageRequested")
        .map(|e| toml::Value::Float(e.time_s))
        .collect();
    if arrivals.is_empty() {
        return Err(malformed(what, "the trace has no StorageRequested event"));
    }
    let sizes: Vec<toml::Value> = events
        .iter()
        .filter(|e| e.event == "StorageRequested")
        .filter_map(|e| e.bytes.map(toml::Value::Float))
        .collect();
    let end = events.last().map_or(0.0, |e| e.time_s).max(1.0);
    let table = |doc: &mut toml::Table, k: &str| -> toml::Table {
        doc.remove(k)
            .and_then(|v| v.as_table().cloned())
            .unwrap_or_default()
    };
    let mut run = table(&mut doc, "run");
    run.insert("duration_s".into(), toml::Value::Float(end.ceil()));
    if series_interval_s > end.ceil() {
        run.insert(
            "series_interval_s".into(),
            toml::Value::Float((end.ceil() / 60.0).max(1.0).ceil()),
        );
    }
    doc.insert("run".into(), toml::Value::Table(run));
    let mut w = table(&mut doc, "workload");
    w.insert("arrival_times_s".into(), toml::Value::Array(arrivals));
    w.insert("max_datasets".into(), toml::Value::Integer(0));
    w.insert("renew".into(), toml::Value::Boolean(false));
    if !sizes.is_empty() {
        let mut d = toml::Table::new();
        d.insert("dist".into(), "empirical".into());
        d.insert("samples".into(), toml::Value::Array(sizes));
        w.insert("dataset_bytes".into(), toml::Value::Table(d));
    }
    doc.insert("workload".into(), toml::Value::Table(w));
    // Outages: each NodeDown until that node's next NodeUp (or the end).
    let mut down: BTreeMap<u64, f64> = BTreeMap::new();
    let mut faults = Vec::new();
    let mut outage = |node: u64, from: f64, to: f64| {
        let mut f = toml::Table::new();
        f.insert("at_s".into(), toml::Value::Float(from));
        f.insert("kind".into(), "outage".into());
        f.insert("target".into(), "node".into());
        f.insert("index".into(), toml::Value::Integer(node as i64));
        f.insert(
            "duration_s".into(),
            toml::Value::Float((to - from).max(0.0)),
        );
        faults.push(toml::Value::Table(f));
    };
    for e in events {
        let node = e.node.unwrap_or(0);
        match e.event.as_str() {
            "NodeDown" => {
                down.entry(node).or_insert(e.time_s);
            }
            "NodeUp" => {
                if let Some(from) = down.remove(&node) {
                    outage(node, from, e.time_s);
                }
            }
            _ => {}
        }
    }
    for (node, from) in down {
        outage(node, from, end.ceil());
    }
    doc.insert("scheduled_faults".into(), toml::Value::Array(faults));
    toml::to_string(&doc).map_err(|e| malformed(what, e.to_string()))
}

/// The trace's marketplace events as cumulative counters (`instance =
/// "fleet"`), named as the run's counters and evaluated at `at` (unix
/// seconds; the run's sample times): the events strictly before each time,
/// the trace starting at `start_unix_s`.
pub fn counters(events: &[TraceEvent], start_unix_s: f64, at: &[f64]) -> Vec<Series> {
    let mut out = Vec::new();
    for (event, metric) in COUNTED {
        let times: Vec<f64> = events
            .iter()
            .filter(|e| e.event == event)
            .map(|e| start_unix_s + e.time_s)
            .collect();
        let points = at
            .iter()
            .map(|&t| (t, times.partition_point(|&x| x < t) as f64))
            .collect();
        let mut labels = BTreeMap::new();
        labels.insert("instance".to_string(), "fleet".to_string());
        out.push(Series {
            name: metric.into(),
            labels,
            points,
        });
    }
    out
}
