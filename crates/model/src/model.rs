//! The assembly: [`Model`] holds every layer's state (the ledger, and each
//! concept's own: slot queues, proof books, network, canaries, fault and
//! workload streams), builds it from a scenario, and runs it on the engine.
//! The concept modules add their behaviour as `impl Model` blocks; the
//! router (`router.rs`) delivers events to them.

use codexsim_config::{MarketMode, Scenario};
use codexsim_engine::{RunLimits, SimTime, Simulation, StopReason};

use crate::canary::Canaries;
use crate::events::{Ev, ModelError, Stop};
use crate::faults::FaultStreams;
use crate::ledger::Ledger;
use crate::market::Market;
use crate::money::Money;
use crate::network::NetState;
use crate::output::{Sink, Summary, TraceEvent, TraceKind};
use crate::proving::ProofBooks;
use crate::repair::RepairState;
use crate::validation::Validation;
use crate::workload::WorkloadState;

/// The fleet model. Build it with [`Model::new`], then [`Model::run`].
pub struct Model<'s> {
    pub(crate) cfg: Scenario,
    pub(crate) sink: &'s mut dyn Sink,
    /// The state layer: nodes, requests, slots, sales, counters.
    pub(crate) ledger: Ledger,
    /// Every host's slot queue, and the requests' queue keys.
    pub(crate) market: Market,
    /// The provable slots' proof requirement over time.
    pub(crate) proofs: ProofBooks,
    /// Links, flows and transfers.
    pub(crate) net: NetState,
    /// Operators' probes.
    pub(crate) canary: Canaries,
    /// Block downloads' tallies (block model).
    pub(crate) exchange_stats: crate::output::ExchangeSummary,
    /// Random fault processes' streams.
    pub(crate) faults: FaultStreams,
    /// Arrivals.
    pub(crate) workload: WorkloadState,
    /// The exponential repair model.
    pub(crate) repair: RepairState,
    /// Validators as processes (or the ideal one).
    pub(crate) validation: Validation,
    /// The marketplace's accounts.
    pub(crate) money: Money,
    /// Next time a full invariant check runs at a sample.
    pub(crate) next_full_check: SimTime,
    pub(crate) check_every_event: bool,
    pub(crate) current_event: Option<Ev>,
    pub(crate) last_time: SimTime,
    pub(crate) horizon: SimTime,
}

impl<'s> Model<'s> {
    /// Builds the fleet of a validated scenario, writing into `sink`.
    pub fn new(cfg: &Scenario, sink: &'s mut dyn Sink) -> Self {
        let ledger = Ledger::new(cfg);
        let queue_sizes: Vec<u32> = ledger
            .nodes
            .iter()
            .map(|n| cfg.node_groups[n.group as usize].slot_queue_size)
            .collect();
        Model {
            horizon: SimTime::ZERO.saturating_add(cfg.run.duration),
            faults: FaultStreams::new(cfg),
            market: Market::new(
                &queue_sizes,
                cfg.run.seed,
                cfg.run.market == MarketMode::Fast && cfg.marketplace.block_period.as_nanos() > 0,
            ),
            proofs: ProofBooks::new(cfg.run.seed),
            workload: WorkloadState::new(cfg.run.seed),
            repair: RepairState::new(cfg.run.seed),
            validation: Validation::new(cfg.validators.as_ref(), ledger.nodes.len(), cfg.run.seed),
            money: Money::new(
                ledger.nodes.len(),
                cfg.validators.as_ref().map_or(1, |v| v.count as usize),
            ),
            net: NetState::new(cfg, crate::sharing::flow_net(cfg.network.sharing)),
            canary: Canaries::default(),
            exchange_stats: Default::default(),
            cfg: cfg.clone(),
            sink,
            ledger,
            next_full_check: SimTime::ZERO,
            check_every_event: false,
            current_event: None,
            last_time: SimTime::ZERO,
        }
    }

    /// Check every invariant after every event (slow; for tests). By default
    /// they are checked at every sample and at the end.
    pub fn check_every_event(mut self, on: bool) -> Self {
        self.check_every_event = on;
        self
    }

