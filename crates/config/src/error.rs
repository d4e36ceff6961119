//! Configuration errors: one message per problem, naming the key, the value
//! and the rule.

use std::fmt;
use std::path::PathBuf;

/// One problem with one key of a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The TOML path of the key, such as `run.duration_s` or `node_groups[1].count`.
    pub path: String,
    /// The value found, as written (strings quoted), or empty when missing.
    pub value: String,
    /// The rule the value breaks, with its unit where it has one.
    pub rule: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}: {}", self.path, self.rule)
        } else {
            write!(f, "{} = {}: {}", self.path, self.value, self.rule)
        }
    }
}

/// The longest value quoted in a message, in characters.
pub const MAX_QUOTED_CHARS: usize = 120;

/// The longest parser message shown (it may quote a long value).
pub(crate) const MAX_MESSAGE_CHARS: usize = 400;

/// `text` as quoted in a message: past `max_chars` characters, its first
/// `max_chars - 20` and its length.
pub fn cut(text: &str, max_chars: usize) -> String {
    let n = text.chars().count();
    if n <= max_chars {
        return text.to_string();
    }
    let head: String = text.chars().take(max_chars.saturating_sub(20)).collect();
    format!("{head}... ({n} characters)")
}

/// Every problem found in a configuration, in the order of the file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    /// Records a problem.
    pub fn push(
        &mut self,
        path: impl Into<String>,
        value: impl fmt::Display,
        rule: impl Into<String>,
    ) {
        self.0.push(ConfigError {
            path: path.into(),
            value: cut(&value.to_string(), MAX_QUOTED_CHARS),
            rule: rule.into(),
        });
    }
    /// Whether no problem was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not TOML, or does not have the shape of a scenario (unknown
    /// key, wrong type, unknown variant). Reported one at a time, since the
    /// rest of the file cannot be read past it.
    #[error("{origin}:{line}:{column}: {path}{message}", path = if key_path.is_empty() { String::new() } else { format!("{key_path}: ") })]
    Syntax {
        /// Where the text came from (a file name).
        origin: String,
        /// 1-based line of the problem (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The TOML path of the key, when known.
        key_path: String,
        /// What is wrong.
        message: String,
    },
    /// The file parsed, but values break rules: every such problem at once.
    #[error("{origin}: {count} error{s} in the configuration:\n{errors}", count = errors.0.len(), s = if errors.0.len() == 1 { "" } else { "s" })]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// The problems.
        errors: ConfigErrors,
    },
}
