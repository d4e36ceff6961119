//! The fleet simulator with lazy repair, in the chain's assumptions,
//! reproduces the exact mean time to data loss of the lazy birth-death
//! chain (`codexsim_durability::exact::lazy_birth_death`) for several
//! (n, k, l0).
//!
//! As in `birth_death.rs`: n slots on n hosts, exponential disk failures
//! (lambda = 0.5 a year) with immediate empty replacement, losses noticed
//! at once, exponential repairs (mu = 52 a year) on a host holding no slot,
//! every started repair independent; `repair.lazy_threshold = l0` holds
//! repairs back until l0 slots are down. Rates are scaled so that losses
//! come after about 10 years; 40 replications per case, and the exact value
//! must lie inside the 99 % interval of their mean (CODEXSIM_SLOW_TESTS=1:
//! 400).

use codexsim_config::parse;
use codexsim_durability::exact::lazy_birth_death;
use codexsim_model::{Model, NullSink};

const YEAR_S: f64 = 31_536_000.0;
const START_S: f64 = 3600.0;

fn scenario(n: u32, k: u32, l0: u32, scale: f64, seed: u64) -> String {
    let fail_mean_s = YEAR_S / (0.5 * scale);
    let repair_mean_s = YEAR_S / (52.0 * scale);
    format!(
        r#"
[run]
seed = {seed}
duration_s = "300 years"
series_interval_s = "300 years"
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

[repair]
detection = "immediate"
model = "exponential"
mean_duration_s = {repair_mean_s}
concurrency = "parallel"
lazy_threshold = {l0}
"#,
        m = n - k,
    )
}

fn check(n: u32, k: u32, l0: u32) {
    let exact = lazy_birth_death(n, k, 0.5, 52.0, l0).mean_time_to_absorption()[0];
    let scale = exact / 10.0;
    let slow = std::env::var_os("CODEXSIM_SLOW_TESTS").is_some();
    let reps: u64 = if slow { 400 } else { 40 };
    let mut xs = Vec::new();
    for seed in 1..=reps {
        let cfg = parse(&scenario(n, k, l0, scale, seed), "lazy-chain.toml").unwrap();
        let summary = Model::new(&cfg, &mut NullSink)
            .check_every_event(true)
            .run(&mut |_| {})
            .unwrap();
        let loss = summary
            .first_data_loss_s
            .expect("a loss within 300 scaled years");
        xs.push((loss - START_S) / YEAR_S * scale);
    }
    let r = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / r;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    let half = 2.576 * sd / r.sqrt();
    assert!(
        (mean - exact).abs() <= half,
        "n = {n}, k = {k}, l0 = {l0}: simulated MTTDL {mean:.2} +- {half:.2} years (99 %, {reps} runs), exact {exact:.2}"
    );
}

#[test]
fn n4_k2_l0_2() {
    check(4, 2, 2);
}

#[test]
fn n5_k2_l0_2() {
    check(5, 2, 2);
}

#[test]
fn n5_k2_l0_3() {
    check(5, 2, 3);
}

#[test]
fn n6_k3_l0_2() {
    check(6, 3, 2);
}
