//! `codexsim flows replay`: a list of transfers replayed on a scenario's
//! network (`codexsim_model::replay`), their end times written as CSV.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::BadInput;

/// `codexsim flows ...`.
#[derive(Debug, clap::Subcommand)]
pub enum Flows {
    /// Replay transfers (CSV: start_s,from,to,bytes[,rate_cap_bytes_per_s]) on a scenario's
    /// network and write each one's end time (CSV: index,end_s, in input order).
    Replay(ReplayArgs),
}

/// Options of `flows replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The scenario (TOML) whose network (domain levels, node groups' links and disks, clients'
    /// lines, `network.sharing`) carries the transfers.
    pub scenario: PathBuf,
    /// The transfers: CSV with a header of start_s,from,to,bytes and optionally
    /// rate_cap_bytes_per_s; endpoints node-I or client-J.
    pub transfers: PathBuf,
    /// Where to write the end times (replaced if it exists; written whole or not at all).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs a `flows` command.
pub fn run(cmd: &Flows) -> Result<()> {
    match cmd {
        Flows::Replay(args) => replay(args),
    }
}

fn replay(args: &ReplayArgs) -> Result<()> {
    let scenario = crate::run::load_scenario(Some(&args.scenario))?;
    let text = std::fs::read_to_string(&args.transfers)
        .map_err(|e| BadInput::new(format!("{}: {e}", args.transfers.display())))?;
    let bad = |e: codexsim_model::replay::ReplayError| {
        BadInput::new(format!("{}: {e}", args.transfers.display()))
    };
    let wall = Instant::now();
    let rows =
        codexsim_model::replay::parse_transfers(&text, scenario.fleet_nodes()).map_err(bad)?;
    let ends_ns = codexsim_model::replay::replay(&scenario, &rows).map_err(bad)?;
    let wall_s = wall.elapsed().as_secs_f64();
    let mut csv = String::with_capacity(16 + ends_ns.len() * 24);
    csv.push_str("index,end_s\n");
    let mut ryu = ryu::Buffer::new();
    for (i, &ns) in ends_ns.iter().enumerate() {
        // The nearest f64 to the end in seconds, shortest round-trip form.
        let _ = writeln!(csv, "{i},{}", ryu.format(ns as f64 / 1e9));
    }
    crate::rundir::write_atomically(&args.out, csv.as_bytes())?;
    let last_s = ends_ns.iter().max().map_or(0.0, |&ns| ns as f64 / 1e9);
    println!(
        "{} transfers replayed on {} ({} nodes, sharing {}) in {wall_s:.3} s; the last ends at {last_s} s",
        ends_ns.len(),
        args.scenario.display(),
        scenario.fleet_nodes(),
        scenario.network.sharing.name()
    );
    println!("wrote {}", args.out.display());
    Ok(())
}
