//! The fleet's links as a tree.
//!
//! Vertices: the internet (the root), one vertex per failure domain of every
//! level (levels listed top-down, e.g. site, rack, machine), one per host and
//! one per client. Every vertex but the root has one link to its parent,
//! with an up capacity (towards the root), a down capacity and a latency:
//! a host's link is its own network interface; a machine's link is the
//! network card its hosts share; a rack's or a site's link is its uplink;
//! a client's link is its access line. Hosts also have a disk, whose reads
//! and writes are resources of their own.
//!
//! A transfer from A to B reads A's disk (if A is a host), climbs from A to
//! the lowest common ancestor over up capacities, descends to B over down
//! capacities and writes B's disk (if B is a host). Its latency is the sum
//! of the links' latencies. The tree is a petgraph graph; levels must nest
//! (every domain's hosts lie in one domain of the level above).

use petgraph::graph::{EdgeIndex, Graph, NodeIndex};
use thiserror::Error;

use crate::flows::{FlowNet, ResourceId};

/// One link's capacities (`f64::INFINITY` for unlimited) and latency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkCapacity {
    /// Towards the internet, bytes per second.
    pub up_bytes_per_s: f64,
    /// From the internet, bytes per second.
    pub down_bytes_per_s: f64,
    /// One-way latency, nanoseconds.
    pub latency_ns: u64,
}

impl LinkCapacity {
    /// An unlimited link without latency.
    pub const UNLIMITED: LinkCapacity = LinkCapacity {
        up_bytes_per_s: f64::INFINITY,
        down_bytes_per_s: f64::INFINITY,
        latency_ns: 0,
    };
}

/// One level of failure domains.
#[derive(Clone, Debug)]
pub struct LevelSpec {
    /// Its name ("machine").
    pub name: String,
    /// Domains at this level.
    pub count: u32,
    /// Every domain's link to the level above (or the internet).
    pub link: LinkCapacity,
}

/// One host.
#[derive(Clone, Debug)]
pub struct HostSpec {
    /// Its domain at every level, top-down.
    pub domains: Vec<u32>,
    /// Its own link.
    pub link: LinkCapacity,
    /// Disk reads, bytes per second.
    pub disk_read_bytes_per_s: f64,
    /// Disk writes, bytes per second.
    pub disk_write_bytes_per_s: f64,
}

/// Where a transfer starts or ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// A host of the fleet.
    Host(u32),
    /// A client outside the fleet (see [`Topology::add_client`]).
    Client(u32),
}

/// A topology that cannot be built.
#[derive(Debug, Error, PartialEq)]
pub enum TopologyError {
    /// A domain's hosts lie in two domains of the level above.
    #[error("domain_levels: {level} {domain} holds nodes of {parent_level} {a} and {parent_level} {b}; for the network, levels must nest")]
    NotNested {
        /// The level's name.
        level: String,
        /// The domain.
        domain: u32,
        /// The level above.
        parent_level: String,
        /// One parent.
        a: u32,
        /// Another.
        b: u32,
    },
    /// A host names a domain that does not exist.
    #[error("host {host}: domain {domain} of level {level} does not exist")]
    NoSuchDomain {
        /// The host.
        host: u32,
        /// The level's name.
        level: String,
        /// The domain.
        domain: u32,
    },
}

#[derive(Clone, Debug)]
enum Vertex {
    Internet,
    Domain { level: u32, index: u32 },
    Host(u32),
    Client(u32),
}

#[derive(Clone, Copy, Debug)]
struct Link {
    up: ResourceId,
    down: ResourceId,
    latency_ns: u64,
}

/// A shared link of a failure domain, for traffic accounting.
#[derive(Clone, Debug)]
pub struct SharedLink {
    /// "machine-0".
    pub name: String,
    /// Its up direction.
    pub up: ResourceId,
    /// Its down direction.
    pub down: ResourceId,
}

/// The tree of links (see the module documentation).
#[derive(Clone, Debug)]
pub struct Topology {
    graph: Graph<Vertex, Link>,
    /// Per vertex: its parent and the link to it.
    parent: Vec<Option<(NodeIndex, EdgeIndex)>>,
    depth: Vec<u32>,
    hosts: Vec<NodeIndex>,
    disks: Vec<(ResourceId, ResourceId)>,
    clients: Vec<NodeIndex>,
    free_clients: Vec<u32>,
    client_link: LinkCapacity,
    shared: Vec<SharedLink>,
}

