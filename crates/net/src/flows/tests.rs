//! The flow network's tests: hand-computed shares, incremental against
//! full recomputation, finish tracking and deferred changes.

use super::*;
use codexsim_engine::rng::{RandomStream, StreamId};

const S: u64 = 1_000_000_000;

#[test]
fn ceil_without_the_library_matches_ceil() {
    let mut rng = RandomStream::new(7, StreamId::new("ceil", 0));
    let mut xs = vec![
        0.0,
        0.5,
        1.0,
        1.0 + f64::EPSILON,
        2.5e9,
        4.5e15,
        9.007_199_254_740_993e15,
    ];
    xs.extend([(1u64 << 53) as f64, 1.8e19, 2e19, 1e300]);
    for _ in 0..100_000 {
        let e = rng.below(70) as i32 - 10;
        xs.push(rng.uniform01_open0() * 2f64.powi(e));
    }
    for x in xs {
        let (a, b) = (ceil_non_negative(x), x.ceil());
        // Callers saturate at u64::MAX: at or above 2^64 only that matters.
        if b >= u64::MAX as f64 {
            assert!(a >= u64::MAX as f64, "{x}");
        } else {
            assert_eq!(a.to_bits(), b.to_bits(), "{x}");
        }
    }
    assert!(ceil_non_negative(f64::INFINITY) >= u64::MAX as f64);
}

fn rate_of(changes: &[RateChange], f: FlowId) -> Option<f64> {
    changes
        .iter()
        .find(|c| c.flow == f)
        .map(|c| c.rate_bytes_per_s)
}

/// `n` random resources (every seventh unlimited), the same in both
/// networks.
fn twin_resources(rng: &mut RandomStream, n: u32, a: &mut FlowNet, b: &mut FlowNet) {
    for k in 0..n {
        let cap = if k % 7 == 0 {
            f64::INFINITY
        } else {
            (10 + rng.below(200)) as f64
        };
        a.add_resource(cap);
        b.add_resource(cap);
    }
}

/// One random change in both networks at `t`: a new flow over one to
/// four of the first `resources` (two times in three, or when none is
/// live), else the abort of a live one.
fn twin_change(
    rng: &mut RandomStream,
    t: u64,
    resources: u64,
    max_size: u64,
    nets: (&mut FlowNet, &mut FlowNet),
    live: &mut Vec<(FlowId, FlowId)>,
) {
    if live.is_empty() || rng.below(3) > 0 {
        let k = 1 + rng.below(4) as usize;
        let res: Vec<u32> = (0..k).map(|_| rng.below(resources) as u32).collect();
        let cap = if rng.chance(1, 4) {
            (5 + rng.below(50)) as f64
        } else {
            f64::INFINITY
        };
        let size = 1 + rng.below(max_size);
        let (a, _) = nets.0.start(t, &res, cap, size, Purpose::Fill);
        let (b, _) = nets.1.start(t, &res, cap, size, Purpose::Fill);
        live.push((a, b));
    } else {
        let (a, b) = live.swap_remove(rng.below(live.len() as u64) as usize);
        nets.0.abort(t, a);
        nets.1.abort(t, b);
    }
}

fn assert_same_rate(ra: f64, rb: f64) {
    assert!(
        ra == rb || (ra - rb).abs() <= 1e-9 * ra.abs().max(1.0),
        "{ra} != {rb}"
    );
}

#[test]
fn a_flow_alone_takes_the_link() {
    let mut n = FlowNet::default();
    let l = n.add_resource(100.0);
    let (a, ch) = n.start(0, &[l], f64::INFINITY, 1_000, Purpose::Fill);
    assert_eq!(ch.len(), 1);
    assert_eq!(ch[0].rate_bytes_per_s, 100.0);
    assert_eq!(ch[0].finish_ns, Some(10 * S));
    assert!(n.finish(10 * S, a).is_empty());
    assert_eq!(n.resource_bytes(l), [1_000, 0, 0, 0]);
    assert_eq!(n.active_flows(), 0);
}

