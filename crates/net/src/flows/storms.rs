//! Random storms on fleet-like trees: the incremental network (slack
//! resources left out, changes deferred, finishes tracked) against the full
//! method recomputing every flow at every change. Rates, bytes left and the
//! next finish must agree within floating-point rounding: 1e-9 relative
//! (rates, bytes) and 1e-9 relative plus 1 ns (finish times, rounded up to
//! whole nanoseconds).

use super::*;
use codexsim_engine::rng::{RandomStream, StreamId};

const S: u64 = 1_000_000_000;

/// A tree of racks, machines and hosts (a link each, each direction, and a
/// disk's reads and writes) and clients outside; `paths` gives the finite
/// and unlimited resources of a transfer.
struct Fleet {
    rack_up: Vec<ResourceId>,
    rack_down: Vec<ResourceId>,
    card_up: Vec<ResourceId>,
    card_down: Vec<ResourceId>,
    host_up: Vec<ResourceId>,
    host_down: Vec<ResourceId>,
    disk_read: Vec<ResourceId>,
    disk_write: Vec<ResourceId>,
    client_up: Vec<ResourceId>,
    client_down: Vec<ResourceId>,
    machines_per_rack: u32,
    hosts_per_machine: u32,
}

impl Fleet {
    /// The same tree in every network; capacities drawn once.
    fn build(rng: &mut RandomStream, nets: &mut [&mut FlowNet]) -> Fleet {
        let racks = 1 + rng.below(3) as u32;
        let machines_per_rack = 1 + rng.below(4) as u32;
        let hosts_per_machine = 1 + rng.below(6) as u32;
        let clients = 1 + rng.below(12) as u32;
        let mut add = |n: u32, cap: &mut dyn FnMut() -> f64| -> Vec<ResourceId> {
            (0..n)
                .map(|_| {
                    let c = cap();
                    let ids: Vec<ResourceId> = nets.iter_mut().map(|x| x.add_resource(c)).collect();
                    assert!(ids.windows(2).all(|w| w[0] == w[1]));
                    ids[0]
                })
                .collect()
        };
        let machines = racks * machines_per_rack;
        let hosts = machines * hosts_per_machine;
        let mut draw = |lo: u64, span: u64, unlimited_one_in: u64| {
            let inf = unlimited_one_in > 0 && rng.below(unlimited_one_in) == 0;
            let c = (lo + rng.below(span)) as f64;
            move || if inf { f64::INFINITY } else { c }
        };
        let mut rack = draw(400, 400, 3);
        let rack_up = add(racks, &mut rack);
        let rack_down = add(racks, &mut rack);
        let mut card = draw(100, 200, 0);
        let card_up = add(machines, &mut card);
        let card_down = add(machines, &mut card);
        let mut host = draw(60, 100, 2);
        let host_up = add(hosts, &mut host);
        let host_down = add(hosts, &mut host);
        let mut disk = draw(40, 80, 4);
        let disk_read = add(hosts, &mut disk);
        let disk_write = add(hosts, &mut disk);
        let mut client = draw(30, 200, 5);
        let client_up = add(clients, &mut client);
        let client_down = add(clients, &mut client);
        Fleet {
            rack_up,
            rack_down,
            card_up,
            card_down,
            host_up,
            host_down,
            disk_read,
            disk_write,
            client_up,
            client_down,
            machines_per_rack,
            hosts_per_machine,
        }
    }

    fn hosts(&self) -> u64 {
        self.host_up.len() as u64
    }

