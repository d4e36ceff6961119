//! Block-level exchange on the flow network: the node's block-exchange
//! generations (v0.1, v0.2, 2025-11, 2026) and a BitTorrent-like
//! reference, as variants of one model (`docs/blockexchange.md` is its
//! specification).
//!
//! Nodes are endpoints of a [`codexsim_net::Topology`]. A download keeps
//! bit sets of the blocks it holds, has requested and received more than
//! once, and a view of each peer; control messages (want lists, presence,
//! cancels, ranges, chokes) arrive after the path's latency and count
//! their bytes; block messages queue on the connection from server to
//! receiver and move as flows on a [`codexsim_net::FlowNet`], one flow per
//! busy connection, so that links and disks are shared max-min fairly
//! with everything else on the network.
//!
//! Like the network, the exchange never schedules engine events: it keeps
//! its own agenda of timers, and its caller runs [`Exchange::fire`] at
//! [`Exchange::next_timer_ns`] and [`Exchange::flow_finished`] when one of
//! its flows ([`Exchange::owns`]) ends. [`swarm`] is such a caller: one
//! seeder set and a crowd of downloaders on a star of links.
//!
//! Files: `params.rs` (protocols, constants, message sizes), `state.rs`
//! (the state), `exchange.rs` (API, received blocks, checks), `discovery.rs`,
//! `send.rs` (messages and connections), `legacy.rs` (v0.1, v0.2,
//! 2025-11), `rewrite.rs` (2026), `bittorrent.rs`, `swarm.rs`,
//! `bits.rs`.

mod bits;
mod bittorrent;
mod discovery;
mod exchange;
mod legacy;
pub mod params;
mod rewrite;
mod send;
mod state;
pub mod swarm;

pub use bits::Bits;
pub use params::{Params, Protocol, Window};
pub use send::Wire;
pub use state::{
    DatasetIx, Download, DownloadIx, DownloadStats, Exchange, MsgKind, NodeIx, Outcome,
    ReceivedHistogram, Traffic, KINDS,
};
