//! A sale's life after its host reserved the slot: the download's end and
//! fillSlot, the fill itself, the host leaving the slot (orphan), the sale
//! ending (its transfer stopped, its data dropped, its reservation
//! released), and a dataset's loss when too few slot indices remain.
//!
//! Composes the ledger's transitions and applies what they return: proofs
//! refreshed, the host's queue told its availability has bytes again, its
//! workers woken.

use codexsim_engine::{Scheduler, SimTime};

use crate::events::{Ev, Stop};
use crate::ledger::SaleState;
use crate::model::Model;
use crate::output::TraceKind;

impl Model<'_> {
    pub(crate) fn on_fill_ready(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        if let Some(t) = self.ledger.sales[sale as usize].transfer.take() {
            self.settle_unshared(s, t)?;
        }
        let now = s.now();
        let (node, req, slot, state) = {
            let x = &self.ledger.sales[sale as usize];
            (x.node, x.request, x.slot, x.state)
        };
        if state != SaleState::Downloading {
            return Ok(()); // aborted meanwhile
        }
        let r = &self.ledger.requests[req as usize];
        if !r.active() || r.slots[slot as usize].host_sale.is_some() || r.lost {
            // Errored: another host filled it first, or the request is over.
            self.ledger.c.fill_errored += 1;
            return self.close_sale(s, sale, true);
        }
        self.fill(s, sale, now)?;
        // The worker is free again.
        let n = &mut self.ledger.nodes[node as usize];
        if !self.ledger.sales[sale as usize].exp_repair {
            n.workers_busy -= 1;
            self.ledger.sync_node(node);
        }
        self.kick(s, node)
    }

    /// When a sale whose download ended at `end` sends fillSlot: the initial
    /// proof waits for the next period boundary; fillSlot goes with it and is
    /// mined within a block.
    pub(crate) fn fill_ready_at(&mut self, sale: u32, end: SimTime) -> SimTime {
        let node = self.ledger.sales[sale as usize].node;
        self.period_start(self.period_of(end) + 1)
            .saturating_add(self.tx_delay(node))
    }

    pub(crate) fn abort_download(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let (req, slot, exp) = {
            let x = &self.ledger.sales[sale as usize];
            (x.request, x.slot, x.exp_repair)
        };
        self.ledger.c.fill_errored += 1;
        self.close_sale(s, sale, true)?;
        if exp {
            self.ledger.requests[req as usize].repairs_active -= 1;
            self.start_exp_repair(s, req, slot)?;
            self.next_serial_repair(s, req)?;
        } else {
            // The slot may now lack hosts trying it: announce it again later.
            let r = &self.ledger.requests[req as usize];
            if r.active() && r.slots[slot as usize].host_sale.is_none() {
                self.schedule_retry(s, req, slot, self.period())?;
            }
        }
        Ok(())
    }

    /// The sale's download arrived at `at`: fillSlot goes out at the next
    /// period boundary.
    pub(crate) fn download_arrived(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        at: SimTime,
    ) -> Result<(), Stop> {
        let generation = self.ledger.sales[sale as usize].generation;
        s.schedule_at(
            self.fill_ready_at(sale, at),
            Ev::FillReady { sale, generation },
        )?;
        Ok(())
    }

    /// The download is over and fillSlot is mined: the sale is filled.
    pub(crate) fn fill(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        now: SimTime,
    ) -> Result<(), Stop> {
        let fill_period = self.period_of(now);
        let keeps = self.cfg.workload.client_keeps_data_always;
        let f = self.ledger.fill(sale, now, fill_period, keeps);
        self.money_filled(sale, now);
        self.watch_slot(f.request, f.slot);
        self.unqueue_slot(f.request, f.slot);
        self.trace(
            now,
            TraceKind::SlotFilled,
            Some(f.node),
            Some(f.request),
            Some(f.slot),
            Some(f.data_bytes),
        );
        if f.request_started {
            if self.ledger.most_slots_one_host(f.request) > self.cfg.workload.tolerance {
                self.ledger.c.starts_host_over_tolerance += 1;
            }
            self.unqueue_request(f.request);
            if !keeps {
                // Repairs read from hosts from now on: the client goes once
                // the other reservations' downloads from it are over.
                self.net.client_done(f.request);
            }
            self.trace(
                now,
                TraceKind::RequestStarted,
                None,
                Some(f.request),
                None,
                None,
            );
        }
        self.refresh_sale(s, sale)
    }

    /// Ends a sale: stops its transfer, drops its data, releases its
    /// reservation and collateral (if returned).
    pub(crate) fn close_sale(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        return_collateral: bool,
    ) -> Result<(), Stop> {
        let x = &self.ledger.sales[sale as usize];
        if x.state == SaleState::Done {
            return Ok(());
        }
        let stored = x.stored_bytes;
        // A contract still open here ends without pay (a lost disk's, or a
        // slot's whose request ended while its host could not claim).
        self.money_forfeit(sale, s.now());
        if let Some(t) = self.ledger.sales[sale as usize].transfer.take() {
            self.abort_transfer(s, t)?;
        }
        let mut loss = Ok(());
        if stored > 0 {
            loss = self.drop_data(s, sale);
        }
        let ended = self.ledger.end_sale(sale, return_collateral);
        if ended.released {
            // The availability got bytes back: seen items are tried again.
            self.market.queues.clear_seen(ended.node);
        }
        self.refresh_sale(s, sale)?;
        self.kick(s, ended.node)?;
        loss
    }

    /// The host leaves the slot (freed, or the request failed): its
    /// reservation returns to the availability, its collateral is forfeited,
    /// and the data stays on disk until its TTL, the request's end.
    pub(crate) fn orphan(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        self.money_forfeit(sale, s.now());
        let node = self.ledger.orphan(sale);
        self.market.queues.clear_seen(node);
        self.refresh_sale(s, sale)?;
        self.kick(s, node)
    }

    /// The sale's host no longer stores its data.
    pub(crate) fn drop_data(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let Some(req) = self.ledger.drop_data(sale) else {
            return Ok(());
        };
        self.refresh_sale(s, sale)?;
        self.check_loss(s.now(), req)
    }

    /// The request may have lost its data: traced, and the run stops there
    /// if the scenario says so.
    pub(crate) fn check_loss(&mut self, now: SimTime, req: u32) -> Result<(), Stop> {
        let Some(bytes) = self.ledger.check_loss(now, req) else {
            return Ok(());
        };
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
}
