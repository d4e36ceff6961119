//! What the model emits: time-series samples, trace events and the summary.
//! The model writes into a [`Sink`]; the binary writes the run directory.
//!
//! This module also owns the format of every file of a run directory: each
//! file is one type here (a CSV row, a JSON Lines object or a JSON
//! document), serialized by the binary and deserialized by the crates that
//! read run directories back (`codexsim-report`, `codexsim-live`), so a
//! file's columns are described once:
//!
//! | file | type |
//! |------|------|
//! | `fleet.csv` | [`FleetSample`] |
//! | `nodes.csv` | [`NodeSample`] |
//! | `links.csv` | [`LinkSample`] |
//! | `canary.csv` | [`CanaryRecord`] |
//! | `trace.jsonl` | [`TraceEvent`] |
//! | `money.csv` | [`MoneySample`] |
//! | `accounts.csv` | [`AccountSample`] |
//! | `downloads.csv` | [`BlockDownloadRecord`] |
//! | `summary.json` | [`Summary`] |
//! | `manifest.json` (and `config.toml`) | [`Manifest`] |
//!
//! Each type's `FILE` is the file's name in the run directory.

use serde::{Deserialize, Serialize};

pub use crate::blocks_output::{BlockDownloadRecord, ExchangeSummary};
pub use crate::money_output::{AccountSample, HostProfit, MoneySample, MoneySummary};
pub use crate::sink::{MemorySink, NullSink, Sink};

/// One fleet-wide time-series sample. Field names follow the Codex node's
/// metrics where the quantity is the same (`codex_repostore_bytes_used`, ...).
/// `_total` fields are cumulative since the start of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Sum of the nodes' storage quotas (nodes that have not left), bytes.
    pub quota_bytes: u64,
    /// Bytes offered in availabilities.
    pub offered_bytes: u64,
    /// Bytes reserved for slots but not (or not yet) holding data.
    pub codex_repostore_bytes_reserved: u64,
    /// Bytes of slot data stored.
    pub codex_repostore_bytes_used: u64,
    /// Nodes online.
    pub nodes_up: u32,
    /// Nodes offline (data intact or awaiting a new disk).
    pub nodes_down: u32,
    /// Nodes that left.
    pub nodes_gone: u32,
    /// Slots currently filled.
    pub slots_filled: u64,
    /// Requests waiting for their slots to fill.
    pub requests_new: u64,
    /// Requests running.
    pub requests_started: u64,
    /// Requests created (renewals excluded).
    pub codex_purchases_submitted_total: u64,
    /// Requests that started.
    pub codex_purchases_started_total: u64,
    /// Requests that finished.
    pub codex_purchases_finished_total: u64,
    /// Requests cancelled at expiry.
    pub codex_purchases_cancelled_total: u64,
    /// Requests failed: more slots freed than maxSlotLoss (contract failures).
    pub codex_purchases_failed_total: u64,
    /// Contract renewals of long-lived datasets.
    pub renewals_total: u64,
    /// Slot fills (first fills and repairs).
    pub slots_filled_total: u64,
    /// Slots freed by the validator or at once on loss.
    pub slots_freed_total: u64,
    /// Freed slots filled again.
    pub slots_repaired_total: u64,
    /// Proofs required.
    pub proofs_required_total: u64,
    /// Proofs required and missed.
    pub proofs_missed_total: u64,
    /// Slashes (one per missed proof marked).
    pub slashes_total: u64,
    /// Datasets whose data can no longer be recovered.
    pub datasets_lost_total: u64,
    /// Their bytes.
    pub bytes_lost_total: u64,
    /// Bytes downloaded to fill slots (first fills).
    pub fill_bytes_total: u64,
    /// Bytes downloaded to repair slots.
    pub repair_bytes_total: u64,
    /// Bytes hosts received for fills (from clients), over the network.
    pub net_fill_bytes_total: u64,
    /// Bytes hosts received for repairs (from holders).
    pub net_repair_bytes_total: u64,
    /// Bytes probe nodes received in canary rounds.
    pub net_canary_bytes_total: u64,
    /// Bytes clients sent to hosts (the upload side of fills).
    pub net_client_upload_bytes_total: u64,
    /// Transfers in progress (fills, repairs, canary).
    pub transfers_active: u64,
    /// Canary rounds finished.
    pub canary_rounds_total: u64,
    /// Canary rounds failed (node down or timeout).
    pub canary_failures_total: u64,
    /// Bytes downloaded to fill renewal requests (from the old hosts).
    pub renewal_bytes_total: u64,
    /// Bytes hosts received for renewals, over the network.
    pub net_renewal_bytes_total: u64,
    /// Proofs missed that no live validator watching the slot marked (never
    /// slashed).
    pub proofs_unmarked_total: u64,
    /// Slots filled that no validator watches (every validator of the
    /// slot's group at its `max_slots`).
    pub slots_unwatched_total: u64,
    /// Renewal requests that did not start before the request they renew
    /// ended: the dataset is no longer kept.
    pub renewals_failed_total: u64,
    /// Requests that started with one host holding more of their slots
    /// than they tolerate losing (the "greedy host").
    pub starts_host_over_tolerance_total: u64,
    /// Slots whose host has lost the data but which are not freed (the
    /// loss not yet detected), now.
    pub slots_lost_undetected: u64,
    /// Filled slots whose host lost the data, in all (detected when the
    /// slot is freed; the summary's `losses_detected`).
    pub slots_lost_total: u64,
}

