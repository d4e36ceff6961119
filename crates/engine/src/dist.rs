//! Distributions the models draw durations and sizes from.
//!
//! The exponential uses the ziggurat in [`RandomStream::exp1`]; the others use
//! inverse-transform sampling from one uniform draw (the lognormal through
//! [`normal_quantile`]). The mapping from stream to sample is fixed by this
//! crate, not by a sampling library's internals.
//!
//! Transcendental functions come from the `libm` crate (a port of musl's),
//! not from the platform's C library, so that draws are bit-identical on every
//! platform.
//!
//! Parameters are unitless here; the configuration layer attaches units.

use crate::rng::RandomStream;

/// The natural logarithm from `libm` (bit-identical on every platform).
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// The standard normal quantile: Acklam's rational approximation refined by
/// one Halley step (relative error about 1e-15), computed with `libm` only,
/// so that it is bit-identical on every platform.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let p_low = 0.02425;
    let x = if p < p_low {
        tail(libm::sqrt(-2.0 * libm::log(p)))
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail(libm::sqrt(-2.0 * libm::log(1.0 - p)))
    };
    // One Halley step on Phi(x) - p.
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * libm::sqrt(2.0 * std::f64::consts::PI) * libm::exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

/// A validated distribution over non-negative reals.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always `value`.
    Fixed {
        /// The value.
        value: f64,
    },
    /// Exponential with the given mean (rate `1 / mean`).
    Exponential {
        /// The mean.
        mean: f64,
    },
    /// Weibull with shape `k` and scale `lambda`: `P(X > x) = exp(-(x / lambda)^k)`.
    Weibull {
        /// Shape `k` (`< 1` infant mortality, `1` exponential, `> 1` wear-out).
        shape: f64,
        /// Scale `lambda`.
        scale: f64,
    },
    /// `exp(N(mu, sigma^2))`.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// The empirical distribution of observed samples: each draw is one of
    /// them, chosen uniformly.
    Empirical {
        /// The observations (non-empty).
        samples: Vec<f64>,
    },
}

/// Why a distribution's parameters were refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{param} = {value}: {rule}")]
pub struct DistError {
    /// The parameter at fault.
    pub param: &'static str,
    /// Its value, as written.
    pub value: String,
    /// The rule it breaks.
    pub rule: &'static str,
}

fn finite_positive(param: &'static str, v: f64) -> Result<(), DistError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(DistError {
            param,
            value: v.to_string(),
            rule: "must be a finite number > 0",
        })
    }
}

fn finite_non_negative(param: &'static str, v: f64) -> Result<(), DistError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(DistError {
            param,
            value: v.to_string(),
            rule: "must be a finite number >= 0",
        })
    }
}

impl Dist {
    /// Checks the parameters; every constructor path should go through here.
    pub fn validate(&self) -> Result<(), DistError> {
        match self {
            Dist::Fixed { value } => finite_non_negative("value", *value),
            Dist::Exponential { mean } => finite_positive("mean", *mean),
            Dist::Weibull { shape, scale } => {
                finite_positive("shape", *shape)?;
                finite_positive("scale", *scale)
            }
            Dist::LogNormal { mu, sigma } => {
                if !mu.is_finite() {
                    return Err(DistError {
                        param: "mu",
                        value: mu.to_string(),
                        rule: "must be finite",
                    });
                }
                finite_positive("sigma", *sigma)
            }
            Dist::Uniform { min, max } => {
                finite_non_negative("min", *min)?;
                finite_non_negative("max", *max)?;
                if max < min {
                    return Err(DistError {
                        param: "max",
                        value: max.to_string(),
                        rule: "must be >= min",
                    });
                }
                Ok(())
            }
            Dist::Empirical { samples } => {
                if samples.is_empty() {
                    return Err(DistError {
                        param: "samples",
                        value: "[]".into(),
                        rule: "must hold at least one observation",
                    });
                }
                samples
                    .iter()
                    .try_for_each(|&s| finite_non_negative("samples", s))
            }
        }
    }

