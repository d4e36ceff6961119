//! The model's network: the link tree of the fleet, its flows, and the
//! transfers the model runs over them (fills, repairs, canary probes).
//!
//! A transfer has one or more *parts*, each a flow from one source to the
//! transfer's destination; a repair has K parts, one per surviving slot it
//! reads, in parallel. A part whose source goes away keeps the bytes it has
//! and resumes from another source (or waits). The transfer is done when
//! every part is, plus the longest part's latency.
//!
//! This is the network's state; what the model does with it is
//! `transfers.rs`, and what differs between the sharing modes `sharing.rs`.

use crate::durations::Durations;
use codexsim_config::{Link, Scenario, SharingMode};
use codexsim_engine::{EventId, SimTime};
use codexsim_net::topology::{HostSpec, LevelSpec};
use codexsim_net::{
    Endpoint, FlowId, FlowNet, LinkCapacity, Purpose, ResourceId, Topology, PURPOSES,
};

/// What a transfer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransferKind {
    /// A host downloads a slot from the client.
    Fill { sale: u32 },
    /// A host fetches K slots' worth from holders.
    Repair { sale: u32 },
    /// A host fills a renewal request's slot from the old request's holder
    /// of the same slot.
    Renewal { sale: u32 },
    /// The probe client uploads to a probe node.
    CanaryUp { round: u32 },
    /// A probe node downloads from another.
    CanaryDown { round: u32 },
}

impl TransferKind {
    /// The sale a fill, repair or renewal download serves (`None` for a
    /// canary's transfers).
    pub(crate) fn sale(self) -> Option<u32> {
        match self {
            TransferKind::Fill { sale }
            | TransferKind::Repair { sale }
            | TransferKind::Renewal { sale } => Some(sale),
            TransferKind::CanaryUp { .. } | TransferKind::CanaryDown { .. } => None,
        }
    }

    pub(crate) fn purpose(self) -> Purpose {
        match self {
            TransferKind::Fill { .. } => Purpose::Fill,
            TransferKind::Repair { .. } => Purpose::Repair,
            TransferKind::Renewal { .. } => Purpose::Renewal,
            TransferKind::CanaryUp { .. } | TransferKind::CanaryDown { .. } => Purpose::Canary,
        }
    }
}

/// How a transfer ended, as reported to what it served.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TransferEnd {
    /// Its last byte arrived at `at`, `took_s` after it started.
    Arrived { at: SimTime, took_s: f64 },
    /// It took longer than its timeout.
    TimedOut,
    /// A node it needed went offline.
    NodeDown,
}

/// One source's share of a transfer.
#[derive(Clone, Debug)]
pub(crate) struct Part {
    pub src: Endpoint,
    /// For repairs: the slot index whose data this part reads.
    pub index: u32,
    /// Bytes still to move (before the current flow).
    pub left: u64,
    pub flow: Option<FlowId>,
    /// The pending FlowDone event (unshared sharing only).
    pub event: Option<EventId>,
    pub latency_ns: u64,
    pub done: bool,
    /// Unshared fills and repairs: when the current flow ends (its rate
    /// never changes, so no event marks it).
    pub finish_ns: Option<u64>,
    /// The part's block download, when it moves as blocks (`blocks.rs`).
    pub download: Option<u32>,
}

