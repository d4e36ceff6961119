//! `swarm`: one swarm of the block exchange into a run directory
//! (`downloads.csv`, `peers.csv`, `received.csv`, `traffic.csv`,
//! `summary.json`, charts). The experiment over many swarms is
//! `swarm_experiment.rs`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use codexsim_config::exchange::{validate_swarm, RawSwarmFile};
use codexsim_config::SwarmConfig;
use codexsim_exchange::swarm::{run as run_swarm, SwarmReport};
use codexsim_model::exchange_cfg::swarm_spec;
use codexsim_model::Manifest;
use codexsim_report::scale::Quantity;
use codexsim_report::sweep_charts::{write_band, BandChart, BandSeries};
use serde::Serialize;

use crate::rundir::{config_hash, git_commit, RunDir};
use crate::BadInput;

const DEFAULT_SWARM: &str = include_str!("../../configs/swarms/default.toml");
const DEFAULT_ORIGIN: &str = "the embedded swarm (configs/swarms/default.toml)";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `codexsim swarm`.
#[derive(Debug, clap::Args)]
pub struct SwarmArgs {
    /// The swarm file (TOML: [run], [exchange], [swarm]). Without it, the
    /// embedded one: 1 seeder and 20 downloaders of 1 GiB with the 2026
    /// exchange.
    pub config: Option<PathBuf>,
    /// The protocol (overrides exchange.protocol): v0.1, v0.2, 2025-11,
    /// 2026, bittorrent.
    #[arg(long)]
    pub protocol: Option<String>,
    /// Downloaders (overrides swarm.downloaders).
    #[arg(long)]
    pub downloaders: Option<u32>,
    /// Master seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The run directory to create (must not exist). Default:
    /// runs/<name>-<protocol>-seed<seed>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No charts.
    #[arg(long)]
    pub no_plots: bool,
}

/// The raw swarm file a command names (or the embedded one).
pub fn load_raw(config: Option<&Path>) -> Result<(RawSwarmFile, String)> {
    let (text, origin) = match config {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (DEFAULT_SWARM.to_string(), DEFAULT_ORIGIN.to_string()),
    };
    let raw =
        codexsim_config::parse_toml(&text, &origin).map_err(|e| BadInput::new(e.to_string()))?;
    Ok((raw, origin))
}

/// Validates a raw swarm file, errors as bad input.
pub fn validate(raw: &RawSwarmFile, origin: &str) -> Result<SwarmConfig> {
    validate_swarm(raw).map_err(|errors| {
        BadInput::new(
            codexsim_config::LoadError::Invalid {
                origin: origin.to_string(),
                errors,
            }
            .to_string(),
        )
        .into()
    })
}

/// A swarm's summary (`summary.json`).
#[derive(Debug, Serialize)]
pub struct SwarmSummary {
    /// Protocol.
    pub protocol: String,
    /// Seeders and downloaders.
    pub seeders: u32,
    /// See `seeders`.
    pub downloaders: u32,
    /// The file.
    pub file_bytes: u64,
    /// Its blocks.
    pub blocks: u32,
    /// Downloads that completed.
    pub completed: u32,
    /// Completion times: mean, median, fastest, slowest, s.
    pub duration_mean_s: Option<f64>,
    /// See `duration_mean_s`.
    pub duration_median_s: Option<f64>,
    /// See `duration_mean_s`.
    pub duration_min_s: Option<f64>,
    /// See `duration_mean_s`.
    pub duration_max_s: Option<f64>,
    /// Blocks received more than once, all downloads.
    pub duplicate_blocks: u64,
    /// Duplicates per distinct block received.
    pub duplicate_share: f64,
    /// Distinct blocks' data received.
    pub useful_bytes: u64,
    /// Block messages on the wire (data, headers, proofs, duplicates).
    pub block_bytes: u64,
    /// Control messages on the wire.
    pub control_bytes: u64,
    /// (Block + control bytes) / useful bytes.
    pub wire_bytes_per_useful_byte: f64,
    /// (Download, block) pairs by times received.
    pub received_histogram: std::collections::BTreeMap<u32, u64>,
    /// Bytes by message kind.
    pub traffic_bytes: Vec<(String, u64)>,
    /// Messages by kind.
    pub traffic_messages: Vec<(String, u64)>,
    /// When the last download ended, s.
    pub end_s: f64,
    /// Steps of the loop.
    pub steps: u64,
}

