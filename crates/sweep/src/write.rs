//! The aggregates' files of a complete sweep directory, from its runs and
//! their statistics: `runs.csv` (one row per run: parameters and every
//! metric), `aggregate.csv` (point, variant, parameters, metric, n, mean,
//! sd, ci_low, ci_high, interval), `comparison.csv` (point, parameters,
//! variant, baseline, metric, n, mean_difference, sd_difference, ci_low,
//! ci_high), `report.md` (the reported metrics in readable units) and
//! `plots/` (drawn by [`crate::plots`]). Tidy CSV, for notebooks.
//!
//! Computes no statistic: the rows come from [`crate::stats`].

use std::fs;

use codexsim_report::scale::{Quantity, Scale};

use crate::dir::{write_atomic, SweepDir};
use crate::experiment::{Experiment, Variant};
use crate::plots;
use crate::record::{RunRecord, LOSS_PROBABILITY, METRICS};
use crate::stats::{AggregateRow, ComparisonRow, Estimate};
use crate::SweepError;

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
/// of the plan, in plan order: [`SweepDir::all_runs`]) and their
/// statistics ([`crate::stats::analyse`]).
pub fn write_outputs(
    dir: &SweepDir,
    exp: &Experiment,
    runs: &[RunRecord],
    agg: &[AggregateRow],
    cmp: &[ComparisonRow],
) -> Result<(), SweepError> {
    write_atomic(&dir.path.join("runs.csv"), &runs_csv(exp, runs))?;
    write_atomic(&dir.path.join("aggregate.csv"), &aggregate_csv(exp, agg))?;
    write_atomic(&dir.path.join("comparison.csv"), &comparison_csv(exp, cmp))?;
    write_atomic(
        &dir.path.join("report.md"),
        report_md(exp, agg, cmp).as_bytes(),
    )?;
    let plots_dir = dir.path.join("plots");
    fs::create_dir_all(&plots_dir).map_err(|source| SweepError::Io {
        path: plots_dir.display().to_string(),
        source,
    })?;
    plots::draw(exp, agg, cmp, &plots_dir)
}

/// `runs.csv`: one row per run, its parameters and every metric.
pub fn runs_csv(exp: &Experiment, runs: &[RunRecord]) -> Vec<u8> {
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
                    .map(|(m, _)| r.metric(m).map(num).unwrap_or_default()),
            );
            row
        })
        .collect();
    csv_bytes(&header, &rows)
}

/// `aggregate.csv`: one row per point, variant and metric.
pub fn aggregate_csv(exp: &Experiment, agg: &[AggregateRow]) -> Vec<u8> {
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
    csv_bytes(&header, &rows)
}

/// `comparison.csv`: one row per point, variant (but the baseline) and
/// metric.
pub fn comparison_csv(exp: &Experiment, cmp: &[ComparisonRow]) -> Vec<u8> {
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
    csv_bytes(&header, &rows)
}

/// The metrics `report.md` shows after the experiment's own (each printed
/// in the unit [`crate::plots::quantity`] reads from its name).
pub const REPORTED: [&str; 9] = [
    "contract_failures",
    "datasets_lost",
    "loss_probability",
    "bytes_lost",
    "repair_bytes",
    "slots_repaired",
    "slashes_of_intact_slots",
    "mean_loss_detection_s",
    "mean_fill_time_s",
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
    variants: &[Variant],
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
    // The experiment's own metrics first, then the usual ones.
    let mut shown: Vec<(&str, Quantity)> = Vec::new();
    for m in exp.metrics.iter().map(String::as_str).chain(REPORTED) {
        if !shown.iter().any(|(s, _)| *s == m) {
            shown.push((m, crate::plots::quantity(m)));
        }
    }
    out.push_str("## Means\n\n");
    md_table(&mut out, exp, &exp.variants, &shown, |p, v, m| {
        agg.iter()
            .find(|a| a.point == p && a.variant == v && a.metric == m)
            .map(|a| a.estimate)
    });
    if exp.variants.len() > 1 {
        out.push_str(&format!(
            "\n## Paired differences from `{}` (variant minus baseline, same seeds)\n\n",
            exp.variants[0].name
        ));
        let metrics: Vec<(&str, Quantity)> = shown
            .iter()
            .copied()
            .filter(|(m, _)| *m != LOSS_PROBABILITY)
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
    fn human_units() {
        assert_eq!(human(Quantity::Bytes, 5.31e15), "5.31 PB");
        assert_eq!(human(Quantity::Count, 47_176.0), "47.2 k");
        assert_eq!(human(Quantity::Count, 12.0), "12.0");
        assert_eq!(human(Quantity::Percent, 0.25), "25.0 %");
        assert_eq!(human(Quantity::Seconds, 241.0), "4.02 min");
    }

    #[test]
    fn numbers_round_trip_and_infinities_are_named() {
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(3.0), "3.0");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NEG_INFINITY), "-inf");
        assert_eq!(num(f64::NAN), "");
    }
}
