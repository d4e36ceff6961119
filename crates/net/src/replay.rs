//! Replaying a list of timed flows on a [`FlowNet`]: every flow starts at
//! its time and runs until it has moved its last byte; the finish times come
//! back in input order.
//!
//! The loop is the one the model runs over its own flows: the network keeps
//! every flow's finish time ([`FlowNet::track_finishes`]); at each instant
//! (the next start or the next finish, whichever comes first) the flows due
//! then finish, the flows starting then start, and the network is flushed
//! once (with [`FlowNet::defer_changes`] on, one recomputation per instant).
//! Flows that start at the same time start in input order.

use thiserror::Error;

use crate::flows::{FlowNet, Purpose, ResourceId};

/// One flow to replay.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedFlow {
    /// When it starts, nanoseconds.
    pub start_ns: u64,
    /// The resources it crosses.
    pub resources: Vec<ResourceId>,
    /// Its own rate limit, bytes per second (`f64::INFINITY` for none).
    pub cap_bytes_per_s: f64,
    /// Its size, bytes.
    pub size_bytes: u64,
    /// What it is for (accounting only).
    pub purpose: Purpose,
}

/// A replay that cannot finish.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ReplayError {
    /// A flow's rate is 0 and nothing is left that could raise it.
    #[error("flow {index} never ends: its rate is 0 (a resource or its own limit allows nothing)")]
    Stalled {
        /// Its position in the input.
        index: usize,
    },
    /// The network already had active flows.
    #[error("the network must have no active flows before a replay ({active} active)")]
    NotEmpty {
        /// Flows active before the replay.
        active: usize,
    },
}

/// Replays `flows` on `net` (which holds the resources they name and no
/// active flow) and returns every flow's finish time in nanoseconds, in
/// input order. The network keeps its finish times from now on.
pub fn replay(net: &mut FlowNet, flows: &[TimedFlow]) -> Result<Vec<u64>, ReplayError> {
    if net.active_flows() > 0 {
        return Err(ReplayError::NotEmpty {
            active: net.active_flows(),
        });
    }
    net.track_finishes();
    let mut order: Vec<usize> = (0..flows.len()).collect();
    order.sort_by_key(|&i| (flows[i].start_ns, i));
    let mut ends = vec![u64::MAX; flows.len()];
    // Per flow slot of the network: the input index of the flow in it.
    let mut owner: Vec<usize> = Vec::new();
    let mut next = 0;
    loop {
        let next_start = order.get(next).map(|&i| flows[i].start_ns);
        let next_finish = net.next_finish().map(|(f, _)| f).filter(|&f| f != u64::MAX);
        let now = match (next_start, next_finish) {
            (None, None) => break,
            (Some(s), None) => s,
            (None, Some(f)) => f,
            (Some(s), Some(f)) => s.min(f),
        };
        while let Some((f, id)) = net.next_finish() {
            if f > now {
                break;
            }
            ends[owner[id.index as usize]] = now;
            net.finish(now, id);
        }
        while let Some(&i) = order.get(next) {
            let flow = &flows[i];
            if flow.start_ns > now {
                break;
            }
            let (id, _) = net.start(
                now,
                &flow.resources,
                flow.cap_bytes_per_s,
                flow.size_bytes,
                flow.purpose,
            );
            let slot = id.index as usize;
            if owner.len() <= slot {
                owner.resize(slot + 1, usize::MAX);
            }
            owner[slot] = i;
            next += 1;
        }
        net.flush(now);
    }
    match ends.iter().position(|&e| e == u64::MAX) {
        Some(index) => Err(ReplayError::Stalled { index }),
        None => Ok(ends),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::Recompute;

    fn flow(start_ns: u64, resources: &[ResourceId], cap: f64, size: u64) -> TimedFlow {
        TimedFlow {
            start_ns,
            resources: resources.to_vec(),
            cap_bytes_per_s: cap,
            size_bytes: size,
            purpose: Purpose::Repair,
        }
    }

    fn shared_net(defer: bool) -> FlowNet {
        let mut net = FlowNet::new(Recompute::Incremental);
        if defer {
            net.defer_changes();
        }
        net
    }

    #[test]
    fn two_flows_share_a_link_then_the_survivor_runs_alone() {
        for defer in [false, true] {
            let mut net = shared_net(defer);
            let link = net.add_resource(100.0);
            // 50 B/s each; the 100-byte flow ends at 2 s, the other has 200
            // bytes left and runs alone at 100 B/s: 4 s.
            let flows = [
                flow(0, &[link], f64::INFINITY, 300),
                flow(0, &[link], f64::INFINITY, 100),
            ];
            let ends = replay(&mut net, &flows).unwrap();
            assert_eq!(ends, vec![4_000_000_000, 2_000_000_000]);
        }
    }

    #[test]
    fn a_later_start_a_cap_and_input_order() {
        let mut net = shared_net(true);
        let a = net.add_resource(100.0);
        let b = net.add_resource(30.0);
        // Input out of start order. At 1 s the third flow arrives over a and
        // b: b holds it to 30, the other two get 35 each on a.
        let flows = [
            flow(1_000_000_000, &[a, b], f64::INFINITY, 30),
            flow(0, &[a], f64::INFINITY, 100),
            flow(0, &[a], f64::INFINITY, 300),
            // Capped at 10 B/s on an unlimited resource: 5 s from 0.5 s.
            flow(500_000_000, &[], 10.0, 50),
        ];
        let ends = replay(&mut net, &flows).unwrap();
        assert_eq!(
            ends,
            vec![2_000_000_000, 2_300_000_000, 4_300_000_000, 5_500_000_000]
        );
    }

    #[test]
    fn a_stalled_flow_is_an_error() {
        let mut net = shared_net(true);
        let a = net.add_resource(100.0);
        let flows = [flow(0, &[a], f64::INFINITY, 10), flow(0, &[a], 0.0, 10)];
        assert_eq!(
            replay(&mut net, &flows),
            Err(ReplayError::Stalled { index: 1 })
        );
    }

    #[test]
    fn unshared_flows_run_alone() {
        let mut net = FlowNet::new(Recompute::Unshared);
        let a = net.add_resource(100.0);
        let flows = [
            flow(0, &[a], f64::INFINITY, 100),
            flow(0, &[a], f64::INFINITY, 100),
        ];
        assert_eq!(
            replay(&mut net, &flows).unwrap(),
            vec![1_000_000_000, 1_000_000_000]
        );
    }
}
