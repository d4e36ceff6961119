//! The block exchange inside a fleet run (`[transfers] model = "blocks"`
//! for fills and repairs, `[canary] model = "blocks"` for the probes): a
//! transfer part moves as a block download of its bytes from its source
//! (a dataset of its own, the source its only holder, known without a
//! lookup), with the protocol of `[exchange]`, on the same flow network
//! as every other transfer. The exchange keeps its own timers: one
//! `ExchangeWake` event stands for the next; its flows end through
//! `NetNext` like the others.
//!
//! A source that goes down is noticed at once, as with fluid parts: the
//! download stops, the blocks it got are kept, and the part starts again
//! from another source (the swarm command models each protocol's own
//! timeouts). A download that the exchange itself fails (v0.1's block
//! timeout, retries exhausted) restarts the part the same way; a canary's
//! fails the round.
//!
//! Owns nothing beyond `NetState`'s exchange fields; uses `transfers`.

use codexsim_config::TransferModel;
use codexsim_engine::{Scheduler, SimTime};
use codexsim_exchange::{Exchange, Outcome, Wire};
use codexsim_net::{Endpoint, FlowId};

use crate::events::{Ev, Stop};
use crate::model::Model;
use crate::network::{TransferEnd, TransferKind};
use crate::output::BlockDownloadRecord;

