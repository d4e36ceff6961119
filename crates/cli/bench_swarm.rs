//! `codexsim bench swarm`: swarms of every protocol (default: one seeder
//! and 20 downloaders of 1 GiB at once, the embedded swarm), each timed
//! beside the engine's hold model with as many events as the swarm's
//! steps, as the session's reference.

use std::time::Instant;

use anyhow::Result;
use codexsim_config::exchange::PROTOCOLS;
use codexsim_config::RawQuantity;
use codexsim_engine::hold::hold_engine;
use codexsim_exchange::swarm::run as run_swarm;
use codexsim_model::exchange_cfg::swarm_spec;

use crate::swarm::{load_raw, validate};

/// `codexsim bench swarm`.
#[derive(Debug, clap::Args)]
pub struct SwarmBenchArgs {
    /// The swarm file (default: the embedded 1 seeder + 20 downloaders of
    /// 1 GiB).
    pub config: Option<std::path::PathBuf>,
    /// Downloaders (overrides swarm.downloaders).
    #[arg(long)]
    pub downloaders: Option<u32>,
    /// The file (overrides swarm.file_bytes), e.g. "10 GiB".
    #[arg(long)]
    pub file_bytes: Option<String>,
    /// Only these protocols, comma-separated (default: every one).
    #[arg(long, value_delimiter = ',')]
    pub protocols: Vec<String>,
    /// Timed runs per protocol (after one warm-up); the median is kept.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
    /// The goal per swarm, seconds of wall time.
    #[arg(long, default_value_t = 1.0)]
    pub goal_s: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `codexsim bench swarm`.
pub fn run(args: &SwarmBenchArgs) -> Result<()> {
    if args.repeat == 0 {
        return Err(crate::BadInput::new("--repeat must be > 0").into());
    }
    let (mut raw, origin) = load_raw(args.config.as_deref())?;
    if let Some(n) = args.downloaders {
        raw.swarm.downloaders = n as i64;
    }
    if let Some(b) = &args.file_bytes {
        raw.swarm.file_bytes = RawQuantity::Text(b.clone());
    }
    let protocols: Vec<String> = if args.protocols.is_empty() {
        PROTOCOLS.iter().map(|p| p.to_string()).collect()
    } else {
        args.protocols.clone()
    };
    let mut cfgs = Vec::new();
    for p in &protocols {
        raw.exchange.protocol = p.clone();
        cfgs.push(validate(&raw, &origin)?);
    }
    println!(
        "{} seeder(s), {} downloaders, {} bytes at once; median of {} runs after a warm-up; \
         reference: the engine's hold model (1,000 pending) with as many events as steps",
        cfgs[0].seeders, cfgs[0].downloaders, cfgs[0].file_bytes, args.repeat
    );
    println!(
        "{:<11} {:>9} {:>11} {:>10} {:>12} {:>13} {:>6}",
        "protocol", "wall s", "steps", "sim s", "hold M ev/s", "x hold/step", "goal"
    );
    for cfg in &cfgs {
        let spec = swarm_spec(cfg);
        let mut secs = Vec::new();
        let mut hold = Vec::new();
        let mut steps = 0;
        let mut end_s = 0.0;
        for i in 0..=args.repeat {
            let t = Instant::now();
            let r =
                run_swarm(&spec, false).map_err(|e| anyhow::anyhow!("the swarm stopped: {e}"))?;
            let wall = t.elapsed().as_secs_f64();
            steps = r.steps;
            end_s = r.end_s;
            let h = hold_engine(1_000, steps.max(1), cfg.seed);
            if i == 0 {
                continue;
            }
            secs.push(wall);
            hold.push(h.events_per_s());
        }
        let s = median(secs);
        let h = median(hold);
        let per_step_ratio = s / steps.max(1) as f64 * h;
        println!(
            "{:<11} {:>9.3} {:>11} {:>10.1} {:>12.2} {:>13.1} {:>6}",
            cfg.exchange.protocol,
            s,
            steps,
            end_s,
            h / 1e6,
            per_step_ratio,
            if s < args.goal_s { "met" } else { "NOT met" }
        );
    }
    Ok(())
}
