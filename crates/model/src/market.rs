//! The market: storage requests and freed slots announced to every online
//! host's slot queue (StorageRequested, SlotFreed), hosts' workers taking
//! items after a transaction delay, each host's decision (drop, decline,
//! retry later, or reserve), and a reservation starting the download.
//!
//! Owns [`Market`] (the slot queues and the requests' queue keys); opens
//! sales in the ledger; starts transfers on the network.

use codexsim_engine::{mix64, Scheduler, SimDuration, SimTime};
use codexsim_net::Endpoint;

use crate::events::{Ev, Stop};
use crate::ledger::ReqState;
use crate::model::Model;
use crate::network::{Part, TransferKind};
use crate::output::TraceKind;
use crate::race::Races;
use crate::slotqueue::{Keys, QueueItem, SlotKey, SlotQueues};

/// Slot-queue keys of every request, announced as new (index 0) or as a
/// repair (index 1, the collateral reduced by the repair reward): a table by
/// request id, since the queues look keys up on every tie. A retired
/// request's keys are freed (no queue holds its slots any more).
#[derive(Clone, Debug, Default)]
pub(crate) struct QueueKeys(Vec<Option<Box<[SlotKey; 2]>>>);

impl QueueKeys {
    /// The next request's keys.
    pub(crate) fn push(&mut self, keys: [SlotKey; 2]) {
        self.0.push(Some(Box::new(keys)));
    }

    /// A retired request's keys are freed.
    pub(crate) fn retire(&mut self, request: u32) {
        self.0[request as usize] = None;
    }
}

impl Keys for QueueKeys {
    #[inline]
    fn key(&self, request: u32, repair: bool) -> SlotKey {
        match &self.0[request as usize] {
            Some(keys) => keys[repair as usize],
            None => panic!("request {request} is retired: no queue holds it"),
        }
    }
}

/// Every host's slot queue, the keys that order them, and (fast market)
/// the races under way.
pub(crate) struct Market {
    pub(crate) queues: SlotQueues,
    pub(crate) keys: QueueKeys,
    pub(crate) races: Races,
    /// `run.market = "fast"` with a block period: announcements start races.
    pub(crate) fast: bool,
    /// Per node: the earliest pending wake-up for the reservation window.
    pub(crate) window_wakes: Vec<Option<SimTime>>,
}

impl Market {
    pub(crate) fn new(queue_sizes: &[u32], seed: u64, fast: bool) -> Self {
        Market {
            queues: SlotQueues::new(queue_sizes, seed),
            keys: QueueKeys::default(),
            races: Races::new(seed),
            fast,
            window_wakes: vec![None; queue_sizes.len()],
        }
    }

    /// The slot queues' invariants.
    pub(crate) fn check(&self) -> Result<(), String> {
        self.queues.check(&self.keys)?;
        self.races.check()
    }
}

/// What a host does with a queue item.
pub(crate) enum Decision {
    /// The slot is gone (filled, reservations full, request over): drop it.
    Drop,
    /// No matching availability (or the host's policy): keep it, seen.
    Decline,
    /// A repair with too few sources online: drop it and announce it later.
    Retry,
    /// The reservation window does not reach the host yet: keep it, seen,
    /// until it does (at this time).
    Wait(SimTime),
    /// Reserve and download.
    Fill {
        /// Whether this repairs a freed slot (K slots' worth to fetch).
        is_repair: bool,
        /// Whether this fills a renewal from the old hosts.
        renewal: bool,
        /// Bytes to download.
        bytes: u64,
    },
}

