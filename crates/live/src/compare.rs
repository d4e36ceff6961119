//! Simulated series against live ones: matched by metric name (a live
//! counter's `_total` ignored) and by the simulated series' labels (live
//! series may carry more, such as `job`), aligned in time, and measured.

use crate::Series;

/// One simulated series against one live series.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The live series.
    pub live: String,
    /// The simulated series matched to it.
    pub simulated: String,
    /// Aligned points `(unix s, live, simulated)`.
    pub points: Vec<(f64, f64, f64)>,
    /// Root mean square error.
    pub rmse: f64,
    /// Mean absolute percentage error over live values that are not zero,
    /// percent (`None` when every live value is zero).
    pub mape_percent: Option<f64>,
    /// Largest absolute error.
    pub max_abs: f64,
    /// Kolmogorov-Smirnov distance between the live values and the
    /// simulated values in the same time span.
    pub ks: f64,
}

/// The same metric: `live` (already in the node's snake case) with or
/// without a counter's `_total`.
fn name_matches(sim: &str, live: &str) -> bool {
    sim == live || live.strip_suffix("_total") == Some(sim)
}

/// The simulated series a live series corresponds to: the same metric (the
/// live name as the node writes it or as the dashboards' camel case), and
/// every label of the simulated series present in the live one with the
/// same value. `None` unless exactly one matches.
pub fn matching<'a>(sim: &'a [Series], live: &Series) -> Option<&'a Series> {
    let live_name = crate::names::snake_case(&live.name);
    let mut found = sim.iter().filter(|s| {
        name_matches(&s.name, &live_name)
            && s.labels.iter().all(|(k, v)| live.labels.get(k) == Some(v))
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The simulated value in force at `t`: the last sample at or before it
/// (what a Prometheus query sees), `None` outside the series' span.
pub fn value_at(s: &Series, t: f64) -> Option<f64> {
    let i = s.points.partition_point(|p| p.0 <= t + 1e-6);
    if i == 0 {
        return None;
    }
    let last = s.points.last()?.0;
    let gap = if s.points.len() > 1 {
        (last - s.points[0].0) / (s.points.len() - 1) as f64
    } else {
        0.0
    };
    (t <= last + gap.max(1.0)).then(|| s.points[i - 1].1)
}

/// Two-sample Kolmogorov-Smirnov distance.
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// Compares every live series that matches a simulated one; returns the
/// comparisons and the ids of live series that matched none.
///
/// Returns the comparisons and the live series compared with nothing: their
/// ids, and for those whose name matched but whose times did not, why.
pub fn compare(sim: &[Series], live: &[Series]) -> (Vec<Comparison>, Vec<String>) {
    let mut out = Vec::new();
    let mut unmatched = Vec::new();
    for l in live {
        let Some(s) = matching(sim, l) else {
            unmatched.push(l.id());
            continue;
        };
        let points: Vec<(f64, f64, f64)> = l
            .points
            .iter()
            .filter_map(|&(t, v)| value_at(s, t).map(|x| (t, v, x)))
            .collect();
        if points.is_empty() {
            // The names match; the times do not.
            let span = |p: &[(f64, f64)]| match (p.first(), p.last()) {
                (Some(a), Some(b)) => format!("{}-{}", a.0, b.0),
                _ => "none".to_string(),
            };
            unmatched.push(format!(
                "{} (matches {} by name, but its times, {} unix s, do not overlap the run's, {}: \
                 check --start-unix)",
                l.id(),
                s.id(),
                span(&l.points),
                span(&s.points)
            ));
            continue;
        }
        let n = points.len() as f64;
        let rmse = (points.iter().map(|p| (p.2 - p.1).powi(2)).sum::<f64>() / n).sqrt();
        // (NaN if any error is: f64::max would drop it.)
        let max_abs = points
            .iter()
            .map(|p| (p.2 - p.1).abs())
            .fold(0.0, |m: f64, e| if e.is_nan() { e } else { m.max(e) });
        let nz: Vec<f64> = points
            .iter()
            .filter(|p| p.1 != 0.0)
            .map(|p| ((p.2 - p.1) / p.1).abs())
            .collect();
        let mape_percent =
            (!nz.is_empty()).then(|| 100.0 * nz.iter().sum::<f64>() / nz.len() as f64);
        let (t0, t1) = (points[0].0, points[points.len() - 1].0);
        let sim_values: Vec<f64> = s
            .points
            .iter()
            .filter(|p| p.0 >= t0 - 1e-6 && p.0 <= t1 + 1e-6)
            .map(|p| p.1)
            .collect();
        let live_values: Vec<f64> = l.points.iter().map(|p| p.1).collect();
        out.push(Comparison {
            live: l.id(),
            simulated: s.id(),
            rmse,
            mape_percent,
            max_abs,
            ks: ks_distance(&live_values, &sim_values),
            points,
        });
    }
    (out, unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn series(name: &str, inst: &str, points: Vec<(f64, f64)>) -> Series {
        let mut labels = BTreeMap::new();
        labels.insert("instance".to_string(), inst.to_string());
        Series {
            name: name.into(),
            labels,
            points,
        }
    }

    #[test]
    fn errors_by_hand() {
        let sim = vec![series(
            "x",
            "n0",
            vec![(0.0, 10.0), (60.0, 20.0), (120.0, 30.0)],
        )];
        let mut live = series("x", "n0", vec![(30.0, 11.0), (60.0, 18.0), (150.0, 30.0)]);
        live.labels.insert("job".into(), "codex".into());
        let (c, unmatched) = compare(&sim, &[live]);
        assert!(unmatched.is_empty());
        // Sample-and-hold: 10 at 30 s, 20 at 60 s, 30 at 150 s.
        assert_eq!(
            c[0].points,
            vec![(30.0, 11.0, 10.0), (60.0, 18.0, 20.0), (150.0, 30.0, 30.0)]
        );
        assert!((c[0].rmse - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(c[0].max_abs, 2.0);
        let mape = 100.0 * (1.0 / 11.0 + 2.0 / 18.0) / 3.0;
        assert!((c[0].mape_percent.unwrap() - mape).abs() < 1e-9);
    }

    #[test]
    fn dashboard_names_match_the_nodes() {
        let sim = vec![
            series("codex_repostore_bytes_used", "node-3", vec![(0.0, 1.0)]),
            series("codex_purchases_started", "fleet", vec![(0.0, 1.0)]),
        ];
        let used = series("codexRepostoreBytesUsed", "node-3", vec![(0.0, 1.0)]);
        assert_eq!(
            matching(&sim, &used).unwrap().name,
            "codex_repostore_bytes_used"
        );
        let started = series("codexPurchasesStartedTotal", "fleet", vec![(0.0, 1.0)]);
        assert_eq!(
            matching(&sim, &started).unwrap().name,
            "codex_purchases_started"
        );
        let other = series("codexRepostoreBytesReserved", "node-3", vec![(0.0, 1.0)]);
        assert!(matching(&sim, &other).is_none());
    }

    #[test]
    fn counters_match_their_total_and_labels_must_agree() {
        let sim = vec![series("codex_purchases_started", "fleet", vec![(0.0, 1.0)])];
        let live = series("codex_purchases_started_total", "fleet", vec![(0.0, 1.0)]);
        assert!(matching(&sim, &live).is_some());
        let other = series("codex_purchases_started_total", "node-1", vec![(0.0, 1.0)]);
        assert!(matching(&sim, &other).is_none());
    }

    #[test]
    fn ks_by_hand() {
        assert_eq!(ks_distance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(ks_distance(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
        assert!((ks_distance(&[1.0, 2.0, 3.0, 4.0], &[2.5, 3.5]) - 0.5).abs() < 1e-12);
    }
}
