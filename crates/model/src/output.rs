//! What the model emits: time-series samples, trace events and the summary.
//! The model writes into a [`Sink`]; only the command line writes files.

use serde::Serialize;

/// One fleet-wide time-series sample. Field names follow the Codex node's
/// metrics where the quantity is the same (`codex_repostore_bytes_used`, ...).
/// `_total` fields are cumulative since the start of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FleetSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Sum of the nodes' storage quotas (nodes that have not left), bytes.
    pub quota_bytes: u64,
    /// Bytes offered in availabilities.
    pub offered_bytes: u64,
    /// Bytes reserved for slots but not (or not yet) holding data.
    pub codex_repostore_bytes_reserved: u64,
    /// Bytes of slot data stored.
    pub codex_repostore_bytes_used: u64,
    /// Nodes online.
    pub nodes_up: u32,
    /// Nodes offline (data intact or awaiting a new disk).
    pub nodes_down: u32,
    /// Nodes that left.
    pub nodes_gone: u32,
    /// Slots currently filled.
    pub slots_filled: u64,
    /// Requests waiting for their slots to fill.
    pub requests_new: u64,
    /// Requests running.
    pub requests_started: u64,
    /// Requests created (renewals excluded).
    pub codex_purchases_submitted_total: u64,
    /// Requests that started.
    pub codex_purchases_started_total: u64,
    /// Requests that finished.
    pub codex_purchases_finished_total: u64,
    /// Requests cancelled at expiry.
    pub codex_purchases_cancelled_total: u64,
    /// Requests failed: more slots freed than maxSlotLoss (contract failures).
    pub codex_purchases_failed_total: u64,
    /// Contract renewals of long-lived datasets.
    pub renewals_total: u64,
    /// Slot fills (first fills and repairs).
    pub slots_filled_total: u64,
    /// Slots freed by the validator or at once on loss.
    pub slots_freed_total: u64,
    /// Freed slots filled again.
    pub slots_repaired_total: u64,
    /// Proofs required.
    pub proofs_required_total: u64,
    /// Proofs required and missed.
    pub proofs_missed_total: u64,
    /// Slashes (one per missed proof marked).
    pub slashes_total: u64,
    /// Datasets whose data can no longer be recovered.
    pub datasets_lost_total: u64,
    /// Their bytes.
    pub bytes_lost_total: u64,
    /// Bytes downloaded to fill slots (first fills).
    pub fill_bytes_total: u64,
    /// Bytes downloaded to repair slots.
    pub repair_bytes_total: u64,
}

/// One node's time-series sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Node index.
    pub node: u32,
    /// Its group's name.
    pub group: String,
    /// 1 when online, 0 otherwise.
    pub up: u8,
    /// Storage quota, bytes (0 once gone).
    pub quota_bytes: u64,
    /// Bytes offered.
    pub offered_bytes: u64,
    /// `codex_repostore_bytes_reserved`.
    pub codex_repostore_bytes_reserved: u64,
    /// `codex_repostore_bytes_used`.
    pub codex_repostore_bytes_used: u64,
    /// Slots held (filled, on the contract).
    pub slots: u32,
}

/// Kinds of trace events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceKind {
    /// StorageRequested.
    RequestCreated,
    /// RequestFulfilled.
    RequestStarted,
    /// Request finished.
    RequestFinished,
    /// RequestCancelled.
    RequestCancelled,
    /// RequestFailed.
    RequestFailed,
    /// Request renewed with the same hosts.
    RequestRenewed,
    /// SlotReservationsFull.
    SlotReservationsFull,
    /// SlotFilled.
    SlotFilled,
    /// SlotFreed.
    SlotFreed,
    /// A proof marked missing.
    ProofMissed,
    /// A node went offline.
    NodeDown,
    /// A node came back online.
    NodeUp,
    /// A node lost its disk.
    DiskLost,
    /// A node left for good.
    NodeLeft,
    /// A dataset became unrecoverable.
    DatasetLost,
}

