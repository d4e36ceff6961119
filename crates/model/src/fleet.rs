//! The fleet model: state, events and their handling.

use std::collections::{BTreeMap, VecDeque};

use codexsim_config::{
    Detection, FaultKind, FaultTarget, Layout, ProofMode, RepairModel, Scenario, ScheduledTarget,
    SharingMode,
};
use codexsim_engine::{
    Dist, EventId, Handler, RandomStream, RunLimits, ScheduleError, Scheduler, SimDuration,
    SimTime, Simulation, StopReason, StreamId,
};

use crate::network::{NetState, Part, TransferKind};
use crate::output::{
    CanaryNodeStats, CanaryOutcome, CanaryRecord, FleetSample, LinkSample, LinkTotals,
    NetworkSummary, NodeSample, Sharing, Sink, Summary, TraceEvent, TraceKind, Traffic,
    TransferStats,
};
use crate::proofs::{geometric, ProofRequirement};
use crate::slotqueue::{Keys, QueueItem, SlotKey, SlotQueues};
use codexsim_net::{Endpoint, FlowId, RateChange};

/// Marks "no fault process" in events raised by scheduled faults.
const NO_PROCESS: u32 = u32::MAX;
/// Validators check the previous period at every period end plus this.
const VALIDATOR_DELAY: SimDuration = SimDuration::from_secs(1);
/// How often a run checks every invariant (besides its end). Tests check
/// after every event.
const FULL_CHECK_INTERVAL: SimDuration = SimDuration::from_days(30);
/// Hosts submit proofs at every period start plus this.
const PROOF_DELAY: SimDuration = SimDuration::from_secs(1);

/// Events of the fleet model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// Take a time-series sample.
    Sample,
    /// A random request arrival.
    Arrival,
    /// A request arrival at a fixed time.
    FixedArrival,
    /// A random fault process fires on one target.
    FaultFire {
        /// Index into the scenario's faults.
        process: u32,
        /// Node or domain index.
        target: u32,
    },
    /// A node's outage ends.
    OutageEnd {
        /// The node.
        node: u32,
        /// The process to restart, or none.
        process: u32,
    },
    /// A domain's outage ends.
    DomainOutageEnd {
        /// The level.
        level: u32,
        /// The domain.
        domain: u32,
        /// The process to restart, or none.
        process: u32,
    },
    /// A node gets a new, empty disk.
    DiskReplaced {
        /// The node.
        node: u32,
        /// The process to restart, or none.
        process: u32,
    },
    /// A scheduled fault.
    Scheduled {
        /// Index into the scenario's scheduled faults.
        index: u32,
    },
    /// A request's expiry.
    Expiry {
        /// The request.
        request: u32,
    },
    /// A request's end.
    End {
        /// The request.
        request: u32,
    },
    /// A node's slot-queue workers look for work.
    Work {
        /// The node.
        node: u32,
    },
    /// A host finished downloading and its initial proof is due: fillSlot.
    FillReady {
        /// The sale.
        sale: u32,
        /// Its generation (the event is stale when the id was reused).
        generation: u32,
    },
    /// A validator marks a proof of this sale missing.
    Missed {
        /// The sale.
        sale: u32,
        /// Its generation (the event is stale when the id was reused).
        generation: u32,
        /// Whether this is the head of the sale's aggregated miss process.
        chain: bool,
    },
    /// Exact proof mode: a period's proofs are due.
    PeriodTick,
    /// Exponential repair model: the repair of this sale completes.
    RepairDone {
        /// The sale.
        sale: u32,
        /// Its generation (the event is stale when the id was reused).
        generation: u32,
    },
    /// Announce an open slot again (no source could serve it before).
    RepairRetry {
        /// The request.
        request: u32,
        /// The slot.
        slot: u32,
    },
    /// Unshared sharing: a flow moved its last byte (stale unless it is the
    /// flow's current finish). Max-min sharing uses `NetNext` instead.
    FlowDone {
        /// The flow's slot.
        flow: u32,
        /// Its generation.
        generation: u32,
    },
    /// Max-min sharing: the network's next flow end is due (see
    /// `FlowNet::next_finish`).
    NetNext,
    /// Max-min sharing: rates are recomputed after the changes of this
    /// instant (see `FlowNet::flush`).
    NetFlush,
    /// Every part of a transfer arrived (after its latency).
    TransferDone {
        /// The transfer.
        transfer: u32,
        /// Its generation.
        generation: u32,
    },
    /// A transfer waiting for a source looks again.
    TransferRetry {
        /// The transfer.
        transfer: u32,
        /// Its generation.
        generation: u32,
    },
    /// A transfer took too long.
    TransferTimeout {
        /// The transfer.
        transfer: u32,
        /// Its generation.
        generation: u32,
    },
    /// A canary round starts.
    CanaryRound,
}

/// Why a run stopped early or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A model invariant broke: a simulator bug.
    #[error("invariant broken at t = {time} (seed {seed}, event {event}): {message}")]
    Invariant {
        /// Master seed.
        seed: u64,
        /// Simulated time.
        time: SimTime,
        /// The event being handled.
        event: String,
        /// What broke.
        message: String,
    },
    /// Scheduling failed (into the past, or past the end of time).
    #[error("scheduling failed (seed {seed}): {source}")]
    Schedule {
        /// Master seed.
        seed: u64,
        /// The cause.
        source: ScheduleError,
    },
}

/// Why the model's handler stops the engine (internal to the model).
#[doc(hidden)]
#[derive(Debug)]
pub enum Stop {
    DataLoss,
    Error(ModelError),
}

