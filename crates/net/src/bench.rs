//! A benchmark workload for the bandwidth sharing alone: a fleet-like set of
//! resources, N concurrent flows between random endpoints, then a steady
//! churn (one flow ends, another starts, so N stays constant) applied to
//! [`Recompute::Incremental`] and [`Recompute::Full`] networks alike.
//!
//! Every random draw is made once, in [`Workload::generate`], before anything
//! is timed: both modes replay the identical sequence of operations, and the
//! timed loop does nothing but call [`FlowNet`].

use std::time::{Duration, Instant};

use codexsim_engine::rng::{RandomStream, StreamId};

use crate::flows::{FlowId, FlowNet, Purpose, Recompute, ResourceId};
use crate::topology::{Endpoint, HostSpec, LevelSpec, LinkCapacity, Topology};

/// The resources of the benchmark's fleet: racks of machines of hosts, and
/// clients outside. Hosts are spread round-robin (host `i` on machine
/// `i mod machines`, machine `m` in rack `m mod racks`).
#[derive(Clone, Debug, PartialEq)]
pub struct FleetShape {
    /// Hosts (storage nodes).
    pub hosts: u32,
    /// Machines (shared network cards); a multiple of `racks`.
    pub machines: u32,
    /// Racks (shared uplinks).
    pub racks: u32,
    /// Clients outside the fleet.
    pub clients: u32,
    /// A rack's uplink, each direction, bytes per second.
    pub rack_link_bytes_per_s: f64,
    /// A machine's network card, each direction, bytes per second.
    pub machine_link_bytes_per_s: f64,
    /// A host's own link, each direction, bytes per second.
    pub host_link_bytes_per_s: f64,
    /// A host's disk, reads and writes each, bytes per second.
    pub disk_bytes_per_s: f64,
    /// A client's access line towards the internet, bytes per second.
    pub client_up_bytes_per_s: f64,
    /// A client's access line from the internet, bytes per second.
    pub client_down_bytes_per_s: f64,
    /// A host's own transfer rate (the cap of fills and repairs), bytes per
    /// second.
    pub host_transfer_bytes_per_s: f64,
}

impl Default for FleetShape {
    /// 1,000 hosts on 50 machines in 5 racks, 200 clients: 100 Gbit/s rack
    /// uplinks, 10 Gbit/s machine cards, 1 Gbit/s host links, 200 MB/s
    /// disks, 100/400 Mbit/s client lines, 100 MB/s host transfer rate.
    fn default() -> Self {
        FleetShape {
            hosts: 1_000,
            machines: 50,
            racks: 5,
            clients: 200,
            rack_link_bytes_per_s: 12.5e9,
            machine_link_bytes_per_s: 1.25e9,
            host_link_bytes_per_s: 125e6,
            disk_bytes_per_s: 200e6,
            client_up_bytes_per_s: 12.5e6,
            client_down_bytes_per_s: 50e6,
            host_transfer_bytes_per_s: 100e6,
        }
    }
}

impl FleetShape {
    /// Builds the fleet's resources in `net` (always the same resource ids
    /// for the same shape).
    pub fn build(&self, net: &mut FlowNet) -> Topology {
        assert!(
            self.hosts > 0 && self.racks > 0,
            "a fleet has hosts and racks"
        );
        assert!(
            self.machines > 0 && self.machines % self.racks == 0,
            "machines must be a multiple of racks"
        );
        let link = |b: f64| LinkCapacity {
            up_bytes_per_s: b,
            down_bytes_per_s: b,
            latency_ns: 0,
        };
        let levels = [
            LevelSpec {
                name: "rack".into(),
                count: self.racks,
                link: link(self.rack_link_bytes_per_s),
            },
            LevelSpec {
                name: "machine".into(),
                count: self.machines,
                link: link(self.machine_link_bytes_per_s),
            },
        ];
        let hosts: Vec<HostSpec> = (0..self.hosts)
            .map(|h| {
                let machine = h % self.machines;
                HostSpec {
                    domains: vec![machine % self.racks, machine],
                    link: link(self.host_link_bytes_per_s),
                    disk_read_bytes_per_s: self.disk_bytes_per_s,
                    disk_write_bytes_per_s: self.disk_bytes_per_s,
                }
            })
            .collect();
        let client_link = LinkCapacity {
            up_bytes_per_s: self.client_up_bytes_per_s,
            down_bytes_per_s: self.client_down_bytes_per_s,
            latency_ns: 0,
        };
        let mut t =
            Topology::build(&levels, &hosts, client_link, net).expect("round-robin levels nest");
        for _ in 0..self.clients {
            t.add_client(net);
        }
        t
    }
}

/// One flow to start.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSpec {
    /// The resources it crosses (its path in the fleet).
    pub resources: Vec<ResourceId>,
    /// Its own rate limit, bytes per second (`f64::INFINITY` for none).
    pub cap_bytes_per_s: f64,
    /// Its size, bytes.
    pub size_bytes: u64,
    /// What it is for.
    pub purpose: Purpose,
}