/// One node's time-series sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Node index.
    pub node: u32,
    /// Its group's name.
    pub group: String,
    /// 1 when online, 0 otherwise.
    pub up: u8,
    /// Storage quota, bytes (0 once gone).
    pub quota_bytes: u64,
    /// Bytes offered.
    pub offered_bytes: u64,
    /// `codex_repostore_bytes_reserved`.
    pub codex_repostore_bytes_reserved: u64,
    /// `codex_repostore_bytes_used`.
    pub codex_repostore_bytes_used: u64,
    /// Slots held (filled, on the contract).
    pub slots: u32,
    /// Bytes received over the node's own link, for fills.
    pub net_rx_fill_bytes_total: u64,
    /// Bytes received for repairs.
    pub net_rx_repair_bytes_total: u64,
    /// Bytes received in canary rounds.
    pub net_rx_canary_bytes_total: u64,
    /// Bytes sent over the node's own link for fills (0: clients send).
    pub net_tx_fill_bytes_total: u64,
    /// Bytes sent to repairing hosts.
    pub net_tx_repair_bytes_total: u64,
    /// Bytes sent in canary rounds.
    pub net_tx_canary_bytes_total: u64,
    /// Bytes received for renewals.
    pub net_rx_renewal_bytes_total: u64,
    /// Bytes sent to hosts filling renewals.
    pub net_tx_renewal_bytes_total: u64,
}

impl FleetSample {
    /// The file of these rows in a run directory.
    pub const FILE: &'static str = "fleet.csv";
}

impl NodeSample {
    /// The file of these rows in a run directory.
    pub const FILE: &'static str = "nodes.csv";

    /// Every column after `time_s`, `node` and `group` (all integers), in
    /// the file's order: for a writer that formats rows by hand.
    pub fn integer_columns(&self) -> [u64; 14] {
        [
            u64::from(self.up),
            self.quota_bytes,
            self.offered_bytes,
            self.codex_repostore_bytes_reserved,
            self.codex_repostore_bytes_used,
            u64::from(self.slots),
            self.net_rx_fill_bytes_total,
            self.net_rx_repair_bytes_total,
            self.net_rx_canary_bytes_total,
            self.net_tx_fill_bytes_total,
            self.net_tx_repair_bytes_total,
            self.net_tx_canary_bytes_total,
            self.net_rx_renewal_bytes_total,
            self.net_tx_renewal_bytes_total,
        ]
    }
}

/// Kinds of trace events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceKind {
    /// StorageRequested.
    RequestCreated,
    /// RequestFulfilled.
    RequestStarted,
    /// Request finished.
    RequestFinished,
    /// RequestCancelled.
    RequestCancelled,
    /// RequestFailed.
    RequestFailed,
    /// A dataset's request renewed: extended with the same hosts, or a new
    /// request posted for the same data (`request` is the old one).
    RequestRenewed,
    /// SlotReservationsFull.
    SlotReservationsFull,
    /// SlotFilled.
    SlotFilled,
    /// SlotFreed.
    SlotFreed,
    /// A proof marked missing.
    ProofMissed,
    /// A proof missed that no live validator watching its slot marked.
    ProofUnmarked,
    /// A node went offline.
    NodeDown,
    /// A node came back online.
    NodeUp,
    /// A node lost its disk.
    DiskLost,
    /// A node left for good.
    NodeLeft,
    /// A dataset became unrecoverable.
    DatasetLost,
}

