//! `codexsim bench engine`: the hold model through the engine, beside a bare
//! binary-heap loop and, on request, SimPy, all measured in one session.
//! `codexsim bench fleet`: whole runs of a scenario (the embedded
//! base-capacity fleet by default), beside the engine's hold model as the
//! session's reference.
//! `codexsim bench flows`: the bandwidth sharing alone, N concurrent flows
//! under a steady churn, recomputed incrementally and in full (with
//! `--simgrid`, against SimGrid instead: `simgrid.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use codexsim_engine::hold::{hold_bare_heap, hold_engine, HoldResult};
use codexsim_model::Manifest;

use crate::rundir::{config_hash, git_commit, RunDir, VERSION};

/// Options of `bench engine`.
#[derive(Debug, clap::Args)]
pub struct EngineBenchArgs {
    /// Pending-event counts N to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000usize, 100_000])]
    pub pending: Vec<usize>,
    /// Events delivered per timed run of the engine and of the bare heap.
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Timed runs per measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Also run the SimPy hold model (needs `python3` with simpy installed).
    #[arg(long)]
    pub simpy: bool,
    /// Events per SimPy run (SimPy is slow).
    #[arg(long, default_value_t = 1_000_000)]
    pub simpy_events: u64,
    /// The Python interpreter for --simpy.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Master seed of the hold model's stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write results.csv and manifest.json into this new directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// One row of the report.
struct Row {
    pending: usize,
    engine: f64,
    heap: f64,
    simpy: Option<f64>,
}

pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// A script of `benches/`: beside the working directory, else in the
/// source tree.
fn bench_script(name: &str) -> PathBuf {
    let local = Path::new("benches").join(name);
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches")
            .join(name)
    }
}