/// One step of the churn: a live flow ends, a new one starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Simulated time since the previous step, nanoseconds.
    pub dt_ns: u64,
    /// Position of the ending flow in the list of live flows.
    pub victim: usize,
    /// Whether it is aborted (else finished).
    pub abort: bool,
    /// The flow started in its place (it takes the victim's position).
    pub start: FlowSpec,
}

/// The benchmark's operations: the fleet, the initial flows, the churn.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The fleet.
    pub shape: FleetShape,
    /// Flows started before the churn, all at time 0.
    pub initial: Vec<FlowSpec>,
    /// The churn.
    pub changes: Vec<Change>,
}

/// A random flow: 30 % fills (a client's data downloaded by a host), 60 %
/// repairs (host to host), 10 % canary uploads or downloads between a client
/// and a host. Fills and repairs are capped at the host's transfer rate.
fn random_flow(
    rng: &mut RandomStream,
    shape: &FleetShape,
    topology: &Topology,
    clients: &[Endpoint],
) -> FlowSpec {
    let host = |rng: &mut RandomStream| Endpoint::Host(rng.below(shape.hosts as u64) as u32);
    let client = |rng: &mut RandomStream| {
        if clients.is_empty() {
            Endpoint::Host(rng.below(shape.hosts as u64) as u32)
        } else {
            clients[rng.below(clients.len() as u64) as usize]
        }
    };
    let kind = rng.below(10);
    let (src, dst, cap, purpose) = if kind < 3 {
        let c = client(rng);
        (c, host(rng), shape.host_transfer_bytes_per_s, Purpose::Fill)
    } else if kind < 9 {
        let a = host(rng);
        let mut b = host(rng);
        while b == a && shape.hosts > 1 {
            b = host(rng);
        }
        (a, b, shape.host_transfer_bytes_per_s, Purpose::Repair)
    } else {
        let (c, h) = (client(rng), host(rng));
        if rng.chance(1, 2) {
            (c, h, f64::INFINITY, Purpose::Canary)
        } else {
            (h, c, f64::INFINITY, Purpose::Canary)
        }
    };
    let (resources, _) = topology.path(src, dst);
    // 1 MiB to 1 GiB.
    let size_bytes = (1u64 << 20) << rng.below(11);
    FlowSpec {
        resources,
        cap_bytes_per_s: cap,
        size_bytes,
        purpose,
    }
}

impl Workload {
    /// `flows` initial flows and `changes` churn steps on `shape`, drawn from
    /// the stream ("bench-flows", 0) of `seed`.
    pub fn generate(shape: FleetShape, flows: usize, changes: usize, seed: u64) -> Workload {
        assert!(flows > 0, "the churn needs at least one live flow");
        let mut rng = RandomStream::new(seed, StreamId::new("bench-flows", 0));
        let mut scratch = FlowNet::default();
        let topology = shape.build(&mut scratch);
        let clients: Vec<Endpoint> = (0..shape.clients).map(Endpoint::Client).collect();
        let initial = (0..flows)
            .map(|_| random_flow(&mut rng, &shape, &topology, &clients))
            .collect();
        let changes = (0..changes)
            .map(|_| Change {
                dt_ns: 1 + rng.below(10_000_000),
                victim: rng.below(flows as u64) as usize,
                abort: rng.chance(1, 2),
                start: random_flow(&mut rng, &shape, &topology, &clients),
            })
            .collect();
        Workload {
            shape,
            initial,
            changes,
        }
    }

    /// A network in `mode` with the fleet's resources and the initial flows
    /// started.
    pub fn load(&self, mode: Recompute) -> Loaded {
        let mut net = FlowNet::new(mode);
        self.shape.build(&mut net);
        let live = self
            .initial
            .iter()
            .map(|f| {
                net.start(0, &f.resources, f.cap_bytes_per_s, f.size_bytes, f.purpose)
                    .0
            })
            .collect();
        Loaded {
            net,
            live,
            now_ns: 0,
        }
    }
}

/// A network with live flows, ready for the churn.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The network.
    pub net: FlowNet,
    /// The live flows, in the order [`Change::victim`] refers to.
    pub live: Vec<FlowId>,
    /// The simulated time reached.
    pub now_ns: u64,
}

/// What a stretch of churn cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChurnStats {
    /// Steps applied.
    pub changes: u64,
    /// Recomputations made (two per step: the end, the start).
    pub recomputations: u64,
    /// Flows recomputed in all.
    pub flows_recomputed: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl ChurnStats {
    /// Mean wall time per recomputation, microseconds.
    pub fn us_per_recomputation(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / self.recomputations.max(1) as f64
    }

    /// Mean flows recomputed per recomputation.
    pub fn flows_per_recomputation(&self) -> f64 {
        self.flows_recomputed as f64 / self.recomputations.max(1) as f64
    }
}

impl std::ops::Add for ChurnStats {
    type Output = ChurnStats;
    fn add(self, o: ChurnStats) -> ChurnStats {
        ChurnStats {
            changes: self.changes + o.changes,
            recomputations: self.recomputations + o.recomputations,
            flows_recomputed: self.flows_recomputed + o.flows_recomputed,
            elapsed: self.elapsed + o.elapsed,
        }
    }
}