impl TraceKind {
    /// Every kind, for option parsing.
    pub const ALL: [TraceKind; 16] = [
        TraceKind::RequestCreated,
        TraceKind::RequestStarted,
        TraceKind::RequestFinished,
        TraceKind::RequestCancelled,
        TraceKind::RequestFailed,
        TraceKind::RequestRenewed,
        TraceKind::SlotReservationsFull,
        TraceKind::SlotFilled,
        TraceKind::SlotFreed,
        TraceKind::ProofMissed,
        TraceKind::ProofUnmarked,
        TraceKind::NodeDown,
        TraceKind::NodeUp,
        TraceKind::DiskLost,
        TraceKind::NodeLeft,
        TraceKind::DatasetLost,
    ];

    /// The snake_case name used in traces.
    pub fn name(self) -> &'static str {
        match self {
            TraceKind::RequestCreated => "request_created",
            TraceKind::RequestStarted => "request_started",
            TraceKind::RequestFinished => "request_finished",
            TraceKind::RequestCancelled => "request_cancelled",
            TraceKind::RequestFailed => "request_failed",
            TraceKind::RequestRenewed => "request_renewed",
            TraceKind::SlotReservationsFull => "slot_reservations_full",
            TraceKind::SlotFilled => "slot_filled",
            TraceKind::SlotFreed => "slot_freed",
            TraceKind::ProofMissed => "proof_missed",
            TraceKind::ProofUnmarked => "proof_unmarked",
            TraceKind::NodeDown => "node_down",
            TraceKind::NodeUp => "node_up",
            TraceKind::DiskLost => "disk_lost",
            TraceKind::NodeLeft => "node_left",
            TraceKind::DatasetLost => "dataset_lost",
        }
    }
}

/// One traced event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// What happened.
    pub kind: TraceKind,
    /// The node, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// The request, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<u32>,
    /// The slot index, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
    /// The dataset, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<u32>,
    /// Bytes concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl TraceEvent {
    /// The file of these events (JSON Lines) in a run directory.
    pub const FILE: &'static str = "trace.jsonl";
}

/// Traffic across one direction of a failure domain's shared link, so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// The link ("machine-0").
    pub link: String,
    /// `up` (towards the internet) or `down`.
    #[serde(deserialize_with = "link_direction")]
    pub direction: LinkDirection,
    /// Bytes for fills.
    pub fill_bytes_total: u64,
    /// Bytes for repairs.
    pub repair_bytes_total: u64,
    /// Bytes for canary probes.
    pub canary_bytes_total: u64,
    /// Bytes for renewals.
    pub renewal_bytes_total: u64,
}

/// A direction of a shared link: `up` or `down` (a [`LinkSample`]'s
/// `direction`). A name for `&'static str`, so that serde does not borrow the
/// field from its input: rows read back are owned, and the direction is one
/// of [`LinkSample::DIRECTIONS`].
pub type LinkDirection = &'static str;

impl LinkSample {
    /// The file of these rows in a run directory.
    pub const FILE: &'static str = "links.csv";
    /// Every direction, as written.
    pub const DIRECTIONS: [LinkDirection; 2] = ["up", "down"];
}

fn link_direction<'de, D: serde::Deserializer<'de>>(d: D) -> Result<LinkDirection, D::Error> {
    let text = String::deserialize(d)?;
    LinkSample::DIRECTIONS
        .into_iter()
        .find(|&k| k == text)
        .ok_or_else(|| {
            serde::de::Error::invalid_value(serde::de::Unexpected::Str(&text), &"up or down")
        })
}

/// How a canary round ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanaryOutcome {
    /// Uploaded and downloaded in time.
    Ok,
    /// A probe node was offline or went offline.
    NodeDown,
    /// A transfer took longer than the timeout.
    Timeout,
}

