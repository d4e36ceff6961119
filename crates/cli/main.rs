//! The `codexsim` command line. The only part of codexsim that talks to the
//! outside world: it reads configuration files, writes run directories and
//! prints. Exit codes: 0 success, 2 bad input, 1 internal error.

mod bench;
mod bench_scale;
mod bench_swarm;
mod durability;
mod flows;
mod live;
mod run;
mod rundir;
mod simgrid;
mod swarm;
mod swarm_experiment;
mod sweep;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// codexsim: a deterministic discrete-event simulator of a Codex storage testnet.
#[derive(Debug, Parser)]
#[command(name = "codexsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario (default: the embedded base-capacity fleet) into a run directory.
    Run(run::RunArgs),
    /// Draw (again) a finished run's charts (plots/*.svg, *.png) and report.html.
    Plot {
        /// The run directory.
        run_dir: PathBuf,
    },
    /// Run an experiment: parameter points x variants x replications, in parallel, resumable.
    Sweep(sweep::SweepArgs),
    /// Join sweep shards (directories made with --shard) into one sweep directory.
    Merge {
        /// The sweep directory to write (created if missing).
        out: PathBuf,
        /// The shard directories.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
    },
    /// Exact durability models: birth-death chain, the whitepaper's lazy-repair chain, Backblaze, Storj.
    #[command(subcommand)]
    Analytic(durability::Analytic),
    /// One dataset's probability of data loss by simulation with importance sampling (down to 1e-9 and below).
    RareEvent(durability::RareEventArgs),
    /// The whitepaper's Table 1 by simulation with rare-event estimation (chain assumptions or beyond).
    RareEventTable(durability::TableArgs),
    /// Write a run's time series under Codex's metric names (OpenMetrics or CSV).
    #[command(subcommand)]
    Export(live::Export),
    /// Compare a run with live data (a file, or a Prometheus server): errors, overlay charts, thresholds.
    Compare(live::CompareArgs),
    /// Traces of what happened (on-chain events, node outages) for post-mortems.
    #[command(subcommand)]
    Trace(live::Trace),
    /// The block exchange alone: seeders and downloaders of one file, a protocol generation (default: 1 seeder, 20 downloaders of 1 GiB).
    Swarm(swarm::SwarmArgs),
    /// Many swarms: downloaders x file sizes x protocols x replications, on every core, with charts.
    SwarmExperiment(swarm_experiment::ExperimentArgs),
    /// Bandwidth sharing alone: transfers replayed on a scenario's network.
    #[command(subcommand)]
    Flows(flows::Flows),
    /// Check a scenario file and print the resolved configuration.
    Validate {
        /// The scenario (TOML).
        config: PathBuf,
        /// Print only errors, not the resolved configuration.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Measure codexsim's speed.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// The hold model through the engine, against a bare binary heap and SimPy.
    Engine(bench::EngineBenchArgs),
    /// Whole runs of a scenario (default: the base-capacity fleet's year).
    Fleet(bench::FleetBenchArgs),
    /// Bandwidth sharing alone: time per recomputation with N concurrent flows, incremental against full.
    Flows(bench::FlowsBenchArgs),
    /// The base-capacity fleet multiplied to 50, 500, 5,000 (10,000) nodes: cost per simulated node-day.
    Scale(bench_scale::ScaleBenchArgs),
    /// Swarms of every protocol (default 1 seeder + 20 downloaders of 1 GiB): wall time against the engine's hold model.
    Swarm(bench_swarm::SwarmBenchArgs),
    /// A sweep with one thread and with every core: throughput and its ratio.
    Sweep(sweep::BenchSweepArgs),
    /// A yearly loss probability near 1e-9 estimated to 30 % relative error (95 %).
    RareEvent,
}

/// An error caused by the user's input (exit code 2).
#[derive(Debug)]
pub struct BadInput(String);

