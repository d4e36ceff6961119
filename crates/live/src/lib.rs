//! codexsim beside a live Codex fleet.
//!
//! - [`sim`]: a run directory's time series under Codex's metric names
//!   (`codex_repostore_bytes_used{instance="node-3"}`, ...), others under
//!   `codexsim_*`;
//! - [`openmetrics`]: those series as OpenMetrics text with timestamps, which
//!   `promtool tsdb create-blocks-from openmetrics` backfills into Prometheus;
//! - [`import`]: live series from Prometheus range queries (their JSON, or a
//!   server), or from CSV;
//! - [`compare`]: simulated against live, aligned in time, with RMSE, mean
//!   absolute percentage error, maximum absolute error and the
//!   Kolmogorov-Smirnov distance of their value distributions;
//! - [`trace`]: a trace of on-chain events and node outages as a scenario,
//!   and as counters to compare the run's predictions with.

pub mod compare;
pub mod import;
pub mod names;
pub mod openmetrics;
pub mod sim;
pub mod trace;

use std::collections::BTreeMap;

/// One time series: a metric name, labels, and (unix seconds, value) points
/// in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Metric name (`codex_repostore_bytes_used`).
    pub name: String,
    /// Labels (`instance` -> `node-3`).
    pub labels: BTreeMap<String, String>,
    /// Points, by time.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// `name{a="x",b="y"}`.
    pub fn id(&self) -> String {
        if self.labels.is_empty() {
            return self.name.clone();
        }
        let l: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        format!("{}{{{}}}", self.name, l.join(","))
    }
}

/// Why live data could not be read or compared.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file or response is not what it should be.
    #[error("{what}: {detail}")]
    Malformed {
        /// The file or URL.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// The Prometheus server could not be queried.
    #[error("cannot query the Prometheus server {url}: {detail}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
}