/// Runs a Python script of `benches/` with these arguments and reads the
/// JSON line it prints; `what` names it in errors.
pub(crate) fn run_bench_script<I, S>(
    python: &str,
    name: &str,
    args: I,
    what: &str,
) -> Result<serde_json::Value>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let script = bench_script(name);
    let out = Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .with_context(|| format!("starting {python} {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("reading {what}'s JSON line"))
}

fn run_simpy(python: &str, pending: usize, events: u64, seed: u64) -> Result<f64> {
    let v = run_bench_script(
        python,
        "hold_simpy.py",
        [
            "--pending".to_string(),
            pending.to_string(),
            "--events".to_string(),
            events.to_string(),
            "--seed".to_string(),
            seed.to_string(),
        ],
        "the SimPy script",
    )?;
    v["events_per_s"]
        .as_f64()
        .context("the SimPy script printed no events_per_s")
}

/// Runs the benchmark and prints (and optionally writes) the report.
pub fn run(args: &EngineBenchArgs) -> Result<()> {
    if args.repeat == 0 || args.events == 0 || args.pending.contains(&0) {
        return Err(
            crate::BadInput::new("--repeat, --events and every --pending must be > 0").into(),
        );
    }
    let run_dir = args.out.as_deref().map(RunDir::create).transpose()?;
    let wall = Instant::now();
    let mut rows = Vec::new();
    let mut total_events = 0u64;
    for &n in &args.pending {
        let mut engine = Vec::new();
        let mut heap = Vec::new();
        // Warm up both loops once, then alternate so that drift in the
        // machine's speed hits both alike.
        let _ = hold_engine(n, args.events / 10 + 1, args.seed);
        let _ = hold_bare_heap(n, args.events / 10 + 1, args.seed);
        for _ in 0..args.repeat {
            let a: HoldResult = hold_engine(n, args.events, args.seed);
            let b: HoldResult = hold_bare_heap(n, args.events, args.seed);
            assert_eq!(
                a.end_time_ns, b.end_time_ns,
                "engine and bare heap diverged"
            );
            engine.push(a.events_per_s());
            heap.push(b.events_per_s());
            total_events += a.events;
        }
        let simpy = if args.simpy {
            Some(run_simpy(&args.python, n, args.simpy_events, args.seed)?)
        } else {
            None
        };
        rows.push(Row {
            pending: n,
            engine: median(engine),
            heap: median(heap),
            simpy,
        });
    }

    let mut table = String::new();
    writeln!(
        table,
        "{:>9} {:>14} {:>14} {:>11} {:>14} {:>12}",
        "pending", "engine Mev/s", "heap Mev/s", "eng/heap", "simpy Mev/s", "eng/simpy"
    )?;
    let mut csv = String::from("pending,engine_events_per_s,bare_heap_events_per_s,engine_over_heap,simpy_events_per_s,engine_over_simpy\n");
    for r in &rows {
        let (simpy_s, ratio_s) = match r.simpy {
            Some(s) => (format!("{:.3}", s / 1e6), format!("{:.1}", r.engine / s)),
            None => ("-".into(), "-".into()),
        };
        writeln!(
            table,
            "{:>9} {:>14.2} {:>14.2} {:>11.2} {:>14} {:>12}",
            r.pending,
            r.engine / 1e6,
            r.heap / 1e6,
            r.engine / r.heap,
            simpy_s,
            ratio_s
        )?;
        writeln!(
            csv,
            "{},{:.0},{:.0},{:.4},{},{}",
            r.pending,
            r.engine,
            r.heap,
            r.engine / r.heap,
            r.simpy.map_or(String::new(), |s| format!("{s:.0}")),
            r.simpy
                .map_or(String::new(), |s| format!("{:.2}", r.engine / s)),
        )?;
    }
    print!("{table}");
    println!(
        "hold model: {} events per run, median of {} runs, seed {}",
        args.events, args.repeat, args.seed
    );

    if let Some(dir) = run_dir {
        let pending: Vec<String> = args.pending.iter().map(|n| n.to_string()).collect();
        let config = format!(
            "[bench.engine]\npending = [{}]\nevents = {}\nrepeat = {}\nsimpy = {}\nsimpy_events = {}\nseed = {}\n",
            pending.join(", "),
            args.events,
            args.repeat,
            args.simpy,
            args.simpy_events,
            args.seed
        );
        write_results(
            dir,
            "bench engine",
            config,
            args.seed,
            total_events,
            0.0,
            wall,
            &csv,
        )?;
    }
    Ok(())
}

/// Options of `bench fleet`.
#[derive(Debug, clap::Args)]
pub struct FleetBenchArgs {
    /// The scenario (TOML). Without it, the embedded base-capacity fleet.
    pub config: Option<PathBuf>,
    /// Timed runs; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// The goal for one run's wall time, in seconds.
    #[arg(long, default_value_t = 2.0)]
    pub goal_s: f64,
    /// Overrides the scenario's `network.sharing`: `max_min` (fair sharing
    /// of every link) or `unshared` (each transfer at a fixed rate).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        codexsim_config::SHARING_MODES.map(|(name, _)| name)
    ))]
    pub sharing: Option<String>,
    /// Write results.csv and manifest.json into this new directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Times whole runs (outputs written to a scratch run directory, as
