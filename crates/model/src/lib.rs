//! # codexsim-model
//!
//! The Codex fleet model: storage nodes in failure domains, faults, clients
//! and their storage requests, hosts' slot queues and sales, proofs and
//! validation, repair, contract failure and data loss. It is a set of event
//! handlers on `codexsim-engine`; it reads a validated
//! `codexsim_config::Scenario` and writes into a [`Sink`].
//!
//! What it models, and where each fact comes from, is in `docs/model.md` at
//! the repository root, with every simplification named.

#![warn(missing_docs)]

// The layers, bottom up (see ARCHITECTURE.md): leaves with no model
// state; the state layer; the concept modules (each an `impl Model` block
// over the assembly); the router.
mod blocks;
mod blocks_output;
mod canary;
mod durations;
mod events;
pub mod exchange_cfg;
mod faults;
mod ledger;
mod market;
mod model;
mod money;
mod money_output;
mod network;
pub mod output;
pub mod proofs;
mod proving;
mod race;
mod repair;
pub mod replay;
mod router;
mod sales;
mod sampling;
mod sharing;
mod sink;
pub mod slotqueue;
mod transfers;
mod validation;
mod workload;

pub use events::{Ev, ModelError};
pub use model::Model;
pub use output::{
    CanaryNodeStats, CanaryOutcome, CanaryRecord, FleetSample, LinkSample, Manifest, MemorySink,
    NetworkSummary, NodeSample, NullSink, Sharing, Sink, Summary, TraceEvent, TraceKind,
    TransferStats,
};

/// Runs a scenario to its end with no progress report.
pub fn run(
    scenario: &codexsim_config::Scenario,
    sink: &mut dyn Sink,
) -> Result<Summary, ModelError> {
    Model::new(scenario, sink).run(&mut |_| {})
}
