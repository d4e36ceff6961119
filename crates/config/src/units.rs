//! Quantities with units: byte sizes and durations.
//!
//! A field whose name ends in `_bytes` takes an integer count of bytes or a
//! string with a unit (`"10 TB"`, `"64 KiB"`, `"1.5 GB"`); one ending in `_s`
//! takes a number of seconds or a string with a unit (`"30 days"`, `"2 h"`,
//! `"120 s"`, `"500 ms"`). Decimal (kB, MB, GB, TB, PB = 10^3..10^15) and binary
//! (KiB, MiB, GiB, TiB, PiB = 2^10..2^50) prefixes are both accepted. Strings
//! are parsed exactly (no floating point) down to the byte and the nanosecond.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A number or a string with a unit, as written in the TOML file.
#[derive(Clone, Debug, PartialEq)]
pub enum RawQuantity {
    /// A TOML integer.
    Int(i64),
    /// A TOML float.
    Float(f64),
    /// A TOML string such as `"10 TB"`.
    Text(String),
}

impl fmt::Display for RawQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawQuantity::Int(v) => write!(f, "{v}"),
            // (1e30 as 1e30, not 31 digits.)
            RawQuantity::Float(v) if *v != 0.0 && !(1e-4..1e16).contains(&v.abs()) => {
                write!(f, "{v:e}")
            }
            RawQuantity::Float(v) => write!(f, "{v}"),
            RawQuantity::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for RawQuantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawQuantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string with a unit such as \"10 TB\" or \"30 days\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawQuantity, E> {
                Ok(RawQuantity::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawQuantity, E> {
                i64::try_from(v)
                    .map(RawQuantity::Int)
                    .map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawQuantity, E> {
                Ok(RawQuantity::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawQuantity, E> {
                Ok(RawQuantity::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for RawQuantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawQuantity::Int(v) => s.serialize_i64(*v),
            RawQuantity::Float(v) => s.serialize_f64(*v),
            RawQuantity::Text(v) => s.serialize_str(v),
        }
    }
}

/// Splits `"1.5 GB"` into the exact decimal `(15, 1)` (digits, decimals) and
/// the unit `"GB"`.
fn split_decimal(text: &str) -> Result<(u128, u32, &str), String> {
    let t = text.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(end);
    let num: String = num.chars().filter(|&c| c != '_').collect();
    if num.is_empty() {
        return Err(if t.starts_with('-') {
            "must not be negative".into()
        } else {
            "must start with a number".into()
        });
    }
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num.as_str(), ""),
    };
    if frac_part.contains('.') || (int_part.is_empty() && frac_part.is_empty()) {
        return Err("is not a number".into());
    }
    if frac_part.len() > 30 {
        return Err("has more than 30 decimals".into());
    }
    let digits = format!("{int_part}{frac_part}");
    let mut mantissa: u128 = digits.parse().map_err(|_| "is too large".to_string())?;
    let mut decimals = frac_part.len() as u32;
    // Scientific notation: "1e3 s", "2.5E-3 s".
    let mut unit = unit;
    if let Some(rest) = unit.strip_prefix(['e', 'E']) {
        let (sign, body) = match rest.strip_prefix('-') {
            Some(b) => (-1i64, b),
            None => (1, rest.strip_prefix('+').unwrap_or(rest)),
        };
        let n = body
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(body.len());
        if n > 0 {
            let exp: i64 = body[..n]
                .parse::<i64>()
                .map_err(|_| "has too large an exponent".to_string())?
                * sign;
            let shift = exp - decimals as i64;
            if shift >= 0 {
                let scale = 10u128
                    .checked_pow(u32::try_from(shift).map_err(|_| "is too large")?)
                    .ok_or("is too large")?;
                mantissa = mantissa.checked_mul(scale).ok_or("is too large")?;
                decimals = 0;
            } else if -shift <= 30 {
                decimals = (-shift) as u32;
            } else {
                return Err("has too many decimals (more than 30)".into());
            }
            unit = &body[n..];
        }
    }
    Ok((mantissa, decimals, unit.trim()))
}

/// `mantissa / 10^decimals * factor`, exactly, if it is an integer that fits.
fn scale_exact(mantissa: u128, decimals: u32, factor: u128) -> Result<u64, String> {
    let num = mantissa.checked_mul(factor).ok_or("is too large")?;
    let den = 10u128.pow(decimals);
    if num % den != 0 {
        return Err("is not a whole number of the base unit".into());
    }
    u64::try_from(num / den).map_err(|_| "is too large".into())
}

/// Parses a byte size string (`"10 TB"`, `"64 KiB"`, `"512"`, `"512 B"`).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let (m, d, unit) = split_decimal(text)?;
    let factor: u128 = match unit {
        "" | "B" => 1,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "PB" => 1_000_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        "PiB" => 1 << 50,
        other => {
            return Err(format!(
                "has unknown unit {other:?} (use B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB or PiB)"
            ))
        }
    };
    scale_exact(m, d, factor)
}

