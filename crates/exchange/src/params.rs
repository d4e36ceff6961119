//! The protocol generations and their constants (every default is read
//! from the node's sources: `docs/blockexchange.md`), and the sizes of
//! messages on the wire.

use serde::{Deserialize, Serialize};

/// A generation of the block exchange, or the BitTorrent-like reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// v0.1.6 (2024-10): one block at a time, WantBlock by hash, every Have
    /// answered with a WantBlock.
    #[serde(rename = "v0.1")]
    V01,
    /// v0.2.0 - v0.2.5 (2025): prefetch batches of 10, WantBlock to a
    /// random holder, a 500 ms retry loop.
    #[serde(rename = "v0.2")]
    V02,
    /// The 2025-11 optimizations: a 1,024-block sliding window, want-list
    /// deltas, one peer per Have, weighted peer choice, 2 s retries.
    #[serde(rename = "2025-11")]
    V2511,
    /// The 2026 rewrite: swarms, range presence, scored peers, pipelined
    /// batches.
    #[serde(rename = "2026")]
    V2026,
    /// A BitTorrent-like reference: rarest-first pieces, unchoke slots,
    /// optimistic unchoke.
    #[serde(rename = "bittorrent")]
    BitTorrent,
}

impl Protocol {
    /// Every protocol, generations in order, then the reference.
    pub const ALL: [Protocol; 5] = [
        Protocol::V01,
        Protocol::V02,
        Protocol::V2511,
        Protocol::V2026,
        Protocol::BitTorrent,
    ];

    /// Its name in configuration files and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::V01 => "v0.1",
            Protocol::V02 => "v0.2",
            Protocol::V2511 => "2025-11",
            Protocol::V2026 => "2026",
            Protocol::BitTorrent => "bittorrent",
        }
    }

    /// The protocol of a name.
    pub fn from_name(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether it is one of the three generations that share want lists
    /// and per-block presence (v0.1, v0.2, 2025-11).
    pub fn is_want_list(self) -> bool {
        matches!(self, Protocol::V01 | Protocol::V02 | Protocol::V2511)
    }
}

/// How a download's requests are spread over its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// `n` blocks wanted at once; the next `n` only when all have arrived
    /// (v0.1: 1, the stream; v0.2: 10, the prefetch batches).
    Batches(u32),
    /// `n` blocks in flight, refilled when `refill_percent` of them arrived.
    Sliding {
        /// Blocks in the window.
        blocks: u32,
        /// Arrived share of the window that refills it, percent.
        refill_percent: u32,
    },
}

/// The constants of one protocol; [`Params::of`] gives the node's values.
/// Every field is a parameter of `[exchange]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The protocol.
    pub protocol: Protocol,
    /// Block size, bytes (64 KiB in every generation).
    pub block_bytes: u32,
    /// How requests are windowed (want-list generations).
    pub window: Window,
    /// A block not arrived after this long is requested again (v0.2: 500
    /// ms, 2025-11 and 2026: 2 s); `None`: never (v0.1).
    pub retry_interval_ns: Option<u64>,
    /// Retries per block before the download fails.
    pub block_retries: u32,
    /// v0.1: a request unanswered this long fails the download and drops
    /// the peer (10 minutes).
    pub block_timeout_ns: u64,
    /// 2025-11: a peer that sent no block for this long is dropped and its
    /// requests retried (1 minute).
    pub activity_timeout_ns: u64,
    /// Blocks in one delivery message at most (2025-11: 20; 0 for no limit).
    pub max_blocks_per_message: u32,
    /// Want-list entries in one message at most (2025-11: 1,024).
    pub max_want_entries: u32,
    /// A downloader's connected peers at most (2025-11: 8 per dataset, 2026:
    /// 16 per swarm; 0 for no limit).
    pub max_peers: u32,
    /// Discovery runs again while fewer peers than this are connected
    /// (3 before 2026, 8 in the swarm).
    pub min_peers: u32,
    /// The discovery loop's period (3 s).
    pub discovery_interval_ns: u64,
    /// Per received block, the downloader's handling (validation, storing)
    /// before it counts; blocks are handled one at a time.
    pub block_handling_ns: u64,
    /// 2026: blocks per batch (`TargetBatchBytes` / block size: 2).
    pub batch_blocks: u32,
    /// 2026: the presence window, blocks (1 GiB of 64 KiB blocks: 16,384).
    pub presence_window_blocks: u32,
    /// 2026: pipeline depth per peer, lowest and highest (2, 128).
    pub depth_min: u32,
    /// 2026: see `depth_min`.
    pub depth_max: u32,
    /// 2026: a random peer with spare capacity this share of the time,
    /// percent (20).
    pub exploration_percent: u32,
    /// 2026: a batch's timeout, lowest and highest (5 s, 45 s), and before
    /// there is a throughput estimate (300 s).
    pub batch_timeout_min_ns: u64,
    /// 2026: see `batch_timeout_min_ns`.
    pub batch_timeout_max_ns: u64,
    /// 2026: see `batch_timeout_min_ns`.
    pub batch_timeout_initial_ns: u64,
    /// 2026: batch timeouts that drop a peer (5).
    pub peer_max_timeouts: u32,
    /// 2026: own HaveRange broadcast, every uniform(min, max) (5-10 s).
    pub have_broadcast_min_ns: u64,
    /// 2026: see `have_broadcast_min_ns`.
    pub have_broadcast_max_ns: u64,
    /// BitTorrent: blocks per piece (4: 256 KiB pieces).
    pub piece_blocks: u32,
    /// BitTorrent: regular unchoke slots (4).
    pub unchoke_slots: u32,
    /// BitTorrent: pieces requested from one peer at once (5).
    pub requests_per_peer: u32,
    /// BitTorrent: the choker runs every this long (10 s).
    pub rechoke_interval_ns: u64,
    /// BitTorrent: the optimistic unchoke rotates every this long (30 s).
    pub optimistic_interval_ns: u64,
}

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

