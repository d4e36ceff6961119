//! `analytic` (exact durability models) and `rare-event` (loss probability
//! of one dataset by simulation with importance sampling).

use std::time::Instant;

use anyhow::Result;
use codexsim_durability::dataset::{
    default_bias, estimate, splitting_until, DatasetModel, Duration, Estimate, RepairTime, YEAR,
};
use codexsim_durability::exact::{
    backblaze_annual_loss, backblaze_script_annual_loss, birth_death_mttdl, storj_durability,
    storj_loss_binomial, storj_loss_poisson, whitepaper_search_with, ChainError, Repair,
    Whitepaper, WHITEPAPER_TABLE1,
};

use crate::BadInput;

/// The exact models.
#[derive(Debug, clap::Subcommand)]
pub enum Analytic {
    /// Birth-death chain: n pieces, any k recover; MTTDL with serial and parallel repair.
    BirthDeath {
        /// Pieces.
        #[arg(long)]
        n: u32,
        /// Pieces needed.
        #[arg(long)]
        k: u32,
        /// Failure rate of a piece, per year.
        #[arg(long, default_value_t = 0.5)]
        lambda_per_year: f64,
        /// Repair rate, per year.
        #[arg(long, default_value_t = 52.0)]
        mu_per_year: f64,
    },
    /// The Codex whitepaper's lazy-repair chain for one dataset: MTTDL and yearly loss probability.
    Whitepaper {
        /// Slots needed to recover.
        #[arg(long)]
        k: u32,
        /// Slots that may be lost.
        #[arg(long)]
        m: u32,
        /// Lazy-repair threshold (noticed losses before a repair).
        #[arg(long, default_value_t = 1)]
        l0: u32,
        /// Host MTTF, years.
        #[arg(long, default_value_t = 1.0)]
        mttf_years: f64,
        /// Mean time to repair, hours.
        #[arg(long, default_value_t = 24.0)]
        mttr_hours: f64,
        /// Mean time between proofs (to notice a loss), hours.
        #[arg(long, default_value_t = 24.0)]
        mtbp_hours: f64,
        /// Repair once more than l0 losses are noticed (instead of l0 or more).
        #[arg(long)]
        strict: bool,
    },
    /// The whitepaper's Table 1: smallest k + m per expansion and l0 reaching a yearly loss target.
    WhitepaperTable {
        /// Yearly loss probability target.
        #[arg(long, default_value_t = 1e-9)]
        target: f64,
        /// Repair once more than l0 losses are noticed.
        #[arg(long)]
        strict: bool,
    },
    /// Backblaze's calculator: annual loss probability of data + parity shards.
    Backblaze {
        /// Data shards.
        #[arg(long)]
        data: u32,
        /// Parity shards.
        #[arg(long)]
        parity: u32,
        /// Annual failure rate of a drive, percent.
        #[arg(long)]
        afr_percent: f64,
        /// Replacement window, days.
        #[arg(long)]
        window_days: f64,
    },
    /// Storj's Poisson model: probability that k of n pieces survive a period with churn p.
    Storj {
        /// Pieces needed.
        #[arg(long)]
        k: u32,
        /// Pieces.
        #[arg(long)]
        n: u32,
        /// Churn per piece per period (a fraction).
        #[arg(long)]
        churn: f64,
    },
}

/// A chain's answer that cannot be trusted, as the user's error.
fn untrusted(e: ChainError) -> anyhow::Error {
    BadInput::new(format!(
        "no trustworthy mean time to data loss for these inputs: {e}"
    ))
    .into()
}

/// A duration in years, in scientific notation past a million.
fn years(t: f64) -> String {
    if t < 1e6 {
        format!("{t:.4}")
    } else {
        format!("{t:.6e}")
    }
}

/// A probability in scientific notation, 7 significant digits.
fn probability(p: f64) -> String {
    format!("{p:.6e}")
}

