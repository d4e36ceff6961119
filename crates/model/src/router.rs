//! The router: the run's first events, and the one place that delivers
//! every event to the concept that owns it, and applies a transfer's end to
//! the sale or canary round it served. After each event it checks the
//! invariants (when asked to) and lets the ledger reuse the ids of sales
//! that ended.
//!
//! **Layer rule**: the only module that matches on every [`Ev`]; concept
//! modules never import it.

use codexsim_config::{FaultTarget, ProofMode};
use codexsim_engine::{EventId, Handler, Scheduler, SimTime};
use codexsim_net::FlowId;

use crate::events::{Ev, Stop};
use crate::faults::NO_PROCESS;
use crate::model::Model;
use crate::network::{TransferEnd, TransferKind};
use crate::output::CanaryOutcome;
use crate::proving::PROOF_DELAY;

impl Model<'_> {
    /// The first events: a sample at 0, the first canary round, arrival,
    /// fault of every process and target, scheduled fault and proof period.
    pub(crate) fn start(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        s.schedule_at(SimTime::ZERO, Ev::Sample)?;
        if let Some(c) = &self.cfg.canary {
            let first = SimTime::ZERO.saturating_add(c.start);
            if first < self.horizon {
                s.schedule_at(first, Ev::CanaryRound)?;
            }
        }
        if self.cfg.workload.max_datasets != Some(0) {
            let d = self.draw_interarrival();
            s.schedule_in(d, Ev::Arrival)?;
        }
        self.cfg.workload.arrival_times.sort();
        if let Some(&first) = self.cfg.workload.arrival_times.first() {
            s.schedule_in(first, Ev::FixedArrival)?;
        }
        for fi in 0..self.cfg.faults.len() {
            for t in 0..self.faults.targets(fi) {
                if let FaultTarget::Nodes { group: Some(g) } = self.cfg.faults[fi].target {
                    if self.ledger.nodes[t].group as usize != g {
                        continue;
                    }
                }
                let start = SimTime::ZERO.saturating_add(self.cfg.faults[fi].start);
                self.schedule_fault_from(s, start, fi as u32, t as u32)?;
            }
        }
        for (i, f) in self.cfg.scheduled_faults.iter().enumerate() {
            s.schedule_in(f.at, Ev::Scheduled { index: i as u32 })?;
        }
        if self.cfg.run.proof_mode == ProofMode::Exact {
            s.schedule_at(SimTime::ZERO.saturating_add(PROOF_DELAY), Ev::PeriodTick)?;
        }
        Ok(())
    }
}

impl Model<'_> {
    /// Applies a transfer's end (the network stopped it) to what it
    /// served: a sale's download, or a canary round.
    pub(crate) fn transfer_ended(
        &mut self,
        s: &mut Scheduler<Ev>,
        kind: TransferKind,
        end: TransferEnd,
    ) -> Result<(), Stop> {
        match kind {
            TransferKind::Fill { sale }
            | TransferKind::Repair { sale }
            | TransferKind::Renewal { sale } => {
                self.ledger.sales[sale as usize].transfer = None;
                match end {
                    TransferEnd::Arrived { at, .. } => self.download_arrived(s, sale, at),
                    TransferEnd::TimedOut => {
                        self.ledger.c.transfer_timeouts += 1;
                        self.abort_download(s, sale)
                    }
                    // (Not raised: the host's own outage closes the sale.)
                    TransferEnd::NodeDown => self.abort_download(s, sale),
                }
            }
            TransferKind::CanaryUp { round } | TransferKind::CanaryDown { round } => {
                let up = matches!(kind, TransferKind::CanaryUp { .. });
                match end {
                    TransferEnd::Arrived { took_s, .. } if up => {
                        self.canary_uploaded(s, round, took_s)
                    }
                    TransferEnd::Arrived { took_s, .. } => {
                        self.canary_finish(round, CanaryOutcome::Ok, Some(took_s));
                        Ok(())
                    }
                    TransferEnd::TimedOut => {
                        self.canary_finish(round, CanaryOutcome::Timeout, None);
                        Ok(())
                    }
                    TransferEnd::NodeDown => {
                        self.canary_finish(round, CanaryOutcome::NodeDown, None);
                        Ok(())
                    }
                }
            }
        }
    }
}

