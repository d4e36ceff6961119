//! The state layer: the ledger of nodes, failure domains, requests and their
//! slots, sales, and the run's counters.
//!
//! Its transitions (open a sale, reserve, fill, free, end, orphan, drop
//! data, release a reservation, lose a dataset...) keep these records
//! consistent with each other and return what changed (the node whose
//! availability got bytes back, whether a request started or was lost, the
//! sale a freed slot had...). They never schedule events, write output or
//! touch the network or the slot queues: the concept modules above apply
//! what the transitions return, in a fixed order.
//!
//! **Layer rule**: imports the records below it (`records`, `proofs`'
//! requirement) and nothing of the concept modules or the router.

mod check;
mod records;

pub(crate) use records::{
    Chain, Counters, Node, RepairWaits, ReqState, Request, Requests, Sale, SaleState, Sales, Slot,
};

use codexsim_config::{Layout, Scenario};
use codexsim_engine::{RandomStream, SimTime, StreamId};

use crate::proofs::ProofRequirement;

/// The fleet's books.
pub(crate) struct Ledger {
    pub(crate) nodes: Vec<Node>,
    /// Per level, per domain: member nodes.
    pub(crate) domains: Vec<Vec<Vec<u32>>>,
    pub(crate) requests: Requests,
    /// Sales by id. Ids of sales that are over are reused (a sale's
    /// generation tells its events from those of earlier sales with its id).
    pub(crate) sales: Sales,
    /// Ids free for new sales.
    free_sales: Vec<u32>,
    /// Ids of sales that ended in the current event: free once it is over.
    closed_sales: Vec<u32>,
    pub(crate) c: Counters,
    pub(crate) requests_new: u64,
    pub(crate) requests_started: u64,
    /// Bytes of the unfilled slots of new requests (they count as committed
    /// when arrivals are throttled by utilisation).
    pub(crate) pending_new_bytes: u64,
    /// Filled slots of active requests.
    pub(crate) active_filled: u64,
    /// The nodes online (a node bit set; see [`Ledger::sync_node`]).
    pub(crate) online: Vec<u64>,
    /// The nodes online with a free worker and no wake-up pending: those an
    /// announcement wakes (a node bit set; see [`Ledger::sync_node`]).
    pub(crate) ready: Vec<u64>,
    /// The quota of the nodes that have not left.
    live_quota_bytes: u64,
    /// Their used and reserved bytes (kept as they change: an arrival reads
    /// them).
    live_committed_bytes: u64,
    /// Sales whose host lost the slot's data while the slot is still its
    /// (not yet freed: the loss not yet detected).
    pub(crate) zombies: u64,
}

/// A new request's terms, as drawn by the workload.
pub(crate) struct NewRequest {
    pub(crate) layout: Layout,
    pub(crate) dataset_bytes: u64,
    pub(crate) created: SimTime,
    pub(crate) end_at: SimTime,
    pub(crate) collateral_per_slot: u128,
    pub(crate) proof: ProofRequirement,
    /// For a renewal: the request it renews.
    pub(crate) renews: Option<u32>,
    /// Whether the client holds the data (not for a renewal, unless it
    /// keeps a copy for good).
    pub(crate) client_has_data: bool,
}

/// What [`Ledger::end_sale`] changed.
pub(crate) struct SaleEnded {
    /// The sale's host.
    pub(crate) node: u32,
    /// The host's availability got the sale's bytes back (its slot queue's
    /// seen items are worth trying again).
    pub(crate) released: bool,
}

/// What [`Ledger::fill`] changed.
pub(crate) struct Filled {
    pub(crate) node: u32,
    pub(crate) request: u32,
    pub(crate) slot: u32,
    /// Bytes now stored.
    pub(crate) data_bytes: u64,
    /// The fill was the request's last: it started.
    pub(crate) request_started: bool,
}

/// What [`Ledger::free_slot`] changed: the slot's host left it.
pub(crate) struct Freed {
    /// The sale that hosted the slot (`Filled` or `Zombie`).
    pub(crate) sale: u32,
    pub(crate) node: u32,
}

/// A request's state after one of its slots was freed.
pub(crate) enum AfterFree {
    /// More slots lost than it tolerates: it fails.
    Fails,
    /// No longer active: nothing to repair.
    Inactive,
    /// A started dataset below its lazy-repair threshold: the slot waits.
    Deferred,
    /// Repair this slot now (nothing was deferred: no list to build).
    RepairOne,
    /// Repair these slots now: the deferred ones, then this one.
    Repair(Vec<u32>),
}

