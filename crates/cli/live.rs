//! `export` and `compare`: a run's series as OpenMetrics, and a run against
//! live data (a file, or a Prometheus server).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use codexsim_live::{compare, import, openmetrics, sim, LiveError, Series};
use codexsim_report::charts::{Chart, Legend, Line, Panel};
use codexsim_report::draw::{to_png, to_svg};
use codexsim_report::scale::{time_scale, Quantity};

use crate::BadInput;

/// Formats `export` writes.
#[derive(Debug, clap::Subcommand)]
pub enum Export {
    /// OpenMetrics text with timestamps (for `promtool tsdb create-blocks-from openmetrics`).
    Openmetrics(ExportArgs),
    /// CSV: time_s, metric, labels, value (what `compare --live` reads).
    Csv(ExportArgs),
}

/// Options of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The run directory.
    pub run_dir: PathBuf,
    /// The wall-clock time of simulated time zero, unix seconds.
    #[arg(long)]
    pub start_unix: f64,
    /// The file to write (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Metric names as the node writes them (`codex_repostore_bytes_used`) or as the team's
    /// dashboards do (`codexRepostoreBytesUsed`).
    #[arg(long, value_parser = ["node", "dashboard"], default_value = "node")]
    pub names: String,
}

/// Every live-data error is about the user's input (a file, a server's
/// URL): exit 2.
fn bad(e: LiveError) -> anyhow::Error {
    BadInput::new(e.to_string()).into()
}