/// One canary round: the probe client uploads a file to `upload_node`, then
/// `download_node` downloads it from there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CanaryRecord {
    /// When the round started, seconds.
    pub time_s: f64,
    /// Round number.
    pub round: u32,
    /// The node uploaded to.
    pub upload_node: u32,
    /// The node that downloads.
    pub download_node: u32,
    /// File size.
    pub file_bytes: u64,
    /// Outcome.
    pub outcome: CanaryOutcome,
    /// `upload` or `download` when it failed.
    pub failed_phase: Option<String>,
    /// Upload duration, seconds, if it completed.
    pub upload_s: Option<f64>,
    /// Download duration, seconds, if it completed.
    pub download_s: Option<f64>,
}

impl CanaryRecord {
    /// The file of these rows in a run directory.
    pub const FILE: &'static str = "canary.csv";
}

/// Durations of completed transfers of one kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransferStats {
    /// Completed transfers.
    pub count: u64,
    /// Mean, seconds.
    pub mean_s: Option<f64>,
    /// Median, seconds.
    pub p50_s: Option<f64>,
    /// 90th percentile, seconds.
    pub p90_s: Option<f64>,
    /// 99th percentile, seconds.
    pub p99_s: Option<f64>,
    /// Longest, seconds.
    pub max_s: Option<f64>,
}

impl TransferStats {
    /// Statistics of `durations_s` (nearest-rank percentiles).
    pub fn of(durations_s: &[f64]) -> Self {
        let mut v = durations_s.to_vec();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| -> Option<f64> {
            if v.is_empty() {
                return None;
            }
            let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
            Some(v[rank - 1])
        };
        TransferStats {
            count: v.len() as u64,
            mean_s: (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64),
            p50_s: q(0.5),
            p90_s: q(0.9),
            p99_s: q(0.99),
            max_s: v.last().copied(),
        }
    }
}

/// One probe node's canary results, as the upload target and as the
/// downloader.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CanaryNodeStats {
    /// The node.
    pub node: u32,
    /// Rounds that uploaded to it.
    pub upload_rounds: u64,
    /// Of those, uploads that succeeded.
    pub uploads_ok: u64,
    /// uploads_ok / upload_rounds.
    pub upload_success_rate: Option<f64>,
    /// Successful upload durations.
    pub upload_duration: TransferStats,
    /// Rounds in which it downloads.
    pub download_rounds: u64,
    /// Of those, rounds that succeeded end to end.
    pub downloads_ok: u64,
    /// downloads_ok / download_rounds.
    pub download_success_rate: Option<f64>,
    /// Successful download durations.
    pub download_duration: TransferStats,
}

/// Traffic totals by purpose, bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    /// Fills (hosts receiving slots from clients).
    pub fill_bytes: u64,
    /// Repairs (hosts receiving from holders).
    pub repair_bytes: u64,
    /// Canary probes (received by probe nodes).
    pub canary_bytes: u64,
    /// Sent by clients (the upload side of fills).
    pub client_upload_bytes: u64,
    /// Renewals (hosts filling a renewal request from the old hosts).
    pub renewal_bytes: u64,
}

/// A shared link's totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkTotals {
    /// The link.
    pub link: String,
    /// Bytes up, by purpose (fill, repair, canary, renewal).
    pub up_bytes: [u64; 4],
    /// Bytes down, by purpose.
    pub down_bytes: [u64; 4],
}

/// The network's part of the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkSummary {
    /// Fill transfers (download of a slot from the client), from start to
    /// last byte.
    pub fill_transfer: TransferStats,
    /// Repair transfers (K slots' worth from holders).
    pub repair_transfer: TransferStats,
    /// Fills and repairs abandoned after `network.transfer_timeout_s`.
    pub transfer_timeouts: u64,
    /// Bytes moved, by purpose.
    pub traffic: Traffic,
    /// Every failure domain's shared link.
    pub links: Vec<LinkTotals>,
    /// What the bandwidth sharing cost (max-min recomputations).
    pub sharing: Sharing,
}

