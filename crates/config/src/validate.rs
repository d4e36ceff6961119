//! Helpers that turn raw values into typed ones, recording every problem.

use codexsim_engine::SimDuration;

use crate::error::ConfigErrors;
use crate::units::{parse_bytes, parse_duration_ns, RawQuantity};

/// The unit of a quantity field, given by its name's suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `_s`: seconds (strings may use other time units).
    Seconds,
    /// `_bytes`: bytes (strings may use kB ... PiB).
    Bytes,
}

/// The rule for a span longer than [`SimDuration::CONFIG_MAX`].
pub const MAX_DURATION_RULE: &str =
    "must be at most 200 years (6307200000 s): the simulated clock \
     counts nanoseconds in 64 bits (584 years), and a run plus any one span must fit";

/// Collects errors while validating.
#[derive(Debug, Default)]
pub struct Ctx {
    /// Problems found so far.
    pub errors: ConfigErrors,
}

impl Ctx {
    /// A quantity in its base unit as a float (seconds or bytes), `>= 0`.
    pub fn quantity_f64(&mut self, path: &str, q: &RawQuantity, unit: Unit) -> Option<f64> {
        let v = match (q, unit) {
            (RawQuantity::Int(v), _) => *v as f64,
            (RawQuantity::Float(v), _) => *v,
            (RawQuantity::Text(t), Unit::Seconds) => match parse_duration_ns(t) {
                Ok(ns) => ns as f64 / 1e9,
                Err(rule) => {
                    self.errors.push(path, q, rule);
                    return None;
                }
            },
            (RawQuantity::Text(t), Unit::Bytes) => match parse_bytes(t) {
                Ok(b) => b as f64,
                Err(rule) => {
                    self.errors.push(path, q, rule);
                    return None;
                }
            },
        };
        if !v.is_finite() || v < 0.0 {
            let unit = match unit {
                Unit::Seconds => "seconds",
                Unit::Bytes => "bytes",
            };
            self.errors
                .push(path, q, format!("must be a finite number >= 0 ({unit})"));
            return None;
        }
        Some(v)
    }

    /// A byte count `>= min_bytes`.
    pub fn bytes(&mut self, path: &str, q: &RawQuantity, min_bytes: u64) -> Option<u64> {
        let v = match q {
            RawQuantity::Int(v) if *v >= 0 => *v as u64,
            RawQuantity::Int(_) => {
                self.errors.push(path, q, "must not be negative (bytes)");
                return None;
            }
            RawQuantity::Float(_) => {
                self.errors.push(
                    path,
                    q,
                    "must be a whole number of bytes (write \"1.5 GB\" for a fraction of a unit)",
                );
                return None;
            }
            RawQuantity::Text(t) => match parse_bytes(t) {
                Ok(b) => b,
                Err(rule) => {
                    self.errors.push(path, q, rule);
                    return None;
                }
            },
        };
        if v < min_bytes {
            self.errors
                .push(path, q, format!("must be at least {min_bytes} bytes"));
            return None;
        }
        Some(v)
    }

    /// A duration `>= min`.
    pub fn duration(
        &mut self,
        path: &str,
        q: &RawQuantity,
        min: SimDuration,
    ) -> Option<SimDuration> {
        let d = match q {
            RawQuantity::Int(v) if *v >= 0 => SimDuration::from_secs(*v as u64),
            RawQuantity::Float(v) if v.is_finite() && *v >= 0.0 => SimDuration::from_secs_f64(*v),
            RawQuantity::Int(_) | RawQuantity::Float(_) => {
                self.errors
                    .push(path, q, "must be a finite number of seconds >= 0");
                return None;
            }
            RawQuantity::Text(t) => match parse_duration_ns(t) {
                Ok(ns) => SimDuration::from_nanos(ns),
                Err(rule) => {
                    self.errors.push(path, q, rule);
                    return None;
                }
            },
        };
        if d > SimDuration::CONFIG_MAX {
            self.errors.push(path, q, MAX_DURATION_RULE);
            return None;
        }
        if d < min {
            let rule = if min == SimDuration::from_nanos(1) {
                "must be > 0 (seconds)".to_string()
            } else {
                format!("must be at least {min}")
            };
            self.errors.push(path, q, rule);
            return None;
        }
        Some(d)
    }

    /// An integer in `[min, max]`.
    pub fn int_in(&mut self, path: &str, v: i64, min: i64, max: i64) -> Option<i64> {
        if v < min || v > max {
            let rule = if max == i64::MAX {
                format!("must be >= {min}")
            } else {
                format!("must be between {min} and {max}")
            };
            self.errors.push(path, v, rule);
            return None;
        }
        Some(v)
    }

    /// `value` as one of the named `options`, or an error listing their
    /// names.
    pub fn choice<T: Copy>(&mut self, path: &str, value: &str, options: &[(&str, T)]) -> Option<T> {
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == value) {
            return Some(*v);
        }
        let names: Vec<String> = options.iter().map(|(n, _)| format!("{n:?}")).collect();
        self.errors.push(
            path,
            format!("{value:?}"),
            format!("must be one of {}", names.join(", ")),
        );
        None
    }

    /// A float in `[min, max]`.
    pub fn float_in(&mut self, path: &str, v: f64, min: f64, max: f64) -> Option<f64> {
        if !v.is_finite() || v < min || v > max {
            self.errors
                .push(path, v, format!("must be between {min} and {max}"));
            return None;
        }
        Some(v)
    }
}