#[test]
fn two_flows_share_a_link_equally() {
    for mode in [Recompute::Incremental, Recompute::Full] {
        let mut n = FlowNet::new(mode);
        let l = n.add_resource(100.0);
        let (a, _) = n.start(0, &[l], f64::INFINITY, 1_000, Purpose::Fill);
        let (b, ch) = n.start(2 * S, &[l], f64::INFINITY, 1_000, Purpose::Repair);
        assert_eq!(rate_of(&ch, a), Some(50.0));
        assert_eq!(rate_of(&ch, b), Some(50.0));
        // a had 800 left at 2 s: 16 s more at 50.
        let fa = ch.iter().find(|c| c.flow == a).unwrap().finish_ns;
        assert_eq!(fa, Some(18 * S));
        let ch = n.finish(18 * S, a);
        // b moved 800 by then: 200 left at 100.
        assert_eq!(rate_of(&ch, b), Some(100.0));
        assert_eq!(ch[0].finish_ns, Some(20 * S));
        n.finish(20 * S, b);
        assert_eq!(n.resource_bytes(l), [1_000, 1_000, 0, 0]);
    }
}

#[test]
fn stats_count_recomputations_components_and_changes() {
    let mut n = FlowNet::default();
    let l = n.add_resource(100.0);
    let (a, _) = n.start(0, &[l], f64::INFINITY, 1_000, Purpose::Fill);
    let (b, _) = n.start(2 * S, &[l], f64::INFINITY, 1_000, Purpose::Fill);
    n.finish(18 * S, a);
    n.finish(20 * S, b);
    // a alone (1 flow, 1 change); a and b (2 flows, 2 changes); b after
    // a (1 flow, 1 change); nothing left after b (an empty component).
    assert_eq!(
        n.stats(),
        SharingStats {
            updates: 4,
            recomputations: 4,
            flows_recomputed: 4,
            resources_recomputed: 3,
            rate_changes: 4,
        }
    );
    // A flow that fits at its own limit is a shortcut.
    n.start(20 * S, &[l], 10.0, 1_000, Purpose::Fill);
    assert_eq!((n.stats().updates, n.stats().recomputations), (5, 4));
    // Deferred: every change is an update, an instant one recomputation.
    let mut d = FlowNet::default();
    d.defer_changes();
    let l = d.add_resource(100.0);
    for _ in 0..3 {
        d.start(0, &[l], f64::INFINITY, 1_000, Purpose::Fill);
    }
    d.set_capacity(0, l, 90.0);
    d.flush(0);
    let st = d.stats();
    assert_eq!((st.updates, st.recomputations, st.rate_changes), (4, 1, 3));
}

/// The parking lot: links L0..L3 of capacity 100 in a row; one long flow
/// crosses all of them, one short flow each link. Max-min: 50 each.
#[test]
fn parking_lot() {
    let mut n = FlowNet::default();
    let links: Vec<_> = (0..4).map(|_| n.add_resource(100.0)).collect();
    let (long, _) = n.start(0, &links, f64::INFINITY, 1 << 30, Purpose::Fill);
    let mut shorts = Vec::new();
    for &l in &links {
        shorts.push(n.start(0, &[l], f64::INFINITY, 1 << 30, Purpose::Fill).0);
    }
    assert_eq!(n.rate(long), 50.0);
    for &s in &shorts {
        assert_eq!(n.rate(s), 50.0);
    }
    // With a second link's capacity doubled, its short flow gets 150.
    let ch = n.set_capacity(0, links[1], 200.0);
    assert_eq!(rate_of(&ch, shorts[1]), Some(150.0));
    assert_eq!(n.rate(long), 50.0);
}

/// A flow limited by a disk: the disk's 30 go to the flow that needs it;
/// the other flow on the shared link gets the rest of the link.
#[test]
fn a_flow_limited_by_a_disk() {
    let mut n = FlowNet::default();
    let link = n.add_resource(100.0);
    let disk = n.add_resource(30.0);
    let (a, _) = n.start(0, &[link, disk], f64::INFINITY, 1_000, Purpose::Repair);
    let (b, _) = n.start(0, &[link], f64::INFINITY, 1_000, Purpose::Fill);
    assert_eq!(n.rate(a), 30.0);
    assert_eq!(n.rate(b), 70.0);
}

