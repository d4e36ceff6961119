//! Statistics of a complete sweep, free of I/O: pure functions over run
//! records returning values. Per point and variant, means with Student-t
//! confidence intervals and loss probabilities with exact
//! (Clopper-Pearson) binomial intervals; per point, each variant's paired
//! differences from the baseline (common random numbers: replication r of
//! every variant ran on the same seed) with t intervals.
//!
//! The rows returned are written by [`crate::write`] and drawn by
//! [`crate::plots`].

use std::collections::BTreeMap;

use statrs::distribution::{Beta, ContinuousCDF, StudentsT};

use crate::experiment::Experiment;
use crate::record::{RunRecord, LOSS_PROBABILITY, METRICS};

/// A mean with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Values averaged.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (0 for one value).
    pub sd: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// Mean and Student-t interval at `confidence` (a single value has an
/// interval of itself only when all values agree; with one value the
/// interval is unbounded).
pub fn t_interval(values: &[f64], confidence: f64) -> Option<Estimate> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Some(Estimate {
            n,
            mean,
            sd: 0.0,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
        });
    }
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("n > 1")
        .inverse_cdf(0.5 + confidence / 2.0);
    let half = t * sd / (n as f64).sqrt();
    Some(Estimate {
        n,
        mean,
        sd,
        lo: mean - half,
        hi: mean + half,
    })
}

/// The exact (Clopper-Pearson) interval for `k` successes in `n` trials.
pub fn clopper_pearson(k: usize, n: usize, confidence: f64) -> (f64, f64) {
    assert!(k <= n && n > 0);
    let alpha = 1.0 - confidence;
    let (k, nf) = (k as f64, n as f64);
    let lo = if k == 0.0 {
        0.0
    } else {
        Beta::new(k, nf - k + 1.0)
            .expect("positive shapes")
            .inverse_cdf(alpha / 2.0)
    };
    let hi = if k == nf {
        1.0
    } else {
        Beta::new(k + 1.0, nf - k)
            .expect("positive shapes")
            .inverse_cdf(1.0 - alpha / 2.0)
    };
    (lo, hi)
}

/// One row of `aggregate.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateRow {
    /// Point.
    pub point: usize,
    /// Variant.
    pub variant: String,
    /// Metric (`loss_probability` is the share of runs with a data loss).
    pub metric: String,
    /// The estimate.
    pub estimate: Estimate,
    /// `t` or `clopper-pearson`.
    pub interval: &'static str,
}

/// One row of `comparison.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonRow {
    /// Point.
    pub point: usize,
    /// The variant compared.
    pub variant: String,
    /// The baseline.
    pub baseline: String,
    /// Metric.
    pub metric: String,
    /// The paired differences' mean and interval.
    pub estimate: Estimate,
}

/// The t rows of every metric of [`METRICS`] over `runs`, then the
/// Clopper-Pearson row of [`LOSS_PROBABILITY`] (none without runs).
pub fn aggregate_rows(
    point: usize,
    variant: &str,
    runs: &[&RunRecord],
    confidence: f64,
) -> Vec<AggregateRow> {
    let mut agg = Vec::new();
    for (metric, _) in METRICS {
        let values: Vec<f64> = runs.iter().filter_map(|r| r.metric(metric)).collect();
        if let Some(e) = t_interval(&values, confidence) {
            agg.push(AggregateRow {
                point,
                variant: variant.to_string(),
                metric: metric.into(),
                estimate: e,
                interval: "t",
            });
        }
    }
    let n = runs.len();
    if n > 0 {
        let k = runs.iter().filter(|r| r.lost_data()).count();
        let (lo, hi) = clopper_pearson(k, n, confidence);
        agg.push(AggregateRow {
            point,
            variant: variant.to_string(),
            metric: LOSS_PROBABILITY.into(),
            estimate: Estimate {
                n,
                mean: k as f64 / n as f64,
                sd: 0.0,
                lo,
                hi,
            },
            interval: "clopper-pearson",
        });
    }
    agg
}

/// The differences `metric` of each run minus that of the baseline run of
/// the same replication (runs without a baseline run or without a value on
/// either side are left out), in the order of `runs`.
pub fn paired_differences(
    runs: &[&RunRecord],
    baseline: &BTreeMap<u32, &RunRecord>,
    metric: &str,
) -> Vec<f64> {
    runs.iter()
        .filter_map(|r| {
            let b = baseline.get(&r.replication)?;
            Some(r.metric(metric)? - b.metric(metric)?)
        })
        .collect()
}

/// The paired-difference rows of every metric of [`METRICS`] between
/// `runs` (of `variant`) and the baseline's runs by replication.
pub fn comparison_rows(
    point: usize,
    variant: &str,
    runs: &[&RunRecord],
    baseline: &str,
    baseline_runs: &BTreeMap<u32, &RunRecord>,
    confidence: f64,
) -> Vec<ComparisonRow> {
    let mut cmp = Vec::new();
    for (metric, _) in METRICS {
        let diffs = paired_differences(runs, baseline_runs, metric);
        if let Some(mut e) = t_interval(&diffs, confidence) {
            if e.sd == 0.0 && e.n > 1 {
                // Identical differences: the interval is the value.
                (e.lo, e.hi) = (e.mean, e.mean);
            }
            cmp.push(ComparisonRow {
                point,
                variant: variant.to_string(),
                baseline: baseline.to_string(),
                metric: metric.into(),
                estimate: e,
            });
        }
    }
    cmp
}

