//! `codexsim bench flows --simgrid`: the storm of `bench flows` through
//! SimGrid's max-min solver (`benches/simgrid_storm.py`, SimGrid's Python
//! bindings) and through codexsim's, side by side: both wall times, their
//! ratio, and the largest relative difference of the completion times.
//!
//! The storm is the workload of `bench flows` (`codexsim_net::bench`): the
//! fleet's resources (disks as resources on the path), N flows started at
//! time 0, then one new flow per churn step at the step's time. Every flow
//! runs until its last byte (the churn's victims are not ended early: a
//! flow's completion time is then defined for every flow): N concurrent
//! flows at the start, the churn's arrivals, then the drain. Latencies are
//! 0 (the two apply latency differently); SimGrid is set to pure max-min
//! (CM02, TCP-gamma 0, factors 1, weight-S 0, no cross-traffic).
//!
//! codexsim's side is `codexsim_net::replay` on a network set up as a run
//! sets it up for max-min sharing (incremental recomputation, finish times
//! kept, one recomputation per instant).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use codexsim_net::bench::{FleetShape, Workload};
use codexsim_net::flows::{FlowNet, Recompute};
use codexsim_net::replay::{replay, TimedFlow};

use crate::bench::{median, run_bench_script, FlowsBenchArgs};

/// The storm as timed flows: the initial flows at 0, then each churn
/// step's new flow at the step's time.
pub fn storm(w: &Workload) -> Vec<TimedFlow> {
    let timed = |start_ns: u64, f: &codexsim_net::bench::FlowSpec| TimedFlow {
        start_ns,
        resources: f.resources.clone(),
        cap_bytes_per_s: f.cap_bytes_per_s,
        size_bytes: f.size_bytes,
        purpose: f.purpose,
    };
    let mut out: Vec<TimedFlow> = w.initial.iter().map(|f| timed(0, f)).collect();
    let mut now_ns = 0u64;
    for c in &w.changes {
        now_ns += c.dt_ns;
        out.push(timed(now_ns, &c.start));
    }
    out
}

/// This process's CPU time so far, seconds (immune to other processes on a
/// shared machine, unlike wall time).
fn cpu_s() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// codexsim's side: the fleet's network built and the storm replayed.
/// Returns the finish times (ns), the wall and the CPU time (s).
fn ours(shape: &FleetShape, flows: &[TimedFlow]) -> Result<(Vec<u64>, f64, f64)> {
    let (t, c) = (Instant::now(), cpu_s());
    let mut net = FlowNet::new(Recompute::Incremental);
    net.track_finishes();
    net.defer_changes();
    shape.build(&mut net);
    let ends = replay(&mut net, flows)?;
    Ok((ends, t.elapsed().as_secs_f64(), cpu_s() - c))
}

/// Writes the storm for the SimGrid script: `resources.csv` (every finite
/// resource a flow crosses) and `transfers.csv` (unlimited resources left
/// out: they limit nothing).
fn write_inputs(dir: &Path, shape: &FleetShape, flows: &[TimedFlow]) -> Result<()> {
    let mut net = FlowNet::new(Recompute::Incremental);
    shape.build(&mut net);
    let used: BTreeSet<u32> = flows.iter().flat_map(|f| f.resources.clone()).collect();
    let mut ryu = ryu::Buffer::new();
    let mut resources = String::from("id,bytes_per_s\n");
    for &r in &used {
        let c = net.capacity(r);
        if c.is_finite() {
            writeln!(resources, "{r},{}", ryu.format(c))?;
        }
    }
    let mut transfers = String::from("start_s,bytes,rate_cap_bytes_per_s,resources\n");
    for f in flows {
        let start_s = ryu.format(f.start_ns as f64 / 1e9).to_string();
        let cap = if f.cap_bytes_per_s.is_finite() {
            ryu.format(f.cap_bytes_per_s).to_string()
        } else {
            String::new()
        };
        let path: Vec<String> = f
            .resources
            .iter()
            .filter(|&&r| net.capacity(r).is_finite())
            .map(|r| r.to_string())
            .collect();
        writeln!(
            transfers,
            "{start_s},{},{cap},{}",
            f.size_bytes,
            path.join(" ")
        )?;
    }
    std::fs::write(dir.join("resources.csv"), resources)?;
    std::fs::write(dir.join("transfers.csv"), transfers)?;
    Ok(())
}

/// One SimGrid run: the completion times (s), its wall and CPU times
/// (platform and simulation, s) and SimGrid's version.
struct SimGridRun {
    ends_s: Vec<f64>,
    wall_s: f64,
    cpu_s: f64,
    version: String,
}

