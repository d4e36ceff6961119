//! The typed scenario, as validated: what the simulator reads.

use codexsim_engine::{Dist, SimDuration};

use super::RawScenario;

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
    /// How fills and repairs move their data (`[transfers] model`).
    pub transfers_model: crate::exchange::TransferModel,
    /// The block exchange (`[exchange]`; the defaults when absent).
    pub exchange: Option<crate::exchange::ExchangeConfig>,
    /// Validators as processes (`None`: the ideal validator).
    pub validators: Option<crate::market_rules::Validators>,
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
    /// How the probes move their files.
    pub model: crate::exchange::TransferModel,
}

/// How proofs are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofMode {
    /// One draw per period per filled slot.
    Exact,
    /// Draws only where they can matter (outages, proof failures).
    Aggregated,
}

/// How the market decides which hosts act on an announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketMode {
    /// Every online host with a free worker wakes after its own transaction
    /// delay (one event per host per announcement): the reference.
    Exact,
    /// The same race drawn lazily: hosts wake in the order of their delays'
    /// order statistics, and the race stops once the announced slots are
    /// gone, so later hosts cost nothing.
    Fast,
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
    /// Market simulation mode.
    pub market: MarketMode,
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
    /// The expanding reservation window, if on.
    pub reservation_window: Option<crate::market_rules::Window>,
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
    /// Collateral available; `None`: no limit.
    pub total_collateral: Option<u64>,
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
    /// The node holding the slot filled longest ago (the team's repair
    /// test's choice); none if no slot is filled.
    OldestFiller,
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
    /// Keep datasets past their requests' ends.
    pub renew: bool,
    /// How they are kept.
    pub renewal: crate::market_rules::Renewal,
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

    /// Whether any transfer uses the block exchange.
    pub fn uses_blocks(&self) -> bool {
        use crate::exchange::TransferModel::Blocks;
        self.transfers_model == Blocks || self.canary.as_ref().is_some_and(|c| c.model == Blocks)
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

/// Every node's domain at every level: node i of the fleet (groups in order)
/// goes to domain i mod count (round robin) or i x count / total (block).
pub(super) fn node_domains(levels: &[DomainLevel], groups: &[NodeGroup]) -> Vec<Vec<u32>> {
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
