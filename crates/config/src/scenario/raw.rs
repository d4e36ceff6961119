//! The raw scenario tables, as written in the TOML file (serde types that
//! refuse unknown keys), with their defaults.

use serde::{Deserialize, Serialize};

use super::RawLink;
use crate::dist::RawDist;
use crate::units::RawQuantity;

fn text(s: &str) -> RawQuantity {
    RawQuantity::Text(s.to_string())
}
fn fixed(s: &str) -> RawDist {
    RawDist::Scalar(text(s))
}

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
    /// How fills and repairs move their data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfers: Option<crate::exchange::RawTransfers>,
    /// The block exchange's protocol, for the block model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<crate::exchange::RawExchange>,
    /// Validators as processes (default: an ideal validator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validators: Option<crate::market_rules::RawValidators>,
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
    /// How the probes move their files: `"fluid"` (the default) or
    /// `"blocks"` (the block exchange of `[exchange]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
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
    /// `"fast"` (default): the hosts' race for announced slots is drawn
    /// lazily and ends when the slots are gone; `"exact"`: every online host
    /// wakes after its own delay on every announcement (cost grows with the
    /// fleet's square). Equal in distribution.
    pub market: String,
    /// Stop at the first dataset lost. Default false.
    pub stop_on_data_loss: bool,
    /// Write per-node time series (`nodes.csv`). Default true.
    pub per_node_series: bool,
    /// Limits on a run's work and output, checked from the configuration
    /// before it starts (`docs/config.md`, "Limits"): raise one to run
    /// past it. Unset: the default limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_nodes: Option<i64>,
    /// The most arrivals (expected: duration / mean interarrival, plus the
    /// fixed ones). Default 100,000,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_arrivals: Option<i64>,
    /// The most time-series rows (samples x (1 + nodes + links)). Default
    /// 50,000,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_series_rows: Option<i64>,
    /// The most canary rounds. Default 10,000,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_canary_rounds: Option<i64>,
}

impl Default for RawRun {
    fn default() -> Self {
        RawRun {
            seed: 1,
            duration_s: text("365 days"),
            max_events: 1_000_000_000_000,
            series_interval_s: text("1 h"),
            proof_mode: "aggregated".into(),
            market: "fast".into(),
            stop_on_data_loss: false,
            per_node_series: true,
            max_nodes: None,
            max_arrivals: None,
            max_series_rows: None,
            max_canary_rounds: None,
        }
    }
}

/// `[marketplace]`: the contract configuration (codex-contracts-eth
/// `configuration/configuration.js`, testnet values by default).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMarketplace {
    /// A parameter set the contracts repository and the team's tests used:
    /// `"testnet-2025"`, `"hardhat"` or `"dist-tests"` ([`MARKETPLACE_PRESETS`]);
    /// every key written beside it overrides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The contract's `downtimeProduct` (a preset's; informative: the model
    /// draws a slot's pointer uniformly, which `downtimeProduct` does not
    /// change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downtime_product: Option<i64>,
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
    /// The expanding reservation window (designed, never shipped); default
    /// none: any host may reserve any slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_window: Option<crate::market_rules::RawWindow>,
}