impl Handler<Ev> for Model<'_> {
    type Error = Stop;

    fn handle(&mut self, s: &mut Scheduler<Ev>, id: EventId, e: Ev) -> Result<(), Stop> {
        self.current_event = Some(e);
        let now = s.now();
        match e {
            // sampling
            Ev::Sample => self.on_sample(s)?,
            // workload
            Ev::Arrival => self.on_arrival(s, false)?,
            Ev::FixedArrival => self.on_arrival(s, true)?,
            Ev::Expiry { request } => self.on_expiry(s, request)?,
            Ev::End { request } => self.on_end(s, request)?,
            Ev::RenewalDue { request } => self.on_renewal_due(s, request)?,
            Ev::WindowOpens { node } => self.on_window_opens(s, node)?,
            // faults
            Ev::FaultFire { process, target } => self.on_fault_fire(s, process, target)?,
            Ev::OutageEnd { node, process } => {
                self.node_up(s, node)?;
                if process != NO_PROCESS && !self.ledger.nodes[node as usize].gone {
                    self.schedule_fault(s, process, node)?;
                }
            }
            Ev::DomainOutageEnd {
                level,
                domain,
                process,
            } => self.on_domain_outage_end(s, level, domain, process)?,
            Ev::DiskReplaced { node, process } => self.on_disk_replaced(s, node, process)?,
            Ev::Scheduled { index } => self.on_scheduled(s, index)?,
            // market
            Ev::Work { node } => self.on_work(s, node)?,
            Ev::RaceWake { race } => self.on_race_wake(s, race)?,
            // Events of an earlier sale with a reused id are stale.
            Ev::FillReady { sale, generation } | Ev::RepairDone { sale, generation }
                if self.ledger.sales[sale as usize].generation != generation => {}
            Ev::Missed {
                sale, generation, ..
            } if self.ledger.sales[sale as usize].generation != generation => {}
            Ev::FillReady { sale, .. } => self.on_fill_ready(s, sale)?,
            // proofs
            Ev::Missed { sale, chain, .. } => self.on_missed(s, id, sale, chain)?,
            Ev::PeriodTick => self.on_period_tick(s)?,
            // repair
            Ev::RepairDone { sale, .. } => self.on_repair_done(s, sale)?,
            Ev::RepairRetry { request, slot } => self.on_repair_retry(s, request, slot)?,
            // network
            Ev::NetNext => self.on_net_next(s)?,
            Ev::NetFlush => self.on_net_flush(s)?,
            Ev::ExchangeWake => self.on_exchange_wake(s)?,
            Ev::FlowDone { flow, generation } => self.on_flow_done(
                s,
                FlowId {
                    index: flow,
                    generation,
                },
            )?,
            // A transfer's slot may have been reused since.
            Ev::TransferDone {
                transfer,
                generation,
            }
            | Ev::TransferRetry {
                transfer,
                generation,
            }
            | Ev::TransferTimeout {
                transfer,
                generation,
            } if !self.net.is_current(transfer, generation) => {}
            Ev::TransferDone { transfer, .. } => self.on_transfer_done(s, transfer)?,
            Ev::TransferRetry { transfer, .. } => self.on_transfer_retry(s, transfer)?,
            Ev::TransferTimeout { transfer, .. } => self.on_transfer_timeout(s, transfer)?,
            // canaries
            Ev::CanaryRound => self.on_canary_round(s)?,
        }
        if self.check_every_event {
            self.check(now)
                .map_err(|m| Stop::Error(self.invariant(now, m)))?;
        }
        // The event is over: ids of sales that ended in it can be reused.
        self.ledger.recycle_closed();
        self.last_time = now;
        Ok(())
    }
}
