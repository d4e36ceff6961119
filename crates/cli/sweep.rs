//! `sweep`, `merge` and `bench sweep`: parameter sweeps on this machine or
//! in shards across many.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use codexsim_sweep::{Experiment, SweepError, SweepOptions};
use indicatif::{ProgressBar, ProgressStyle};

use crate::BadInput;

/// Options of `sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The experiment file (TOML), e.g. experiments/lazy-repair/experiment.toml.
    pub experiment: PathBuf,
    /// The sweep directory (default: sweeps/<experiment name>). An existing one of the same
    /// experiment is resumed: finished runs are not run again.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Runs at once, one thread each (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Run only shard I of N (plan positions with index mod N = I); join shards with `merge`.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected I/N, such as 0/4"))?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: I is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: N is not a number"))?;
    if n == 0 || i >= n {
        return Err(format!("{s:?}: needs 0 <= I < N"));
    }
    Ok((i, n))
}

/// User errors exit 2; the rest are internal.
fn classify(e: SweepError) -> anyhow::Error {
    match e {
        SweepError::Experiment { .. }
        | SweepError::Scenario(_)
        | SweepError::OtherExperiment { .. }
        | SweepError::NotASweep { .. }
        | SweepError::Shard(_) => BadInput::new(e.to_string()).into(),
        e => e.into(),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}")
            .expect("a valid template"),
    );
    pb.enable_steady_tick(Duration::from_millis(500));
    pb
}

/// `codexsim sweep`.
pub fn run(args: &SweepArgs) -> Result<()> {
    let exp = Experiment::load(&args.experiment).map_err(classify)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("sweeps").join(&exp.name));
    let jobs = args.jobs.unwrap_or_else(cores);
    if jobs == 0 {
        return Err(BadInput::new("--jobs 0: must be at least 1").into());
    }
    let plan = exp.plan().len();
    if !args.quiet {
        eprintln!(
            "{}: {} points x {} variants x {} replications = {plan} runs, {jobs} at once{} -> {}",
            exp.name,
            exp.points.len(),
            exp.variants.len(),
            exp.replications,
            args.shard
                .map(|(i, n)| format!(", shard {i}/{n}"))
                .unwrap_or_default(),
            out.display()
        );
    }
    let pb = bar(args.quiet);
    let progress = |total: usize, done: usize| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    };
    let outcome = codexsim_sweep::sweep(
        &exp,
        &out,
        SweepOptions {
            jobs,
            shard: args.shard,
        },
        &progress,
    )
    .map_err(classify)?;
    pb.finish_and_clear();
    println!(
        "{} runs: {} run now, {} already done",
        outcome.planned, outcome.ran, outcome.skipped
    );
    if outcome.complete {
        println!(
            "wrote {} (aggregate.csv, comparison.csv, runs.csv, report.md, plots/)",
            out.display()
        );
    } else {
        println!(
            "{} holds part of the plan; join the shards with: codexsim merge OUT SHARD_DIR...",
            out.display()
        );
    }
    Ok(())
}

/// `codexsim merge`.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<()> {
    // What interrupted merges (and runs) left beside OUT goes first.
    if let Some(parent) = out.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if parent.is_dir() {
            crate::rundir::remove_stale(parent);
        }
    }
    let missing = codexsim_sweep::merge(out, shards).map_err(classify)?;
    if missing > 0 {
        return Err(BadInput::new(format!(
            "merged {} shard(s) into {}, but {missing} runs of the plan are still missing: merge the other shards too",
            shards.len(),
            out.display()
        ))
        .into());
    }
    println!(
        "merged {} shard(s) into {} (aggregate.csv, comparison.csv, runs.csv, report.md, plots/)",
        shards.len(),
        out.display()
    );
    Ok(())
}

/// Options of `bench sweep`.
#[derive(Debug, clap::Args)]
pub struct BenchSweepArgs {
    /// The experiment (default: experiments/bench/experiment.toml).
    #[arg(default_value = "experiments/bench/experiment.toml")]
    pub experiment: PathBuf,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// `codexsim bench sweep`: the same sweep with 1 thread and with every
/// core, each into a fresh directory; throughput and its ratio.
pub fn bench(args: &BenchSweepArgs) -> Result<()> {
    let exp = Experiment::load(&args.experiment).map_err(classify)?;
    let runs = exp.plan().len();
    let all = cores();
    let tmp = std::env::temp_dir().join(format!("codexsim-bench-sweep-{}", std::process::id()));
    let mut medians = Vec::new();
    for jobs in [1, all] {
        let mut times = Vec::new();
        for rep in 0..args.repeat.max(1) {
            let out = tmp.join(format!("j{jobs}-{rep}"));
            let t = Instant::now();
            codexsim_sweep::sweep(&exp, &out, SweepOptions { jobs, shard: None }, &|_, _| {})
                .map_err(classify)?;
            times.push(t.elapsed().as_secs_f64());
            std::fs::remove_dir_all(&out).ok();
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!(
            "{} runs, {jobs} thread(s): median {median:.2} s of {} ({:.2} runs/s)",
            runs,
            times.len(),
            runs as f64 / median
        );
        medians.push(median);
    }
    std::fs::remove_dir_all(&tmp).ok();
    println!(
        "throughput with {all} threads / with 1: {:.2} x",
        medians[0] / medians[1]
    );
    Ok(())
}
