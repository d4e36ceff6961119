//! `swarm-experiment`: swarms over a grid (protocols x file sizes x
//! downloaders x replications), on every core; `runs.csv`,
//! `aggregate.csv` (means with 95 % Student-t intervals), `report.md` and
//! charts per file size. Replication r of every point and protocol runs
//! with seed `seed + r` (common random numbers); results are gathered in
//! plan order, so the directory's bytes do not depend on the threads.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use codexsim_config::exchange::PROTOCOLS;
use codexsim_config::RawQuantity;
use codexsim_exchange::swarm::run as run_swarm;
use codexsim_model::exchange_cfg::swarm_spec;
use codexsim_report::scale::Quantity;
use codexsim_report::sweep_charts::{write_band, write_log, BandChart, BandSeries, LogChart};
use codexsim_sweep::stats::t_interval;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::rundir::RunDir;
use crate::swarm::{load_raw, summarize, validate};
use crate::BadInput;

/// `codexsim swarm-experiment`.
#[derive(Debug, clap::Args)]
pub struct ExperimentArgs {
    /// The experiment file (TOML: base, protocols, downloaders, file_sizes,
    /// replications, seed).
    pub experiment: PathBuf,
    /// The directory to create (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Threads (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// An experiment file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    /// A short name.
    pub name: String,
    /// The question it answers.
    #[serde(default)]
    pub description: String,
    /// The swarm file every run starts from, relative to this file.
    pub base: String,
    /// Protocols to compare.
    pub protocols: Vec<String>,
    /// Downloaders per swarm.
    pub downloaders: Vec<i64>,
    /// File sizes.
    pub file_sizes: Vec<RawQuantity>,
    /// Runs per (protocol, size, downloaders). Default 3.
    #[serde(default = "three")]
    pub replications: i64,
    /// Replication r runs with seed + r. Default 1.
    #[serde(default = "one")]
    pub seed: i64,
}

fn three() -> i64 {
    3
}
fn one() -> i64 {
    1
}

/// One run's results (`runs.csv`).
#[derive(Clone, Debug, Serialize)]
struct RunRow {
    protocol: String,
    file_bytes: u64,
    downloaders: u32,
    replication: u32,
    seed: u64,
    completed: u32,
    duration_mean_s: Option<f64>,
    duration_max_s: Option<f64>,
    duplicate_blocks: u64,
    duplicate_share: f64,
    wire_bytes_per_useful_byte: f64,
    block_bytes: u64,
    control_bytes: u64,
    steps: u64,
}

/// Means over replications (`aggregate.csv`).
#[derive(Clone, Debug, Serialize)]
struct AggRow {
    protocol: String,
    file_bytes: u64,
    downloaders: u32,
    runs: usize,
    completed_share: f64,
    duration_mean_s: f64,
    duration_lo_s: f64,
    duration_hi_s: f64,
    duration_max_s: f64,
    duplicate_share: f64,
    wire_bytes_per_useful_byte: f64,
    control_bytes: f64,
}

fn bad(msg: String) -> anyhow::Error {
    BadInput::new(msg).into()
}

