//! Validation of the fleet: `[[domain_levels]]`, `[[node_groups]]`, and the
//! rule that the domains nest.

use codexsim_engine::SimDuration;

use super::super::typed::node_domains;
use super::super::{DomainLevel, Link, NodeGroup, Placement, RawDomainLevel, RawNodeGroup};
use super::ONE_NS;
use crate::validate::Ctx;

/// Validates `[[domain_levels]]`: the valid levels (all of them, or an error
/// was recorded).
pub(super) fn validate_domain_levels(c: &mut Ctx, levels: &[RawDomainLevel]) -> Vec<DomainLevel> {
    let mut domain_levels = Vec::new();
    for (i, l) in levels.iter().enumerate() {
        let path = format!("domain_levels[{i}]");
        if l.name.is_empty() || l.name == "node" {
            c.errors.push(
                format!("{path}.name"),
                format!("{:?}", l.name),
                "must be a non-empty name other than \"node\"",
            );
        }
        if levels[..i].iter().any(|o| o.name == l.name) {
            c.errors.push(
                format!("{path}.name"),
                format!("{:?}", l.name),
                "must be unique",
            );
        }
        let link = l.link().validate(c, &path);
        if let (Some(count), Some(link)) = (
            c.int_in(&format!("{path}.count"), l.count, 1, 1_000_000),
            link,
        ) {
            domain_levels.push(DomainLevel {
                name: l.name.clone(),
                count: count as u32,
                link,
            });
        }
    }
    domain_levels
}

/// Validates `[[node_groups]]`: the valid groups (all of them, or an error was
/// recorded).
pub(super) fn validate_node_groups(c: &mut Ctx, groups: &[RawNodeGroup]) -> Vec<NodeGroup> {
    let mut node_groups = Vec::new();
    if groups.is_empty() {
        c.errors.push(
            "node_groups",
            "",
            "at least one [[node_groups]] table is required",
        );
    }
    for (i, g) in groups.iter().enumerate() {
        let p = |k: &str| format!("node_groups[{i}].{k}");
        if groups[..i].iter().any(|o| o.name == g.name) {
            c.errors
                .push(p("name"), format!("{:?}", g.name), "must be unique");
        }
        let count = c.int_in(&p("count"), g.count, 1, 1_000_000);
        let quota = c.bytes(&p("quota_bytes"), &g.quota_bytes, 1);
        let rate = c.bytes(
            &p("transfer_rate_bytes_per_s"),
            &g.transfer_rate_bytes_per_s,
            1,
        );
        let disk_read = c.bytes(&p("disk_read_bytes_per_s"), &g.disk_read_bytes_per_s, 1);
        let disk_write = c.bytes(&p("disk_write_bytes_per_s"), &g.disk_write_bytes_per_s, 1);
        let pf = c.float_in(
            &p("proof_failure_probability"),
            g.proof_failure_probability,
            0.0,
            1.0,
        );
        let qsize = c.int_in(&p("slot_queue_size"), g.slot_queue_size, 1, 1_000_000);
        let workers = c.int_in(&p("slot_queue_workers"), g.slot_queue_workers, 1, 1000);
        let placement = c.choice(
            &p("placement"),
            &g.placement,
            &[
                ("round_robin", Placement::RoundRobin),
                ("block", Placement::Block),
            ],
        );
        let node_link = g.link().validate(c, &format!("node_groups[{i}]"));
        let a = &g.availability;
        let total = match &a.total_bytes {
            Some(t) => c.bytes(&p("availability.total_bytes"), t, 1),
            None => quota,
        };
        if let (Some(t), Some(q)) = (total, quota) {
            if t > q {
                c.errors.push(
                    p("availability.total_bytes"),
                    a.total_bytes
                        .as_ref()
                        .map_or(String::new(), |v| v.to_string()),
                    format!("must not exceed quota_bytes ({q} bytes)"),
                );
            }
        }
        let adur = c.duration(&p("availability.duration_s"), &a.duration_s, ONE_NS);
        let minp = c.int_in(
            &p("availability.min_price_per_byte_per_s"),
            a.min_price_per_byte_per_s,
            0,
            i64::MAX,
        );
        // `Some(None)`: no limit; `None`: an error was recorded.
        let coll = match a.total_collateral {
            None => Some(None),
            Some(v) => c
                .int_in(&p("availability.total_collateral"), v, 0, i64::MAX)
                .map(|v| Some(v as u64)),
        };
        if let (
            Some(count),
            Some(quota),
            Some(rate),
            Some(pf),
            Some(qsize),
            Some(workers),
            Some(placement),
            Some(total),
            Some(adur),
            Some(minp),
            Some(coll),
            Some(disk_read),
            Some(disk_write),
        ) = (
            count, quota, rate, pf, qsize, workers, placement, total, adur, minp, coll, disk_read,
            disk_write,
        ) {
            node_groups.push(NodeGroup {
                name: g.name.clone(),
                count: count as u32,
                quota_bytes: quota,
                transfer_rate_bytes_per_s: rate,
                disk_read_bytes_per_s: disk_read,
                disk_write_bytes_per_s: disk_write,
                proof_failure_probability: pf,
                slot_queue_size: qsize as u32,
                slot_queue_workers: workers as u32,
                placement,
                one_slot_per_request: g.one_slot_per_request,
                availability_total_bytes: total,
                availability_duration: adur,
                min_price_per_byte_per_s: minp as u64,
                total_collateral: coll,
                // An invalid link has recorded its error; the group is kept
                // all the same, so the nesting check still sees the fleet.
                link: node_link.unwrap_or(Link {
                    up_bytes_per_s: None,
                    down_bytes_per_s: None,
                    latency: SimDuration::ZERO,
                }),
            });
        }
    }
    node_groups
}

/// The network's links form a tree: every domain's nodes must lie in one
/// domain of the level above. Checked on valid levels and groups.
pub(super) fn check_nesting(c: &mut Ctx, domain_levels: &[DomainLevel], node_groups: &[NodeGroup]) {
    let doms = node_domains(domain_levels, node_groups);
    for li in 1..domain_levels.len() {
        let mut parent: Vec<Option<u32>> = vec![None; domain_levels[li].count as usize];
        for (n, d) in doms.iter().enumerate() {
            match parent[d[li] as usize] {
                None => parent[d[li] as usize] = Some(d[li - 1]),
                Some(p) if p == d[li - 1] => {}
                Some(p) => {
                    c.errors.push(
                        format!("domain_levels[{li}]"),
                        format!("{:?}", domain_levels[li].name),
                        format!(
                            "must nest in {:?}: {} {} holds nodes of {} {p} and {} {} (node {n}); use placement = \"block\" or counts that divide",
                            domain_levels[li - 1].name,
                            domain_levels[li].name,
                            d[li],
                            domain_levels[li - 1].name,
                            domain_levels[li - 1].name,
                            d[li - 1]
                        ),
                    );
                    break;
                }
            }
        }
    }
}
