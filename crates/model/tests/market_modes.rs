//! The fast market agrees in distribution with the exact one.
//!
//! Three small fleets that keep the market busy (a homogeneous one with
//! outages, a heterogeneous one where many hosts decline for space, price,
//! duration or collateral, one with `one_slot_per_request`) run over 40
//! independent seeds in each mode. Every metric's means are compared with
//! Welch's test. The family of comparisons (at most 3 x 12) is held to a
//! false alarm once in a thousand runs of this test by Bonferroni: each
//! comparison at 0.001 / 36, two-sided, against Student's t with the
//! Welch-Satterthwaite degrees of freedom. A metric that is zero in every run
//! of both modes is skipped; each scenario must compare at least 8 metrics.

mod common;

use rayon::prelude::*;

use codexsim_model::Summary;
use statrs::distribution::{ContinuousCDF, StudentsT};

const SEEDS: u64 = 40;
const FAMILY_ALPHA: f64 = 0.001;
const COMPARISONS: f64 = 36.0;

fn scenario(mode: &str, seed: u64, body: &str) -> String {
    format!(
        r#"
[run]
seed = {seed}
duration_s = "6 days"
series_interval_s = "1 day"
market = "{mode}"
per_node_series = false
{body}"#
    )
}

/// Replications run with the model's periodic checks; the first seed of
/// each mode with every invariant checked after every event.
fn run(mode: &str, seed: u64, body: &str) -> Summary {
    let text = scenario(mode, seed, body);
    if seed % 1000 == 1 {
        common::summary(&text)
    } else {
        common::unchecked_summary(&text)
    }
}

/// Homogeneous: 30 hosts, short outages, datasets every 20 minutes.
const HOMOGENEOUS: &str = r#"
[[node_groups]]
name = "n"
count = 30
quota_bytes = "200 GB"
proof_failure_probability = 0.01

[[faults]]
kind = "outage"
target = "node"
interval_s = { dist = "exponential", mean = "2 days" }
duration_s = { dist = "lognormal", median = "30 min", sigma = 0.7 }

[workload]
interarrival_s = { dist = "exponential", mean = "20 min" }
dataset_bytes = { dist = "lognormal", median = "2 GB", sigma = 1.0 }
nodes = 5
tolerance = 2
duration_s = "3 days"
expiry_s = "15 min"
renew = true
"#;

/// Heterogeneous: hosts that differ in space, speed, workers, price, the
/// durations and collateral they accept; many declines (the small hosts
/// take no 3-day request, the picky ones run out of collateral).
const HETEROGENEOUS: &str = r#"
[[node_groups]]
name = "big"
count = 8
quota_bytes = "400 GB"
transfer_rate_bytes_per_s = "50 MB"
slot_queue_workers = 2

[[node_groups]]
name = "small"
count = 16
quota_bytes = "40 GB"
transfer_rate_bytes_per_s = "10 MB"
slot_queue_workers = 1
[node_groups.availability]
total_bytes = "30 GB"
duration_s = "2 days"

[[node_groups]]
name = "picky"
count = 8
quota_bytes = "200 GB"
slot_queue_size = 4
[node_groups.availability]
duration_s = "30 days"
min_price_per_byte_per_s = 1
total_collateral = 20000000000

[[faults]]
kind = "outage"
target = "node"
interval_s = { dist = "exponential", mean = "3 days" }
duration_s = { dist = "lognormal", median = "20 min", sigma = 0.7 }

[workload]
interarrival_s = { dist = "exponential", mean = "15 min" }
dataset_bytes = { dist = "lognormal", median = "1 GB", sigma = 1.2 }
nodes = 6
tolerance = 2
duration_s = "3 days"
expiry_s = "10 min"
price_per_byte_per_s = 1
renew = true
"#;

/// One slot per request per host: hosts decline a request's other slots.
const ONE_SLOT: &str = r#"
[[node_groups]]
name = "n"
count = 24
quota_bytes = "150 GB"
one_slot_per_request = true

[[faults]]
kind = "outage"
target = "node"
interval_s = { dist = "exponential", mean = "2 days" }
duration_s = { dist = "lognormal", median = "30 min", sigma = 0.7 }