fn run_simgrid(python: &str, dir: &Path, n: usize) -> Result<SimGridRun> {
    let v = run_bench_script(
        python,
        "simgrid_storm.py",
        [
            "--resources".into(),
            dir.join("resources.csv").into_os_string(),
            "--transfers".into(),
            dir.join("transfers.csv").into_os_string(),
            "--out".into(),
            dir.join("ends.csv").into_os_string(),
        ],
        "the SimGrid script",
    )?;
    let wall_s =
        v["build_s"].as_f64().context("no build_s")? + v["run_s"].as_f64().context("no run_s")?;
    let cpu_s = v["build_cpu_s"].as_f64().context("no build_cpu_s")?
        + v["run_cpu_s"].as_f64().context("no run_cpu_s")?;
    let version = v["simgrid"].as_str().unwrap_or("?").to_string();
    let text = std::fs::read_to_string(dir.join("ends.csv"))?;
    let mut ends_s = vec![f64::NAN; n];
    for line in text.lines().skip(1) {
        let (i, e) = line.split_once(',').context("a line of ends.csv")?;
        let i: usize = i.parse()?;
        if i >= n {
            bail!("ends.csv names transfer {i} of {n}");
        }
        ends_s[i] = e.parse()?;
    }
    if ends_s.iter().any(|e| e.is_nan()) {
        bail!("SimGrid's ends.csv lacks some transfers");
    }
    Ok(SimGridRun {
        ends_s,
        wall_s,
        cpu_s,
        version,
    })
}

/// The largest relative difference between two lists, and where.
fn max_rel_diff(a: &[f64], b: &[f64]) -> (f64, usize) {
    let mut worst = (0.0, 0);
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let scale = x.abs().max(y.abs());
        let d = if scale > 0.0 {
            (x - y).abs() / scale
        } else {
            0.0
        };
        if d > worst.0 {
            worst = (d, i);
        }
    }
    worst
}

