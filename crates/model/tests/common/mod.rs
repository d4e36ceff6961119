//! Fixtures shared by the model's tests: running a scenario with every
//! invariant checked after every event, reading a trace, and the scenario
//! pieces several tests build on.

// Each test file uses the helpers it needs.
#![allow(dead_code)]

use codexsim_config::parse;
use codexsim_model::{MemorySink, Model, NullSink, Summary, TraceKind};

/// Runs a scenario (TOML text) into memory, with every invariant checked
/// after every event and the full trace kept.
pub fn run(text: &str) -> (Summary, MemorySink) {
    let cfg = parse(text, "test.toml").unwrap();
    let mut sink = MemorySink {
        keep_trace: true,
        ..MemorySink::default()
    };
    let summary = Model::new(&cfg, &mut sink)
        .check_every_event(true)
        .run(&mut |_| {})
        .unwrap();
    (summary, sink)
}

/// Runs a scenario for its summary alone (no series kept), with every
/// invariant checked after every event.
pub fn summary(text: &str) -> Summary {
    try_summary(text).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`summary`], returning the model's error.
pub fn try_summary(text: &str) -> Result<Summary, codexsim_model::ModelError> {
    let cfg = parse(text, "test.toml").unwrap();
    Model::new(&cfg, &mut NullSink)
        .check_every_event(true)
        .run(&mut |_| {})
}

/// Runs a scenario for its summary alone, checking the invariants only at
/// the model's usual intervals (for tests of many replications).
pub fn unchecked_summary(text: &str) -> Summary {
    let cfg = parse(text, "test.toml").unwrap();
    Model::new(&cfg, &mut NullSink)
        .run(&mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The nodes of a trace's events of one kind, in order.
pub fn nodes_of(sink: &MemorySink, kind: TraceKind) -> Vec<u32> {
    sink.trace
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.node.unwrap())
        .collect()
}

/// The times of a trace's events of one kind, in order.
pub fn times(sink: &MemorySink, kind: TraceKind) -> Vec<f64> {
    sink.trace
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.time_s)
        .collect()
}

/// `[workload]` of one 10 MiB dataset on 3 slots (K = 2, M = 1; 5 MiB of
/// data and an 8 MiB slot each) and no random arrivals: the hand-computed
/// tests' dataset. Keys may follow (`arrival_times_s`, `duration_s`...).
pub const ONE_10_MIB_DATASET: &str = r#"
[workload]
max_datasets = 0
dataset_bytes = "10 MiB"
nodes = 3
tolerance = 1
"#;

/// The hand-computed base scenario (`hand_computed.rs` explains its
/// numbers): three nodes, one 3-slot request (K = 2, M = 1) of a 10 MiB
/// dataset, a proof required in every period, one reservation per slot;
/// with `faults`, node 0 offline in [1000 s, 1500 s) and node 1 in
/// [2000 s, 2500 s). `extra` is TOML appended to `[workload]` (or further
/// sections).
pub fn three_nodes(proof_mode: &str, faults: bool, extra: &str) -> String {
    let faults = if faults {
        r#"
[[scheduled_faults]]
at_s = 1000
kind = "outage"
index = 0
duration_s = 500

[[scheduled_faults]]
at_s = 2000
kind = "outage"
index = 1
duration_s = 500
"#
    } else {
        ""
    };
    format!(
        r#"
[run]
duration_s = "1 h"
series_interval_s = "10 min"
proof_mode = "{proof_mode}"

[marketplace]
proof_period_s = 120
downtime_blocks = 0
max_reservations_per_slot = 1
block_period_s = 0

[[node_groups]]
name = "n"
count = 3
quota_bytes = "1 GiB"
transfer_rate_bytes_per_s = "5 MiB"
one_slot_per_request = true
{faults}
[workload]
max_datasets = 0
arrival_times_s = [0]
dataset_bytes = "10 MiB"
nodes = 3
tolerance = 1
duration_s = "1 day"
expiry_s = "10 min"
proof_probability = 1
{extra}
"#
    )
}