/// `codexsim run` writes them), alternating with the engine's hold model
/// (1,000 pending events, as many events as the run) so that drift in the
/// machine's speed hits both alike.
pub fn run_fleet(args: &FleetBenchArgs) -> Result<()> {
    if args.repeat == 0 {
        return Err(crate::BadInput::new("--repeat must be > 0").into());
    }
    let mut scenario = crate::run::load_scenario(args.config.as_deref())?;
    if let Some(sharing) = &args.sharing {
        let mode = codexsim_config::SharingMode::from_name(sharing)
            .expect("clap accepts only the modes' names");
        scenario = scenario.with_sharing(mode);
    }
    let run_dir = args.out.as_deref().map(RunDir::create).transpose()?;
    let scratch = std::env::temp_dir().join(format!("codexsim-bench-fleet-{}", std::process::id()));
    let wall = Instant::now();
    let mut secs = Vec::new();
    let mut engine = Vec::new();
    let mut events = 0u64;
    let mut total_events = 0u64;
    let mut sharing = codexsim_model::Sharing::default();
    for i in 0..=args.repeat {
        let out = scratch.join(format!("run{i}"));
        let t = Instant::now();
        let options = crate::run::RunOptions {
            tracing: false,
            kinds: Vec::new(),
            quiet: true,
            plots: false,
        };
        let result = crate::run::execute(&scenario, &out, options);
        let elapsed = t.elapsed().as_secs_f64();
        let _ = std::fs::remove_dir_all(&scratch);
        let (summary, _) = result?;
        if i > 0 && summary.events_processed != events {
            bail!("runs of one scenario processed different event counts");
        }
        events = summary.events_processed;
        sharing = summary.network.sharing;
        let h = hold_engine(1_000, events.max(1), scenario.run.seed);
        if i == 0 {
            continue; // warm-up
        }
        secs.push(elapsed);
        engine.push(h.events_per_s());
        total_events += events;
    }
    let s = median(secs.clone());
    let eng = median(engine);
    let model_rate = events as f64 / s;
    let met = s < args.goal_s;
    let sharing_name = scenario.network.sharing.name();
    println!(
        "{}: {} events, {:.1} simulated days, sharing {sharing_name}",
        scenario.name.as_deref().unwrap_or("scenario"),
        events,
        scenario.run.duration.as_secs_f64() / 86_400.0
    );
    let runs: Vec<String> = secs.iter().map(|x| format!("{x:.2}")).collect();
    println!(
        "wall time: median {s:.2} s of {} runs ({} s); goal < {} s: {}",
        args.repeat,
        runs.join(", "),
        args.goal_s,
        if met { "met" } else { "NOT met" }
    );
    println!(
        "model {:.2} M events/s; engine hold model {:.2} M events/s; cost per event {:.1} x the engine's",
        model_rate / 1e6,
        eng / 1e6,
        eng / model_rate
    );
    println!(
        "transfers: {} rate updates, {} max-min recomputations of {:.1} parts and {:.1} resources on average, {} rate changes",
        sharing.updates,
        sharing.recomputations,
        sharing.mean_flows_per_recomputation,
        sharing.mean_resources_per_recomputation,
        sharing.rate_changes
    );
    if let Some(dir) = run_dir {
        let csv = format!(
            "scenario,events,median_wall_s,model_events_per_s,engine_events_per_s,cost_over_engine,goal_s,goal_met,rate_updates,recomputations,mean_flows_per_recomputation,rate_changes,sharing\n{},{},{:.4},{:.0},{:.0},{:.3},{},{},{},{},{:.2},{},{}\n",
            scenario.name.as_deref().unwrap_or("scenario"),
            events,
            s,
            model_rate,
            eng,
            eng / model_rate,
            args.goal_s,
            met,
            sharing.updates,
            sharing.recomputations,
            sharing.mean_flows_per_recomputation,
            sharing.rate_changes,
            sharing_name
        );
        let config = scenario.to_toml();
        write_results(
            dir,
            "bench fleet",
            config,
            scenario.run.seed,
            total_events,
            scenario.run.duration.as_secs_f64(),
            wall,
            &csv,
        )?;
    }
    Ok(())
}