/// `codexsim swarm-experiment`.
pub fn run(args: &ExperimentArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.experiment)
        .with_context(|| format!("reading {}", args.experiment.display()))?;
    let origin = args.experiment.display().to_string();
    let exp: RawExperiment =
        codexsim_config::parse_toml(&text, &origin).map_err(|e| bad(e.to_string()))?;
    let at =
        |key: &str, value: String, rule: &str| bad(format!("{origin}: {key} = {value}: {rule}"));
    for p in &exp.protocols {
        if !PROTOCOLS.contains(&p.as_str()) {
            return Err(at(
                "protocols",
                format!("{p:?}"),
                "must be one of v0.1, v0.2, 2025-11, 2026, bittorrent",
            ));
        }
    }
    if exp.protocols.is_empty() || exp.downloaders.is_empty() || exp.file_sizes.is_empty() {
        return Err(at(
            "protocols, downloaders, file_sizes",
            "[]".into(),
            "each needs at least one value",
        ));
    }
    if !(1..=1000).contains(&exp.replications) {
        return Err(at(
            "replications",
            exp.replications.to_string(),
            "must be 1 to 1000",
        ));
    }
    if exp.seed < 0 {
        return Err(at("seed", exp.seed.to_string(), "must be >= 0"));
    }
    let base_path = args
        .experiment
        .parent()
        .unwrap_or(Path::new("."))
        .join(&exp.base);
    let (base, base_origin) = load_raw(Some(&base_path))?;
    // Every run's file, validated before anything runs.
    let mut plan = Vec::new();
    for (si, size) in exp.file_sizes.iter().enumerate() {
        for p in &exp.protocols {
            for &n in &exp.downloaders {
                for r in 0..exp.replications {
                    let mut raw = base.clone();
                    raw.exchange.protocol = p.clone();
                    raw.swarm.downloaders = n;
                    raw.swarm.file_bytes = size.clone();
                    raw.run.seed = exp.seed + r;
                    let origin =
                        format!("{base_origin} with file_sizes[{si}], {p}, {n} downloaders");
                    plan.push((validate(&raw, &origin)?, r as u32));
                }
            }
        }
    }
    let dir = RunDir::create(&args.out)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()?;
    eprintln!(
        "{} swarms on {} threads",
        plan.len(),
        pool.current_num_threads()
    );
    let results: Vec<Result<RunRow, String>> = pool.install(|| {
        plan.par_iter()
            .map(|(cfg, r)| {
                let report = run_swarm(&swarm_spec(cfg), false).map_err(|e| e.to_string())?;
                let s = summarize(cfg, &report);
                Ok(RunRow {
                    protocol: s.protocol,
                    file_bytes: s.file_bytes,
                    downloaders: s.downloaders,
                    replication: *r,
                    seed: cfg.seed,
                    completed: s.completed,
                    duration_mean_s: s.duration_mean_s,
                    duration_max_s: s.duration_max_s,
                    duplicate_blocks: s.duplicate_blocks,
                    duplicate_share: s.duplicate_share,
                    wire_bytes_per_useful_byte: s.wire_bytes_per_useful_byte,
                    block_bytes: s.block_bytes,
                    control_bytes: s.control_bytes,
                    steps: s.steps,
                })
            })
            .collect()
    });
    let mut rows = Vec::with_capacity(results.len());
    for r in results {
        rows.push(r.map_err(|e| anyhow::anyhow!("a swarm stopped: {e}"))?);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        w.serialize(r)?;
    }
    dir.write("runs.csv", &w.into_inner()?)?;
    let agg = aggregate(&rows);
    let mut w = csv::Writer::from_writer(Vec::new());
    for a in &agg {
        w.serialize(a)?;
    }
    dir.write("aggregate.csv", &w.into_inner()?)?;
    dir.write("experiment.toml", text.as_bytes())?;
    dir.write("base.toml", toml::to_string(&base)?.as_bytes())?;
    let plots = dir.path("plots");
    std::fs::create_dir_all(&plots)?;
    let sizes: Vec<u64> = {
        let mut v: Vec<u64> = agg.iter().map(|a| a.file_bytes).collect();
        v.dedup();
        v
    };
    for &size in &sizes {
        charts(&exp, &agg, size, &plots)?;
    }
    dir.write("report.md", report_md(&exp, &agg, &sizes).as_bytes())?;
    let out = dir.commit()?;
    println!("wrote {}", out.display());
    Ok(())
}

fn aggregate(rows: &[RunRow]) -> Vec<AggRow> {
    let mut out: Vec<AggRow> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let key = (&rows[i].protocol, rows[i].file_bytes, rows[i].downloaders);
        let mut j = i;
        while j < rows.len() && (&rows[j].protocol, rows[j].file_bytes, rows[j].downloaders) == key
        {
            j += 1;
        }
        let g = &rows[i..j];
        let means: Vec<f64> = g.iter().filter_map(|r| r.duration_mean_s).collect();
        let est = t_interval(&means, 0.95);
        let avg = |f: &dyn Fn(&RunRow) -> f64| g.iter().map(f).sum::<f64>() / g.len() as f64;
        out.push(AggRow {
            protocol: key.0.clone(),
            file_bytes: key.1,
            downloaders: key.2,
            runs: g.len(),
            completed_share: avg(&|r| r.completed as f64 / r.downloaders as f64),
            duration_mean_s: est.as_ref().map_or(f64::NAN, |e| e.mean),
            duration_lo_s: est.as_ref().map_or(f64::NAN, |e| e.lo),
            duration_hi_s: est.as_ref().map_or(f64::NAN, |e| e.hi),
            duration_max_s: avg(&|r| r.duration_max_s.unwrap_or(f64::NAN)),
            duplicate_share: avg(&|r| r.duplicate_share),
            wire_bytes_per_useful_byte: avg(&|r| r.wire_bytes_per_useful_byte),
            control_bytes: avg(&|r| r.control_bytes as f64),
        });
        i = j;
    }
    out
}

