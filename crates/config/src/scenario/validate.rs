//! Validation: raw tables into a typed [`Scenario`], every problem recorded.

use codexsim_engine::{Dist, SimDuration};

use super::*;
use crate::error::ConfigErrors;
use crate::units::RawQuantity;
use crate::validate::{Ctx, Unit};

const ONE_NS: SimDuration = SimDuration::from_nanos(1);

fn choice<T: Copy>(ctx: &mut Ctx, path: &str, value: &str, options: &[(&str, T)]) -> Option<T> {
    if let Some((_, v)) = options.iter().find(|(name, _)| *name == value) {
        return Some(*v);
    }
    let names: Vec<String> = options.iter().map(|(n, _)| format!("{n:?}")).collect();
    ctx.errors.push(
        path,
        format!("{value:?}"),
        format!("must be one of {}", names.join(", ")),
    );
    None
}

fn fault_kind(ctx: &mut Ctx, path: &str, kind: &str, replace: bool) -> Option<FaultKind> {
    choice(
        ctx,
        path,
        kind,
        &[
            ("outage", FaultKind::Outage),
            ("disk_loss", FaultKind::DiskLoss { replace }),
            ("churn", FaultKind::Churn),
        ],
    )
}

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

impl RawScenario {
    /// Validates into a [`Scenario`], or returns every problem found.
    pub fn validate(&self) -> Result<Scenario, ConfigErrors> {
        let mut ctx = Ctx::default();
        let c = &mut ctx;

        // [run]
        let r = &self.run;
        let seed = c.int_in("run.seed", r.seed, 0, i64::MAX).map(|v| v as u64);
        let duration = c.duration("run.duration_s", &r.duration_s, ONE_NS);
        let max_events = c
            .int_in("run.max_events", r.max_events, 1, i64::MAX)
            .map(|v| v as u64);
        let series_interval = c.duration("run.series_interval_s", &r.series_interval_s, ONE_NS);
        if let (Some(d), Some(i)) = (duration, series_interval) {
            if i > d {
                c.errors.push(
                    "run.series_interval_s",
                    &r.series_interval_s,
                    format!("must not exceed run.duration_s ({d})"),
                );
            }
        }
        let proof_mode = choice(
            c,
            "run.proof_mode",
            &r.proof_mode,
            &[
                ("aggregated", ProofMode::Aggregated),
                ("exact", ProofMode::Exact),
            ],
        );

        // [marketplace]
        let m = &self.marketplace;
        let proof_period = c.duration(
            "marketplace.proof_period_s",
            &m.proof_period_s,
            SimDuration::from_secs(1),
        );
        let proof_timeout = c.duration("marketplace.proof_timeout_s", &m.proof_timeout_s, ONE_NS);
        if let (Some(p), Some(t)) = (proof_period, proof_timeout) {
            if t > p {
                c.errors.push(
                    "marketplace.proof_timeout_s",
                    &m.proof_timeout_s,
                    format!("must not exceed marketplace.proof_period_s ({p})"),
                );
            }
        }
        let downtime = c.int_in("marketplace.downtime_blocks", m.downtime_blocks, 0, 255);
        let max_slashes = c.int_in(
            "marketplace.max_number_of_slashes",
            m.max_number_of_slashes,
            1,
            1000,
        );
        let slash_pct = c.int_in("marketplace.slash_percentage", m.slash_percentage, 0, 100);
        let repair_pct = c.int_in(
            "marketplace.repair_reward_percentage",
            m.repair_reward_percentage,
            0,
            100,
        );
        let validator_pct = c.int_in(
            "marketplace.validator_reward_percentage",
            m.validator_reward_percentage,
            0,
            100,
        );
        let max_res = c.int_in(
            "marketplace.max_reservations_per_slot",
            m.max_reservations_per_slot,
            1,
            1000,
        );
        let duration_limit = c.duration(
            "marketplace.request_duration_limit_s",
            &m.request_duration_limit_s,
            ONE_NS,
        );
        let max_slots = c.int_in("marketplace.max_slots", m.max_slots, 1, 65_536);
        let block_period = c.duration(
            "marketplace.block_period_s",
            &m.block_period_s,
            SimDuration::ZERO,
        );

        // [[domain_levels]]
        let mut domain_levels = Vec::new();
        for (i, l) in self.domain_levels.iter().enumerate() {
            let path = format!("domain_levels[{i}]");
            if l.name.is_empty() || l.name == "node" {
                c.errors.push(
                    format!("{path}.name"),
                    format!("{:?}", l.name),
                    "must be a non-empty name other than \"node\"",
                );
            }
            if self.domain_levels[..i].iter().any(|o| o.name == l.name) {
                c.errors.push(
                    format!("{path}.name"),
                    format!("{:?}", l.name),
                    "must be unique",
                );
            }
            let link = link(
                c,
                &path,
                &l.link_up_bytes_per_s,
                &l.link_down_bytes_per_s,
                &l.link_latency_s,
            );
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

        // [[node_groups]]
        let mut node_groups = Vec::new();
        if self.node_groups.is_empty() {
            c.errors.push(
                "node_groups",
                "",
                "at least one [[node_groups]] table is required",
            );
        }
        for (i, g) in self.node_groups.iter().enumerate() {
            let p = |k: &str| format!("node_groups[{i}].{k}");
            if self.node_groups[..i].iter().any(|o| o.name == g.name) {
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
            let placement = choice(
                c,
                &p("placement"),
                &g.placement,
                &[
                    ("round_robin", Placement::RoundRobin),
                    ("block", Placement::Block),
                ],
            );
            let node_link = link(
                c,
                &format!("node_groups[{i}]"),
                &g.link_up_bytes_per_s,
                &g.link_down_bytes_per_s,
                &g.link_latency_s,
            );
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
            let coll = c.int_in(
                &p("availability.total_collateral"),
                a.total_collateral,
                0,
                i64::MAX,
            );
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
                count, quota, rate, pf, qsize, workers, placement, total, adur, minp, coll,
                disk_read, disk_write,
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
                    total_collateral: coll as u64,
                    link: node_link.unwrap_or(Link {
                        up_bytes_per_s: None,
                        down_bytes_per_s: None,
                        latency: SimDuration::ZERO,
                    }),
                });
            }
        }
        let fleet_nodes: u64 = self.node_groups.iter().map(|g| g.count.max(0) as u64).sum();

