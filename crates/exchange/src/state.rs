//! The exchange's state: nodes, datasets, downloads and each download's
//! view of its peers, connections' delivery queues, the agenda of timers,
//! traffic by message type. Protocol behaviour is in `legacy.rs`,
//! `rewrite.rs` and `bittorrent.rs`; moving messages in `send.rs`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;

/// A message's block list (most carry one block, or a batch of two).
pub(crate) type BlockList = SmallVec<[u32; 4]>;

use codexsim_engine::rng::RandomStream;
use codexsim_net::{Endpoint, FlowId};

use crate::bits::Bits;
use crate::params::Params;

/// A node's index in the exchange.
pub type NodeIx = u32;
/// A dataset's index.
pub type DatasetIx = u32;
/// A download's index.
pub type DownloadIx = u32;

/// The kinds of messages, for traffic accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MsgKind {
    /// Want list, WantHave entries.
    WantHave = 0,
    /// Want list, WantBlock entries.
    WantBlock = 1,
    /// Want list, cancel entries.
    Cancel = 2,
    /// Block presence, Have.
    Have = 3,
    /// Block presence, DontHave.
    DontHave = 4,
    /// 2026: range WantHave.
    WantRange = 5,
    /// 2026: HaveRange / Complete.
    HaveRange = 6,
    /// Block deliveries (data, headers and proofs).
    Block = 7,
    /// BitTorrent: HAVE and bitfield.
    BtHave = 8,
    /// BitTorrent: choke and unchoke.
    Choke = 9,
    /// BitTorrent: piece requests and cancels.
    Request = 10,
}

/// Number of message kinds.
pub const KINDS: usize = 11;

impl MsgKind {
    /// Every kind, in index order.
    pub const ALL: [MsgKind; KINDS] = [
        MsgKind::WantHave,
        MsgKind::WantBlock,
        MsgKind::Cancel,
        MsgKind::Have,
        MsgKind::DontHave,
        MsgKind::WantRange,
        MsgKind::HaveRange,
        MsgKind::Block,
        MsgKind::BtHave,
        MsgKind::Choke,
        MsgKind::Request,
    ];

    /// Its name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            MsgKind::WantHave => "want_have",
            MsgKind::WantBlock => "want_block",
            MsgKind::Cancel => "cancel",
            MsgKind::Have => "have",
            MsgKind::DontHave => "dont_have",
            MsgKind::WantRange => "want_range",
            MsgKind::HaveRange => "have_range",
            MsgKind::Block => "block",
            MsgKind::BtHave => "bt_have",
            MsgKind::Choke => "choke",
            MsgKind::Request => "request",
        }
    }
}

/// A message between two nodes about one dataset.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Msg {
    WantHave {
        blocks: BlockList,
    },
    WantBlock {
        blocks: BlockList,
    },
    Cancel {
        blocks: BlockList,
    },
    Have {
        blocks: BlockList,
    },
    DontHave {
        blocks: BlockList,
    },
    /// 2026: presence wanted for `[start, end)`.
    WantRange {
        start: u32,
        end: u32,
    },
    /// 2026: the sender's held ranges within what was asked (or all).
    HaveRange {
        ranges: Vec<(u32, u32)>,
        complete: bool,
    },
    /// Blocks' data.
    Blocks {
        blocks: BlockList,
    },
    /// BitTorrent: the sender now holds `piece`.
    BtHave {
        piece: u32,
    },
    /// BitTorrent: choked (false) or unchoked (true) by the sender.
    Choke {
        unchoked: bool,
    },
    /// BitTorrent: send `piece`.
    Request {
        piece: u32,
    },
    /// BitTorrent: no longer send `piece`.
    BtCancel {
        piece: u32,
    },
}

impl Msg {
    pub(crate) fn kind(&self) -> MsgKind {
        match self {
            Msg::WantHave { .. } => MsgKind::WantHave,
            Msg::WantBlock { .. } => MsgKind::WantBlock,
            Msg::Cancel { .. } => MsgKind::Cancel,
            Msg::Have { .. } => MsgKind::Have,
            Msg::DontHave { .. } => MsgKind::DontHave,
            Msg::WantRange { .. } => MsgKind::WantRange,
            Msg::HaveRange { .. } => MsgKind::HaveRange,
            Msg::Blocks { .. } => MsgKind::Block,
            Msg::BtHave { .. } => MsgKind::BtHave,
            Msg::Choke { .. } => MsgKind::Choke,
            Msg::Request { .. } | Msg::BtCancel { .. } => MsgKind::Request,
        }
    }
}

