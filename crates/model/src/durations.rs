//! Completed transfers' durations, for the summary's percentiles, in
//! bounded memory. A leaf: imports only the output format.
//!
//! Up to [`EXACT_LIMIT`] durations of a kind are kept as they are, and the
//! statistics are those of [`TransferStats::of`], exact. Past that the
//! durations go into a histogram whose buckets are the durations' `f64`
//! values with all but the top [`KEPT_MANTISSA_BITS`] bits of the mantissa
//! dropped: every bucket spans under 2^-12 (0.025 %) of its values, so a
//! percentile (the bucket's midpoint, at the same nearest rank) is within
//! 2^-13 (0.012 %) of the exact one. The count and the longest duration
//! stay exact; the mean is then the running sum (in arrival order) over the
//! count. A year of 10,000 nodes moves some 500 million fills; kept as they
//! are, their durations alone would take 4 GB.

use std::collections::BTreeMap;

use crate::output::TransferStats;

/// Durations kept as they are, per kind, before the histogram takes over
/// (32 MiB).
pub(crate) const EXACT_LIMIT: usize = 1 << 22;

/// Mantissa bits a histogram bucket keeps.
pub(crate) const KEPT_MANTISSA_BITS: u32 = 12;

const DROPPED_BITS: u32 = 52 - KEPT_MANTISSA_BITS;

/// The durations of one kind of transfer.
#[derive(Clone, Debug)]
pub(crate) struct Durations {
    limit: usize,
    exact: Vec<f64>,
    /// Bucket (a duration's bits shifted right by [`DROPPED_BITS`]) to count,
    /// once more than `limit` durations came.
    buckets: BTreeMap<u64, u64>,
    count: u64,
    sum_s: f64,
    max_s: f64,
}

impl Default for Durations {
    fn default() -> Self {
        Self::with_exact_limit(EXACT_LIMIT)
    }
}

impl Durations {
    /// Keeps up to `limit` durations as they are.
    pub(crate) fn with_exact_limit(limit: usize) -> Self {
        Durations {
            limit,
            exact: Vec::new(),
            buckets: BTreeMap::new(),
            count: 0,
            sum_s: 0.0,
            max_s: 0.0,
        }
    }

    /// A completed transfer took `took_s` seconds (finite, non-negative).
    pub(crate) fn push(&mut self, took_s: f64) {
        debug_assert!(took_s >= 0.0 && took_s.is_finite());
        let took_s = took_s.max(0.0);
        self.count += 1;
        self.sum_s += took_s;
        self.max_s = self.max_s.max(took_s);
        if self.buckets.is_empty() && self.exact.len() < self.limit {
            self.exact.push(took_s);
            return;
        }
        if !self.exact.is_empty() {
            for x in std::mem::take(&mut self.exact) {
                *self.buckets.entry(bucket(x)).or_insert(0) += 1;
            }
        }
        *self.buckets.entry(bucket(took_s)).or_insert(0) += 1;
    }

    /// Their statistics: exact while they are kept as they are (see the
    /// module documentation).
    pub(crate) fn stats(&self) -> TransferStats {
        if self.buckets.is_empty() {
            return TransferStats::of(&self.exact);
        }
        let n = self.count;
        let q = |p: f64| -> Option<f64> {
            let rank = ((p * n as f64).ceil() as u64).clamp(1, n);
            let mut seen = 0;
            for (&b, &c) in &self.buckets {
                seen += c;
                if seen >= rank {
                    return Some(midpoint(b).min(self.max_s));
                }
            }
            Some(self.max_s)
        };
        TransferStats {
            count: n,
            mean_s: Some(self.sum_s / n as f64),
            p50_s: q(0.5),
            p90_s: q(0.9),
            p99_s: q(0.99),
            max_s: Some(self.max_s),
        }
    }
}

fn bucket(x: f64) -> u64 {
    x.to_bits() >> DROPPED_BITS
}

/// The middle of a bucket's values (0 for the bucket of 0).
fn midpoint(b: u64) -> f64 {
    if b == 0 {
        return 0.0;
    }
    f64::from_bits((b << DROPPED_BITS) | (1 << (DROPPED_BITS - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use codexsim_engine::{RandomStream, StreamId};

    fn sample(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = RandomStream::new(seed, StreamId::new("durations", 0));
        (0..n)
            .map(|_| {
                // Log-uniform, 1 ms to 2 days, with ties and zeros.
                match rng.below(20) {
                    0 => 0.0,
                    1 => 60.0,
                    _ => (rng.uniform01() * 19.0 - 7.0).exp(),
                }
            })
            .collect()
    }

    #[test]
    fn below_the_limit_the_statistics_are_exact() {
        let xs = sample(5_000, 1);
        let mut d = Durations::with_exact_limit(5_000);
        for &x in &xs {
            d.push(x);
        }
        assert_eq!(d.stats(), TransferStats::of(&xs));
        assert_eq!(d.stats().count, 5_000);
        assert_eq!(Durations::default().stats(), TransferStats::of(&[]));
    }

    #[test]
    fn past_the_limit_percentiles_are_within_the_stated_resolution() {
        for seed in 0..5 {
            let xs = sample(20_001, seed);
            let mut d = Durations::with_exact_limit(1_000);
            for &x in &xs {
                d.push(x);
            }
            let (got, want) = (d.stats(), TransferStats::of(&xs));
            assert_eq!(got.count, want.count);
            assert_eq!(got.max_s, want.max_s);
            let close = |a: Option<f64>, b: Option<f64>, tol: f64| {
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!((a - b).abs() <= tol * b, "{a} against {b} (seed {seed})");
            };
            let resolution = 2f64.powi(-(KEPT_MANTISSA_BITS as i32) - 1);
            close(got.p50_s, want.p50_s, resolution);
            close(got.p90_s, want.p90_s, resolution);
            close(got.p99_s, want.p99_s, resolution);
            close(got.mean_s, want.mean_s, 1e-12);
        }
    }

    #[test]
    fn buckets_hold_their_values() {
        for &x in &[1e-9, 0.001, 1.0, 1.5, 99.2, 3e7] {
            let m = midpoint(bucket(x));
            assert!((m - x).abs() <= x * 2f64.powi(-(KEPT_MANTISSA_BITS as i32)));
            assert_eq!(bucket(m), bucket(x));
        }
        assert_eq!(midpoint(bucket(0.0)), 0.0);
    }
}
