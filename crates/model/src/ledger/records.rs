//! The ledger's records: nodes, requests and their slots, sales, counters,
//! and their stores (`Requests`, whose retired records are freed; `Sales`,
//! in chunks that never move; a slot's `Reservations`, inline). Plain data;
//! the transitions that keep them consistent are in `mod.rs`.

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
    pub(crate) reservations: Reservations,
    pub(crate) missed: u32,
    pub(crate) freed_at: MaybeTime,
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
    /// Repairs waiting (lazy threshold, serial exponential model) and the
    /// renewal chain: boxed, since most requests never have any.
    pub(crate) waits: Option<Box<RepairWaits>>,
    pub(crate) ever_started: bool,
}

/// A request's place in its dataset's renewal chain.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Chain {
    /// The dataset: the id of the chain's first request.
    pub(crate) dataset: u32,
    /// The request it renews, whose hosts its new hosts download from.
    pub(crate) renews: Option<u32>,
    /// The renewal posted for it last, if any.
    pub(crate) renewed_by: Option<u32>,
}

impl Request {
    pub(crate) fn active(&self) -> bool {
        matches!(self.state, ReqState::New | ReqState::Started)
    }

    /// The request it renews.
    pub(crate) fn renews(&self) -> Option<u32> {
        self.waits.as_ref().and_then(|w| w.chain.as_ref()?.renews)
    }

    /// The renewal posted for it last.
    pub(crate) fn renewed_by(&self) -> Option<u32> {
        self.waits
            .as_ref()
            .and_then(|w| w.chain.as_ref()?.renewed_by)
    }

    /// Its dataset, given its own id.
    pub(crate) fn dataset(&self, id: u32) -> u32 {
        self.waits
            .as_ref()
            .and_then(|w| w.chain.as_ref())
            .map_or(id, |c| c.dataset)
    }

    /// Its waiting repairs, made on first use.
    pub(crate) fn waits_mut(&mut self) -> &mut RepairWaits {
        self.waits.get_or_insert_with(Default::default)
    }
}

/// What most requests never have: repairs that wait, and a place in a
/// renewal chain.
#[derive(Clone, Debug, Default)]
pub(crate) struct RepairWaits {
    /// Its renewal chain, if it renews or was renewed.
    pub(crate) chain: Option<Chain>,
    /// Freed slots waiting for the lazy-repair threshold.
    pub(crate) deferred: Vec<u32>,
    /// Slots waiting for the serial exponential-model repair before them.
    pub(crate) serial: VecDeque<u32>,
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
    /// Renewal requests that expired after their predecessor ended: the
    /// dataset is no longer kept.
    pub(crate) renewals_failed: u64,
    /// Requests that started with one host holding more than `tolerance`
    /// of their slots.
    pub(crate) starts_host_over_tolerance: u64,
    /// Filled slots whose host lost the data.
    pub(crate) slots_lost: u64,
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
    pub(crate) renewal_bytes: u64,
    pub(crate) fill_time_sum_s: f64,
    pub(crate) fill_time_n: u64,
    pub(crate) repair_time_sum_s: f64,
    pub(crate) repair_time_n: u64,
    pub(crate) collateral_slashed: u128,
    pub(crate) fill_errored: u64,
    pub(crate) first_loss: Option<SimTime>,
    pub(crate) first_failure: Option<SimTime>,
}

/// Every request by id. Ids are never reused (outputs name them); a request
/// over for good is retired, its record freed, so that memory follows the
/// requests alive rather than every request ever made (a pointer per id).
#[derive(Clone, Debug, Default)]
pub(crate) struct Requests(Vec<Option<Box<Request>>>);

impl Requests {
    /// Ids issued so far (the next id).
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Records a request under the next id.
    pub(crate) fn push(&mut self, r: Request) {
        self.0.push(Some(Box::new(r)));
    }

    /// A request that is not retired.
    pub(crate) fn get(&self, id: usize) -> Option<&Request> {
        self.0.get(id).and_then(|r| r.as_deref())
    }