    /// A random transfer's resources: host to host (a repair), client to
    /// host (a fill) or host to client.
    fn path(&self, rng: &mut RandomStream) -> Vec<ResourceId> {
        let machine = |h: u64| h as u32 / self.hosts_per_machine;
        let rack = |h: u64| machine(h) / self.machines_per_rack;
        let dst = rng.below(self.hosts());
        let mut down = vec![self.disk_write[dst as usize], self.host_down[dst as usize]];
        let mut up = Vec::new();
        let kind = rng.below(10);
        if kind < 6 {
            let src = rng.below(self.hosts());
            up.push(self.disk_read[src as usize]);
            if src != dst {
                up.push(self.host_up[src as usize]);
                if machine(src) != machine(dst) {
                    up.push(self.card_up[machine(src) as usize]);
                    down.push(self.card_down[machine(dst) as usize]);
                    if rack(src) != rack(dst) {
                        up.push(self.rack_up[rack(src) as usize]);
                        down.push(self.rack_down[rack(dst) as usize]);
                    }
                }
            }
        } else {
            let c = rng.below(self.client_up.len() as u64) as usize;
            up.push(self.client_up[c]);
            down.push(self.card_down[machine(dst) as usize]);
            down.push(self.rack_down[rack(dst) as usize]);
            if kind == 9 {
                // The other way: host to client.
                let (cu, cd) = (self.client_up[c], self.client_down[c]);
                up = vec![
                    self.disk_read[dst as usize],
                    self.host_up[dst as usize],
                    self.card_up[machine(dst) as usize],
                    self.rack_up[rack(dst) as usize],
                    cd,
                ];
                down.clear();
                let _ = cu;
            }
        }
        up.extend(down);
        up
    }