/// A durability as 1 - loss when the loss is small (so that it never shows
/// as exactly 1), with its nines.
fn durability(loss: f64) -> String {
    if loss == 0.0 {
        "1 (the loss probability is below 1e-308)".to_string()
    } else if loss < 1e-3 {
        format!("1 - {loss:.6e} ({:.2} nines)", -loss.log10())
    } else {
        format!("{:.9} ({:.2} nines)", 1.0 - loss, -loss.log10())
    }
}

fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(BadInput::new(what.to_string()).into())
    }
}

/// `codexsim analytic ...`.
pub fn analytic(cmd: &Analytic) -> Result<()> {
    match *cmd {
        Analytic::BirthDeath {
            n,
            k,
            lambda_per_year,
            mu_per_year,
        } => {
            check(k >= 1 && k <= n, "--k: must be between 1 and --n")?;
            check(
                lambda_per_year > 0.0 && mu_per_year > 0.0,
                "--lambda-per-year, --mu-per-year: must be positive",
            )?;
            check(
                lambda_per_year.is_finite() && mu_per_year.is_finite(),
                "--lambda-per-year, --mu-per-year: must be finite",
            )?;
            let s = birth_death_mttdl(n, k, lambda_per_year, mu_per_year, Repair::Serial)
                .map_err(untrusted)?;
            let p = birth_death_mttdl(n, k, lambda_per_year, mu_per_year, Repair::Parallel)
                .map_err(untrusted)?;
            println!("birth-death n = {n}, k = {k}, lambda = {lambda_per_year}/year, mu = {mu_per_year}/year");
            println!("MTTDL, serial repair:   {} years", years(s));
            println!("MTTDL, parallel repair: {} years", years(p));
        }
        Analytic::Whitepaper {
            k,
            m,
            l0,
            mttf_years,
            mttr_hours,
            mtbp_hours,
            strict,
        } => {
            check(k >= 1 && m >= 1, "--k, --m: must be at least 1")?;
            check(l0 >= 1, "--l0: must be at least 1")?;
            check(
                mttf_years > 0.0 && mttr_hours > 0.0 && mtbp_hours > 0.0,
                "--mttf-years, --mttr-hours, --mtbp-hours: must be positive",
            )?;
            let w = Whitepaper {
                k,
                m,
                l0,
                mttf: mttf_years,
                mttr: mttr_hours / 8760.0,
                mtbp: mtbp_hours / 8760.0,
                strict,
            };
            println!(
                "whitepaper chain k = {k}, m = {m}, l0 = {l0}{}",
                if strict { " (repair when f > l0)" } else { "" }
            );
            check(
                mttf_years.is_finite() && mttr_hours.is_finite() && mtbp_hours.is_finite(),
                "--mttf-years, --mttr-hours, --mtbp-hours: must be finite",
            )?;
            println!("MTTDL: {} years", years(w.mttdl().map_err(untrusted)?));
            println!(
                "loss probability within a year: {}",
                probability(w.loss_probability(1.0))
            );
        }
        Analytic::WhitepaperTable { target, strict } => {
            check(
                target > 0.0 && target < 1.0,
                "--target: must be between 0 and 1",
            )?;
            println!("expansion,l0,k,m,paper_k,paper_m,yearly_loss");
            for (e, l0, pk, pm) in WHITEPAPER_TABLE1 {
                match whitepaper_search_with(e, l0, target, 400, strict) {
                    Some((k, m)) => {
                        let w = Whitepaper {
                            strict,
                            ..Whitepaper::paper(k, m, l0)
                        };
                        println!("{e},{l0},{k},{m},{pk},{pm},{:.3e}", w.loss_probability(1.0));
                    }
                    None => println!("{e},{l0},,,{pk},{pm},"),
                }
            }
        }
        Analytic::Backblaze {
            data,
            parity,
            afr_percent,
            window_days,
        } => {
            check(
                data >= 1 && parity >= 1,
                "--data, --parity: must be at least 1",
            )?;
            check(
                afr_percent > 0.0 && afr_percent < 100.0,
                "--afr-percent: must be between 0 and 100",
            )?;
            check(
                window_days > 0.0 && window_days <= 365.0,
                "--window-days: must be above 0 and at most 365 (the calculator counts whole \
                 windows in a year)",
            )?;
            let afr = afr_percent / 100.0;
            let (p, windows) = backblaze_script_annual_loss(data, parity, afr, window_days)
                .expect("a window of at most a year");
            println!(
                "annual loss probability: {} (Backblaze's script: {windows} windows of {:.4} days, \
                 a shard failing in one with probability AFR / {windows})",
                probability(p),
                365.0 / windows as f64
            );
            println!("durability: {}", durability(p));
            let c = backblaze_annual_loss(data, parity, afr, window_days);
            println!(
                "continuous form (a shard failing in a window with 1 - exp(-AFR d / 365), 365 / d \
                 windows): {}",
                probability(c)
            );
        }
        Analytic::Storj { k, n, churn } => {
            check(k >= 1 && k <= n, "--k: must be between 1 and --n")?;
            check(
                churn > 0.0 && churn < 1.0,
                "--churn: must be between 0 and 1",
            )?;
            let exact = storj_loss_binomial(k, n, churn);
            let poisson = storj_loss_poisson(k, n, churn);
            println!(
                "P(loss): {} (exact binomial tail: more than n - k of n pieces lost)",
                probability(exact)
            );
            println!("P(durable): {}", durability(exact));
            println!(
                "Storj whitepaper's Poisson approximation: P(loss) {}, P(durable) {:.14}",
                probability(poisson),
                storj_durability(k, n, churn)
            );
        }
    }
    Ok(())
}