impl Params {
    /// The node's constants for `protocol` (the reference's for BitTorrent).
    pub fn of(protocol: Protocol) -> Params {
        let base = Params {
            protocol,
            block_bytes: 64 * 1024,
            window: Window::Batches(1),
            retry_interval_ns: None,
            block_retries: 3_000,
            block_timeout_ns: 600 * S,
            activity_timeout_ns: 60 * S,
            max_blocks_per_message: 0,
            max_want_entries: 0,
            max_peers: 0,
            min_peers: 3,
            discovery_interval_ns: 3 * S,
            block_handling_ns: 0,
            batch_blocks: 2,
            presence_window_blocks: 16_384,
            depth_min: 2,
            depth_max: 128,
            exploration_percent: 20,
            batch_timeout_min_ns: 5 * S,
            batch_timeout_max_ns: 45 * S,
            batch_timeout_initial_ns: 300 * S,
            peer_max_timeouts: 5,
            have_broadcast_min_ns: 5 * S,
            have_broadcast_max_ns: 10 * S,
            piece_blocks: 4,
            unchoke_slots: 4,
            requests_per_peer: 5,
            rechoke_interval_ns: 10 * S,
            optimistic_interval_ns: 30 * S,
        };
        match protocol {
            Protocol::V01 => base,
            Protocol::V02 => Params {
                window: Window::Batches(10),
                retry_interval_ns: Some(500 * MS),
                ..base
            },
            Protocol::V2511 => Params {
                window: Window::Sliding {
                    blocks: 1_024,
                    refill_percent: 75,
                },
                retry_interval_ns: Some(2 * S),
                max_blocks_per_message: 20,
                max_want_entries: 1_024,
                max_peers: 8,
                ..base
            },
            Protocol::V2026 => Params {
                retry_interval_ns: Some(2 * S),
                block_retries: 300,
                max_want_entries: 1_024,
                max_peers: 16,
                min_peers: 8,
                ..base
            },
            Protocol::BitTorrent => Params {
                max_peers: 50,
                min_peers: 0,
                ..base
            },
        }
    }

    /// Blocks in a dataset of `bytes`.
    pub fn blocks_of(&self, bytes: u64) -> u32 {
        bytes.div_ceil(self.block_bytes as u64).max(1) as u32
    }
}

/// The sizes of messages as the node encodes them (protobuf; transport
/// framing, encryption and multiplexing not included).
pub mod wire {
    /// A message's envelope.
    pub const MESSAGE_BYTES: u64 = 8;
    /// One want-list entry: address (about 50 bytes), priority, cancel,
    /// want type, sendDontHave.
    pub const WANT_ENTRY_BYTES: u64 = 58;
    /// One presence entry: address, type, (empty) price.
    pub const PRESENCE_ENTRY_BYTES: u64 = 54;
    /// One range entry (2026): start, count, kind.
    pub const RANGE_ENTRY_BYTES: u64 = 20;
    /// A delivered block's header: CID (40), address (50), length (4).
    pub const BLOCK_HEADER_BYTES: u64 = 94;
    /// BitTorrent: HAVE, choke and unchoke messages (length, id, index).
    pub const BT_SMALL_BYTES: u64 = 9;
    /// BitTorrent: a request (length, id, index, begin, length).
    pub const BT_REQUEST_BYTES: u64 = 17;

    /// The Merkle proof of one block of a tree of `blocks` leaves: codec,
    /// index and leaf count (10 bytes), then a 32-byte node with its 4-byte
    /// framing per level.
    pub fn proof_bytes(blocks: u32) -> u64 {
        let levels = (blocks.max(1) as u64).next_power_of_two().trailing_zeros() as u64;
        10 + 36 * levels
    }

    /// One block on the wire: data, header, proof.
    pub fn block_bytes(block_bytes: u32, blocks: u32) -> u64 {
        block_bytes as u64 + BLOCK_HEADER_BYTES + proof_bytes(blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::from_name(p.name()), Some(p));
        }
        assert_eq!(Protocol::from_name("v9"), None);
    }

    #[test]
    fn a_1_gib_block_is_about_one_percent_bigger_on_the_wire() {
        // 16,384 leaves: 14 levels, 10 + 36 x 14 = 514 bytes of proof.
        assert_eq!(wire::proof_bytes(16_384), 514);
        assert_eq!(wire::block_bytes(65_536, 16_384), 65_536 + 94 + 514);
        assert_eq!(wire::proof_bytes(1), 10);
        assert_eq!(wire::proof_bytes(3), 82);
    }
}