impl Default for RawMarketplace {
    fn default() -> Self {
        RawMarketplace {
            preset: None,
            downtime_product: None,
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
            reservation_window: None,
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
    /// Each domain's shared link towards the level above (or the internet):
    /// [`RawLink::up_bytes_per_s`]. These three keys are read through
    /// [`RawDomainLevel::link`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_up_bytes_per_s: Option<RawQuantity>,
    /// The same link: [`RawLink::down_bytes_per_s`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_down_bytes_per_s: Option<RawQuantity>,
    /// The same link: [`RawLink::latency_s`].
    #[serde(default = "RawLink::default_latency_s")]
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
    /// Each node's own network link: [`RawLink::up_bytes_per_s`]. These three
    /// keys are read through [`RawNodeGroup::link`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_up_bytes_per_s: Option<RawQuantity>,
    /// The same link: [`RawLink::down_bytes_per_s`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_down_bytes_per_s: Option<RawQuantity>,
    /// The same link: [`RawLink::latency_s`].
    #[serde(default = "RawLink::default_latency_s")]
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
    /// Collateral the host puts up in all. Default: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_collateral: Option<i64>,
}

impl Default for RawAvailability {
    fn default() -> Self {
        RawAvailability {
            total_bytes: None,
            duration_s: text("30 days"),
            min_price_per_byte_per_s: 0,
            total_collateral: None,
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
    /// `"node"`, the name of a domain level, or `"oldest_filler"`.
    #[serde(default = "default_target")]
    pub target: String,
    /// Which node (global index from 0) or which domain of the level
    /// (required, except with target `"oldest_filler"`: the node holding
    /// the slot filled longest ago, as the team's repair test picks it).
    #[serde(default)]
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
    /// When a request ends, the dataset is kept (a long-lived dataset), as
    /// `renewal` says. Default true.
    pub renew: bool,
    /// Apply the node REST API's erasure-coding rules (K = nodes - tolerance
    /// > 1, K >= M). Default true; the textbook chains (K = 1) turn it off.
    pub codex_rest_rules: bool,
    /// `"until_filled"` (default): the client holds the encoded dataset until
    /// every slot is filled; `"always"`: it keeps a copy for good, so repairs
    /// can always read from it.
    pub client_keeps_data: String,
    /// How `renew` keeps a dataset: `"new_request"` (default: the client
    /// posts a new request for the same data `renewal_lead_s` before the
    /// end, and new hosts fill it from the old ones, as the node's users
    /// must) or `"same_hosts"` (the contract extended in place, no data
    /// moved: a what-if the contract does not allow).
    pub renewal: String,
    /// How long before a request's end its renewal is posted. Default 1 day,
    /// or half the request's duration if that is shorter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_lead_s: Option<RawQuantity>,
    /// A renewal request's expiry: its new hosts download from hosts, not
    /// from the client's line, and a client re-posts one that expires.
    /// Default 2 h, or the lead if that is shorter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_expiry_s: Option<RawQuantity>,
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
            renewal: "new_request".into(),
            renewal_lead_s: None,
            renewal_expiry_s: None,
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

/// A marketplace parameter set: (name, proof period s, downtime blocks,
/// downtimeProduct). The rest is shared, and is `[marketplace]`'s defaults:
/// proof timeout 30 s, 3 reservations per slot, repair reward 10 %, 2
/// slashes free a slot, 20 % slash, validator share of a slash 20 %,
/// request duration limit 30 days (codex-contracts-eth
/// `configuration/configuration.js` of 2025-08, the dist-tests' contracts
/// container recipe).
pub const MARKETPLACE_PRESETS: [(&str, i64, i64, i64); 3] = [
    ("testnet-2025", 120, 64, 67),
    ("hardhat", 90, 96, 97),
    ("dist-tests", 60, 128, 67),
];

impl RawMarketplace {
    /// Fills the keys of `[marketplace]` not written in the file (`written`)
    /// from its preset, when it names a known one (the keys the presets
    /// share keep their defaults, which are those values).
    pub fn apply_preset(&mut self, written: &[String]) {
        let Some(name) = &self.preset else {
            return;
        };
        let Some(&(_, period, downtime, product)) =
            MARKETPLACE_PRESETS.iter().find(|p| p.0 == name)
        else {
            return; // refused by validation
        };
        let unset = |k: &str| !written.iter().any(|w| w == k);
        if unset("proof_period_s") {
            self.proof_period_s = RawQuantity::Int(period);
        }
        if unset("downtime_blocks") {
            self.downtime_blocks = downtime;
        }
        if unset("downtime_product") {
            self.downtime_product = Some(product);
        }
    }
}
