//! `codexsim bench scale`: how the cost of a run grows with the fleet. The
//! base-capacity scenario (embedded) multiplied to N nodes with the same load
//! per node: N x 10 TB, N / 17 machines rounded (base-capacity's 50 nodes
//! on 3),
//! arrivals every 3 min x 50 / N on average. Each fleet runs for the same
//! simulated days in each sharing mode, its outputs written as `codexsim run`
//! writes them (charts aside) to a scratch directory; the table gives events
//! and wall time per simulated node-day, and the ratio of the wall time per
//! node-day to the smallest fleet's.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use codexsim_config::{RawDist, RawDistTable, RawQuantity, Scenario, SharingMode};

use crate::bench::{median, write_results};
use crate::rundir::RunDir;
use crate::BadInput;

/// Options of `bench scale`.
#[derive(Debug, clap::Args)]
pub struct ScaleBenchArgs {
    /// Fleet sizes (nodes), comma-separated, each at least 5 (a request's
    /// slots). Default: 50, 500 and 5,000.
    #[arg(long, value_delimiter = ',')]
    pub nodes: Vec<u32>,
    /// Add a 10,000-node fleet to the default sizes.
    #[arg(long)]
    pub with_10k: bool,
    /// Only this sharing mode: `max_min` (fair sharing of every link) or
    /// `unshared` (each transfer at a fixed rate). Default: both.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        codexsim_config::SHARING_MODES.map(|(name, _)| name)
    ))]
    pub sharing: Option<String>,
    /// Simulated days per run (the same for every fleet, so that every fleet
    /// is timed over the same phase: filling up from empty at first).
    #[arg(long, default_value_t = 2.0)]
    pub days: f64,
    /// Timed runs per fleet and mode; the median is reported.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Write results.csv and manifest.json into this new directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// base-capacity's nodes per machine: 50 nodes on 3 machines, about 17.
const NODES_PER_MACHINE: f64 = 17.0;
/// base-capacity's mean interarrival (3 min) times its 50 nodes, ns.
const INTERARRIVAL_X_NODES_NS: u64 = 180_000_000_000 * 50;

/// The fleets' sizes the options ask for, smallest first, each once.
fn fleet_sizes(args: &ScaleBenchArgs) -> Result<Vec<u32>> {
    let mut sizes = if args.nodes.is_empty() {
        vec![50, 500, 5_000]
    } else {
        args.nodes.clone()
    };
    if args.with_10k {
        sizes.push(10_000);
    }
    if let Some(&n) = sizes.iter().find(|&&n| !(5..=1_000_000).contains(&n)) {
        return Err(BadInput::new(format!(
            "--nodes {n}: must be between 5 (a request's slots) and 1,000,000"
        ))
        .into());
    }
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

/// The simulated duration, ns: `--days` checked.
fn duration_ns(days: f64) -> Result<u64> {
    if !(days.is_finite() && days > 0.0 && days <= 3_650.0) {
        return Err(BadInput::new(format!(
            "--days {days}: must be more than 0 and at most 3,650 (ten years)"
        ))
        .into());
    }
    Ok((days * 86_400e9).round() as u64)
}

/// Machines for `nodes` nodes: N / 17 (base-capacity's 50 nodes on 3
/// machines), rounded, at least one.
pub fn machines_for(nodes: u32) -> u32 {
    ((nodes as f64 / NODES_PER_MACHINE).round() as u32).max(1)
}

/// Mean interarrival for `nodes` nodes, ns: 3 min x 50 / N, rounded.
pub fn interarrival_ns(nodes: u32) -> u64 {
    (INTERARRIVAL_X_NODES_NS + nodes as u64 / 2) / nodes as u64
}

/// The embedded base-capacity scenario multiplied to `nodes` nodes (same
/// load per node), run for `duration_ns`.
pub fn scaled_fleet(nodes: u32, duration_ns: u64) -> Result<Scenario> {
    let mut raw =
        codexsim_config::parse_raw(crate::run::DEFAULT_SCENARIO, crate::run::DEFAULT_ORIGIN)?;
    if raw.node_groups.len() != 1 || raw.domain_levels.len() != 1 {
        bail!(
            "the embedded base-capacity scenario no longer has one node group and one domain level"
        );
    }
    let machines = machines_for(nodes);
    raw.name = Some(format!("base-capacity-x{nodes}"));
    raw.description = Some(format!(
        "base-capacity multiplied: {nodes} x 10 TB on {machines} machines, the same load per node"
    ));
    raw.node_groups[0].count = nodes.into();
    raw.domain_levels[0].count = machines.into();
    raw.workload.interarrival_s = RawDist::Table(RawDistTable::Exponential {
        mean: RawQuantity::Text(format!("{} ns", interarrival_ns(nodes))),
    });
    let day_ns = 86_400_000_000_000u64;
    raw.run.duration_s = RawQuantity::Text(if duration_ns % day_ns == 0 {
        format!("{} days", duration_ns / day_ns)
    } else {
        format!("{duration_ns} ns")
    });
    raw.validate()
        .map_err(|e| anyhow::anyhow!("the base-capacity fleet multiplied to {nodes} nodes: {e}"))
}

/// The process's peak resident memory since the last [`reset_peak_rss`],
/// bytes (Linux: `VmHWM`; elsewhere the process's peak so far, from
/// `getrusage`).
fn peak_rss_bytes() -> Option<u64> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if let Some(kb) = line.strip_prefix("VmHWM:") {
                let kb = kb.trim().trim_end_matches("kB").trim();
                return kb.parse::<u64>().ok().map(|k| k * 1024);
            }
        }
    }
    // SAFETY: getrusage writes into the struct it is given.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) == 0 {
            // kB on Linux, bytes on macOS.
            let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
            return Some(usage.ru_maxrss as u64 * unit);
        }
    }
    None
}