fn percentile_sorted(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let k = ((v.len() - 1) as f64 * q).round() as usize;
    Some(v[k])
}

/// The summary of a finished swarm.
pub fn summarize(cfg: &SwarmConfig, r: &SwarmReport) -> SwarmSummary {
    let mut d = r.durations_s();
    d.sort_by(f64::total_cmp);
    let useful: u64 = r.downloads.iter().map(|x| x.useful_bytes).sum();
    let dups: u64 = r.downloads.iter().map(|x| x.duplicate_blocks).sum();
    let distinct: u64 = r
        .received_histogram
        .iter()
        .filter(|(k, _)| **k > 0)
        .map(|(_, v)| v)
        .sum();
    let block_bytes = r
        .traffic_bytes
        .iter()
        .find(|x| x.0 == "block")
        .map_or(0, |x| x.1);
    let all: u64 = r.traffic_bytes.iter().map(|x| x.1).sum();
    SwarmSummary {
        protocol: r.protocol.clone(),
        seeders: cfg.seeders,
        downloaders: cfg.downloaders,
        file_bytes: cfg.file_bytes,
        blocks: r.blocks,
        completed: d.len() as u32,
        duration_mean_s: (!d.is_empty()).then(|| d.iter().sum::<f64>() / d.len() as f64),
        duration_median_s: percentile_sorted(&d, 0.5),
        duration_min_s: d.first().copied(),
        duration_max_s: d.last().copied(),
        duplicate_blocks: dups,
        duplicate_share: if distinct > 0 {
            dups as f64 / distinct as f64
        } else {
            0.0
        },
        useful_bytes: useful,
        block_bytes,
        control_bytes: all - block_bytes,
        wire_bytes_per_useful_byte: if useful > 0 {
            all as f64 / useful as f64
        } else {
            0.0
        },
        received_histogram: r.received_histogram.clone(),
        traffic_bytes: r.traffic_bytes.clone(),
        traffic_messages: r.traffic_messages.clone(),
        end_s: r.end_s,
        steps: r.steps,
    }
}

fn csv_bytes<T: Serialize>(rows: impl IntoIterator<Item = T>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    Ok(w.into_inner()?)
}

/// `codexsim swarm`.
pub fn run(args: &SwarmArgs) -> Result<()> {
    let (mut raw, origin) = load_raw(args.config.as_deref())?;
    if let Some(p) = &args.protocol {
        raw.exchange.protocol = p.clone();
    }
    if let Some(n) = args.downloaders {
        raw.swarm.downloaders = n as i64;
    }
    if let Some(s) = args.seed {
        raw.run.seed = s as i64;
    }
    let cfg = validate(&raw, &origin)?;
    let name = raw.name.clone().unwrap_or_else(|| "swarm".into());
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{name}-{}-seed{}", cfg.exchange.protocol, cfg.seed))
    });
    let dir = RunDir::create(&out)?;
    let wall = Instant::now();
    let report = run_swarm(&swarm_spec(&cfg), false)
        .map_err(|e| anyhow::anyhow!("the swarm stopped: {e}"))?;
    let summary = summarize(&cfg, &report);
    dir.write("downloads.csv", &csv_bytes(&report.downloads)?)?;
    #[derive(Serialize)]
    struct PeerRow {
        downloader: u32,
        peer: u32,
        block_bytes: u64,
    }
    dir.write(
        "peers.csv",
        &csv_bytes(report.peer_bytes.iter().map(|&(d, p, b)| PeerRow {
            downloader: d,
            peer: p,
            block_bytes: b,
        }))?,
    )?;
    #[derive(Serialize)]
    struct Received {
        times_received: u32,
        pairs: u64,
    }
    dir.write(
        "received.csv",
        &csv_bytes(report.received_histogram.iter().map(|(&k, &v)| Received {
            times_received: k,
            pairs: v,
        }))?,
    )?;
    #[derive(Serialize)]
    struct Kind<'a> {
        kind: &'a str,
        messages: u64,
        bytes: u64,
    }
    dir.write(
        "traffic.csv",
        &csv_bytes(
            report
                .traffic_bytes
                .iter()
                .zip(&report.traffic_messages)
                .map(|(b, m)| Kind {
                    kind: &b.0,
                    messages: m.1,
                    bytes: b.1,
                }),
        )?,
    )?;
    let mut json = serde_json::to_string_pretty(&summary)?;
    json.push('\n');
    dir.write("summary.json", json.as_bytes())?;
    let resolved = cfg.to_toml();
    dir.write_manifest(&Manifest {
        codexsim_version: VERSION.into(),
        git_commit: git_commit().map(String::from),
        command: "swarm".into(),
        config_hash: config_hash(&resolved),
        seed: cfg.seed,
        config: resolved,
        events_processed: report.steps,
        simulated_time_s: report.end_s,
        wall_time_s: wall.elapsed().as_secs_f64(),
    })?;
    if !args.no_plots {
        let plots = dir.path("plots");
        std::fs::create_dir_all(&plots)?;
        charts(&report, &plots)?;
    }
    let out = dir.commit()?;
    print_summary(&summary);
    println!("wrote {}", out.display());
    Ok(())
}

