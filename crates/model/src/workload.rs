//! The workload: clients' storage requests. Arrivals (random, throttled by
//! the fleet's utilisation, or at fixed times), a request's terms, its
//! expiry when it does not start in time, its end (renewed with the same
//! hosts, or finished), and its failure when it loses more slots than it
//! tolerates.
//!
//! Owns [`WorkloadState`]; opens and closes requests in the ledger;
//! announces new slots to the market.

use codexsim_config::{Layout, Renewal};
use codexsim_engine::{RandomStream, Scheduler, SimDuration, SimTime, StreamId};

use crate::events::{Ev, Stop};
use crate::ledger::{NewRequest, ReqState, SaleState};
use crate::model::Model;
use crate::output::TraceKind;
use crate::proofs::ProofRequirement;
use crate::slotqueue::SlotKey;

/// The arrival process's state.
pub(crate) struct WorkloadState {
    pub(crate) rng: RandomStream,
    /// Random arrivals that made a request.
    pub(crate) random_arrivals: u64,
    /// The next of the scenario's fixed arrival times.
    pub(crate) next_fixed_arrival: usize,
}

impl WorkloadState {
    pub(crate) fn new(seed: u64) -> Self {
        WorkloadState {
            rng: RandomStream::new(seed, StreamId::new("workload", 0)),
            random_arrivals: 0,
            next_fixed_arrival: 0,
        }
    }
}

