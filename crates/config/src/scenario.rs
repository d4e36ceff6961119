//! The scenario schema: raw tables as written, typed tables after validation.
//!
//! Sections: `[run]`, `[marketplace]`, `[[domain_levels]]`, `[[node_groups]]`,
//! `[[faults]]`, `[[scheduled_faults]]`, `[workload]`, `[repair]`,
//! `[network]`, `[canary]`. Every key
//! has a default except where noted, so a section may be left out.

use serde::{Deserialize, Serialize};

use codexsim_engine::{Dist, SimDuration};

use crate::dist::RawDist;
use crate::error::ConfigErrors;
use crate::units::RawQuantity;
use crate::validate::{Ctx, Unit};

fn text(s: &str) -> RawQuantity {
    RawQuantity::Text(s.to_string())
}
fn fixed(s: &str) -> RawDist {
    RawDist::Scalar(text(s))
}

// ---------------------------------------------------------------- raw types

/// A scenario file as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// A short name for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text: what the scenario is for and where its numbers come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How long to run and with what seed.
    #[serde(default)]
    pub run: RawRun,
    /// The marketplace contract's parameters.
    #[serde(default)]
    pub marketplace: RawMarketplace,
    /// Failure-domain levels, outermost first (site, rack, machine ...).
    #[serde(default)]
    pub domain_levels: Vec<RawDomainLevel>,
    /// Storage nodes, as groups of identical nodes.
    #[serde(default)]
    pub node_groups: Vec<RawNodeGroup>,
    /// Random fault processes.
    #[serde(default)]
    pub faults: Vec<RawFault>,
    /// Faults at fixed times.
    #[serde(default)]
    pub scheduled_faults: Vec<RawScheduledFault>,
    /// Clients and their storage requests.
    #[serde(default)]
    pub workload: RawWorkload,
    /// How lost slots are noticed and repaired.
    #[serde(default)]
    pub repair: RawRepair,
    /// Clients' lines and transfer retries.
    #[serde(default)]
    pub network: RawNetwork,
    /// Operators' upload/download probes on selected nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<RawCanary>,
}

/// `[network]`: what lies outside the fleet, and how transfers retry.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    /// A client's upload line, bytes per second. Default 100 MB.
    #[serde(default = "default_client_up")]
    pub client_up_bytes_per_s: RawQuantity,
    /// A client's download line, bytes per second. Default 100 MB.
    #[serde(default = "default_client_up")]
    pub client_down_bytes_per_s: RawQuantity,
    /// A client's one-way latency to the fleet. Default 20 ms.
    #[serde(default = "default_client_latency")]
    pub client_latency_s: RawQuantity,
    /// How long a repair waits for a source before it tries another or
    /// gives up. Default 10 min.
    #[serde(default = "default_retry")]
    pub retry_interval_s: RawQuantity,
    /// A fill or repair that has not finished after this long is abandoned
    /// (the sale errors). Default 1 day.
    #[serde(default = "default_transfer_timeout")]
    pub transfer_timeout_s: RawQuantity,
    /// How transfers share links and disks: `"max_min"` (fair sharing, the
    /// default) or `"unshared"` (each at the rate it would have alone: no
    /// contention, much faster).
    #[serde(default = "default_sharing")]
    pub sharing: String,
}

fn default_sharing() -> String {
    "max_min".into()
}

impl Default for RawNetwork {
    fn default() -> Self {
        RawNetwork {
            client_up_bytes_per_s: default_client_up(),
            client_down_bytes_per_s: default_client_up(),
            client_latency_s: default_client_latency(),
            retry_interval_s: default_retry(),
            transfer_timeout_s: default_transfer_timeout(),
            sharing: default_sharing(),
        }
    }
}

fn default_client_up() -> RawQuantity {
    text("100 MB")
}
fn default_client_latency() -> RawQuantity {
    text("20 ms")
}
fn default_retry() -> RawQuantity {
    text("10 min")
}
fn default_transfer_timeout() -> RawQuantity {
    text("1 day")
}

/// `[canary]`: every `interval_s`, a probe client uploads a file to one probe
/// node and another probe node downloads it from there.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCanary {
    /// Probe nodes, by fleet index (at least two).
    pub nodes: Vec<i64>,
    /// File size. Default 10 MB.
    #[serde(default = "default_canary_file")]
    pub file_bytes: RawQuantity,
    /// Time between rounds. Default 30 s.
    #[serde(default = "default_canary_interval")]
    pub interval_s: RawQuantity,
    /// A transfer slower than this fails. Default: 2 s per MB of the file
    /// (the Codex dist-tests' pass mark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<RawQuantity>,
    /// First round. Default 0.
    #[serde(default = "default_zero_s")]
    pub start_s: RawQuantity,
}

fn default_canary_file() -> RawQuantity {
    text("10 MB")
}
fn default_canary_interval() -> RawQuantity {
    text("30 s")
}

/// `[run]`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRun {
    /// Master seed of every random stream (an integer >= 0). Default 1.
    pub seed: i64,
    /// Simulated horizon, seconds. Default one year of 365 days.
    pub duration_s: RawQuantity,
    /// Upper bound on delivered events; the run stops there. Default 10^12.
    pub max_events: i64,
    /// Interval between time-series samples, seconds. Default one hour.
    pub series_interval_s: RawQuantity,
    /// `"aggregated"` (default): no event per slot per period; `"exact"`: every
    /// period of every slot is drawn.
    pub proof_mode: String,
    /// Stop at the first dataset lost. Default false.
    pub stop_on_data_loss: bool,
    /// Write per-node time series (`nodes.csv`). Default true.
    pub per_node_series: bool,
}

impl Default for RawRun {
    fn default() -> Self {
        RawRun {
            seed: 1,
            duration_s: text("365 days"),
            max_events: 1_000_000_000_000,
            series_interval_s: text("1 h"),
            proof_mode: "aggregated".into(),
            stop_on_data_loss: false,
            per_node_series: true,
        }
    }
}

/// `[marketplace]`: the contract configuration (codex-contracts-eth
/// `configuration/configuration.js`, testnet values by default).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMarketplace {
    /// Proof period, seconds. Default 120.
    pub proof_period_s: RawQuantity,
    /// Proof timeout, seconds. Default 30.
    pub proof_timeout_s: RawQuantity,
    /// Downtime, in blocks (0..=255). Default 64.
    pub downtime_blocks: i64,
    /// Missed proofs that free a slot. Default 2.
    pub max_number_of_slashes: i64,
    /// Percentage of collateral slashed per missed proof. Default 20.
    pub slash_percentage: i64,
    /// Percentage of collateral a repairing host is given back. Default 10.
    pub repair_reward_percentage: i64,
    /// Percentage of each slash paid to the validator. Default 20.
    pub validator_reward_percentage: i64,
    /// Reservations allowed per slot. Default 3.
    pub max_reservations_per_slot: i64,
    /// Longest request duration, seconds. Default 30 days.
    pub request_duration_limit_s: RawQuantity,
    /// Most slots a request may have (the proof circuit's limit). Default 256.
    pub max_slots: i64,
    /// Block period of the chain, seconds: transactions (reserveSlot,
    /// fillSlot) are mined after a uniform delay in [0, block period). Default
    /// 10 (the testnet's Clique chain).
    pub block_period_s: RawQuantity,
}

