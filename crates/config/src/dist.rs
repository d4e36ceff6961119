//! Distributions as written in a configuration.
//!
//! A field that takes a distribution accepts either a plain quantity (a fixed
//! value) or an inline table with a `dist` key:
//!
//! ```toml
//! lifetime_s = "1 year"                                       # fixed
//! lifetime_s = { dist = "exponential", mean = "1 year" }
//! lifetime_s = { dist = "weibull", shape = 0.8, scale = "2 years" }
//! lifetime_s = { dist = "lognormal", median = "10 h", sigma = 0.5 }
//! lifetime_s = { dist = "uniform", min = "1 h", max = "3 h" }
//! lifetime_s = { dist = "fixed", value = "24 h" }
//! lifetime_s = { dist = "empirical", samples = ["1 h", "90 min", 7200] }
//! ```
//!
//! Quantities take the unit of the field (`_s`: seconds; `_bytes`: bytes);
//! `shape` and `sigma` are unitless.

use serde::{Deserialize, Serialize};

use codexsim_engine::{Dist, SimDuration};

use crate::error::ConfigErrors;
use crate::units::RawQuantity;
use crate::validate::{Ctx, Unit, MAX_DURATION_RULE};

/// The table form.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum RawDistTable {
    /// Always `value`.
    Fixed {
        /// The value.
        value: RawQuantity,
    },
    /// Exponential with mean `mean`.
    Exponential {
        /// The mean.
        mean: RawQuantity,
    },
    /// Weibull: `P(X > x) = exp(-(x / scale)^shape)`.
    Weibull {
        /// Unitless shape.
        shape: f64,
        /// Scale, in the field's unit.
        scale: RawQuantity,
    },
    /// Lognormal given by its median and the standard deviation of its log.
    Lognormal {
        /// The median, `exp(mu)`.
        median: RawQuantity,
        /// Standard deviation of the logarithm, unitless.
        sigma: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: RawQuantity,
        /// Upper bound.
        max: RawQuantity,
    },
    /// Resampling of observations.
    Empirical {
        /// Observations.
        samples: Vec<RawQuantity>,
    },
}

/// A distribution field as written: a plain quantity or a table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RawDist {
    /// A fixed value.
    Scalar(RawQuantity),
    /// A `{ dist = ... }` table.
    Table(RawDistTable),
}

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = toml::Value::deserialize(d)?;
        match value {
            toml::Value::Table(_) => RawDistTable::deserialize(value)
                .map(RawDist::Table)
                .map_err(D::Error::custom),
            other => RawQuantity::deserialize(other)
                .map(RawDist::Scalar)
                .map_err(D::Error::custom),
        }
    }
}

impl Ctx {
    /// Validates a distribution field into an engine [`Dist`] in the base unit
    /// (seconds or bytes). Records errors and returns `None` on failure.
    pub fn dist(&mut self, path: &str, raw: &RawDist, unit: Unit) -> Option<Dist> {
        let before = self.errors.0.len();
        let q = |ctx: &mut Ctx, name: &str, v: &RawQuantity| -> f64 {
            ctx.quantity_f64(&format!("{path}.{name}"), v, unit)
                .unwrap_or(1.0)
        };
        let dist = match raw {
            RawDist::Scalar(v) => Dist::Fixed {
                value: self.quantity_f64(path, v, unit).unwrap_or(0.0),
            },
            RawDist::Table(t) => match t {
                RawDistTable::Fixed { value } => Dist::Fixed {
                    value: q(self, "value", value),
                },
                RawDistTable::Exponential { mean } => Dist::Exponential {
                    mean: q(self, "mean", mean),
                },
                RawDistTable::Weibull { shape, scale } => Dist::Weibull {
                    shape: *shape,
                    scale: q(self, "scale", scale),
                },
                RawDistTable::Lognormal { median, sigma } => {
                    let m = q(self, "median", median);
                    if m <= 0.0 {
                        self.errors
                            .push(format!("{path}.median"), median, "must be > 0");
                    }
                    Dist::LogNormal {
                        mu: m.max(f64::MIN_POSITIVE).ln(),
                        sigma: *sigma,
                    }
                }
                RawDistTable::Uniform { min, max } => Dist::Uniform {
                    min: q(self, "min", min),
                    max: q(self, "max", max),
                },
                RawDistTable::Empirical { samples } => Dist::Empirical {
                    samples: samples
                        .iter()
                        .enumerate()
                        .map(|(i, s)| q(self, &format!("samples[{i}]"), s))
                        .collect(),
                },
            },
        };
        if self.errors.0.len() > before {
            return None;
        }
        if unit == Unit::Seconds {
            // Every scale of a time distribution within the clock's range:
            // its draws past that are cut (SimDuration::DRAWN_MAX), which is
            // right only for a far tail, not for the bulk.
            let max_s = SimDuration::CONFIG_MAX.as_secs_f64();
            let scales: Vec<(String, f64)> = match &dist {
                Dist::Fixed { value } => vec![(String::new(), *value)],
                Dist::Exponential { mean } => vec![(".mean".into(), *mean)],
                Dist::Weibull { scale, .. } => vec![(".scale".into(), *scale)],
                Dist::LogNormal { mu, .. } => vec![(".median".into(), mu.exp())],
                Dist::Uniform { max, .. } => vec![(".max".into(), *max)],
                Dist::Empirical { samples } => samples
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (format!(".samples[{i}]"), v))
                    .collect(),
            };
            for (param, v) in scales {
                if v > max_s {
                    let key = if matches!(raw, RawDist::Scalar(_)) {
                        path.to_string()
                    } else {
                        format!("{path}{}", if param.is_empty() { ".value" } else { &param })
                    };
                    self.errors
                        .push(key, RawQuantity::Float(v), MAX_DURATION_RULE);
                    return None;
                }
            }
        }
        if let Err(e) = dist.validate() {
            let key = if matches!(raw, RawDist::Scalar(_)) {
                path.to_string()
            } else {
                format!("{path}.{}", e.param)
            };
            self.errors.push(key, e.value, e.rule);
            return None;
        }
        Some(dist)
    }
}

/// Validates a standalone distribution (used by tests and tools).
pub fn validate_dist(path: &str, raw: &RawDist, unit: Unit) -> Result<Dist, ConfigErrors> {
    let mut ctx = Ctx::default();
    match ctx.dist(path, raw, unit) {
        Some(d) => Ok(d),
        None => Err(ctx.errors),
    }
}
