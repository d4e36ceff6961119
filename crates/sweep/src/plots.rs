//! Sweep charts: each charted metric against the parameter (one line per
//! variant, with its confidence band), heatmaps for two-parameter grids,
//! and the paired differences from the baseline. Draws the rows of
//! [`crate::stats`] into `plots/` (the directory is [`crate::write`]'s).

use std::path::Path;

use codexsim_report::scale::Quantity;
use codexsim_report::sweep_charts::{write_band, write_heatmap, BandChart, BandSeries, Heatmap};

use crate::experiment::Experiment;
use crate::record::LOSS_PROBABILITY;
use crate::stats::{AggregateRow, ComparisonRow};
use crate::SweepError;

/// How a metric's values read.
pub fn quantity(metric: &str) -> Quantity {
    if metric.ends_with("_bytes") || metric == "bytes_lost" {
        Quantity::Bytes
    } else if metric.ends_with("_s") {
        Quantity::Seconds
    } else if metric == LOSS_PROBABILITY || metric == "data_loss" || metric.ends_with("_share") {
        Quantity::Percent
    } else {
        Quantity::Count
    }
}

/// The x axis: numeric parameter values, or categories.
fn x_axis(exp: &Experiment) -> (String, Vec<f64>, Option<Vec<String>>) {
    let n = exp.points.len();
    let index: Vec<f64> = (0..n).map(|i| i as f64).collect();
    match exp.param_keys.len() {
        0 => ("".into(), index, Some(vec!["all runs".into()])),
        1 => {
            let numeric: Option<Vec<f64>> = exp
                .points
                .iter()
                .map(|p| {
                    p.params[0]
                        .1
                        .as_float()
                        .or(p.params[0].1.as_integer().map(|i| i as f64))
                })
                .collect();
            match numeric {
                Some(xs) => (exp.param_keys[0].clone(), xs, None),
                None => (
                    exp.param_keys[0].clone(),
                    index,
                    Some(exp.points.iter().map(|p| label(&p.params[0].1)).collect()),
                ),
            }
        }
        _ => (
            exp.param_keys.join(" / "),
            index,
            Some(
                exp.points
                    .iter()
                    .map(|p| {
                        p.params
                            .iter()
                            .map(|(_, v)| label(v))
                            .collect::<Vec<_>>()
                            .join(" / ")
                    })
                    .collect(),
            ),
        ),
    }
}

fn label(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Draws every chart of a complete sweep into `dir`.
pub fn draw(
    exp: &Experiment,
    agg: &[AggregateRow],
    cmp: &[ComparisonRow],
    dir: &Path,
) -> Result<(), SweepError> {
    let (x_label, xs, cats) = x_axis(exp);
    let heat = exp.grid_keys.len() == 2 && exp.param_keys.len() == 2;
    for metric in &exp.metrics {
        let q = quantity(metric);
        if heat {
            let (kx, ky) = (&exp.grid_keys[0], &exp.grid_keys[1]);
            let values = |k: &str| -> Vec<String> {
                let mut v: Vec<String> = Vec::new();
                for p in &exp.points {
                    let s = p
                        .params
                        .iter()
                        .find(|(pk, _)| pk == k)
                        .map(|(_, v)| label(v))
                        .unwrap_or_default();
                    if !v.contains(&s) {
                        v.push(s);
                    }
                }
                v
            };
            let (xv, yv) = (values(kx), values(ky));
            for variant in &exp.variants {
                let mut cells = vec![vec![None; xv.len()]; yv.len()];
                for (p, point) in exp.points.iter().enumerate() {
                    let at = |k: &str, vals: &[String]| {
                        let s = point
                            .params
                            .iter()
                            .find(|(pk, _)| pk == k)
                            .map(|(_, v)| label(v))
                            .unwrap_or_default();
                        vals.iter().position(|x| *x == s).unwrap_or(0)
                    };
                    let (x, y) = (at(kx, &xv), at(ky, &yv));
                    cells[y][x] = agg
                        .iter()
                        .find(|a| a.point == p && a.variant == variant.name && a.metric == *metric)
                        .map(|a| a.estimate.mean);
                }
                write_heatmap(
                    &Heatmap {
                        name: format!("{metric}-{}", variant.name),
                        title: format!(
                            "{metric} ({}, mean of {} runs)",
                            variant.name, exp.replications
                        ),
                        x_label: kx.clone(),
                        x_values: xv.clone(),
                        y_label: ky.clone(),
                        y_values: yv.clone(),
                        cells,
                        quantity: q,
                    },
                    dir,
                )?;
            }
        }
        // Band chart (x categories are variants when nothing varies).
        let series: Vec<BandSeries> = if exp.param_keys.is_empty() {
            vec![BandSeries {
                label: metric.clone(),
                points: exp
                    .variants
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        agg.iter()
                            .find(|a| a.point == 0 && a.variant == v.name && a.metric == *metric)
                            .map(|a| (i as f64, a.estimate.mean, a.estimate.lo, a.estimate.hi))
                    })
                    .collect(),
            }]
        } else {
            exp.variants
                .iter()
                .map(|v| BandSeries {
                    label: v.name.clone(),
                    points: (0..exp.points.len())
                        .filter_map(|p| {
                            agg.iter()
                                .find(|a| {
                                    a.point == p && a.variant == v.name && a.metric == *metric
                                })
                                .map(|a| (xs[p], a.estimate.mean, a.estimate.lo, a.estimate.hi))
                        })
                        .collect(),
                })
                .collect()
        };
        let categories = if exp.param_keys.is_empty() {
            Some(exp.variants.iter().map(|v| v.name.clone()).collect())
        } else {
            cats.clone()
        };
        write_band(
            &BandChart {
                name: metric.clone(),
                title: format!(
                    "{metric}: mean and {:.0} % interval of {} runs",
                    exp.confidence * 100.0,
                    exp.replications
                ),
                x_label: if exp.param_keys.is_empty() {
                    "variant".into()
                } else {
                    x_label.clone()
                },
                x_categories: categories,
                y_what: metric.clone(),
                y: q,
                series,
            },
            dir,
        )?;
        if exp.variants.len() > 1 && metric != LOSS_PROBABILITY {
            let series: Vec<BandSeries> = exp.variants[1..]
                .iter()
                .map(|v| BandSeries {
                    label: format!("{} - {}", v.name, exp.variants[0].name),
                    points: (0..exp.points.len())
                        .filter_map(|p| {
                            cmp.iter()
                                .find(|c| {
                                    c.point == p && c.variant == v.name && c.metric == *metric
                                })
                                .map(|c| (xs[p], c.estimate.mean, c.estimate.lo, c.estimate.hi))
                        })
                        .collect(),
                })
                .collect();
            let categories = if exp.param_keys.is_empty() {
                Some(vec!["all runs".into()])
            } else {
                cats.clone()
            };
            write_band(
                &BandChart {
                    name: format!("difference-{metric}"),
                    title: format!(
                        "{metric}: paired difference from {} (same seeds)",
                        exp.variants[0].name
                    ),
                    x_label: if exp.param_keys.is_empty() {
                        "".into()
                    } else {
                        x_label.clone()
                    },
                    x_categories: categories,
                    y_what: format!("difference in {metric}"),
                    y: q,
                    series,
                },
                dir,
            )?;
        }
    }
    Ok(())
}