[workload]
interarrival_s = { dist = "exponential", mean = "20 min" }
dataset_bytes = { dist = "lognormal", median = "2 GB", sigma = 1.0 }
nodes = 10
tolerance = 4
duration_s = "3 days"
expiry_s = "15 min"
renew = true
"#;

type Metric = fn(&Summary) -> f64;

fn metrics() -> Vec<(&'static str, Metric)> {
    vec![
        ("slots filled", |s| s.totals.slots_filled_total as f64),
        ("slots freed", |s| s.totals.slots_freed_total as f64),
        ("requests started", |s| {
            s.totals.codex_purchases_started_total as f64
        }),
        ("requests failed", |s| {
            s.totals.codex_purchases_failed_total as f64
        }),
        ("requests cancelled", |s| {
            s.totals.codex_purchases_cancelled_total as f64
        }),
        ("datasets lost", |s| s.totals.datasets_lost_total as f64),
        ("fill bytes", |s| s.totals.fill_bytes_total as f64),
        ("repair bytes", |s| s.totals.repair_bytes_total as f64),
        ("fill attempts errored", |s| s.fill_attempts_errored as f64),
        ("mean fill time", |s| s.mean_fill_time_s.unwrap_or(0.0)),
        ("fill transfer p50", |s| {
            s.network.fill_transfer.p50_s.unwrap_or(0.0)
        }),
        ("fill transfer p90", |s| {
            s.network.fill_transfer.p90_s.unwrap_or(0.0)
        }),
    ]
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// Welch's two-sided p-value of equal means.
fn welch_p(a: &[f64], b: &[f64]) -> f64 {
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let se2 = va / na + vb / nb;
    if se2 == 0.0 {
        return if ma == mb { 1.0 } else { 0.0 };
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / ((va / na).powi(2) / (na - 1.0) + (vb / nb).powi(2) / (nb - 1.0));
    let dist = StudentsT::new(0.0, 1.0, df).expect("positive degrees of freedom");
    2.0 * (1.0 - dist.cdf(t.abs()))
}

fn compare(name: &str, body: &str) {
    // (On every core, collected in seed order.)
    let exact: Vec<Summary> = (1..=SEEDS)
        .into_par_iter()
        .map(|seed| run("exact", seed, body))
        .collect();
    let fast: Vec<Summary> = (1001..=1000 + SEEDS)
        .into_par_iter()
        .map(|seed| run("fast", seed, body))
        .collect();
    let alpha = FAMILY_ALPHA / COMPARISONS;
    let mut compared = 0;
    let mut report = String::new();
    for (metric, f) in metrics() {
        let a: Vec<f64> = exact.iter().map(f).collect();
        let b: Vec<f64> = fast.iter().map(f).collect();
        if a.iter().chain(&b).all(|&x| x == 0.0) {
            continue;
        }
        compared += 1;
        let p = welch_p(&a, &b);
        let (ma, _) = mean_var(&a);
        let (mb, _) = mean_var(&b);
        report.push_str(&format!(
            "{name}: {metric}: exact {ma:.4}, fast {mb:.4}, p = {p:.2e}\n"
        ));
        assert!(
            p > alpha,
            "{name}: {metric}: exact {ma:.4}, fast {mb:.4}, Welch p = {p:.2e} < {alpha:.2e}\n{report}"
        );
    }
    eprint!("{report}");
    assert!(compared >= 8, "{name}: only {compared} metrics compared");
    // The fast market must do less work, or there is nothing to gain.
    let events = |xs: &[Summary]| xs.iter().map(|s| s.events_processed).sum::<u64>();
    assert!(
        events(&fast) < events(&exact),
        "{name}: the fast market processed {} events, the exact one {}",
        events(&fast),
        events(&exact)
    );
}

#[test]
fn homogeneous_fleet() {
    compare("homogeneous", HOMOGENEOUS);
}

#[test]
fn heterogeneous_fleet() {
    compare("heterogeneous", HETEROGENEOUS);
}

#[test]
fn one_slot_per_request() {
    compare("one slot per request", ONE_SLOT);
}