/// A message on its way: who, about which dataset, when it left.
#[derive(Clone, Debug)]
pub(crate) struct Envelope {
    pub(crate) from: NodeIx,
    pub(crate) to: NodeIx,
    pub(crate) dataset: DatasetIx,
    pub(crate) sent_ns: u64,
    pub(crate) bytes: u64,
    pub(crate) msg: Msg,
}

/// How a download ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every block arrived.
    Complete,
    /// Its node went down.
    NodeDown,
    /// A block was not delivered in time (v0.1's timeout, retries
    /// exhausted).
    Failed,
    /// Cancelled by its user (the model's transfer ended otherwise).
    Cancelled,
}

impl Outcome {
    /// Its name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::NodeDown => "node_down",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// A download's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DownloadStats {
    /// Distinct blocks received, as data bytes.
    pub useful_bytes: u64,
    /// Every block message received, headers, proofs and duplicates
    /// included.
    pub block_bytes_received: u64,
    /// Blocks received again.
    pub duplicate_blocks: u64,
    /// Control messages sent by the download, bytes.
    pub control_bytes_sent: u64,
    /// Control messages received for the download, bytes.
    pub control_bytes_received: u64,
    /// Block message bytes received from each peer.
    pub bytes_by_peer: BTreeMap<NodeIx, u64>,
    /// Requests sent again (retries and re-requests after a timeout).
    pub retries: u64,
    /// Peers dropped for not answering.
    pub peers_dropped: u32,
}

/// What a download knows of one peer.
#[derive(Clone, Debug, Default)]
pub(crate) struct PeerView {
    pub(crate) node: NodeIx,
    pub(crate) dropped: bool,
    /// The peer said it holds the whole dataset (2026 Complete, a seeder's
    /// bitfield).
    pub(crate) complete: bool,
    /// Wanted blocks the peer said it has (want-list generations).
    pub(crate) known: BTreeSet<u32>,
    /// 2026: the ranges it announced.
    pub(crate) ranges: Vec<(u32, u32)>,
    /// Requests (blocks, or 2026 batches, or pieces) outstanding with it.
    pub(crate) outstanding: u32,
    /// When it last delivered (or was asked first).
    pub(crate) last_block_ns: u64,
    /// 2025-11: an activity timer is armed.
    pub(crate) activity_armed: bool,
    /// 2026: pipeline depth, throughput estimate (bytes/s), RTT (ns),
    /// batch timeouts, batches done, probing state.
    pub(crate) depth: u32,
    pub(crate) throughput: f64,
    pub(crate) rtt_ns: u64,
    pub(crate) timeouts: u32,
    pub(crate) batches_done: u32,
    pub(crate) probe_bytes: u64,
    pub(crate) probe_start_ns: u64,
    pub(crate) probe_prev: f64,
    pub(crate) reverts: u32,
    /// BitTorrent: whether it unchoked us.
    pub(crate) unchoked_us: bool,
}

/// A request waiting for its retry or timeout, first in first out (every
/// wait of a kind has the same length).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Due {
    pub(crate) at_ns: u64,
    pub(crate) block: u32,
}

/// A download in progress (or ended).
#[derive(Clone, Debug)]
pub struct Download {
    /// The downloading node.
    pub node: NodeIx,
    /// The dataset.
    pub dataset: DatasetIx,
    /// When it started, ns.
    pub started_ns: u64,
    /// When it ended and how.
    pub ended: Option<(u64, Outcome)>,
    /// Counters.
    pub stats: DownloadStats,
    pub(crate) blocks: u32,
    pub(crate) have: Bits,
    pub(crate) requested: Bits,
    /// Received at least twice.
    pub(crate) dup: Bits,
    /// Received three times or more: times.
    pub(crate) many: BTreeMap<u32, u32>,
    /// Peers whose WantBlock for a block is pending (for cancels), only
    /// for blocks in flight.
    pub(crate) asked: BTreeMap<u32, Vec<NodeIx>>,
    /// Next block (or batch) not yet wanted.
    pub(crate) next: u32,
    /// Wanted blocks not yet arrived.
    pub(crate) wants: BTreeSet<u32>,
    /// Arrivals since the window was last filled.
    pub(crate) arrived_since_fill: u32,
    pub(crate) peers: Vec<PeerView>,
    pub(crate) peer_of: HashMap<NodeIx, u32>,
    /// Blocks are handled one at a time, until then.
    pub(crate) handling_until_ns: u64,
    /// Retries (or v0.1 timeouts) due, in order.
    pub(crate) due: VecDeque<Due>,
    pub(crate) due_armed: bool,
    pub(crate) retries_left: BTreeMap<u32, u32>,
    pub(crate) last_lookup_ns: Option<u64>,
    pub(crate) lookup_pending: bool,
    /// 2026: batches to issue again first; the presence window's start;
    /// the batch each peer serves, and when it was asked.
    pub(crate) requeued: VecDeque<u32>,
    pub(crate) window_base: u32,
    pub(crate) batch_peer: BTreeMap<u32, (NodeIx, u64, u32)>,
    pub(crate) gained_since_have: u32,
    pub(crate) last_range_ask_ns: Option<u64>,
    /// BitTorrent: pieces neither held nor asked of anyone; pieces held.
    pub(crate) pieces_wanted: Bits,
    pub(crate) pieces_have: Bits,
    /// Its block sets were freed ([`Exchange::release`]).
    pub(crate) released: bool,
}

