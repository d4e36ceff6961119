//! Validation of `[[faults]]` and `[[scheduled_faults]]`.

use codexsim_engine::SimDuration;

use super::super::{
    Fault, FaultKind, FaultTarget, RawDomainLevel, RawFault, RawNodeGroup, RawScheduledFault,
    ScheduledFault, ScheduledTarget,
};
use crate::validate::{Ctx, Unit};

/// Validates `[[faults]]`: the valid processes (all of them, or an error was
/// recorded).
pub(super) fn validate_faults(
    c: &mut Ctx,
    raw: &[RawFault],
    levels: &[RawDomainLevel],
    groups: &[RawNodeGroup],
) -> Vec<Fault> {
    let mut faults = Vec::new();
    for (i, f) in raw.iter().enumerate() {
        let p = |k: &str| format!("faults[{i}].{k}");
        let kind = fault_kind(c, &p("kind"), &f.kind, f.replace);
        let level = level_index(c, &p("target"), &f.target, levels);
        let group = match &f.group {
            None => Some(None),
            Some(name) => match groups.iter().position(|g| &g.name == name) {
                Some(gi) => Some(Some(gi)),
                None => {
                    c.errors.push(
                        p("group"),
                        format!("{name:?}"),
                        "must name one of the [[node_groups]]",
                    );
                    None
                }
            },
        };
        if f.group.is_some() && matches!(level, Some(Some(_))) {
            c.errors.push(
                p("group"),
                format!("{:?}", f.group.as_deref().unwrap_or("")),
                "only applies to target = \"node\"",
            );
        }
        let interval = c.dist(&p("interval_s"), &f.interval_s, Unit::Seconds);
        if let Some(d) = &interval {
            if d.mean() <= 0.0 {
                c.errors
                    .push(p("interval_s"), "0", "must have a mean > 0 (seconds)");
            }
        }
        let dur = c.dist(&p("duration_s"), &f.duration_s, Unit::Seconds);
        let start = c.duration(&p("start_s"), &f.start_s, SimDuration::ZERO);
        if let (
            Some(kind),
            Some(level),
            Some(group),
            Some(interval_s),
            Some(duration_s),
            Some(start),
        ) = (kind, level, group, interval, dur, start)
        {
            faults.push(Fault {
                kind,
                target: match level {
                    None => FaultTarget::Nodes { group },
                    Some(level) => FaultTarget::Domains { level },
                },
                interval_s,
                duration_s,
                start,
            });
        }
    }
    faults
}

/// Validates `[[scheduled_faults]]`, sorted by time.
pub(super) fn validate_scheduled_faults(
    c: &mut Ctx,
    raw: &[RawScheduledFault],
    levels: &[RawDomainLevel],
    fleet_nodes: u64,
) -> Vec<ScheduledFault> {
    let mut scheduled_faults = Vec::new();
    for (i, f) in raw.iter().enumerate() {
        let p = |k: &str| format!("scheduled_faults[{i}].{k}");
        let at = c.duration(&p("at_s"), &f.at_s, SimDuration::ZERO);
        let kind = fault_kind(c, &p("kind"), &f.kind, f.replace);
        let oldest = f.target == "oldest_filler";
        let level = if oldest {
            None
        } else {
            level_index(c, &p("target"), &f.target, levels)
        };
        let dur = c.duration(&p("duration_s"), &f.duration_s, SimDuration::ZERO);
        let target = match level {
            _ if oldest => Some(ScheduledTarget::OldestFiller),
            Some(None) => c
                .int_in(&p("index"), f.index, 0, fleet_nodes as i64 - 1)
                .map(|n| ScheduledTarget::Node(n as u32)),
            Some(Some(l)) => c
                .int_in(&p("index"), f.index, 0, levels[l].count.max(1) - 1)
                .map(|n| ScheduledTarget::Domain(l, n as u32)),
            None => None,
        };
        if let (Some(at), Some(kind), Some(target), Some(duration)) = (at, kind, target, dur) {
            scheduled_faults.push(ScheduledFault {
                at,
                kind,
                target,
                duration,
            });
        }
    }
    scheduled_faults.sort_by_key(|f| f.at);
    scheduled_faults
}

/// A fault's `kind`.
fn fault_kind(ctx: &mut Ctx, path: &str, kind: &str, replace: bool) -> Option<FaultKind> {
    ctx.choice(
        path,
        kind,
        &[
            ("outage", FaultKind::Outage),
            ("disk_loss", FaultKind::DiskLoss { replace }),
            ("churn", FaultKind::Churn),
        ],
    )
}

/// A fault's `target`: `None` for nodes, else the index of the domain level.
fn level_index(
    ctx: &mut Ctx,
    path: &str,
    target: &str,
    levels: &[RawDomainLevel],
) -> Option<Option<usize>> {
    if target == "node" {
        return Some(None);
    }
    match levels.iter().position(|l| l.name == target) {
        Some(i) => Some(Some(i)),
        None => {
            let mut names = vec!["\"node\"".to_string()];
            names.extend(levels.iter().map(|l| format!("{:?}", l.name)));
            ctx.errors.push(
                path,
                format!("{target:?}"),
                format!(
                    "must be one of {} (the domain levels declared)",
                    names.join(", ")
                ),
            );
            None
        }
    }
}