    /// The mean of the distribution.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed { value } => *value,
            Dist::Exponential { mean } => *mean,
            Dist::Weibull { shape, scale } => {
                scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape)
            }
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Empirical { samples } => samples.iter().sum::<f64>() / samples.len() as f64,
        }
    }

    /// One draw from `rng`.
    pub fn sample(&self, rng: &mut RandomStream) -> f64 {
        match self {
            Dist::Fixed { value } => *value,
            Dist::Exponential { mean } => rng.exponential(*mean),
            Dist::Weibull { shape, scale } => scale * libm::pow(rng.exp1(), 1.0 / shape),
            Dist::LogNormal { mu, sigma } => {
                // The quantile at exactly 0 is -inf; uniform01_open0 is in (0, 1].
                // At 1 it is +inf: nudge by one ulp below 1.
                let u = rng.uniform01_open0().min(1.0 - f64::EPSILON / 2.0);
                let z = normal_quantile(u);
                libm::exp(mu + sigma * z)
            }
            Dist::Uniform { min, max } => min + (max - min) * rng.uniform01(),
            Dist::Empirical { samples } => samples[rng.below(samples.len() as u64) as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::StreamId;

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = RandomStream::new(5, StreamId::new("dist-test", 0));
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        (m, (var / n as f64).sqrt())
    }

    /// Sample means are within 5 standard errors of the exact mean (a false
    /// alarm has probability below 1e-6 per case).
    #[test]
    fn sample_means_match_exact_means() {
        let cases = [
            Dist::Exponential { mean: 3.0 },
            Dist::Weibull {
                shape: 0.7,
                scale: 2.0,
            },
            Dist::Weibull {
                shape: 3.0,
                scale: 2.0,
            },
            Dist::LogNormal {
                mu: 0.5,
                sigma: 0.4,
            },
            Dist::Uniform { min: 1.0, max: 4.0 },
            Dist::Empirical {
                samples: vec![1.0, 2.0, 10.0],
            },
        ];
        for d in cases {
            d.validate().unwrap();
            let (m, se) = sample_mean(&d, 200_000);
            assert!(
                (m - d.mean()).abs() < 5.0 * se,
                "{d:?}: sample mean {m}, exact {}, se {se}",
                d.mean()
            );
        }
        assert_eq!(sample_mean(&Dist::Fixed { value: 2.5 }, 10).0, 2.5);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = Dist::Exponential { mean: 0.0 }.validate().unwrap_err();
        assert_eq!(e.to_string(), "mean = 0: must be a finite number > 0");
        let e = Dist::Uniform { min: 3.0, max: 1.0 }.validate().unwrap_err();
        assert_eq!(e.param, "max");
        assert!(Dist::Empirical { samples: vec![] }.validate().is_err());
        assert!(Dist::Weibull {
            shape: f64::NAN,
            scale: 1.0
        }
        .validate()
        .is_err());
    }

    /// Against statrs's quantile (an independent implementation).
    #[test]
    fn normal_quantile_is_accurate() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let n = Normal::standard();
        for p in [
            1e-300,
            1e-12,
            1e-6,
            0.001,
            0.02425,
            0.1,
            0.3,
            0.5,
            0.7,
            0.9,
            0.97575,
            0.999,
            1.0 - 1e-9,
        ] {
            let (a, b) = (normal_quantile(p), n.inverse_cdf(p));
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "p = {p}: {a} vs {b}"
            );
        }
        assert_eq!(normal_quantile(0.5), 0.0);
    }

    #[test]
    fn samples_are_never_negative() {
        let mut rng = RandomStream::new(1, StreamId::new("dist-test", 1));
        let d = Dist::LogNormal {
            mu: -3.0,
            sigma: 2.0,
        };
        for _ in 0..10_000 {
            let x = d.sample(&mut rng);
            assert!(x.is_finite() && x >= 0.0);
        }
    }
}