    /// Frees a request's record: nothing reads it any more.
    pub(crate) fn retire(&mut self, id: usize) {
        self.0[id] = None;
    }

    /// The requests not retired, with their ids.
    pub(crate) fn live(&self) -> impl Iterator<Item = (usize, &Request)> {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_deref().map(|r| (i, r)))
    }
}

impl std::ops::Index<usize> for Requests {
    type Output = Request;

    #[inline]
    fn index(&self, id: usize) -> &Request {
        match &self.0[id] {
            Some(r) => r,
            None => panic!("request {id} is retired"),
        }
    }
}

impl std::ops::IndexMut<usize> for Requests {
    #[inline]
    fn index_mut(&mut self, id: usize) -> &mut Request {
        match &mut self.0[id] {
            Some(r) => r,
            None => panic!("request {id} is retired"),
        }
    }
}

/// Sales by id, in chunks of [`Sales::CHUNK`] that never move: the store
/// grows without copying itself, so a fleet of millions of sales never
/// holds the old and the new copy at once (a `Vec` doubling would, for a
/// moment, at twice the memory).
#[derive(Clone, Debug, Default)]
pub(crate) struct Sales(Vec<Vec<Sale>>);

impl Sales {
    /// Sales per chunk.
    const CHUNK: usize = 1 << 14;

    /// Ids in use or free (the next new id).
    pub(crate) fn len(&self) -> usize {
        match self.0.last() {
            Some(last) => (self.0.len() - 1) * Self::CHUNK + last.len(),
            None => 0,
        }
    }

    /// Records a sale under the next new id.
    pub(crate) fn push(&mut self, sale: Sale) {
        if self.0.last().is_none_or(|c| c.len() == Self::CHUNK) {
            self.0.push(Vec::with_capacity(Self::CHUNK));
        }
        self.0.last_mut().expect("a chunk").push(sale);
    }
}

impl std::ops::Index<usize> for Sales {
    type Output = Sale;

    #[inline]
    fn index(&self, id: usize) -> &Sale {
        &self.0[id / Self::CHUNK][id % Self::CHUNK]
    }
}

impl std::ops::IndexMut<usize> for Sales {
    #[inline]
    fn index_mut(&mut self, id: usize) -> &mut Sale {
        &mut self.0[id / Self::CHUNK][id % Self::CHUNK]
    }
}

/// A slot's reservations (hosts), without an allocation while they are at
/// most [`Reservations::INLINE`] (`max_reservations_per_slot` is 3 by
/// default).
#[derive(Clone, Debug)]
pub(crate) enum Reservations {
    Inline {
        len: u8,
        hosts: [u32; 3],
    },
    // Boxed (a thin pointer): the slot record stays 16 bytes smaller, and
    // more than three reservations are rare.
    #[allow(clippy::box_collection)]
    Spilled(Box<Vec<u32>>),
}

impl Default for Reservations {
    fn default() -> Self {
        Reservations::Inline {
            len: 0,
            hosts: [0; 3],
        }
    }
}

impl Reservations {
    /// Hosts held inline.
    const INLINE: usize = 3;