/// `codexsim export ...`.
pub fn export(cmd: &Export) -> Result<()> {
    let (args, om) = match cmd {
        Export::Openmetrics(a) => (a, true),
        Export::Csv(a) => (a, false),
    };
    check_start_unix(args.start_unix)?;
    let mut series = sim::series(&args.run_dir, args.start_unix).map_err(bad)?;
    if args.names == "dashboard" {
        for s in &mut series {
            s.name = codexsim_live::names::camel_case(&s.name);
        }
    }
    let text = if om {
        openmetrics::render(&series)
    } else {
        import::to_csv(&series)
    };
    match &args.out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
            eprintln!("wrote {} series to {}", series.len(), p.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Options of `compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The run directory.
    pub run_dir: PathBuf,
    /// The wall-clock time of the run's simulated time zero, unix seconds (0: live times are
    /// seconds from the run's start, as in a trace).
    #[arg(long, default_value_t = 0.0)]
    pub start_unix: f64,
    /// Live data: a Prometheus range-query result (.json) or a CSV file (time_s, metric, labels, value).
    #[arg(long, conflicts_with_all = ["prometheus", "trace"])]
    pub live: Option<PathBuf>,
    /// A trace of what happened (CSV or .jsonl: time_s, event, request, slot, node, bytes):
    /// its marketplace events are compared, as cumulative counts, with the run's.
    #[arg(long, conflicts_with = "prometheus")]
    pub trace: Option<PathBuf>,
    /// Live data from a Prometheus server (its base URL, http://host:9090).
    #[arg(long, requires_all = ["query", "start", "end", "step"])]
    pub prometheus: Option<String>,
    /// PromQL range query (with --prometheus).
    #[arg(long)]
    pub query: Option<String>,
    /// Query start, unix seconds.
    #[arg(long)]
    pub start: Option<f64>,
    /// Query end, unix seconds.
    #[arg(long)]
    pub end: Option<f64>,
    /// Query step, seconds.
    #[arg(long)]
    pub step: Option<f64>,
    /// Write compare.csv and an overlay chart per series here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fail (exit 3) if a series' RMSE exceeds this.
    #[arg(long)]
    pub max_rmse: Option<f64>,
    /// Fail (exit 3) if a series' mean absolute percentage error exceeds this (percent).
    #[arg(long)]
    pub max_mape_percent: Option<f64>,
    /// Fail (exit 3) if a series' largest absolute error exceeds this.
    #[arg(long)]
    pub max_abs: Option<f64>,
    /// Fail (exit 3) if a series' Kolmogorov-Smirnov distance exceeds this.
    #[arg(long)]
    pub max_ks: Option<f64>,
}

/// Past a threshold given on the command line (exit code 3).
#[derive(Debug)]
pub struct ThresholdExceeded(pub String);

impl std::fmt::Display for ThresholdExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ThresholdExceeded {}

fn quantity(name: &str) -> Quantity {
    if name.contains("bytes") {
        Quantity::Bytes
    } else if name.ends_with("_seconds") {
        Quantity::Seconds
    } else {
        Quantity::Count
    }
}

fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('_')
        .to_string()
}

/// `--start-unix` must be a finite number.
fn check_start_unix(v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(BadInput::new(format!(
            "--start-unix {v}: must be a finite number of unix seconds"
        ))
        .into())
    }
}

/// Thresholds must be finite and non-negative.
fn check_thresholds(args: &CompareArgs) -> Result<()> {
    for (flag, v) in [
        ("--max-rmse", args.max_rmse),
        ("--max-mape-percent", args.max_mape_percent),
        ("--max-abs", args.max_abs),
        ("--max-ks", args.max_ks),
    ] {
        if let Some(v) = v {
            if !(v.is_finite() && v >= 0.0) {
                return Err(
                    BadInput::new(format!("{flag} {v}: must be a finite number >= 0")).into(),
                );
            }
        }
    }
    Ok(())
}

/// `codexsim compare`.
pub fn run(args: &CompareArgs) -> Result<()> {
    check_start_unix(args.start_unix)?;
    check_thresholds(args)?;
    let simulated = sim::series(&args.run_dir, args.start_unix).map_err(bad)?;
    let live: Vec<Series> =
        match (&args.live, &args.prometheus) {
            (None, None) if args.trace.is_some() => {
                let path = args.trace.as_ref().expect("checked");
                let events = codexsim_live::trace::read(path).map_err(bad)?;
                // Evaluated at the run's own sample times.
                let at: Vec<f64> = simulated
                    .iter()
                    .find(|s| s.name == "codex_purchases_submitted")
                    .map(|s| s.points.iter().map(|p| p.0).collect())
                    .unwrap_or_default();
                codexsim_live::trace::counters(&events, args.start_unix, &at)
            }
            (Some(path), None) => {
                if path.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| BadInput::new(format!("{}: {e}", path.display())))?;
                    import::prometheus_json(&text, &path.display().to_string()).map_err(bad)?
                } else {
                    import::csv_file(path).map_err(bad)?
                }
            }
            (None, Some(url)) => {
                let (q, s, e, st) = (
                    args.query.as_deref().expect("required by clap"),
                    args.start.expect("required"),
                    args.end.expect("required"),
                    args.step.expect("required"),
                );
                if !(st > 0.0 && e >= s) {
                    return Err(BadInput::new(format!(
                        "--start {s}, --end {e}, --step {st}: need step > 0 and end >= start"
                    ))
                    .into());
                }
                import::query_range(url, q, s, e, st).map_err(bad)?
            }
            _ => return Err(BadInput::new(
                "give the live data: --live FILE, --trace FILE, or --prometheus URL --query ...",
            )
            .into()),
        };
    let (results, unmatched) = compare::compare(&simulated, &live);
    if results.is_empty() {
        return Err(BadInput::new(format!(
            "no live series matches a simulated one ({} live series: {})",
            live.len(),
            unmatched
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ))
        .into());
    }
    println!(
        "{:<60} {:>6} {:>14} {:>10} {:>14} {:>6}",
        "series", "points", "rmse", "mape %", "max |error|", "ks"
    );
    let mut csv = String::from("live,simulated,points,rmse,mape_percent,max_abs,ks\n");
    let mut failures = Vec::new();
    for c in &results {
        let mape = c
            .mape_percent
            .map_or("-".to_string(), |m| format!("{m:.3}"));
        println!(
            "{:<60} {:>6} {:>14.6e} {:>10} {:>14.6e} {:>6.3}",
            c.live,
            c.points.len(),
            c.rmse,
            mape,
            c.max_abs,
            c.ks
        );
        csv.push_str(&format!(
            "\"{}\",\"{}\",{},{},{},{},{}\n",
            c.live.replace('"', "\"\""),
            c.simulated.replace('"', "\"\""),
            c.points.len(),
            c.rmse,
            c.mape_percent.map_or(String::new(), |m| m.to_string()),
            c.max_abs,
            c.ks
        ));
        // A measure that could not be computed (NaN: live values that
        // are not numbers; no MAPE when every live value is 0) fails.
        let mut check = |what: &str, value: f64, limit: Option<f64>| {
            if let Some(l) = limit {
                if value.is_nan() {
                    failures.push(format!(
                        "{}: {what} cannot be computed (live values that are not numbers, or \
                         for mape % every live value 0), so it cannot be within {l}",
                        c.live
                    ));
                } else if value > l {
                    failures.push(format!("{}: {what} {value:.6} > {l}", c.live));
                }
            }
        };
        check("rmse", c.rmse, args.max_rmse);
        // (No MAPE when every live value is 0: NaN, which fails.)
        check(
            "mape %",
            c.mape_percent.unwrap_or(f64::NAN),
            args.max_mape_percent,
        );
        check("max |error|", c.max_abs, args.max_abs);
        check("ks", c.ks, args.max_ks);
    }
    if !unmatched.is_empty() {
        println!(
            "{} live series matched no simulated series",
            unmatched.len()
        );
        for u in unmatched
            .iter()
            .filter(|u| u.contains(" (matches "))
            .take(5)
        {
            println!("  {u}");
        }
    }
    if let Some(dir) = &args.out {
        write_outputs(dir, &results, &csv, args.start_unix)?;
        println!("wrote {}", dir.display());
    }
    if !failures.is_empty() {
        return Err(ThresholdExceeded(format!(
            "past the thresholds:\n  {}",
            failures.join("\n  ")
        ))
        .into());
    }
    Ok(())
}

fn write_outputs(
    dir: &Path,
    results: &[compare::Comparison],
    csv: &str,
    start_unix: f64,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("compare.csv"), csv)?;
    for c in results {
        let name = c.live.split('{').next().unwrap_or("series");
        let rel = |t: f64| t - start_unix;
        let chart = Chart {
            name: "overlay",
            title: c.live.clone(),
            caption: String::new(),
            panels: vec![Panel {
                title: format!("{}: simulated against live", c.live),
                y_what: name.to_string(),
                y: quantity(name),
                x_dist: None,
                y_from_zero: true,
                lines: vec![
                    Line {
                        label: "live".into(),
                        points: c.points.iter().map(|p| (rel(p.0), p.1)).collect(),
                        dashed: false,
                        color: 0,
                    },
                    Line {
                        label: "simulated".into(),
                        points: c.points.iter().map(|p| (rel(p.0), p.2)).collect(),
                        dashed: true,
                        color: 3,
                    },
                ],
                legend: Legend::UpperLeft,
            }],
            side_by_side: false,
        };
        let end = c.points.last().map_or(0.0, |p| rel(p.0));
        let stem = file_stem(&c.live);
        let svg = to_svg(&chart, time_scale(end))?;
        std::fs::write(dir.join(format!("{stem}.svg")), svg)?;
        to_png(&chart, time_scale(end), &dir.join(format!("{stem}.png")))?;
    }
    Ok(())
}

/// `trace` commands.
#[derive(Debug, clap::Subcommand)]
pub enum Trace {
    /// Write a scenario driven by a trace: its requests as arrivals, its node outages as faults.
    Scenario {
        /// The trace (CSV or .jsonl: time_s, event, request, slot, node, bytes).
        trace: PathBuf,
        /// The scenario the fleet comes from (default: the embedded base-capacity fleet).
        #[arg(long)]
        base: Option<PathBuf>,
        /// The scenario file to write.
        #[arg(long)]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// `codexsim trace ...`.
pub fn trace(cmd: &Trace) -> Result<()> {
    let Trace::Scenario {
        trace,
        base,
        out,
        force,
    } = cmd;
    if out.exists() && !force {
        return Err(BadInput::new(format!(
            "{} already exists: choose another --out, or add --force to replace it",
            out.display()
        ))
        .into());
    }
    let events = codexsim_live::trace::read(trace).map_err(bad)?;
    let (base_text, origin) = match base {
        Some(p) => (
            std::fs::read_to_string(p)
                .map_err(|e| BadInput::new(format!("{}: {e}", p.display())))?,
            p.display().to_string(),
        ),
        None => (
            crate::run::DEFAULT_SCENARIO.to_string(),
            crate::run::DEFAULT_ORIGIN.to_string(),
        ),
    };
    let base_interval_s = codexsim_config::parse(&base_text, &origin)
        .map_err(|e| BadInput::new(format!("the base scenario: {e}")))?
        .run
        .series_interval
        .as_secs_f64();
    let text = codexsim_live::trace::scenario(&base_text, &events, &origin, base_interval_s)
        .map_err(bad)?;
    // The result must be a valid scenario before it is written.
    codexsim_config::parse(&text, &out.display().to_string())
        .map_err(|e| BadInput::new(format!("the trace makes an invalid scenario: {e}")))?;
    let header = format!(
        "# Driven by {} ({} events): requests as fixed arrivals, node outages as scheduled faults;\n# the fleet from {origin}.\n",
        trace.display(),
        events.len()
    );
    // Written beside and renamed: never half a file.
    crate::rundir::write_atomically(out, (header + &text).as_bytes())?;
    println!(
        "wrote {}; run it with: codexsim run {}",
        out.display(),
        out.display()
    );
    Ok(())
}