/// Options of `rare-event`.
#[derive(Debug, clap::Args)]
pub struct RareEventArgs {
    /// Slots needed to recover.
    #[arg(long)]
    pub k: u32,
    /// Slots that may be lost.
    #[arg(long)]
    pub m: u32,
    /// Lazy-repair threshold.
    #[arg(long, default_value_t = 1)]
    pub l0: u32,
    /// The dataset's hosts, machines, detection and repair.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Estimator: multilevel splitting (robust, the default), importance sampling with failure
    /// biasing, or plain Monte Carlo.
    #[arg(long, value_enum, default_value_t = Method::Splitting)]
    pub method: Method,
    /// Importance sampling: failure bias (default: chosen from the rates).
    #[arg(long)]
    pub bias: Option<f64>,
    /// Paths of the whole horizon (splitting: plain paths counting degraded spells; the others:
    /// at most this many).
    #[arg(long)]
    pub paths: Option<u64>,
    /// Splitting: spells restarted per level.
    #[arg(long, default_value_t = 1000)]
    pub per_stage: usize,
    /// Splitting: independent splitting runs per round (rounds repeat until the target).
    #[arg(long, default_value_t = 16)]
    pub replications: usize,
    /// Stop once the relative error (CI half-width over the estimate) is this small.
    #[arg(long, default_value_t = 0.1)]
    pub target_relative_error: f64,
    /// Confidence level of the interval.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Horizon, years.
    #[arg(long, default_value_t = 1.0)]
    pub years: f64,
}

