//! Running a plan: one thread per run (never inside a run) on a rayon
//! pool, each finished run persisted atomically as `runs/KEY.json`,
//! finished runs skipped when a sweep is resumed, shards, and merging
//! shards. Once every run of the plan is present, the aggregates are
//! computed ([`crate::stats`]) and written ([`crate::write`]).
//!
//! The sweep directory's layout is [`crate::dir`]'s. Nothing in it depends
//! on the number of threads, the order runs finished in, or the shard that
//! ran them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use codexsim_model::{Model, NullSink};
use rayon::prelude::*;

use crate::dir::{io, SweepDir};
use crate::experiment::{Experiment, RunSpec};
use crate::record::{metrics, RunRecord};
use crate::{stats, write, SweepError};

/// Runs one run of the plan.
pub fn run_one(exp: &Experiment, spec: &RunSpec) -> Result<RunRecord, SweepError> {
    let scenario = exp.scenario(spec.point, spec.variant, spec.seed)?;
    let key = spec.key(exp);
    let summary = Model::new(&scenario, &mut NullSink)
        .run(&mut |_| {})
        .map_err(|e| SweepError::Run {
            key: key.clone(),
            detail: e.to_string(),
        })?;
    Ok(RunRecord {
        experiment_hash: exp.hash().to_string(),
        key,
        index: spec.index,
        point: spec.point,
        variant: exp.variants[spec.variant].name.clone(),
        replication: spec.replication,
        seed: spec.seed,
        params: exp.points[spec.point]
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect(),
        metrics: metrics(&summary),
    })
}

/// Computes and writes the aggregates of a complete sweep directory from
/// its runs (every run of the plan, in plan order: [`SweepDir::all_runs`]).
fn aggregate(dir: &SweepDir, exp: &Experiment, runs: &[RunRecord]) -> Result<(), SweepError> {
    let (agg, cmp) = stats::analyse(exp, runs);
    write::write_outputs(dir, exp, runs, &agg, &cmp)
}

/// How to run a sweep.
#[derive(Clone, Copy, Debug)]
pub struct SweepOptions {
    /// Threads (runs at once).
    pub jobs: usize,
    /// Run only shard `I` of `N`: plan positions with `index % N == I`.
    pub shard: Option<(usize, usize)>,
}

/// What a sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOutcome {
    /// Runs in the plan (or the shard).
    pub planned: usize,
    /// Runs found already done.
    pub skipped: usize,
    /// Runs computed now.
    pub ran: usize,
    /// Whether every run of the whole plan is present (and aggregates were
    /// written).
    pub complete: bool,
}

/// Runs the plan (or one shard) into `out`, skipping finished runs; writes
/// the aggregates when the plan is complete. `progress` is called with
/// (runs to do, runs done so far) at the start and after every run.
pub fn sweep(
    exp: &Experiment,
    out: &Path,
    options: SweepOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepOutcome, SweepError> {
    if let Some((i, n)) = options.shard {
        if n == 0 || i >= n {
            return Err(SweepError::Shard(format!(
                "--shard {i}/{n}: needs 0 <= I < N"
            )));
        }
    }
    let dir = SweepDir::prepare(out, exp)?;
    let plan: Vec<RunSpec> = exp
        .plan()
        .into_iter()
        .filter(|s| options.shard.is_none_or(|(i, n)| s.index % n == i))
        .collect();
    let done = dir.done(exp);
    let pending: Vec<&RunSpec> = plan
        .iter()
        .filter(|s| !done.contains(&s.key(exp)))
        .collect();
    let skipped = plan.len() - pending.len();
    progress(pending.len(), 0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| SweepError::Shard(format!("cannot start {} threads: {e}", options.jobs)))?;
    let finished = Mutex::new(0usize);
    let results: Vec<Result<(), SweepError>> = pool.install(|| {
        pending
            .par_iter()
            .with_max_len(1)
            .map(|spec| {
                let record = run_one(exp, spec)?;
                dir.write_run(&record)?;
                let mut n = finished.lock().expect("not poisoned");
                *n += 1;
                progress(pending.len(), *n);
                Ok(())
            })
            .collect()
    });
    // The first error in plan order (every other run is kept).
    for r in results {
        r?;
    }
    let complete = match dir.all_runs(exp) {
        Ok(runs) => {
            aggregate(&dir, exp, &runs)?;
            true
        }
        Err(_) => false,
    };
    Ok(SweepOutcome {
        planned: plan.len(),
        skipped,
        ran: pending.len(),
        complete,
    })
}

/// Merges shard directories into `out` (created if needed): copies their
/// runs, checks they are all of one experiment, and writes the aggregates
/// when the plan is complete. Returns the number of runs still missing.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<usize, SweepError> {
    let first = shards
        .first()
        .ok_or_else(|| SweepError::Shard("no shard to merge".into()))?;
    // Every shard checked before anything is written.
    let exp = SweepDir::experiment(first)?;
    for shard in shards {
        let other = SweepDir::experiment(shard)?;
        if other.hash() != exp.hash() {
            return Err(SweepError::Shard(format!(
                "{} holds a sweep of another experiment (or another version of it) than {}: \
                 shards of different experiments cannot be merged",
                shard.display(),
                first.display()
            )));
        }
        let src = SweepDir {
            path: shard.clone(),
        };
        for spec in exp.plan() {
            let key = spec.key(&exp);
            if src.run_path(&key).exists() && src.read_run(&exp, &key).is_none() {
                return Err(SweepError::Shard(format!(
                    "{} is damaged (not a complete run record of this experiment): remove it \
                     and run that shard again",
                    src.run_path(&key).display()
                )));
            }
        }
    }
    // A new OUT is written beside it and renamed into place, so an error
    // leaves nothing; an existing one (of the same experiment) takes the
    // runs one atomic file at a time.
    let fresh = !out.exists();
    let target = if fresh {
        let name = out
            .file_name()
            .ok_or_else(|| SweepError::Shard(format!("{}: not a folder name", out.display())))?;
        out.with_file_name(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ))
    } else {
        out.to_path_buf()
    };
    let result = (|| {
        let dir = SweepDir::prepare(&target, &exp)?;
        for shard in shards {
            let src = SweepDir {
                path: shard.clone(),
            };
            for spec in exp.plan() {
                let key = spec.key(&exp);
                if src.read_run(&exp, &key).is_some() && dir.read_run(&exp, &key).is_none() {
                    dir.copy_run(&src, &key)?;
                }
            }
        }
        match dir.all_runs(&exp) {
            Ok(runs) => {
                aggregate(&dir, &exp, &runs)?;
                Ok(0)
            }
            Err(missing) => Ok(missing),
        }
    })();
    if fresh {
        match &result {
            Ok(_) => std::fs::rename(&target, out).map_err(io(out))?,
            Err(_) => {
                std::fs::remove_dir_all(&target).ok();
            }
        }
    }
    result
}