impl From<ScheduleError> for Stop {
    fn from(e: ScheduleError) -> Self {
        Stop::Error(ModelError::Schedule { seed: 0, source: e })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SaleState {
    /// Reserved and downloading.
    Downloading,
    /// Filled: the host is on the contract and stores the data.
    Filled,
    /// On the contract, but the host has no data (disk lost, or left).
    Zombie,
    /// Off the contract, data still on disk until the host deletes it.
    Orphan,
    /// Over: nothing charged, nothing stored.
    Done,
}

#[derive(Clone, Debug)]
struct Sale {
    /// Bumped each time the id is reused.
    generation: u32,
    node: u32,
    /// Where the sale sits in its node's `sales` list.
    node_pos: u32,
    request: u32,
    slot: u32,
    state: SaleState,
    /// Bytes of slot data on the host's disk.
    stored_bytes: u64,
    /// Collateral put up.
    collateral: u128,
    /// Period of the fill; proofs are required strictly after it.
    fill_period: u64,
    /// Whether the host can currently prove this slot.
    provable: bool,
    /// Aggregated mode: the next miss not yet committed, with its period.
    pending_miss: Option<(EventId, u64)>,
    /// Aggregated mode: the regime the miss process was drawn under
    /// (`Some(provable)` while on the contract, `None` off it).
    miss_regime: Option<bool>,
    /// A repair under the exponential model.
    exp_repair: bool,
    /// The fill's or repair's transfer while downloading.
    transfer: Option<u32>,
    /// When the host lost the slot's data (a zombie since).
    lost_at: SimTime,
    /// Its request's proof probability as a float (kept here: outages
    /// refresh every sale of a node, and this saves a look-up each).
    proof_p: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReqState {
    New,
    Started,
    Cancelled,
    Finished,
    Failed,
}

#[derive(Clone, Debug, Default)]
struct Slot {
    host_sale: Option<u32>,
    reservations: Vec<u32>,
    missed: u32,
    freed_at: Option<SimTime>,
    /// A RepairRetry for this slot is pending.
    retry_pending: bool,
    /// Last announced as freed (a repair) rather than new.
    announced_repair: bool,
}

/// Slot-queue keys of every request, announced as new (index 0) or as a
/// repair (index 1, the collateral reduced by the repair reward): a dense
/// table, since the queues look keys up on every tie.
#[derive(Clone, Debug, Default)]
struct QueueKeys(Vec<[SlotKey; 2]>);

impl Keys for QueueKeys {
    #[inline]
    fn key(&self, request: u32, repair: bool) -> SlotKey {
        self.0[request as usize][repair as usize]
    }
}

#[derive(Clone, Debug)]
struct Request {
    layout: Layout,
    dataset_bytes: u64,
    created: SimTime,
    end_at: SimTime,
    state: ReqState,
    slots: Vec<Slot>,
    filled: u32,
    collateral_per_slot: u128,
    proof: ProofRequirement,
    client_has_data: bool,
    /// Sales of this request that are not over (Done sales are removed).
    sales: Vec<u32>,
    /// Per slot index: sales whose host stores that slot's data.
    holders: Vec<u16>,
    /// Slot indices with at least one holder.
    alive_indices: u32,
    lost: bool,
    repairs_active: u32,
    /// Freed slots waiting for the lazy-repair threshold.
    deferred: Vec<u32>,
    repairs_waiting: VecDeque<u32>,
    ever_started: bool,
}

impl Request {
    fn active(&self) -> bool {
        matches!(self.state, ReqState::New | ReqState::Started)
    }
}

#[derive(Clone, Debug)]
struct Node {
    group: u32,
    down_causes: u32,
    gone: bool,
    quota_bytes: u64,
    offered_bytes: u64,
    avail_free_bytes: u64,
    avail_duration: SimDuration,
    min_price: u64,
    collateral_left: u128,
    used_bytes: u64,
    reserved_bytes: u64,
    workers: u32,
    workers_busy: u32,
    work_scheduled: bool,
    sales: Vec<u32>,
    rng: RandomStream,
    rate_bytes_per_s: u64,
    proof_failure: f64,
    one_slot_per_request: bool,
    /// Sales in state Filled.
    filled_count: u32,
}

impl Node {
    fn up(&self) -> bool {
        !self.gone && self.down_causes == 0
    }
}

/// A canary round in progress.
#[derive(Clone, Debug)]
struct CanaryProgress {
    started: SimTime,
    upload_node: u32,
    download_node: u32,
    upload_s: Option<f64>,
}

/// One probe node's canary tallies.
#[derive(Clone, Debug, Default)]
struct CanaryTally {
    upload_rounds: u64,
    uploads_ok: u64,
    upload_s: Vec<f64>,
    download_rounds: u64,
    downloads_ok: u64,
    download_s: Vec<f64>,
}

/// Canary results per probe node.
#[derive(Clone, Debug, Default)]
struct CanaryStats {
    rounds: u64,
    failures: u64,
    nodes: BTreeMap<u32, CanaryTally>,
}

impl CanaryStats {
    fn record(&mut self, r: &CanaryRecord) {
        self.rounds += 1;
        self.failures += (r.outcome != CanaryOutcome::Ok) as u64;
        let up = self.nodes.entry(r.upload_node).or_default();
        up.upload_rounds += 1;
        if let Some(d) = r.upload_s {
            up.uploads_ok += 1;
            up.upload_s.push(d);
        }
        let down = self.nodes.entry(r.download_node).or_default();
        down.download_rounds += 1;
        if let (CanaryOutcome::Ok, Some(d)) = (r.outcome, r.download_s) {
            down.downloads_ok += 1;
            down.download_s.push(d);
        }
    }

    fn summary(&self, probes: &[u32]) -> Vec<CanaryNodeStats> {
        probes
            .iter()
            .map(|&n| {
                let e = self.nodes.get(&n).cloned().unwrap_or_default();
                let rate = |ok: u64, all: u64| (all > 0).then(|| ok as f64 / all as f64);
                CanaryNodeStats {
                    node: n,
                    upload_rounds: e.upload_rounds,
                    uploads_ok: e.uploads_ok,
                    upload_success_rate: rate(e.uploads_ok, e.upload_rounds),
                    upload_duration: TransferStats::of(&e.upload_s),
                    download_rounds: e.download_rounds,
                    downloads_ok: e.downloads_ok,
                    download_success_rate: rate(e.downloads_ok, e.download_rounds),
                    download_duration: TransferStats::of(&e.download_s),
                }
            })
            .collect()
    }
}

#[derive(Clone, Debug, Default)]
struct Counters {
    transfer_timeouts: u64,
    submitted: u64,
    started: u64,
    finished: u64,
    cancelled: u64,
    failed: u64,
    renewals: u64,
    slots_filled: u64,
    slots_freed: u64,
    slots_repaired: u64,
    proofs_required: u64,
    proofs_missed: u64,
    slashes: u64,
    /// Slashes of hosts that still held the slot's data.
    slashes_intact: u64,
    /// Zombie slots freed, and their time from data loss to being freed.
    losses_detected: u64,
    loss_detection_sum_s: f64,
    datasets_lost: u64,
    bytes_lost: u64,
    fill_bytes: u64,
    repair_bytes: u64,
    fill_time_sum_s: f64,
    fill_time_n: u64,
    repair_time_sum_s: f64,
    repair_time_n: u64,
    collateral_slashed: u128,
    fill_errored: u64,
    first_loss: Option<SimTime>,
    first_failure: Option<SimTime>,
}

/// The fleet model. Build it with [`Model::new`], then [`Model::run`].
pub struct Model<'s> {
    cfg: Scenario,
    sink: &'s mut dyn Sink,
    nodes: Vec<Node>,
    /// Per level, per domain: member nodes.
    domains: Vec<Vec<Vec<u32>>>,
    requests: Vec<Request>,
    queue_keys: QueueKeys,
    /// Every host's slot queue.
    queues: SlotQueues,
    /// Sales by id. Ids of sales that are over are reused (a sale's
    /// generation tells its events from those of earlier sales with its id).
    sales: Vec<Sale>,
    /// Ids free for new sales.
    free_sales: Vec<u32>,
    /// Ids of sales that ended in the current event: free once it is over.
    closed_sales: Vec<u32>,
    fault_streams: Vec<Vec<RandomStream>>,
    workload_rng: RandomStream,
    repair_rng: RandomStream,
    proof_count_rng: RandomStream,
    c: Counters,
    random_arrivals: u64,
    next_fixed_arrival: usize,
    /// Integral over time of the expected proof requirements of provable
    /// slots (sum of p), in slot-nanoseconds, and of p(1-p).
    provable_weight: f64,
    provable_var_weight: f64,
    provable_area: f64,
    provable_var_area: f64,
    provable_since: SimTime,
    requests_new: u64,
    requests_started: u64,
    pending_new_bytes: u64,
    /// Exponential repair model: slots waiting for an eligible host.
    exp_waiting: Vec<(u32, u32)>,
    /// Filled slots of active requests.
    active_filled: u64,
    /// Next time a full invariant check runs at a sample.
    next_full_check: SimTime,
    check_every_event: bool,
    current_event: Option<Ev>,
    last_time: SimTime,
    /// Links, flows and transfers.
    net: NetState,
    /// Canary rounds in progress, by round number.
    canary_rounds: BTreeMap<u32, CanaryProgress>,
    canary_next: u32,
    canary_client: Option<Endpoint>,
    canary_stats: CanaryStats,
    horizon: SimTime,
}

/// What a fault hits.
#[derive(Clone, Copy, Debug)]
enum Hit {
    /// One node.
    Node(u32),
    /// Every node of a domain: (level, domain).
    Domain(usize, u32),
}

/// What a host does with a queue item.
enum Decision {
    /// The slot is gone (filled, reservations full, request over): drop it.
    Drop,
    /// No matching availability (or the host's policy): keep it, seen.
    Decline,
    /// A repair with too few sources online: drop it and announce it later.
    Retry,
    /// Reserve and download.
    Fill {
        /// Whether this repairs a freed slot (K slots' worth to fetch).
        is_repair: bool,
        /// Bytes to download.
        bytes: u64,
    },
}

impl<'s> Model<'s> {
    /// Builds the fleet of a validated scenario, writing into `sink`.
    pub fn new(cfg: &Scenario, sink: &'s mut dyn Sink) -> Self {
        let seed = cfg.run.seed;
        let total: u32 = cfg.fleet_nodes();
        let mut nodes = Vec::with_capacity(total as usize);
        let mut domains: Vec<Vec<Vec<u32>>> = cfg
            .domain_levels
            .iter()
            .map(|l| vec![Vec::new(); l.count as usize])
            .collect();
        let node_domains = cfg.node_domains();
        let mut index = 0u32;
        for (gi, g) in cfg.node_groups.iter().enumerate() {
            for _ in 0..g.count {
                for (li, &d) in node_domains[index as usize].iter().enumerate() {
                    domains[li][d as usize].push(index);
                }
                nodes.push(Node {
                    group: gi as u32,
                    down_causes: 0,
                    gone: false,
                    quota_bytes: g.quota_bytes,
                    offered_bytes: g.availability_total_bytes,
                    avail_free_bytes: g.availability_total_bytes,
                    avail_duration: g.availability_duration,
                    min_price: g.min_price_per_byte_per_s,
                    collateral_left: g.total_collateral as u128,
                    used_bytes: 0,
                    reserved_bytes: 0,
                    workers: g.slot_queue_workers,
                    workers_busy: 0,
                    work_scheduled: false,
                    sales: Vec::new(),
                    rng: RandomStream::new(seed, StreamId::new("node", index as u64)),
                    // A fill writes what it downloads: the slower of the two.
                    rate_bytes_per_s: g.transfer_rate_bytes_per_s,
                    proof_failure: g.proof_failure_probability,
                    one_slot_per_request: g.one_slot_per_request,
                    filled_count: 0,
                });
                index += 1;
            }
        }
        let fault_streams = cfg
            .faults
            .iter()
            .enumerate()
            .map(|(fi, f)| {
                let targets = match f.target {
                    FaultTarget::Nodes { .. } => total,
                    FaultTarget::Domains { level } => cfg.domain_levels[level].count,
                };
                (0..targets)
                    .map(|t| {
                        RandomStream::new(
                            seed,
                            StreamId::new("fault", ((fi as u64) << 32) | t as u64),
                        )
                    })
                    .collect()
            })
            .collect();
        let queue_sizes: Vec<u32> = nodes
            .iter()
            .map(|n| cfg.node_groups[n.group as usize].slot_queue_size)
            .collect();
        Model {
            horizon: SimTime::ZERO.saturating_add(cfg.run.duration),
            cfg: cfg.clone(),
            sink,
            nodes,
            domains,
            requests: Vec::new(),
            queue_keys: QueueKeys::default(),
            queues: SlotQueues::new(&queue_sizes, seed),
            sales: Vec::new(),
            free_sales: Vec::new(),
            closed_sales: Vec::new(),
            fault_streams,
            workload_rng: RandomStream::new(seed, StreamId::new("workload", 0)),
            repair_rng: RandomStream::new(seed, StreamId::new("repair", 0)),
            proof_count_rng: RandomStream::new(seed, StreamId::new("proof-count", 0)),
            c: Counters::default(),
            random_arrivals: 0,
            next_fixed_arrival: 0,
            provable_weight: 0.0,
            provable_var_weight: 0.0,
            provable_area: 0.0,
            provable_var_area: 0.0,
            provable_since: SimTime::ZERO,
            requests_new: 0,
            requests_started: 0,
            pending_new_bytes: 0,
            exp_waiting: Vec::new(),
            active_filled: 0,
            next_full_check: SimTime::ZERO,
            check_every_event: false,
            current_event: None,
            last_time: SimTime::ZERO,
            net: NetState::new(cfg),
            canary_rounds: BTreeMap::new(),
            canary_next: 0,
            canary_client: None,
            canary_stats: CanaryStats::default(),
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
        let c = &self.c;
        Ok(Summary {
            end_time_s: now.as_secs_f64(),
            events_processed: sim.events_processed(),
            stop_reason: stop_reason.into(),
            totals,
            datasets_created: c.submitted,
            first_data_loss_s: c.first_loss.map(SimTime::as_secs_f64),
            first_contract_failure_s: c.first_failure.map(SimTime::as_secs_f64),
            mean_fill_time_s: (c.fill_time_n > 0).then(|| c.fill_time_sum_s / c.fill_time_n as f64),
            mean_repair_time_s: (c.repair_time_n > 0)
                .then(|| c.repair_time_sum_s / c.repair_time_n as f64),
            collateral_slashed: c.collateral_slashed,
            slashes_of_intact_slots: c.slashes_intact,
            losses_detected: c.losses_detected,
            mean_loss_detection_s: (c.losses_detected > 0)
                .then(|| c.loss_detection_sum_s / c.losses_detected as f64),
            fill_attempts_errored: c.fill_errored,
            network: self.network_summary(),
            canary: self
                .cfg
                .canary
                .as_ref()
                .map(|k| self.canary_stats.summary(&k.nodes)),
        })
    }

    fn invariant(&self, time: SimTime, message: String) -> ModelError {
        ModelError::Invariant {
            seed: self.cfg.run.seed,
            time,
            event: format!("{:?}", self.current_event),
            message,
        }
    }

    // ------------------------------------------------------------ start

    fn start(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        s.schedule_at(SimTime::ZERO, Ev::Sample)?;
        if let Some(c) = &self.cfg.canary {
            let first = SimTime::ZERO.saturating_add(c.start);
            if first < self.horizon {
                s.schedule_at(first, Ev::CanaryRound)?;
            }
        }
        if self.cfg.workload.max_datasets != Some(0) {
            let d = self.draw_interarrival();
            s.schedule_in(d, Ev::Arrival)?;
        }
        self.cfg.workload.arrival_times.sort();
        if let Some(&first) = self.cfg.workload.arrival_times.first() {
            s.schedule_in(first, Ev::FixedArrival)?;
        }
        for fi in 0..self.cfg.faults.len() {
            for t in 0..self.fault_streams[fi].len() {
                if let FaultTarget::Nodes { group: Some(g) } = self.cfg.faults[fi].target {
                    if self.nodes[t].group as usize != g {
                        continue;
                    }
                }
                let start = SimTime::ZERO.saturating_add(self.cfg.faults[fi].start);
                self.schedule_fault_from(s, start, fi as u32, t as u32)?;
            }
        }
        for (i, f) in self.cfg.scheduled_faults.iter().enumerate() {
            s.schedule_in(f.at, Ev::Scheduled { index: i as u32 })?;
        }
        if self.cfg.run.proof_mode == ProofMode::Exact {
            s.schedule_at(SimTime::ZERO.saturating_add(PROOF_DELAY), Ev::PeriodTick)?;
        }
        Ok(())
    }

    fn draw_interarrival(&mut self) -> SimDuration {
        SimDuration::from_secs_f64(
            self.cfg
                .workload
                .interarrival_s
                .sample(&mut self.workload_rng),
        )
    }

    fn schedule_fault(
        &mut self,
        s: &mut Scheduler<Ev>,
        process: u32,
        target: u32,
    ) -> Result<(), Stop> {
        let now = s.now();
        self.schedule_fault_from(s, now, process, target)
    }

    /// Draws a target's next fault: one interval after `from`.
    fn schedule_fault_from(
        &mut self,
        s: &mut Scheduler<Ev>,
        from: SimTime,
        process: u32,
        target: u32,
    ) -> Result<(), Stop> {
        let dist = &self.cfg.faults[process as usize].interval_s;
        let d = dist.sample(&mut self.fault_streams[process as usize][target as usize]);
        let at = from.saturating_add(SimDuration::from_secs_f64(d));
        if at <= self.horizon {
            s.schedule_at(at, Ev::FaultFire { process, target })?;
        }
        Ok(())
    }

    fn draw_fault_duration(&mut self, process: u32, target: u32) -> SimDuration {
        let dist: &Dist = &self.cfg.faults[process as usize].duration_s;
        SimDuration::from_secs_f64(
            dist.sample(&mut self.fault_streams[process as usize][target as usize]),
        )
    }

    // ------------------------------------------------------------ tracing

    fn trace(
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
                dataset: request,
                bytes,
            });
        }
    }

    // ------------------------------------------------------------ proofs

    fn period(&self) -> SimDuration {
        self.cfg.marketplace.proof_period
    }

    fn period_of(&self, t: SimTime) -> u64 {
        t.as_nanos() / self.period().as_nanos()
    }

    fn period_start(&self, p: u64) -> SimTime {
        SimTime::from_nanos(p.saturating_mul(self.period().as_nanos()))
    }

    fn accumulate_provable(&mut self, now: SimTime) {
        let dt = now.saturating_since(self.provable_since).as_nanos() as f64;
        self.provable_area += self.provable_weight * dt;
        self.provable_var_area += self.provable_var_weight * dt;
        self.provable_since = now;
    }

    /// Recomputes whether a sale's host can prove, keeps the provable-weight
    /// integral, and (aggregated mode) restarts its miss process when needed.
    fn refresh_sale(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let now = s.now();
        let sl = &self.sales[sale as usize];
        let on_contract = matches!(sl.state, SaleState::Filled | SaleState::Zombie);
        let node = &self.nodes[sl.node as usize];
        let can = on_contract && node.up() && sl.stored_bytes > 0 && sl.state == SaleState::Filled;
        // Proofs required and submitted: those that fail while up count as
        // missed, when the validator marks them.
        let p = sl.proof_p * (1.0 - node.proof_failure);
        if can != sl.provable {
            self.accumulate_provable(now);
            let sign = if can { 1.0 } else { -1.0 };
            self.provable_weight += sign * p;
            self.provable_var_weight += sign * p * (1.0 - p);
            self.sales[sale as usize].provable = can;
        }
        // Misses are geometric, hence memoryless: a draw made under the same
        // regime stays valid, so the process restarts only when it changes.
        let regime = on_contract.then_some(can);
        if self.cfg.run.proof_mode == ProofMode::Aggregated
            && regime != self.sales[sale as usize].miss_regime
        {
            self.sales[sale as usize].miss_regime = regime;
            self.restart_miss(s, sale, on_contract)?;
        }
        Ok(())
    }

    /// Aggregated mode: cancels the uncommitted pending miss and draws the
    /// next one under the sale's current state.
    fn restart_miss(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        on_contract: bool,
    ) -> Result<(), Stop> {
        let now = s.now();
        if let Some((id, p)) = self.sales[sale as usize].pending_miss {
            // A miss whose submission instant has passed is committed.
            if self.period_start(p).saturating_add(PROOF_DELAY) >= now {
                s.cancel(id);
            }
            self.sales[sale as usize].pending_miss = None;
        }
        if !on_contract {
            return Ok(());
        }
        let first = {
            let t = now.as_nanos().saturating_sub(PROOF_DELAY.as_nanos());
            let pl = self.period().as_nanos();
            let ceil = t.div_ceil(pl);
            // The submission instant of period `ceil` is at or after now.
            let ceil = if self.period_start(ceil).saturating_add(PROOF_DELAY) < now {
                ceil + 1
            } else {
                ceil
            };
            ceil.max(self.sales[sale as usize].fill_period + 1)
        };
        self.schedule_next_miss(s, sale, first)
    }

    fn miss_probability(&self, sale: u32) -> f64 {
        let sl = &self.sales[sale as usize];
        let p = sl.proof_p;
        if sl.provable {
            p * self.nodes[sl.node as usize].proof_failure
        } else {
            p
        }
    }

    fn schedule_next_miss(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        first_period: u64,
    ) -> Result<(), Stop> {
        let pi = self.miss_probability(sale);
        if pi <= 0.0 {
            return Ok(());
        }
        let node = self.sales[sale as usize].node as usize;
        let g = geometric(&mut self.nodes[node].rng, pi);
        let p = first_period.saturating_add(g);
        let mark = self
            .period_start(p.saturating_add(1))
            .saturating_add(VALIDATOR_DELAY);
        if mark > self.horizon.saturating_add(self.period()) {
            return Ok(());
        }
        let generation = self.sales[sale as usize].generation;
        let id = s.schedule_at(
            mark,
            Ev::Missed {
                sale,
                generation,
                chain: true,
            },
        )?;
        self.sales[sale as usize].pending_miss = Some((id, p));
        Ok(())
    }

