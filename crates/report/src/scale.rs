//! Owns the units charts show values in: what a value measures
//! ([`Quantity`]), the readable scale an axis picks for it (bytes in B, kB,
//! MB, GB, TB or PB, decimal like the configuration; time in days, hours,
//! minutes or seconds; counts in thousands or millions), and tick labels.

/// What a panel's values measure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quantity {
    /// Bytes.
    Bytes,
    /// Bytes per second.
    ByteRate,
    /// A count (or a count per time unit).
    Count,
    /// A fraction, drawn as a percentage.
    Percent,
    /// Seconds.
    Seconds,
}

/// The unit an axis shows its values in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Values are divided by this.
    pub div: f64,
    /// The unit's name.
    pub unit: &'static str,
}

/// The readable scale for values up to `max` of `q`.
pub fn scale_for(q: Quantity, max: f64) -> Scale {
    let steps: &[(f64, &'static str)] = match q {
        Quantity::Bytes => &[
            (1e15, "PB"),
            (1e12, "TB"),
            (1e9, "GB"),
            (1e6, "MB"),
            (1e3, "kB"),
            (1.0, "B"),
        ],
        Quantity::ByteRate => &[
            (1e12, "TB/s"),
            (1e9, "GB/s"),
            (1e6, "MB/s"),
            (1e3, "kB/s"),
            (1.0, "B/s"),
        ],
        Quantity::Count => &[
            (1e18, "x 10^18"),
            (1e15, "x 10^15"),
            (1e12, "x 10^12"),
            (1e9, "billions"),
            (1e6, "millions"),
            (1e3, "thousands"),
        ],
        Quantity::Percent => {
            return Scale {
                div: 0.01,
                unit: "%",
            }
        }
        Quantity::Seconds => &[
            (86_400.0, "days"),
            (3_600.0, "h"),
            (60.0, "min"),
            (1.0, "s"),
        ],
    };
    for &(div, unit) in steps {
        if max.abs() >= div {
            return Scale { div, unit };
        }
    }
    match q {
        Quantity::Count => Scale { div: 1.0, unit: "" },
        Quantity::Seconds => Scale {
            div: 1.0,
            unit: "s",
        },
        _ => {
            let &(div, unit) = steps.last().expect("non-empty");
            Scale { div, unit }
        }
    }
}

/// The time axis for a run ending at `end_s`: days for runs of two days or
/// more, then hours, minutes, seconds.
pub fn time_scale(end_s: f64) -> Scale {
    if end_s >= 2.0 * 86_400.0 {
        Scale {
            div: 86_400.0,
            unit: "days",
        }
    } else if end_s >= 2.0 * 3_600.0 {
        Scale {
            div: 3_600.0,
            unit: "hours",
        }
    } else if end_s >= 120.0 {
        Scale {
            div: 60.0,
            unit: "minutes",
        }
    } else {
        Scale {
            div: 1.0,
            unit: "seconds",
        }
    }
}

/// The singular of a time unit, for rates ("per day").
pub fn per(unit: &str) -> &'static str {
    match unit {
        "days" => "day",
        "hours" => "hour",
        "minutes" => "minute",
        _ => "second",
    }
}

/// A tick label: up to three significant digits, no trailing zeros.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Tick labels for a linear axis spanning `range`: as many decimals as the
/// tick step needs (about ten ticks), so neighbouring ticks never read alike.
pub fn axis_ticks(range: f64) -> impl Fn(&f64) -> String {
    let step = (range / 10.0).abs();
    let decimals = if step >= 1.0 || step == 0.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(6)
    };
    move |v: &f64| {
        let v = if v.abs() < 0.5 * 10f64.powi(-(decimals as i32)) {
            0.0
        } else {
            *v
        };
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_readable() {
        assert_eq!(scale_for(Quantity::Bytes, 5e14).unit, "TB");
        assert_eq!(scale_for(Quantity::Bytes, 2e15).unit, "PB");
        assert_eq!(scale_for(Quantity::Bytes, 0.0).unit, "B");
        assert_eq!(scale_for(Quantity::ByteRate, 8.5e7).unit, "MB/s");
        assert_eq!(scale_for(Quantity::Count, 6.8e6).unit, "millions");
        assert_eq!(scale_for(Quantity::Count, 12.0).unit, "");
        assert_eq!(time_scale(365.0 * 86_400.0).unit, "days");
        assert_eq!(time_scale(4.0 * 3_600.0).unit, "hours");
        assert_eq!(time_scale(600.0).unit, "minutes");
        assert_eq!(tick(2.50), "2.5");
        assert_eq!(tick(120.0), "120");
        assert_eq!(tick(0.125), "0.125");
        assert_eq!(tick(0.0), "0");
    }
}