impl Topology {
    /// Builds the tree and its resources in `net`. `client_link` is every
    /// client's access line.
    pub fn build(
        levels: &[LevelSpec],
        hosts: &[HostSpec],
        client_link: LinkCapacity,
        net: &mut FlowNet,
    ) -> Result<Topology, TopologyError> {
        let mut t = Topology {
            graph: Graph::new(),
            parent: Vec::new(),
            depth: Vec::new(),
            hosts: Vec::new(),
            disks: Vec::new(),
            clients: Vec::new(),
            free_clients: Vec::new(),
            client_link,
            shared: Vec::new(),
        };
        let root = t.vertex(Vertex::Internet, None, 0);
        // Each domain's parent: the domain of the level above that its hosts
        // lie in (they must agree).
        let mut parents: Vec<Vec<Option<u32>>> = levels
            .iter()
            .map(|l| vec![None; l.count as usize])
            .collect();
        for (h, host) in hosts.iter().enumerate() {
            for (li, l) in levels.iter().enumerate() {
                let d = host.domains[li];
                if d >= l.count {
                    return Err(TopologyError::NoSuchDomain {
                        host: h as u32,
                        level: l.name.clone(),
                        domain: d,
                    });
                }
                if li == 0 {
                    continue;
                }
                let up = host.domains[li - 1];
                match parents[li][d as usize] {
                    None => parents[li][d as usize] = Some(up),
                    Some(p) if p == up => {}
                    Some(p) => {
                        return Err(TopologyError::NotNested {
                            level: l.name.clone(),
                            domain: d,
                            parent_level: levels[li - 1].name.clone(),
                            a: p,
                            b: up,
                        })
                    }
                }
            }
        }
        let mut domain_vertex: Vec<Vec<NodeIndex>> = Vec::new();
        for (li, l) in levels.iter().enumerate() {
            let mut row = Vec::new();
            for d in 0..l.count {
                // An empty domain hangs from the internet.
                let parent = match (li, parents[li][d as usize]) {
                    (0, _) | (_, None) => root,
                    (_, Some(p)) => domain_vertex[li - 1][p as usize],
                };
                let v = t.vertex(
                    Vertex::Domain {
                        level: li as u32,
                        index: d,
                    },
                    Some((parent, l.link)),
                    net_link(net, l.link),
                );
                let (_, e) = t.parent[v.index()].expect("has a parent");
                let link = t.graph[e];
                t.shared.push(SharedLink {
                    name: format!("{}-{d}", l.name),
                    up: link.up,
                    down: link.down,
                });
                row.push(v);
            }
            domain_vertex.push(row);
        }
        for (h, host) in hosts.iter().enumerate() {
            let parent = match levels.len() {
                0 => root,
                n => domain_vertex[n - 1][host.domains[n - 1] as usize],
            };
            let link = net_link(net, host.link);
            let v = t.vertex(Vertex::Host(h as u32), Some((parent, host.link)), link);
            t.hosts.push(v);
            t.disks.push((
                net.add_resource(host.disk_read_bytes_per_s),
                net.add_resource(host.disk_write_bytes_per_s),
            ));
        }
        Ok(t)
    }

    /// Adds a vertex under `parent` with a link whose up resource is
    /// `first_resource` and down resource the next one.
    fn vertex(
        &mut self,
        v: Vertex,
        parent: Option<(NodeIndex, LinkCapacity)>,
        first_resource: ResourceId,
    ) -> NodeIndex {
        let n = self.graph.add_node(v);
        match parent {
            None => {
                self.parent.push(None);
                self.depth.push(0);
            }
            Some((p, cap)) => {
                let e = self.graph.add_edge(
                    n,
                    p,
                    Link {
                        up: first_resource,
                        down: first_resource + 1,
                        latency_ns: cap.latency_ns,
                    },
                );
                self.parent.push(Some((p, e)));
                let d = self.depth[p.index()] + 1;
                self.depth.push(d);
            }
        }
        n
    }

    /// Hosts in the tree.
    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    /// A host's own link: (up, down) resources.
    pub fn host_link(&self, host: u32) -> (ResourceId, ResourceId) {
        let (_, e) = self.parent[self.hosts[host as usize].index()].expect("hosts have links");
        (self.graph[e].up, self.graph[e].down)
    }

    /// An endpoint's own link (a host's interface, a client's line): (up,
    /// down) resources.
    pub fn endpoint_link(&self, e: Endpoint) -> (ResourceId, ResourceId) {
        let (_, l) = self.parent[self.vertex_of(e).index()].expect("endpoints have links");
        (self.graph[l].up, self.graph[l].down)
    }