#[test]
fn a_flow_limited_by_its_own_cap() {
    let mut n = FlowNet::default();
    let link = n.add_resource(100.0);
    let (a, _) = n.start(0, &[link], 10.0, 1_000, Purpose::Fill);
    let (b, _) = n.start(0, &[link], f64::INFINITY, 1_000, Purpose::Fill);
    assert_eq!(n.rate(a), 10.0);
    assert_eq!(n.rate(b), 90.0);
    let (c, _) = n.start(0, &[], 25.0, 100, Purpose::Canary);
    assert_eq!(n.rate(c), 25.0, "no resource: only its cap");
}

#[test]
fn unrelated_flows_are_not_recomputed() {
    let mut n = FlowNet::default();
    let l1 = n.add_resource(100.0);
    let l2 = n.add_resource(100.0);
    let free = n.add_resource(f64::INFINITY);
    let (a, _) = n.start(0, &[l1, free], f64::INFINITY, 1_000, Purpose::Fill);
    let (_b, ch) = n.start(0, &[l2, free], f64::INFINITY, 1_000, Purpose::Fill);
    assert_eq!(ch.len(), 1, "an unlimited resource couples nothing");
    assert_eq!(n.rate(a), 100.0);
    let (recomputations, flows) = n.recompute_stats();
    assert_eq!((recomputations, flows), (2, 2));
}

#[test]
fn unshared_flows_run_as_if_alone() {
    let mut n = FlowNet::new(Recompute::Unshared);
    let l = n.add_resource(100.0);
    let disk = n.add_resource(30.0);
    let (a, _) = n.start(0, &[l], f64::INFINITY, 1_000, Purpose::Fill);
    let (b, ch) = n.start(0, &[l, disk], f64::INFINITY, 1_000, Purpose::Fill);
    assert_eq!(ch.len(), 1, "nobody else changes");
    assert_eq!((n.rate(a), n.rate(b)), (100.0, 30.0));
    assert!(n.finish(10 * S, a).is_empty());
    n.advance_all(10 * S);
    assert_eq!(n.resource_bytes(l), [1_300, 0, 0, 0]);
    let ch = n.set_capacity(10 * S, disk, 60.0);
    assert_eq!(ch.len(), 1);
    assert_eq!(n.rate(b), 60.0);
}

#[test]
fn aborting_accounts_what_moved() {
    let mut n = FlowNet::default();
    let l = n.add_resource(100.0);
    let (a, _) = n.start(0, &[l], f64::INFINITY, 1_000, Purpose::Fill);
    let (moved, _) = n.abort(3 * S + S / 2, a);
    assert_eq!(moved, 350);
    assert_eq!(n.resource_bytes(l), [350, 0, 0, 0]);
    assert!(!n.is_active(a));
    // The slot is reused with a new generation.
    let (b, _) = n.start(4 * S, &[l], f64::INFINITY, 10, Purpose::Fill);
    assert_eq!(b.index, a.index);
    assert_ne!(b.generation, a.generation);
    assert!(!n.is_active(a) && n.is_active(b));
}

#[test]
fn a_zero_capacity_stalls_flows() {
    let mut n = FlowNet::default();
    let l = n.add_resource(100.0);
    let (a, _) = n.start(0, &[l], f64::INFINITY, 1_000, Purpose::Fill);
    let ch = n.set_capacity(S, l, 0.0);
    assert_eq!(ch[0].finish_ns, None);
    let ch = n.set_capacity(2 * S, l, 100.0);
    assert_eq!(ch[0].flow, a);
    assert_eq!(ch[0].finish_ns, Some(11 * S), "900 left after the stall");
}

/// Incremental and full recomputation agree on random workloads.
#[test]
fn incremental_matches_full() {
    let mut rng = RandomStream::new(5, StreamId::new("flows-test", 0));
    let mut inc = FlowNet::new(Recompute::Incremental);
    let mut full = FlowNet::new(Recompute::Full);
    twin_resources(&mut rng, 40, &mut inc, &mut full);
    let mut live: Vec<(FlowId, FlowId)> = Vec::new();
    let mut t = 0u64;
    for _ in 0..3_000 {
        t += rng.below(S);
        twin_change(&mut rng, t, 40, 10_000, (&mut inc, &mut full), &mut live);
        for &(a, b) in &live {
            assert_same_rate(inc.rate(a), full.rate(b));
        }
    }
    let (_, inc_flows) = inc.recompute_stats();
    let (_, full_flows) = full.recompute_stats();
    assert!(inc_flows < full_flows, "{inc_flows} vs {full_flows}");
}

