//! Canaries: the operators' upload and download probes. Every interval a
//! probe client uploads a file to one probe node, and the next probe node
//! downloads it from there; a round ends ok, or failed (a node down, a
//! timeout). Rounds go to the sink (`canary.csv`) and into per-node
//! statistics for the summary.
//!
//! Owns [`Canaries`]; starts transfers on the network.

use std::collections::BTreeMap;

use codexsim_engine::{Scheduler, SimTime};
use codexsim_net::Endpoint;

use crate::events::{Ev, Stop};
use crate::model::Model;
use crate::network::{Part, TransferKind};
use crate::output::{CanaryNodeStats, CanaryOutcome, CanaryRecord, TransferStats};

/// Canary rounds in progress and done.
#[derive(Default)]
pub(crate) struct Canaries {
    /// Rounds in progress, by round number.
    pub(crate) rounds: BTreeMap<u32, CanaryProgress>,
    /// The next round's number.
    pub(crate) next: u32,
    /// The probe client (added to the network at the first round).
    pub(crate) client: Option<Endpoint>,
    pub(crate) stats: CanaryStats,
}

/// A canary round in progress.
#[derive(Clone, Debug)]
pub(crate) struct CanaryProgress {
    started: SimTime,
    upload_node: u32,
    download_node: u32,
    upload_s: Option<f64>,
}

/// One probe node's canary tallies.
#[derive(Clone, Debug, Default)]
pub(crate) struct CanaryTally {
    upload_rounds: u64,
    uploads_ok: u64,
    upload_s: Vec<f64>,
    download_rounds: u64,
    downloads_ok: u64,
    download_s: Vec<f64>,
}

/// Canary results per probe node.
#[derive(Clone, Debug, Default)]
pub(crate) struct CanaryStats {
    pub(crate) rounds: u64,
    pub(crate) failures: u64,
    pub(crate) nodes: BTreeMap<u32, CanaryTally>,
}

impl CanaryStats {
    pub(crate) fn record(&mut self, r: &CanaryRecord) {
        self.rounds += 1;
        self.failures += (r.outcome != CanaryOutcome::Ok) as u64;
        let up = self.nodes.entry(r.upload_node).or_default();
        up.upload_rounds += 1;
        if let Some(d) = r.upload_s {
            up.uploads_ok += 1;
            up.upload_s.push(d);
        }
        let down = self.nodes.entry(r.download_node).or_default();
        down.download_rounds += 1;
        if let (CanaryOutcome::Ok, Some(d)) = (r.outcome, r.download_s) {
            down.downloads_ok += 1;
            down.download_s.push(d);
        }
    }

    pub(crate) fn summary(&self, probes: &[u32]) -> Vec<CanaryNodeStats> {
        probes
            .iter()
            .map(|&n| {
                let e = self.nodes.get(&n).cloned().unwrap_or_default();
                let rate = |ok: u64, all: u64| (all > 0).then(|| ok as f64 / all as f64);
                CanaryNodeStats {
                    node: n,
                    upload_rounds: e.upload_rounds,
                    uploads_ok: e.uploads_ok,
                    upload_success_rate: rate(e.uploads_ok, e.upload_rounds),
                    upload_duration: TransferStats::of(&e.upload_s),
                    download_rounds: e.download_rounds,
                    downloads_ok: e.downloads_ok,
                    download_success_rate: rate(e.downloads_ok, e.download_rounds),
                    download_duration: TransferStats::of(&e.download_s),
                }
            })
            .collect()
    }
}

impl Model<'_> {
    pub(crate) fn on_canary_round(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let now = s.now();
        let c = self
            .cfg
            .canary
            .clone()
            .expect("canary rounds need [canary]");
        let next = now.saturating_add(c.interval);
        if next < self.horizon {
            s.schedule_at(next, Ev::CanaryRound)?;
        }
        let round = self.canary.next;
        self.canary.next += 1;
        let k = c.nodes.len() as u32;
        let up = c.nodes[(round % k) as usize];
        let down = c.nodes[((round + 1) % k) as usize];
        self.canary.rounds.insert(
            round,
            CanaryProgress {
                started: now,
                upload_node: up,
                download_node: down,
                upload_s: None,
            },
        );
        if !self.ledger.nodes[up as usize].up() {
            self.canary_finish(round, CanaryOutcome::NodeDown, None);
            return Ok(());
        }
        let client = match self.canary.client {
            Some(c) => c,
            None => {
                let c = self.net.topo.add_client(&mut self.net.flows);
                self.canary.client = Some(c);
                c
            }
        };
        self.canary_transfer(s, TransferKind::CanaryUp { round }, client, up)
    }

    /// Starts a canary round's upload or download of the file to `dst`.
    pub(crate) fn canary_transfer(
        &mut self,
        s: &mut Scheduler<Ev>,
        kind: TransferKind,
        src: Endpoint,
        dst: u32,
    ) -> Result<(), Stop> {
        let bytes = self.cfg.canary.as_ref().expect("canary").file_bytes;
        let cap = self.ledger.nodes[dst as usize].rate_bytes_per_s as f64;
        let parts = vec![Part::new(src, 0, bytes)];
        let t = self
            .net
            .new_transfer(kind, Endpoint::Host(dst), s.now(), cap, parts);
        self.begin_transfer(s, t)
    }

    pub(crate) fn canary_uploaded(
        &mut self,
        s: &mut Scheduler<Ev>,
        round: u32,
        took_s: f64,
    ) -> Result<(), Stop> {
        let Some(r) = self.canary.rounds.get_mut(&round) else {
            return Ok(());
        };
        r.upload_s = Some(took_s);
        let (up, down) = (r.upload_node, r.download_node);
        if !self.ledger.nodes[down as usize].up() || !self.ledger.nodes[up as usize].up() {
            self.canary_finish(round, CanaryOutcome::NodeDown, None);
            return Ok(());
        }
        self.canary_transfer(
            s,
            TransferKind::CanaryDown { round },
            Endpoint::Host(up),
            down,
        )
    }

    /// A canary round ends: recorded in the statistics and `canary.csv`.
    pub(crate) fn canary_finish(
        &mut self,
        round: u32,
        outcome: CanaryOutcome,
        download_s: Option<f64>,
    ) {
        let Some(r) = self.canary.rounds.remove(&round) else {
            return;
        };
        let bytes = self.cfg.canary.as_ref().expect("canary").file_bytes;
        let phase_failed = if outcome == CanaryOutcome::Ok {
            None
        } else if r.upload_s.is_none() {
            Some("upload")
        } else {
            Some("download")
        };
        let rec = CanaryRecord {
            time_s: r.started.as_secs_f64(),
            round,
            upload_node: r.upload_node,
            download_node: r.download_node,
            file_bytes: bytes,
            outcome,
            failed_phase: phase_failed.map(str::to_string),
            upload_s: r.upload_s,
            download_s,
        };
        self.canary.stats.record(&rec);
        self.sink.canary(&rec);
    }
}