/// Resets the peak that [`peak_rss_bytes`] reads to the current resident
/// memory, where the system allows it (Linux: `/proc/self/clear_refs`).
/// Memory the allocator kept from an earlier run still counts.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One fleet in one mode.
struct Row {
    nodes: u32,
    machines: u32,
    sharing: SharingMode,
    events: u64,
    wall_s: f64,
    runs_s: Vec<f64>,
    peak_rss_bytes: Option<u64>,
    days: f64,
}

impl Row {
    fn node_days(&self) -> f64 {
        self.nodes as f64 * self.days
    }
    fn events_per_node_day(&self) -> f64 {
        self.events as f64 / self.node_days()
    }
    fn wall_us_per_node_day(&self) -> f64 {
        self.wall_s * 1e6 / self.node_days()
    }
}

/// Runs `scenario` once into a scratch directory; its events and wall time.
fn time_run(scenario: &Scenario, scratch: &std::path::Path) -> Result<(u64, f64)> {
    let options = crate::run::RunOptions {
        tracing: false,
        kinds: Vec::new(),
        quiet: true,
        plots: false,
    };
    let t = Instant::now();
    let result = crate::run::execute(scenario, scratch, options);
    let elapsed = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(scratch);
    let (summary, _) = result?;
    Ok((summary.events_processed, elapsed))
}

/// Runs every fleet in every mode asked for, smallest first, and prints
/// (and optionally writes) the table.
pub fn run(args: &ScaleBenchArgs) -> Result<()> {
    if args.repeat == 0 {
        return Err(BadInput::new("--repeat 0: must be at least 1").into());
    }
    let sizes = fleet_sizes(args)?;
    let duration = duration_ns(args.days)?;
    let days = duration as f64 / 86_400e9;
    let modes: Vec<SharingMode> = match &args.sharing {
        Some(name) => {
            vec![SharingMode::from_name(name).expect("clap accepts only the modes' names")]
        }
        None => vec![SharingMode::MaxMin, SharingMode::Unshared],
    };
    let run_dir = args.out.as_deref().map(RunDir::create).transpose()?;
    let scratch = std::env::temp_dir().join(format!("codexsim-bench-scale-{}", std::process::id()));
    let wall = Instant::now();
    let mut rows: Vec<Row> = Vec::new();
    let mut total_events = 0u64;
    for &nodes in &sizes {
        let base = scaled_fleet(nodes, duration)?;
        for &mode in &modes {
            let scenario = base.clone().with_sharing(mode);
            eprintln!(
                "{nodes} nodes on {} machines, {}, {days} simulated days, {} run(s)...",
                machines_for(nodes),
                mode.name(),
                args.repeat
            );
            reset_peak_rss();
            let mut runs_s = Vec::new();
            let mut events = None;
            for _ in 0..args.repeat {
                let (e, s) = time_run(&scenario, &scratch)
                    .with_context(|| format!("{nodes} nodes, {}", mode.name()))?;
                if events.is_some_and(|x| x != e) {
                    bail!("runs of one fleet processed different event counts");
                }
                events = Some(e);
                total_events += e;
                runs_s.push(s);
            }
            rows.push(Row {
                nodes,
                machines: machines_for(nodes),
                sharing: mode,
                events: events.unwrap_or(0),
                wall_s: median(runs_s.clone()),
                runs_s,
                peak_rss_bytes: peak_rss_bytes(),
                days,
            });
        }
    }

    let (table, csv) = render(&rows)?;
    print!("{table}");
    println!(
        "the base-capacity fleet multiplied (N x 10 TB, N/17 machines, arrivals every 3 min x 50/N), \
         {days} simulated days, median of {} run(s); ratio: wall per node-day over the {}-node fleet's",
        args.repeat, sizes[0]
    );
    if let Some(dir) = run_dir {
        let list: Vec<String> = sizes.iter().map(u32::to_string).collect();
        let names: Vec<String> = modes.iter().map(|m| format!("{:?}", m.name())).collect();
        let config = format!(
            "[bench.scale]\nnodes = [{}]\nsharing = [{}]\ndays = {days}\nrepeat = {}\n",
            list.join(", "),
            names.join(", "),
            args.repeat
        );
        write_results(
            dir,
            "bench scale",
            config,
            1,
            total_events,
            duration as f64 / 1e9,
            wall,
            &csv,
        )?;
    }
    Ok(())
}