/// Aggregates and paired comparisons of a complete set of runs: for each
/// point, every variant's aggregates, then every variant but the first's
/// differences from the first.
pub fn analyse(exp: &Experiment, runs: &[RunRecord]) -> (Vec<AggregateRow>, Vec<ComparisonRow>) {
    let mut by: BTreeMap<(usize, &str), Vec<&RunRecord>> = BTreeMap::new();
    for r in runs {
        by.entry((r.point, r.variant.as_str())).or_default().push(r);
    }
    let runs_of = |point: usize, variant: &str| -> Vec<&RunRecord> {
        by.get(&(point, variant)).cloned().unwrap_or_default()
    };
    let mut agg = Vec::new();
    let mut cmp = Vec::new();
    for point in 0..exp.points.len() {
        for v in &exp.variants {
            let rs = runs_of(point, &v.name);
            agg.extend(aggregate_rows(point, &v.name, &rs, exp.confidence));
        }
        let base = &exp.variants[0].name;
        let base_runs: BTreeMap<u32, &RunRecord> = runs_of(point, base)
            .into_iter()
            .map(|r| (r.replication, r))
            .collect();
        for v in &exp.variants[1..] {
            let rs = runs_of(point, &v.name);
            cmp.extend(comparison_rows(
                point,
                &v.name,
                &rs,
                base,
                &base_runs,
                exp.confidence,
            ));
        }
    }
    (agg, cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_interval_matches_a_hand_computation() {
        // Mean 5, sd sqrt(10/4) = 1.5811; t(0.975, 4) = 2.7764.
        let e = t_interval(&[3.0, 4.0, 5.0, 6.0, 7.0], 0.95).unwrap();
        assert_eq!(e.mean, 5.0);
        assert!((e.sd - 1.581_138_83).abs() < 1e-8);
        assert!((e.hi - 5.0 - 2.776_445_1 * 1.581_138_83 / 5f64.sqrt()).abs() < 1e-6);
    }

    #[test]
    fn clopper_pearson_matches_published_values() {
        // 0 of 10: [0, 0.3085]; 5 of 10: [0.1871, 0.8129]; 10 of 10: [0.6915, 1].
        let (lo, hi) = clopper_pearson(0, 10, 0.95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.308_5).abs() < 1e-4, "{hi}");
        let (lo, hi) = clopper_pearson(5, 10, 0.95);
        assert!(
            (lo - 0.187_1).abs() < 1e-4 && (hi - 0.812_9).abs() < 1e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = clopper_pearson(10, 10, 0.95);
        assert!((lo - 0.691_5).abs() < 1e-4 && hi == 1.0, "{lo}");
    }

    fn run(replication: u32, repair_bytes: Option<f64>, lost: bool) -> RunRecord {
        let mut metrics: BTreeMap<String, Option<f64>> = METRICS
            .iter()
            .map(|(m, _)| (m.to_string(), Some(0.0)))
            .collect();
        metrics.insert("repair_bytes".into(), repair_bytes);
        metrics.insert("data_loss".into(), Some(if lost { 1.0 } else { 0.0 }));
        RunRecord {
            experiment_hash: String::new(),
            key: format!("r{replication}"),
            index: 0,
            point: 0,
            variant: String::new(),
            replication,
            seed: 0,
            params: BTreeMap::new(),
            metrics,
        }
    }

    #[test]
    fn paired_differences_match_replications_and_skip_absent_values() {
        let base = [
            run(0, Some(10.0), false),
            run(1, Some(20.0), false),
            run(2, None, false),
        ];
        let base: BTreeMap<u32, &RunRecord> = base.iter().map(|r| (r.replication, r)).collect();
        let other = [
            run(1, Some(25.0), true),
            run(0, Some(13.0), false),
            run(2, Some(1.0), false),
            run(3, Some(1.0), false),
        ];
        let other: Vec<&RunRecord> = other.iter().collect();
        assert_eq!(
            paired_differences(&other, &base, "repair_bytes"),
            vec![5.0, 3.0]
        );
        let rows = comparison_rows(0, "b", &other, "a", &base, 0.95);
        let row = rows.iter().find(|r| r.metric == "repair_bytes").unwrap();
        assert_eq!((row.estimate.n, row.estimate.mean), (2, 4.0));
        // Identical differences: a degenerate interval.
        let zero = rows.iter().find(|r| r.metric == "slashes").unwrap();
        assert_eq!((zero.estimate.lo, zero.estimate.hi), (0.0, 0.0));
        let agg = aggregate_rows(0, "b", &other, 0.95);
        let loss = agg.last().unwrap();
        assert_eq!(
            (loss.metric.as_str(), loss.interval, loss.estimate.mean),
            ("loss_probability", "clopper-pearson", 0.25)
        );
        assert!(aggregate_rows(0, "b", &[], 0.95).is_empty());
    }
}