fn size_name(bytes: u64) -> String {
    if bytes >= 1_000_000_000 && bytes % 1_000_000_000 == 0 {
        format!("{}GB", bytes / 1_000_000_000)
    } else if bytes >= 1_000_000 && bytes % 1_000_000 == 0 {
        format!("{}MB", bytes / 1_000_000)
    } else {
        format!("{bytes}B")
    }
}

fn charts(exp: &RawExperiment, agg: &[AggRow], size: u64, dir: &Path) -> Result<()> {
    let rows: Vec<&AggRow> = agg.iter().filter(|a| a.file_bytes == size).collect();
    let series = |f: &dyn Fn(&AggRow) -> (f64, f64, f64)| -> Vec<BandSeries> {
        exp.protocols
            .iter()
            .map(|p| BandSeries {
                label: p.clone(),
                points: rows
                    .iter()
                    .filter(|a| &a.protocol == p)
                    .map(|a| {
                        let (m, lo, hi) = f(a);
                        (a.downloaders as f64, m, lo, hi)
                    })
                    .collect(),
            })
            .collect()
    };
    let name = size_name(size);
    let finite = |x: f64, m: f64| if x.is_finite() { x } else { m };
    write_log(
        &LogChart {
            name: format!("time-{name}"),
            title: format!("Mean completion time, {name} file, 1 seeder"),
            x_label: "downloaders at once".into(),
            y_label: "seconds (log)".into(),
            series: series(&|a| {
                let m = a.duration_mean_s;
                (
                    m,
                    finite(a.duration_lo_s, m).max(m * 0.5),
                    finite(a.duration_hi_s, m),
                )
            }),
            target: None,
        },
        dir,
    )?;
    write_band(
        &BandChart {
            name: format!("duplicates-{name}"),
            title: format!("Duplicate blocks per distinct block, {name} file"),
            x_label: "downloaders at once".into(),
            x_categories: None,
            y_what: "duplicates".into(),
            y: Quantity::Percent,
            series: series(&|a| (a.duplicate_share, a.duplicate_share, a.duplicate_share)),
        },
        dir,
    )?;
    write_band(
        &BandChart {
            name: format!("wire-{name}"),
            title: format!("Bytes on the wire per useful byte, {name} file"),
            x_label: "downloaders at once".into(),
            x_categories: None,
            y_what: "wire bytes / useful byte".into(),
            y: Quantity::Count,
            series: series(&|a| {
                let v = a.wire_bytes_per_useful_byte;
                (v, v, v)
            }),
        },
        dir,
    )?;
    Ok(())
}

fn report_md(exp: &RawExperiment, agg: &[AggRow], sizes: &[u64]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n\n{}\n", exp.name, exp.description.trim());
    let _ = writeln!(
        s,
        "{} replications per cell (seeds {}..{}); times are the mean over the replications of \
         each swarm's mean completion time, with a 95 % Student-t interval.\n",
        exp.replications,
        exp.seed,
        exp.seed + exp.replications - 1
    );
    for &size in sizes {
        let name = size_name(size);
        for (title, f) in [
            (
                "Mean completion time, s",
                &(|a: &AggRow| format!("{:.3}", a.duration_mean_s)) as &dyn Fn(&AggRow) -> String,
            ),
            ("Duplicate blocks per distinct block, %", &|a: &AggRow| {
                format!("{:.2}", 100.0 * a.duplicate_share)
            }),
            ("Bytes on the wire per useful byte", &|a: &AggRow| {
                format!("{:.4}", a.wire_bytes_per_useful_byte)
            }),
        ] {
            let _ = writeln!(s, "## {name}: {title}\n");
            let _ = write!(s, "| protocol |");
            for n in &exp.downloaders {
                let _ = write!(s, " {n} |");
            }
            let _ = writeln!(s);
            let _ = write!(s, "|---|");
            for _ in &exp.downloaders {
                let _ = write!(s, "---:|");
            }
            let _ = writeln!(s);
            for p in &exp.protocols {
                let _ = write!(s, "| {p} |");
                for &n in &exp.downloaders {
                    let cell = agg
                        .iter()
                        .find(|a| {
                            &a.protocol == p && a.file_bytes == size && a.downloaders as i64 == n
                        })
                        .map_or("-".to_string(), f);
                    let _ = write!(s, " {cell} |");
                }
                let _ = writeln!(s);
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(
            s,
            "![time](plots/time-{name}.svg)\n![duplicates](plots/duplicates-{name}.svg)\n![wire](plots/wire-{name}.svg)\n"
        );
    }
    s
}