    /// The hosts, in the order they reserved.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u32] {
        match self {
            Reservations::Inline { len, hosts } => &hosts[..*len as usize],
            Reservations::Spilled(v) => v.as_slice(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub(crate) fn contains(&self, host: &u32) -> bool {
        self.as_slice().contains(host)
    }

    pub(crate) fn push(&mut self, host: u32) {
        match self {
            Reservations::Inline { len, hosts } if (*len as usize) < Self::INLINE => {
                hosts[*len as usize] = host;
                *len += 1;
            }
            Reservations::Inline { .. } => {
                let mut v = self.as_slice().to_vec();
                v.push(host);
                *self = Reservations::Spilled(Box::new(v));
            }
            Reservations::Spilled(v) => v.push(host),
        }
    }

    /// Removes `host`'s reservation (the others keep their order).
    pub(crate) fn remove(&mut self, host: u32) {
        match self {
            Reservations::Inline { len, hosts } => {
                let mut kept = 0;
                for i in 0..*len as usize {
                    if hosts[i] != host {
                        hosts[kept] = hosts[i];
                        kept += 1;
                    }
                }
                *len = kept as u8;
            }
            Reservations::Spilled(v) => v.retain(|&h| h != host),
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Reservations::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_behave_like_a_list_inline_and_spilled() {
        let mut model: Vec<u32> = Vec::new();
        let mut r = Reservations::default();
        let ops: [(bool, u32); 12] = [
            (true, 7),
            (true, 3),
            (false, 7),
            (true, 9),
            (true, 3),
            (true, 11),
            (true, 12),
            (false, 3),
            (true, 5),
            (false, 42),
            (false, 11),
            (true, 1),
        ];
        for (push, h) in ops {
            if push {
                r.push(h);
                model.push(h);
            } else {
                r.remove(h);
                model.retain(|&x| x != h);
            }
            assert_eq!(r.as_slice(), &model[..]);
            assert_eq!(r.len(), model.len());
            assert_eq!(r.contains(&h), model.contains(&h));
        }
        assert!(matches!(r, Reservations::Spilled(_)));
        r.clear();
        assert_eq!(r.len(), 0);
        assert!(matches!(r, Reservations::Inline { .. }));
    }

    #[test]
    fn sales_keep_their_ids_across_chunks() {
        let sale = |node| Sale {
            generation: 0,
            node,
            node_pos: 0,
            request: 0,
            slot: 0,
            state: SaleState::Done,
            stored_bytes: 0,
            collateral: 0,
            fill_period: 0,
            provable: false,
            pending_miss: None,
            miss_regime: None,
            exp_repair: false,
            transfer: None,
            lost_at: SimTime::ZERO,
            proof_p: 0.0,
        };
        let mut s = Sales::default();
        let n = Sales::CHUNK * 2 + 5;
        for i in 0..n {
            assert_eq!(s.len(), i);
            s.push(sale(i as u32));
        }
        assert_eq!(s.len(), n);
        s[Sales::CHUNK + 1].node = 1;
        for i in (0..n).step_by(997) {
            assert_eq!(s[i].node, if i == Sales::CHUNK + 1 { 1 } else { i as u32 });
        }
        assert_eq!(s[n - 1].node, (n - 1) as u32);
    }
}

/// An optional time in 8 bytes (`Option<SimTime>` takes 16):
/// [`SimTime::MAX`], a time no event reaches, stands for none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MaybeTime(SimTime);

impl Default for MaybeTime {
    fn default() -> Self {
        MaybeTime(SimTime::MAX)
    }
}

impl MaybeTime {
    pub(crate) fn get(self) -> Option<SimTime> {
        (self.0 != SimTime::MAX).then_some(self.0)
    }

    pub(crate) fn is_some(self) -> bool {
        self.0 != SimTime::MAX
    }

    pub(crate) fn set(&mut self, t: SimTime) {
        debug_assert!(t != SimTime::MAX);
        self.0 = t;
    }

    pub(crate) fn take(&mut self) -> Option<SimTime> {
        std::mem::take(self).get()
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A year of 10,000 nodes holds some 15 million slots and sales.
    #[test]
    fn records_stay_small() {
        assert_eq!(std::mem::size_of::<Reservations>(), 16);
        assert_eq!(std::mem::size_of::<Slot>(), 40);
        assert!(std::mem::size_of::<Request>() <= 192);
        assert_eq!(MaybeTime::default().get(), None);
        let mut t = MaybeTime::default();
        t.set(SimTime::from_nanos(5));
        assert!(t.is_some());
        assert_eq!(t.take(), Some(SimTime::from_nanos(5)));
        assert!(!t.is_some());
    }
}
