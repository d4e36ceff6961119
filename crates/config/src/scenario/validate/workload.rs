//! Validation of `[workload]` and `[repair]`.

use codexsim_engine::{Dist, SimDuration};

use super::super::{Detection, NodeGroup, RawRepair, RawWorkload, Repair, RepairModel, Workload};
use super::run::CheckedMarketplace;
use super::ONE_NS;
use crate::validate::{Ctx, Unit};

/// `[workload]` validated, with the tolerance `[repair]` is checked against
/// (known whenever its own key is valid).
pub(super) struct CheckedWorkload {
    /// The section, if every key is valid.
    pub workload: Option<Workload>,
    /// `tolerance`.
    pub tolerance: Option<i64>,
}

/// Validates `[workload]` against the marketplace's limits and the fleet.
pub(super) fn validate_workload(
    c: &mut Ctx,
    w: &RawWorkload,
    market: &CheckedMarketplace,
    fleet_nodes: u64,
    node_groups: &[NodeGroup],
) -> CheckedWorkload {
    let max_slots = market.max_slots;
    let duration_limit = market.request_duration_limit;
    let interarrival = c.dist("workload.interarrival_s", &w.interarrival_s, Unit::Seconds);
    let arrival_times: Vec<SimDuration> = w
        .arrival_times_s
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            c.duration(
                &format!("workload.arrival_times_s[{i}]"),
                t,
                SimDuration::ZERO,
            )
        })
        .collect();
    let max_datasets = match w.max_datasets {
        Some(v) => c
            .int_in("workload.max_datasets", v, 0, i64::MAX)
            .map(|v| Some(v as u64)),
        None => Some(None),
    };
    let util = c.float_in(
        "workload.target_utilisation",
        w.target_utilisation,
        0.0,
        1.0,
    );
    let dataset = c.dist("workload.dataset_bytes", &w.dataset_bytes, Unit::Bytes);
    let nodes = c.int_in("workload.nodes", w.nodes, 1, 65_536);
    let tolerance = c.int_in("workload.tolerance", w.tolerance, 1, 65_536);
    if let (Some(n), Some(t)) = (nodes, tolerance) {
        // nim-codex rest/api.nim: tolerance <= nodes, ecK > 1, ecK >= ecM.
        let k = n - t;
        if t >= n {
            c.errors.push(
                "workload.tolerance",
                t,
                format!("must be less than workload.nodes ({n}): K = nodes - tolerance must be at least 1"),
            );
        } else if w.codex_rest_rules && (k <= 1 || k < t) {
            c.errors.push(
                "workload.tolerance",
                t,
                format!(
                    "with nodes = {n} gives K = {k}, M = {t}: the Codex REST API requires K > 1 and K >= M (set workload.codex_rest_rules = false to allow it)"
                ),
            );
        }
        if let Some(ms) = max_slots {
            if n > ms {
                c.errors.push(
                    "workload.nodes",
                    n,
                    format!("must not exceed marketplace.max_slots ({ms})"),
                );
            }
        }
        if (n as u64) > fleet_nodes && fleet_nodes > 0 {
            c.errors.push(
                "workload.nodes",
                n,
                format!("K + M = {n} slots need {n} distinct hosts but the fleet has {fleet_nodes} nodes"),
            );
        }
    }
    let wdur = c.duration("workload.duration_s", &w.duration_s, ONE_NS);
    let expiry = c.duration("workload.expiry_s", &w.expiry_s, ONE_NS);
    if let (Some(d), Some(e)) = (wdur, expiry) {
        if e >= d {
            c.errors.push(
                "workload.expiry_s",
                &w.expiry_s,
                format!("must be less than workload.duration_s ({d})"),
            );
        }
    }
    if let (Some(d), Some(l)) = (wdur, duration_limit) {
        if d > l {
            c.errors.push(
                "workload.duration_s",
                &w.duration_s,
                format!("must not exceed marketplace.request_duration_limit_s ({l})"),
            );
        }
    }
    let pp = c.int_in(
        "workload.proof_probability",
        w.proof_probability,
        1,
        i64::MAX,
    );
    let price = c.int_in(
        "workload.price_per_byte_per_s",
        w.price_per_byte_per_s,
        1,
        i64::MAX,
    );
    let coll = c.int_in(
        "workload.collateral_per_byte",
        w.collateral_per_byte,
        1,
        i64::MAX,
    );
    let keeps = c.choice(
        "workload.client_keeps_data",
        &w.client_keeps_data,
        &[("until_filled", false), ("always", true)],
    );
    // A slot must fit some node: the largest slot the size distribution can
    // produce is only known for bounded distributions, so check the median.
    if let (Some(ds), Some(n), Some(t)) = (&dataset, nodes, tolerance) {
        if n > t {
            let typical = match ds {
                Dist::Fixed { value } => *value,
                Dist::Uniform { max, .. } => *max,
                Dist::Empirical { samples } => samples.iter().cloned().fold(0.0, f64::max),
                Dist::LogNormal { mu, .. } => mu.exp(),
                other => other.mean(),
            };
            let slot = crate::layout::Layout::new(typical as u64, (n - t) as u32, t as u32)
                .slot_size_bytes;
            let biggest = node_groups
                .iter()
                .map(|g| g.availability_total_bytes)
                .max()
                .unwrap_or(0);
            if !node_groups.is_empty() && slot > biggest {
                c.errors.push(
                    "workload.dataset_bytes",
                    format!("{typical:.0} bytes"),
                    format!(
                        "gives slots of {slot} bytes, larger than every node's availability (largest {biggest} bytes)"
                    ),
                );
            }
        }
    }

    let renewal = crate::market_rules::validate_renewal(
        c,
        (&w.renewal, w.renew),
        (w.renewal_lead_s.as_ref(), w.renewal_expiry_s.as_ref()),
        wdur,
    );
    let workload = (|| {
        Some(Workload {
            interarrival_s: interarrival?,
            arrival_times,
            max_datasets: max_datasets?,
            target_utilisation: util?,
            dataset_bytes: dataset?,
            nodes: nodes? as u32,
            tolerance: tolerance? as u32,
            duration: wdur?,
            expiry: expiry?,
            proof_probability: pp? as u64,
            price_per_byte_per_s: price? as u64,
            collateral_per_byte: coll? as u64,
            renew: w.renew,
            renewal: renewal?,
            client_keeps_data_always: keeps?,
        })
    })();
    CheckedWorkload {
        workload,
        tolerance,
    }
}