impl Ledger {
    /// The nodes and domains of a validated scenario, nothing else yet.
    pub(crate) fn new(cfg: &Scenario) -> Self {
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
                    collateral_left: g.total_collateral.map_or(u128::MAX, u128::from),
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
        let mut online = vec![0u64; nodes.len().div_ceil(64).max(1)];
        for (i, n) in nodes.iter().enumerate() {
            if n.up() {
                online[i / 64] |= 1 << (i % 64);
            }
        }
        let live_quota_bytes = nodes.iter().map(|n| n.quota_bytes).sum();
        Ledger {
            live_quota_bytes,
            live_committed_bytes: 0,
            zombies: 0,
            ready: online.clone(),
            online,
            nodes,
            domains,
            requests: Requests::default(),
            sales: Sales::default(),
            free_sales: Vec::new(),
            closed_sales: Vec::new(),
            c: Counters::default(),
            requests_new: 0,
            requests_started: 0,
            pending_new_bytes: 0,
            active_filled: 0,
        }
    }

    /// Records whether the node is online and ready, after its
    /// `down_causes`, `gone`, `workers_busy` or `work_scheduled` changed.
    pub(crate) fn sync_node(&mut self, node: u32) {
        let (w, bit) = (node as usize / 64, 1u64 << (node % 64));
        let n = &self.nodes[node as usize];
        let (up, ready) = (n.up(), n.ready());
        for (bits, on) in [(&mut self.online, up), (&mut self.ready, ready)] {
            if on {
                bits[w] |= bit;
            } else {
                bits[w] &= !bit;
            }
        }
    }

    // ------------------------------------------------------------ queries

    /// Quota of the nodes that have not left, and the bytes committed on
    /// them (used, reserved, and the unfilled slots of new requests).
    pub(crate) fn fleet_committed_bytes(&self) -> (u64, u64) {
        (
            self.live_quota_bytes,
            self.live_committed_bytes + self.pending_new_bytes,
        )
    }

    /// The node leaves the fleet for good: its quota and bytes no longer
    /// count.
    pub(crate) fn leave(&mut self, node: u32) {
        let n = &mut self.nodes[node as usize];
        if !n.gone {
            n.gone = true;
            self.live_quota_bytes -= n.quota_bytes;
            self.live_committed_bytes -= n.used_bytes + n.reserved_bytes;
        }
        self.sync_node(node);
    }