    fn any_resource(&self, rng: &mut RandomStream) -> ResourceId {
        let all = [
            &self.rack_up,
            &self.rack_down,
            &self.card_up,
            &self.card_down,
            &self.host_up,
            &self.host_down,
            &self.disk_read,
            &self.disk_write,
            &self.client_up,
            &self.client_down,
        ];
        let set = all[rng.below(all.len() as u64) as usize];
        set[rng.below(set.len() as u64) as usize]
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// One storm: `steps` instants, each with a few starts, aborts, finishes
/// due and capacity changes, the incremental network deferring them to one
/// flush per instant, the full one recomputing at every change.
fn storm(seed: u64, steps: usize, crowd: bool) {
    let mut rng = RandomStream::new(seed, StreamId::new("flow-storms", 0));
    let mut inc = FlowNet::new(Recompute::Incremental);
    inc.defer_changes();
    inc.track_finishes();
    let mut full = FlowNet::new(Recompute::Full);
    full.track_finishes();
    let fleet = Fleet::build(&mut rng, &mut [&mut inc, &mut full]);
    // Most transfers share one limit (the hosts' software), some another,
    // some none.
    let caps = [
        (20 + rng.below(30)) as f64,
        (5 + rng.below(100)) as f64,
        f64::INFINITY,
    ];
    let mut live: Vec<(FlowId, FlowId)> = Vec::new();
    let mut t = 0u64;
    let mut most_live = 0;
    for _ in 0..steps {
        // Finishes due, in the incremental network's order; the full
        // network must have them due too.
        if rng.below(2) == 0 {
            if let Some((f, _)) = inc.next_finish() {
                t = t.max(f);
            }
        } else {
            t += rng.below(S / 2);
        }
        while let Some((f, a)) = inc.next_finish() {
            if f > t {
                break;
            }
            let at = live.iter().position(|&(x, _)| x == a).expect("live");
            let (a, b) = live.swap_remove(at);
            let left = full.remaining_bytes(b, t);
            assert!(
                left <= 1e-9 * full.flows[b.index as usize].size as f64 + 1e-6,
                "{left} bytes left at the finish"
            );
            inc.finish(t, a);
            full.finish(t, b);
        }
        inc.flush(t);
        // (A crowd: many starts, long flows, so that more than 1,024 flows
        // are active and big components are recomputed whole.)
        let changes = if crowd { 8 } else { 1 + rng.below(5) };
        for _ in 0..changes {
            match rng.below(12) {
                0..=6 => {
                    let path = fleet.path(&mut rng);
                    let cap = caps[[0, 0, 0, 1, 2][rng.below(5) as usize]];
                    let big = rng.below(2);
                    let size = if crowd {
                        1_000_000 + rng.below(1_000_000)
                    } else {
                        1 + rng.below(1 + big * 5_000 + (1 - big) * 50)
                    };
                    let (a, _) = inc.start(t, &path, cap, size, Purpose::Repair);
                    let (b, _) = full.start(t, &path, cap, size, Purpose::Repair);
                    live.push((a, b));
                }
                7..=9 if !live.is_empty() && (!crowd || rng.below(4) == 0) => {
                    let (a, b) = live.swap_remove(rng.below(live.len() as u64) as usize);
                    let (ma, _) = inc.abort(t, a);
                    let (mb, _) = full.abort(t, b);
                    assert!(ma.abs_diff(mb) <= 1, "{ma} vs {mb} bytes moved");
                }
                10 => {
                    let r = fleet.any_resource(&mut rng);
                    if inc.capacity(r).is_finite() {
                        let c = if rng.below(8) == 0 {
                            0.0
                        } else {
                            (20 + rng.below(300)) as f64
                        };
                        inc.set_capacity(t, r, c);
                        full.set_capacity(t, r, c);
                    }
                }
                _ => {}
            }
        }
        inc.flush(t);
        most_live = most_live.max(live.len());
        // Rates, bytes left and the next finish agree.
        for &(a, b) in &live {
            let (ra, rb) = (inc.rate(a), full.rate(b));
            assert!(close(ra, rb), "seed {seed}: rate {ra} != {rb}");
            let (la, lb) = (inc.remaining_bytes(a, t), full.remaining_bytes(b, t));
            assert!(close(la, lb), "seed {seed}: {la} != {lb} bytes left");
        }
        match (inc.next_finish(), full.next_finish()) {
            (None, None) => {}
            (Some((fa, _)), Some((fb, _))) => {
                let (da, db) = (fa.saturating_sub(t) as f64, fb.saturating_sub(t) as f64);
                assert!(
                    (da - db).abs() <= 1e-9 * da.max(db) + 1.0,
                    "seed {seed}: next finish {fa} != {fb}"
                );
            }
            other => panic!("seed {seed}: {other:?}"),
        }
    }
    if crowd {
        assert!(most_live > 1_200, "{most_live} flows at most");
    }
    // Every byte accounted the same (within a byte per flow and resource).
    for (a, b) in live {
        inc.abort(t, a);
        full.abort(t, b);
    }
}

#[test]
fn incremental_matches_full_on_random_fleet_storms() {
    for seed in 0..40 {
        storm(seed, 400, false);
    }
}

#[test]
fn incremental_matches_full_in_crowded_storms() {
    for seed in 100..103 {
        storm(seed, 400, true);
    }
}

#[test]
fn slack_resources_never_hold_a_flow_back() {
    // Three flows limited to 30 each on a disk of 100: the disk is slack
    // and left out; a fourth flow makes it a bottleneck.
    let mut n = FlowNet::default();
    let disk = n.add_resource(100.0);
    let link = n.add_resource(1_000.0);
    let flows: Vec<FlowId> = (0..3)
        .map(|_| n.start(0, &[disk, link], 30.0, 1_000, Purpose::Repair).0)
        .collect();
    assert!(n.slack(disk as usize));
    for &f in &flows {
        assert_eq!(n.rate(f), 30.0);
    }
    let (d, _) = n.start(0, &[disk], f64::INFINITY, 1_000, Purpose::Fill);
    assert!(!n.slack(disk as usize));
    // Four on 100: the disk's fair share, 25 each.
    assert_eq!(n.rate(d), 25.0);
    for &f in &flows {
        assert_eq!(n.rate(f), 25.0);
    }
    // The disk filled: it is saturated, and its load is exact again.
    assert!(n.saturated(disk as usize));
    n.abort(S, d);
    assert!(n.slack(disk as usize));
    for &f in &flows {
        assert_eq!(n.rate(f), 30.0);
    }
}
