//! codexsim's network: who sends to whom, over which links and disks, at
//! which rate.
//!
//! - [`topology`]: the fleet's links as a tree (petgraph): each host's own up
//!   and down link, the shared links of its failure domains (a machine's
//!   network card, a rack's uplink, a site's WAN link), clients outside the
//!   fleet; a transfer's path and latency.
//! - [`flows`]: flow-level bandwidth sharing. Every active transfer is a flow
//!   over a set of resources (link directions, disk reads and writes, and its
//!   own rate limit); rates are max-min fair (progressive filling) and are
//!   recomputed when a flow starts or ends or a capacity changes, over the
//!   flows that the change can reach only (or once for all the changes of an
//!   instant); the network can keep every flow's finish time and name the
//!   next one.
//! - [`bench`]: a deterministic workload (a fleet's resources, N concurrent
//!   flows, a steady churn) to time the sharing, incremental against full.
//! - [`replay`]: a list of flows with start times run to their ends on a
//!   network, their finish times in input order.
//!
//! No Codex concept lives here: the model decides what to transfer.

pub mod bench;
pub mod flows;
pub mod replay;
pub mod topology;

pub use flows::{FlowId, FlowNet, Purpose, RateChange, ResourceId, SharingStats, PURPOSES};
pub use topology::{Endpoint, LinkCapacity, Topology, TopologyError};