    /// Slot indices of a request whose data some online host stores.
    pub(crate) fn online_source_indices(&self, req: u32) -> u32 {
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

    /// Whether `node` has a sale of `req` that is not over.
    pub(crate) fn has_sale_of(&self, node: u32, req: u32) -> bool {
        self.requests[req as usize].sales.iter().any(|&x| {
            let sx = &self.sales[x as usize];
            sx.node == node && sx.state != SaleState::Done
        })
    }

    /// The most slots of the request one host has filled.
    pub(crate) fn most_slots_one_host(&self, req: u32) -> u32 {
        let mut nodes: Vec<u32> = self.requests[req as usize]
            .sales
            .iter()
            .filter(|&&x| self.sales[x as usize].state == SaleState::Filled)
            .map(|&x| self.sales[x as usize].node)
            .collect();
        nodes.sort_unstable();
        let mut best = 0;
        let mut run = 0;
        for (i, &n) in nodes.iter().enumerate() {
            run = if i > 0 && nodes[i - 1] == n {
                run + 1
            } else {
                1
            };
            best = best.max(run);
        }
        best
    }

    /// A renewal's slot: the first online host of the renewed request that
    /// holds the slot's data, if any.
    pub(crate) fn renewal_holder(&self, req: u32, slot: u32) -> Option<u32> {
        let old = self.requests[req as usize].renews()?;
        let r = self.requests.get(old as usize)?;
        r.sales.iter().find_map(|&y| {
            let sy = &self.sales[y as usize];
            (sy.slot == slot && sy.stored_bytes > 0 && self.nodes[sy.node as usize].up())
                .then_some(sy.node)
        })
    }

    /// Whether a sale holds a reservation in its host's availability.
    pub(crate) fn charged(state: SaleState) -> bool {
        matches!(state, SaleState::Downloading | SaleState::Filled)
    }

    // ------------------------------------------------------------ requests

    /// Records a new request (state New) with `slots` empty slots; its id.
    pub(crate) fn open_request(&mut self, new: NewRequest) -> u32 {
        let id = self.requests.len() as u32;
        let slots = new.layout.slots();
        // A renewal continues its predecessor's dataset.
        let chain = new.renews.map(|old| Chain {
            dataset: self.requests[old as usize].dataset(old),
            renews: Some(old),
            renewed_by: None,
        });
        self.requests.push(Request {
            layout: new.layout,
            dataset_bytes: new.dataset_bytes,
            created: new.created,
            end_at: new.end_at,
            state: ReqState::New,
            slots: vec![Slot::default(); slots as usize],
            filled: 0,
            collateral_per_slot: new.collateral_per_slot,
            proof: new.proof,
            client_has_data: new.client_has_data,
            sales: Vec::new(),
            holders: vec![0; slots as usize],
            alive_indices: 0,
            lost: false,
            repairs_active: 0,
            waits: chain.map(|c| {
                Box::new(RepairWaits {
                    chain: Some(c),
                    ..RepairWaits::default()
                })
            }),
            ever_started: false,
        });
        match chain {
            Some(Chain {
                dataset,
                renews: Some(old),
                ..
            }) => {
                self.requests[old as usize]
                    .waits_mut()
                    .chain
                    .get_or_insert(Chain {
                        dataset,
                        ..Chain::default()
                    })
                    .renewed_by = Some(id);
            }
            _ => self.c.submitted += 1,
        }
        self.requests_new += 1;
        self.pending_new_bytes += new.layout.slot_size_bytes * slots as u64;
        id
    }

    /// A request stops being active: its filled slots leave the count.
    pub(crate) fn deactivate(&mut self, req: u32, state: ReqState) {
        let r = &mut self.requests[req as usize];
        debug_assert!(r.active());
        self.active_filled -= r.filled as u64;
        r.state = state;
    }

    /// A new request's expiry passed before it started: it is cancelled.
    /// Whether it was still new.
    pub(crate) fn cancel(&mut self, req: u32) -> bool {
        if self
            .requests
            .get(req as usize)
            .is_none_or(|r| r.state != ReqState::New)
        {
            return false;
        }
        self.deactivate(req, ReqState::Cancelled);
        let r = &self.requests[req as usize];
        let unfilled = r.slots.len() as u64 - r.filled as u64;
        self.pending_new_bytes -= unfilled * r.layout.slot_size_bytes;
        self.requests_new -= 1;
        self.c.cancelled += 1;
        true
    }

    /// A started request lost more slots than it tolerates.
    pub(crate) fn fail(&mut self, req: u32, now: SimTime) {
        self.deactivate(req, ReqState::Failed);
        self.requests_started -= 1;
        self.c.failed += 1;
        self.c.first_failure.get_or_insert(now);
    }

    /// An active request reached its end (not renewed).
    pub(crate) fn finish(&mut self, req: u32) {
        if self.requests[req as usize].state == ReqState::Started {
            self.requests_started -= 1;
        } else {
            self.requests_new -= 1;
        }
        self.deactivate(req, ReqState::Finished);
        self.c.finished += 1;
    }

    /// Every slot of an ended request forgets its host and reservations
    /// (after its sales ended).
    pub(crate) fn clear_slots(&mut self, req: u32) {
        for sl in &mut self.requests[req as usize].slots {
            sl.host_sale = None;
            sl.reservations.clear();
        }
        self.requests[req as usize].filled = 0;
    }

    /// A request over for good (its end passed, its sales closed, its
    /// client released) is retired: its record is freed. Events still
    /// pending for it find it gone ([`Requests::get`]).
    pub(crate) fn retire(&mut self, req: u32) {
        let r = &self.requests[req as usize];
        // (`repairs_active` may still count exponential-model repairs whose
        // sales the request's end closed: it is read for active requests
        // only.)
        debug_assert!(!r.active(), "request {req} retired while active");
        debug_assert!(
            r.sales.is_empty(),
            "request {req} retired with sales {:?}",
            r.sales
        );
        self.requests.retire(req as usize);
    }

    /// Whether request `other` (a renewal's predecessor or successor) is
    /// active and holds the data.
    fn holds_data(&self, other: Option<u32>) -> bool {
        other
            .and_then(|o| self.requests.get(o as usize))
            .is_some_and(|o| {
                o.active() && !o.lost && o.ever_started && o.alive_indices >= o.layout.k
            })
    }

    /// A request with too few slot indices held is lost, once: its bytes
    /// (not while the request renewing it, or the one it renews, holds the
    /// data: the dataset lives on there).
    pub(crate) fn check_loss(&mut self, now: SimTime, req: u32) -> Option<u64> {
        let r = &self.requests[req as usize];
        if r.lost
            || !r.active()
            || r.client_has_data
            || r.alive_indices >= r.layout.k
            || !r.ever_started
            || self.holds_data(r.renews())
            || self.holds_data(r.renewed_by())
        {
            return None;
        }
        let r = &mut self.requests[req as usize];
        r.lost = true;
        let bytes = r.dataset_bytes;
        self.c.datasets_lost += 1;
        self.c.bytes_lost += bytes;
        self.c.first_loss.get_or_insert(now);
        Some(bytes)
    }

    // ------------------------------------------------------------ sales

    /// Moves a sale to a new state, keeping its node's filled count; a sale
    /// that is over is queued for reuse at the end of the event.
    pub(crate) fn set_state(&mut self, sale: u32, new: SaleState) {
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
        // Zombies: slots whose host lost the data, not yet freed.
        if old == SaleState::Zombie {
            self.zombies -= 1;
        }
        if new == SaleState::Zombie {
            self.zombies += 1;
            self.c.slots_lost += 1;
        }
        if new == SaleState::Done {
            self.closed_sales.push(sale);
        }
    }

    /// The event is over: ids of sales that ended in it can be reused (no
    /// handler is halfway through a sale, and nothing but events, which
    /// check generations, names a sale that ended).
    pub(crate) fn recycle_closed(&mut self) {
        if !self.closed_sales.is_empty() {
            self.free_sales.append(&mut self.closed_sales);
        }
    }

    /// A host reserves a slot: whether its reservations are now full.
    pub(crate) fn reserve(&mut self, req: u32, slot: u32, node: u32, max: usize) -> bool {
        let sl = &mut self.requests[req as usize].slots[slot as usize];
        sl.reservations.push(node);
        sl.reservations.len() >= max
    }

    /// Reserves bytes and collateral for a new sale in Downloading; its id.
    pub(crate) fn open_sale(
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
        if !n.gone {
            self.live_committed_bytes += slot_size;
        }
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
        if !exp_repair {
            self.sync_node(node);
        }
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

    /// Gives a charged sale's bytes back to the availability (and the
    /// collateral, if given). Data it stores stays on disk. Returns the
    /// node, whose availability has bytes again.
    pub(crate) fn release_reservation(&mut self, sale: u32, collateral: Option<u128>) -> u32 {
        let x = &self.sales[sale as usize];
        let slot_size = self.requests[x.request as usize].layout.slot_size_bytes;
        let n = &mut self.nodes[x.node as usize];
        n.reserved_bytes -= slot_size - x.stored_bytes;
        if !n.gone {
            self.live_committed_bytes -= slot_size - x.stored_bytes;
        }
        n.avail_free_bytes += slot_size;
        if let Some(c) = collateral {
            n.collateral_left += c;
        }
        x.node
    }

    /// The sale's host no longer stores its data: the request whose slot
    /// index lost a holder, or `None` if it stored nothing.
    pub(crate) fn drop_data(&mut self, sale: u32) -> Option<u32> {
        let (node, req, slot, stored, state) = {
            let x = &mut self.sales[sale as usize];
            let stored = x.stored_bytes;
            x.stored_bytes = 0;
            (x.node, x.request, x.slot, stored, x.state)
        };
        if stored == 0 {
            return None;
        }
        let n = &mut self.nodes[node as usize];
        n.used_bytes -= stored;
        let charged = Self::charged(state);
        if charged {
            // The reservation is still held: the bytes go back to reserved.
            n.reserved_bytes += stored;
        } else if !n.gone {
            self.live_committed_bytes -= stored;
        }
        let r = &mut self.requests[req as usize];
        r.holders[slot as usize] -= 1;
        if r.holders[slot as usize] == 0 {
            r.alive_indices -= 1;
        }
        Some(req)
    }

    /// Ends a sale whose transfer is stopped and whose data is dropped:
    /// releases its reservation (and collateral, if returned), marks it
    /// Done, takes it off its node's and request's lists, frees its worker
    /// and its reservation of the slot.
    pub(crate) fn end_sale(&mut self, sale: u32, return_collateral: bool) -> SaleEnded {
        let (node, req, slot, state, collateral) = {
            let x = &self.sales[sale as usize];
            (x.node, x.request, x.slot, x.state, x.collateral)
        };
        debug_assert_eq!(self.sales[sale as usize].stored_bytes, 0);
        let was_downloading = state == SaleState::Downloading;
        let released = Self::charged(state);
        if released {
            self.release_reservation(sale, return_collateral.then_some(collateral));
        }
        self.set_state(sale, SaleState::Done);
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
            self.sync_node(node);
        }
        if was_downloading {
            let sl = &mut self.requests[req as usize].slots[slot as usize];
            sl.reservations.remove(node);
        }
        SaleEnded { node, released }
    }

    /// The host leaves the slot (freed, or the request failed): its
    /// reservation returns to the availability, its collateral is
    /// forfeited, and the data stays on disk until its TTL. Returns the node.
    pub(crate) fn orphan(&mut self, sale: u32) -> u32 {
        let node = self.release_reservation(sale, None);
        self.sales[sale as usize].collateral = 0;
        self.set_state(sale, SaleState::Orphan);
        node
    }

    /// The host's disk is gone: a filled sale keeps its place on the
    /// contract without data (a zombie) and its bytes return to the
    /// availability (the local bookkeeping went with the disk).
    pub(crate) fn lose_disk(&mut self, sale: u32, now: SimTime) {
        self.release_reservation(sale, None);
        self.set_state(sale, SaleState::Zombie);
        self.sales[sale as usize].lost_at = now;
    }

    /// A download is over and the host sends fillSlot: the sale is Filled
    /// and stores the slot; the request starts with its last slot.
    pub(crate) fn fill(
        &mut self,
        sale: u32,
        now: SimTime,
        fill_period: u64,
        client_keeps_data_always: bool,
    ) -> Filled {
        let (node, req, slot) = {
            let x = &self.sales[sale as usize];
            (x.node, x.request, x.slot)
        };
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
        let r = &mut self.requests[req as usize];
        if r.state == ReqState::New {
            self.pending_new_bytes -= r.layout.slot_size_bytes;
        }
        let mut started = false;
        if r.state == ReqState::New && r.filled as usize == r.slots.len() {
            r.state = ReqState::Started;
            r.ever_started = true;
            r.client_has_data = client_keeps_data_always;
            let created = r.created;
            self.requests_new -= 1;
            self.requests_started += 1;
            self.c.started += 1;
            self.c.fill_time_sum_s += now.saturating_since(created).as_secs_f64();
            self.c.fill_time_n += 1;
            started = true;
        }
        Filled {
            node,
            request: req,
            slot,
            data_bytes: data,
            request_started: started,
        }
    }

    /// The slot leaves its host: `None` if it had none.
    pub(crate) fn free_slot(&mut self, req: u32, slot: u32, now: SimTime) -> Option<Freed> {
        let sale = {
            let sl = &mut self.requests[req as usize].slots[slot as usize];
            let sale = sl.host_sale.take()?;
            sl.missed = 0;
            sl.freed_at.set(now);
            sl.reservations.clear();
            sale
        };
        let node = self.sales[sale as usize].node;
        self.requests[req as usize].filled -= 1;
        self.active_filled -= 1;
        self.c.slots_freed += 1;
        Some(Freed { sale, node })
    }

    /// A zombie's slot was freed: the loss of its data is detected.
    pub(crate) fn loss_detected(&mut self, sale: u32, now: SimTime) {
        let lost_at = self.sales[sale as usize].lost_at;
        self.c.loss_detection_sum_s += now.as_secs_f64() - lost_at.as_secs_f64();
        self.c.losses_detected += 1;
    }

    /// After a slot of `req` was freed (and its host's sale moved on): the
    /// request's fate, with lazy repair's threshold (`lazy`) and the
    /// tolerated losses (`max_loss`).
    pub(crate) fn after_free(
        &mut self,
        req: u32,
        slot: u32,
        max_loss: u32,
        lazy: u32,
    ) -> AfterFree {
        let r = &self.requests[req as usize];
        if r.state == ReqState::New {
            self.pending_new_bytes += r.layout.slot_size_bytes;
        }
        if r.state == ReqState::Started && r.slots.len() as u32 - r.filled > max_loss {
            return AfterFree::Fails;
        }
        if !r.active() {
            return AfterFree::Inactive;
        }
        // Lazy repair of a started dataset: wait until enough of its slots
        // are freed, then repair all of them.
        let r = &mut self.requests[req as usize];
        if r.state == ReqState::Started && (r.slots.len() as u32 - r.filled) < lazy {
            r.waits_mut().deferred.push(slot);
            return AfterFree::Deferred;
        }
        if r.waits.as_ref().is_none_or(|w| w.deferred.is_empty()) {
            return AfterFree::RepairOne;
        }
        let mut slots = std::mem::take(&mut r.waits_mut().deferred);
        slots.push(slot);
        AfterFree::Repair(slots)
    }
}