impl RareEventArgs {
    /// The model the options describe.
    pub fn model(&self) -> Result<DatasetModel> {
        check(self.k >= 1 && self.m >= 1, "--k, --m: must be at least 1")?;
        check(
            self.l0 >= 1 && self.l0 <= self.m,
            "--l0: must be between 1 and --m",
        )?;
        check(
            self.model.mttf_years > 0.0
                && self.model.mtbp_hours > 0.0
                && self.model.mttr_hours > 0.0,
            "--mttf-years, --mtbp-hours, --mttr-hours: must be positive",
        )?;
        check(
            self.model.machine_mttf_years > 0.0,
            "--machine-mttf-years: must be positive",
        )?;
        check(
            self.years > 0.0 && self.years < 500.0,
            "--years: must be between 0 and 500",
        )?;
        check(
            self.confidence > 0.0 && self.confidence < 1.0,
            "--confidence: must be between 0 and 1",
        )?;
        check(
            self.bias.is_none_or(|b| b >= 1.0),
            "--bias: must be at least 1",
        )?;
        let repair = match self.model.link_bytes_per_s {
            Some(link) => {
                check(
                    link > 0.0 && self.model.dataset_bytes > 0.0,
                    "--link-bytes-per-s, --dataset-bytes: must be positive",
                )?;
                RepairTime::Bandwidth {
                    dataset_bytes: self.model.dataset_bytes,
                    link_bytes_per_s: link,
                    concurrent_repairs: self.model.concurrent_repairs,
                    start_s: self.model.repair_start_hours * 3600.0,
                }
            }
            None => RepairTime::Drawn(Duration::Exponential(self.model.mttr_hours * 3600.0)),
        };
        Ok(DatasetModel {
            k: self.k,
            m: self.m,
            l0: self.l0,
            host_mttf_s: self.model.mttf_years * YEAR,
            machines: self.model.machines,
            machine_mttf_s: if self.model.machines > 0 {
                self.model.machine_mttf_years * YEAR
            } else {
                f64::INFINITY
            },
            detection: Duration::Exponential(self.model.mtbp_hours * 3600.0),
            repair,
        })
    }
}

/// Estimators of `rare-event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Fixed-effort multilevel splitting on the number of lost slots.
    Splitting,
    /// Importance sampling with failure biasing.
    Importance,
    /// Plain Monte Carlo.
    Plain,
}

/// Runs the chosen estimator.
pub fn run_estimate(model: &DatasetModel, args: &RareEventArgs) -> (Estimate, String) {
    let horizon = args.years * YEAR;
    match args.method {
        Method::Splitting => {
            let paths = args.paths.unwrap_or(4_000);
            let e = splitting_until(
                model,
                horizon,
                args.model.seed,
                paths,
                args.per_stage,
                args.replications,
                args.confidence,
                Some((args.target_relative_error, 256)),
            );
            (
                e,
                format!(
                    "multilevel splitting, {} per level, {paths} plain paths",
                    args.per_stage
                ),
            )
        }
        Method::Importance | Method::Plain => {
            let bias = match args.method {
                Method::Plain => 1.0,
                _ => args.bias.unwrap_or_else(|| default_bias(model)),
            };
            let e = estimate(
                model,
                bias,
                horizon,
                args.model.seed,
                args.paths.unwrap_or(100_000_000),
                args.confidence,
                Some(args.target_relative_error),
            );
            let how = if bias == 1.0 {
                "plain Monte Carlo".to_string()
            } else {
                format!("importance sampling, failure bias {bias:.2}")
            };
            (e, how)
        }
    }
}

/// `codexsim rare-event`.
pub fn rare_event(args: &RareEventArgs) -> Result<()> {
    let model = args.model()?;
    check(
        args.per_stage >= 10 && args.replications >= 2,
        "--per-stage, --replications: at least 10 and 2",
    )?;
    let t = Instant::now();
    let (e, how) = run_estimate(&model, args);
    let wall = t.elapsed().as_secs_f64();
    println!(
        "P(data loss within {} year(s)) = {:.4e}, {:.0} % CI [{:.4e}, {:.4e}], relative error {:.3}",
        args.years,
        e.probability,
        args.confidence * 100.0,
        e.ci_low,
        e.ci_high,
        e.relative_error
    );
    println!(
        "{how}: {} paths, {} reached loss, {} events, {wall:.1} s",
        e.paths, e.losses, e.events
    );
    if args.model.is_chain() {
        let exact = args
            .model
            .whitepaper(args.k, args.m, args.l0)
            .loss_probability(args.years);
        println!(
            "exact (whitepaper chain): {exact:.4e}; estimate / exact = {:.3}",
            e.probability / exact
        );
    }
    Ok(())
}