    /// Runs to the horizon (or the first loss, or the event limit), calling
    /// `progress` with the fraction of the horizon done about every 1 %.
    pub fn run(mut self, progress: &mut dyn FnMut(f64)) -> Result<Summary, ModelError> {
        let seed = self.cfg.run.seed;
        let mut sim: Simulation<Ev> = Simulation::new();
        self.start(sim.scheduler()).map_err(|e| match e {
            Stop::Error(ModelError::Schedule { source, .. }) => {
                ModelError::Schedule { seed, source }
            }
            Stop::Error(e) => e,
            Stop::DataLoss => unreachable!("nothing is lost before the start"),
        })?;
        let horizon = self.horizon;
        let steps = 100u64;
        let mut stop_reason = "horizon";
        let mut budget = self.cfg.run.max_events;
        for step in 1..=steps {
            let until = SimTime::from_nanos(
                ((horizon.as_nanos() as u128 * step as u128) / steps as u128) as u64,
            );
            let before = sim.events_processed();
            let r = sim.run(
                &mut self,
                RunLimits {
                    until,
                    max_events: budget,
                },
            );
            budget -= sim.events_processed() - before;
            match r {
                Ok(StopReason::TimeLimit) | Ok(StopReason::QueueEmpty) => {}
                Ok(StopReason::EventLimit) => {
                    stop_reason = "event_limit";
                    break;
                }
                Err(Stop::DataLoss) => {
                    stop_reason = "data_loss";
                    break;
                }
                Err(Stop::Error(ModelError::Schedule { source, .. })) => {
                    return Err(ModelError::Schedule { seed, source })
                }
                Err(Stop::Error(e)) => return Err(e),
            }
            progress(step as f64 / steps as f64);
        }
        let now = sim.now().min(horizon).max(self.last_time);
        self.last_time = now;
        self.check(now).map_err(|m| self.invariant(now, m))?;
        let totals = self.fleet_sample(now);
        if stop_reason != "horizon" {
            // Close the series at the moment the run stopped.
            self.emit_sample(now);
        }
        Ok(self.summary(now, sim.events_processed(), stop_reason, totals))
    }

    pub(crate) fn invariant(&self, time: SimTime, message: String) -> ModelError {
        ModelError::Invariant {
            seed: self.cfg.run.seed,
            time,
            event: format!("{:?}", self.current_event),
            message,
        }
    }

    /// Writes a trace event, if the sink wants its kind.
    pub(crate) fn trace(
        &mut self,
        now: SimTime,
        kind: TraceKind,
        node: Option<u32>,
        request: Option<u32>,
        slot: Option<u32>,
        bytes: Option<u64>,
    ) {
        if self.sink.wants(kind) {
            self.sink.trace(&TraceEvent {
                time_s: now.as_secs_f64(),
                kind,
                node,
                request,
                slot,
                dataset: request.map(|r| {
                    self.ledger
                        .requests
                        .get(r as usize)
                        .map_or(r, |x| x.dataset(r))
                }),
                bytes,
            });
        }
    }

    /// Every invariant of the model: each structure's own checks (the
    /// ledger's, the slot queues', the network's), then those that span
    /// two of them. A failure is a simulator bug.
    pub(crate) fn check(&self, now: SimTime) -> Result<(), String> {
        if now < self.last_time {
            return Err(format!(
                "simulated time went back from {} to {now}",
                self.last_time
            ));
        }
        self.market
            .check()
            .map_err(|e| format!("slot queues: {e}"))?;
        for (i, n) in self.ledger.nodes.iter().enumerate() {
            if !n.up() && !self.market.queues.is_empty(i as u32) {
                return Err(format!(
                    "node {i} is offline but its slot queue is not empty"
                ));
            }
        }
        self.ledger
            .check(self.cfg.marketplace.max_reservations_per_slot as usize)?;
        self.net
            .check_clients()
            .map_err(|e| format!("clients: {e}"))?;
        self.check_money().map_err(|e| format!("money: {e}"))?;
        self.check_validation()
            .map_err(|e| format!("validators: {e}"))?;
        self.check_transfers()
    }
}
