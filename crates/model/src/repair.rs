//! Repair: a slot leaving its host (freed by the validator, or at once when
//! detection is immediate), the request failing or the slot waiting for
//! lazy repair's threshold, freed slots offered again to the market (or to
//! the exponential repair model), retries when too few sources are online,
//! and the choice of sources for a repair's parts.
//!
//! Owns [`RepairState`]; composes the ledger's `free_slot` and
//! `after_free`.

use codexsim_config::RepairModel;
use codexsim_engine::{RandomStream, Scheduler, SimDuration, StreamId};
use codexsim_net::Endpoint;

use crate::events::{Ev, Stop};
use crate::ledger::{AfterFree, Freed, SaleState};
use crate::model::Model;
use crate::output::TraceKind;

/// The exponential repair model's state.
pub(crate) struct RepairState {
    pub(crate) rng: RandomStream,
    /// Slots waiting for an eligible host (request, slot).
    pub(crate) waiting: Vec<(u32, u32)>,
}

impl RepairState {
    pub(crate) fn new(seed: u64) -> Self {
        RepairState {
            rng: RandomStream::new(seed, StreamId::new("repair", 0)),
            waiting: Vec::new(),
        }
    }
}

impl Model<'_> {
    /// The slot leaves its host (validator, or loss noticed at once).
    pub(crate) fn free_slot(
        &mut self,
        s: &mut Scheduler<Ev>,
        req: u32,
        slot: u32,
    ) -> Result<(), Stop> {
        let now = s.now();
        let Some(Freed { sale, node }) = self.ledger.free_slot(req, slot, now) else {
            return Ok(());
        };
        self.unwatch_slot(req, slot);
        self.trace(
            now,
            TraceKind::SlotFreed,
            Some(node),
            Some(req),
            Some(slot),
            None,
        );
        match self.ledger.sales[sale as usize].state {
            SaleState::Filled => self.orphan(s, sale)?,
            SaleState::Zombie => {
                self.ledger.loss_detected(sale, now);
                self.close_sale(s, sale, false)?;
            }
            _ => {}
        }
        let max_loss = self.cfg.workload.tolerance;
        let lazy = self.cfg.repair.lazy_threshold;
        match self.ledger.after_free(req, slot, max_loss, lazy) {
            AfterFree::Fails => self.fail_request(s, req),
            AfterFree::Inactive | AfterFree::Deferred => Ok(()),
            AfterFree::RepairOne => self.repair_slots(s, req, &[slot]),
            AfterFree::Repair(slots) => self.repair_slots(s, req, &slots),
        }
    }

    /// Offers freed slots for repair: to the slot queues, or to the
    /// exponential repair model.
    pub(crate) fn repair_slots(
        &mut self,
        s: &mut Scheduler<Ev>,
        req: u32,
        slots: &[u32],
    ) -> Result<(), Stop> {
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

    pub(crate) fn schedule_retry(
        &mut self,
        s: &mut Scheduler<Ev>,
        req: u32,
        slot: u32,
        after: SimDuration,
    ) -> Result<(), Stop> {
        let sl = &mut self.ledger.requests[req as usize].slots[slot as usize];
        if !sl.retry_pending {
            sl.retry_pending = true;
            s.schedule_in(after, Ev::RepairRetry { request: req, slot })?;
        }
        Ok(())
    }

    pub(crate) fn on_repair_retry(
        &mut self,
        s: &mut Scheduler<Ev>,
        req: u32,
        slot: u32,
    ) -> Result<(), Stop> {
        if self.ledger.requests.get(req as usize).is_none() {
            return Ok(()); // retired meanwhile
        }
        self.ledger.requests[req as usize].slots[slot as usize].retry_pending = false;
        let r = &self.ledger.requests[req as usize];
        if !r.active() || r.slots[slot as usize].host_sale.is_some() || r.lost {
            return Ok(());
        }
        self.repair_slots(s, req, &[slot])
    }

    pub(crate) fn start_exp_repair(
        &mut self,
        s: &mut Scheduler<Ev>,
        req: u32,
        slot: u32,
    ) -> Result<(), Stop> {
        let RepairModel::Exponential { mean } = self.cfg.repair.model else {
            return Ok(());
        };
        // (Repairs waiting for a node to come back may name a request
        // retired since.)
        let Some(r) = self.ledger.requests.get(req as usize) else {
            return Ok(());
        };
        if !r.active() || r.lost || r.slots[slot as usize].host_sale.is_some() {
            return Ok(());
        }
        if self.cfg.repair.serial && r.repairs_active > 0 {
            if !r.waits.as_ref().is_some_and(|w| w.serial.contains(&slot)) {
                self.ledger.requests[req as usize]
                    .waits_mut()
                    .serial
                    .push_back(slot);
            }
            return Ok(());
        }
        let slot_size = r.layout.slot_size_bytes;
        let eligible: Vec<u32> = (0..self.ledger.nodes.len() as u32)
            .filter(|&n| {
                let node = &self.ledger.nodes[n as usize];
                node.up() && node.avail_free_bytes >= slot_size && !self.ledger.has_sale_of(n, req)
            })
            .collect();
        if eligible.is_empty() {
            // Wait for a host to come online (see `node_up`).
            if !self.repair.waiting.contains(&(req, slot)) {
                self.repair.waiting.push((req, slot));
            }
            return Ok(());
        }
        let node = eligible[self.repair.rng.below(eligible.len() as u64) as usize];
        let collateral = r.collateral_per_slot
            * (100 - self.cfg.marketplace.repair_reward_percentage as u128)
            / 100;
        let collateral = collateral.min(self.ledger.nodes[node as usize].collateral_left);
        let sale = self.ledger.open_sale(node, req, slot, collateral, true);
        self.ledger.requests[req as usize].repairs_active += 1;
        self.ledger.c.repair_bytes += self.ledger.requests[req as usize].layout.repair_bytes();
        let d = SimDuration::drawn_secs_f64(self.repair.rng.exponential(mean.as_secs_f64()));
        let generation = self.ledger.sales[sale as usize].generation;
        s.schedule_in(d, Ev::RepairDone { sale, generation })?;
        Ok(())
    }

    pub(crate) fn on_repair_done(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let now = s.now();
        let (req, slot, state) = {
            let x = &self.ledger.sales[sale as usize];
            (x.request, x.slot, x.state)
        };
        if state != SaleState::Downloading {
            return Ok(()); // aborted; the abort restarted the repair
        }
        self.ledger.requests[req as usize].repairs_active -= 1;
        let r = &self.ledger.requests[req as usize];
        if !r.active() || r.lost || r.slots[slot as usize].host_sale.is_some() {
            self.close_sale(s, sale, true)?;
        } else {
            self.fill(s, sale, now)?;
        }
        self.next_serial_repair(s, req)
    }

    pub(crate) fn next_serial_repair(
        &mut self,
        s: &mut Scheduler<Ev>,
        req: u32,
    ) -> Result<(), Stop> {
        if self.cfg.repair.serial && self.ledger.requests[req as usize].repairs_active == 0 {
            if let Some(next) = self.ledger.requests[req as usize]
                .waits
                .as_mut()
                .and_then(|w| w.serial.pop_front())
            {
                return self.start_exp_repair(s, req, next);
            }
        }
        Ok(())
    }

    /// A source for one more part of a repair: a slot index that no other
    /// unfinished part reads, with a holder online (the repairing host itself
    /// reads locally). Chosen at random among those.
    pub(crate) fn repair_source(&mut self, t: u32, sale: u32) -> Option<(Endpoint, u32)> {
        let (req, node) = {
            let x = &self.ledger.sales[sale as usize];
            (x.request, x.node)
        };
        let tr = &self.net.transfers[t as usize];
        let used: Vec<u32> = tr
            .parts
            .iter()
            .filter(|p| p.flow.is_some() || p.done)
            .map(|p| p.index)
            .collect();
        let r = &self.ledger.requests[req as usize];
        // Per slot index, its first online holder.
        let mut holder: Vec<Option<u32>> = vec![None; r.slots.len()];
        for &x in &r.sales {
            let sx = &self.ledger.sales[x as usize];
            if sx.stored_bytes > 0
                && self.ledger.nodes[sx.node as usize].up()
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
        let pick = self.ledger.nodes[node as usize]
            .rng
            .below(candidates.len() as u64) as usize;
        let (index, host) = candidates[pick];
        Some((Endpoint::Host(host), index))
    }

    /// A renewal's source: an online host of the renewed request holding
    /// the same slot's data (the node fetches a slot's own blocks; decoding
    /// them from other slots is not modelled).
    pub(crate) fn renewal_source(&self, sale: u32) -> Option<(Endpoint, u32)> {
        let x = &self.ledger.sales[sale as usize];
        let node = self.ledger.renewal_holder(x.request, x.slot)?;
        Some((Endpoint::Host(node), x.slot))
    }
}
