//! Integration tests of the `codexsim` binary, as one test binary.
//!
//! Modules:
//! - `cli`: commands, exit codes and messages as a user sees them;
//! - `rundir`: run directories are complete or absent;
//! - `run`: `codexsim run` outputs, determinism, bad scenarios;
//! - `report`: charts and report.html, `codexsim plot`;
//! - `browser`: report.html in headless Chromium;
//! - `swarm`: swarms, swarm experiments, fleet runs with block transfers;
//! - `sweep`: experiments, sweeps, shards and merges;
//! - `durability`: exact models and rare-event estimates;
//! - `hardening`: values at the edges, run budgets, litter of interrupted runs;
//! - `flows`: `flows replay`, and random storms against SimGrid;
//! - `prometheus`: a real Prometheus serving a run's export to `compare`;
//! - `trace`: a trace of events driving a run, and compared with it;
//! - `notebooks`: the Jupyter notebooks, executed;
//! - `pinned`: a hash of the base-capacity outputs, so changes to them are deliberate.

mod browser;
mod cli;
mod common;
mod durability;
mod flows;
mod hardening;
mod notebooks;
mod pinned;
mod prometheus;
mod report;
mod run;
mod rundir;
mod swarm;
mod sweep;
mod trace;
