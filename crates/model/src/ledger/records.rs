//! The ledger's records: nodes, requests and their slots, sales, counters.
//! Plain data; the transitions that keep them consistent are in `mod.rs`.

use std::collections::VecDeque;

use codexsim_config::Layout;
use codexsim_engine::{EventId, RandomStream, SimDuration, SimTime};

use crate::proofs::ProofRequirement;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SaleState {
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
pub(crate) struct Sale {
    /// Bumped each time the id is reused.
    pub(crate) generation: u32,
    pub(crate) node: u32,
    /// Where the sale sits in its node's `sales` list.
    pub(crate) node_pos: u32,
    pub(crate) request: u32,
    pub(crate) slot: u32,
    pub(crate) state: SaleState,
    /// Bytes of slot data on the host's disk.
    pub(crate) stored_bytes: u64,
    /// Collateral put up.
    pub(crate) collateral: u128,
    /// Period of the fill; proofs are required strictly after it.
    pub(crate) fill_period: u64,
    /// Whether the host can currently prove this slot.
    pub(crate) provable: bool,
    /// Aggregated mode: the next miss not yet committed, with its period.
    pub(crate) pending_miss: Option<(EventId, u64)>,
    /// Aggregated mode: the regime the miss process was drawn under
    /// (`Some(provable)` while on the contract, `None` off it).
    pub(crate) miss_regime: Option<bool>,
    /// A repair under the exponential model.
    pub(crate) exp_repair: bool,
    /// The fill's or repair's transfer while downloading.
    pub(crate) transfer: Option<u32>,
    /// When the host lost the slot's data (a zombie since).
    pub(crate) lost_at: SimTime,
    /// Its request's proof probability as a float (kept here: outages
    /// refresh every sale of a node, and this saves a look-up each).
    pub(crate) proof_p: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReqState {
    New,
    Started,
    Cancelled,
    Finished,
    Failed,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Slot {
    pub(crate) host_sale: Option<u32>,
    pub(crate) reservations: Vec<u32>,
    pub(crate) missed: u32,
    pub(crate) freed_at: Option<SimTime>,
    /// A RepairRetry for this slot is pending.
    pub(crate) retry_pending: bool,
    /// Last announced as freed (a repair) rather than new.
    pub(crate) announced_repair: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) layout: Layout,
    pub(crate) dataset_bytes: u64,
    pub(crate) created: SimTime,
    pub(crate) end_at: SimTime,
    pub(crate) state: ReqState,
    pub(crate) slots: Vec<Slot>,
    pub(crate) filled: u32,
    pub(crate) collateral_per_slot: u128,
    pub(crate) proof: ProofRequirement,
    pub(crate) client_has_data: bool,
    /// Sales of this request that are not over (Done sales are removed).
    pub(crate) sales: Vec<u32>,
    /// Per slot index: sales whose host stores that slot's data.
    pub(crate) holders: Vec<u16>,
    /// Slot indices with at least one holder.
    pub(crate) alive_indices: u32,
    pub(crate) lost: bool,
    pub(crate) repairs_active: u32,
    /// Freed slots waiting for the lazy-repair threshold.
    pub(crate) deferred: Vec<u32>,
    pub(crate) repairs_waiting: VecDeque<u32>,
    pub(crate) ever_started: bool,
}

impl Request {
    pub(crate) fn active(&self) -> bool {
        matches!(self.state, ReqState::New | ReqState::Started)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) group: u32,
    pub(crate) down_causes: u32,
    pub(crate) gone: bool,
    pub(crate) quota_bytes: u64,
    pub(crate) offered_bytes: u64,
    pub(crate) avail_free_bytes: u64,
    pub(crate) avail_duration: SimDuration,
    pub(crate) min_price: u64,
    pub(crate) collateral_left: u128,
    pub(crate) used_bytes: u64,
    pub(crate) reserved_bytes: u64,
    pub(crate) workers: u32,
    pub(crate) workers_busy: u32,
    pub(crate) work_scheduled: bool,
    pub(crate) sales: Vec<u32>,
    pub(crate) rng: RandomStream,
    pub(crate) rate_bytes_per_s: u64,
    pub(crate) proof_failure: f64,
    pub(crate) one_slot_per_request: bool,
    /// Sales in state Filled.
    pub(crate) filled_count: u32,
}

impl Node {
    pub(crate) fn up(&self) -> bool {
        !self.gone && self.down_causes == 0
    }

    /// Online, a worker free, no wake-up pending.
    pub(crate) fn ready(&self) -> bool {
        self.up() && self.workers_busy < self.workers && !self.work_scheduled
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) transfer_timeouts: u64,
    pub(crate) submitted: u64,
    pub(crate) started: u64,
    pub(crate) finished: u64,
    pub(crate) cancelled: u64,
    pub(crate) failed: u64,
    pub(crate) renewals: u64,
    pub(crate) slots_filled: u64,
    pub(crate) slots_freed: u64,
    pub(crate) slots_repaired: u64,
    pub(crate) proofs_required: u64,
    pub(crate) proofs_missed: u64,
    pub(crate) slashes: u64,
    /// Slashes of hosts that still held the slot's data.
    pub(crate) slashes_intact: u64,
    /// Zombie slots freed, and their time from data loss to being freed.
    pub(crate) losses_detected: u64,
    pub(crate) loss_detection_sum_s: f64,
    pub(crate) datasets_lost: u64,
    pub(crate) bytes_lost: u64,
    pub(crate) fill_bytes: u64,
    pub(crate) repair_bytes: u64,
    pub(crate) fill_time_sum_s: f64,
    pub(crate) fill_time_n: u64,
    pub(crate) repair_time_sum_s: f64,
    pub(crate) repair_time_n: u64,
    pub(crate) collateral_slashed: u128,
    pub(crate) fill_errored: u64,
    pub(crate) first_loss: Option<SimTime>,
    pub(crate) first_failure: Option<SimTime>,
}