/// Validates `[repair]`; `tolerance` is `workload.tolerance` if valid.
pub(super) fn validate_repair(
    c: &mut Ctx,
    rp: &RawRepair,
    tolerance: Option<i64>,
) -> Option<Repair> {
    let detection = c.choice(
        "repair.detection",
        &rp.detection,
        &[
            ("proofs", Detection::Proofs),
            ("immediate", Detection::Immediate),
        ],
    );
    let mean = c.duration("repair.mean_duration_s", &rp.mean_duration_s, ONE_NS);
    let model = match rp.model.as_str() {
        "market" => Some(RepairModel::Market),
        "exponential" => mean.map(|mean| RepairModel::Exponential { mean }),
        other => {
            c.errors.push(
                "repair.model",
                format!("{other:?}"),
                "must be one of \"market\", \"exponential\"",
            );
            None
        }
    };
    let serial = c.choice(
        "repair.concurrency",
        &rp.concurrency,
        &[("parallel", false), ("serial", true)],
    );
    let lazy = c.int_in("repair.lazy_threshold", rp.lazy_threshold, 1, 65_536);
    if let (Some(l), Some(t)) = (lazy, tolerance) {
        if l > t {
            c.errors.push(
                "repair.lazy_threshold",
                rp.lazy_threshold,
                format!(
                    "must be at most workload.tolerance ({t}): one more freed slot fails the contract"
                ),
            );
        }
    }

    Some(Repair {
        detection: detection?,
        model: model?,
        serial: serial?,
        lazy_threshold: lazy? as u32,
    })
}