/// Runs `bench flows --simgrid`.
pub fn run(args: &FlowsBenchArgs, shape: FleetShape) -> Result<()> {
    let workload = Workload::generate(shape.clone(), args.flows, args.changes, args.seed);
    let flows = storm(&workload);
    let n = flows.len();
    let churn_s = flows.last().map_or(0.0, |f| f.start_ns as f64 / 1e9);
    let dir = std::env::temp_dir().join(format!("codexsim-simgrid-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = compare(args, &shape, &flows, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let c = result?;

    println!(
        "storm: {} flows at 0 s, {} more over {churn_s:.3} s (the churn's starts), each to its end; {} hosts, {} machines, {} racks, {} clients; disks on the path, zero latency; seed {}",
        args.flows,
        n - args.flows,
        shape.hosts,
        shape.machines,
        shape.racks,
        shape.clients,
        args.seed
    );
    println!(
        "{:<16} {:>12} {:>12} {:>6}",
        "solver", "wall s", "CPU s", "runs"
    );
    println!(
        "{:<16} {:>12.4} {:>12.4} {:>6}",
        "codexsim", c.ours_s, c.ours_cpu_s, args.repeat
    );
    println!(
        "{:<16} {:>12.4} {:>12.4} {:>6}",
        format!("SimGrid {}", c.version),
        c.simgrid_s,
        c.simgrid_cpu_s,
        args.simgrid_repeat
    );
    println!(
        "SimGrid / codexsim: {:.1} x wall, {:.1} x CPU (medians; each: building the network and running the storm)",
        c.simgrid_s / c.ours_s,
        c.simgrid_cpu_s / c.ours_cpu_s
    );
    println!(
        "completion times: largest relative difference {:.3e} (transfer {}; {:.3e} on durations; largest absolute difference {:.2} ns, codexsim's clock ticks in ns); tolerance {:e}: {}",
        c.max_rel_end,
        c.worst_index,
        c.max_rel_duration,
        c.max_abs_end_s * 1e9,
        args.tolerance,
        if c.max_rel_end <= args.tolerance {
            "met"
        } else {
            "NOT met"
        }
    );
    if let Some(out) = &args.out {
        let dir = crate::rundir::RunDir::create(out)?;
        let csv = format!(
            "flows,transfers,codexsim_wall_s,simgrid_wall_s,simgrid_over_codexsim,codexsim_cpu_s,simgrid_cpu_s,simgrid_over_codexsim_cpu,max_rel_diff_end,max_rel_diff_duration,max_abs_diff_end_s,simgrid_version\n{},{n},{:.6},{:.6},{:.3},{:.6},{:.6},{:.3},{:e},{:e},{:e},{}\n",
            args.flows,
            c.ours_s,
            c.simgrid_s,
            c.simgrid_s / c.ours_s,
            c.ours_cpu_s,
            c.simgrid_cpu_s,
            c.simgrid_cpu_s / c.ours_cpu_s,
            c.max_rel_end,
            c.max_rel_duration,
            c.max_abs_end_s,
            c.version
        );
        let config = format!(
            "[bench.flows.simgrid]\nflows = {}\nchanges = {}\nrepeat = {}\nsimgrid_repeat = {}\nseed = {}\nhosts = {}\nmachines = {}\nracks = {}\nclients = {}\n",
            args.flows,
            args.changes,
            args.repeat,
            args.simgrid_repeat,
            args.seed,
            shape.hosts,
            shape.machines,
            shape.racks,
            shape.clients
        );
        crate::bench::write_results(
            dir,
            "bench flows --simgrid",
            config,
            args.seed,
            0,
            0.0,
            c.wall,
            &csv,
        )?;
    }
    if c.max_rel_end > args.tolerance {
        bail!(
            "SimGrid and codexsim disagree: transfer {} ends at {} s in SimGrid and {} s in codexsim",
            c.worst_index,
            c.simgrid_end_s,
            c.ours_end_s
        );
    }
    Ok(())
}

struct Comparison {
    ours_s: f64,
    ours_cpu_s: f64,
    simgrid_s: f64,
    simgrid_cpu_s: f64,
    version: String,
    max_rel_end: f64,
    max_abs_end_s: f64,
    max_rel_duration: f64,
    worst_index: usize,
    simgrid_end_s: f64,
    ours_end_s: f64,
    wall: Instant,
}

fn compare(
    args: &FlowsBenchArgs,
    shape: &FleetShape,
    flows: &[TimedFlow],
    dir: &Path,
) -> Result<Comparison> {
    let wall = Instant::now();
    write_inputs(dir, shape, flows)?;
    eprintln!(
        "{} transfers: codexsim {} times, SimGrid {} times...",
        flows.len(),
        args.repeat,
        args.simgrid_repeat
    );
    let mut ours_s = Vec::new();
    let mut ours_cpu_s = Vec::new();
    let mut ends_ns: Option<Vec<u64>> = None;
    for _ in 0..args.repeat {
        let (ends, s, cpu) = ours(shape, flows)?;
        if ends_ns.as_ref().is_some_and(|e| *e != ends) {
            bail!("two replays of one storm gave different completion times");
        }
        ends_ns = Some(ends);
        ours_s.push(s);
        ours_cpu_s.push(cpu);
    }
    let ends_ns = ends_ns.expect("--repeat > 0");
    let mut simgrid_s = Vec::new();
    let mut simgrid_cpu_s = Vec::new();
    let mut sg: Option<SimGridRun> = None;
    for _ in 0..args.simgrid_repeat {
        let run = run_simgrid(&args.python, dir, flows.len())?;
        simgrid_s.push(run.wall_s);
        simgrid_cpu_s.push(run.cpu_s);
        sg = Some(run);
    }
    let sg = sg.expect("--simgrid-repeat > 0");
    let ours_end: Vec<f64> = ends_ns.iter().map(|&e| e as f64 / 1e9).collect();
    let (max_rel_end, worst_index) = max_rel_diff(&ours_end, &sg.ends_s);
    let max_abs_end_s = ours_end
        .iter()
        .zip(&sg.ends_s)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let start = |i: usize| flows[i].start_ns as f64 / 1e9;
    let ours_d: Vec<f64> = (0..flows.len()).map(|i| ours_end[i] - start(i)).collect();
    let sg_d: Vec<f64> = (0..flows.len()).map(|i| sg.ends_s[i] - start(i)).collect();
    let (max_rel_duration, _) = max_rel_diff(&ours_d, &sg_d);
    Ok(Comparison {
        ours_s: median(ours_s),
        ours_cpu_s: median(ours_cpu_s),
        simgrid_s: median(simgrid_s),
        simgrid_cpu_s: median(simgrid_cpu_s),
        version: sg.version.clone(),
        max_rel_end,
        max_abs_end_s,
        max_rel_duration,
        worst_index,
        simgrid_end_s: sg.ends_s[worst_index],
        ours_end_s: ours_end[worst_index],
        wall,
    })
}