impl TraceKind {
    /// Every kind, for option parsing.
    pub const ALL: [TraceKind; 15] = [
        TraceKind::RequestCreated,
        TraceKind::RequestStarted,
        TraceKind::RequestFinished,
        TraceKind::RequestCancelled,
        TraceKind::RequestFailed,
        TraceKind::RequestRenewed,
        TraceKind::SlotReservationsFull,
        TraceKind::SlotFilled,
        TraceKind::SlotFreed,
        TraceKind::ProofMissed,
        TraceKind::NodeDown,
        TraceKind::NodeUp,
        TraceKind::DiskLost,
        TraceKind::NodeLeft,
        TraceKind::DatasetLost,
    ];

    /// The snake_case name used in traces.
    pub fn name(self) -> &'static str {
        match self {
            TraceKind::RequestCreated => "request_created",
            TraceKind::RequestStarted => "request_started",
            TraceKind::RequestFinished => "request_finished",
            TraceKind::RequestCancelled => "request_cancelled",
            TraceKind::RequestFailed => "request_failed",
            TraceKind::RequestRenewed => "request_renewed",
            TraceKind::SlotReservationsFull => "slot_reservations_full",
            TraceKind::SlotFilled => "slot_filled",
            TraceKind::SlotFreed => "slot_freed",
            TraceKind::ProofMissed => "proof_missed",
            TraceKind::NodeDown => "node_down",
            TraceKind::NodeUp => "node_up",
            TraceKind::DiskLost => "disk_lost",
            TraceKind::NodeLeft => "node_left",
            TraceKind::DatasetLost => "dataset_lost",
        }
    }
}

/// One traced event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEvent {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// What happened.
    pub kind: TraceKind,
    /// The node, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// The request, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<u32>,
    /// The slot index, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
    /// The dataset, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<u32>,
    /// Bytes concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// Where the model's outputs go.
pub trait Sink {
    /// A fleet-wide sample.
    fn fleet(&mut self, sample: &FleetSample);
    /// A per-node sample (only when per-node series are on).
    fn node(&mut self, sample: &NodeSample);
    /// Whether trace events of this kind are wanted.
    fn wants(&self, kind: TraceKind) -> bool;
    /// A trace event (only of kinds it wants).
    fn trace(&mut self, event: &TraceEvent);
}

/// A sink that keeps everything in memory (tests, notebooks).
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    /// Fleet samples.
    pub fleet: Vec<FleetSample>,
    /// Node samples.
    pub nodes: Vec<NodeSample>,
    /// Trace events.
    pub trace: Vec<TraceEvent>,
    /// Record trace events.
    pub keep_trace: bool,
}

impl Sink for MemorySink {
    fn fleet(&mut self, sample: &FleetSample) {
        self.fleet.push(sample.clone());
    }
    fn node(&mut self, sample: &NodeSample) {
        self.nodes.push(sample.clone());
    }
    fn wants(&self, _kind: TraceKind) -> bool {
        self.keep_trace
    }
    fn trace(&mut self, event: &TraceEvent) {
        self.trace.push(event.clone());
    }
}

/// A sink that drops everything (replications that only need the summary).
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn fleet(&mut self, _: &FleetSample) {}
    fn node(&mut self, _: &NodeSample) {}
    fn wants(&self, _: TraceKind) -> bool {
        false
    }
    fn trace(&mut self, _: &TraceEvent) {}
}

/// Totals of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Simulated time reached, seconds.
    pub end_time_s: f64,
    /// Events delivered.
    pub events_processed: u64,
    /// Why the run stopped: `horizon`, `data_loss`, `event_limit`, `quiescent`.
    pub stop_reason: String,
    /// The last sample of the run (every `_total` counter).
    pub totals: FleetSample,
    /// Datasets created (renewals excluded).
    pub datasets_created: u64,
    /// Time of the first data loss, seconds, if any.
    pub first_data_loss_s: Option<f64>,
    /// Time of the first contract failure, seconds, if any.
    pub first_contract_failure_s: Option<f64>,
    /// Mean time from request creation to start, seconds.
    pub mean_fill_time_s: Option<f64>,
    /// Mean time from a slot being freed to its refill, seconds.
    pub mean_repair_time_s: Option<f64>,
    /// Collateral slashed in all, token units.
    pub collateral_slashed: u128,
    /// Slot fill attempts that lost the race or were aborted.
    pub fill_attempts_errored: u64,
}