/// Parses a duration string to nanoseconds (`"30 days"`, `"2h"`, `"1.5 s"`).
pub fn parse_duration_ns(text: &str) -> Result<u64, String> {
    let (m, d, unit) = split_decimal(text)?;
    let factor: u128 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000_000_000,
        "h" | "hour" | "hours" => 3_600_000_000_000,
        "d" | "day" | "days" => 86_400_000_000_000,
        "w" | "week" | "weeks" => 604_800_000_000_000,
        "y" | "year" | "years" => 31_536_000_000_000_000,
        other => {
            return Err(format!(
                "has unknown unit {other:?} (use ns, us, ms, s, min, h, days, weeks or years of 365 days)"
            ))
        }
    };
    scale_exact(m, d, factor).map_err(|e| {
        if e.starts_with("is not a whole") {
            "is finer than a nanosecond".into()
        } else {
            e
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("10 TB"), Ok(10_000_000_000_000));
        assert_eq!(parse_bytes("64 KiB"), Ok(65_536));
        assert_eq!(parse_bytes("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_bytes("20_000"), Ok(20_000));
        assert_eq!(
            parse_bytes("0.5 B"),
            Err("is not a whole number of the base unit".into())
        );
        assert!(parse_bytes("-3 GB").unwrap_err().contains("negative"));
        assert!(parse_bytes("3 furlongs")
            .unwrap_err()
            .contains("unknown unit \"furlongs\""));
        assert!(parse_bytes("99999999 PB")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn scientific_notation() {
        assert_eq!(parse_duration_ns("1e3 s"), Ok(1_000_000_000_000));
        assert_eq!(parse_duration_ns("2.5e-3 s"), Ok(2_500_000));
        assert_eq!(parse_duration_ns("1E2ms"), Ok(100_000_000));
        assert_eq!(parse_bytes("1.5e3 MB"), Ok(1_500_000_000));
        assert_eq!(parse_bytes("2e+1 B"), Ok(20));
        assert_eq!(
            parse_duration_ns("1e-12 s"),
            Err("is finer than a nanosecond".into())
        );
        assert!(parse_bytes("1e40 B").unwrap_err().contains("too large"));
        // Not an exponent: a unit.
        assert!(parse_duration_ns("3 e")
            .unwrap_err()
            .contains("unknown unit"));
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration_ns("30 days"),
            Ok(30 * 86_400 * 1_000_000_000)
        );
        assert_eq!(parse_duration_ns("1.000000001s"), Ok(1_000_000_001));
        assert_eq!(parse_duration_ns("500 ms"), Ok(500_000_000));
        assert_eq!(parse_duration_ns("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration_ns("1 year"), Ok(31_536_000_000_000_000));
        assert!(parse_duration_ns("0.5 ns")
            .unwrap_err()
            .contains("finer than a nanosecond"));
        assert!(parse_duration_ns("5 fortnights").is_err());
    }
}