impl Part {
    /// A part that reads `left` bytes from `src` (slot `index`'s data, for
    /// repairs), not started.
    pub(crate) fn new(src: Endpoint, index: u32, left: u64) -> Self {
        Part {
            src,
            index,
            left,
            flow: None,
            event: None,
            latency_ns: 0,
            done: false,
            finish_ns: None,
            download: None,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Transfer {
    pub generation: u32,
    pub live: bool,
    pub kind: TransferKind,
    pub dst: Endpoint,
    pub parts: Vec<Part>,
    pub started: SimTime,
    pub timeout: Option<EventId>,
    pub retry: Option<EventId>,
    /// Unshared fills and repairs: the FillReady scheduled for the end of
    /// every part, and that end.
    pub fill_ready: Option<(EventId, SimTime)>,
    /// Per-flow rate limit (the destination's software throughput).
    pub cap_bytes_per_s: f64,
}

/// Links, flows and transfers.
pub(crate) struct NetState {
    /// How transfers share links and disks (`sharing.rs` has what differs).
    pub sharing: SharingMode,
    pub flows: FlowNet,
    pub topo: Topology,
    pub transfers: Vec<Transfer>,
    free: Vec<u32>,
    /// Per flow slot: (transfer, part).
    pub flow_part: Vec<(u32, u32)>,
    /// Per request: its client.
    pub clients: Vec<Endpoint>,
    /// Per client vertex: the request it serves, the fills reading from it,
    /// and whether that request needs it no more (see
    /// [`NetState::client_done`]).
    client_owner: Vec<u32>,
    client_fills: Vec<u32>,
    client_done: Vec<bool>,
    /// An unlimited resource on every fill's path: what clients sent.
    pub client_uploads: ResourceId,
    /// Completed transfers' durations by kind (fill, repair), in bounded
    /// memory (`durations.rs`).
    pub fill_durations: Durations,
    pub repair_durations: Durations,
    /// Max-min sharing: the one event waiting for the network's next flow
    /// end, and its time (ns).
    pub next_event: Option<(EventId, u64)>,
    /// Max-min sharing: a NetFlush is scheduled for the deferred changes.
    pub flush_scheduled: bool,
    /// Flow ends are being delivered (the next-end event is set after).
    pub draining: bool,
    /// Scratch: the path of the part being started.
    pub path: Vec<ResourceId>,
    /// The block exchange, when a transfer kind uses it (`blocks.rs`).
    pub exchange: Option<codexsim_exchange::Exchange>,
    /// Each block download's (transfer, part, transfer generation).
    pub block_part: std::collections::HashMap<u32, (u32, u32, u32)>,
    /// The exchange's next timer as an event, and its time.
    pub exchange_wake: Option<(EventId, u64)>,
}

fn capacity(link: &Link) -> LinkCapacity {
    LinkCapacity {
        up_bytes_per_s: link.up_bytes_per_s.map_or(f64::INFINITY, |b| b as f64),
        down_bytes_per_s: link.down_bytes_per_s.map_or(f64::INFINITY, |b| b as f64),
        latency_ns: link.latency.as_nanos(),
    }
}

impl NetState {
    /// The scenario's tree. Levels nest (the configuration checks it).
    /// `flows` is empty, set up for the scenario's sharing mode.
    pub(crate) fn new(cfg: &Scenario, mut flows: FlowNet) -> Self {
        let levels: Vec<LevelSpec> = cfg
            .domain_levels
            .iter()
            .map(|l| LevelSpec {
                name: l.name.clone(),
                count: l.count,
                link: capacity(&l.link),
            })
            .collect();
        let doms = cfg.node_domains();
        let mut hosts = Vec::with_capacity(doms.len());
        let mut i = 0;
        for g in &cfg.node_groups {
            for _ in 0..g.count {
                hosts.push(HostSpec {
                    domains: doms[i].clone(),
                    link: capacity(&g.link),
                    disk_read_bytes_per_s: g.disk_read_bytes_per_s as f64,
                    disk_write_bytes_per_s: g.disk_write_bytes_per_s as f64,
                });
                i += 1;
            }
        }
        let topo = Topology::build(&levels, &hosts, capacity(&cfg.network.client), &mut flows)
            .expect("the configuration checks that levels nest");
        let client_uploads = flows.add_resource(f64::INFINITY);
        let exchange = cfg.uses_blocks().then(|| {
            let (params, lookup) = crate::exchange_cfg::exchange_params(cfg.exchange.as_ref());
            codexsim_exchange::Exchange::new(params, cfg.run.seed, lookup)
        });
        NetState {
            exchange,
            block_part: std::collections::HashMap::new(),
            exchange_wake: None,
            sharing: cfg.network.sharing,
            next_event: None,
            flush_scheduled: false,
            draining: false,
            path: Vec::with_capacity(8),
            client_uploads,
            flows,
            topo,
            transfers: Vec::new(),
            free: Vec::new(),
            flow_part: Vec::new(),
            clients: Vec::new(),
            client_owner: Vec::new(),
            client_fills: Vec::new(),
            client_done: Vec::new(),
            fill_durations: Durations::default(),
            repair_durations: Durations::default(),
        }
    }

    /// Request `req` (the next id) gets a client: a free vertex of the
    /// network, or a new one.
    pub(crate) fn add_client(&mut self, req: u32) -> Endpoint {
        debug_assert_eq!(self.clients.len(), req as usize);
        let client = self.topo.add_client(&mut self.flows);
        if let Endpoint::Client(c) = client {
            let c = c as usize;
            if self.client_owner.len() <= c {
                self.client_owner.resize(c + 1, u32::MAX);
                self.client_fills.resize(c + 1, 0);
                self.client_done.resize(c + 1, false);
            }
            debug_assert!(self.client_fills[c] == 0 && !self.client_done[c]);
            self.client_owner[c] = req;
        }
        self.clients.push(client);
        client
    }

    /// Request `req` needs its client no more (it started and the client
    /// keeps no data, or it is over): the client's vertex serves the next
    /// request's client once the fills reading from it are over (clients
    /// are alike), so the network holds the clients that still send, not
    /// one per request alive. Idempotent.
    pub(crate) fn client_done(&mut self, req: u32) {
        let Endpoint::Client(c) = self.clients[req as usize] else {
            return;
        };
        let c = c as usize;
        if self.client_owner[c] != req || self.client_done[c] {
            return; // released already (and maybe serving another request)
        }
        self.client_done[c] = true;
        if self.client_fills[c] == 0 {
            self.free_client(c);
        }
    }

    fn free_client(&mut self, c: usize) {
        self.client_done[c] = false;
        self.client_owner[c] = u32::MAX;
        self.topo.release_client(c as u32);
    }

    /// The clients' books: each vertex's count of fills is the number of
    /// live fill transfers reading from it, a vertex whose request is done
    /// with it still has some (else it is free), and a free vertex serves
    /// no request.
    pub(crate) fn check_clients(&self) -> Result<(), String> {
        let mut fills = vec![0u32; self.client_fills.len()];
        for tr in self.transfers.iter().filter(|t| t.live) {
            if let Some(c) = Self::fill_client(tr) {
                fills[c] += 1;
            }
        }
        for (c, &live) in fills.iter().enumerate() {
            if live != self.client_fills[c] {
                return Err(format!(
                    "client {c}: {} fills counted, {live} live",
                    self.client_fills[c]
                ));
            }
            if self.client_done[c] && live == 0 {
                return Err(format!("client {c} is done with and idle, but not free"));
            }
            let owner = self.client_owner[c];
            if owner != u32::MAX && self.clients[owner as usize] != Endpoint::Client(c as u32) {
                return Err(format!(
                    "client {c} serves request {owner}, which names another"
                ));
            }
        }
        Ok(())
    }

    /// The client a fill transfer reads from.
    fn fill_client(tr: &Transfer) -> Option<usize> {
        match (tr.kind, tr.parts.first().map(|p| p.src)) {
            (TransferKind::Fill { .. }, Some(Endpoint::Client(c))) => Some(c as usize),
            _ => None,
        }
    }

    /// A new transfer of `parts` to `dst` (not started).
    pub(crate) fn new_transfer(
        &mut self,
        kind: TransferKind,
        dst: Endpoint,
        now: SimTime,
        cap_bytes_per_s: f64,
        parts: Vec<Part>,
    ) -> u32 {
        let t = Transfer {
            generation: 0,
            live: true,
            kind,
            dst,
            parts,
            started: now,
            timeout: None,
            retry: None,
            fill_ready: None,
            cap_bytes_per_s,
        };
        if let Some(c) = Self::fill_client(&t) {
            debug_assert!(
                !self.client_done[c],
                "a fill from a client no longer needed"
            );
            self.client_fills[c] += 1;
        }
        match self.free.pop() {
            Some(i) => {
                let g = self.transfers[i as usize].generation.wrapping_add(1);
                self.transfers[i as usize] = Transfer { generation: g, ..t };
                i
            }
            None => {
                self.transfers.push(t);
                (self.transfers.len() - 1) as u32
            }
        }
    }

    /// Frees a transfer's slot (its flows must be gone).
    pub(crate) fn release(&mut self, t: u32) {
        if let Some(c) = Self::fill_client(&self.transfers[t as usize]) {
            self.client_fills[c] -= 1;
            if self.client_fills[c] == 0 && self.client_done[c] {
                self.free_client(c);
            }
        }
        let tr = &mut self.transfers[t as usize];
        debug_assert!(tr.parts.iter().all(|p| p.flow.is_none()));
        tr.live = false;
        tr.parts.clear();
        self.free.push(t);
    }

    /// Whether a transfer event is current (its slot not reused since).
    pub(crate) fn is_current(&self, t: u32, generation: u32) -> bool {
        self.transfers
            .get(t as usize)
            .is_some_and(|tr| tr.live && tr.generation == generation)
    }

    /// Transfers in progress.
    pub(crate) fn live_count(&self) -> usize {
        self.transfers.len() - self.free.len()
    }

    /// A fill's or repair's duration, for the summary.
    pub(crate) fn record_duration(&mut self, kind: TransferKind, took_s: f64) {
        match kind {
            TransferKind::Fill { .. } => self.fill_durations.push(took_s),
            TransferKind::Repair { .. } => self.repair_durations.push(took_s),
            TransferKind::Renewal { .. }
            | TransferKind::CanaryUp { .. }
            | TransferKind::CanaryDown { .. } => {}
        }
    }

    /// Live transfers (ids).
    pub(crate) fn live(&self) -> Vec<u32> {
        self.transfers
            .iter()
            .enumerate()
            .filter(|(_, t)| t.live)
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Bytes by purpose that crossed a host's link: (received, sent).
    pub(crate) fn host_traffic(&self, host: u32) -> ([u64; PURPOSES], [u64; PURPOSES]) {
        let (up, down) = self.topo.host_link(host);
        (
            self.flows.resource_bytes(down),
            self.flows.resource_bytes(up),
        )
    }

    /// Bytes by purpose written to hosts' disks (what the fleet received).
    pub(crate) fn delivered(&self) -> [u64; PURPOSES] {
        let mut out = [0; PURPOSES];
        for h in 0..self.topo.hosts() as u32 {
            let b = self.flows.resource_bytes(self.topo.host_disk(h).1);
            for p in 0..PURPOSES {
                out[p] += b[p];
            }
        }
        out
    }

    /// Bytes clients sent for fills (the client upload traffic).
    pub(crate) fn client_upload(&self) -> u64 {
        self.flows.resource_bytes(self.client_uploads)[Purpose::Fill as usize]
    }
}