/// How often transfer rates were recomputed, and over how many transfers:
/// a measure of how congested the run was (and of where its time went).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sharing {
    /// Starts and ends of transfer parts (and capacity changes).
    pub updates: u64,
    /// Max-min recomputations (updates that no shortcut settled; changes
    /// at one instant count once).
    pub recomputations: u64,
    /// Mean transfer parts per recomputation.
    pub mean_flows_per_recomputation: f64,
    /// Mean finite resources (link directions, disks) per recomputation.
    pub mean_resources_per_recomputation: f64,
    /// Rate changes in all.
    pub rate_changes: u64,
}

/// Totals of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Simulated time reached, seconds.
    pub end_time_s: f64,
    /// Events delivered.
    pub events_processed: u64,
    /// Why the run stopped: `horizon`, `data_loss`, `event_limit`, `quiescent`.
    pub stop_reason: String,
    /// The last sample of the run (every `_total` counter).
    pub totals: FleetSample,
    /// Datasets created (renewals excluded).
    pub datasets_created: u64,
    /// Time of the first data loss, seconds, if any.
    pub first_data_loss_s: Option<f64>,
    /// Time of the first contract failure, seconds, if any.
    pub first_contract_failure_s: Option<f64>,
    /// Mean time from request creation to start, seconds.
    pub mean_fill_time_s: Option<f64>,
    /// Mean time from a slot being freed to its refill, seconds.
    pub mean_repair_time_s: Option<f64>,
    /// Collateral slashed in all, token units.
    pub collateral_slashed: u128,
    /// Slashes of hosts that still held the slot's data (offline at the
    /// proof, or a failed proof): the honest hosts' cost of the proof rules.
    pub slashes_of_intact_slots: u64,
    /// Slots whose host lost the data that were then freed (noticed).
    pub losses_detected: u64,
    /// Mean time from a host losing a slot's data to the slot being freed,
    /// seconds: how long the proofs take to notice a loss.
    pub mean_loss_detection_s: Option<f64>,
    /// Slot fill attempts that lost the race or were aborted.
    pub fill_attempts_errored: u64,
    /// Transfers and traffic.
    pub network: NetworkSummary,
    /// Canary results per probe node (when `[canary]` is configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<Vec<CanaryNodeStats>>,
    /// The marketplace's accounts at the end.
    #[serde(default)]
    pub money: MoneySummary,
    /// The block exchange (when a transfer kind uses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeSummary>,
}

impl Summary {
    /// The file of the summary (pretty JSON) in a run directory.
    pub const FILE: &'static str = "summary.json";
}

/// What every run directory records about how it was made (`manifest.json`,
/// pretty JSON; `config` is also written alone as `config.toml`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The codexsim version.
    pub codexsim_version: String,
    /// The git commit of the build, when known.
    pub git_commit: Option<String>,
    /// The command that made this directory (`run`, `bench engine`, ...).
    pub command: String,
    /// SHA-256 of `config.toml`.
    pub config_hash: String,
    /// The master seed.
    pub seed: u64,
    /// The resolved configuration (also in `config.toml`).
    pub config: String,
    /// Events delivered by the engine.
    pub events_processed: u64,
    /// Simulated time reached, seconds.
    pub simulated_time_s: f64,
    /// Wall-clock time of the run, seconds. The only field of a run directory
    /// that differs between two runs of one configuration and seed.
    pub wall_time_s: f64,
}

impl Manifest {
    /// The file of the manifest in a run directory.
    pub const FILE: &'static str = "manifest.json";
    /// The file of the resolved configuration ([`Manifest::config`]).
    pub const CONFIG_FILE: &'static str = "config.toml";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as the `csv` crate writes them, and read back.
    fn csv_round_trip<T: Serialize + serde::de::DeserializeOwned>(rows: &[T]) -> (String, Vec<T>) {
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in rows {
            w.serialize(r).unwrap();
        }
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let back: Result<Vec<T>, _> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .collect();
        (text, back.unwrap())
    }

    #[test]
    fn integer_columns_follow_the_node_columns() {
        let s = NodeSample {
            time_s: 1.5,
            node: 2,
            group: "g".into(),
            up: 3,
            quota_bytes: 4,
            offered_bytes: 5,
            codex_repostore_bytes_reserved: 6,
            codex_repostore_bytes_used: 7,
            slots: 8,
            net_rx_fill_bytes_total: 9,
            net_rx_repair_bytes_total: 10,
            net_rx_canary_bytes_total: 11,
            net_tx_fill_bytes_total: 12,
            net_tx_repair_bytes_total: 13,
            net_tx_canary_bytes_total: 14,
            net_rx_renewal_bytes_total: 15,
            net_tx_renewal_bytes_total: 16,
        };
        let (text, back) = csv_round_trip(std::slice::from_ref(&s));
        assert_eq!(back, vec![s.clone()]);
        let row = text.lines().nth(1).unwrap();
        let ints: Vec<String> = s.integer_columns().iter().map(u64::to_string).collect();
        assert_eq!(row, format!("1.5,2,g,{}", ints.join(",")));
    }

