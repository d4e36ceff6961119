//! # codexsim-config
//!
//! Scenario configuration. A TOML file is parsed into raw serde types that
//! refuse unknown keys (`deny_unknown_fields`), then validated into a typed
//! [`Scenario`]; validation reports every problem at once, each naming its TOML
//! path, the value found and the rule broken ([`ConfigError`]).
//!
//! Units are in the names: `_s` fields are seconds, `_bytes` fields bytes. Both
//! also take strings with a unit (`"30 days"`, `"10 TB"`); see [`units`].
//!
//! A validated scenario writes itself back as canonical TOML
//! ([`Scenario::to_toml`]): every default filled in, every quantity in its base
//! unit. Parsing that text gives the same scenario, so the resolved file kept
//! in a run directory reproduces the run.
//!
//! This crate depends on the engine only for its time and distribution types,
//! and never touches the file system except in [`load_file`].

#![warn(missing_docs)]

pub mod dist;
pub mod error;
pub mod units;
pub mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};

use codexsim_engine::SimDuration;

pub use dist::{RawDist, RawDistTable};
pub use error::{ConfigError, ConfigErrors, LoadError};
pub use units::RawQuantity;
pub use validate::{Ctx, Unit};

/// A scenario file as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// A short name for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text: what the scenario is for and where its numbers come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How long to run and with what seed.
    #[serde(default)]
    pub run: RawRun,
}

/// The `[run]` table as written.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// Master seed of every random stream (an integer >= 0). Default 1.
    #[serde(default = "default_seed")]
    pub seed: i64,
    /// Simulated horizon, seconds. Default one year of 365 days.
    #[serde(default = "default_duration")]
    pub duration_s: RawQuantity,
    /// Upper bound on delivered events; the run stops there. Default 10^12.
    #[serde(default = "default_max_events")]
    pub max_events: i64,
    /// Interval between time-series samples, seconds. Default one hour.
    #[serde(default = "default_series_interval")]
    pub series_interval_s: RawQuantity,
}

fn default_seed() -> i64 {
    1
}
fn default_duration() -> RawQuantity {
    RawQuantity::Text("365 days".into())
}
fn default_max_events() -> i64 {
    1_000_000_000_000
}
fn default_series_interval() -> RawQuantity {
    RawQuantity::Text("1 h".into())
}

impl Default for RawRun {
    fn default() -> Self {
        RawRun {
            seed: default_seed(),
            duration_s: default_duration(),
            max_events: default_max_events(),
            series_interval_s: default_series_interval(),
        }
    }
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// A short name for reports.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Run parameters.
    pub run: RunConfig,
}

/// Validated `[run]` parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// Master seed.
    pub seed: u64,
    /// Simulated horizon.
    pub duration: SimDuration,
    /// Upper bound on delivered events.
    pub max_events: u64,
    /// Interval between time-series samples.
    pub series_interval: SimDuration,
}

const ONE_NS: SimDuration = SimDuration::from_nanos(1);

impl RawScenario {
    /// Validates into a [`Scenario`], or returns every problem found.
    pub fn validate(&self) -> Result<Scenario, ConfigErrors> {
        let mut ctx = Ctx::default();
        let r = &self.run;
        let seed = ctx
            .int_in("run.seed", r.seed, 0, i64::MAX)
            .map(|v| v as u64);
        let duration = ctx.duration("run.duration_s", &r.duration_s, ONE_NS);
        let max_events = ctx
            .int_in("run.max_events", r.max_events, 1, i64::MAX)
            .map(|v| v as u64);
        let series_interval = ctx.duration("run.series_interval_s", &r.series_interval_s, ONE_NS);
        if let (Some(d), Some(i)) = (duration, series_interval) {
            if i > d {
                ctx.errors.push(
                    "run.series_interval_s",
                    &r.series_interval_s,
                    format!("must not exceed run.duration_s ({d})"),
                );
            }
        }
        match (seed, duration, max_events, series_interval) {
            (Some(seed), Some(duration), Some(max_events), Some(series_interval))
                if ctx.errors.is_empty() =>
            {
                Ok(Scenario {
                    name: self.name.clone(),
                    description: self.description.clone(),
                    run: RunConfig {
                        seed,
                        duration,
                        max_events,
                        series_interval,
                    },
                })
            }
            _ => Err(ctx.errors),
        }
    }
}

fn duration_raw(d: SimDuration) -> RawQuantity {
    RawQuantity::Text(d.to_string())
}

impl Scenario {
    /// The canonical raw form: defaults filled in, quantities in base units.
    pub fn to_raw(&self) -> RawScenario {
        RawScenario {
            name: self.name.clone(),
            description: self.description.clone(),
            run: RawRun {
                seed: self.run.seed as i64,
                duration_s: duration_raw(self.run.duration),
                max_events: self.run.max_events as i64,
                series_interval_s: duration_raw(self.run.series_interval),
            },
        }
    }

    /// The resolved configuration as TOML text. Parsing it gives `self` back.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.to_raw()).expect("a raw scenario always serializes")
    }

    /// The same scenario with another master seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.run.seed = seed;
        self
    }
}

/// 1-based (line, column) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses TOML text into the raw form. `origin` names the text in messages.
pub fn parse_raw(text: &str, origin: &str) -> Result<RawScenario, LoadError> {
    let syntax = |err: toml::de::Error, key_path: String| {
        let (line, column) = err.span().map_or((0, 0), |s| line_col(text, s.start));
        LoadError::Syntax {
            origin: origin.to_string(),
            line,
            column,
            key_path,
            message: err.message().trim_end().to_string(),
        }
    };
    let de = toml::Deserializer::parse(text).map_err(|e| syntax(e, String::new()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        syntax(e.into_inner(), path)
    })
}

/// Parses and validates TOML text. `origin` names the text in messages.
pub fn parse(text: &str, origin: &str) -> Result<Scenario, LoadError> {
    parse_raw(text, origin)?
        .validate()
        .map_err(|errors| LoadError::Invalid {
            origin: origin.to_string(),
            errors,
        })
}

/// Reads, parses and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests;