/// Options of `bench flows`.
#[derive(Debug, clap::Args)]
pub struct FlowsBenchArgs {
    /// Concurrent flows N, kept constant by the churn.
    #[arg(long, default_value_t = 10_000)]
    pub flows: usize,
    /// Churn steps (one flow ends, one starts) timed per run of the
    /// incremental recomputation.
    #[arg(long, default_value_t = 500)]
    pub changes: usize,
    /// Churn steps timed per run of the full recomputation: the first ones
    /// of the same sequence (default: as many as --changes).
    #[arg(long)]
    pub full_changes: Option<usize>,
    /// Timed runs per mode; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Master seed of the workload's stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Hosts of the fleet (default 1,000).
    #[arg(long)]
    pub hosts: Option<u32>,
    /// Machines, shared network cards; a multiple of --racks (default 50).
    #[arg(long)]
    pub machines: Option<u32>,
    /// Racks, shared uplinks (default 5).
    #[arg(long)]
    pub racks: Option<u32>,
    /// Clients outside the fleet (default 200).
    #[arg(long)]
    pub clients: Option<u32>,
    /// Instead: run the storm (the N flows, then the churn's starts, every flow to its end)
    /// through SimGrid's max-min solver and codexsim's, and compare wall times and
    /// completion times (needs SimGrid's Python module: `apt-get install python3-simgrid`).
    #[arg(long)]
    pub simgrid: bool,
    /// The Python interpreter with SimGrid, for --simgrid.
    #[arg(long, default_value = "/usr/bin/python3")]
    pub python: String,
    /// SimGrid runs per --simgrid measurement; the median is reported.
    #[arg(long, default_value_t = 1)]
    pub simgrid_repeat: usize,
    /// With --simgrid: the largest relative difference of completion times allowed (exit 1 past it).
    #[arg(long, default_value_t = 1e-6)]
    pub tolerance: f64,
    /// Write results.csv and manifest.json into this new directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The fleet of `bench flows`: the default shape with the options' counts.
fn flows_shape(args: &FlowsBenchArgs) -> Result<codexsim_net::bench::FleetShape> {
    let d = codexsim_net::bench::FleetShape::default();
    let shape = codexsim_net::bench::FleetShape {
        hosts: args.hosts.unwrap_or(d.hosts),
        machines: args.machines.unwrap_or(d.machines),
        racks: args.racks.unwrap_or(d.racks),
        clients: args.clients.unwrap_or(d.clients),
        ..d
    };
    if shape.hosts == 0 || shape.racks == 0 || shape.machines == 0 {
        return Err(crate::BadInput::new("--hosts, --machines and --racks must be > 0").into());
    }
    if shape.machines % shape.racks != 0 {
        return Err(crate::BadInput::new(format!(
            "--machines {} must be a multiple of --racks {}",
            shape.machines, shape.racks
        ))
        .into());
    }
    Ok(shape)
}

/// Times the bandwidth sharing alone: N concurrent flows on a fleet's
/// resources, a steady churn replayed identically on an incremental and a
/// full network, alternating within each repeat.
pub fn run_flows(args: &FlowsBenchArgs) -> Result<()> {
    use codexsim_net::bench::{rates_agree, ChurnStats, Workload};
    use codexsim_net::flows::Recompute;

    if args.flows == 0 || args.changes == 0 || args.repeat == 0 || args.full_changes == Some(0) {
        return Err(crate::BadInput::new(
            "--flows, --changes, --full-changes and --repeat must be > 0",
        )
        .into());
    }
    let shape = flows_shape(args)?;
    if args.simgrid {
        if args.simgrid_repeat == 0 || args.tolerance.is_nan() || args.tolerance < 0.0 {
            return Err(crate::BadInput::new(
                "--simgrid-repeat must be > 0 and --tolerance a number >= 0",
            )
            .into());
        }
        return crate::simgrid::run(args, shape);
    }
    let changes = args.changes;
    let full_changes = args.full_changes.unwrap_or(changes).min(changes);
    let run_dir = args.out.as_deref().map(RunDir::create).transpose()?;
    let wall = Instant::now();
    let workload = Workload::generate(shape.clone(), args.flows, changes, args.seed);
    eprintln!(
        "starting {} flows in each mode (one recomputation per start)...",
        args.flows
    );

    let t = Instant::now();
    let inc0 = workload.load(Recompute::Incremental);
    let inc_setup_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let full0 = workload.load(Recompute::Full);
    let full_setup_s = t.elapsed().as_secs_f64();
    if let Err(e) = rates_agree(&inc0.rates(), &full0.rates(), 1e-9) {
        bail!("incremental and full recomputation disagree after the start: {e}");
    }

    // Warm up both, then alternate so that drift in the machine's speed hits
    // both alike.
    let warm = full_changes.min(10);
    let _ = inc0.clone().churn(&workload.changes[..warm]);
    let _ = full0.clone().churn(&workload.changes[..warm]);
    let mut inc_us = Vec::new();
    let mut full_us = Vec::new();
    let mut inc_stats = ChurnStats::default();
    let mut full_stats = ChurnStats::default();
    let mut distinct_rates = 0;
    for _ in 0..args.repeat {
        let mut inc = inc0.clone();
        let head = inc.churn(&workload.changes[..full_changes]);
        let inc_rates = inc.rates();
        let s = head + inc.churn(&workload.changes[full_changes..]);
        inc_us.push(s.us_per_recomputation());
        inc_stats = s;

        let mut full = full0.clone();
        let s = full.churn(&workload.changes[..full_changes]);
        full_us.push(s.us_per_recomputation());
        full_stats = s;
        if let Err(e) = rates_agree(&inc_rates, &full.rates(), 1e-9) {
            bail!("incremental and full recomputation disagree after {full_changes} changes: {e}");
        }
        debug_assert_eq!(inc.net.active_flows(), args.flows);
        distinct_rates = inc.distinct_rates();
    }
    let inc_med = median(inc_us);
    let full_med = median(full_us);
    let rows = [
        ("incremental", &inc_stats, inc_med, 1.0),
        ("full", &full_stats, full_med, full_med / inc_med),
    ];

    let mut table = String::new();
    writeln!(
        table,
        "{:<12} {:>8} {:>15} {:>17} {:>16} {:>9}",
        "mode", "changes", "recomputations", "µs/recomputation", "flows/recomp.", "full/inc"
    )?;
    let mut csv = String::from("mode,flows,changes,recomputations,us_per_recomputation,flows_per_recomputation,setup_s,full_over_incremental\n");
    for (mode, s, us, ratio) in rows {
        writeln!(
            table,
            "{:<12} {:>8} {:>15} {:>17.1} {:>16.1} {:>9.2}",
            mode,
            s.changes,
            s.recomputations,
            us,
            s.flows_per_recomputation(),
            ratio
        )?;
        let setup_s = if mode == "full" {
            full_setup_s
        } else {
            inc_setup_s
        };
        writeln!(
            csv,
            "{},{},{},{},{:.3},{:.2},{:.3},{:.4}",
            mode,
            args.flows,
            s.changes,
            s.recomputations,
            us,
            s.flows_per_recomputation(),
            setup_s,
            ratio
        )?;
    }
    print!("{table}");
    println!(
        "{} concurrent flows on {} hosts, {} machines, {} racks, {} clients; median of {} runs, seed {}",
        args.flows,
        shape.hosts,
        shape.machines,
        shape.racks,
        shape.clients,
        args.repeat,
        args.seed
    );
    println!(
        "starting the {} flows: {:.2} s incremental, {:.2} s full; rates agree within 1e-9",
        args.flows, inc_setup_s, full_setup_s
    );
    println!(
        "{distinct_rates} distinct rates among the live flows at the end (levels of the max-min allocation)"
    );

    if let Some(dir) = run_dir {
        let config = format!(
            "[bench.flows]\nflows = {}\nchanges = {}\nfull_changes = {}\nrepeat = {}\nseed = {}\nhosts = {}\nmachines = {}\nracks = {}\nclients = {}\n",
            args.flows,
            changes,
            full_changes,
            args.repeat,
            args.seed,
            shape.hosts,
            shape.machines,
            shape.racks,
            shape.clients
        );
        write_results(dir, "bench flows", config, args.seed, 0, 0.0, wall, &csv)?;
    }
    Ok(())
}

/// Writes a benchmark's `results.csv` and `manifest.json` into its run
/// directory and commits it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_results(
    dir: RunDir,
    command: &str,
    config: String,
    seed: u64,
    events_processed: u64,
    simulated_time_s: f64,
    wall: Instant,
    csv: &str,
) -> Result<()> {
    dir.write("results.csv", csv.as_bytes())?;
    dir.write_manifest(&Manifest {
        codexsim_version: VERSION.into(),
        git_commit: git_commit().map(String::from),
        command: command.into(),
        config_hash: config_hash(&config),
        seed,
        config,
        events_processed,
        simulated_time_s,
        wall_time_s: wall.elapsed().as_secs_f64(),
    })?;
    let path = dir.commit()?;
    println!("wrote {}", path.display());
    Ok(())
}