impl Default for RawMarketplace {
    fn default() -> Self {
        RawMarketplace {
            proof_period_s: RawQuantity::Int(120),
            proof_timeout_s: RawQuantity::Int(30),
            downtime_blocks: 64,
            max_number_of_slashes: 2,
            slash_percentage: 20,
            repair_reward_percentage: 10,
            validator_reward_percentage: 20,
            max_reservations_per_slot: 3,
            request_duration_limit_s: text("30 days"),
            max_slots: 256,
            block_period_s: RawQuantity::Int(10),
        }
    }
}

/// `[[domain_levels]]`: one level of the failure-domain hierarchy.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDomainLevel {
    /// The level's name (`"machine"`, `"rack"`, ...), used by faults.
    pub name: String,
    /// How many domains of this level (required).
    pub count: i64,
    /// Each domain's shared link towards the level above (or the internet),
    /// up direction, bytes per second. Default unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_up_bytes_per_s: Option<RawQuantity>,
    /// The same link, down direction. Default unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_down_bytes_per_s: Option<RawQuantity>,
    /// The link's one-way latency. Default 0.
    #[serde(default = "default_zero_s")]
    pub link_latency_s: RawQuantity,
}

/// `[[node_groups]]`: `count` identical storage nodes.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawNodeGroup {
    /// The group's name (required).
    pub name: String,
    /// Number of nodes (required).
    pub count: i64,
    /// Storage quota of each node, bytes (required).
    pub quota_bytes: RawQuantity,
    /// The most one transfer to or from a node moves per second (the
    /// software's own throughput), bytes per second. Default 100 MB.
    #[serde(default = "default_rate")]
    pub transfer_rate_bytes_per_s: RawQuantity,
    /// The node's own network link, up direction, bytes per second. Default
    /// unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_up_bytes_per_s: Option<RawQuantity>,
    /// The node's own link, down direction. Default unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_down_bytes_per_s: Option<RawQuantity>,
    /// The node's link latency. Default 0.
    #[serde(default = "default_zero_s")]
    pub link_latency_s: RawQuantity,
    /// Disk read throughput, bytes per second (limits repairs that read from
    /// this node). Default 200 MB.
    #[serde(default = "default_disk_rate")]
    pub disk_read_bytes_per_s: RawQuantity,
    /// Disk write throughput, bytes per second (limits this node's fills).
    /// Default 200 MB.
    #[serde(default = "default_disk_rate")]
    pub disk_write_bytes_per_s: RawQuantity,
    /// Probability that a required proof fails although the node is up. Default 0.
    #[serde(default)]
    pub proof_failure_probability: f64,
    /// Capacity of the slot queue. Default 128.
    #[serde(default = "default_queue_size")]
    pub slot_queue_size: i64,
    /// Slots processed at once. Default 3.
    #[serde(default = "default_workers")]
    pub slot_queue_workers: i64,
    /// How nodes are spread over the domains of each level: `"round_robin"`
    /// (node i in domain i mod count, default) or `"block"` (contiguous runs).
    #[serde(default = "default_placement")]
    pub placement: String,
    /// Whether a node refuses a second slot of a request it already holds a
    /// slot of. Codex has no such rule (default false); the textbook chains
    /// assume it.
    #[serde(default)]
    pub one_slot_per_request: bool,
    /// The node's single availability.
    #[serde(default)]
    pub availability: RawAvailability,
}

fn default_rate() -> RawQuantity {
    text("100 MB")
}
fn default_disk_rate() -> RawQuantity {
    text("200 MB")
}
fn default_queue_size() -> i64 {
    128
}
fn default_workers() -> i64 {
    3
}
fn default_placement() -> String {
    "round_robin".into()
}

/// A node group's availability (nim-codex `sales/reservations.nim`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAvailability {
    /// Bytes offered; default the whole quota.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_bytes: Option<RawQuantity>,
    /// Longest request accepted, seconds. Default 30 days.
    pub duration_s: RawQuantity,
    /// Lowest price accepted, per byte per second. Default 0.
    pub min_price_per_byte_per_s: i64,
    /// Collateral the host puts up in all. Default 2^62 (unbounded in effect).
    pub total_collateral: i64,
}

impl Default for RawAvailability {
    fn default() -> Self {
        RawAvailability {
            total_bytes: None,
            duration_s: text("30 days"),
            min_price_per_byte_per_s: 0,
            total_collateral: 1 << 62,
        }
    }
}

/// `[[faults]]`: a random fault process applied to every target.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    /// `"outage"` (offline, data intact), `"disk_loss"` (data gone), or
    /// `"churn"` (the node leaves for good).
    pub kind: String,
    /// `"node"` or the name of a domain level.
    #[serde(default = "default_target")]
    pub target: String,
    /// For node targets: only this group (default every group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Time between faults of one target, seconds (from the start, or from
    /// the end of the previous fault). Required.
    pub interval_s: RawDist,
    /// Outage length, or time until a lost disk is replaced, seconds.
    #[serde(default = "default_fault_duration")]
    pub duration_s: RawDist,
    /// For `disk_loss`: whether the node comes back empty after `duration_s`
    /// (default true) or leaves.
    #[serde(default = "default_true")]
    pub replace: bool,
    /// No fault of this process before this time, seconds (a warm-up). The
    /// first interval counts from here. Default 0.
    #[serde(default = "default_zero_s")]
    pub start_s: RawQuantity,
}

fn default_target() -> String {
    "node".into()
}
fn default_fault_duration() -> RawDist {
    fixed("0 s")
}
fn default_true() -> bool {
    true
}

/// `[[scheduled_faults]]`: one fault at a fixed time.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduledFault {
    /// When, seconds after the start (required).
    pub at_s: RawQuantity,
    /// `"outage"`, `"disk_loss"` or `"churn"`.
    pub kind: String,
    /// `"node"` or the name of a domain level.
    #[serde(default = "default_target")]
    pub target: String,
    /// Which node (global index from 0) or which domain of the level (required).
    pub index: i64,
    /// Outage length or replacement time, seconds. Default 0.
    #[serde(default = "default_zero_s")]
    pub duration_s: RawQuantity,
    /// For `disk_loss`: whether the node comes back empty. Default true.
    #[serde(default = "default_true")]
    pub replace: bool,
}