impl Model<'_> {
    /// Whether parts of this kind move as block downloads.
    pub(crate) fn part_uses_blocks(&self, kind: TransferKind) -> bool {
        match kind {
            TransferKind::Fill { .. }
            | TransferKind::Repair { .. }
            | TransferKind::Renewal { .. } => self.cfg.transfers_model == TransferModel::Blocks,
            TransferKind::CanaryUp { .. } | TransferKind::CanaryDown { .. } => self
                .cfg
                .canary
                .as_ref()
                .is_some_and(|c| c.model == TransferModel::Blocks),
        }
    }

    /// Starts part `p` of transfer `t` as a block download from its source.
    pub(crate) fn start_block_part(
        &mut self,
        s: &mut Scheduler<Ev>,
        t: u32,
        p: u32,
    ) -> Result<(), Stop> {
        let now = s.now().as_nanos();
        let tr = &self.net.transfers[t as usize];
        let (src, dst, left, cap, kind, generation) = (
            tr.parts[p as usize].src,
            tr.dst,
            tr.parts[p as usize].left.max(1),
            tr.cap_bytes_per_s,
            tr.kind,
            tr.generation,
        );
        let client_uploads = self.net.client_uploads;
        let d = self.with_exchange(|ex, w| {
            let (src_n, dst_n) = (ex.node(src), ex.node(dst));
            if matches!(kind, TransferKind::Fill { .. }) && matches!(src, Endpoint::Client(_)) {
                ex.set_extra_resource(src_n, client_uploads);
            }
            let ds = ex.add_dataset(left, kind.purpose(), cap);
            ex.seed(src_n, ds);
            ex.start_download_from(w, now, dst_n, ds, &[src_n])
        });
        self.net.block_part.insert(d, (t, p, generation));
        self.net.transfers[t as usize].parts[p as usize].download = Some(d);
        self.exchange_after(s)
    }

    /// Runs `f` on the exchange with the network as its wire.
    fn with_exchange<R>(&mut self, f: impl FnOnce(&mut Exchange, &mut Wire) -> R) -> R {
        let net = &mut self.net;
        let ex = net
            .exchange
            .as_mut()
            .expect("the block model has an exchange");
        let mut w = Wire {
            net: &mut net.flows,
            topo: &net.topo,
        };
        f(ex, &mut w)
    }

    /// The exchange's next timer.
    pub(crate) fn on_exchange_wake(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        self.net.exchange_wake = None;
        let now = s.now().as_nanos();
        self.with_exchange(|ex, w| ex.fire(w, now));
        self.exchange_after(s)
    }

    /// One of the exchange's flows ended (from `NetNext`).
    pub(crate) fn exchange_flow_done(
        &mut self,
        s: &mut Scheduler<Ev>,
        flow: FlowId,
    ) -> Result<(), Stop> {
        let now = s.now().as_nanos();
        self.with_exchange(|ex, w| ex.flow_finished(w, now, flow));
        self.exchange_after(s)
    }

    /// A host goes down or comes back, for the exchange.
    pub(crate) fn exchange_node(
        &mut self,
        s: &mut Scheduler<Ev>,
        node: u32,
        up: bool,
    ) -> Result<(), Stop> {
        if self.net.exchange.is_none() {
            return Ok(());
        }
        let now = s.now().as_nanos();
        self.with_exchange(|ex, w| {
            let n = ex.node(Endpoint::Host(node));
            ex.set_up(w, now, n, up)
        });
        self.exchange_after(s)
    }

    /// Stops a part's block download (the model gave up on it, or its
    /// source went down): the distinct bytes it received.
    pub(crate) fn drop_block_download(&mut self, s: &mut Scheduler<Ev>, d: u32) -> u64 {
        let now = s.now().as_nanos();
        let moved = self.with_exchange(|ex, w| {
            ex.cancel(w, now, d);
            ex.download(d).stats.useful_bytes
        });
        let kind = self
            .net
            .block_part
            .remove(&d)
            .map(|(t, _, _)| self.net.transfers[t as usize].kind);
        self.record_block_download(d, kind);
        self.net.exchange.as_mut().expect("an exchange").release(d);
        moved
    }

    /// After any call into the exchange: its ended downloads to their
    /// parts, its next timer as the wake event, the network's changes.
    fn exchange_after(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        loop {
            let ended = match self.net.exchange.as_mut() {
                Some(ex) => ex.take_ended(),
                None => return Ok(()),
            };
            if ended.is_empty() {
                break;
            }
            for d in ended {
                self.block_ended(s, d)?;
            }
        }
        let next = self.net.exchange.as_ref().and_then(|x| x.next_timer_ns());
        if self.net.exchange_wake.map(|x| x.1) != next {
            if let Some((e, _)) = self.net.exchange_wake.take() {
                s.cancel(e);
            }
            if let Some(at) = next {
                let when = SimTime::from_nanos(at).max(s.now());
                let e = s.schedule_at(when, Ev::ExchangeWake)?;
                self.net.exchange_wake = Some((e, at));
            }
        }
        self.apply_rates(s, Vec::new())
    }

    /// A block download ended: its part is done, starts again, or (its
    /// own node down) is left to the model's handling of the node.
    fn block_ended(&mut self, s: &mut Scheduler<Ev>, d: u32) -> Result<(), Stop> {
        let Some((t, p, generation)) = self.net.block_part.remove(&d) else {
            self.net.exchange.as_mut().expect("an exchange").release(d);
            return Ok(());
        };
        let (outcome, moved) = {
            let ex = self.net.exchange.as_ref().expect("an exchange");
            let dl = ex.download(d);
            (dl.ended.map(|e| e.1), dl.stats.useful_bytes)
        };
        self.record_block_download(d, Some(self.net.transfers[t as usize].kind));
        self.net.exchange.as_mut().expect("an exchange").release(d);
        if !self.net.is_current(t, generation)
            || self.net.transfers[t as usize].parts[p as usize].download != Some(d)
        {
            return Ok(());
        }
        self.net.transfers[t as usize].parts[p as usize].download = None;
        match outcome {
            Some(Outcome::Complete) => {
                // The exchange delivered after the path's latency already.
                let done = self.mark_part_done(t, p);
                self.after_part_done(s, t, (done.0, 0, done.2))
            }
            Some(Outcome::Failed) => match self.net.transfers[t as usize].kind {
                TransferKind::CanaryUp { .. } | TransferKind::CanaryDown { .. } => {
                    let kind = self.net.transfers[t as usize].kind;
                    self.abort_transfer(s, t)?;
                    self.transfer_ended(s, kind, TransferEnd::TimedOut)
                }
                _ => {
                    let part = &mut self.net.transfers[t as usize].parts[p as usize];
                    part.left -= moved.min(part.left);
                    self.start_parts(s, t)
                }
            },
            _ => Ok(()),
        }
    }

    /// `downloads.csv`: a block download's record (`kind` unknown for a
    /// download its part gave up).
    fn record_block_download(&mut self, d: u32, kind: Option<TransferKind>) {
        let ex = self.net.exchange.as_ref().expect("an exchange");
        let dl = ex.download(d);
        let kind = kind.map_or("cancelled", |k| match k {
            TransferKind::Fill { .. } => "fill",
            TransferKind::Repair { .. } => "repair",
            TransferKind::Renewal { .. } => "renewal",
            TransferKind::CanaryUp { .. } => "canary_up",
            TransferKind::CanaryDown { .. } => "canary_down",
        });
        let (end_s, outcome) = match dl.ended {
            Some((t, o)) => (Some(t as f64 / 1e9), o.name()),
            None => (None, "running"),
        };
        let rec = BlockDownloadRecord {
            start_s: dl.started_ns as f64 / 1e9,
            kind: kind.to_string(),
            node: dl.node,
            blocks: dl.blocks(),
            outcome: outcome.to_string(),
            duration_s: end_s
                .filter(|_| outcome == "complete")
                .map(|e| e - dl.started_ns as f64 / 1e9),
            useful_bytes: dl.stats.useful_bytes,
            block_bytes_received: dl.stats.block_bytes_received,
            duplicate_blocks: dl.stats.duplicate_blocks,
            control_bytes_sent: dl.stats.control_bytes_sent,
            control_bytes_received: dl.stats.control_bytes_received,
            retries: dl.stats.retries,
        };
        self.exchange_stats.record(&rec);
        self.sink.block_download(&rec);
    }
}
