//! The simulator in the birth-death chain's assumptions reproduces the exact
//! mean time to data loss of `shared/reference-data/birth-death-mttdl.csv`.
//!
//! Assumptions, as configuration: n pieces on n hosts (one slot per host),
//! any k recover; every host's disk fails after an exponential time (rate
//! lambda = 0.5 a year) and is replaced at once, empty; a loss is noticed at
//! once (`repair.detection = "immediate"`); a repair takes an exponential time
//! of rate mu = 52 a year on a host holding no piece, one at a time per dataset
//! (serial) or all at once (parallel). The chain's MTTDL scales as 1/lambda
//! at fixed mu/lambda, so each case runs with both rates multiplied by
//! c = MTTDL / 10 years: simulated losses come after about 10 years, well
//! inside the 200 years a run can span, and the estimate is divided back.
//!
//! Each case runs R independent replications (seeds 1..=R) to the first
//! loss, measured from the moment failures start, once the dataset is
//! stored; the test passes when
//! the exact value lies inside the 99 % confidence interval
//! mean ± 2.576 s / sqrt(R) of the replications (normal approximation; the
//! loss time is close to exponential, so R >= 30 keeps it honest). Set
//! CODEXSIM_SLOW_TESTS=1 for ten times more replications.
//!
//! The same set-up with lazy repair (`repair.lazy_threshold = l0`, every
//! started repair independent) against the exact lazy birth-death chain
//! (`codexsim_durability::exact::lazy_birth_death`) for several (n, k, l0).

use codexsim_durability::exact::{lazy_birth_death, BIRTH_DEATH_REFERENCE as ROWS};
mod common;

use rayon::prelude::*;

const YEAR_S: f64 = 31_536_000.0;
/// Failures start once the dataset is stored (it takes about a second): from
/// then on the run is the chain, started in its all-present state.
const START_S: f64 = 3600.0;

// ROWS: the rows of birth-death-mttdl.csv, copied into the durability
// crate so the test runs without the file; the file, when present beside
// the checkout, must agree.

#[test]
fn the_copied_rows_match_the_reference_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference-data/birth-death-mttdl.csv"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("{path} not found: checking the copied rows only");
        return;
    };
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("n,"))
        .map(|l| l.split(',').map(|x| x.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), ROWS.len());
    for (row, &(n, k, serial, parallel)) in rows.iter().zip(&ROWS) {
        assert_eq!((row[0] as u32, row[1] as u32), (n, k));
        assert_eq!((row[2], row[3]), (0.5, 52.0));
        assert_eq!((row[4], row[5]), (serial, parallel));
    }
}

fn scenario(n: u32, k: u32, serial: bool, l0: u32, scale: f64, seed: u64) -> String {
    let fail_mean_s = YEAR_S / (0.5 * scale);
    let repair_mean_s = YEAR_S / (52.0 * scale);
    format!(
        r#"
[run]
seed = {seed}
duration_s = "200 years"
series_interval_s = "200 years"
stop_on_data_loss = true
per_node_series = false

[marketplace]
proof_period_s = 1
proof_timeout_s = 1
block_period_s = 0

[[node_groups]]
name = "hosts"
count = {n}
quota_bytes = "1 GB"
one_slot_per_request = true

[[faults]]
kind = "disk_loss"
target = "node"
interval_s = {{ dist = "exponential", mean = {fail_mean_s} }}
duration_s = 0
start_s = {START_S}

[workload]
max_datasets = 0
arrival_times_s = [0]
dataset_bytes = "1 MB"
nodes = {n}
tolerance = {m}
codex_rest_rules = false
duration_s = "30 days"
expiry_s = "1 day"
# The chain's dataset keeps its hosts for ever: renewed in place.
renewal = "same_hosts"

[repair]
detection = "immediate"
model = "exponential"
mean_duration_s = {repair_mean_s}
concurrency = "{conc}"
lazy_threshold = {l0}
"#,
        m = n - k,
        conc = if serial { "serial" } else { "parallel" },
    )
}

fn check(n: u32, k: u32, serial: bool) {
    let &(_, _, s, p) = ROWS.iter().find(|r| r.0 == n && r.1 == k).unwrap();
    let exact = if serial { s } else { p };
    check_against(n, k, serial, 1, exact);
}

