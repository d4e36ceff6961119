//! Where the model's outputs go: the [`Sink`] trait, a sink that keeps
//! everything in memory (tests, notebooks) and one that drops everything.

use crate::output::{
    AccountSample, BlockDownloadRecord, CanaryRecord, FleetSample, LinkSample, MoneySample,
    NodeSample, TraceEvent, TraceKind,
};

/// Where the model's outputs go.
pub trait Sink {
    /// A fleet-wide sample.
    fn fleet(&mut self, sample: &FleetSample);
    /// A per-node sample (only when per-node series are on).
    fn node(&mut self, sample: &NodeSample);
    /// Whether trace events of this kind are wanted.
    fn wants(&self, kind: TraceKind) -> bool;
    /// A trace event (only of kinds it wants).
    fn trace(&mut self, event: &TraceEvent);
    /// A shared link's traffic sample (with every fleet sample).
    fn link(&mut self, _sample: &LinkSample) {}
    /// A finished canary round.
    fn canary(&mut self, _record: &CanaryRecord) {}
    /// A block download that ended (block model only).
    fn block_download(&mut self, _record: &BlockDownloadRecord) {}
    /// The fleet's money totals at a sample (`money.csv`).
    fn money(&mut self, _sample: &MoneySample) {}
    /// A host's account at a sample (`accounts.csv`).
    fn account(&mut self, _sample: &AccountSample) {}
}

/// A sink that keeps everything in memory (tests, notebooks).
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    /// Fleet samples.
    pub fleet: Vec<FleetSample>,
    /// Node samples.
    pub nodes: Vec<NodeSample>,
    /// Trace events.
    pub trace: Vec<TraceEvent>,
    /// Record trace events.
    pub keep_trace: bool,
    /// Link samples.
    pub links: Vec<LinkSample>,
    /// Canary rounds.
    pub canary: Vec<CanaryRecord>,
    /// Block downloads.
    pub downloads: Vec<BlockDownloadRecord>,
    /// Money totals.
    pub money: Vec<MoneySample>,
    /// Hosts' accounts.
    pub accounts: Vec<AccountSample>,
}

impl Sink for MemorySink {
    fn fleet(&mut self, sample: &FleetSample) {
        self.fleet.push(sample.clone());
    }
    fn node(&mut self, sample: &NodeSample) {
        self.nodes.push(sample.clone());
    }
    fn wants(&self, _kind: TraceKind) -> bool {
        self.keep_trace
    }
    fn trace(&mut self, event: &TraceEvent) {
        self.trace.push(event.clone());
    }
    fn link(&mut self, sample: &LinkSample) {
        self.links.push(sample.clone());
    }
    fn canary(&mut self, record: &CanaryRecord) {
        self.canary.push(record.clone());
    }
    fn block_download(&mut self, record: &BlockDownloadRecord) {
        self.downloads.push(record.clone());
    }
    fn money(&mut self, sample: &MoneySample) {
        self.money.push(sample.clone());
    }
    fn account(&mut self, sample: &AccountSample) {
        self.accounts.push(sample.clone());
    }
}

/// A sink that drops everything (replications that only need the summary).
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn fleet(&mut self, _: &FleetSample) {}
    fn node(&mut self, _: &NodeSample) {}
    fn wants(&self, _: TraceKind) -> bool {
        false
    }
    fn trace(&mut self, _: &TraceEvent) {}
}