fn print_summary(s: &SwarmSummary) {
    let t = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2} s"));
    println!(
        "{} seeder(s), {} downloaders, {} bytes, protocol {}",
        s.seeders, s.downloaders, s.file_bytes, s.protocol
    );
    println!(
        "completed {}/{}: mean {}, median {}, fastest {}, slowest {}",
        s.completed,
        s.downloaders,
        t(s.duration_mean_s),
        t(s.duration_median_s),
        t(s.duration_min_s),
        t(s.duration_max_s)
    );
    println!(
        "duplicates {} ({:.2} % of blocks), wire bytes per useful byte {:.4}, control bytes {}",
        s.duplicate_blocks,
        100.0 * s.duplicate_share,
        s.wire_bytes_per_useful_byte,
        s.control_bytes
    );
}

/// The run's charts: each download's time, bytes by message kind, pairs
/// by times received.
fn charts(r: &SwarmReport, dir: &Path) -> Result<()> {
    let one = |label: &str, pts: Vec<(f64, f64)>| BandSeries {
        label: label.to_string(),
        points: pts.into_iter().map(|(x, y)| (x, y, y, y)).collect(),
    };
    let times: Vec<(f64, f64)> = r
        .downloads
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.duration_s.map(|s| (i as f64, s)))
        .collect();
    write_band(
        &BandChart {
            name: "downloads".into(),
            title: format!("Download times ({})", r.protocol),
            x_label: "downloader (in start order)".into(),
            x_categories: None,
            y_what: "completion time".into(),
            y: Quantity::Seconds,
            series: vec![one(&r.protocol, times)],
        },
        dir,
    )?;
    let kinds: Vec<&(String, u64)> = r.traffic_bytes.iter().filter(|x| x.1 > 0).collect();
    write_band(
        &BandChart {
            name: "traffic".into(),
            title: format!("Bytes on the wire by message kind ({})", r.protocol),
            x_label: "message kind".into(),
            x_categories: Some(kinds.iter().map(|k| k.0.clone()).collect()),
            y_what: "bytes".into(),
            y: Quantity::Bytes,
            series: vec![one(
                "bytes",
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (i as f64, k.1 as f64))
                    .collect(),
            )],
        },
        dir,
    )?;
    let hist: Vec<(&u32, &u64)> = r.received_histogram.iter().collect();
    write_band(
        &BandChart {
            name: "received".into(),
            title: format!(
                "(Downloader, block) pairs by times received ({})",
                r.protocol
            ),
            x_label: "times received".into(),
            x_categories: Some(hist.iter().map(|(k, _)| k.to_string()).collect()),
            y_what: "pairs".into(),
            y: Quantity::Count,
            series: vec![one(
                "pairs",
                hist.iter()
                    .enumerate()
                    .map(|(i, (_, &v))| (i as f64, v as f64))
                    .collect(),
            )],
        },
        dir,
    )?;
    Ok(())
}