fn check_lazy(n: u32, k: u32, l0: u32) {
    let exact = lazy_birth_death(n, k, 0.5, 52.0, l0)
        .mean_time_to_absorption()
        .unwrap()[0];
    check_against(n, k, false, l0, exact);
}

/// The simulated MTTDL's 99 % interval must hold `exact`.
fn check_against(n: u32, k: u32, serial: bool, l0: u32, exact: f64) {
    let scale = exact / 10.0;
    let slow = std::env::var_os("CODEXSIM_SLOW_TESTS").is_some();
    let reps: u64 = if slow { 400 } else { 40 };
    // On every core (the longest case, n 4, k 1, parallel, simulates about
    // a million failures and repairs per run), in seed order.
    let xs: Vec<f64> = (1..=reps)
        .into_par_iter()
        .map(|seed| {
            // The first run with every invariant checked after every event,
            // the others at the model's usual intervals.
            let text = scenario(n, k, serial, l0, scale, seed);
            let summary = if seed == 1 {
                common::summary(&text)
            } else {
                common::unchecked_summary(&text)
            };
            let loss = summary
                .first_data_loss_s
                .expect("a loss within 200 scaled years");
            assert!(summary.mean_fill_time_s.expect("the dataset was stored") < START_S);
            (loss - START_S) / YEAR_S * scale
        })
        .collect();
    let r = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / r;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    let half = 2.576 * sd / r.sqrt();
    assert!(
        (mean - exact).abs() <= half,
        "n = {n}, k = {k}, l0 = {l0}, {}: simulated MTTDL {mean:.2} +- {half:.2} years (99 %, {reps} runs), exact {exact:.2}",
        if serial { "serial" } else { "parallel" }
    );
}

#[test]
fn n2_k1() {
    check(2, 1, true); // serial and parallel coincide
}
#[test]
fn n3_k2() {
    check(3, 2, true);
}
#[test]
fn n3_k1_serial() {
    check(3, 1, true);
}
#[test]
fn n3_k1_parallel() {
    check(3, 1, false);
}
#[test]
fn n4_k3() {
    check(4, 3, false);
}
#[test]
fn n4_k2_serial() {
    check(4, 2, true);
}
#[test]
fn n4_k2_parallel() {
    check(4, 2, false);
}
#[test]
fn n4_k1_serial() {
    check(4, 1, true);
}
#[test]
fn n4_k1_parallel() {
    check(4, 1, false);
}

#[test]
fn lazy_n4_k2_l0_2() {
    check_lazy(4, 2, 2);
}

#[test]
fn lazy_n5_k2_l0_2() {
    check_lazy(5, 2, 2);
}

#[test]
fn lazy_n5_k2_l0_3() {
    check_lazy(5, 2, 3);
}

#[test]
fn lazy_n6_k3_l0_2() {
    check_lazy(6, 3, 2);
}

/// Nodes that leave for good while repairs run: the exponential repair
/// model must never give a repair to the node that is leaving (the checker,
/// run after every event, fails on a node that left and still downloads or
/// stores a slot).
#[test]
fn a_leaving_node_takes_no_repair() {
    for seed in 1..=100 {
        let toml = format!(
            r#"
[run]
seed = {seed}
duration_s = "2 years"
series_interval_s = "2 years"
per_node_series = false

[marketplace]
proof_period_s = 60
proof_timeout_s = 60
block_period_s = 0

[[node_groups]]
name = "hosts"
count = 12
quota_bytes = "1 GB"
one_slot_per_request = true

[[faults]]
kind = "disk_loss"
target = "node"
interval_s = {{ dist = "exponential", mean = "20 days" }}
duration_s = 0

[[faults]]
kind = "churn"
target = "node"
interval_s = {{ dist = "exponential", mean = "200 days" }}

[workload]
max_datasets = 0
arrival_times_s = [0, 1, 2]
dataset_bytes = "1 MB"
nodes = 6
tolerance = 3
codex_rest_rules = false
duration_s = "30 days"
expiry_s = "1 day"
renew = true

[repair]
detection = "immediate"
model = "exponential"
mean_duration_s = "10 days"
concurrency = "parallel"
"#
        );
        common::try_summary(&toml).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}
