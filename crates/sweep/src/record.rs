//! Run records: what one finished run reports. Owns the metric names and
//! their meanings ([`METRICS`]), their extraction from a model summary
//! ([`metrics`]), and the record stored as `runs/KEY.json` (its JSON form,
//! written and read back).
//!
//! Imports no other module of the crate: every other module may import it.

use std::collections::BTreeMap;

use codexsim_model::Summary;
use serde::{Deserialize, Serialize};

/// One finished run, as stored in `runs/KEY.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The experiment's fingerprint (`Experiment::hash`).
    pub experiment_hash: String,
    /// `p003-lazy-2-r017`.
    pub key: String,
    /// Position in the plan.
    pub index: usize,
    /// Point index.
    pub point: usize,
    /// Variant name.
    pub variant: String,
    /// Replication.
    pub replication: u32,
    /// Seed.
    pub seed: u64,
    /// The point's parameter values, as TOML.
    pub params: BTreeMap<String, String>,
    /// Metrics (absent values, such as a mean over nothing, are null).
    pub metrics: BTreeMap<String, Option<f64>>,
}

impl RunRecord {
    /// The value of `metric` (one of [`METRICS`]), if the run has one.
    ///
    /// # Panics
    /// If `metric` is not one of [`METRICS`].
    pub fn metric(&self, metric: &str) -> Option<f64> {
        self.metrics[metric]
    }

    /// Whether the run lost data (its `data_loss` metric is positive).
    pub fn lost_data(&self) -> bool {
        self.metric("data_loss").unwrap_or(0.0) > 0.0
    }

    /// The record's file contents: pretty JSON and a final newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("records serialize");
        json.push('\n');
        json
    }

    /// A record read back from its file contents, if they parse and are
    /// the run `key` of the experiment fingerprinted `experiment_hash`.
    pub fn from_json(text: &str, experiment_hash: &str, key: &str) -> Option<RunRecord> {
        let r: RunRecord = serde_json::from_str(text).ok()?;
        (r.experiment_hash == experiment_hash && r.key == key).then_some(r)
    }
}

/// Every metric a run reports, with its meaning.
pub const METRICS: [(&str, &str); 34] = [
    (
        "contract_failures",
        "requests failed (more slots freed than tolerated)",
    ),
    ("datasets_lost", "datasets whose data fell below K slots"),
    ("data_loss", "1 if any dataset was lost, else 0"),
    ("bytes_lost", "bytes of the lost datasets"),
    ("datasets_created", "datasets submitted"),
    ("slots_filled", "slot fills, repairs included"),
    ("slots_freed", "slots freed by the validator"),
    ("slots_repaired", "freed slots filled again"),
    ("proofs_required", "proofs required"),
    ("proofs_missed", "proofs missed"),
    ("slashes", "slashes"),
    (
        "slashes_of_intact_slots",
        "slashes of hosts that still held the data",
    ),
    (
        "mean_loss_detection_s",
        "mean time from a data loss to the slot being freed",
    ),
    ("repair_bytes", "bytes moved for repairs"),
    ("fill_bytes", "bytes moved for fills"),
    ("canary_bytes", "bytes moved by canary probes"),
    ("mean_fill_time_s", "mean time from request to start"),
    (
        "mean_repair_time_s",
        "mean time from a slot freed to refilled",
    ),
    ("first_data_loss_s", "time of the first data loss"),
    ("collateral_slashed", "collateral slashed, token units"),
    ("renewal_bytes", "bytes moved to fill renewal requests"),
    (
        "renewals_failed",
        "renewals that did not start before the old request ended",
    ),
    (
        "proofs_unmarked",
        "missed proofs no live validator marked (never slashed)",
    ),
    ("slots_unwatched", "slot fills no validator watches"),
    (
        "starts_host_over_tolerance",
        "requests started with one host holding more slots than tolerated",
    ),
    (
        "contracts_started",
        "requests that started (every slot filled), renewals included",
    ),
    (
        "host_over_tolerance_share",
        "the share of started requests with one host holding more slots than tolerated",
    ),
    ("hosts_losing_money", "hosts whose profit is below zero"),
    (
        "min_profit_per_tb_month",
        "the lowest host profit per TB-month, token units",
    ),
    (
        "median_profit_per_tb_month",
        "the median host profit per TB-month, token units",
    ),
    (
        "validator_rewards",
        "validators' share of slashes, token units",
    ),
    (
        "slots_lost_undetected",
        "slots whose host lost the data, not freed at the end",
    ),
    (
        "losses_detected",
        "slots whose host lost the data that were freed",
    ),
    (
        "losses_never_detected",
        "slots whose host lost the data that were never freed (their contract ended first)",
    ),
];

/// The metric derived from all runs of a point and variant rather than read
/// from one run: the share of runs with a data loss.
pub const LOSS_PROBABILITY: &str = "loss_probability";

