//! The block exchange's records in a run directory: `downloads.csv` (one
//! row per block download) and the summary's `exchange` section. A leaf,
//! re-exported by `output.rs`, which owns every file's format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One block download of a transfer part (`downloads.csv`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockDownloadRecord {
    /// When it started, seconds.
    pub start_s: f64,
    /// `fill`, `repair`, `canary_up`, `canary_down`.
    pub kind: String,
    /// The downloading node (the exchange's index: hosts first by first
    /// use, clients too).
    pub node: u32,
    /// Blocks in the part.
    pub blocks: u32,
    /// `complete`, `failed`, `node_down`, `cancelled`.
    pub outcome: String,
    /// How long it took, seconds, when complete.
    pub duration_s: Option<f64>,
    /// Distinct blocks' data received.
    pub useful_bytes: u64,
    /// Every block message received (headers, proofs, duplicates).
    pub block_bytes_received: u64,
    /// Blocks received again.
    pub duplicate_blocks: u64,
    /// Control messages sent and received, bytes.
    pub control_bytes_sent: u64,
    /// See `control_bytes_sent`.
    pub control_bytes_received: u64,
    /// Requests sent again.
    pub retries: u64,
}

impl BlockDownloadRecord {
    /// The file of these rows in a run directory.
    pub const FILE: &'static str = "downloads.csv";
}

/// The block exchange over a run (`summary.json`'s `exchange`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExchangeSummary {
    /// The protocol.
    pub protocol: String,
    /// Block downloads by outcome.
    pub downloads: BTreeMap<String, u64>,
    /// Blocks received more than once.
    pub duplicate_blocks: u64,
    /// Distinct blocks' data received.
    pub useful_bytes: u64,
    /// Block messages received.
    pub block_bytes_received: u64,
    /// Bytes on the wire by message kind.
    pub traffic_bytes: BTreeMap<String, u64>,
    /// Messages by kind.
    pub traffic_messages: BTreeMap<String, u64>,
    /// (Download, block) pairs by times received.
    pub received_histogram: BTreeMap<u32, u64>,
}

impl ExchangeSummary {
    /// Adds a finished download.
    pub fn record(&mut self, r: &BlockDownloadRecord) {
        *self.downloads.entry(r.outcome.clone()).or_default() += 1;
        self.duplicate_blocks += r.duplicate_blocks;
        self.useful_bytes += r.useful_bytes;
        self.block_bytes_received += r.block_bytes_received;
    }
}