impl Download {
    /// Blocks in the dataset.
    pub fn blocks(&self) -> u32 {
        self.blocks
    }

    /// Distinct blocks held.
    pub fn held(&self) -> u32 {
        self.have.ones()
    }

    /// Times block `b` was received (0, 1, 2, ...).
    pub fn times_received(&self, b: u32) -> u32 {
        if !self.have.get(b) {
            0
        } else if !self.dup.get(b) {
            1
        } else {
            self.many.get(&b).copied().unwrap_or(2)
        }
    }

    /// Heap bytes of its block sets.
    pub fn heap_bytes(&self) -> usize {
        self.have.heap_bytes() + self.requested.heap_bytes() + self.dup.heap_bytes()
    }

    /// The blocks (or pieces) whose pending request went to `node`.
    pub(crate) fn asked_of(&self, node: NodeIx) -> Vec<u32> {
        self.asked
            .iter()
            .filter(|(_, ps)| ps.contains(&node))
            .map(|(&b, _)| b)
            .collect()
    }

    pub(crate) fn view(&mut self, node: NodeIx) -> Option<&mut PeerView> {
        let i = *self.peer_of.get(&node)?;
        Some(&mut self.peers[i as usize])
    }
}

/// One node.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) endpoint: Endpoint,
    pub(crate) up: bool,
    /// BitTorrent: peers it unchoked (regular, then optimistic).
    pub(crate) unchoked: Vec<NodeIx>,
    pub(crate) optimistic: Option<NodeIx>,
    /// A resource every flow from the node also crosses (a client's share
    /// of the clients' uplink).
    pub(crate) extra: Option<codexsim_net::ResourceId>,
}

/// A dataset.
#[derive(Clone, Debug)]
pub(crate) struct Dataset {
    pub(crate) blocks: u32,
    /// Bytes of one block's message (data, header, proof).
    pub(crate) block_msg_bytes: u64,
    /// Nodes holding it whole, by node (up to the last seeder: `false`
    /// beyond).
    pub(crate) is_seeder: Vec<bool>,
    /// Nodes that announced themselves as providers, in that order.
    pub(crate) providers: Vec<NodeIx>,
    /// BitTorrent: holders per piece.
    pub(crate) availability: Vec<u32>,
    /// What its flows count as, and their own limit.
    pub(crate) purpose: codexsim_net::Purpose,
    pub(crate) cap_bytes_per_s: f64,
}

/// A connection's deliveries from one node to another, in order: the head
/// message moves as a flow; the others wait.
#[derive(Clone, Debug)]
pub(crate) struct Pipe {
    pub(crate) from: NodeIx,
    pub(crate) to: NodeIx,
    pub(crate) flow: Option<FlowId>,
    pub(crate) latency_ns: u64,
    pub(crate) path: Vec<codexsim_net::ResourceId>,
    /// The moving flow's purpose and limit.
    pub(crate) flow_kind: (codexsim_net::Purpose, u64),
    pub(crate) queue: VecDeque<Envelope>,
}

/// What a timer does when it fires.
#[derive(Clone, Debug)]
pub(crate) enum Timer {
    /// A control message arrives (or a delivered block message, after its
    /// latency).
    Arrive(Envelope),
    /// One control message to several nodes at the same latency (the
    /// envelope's `to` is the first; `more` the others).
    Multicast(Envelope, Vec<NodeIx>),
    /// The head of a download's retry queue is due.
    Due { download: DownloadIx },
    /// A DHT lookup returns.
    Lookup { download: DownloadIx },
    /// The discovery loop looks again.
    Discover { download: DownloadIx },
    /// 2025-11: a peer's activity timeout.
    Activity { download: DownloadIx, node: NodeIx },
    /// 2026: a batch's timeout (batch, the request's sequence).
    Batch {
        download: DownloadIx,
        batch: u32,
        seq: u32,
    },
    /// 2026: a downloader's own HaveRange broadcast.
    Announce { download: DownloadIx },
    /// Blocks handled, they count from now.
    Handled {
        download: DownloadIx,
        from: NodeIx,
        blocks: BlockList,
        bytes: u64,
    },
    /// BitTorrent: a node's choker runs.
    Rechoke {
        node: NodeIx,
        dataset: DatasetIx,
        round: u32,
    },
    /// The next window or batch of want-list generations (v0.2's 1 ms).
    Fill { download: DownloadIx },
}