impl Model<'_> {
    pub(crate) fn draw_interarrival(&mut self) -> SimDuration {
        SimDuration::drawn_secs_f64(
            self.cfg
                .workload
                .interarrival_s
                .sample(&mut self.workload.rng),
        )
    }

    pub(crate) fn on_arrival(&mut self, s: &mut Scheduler<Ev>, fixed: bool) -> Result<(), Stop> {
        let w = &self.cfg.workload;
        if fixed {
            let i = self.workload.next_fixed_arrival;
            self.workload.next_fixed_arrival += 1;
            if let Some(&next) = self.cfg.workload.arrival_times.get(i + 1) {
                s.schedule_at(SimTime::ZERO.saturating_add(next), Ev::FixedArrival)?;
            }
            return self.create_request(s);
        }
        let limit = w.max_datasets;
        let target = w.target_utilisation;
        if limit.is_none_or(|l| self.workload.random_arrivals < l) {
            let d = self.draw_interarrival();
            let next = s.now().saturating_add(d);
            if next <= self.horizon {
                s.schedule_at(next, Ev::Arrival)?;
            }
        }
        let (quota, committed) = self.ledger.fleet_committed_bytes();
        if (committed as f64) >= target * quota as f64 {
            return Ok(());
        }
        self.workload.random_arrivals += 1;
        self.create_request(s)
    }

    pub(crate) fn create_request(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let bytes = self
            .cfg
            .workload
            .dataset_bytes
            .sample(&mut self.workload.rng)
            .round()
            .max(1.0) as u64;
        self.post_request(s, bytes, None)
    }

    /// A client posts a request for `bytes` (a renewal of `renews`, for the
    /// same data): its expiry, end and renewal are scheduled and its slots
    /// announced.
    fn post_request(
        &mut self,
        s: &mut Scheduler<Ev>,
        bytes: u64,
        renews: Option<u32>,
    ) -> Result<(), Stop> {
        let now = s.now();
        let w = &self.cfg.workload;
        let k = w.nodes - w.tolerance;
        let layout = Layout::new(bytes, k, w.tolerance);
        let slots = layout.slots();
        let collateral_per_slot = w.collateral_per_byte as u128 * layout.slot_size_bytes as u128;
        let profitability = w.duration.as_secs() as u128
            * w.price_per_byte_per_s as u128
            * layout.slot_size_bytes as u128;
        let expiry = self.expiry_for(renews.is_some());
        let expiry_ns = now.saturating_add(expiry).as_nanos();
        let reward = self.cfg.marketplace.repair_reward_percentage as u128;
        self.market.keys.push([
            SlotKey::new(profitability, collateral_per_slot, expiry_ns),
            SlotKey::new(
                profitability,
                collateral_per_slot * (100 - reward) / 100,
                expiry_ns,
            ),
        ]);
        let id = self.ledger.open_request(NewRequest {
            layout,
            dataset_bytes: bytes,
            created: now,
            end_at: now.saturating_add(w.duration),
            collateral_per_slot,
            proof: ProofRequirement::new(w.proof_probability, self.cfg.marketplace.downtime_blocks),
            renews,
            client_has_data: renews.is_none() || w.client_keeps_data_always,
        });
        self.net.add_client(id);
        self.trace(
            now,
            TraceKind::RequestCreated,
            None,
            Some(id),
            None,
            Some(bytes),
        );
        s.schedule_at(now.saturating_add(expiry), Ev::Expiry { request: id })?;
        let end = self.ledger.requests[id as usize].end_at;
        s.schedule_at(end, Ev::End { request: id })?;
        if let (true, Renewal::NewRequest { lead, .. }) =
            (self.cfg.workload.renew, self.cfg.workload.renewal)
        {
            let at = SimTime::from_nanos(end.as_nanos().saturating_sub(lead.as_nanos()));
            if at > now && at <= self.horizon {
                s.schedule_at(at, Ev::RenewalDue { request: id })?;
            }
        }
        let slot_list: Vec<u32> = (0..slots).collect();
        self.announce(s, id, &slot_list, false)
    }

    /// How long the request has to start.
    pub(crate) fn expiry_of(&self, req: u32) -> SimDuration {
        self.expiry_for(self.ledger.requests[req as usize].renews().is_some())
    }

    /// How long a request has to start: a renewal's own expiry, or the
    /// workload's.
    fn expiry_for(&self, renewal: bool) -> SimDuration {
        let w = &self.cfg.workload;
        match w.renewal {
            Renewal::NewRequest { expiry, .. } if renewal => expiry,
            _ => w.expiry,
        }
    }

    /// Renewal by a new request: `lead` before the end of a started request
    /// that still holds its data, its client posts a request for the same
    /// data.
    pub(crate) fn on_renewal_due(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let Some(r) = self.ledger.requests.get(req as usize) else {
            return Ok(());
        };
        if r.state != ReqState::Started || r.lost {
            return Ok(());
        }
        self.renew_by_new_request(s, req)
    }

    fn renew_by_new_request(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let bytes = self.ledger.requests[req as usize].dataset_bytes;
        self.ledger.c.renewals += 1;
        self.trace(
            s.now(),
            TraceKind::RequestRenewed,
            None,
            Some(req),
            None,
            None,
        );
        self.post_request(s, bytes, Some(req))
    }

    pub(crate) fn on_expiry(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        if !self.ledger.cancel(req) {
            return Ok(());
        }
        let now = s.now();
        self.trace(
            now,
            TraceKind::RequestCancelled,
            None,
            Some(req),
            None,
            None,
        );
        self.unqueue_request(req);
        self.unwatch_request(req);
        self.end_sales(s, req)?;
        // A renewal that did not start: its client posts it again while the
        // old request still runs; after that, the dataset is not kept.
        if let Some(old) = self.ledger.requests[req as usize].renews() {
            let alive = self
                .ledger
                .requests
                .get(old as usize)
                .is_some_and(|o| o.state == ReqState::Started && !o.lost);
            if alive {
                self.renew_by_new_request(s, old)?;
            } else {
                self.ledger.c.renewals_failed += 1;
            }
        }
        Ok(())
    }

    /// Every sale of a request ends now (payout or cleanup).
    pub(crate) fn end_sales(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let sales = self.ledger.requests[req as usize].sales.clone();
        let now = s.now();
        for sale in sales {
            match self.ledger.sales[sale as usize].state {
                SaleState::Downloading => self.ledger.c.fill_errored += 1,
                SaleState::Filled | SaleState::Zombie => self.money_payout(sale, now),
                _ => {}
            }
            self.close_sale(s, sale, true)?;
        }
        self.ledger.clear_slots(req);
        Ok(())
    }

    pub(crate) fn on_end(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let now = s.now();
        let state = self.ledger.requests[req as usize].state;
        match state {
            ReqState::Started
                if self.cfg.workload.renew
                    && self.cfg.workload.renewal == Renewal::SameHosts
                    && !self.ledger.requests[req as usize].lost =>
            {
                let d = self.cfg.workload.duration;
                let r = &mut self.ledger.requests[req as usize];
                r.end_at = r.end_at.saturating_add(d);
                let end = r.end_at;
                self.ledger.c.renewals += 1;
                self.trace(now, TraceKind::RequestRenewed, None, Some(req), None, None);
                s.schedule_at(end, Ev::End { request: req })?;
                let sales = self.ledger.requests[req as usize].sales.clone();
                for sale in sales {
                    match self.ledger.sales[sale as usize].state {
                        // The term that ends now is paid.
                        SaleState::Filled => self.money_term_paid(sale, now),
                        // Data of hosts that left the slots expires with the
                        // old term.
                        SaleState::Orphan => self.close_sale(s, sale, false)?,
                        _ => {}
                    }
                }
                Ok(())
            }
            ReqState::Started | ReqState::New => {
                self.ledger.finish(req);
                self.trace(now, TraceKind::RequestFinished, None, Some(req), None, None);
                self.unqueue_request(req);
                self.unwatch_request(req);
                self.end_sales(s, req)?;
                self.retire_request(req);
                Ok(())
            }
            // Failed or cancelled: what is left on disk expires now (block TTL).
            _ => {
                self.end_sales(s, req)?;
                self.retire_request(req);
                Ok(())
            }
        }
    }

    /// Too many of a started request's slots are lost: it fails.
    pub(crate) fn fail_request(&mut self, s: &mut Scheduler<Ev>, req: u32) -> Result<(), Stop> {
        let now = s.now();
        self.ledger.fail(req, now);
        self.trace(now, TraceKind::RequestFailed, None, Some(req), None, None);
        self.unqueue_request(req);
        self.unwatch_request(req);
        // Hosts stop: downloads abort; data stays until its TTL (the request end).
        // (The slots' `host_sale` stay as they were until `end_sales`: they may
        // name sales that end, and ids that are reused, so every reader checks
        // that the request is active first.)
        let sales = self.ledger.requests[req as usize].sales.clone();
        for sale in sales {
            match self.ledger.sales[sale as usize].state {
                SaleState::Downloading => {
                    self.ledger.c.fill_errored += 1;
                    self.close_sale(s, sale, true)?
                }
                SaleState::Filled => self.orphan(s, sale)?,
                SaleState::Zombie => self.close_sale(s, sale, false)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// The request is over for good and its transfers are gone: its client
    /// is released (if it was not when the request started), and its record
    /// and queue keys are freed: a run's memory follows the requests alive,
    /// not every request ever made.
    pub(crate) fn retire_request(&mut self, req: u32) {
        debug_assert!(!self.ledger.requests[req as usize].active());
        self.net.client_done(req);
        self.ledger.retire(req);
        self.market.keys.retire(req);
    }
}
