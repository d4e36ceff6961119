//! Parameter sweeps, replications and A/B comparison of protocol variants.
//!
//! An [`Experiment`] (a TOML file) names a base scenario, parameters to
//! vary, variants and replications; [`exec::sweep`] runs its plan in
//! parallel (one thread per run), persisting each run's [`RunRecord`]
//! atomically so an interrupted sweep resumes; [`stats`] aggregates a
//! complete sweep (means with t intervals, Clopper-Pearson loss
//! probabilities, paired differences between variants on common random
//! numbers), [`write`](mod@write) writes the aggregates and [`plots`] draws them.
//! Results are the same bytes whatever the number of threads or shards.
//!
//! Modules, and what each imports of the others (imports go one way: down
//! this list, never back up):
//!
//! ```text
//! record                                            metrics, run records
//! experiment -> record                              experiment files, plan
//! stats      -> experiment, record                  statistics (no I/O)
//! plots      -> experiment, record, stats           charts
//! dir        -> experiment, record                  the sweep directory
//! write      -> dir, experiment, record, stats, plots   aggregates' files
//! exec       -> dir, experiment, record, stats, write   running, merging
//! ```
//!
//! Every module may use [`SweepError`], defined here.

pub mod dir;
pub mod exec;
pub mod experiment;
pub mod plots;
pub mod record;
pub mod stats;
pub mod write;

pub use dir::SweepDir;
pub use exec::{merge, sweep, SweepOptions, SweepOutcome};
pub use experiment::Experiment;
pub use record::RunRecord;

/// Why a sweep could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The experiment file is malformed or impossible.
    #[error("{file}: {detail}")]
    Experiment {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A point or variant makes an invalid scenario.
    #[error("{0}")]
    Scenario(String),
    /// A run failed.
    #[error("run {key}: {detail}")]
    Run {
        /// The run.
        key: String,
        /// The model's error.
        detail: String,
    },
    /// The output directory holds another experiment's sweep.
    #[error("{dir} holds a sweep of another experiment (or another version of it): choose another --out")]
    OtherExperiment {
        /// The directory.
        dir: String,
    },
    /// Not a sweep directory.
    #[error("{dir} is not a sweep directory (no experiment.toml)")]
    NotASweep {
        /// The directory.
        dir: String,
    },
    /// A bad shard or an incomplete merge.
    #[error("{0}")]
    Shard(String),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Drawing failed.
    #[error(transparent)]
    Draw(#[from] codexsim_report::ReportError),
}
