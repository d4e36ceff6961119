//! Simulated time: integer nanoseconds.
//!
//! [`SimTime`] is an instant since the start of a run; [`SimDuration`] is a span.
//! Both wrap a `u64` count of nanoseconds, enough for about 584 years. Arithmetic
//! that would overflow or go below zero is refused ([`SimTime::checked_add`],
//! [`SimTime::checked_since`]) or saturates where documented; it never wraps.

use std::fmt;

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;
const S_PER_MIN: u64 = 60;
const S_PER_HOUR: u64 = 3_600;
const S_PER_DAY: u64 = 86_400;
/// A year of 365 days, the unit the durability literature uses for rates.
pub const S_PER_YEAR: u64 = 365 * S_PER_DAY;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable instant.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `ns` nanoseconds after the start.
    pub const fn from_nanos(ns: u64) -> Self {
        SimTime(ns)
    }
    /// The instant `s` whole seconds after the start (saturating).
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s.saturating_mul(NS_PER_S))
    }
    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds since the start, as a float (for reporting only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
    /// Whole seconds since the start (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.0 / NS_PER_S
    }
    /// `self + d`, or `None` on overflow.
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(v) => Some(SimTime(v)),
            None => None,
        }
    }
    /// `self + d`, clamped to [`SimTime::MAX`].
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// The span from `earlier` to `self`, or `None` when `earlier` is later.
    pub const fn checked_since(self, earlier: SimTime) -> Option<SimDuration> {
        match self.0.checked_sub(earlier.0) {
            Some(v) => Some(SimDuration(v)),
            None => None,
        }
    }
    /// The span from `earlier` to `self`, zero when `earlier` is later.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span.
    pub const MAX: SimDuration = SimDuration(u64::MAX);
    /// The longest span a scenario may name: 200 years of 365 days. The
    /// clock counts nanoseconds in 64 bits (584 years), so a run of at most
    /// this long plus any one such span, or any one drawn span
    /// ([`SimDuration::DRAWN_MAX`]), never overflows it.
    pub const CONFIG_MAX: SimDuration = SimDuration(200 * 365 * 86_400 * NS_PER_S);
    /// The longest drawn span kept: 250 years. A longer draw (a heavy-tailed
    /// distribution's far tail) is cut to this, which is past the end of
    /// any run ([`SimDuration::CONFIG_MAX`] at most), so it means "not
    /// within the run" either way.
    pub const DRAWN_MAX: SimDuration = SimDuration(250 * 365 * 86_400 * NS_PER_S);

    /// A drawn span of `s` seconds: [`SimDuration::from_secs_f64`] cut at
    /// [`SimDuration::DRAWN_MAX`].
    pub fn drawn_secs_f64(s: f64) -> Self {
        Self::from_secs_f64(s).min(Self::DRAWN_MAX)
    }

    /// `ns` nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    /// `us` microseconds (saturating).
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us.saturating_mul(NS_PER_US))
    }
    /// `ms` milliseconds (saturating).
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(NS_PER_MS))
    }
    /// `s` seconds (saturating).
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(NS_PER_S))
    }
    /// `m` minutes (saturating).
    pub const fn from_mins(m: u64) -> Self {
        Self::from_secs(m.saturating_mul(S_PER_MIN))
    }
    /// `h` hours (saturating).
    pub const fn from_hours(h: u64) -> Self {
        Self::from_secs(h.saturating_mul(S_PER_HOUR))
    }
    /// `d` days of 86,400 s (saturating).
    pub const fn from_days(d: u64) -> Self {
        Self::from_secs(d.saturating_mul(S_PER_DAY))
    }
    /// `s` seconds given as a float, rounded to the nearest nanosecond.
    ///
    /// Negative and NaN inputs give zero; values beyond the range saturate.
    /// Samplers of continuous distributions come through here.
    pub fn from_secs_f64(s: f64) -> Self {
        // `as` saturates (and maps NaN to 0); adding 0.5 then truncating rounds
        // half up for the non-negative values that survive, without a libm call.
        let ns = s * NS_PER_S as f64;
        if ns > 0.0 {
            SimDuration((ns + 0.5) as u64)
        } else {
            SimDuration(0)
        }
    }
    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Whole seconds (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.0 / NS_PER_S
    }
    /// Seconds as a float (for reporting and rate arithmetic).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
    /// `self + other`, clamped to [`SimDuration::MAX`].
    pub const fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
    /// `self * k`, clamped to [`SimDuration::MAX`].
    pub const fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
}

fn fmt_ns(ns: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let s = ns / NS_PER_S;
    let frac = ns % NS_PER_S;
    if frac == 0 {
        write!(f, "{s}s")
    } else {
        let digits = format!("{frac:09}");
        write!(f, "{s}.{}s", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("t=")?;
        fmt_ns(self.0, f)
    }
}
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}
impl fmt::Debug for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_agree() {
        assert_eq!(SimDuration::from_days(1), SimDuration::from_secs(86_400));
        assert_eq!(SimDuration::from_hours(2), SimDuration::from_mins(120));
        assert_eq!(SimDuration::from_millis(1500).as_nanos(), 1_500_000_000);
        assert_eq!(SimDuration::from_micros(3).as_nanos(), 3_000);
        assert_eq!(
            SimDuration::from_secs_f64(1.5),
            SimDuration::from_millis(1500)
        );
        assert_eq!(SimDuration::from_secs_f64(-2.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
    }

    #[test]
    fn arithmetic_never_wraps() {
        let t = SimTime::from_secs(10);
        assert_eq!(t.checked_add(SimDuration::MAX), None);
        assert_eq!(t.saturating_add(SimDuration::MAX), SimTime::MAX);
        assert_eq!(SimTime::ZERO.checked_since(t), None);
        assert_eq!(
            t.checked_since(SimTime::from_secs(4)),
            Some(SimDuration::from_secs(6))
        );
        assert_eq!(SimTime::ZERO.saturating_since(t), SimDuration::ZERO);
    }

    #[test]
    fn display_is_seconds() {
        assert_eq!(SimTime::from_nanos(1_500_000_000).to_string(), "1.5s");
        assert_eq!(SimDuration::from_secs(120).to_string(), "120s");
        assert_eq!(format!("{:?}", SimTime::from_nanos(1)), "t=0.000000001s");
    }
}
