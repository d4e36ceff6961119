//! `codexsim run`: one scenario, one seed, one run directory.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use codexsim_config::scenario::human_bytes;
use codexsim_config::Scenario;
use codexsim_model::output::{AccountSample, BlockDownloadRecord, MoneySample};
use codexsim_model::{
    CanaryRecord, FleetSample, LinkSample, Manifest, Model, NodeSample, Sink, Summary, TraceEvent,
    TraceKind,
};

use crate::rundir::{config_hash, git_commit, RunDir, VERSION};
use crate::BadInput;

/// The embedded default scenario: the base-capacity fleet.
pub const DEFAULT_SCENARIO: &str = include_str!("../../configs/base-capacity.toml");
/// Its name in messages.
pub const DEFAULT_ORIGIN: &str = "configs/base-capacity.toml (embedded)";

/// Options of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario (TOML). Without it, the embedded base-capacity fleet.
    pub config: Option<PathBuf>,
    /// Master seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The run directory to create (must not exist). Default:
    /// runs/<scenario name>-seed<seed>[-N].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write an event trace (trace.jsonl).
    #[arg(long)]
    pub trace: bool,
    /// Only these kinds in the trace, comma-separated (implies --trace).
    #[arg(long, value_delimiter = ',')]
    pub trace_kinds: Vec<String>,
    /// No progress line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw the charts and report.html (`codexsim plot` draws them later).
    #[arg(long)]
    pub no_plots: bool,
}

/// Loads the scenario a command names, or the embedded default.
pub fn load_scenario(config: Option<&Path>) -> Result<Scenario> {
    let loaded = match config {
        Some(path) => codexsim_config::load_file(path),
        None => codexsim_config::parse(DEFAULT_SCENARIO, DEFAULT_ORIGIN),
    };
    loaded.map_err(|e| BadInput::new(e.to_string()).into())
}

/// `nodes.csv`, the largest output (a row per node per sample): rows are
/// formatted by hand as the `csv` crate would write them (itoa for integers,
/// ryu for floats, a field quoted only when it holds a comma, a quote or a
/// line break), which takes a third of the time of serializing each row
/// through serde. The header, and any row whose group name needs quoting,
/// go through the `csv` crate itself; the columns after the group are
/// [`NodeSample::integer_columns`], so the order of the columns is
/// `NodeSample`'s alone.
struct NodeRows<W: Write> {
    out: W,
    line: Vec<u8>,
    /// The header has been written.
    started: bool,
    /// The last time written and its text (a sample's rows share it).
    time: Option<(u64, Vec<u8>)>,
}

impl<W: Write> NodeRows<W> {
    fn new(out: W) -> Self {
        NodeRows {
            out,
            line: Vec::with_capacity(256),
            started: false,
            time: None,
        }
    }

