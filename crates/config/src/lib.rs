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
//! A validated scenario writes itself back as TOML ([`Scenario::to_toml`]):
//! the file as parsed, with every default filled in. Parsing that text gives
//! the same scenario, so the resolved file kept in a run directory reproduces
//! the run.
//!
//! This crate depends on the engine only for its time and distribution types,
//! and never touches the file system except in [`load_file`].

#![warn(missing_docs)]

pub mod dist;
pub mod error;
pub mod layout;
pub mod scenario;
pub mod units;
pub mod validate;

use std::path::Path;

pub use dist::{RawDist, RawDistTable};
pub use error::{ConfigError, ConfigErrors, LoadError};
pub use layout::Layout;
pub use scenario::*;
pub use units::RawQuantity;
pub use validate::{Ctx, Unit};

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