    /// A host's disk: (read, write) resources.
    pub fn host_disk(&self, host: u32) -> (ResourceId, ResourceId) {
        self.disks[host as usize]
    }

    /// Every failure domain's link, level by level.
    pub fn shared_links(&self) -> &[SharedLink] {
        &self.shared
    }

    /// A new client with its own access line (reusing a released one's
    /// vertex and resources).
    pub fn add_client(&mut self, net: &mut FlowNet) -> Endpoint {
        if let Some(c) = self.free_clients.pop() {
            return Endpoint::Client(c);
        }
        let id = self.clients.len() as u32;
        let link = net_link(net, self.client_link);
        let v = self.vertex(
            Vertex::Client(id),
            Some((NodeIndex::new(0), self.client_link)),
            link,
        );
        self.clients.push(v);
        Endpoint::Client(id)
    }

    /// The client is gone; its vertex may serve another client.
    pub fn release_client(&mut self, client: u32) {
        debug_assert!(!self.free_clients.contains(&client));
        self.free_clients.push(client);
    }

    fn vertex_of(&self, e: Endpoint) -> NodeIndex {
        match e {
            Endpoint::Host(h) => self.hosts[h as usize],
            Endpoint::Client(c) => self.clients[c as usize],
        }
    }

    /// The resources a transfer from `src` to `dst` crosses, and its
    /// latency in nanoseconds.
    pub fn path(&self, src: Endpoint, dst: Endpoint) -> (Vec<ResourceId>, u64) {
        let mut res = Vec::with_capacity(8);
        let latency = self.path_into(src, dst, &mut res);
        (res, latency)
    }

    /// [`Topology::path`] into `out` (cleared first), for callers that keep
    /// one buffer for every transfer. Returns the latency in nanoseconds.
    pub fn path_into(&self, src: Endpoint, dst: Endpoint, out: &mut Vec<ResourceId>) -> u64 {
        out.clear();
        let mut latency = 0u64;
        if let Endpoint::Host(h) = src {
            out.push(self.disks[h as usize].0);
        }
        let (mut a, mut b) = (self.vertex_of(src), self.vertex_of(dst));
        let (mut x, mut y) = (a, b);
        while x != y {
            if self.depth[x.index()] >= self.depth[y.index()] {
                x = self.parent[x.index()].expect("not the root").0;
            } else {
                y = self.parent[y.index()].expect("not the root").0;
            }
        }
        // Up from the source to the common ancestor, then down to the
        // destination (walked from the destination up, hence reversed).
        while a != x {
            let (p, e) = self.parent[a.index()].expect("not the root");
            out.push(self.graph[e].up);
            latency += self.graph[e].latency_ns;
            a = p;
        }
        let down_from = out.len();
        while b != x {
            let (p, e) = self.parent[b.index()].expect("not the root");
            out.push(self.graph[e].down);
            latency += self.graph[e].latency_ns;
            b = p;
        }
        out[down_from..].reverse();
        if let Endpoint::Host(h) = dst {
            out.push(self.disks[h as usize].1);
        }
        latency
    }

    /// A description of a vertex (for messages).
    pub fn describe(&self, e: Endpoint) -> String {
        match self.graph[self.vertex_of(e)] {
            Vertex::Host(h) => format!("node {h}"),
            Vertex::Client(c) => format!("client {c}"),
            Vertex::Domain { level, index } => format!("domain {level}/{index}"),
            Vertex::Internet => "the internet".into(),
        }
    }
}