/// `codexsim bench rare-event`: a yearly loss probability near 1e-9,
/// estimated to 30 % relative error at 95 % confidence.
pub fn bench() -> Result<()> {
    for (k, m, l0) in [(11, 11, 5), (4, 6, 1), (7, 7, 1)] {
        let model = DatasetModel::whitepaper(k, m, l0);
        let exact = Whitepaper::paper(k, m, l0).loss_probability(1.0);
        let t = Instant::now();
        let e = splitting_until(&model, YEAR, 1, 4_000, 1_000, 16, 0.95, Some((0.3, 256)));
        let wall = t.elapsed().as_secs_f64();
        println!(
            "k = {k}, m = {m}, l0 = {l0}: exact {exact:.3e}, estimate {:.3e} [{:.3e}, {:.3e}], relative error {:.3} at 95 %, {} paths, {:.1} M events, {wall:.1} s on {} threads",
            e.probability,
            e.ci_low,
            e.ci_high,
            e.relative_error,
            e.paths,
            e.events as f64 / 1e6,
            rayon::current_num_threads()
        );
    }
    Ok(())
}

/// Options of `rare-event-table`.
#[derive(Debug, clap::Args)]
pub struct TableArgs {
    /// Directory for table.csv, candidates.csv and the chart (created; must not exist).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Yearly loss probability target.
    #[arg(long, default_value_t = 1e-9)]
    pub target: f64,
    /// Largest k + m tried.
    #[arg(long, default_value_t = 60)]
    pub max_slots: u32,
    /// Stop each estimate at this relative error (95 %).
    #[arg(long, default_value_t = 0.3)]
    pub target_relative_error: f64,
    /// The model (k, m and l0 come from the table).
    #[command(flatten)]
    pub model: ModelArgs,
}

/// A dataset model's options without k, m, l0.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Host MTTF, years.
    #[arg(long, default_value_t = 1.0)]
    pub mttf_years: f64,
    /// Mean time to notice a loss, hours (exponential).
    #[arg(long, default_value_t = 24.0)]
    pub mtbp_hours: f64,
    /// Mean time to repair, hours (exponential; ignored with --link-bytes-per-s).
    #[arg(long, default_value_t = 24.0)]
    pub mttr_hours: f64,
    /// Machines the slots are spread over (0: independent hosts).
    #[arg(long, default_value_t = 0)]
    pub machines: u32,
    /// A machine's MTTF, years (all its slots lost at once).
    #[arg(long, default_value_t = 10.0)]
    pub machine_mttf_years: f64,
    /// Repair time from bandwidth: the repairing link, bytes per second.
    #[arg(long)]
    pub link_bytes_per_s: Option<f64>,
    /// The dataset's size, bytes.
    #[arg(long, default_value_t = 100e9)]
    pub dataset_bytes: f64,
    /// Repairs sharing the link.
    #[arg(long, default_value_t = 1.0)]
    pub concurrent_repairs: f64,
    /// Time before a repair's transfer starts, hours.
    #[arg(long, default_value_t = 0.0)]
    pub repair_start_hours: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl ModelArgs {
    /// `rare-event`'s defaults for (k, m, l0) of this model.
    fn rare(&self, k: u32, m: u32, l0: u32, target_relative_error: f64) -> RareEventArgs {
        RareEventArgs {
            k,
            m,
            l0,
            model: self.clone(),
            method: Method::Splitting,
            bias: None,
            paths: None,
            per_stage: 1000,
            replications: 16,
            target_relative_error,
            confidence: 0.95,
            years: 1.0,
        }
    }

    /// Whether the model is the whitepaper chain (independent hosts,
    /// exponential repair).
    fn is_chain(&self) -> bool {
        self.machines == 0 && self.link_bytes_per_s.is_none()
    }

    /// The whitepaper chain with this model's times.
    fn whitepaper(&self, k: u32, m: u32, l0: u32) -> Whitepaper {
        Whitepaper {
            k,
            m,
            l0,
            mttf: self.mttf_years,
            mttr: self.mttr_hours / 8760.0,
            mtbp: self.mtbp_hours / 8760.0,
            strict: false,
        }
    }
}