    #[test]
    fn every_file_reads_back_what_was_written() {
        let fleet = FleetSample {
            time_s: 3600.25,
            nodes_up: 7,
            bytes_lost_total: u64::MAX,
            ..FleetSample::default()
        };
        assert_eq!(
            csv_round_trip(std::slice::from_ref(&fleet)).1,
            vec![fleet.clone()]
        );
        let links: Vec<LinkSample> = LinkSample::DIRECTIONS
            .into_iter()
            .map(|direction| LinkSample {
                time_s: 0.1,
                link: "rack-1".into(),
                direction,
                fill_bytes_total: 1,
                repair_bytes_total: 2,
                canary_bytes_total: 3,
                renewal_bytes_total: 4,
            })
            .collect();
        assert_eq!(csv_round_trip(&links).1, links);
        let bad = "time_s,link,direction,fill_bytes_total,repair_bytes_total,canary_bytes_total\n\
                   0,m,sideways,0,0,0\n";
        let r: Result<Vec<LinkSample>, _> = csv::Reader::from_reader(bad.as_bytes())
            .deserialize()
            .collect();
        assert!(r.is_err(), "a direction is up or down");
        let canary = vec![
            CanaryRecord {
                time_s: 60.0,
                round: 0,
                upload_node: 1,
                download_node: 2,
                file_bytes: 1 << 20,
                outcome: CanaryOutcome::Ok,
                failed_phase: None,
                upload_s: Some(0.5),
                download_s: Some(0.25),
            },
            CanaryRecord {
                time_s: 120.0,
                round: 1,
                upload_node: 2,
                download_node: 1,
                file_bytes: 1 << 20,
                outcome: CanaryOutcome::Timeout,
                failed_phase: Some("download".into()),
                upload_s: Some(3.0),
                download_s: None,
            },
        ];
        assert_eq!(csv_round_trip(&canary).1, canary);
        let money = vec![MoneySample {
            time_s: 7.5,
            hosts_earned: u128::MAX,
            burned: 3,
            ..MoneySample::default()
        }];
        assert_eq!(csv_round_trip(&money).1, money);
        let accounts = vec![AccountSample {
            time_s: 1.0,
            node: 4,
            group: "lab".into(),
            earned: 1 << 100,
            profit: -(1 << 90),
            tb_months: 0.25,
            ..AccountSample::default()
        }];
        assert_eq!(csv_round_trip(&accounts).1, accounts);
        let summary = Summary {
            end_time_s: 86_400.0,
            stop_reason: "horizon".into(),
            totals: fleet,
            collateral_slashed: u128::MAX,
            first_data_loss_s: Some(12.5),
            network: NetworkSummary {
                fill_transfer: TransferStats::of(&[1.0, 2.0, 4.0]),
                links: vec![LinkTotals {
                    link: "machine-0".into(),
                    up_bytes: [1, 2, 3, 4],
                    down_bytes: [4, 5, 6, 7],
                }],
                ..NetworkSummary::default()
            },
            canary: Some(vec![CanaryNodeStats::default()]),
            ..Summary::default()
        };
        let json = serde_json::to_string_pretty(&summary).unwrap();
        assert_eq!(serde_json::from_str::<Summary>(&json).unwrap(), summary);
        let event = TraceEvent {
            time_s: 5.0,
            kind: TraceKind::SlotFreed,
            node: Some(3),
            request: None,
            slot: Some(1),
            dataset: None,
            bytes: None,
        };
        let line = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<TraceEvent>(&line).unwrap(), event);
        let manifest = Manifest {
            command: "run".into(),
            seed: 42,
            ..Manifest::default()
        };
        let json = serde_json::to_string_pretty(&manifest).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), manifest);
    }
}
