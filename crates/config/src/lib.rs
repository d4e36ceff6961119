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
pub mod exchange;
pub mod layout;
pub mod market_rules;
pub mod scenario;
pub mod units;
pub mod validate;

use std::path::Path;

pub use dist::{RawDist, RawDistTable};
pub use error::{ConfigError, ConfigErrors, LoadError};
pub use exchange::{ExchangeConfig, RawExchange, RawTransfers, SwarmConfig, TransferModel};
pub use layout::Layout;
pub use market_rules::{Renewal, ValidatorPlacement, Validators, Window};
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

/// A parser's message in words for the file's author: the key a duplicate
/// names, integers too large said so, serde's inner context dropped.
fn plain_message(message: &str, text: &str, line: usize) -> String {
    // serde's internally tagged enums add a line "in `dist`".
    let mut m: String = message
        .lines()
        .filter(|l| !(l.starts_with("in `") && l.ends_with('`')))
        .collect::<Vec<_>>()
        .join(" ");
    m = m.trim_end().to_string();
    if m == "duplicate key" {
        let at = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let key = at.split('=').next().unwrap_or("").trim();
        let table = text
            .lines()
            .take(line.saturating_sub(1))
            .filter(|l| l.trim_start().starts_with('['))
            .last()
            .map(|l| format!(" in {}", l.trim()))
            .unwrap_or_default();
        if !key.is_empty() {
            return format!(
                "duplicate key `{}`{table}: each key may appear once in a table",
                crate::error::cut(key, crate::error::MAX_QUOTED_CHARS)
            );
        }
    }
    // integer `18446744073709551616` as i128, expected ...
    if let Some(rest) = m.strip_prefix("invalid type: integer `") {
        if let Some((number, _)) = rest.split_once('`') {
            if m.contains("as i128") {
                return format!(
                    "{} is too large for a whole number (at most 9223372036854775807): write it \
                     as a decimal (1.8e19) or with a unit",
                    crate::error::cut(number, crate::error::MAX_QUOTED_CHARS)
                );
            }
        }
    }
    // (A parser's message quotes the value: a long one is cut.)
    crate::error::cut(&m, crate::error::MAX_MESSAGE_CHARS)
}

/// Parses TOML text into the raw form. `origin` names the text in messages.
pub fn parse_raw(text: &str, origin: &str) -> Result<RawScenario, LoadError> {
    let mut raw: RawScenario = parse_toml(text, origin)?;
    if raw.marketplace.preset.is_some() {
        // The keys written in [marketplace] override the preset.
        let written: Vec<String> = toml::from_str::<toml::Table>(text)
            .ok()
            .and_then(|t| t.get("marketplace").and_then(|m| m.as_table()).cloned())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        raw.marketplace.apply_preset(&written);
    }
    Ok(raw)
}

/// Parses TOML text into any raw form, with positions and key paths in
/// its errors.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, LoadError> {
    let syntax = |err: toml::de::Error, key_path: String| {
        let (line, column) = err.span().map_or((0, 0), |s| line_col(text, s.start));
        LoadError::Syntax {
            origin: origin.to_string(),
            line,
            column,
            key_path,
            message: plain_message(err.message(), text, line),
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