impl Loaded {
    /// Applies `changes` in order, timing them.
    pub fn churn(&mut self, changes: &[Change]) -> ChurnStats {
        let (r0, f0) = self.net.recompute_stats();
        let t = Instant::now();
        for c in changes {
            self.now_ns += c.dt_ns;
            let victim = self.live[c.victim];
            let ended = if c.abort {
                self.net.abort(self.now_ns, victim).1
            } else {
                self.net.finish(self.now_ns, victim)
            };
            let (id, started) = self.net.start(
                self.now_ns,
                &c.start.resources,
                c.start.cap_bytes_per_s,
                c.start.size_bytes,
                c.start.purpose,
            );
            self.live[c.victim] = id;
            std::hint::black_box((ended, started));
        }
        let elapsed = t.elapsed();
        let (r1, f1) = self.net.recompute_stats();
        ChurnStats {
            changes: changes.len() as u64,
            recomputations: r1 - r0,
            flows_recomputed: f1 - f0,
            elapsed,
        }
    }

    /// The live flows' rates, bytes per second, in [`Loaded::live`] order.
    pub fn rates(&self) -> Vec<f64> {
        self.live.iter().map(|&f| self.net.rate(f)).collect()
    }

    /// Distinct rates among the live flows: the levels at which progressive
    /// filling froze them.
    pub fn distinct_rates(&self) -> usize {
        let mut r = self.rates();
        r.sort_by(f64::total_cmp);
        r.dedup();
        r.len()
    }
}

/// Checks that two lists of rates agree within `rel` relative; the first
/// disagreement otherwise.
pub fn rates_agree(a: &[f64], b: &[f64], rel: f64) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{} rates against {}", a.len(), b.len()));
    }
    for (k, (&x, &y)) in a.iter().zip(b).enumerate() {
        if !(x == y || (x - y).abs() <= rel * x.abs().max(y.abs())) {
            return Err(format!("flow {k}: rate {x} against {y}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> FleetShape {
        FleetShape {
            hosts: 60,
            machines: 6,
            racks: 2,
            clients: 10,
            ..FleetShape::default()
        }
    }

    #[test]
    fn the_workload_is_deterministic() {
        let a = Workload::generate(small(), 50, 20, 7);
        let b = Workload::generate(small(), 50, 20, 7);
        assert_eq!(a.initial, b.initial);
        assert_eq!(a.changes, b.changes);
        let c = Workload::generate(small(), 50, 20, 8);
        assert_ne!(a.changes, c.changes, "another seed, other draws");
    }

    #[test]
    fn the_churn_keeps_n_flows_active() {
        let w = Workload::generate(small(), 200, 100, 1);
        let mut l = w.load(Recompute::Incremental);
        assert_eq!(l.net.active_flows(), 200);
        let s = l.churn(&w.changes);
        assert_eq!(l.net.active_flows(), 200);
        assert_eq!(s.changes, 100);
        assert_eq!(s.recomputations, 200, "one for the end, one for the start");
        assert!(s.flows_per_recomputation() >= 1.0);
        for &f in &l.live {
            assert!(l.net.is_active(f));
        }
        let rates = l.rates();
        assert!(rates.iter().all(|r| r.is_finite() && *r > 0.0), "{rates:?}");
        let d = l.distinct_rates();
        assert!(d >= 1 && d <= rates.len(), "{d}");
    }

    #[test]
    fn both_modes_agree_and_full_recomputes_everything() {
        let w = Workload::generate(small(), 300, 150, 3);
        let mut inc = w.load(Recompute::Incremental);
        let mut full = w.load(Recompute::Full);
        rates_agree(&inc.rates(), &full.rates(), 1e-9).unwrap();
        let a = inc.churn(&w.changes[..50]) + inc.churn(&w.changes[50..]);
        let b = full.churn(&w.changes);
        assert_eq!(a.recomputations, b.recomputations);
        rates_agree(&inc.rates(), &full.rates(), 1e-9).unwrap();
        // A full recomputation covers every live flow (one fewer after an end).
        let per = b.flows_per_recomputation();
        assert!((299.0..=300.0).contains(&per), "{per}");
        assert!(a.flows_recomputed <= b.flows_recomputed);
    }

    #[test]
    fn the_fleet_has_its_resources() {
        let shape = FleetShape::default();
        let mut net = FlowNet::default();
        let t = shape.build(&mut net);
        assert_eq!(t.hosts(), 1_000);
        assert_eq!(t.shared_links().len(), 55);
        // A repair across racks: disk read, host, machine and rack up, then
        // down again, disk write.
        let (p, _) = t.path(Endpoint::Host(0), Endpoint::Host(1));
        assert_eq!(p.len(), 8);
        let (p, _) = t.path(Endpoint::Client(0), Endpoint::Host(1));
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn rates_agree_is_relative() {
        assert!(rates_agree(&[1e6, 2.0], &[1e6 * (1.0 + 1e-12), 2.0], 1e-9).is_ok());
        assert!(rates_agree(&[1e6], &[1.001e6], 1e-9).is_err());
        assert!(rates_agree(&[1.0], &[1.0, 2.0], 1e-9).is_err());
    }
}