/// Adds a link's two resources (up, then down) and returns the first.
fn net_link(net: &mut FlowNet, cap: LinkCapacity) -> ResourceId {
    let up = net.add_resource(cap.up_bytes_per_s);
    let down = net.add_resource(cap.down_bytes_per_s);
    debug_assert_eq!(down, up + 1);
    up
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::Purpose;

    fn link(up: f64, down: f64, latency_ns: u64) -> LinkCapacity {
        LinkCapacity {
            up_bytes_per_s: up,
            down_bytes_per_s: down,
            latency_ns,
        }
    }

    /// Two racks of two machines of two hosts each.
    fn tree(net: &mut FlowNet) -> Topology {
        let levels = vec![
            LevelSpec {
                name: "rack".into(),
                count: 2,
                link: link(1000.0, 1000.0, 5),
            },
            LevelSpec {
                name: "machine".into(),
                count: 4,
                link: link(100.0, 100.0, 2),
            },
        ];
        let hosts: Vec<HostSpec> = (0..8)
            .map(|h| HostSpec {
                domains: vec![h / 4, h / 2],
                link: link(f64::INFINITY, f64::INFINITY, 1),
                disk_read_bytes_per_s: 50.0,
                disk_write_bytes_per_s: 40.0,
            })
            .collect();
        Topology::build(&levels, &hosts, link(10.0, 20.0, 100), net).unwrap()
    }

    #[test]
    fn paths_climb_to_the_common_ancestor() {
        let mut net = FlowNet::default();
        let t = tree(&mut net);
        let m = |i: usize| &t.shared_links()[2 + i];
        let r = |i: usize| &t.shared_links()[i];
        // Same machine: disks and host links only.
        let (p, lat) = t.path(Endpoint::Host(0), Endpoint::Host(1));
        assert_eq!(
            p,
            vec![
                t.host_disk(0).0,
                t.host_link(0).0,
                t.host_link(1).1,
                t.host_disk(1).1
            ]
        );
        assert_eq!(lat, 2);
        // Other machine, same rack: both machine links.
        let (p, lat) = t.path(Endpoint::Host(0), Endpoint::Host(2));
        assert!(p.contains(&m(0).up) && p.contains(&m(1).down));
        assert!(!p.contains(&r(0).up));
        assert_eq!(lat, 1 + 2 + 2 + 1);
        // Other rack: rack links too.
        let (p, lat) = t.path(Endpoint::Host(0), Endpoint::Host(7));
        assert!(p.contains(&r(0).up) && p.contains(&r(1).down));
        assert!(p.contains(&m(0).up) && p.contains(&m(3).down));
        assert_eq!(lat, 1 + 2 + 5 + 5 + 2 + 1);
        assert_eq!(p.len(), 8);
    }

    #[test]
    fn a_client_sends_over_its_line_and_down_the_tree() {
        let mut net = FlowNet::default();
        let mut t = tree(&mut net);
        let c = t.add_client(&mut net);
        let (p, lat) = t.path(c, Endpoint::Host(5));
        assert_eq!(lat, 100 + 5 + 2 + 1);
        assert_eq!(
            p.len(),
            5,
            "client up, rack down, machine down, host down, disk write"
        );
        // Alone, the transfer runs at the slowest: the client's 10 B/s line.
        let (f, _) = net.start(0, &p, f64::INFINITY, 100, Purpose::Fill);
        assert_eq!(net.rate(f), 10.0);
        t.release_client(0);
        assert_eq!(t.add_client(&mut net), c, "released clients are reused");
    }

    #[test]
    fn hosts_behind_one_machine_card_share_it() {
        let mut net = FlowNet::default();
        let t = tree(&mut net);
        // Hosts 2 and 3 (machine 1) both download from machine 0's hosts:
        // machine 1's card (100 down) is the bottleneck, 50 each (the
        // disks allow 50 and 40: the writes cap nothing here).
        let (p1, _) = t.path(Endpoint::Host(0), Endpoint::Host(2));
        let (p2, _) = t.path(Endpoint::Host(1), Endpoint::Host(3));
        let (a, _) = net.start(0, &p1, f64::INFINITY, 1000, Purpose::Repair);
        let (b, _) = net.start(0, &p2, f64::INFINITY, 1000, Purpose::Repair);
        assert_eq!(net.rate(a), 40.0, "host 2's disk writes 40");
        assert_eq!(net.rate(b), 40.0);
    }

    #[test]
    fn levels_must_nest() {
        let mut net = FlowNet::default();
        let levels = vec![
            LevelSpec {
                name: "rack".into(),
                count: 2,
                link: LinkCapacity::UNLIMITED,
            },
            LevelSpec {
                name: "machine".into(),
                count: 3,
                link: LinkCapacity::UNLIMITED,
            },
        ];
        let hosts: Vec<HostSpec> = (0..6u32)
            .map(|h| HostSpec {
                domains: vec![h % 2, h % 3],
                link: LinkCapacity::UNLIMITED,
                disk_read_bytes_per_s: 1.0,
                disk_write_bytes_per_s: 1.0,
            })
            .collect();
        let e = Topology::build(&levels, &hosts, LinkCapacity::UNLIMITED, &mut net).unwrap_err();
        assert!(matches!(e, TopologyError::NotNested { .. }), "{e}");
        assert!(e.to_string().contains("must nest"), "{e}");
    }
}
