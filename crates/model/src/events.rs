//! The model's vocabulary shared by every layer: its events, and why a run
//! stops. Imports nothing of the model.

use codexsim_engine::{ScheduleError, SimTime};

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
    /// A request's renewal is due (`renewal = "new_request"`).
    RenewalDue {
        /// The request to renew.
        request: u32,
    },
    /// The reservation window reaches a host for an item it holds.
    WindowOpens {
        /// The host.
        node: u32,
    },
    /// A node's slot-queue workers look for work.
    Work {
        /// The node.
        node: u32,
    },
    /// Fast market: the next host of an announcement's race wakes.
    RaceWake {
        /// The race.
        race: u32,
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
    /// The block exchange's next timer is due (`blocks.rs`).
    ExchangeWake,
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
    #[error("scheduling failed (seed {seed})")]
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