        // The network's links form a tree: every domain's nodes must lie in
        // one domain of the level above.
        if domain_levels.len() == self.domain_levels.len()
            && node_groups.len() == self.node_groups.len()
        {
            let doms = node_domains(&domain_levels, &node_groups);
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

        // [[faults]]
        let mut faults = Vec::new();
        for (i, f) in self.faults.iter().enumerate() {
            let p = |k: &str| format!("faults[{i}].{k}");
            let kind = fault_kind(c, &p("kind"), &f.kind, f.replace);
            let level = level_index(c, &p("target"), &f.target, &self.domain_levels);
            let group = match &f.group {
                None => Some(None),
                Some(name) => match self.node_groups.iter().position(|g| &g.name == name) {
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

        // [[scheduled_faults]]
        let mut scheduled_faults = Vec::new();
        for (i, f) in self.scheduled_faults.iter().enumerate() {
            let p = |k: &str| format!("scheduled_faults[{i}].{k}");
            let at = c.duration(&p("at_s"), &f.at_s, SimDuration::ZERO);
            let kind = fault_kind(c, &p("kind"), &f.kind, f.replace);
            let level = level_index(c, &p("target"), &f.target, &self.domain_levels);
            let dur = c.duration(&p("duration_s"), &f.duration_s, SimDuration::ZERO);
            let target = match level {
                Some(None) => c
                    .int_in(&p("index"), f.index, 0, fleet_nodes as i64 - 1)
                    .map(|n| ScheduledTarget::Node(n as u32)),
                Some(Some(l)) => c
                    .int_in(
                        &p("index"),
                        f.index,
                        0,
                        self.domain_levels[l].count.max(1) - 1,
                    )
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

        // [workload]
        let w = &self.workload;
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
        let keeps = choice(
            c,
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

        // [repair]
        let rp = &self.repair;
        let detection = choice(
            c,
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
        let serial = choice(
            c,
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

        // [network]
        let nw = &self.network;
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
        let transfer_timeout =
            c.duration("network.transfer_timeout_s", &nw.transfer_timeout_s, ONE_NS);
        let sharing = choice(c, "network.sharing", &nw.sharing, &SHARING_MODES);

        // [canary]
        let canary = self.canary.as_ref().map(|k| {
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
            (nodes, file, interval, timeout, start)
        });

        if !ctx.errors.is_empty() {
            return Err(ctx.errors);
        }
        // Every Option below is Some: a None always recorded an error.
        let v = |o: Option<i64>| o.expect("validated") as u32;
        Ok(Scenario {
            source: self.clone(),
            name: self.name.clone(),
            run: RunConfig {
                seed: seed.expect("validated"),
                duration: duration.expect("validated"),
                max_events: max_events.expect("validated"),
                series_interval: series_interval.expect("validated"),
                proof_mode: proof_mode.expect("validated"),
                stop_on_data_loss: r.stop_on_data_loss,
                per_node_series: r.per_node_series,
            },
            marketplace: Marketplace {
                proof_period: proof_period.expect("validated"),
                proof_timeout: proof_timeout.expect("validated"),
                downtime_blocks: downtime.expect("validated") as u8,
                max_number_of_slashes: v(max_slashes),
                slash_percentage: v(slash_pct),
                repair_reward_percentage: v(repair_pct),
                validator_reward_percentage: v(validator_pct),
                max_reservations_per_slot: v(max_res),
                request_duration_limit: duration_limit.expect("validated"),
                max_slots: v(max_slots),
                block_period: block_period.expect("validated"),
            },
            network: Network {
                client: Link {
                    up_bytes_per_s: client_up,
                    down_bytes_per_s: client_down,
                    latency: client_latency.expect("validated"),
                },
                retry_interval: retry_interval.expect("validated"),
                transfer_timeout: transfer_timeout.expect("validated"),
                sharing: sharing.expect("validated"),
            },
            canary: canary.map(|(nodes, file, interval, timeout, start)| Canary {
                nodes,
                file_bytes: file.expect("validated"),
                interval: interval.expect("validated"),
                timeout: timeout.expect("validated"),
                start: start.expect("validated"),
            }),
            domain_levels,
            node_groups,
            faults,
            scheduled_faults,
            workload: Workload {
                interarrival_s: interarrival.expect("validated"),
                arrival_times,
                max_datasets: max_datasets.expect("validated"),
                target_utilisation: util.expect("validated"),
                dataset_bytes: dataset.expect("validated"),
                nodes: v(nodes),
                tolerance: v(tolerance),
                duration: wdur.expect("validated"),
                expiry: expiry.expect("validated"),
                proof_probability: pp.expect("validated") as u64,
                price_per_byte_per_s: price.expect("validated") as u64,
                collateral_per_byte: coll.expect("validated") as u64,
                renew: w.renew,
                client_keeps_data_always: keeps.expect("validated"),
            },
            repair: Repair {
                detection: detection.expect("validated"),
                model: model.expect("validated"),
                serial: serial.expect("validated"),
                lazy_threshold: lazy.expect("validated") as u32,
            },
        })
    }
}

/// Validates a link's optional capacities and latency under `path`.
fn link(
    c: &mut Ctx,
    path: &str,
    up: &Option<RawQuantity>,
    down: &Option<RawQuantity>,
    latency: &RawQuantity,
) -> Option<Link> {
    let up = match up {
        None => Some(None),
        Some(q) => c
            .bytes(&format!("{path}.link_up_bytes_per_s"), q, 1)
            .map(Some),
    };
    let down = match down {
        None => Some(None),
        Some(q) => c
            .bytes(&format!("{path}.link_down_bytes_per_s"), q, 1)
            .map(Some),
    };
    let latency = c.duration(
        &format!("{path}.link_latency_s"),
        latency,
        SimDuration::ZERO,
    );
    Some(Link {
        up_bytes_per_s: up?,
        down_bytes_per_s: down?,
        latency: latency?,
    })
}