    fn write(&mut self, r: &NodeSample) -> std::io::Result<()> {
        let plain = !r.group.is_empty()
            && !r
                .group
                .bytes()
                .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
        if !plain || !self.started {
            let mut w = csv::WriterBuilder::new()
                .has_headers(!self.started)
                .from_writer(Vec::new());
            w.serialize(r).map_err(std::io::Error::other)?;
            let bytes = w
                .into_inner()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            self.started = true;
            return self.out.write_all(&bytes);
        }
        let line = &mut self.line;
        line.clear();
        let bits = r.time_s.to_bits();
        if self.time.as_ref().is_none_or(|(b, _)| *b != bits) {
            let text = ryu::Buffer::new().format(r.time_s).as_bytes().to_vec();
            self.time = Some((bits, text));
        }
        line.extend_from_slice(&self.time.as_ref().expect("set").1);
        line.push(b',');
        line.extend_from_slice(itoa::Buffer::new().format(r.node).as_bytes());
        line.push(b',');
        line.extend_from_slice(r.group.as_bytes());
        for v in r.integer_columns() {
            line.push(b',');
            line.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        }
        line.push(b'\n');
        self.out.write_all(line)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Writes the model's outputs as CSV and JSON Lines.
struct FileSink {
    fleet: csv::Writer<BufWriter<File>>,
    nodes: Option<NodeRows<BufWriter<File>>>,
    links: csv::Writer<BufWriter<File>>,
    canary: Option<csv::Writer<BufWriter<File>>>,
    downloads: Option<csv::Writer<BufWriter<File>>>,
    money: csv::Writer<BufWriter<File>>,
    accounts: Option<csv::Writer<BufWriter<File>>>,
    trace: Option<BufWriter<File>>,
    kinds: Vec<TraceKind>,
    error: Option<std::io::Error>,
}

impl FileSink {
    fn keep<T>(&mut self, r: std::result::Result<T, impl Into<std::io::Error>>) {
        if let Err(e) = r {
            self.error.get_or_insert(e.into());
        }
    }
}

impl Sink for FileSink {
    fn fleet(&mut self, sample: &FleetSample) {
        let r = self.fleet.serialize(sample).map_err(std::io::Error::other);
        self.keep(r);
    }
    fn node(&mut self, sample: &NodeSample) {
        if let Some(w) = &mut self.nodes {
            let r = w.write(sample);
            self.keep(r);
        }
    }
    fn wants(&self, kind: TraceKind) -> bool {
        self.trace.is_some() && self.kinds.contains(&kind)
    }
    fn link(&mut self, sample: &LinkSample) {
        let r = self.links.serialize(sample).map_err(std::io::Error::other);
        self.keep(r);
    }
    fn canary(&mut self, record: &CanaryRecord) {
        if let Some(w) = &mut self.canary {
            let r = w.serialize(record).map_err(std::io::Error::other);
            self.keep(r);
        }
    }
    fn block_download(&mut self, record: &BlockDownloadRecord) {
        if let Some(w) = &mut self.downloads {
            let r = w.serialize(record).map_err(std::io::Error::other);
            self.keep(r);
        }
    }
    fn money(&mut self, sample: &MoneySample) {
        let r = self.money.serialize(sample).map_err(std::io::Error::other);
        self.keep(r);
    }
    fn account(&mut self, sample: &AccountSample) {
        if let Some(w) = &mut self.accounts {
            let r = w.serialize(sample).map_err(std::io::Error::other);
            self.keep(r);
        }
    }
    fn trace(&mut self, event: &TraceEvent) {
        if let Some(w) = &mut self.trace {
            let line = serde_json::to_string(event).expect("trace events serialize");
            let r = writeln!(w, "{line}");
            self.keep(r);
        }
    }
}

fn parse_kinds(names: &[String]) -> Result<Vec<TraceKind>> {
    if names.is_empty() {
        return Ok(TraceKind::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| {
            TraceKind::ALL
                .iter()
                .copied()
                .find(|k| k.name() == n)
                .ok_or_else(|| {
                    let all: Vec<&str> = TraceKind::ALL.iter().map(|k| k.name()).collect();
                    BadInput::new(format!(
                        "--trace-kinds: unknown kind {n:?}; kinds are {}",
                        all.join(", ")
                    ))
                    .into()
                })
        })
        .collect()
}

fn default_out(scenario: &Scenario) -> PathBuf {
    let name = scenario.name.clone().unwrap_or_else(|| "run".into());
    let base = format!("runs/{name}-seed{}", scenario.run.seed);
    let mut path = PathBuf::from(&base);
    let mut k = 2;
    while path.exists() {
        path = PathBuf::from(format!("{base}-{k}"));
        k += 1;
    }
    path
}

fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    format!("{v:.2} {}", UNITS[i])
}

fn print_summary(s: &Summary) {
    let t = &s.totals;
    println!(
        "simulated {:.1} days ({} events, stopped: {})",
        s.end_time_s / 86_400.0,
        s.events_processed,
        s.stop_reason
    );
    println!(
        "capacity: quota {}, reserved {}, used {} at the end",
        fmt_bytes(t.quota_bytes as f64),
        fmt_bytes(t.codex_repostore_bytes_reserved as f64),
        fmt_bytes(t.codex_repostore_bytes_used as f64)
    );
    println!(
        "requests: {} submitted, {} started, {} cancelled, {} failed (contract failures), {} renewals",
        t.codex_purchases_submitted_total,
        t.codex_purchases_started_total,
        t.codex_purchases_cancelled_total,
        t.codex_purchases_failed_total,
        t.renewals_total
    );
    println!(
        "slots: {} filled, {} freed, {} repaired; proofs: {} required, {} missed",
        t.slots_filled_total,
        t.slots_freed_total,
        t.slots_repaired_total,
        t.proofs_required_total,
        t.proofs_missed_total
    );
    println!(
        "data loss: {} datasets, {}",
        t.datasets_lost_total,
        fmt_bytes(t.bytes_lost_total as f64)
    );
    let n = &s.network;
    let secs = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1} s"));
    println!(
        "transfers: fill median {} (p99 {}), repair median {} (p99 {}); traffic: fill {}, repair {}, canary {}",
        secs(n.fill_transfer.p50_s),
        secs(n.fill_transfer.p99_s),
        secs(n.repair_transfer.p50_s),
        secs(n.repair_transfer.p99_s),
        fmt_bytes(n.traffic.fill_bytes as f64),
        fmt_bytes(n.traffic.repair_bytes as f64),
        fmt_bytes(n.traffic.canary_bytes as f64)
    );
    if let Some(c) = &s.canary {
        let parts: Vec<String> = c
            .iter()
            .map(|k| {
                format!(
                    "node {} up {:.1} % / down {:.1} %",
                    k.node,
                    100.0 * k.upload_success_rate.unwrap_or(0.0),
                    100.0 * k.download_success_rate.unwrap_or(0.0)
                )
            })
            .collect();
        println!("canary success: {}", parts.join(", "));
    }
}

/// Above this estimated output, `run` says how much it will write before
/// it starts.
const OUTPUT_NOTICE_BYTES: f64 = 200e6;

/// Runs a scenario into a run directory.
pub fn run(args: &RunArgs) -> Result<()> {
    let mut scenario = load_scenario(args.config.as_deref())?;
    if let Some(seed) = args.seed {
        scenario = scenario.with_seed(seed);
    }
    let kinds = parse_kinds(&args.trace_kinds)?;
    let tracing = args.trace || !args.trace_kinds.is_empty();
    let out = args.out.clone().unwrap_or_else(|| default_out(&scenario));
    // A long run says up front what it will write.
    let estimate = scenario.work_estimate();
    if estimate.output_bytes() > OUTPUT_NOTICE_BYTES {
        eprintln!(
            "this run will write about {} of time series ({:.3e} rows: nodes.csv {:.3e}, \
             links.csv {:.3e}, fleet.csv {:.3e}); run.series_interval_s or \
             run.per_node_series = false make it smaller",
            human_bytes(estimate.output_bytes()),
            estimate.series_rows() + estimate.canary_rows,
            estimate.node_rows,
            estimate.link_rows,
            estimate.samples
        );
    }
    let options = RunOptions {
        tracing,
        kinds,
        quiet: args.quiet,
        plots: !args.no_plots,
    };
    let (summary, path) = execute(&scenario, &out, options)?;
    print_summary(&summary);
    println!("wrote {}", path.display());
    let report = path.join("report.html");
    if report.is_file() {
        println!("report: {}", report.display());
    }
    Ok(())
}

/// How [`execute`] runs a scenario.
pub struct RunOptions {
    /// Write trace.jsonl.
    pub tracing: bool,
    /// The trace's kinds.
    pub kinds: Vec<TraceKind>,
    /// No progress or banner.
    pub quiet: bool,
    /// Draw the charts and report.html.
    pub plots: bool,
}

/// Runs a scenario into a new run directory `out` (written completely or not
/// at all); returns the summary and the directory.
pub fn execute(scenario: &Scenario, out: &Path, options: RunOptions) -> Result<(Summary, PathBuf)> {
    let RunOptions {
        tracing,
        kinds,
        quiet,
        plots,
    } = options;
    let dir = RunDir::create(out)?;
    let open = |name: &str| -> Result<BufWriter<File>> {
        let p = dir.path(name);
        Ok(BufWriter::new(
            File::create(&p).with_context(|| format!("creating {}", p.display()))?,
        ))
    };
    let mut sink = FileSink {
        fleet: csv::Writer::from_writer(open(FleetSample::FILE)?),
        nodes: if scenario.run.per_node_series {
            Some(NodeRows::new(open(NodeSample::FILE)?))
        } else {
            None
        },
        links: csv::Writer::from_writer(open(LinkSample::FILE)?),
        canary: if scenario.canary.is_some() {
            Some(csv::Writer::from_writer(open(CanaryRecord::FILE)?))
        } else {
            None
        },
        downloads: if scenario.uses_blocks() {
            Some(csv::Writer::from_writer(open(BlockDownloadRecord::FILE)?))
        } else {
            None
        },
        money: csv::Writer::from_writer(open(MoneySample::FILE)?),
        accounts: if scenario.run.per_node_series {
            Some(csv::Writer::from_writer(open(AccountSample::FILE)?))
        } else {
            None
        },
        trace: if tracing {
            Some(open(TraceEvent::FILE)?)
        } else {
            None
        },
        kinds,
        error: None,
    };
    let resolved = scenario.to_toml();
    let show = !quiet && std::io::stderr().is_terminal();
    let horizon_days = scenario.run.duration.as_secs_f64() / 86_400.0;
    if !quiet {
        eprintln!(
            "codexsim {VERSION}: {} (seed {}), {} nodes, {:.0} days -> {}",
            scenario.name.as_deref().unwrap_or("scenario"),
            scenario.run.seed,
            scenario.fleet_nodes(),
            horizon_days,
            out.display()
        );
    }
    let wall = Instant::now();
    let summary = {
        let mut progress = |f: f64| {
            if show {
                eprint!(
                    "\r[{:>3.0}%] day {:.0} of {:.0}",
                    f * 100.0,
                    f * horizon_days,
                    horizon_days
                );
            }
        };
        Model::new(scenario, &mut sink)
            .run(&mut progress)
            .with_context(|| {
                format!(
                    "the run failed (reproduce it with the same configuration and --seed {})",
                    scenario.run.seed
                )
            })?
    };
    if show {
        eprintln!();
    }
    if let Some(e) = sink.error.take() {
        return Err(e).context("writing the run's outputs");
    }
    sink.fleet.flush()?;
    if let Some(w) = &mut sink.nodes {
        w.flush()?;
    }
    sink.links.flush()?;
    if let Some(w) = &mut sink.canary {
        w.flush()?;
    }
    if let Some(w) = &mut sink.downloads {
        w.flush()?;
    }
    sink.money.flush()?;
    if let Some(w) = &mut sink.accounts {
        w.flush()?;
    }
    if let Some(w) = &mut sink.trace {
        w.flush()?;
    }
    drop(sink);
    let mut json = serde_json::to_string_pretty(&summary)?;
    json.push('\n');
    dir.write(Summary::FILE, json.as_bytes())?;
    dir.write_manifest(&Manifest {
        codexsim_version: VERSION.into(),
        git_commit: git_commit().map(String::from),
        command: "run".into(),
        config_hash: config_hash(&resolved),
        seed: scenario.run.seed,
        config: resolved,
        events_processed: summary.events_processed,
        simulated_time_s: summary.end_time_s,
        wall_time_s: wall.elapsed().as_secs_f64(),
    })?;
    if plots {
        // The run's data is complete: a chart that cannot be drawn is
        // reported, not a reason to throw the run away.
        if let Err(e) = codexsim_report::render(&dir.path("")) {
            eprintln!(
                "warning: the charts were not drawn: {e}; redraw them with `codexsim plot {}`",
                out.display()
            );
        }
    }
    let path = dir.commit()?;
    Ok((summary, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-formatted node rows are byte for byte what the `csv` crate
    /// writes, header and quoting included.
    #[test]
    fn node_rows_match_the_csv_crate() {
        let groups = ["storage", "a,b", "say \"hi\"", "", "line\nbreak", "plain-2"];
        let times = [0.0, 3600.0, 0.1, 1e21, 86_400.5, 123_456_789.125];
        let mut rows = Vec::new();
        // Time-major, as samples are: consecutive rows share their time.
        for (j, &time_s) in times.iter().enumerate() {
            for (k, group) in groups.iter().enumerate() {
                let x = (k * 7 + j) as u64;
                rows.push(NodeSample {
                    time_s,
                    node: (k * 10 + j) as u32,
                    group: group.to_string(),
                    up: (x % 2) as u8,
                    quota_bytes: 10_000_000_000_000 + x,
                    offered_bytes: u64::MAX - x,
                    codex_repostore_bytes_reserved: x * 3,
                    codex_repostore_bytes_used: x * 5,
                    slots: x as u32,
                    net_rx_fill_bytes_total: 1 << (x % 60),
                    net_rx_repair_bytes_total: x,
                    net_rx_canary_bytes_total: 0,
                    net_tx_fill_bytes_total: 7,
                    net_tx_repair_bytes_total: x * x,
                    net_tx_canary_bytes_total: 10_000_000,
                    net_rx_renewal_bytes_total: x + 1,
                    net_tx_renewal_bytes_total: 3,
                });
            }
        }
        let mut fast = NodeRows::new(Vec::new());
        let mut reference = csv::Writer::from_writer(Vec::new());
        for r in &rows {
            fast.write(r).unwrap();
            reference.serialize(r).unwrap();
        }
        let expected = reference.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(fast.out).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }
}