    fn on_missed(
        &mut self,
        s: &mut Scheduler<Ev>,
        id: EventId,
        sale: u32,
        chain: bool,
    ) -> Result<(), Stop> {
        let now = s.now();
        let (req, slot, state) = {
            let sl = &self.sales[sale as usize];
            (sl.request, sl.slot, sl.state)
        };
        if state == SaleState::Done {
            // Stale: the sale ended (in this event, or its id is not reused yet).
            debug_assert!(self.sales[sale as usize].pending_miss.is_none());
            return Ok(());
        }
        let is_head = chain && self.sales[sale as usize].pending_miss.map(|(i, _)| i) == Some(id);
        let period = self.sales[sale as usize].pending_miss.map(|(_, p)| p);
        if is_head {
            self.sales[sale as usize].pending_miss = None;
        }
        let r = &self.requests[req as usize];
        if !r.active() || r.slots[slot as usize].host_sale != Some(sale) {
            return Ok(());
        }
        debug_assert!(matches!(state, SaleState::Filled | SaleState::Zombie));
        self.c.proofs_missed += 1;
        self.c.proofs_required += 1;
        self.c.slashes += 1;
        if state == SaleState::Filled {
            // The host still holds the data: offline, or its proof failed.
            self.c.slashes_intact += 1;
        }
        let mp = &self.cfg.marketplace;
        let slash = r.collateral_per_slot * mp.slash_percentage as u128 / 100;
        self.c.collateral_slashed += slash;
        let node = self.sales[sale as usize].node;
        self.trace(
            now,
            TraceKind::ProofMissed,
            Some(node),
            Some(req),
            Some(slot),
            None,
        );
        let max = self.cfg.marketplace.max_number_of_slashes;
        let missed = {
            let sl = &mut self.requests[req as usize].slots[slot as usize];
            sl.missed += 1;
            sl.missed
        };
        if missed >= max {
            self.free_slot(s, req, slot)?;
        } else if is_head {
            if let Some(p) = period {
                self.schedule_next_miss(s, sale, p + 1)?;
            }
        }
        Ok(())
    }