/// Timers in (time, order set) order.
#[derive(Debug, Default)]
pub(crate) struct Agenda {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    items: Vec<Option<Timer>>,
    free: Vec<u32>,
    seq: u64,
}

impl Agenda {
    pub(crate) fn at(&mut self, at_ns: u64, t: Timer) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.items[s as usize] = Some(t);
                s
            }
            None => {
                self.items.push(Some(t));
                (self.items.len() - 1) as u32
            }
        };
        self.seq += 1;
        self.heap.push(Reverse((at_ns, self.seq, slot)));
    }

    pub(crate) fn next_ns(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    pub(crate) fn pop_due(&mut self, now_ns: u64) -> Option<Timer> {
        let &Reverse((t, _, slot)) = self.heap.peek()?;
        if t > now_ns {
            return None;
        }
        self.heap.pop();
        self.free.push(slot);
        self.items[slot as usize].take()
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Bytes of the block messages waiting to arrive.
    pub(crate) fn block_bytes(&self) -> u64 {
        self.items
            .iter()
            .flatten()
            .map(|t| match t {
                Timer::Arrive(e) if matches!(e.msg, Msg::Blocks { .. }) => e.bytes,
                _ => 0,
            })
            .sum()
    }
}

/// Traffic by message kind: messages and bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traffic {
    /// Messages sent, by kind.
    pub messages: [u64; KINDS],
    /// Bytes sent, by kind.
    pub bytes: [u64; KINDS],
}

impl Traffic {
    /// Every kind's bytes.
    pub fn total_bytes(&self) -> u64 {
        self.bytes.iter().sum()
    }
}

/// The whole exchange.
pub struct Exchange {
    pub(crate) p: Params,
    pub(crate) nodes: Vec<Node>,
    pub(crate) by_endpoint: HashMap<Endpoint, NodeIx>,
    pub(crate) datasets: Vec<Dataset>,
    pub(crate) downloads: Vec<Download>,
    /// Per node, its latest download of each dataset (running or ended).
    pub(crate) active: Vec<SmallVec<[(DatasetIx, DownloadIx); 2]>>,
    pub(crate) pipes: Vec<Pipe>,
    pub(crate) pipe_of: HashMap<(NodeIx, NodeIx), u32>,
    /// The pipe of each flow slot.
    pub(crate) flow_pipe: Vec<u32>,
    /// 2025-11: blocks a server sent to a node, per (server, node, dataset).
    pub(crate) sent: HashMap<(NodeIx, NodeIx, DatasetIx), Bits>,
    pub(crate) agenda: Agenda,
    pub(crate) rng: RandomStream,
    pub(crate) lookup_latency: codexsim_engine::dist::Dist,
    pub(crate) traffic: Traffic,
    /// Downloads that ended since [`Exchange::take_ended`].
    pub(crate) ended: Vec<DownloadIx>,
    /// Messages delivered with `sent_ns > arrival` (must stay 0).
    pub(crate) early_arrivals: u64,
    /// Block message bytes that arrived (for the wire invariant).
    pub(crate) block_bytes_arrived: u64,
    pub(crate) block_bytes_dropped: u64,
    pub(crate) batch_seq: u32,
    /// Connections, both ways (a node's neighbours are a range).
    pub(crate) links: std::collections::BTreeSet<(NodeIx, NodeIx)>,
    /// BitTorrent: block bytes from a node to another this round; the
    /// chokers running.
    pub(crate) bt_up: BTreeMap<(NodeIx, NodeIx), u64>,
    /// The same by receiver: (to, from).
    pub(crate) bt_down: BTreeMap<(NodeIx, NodeIx), u64>,
    pub(crate) bt_choker: BTreeSet<(NodeIx, DatasetIx)>,
    /// An empty bit set (a node holding nothing).
    pub(crate) empty_bits: Bits,
    /// Released downloads' pairs by times received.
    pub(crate) released_histogram: ReceivedHistogram,
}

/// A histogram of (download, block) pairs by times received.
pub type ReceivedHistogram = BTreeMap<u32, u64>;

pub(crate) const NO_PIPE: u32 = u32::MAX;

/// `splitmix64`, for v0.1's `hash(address)`.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
