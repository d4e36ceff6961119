//! The model's transfers over the network: a fill (client to host), a
//! repair (K parts from holders of other slot indices, in parallel), a
//! canary upload or download. Starting parts over flows, timeouts and
//! retries, a flow's end, a part losing its source (it keeps what it moved
//! and resumes from another source), a transfer's end (reported to the
//! sale or canary round it serves, through the router) and abort.
//!
//! The network's state is `network.rs`; what differs between the sharing
//! modes is `sharing.rs`. Repairs' sources come from `repair`.

use codexsim_engine::{Scheduler, SimDuration, SimTime};
use codexsim_net::{Endpoint, FlowId};

use crate::events::{Ev, Stop};
use crate::ledger::SaleState;
use crate::model::Model;
use crate::network::{TransferEnd, TransferKind};

impl Model<'_> {
    /// Starts a new transfer's parts and arms its timeout.
    pub(crate) fn begin_transfer(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        self.start_parts(s, t)?;
        self.timeout_after_start(s, t)
    }

    pub(crate) fn transfer_timeout(&self, t: u32) -> SimDuration {
        match self.net.transfers[t as usize].kind {
            TransferKind::CanaryUp { .. } | TransferKind::CanaryDown { .. } => {
                self.cfg
                    .canary
                    .as_ref()
                    .expect("canary transfers need [canary]")
                    .timeout
            }
            _ => self.cfg.network.transfer_timeout,
        }
    }

    /// Arms the transfer's timeout (at its start + the timeout) unless armed.
    pub(crate) fn ensure_timeout(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        if self.net.transfers[t as usize].timeout.is_some() {
            return Ok(());
        }
        let now = s.now();
        let generation = self.net.transfers[t as usize].generation;
        let at = self.net.transfers[t as usize]
            .started
            .saturating_add(self.transfer_timeout(t))
            .max(now);
        let e = s.schedule_at(
            at,
            Ev::TransferTimeout {
                transfer: t,
                generation,
            },
        )?;
        self.net.transfers[t as usize].timeout = Some(e);
        Ok(())
    }

    /// Starts every part that has no flow and is not done, choosing repair
    /// sources; parts without a source wait for a retry.
    pub(crate) fn start_parts(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let now = s.now();
        let n_parts = self.net.transfers[t as usize].parts.len();
        let mut waiting = false;
        for p in 0..n_parts {
            let part = &self.net.transfers[t as usize].parts[p];
            if part.done || part.flow.is_some() || part.download.is_some() {
                continue;
            }
            let source = match self.net.transfers[t as usize].kind {
                TransferKind::Repair { sale } => Some(self.repair_source(t, sale)),
                TransferKind::Renewal { sale } => Some(self.renewal_source(sale)),
                _ => None,
            };
            if let Some(source) = source {
                match source {
                    Some((src, index)) => {
                        let part = &mut self.net.transfers[t as usize].parts[p];
                        part.src = src;
                        part.index = index;
                    }
                    None => {
                        waiting = true;
                        continue;
                    }
                }
            }
            if self.part_uses_blocks(self.net.transfers[t as usize].kind) {
                self.start_block_part(s, t, p as u32)?;
                continue;
            }
            let tr = &self.net.transfers[t as usize];
            let (src, dst, left, cap) = (
                tr.parts[p].src,
                tr.dst,
                tr.parts[p].left,
                tr.cap_bytes_per_s,
            );
            let purpose = tr.kind.purpose();
            let is_fill = matches!(tr.kind, TransferKind::Fill { .. });
            let net = &mut self.net;
            let latency_ns = net.topo.path_into(src, dst, &mut net.path);
            if is_fill {
                net.path.push(net.client_uploads);
            }
            let (flow, changes) = net
                .flows
                .start(now.as_nanos(), &net.path, cap, left, purpose);
            let slot = flow.index as usize;
            if self.net.flow_part.len() <= slot {
                self.net.flow_part.resize(slot + 1, (0, 0));
            }
            self.net.flow_part[slot] = (t, p as u32);
            let part = &mut self.net.transfers[t as usize].parts[p];
            part.flow = Some(flow);
            part.latency_ns = part.latency_ns.max(latency_ns);
            self.apply_rates(s, changes)?;
        }
        if waiting {
            self.ensure_timeout(s, t)?;
        } else {
            self.parts_running(s, t)?;
        }
        if waiting && self.net.transfers[t as usize].retry.is_none() {
            let generation = self.net.transfers[t as usize].generation;
            let e = s.schedule_at(
                now.saturating_add(self.cfg.network.retry_interval),
                Ev::TransferRetry {
                    transfer: t,
                    generation,
                },
            )?;
            self.net.transfers[t as usize].retry = Some(e);
        }
        Ok(())
    }

    pub(crate) fn on_flow_done(&mut self, s: &mut Scheduler<Ev>, flow: FlowId) -> Result<(), Stop> {
        if !self.net.flows.is_active(flow) {
            return Ok(());
        }
        let now = s.now();
        let (t, p) = self.net.flow_part[flow.index as usize];
        let changes = self.net.flows.finish(now.as_nanos(), flow);
        let done = self.mark_part_done(t, p);
        self.apply_rates(s, changes)?;
        self.after_part_done(s, t, done)
    }

    /// A part moved its last byte: whether every part has, the longest
    /// part's latency, the transfer's generation.
    pub(crate) fn mark_part_done(&mut self, t: u32, p: u32) -> (bool, u64, u32) {
        let tr = &mut self.net.transfers[t as usize];
        let part = &mut tr.parts[p as usize];
        part.flow = None;
        part.event = None;
        part.left = 0;
        part.done = true;
        let all_done = tr.parts.iter().all(|p| p.done);
        let latency = tr.parts.iter().map(|p| p.latency_ns).max().unwrap_or(0);
        (all_done, latency, tr.generation)
    }

    /// After [`Model::mark_part_done`]: a transfer whose every part is done
    /// arrives after the latency.
    pub(crate) fn after_part_done(
        &mut self,
        s: &mut Scheduler<Ev>,
        t: u32,
        (all_done, latency, generation): (bool, u64, u32),
    ) -> Result<(), Stop> {
        let now = s.now();
        if all_done {
            if self.net.transfers[t as usize].kind.sale().is_some() {
                // The last byte arrives after the latency; nothing else
                // happens before the fill's period boundary.
                let arrive = now.saturating_add(SimDuration::from_nanos(latency));
                return self.finish_transfer(s, t, arrive);
            }
            s.schedule_at(
                now.saturating_add(SimDuration::from_nanos(latency)),
                Ev::TransferDone {
                    transfer: t,
                    generation,
                },
            )?;
        }
        Ok(())
    }

    /// Stops a transfer's flows and frees it.
    pub(crate) fn abort_transfer(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let now = s.now();
        let n_parts = self.net.transfers[t as usize].parts.len();
        for p in 0..n_parts {
            let part = &mut self.net.transfers[t as usize].parts[p];
            if let Some(e) = part.event.take() {
                s.cancel(e);
            }
            if let Some(flow) = part.flow.take() {
                let (_, changes) = self.net.flows.abort(now.as_nanos(), flow);
                self.apply_rates(s, changes)?;
            }
            if let Some(d) = self.net.transfers[t as usize].parts[p].download.take() {
                self.drop_block_download(s, d);
            }
        }
        let tr = &mut self.net.transfers[t as usize];
        let fill_ready = tr.fill_ready.take().map(|(e, _)| e);
        for e in [tr.timeout.take(), tr.retry.take(), fill_ready]
            .into_iter()
            .flatten()
        {
            s.cancel(e);
        }
        self.net.release(t);
        Ok(())
    }

    /// A host went offline (or lost its disk): transfers to it stop (the
    /// model's handlers close their sales or canary rounds); parts reading
    /// from it keep what they moved and look for another source.
    pub(crate) fn net_node_down(&mut self, s: &mut Scheduler<Ev>, node: u32) -> Result<(), Stop> {
        let now = s.now();
        let host = Endpoint::Host(node);
        self.exchange_node(s, node, false)?;
        for t in self.net.live() {
            let (kind, dst) = {
                let tr = &self.net.transfers[t as usize];
                (tr.kind, tr.dst)
            };
            match kind {
                TransferKind::CanaryUp { .. } | TransferKind::CanaryDown { .. } => {
                    let tr = &self.net.transfers[t as usize];
                    let src_down = tr.parts.iter().any(|p| p.src == host && !p.done);
                    if dst == host || src_down {
                        self.end_transfer(s, t, TransferEnd::NodeDown)?;
                    }
                }
                TransferKind::Fill { .. }
                | TransferKind::Repair { .. }
                | TransferKind::Renewal { .. } => {
                    if dst == host {
                        continue; // its sale is aborted by went_offline
                    }
                    let n_parts = self.net.transfers[t as usize].parts.len();
                    let mut lost_source = false;
                    for p in 0..n_parts {
                        let part = &mut self.net.transfers[t as usize].parts[p];
                        if part.src != host
                            || part.done
                            || part.finish_ns.is_some_and(|f| f <= now.as_nanos())
                        {
                            continue;
                        }
                        part.finish_ns = None;
                        if let Some(e) = part.event.take() {
                            s.cancel(e);
                        }
                        if let Some(flow) = part.flow.take() {
                            let (moved, changes) = self.net.flows.abort(now.as_nanos(), flow);
                            let part = &mut self.net.transfers[t as usize].parts[p];
                            part.left -= moved.min(part.left);
                            self.apply_rates(s, changes)?;
                            lost_source = true;
                        }
                        if let Some(d) = self.net.transfers[t as usize].parts[p].download.take() {
                            // The model knows the source is gone, as with
                            // fluid parts: the blocks moved are kept.
                            let moved = self.drop_block_download(s, d);
                            let part = &mut self.net.transfers[t as usize].parts[p];
                            part.left -= moved.min(part.left);
                            lost_source = true;
                        }
                    }
                    if lost_source {
                        if let Some((e, _)) = self.net.transfers[t as usize].fill_ready.take() {
                            s.cancel(e);
                        }
                        self.start_parts(s, t)?;
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn on_transfer_retry(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        self.net.transfers[t as usize].retry = None;
        self.start_parts(s, t)
    }

    pub(crate) fn on_transfer_timeout(
        &mut self,
        s: &mut Scheduler<Ev>,
        t: u32,
    ) -> Result<(), Stop> {
        self.net.transfers[t as usize].timeout = None;
        self.end_transfer(s, t, TransferEnd::TimedOut)
    }

    pub(crate) fn on_transfer_done(&mut self, s: &mut Scheduler<Ev>, t: u32) -> Result<(), Stop> {
        let now = s.now();
        self.finish_transfer(s, t, now)
    }

    /// A transfer's last byte arrives at `now` (not before the current
    /// time).
    pub(crate) fn finish_transfer(
        &mut self,
        s: &mut Scheduler<Ev>,
        t: u32,
        now: SimTime,
    ) -> Result<(), Stop> {
        let (kind, started) = {
            let tr = &self.net.transfers[t as usize];
            (tr.kind, tr.started)
        };
        let took_s = now.saturating_since(started).as_secs_f64();
        self.net.record_duration(kind, took_s);
        // Every flow is done: only the timers remain.
        self.end_transfer(s, t, TransferEnd::Arrived { at: now, took_s })
    }

    /// Stops a transfer and reports its end to what it served (the router
    /// applies it to the sale or the canary round).
    fn end_transfer(
        &mut self,
        s: &mut Scheduler<Ev>,
        t: u32,
        end: TransferEnd,
    ) -> Result<(), Stop> {
        let kind = self.net.transfers[t as usize].kind;
        self.abort_transfer(s, t)?;
        self.transfer_ended(s, kind, end)
    }

    /// Every live fill or repair belongs to its downloading sale, and every
    /// flow to a live transfer's part.
    pub(crate) fn check_transfers(&self) -> Result<(), String> {
        let mut flows = 0usize;
        for t in self.net.live() {
            let tr = &self.net.transfers[t as usize];
            flows += tr.parts.iter().filter(|p| p.flow.is_some()).count();
            if let Some(sale) = tr.kind.sale() {
                let x = &self.ledger.sales[sale as usize];
                if x.transfer != Some(t) || x.state != SaleState::Downloading {
                    return Err(format!(
                        "transfer {t} of sale {sale}, which is {:?} with transfer {:?}",
                        x.state, x.transfer
                    ));
                }
            }
        }
        if let Some(x) = &self.net.exchange {
            flows += x.active_flows();
            for t in self.net.live() {
                for (p, part) in self.net.transfers[t as usize].parts.iter().enumerate() {
                    if let Some(d) = part.download {
                        if self.net.block_part.get(&d).map(|x| (x.0, x.1)) != Some((t, p as u32)) {
                            return Err(format!(
                                "transfer {t} part {p}: block download {d} not its own"
                            ));
                        }
                    }
                }
            }
            x.check()?;
        }
        if flows != self.net.flows.active_flows() {
            return Err(format!(
                "{} active flows but {flows} transfer parts with flows",
                self.net.flows.active_flows()
            ));
        }
        Ok(())
    }
}