fn default_zero_s() -> RawQuantity {
    RawQuantity::Int(0)
}

/// `[workload]`: clients and their requests.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawWorkload {
    /// Time between request arrivals, seconds (exponential: Poisson arrivals).
    /// Default `{ dist = "exponential", mean = "1 h" }`.
    pub interarrival_s: RawDist,
    /// Arrivals at fixed times, seconds, in addition to the random ones.
    pub arrival_times_s: Vec<RawQuantity>,
    /// Stop random arrivals after this many requests (renewals not counted).
    /// Default: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_datasets: Option<i64>,
    /// Random arrivals pause while the fleet's reserved and used bytes exceed
    /// this fraction of its quota. Default 1 (never pause).
    pub target_utilisation: f64,
    /// Dataset size, bytes. Default lognormal, median 10 GB, sigma 1.
    pub dataset_bytes: RawDist,
    /// REST `nodes` (slots = nodes). Default 5.
    pub nodes: i64,
    /// REST `tolerance` (M = tolerance, K = nodes - tolerance). Default 2.
    pub tolerance: i64,
    /// Request duration, seconds. Default 30 days.
    pub duration_s: RawQuantity,
    /// Request expiry, seconds after creation. Default 15 min.
    pub expiry_s: RawQuantity,
    /// Ask.proofProbability. Default 5.
    pub proof_probability: i64,
    /// Price per byte per second. Default 1.
    pub price_per_byte_per_s: i64,
    /// Collateral per byte. Default 1.
    pub collateral_per_byte: i64,
    /// When a request finishes, the dataset's contract is renewed with the
    /// same hosts (a long-lived dataset). Default true.
    pub renew: bool,
    /// Apply the node REST API's erasure-coding rules (K = nodes - tolerance
    /// > 1, K >= M). Default true; the textbook chains (K = 1) turn it off.
    pub codex_rest_rules: bool,
    /// `"until_filled"` (default): the client holds the encoded dataset until
    /// every slot is filled; `"always"`: it keeps a copy for good, so repairs
    /// can always read from it.
    pub client_keeps_data: String,
}

impl Default for RawWorkload {
    fn default() -> Self {
        RawWorkload {
            interarrival_s: RawDist::Table(crate::dist::RawDistTable::Exponential {
                mean: text("1 h"),
            }),
            arrival_times_s: Vec::new(),
            max_datasets: None,
            target_utilisation: 1.0,
            dataset_bytes: RawDist::Table(crate::dist::RawDistTable::Lognormal {
                median: text("10 GB"),
                sigma: 1.0,
            }),
            nodes: 5,
            tolerance: 2,
            duration_s: text("30 days"),
            expiry_s: text("15 min"),
            proof_probability: 5,
            price_per_byte_per_s: 1,
            collateral_per_byte: 1,
            renew: true,
            codex_rest_rules: true,
            client_keeps_data: "until_filled".into(),
        }
    }
}

/// `[repair]`: how lost slots are noticed and repaired.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRepair {
    /// `"proofs"` (default): a lost slot is noticed through missed proofs and
    /// freed by the validator; `"immediate"`: freed the moment it is lost.
    pub detection: String,
    /// `"market"` (default): freed slots go back to the hosts' slot queues and
    /// the repairing host downloads K slots' worth; `"exponential"`: a host
    /// holding no slot of the dataset is picked uniformly and the repair takes
    /// an exponential time of mean `mean_duration_s` (the textbook chains).
    pub model: String,
    /// Mean repair time for `model = "exponential"`, seconds. Default 1 week.
    pub mean_duration_s: RawQuantity,
    /// `"parallel"` (default): every lost slot of a dataset is repaired at
    /// once; `"serial"`: one at a time per dataset.
    pub concurrency: String,
    /// Lazy repair: a dataset's freed slots are offered for repair only once
    /// this many of its slots are freed and unfilled (then all of them).
    /// Default 1: every freed slot at once (eager). At most
    /// `workload.tolerance`, since one more freed slot fails the contract.
    pub lazy_threshold: i64,
}

impl Default for RawRepair {
    fn default() -> Self {
        RawRepair {
            detection: "proofs".into(),
            model: "market".into(),
            mean_duration_s: text("7 days"),
            concurrency: "parallel".into(),
            lazy_threshold: 1,
        }
    }
}

// -------------------------------------------------------------- typed types

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The file as parsed, with every default filled in (the resolved config).
    pub source: RawScenario,
    /// A short name for reports.
    pub name: Option<String>,
    /// Run parameters.
    pub run: RunConfig,
    /// Marketplace parameters.
    pub marketplace: Marketplace,
    /// Failure-domain levels, outermost first.
    pub domain_levels: Vec<DomainLevel>,
    /// Node groups.
    pub node_groups: Vec<NodeGroup>,
    /// Random fault processes.
    pub faults: Vec<Fault>,
    /// Faults at fixed times, sorted by time.
    pub scheduled_faults: Vec<ScheduledFault>,
    /// The workload.
    pub workload: Workload,
    /// Repair model.
    pub repair: Repair,
    /// Clients' lines and transfer retries.
    pub network: Network,
    /// Canary probes, if configured.
    pub canary: Option<Canary>,
}

/// One link: capacities (`None` = unlimited) and latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Up direction, bytes per second.
    pub up_bytes_per_s: Option<u64>,
    /// Down direction, bytes per second.
    pub down_bytes_per_s: Option<u64>,
    /// One-way latency.
    pub latency: SimDuration,
}

/// How transfers share links and disks (`network.sharing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharingMode {
    /// Max-min fair sharing of every link and disk (`"max_min"`).
    MaxMin,
    /// Each transfer at the rate it would have alone (`"unshared"`).
    Unshared,
}

/// The values of `network.sharing`.
pub const SHARING_MODES: [(&str, SharingMode); 2] = [
    ("max_min", SharingMode::MaxMin),
    ("unshared", SharingMode::Unshared),
];

impl SharingMode {
    /// Its `network.sharing` value.
    pub fn name(self) -> &'static str {
        SHARING_MODES
            .iter()
            .find(|(_, m)| *m == self)
            .expect("every mode is named")
            .0
    }

    /// The mode named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        SHARING_MODES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, m)| m)
    }
}

/// Validated `[network]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Every client's line.
    pub client: Link,
    /// How long a repair waits before trying sources again.
    pub retry_interval: SimDuration,
    /// When a fill or repair is abandoned.
    pub transfer_timeout: SimDuration,
    /// How transfers share links and disks.
    pub sharing: SharingMode,
}