/// `codexsim rare-event-table`: the whitepaper's Table 1 by simulation with
/// rare-event estimation, for the chain's assumptions or beyond them.
pub fn table(args: &TableArgs) -> Result<()> {
    check(
        args.target > 0.0 && args.target < 1.0,
        "--target: must be between 0 and 1",
    )?;
    if args.out.exists() {
        return Err(BadInput::new(format!(
            "{} already exists: choose another --out",
            args.out.display()
        ))
        .into());
    }
    // Check the model once before anything runs.
    args.model
        .rare(2, 2, 1, args.target_relative_error)
        .model()?;
    let tmp = args.out.with_extension("tmp");
    std::fs::create_dir_all(&tmp)?;
    let mut candidates = String::from("expansion,l0,k,m,estimate,ci_low,ci_high,exact_chain\n");
    let mut table = String::from("expansion,l0,k,m,estimate,ci_low,ci_high,paper_k,paper_m\n");
    let mut series = Vec::new();
    let t = Instant::now();
    for (e, l0, pk, pm) in WHITEPAPER_TABLE1 {
        let mut points = Vec::new();
        let mut chosen = None;
        for k in 1..=args.max_slots {
            let total = e * k as f64;
            if (total - total.round()).abs() > 1e-9 || total.round() as u32 > args.max_slots {
                continue;
            }
            let m = total.round() as u32 - k;
            if m < l0 {
                continue; // no repair could ever start
            }
            let rare = args.model.rare(k, m, l0, args.target_relative_error);
            let model = rare.model()?;
            let (est, _) = run_estimate(&model, &rare);
            let exact = if args.model.is_chain() {
                format!(
                    "{:e}",
                    args.model.whitepaper(k, m, l0).loss_probability(1.0)
                )
            } else {
                String::new()
            };
            candidates.push_str(&format!(
                "{e},{l0},{k},{m},{:e},{:e},{:e},{exact}\n",
                est.probability, est.ci_low, est.ci_high
            ));
            points.push(((k + m) as f64, est.probability, est.ci_low, est.ci_high));
            eprintln!(
                "e = {e}, l0 = {l0}: {k} + {m}: {:.3e} [{:.3e}, {:.3e}]",
                est.probability, est.ci_low, est.ci_high
            );
            if est.probability <= args.target {
                chosen = Some((k, m, est));
                break;
            }
        }
        match chosen {
            Some((k, m, est)) => table.push_str(&format!(
                "{e},{l0},{k},{m},{:e},{:e},{:e},{pk},{pm}\n",
                est.probability, est.ci_low, est.ci_high
            )),
            None => table.push_str(&format!("{e},{l0},,,,,,{pk},{pm}\n")),
        }
        series.push(codexsim_report::sweep_charts::BandSeries {
            label: format!("e = {e}, l0 = {l0}"),
            points,
        });
    }
    std::fs::write(tmp.join("candidates.csv"), candidates)?;
    std::fs::write(tmp.join("table.csv"), &table)?;
    codexsim_report::sweep_charts::write_log(
        &codexsim_report::sweep_charts::LogChart {
            name: "loss-probability".into(),
            title: "Yearly probability of data loss against k + m".into(),
            x_label: "k + m (slots per dataset)".into(),
            y_label: "P(data loss within a year), log scale".into(),
            series,
            target: Some((args.target, format!("target {:e}", args.target))),
        },
        &tmp,
    )?;
    std::fs::rename(&tmp, &args.out)?;
    print!("{table}");
    println!(
        "wrote {} in {:.0} s",
        args.out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
