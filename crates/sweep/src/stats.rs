//! Aggregates of a complete sweep: per point and variant, means with
//! Student-t confidence intervals and loss probabilities with exact
//! (Clopper-Pearson) binomial intervals; per point, each variant's paired
//! differences from the baseline (common random numbers: replication r of
//! every variant ran on the same seed) with t intervals. Written as tidy
//! CSV for notebooks, a Markdown summary, and charts.
//!
//! Files: `runs.csv` (one row per run: parameters and every metric),
//! `aggregate.csv` (point, variant, parameters, metric, n, mean, sd,
//! ci_low, ci_high, interval), `comparison.csv` (point, parameters,
//! variant, baseline, metric, n, mean_difference, sd_difference, ci_low,
//! ci_high), `report.md`, `plots/`.

use std::collections::BTreeMap;
use std::fs;

use codexsim_report::scale::{Quantity, Scale};
use statrs::distribution::{Beta, ContinuousCDF, StudentsT};

use crate::exec::{write_atomic, RunRecord, SweepDir, METRICS};
use crate::experiment::Experiment;
use crate::plots;
use crate::SweepError;

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

/// Aggregates and paired comparisons of a complete set of runs.
pub fn analyse(exp: &Experiment, runs: &[RunRecord]) -> (Vec<AggregateRow>, Vec<ComparisonRow>) {
    let mut by: BTreeMap<(usize, &str), Vec<&RunRecord>> = BTreeMap::new();
    for r in runs {
        by.entry((r.point, r.variant.as_str())).or_default().push(r);
    }
    let mut agg = Vec::new();
    let mut cmp = Vec::new();
    for point in 0..exp.points.len() {
        for v in &exp.variants {
            let rs = by
                .get(&(point, v.name.as_str()))
                .cloned()
                .unwrap_or_default();
            for (metric, _) in METRICS {
                let values: Vec<f64> = rs.iter().filter_map(|r| r.metrics[metric]).collect();
                if let Some(e) = t_interval(&values, exp.confidence) {
                    agg.push(AggregateRow {
                        point,
                        variant: v.name.clone(),
                        metric: metric.into(),
                        estimate: e,
                        interval: "t",
                    });
                }
            }
            let n = rs.len();
            if n > 0 {
                let k = rs
                    .iter()
                    .filter(|r| r.metrics["data_loss"].unwrap_or(0.0) > 0.0)
                    .count();
                let (lo, hi) = clopper_pearson(k, n, exp.confidence);
                agg.push(AggregateRow {
                    point,
                    variant: v.name.clone(),
                    metric: "loss_probability".into(),
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
        }
        let base = &exp.variants[0].name;
        let base_runs: BTreeMap<u32, &RunRecord> = by
            .get(&(point, base.as_str()))
            .map(|rs| rs.iter().map(|r| (r.replication, *r)).collect())
            .unwrap_or_default();
        for v in &exp.variants[1..] {
            let rs = by
                .get(&(point, v.name.as_str()))
                .cloned()
                .unwrap_or_default();
            for (metric, _) in METRICS {
                let diffs: Vec<f64> = rs
                    .iter()
                    .filter_map(|r| {
                        let b = base_runs.get(&r.replication)?;
                        Some(r.metrics[metric]? - b.metrics[metric]?)
                    })
                    .collect();
                if let Some(mut e) = t_interval(&diffs, exp.confidence) {
                    if e.sd == 0.0 && e.n > 1 {
                        // Identical differences: the interval is the value.
                        (e.lo, e.hi) = (e.mean, e.mean);
                    }
                    cmp.push(ComparisonRow {
                        point,
                        variant: v.name.clone(),
                        baseline: base.clone(),
                        metric: metric.into(),
                        estimate: e,
                    });
                }
            }
        }
    }
    (agg, cmp)
}

fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in memory");
    for r in rows {
        w.write_record(r).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

fn num(v: f64) -> String {
    if v.is_finite() {
        let mut b = ryu::Buffer::new();
        b.format(v).to_string()
    } else if v > 0.0 {
        "inf".into()
    } else if v < 0.0 {
        "-inf".into()
    } else {
        String::new()
    }
}

fn params(exp: &Experiment, point: usize) -> Vec<String> {
    exp.points[point]
        .params
        .iter()
        .map(|(_, v)| v.to_string())
        .collect()
}

/// Writes `runs.csv`, `aggregate.csv`, `comparison.csv`, `report.md` and
/// the sweep charts of a complete sweep directory, from its runs (every run
/// of the plan, in plan order: [`SweepDir::all_runs`]).
pub fn write_aggregates(
    dir: &SweepDir,
    exp: &Experiment,
    runs: &[RunRecord],
) -> Result<(), SweepError> {
    let (agg, cmp) = analyse(exp, runs);

    let mut header: Vec<String> = ["key", "point", "variant", "replication", "seed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(exp.param_keys.iter().cloned());
    header.extend(METRICS.iter().map(|(m, _)| m.to_string()));
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let mut row = vec![
                r.key.clone(),
                r.point.to_string(),
                r.variant.clone(),
                r.replication.to_string(),
                r.seed.to_string(),
            ];
            row.extend(params(exp, r.point));
            row.extend(
                METRICS
                    .iter()
                    .map(|(m, _)| r.metrics[*m].map(num).unwrap_or_default()),
            );
            row
        })
        .collect();
    write_atomic(&dir.path.join("runs.csv"), &csv_bytes(&header, &rows))?;

    let mut header: Vec<String> = vec!["point".into(), "variant".into()];
    header.extend(exp.param_keys.iter().cloned());
    header.extend(
        ["metric", "n", "mean", "sd", "ci_low", "ci_high", "interval"]
            .iter()
            .map(|s| s.to_string()),
    );
    let rows: Vec<Vec<String>> = agg
        .iter()
        .map(|a| {
            let mut row = vec![a.point.to_string(), a.variant.clone()];
            row.extend(params(exp, a.point));
            let e = a.estimate;
            row.extend([
                a.metric.clone(),
                e.n.to_string(),
                num(e.mean),
                num(e.sd),
                num(e.lo),
                num(e.hi),
                a.interval.to_string(),
            ]);
            row
        })
        .collect();
    write_atomic(&dir.path.join("aggregate.csv"), &csv_bytes(&header, &rows))?;

    let mut header: Vec<String> = vec!["point".into()];
    header.extend(exp.param_keys.iter().cloned());
    header.extend(
        [
            "variant",
            "baseline",
            "metric",
            "n",
            "mean_difference",
            "sd_difference",
            "ci_low",
            "ci_high",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let rows: Vec<Vec<String>> = cmp
        .iter()
        .map(|c| {
            let mut row = vec![c.point.to_string()];
            row.extend(params(exp, c.point));
            let e = c.estimate;
            row.extend([
                c.variant.clone(),
                c.baseline.clone(),
                c.metric.clone(),
                e.n.to_string(),
                num(e.mean),
                num(e.sd),
                num(e.lo),
                num(e.hi),
            ]);
            row
        })
        .collect();
    write_atomic(&dir.path.join("comparison.csv"), &csv_bytes(&header, &rows))?;

    write_atomic(
        &dir.path.join("report.md"),
        report_md(exp, &agg, &cmp).as_bytes(),
    )?;
    let plots_dir = dir.path.join("plots");
    fs::create_dir_all(&plots_dir).map_err(|source| SweepError::Io {
        path: plots_dir.display().to_string(),
        source,
    })?;
    plots::draw(exp, &agg, &cmp, &plots_dir)
}

/// The metrics `report.md` shows, with how to print them.
pub const REPORTED: [(&str, Quantity); 9] = [
    ("contract_failures", Quantity::Count),
    ("datasets_lost", Quantity::Count),
    ("loss_probability", Quantity::Percent),
    ("bytes_lost", Quantity::Bytes),
    ("repair_bytes", Quantity::Bytes),
    ("slots_repaired", Quantity::Count),
    ("slashes_of_intact_slots", Quantity::Count),
    ("mean_loss_detection_s", Quantity::Seconds),
    ("mean_fill_time_s", Quantity::Seconds),
];

/// A value in a readable unit.
pub fn human(q: Quantity, v: f64) -> String {
    if !v.is_finite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s: Scale = codexsim_report::scale::scale_for(q, v.abs());
    let x = v / s.div;
    let digits = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    if s.unit.is_empty() {
        format!("{x:.digits$}")
    } else if q == Quantity::Count {
        format!(
            "{x:.digits$} {}",
            match s.unit {
                "thousands" => "k",
                "millions" => "M",
                "billions" => "G",
                u => u,
            }
        )
    } else {
        format!("{x:.digits$} {}", s.unit)
    }
}

/// One Markdown table: a row per point and variant, a column per metric,
/// each cell an estimate with its interval (`-` when `find` has none).
fn md_table(
    out: &mut String,
    exp: &Experiment,
    variants: &[crate::experiment::Variant],
    metrics: &[(&str, Quantity)],
    find: impl Fn(usize, &str, &str) -> Option<Estimate>,
) {
    out.push_str("| point | variant |");
    for (m, _) in metrics {
        out.push_str(&format!(" {m} |"));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(metrics.len()));
    out.push('\n');
    for p in 0..exp.points.len() {
        let label = exp.describe_point(p);
        let label = if label.is_empty() {
            "all runs"
        } else {
            label.trim_start_matches(": ")
        };
        for v in variants {
            out.push_str(&format!("| {label} | {} |", v.name));
            for &(m, q) in metrics {
                let cell = find(p, &v.name, m).map_or_else(
                    || "-".to_string(),
                    |e| {
                        format!(
                            "{} [{}, {}]",
                            human(q, e.mean),
                            human(q, e.lo),
                            human(q, e.hi)
                        )
                    },
                );
                out.push_str(&format!(" {cell} |"));
            }
            out.push('\n');
        }
    }
}

fn report_md(exp: &Experiment, agg: &[AggregateRow], cmp: &[ComparisonRow]) -> String {
    let mut out = format!("# Sweep: {}\n\n", exp.name);
    if let Some(q) = &exp.question {
        out.push_str(&format!("Question: {q}\n\n"));
    }
    out.push_str(&format!(
        "{} points x {} variants x {} replications; {:.0} % confidence intervals \
         (Student t for means, Clopper-Pearson for the loss probability).\n\n",
        exp.points.len(),
        exp.variants.len(),
        exp.replications,
        exp.confidence * 100.0
    ));
    out.push_str("## Means\n\n");
    md_table(&mut out, exp, &exp.variants, &REPORTED, |p, v, m| {
        agg.iter()
            .find(|a| a.point == p && a.variant == v && a.metric == m)
            .map(|a| a.estimate)
    });
    if exp.variants.len() > 1 {
        out.push_str(&format!(
            "\n## Paired differences from `{}` (variant minus baseline, same seeds)\n\n",
            exp.variants[0].name
        ));
        let metrics: Vec<(&str, Quantity)> = REPORTED
            .iter()
            .copied()
            .filter(|(m, _)| *m != "loss_probability")
            .collect();
        md_table(&mut out, exp, &exp.variants[1..], &metrics, |p, v, m| {
            cmp.iter()
                .find(|c| c.point == p && c.variant == v && c.metric == m)
                .map(|c| c.estimate)
        });
    }
    out
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

    #[test]
    fn human_units() {
        assert_eq!(human(Quantity::Bytes, 5.31e15), "5.31 PB");
        assert_eq!(human(Quantity::Count, 47_176.0), "47.2 k");
        assert_eq!(human(Quantity::Count, 12.0), "12.0");
        assert_eq!(human(Quantity::Percent, 0.25), "25.0 %");
        assert_eq!(human(Quantity::Seconds, 241.0), "4.02 min");
    }
}