/// Validated `[canary]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Canary {
    /// Probe nodes (fleet indices, distinct, at least two).
    pub nodes: Vec<u32>,
    /// File size.
    pub file_bytes: u64,
    /// Time between rounds.
    pub interval: SimDuration,
    /// A transfer slower than this fails.
    pub timeout: SimDuration,
    /// First round.
    pub start: SimDuration,
}

/// How proofs are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofMode {
    /// One draw per period per filled slot.
    Exact,
    /// Draws only where they can matter (outages, proof failures).
    Aggregated,
}

/// Validated `[run]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// Master seed.
    pub seed: u64,
    /// Simulated horizon.
    pub duration: SimDuration,
    /// Upper bound on delivered events.
    pub max_events: u64,
    /// Interval between time-series samples.
    pub series_interval: SimDuration,
    /// Proof simulation mode.
    pub proof_mode: ProofMode,
    /// Stop at the first dataset lost.
    pub stop_on_data_loss: bool,
    /// Write per-node series.
    pub per_node_series: bool,
}

/// Validated `[marketplace]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Marketplace {
    /// Proof period.
    pub proof_period: SimDuration,
    /// Proof timeout.
    pub proof_timeout: SimDuration,
    /// Downtime, blocks.
    pub downtime_blocks: u8,
    /// Missed proofs that free a slot.
    pub max_number_of_slashes: u32,
    /// Percent slashed per missed proof.
    pub slash_percentage: u32,
    /// Percent of collateral given back to a repairing host.
    pub repair_reward_percentage: u32,
    /// Percent of a slash paid to the validator.
    pub validator_reward_percentage: u32,
    /// Reservations per slot.
    pub max_reservations_per_slot: u32,
    /// Longest request.
    pub request_duration_limit: SimDuration,
    /// Most slots per request.
    pub max_slots: u32,
    /// Block period: transactions confirm after a uniform delay below it.
    pub block_period: SimDuration,
}

/// One level of failure domains.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainLevel {
    /// Its name.
    pub name: String,
    /// How many domains.
    pub count: u32,
    /// Each domain's shared link.
    pub link: Link,
}

/// Node placement over domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Node i of the fleet in domain i mod count.
    RoundRobin,
    /// Contiguous runs of nodes per domain.
    Block,
}

/// A validated node group.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroup {
    /// Name.
    pub name: String,
    /// Node count.
    pub count: u32,
    /// Quota per node, bytes.
    pub quota_bytes: u64,
    /// Download rate, bytes per second.
    pub transfer_rate_bytes_per_s: u64,
    /// Disk read throughput, bytes per second.
    pub disk_read_bytes_per_s: u64,
    /// Disk write throughput, bytes per second.
    pub disk_write_bytes_per_s: u64,
    /// Probability that a required proof fails while up.
    pub proof_failure_probability: f64,
    /// Slot queue capacity.
    pub slot_queue_size: u32,
    /// Slot queue workers.
    pub slot_queue_workers: u32,
    /// Placement over domains.
    pub placement: Placement,
    /// Refuse a second slot of one request.
    pub one_slot_per_request: bool,
    /// Bytes offered.
    pub availability_total_bytes: u64,
    /// Longest request accepted.
    pub availability_duration: SimDuration,
    /// Lowest price accepted.
    pub min_price_per_byte_per_s: u64,
    /// Collateral available.
    pub total_collateral: u64,
    /// Each node's own link.
    pub link: Link,
}

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Offline for a while, data intact.
    Outage,
    /// Disk lost: data gone; back empty after the duration, or gone.
    DiskLoss {
        /// Whether the node comes back.
        replace: bool,
    },
    /// Leaves for good, with its data.
    Churn,
}

/// What a fault hits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every node (of a group, if given).
    Nodes {
        /// Index of the group, or every group.
        group: Option<usize>,
    },
    /// Every domain of a level (index into `domain_levels`).
    Domains {
        /// The level.
        level: usize,
    },
}

/// A validated random fault process.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// What it hits.
    pub target: FaultTarget,
    /// Time between faults, seconds.
    pub interval_s: Dist,
    /// Outage or replacement time, seconds.
    pub duration_s: Dist,
    /// The process starts here.
    pub start: SimDuration,
}

/// What a scheduled fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduledTarget {
    /// One node, by global index.
    Node(u32),
    /// One domain: (level, index).
    Domain(usize, u32),
}

/// A validated scheduled fault.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledFault {
    /// When.
    pub at: SimDuration,
    /// What it does.
    pub kind: FaultKind,
    /// What it hits.
    pub target: ScheduledTarget,
    /// Outage or replacement time.
    pub duration: SimDuration,
}

/// Validated `[workload]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Time between random arrivals, seconds.
    pub interarrival_s: Dist,
    /// Fixed arrival times.
    pub arrival_times: Vec<SimDuration>,
    /// Limit on random arrivals.
    pub max_datasets: Option<u64>,
    /// Arrivals pause above this utilisation.
    pub target_utilisation: f64,
    /// Dataset size, bytes.
    pub dataset_bytes: Dist,
    /// Slots per request (K + M).
    pub nodes: u32,
    /// M.
    pub tolerance: u32,
    /// Request duration.
    pub duration: SimDuration,
    /// Request expiry.
    pub expiry: SimDuration,
    /// Ask.proofProbability.
    pub proof_probability: u64,
    /// Price per byte per second.
    pub price_per_byte_per_s: u64,
    /// Collateral per byte.
    pub collateral_per_byte: u64,
    /// Renew finished requests.
    pub renew: bool,
    /// The client keeps a copy forever.
    pub client_keeps_data_always: bool,
}

/// How loss is noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// Through missed proofs.
    Proofs,
    /// At once.
    Immediate,
}

/// How repairs happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepairModel {
    /// Through the slot queues, with downloads.
    Market,
    /// Exponential time on a uniformly chosen host.
    Exponential {
        /// Mean repair time.
        mean: SimDuration,
    },
}

/// Validated `[repair]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Repair {
    /// Detection.
    pub detection: Detection,
    /// Model.
    pub model: RepairModel,
    /// One repair at a time per dataset.
    pub serial: bool,
    /// Freed and unfilled slots a dataset needs before its repairs start.
    pub lazy_threshold: u32,
}

// --------------------------------------------------------------- validation

const ONE_NS: SimDuration = SimDuration::from_nanos(1);

fn choice<T: Copy>(ctx: &mut Ctx, path: &str, value: &str, options: &[(&str, T)]) -> Option<T> {
    if let Some((_, v)) = options.iter().find(|(name, _)| *name == value) {
        return Some(*v);
    }
    let names: Vec<String> = options.iter().map(|(n, _)| format!("{n:?}")).collect();
    ctx.errors.push(
        path,
        format!("{value:?}"),
        format!("must be one of {}", names.join(", ")),
    );
    None
}

