//! Validation of `[network]` and `[canary]`.

use codexsim_engine::SimDuration;

use super::super::{Canary, Link, Network, RawCanary, RawNetwork, SHARING_MODES};
use super::ONE_NS;
use crate::validate::Ctx;

/// Validates `[network]`.
pub(super) fn validate_network(c: &mut Ctx, nw: &RawNetwork) -> Option<Network> {
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
    let transfer_timeout = c.duration("network.transfer_timeout_s", &nw.transfer_timeout_s, ONE_NS);
    let sharing = c.choice("network.sharing", &nw.sharing, &SHARING_MODES);

    Some(Network {
        client: Link {
            up_bytes_per_s: Some(client_up?),
            down_bytes_per_s: Some(client_down?),
            latency: client_latency?,
        },
        retry_interval: retry_interval?,
        transfer_timeout: transfer_timeout?,
        sharing: sharing?,
    })
}

/// Validates `[canary]` against a fleet of `fleet_nodes` nodes.
pub(super) fn validate_canary(c: &mut Ctx, k: &RawCanary, fleet_nodes: u64) -> Option<Canary> {
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
    let model = match &k.model {
        Some(m) => crate::exchange::transfer_model(c, "canary.model", m),
        None => Some(crate::exchange::TransferModel::Fluid),
    };
    Some(Canary {
        nodes,
        file_bytes: file?,
        interval: interval?,
        timeout: timeout?,
        start: start?,
        model: model?,
    })
}