/// Deferred changes, several at an instant and one flush, give the rates
/// that the full method computes change by change; the tracked next
/// finish is the earliest of the live flows' ends.
#[test]
fn deferred_changes_match_full_and_the_next_finish_is_the_earliest() {
    let mut rng = RandomStream::new(9, StreamId::new("flows-test", 1));
    let mut def = FlowNet::new(Recompute::Incremental);
    def.defer_changes();
    def.track_finishes();
    let mut full = FlowNet::new(Recompute::Full);
    twin_resources(&mut rng, 30, &mut def, &mut full);
    let mut live: Vec<(FlowId, FlowId)> = Vec::new();
    let mut t = 0u64;
    let (mut ends, mut batches) = (0, 0);
    for step in 0..3_000 {
        let next = def.next_finish().filter(|_| step % 3 == 0);
        if let Some((f, a)) = next {
            // The next end, when due.
            t = t.max(f);
            let at = live.iter().position(|&(x, _)| x == a).expect("live");
            let (a, b) = live.swap_remove(at);
            def.finish(t, a);
            full.finish(t, b);
            ends += 1;
        } else {
            t += rng.below(S);
        }
        // One to four more changes at the same instant.
        let changes = 1 + rng.below(4);
        batches += (changes > 1) as u32;
        for _ in 0..changes {
            twin_change(&mut rng, t, 30, 100_000, (&mut def, &mut full), &mut live);
        }
        def.flush(t);
        assert!(!def.has_pending());
        let mut earliest = f64::INFINITY;
        for &(a, b) in &live {
            let ra = def.rate(a);
            assert_same_rate(ra, full.rate(b));
            if ra > 0.0 {
                let end = t as f64 + def.remaining_bytes(a, t) / ra * 1e9;
                earliest = earliest.min(end);
            }
        }
        match def.next_finish() {
            Some((f, a)) => {
                assert!(live.iter().any(|&(x, _)| x == a));
                // (A flow that nothing limits ended when it started.)
                let due = f.max(t) as f64;
                assert!((due - earliest).abs() <= 2.0, "{f} vs {earliest}");
            }
            None => assert!(earliest.is_infinite()),
        }
    }
    assert!(
        ends > 500 && batches > 1_000,
        "{ends} ends, {batches} batches"
    );
}

#[test]
fn an_extended_flow_keeps_its_rate_and_accounts_both_parts() {
    // Two flows share a 100 B/s link; one ends at 10 s and goes on with
    // 500 bytes more: rates stay 50/50, its new end is 20 s later, and the
    // link accounts both parts.
    let mut net = FlowNet::new(Recompute::Incremental);
    net.track_finishes();
    let link = net.add_resource(100.0);
    let (a, _) = net.start(0, &[link], f64::INFINITY, 500, Purpose::Canary);
    let (b, _) = net.start(0, &[link], f64::INFINITY, 10_000, Purpose::Canary);
    let (t, first) = net.next_finish().expect("a finish");
    assert_eq!((t, first), (10 * S, a));
    assert!(net.extend(t, a, 1_000).is_empty());
    assert_eq!(net.rate(a), 50.0);
    assert_eq!(net.rate(b), 50.0);
    assert_eq!(net.next_finish(), Some((30 * S, a)));
    net.finish(30 * S, a);
    assert_eq!(net.resource_bytes(link)[Purpose::Canary as usize], 1_500);
    // Without finish tracking the new finish time is returned.
    let mut plain = FlowNet::new(Recompute::Incremental);
    let link = plain.add_resource(100.0);
    let (c, _) = plain.start(0, &[link], f64::INFINITY, 100, Purpose::Fill);
    let changes = plain.extend(S, c, 300);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].finish_ns, Some(4 * S));
}