fn fault_kind(ctx: &mut Ctx, path: &str, kind: &str, replace: bool) -> Option<FaultKind> {
    choice(
        ctx,
        path,
        kind,
        &[
            ("outage", FaultKind::Outage),
            ("disk_loss", FaultKind::DiskLoss { replace }),
            ("churn", FaultKind::Churn),
        ],
    )
}

fn level_index(
    ctx: &mut Ctx,
    path: &str,
    target: &str,
    levels: &[RawDomainLevel],
) -> Option<Option<usize>> {
    if target == "node" {
        return Some(None);
    }
    match levels.iter().position(|l| l.name == target) {
        Some(i) => Some(Some(i)),
        None => {
            let mut names = vec!["\"node\"".to_string()];
            names.extend(levels.iter().map(|l| format!("{:?}", l.name)));
            ctx.errors.push(
                path,
                format!("{target:?}"),
                format!(
                    "must be one of {} (the domain levels declared)",
                    names.join(", ")
                ),
            );
            None
        }
    }
}

impl RawScenario {
    /// Validates into a [`Scenario`], or returns every problem found.
    pub fn validate(&self) -> Result<Scenario, ConfigErrors> {
        let mut ctx = Ctx::default();
        let c = &mut ctx;

        // [run]
        let r = &self.run;
        let seed = c.int_in("run.seed", r.seed, 0, i64::MAX).map(|v| v as u64);
        let duration = c.duration("run.duration_s", &r.duration_s, ONE_NS);
        let max_events = c
            .int_in("run.max_events", r.max_events, 1, i64::MAX)
            .map(|v| v as u64);
        let series_interval = c.duration("run.series_interval_s", &r.series_interval_s, ONE_NS);
        if let (Some(d), Some(i)) = (duration, series_interval) {
            if i > d {
                c.errors.push(
                    "run.series_interval_s",
                    &r.series_interval_s,
                    format!("must not exceed run.duration_s ({d})"),
                );
            }
        }
        let proof_mode = choice(
            c,
            "run.proof_mode",
            &r.proof_mode,
            &[
                ("aggregated", ProofMode::Aggregated),
                ("exact", ProofMode::Exact),
            ],
        );

        // [marketplace]
        let m = &self.marketplace;
        let proof_period = c.duration(
            "marketplace.proof_period_s",
            &m.proof_period_s,
            SimDuration::from_secs(1),
        );
        let proof_timeout = c.duration("marketplace.proof_timeout_s", &m.proof_timeout_s, ONE_NS);
        if let (Some(p), Some(t)) = (proof_period, proof_timeout) {
            if t > p {
                c.errors.push(
                    "marketplace.proof_timeout_s",
                    &m.proof_timeout_s,
                    format!("must not exceed marketplace.proof_period_s ({p})"),
                );
            }
        }
        let downtime = c.int_in("marketplace.downtime_blocks", m.downtime_blocks, 0, 255);
        let max_slashes = c.int_in(
            "marketplace.max_number_of_slashes",
            m.max_number_of_slashes,
            1,
            1000,
        );
        let slash_pct = c.int_in("marketplace.slash_percentage", m.slash_percentage, 0, 100);
        let repair_pct = c.int_in(
            "marketplace.repair_reward_percentage",
            m.repair_reward_percentage,
            0,
            100,
        );
        let validator_pct = c.int_in(
            "marketplace.validator_reward_percentage",
            m.validator_reward_percentage,
            0,
            100,
        );
        let max_res = c.int_in(
            "marketplace.max_reservations_per_slot",
            m.max_reservations_per_slot,
            1,
            1000,
        );
        let duration_limit = c.duration(
            "marketplace.request_duration_limit_s",
            &m.request_duration_limit_s,
            ONE_NS,
        );
        let max_slots = c.int_in("marketplace.max_slots", m.max_slots, 1, 65_536);
        let block_period = c.duration(
            "marketplace.block_period_s",
            &m.block_period_s,
            SimDuration::ZERO,
        );

        // [[domain_levels]]
        let mut domain_levels = Vec::new();
        for (i, l) in self.domain_levels.iter().enumerate() {
            let path = format!("domain_levels[{i}]");
            if l.name.is_empty() || l.name == "node" {
                c.errors.push(
                    format!("{path}.name"),
                    format!("{:?}", l.name),
                    "must be a non-empty name other than \"node\"",
                );
            }
            if self.domain_levels[..i].iter().any(|o| o.name == l.name) {
                c.errors.push(
                    format!("{path}.name"),
                    format!("{:?}", l.name),
                    "must be unique",
                );
            }
            let link = link(
                c,
                &path,
                &l.link_up_bytes_per_s,
                &l.link_down_bytes_per_s,
                &l.link_latency_s,
            );
            if let (Some(count), Some(link)) = (
                c.int_in(&format!("{path}.count"), l.count, 1, 1_000_000),
                link,
            ) {
                domain_levels.push(DomainLevel {
                    name: l.name.clone(),
                    count: count as u32,
                    link,
                });
            }
        }

        // [[node_groups]]
        let mut node_groups = Vec::new();
        if self.node_groups.is_empty() {
            c.errors.push(
                "node_groups",
                "",
                "at least one [[node_groups]] table is required",
            );
        }
        for (i, g) in self.node_groups.iter().enumerate() {
            let p = |k: &str| format!("node_groups[{i}].{k}");
            if self.node_groups[..i].iter().any(|o| o.name == g.name) {
                c.errors
                    .push(p("name"), format!("{:?}", g.name), "must be unique");
            }
            let count = c.int_in(&p("count"), g.count, 1, 1_000_000);
            let quota = c.bytes(&p("quota_bytes"), &g.quota_bytes, 1);
            let rate = c.bytes(
                &p("transfer_rate_bytes_per_s"),
                &g.transfer_rate_bytes_per_s,
                1,
            );
            let disk_read = c.bytes(&p("disk_read_bytes_per_s"), &g.disk_read_bytes_per_s, 1);
            let disk_write = c.bytes(&p("disk_write_bytes_per_s"), &g.disk_write_bytes_per_s, 1);
            let pf = c.float_in(
                &p("proof_failure_probability"),
                g.proof_failure_probability,
                0.0,
                1.0,
            );
            let qsize = c.int_in(&p("slot_queue_size"), g.slot_queue_size, 1, 1_000_000);
            let workers = c.int_in(&p("slot_queue_workers"), g.slot_queue_workers, 1, 1000);
            let placement = choice(
                c,
                &p("placement"),
                &g.placement,
                &[
                    ("round_robin", Placement::RoundRobin),
                    ("block", Placement::Block),
                ],
            );
            let node_link = link(
                c,
                &format!("node_groups[{i}]"),
                &g.link_up_bytes_per_s,
                &g.link_down_bytes_per_s,
                &g.link_latency_s,
            );
            let a = &g.availability;
            let total = match &a.total_bytes {
                Some(t) => c.bytes(&p("availability.total_bytes"), t, 1),
                None => quota,
            };
            if let (Some(t), Some(q)) = (total, quota) {
                if t > q {
                    c.errors.push(
                        p("availability.total_bytes"),
                        a.total_bytes
                            .as_ref()
                            .map_or(String::new(), |v| v.to_string()),
                        format!("must not exceed quota_bytes ({q} bytes)"),
                    );
                }
            }
            let adur = c.duration(&p("availability.duration_s"), &a.duration_s, ONE_NS);
            let minp = c.int_in(
                &p("availability.min_price_per_byte_per_s"),
                a.min_price_per_byte_per_s,
                0,
                i64::MAX,
            );
            let coll = c.int_in(
                &p("availability.total_collateral"),
                a.total_collateral,
                0,
                i64::MAX,
            );
            if let (
                Some(count),
                Some(quota),
                Some(rate),
                Some(pf),
                Some(qsize),
                Some(workers),
                Some(placement),
                Some(total),
                Some(adur),
                Some(minp),
                Some(coll),
                Some(disk_read),
                Some(disk_write),
            ) = (
                count, quota, rate, pf, qsize, workers, placement, total, adur, minp, coll,
                disk_read, disk_write,
            ) {
                node_groups.push(NodeGroup {
                    name: g.name.clone(),
                    count: count as u32,
                    quota_bytes: quota,
                    transfer_rate_bytes_per_s: rate,
                    disk_read_bytes_per_s: disk_read,
                    disk_write_bytes_per_s: disk_write,
                    proof_failure_probability: pf,
                    slot_queue_size: qsize as u32,
                    slot_queue_workers: workers as u32,
                    placement,
                    one_slot_per_request: g.one_slot_per_request,
                    availability_total_bytes: total,
                    availability_duration: adur,
                    min_price_per_byte_per_s: minp as u64,
                    total_collateral: coll as u64,
                    link: node_link.unwrap_or(Link {
                        up_bytes_per_s: None,
                        down_bytes_per_s: None,
                        latency: SimDuration::ZERO,
                    }),
                });
            }
        }
        let fleet_nodes: u64 = self.node_groups.iter().map(|g| g.count.max(0) as u64).sum();

        // The network's links form a tree: every domain's nodes must lie in
        // one domain of the level above.
        if domain_levels.len() == self.domain_levels.len()
            && node_groups.len() == self.node_groups.len()
        {
            let doms = node_domains(&domain_levels, &node_groups);
            for li in 1..domain_levels.len() {
                let mut parent: Vec<Option<u32>> = vec![None; domain_levels[li].count as usize];
                for (n, d) in doms.iter().enumerate() {
                    match parent[d[li] as usize] {
                        None => parent[d[li] as usize] = Some(d[li - 1]),
                        Some(p) if p == d[li - 1] => {}
                        Some(p) => {
                            c.errors.push(
                                format!("domain_levels[{li}]"),
                                format!("{:?}", domain_levels[li].name),
                                format!(
                                    "must nest in {:?}: {} {} holds nodes of {} {p} and {} {} (node {n}); use placement = \"block\" or counts that divide",
                                    domain_levels[li - 1].name,
                                    domain_levels[li].name,
                                    d[li],
                                    domain_levels[li - 1].name,
                                    domain_levels[li - 1].name,
                                    d[li - 1]
                                ),
                            );
                            break;
                        }
                    }
                }
            }
        }

        // [[faults]]
        let mut faults = Vec::new();
        for (i, f) in self.faults.iter().enumerate() {
            let p = |k: &str| format!("faults[{i}].{k}");
            let kind = fault_kind(c, &p("kind"), &f.kind, f.replace);
            let level = level_index(c, &p("target"), &f.target, &self.domain_levels);
            let group = match &f.group {
                None => Some(None),
                Some(name) => match self.node_groups.iter().position(|g| &g.name == name) {
                    Some(gi) => Some(Some(gi)),
                    None => {
                        c.errors.push(
                            p("group"),
                            format!("{name:?}"),
                            "must name one of the [[node_groups]]",
                        );
                        None
                    }
                },
            };
            if f.group.is_some() && matches!(level, Some(Some(_))) {
                c.errors.push(
                    p("group"),
                    format!("{:?}", f.group.as_deref().unwrap_or("")),
                    "only applies to target = \"node\"",
                );
            }
            let interval = c.dist(&p("interval_s"), &f.interval_s, Unit::Seconds);
            if let Some(d) = &interval {
                if d.mean() <= 0.0 {
                    c.errors
                        .push(p("interval_s"), "0", "must have a mean > 0 (seconds)");
                }
            }
            let dur = c.dist(&p("duration_s"), &f.duration_s, Unit::Seconds);
            let start = c.duration(&p("start_s"), &f.start_s, SimDuration::ZERO);
            if let (
                Some(kind),
                Some(level),
                Some(group),
                Some(interval_s),
                Some(duration_s),
                Some(start),
            ) = (kind, level, group, interval, dur, start)
            {
                faults.push(Fault {
                    kind,
                    target: match level {
                        None => FaultTarget::Nodes { group },
                        Some(level) => FaultTarget::Domains { level },
                    },
                    interval_s,
                    duration_s,
                    start,
                });
            }
        }

        // [[scheduled_faults]]
        let mut scheduled_faults = Vec::new();
        for (i, f) in self.scheduled_faults.iter().enumerate() {
            let p = |k: &str| format!("scheduled_faults[{i}].{k}");
            let at = c.duration(&p("at_s"), &f.at_s, SimDuration::ZERO);
            let kind = fault_kind(c, &p("kind"), &f.kind, f.replace);
            let level = level_index(c, &p("target"), &f.target, &self.domain_levels);
            let dur = c.duration(&p("duration_s"), &f.duration_s, SimDuration::ZERO);
            let target = match level {
                Some(None) => c
                    .int_in(&p("index"), f.index, 0, fleet_nodes as i64 - 1)
                    .map(|n| ScheduledTarget::Node(n as u32)),
                Some(Some(l)) => c
                    .int_in(
                        &p("index"),
                        f.index,
                        0,
                        self.domain_levels[l].count.max(1) - 1,
                    )
                    .map(|n| ScheduledTarget::Domain(l, n as u32)),
                None => None,
            };
            if let (Some(at), Some(kind), Some(target), Some(duration)) = (at, kind, target, dur) {
                scheduled_faults.push(ScheduledFault {
                    at,
                    kind,
                    target,
                    duration,
                });
            }
        }
        scheduled_faults.sort_by_key(|f| f.at);

        // [workload]
        let w = &self.workload;
        let interarrival = c.dist("workload.interarrival_s", &w.interarrival_s, Unit::Seconds);
        let arrival_times: Vec<SimDuration> = w
            .arrival_times_s
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                c.duration(
                    &format!("workload.arrival_times_s[{i}]"),
                    t,
                    SimDuration::ZERO,
                )
            })
            .collect();
        let max_datasets = match w.max_datasets {
            Some(v) => c
                .int_in("workload.max_datasets", v, 0, i64::MAX)
                .map(|v| Some(v as u64)),
            None => Some(None),
        };
        let util = c.float_in(
            "workload.target_utilisation",
            w.target_utilisation,
            0.0,
            1.0,
        );
        let dataset = c.dist("workload.dataset_bytes", &w.dataset_bytes, Unit::Bytes);
        let nodes = c.int_in("workload.nodes", w.nodes, 1, 65_536);
        let tolerance = c.int_in("workload.tolerance", w.tolerance, 1, 65_536);
        if let (Some(n), Some(t)) = (nodes, tolerance) {
            // nim-codex rest/api.nim: tolerance <= nodes, ecK > 1, ecK >= ecM.
            let k = n - t;
            if t >= n {
                c.errors.push(
                    "workload.tolerance",
                    t,
                    format!("must be less than workload.nodes ({n}): K = nodes - tolerance must be at least 1"),
                );
            } else if w.codex_rest_rules && (k <= 1 || k < t) {
                c.errors.push(
                    "workload.tolerance",
                    t,
                    format!(
                        "with nodes = {n} gives K = {k}, M = {t}: the Codex REST API requires K > 1 and K >= M (set workload.codex_rest_rules = false to allow it)"
                    ),
                );
            }
            if let Some(ms) = max_slots {
                if n > ms {
                    c.errors.push(
                        "workload.nodes",
                        n,
                        format!("must not exceed marketplace.max_slots ({ms})"),
                    );
                }
            }
            if (n as u64) > fleet_nodes && fleet_nodes > 0 {
                c.errors.push(
                    "workload.nodes",
                    n,
                    format!("K + M = {n} slots need {n} distinct hosts but the fleet has {fleet_nodes} nodes"),
                );
            }
        }
        let wdur = c.duration("workload.duration_s", &w.duration_s, ONE_NS);
        let expiry = c.duration("workload.expiry_s", &w.expiry_s, ONE_NS);
        if let (Some(d), Some(e)) = (wdur, expiry) {
            if e >= d {
                c.errors.push(
                    "workload.expiry_s",
                    &w.expiry_s,
                    format!("must be less than workload.duration_s ({d})"),
                );
            }
        }
        if let (Some(d), Some(l)) = (wdur, duration_limit) {
            if d > l {
                c.errors.push(
                    "workload.duration_s",
                    &w.duration_s,
                    format!("must not exceed marketplace.request_duration_limit_s ({l})"),
                );
            }
        }
        let pp = c.int_in(
            "workload.proof_probability",
            w.proof_probability,
            1,
            i64::MAX,
        );
        let price = c.int_in(
            "workload.price_per_byte_per_s",
            w.price_per_byte_per_s,
            1,
            i64::MAX,
        );
        let coll = c.int_in(
            "workload.collateral_per_byte",
            w.collateral_per_byte,
            1,
            i64::MAX,
        );
        let keeps = choice(
            c,
            "workload.client_keeps_data",
            &w.client_keeps_data,
            &[("until_filled", false), ("always", true)],
        );
        // A slot must fit some node: the largest slot the size distribution can
        // produce is only known for bounded distributions, so check the median.
        if let (Some(ds), Some(n), Some(t)) = (&dataset, nodes, tolerance) {
            if n > t {
                let typical = match ds {
                    Dist::Fixed { value } => *value,
                    Dist::Uniform { max, .. } => *max,
                    Dist::Empirical { samples } => samples.iter().cloned().fold(0.0, f64::max),
                    Dist::LogNormal { mu, .. } => mu.exp(),
                    other => other.mean(),
                };
                let slot = crate::layout::Layout::new(typical as u64, (n - t) as u32, t as u32)
                    .slot_size_bytes;
                let biggest = node_groups
                    .iter()
                    .map(|g| g.availability_total_bytes)
                    .max()
                    .unwrap_or(0);
                if !node_groups.is_empty() && slot > biggest {
                    c.errors.push(
                        "workload.dataset_bytes",
                        format!("{typical:.0} bytes"),
                        format!(
                            "gives slots of {slot} bytes, larger than every node's availability (largest {biggest} bytes)"
                        ),
                    );
                }
            }
        }

        // [repair]
        let rp = &self.repair;
        let detection = choice(
            c,
            "repair.detection",
            &rp.detection,
            &[
                ("proofs", Detection::Proofs),
                ("immediate", Detection::Immediate),
            ],
        );
        let mean = c.duration("repair.mean_duration_s", &rp.mean_duration_s, ONE_NS);
        let model = match rp.model.as_str() {
            "market" => Some(RepairModel::Market),
            "exponential" => mean.map(|mean| RepairModel::Exponential { mean }),
            other => {
                c.errors.push(
                    "repair.model",
                    format!("{other:?}"),
                    "must be one of \"market\", \"exponential\"",
                );
                None
            }
        };
        let serial = choice(
            c,
            "repair.concurrency",
            &rp.concurrency,
            &[("parallel", false), ("serial", true)],
        );
        let lazy = c.int_in("repair.lazy_threshold", rp.lazy_threshold, 1, 65_536);
        if let (Some(l), Some(t)) = (lazy, tolerance) {
            if l > t {
                c.errors.push(
                    "repair.lazy_threshold",
                    rp.lazy_threshold,
                    format!(
                        "must be at most workload.tolerance ({t}): one more freed slot fails the contract"
                    ),
                );
            }
        }

        // [network]
        let nw = &self.network;
        let client_up = c.bytes(
            "network.client_up_bytes_per_s",
            &nw.client_up_bytes_per_s,
            1,
        );
        let client_down = c.bytes(
            "network.client_down_bytes_per_s",
            &nw.client_down_bytes_per_s,
            1,
        );
        let client_latency = c.duration(
            "network.client_latency_s",
            &nw.client_latency_s,
            SimDuration::ZERO,
        );
        let retry_interval = c.duration("network.retry_interval_s", &nw.retry_interval_s, ONE_NS);
        let transfer_timeout =
            c.duration("network.transfer_timeout_s", &nw.transfer_timeout_s, ONE_NS);
        let sharing = choice(c, "network.sharing", &nw.sharing, &SHARING_MODES);

        // [canary]
        let canary = self.canary.as_ref().map(|k| {
            let mut nodes = Vec::new();
            for (j, &n) in k.nodes.iter().enumerate() {
                if n < 0 || n as u64 >= fleet_nodes {
                    c.errors.push(
                        format!("canary.nodes[{j}]"),
                        n.to_string(),
                        format!("must be a node index below the fleet's {fleet_nodes} nodes"),
                    );
                } else if nodes.contains(&(n as u32)) {
                    c.errors.push(
                        format!("canary.nodes[{j}]"),
                        n.to_string(),
                        "must be unique",
                    );
                } else {
                    nodes.push(n as u32);
                }
            }
            if k.nodes.len() < 2 {
                c.errors.push(
                    "canary.nodes",
                    format!("{:?}", k.nodes),
                    "must name at least two nodes (one uploads to, another downloads from)",
                );
            }
            let file = c.bytes("canary.file_bytes", &k.file_bytes, 1);
            let interval = c.duration("canary.interval_s", &k.interval_s, ONE_NS);
            let timeout = match (&k.timeout_s, file) {
                (Some(t), _) => c.duration("canary.timeout_s", t, ONE_NS),
                // 2 s per MB, at least 1 s.
                (None, Some(f)) => Some(SimDuration::from_nanos(
                    (f as u128 * 2_000_000_000 / 1_000_000).max(1_000_000_000) as u64,
                )),
                (None, None) => None,
            };
            let start = c.duration("canary.start_s", &k.start_s, SimDuration::ZERO);
            (nodes, file, interval, timeout, start)
        });

        if !ctx.errors.is_empty() {
            return Err(ctx.errors);
        }
        // Every Option below is Some: a None always recorded an error.
        let v = |o: Option<i64>| o.expect("validated") as u32;
        Ok(Scenario {
            source: self.clone(),
            name: self.name.clone(),
            run: RunConfig {
                seed: seed.expect("validated"),
                duration: duration.expect("validated"),
                max_events: max_events.expect("validated"),
                series_interval: series_interval.expect("validated"),
                proof_mode: proof_mode.expect("validated"),
                stop_on_data_loss: r.stop_on_data_loss,
                per_node_series: r.per_node_series,
            },
            marketplace: Marketplace {
                proof_period: proof_period.expect("validated"),
                proof_timeout: proof_timeout.expect("validated"),
                downtime_blocks: downtime.expect("validated") as u8,
                max_number_of_slashes: v(max_slashes),
                slash_percentage: v(slash_pct),
                repair_reward_percentage: v(repair_pct),
                validator_reward_percentage: v(validator_pct),
                max_reservations_per_slot: v(max_res),
                request_duration_limit: duration_limit.expect("validated"),
                max_slots: v(max_slots),
                block_period: block_period.expect("validated"),
            },
            network: Network {
                client: Link {
                    up_bytes_per_s: client_up,
                    down_bytes_per_s: client_down,
                    latency: client_latency.expect("validated"),
                },
                retry_interval: retry_interval.expect("validated"),
                transfer_timeout: transfer_timeout.expect("validated"),
                sharing: sharing.expect("validated"),
            },
            canary: canary.map(|(nodes, file, interval, timeout, start)| Canary {
                nodes,
                file_bytes: file.expect("validated"),
                interval: interval.expect("validated"),
                timeout: timeout.expect("validated"),
                start: start.expect("validated"),
            }),
            domain_levels,
            node_groups,
            faults,
            scheduled_faults,
            workload: Workload {
                interarrival_s: interarrival.expect("validated"),
                arrival_times,
                max_datasets: max_datasets.expect("validated"),
                target_utilisation: util.expect("validated"),
                dataset_bytes: dataset.expect("validated"),
                nodes: v(nodes),
                tolerance: v(tolerance),
                duration: wdur.expect("validated"),
                expiry: expiry.expect("validated"),
                proof_probability: pp.expect("validated") as u64,
                price_per_byte_per_s: price.expect("validated") as u64,
                collateral_per_byte: coll.expect("validated") as u64,
                renew: w.renew,
                client_keeps_data_always: keeps.expect("validated"),
            },
            repair: Repair {
                detection: detection.expect("validated"),
                model: model.expect("validated"),
                serial: serial.expect("validated"),
                lazy_threshold: lazy.expect("validated") as u32,
            },
        })
    }
}