    fn on_period_tick(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let now = s.now();
        let p = self.period_of(now);
        let mark = self.period_start(p + 1).saturating_add(VALIDATOR_DELAY);
        for n in 0..self.nodes.len() {
            for i in 0..self.nodes[n].sales.len() {
                let sale = self.nodes[n].sales[i];
                let sl = &self.sales[sale as usize];
                if !matches!(sl.state, SaleState::Filled | SaleState::Zombie) || sl.fill_period >= p
                {
                    continue;
                }
                let proof = self.requests[sl.request as usize].proof;
                let provable = sl.provable;
                let node = &mut self.nodes[n];
                if !node.rng.chance(proof.num, proof.den) {
                    continue;
                }
                let failed = !provable
                    || (node.proof_failure > 0.0 && node.rng.bernoulli(node.proof_failure));
                if failed {
                    let generation = self.sales[sale as usize].generation;
                    s.schedule_at(
                        mark,
                        Ev::Missed {
                            sale,
                            generation,
                            chain: false,
                        },
                    )?;
                } else {
                    self.c.proofs_required += 1;
                }
            }
        }
        let next = self.period_start(p + 1).saturating_add(PROOF_DELAY);
        if next <= self.horizon {
            s.schedule_at(next, Ev::PeriodTick)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ workload

    fn fleet_committed_bytes(&self) -> (u64, u64) {
        let mut quota = 0u64;
        let mut committed = 0u64;
        for n in &self.nodes {
            if !n.gone {
                quota += n.quota_bytes;
                committed += n.used_bytes + n.reserved_bytes;
            }
        }
        (quota, committed + self.pending_new_bytes)
    }

    fn on_arrival(&mut self, s: &mut Scheduler<Ev>, fixed: bool) -> Result<(), Stop> {
        let w = &self.cfg.workload;
        if fixed {
            let i = self.next_fixed_arrival;
            self.next_fixed_arrival += 1;
            if let Some(&next) = self.cfg.workload.arrival_times.get(i + 1) {
                s.schedule_at(SimTime::ZERO.saturating_add(next), Ev::FixedArrival)?;
            }
            return self.create_request(s);
        }
        let limit = w.max_datasets;
        let target = w.target_utilisation;
        if limit.is_none_or(|l| self.random_arrivals < l) {
            let d = self.draw_interarrival();
            let next = s.now().saturating_add(d);
            if next <= self.horizon {
                s.schedule_at(next, Ev::Arrival)?;
            }
        }
        let (quota, committed) = self.fleet_committed_bytes();
        if (committed as f64) >= target * quota as f64 {
            return Ok(());
        }
        self.random_arrivals += 1;
        self.create_request(s)
    }

    fn create_request(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let now = s.now();
        let w = &self.cfg.workload;
        let bytes = w
            .dataset_bytes
            .sample(&mut self.workload_rng)
            .round()
            .max(1.0) as u64;
        let k = w.nodes - w.tolerance;
        let layout = Layout::new(bytes, k, w.tolerance);
        let slots = layout.slots();
        let collateral_per_slot = w.collateral_per_byte as u128 * layout.slot_size_bytes as u128;
        let profitability = w.duration.as_secs() as u128
            * w.price_per_byte_per_s as u128
            * layout.slot_size_bytes as u128;
        let id = self.requests.len() as u32;
        let expiry_ns = now.saturating_add(w.expiry).as_nanos();
        let reward = self.cfg.marketplace.repair_reward_percentage as u128;
        self.queue_keys.0.push([
            SlotKey::new(profitability, collateral_per_slot, expiry_ns),
            SlotKey::new(
                profitability,
                collateral_per_slot * (100 - reward) / 100,
                expiry_ns,
            ),
        ]);
        self.requests.push(Request {
            layout,
            dataset_bytes: bytes,
            created: now,
            end_at: now.saturating_add(w.duration),
            state: ReqState::New,
            slots: vec![Slot::default(); slots as usize],
            filled: 0,
            collateral_per_slot,
            proof: ProofRequirement::new(w.proof_probability, self.cfg.marketplace.downtime_blocks),
            client_has_data: true,
            sales: Vec::new(),
            holders: vec![0; slots as usize],
            alive_indices: 0,
            lost: false,
            repairs_active: 0,
            deferred: Vec::new(),
            repairs_waiting: VecDeque::new(),
            ever_started: false,
        });
        let client = self.net.topo.add_client(&mut self.net.flows);
        debug_assert_eq!(self.net.clients.len(), id as usize);
        self.net.clients.push(client);
        self.c.submitted += 1;
        self.requests_new += 1;
        self.pending_new_bytes += layout.slot_size_bytes * slots as u64;
        let expiry = w.expiry;
        self.trace(
            now,
            TraceKind::RequestCreated,
            None,
            Some(id),
            None,
            Some(bytes),
        );
        s.schedule_at(now.saturating_add(expiry), Ev::Expiry { request: id })?;
        let end = self.requests[id as usize].end_at;
        s.schedule_at(end, Ev::End { request: id })?;
        let slot_list: Vec<u32> = (0..slots).collect();
        self.announce(s, id, &slot_list, false)
    }

    /// SlotFilled or SlotReservationsFull: every queue drops the slot.
    fn unqueue_slot(&mut self, req: u32, slot: u32) {
        let repair = self.requests[req as usize].slots[slot as usize].announced_repair;
        self.queues.remove_slot(req, slot, repair, &self.queue_keys);
    }

    /// The request started, failed, finished or was cancelled: every queue
    /// drops its slots.
    fn unqueue_request(&mut self, req: u32) {
        self.queues.remove_request(req, &self.queue_keys);
    }

    /// Pushes slots into the queue of every online node (StorageRequested or
    /// SlotFreed), each node in its own random order.
    fn announce(
        &mut self,
        s: &mut Scheduler<Ev>,
        request: u32,
        slots: &[u32],
        repair: bool,
    ) -> Result<(), Stop> {
        let r = &mut self.requests[request as usize];
        for &slot in slots {
            r.slots[slot as usize].announced_repair = repair;
        }
        let mut receivers = vec![0u64; self.nodes.len().div_ceil(64).max(1)];
        for (n, node) in self.nodes.iter().enumerate() {
            if node.up() {
                receivers[n / 64] |= 1 << (n % 64);
            }
        }
        self.queues
            .announce(request, slots, repair, &receivers, &self.queue_keys);
        for n in 0..self.nodes.len() {
            if self.nodes[n].up() {
                self.kick(s, n as u32)?;
            }
        }
        Ok(())
    }

    /// The collateral a host puts up for a queue item: reduced by the repair
    /// reward when the slot was announced as freed.
    fn item_collateral(&self, item: &QueueItem) -> u128 {
        self.queue_keys.key(item.request, item.repair).collateral
    }

    /// A uniform delay in [0, block period): when a transaction is mined.
    fn tx_delay(&mut self, node: u32) -> SimDuration {
        let block = self.cfg.marketplace.block_period.as_nanos();
        if block == 0 {
            return SimDuration::ZERO;
        }
        SimDuration::from_nanos(self.nodes[node as usize].rng.below(block))
    }

    /// Wakes the node's workers if they have something to do. They act after
    /// a transaction delay, so that which host reserves first is random, as
    /// on the chain.
    fn kick(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let n = &self.nodes[node as usize];
        if n.up()
            && !n.work_scheduled
            && n.workers_busy < n.workers
            && !self.queues.is_empty(node)
            && !self.queues.paused(node)
        {
            let d = self.tx_delay(node);
            self.nodes[node as usize].work_scheduled = true;
            s.schedule_in(d, Ev::Work { node })?;
        }
        Ok(())
    }

    fn on_work(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        self.nodes[node as usize].work_scheduled = false;
        loop {
            let n = &self.nodes[node as usize];
            if !n.up() || n.workers_busy >= n.workers {
                return Ok(());
            }
            let Some(pos) = self.queues.next_unseen(node) else {
                return Ok(());
            };
            let item = self.queues.get(pos);
            match self.decide(s.now(), node, &item) {
                Decision::Decline => {
                    // Ignored: pushed back as seen, tried again when the
                    // availability gets bytes back.
                    self.queues.mark_seen(node, pos);
                }
                Decision::Drop => {
                    self.queues.take(node, pos);
                }
                Decision::Retry => {
                    self.queues.take(node, pos);
                    // Not enough sources online now: announce it again later.
                    let retry = self.period().saturating_mul(10);
                    self.schedule_retry(s, item.request, item.slot, retry)?;
                }
                Decision::Fill { is_repair, bytes } => {
                    self.queues.take(node, pos);
                    self.start_fill(s, node, &item, is_repair, bytes)?;
                }
            }
        }
    }

    /// Sales' Preparing state: what the host does with one queue item. Reads
    /// the state only.
    fn decide(&self, now: SimTime, node: u32, item: &QueueItem) -> Decision {
        let (req, slot) = (item.request, item.slot);
        let r = &self.requests[req as usize];
        let sl = &r.slots[slot as usize];
        let max_res = self.cfg.marketplace.max_reservations_per_slot as usize;
        if !r.active()
            || r.lost
            || sl.host_sale.is_some()
            || sl.reservations.len() >= max_res
            || sl.reservations.contains(&node)
        {
            return Decision::Drop;
        }
        let n = &self.nodes[node as usize];
        if n.one_slot_per_request
            && r.sales.iter().any(|&x| {
                let sx = &self.sales[x as usize];
                sx.node == node && sx.state != SaleState::Done
            })
        {
            // Declined for now; it may take it if its own attempt fails.
            return Decision::Decline;
        }
        let slot_size = r.layout.slot_size_bytes;
        let duration = r.end_at.saturating_since(now);
        let price = self.cfg.workload.price_per_byte_per_s;
        if slot_size > n.avail_free_bytes
            || n.used_bytes + n.reserved_bytes + slot_size > n.quota_bytes
            || duration > n.avail_duration
            || self.item_collateral(item) > n.collateral_left
            || price < n.min_price
        {
            return Decision::Decline;
        }
        let is_repair = sl.freed_at.is_some() && !r.client_has_data;
        // Where the data comes from: the client, or K slots' worth from holders.
        if is_repair {
            if self.online_source_indices(req) < r.layout.k {
                return Decision::Retry;
            }
            Decision::Fill {
                is_repair,
                bytes: r.layout.repair_bytes(),
            }
        } else {
            Decision::Fill {
                is_repair,
                bytes: r.layout.slot_data_bytes,
            }
        }
    }

    /// Sales' SlotReserving and Downloading states.
    fn start_fill(
        &mut self,
        s: &mut Scheduler<Ev>,
        node: u32,
        item: &QueueItem,
        is_repair: bool,
        bytes: u64,
    ) -> Result<(), Stop> {
        let now = s.now();
        let (req, slot) = (item.request, item.slot);
        let max_res = self.cfg.marketplace.max_reservations_per_slot as usize;
        let full = {
            let sl = &mut self.requests[req as usize].slots[slot as usize];
            sl.reservations.push(node);
            sl.reservations.len() >= max_res
        };
        if full {
            self.trace(
                now,
                TraceKind::SlotReservationsFull,
                None,
                Some(req),
                Some(slot),
                None,
            );
            self.unqueue_slot(req, slot);
        }
        let collateral = self.item_collateral(item);
        let sale = self.open_sale(node, req, slot, collateral, false);
        if is_repair {
            self.c.repair_bytes += bytes;
        } else {
            self.c.fill_bytes += bytes;
        }
        // The data comes over the network: from the client, or K slots'
        // worth from holders of K other slot indices, in parallel.
        let cap = self.nodes[node as usize].rate_bytes_per_s as f64;
        let (kind, parts) = if is_repair {
            let k = self.requests[req as usize].layout.k as u64;
            // Sources are chosen when the parts start.
            let parts = (0..k)
                .map(|i| {
                    Part::new(
                        Endpoint::Host(node),
                        u32::MAX,
                        bytes / k + u64::from(i < bytes % k),
                    )
                })
                .collect();
            (TransferKind::Repair { sale }, parts)
        } else {
            let part = Part::new(self.net.clients[req as usize], slot, bytes);
            (TransferKind::Fill { sale }, vec![part])
        };
        let t = self
            .net
            .new_transfer(kind, Endpoint::Host(node), now, cap, parts);
        self.sales[sale as usize].transfer = Some(t);
        self.begin_transfer(s, t)
    }

    // ------------------------------------------------------------ network

    /// Arms a new transfer's timeout and starts its parts.
    fn begin_transfer(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        self.start_parts(s, t)?;
        if (self.cfg.network.sharing == SharingMode::MaxMin)
            || self.net.transfers[t as usize].retry.is_some()
        {
            return self.ensure_timeout(s, t);
        }
        // Unshared rates never change: a transfer whose parts all run and
        // end in time needs no timeout event (one is armed if a part has to
        // wait later).
        let now = s.now();
        let tr = &self.net.transfers[t as usize];
        let mut end = now;
        for p in &tr.parts {
            if let Some(f) = p.flow {
                let rate = self.net.flows.rate(f);
                let left = self.net.flows.remaining_bytes(f, now.as_nanos());
                let secs = if rate > 0.0 {
                    left / rate
                } else {
                    f64::INFINITY
                };
                if !secs.is_finite() || secs > 1e9 {
                    return self.ensure_timeout(s, t);
                }
                end = end.max(now.saturating_add(SimDuration::from_secs_f64(secs)));
            }
        }
        let took_ns = end.saturating_since(tr.started).as_nanos();
        if took_ns.saturating_add(1_000_000_000) < self.transfer_timeout(t).as_nanos() {
            Ok(())
        } else {
            self.ensure_timeout(s, t)
        }
    }

    fn transfer_timeout(&self, t: u32) -> SimDuration {
        match self.net.transfers[t as usize].kind {
            TransferKind::CanaryUp { .. } | TransferKind::CanaryDown { .. } => {
                self.cfg
                    .canary
                    .as_ref()
                    .expect("canary transfers need [canary]")
                    .timeout
            }
            _ => self.cfg.network.transfer_timeout,
        }
    }

    /// Arms the transfer's timeout (at its start + the timeout) unless armed.
    fn ensure_timeout(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        if self.net.transfers[t as usize].timeout.is_some() {
            return Ok(());
        }
        let now = s.now();
        let generation = self.net.transfers[t as usize].generation;
        let at = self.net.transfers[t as usize]
            .started
            .saturating_add(self.transfer_timeout(t))
            .max(now);
        let e = s.schedule_at(
            at,
            Ev::TransferTimeout {
                transfer: t,
                generation,
            },
        )?;
        self.net.transfers[t as usize].timeout = Some(e);
        Ok(())
    }

    /// Starts every part that has no flow and is not done, choosing repair
    /// sources; parts without a source wait for a retry.
    fn start_parts(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let now = s.now();
        let n_parts = self.net.transfers[t as usize].parts.len();
        let mut waiting = false;
        for p in 0..n_parts {
            let part = &self.net.transfers[t as usize].parts[p];
            if part.done || part.flow.is_some() {
                continue;
            }
            if let TransferKind::Repair { sale } = self.net.transfers[t as usize].kind {
                match self.repair_source(t, sale) {
                    Some((src, index)) => {
                        let part = &mut self.net.transfers[t as usize].parts[p];
                        part.src = src;
                        part.index = index;
                    }
                    None => {
                        waiting = true;
                        continue;
                    }
                }
            }
            let tr = &self.net.transfers[t as usize];
            let (src, dst, left, cap) = (
                tr.parts[p].src,
                tr.dst,
                tr.parts[p].left,
                tr.cap_bytes_per_s,
            );
            let purpose = tr.kind.purpose();
            let is_fill = matches!(tr.kind, TransferKind::Fill { .. });
            let net = &mut self.net;
            let latency_ns = net.topo.path_into(src, dst, &mut net.path);
            if is_fill {
                net.path.push(net.client_uploads);
            }
            let (flow, changes) = net
                .flows
                .start(now.as_nanos(), &net.path, cap, left, purpose);
            let slot = flow.index as usize;
            if self.net.flow_part.len() <= slot {
                self.net.flow_part.resize(slot + 1, (0, 0));
            }
            self.net.flow_part[slot] = (t, p as u32);
            let part = &mut self.net.transfers[t as usize].parts[p];
            part.flow = Some(flow);
            part.latency_ns = part.latency_ns.max(latency_ns);
            self.apply_rates(s, changes)?;
        }
        if waiting {
            self.ensure_timeout(s, t)?;
        } else if !(self.cfg.network.sharing == SharingMode::MaxMin) {
            self.schedule_unshared_end(s, t)?;
        }
        if waiting && self.net.transfers[t as usize].retry.is_none() {
            let generation = self.net.transfers[t as usize].generation;
            let e = s.schedule_at(
                now.saturating_add(self.cfg.network.retry_interval),
                Ev::TransferRetry {
                    transfer: t,
                    generation,
                },
            )?;
            self.net.transfers[t as usize].retry = Some(e);
        }
        Ok(())
    }

    /// Unshared fills and repairs: every part runs at a fixed rate, so the
    /// transfer's end (its last part's end plus the latency) is known; the
    /// fill's FillReady is scheduled at once for the period boundary after
    /// it, and the transfer is settled then.
    fn schedule_unshared_end(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let tr = &self.net.transfers[t as usize];
        let sale = match tr.kind {
            TransferKind::Fill { sale } | TransferKind::Repair { sale } => sale,
            _ => return Ok(()),
        };
        let mut end_ns = 0u64;
        let mut latency = 0u64;
        for p in &tr.parts {
            latency = latency.max(p.latency_ns);
            match (p.flow, p.finish_ns) {
                (Some(_), Some(f)) => end_ns = end_ns.max(f),
                (Some(_), None) => return Ok(()), // not rated yet
                (None, _) if p.done => {}
                (None, _) => return Ok(()), // waiting for a source
            }
        }
        if end_ns == u64::MAX {
            return Ok(()); // stalled: the timeout decides
        }
        if let Some((e, _)) = self.net.transfers[t as usize].fill_ready.take() {
            s.cancel(e);
        }
        let end = SimTime::from_nanos(end_ns.saturating_add(latency));
        let generation = self.sales[sale as usize].generation;
        let e = s.schedule_at(
            self.fill_ready_at(sale, end),
            Ev::FillReady { sale, generation },
        )?;
        self.net.transfers[t as usize].fill_ready = Some((e, end));
        Ok(())
    }

    /// When a sale whose download ended at `end` sends fillSlot: the initial
    /// proof waits for the next period boundary; fillSlot goes with it and is
    /// mined within a block.
    fn fill_ready_at(&mut self, sale: u32, end: SimTime) -> SimTime {
        let node = self.sales[sale as usize].node;
        self.period_start(self.period_of(end) + 1)
            .saturating_add(self.tx_delay(node))
    }

    /// Settles an unshared transfer whose FillReady came: its flows have
    /// moved everything; it ended at the time stored with the event.
    fn settle_unshared(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let now = s.now();
        let (kind, started, end) = {
            let tr = &mut self.net.transfers[t as usize];
            let (_, end) = tr.fill_ready.take().expect("settled at its FillReady");
            (tr.kind, tr.started, end)
        };
        let n_parts = self.net.transfers[t as usize].parts.len();
        for p in 0..n_parts {
            if let Some(flow) = self.net.transfers[t as usize].parts[p].flow.take() {
                let changes = self.net.flows.finish(now.as_nanos(), flow);
                debug_assert!(changes.is_empty(), "unshared flows change nobody's rate");
            }
            self.net.transfers[t as usize].parts[p].done = true;
        }
        self.net
            .record_duration(kind, end.saturating_since(started).as_secs_f64());
        if let TransferKind::Fill { sale } | TransferKind::Repair { sale } = kind {
            self.sales[sale as usize].transfer = None;
        }
        self.abort_transfer(s, t)
    }

    /// A source for one more part of a repair: a slot index that no other
    /// unfinished part reads, with a holder online (the repairing host itself
    /// reads locally). Chosen at random among those.
    fn repair_source(&mut self, t: u32, sale: u32) -> Option<(Endpoint, u32)> {
        let (req, node) = {
            let x = &self.sales[sale as usize];
            (x.request, x.node)
        };
        let tr = &self.net.transfers[t as usize];
        let used: Vec<u32> = tr
            .parts
            .iter()
            .filter(|p| p.flow.is_some() || p.done)
            .map(|p| p.index)
            .collect();
        let r = &self.requests[req as usize];
        // Per slot index, its first online holder.
        let mut holder: Vec<Option<u32>> = vec![None; r.slots.len()];
        for &x in &r.sales {
            let sx = &self.sales[x as usize];
            if sx.stored_bytes > 0
                && self.nodes[sx.node as usize].up()
                && holder[sx.slot as usize].is_none()
                && !used.contains(&sx.slot)
            {
                holder[sx.slot as usize] = Some(sx.node);
            }
        }
        let candidates: Vec<(u32, u32)> = holder
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.map(|h| (i as u32, h)))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let pick = self.nodes[node as usize].rng.below(candidates.len() as u64) as usize;
        let (index, host) = candidates[pick];
        Some((Endpoint::Host(host), index))
    }

    /// Reschedules the finish events of flows whose rate changed (with
    /// max-min sharing, the network keeps them: the one next-end event is
    /// set again).
    fn apply_rates(&mut self, s: &mut Scheduler<Ev>, changes: Vec<RateChange>) -> Result<(), Stop> {
        let now = s.now();
        if self.cfg.network.sharing == SharingMode::MaxMin {
            return self.net_sync(s);
        }
        for ch in changes {
            let (t, p) = self.net.flow_part[ch.flow.index as usize];
            let unshared_fill = !(self.cfg.network.sharing == SharingMode::MaxMin)
                && matches!(
                    self.net.transfers[t as usize].kind,
                    TransferKind::Fill { .. } | TransferKind::Repair { .. }
                );
            let part = &mut self.net.transfers[t as usize].parts[p as usize];
            debug_assert_eq!(part.flow, Some(ch.flow));
            if let Some(e) = part.event.take() {
                s.cancel(e);
            }
            if unshared_fill {
                // Its rate is fixed: the transfer's end is scheduled whole
                // (see `schedule_unshared_end`).
                part.finish_ns = Some(ch.finish_ns.unwrap_or(u64::MAX));
                continue;
            }
            if let Some(finish) = ch.finish_ns {
                let at = SimTime::from_nanos(finish).max(now);
                part.event = Some(s.schedule_at(
                    at,
                    Ev::FlowDone {
                        flow: ch.flow.index,
                        generation: ch.flow.generation,
                    },
                )?);
            }
        }
        Ok(())
    }

    /// Max-min sharing: after a change, a NetFlush for this instant when
    /// changes are deferred, else the next-end event at the network's next
    /// flow end.
    fn net_sync(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        if self.net.draining {
            return Ok(());
        }
        if self.net.flows.has_pending() {
            if !self.net.flush_scheduled {
                s.schedule_at(s.now(), Ev::NetFlush)?;
                self.net.flush_scheduled = true;
            }
            return Ok(());
        }
        let next = self.net.flows.next_finish().map(|(f, _)| f);
        if self.net.next_event.map(|(_, f)| f) == next {
            return Ok(());
        }
        if let Some((e, _)) = self.net.next_event.take() {
            s.cancel(e);
        }
        if let Some(f) = next {
            let at = SimTime::from_nanos(f).max(s.now());
            self.net.next_event = Some((s.schedule_at(at, Ev::NetNext)?, f));
        }
        Ok(())
    }

    /// Max-min sharing: every flow whose end is due now ends, in the order
    /// of `FlowNet::next_finish`.
    fn on_net_next(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        self.net.next_event = None;
        let now = s.now().as_nanos();
        self.net.draining = true;
        while let Some((f, flow)) = self.net.flows.next_finish() {
            if f > now {
                break;
            }
            if let Err(e) = self.on_flow_done(s, flow) {
                self.net.draining = false;
                return Err(e);
            }
        }
        self.net.draining = false;
        self.net_sync(s)
    }

    fn on_net_flush(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        self.net.flush_scheduled = false;
        let changes = self.net.flows.flush(s.now().as_nanos());
        self.apply_rates(s, changes)
    }

    fn on_flow_done(&mut self, s: &mut Scheduler<Ev>, flow: FlowId) -> Result<(), Stop> {
        if !self.net.flows.is_active(flow) {
            return Ok(());
        }
        let now = s.now();
        let (t, p) = self.net.flow_part[flow.index as usize];
        let changes = self.net.flows.finish(now.as_nanos(), flow);
        let tr = &mut self.net.transfers[t as usize];
        let part = &mut tr.parts[p as usize];
        part.flow = None;
        part.event = None;
        part.left = 0;
        part.done = true;
        let all_done = tr.parts.iter().all(|p| p.done);
        let latency = tr.parts.iter().map(|p| p.latency_ns).max().unwrap_or(0);
        let generation = tr.generation;
        self.apply_rates(s, changes)?;
        if all_done {
            if let TransferKind::Fill { .. } | TransferKind::Repair { .. } =
                self.net.transfers[t as usize].kind
            {
                // The last byte arrives after the latency; nothing else
                // happens before the fill's period boundary.
                let arrive = now.saturating_add(SimDuration::from_nanos(latency));
                return self.finish_transfer(s, t, arrive);
            }
            s.schedule_at(
                now.saturating_add(SimDuration::from_nanos(latency)),
                Ev::TransferDone {
                    transfer: t,
                    generation,
                },
            )?;
        }
        Ok(())
    }

    /// Stops a transfer's flows and frees it.
    fn abort_transfer(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let now = s.now();
        let n_parts = self.net.transfers[t as usize].parts.len();
        for p in 0..n_parts {
            let part = &mut self.net.transfers[t as usize].parts[p];
            if let Some(e) = part.event.take() {
                s.cancel(e);
            }
            if let Some(flow) = part.flow.take() {
                let (_, changes) = self.net.flows.abort(now.as_nanos(), flow);
                self.apply_rates(s, changes)?;
            }
        }
        let tr = &mut self.net.transfers[t as usize];
        let fill_ready = tr.fill_ready.take().map(|(e, _)| e);
        for e in [tr.timeout.take(), tr.retry.take(), fill_ready]
            .into_iter()
            .flatten()
        {
            s.cancel(e);
        }
        self.net.release(t);
        Ok(())
    }

    /// A host went offline (or lost its disk): transfers to it stop (the
    /// model's handlers close their sales or canary rounds); parts reading
    /// from it keep what they moved and look for another source.
    fn net_node_down(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let now = s.now();
        let host = Endpoint::Host(node);
        for t in self.net.live() {
            let (kind, dst) = {
                let tr = &self.net.transfers[t as usize];
                (tr.kind, tr.dst)
            };
            match kind {
                TransferKind::CanaryUp { round } | TransferKind::CanaryDown { round } => {
                    let tr = &self.net.transfers[t as usize];
                    let src_down = tr.parts.iter().any(|p| p.src == host && !p.done);
                    if dst == host || src_down {
                        self.abort_transfer(s, t)?;
                        self.canary_finish(round, CanaryOutcome::NodeDown, None);
                    }
                }
                TransferKind::Fill { .. } | TransferKind::Repair { .. } => {
                    if dst == host {
                        continue; // its sale is aborted by went_offline
                    }
                    let n_parts = self.net.transfers[t as usize].parts.len();
                    let mut lost_source = false;
                    for p in 0..n_parts {
                        let part = &mut self.net.transfers[t as usize].parts[p];
                        if part.src != host
                            || part.done
                            || part.finish_ns.is_some_and(|f| f <= now.as_nanos())
                        {
                            continue;
                        }
                        part.finish_ns = None;
                        if let Some(e) = part.event.take() {
                            s.cancel(e);
                        }
                        if let Some(flow) = part.flow.take() {
                            let (moved, changes) = self.net.flows.abort(now.as_nanos(), flow);
                            let part = &mut self.net.transfers[t as usize].parts[p];
                            part.left -= moved.min(part.left);
                            self.apply_rates(s, changes)?;
                            lost_source = true;
                        }
                    }
                    if lost_source {
                        if let Some((e, _)) = self.net.transfers[t as usize].fill_ready.take() {
                            s.cancel(e);
                        }
                        self.start_parts(s, t)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn on_transfer_retry(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        self.net.transfers[t as usize].retry = None;
        self.start_parts(s, t)
    }

    fn on_transfer_timeout(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        self.net.transfers[t as usize].timeout = None;
        match self.net.transfers[t as usize].kind {
            TransferKind::Fill { sale } | TransferKind::Repair { sale } => {
                self.c.transfer_timeouts += 1;
                // The sale gives up; closing it stops the transfer.
                self.abort_download(s, sale)
            }
            TransferKind::CanaryUp { round } | TransferKind::CanaryDown { round } => {
                self.abort_transfer(s, t)?;
                self.canary_finish(round, CanaryOutcome::Timeout, None);
                Ok(())
            }
        }
    }

    fn on_transfer_done(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let now = s.now();
        self.finish_transfer(s, t, now)
    }

    /// A transfer's last byte arrives at `now` (not before the current
    /// time).
    fn finish_transfer(&mut self, s: &mut Scheduler<Ev>, t: u32, now: SimTime) -> Result<(), Stop> {
        let (kind, started) = {
            let tr = &self.net.transfers[t as usize];
            (tr.kind, tr.started)
        };
        let took_s = now.saturating_since(started).as_secs_f64();
        // Every flow is done: only the timers remain.
        self.abort_transfer(s, t)?;
        match kind {
            TransferKind::Fill { sale } | TransferKind::Repair { sale } => {
                self.net.record_duration(kind, took_s);
                self.sales[sale as usize].transfer = None;
                let generation = self.sales[sale as usize].generation;
                s.schedule_at(
                    self.fill_ready_at(sale, now),
                    Ev::FillReady { sale, generation },
                )?;
            }
            TransferKind::CanaryUp { round } => self.canary_uploaded(s, round, took_s)?,
            TransferKind::CanaryDown { round } => {
                self.canary_finish(round, CanaryOutcome::Ok, Some(took_s))
            }
        }
        Ok(())
    }

    /// Whether a transfer event is current.
    fn transfer_current(&self, t: u32, generation: u32) -> bool {
        self.net
            .transfers
            .get(t as usize)
            .is_some_and(|tr| tr.live && tr.generation == generation)
    }

    // ------------------------------------------------------------ canaries

    fn on_canary_round(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let now = s.now();
        let c = self
            .cfg
            .canary
            .clone()
            .expect("canary rounds need [canary]");
        let next = now.saturating_add(c.interval);
        if next < self.horizon {
            s.schedule_at(next, Ev::CanaryRound)?;
        }
        let round = self.canary_next;
        self.canary_next += 1;
        let k = c.nodes.len() as u32;
        let up = c.nodes[(round % k) as usize];
        let down = c.nodes[((round + 1) % k) as usize];
        self.canary_rounds.insert(
            round,
            CanaryProgress {
                started: now,
                upload_node: up,
                download_node: down,
                upload_s: None,
            },
        );
        if !self.nodes[up as usize].up() {
            self.canary_finish(round, CanaryOutcome::NodeDown, None);
            return Ok(());
        }
        let client = match self.canary_client {
            Some(c) => c,
            None => {
                let c = self.net.topo.add_client(&mut self.net.flows);
                self.canary_client = Some(c);
                c
            }
        };
        self.canary_transfer(s, TransferKind::CanaryUp { round }, client, up)
    }

    /// Starts a canary round's upload or download of the file to `dst`.
    fn canary_transfer(
        &mut self,
        s: &mut Scheduler<Ev>,
        kind: TransferKind,
        src: Endpoint,
        dst: u32,
    ) -> Result<(), Stop> {
        let bytes = self.cfg.canary.as_ref().expect("canary").file_bytes;
        let cap = self.nodes[dst as usize].rate_bytes_per_s as f64;
        let parts = vec![Part::new(src, 0, bytes)];
        let t = self
            .net
            .new_transfer(kind, Endpoint::Host(dst), s.now(), cap, parts);
        self.begin_transfer(s, t)
    }

    fn canary_uploaded(
        &mut self,
        s: &mut Scheduler<Ev>,
        round: u32,
        took_s: f64,
    ) -> Result<(), Stop> {
        let Some(r) = self.canary_rounds.get_mut(&round) else {
            return Ok(());
        };
        r.upload_s = Some(took_s);
        let (up, down) = (r.upload_node, r.download_node);
        if !self.nodes[down as usize].up() || !self.nodes[up as usize].up() {
            self.canary_finish(round, CanaryOutcome::NodeDown, None);
            return Ok(());
        }
        self.canary_transfer(
            s,
            TransferKind::CanaryDown { round },
            Endpoint::Host(up),
            down,
        )
    }

    /// A canary round ends: recorded in the statistics and `canary.csv`.
    fn canary_finish(&mut self, round: u32, outcome: CanaryOutcome, download_s: Option<f64>) {
        let Some(r) = self.canary_rounds.remove(&round) else {
            return;
        };
        let bytes = self.cfg.canary.as_ref().expect("canary").file_bytes;
        let phase_failed = if outcome == CanaryOutcome::Ok {
            None
        } else if r.upload_s.is_none() {
            Some("upload")
        } else {
            Some("download")
        };
        let rec = CanaryRecord {
            time_s: r.started.as_secs_f64(),
            round,
            upload_node: r.upload_node,
            download_node: r.download_node,
            file_bytes: bytes,
            outcome,
            failed_phase: phase_failed.map(str::to_string),
            upload_s: r.upload_s,
            download_s,
        };
        self.canary_stats.record(&rec);
        self.sink.canary(&rec);
    }

    fn online_source_indices(&self, req: u32) -> u32 {
        let r = &self.requests[req as usize];
        // A bit per slot index, on the stack up to 256 slots.
        let words = r.slots.len().div_ceil(64);
        let (mut small, mut large) = ([0u64; 4], Vec::new());
        let seen: &mut [u64] = if words <= small.len() {
            &mut small[..words]
        } else {
            large.resize(words, 0);
            &mut large
        };
        for &x in &r.sales {
            let sx = &self.sales[x as usize];
            if sx.stored_bytes > 0 && self.nodes[sx.node as usize].up() {
                seen[sx.slot as usize / 64] |= 1 << (sx.slot % 64);
            }
        }
        seen.iter().map(|w| w.count_ones()).sum()
    }

    fn set_state(&mut self, sale: u32, new: SaleState) {
        let x = &mut self.sales[sale as usize];
        let old = x.state;
        debug_assert_ne!(old, SaleState::Done, "sale {sale} is over");
        x.state = new;
        let n = &mut self.nodes[x.node as usize];
        if old == SaleState::Filled {
            n.filled_count -= 1;
        }
        if new == SaleState::Filled {
            n.filled_count += 1;
        }
        if new == SaleState::Done {
            self.closed_sales.push(sale);
        }
    }

    /// A request stops being active: its filled slots leave the count.
    fn deactivate(&mut self, req: u32, state: ReqState) {
        let r = &mut self.requests[req as usize];
        debug_assert!(r.active());
        self.active_filled -= r.filled as u64;
        r.state = state;
    }

    /// Reserves bytes and collateral for a new sale in Downloading.
    fn open_sale(
        &mut self,
        node: u32,
        req: u32,
        slot: u32,
        collateral: u128,
        exp_repair: bool,
    ) -> u32 {
        let slot_size = self.requests[req as usize].layout.slot_size_bytes;
        let n = &mut self.nodes[node as usize];
        n.avail_free_bytes -= slot_size;
        n.reserved_bytes += slot_size;
        n.collateral_left -= collateral;
        if !exp_repair {
            n.workers_busy += 1;
        }
        let (id, generation) = match self.free_sales.pop() {
            Some(id) => {
                debug_assert_eq!(self.sales[id as usize].state, SaleState::Done);
                (id, self.sales[id as usize].generation.wrapping_add(1))
            }
            None => (self.sales.len() as u32, 0),
        };
        let node_pos = n.sales.len() as u32;
        n.sales.push(id);
        let sale = Sale {
            generation,
            node,
            node_pos,
            request: req,
            slot,
            state: SaleState::Downloading,
            stored_bytes: 0,
            collateral,
            fill_period: 0,
            provable: false,
            pending_miss: None,
            miss_regime: None,
            exp_repair,
            transfer: None,
            lost_at: SimTime::ZERO,
            proof_p: self.requests[req as usize].proof.p(),
        };
        if id as usize == self.sales.len() {
            self.sales.push(sale);
        } else {
            self.sales[id as usize] = sale;
        }
        self.requests[req as usize].sales.push(id);
        id
    }

    /// Whether a sale holds a reservation in its host's availability.
    fn charged(state: SaleState) -> bool {
        matches!(state, SaleState::Downloading | SaleState::Filled)
    }

    /// Ends a sale: releases its reservation and collateral, drops its data.
    fn close_sale(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        return_collateral: bool,
    ) -> Result<(), Stop> {
        let (node, req, slot, state, stored, collateral) = {
            let x = &self.sales[sale as usize];
            (
                x.node,
                x.request,
                x.slot,
                x.state,
                x.stored_bytes,
                x.collateral,
            )
        };
        if state == SaleState::Done {
            return Ok(());
        }
        let was_downloading = state == SaleState::Downloading;
        if let Some(t) = self.sales[sale as usize].transfer.take() {
            self.abort_transfer(s, t)?;
        }
        let charged = Self::charged(state);
        let mut loss = Ok(());
        if stored > 0 {
            loss = self.drop_data(s, sale);
        }
        if charged {
            self.release_reservation(sale, return_collateral.then_some(collateral));
        }
        self.set_state(sale, SaleState::Done);
        self.refresh_sale(s, sale)?;
        let n = &mut self.nodes[node as usize];
        let i = self.sales[sale as usize].node_pos as usize;
        debug_assert_eq!(n.sales[i], sale);
        n.sales.swap_remove(i);
        if let Some(&moved) = n.sales.get(i) {
            self.sales[moved as usize].node_pos = i as u32;
        }
        let rs = &mut self.requests[req as usize].sales;
        if let Some(i) = rs.iter().position(|&x| x == sale) {
            rs.swap_remove(i);
        }
        if was_downloading && !self.sales[sale as usize].exp_repair {
            n.workers_busy -= 1;
        }
        if was_downloading {
            let sl = &mut self.requests[req as usize].slots[slot as usize];
            sl.reservations.retain(|&h| h != node);
        }
        self.kick(s, node)?;
        loss
    }

    /// Gives a charged sale's bytes back to the availability (and the
    /// collateral, if given). Data it stores stays on disk.
    fn release_reservation(&mut self, sale: u32, collateral: Option<u128>) {
        let x = &self.sales[sale as usize];
        let slot_size = self.requests[x.request as usize].layout.slot_size_bytes;
        let n = &mut self.nodes[x.node as usize];
        n.reserved_bytes -= slot_size - x.stored_bytes;
        n.avail_free_bytes += slot_size;
        if let Some(c) = collateral {
            n.collateral_left += c;
        }
        // The availability got bytes back: seen items are tried again.
        let node = x.node;
        self.queues.clear_seen(node);
    }

    /// The host leaves the slot (freed, or the request failed): its
    /// reservation returns to the availability, its collateral is forfeited,
    /// and the data stays on disk until its TTL, the request's end.
    fn orphan(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        self.release_reservation(sale, None);
        self.sales[sale as usize].collateral = 0;
        self.set_state(sale, SaleState::Orphan);
        self.refresh_sale(s, sale)?;
        let node = self.sales[sale as usize].node;
        self.kick(s, node)
    }

    /// The sale's host no longer stores its data.
    fn drop_data(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let (node, req, slot, stored, state) = {
            let x = &mut self.sales[sale as usize];
            let stored = x.stored_bytes;
            x.stored_bytes = 0;
            (x.node, x.request, x.slot, stored, x.state)
        };
        if stored == 0 {
            return Ok(());
        }
        let n = &mut self.nodes[node as usize];
        n.used_bytes -= stored;
        if Self::charged(state) {
            // The reservation is still held: the bytes go back to reserved.
            n.reserved_bytes += stored;
        }
        let r = &mut self.requests[req as usize];
        r.holders[slot as usize] -= 1;
        if r.holders[slot as usize] == 0 {
            r.alive_indices -= 1;
        }
        self.refresh_sale(s, sale)?;
        self.check_loss(s.now(), req)
    }

    fn check_loss(&mut self, now: SimTime, req: u32) -> Result<(), Stop> {
        let r = &mut self.requests[req as usize];
        if r.lost
            || !r.active()
            || r.client_has_data
            || r.alive_indices >= r.layout.k
            || !r.ever_started
        {
            return Ok(());
        }
        r.lost = true;
        let bytes = r.dataset_bytes;
        self.c.datasets_lost += 1;
        self.c.bytes_lost += bytes;
        self.c.first_loss.get_or_insert(now);
        self.trace(
            now,
            TraceKind::DatasetLost,
            None,
            Some(req),
            None,
            Some(bytes),
        );
        if self.cfg.run.stop_on_data_loss {
            return Err(Stop::DataLoss);
        }
        Ok(())
    }

    fn on_fill_ready(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        if let Some(t) = self.sales[sale as usize].transfer {
            self.settle_unshared(s, t)?;
        }
        let now = s.now();
        let (node, req, slot, state) = {
            let x = &self.sales[sale as usize];
            (x.node, x.request, x.slot, x.state)
        };
        if state != SaleState::Downloading {
            return Ok(()); // aborted meanwhile
        }
        let r = &self.requests[req as usize];
        if !r.active() || r.slots[slot as usize].host_sale.is_some() || r.lost {
            // Errored: another host filled it first, or the request is over.
            self.c.fill_errored += 1;
            return self.close_sale(s, sale, true);
        }
        self.fill(s, sale, now)?;
        // The worker is free again.
        let n = &mut self.nodes[node as usize];
        if !self.sales[sale as usize].exp_repair {
            n.workers_busy -= 1;
        }
        self.kick(s, node)
    }

    fn fill(&mut self, s: &mut Scheduler<Ev>, sale: u32, now: SimTime) -> Result<(), Stop> {
        let (node, req, slot) = {
            let x = &self.sales[sale as usize];
            (x.node, x.request, x.slot)
        };
        let fill_period = self.period_of(now);
        let data = self.requests[req as usize].layout.slot_data_bytes;
        self.set_state(sale, SaleState::Filled);
        {
            let x = &mut self.sales[sale as usize];
            x.stored_bytes = data;
            x.fill_period = fill_period;
        }
        self.active_filled += 1;
        let n = &mut self.nodes[node as usize];
        n.used_bytes += data;
        n.reserved_bytes -= data;
        let r = &mut self.requests[req as usize];
        let sl = &mut r.slots[slot as usize];
        sl.host_sale = Some(sale);
        sl.reservations.clear();
        sl.missed = 0;
        let freed_at = sl.freed_at.take();
        r.filled += 1;
        r.holders[slot as usize] += 1;
        if r.holders[slot as usize] == 1 {
            r.alive_indices += 1;
        }
        self.c.slots_filled += 1;
        if let Some(f) = freed_at {
            self.c.slots_repaired += 1;
            self.c.repair_time_sum_s += now.saturating_since(f).as_secs_f64();
            self.c.repair_time_n += 1;
        }
        self.unqueue_slot(req, slot);
        self.trace(
            now,
            TraceKind::SlotFilled,
            Some(node),
            Some(req),
            Some(slot),
            Some(data),
        );
        let r = &mut self.requests[req as usize];
        if r.state == ReqState::New {
            self.pending_new_bytes -= r.layout.slot_size_bytes;
        }
        if r.state == ReqState::New && r.filled as usize == r.slots.len() {
            r.state = ReqState::Started;
            r.ever_started = true;
            r.client_has_data = self.cfg.workload.client_keeps_data_always;
            let created = r.created;
            self.requests_new -= 1;
            self.requests_started += 1;
            self.c.started += 1;
            self.c.fill_time_sum_s += now.saturating_since(created).as_secs_f64();
            self.c.fill_time_n += 1;
            self.unqueue_request(req);
            self.trace(now, TraceKind::RequestStarted, None, Some(req), None, None);
        }
        self.refresh_sale(s, sale)
    }

    /// The slot leaves its host (validator, or loss noticed at once).
    fn free_slot(&mut self, s: &mut Scheduler<Ev>, req: u32, slot: u32) -> Result<(), Stop> {
        let now = s.now();
        let sale = {
            let sl = &mut self.requests[req as usize].slots[slot as usize];
            let Some(sale) = sl.host_sale.take() else {
                return Ok(());
            };
            sl.missed = 0;
            sl.freed_at = Some(now);
            sl.reservations.clear();
            sale
        };
        let node = self.sales[sale as usize].node;
        self.requests[req as usize].filled -= 1;
        self.active_filled -= 1;
        self.c.slots_freed += 1;
        self.trace(
            now,
            TraceKind::SlotFreed,
            Some(node),
            Some(req),
            Some(slot),
            None,
        );
        match self.sales[sale as usize].state {
            SaleState::Filled => self.orphan(s, sale)?,
            SaleState::Zombie => {
                let lost_at = self.sales[sale as usize].lost_at;
                self.c.loss_detection_sum_s += now.as_secs_f64() - lost_at.as_secs_f64();
                self.c.losses_detected += 1;
                self.close_sale(s, sale, false)?;
            }
            _ => {}
        }
        let r = &self.requests[req as usize];
        if r.state == ReqState::New {
            self.pending_new_bytes += r.layout.slot_size_bytes;
        }
        let max_loss = self.cfg.workload.tolerance;
        if r.state == ReqState::Started && r.slots.len() as u32 - r.filled > max_loss {
            return self.fail_request(s, req);
        }
        if !r.active() {
            return Ok(());
        }
        // Lazy repair of a started dataset: wait until enough of its slots
        // are freed, then repair all of them.
        let lazy = self.cfg.repair.lazy_threshold;
        let r = &mut self.requests[req as usize];
        if r.state == ReqState::Started && (r.slots.len() as u32 - r.filled) < lazy {
            r.deferred.push(slot);
            return Ok(());
        }
        if r.deferred.is_empty() {
            // Eager repair, or nothing waiting: no list to build.
            return self.repair_slots(s, req, &[slot]);
        }
        let mut slots = std::mem::take(&mut r.deferred);
        slots.push(slot);
        self.repair_slots(s, req, &slots)
    }

    /// Offers freed slots for repair: to the slot queues, or to the
    /// exponential repair model.
    fn repair_slots(&mut self, s: &mut Scheduler<Ev>, req: u32, slots: &[u32]) -> Result<(), Stop> {
        match self.cfg.repair.model {
            RepairModel::Market => self.announce(s, req, slots, true),
            RepairModel::Exponential { .. } => {
                for &slot in slots {
                    self.start_exp_repair(s, req, slot)?;
                }
                Ok(())
            }
        }
    }

    fn fail_request(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let now = s.now();
        self.deactivate(req, ReqState::Failed);
        self.requests_started -= 1;
        self.c.failed += 1;
        self.c.first_failure.get_or_insert(now);
        self.trace(now, TraceKind::RequestFailed, None, Some(req), None, None);
        self.unqueue_request(req);
        // Hosts stop: downloads abort; data stays until its TTL (the request end).
        // (The slots' `host_sale` stay as they were until `end_sales`: they may
        // name sales that end, and ids that are reused, so every reader checks
        // that the request is active first.)
        let sales = self.requests[req as usize].sales.clone();
        for sale in sales {
            match self.sales[sale as usize].state {
                SaleState::Downloading => {
                    self.c.fill_errored += 1;
                    self.close_sale(s, sale, true)?
                }
                SaleState::Filled => self.orphan(s, sale)?,
                SaleState::Zombie => self.close_sale(s, sale, false)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn on_expiry(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        if self.requests[req as usize].state != ReqState::New {
            return Ok(());
        }
        let now = s.now();
        self.deactivate(req, ReqState::Cancelled);
        let r = &self.requests[req as usize];
        let unfilled = r.slots.len() as u64 - r.filled as u64;
        self.pending_new_bytes -= unfilled * r.layout.slot_size_bytes;
        self.requests_new -= 1;
        self.c.cancelled += 1;
        self.trace(
            now,
            TraceKind::RequestCancelled,
            None,
            Some(req),
            None,
            None,
        );
        self.unqueue_request(req);
        self.end_sales(s, req)
    }

    /// Every sale of a request ends now (payout or cleanup).
    fn end_sales(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let sales = self.requests[req as usize].sales.clone();
        for sale in sales {
            if self.sales[sale as usize].state == SaleState::Downloading {
                self.c.fill_errored += 1;
            }
            self.close_sale(s, sale, true)?;
        }
        for sl in &mut self.requests[req as usize].slots {
            sl.host_sale = None;
            sl.reservations.clear();
        }
        self.requests[req as usize].filled = 0;
        Ok(())
    }

    fn on_end(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let now = s.now();
        let state = self.requests[req as usize].state;
        match state {
            ReqState::Started if self.cfg.workload.renew && !self.requests[req as usize].lost => {
                let d = self.cfg.workload.duration;
                let r = &mut self.requests[req as usize];
                r.end_at = r.end_at.saturating_add(d);
                let end = r.end_at;
                self.c.renewals += 1;
                self.trace(now, TraceKind::RequestRenewed, None, Some(req), None, None);
                s.schedule_at(end, Ev::End { request: req })?;
                // Data of hosts that left the slots expires with the old term.
                let sales = self.requests[req as usize].sales.clone();
                for sale in sales {
                    if self.sales[sale as usize].state == SaleState::Orphan {
                        self.close_sale(s, sale, false)?;
                    }
                }
                Ok(())
            }
            ReqState::Started | ReqState::New => {
                if state == ReqState::Started {
                    self.requests_started -= 1;
                } else {
                    self.requests_new -= 1;
                }
                self.deactivate(req, ReqState::Finished);
                self.c.finished += 1;
                self.trace(now, TraceKind::RequestFinished, None, Some(req), None, None);
                self.unqueue_request(req);
                self.end_sales(s, req)?;
                self.release_client(req);
                Ok(())
            }
            // Failed or cancelled: what is left on disk expires now (block TTL).
            _ => {
                self.end_sales(s, req)?;
                self.release_client(req);
                Ok(())
            }
        }
    }

    /// The request is over for good and its transfers are gone: its
    /// client's place in the network serves the next request's client
    /// (clients are alike), so the network holds the clients of live
    /// requests, not of every request ever made.
    fn release_client(&mut self, req: u32) {
        debug_assert!(!self.requests[req as usize].active());
        if let Endpoint::Client(c) = self.net.clients[req as usize] {
            self.net.topo.release_client(c);
        }
    }

    fn schedule_retry(
        &mut self,
        s: &mut Scheduler<Ev>,
        req: u32,
        slot: u32,
        after: SimDuration,
    ) -> Result<(), Stop> {
        let sl = &mut self.requests[req as usize].slots[slot as usize];
        if !sl.retry_pending {
            sl.retry_pending = true;
            s.schedule_in(after, Ev::RepairRetry { request: req, slot })?;
        }
        Ok(())
    }

    fn on_repair_retry(&mut self, s: &mut Scheduler<Ev>, req: u32, slot: u32) -> Result<(), Stop> {
        self.requests[req as usize].slots[slot as usize].retry_pending = false;
        let r = &self.requests[req as usize];
        if !r.active() || r.slots[slot as usize].host_sale.is_some() || r.lost {
            return Ok(());
        }
        self.repair_slots(s, req, &[slot])
    }

    // ------------------------------------------------------------ exponential repair

    fn start_exp_repair(&mut self, s: &mut Scheduler<Ev>, req: u32, slot: u32) -> Result<(), Stop> {
        let RepairModel::Exponential { mean } = self.cfg.repair.model else {
            return Ok(());
        };
        let r = &self.requests[req as usize];
        if !r.active() || r.lost || r.slots[slot as usize].host_sale.is_some() {
            return Ok(());
        }
        if self.cfg.repair.serial && r.repairs_active > 0 {
            if !r.repairs_waiting.contains(&slot) {
                self.requests[req as usize].repairs_waiting.push_back(slot);
            }
            return Ok(());
        }
        let slot_size = r.layout.slot_size_bytes;
        let eligible: Vec<u32> = (0..self.nodes.len() as u32)
            .filter(|&n| {
                let node = &self.nodes[n as usize];
                node.up()
                    && node.avail_free_bytes >= slot_size
                    && !r.sales.iter().any(|&x| {
                        let sx = &self.sales[x as usize];
                        sx.node == n && sx.state != SaleState::Done
                    })
            })
            .collect();
        if eligible.is_empty() {
            // Wait for a host to come online (see `node_up`).
            if !self.exp_waiting.contains(&(req, slot)) {
                self.exp_waiting.push((req, slot));
            }
            return Ok(());
        }
        let node = eligible[self.repair_rng.below(eligible.len() as u64) as usize];
        let collateral = r.collateral_per_slot
            * (100 - self.cfg.marketplace.repair_reward_percentage as u128)
            / 100;
        let collateral = collateral.min(self.nodes[node as usize].collateral_left);
        let sale = self.open_sale(node, req, slot, collateral, true);
        self.requests[req as usize].repairs_active += 1;
        self.c.repair_bytes += self.requests[req as usize].layout.repair_bytes();
        let d = SimDuration::from_secs_f64(self.repair_rng.exponential(mean.as_secs_f64()));
        let generation = self.sales[sale as usize].generation;
        s.schedule_in(d, Ev::RepairDone { sale, generation })?;
        Ok(())
    }

    fn on_repair_done(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let now = s.now();
        let (req, slot, state) = {
            let x = &self.sales[sale as usize];
            (x.request, x.slot, x.state)
        };
        if state != SaleState::Downloading {
            return Ok(()); // aborted; the abort restarted the repair
        }
        self.requests[req as usize].repairs_active -= 1;
        let r = &self.requests[req as usize];
        if !r.active() || r.lost || r.slots[slot as usize].host_sale.is_some() {
            self.close_sale(s, sale, true)?;
        } else {
            self.fill(s, sale, now)?;
        }
        self.next_serial_repair(s, req)
    }

    fn next_serial_repair(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        if self.cfg.repair.serial && self.requests[req as usize].repairs_active == 0 {
            if let Some(next) = self.requests[req as usize].repairs_waiting.pop_front() {
                return self.start_exp_repair(s, req, next);
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ faults

    fn on_fault_fire(
        &mut self,
        s: &mut Scheduler<Ev>,
        process: u32,
        target: u32,
    ) -> Result<(), Stop> {
        let fault = self.cfg.faults[process as usize].clone();
        let duration = self.draw_fault_duration(process, target);
        let hit = match fault.target {
            FaultTarget::Nodes { .. } => Hit::Node(target),
            FaultTarget::Domains { level } => Hit::Domain(level, target),
        };
        self.apply_fault(s, fault.kind, hit, duration, process)
    }

    fn on_scheduled(&mut self, s: &mut Scheduler<Ev>, index: u32) -> Result<(), Stop> {
        let f = self.cfg.scheduled_faults[index as usize].clone();
        let hit = match f.target {
            ScheduledTarget::Node(n) => Hit::Node(n),
            ScheduledTarget::Domain(l, d) => Hit::Domain(l, d),
        };
        self.apply_fault(s, f.kind, hit, f.duration, NO_PROCESS)
    }

    /// A fault hits a node or every node of a domain. `process` is the random
    /// fault process to continue when the fault ends (`NO_PROCESS` for a
    /// scheduled fault).
    fn apply_fault(
        &mut self,
        s: &mut Scheduler<Ev>,
        kind: FaultKind,
        hit: Hit,
        duration: SimDuration,
        process: u32,
    ) -> Result<(), Stop> {
        let members: Vec<u32> = match hit {
            Hit::Node(n) => vec![n],
            Hit::Domain(level, d) => self.domains[level][d as usize].clone(),
        };
        let live: Vec<u32> = members
            .into_iter()
            .filter(|&n| !self.nodes[n as usize].gone)
            .collect();
        match kind {
            FaultKind::Outage => {
                for &n in &live {
                    self.node_down(s, n)?;
                }
                let end = match hit {
                    Hit::Node(node) if !live.is_empty() => Some(Ev::OutageEnd { node, process }),
                    Hit::Node(_) => None,
                    Hit::Domain(level, domain) => Some(Ev::DomainOutageEnd {
                        level: level as u32,
                        domain,
                        process,
                    }),
                };
                if let Some(end) = end {
                    s.schedule_in(duration, end)?;
                }
            }
            FaultKind::DiskLoss { replace } => {
                // A node's own process resumes when its disk is back; a
                // domain's resumes from the domain's return.
                let node_process = if matches!(hit, Hit::Node(_)) {
                    process
                } else {
                    NO_PROCESS
                };
                for &n in &live {
                    self.disk_loss(s, n)?;
                    if replace {
                        s.schedule_in(
                            duration,
                            Ev::DiskReplaced {
                                node: n,
                                process: node_process,
                            },
                        )?;
                    } else {
                        self.node_leaves(s, n)?;
                    }
                }
                if let (true, Hit::Domain(_, domain), true) = (replace, hit, process != NO_PROCESS)
                {
                    let back = s.now().saturating_add(duration);
                    self.schedule_fault_from(s, back, process, domain)?;
                }
            }
            FaultKind::Churn => {
                for &n in &live {
                    self.node_leaves(s, n)?;
                }
            }
        }
        Ok(())
    }

    /// One more reason for the node to be offline.
    fn node_down(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let n = &mut self.nodes[node as usize];
        n.down_causes += 1;
        if n.down_causes > 1 {
            return Ok(());
        }
        self.trace(s.now(), TraceKind::NodeDown, Some(node), None, None, None);
        self.went_offline(s, node)
    }

    /// Empties a node's slot queue (it restarted or left).
    fn clear_queue(&mut self, node: u32) {
        self.queues.clear(node);
    }

    /// Reads the sales a node's outage or return is about to refresh, one
    /// after the other: their loads do not wait on each other, so the
    /// memory fetches overlap, and the refreshes that follow (each of which
    /// waits on the last) find them in cache. A node holds thousands of
    /// sales scattered over every live sale's record (megabytes: see
    /// BENCHMARKS.md).
    fn touch_sales(&self, sales: &[u32]) {
        let mut sum = 0u64;
        for &x in sales {
            let sx = &self.sales[x as usize];
            // (A sale spans two cache lines: a field at each end.)
            sum = sum
                .wrapping_add(sx.state as u64)
                .wrapping_add(sx.collateral as u64)
                .wrapping_add(sx.pending_miss.is_some() as u64);
        }
        std::hint::black_box(sum);
    }

    /// The node just went offline or left: abort downloads, restart proofs.
    fn went_offline(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        self.clear_queue(node);
        self.net_node_down(s, node)?;
        let sales = self.nodes[node as usize].sales.clone();
        self.touch_sales(&sales);
        for sale in sales {
            match self.sales[sale as usize].state {
                SaleState::Downloading => self.abort_download(s, sale)?,
                SaleState::Filled | SaleState::Zombie | SaleState::Orphan => {
                    self.refresh_sale(s, sale)?
                }
                SaleState::Done => {}
            }
        }
        Ok(())
    }

    fn abort_download(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let (req, slot, exp) = {
            let x = &self.sales[sale as usize];
            (x.request, x.slot, x.exp_repair)
        };
        self.c.fill_errored += 1;
        self.close_sale(s, sale, true)?;
        if exp {
            self.requests[req as usize].repairs_active -= 1;
            self.start_exp_repair(s, req, slot)?;
            self.next_serial_repair(s, req)?;
        } else {
            // The slot may now lack hosts trying it: announce it again later.
            let r = &self.requests[req as usize];
            if r.active() && r.slots[slot as usize].host_sale.is_none() {
                self.schedule_retry(s, req, slot, self.period())?;
            }
        }
        Ok(())
    }

    fn node_up(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let n = &mut self.nodes[node as usize];
        if n.gone || n.down_causes == 0 {
            return Ok(());
        }
        n.down_causes -= 1;
        if n.down_causes > 0 {
            return Ok(());
        }
        self.trace(s.now(), TraceKind::NodeUp, Some(node), None, None, None);
        for (req, slot) in std::mem::take(&mut self.exp_waiting) {
            self.start_exp_repair(s, req, slot)?;
        }
        let sales = self.nodes[node as usize].sales.clone();
        self.touch_sales(&sales);
        for sale in sales {
            if matches!(
                self.sales[sale as usize].state,
                SaleState::Filled | SaleState::Zombie
            ) {
                self.refresh_sale(s, sale)?;
            }
        }
        self.kick(s, node)
    }

    /// The node's disk and everything on it is gone; it is offline until a
    /// new disk arrives. Its local sales are lost; the contract still lists it
    /// as the host of its slots (zombie) until they are freed.
    fn disk_loss(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let now = s.now();
        self.trace(now, TraceKind::DiskLost, Some(node), None, None, None);
        self.nodes[node as usize].down_causes += 1;
        if self.nodes[node as usize].down_causes == 1 {
            self.trace(now, TraceKind::NodeDown, Some(node), None, None, None);
        }
        self.lose_local_state(s, node)
    }

    fn lose_local_state(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        self.went_offline(s, node)?;
        let sales = self.nodes[node as usize].sales.clone();
        let mut to_free = Vec::new();
        for sale in sales {
            match self.sales[sale as usize].state {
                SaleState::Filled => {
                    self.drop_data(s, sale)?;
                    // Local bookkeeping is gone with the disk; the bytes return.
                    self.release_reservation(sale, None);
                    self.set_state(sale, SaleState::Zombie);
                    self.sales[sale as usize].lost_at = s.now();
                    self.refresh_sale(s, sale)?;
                    let x = &self.sales[sale as usize];
                    to_free.push((x.request, x.slot));
                }
                SaleState::Orphan => self.close_sale(s, sale, false)?,
                _ => {}
            }
        }
        if self.cfg.repair.detection == Detection::Immediate {
            for (req, slot) in to_free {
                if self.requests[req as usize].active() {
                    self.free_slot(s, req, slot)?;
                }
            }
        }
        Ok(())
    }

    fn node_leaves(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        if self.nodes[node as usize].gone {
            return Ok(());
        }
        let now = s.now();
        self.trace(now, TraceKind::NodeLeft, Some(node), None, None, None);
        // Gone first: the repairs and retries its departure sets off must
        // not pick it as a host or a source.
        self.nodes[node as usize].gone = true;
        self.lose_local_state(s, node)?;
        self.clear_queue(node);
        // Refresh proofs: a gone node can never prove.
        let sales = self.nodes[node as usize].sales.clone();
        for sale in sales {
            self.refresh_sale(s, sale)?;
        }
        Ok(())
    }

    fn on_disk_replaced(
        &mut self,
        s: &mut Scheduler<Ev>,
        node: u32,
        process: u32,
    ) -> Result<(), Stop> {
        if self.nodes[node as usize].gone {
            return Ok(());
        }
        self.node_up(s, node)?;
        if process != NO_PROCESS {
            self.schedule_fault(s, process, node)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ sampling

    fn fleet_sample(&mut self, now: SimTime) -> FleetSample {
        let mut f = FleetSample {
            time_s: now.as_secs_f64(),
            ..FleetSample::default()
        };
        for n in &self.nodes {
            if n.gone {
                f.nodes_gone += 1;
                continue;
            }
            if n.up() {
                f.nodes_up += 1;
            } else {
                f.nodes_down += 1;
            }
            f.quota_bytes += n.quota_bytes;
            f.offered_bytes += n.offered_bytes;
            f.codex_repostore_bytes_reserved += n.reserved_bytes;
            f.codex_repostore_bytes_used += n.used_bytes;
        }
        f.slots_filled = self.active_filled;
        f.requests_new = self.requests_new;
        f.requests_started = self.requests_started;
        let c = &self.c;
        f.codex_purchases_submitted_total = c.submitted;
        f.codex_purchases_started_total = c.started;
        f.codex_purchases_finished_total = c.finished;
        f.codex_purchases_cancelled_total = c.cancelled;
        f.codex_purchases_failed_total = c.failed;
        f.renewals_total = c.renewals;
        f.slots_filled_total = c.slots_filled;
        f.slots_freed_total = c.slots_freed;
        f.slots_repaired_total = c.slots_repaired;
        f.proofs_required_total = c.proofs_required;
        f.proofs_missed_total = c.proofs_missed;
        f.slashes_total = c.slashes;
        f.datasets_lost_total = c.datasets_lost;
        f.bytes_lost_total = c.bytes_lost;
        f.fill_bytes_total = c.fill_bytes;
        f.repair_bytes_total = c.repair_bytes;
        let d = self.net.delivered();
        f.net_fill_bytes_total = d[0];
        f.net_repair_bytes_total = d[1];
        f.net_canary_bytes_total = d[2];
        f.net_client_upload_bytes_total = self.net.client_upload();
        f.transfers_active = self.net.live_count() as u64;
        f.canary_rounds_total = self.canary_stats.rounds;
        f.canary_failures_total = self.canary_stats.failures;
        f
    }

    /// Aggregated mode: draws the proofs required and submitted since the
    /// last sample from the integral of the provable slots' requirement.
    fn draw_required_proofs(&mut self, now: SimTime) {
        if self.cfg.run.proof_mode != ProofMode::Aggregated {
            return;
        }
        self.accumulate_provable(now);
        let per = self.period().as_nanos() as f64;
        let mean = self.provable_area / per;
        let var = self.provable_var_area / per;
        self.provable_area = 0.0;
        self.provable_var_area = 0.0;
        if mean <= 0.0 {
            return;
        }
        let draw = if mean < 30.0 {
            // Poisson by inversion (mean small): exact enough for a count.
            let mut k = 0u64;
            let mut p = (-mean).exp();
            let mut cdf = p;
            let u = self.proof_count_rng.uniform01();
            while u > cdf && k < 10_000 {
                k += 1;
                p *= mean / k as f64;
                cdf += p;
            }
            k as f64
        } else {
            let z = codexsim_engine::dist::normal_quantile(
                self.proof_count_rng.uniform01_open0().min(1.0 - 1e-16),
            );
            (mean + z * var.sqrt()).round().max(0.0)
        };
        self.c.proofs_required += draw as u64;
    }

    fn network_summary(&self) -> NetworkSummary {
        let d = self.net.delivered();
        NetworkSummary {
            fill_transfer: TransferStats::of(&self.net.fill_durations_s),
            repair_transfer: TransferStats::of(&self.net.repair_durations_s),
            transfer_timeouts: self.c.transfer_timeouts,
            traffic: Traffic {
                fill_bytes: d[0],
                repair_bytes: d[1],
                canary_bytes: d[2],
                client_upload_bytes: self.net.client_upload(),
            },
            links: self
                .net
                .topo
                .shared_links()
                .iter()
                .map(|l| LinkTotals {
                    link: l.name.clone(),
                    up_bytes: self.net.flows.resource_bytes(l.up),
                    down_bytes: self.net.flows.resource_bytes(l.down),
                })
                .collect(),
            sharing: {
                let st = self.net.flows.stats();
                let per = |x: u64| {
                    if st.recomputations == 0 {
                        0.0
                    } else {
                        x as f64 / st.recomputations as f64
                    }
                };
                Sharing {
                    updates: st.updates,
                    recomputations: st.recomputations,
                    mean_flows_per_recomputation: per(st.flows_recomputed),
                    mean_resources_per_recomputation: per(st.resources_recomputed),
                    rate_changes: st.rate_changes,
                }
            },
        }
    }

    fn emit_sample(&mut self, now: SimTime) {
        self.draw_required_proofs(now);
        self.net.flows.advance_all(now.as_nanos());
        let f = self.fleet_sample(now);
        self.sink.fleet(&f);
        for l in self.net.topo.shared_links() {
            for (direction, r) in [("up", l.up), ("down", l.down)] {
                let b = self.net.flows.resource_bytes(r);
                self.sink.link(&LinkSample {
                    time_s: now.as_secs_f64(),
                    link: l.name.clone(),
                    direction,
                    fill_bytes_total: b[0],
                    repair_bytes_total: b[1],
                    canary_bytes_total: b[2],
                });
            }
        }
        if self.cfg.run.per_node_series {
            for (i, n) in self.nodes.iter().enumerate() {
                let filled = n.filled_count;
                let (rx, tx) = self.net.host_traffic(i as u32);
                self.sink.node(&NodeSample {
                    time_s: now.as_secs_f64(),
                    node: i as u32,
                    group: self.cfg.node_groups[n.group as usize].name.clone(),
                    up: n.up() as u8,
                    quota_bytes: if n.gone { 0 } else { n.quota_bytes },
                    offered_bytes: if n.gone { 0 } else { n.offered_bytes },
                    codex_repostore_bytes_reserved: n.reserved_bytes,
                    codex_repostore_bytes_used: n.used_bytes,
                    slots: filled,
                    net_rx_fill_bytes_total: rx[0],
                    net_rx_repair_bytes_total: rx[1],
                    net_rx_canary_bytes_total: rx[2],
                    net_tx_fill_bytes_total: tx[0],
                    net_tx_repair_bytes_total: tx[1],
                    net_tx_canary_bytes_total: tx[2],
                });
            }
        }
    }

    fn on_sample(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let now = s.now();
        if now >= self.next_full_check {
            self.check(now)
                .map_err(|m| Stop::Error(self.invariant(now, m)))?;
            self.next_full_check = now.saturating_add(FULL_CHECK_INTERVAL);
        }
        self.emit_sample(now);
        let next = now.saturating_add(self.cfg.run.series_interval);
        if next <= self.horizon {
            s.schedule_at(next, Ev::Sample)?;
        } else if now < self.horizon {
            s.schedule_at(self.horizon, Ev::Sample)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ checkers

    /// Every invariant of the model. A failure is a simulator bug.
    fn check(&self, now: SimTime) -> Result<(), String> {
        if now < self.last_time {
            return Err(format!(
                "simulated time went back from {} to {now}",
                self.last_time
            ));
        }
        self.queues
            .check(&self.queue_keys)
            .map_err(|e| format!("slot queues: {e}"))?;
        if let Some(x) = self
            .closed_sales
            .iter()
            .find(|&&x| self.sales[x as usize].state != SaleState::Done)
        {
            return Err(format!("sale {x} is to be reused but not over"));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if !n.up() && !self.queues.is_empty(i as u32) {
                return Err(format!(
                    "node {i} is offline but its slot queue is not empty"
                ));
            }
            let (mut charged, mut stored, mut orphaned, mut filled, mut downloading) =
                (0u64, 0u64, 0u64, 0u32, 0u32);
            for &x in &n.sales {
                let sx = &self.sales[x as usize];
                if sx.node != i as u32 {
                    return Err(format!("node {i} lists sale {x} of node {}", sx.node));
                }
                if n.sales.get(sx.node_pos as usize) != Some(&x) {
                    return Err(format!("sale {x} misplaced in node {i}'s list"));
                }
                if n.gone && sx.state != SaleState::Zombie {
                    // A node that left keeps only slots it can no longer serve.
                    return Err(format!("node {i} left but has a {:?} sale {x}", sx.state));
                }
                match sx.state {
                    SaleState::Done => return Err(format!("node {i} lists finished sale {x}")),
                    SaleState::Zombie => {
                        if sx.stored_bytes != 0 {
                            return Err(format!("zombie sale {x} stores data"));
                        }
                    }
                    SaleState::Orphan => orphaned += sx.stored_bytes,
                    SaleState::Downloading | SaleState::Filled => {
                        charged += self.requests[sx.request as usize].layout.slot_size_bytes;
                        if sx.state == SaleState::Filled {
                            filled += 1;
                        } else if !sx.exp_repair {
                            downloading += 1;
                        }
                    }
                }
                stored += sx.stored_bytes;
            }
            if n.used_bytes != stored {
                return Err(format!(
                    "node {i}: used {} bytes but its sales store {stored}",
                    n.used_bytes
                ));
            }
            if n.used_bytes + n.reserved_bytes != charged + orphaned {
                return Err(format!(
                    "node {i}: used {} + reserved {} != {charged} bytes reserved by its sales + {orphaned} bytes awaiting deletion",
                    n.used_bytes, n.reserved_bytes
                ));
            }
            if n.used_bytes + n.reserved_bytes > n.quota_bytes {
                return Err(format!(
                    "node {i}: used {} + reserved {} exceeds the quota {}",
                    n.used_bytes, n.reserved_bytes, n.quota_bytes
                ));
            }
            if n.offered_bytes - n.avail_free_bytes != charged {
                return Err(format!(
                    "node {i}: availability used {} != {charged} bytes reserved by its sales",
                    n.offered_bytes - n.avail_free_bytes
                ));
            }
            if filled != n.filled_count {
                return Err(format!(
                    "node {i}: filled count {} != {filled}",
                    n.filled_count
                ));
            }
            if downloading != n.workers_busy || n.workers_busy > n.workers {
                return Err(format!(
                    "node {i}: {} workers busy, {downloading} downloads, {} workers",
                    n.workers_busy, n.workers
                ));
            }
        }
        // Transfers: every live fill or repair belongs to its downloading
        // sale, and every flow to a live transfer's part.
        let mut flows = 0usize;
        for t in self.net.live() {
            let tr = &self.net.transfers[t as usize];
            flows += tr.parts.iter().filter(|p| p.flow.is_some()).count();
            if let TransferKind::Fill { sale } | TransferKind::Repair { sale } = tr.kind {
                let x = &self.sales[sale as usize];
                if x.transfer != Some(t) || x.state != SaleState::Downloading {
                    return Err(format!(
                        "transfer {t} of sale {sale}, which is {:?} with transfer {:?}",
                        x.state, x.transfer
                    ));
                }
            }
        }
        if flows != self.net.flows.active_flows() {
            return Err(format!(
                "{} active flows but {flows} transfer parts with flows",
                self.net.flows.active_flows()
            ));
        }
        let mut active_filled = 0u64;
        let mut holders: Vec<u16> = Vec::new();
        for (ri, r) in self.requests.iter().enumerate() {
            if !r.active() {
                continue;
            }
            active_filled += r.filled as u64;
            let filled = r.slots.iter().filter(|s| s.host_sale.is_some()).count() as u32;
            if filled != r.filled {
                return Err(format!(
                    "request {ri}: filled {} but {filled} slots have hosts",
                    r.filled
                ));
            }
            holders.clear();
            holders.resize(r.slots.len(), 0);
            for &x in &r.sales {
                let sx = &self.sales[x as usize];
                if sx.stored_bytes > 0 {
                    holders[sx.slot as usize] += 1;
                }
            }
            if holders != r.holders {
                return Err(format!(
                    "request {ri}: holder counts {:?} != {holders:?}",
                    r.holders
                ));
            }
            let alive = holders.iter().filter(|&&h| h > 0).count() as u32;
            if alive != r.alive_indices {
                return Err(format!(
                    "request {ri}: alive indices {} != {alive}",
                    r.alive_indices
                ));
            }
            for (si, sl) in r.slots.iter().enumerate() {
                if let Some(x) = sl.host_sale {
                    let sx = &self.sales[x as usize];
                    // The back-pointer also rules out one sale hosting two slots.
                    if sx.request != ri as u32 || sx.slot != si as u32 {
                        return Err(format!(
                            "slot {ri}/{si} points at sale {x} of {}/{}",
                            sx.request, sx.slot
                        ));
                    }
                    if !matches!(sx.state, SaleState::Filled | SaleState::Zombie) {
                        return Err(format!("slot {ri}/{si} host sale {x} is {:?}", sx.state));
                    }
                }
                if sl.reservations.len() > self.cfg.marketplace.max_reservations_per_slot as usize {
                    return Err(format!(
                        "slot {ri}/{si} has {} reservations",
                        sl.reservations.len()
                    ));
                }
            }
        }
        if active_filled != self.active_filled {
            return Err(format!(
                "filled slots {} != {active_filled} counted",
                self.active_filled
            ));
        }
        Ok(())
    }
}

impl Handler<Ev> for Model<'_> {
    type Error = Stop;

    fn handle(&mut self, s: &mut Scheduler<Ev>, id: EventId, e: Ev) -> Result<(), Stop> {
        self.current_event = Some(e);
        let now = s.now();
        match e {
            Ev::Sample => self.on_sample(s)?,
            Ev::Arrival => self.on_arrival(s, false)?,
            Ev::FixedArrival => self.on_arrival(s, true)?,
            Ev::FaultFire { process, target } => self.on_fault_fire(s, process, target)?,
            Ev::OutageEnd { node, process } => {
                self.node_up(s, node)?;
                if process != NO_PROCESS && !self.nodes[node as usize].gone {
                    self.schedule_fault(s, process, node)?;
                }
            }
            Ev::DomainOutageEnd {
                level,
                domain,
                process,
            } => {
                let members = self.domains[level as usize][domain as usize].clone();
                for n in members {
                    self.node_up(s, n)?;
                }
                if process != NO_PROCESS {
                    self.schedule_fault(s, process, domain)?;
                }
            }
            Ev::DiskReplaced { node, process } => self.on_disk_replaced(s, node, process)?,
            Ev::Scheduled { index } => self.on_scheduled(s, index)?,
            Ev::Expiry { request } => self.on_expiry(s, request)?,
            Ev::End { request } => self.on_end(s, request)?,
            Ev::Work { node } => self.on_work(s, node)?,
            // Events of an earlier sale with a reused id are stale.
            Ev::FillReady { sale, generation } | Ev::RepairDone { sale, generation }
                if self.sales[sale as usize].generation != generation => {}
            Ev::Missed {
                sale, generation, ..
            } if self.sales[sale as usize].generation != generation => {}
            Ev::FillReady { sale, .. } => self.on_fill_ready(s, sale)?,
            Ev::Missed { sale, chain, .. } => self.on_missed(s, id, sale, chain)?,
            Ev::PeriodTick => self.on_period_tick(s)?,
            Ev::RepairDone { sale, .. } => self.on_repair_done(s, sale)?,
            Ev::RepairRetry { request, slot } => self.on_repair_retry(s, request, slot)?,
            Ev::NetNext => self.on_net_next(s)?,
            Ev::NetFlush => self.on_net_flush(s)?,
            Ev::FlowDone { flow, generation } => self.on_flow_done(
                s,
                FlowId {
                    index: flow,
                    generation,
                },
            )?,
            // A transfer's slot may have been reused since.
            Ev::TransferDone {
                transfer,
                generation,
            }
            | Ev::TransferRetry {
                transfer,
                generation,
            }
            | Ev::TransferTimeout {
                transfer,
                generation,
            } if !self.transfer_current(transfer, generation) => {}
            Ev::TransferDone { transfer, .. } => self.on_transfer_done(s, transfer)?,
            Ev::TransferRetry { transfer, .. } => self.on_transfer_retry(s, transfer)?,
            Ev::TransferTimeout { transfer, .. } => self.on_transfer_timeout(s, transfer)?,
            Ev::CanaryRound => self.on_canary_round(s)?,
        }
        if self.check_every_event {
            self.check(now)
                .map_err(|m| Stop::Error(self.invariant(now, m)))?;
        }
        // The event is over: no handler is halfway through a sale, and
        // nothing but events (which check generations) names a sale that
        // ended.
        if !self.closed_sales.is_empty() {
            self.free_sales.append(&mut self.closed_sales);
        }
        self.last_time = now;
        Ok(())
    }
}