impl Model<'_> {
    /// SlotFilled or SlotReservationsFull: every queue drops the slot.
    pub(crate) fn unqueue_slot(&mut self, req: u32, slot: u32) {
        let repair = self.ledger.requests[req as usize].slots[slot as usize].announced_repair;
        self.market
            .queues
            .remove_slot(req, slot, repair, &self.market.keys);
    }

    /// The request started, failed, finished or was cancelled: every queue
    /// drops its slots.
    pub(crate) fn unqueue_request(&mut self, req: u32) {
        self.market.queues.remove_request(req, &self.market.keys);
    }

    /// Pushes slots into the queue of every online node (StorageRequested or
    /// SlotFreed), each node in its own random order, and wakes the idle
    /// ones: each after its own delay (exact market), or one at a time in a
    /// race (fast market, `race.rs`).
    pub(crate) fn announce(
        &mut self,
        s: &mut Scheduler<Ev>,
        request: u32,
        slots: &[u32],
        repair: bool,
    ) -> Result<(), Stop> {
        let r = &mut self.ledger.requests[request as usize];
        for &slot in slots {
            r.slots[slot as usize].announced_repair = repair;
        }
        self.market.queues.announce(
            request,
            slots,
            repair,
            &self.ledger.online,
            &self.market.keys,
        );
        if self.market.fast {
            return self.start_race(s, request, slots);
        }
        for n in 0..self.ledger.nodes.len() {
            if self.ledger.nodes[n].up() {
                self.kick(s, n as u32)?;
            }
        }
        Ok(())
    }

    /// The collateral a host puts up for a queue item: reduced by the repair
    /// reward when the slot was announced as freed.
    pub(crate) fn item_collateral(&self, item: &QueueItem) -> u128 {
        self.market.keys.key(item.request, item.repair).collateral
    }

    /// The expanding window: when it reaches `node` for the slot's next
    /// reservation. The XOR distance between the host's address and the
    /// reservation's point (`hash(request, slot, reservation index)`) over
    /// the address space is uniform in [0, 1): drawn here by hashing. The
    /// window opens at the request's creation, or the slot's freeing, and
    /// is full `tail` before the request's expiry after it.
    pub(crate) fn window_opens(&self, node: u32, req: u32, slot: u32) -> Option<SimTime> {
        let w = self.cfg.marketplace.reservation_window?;
        let r = &self.ledger.requests[req as usize];
        let sl = &r.slots[slot as usize];
        let start = sl.freed_at.get().unwrap_or(r.created);
        let index = sl.reservations.len() as u64;
        let point =
            mix64(self.cfg.run.seed ^ mix64(u64::from(req) << 32 | u64::from(slot)) ^ index);
        let address = mix64(self.cfg.run.seed.rotate_left(29) ^ u64::from(node));
        let u = ((point ^ address) >> 11) as f64 / (1u64 << 53) as f64;
        let x = w.opens_at(u);
        let len = self.expiry_of(req).as_nanos() as f64;
        Some(start.saturating_add(SimDuration::from_nanos((x * len).ceil() as u64)))
    }

    /// The reservation window reached the host for something it holds:
    /// its queue's seen items are tried again.
    pub(crate) fn on_window_opens(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let wake = &mut self.market.window_wakes[node as usize];
        if *wake == Some(s.now()) {
            *wake = None;
        }
        self.market.queues.clear_seen(node);
        self.kick(s, node)
    }

    /// A uniform delay in [0, block period): when a transaction is mined.
    pub(crate) fn tx_delay(&mut self, node: u32) -> SimDuration {
        let block = self.cfg.marketplace.block_period.as_nanos();
        if block == 0 {
            return SimDuration::ZERO;
        }
        SimDuration::from_nanos(self.ledger.nodes[node as usize].rng.below(block))
    }

    /// Wakes the node's workers if they have something to do. They act after
    /// a transaction delay, so that which host reserves first is random, as
    /// on the chain.
    pub(crate) fn kick(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        if self.would_wake(node) {
            let d = self.tx_delay(node);
            self.ledger.nodes[node as usize].work_scheduled = true;
            self.ledger.sync_node(node);
            s.schedule_in(d, Ev::Work { node })?;
        }
        Ok(())
    }

    /// Whether the node's workers would wake: it is ready (online, a worker
    /// free, no wake-up pending) and its queue holds something unseen.
    pub(crate) fn would_wake(&self, node: u32) -> bool {
        self.ledger.nodes[node as usize].ready()
            && !self.market.queues.is_empty(node)
            && !self.market.queues.paused(node)
    }

    pub(crate) fn on_work(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        self.ledger.nodes[node as usize].work_scheduled = false;
        self.ledger.sync_node(node);
        loop {
            let n = &self.ledger.nodes[node as usize];
            if !n.up() || n.workers_busy >= n.workers {
                return Ok(());
            }
            let Some(pos) = self.market.queues.next_unseen(node) else {
                return Ok(());
            };
            let item = self.market.queues.get(pos);
            match self.decide(s.now(), node, &item) {
                Decision::Decline => {
                    // Ignored: pushed back as seen, tried again when the
                    // availability gets bytes back.
                    self.market.queues.mark_seen(node, pos);
                }
                Decision::Drop => {
                    self.market.queues.take(node, pos);
                }
                Decision::Wait(at) => {
                    self.market.queues.mark_seen(node, pos);
                    let wake = &mut self.market.window_wakes[node as usize];
                    if wake.is_none_or(|t| at < t) {
                        *wake = Some(at);
                        s.schedule_at(at, Ev::WindowOpens { node })?;
                    }
                }
                Decision::Retry => {
                    self.market.queues.take(node, pos);
                    // Not enough sources online now: announce it again later.
                    let retry = self.period().saturating_mul(10);
                    self.schedule_retry(s, item.request, item.slot, retry)?;
                }
                Decision::Fill {
                    is_repair,
                    renewal,
                    bytes,
                } => {
                    self.market.queues.take(node, pos);
                    self.start_fill(s, node, &item, (is_repair, renewal), bytes)?;
                }
            }
        }
    }

    /// Sales' Preparing state: what the host does with one queue item. Reads
    /// the state only.
    pub(crate) fn decide(&self, now: SimTime, node: u32, item: &QueueItem) -> Decision {
        let (req, slot) = (item.request, item.slot);
        let r = &self.ledger.requests[req as usize];
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
        if let Some(at) = self.window_opens(node, req, slot) {
            if now < at {
                return Decision::Wait(at);
            }
        }
        let n = &self.ledger.nodes[node as usize];
        if n.one_slot_per_request && self.ledger.has_sale_of(node, req) {
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
        let renewal = r.renews().is_some() && !r.client_has_data && r.state == ReqState::New;
        let is_repair = !renewal && sl.freed_at.is_some() && !r.client_has_data;
        // Where the data comes from: the client, the old request's holder of
        // the slot (a renewal), or K slots' worth from holders.
        if renewal {
            if self.ledger.renewal_holder(req, slot).is_none() {
                return Decision::Retry;
            }
            Decision::Fill {
                is_repair,
                renewal,
                bytes: r.layout.slot_data_bytes,
            }
        } else if is_repair {
            if self.ledger.online_source_indices(req) < r.layout.k {
                return Decision::Retry;
            }
            Decision::Fill {
                is_repair,
                renewal,
                bytes: r.layout.repair_bytes(),
            }
        } else {
            Decision::Fill {
                is_repair,
                renewal,
                bytes: r.layout.slot_data_bytes,
            }
        }
    }

    /// Sales' SlotReserving and Downloading states.
    pub(crate) fn start_fill(
        &mut self,
        s: &mut Scheduler<Ev>,
        node: u32,
        item: &QueueItem,
        (is_repair, renewal): (bool, bool),
        bytes: u64,
    ) -> Result<(), Stop> {
        let now = s.now();
        let (req, slot) = (item.request, item.slot);
        let max_res = self.cfg.marketplace.max_reservations_per_slot as usize;
        let full = self.ledger.reserve(req, slot, node, max_res);
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
        let sale = self.ledger.open_sale(node, req, slot, collateral, false);
        if is_repair {
            self.ledger.c.repair_bytes += bytes;
        } else if renewal {
            self.ledger.c.renewal_bytes += bytes;
        } else {
            self.ledger.c.fill_bytes += bytes;
        }
        // The data comes over the network: from the client, or K slots'
        // worth from holders of K other slot indices, in parallel.
        let cap = self.ledger.nodes[node as usize].rate_bytes_per_s as f64;
        let (kind, parts) = if is_repair {
            let k = self.ledger.requests[req as usize].layout.k as u64;
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
        } else if renewal {
            // The source is chosen when the part starts.
            let part = Part::new(Endpoint::Host(node), slot, bytes);
            (TransferKind::Renewal { sale }, vec![part])
        } else {
            let part = Part::new(self.net.clients[req as usize], slot, bytes);
            (TransferKind::Fill { sale }, vec![part])
        };
        let t = self
            .net
            .new_transfer(kind, Endpoint::Host(node), now, cap, parts);
        self.ledger.sales[sale as usize].transfer = Some(t);
        self.begin_transfer(s, t)
    }
}