impl Scenario {
    /// The resolved configuration as TOML: the file as parsed with every
    /// default filled in. Parsing it gives the same scenario.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.source).expect("a raw scenario always serializes")
    }

    /// The same scenario with another master seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.run.seed = seed;
        self.source.run.seed = seed as i64;
        self
    }

    /// The same scenario with another `network.sharing`.
    pub fn with_sharing(mut self, sharing: SharingMode) -> Self {
        self.network.sharing = sharing;
        self.source.network.sharing = sharing.name().into();
        self
    }

    /// Total number of nodes.
    pub fn fleet_nodes(&self) -> u32 {
        self.node_groups.iter().map(|g| g.count).sum()
    }

    /// Every node's domain at every level (outermost first), by fleet index.
    pub fn node_domains(&self) -> Vec<Vec<u32>> {
        node_domains(&self.domain_levels, &self.node_groups)
    }
}

/// Validates a link's optional capacities and latency under `path`.
fn link(
    c: &mut Ctx,
    path: &str,
    up: &Option<RawQuantity>,
    down: &Option<RawQuantity>,
    latency: &RawQuantity,
) -> Option<Link> {
    let up = match up {
        None => Some(None),
        Some(q) => c
            .bytes(&format!("{path}.link_up_bytes_per_s"), q, 1)
            .map(Some),
    };
    let down = match down {
        None => Some(None),
        Some(q) => c
            .bytes(&format!("{path}.link_down_bytes_per_s"), q, 1)
            .map(Some),
    };
    let latency = c.duration(
        &format!("{path}.link_latency_s"),
        latency,
        SimDuration::ZERO,
    );
    Some(Link {
        up_bytes_per_s: up?,
        down_bytes_per_s: down?,
        latency: latency?,
    })
}

/// Every node's domain at every level: node i of the fleet (groups in order)
/// goes to domain i mod count (round robin) or i x count / total (block).
pub(crate) fn node_domains(levels: &[DomainLevel], groups: &[NodeGroup]) -> Vec<Vec<u32>> {
    let total: u64 = groups.iter().map(|g| g.count as u64).sum();
    let mut out = Vec::with_capacity(total as usize);
    let mut index = 0u64;
    for g in groups {
        for _ in 0..g.count {
            out.push(
                levels
                    .iter()
                    .map(|l| match g.placement {
                        Placement::RoundRobin => (index % l.count as u64) as u32,
                        Placement::Block => (index * l.count as u64 / total) as u32,
                    })
                    .collect(),
            );
            index += 1;
        }
    }
    out
}
