//! The aggregated proof mode agrees in distribution with the exact one.
//!
//! A small fleet with frequent short outages and occasional failed proofs:
//! missed proofs and freed slots per run are compared between the two modes
//! over independent seeds with Welch's test at the 99.9 % level (a false
//! alarm once in a thousand runs of this test). The means must also be far
//! from zero, so that the test has something to compare.

mod common;

use rayon::prelude::*;

use codexsim_model::Summary;

fn scenario(mode: &str, seed: u64) -> String {
    format!(
        r#"
[run]
seed = {seed}
duration_s = "10 days"
series_interval_s = "1 day"
proof_mode = "{mode}"
per_node_series = false

[[node_groups]]
name = "n"
count = 10
quota_bytes = "1 TB"
proof_failure_probability = 0.02

[[faults]]
kind = "outage"
target = "node"
interval_s = {{ dist = "exponential", mean = "2 days" }}
duration_s = {{ dist = "lognormal", median = "6 min", sigma = 0.7 }}

[workload]
interarrival_s = {{ dist = "exponential", mean = "1 h" }}
max_datasets = 30
dataset_bytes = {{ dist = "uniform", min = "1 GB", max = "5 GB" }}
nodes = 5
tolerance = 2
duration_s = "30 days"
proof_probability = 5
"#
    )
}

/// The runs of `seeds`, in seed order, on every core; the first with every
/// invariant checked after every event (the others at the model's usual
/// intervals: the checks are the cost, and one run per mode sees them all).
fn runs(mode: &str, seeds: std::ops::Range<u64>) -> Vec<Summary> {
    let first = seeds.start;
    seeds
        .into_par_iter()
        .map(|seed| {
            let text = scenario(mode, seed);
            if seed == first {
                common::summary(&text)
            } else {
                common::unchecked_summary(&text)
            }
        })
        .collect()
}

fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

#[test]
fn exact_and_aggregated_agree() {
    let exact = runs("exact", 1..41);
    let aggregated = runs("aggregated", 1001..1041);
    type Metric = fn(&Summary) -> f64;
    let metrics: [(&str, Metric); 3] = [
        ("proofs missed", |s| s.totals.proofs_missed_total as f64),
        ("slots freed", |s| s.totals.slots_freed_total as f64),
        ("proofs required", |s| s.totals.proofs_required_total as f64),
    ];
    for (name, f) in metrics {
        let (me, se_e) = mean_se(&exact.iter().map(f).collect::<Vec<_>>());
        let (ma, se_a) = mean_se(&aggregated.iter().map(f).collect::<Vec<_>>());
        let z = (me - ma) / (se_e * se_e + se_a * se_a).sqrt();
        assert!(
            me > 5.0 && ma > 5.0,
            "{name}: too few to compare ({me}, {ma})"
        );
        assert!(
            z.abs() < 3.29,
            "{name}: exact {me:.2} ± {se_e:.2}, aggregated {ma:.2} ± {se_a:.2}, z = {z:.2}"
        );
    }
}
