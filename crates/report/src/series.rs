//! Owns turning a run's samples into the points drawn: rates from
//! cumulative counters (increments over bins of about 1/[`BINS`] of the run,
//! never shorter than the sample interval), and long series thinned to at
//! most [`MAX_POINTS`] points, keeping each bucket's extremes.

/// Rate bins per run.
pub const BINS: f64 = 150.0;

/// Per-time-unit increments of a cumulative counter sampled at `t`, over
/// bins of about 1/[`BINS`] of the run, each point at its bin's end.
pub fn rate(t: &[f64], cum: &[f64], per_s: f64) -> Vec<(f64, f64)> {
    if t.len() < 2 {
        return Vec::new();
    }
    let span = t[t.len() - 1] - t[0];
    let interval = (t[1] - t[0]).max(f64::MIN_POSITIVE);
    let stride = ((span / BINS) / interval).ceil().max(1.0) as usize;
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < t.len() {
        let j = (i + stride).min(t.len() - 1);
        let dt = t[j] - t[i];
        if dt > 0.0 {
            out.push((t[j], (cum[j] - cum[i]) / dt * per_s));
        }
        i = j;
    }
    out
}

/// Points of a series drawn at most [`MAX_POINTS`] points wide: longer
/// series keep, in each of `MAX_POINTS / 2` buckets, the lowest and the
/// highest point in time order, so spikes stay visible.
pub fn zip(t: &[f64], v: &[f64]) -> Vec<(f64, f64)> {
    let points: Vec<(f64, f64)> = t.iter().copied().zip(v.iter().copied()).collect();
    decimate(points)
}

/// Most points drawn per line.
pub const MAX_POINTS: usize = 3000;

/// See [`zip`].
pub fn decimate(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let n = points.len();
    if n <= MAX_POINTS {
        return points;
    }
    let buckets = MAX_POINTS / 2;
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for b in 0..buckets {
        let (lo, hi) = (b * n / buckets, (b + 1) * n / buckets);
        let chunk = &points[lo..hi];
        let min = (0..chunk.len()).min_by(|&i, &j| chunk[i].1.total_cmp(&chunk[j].1));
        let max = (0..chunk.len()).max_by(|&i, &j| chunk[i].1.total_cmp(&chunk[j].1));
        if let (Some(a), Some(z)) = (min, max) {
            let (first, second) = (a.min(z), a.max(z));
            out.push(chunk[first]);
            if second != first {
                out.push(chunk[second]);
            }
        }
    }
    if out.last() != points.last() {
        out.push(points[n - 1]);
    }
    if out.first() != points.first() {
        out.insert(0, points[0]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_keep_their_extremes() {
        let points: Vec<(f64, f64)> = (0..100_000)
            .map(|i| (i as f64, if i == 51_234 { 9.0 } else { (i % 7) as f64 }))
            .collect();
        let d = decimate(points);
        assert!(d.len() <= MAX_POINTS + 2);
        assert!(d.contains(&(51_234.0, 9.0)));
        assert_eq!(d[0], (0.0, 0.0));
        assert_eq!(d.last(), Some(&(99_999.0, (99_999 % 7) as f64)));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn rates_are_increments_per_unit() {
        // A counter growing 10 per hour, sampled hourly for 300 hours:
        // stride 2 samples, 240 per day.
        let t: Vec<f64> = (0..=300).map(|h| h as f64 * 3600.0).collect();
        let c: Vec<f64> = (0..=300).map(|h| h as f64 * 10.0).collect();
        let r = rate(&t, &c, 86_400.0);
        assert_eq!(r.len(), 150);
        assert_eq!(r[0], (7200.0, 240.0));
        assert!(r.iter().all(|&(_, v)| (v - 240.0).abs() < 1e-9));
    }
}