/// The printed table and results.csv. Each row's ratio is its wall time per
/// node-day over the smallest fleet's in the same mode.
fn render(rows: &[Row]) -> Result<(String, String)> {
    let mut table = String::new();
    writeln!(
        table,
        "{:>7} {:>8} {:<9} {:>12} {:>10} {:>15} {:>15} {:>10} {:>9}",
        "nodes",
        "machines",
        "sharing",
        "events",
        "wall s",
        "events/node-d",
        "wall µs/node-d",
        "ratio",
        "peak MB"
    )?;
    let mut csv = String::from(
        "nodes,machines,sharing,simulated_days,events,median_wall_s,runs_wall_s,events_per_node_day,wall_us_per_node_day,ratio_to_smallest,peak_rss_bytes\n",
    );
    for r in rows {
        let smallest = rows
            .iter()
            .find(|x| x.sharing == r.sharing)
            .expect("a row's own mode has rows");
        let ratio = r.wall_us_per_node_day() / smallest.wall_us_per_node_day();
        let peak_mb = r
            .peak_rss_bytes
            .map_or("-".to_string(), |b| format!("{:.0}", b as f64 / 1e6));
        writeln!(
            table,
            "{:>7} {:>8} {:<9} {:>12} {:>10.2} {:>15.0} {:>15.1} {:>10.2} {:>9}",
            r.nodes,
            r.machines,
            r.sharing.name(),
            r.events,
            r.wall_s,
            r.events_per_node_day(),
            r.wall_us_per_node_day(),
            ratio,
            peak_mb
        )?;
        let runs: Vec<String> = r.runs_s.iter().map(|s| format!("{s:.3}")).collect();
        writeln!(
            csv,
            "{},{},{},{},{},{:.4},{},{:.1},{:.2},{:.4},{}",
            r.nodes,
            r.machines,
            r.sharing.name(),
            r.days,
            r.events,
            r.wall_s,
            runs.join(" "),
            r.events_per_node_day(),
            r.wall_us_per_node_day(),
            ratio,
            r.peak_rss_bytes.map_or(String::new(), |b| b.to_string())
        )?;
    }
    Ok((table, csv))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The multiplied fleet at 50 nodes is base-capacity itself, apart from
    /// its name, description and duration.
    #[test]
    fn fifty_nodes_is_base_capacity() {
        let base = crate::run::load_scenario(None).unwrap();
        let year = base.run.duration.as_nanos();
        let scaled = scaled_fleet(50, year).unwrap();
        assert_eq!(scaled.fleet_nodes(), 50);
        assert_eq!(scaled.domain_levels[0].count, 3);
        assert_eq!(scaled.workload, base.workload);
        assert_eq!(scaled.run, base.run);
        assert_eq!(scaled.node_groups, base.node_groups);
    }

    #[test]
    fn fleets_scale_machines_and_arrivals() {
        assert_eq!(machines_for(50), 3);
        assert_eq!(machines_for(500), 29);
        assert_eq!(machines_for(1_000), 59);
        assert_eq!(machines_for(5_000), 294);
        assert_eq!(machines_for(10_000), 588);
        assert_eq!(machines_for(5), 1);
        assert_eq!(interarrival_ns(5_000), 1_800_000_000);
        assert_eq!(interarrival_ns(10_000), 900_000_000);
        let s = scaled_fleet(5_000, 2 * 86_400_000_000_000).unwrap();
        assert_eq!(s.fleet_nodes(), 5_000);
        assert_eq!(s.domain_levels[0].count, 294);
        assert_eq!(s.run.duration.as_nanos(), 2 * 86_400_000_000_000);
        // Fractional days stay exact.
        let s = scaled_fleet(500, 129_600_000_000_000).unwrap();
        assert_eq!(s.run.duration.as_nanos(), 129_600_000_000_000);
    }

    #[test]
    fn bad_options_name_the_flag() {
        let args = |nodes: Vec<u32>| ScaleBenchArgs {
            nodes,
            with_10k: false,
            sharing: None,
            days: 1.0,
            repeat: 1,
            out: None,
        };
        let e = fleet_sizes(&args(vec![50, 3])).unwrap_err().to_string();
        assert!(e.contains("--nodes 3"), "{e}");
        assert_eq!(
            fleet_sizes(&args(vec![500, 50, 500])).unwrap(),
            vec![50, 500]
        );
        for bad in [0.0, -1.0, f64::NAN, 1e9] {
            let e = duration_ns(bad).unwrap_err().to_string();
            assert!(e.contains("--days"), "{e}");
        }
    }
}
