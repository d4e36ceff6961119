//! Everything that differs between the two ways transfers share links and
//! disks (`network.sharing`), and the only place that branches on it.
//!
//! - **Max-min** (`SharingMode::MaxMin`): rates change whenever a flow
//!   starts or ends. The network keeps every flow's finish time; the model
//!   keeps one `NetNext` event at the next flow end and one `NetFlush` per
//!   instant with changes (rates are recomputed once, after every change of
//!   that instant). Every transfer has a timeout event.
//! - **Unshared** (`SharingMode::Unshared`): each flow runs at the rate it
//!   would have alone, so a fill's or repair's end is known when its parts
//!   start: its `FillReady` is scheduled at once and the transfer settled
//!   then, and a transfer that ends in time needs no timeout event. Canary
//!   flows get a `FlowDone` event each.

use codexsim_config::SharingMode;
use codexsim_engine::{Scheduler, SimDuration, SimTime};
use codexsim_net::flows::Recompute;
use codexsim_net::{FlowNet, RateChange};

use crate::events::{Ev, Stop};
use crate::model::Model;

/// The flow network for a sharing mode.
pub(crate) fn flow_net(mode: SharingMode) -> FlowNet {
    match mode {
        SharingMode::MaxMin => {
            let mut flows = FlowNet::new(Recompute::Incremental);
            // One event for the next flow end instead of one per rate
            // change, and one recomputation per instant.
            flows.track_finishes();
            flows.defer_changes();
            flows
        }
        SharingMode::Unshared => FlowNet::new(Recompute::Unshared),
    }
}

impl Model<'_> {
    /// A new transfer's parts have started: arm its timeout (unless, with
    /// unshared rates, it is sure to end in time).
    pub(crate) fn timeout_after_start(
        &mut self,
        s: &mut Scheduler<Ev>,
        t: u32,
    ) -> Result<(), Stop> {
        match self.net.sharing {
            SharingMode::MaxMin => self.ensure_timeout(s, t),
            SharingMode::Unshared => self.unshared_timeout(s, t),
        }
    }

    /// Every part of a transfer has a flow (or is done).
    pub(crate) fn parts_running(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        match self.net.sharing {
            SharingMode::MaxMin => Ok(()),
            SharingMode::Unshared => self.schedule_unshared_end(s, t),
        }
    }

    /// Flows' rates changed (or a flow started, ended or was aborted).
    pub(crate) fn apply_rates(
        &mut self,
        s: &mut Scheduler<Ev>,
        changes: Vec<RateChange>,
    ) -> Result<(), Stop> {
        match self.net.sharing {
            SharingMode::MaxMin => self.net_sync(s),
            SharingMode::Unshared => self.unshared_rates(s, changes),
        }
    }

    // ------------------------------------------------------------ unshared

    /// Unshared: a transfer whose parts all run and end in time needs no
    /// timeout event (one is armed if a part has to wait later).
    fn unshared_timeout(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        if self.net.transfers[t as usize].retry.is_some() {
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

    /// Reschedules the finish events of flows whose rate changed.
    fn unshared_rates(
        &mut self,
        s: &mut Scheduler<Ev>,
        changes: Vec<RateChange>,
    ) -> Result<(), Stop> {
        let now = s.now();
        for ch in changes {
            let (t, p) = self.net.flow_part[ch.flow.index as usize];
            let fixed_end = self.net.transfers[t as usize].kind.sale().is_some();
            let part = &mut self.net.transfers[t as usize].parts[p as usize];
            debug_assert_eq!(part.flow, Some(ch.flow));
            if let Some(e) = part.event.take() {
                s.cancel(e);
            }
            if fixed_end {
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

    /// Unshared fills and repairs: every part runs at a fixed rate, so the
    /// transfer's end (its last part's end plus the latency) is known; the
    /// fill's FillReady is scheduled at once for the period boundary after
    /// it, and the transfer is settled then.
    fn schedule_unshared_end(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let tr = &self.net.transfers[t as usize];
        let Some(sale) = tr.kind.sale() else {
            return Ok(());
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
        let generation = self.ledger.sales[sale as usize].generation;
        let e = s.schedule_at(
            self.fill_ready_at(sale, end),
            Ev::FillReady { sale, generation },
        )?;
        self.net.transfers[t as usize].fill_ready = Some((e, end));
        Ok(())
    }

    /// Settles an unshared transfer whose FillReady came: its flows have
    /// moved everything; it ended at the time stored with the event.
    pub(crate) fn settle_unshared(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
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
        self.abort_transfer(s, t)
    }

    // ------------------------------------------------------------ max-min

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
    pub(crate) fn on_net_next(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        self.net.next_event = None;
        let now = s.now().as_nanos();
        self.net.draining = true;
        while let Some((f, flow)) = self.net.flows.next_finish() {
            if f > now {
                break;
            }
            let done = if self.net.exchange.as_ref().is_some_and(|x| x.owns(flow)) {
                self.exchange_flow_done(s, flow)
            } else {
                self.on_flow_done(s, flow)
            };
            if let Err(e) = done {
                self.net.draining = false;
                return Err(e);
            }
        }
        self.net.draining = false;
        self.net_sync(s)
    }

    pub(crate) fn on_net_flush(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        self.net.flush_scheduled = false;
        let changes = self.net.flows.flush(s.now().as_nanos());
        self.apply_rates(s, changes)
    }
}