/// Whether `name` is a metric an experiment may chart: one of [`METRICS`]
/// or [`LOSS_PROBABILITY`].
pub fn is_known(name: &str) -> bool {
    name == LOSS_PROBABILITY || METRICS.iter().any(|(k, _)| *k == name)
}

/// The metrics of a finished run.
pub fn metrics(s: &Summary) -> BTreeMap<String, Option<f64>> {
    let t = &s.totals;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: Option<f64>| {
        m.insert(k.to_string(), v);
    };
    put(
        "contract_failures",
        Some(t.codex_purchases_failed_total as f64),
    );
    put("datasets_lost", Some(t.datasets_lost_total as f64));
    put(
        "data_loss",
        Some(if t.datasets_lost_total > 0 { 1.0 } else { 0.0 }),
    );
    put("bytes_lost", Some(t.bytes_lost_total as f64));
    put("datasets_created", Some(s.datasets_created as f64));
    put("slots_filled", Some(t.slots_filled_total as f64));
    put("slots_freed", Some(t.slots_freed_total as f64));
    put("slots_repaired", Some(t.slots_repaired_total as f64));
    put("proofs_required", Some(t.proofs_required_total as f64));
    put("proofs_missed", Some(t.proofs_missed_total as f64));
    put("slashes", Some(t.slashes_total as f64));
    put(
        "slashes_of_intact_slots",
        Some(s.slashes_of_intact_slots as f64),
    );
    put("mean_loss_detection_s", s.mean_loss_detection_s);
    put("repair_bytes", Some(s.network.traffic.repair_bytes as f64));
    put("fill_bytes", Some(s.network.traffic.fill_bytes as f64));
    put("canary_bytes", Some(s.network.traffic.canary_bytes as f64));
    put("mean_fill_time_s", s.mean_fill_time_s);
    put("mean_repair_time_s", s.mean_repair_time_s);
    put("first_data_loss_s", s.first_data_loss_s);
    put("collateral_slashed", Some(s.collateral_slashed as f64));
    put(
        "renewal_bytes",
        Some(s.network.traffic.renewal_bytes as f64),
    );
    put("renewals_failed", Some(t.renewals_failed_total as f64));
    put("proofs_unmarked", Some(t.proofs_unmarked_total as f64));
    put("slots_unwatched", Some(t.slots_unwatched_total as f64));
    put(
        "starts_host_over_tolerance",
        Some(t.starts_host_over_tolerance_total as f64),
    );
    put(
        "contracts_started",
        Some(t.codex_purchases_started_total as f64),
    );
    put(
        "host_over_tolerance_share",
        (t.codex_purchases_started_total > 0).then(|| {
            t.starts_host_over_tolerance_total as f64 / t.codex_purchases_started_total as f64
        }),
    );
    put(
        "hosts_losing_money",
        Some(s.money.hosts_losing_money as f64),
    );
    put(
        "min_profit_per_tb_month",
        Some(s.money.min_profit_per_tb_month),
    );
    put(
        "median_profit_per_tb_month",
        Some(s.money.median_profit_per_tb_month),
    );
    put(
        "slots_lost_undetected",
        Some(t.slots_lost_undetected as f64),
    );
    put("losses_detected", Some(s.losses_detected as f64));
    put(
        "losses_never_detected",
        Some(
            t.slots_lost_total
                .saturating_sub(s.losses_detected + t.slots_lost_undetected) as f64,
        ),
    );
    put(
        "validator_rewards",
        Some(s.money.totals.validator_rewards as f64),
    );
    debug_assert_eq!(m.len(), METRICS.len());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RunRecord {
        RunRecord {
            experiment_hash: "abc".into(),
            key: "p000-baseline-r000".into(),
            index: 0,
            point: 0,
            variant: "baseline".into(),
            replication: 0,
            seed: 7,
            params: BTreeMap::new(),
            metrics: METRICS
                .iter()
                .map(|(m, _)| (m.to_string(), (*m != "first_data_loss_s").then_some(1.0)))
                .collect(),
        }
    }

    #[test]
    fn records_read_back_only_for_their_experiment_and_key() {
        let r = record();
        let json = r.to_json();
        assert!(json.ends_with("}\n"));
        assert!(json.contains("\"first_data_loss_s\": null"), "{json}");
        assert_eq!(RunRecord::from_json(&json, "abc", &r.key), Some(r.clone()));
        assert_eq!(RunRecord::from_json(&json, "abd", &r.key), None);
        assert_eq!(
            RunRecord::from_json(&json, "abc", "p001-baseline-r000"),
            None
        );
        assert_eq!(RunRecord::from_json("{", "abc", &r.key), None);
        assert!(r.lost_data());
        assert_eq!(r.metric("first_data_loss_s"), None);
    }

    #[test]
    fn known_metrics() {
        assert!(is_known("loss_probability"));
        assert!(is_known("repair_bytes"));
        assert!(!is_known("repair_byte"));
    }
}