impl BadInput {
    /// A bad-input error with this message.
    pub fn new(msg: impl Into<String>) -> Self {
        BadInput(msg.into())
    }
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn validate(config: &std::path::Path, quiet: bool) -> Result<()> {
    let scenario = codexsim_config::load_file(config).map_err(|e| BadInput::new(e.to_string()))?;
    if !quiet {
        print!("{}", scenario.to_toml());
    }
    eprintln!("{}: ok", config.display());
    Ok(())
}

fn plot(run_dir: &std::path::Path) -> Result<()> {
    let files = codexsim_report::render(run_dir).map_err(|e| match e {
        codexsim_report::ReportError::NotARunDir { .. }
        | codexsim_report::ReportError::Malformed { .. } => {
            anyhow::Error::from(BadInput::new(e.to_string()))
        }
        e => anyhow::Error::from(e),
    })?;
    println!("wrote {} files in {}", files.len(), run_dir.display());
    println!("report: {}", run_dir.join("report.html").display());
    Ok(())
}

/// The file-system error at the root of `e`, when it is about a path the
/// user named (missing, a file where a folder should be, no permission...)
/// rather than the machine failing.
fn users_path_error(e: &anyhow::Error) -> Option<&std::io::Error> {
    use std::io::ErrorKind::*;
    let io = e.chain().find_map(|c| c.downcast_ref::<std::io::Error>())?;
    matches!(
        io.kind(),
        NotFound
            | PermissionDenied
            | AlreadyExists
            | NotADirectory
            | IsADirectory
            | InvalidInput
            | ReadOnlyFilesystem
            | InvalidFilename
    )
    .then_some(io)
}

/// "writing /x/y.csv: the folder does not exist": the outermost context and
/// the cause in words, once.
fn one_sentence(e: &anyhow::Error, io: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    let why = match io.kind() {
        NotFound => "no such file or folder (is the folder there?)".to_string(),
        PermissionDenied => "permission denied".to_string(),
        AlreadyExists => "it already exists".to_string(),
        NotADirectory => "a part of the path is a file, not a folder".to_string(),
        IsADirectory => "it is a folder, not a file".to_string(),
        _ => io.to_string(),
    };
    format!("{e}: {why}")
}

fn main() -> ExitCode {
    // Output piped into `head` ends quietly, as in other command-line tools.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run::run(args),
        Command::Plot { run_dir } => plot(run_dir),
        Command::Export(cmd) => live::export(cmd),
        Command::Compare(args) => live::run(args),
        Command::Trace(cmd) => live::trace(cmd),
        Command::Sweep(args) => sweep::run(args),
        Command::Analytic(cmd) => durability::analytic(cmd),
        Command::RareEvent(args) => durability::rare_event(args),
        Command::RareEventTable(args) => durability::table(args),
        Command::Bench(BenchCommand::RareEvent) => durability::bench(),
        Command::Merge { out, shards } => sweep::merge(out, shards),
        Command::Bench(BenchCommand::Sweep(args)) => sweep::bench(args),
        Command::Validate { config, quiet } => validate(config, *quiet),
        Command::Flows(cmd) => flows::run(cmd),
        Command::Swarm(args) => swarm::run(args),
        Command::SwarmExperiment(args) => swarm_experiment::run(args),
        Command::Bench(BenchCommand::Engine(args)) => bench::run(args),
        Command::Bench(BenchCommand::Fleet(args)) => bench::run_fleet(args),
        Command::Bench(BenchCommand::Flows(args)) => bench::run_flows(args),
        Command::Bench(BenchCommand::Scale(args)) => bench_scale::run(args),
        Command::Bench(BenchCommand::Swarm(args)) => bench_swarm::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<live::ThresholdExceeded>().is_some() {
                eprintln!("error: {e}");
                ExitCode::from(3)
            } else if e.downcast_ref::<BadInput>().is_some() {
                eprintln!("error: {e}");
                ExitCode::from(2)
            } else if let Some(io) = users_path_error(&e) {
                // A path the user gave that cannot be used: their input.
                eprintln!("error: {}", one_sentence(&e, io));
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}
