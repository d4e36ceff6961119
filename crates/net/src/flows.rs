//! Flow-level bandwidth sharing with max-min fairness.
//!
//! A *resource* is anything with a throughput: one direction of a link, a
//! disk's reads or writes. A *flow* is an active transfer: a size, a set of
//! resources it crosses, and an optional rate limit of its own (the sending
//! software's throughput). Rates are max-min fair, found by progressive
//! filling: raise every flow's rate together; when a resource is full (or a
//! flow reaches its own limit) freeze the flows it carries; go on with the
//! others.
//!
//! Rates change only when a flow starts or ends or a capacity changes, and
//! then only for flows that share a finite resource with the change,
//! directly or through other flows: the *component* of the change. Only that
//! component is recomputed ([`Recompute::Incremental`]);
//! [`Recompute::Full`] recomputes every flow, for comparison.
//!
//! Time is in integer nanoseconds, rates in bytes per second (`f64`). Every
//! change returns the flows whose rate changed with their new finish times;
//! the caller schedules those and ignores finish events of a flow whose
//! [`FlowId`] generation or finish time is stale. Alternatively the network
//! keeps the finish times ([`FlowNet::track_finishes`]) and the caller waits
//! for [`FlowNet::next_finish`] only; and with [`FlowNet::defer_changes`] the
//! changes of an instant are recomputed once, at [`FlowNet::flush`]. Bytes
//! moved are accounted per resource and purpose as integers; a finished flow
//! accounts exactly its size.
//!
//! Determinism: flows and resources are visited in index order and the
//! arithmetic does not depend on hashing or addresses, so the same calls give
//! the same rates bit for bit.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

const VERSION_MASK: u32 = (1 << 31) - 1;

/// A heap entry packed in a u128: the level (a non-negative f64, whose bits
/// order like its value) above everything, then resource before flow limit,
/// the id and a 31-bit version (ties break deterministically).
fn heap_key(level: f64, is_cap: bool, id: u32, version: u32) -> u128 {
    debug_assert!(level >= 0.0);
    ((level.to_bits() as u128) << 64)
        | ((is_cap as u128) << 63)
        | ((id as u128) << 31)
        | (version & VERSION_MASK) as u128
}

fn heap_parts(key: u128) -> (f64, bool, u32, u32) {
    (
        f64::from_bits((key >> 64) as u64),
        (key >> 63) & 1 == 1,
        ((key >> 31) & 0xffff_ffff) as u32,
        (key as u32) & VERSION_MASK,
    )
}

/// `x.ceil()` for `x >= 0` (or infinite), without the library call that
/// `ceil` compiles to on baseline x86-64 (one per rate change). Exact: below
/// 2^64 the cast truncates, which is the floor of a non-negative value, and a
/// value of 2^53 or more is already whole; above 2^64 (or infinite) the
/// result is at least 2^64, which callers saturate.
#[inline]
fn ceil_non_negative(x: f64) -> f64 {
    let t = x as u64 as f64;
    if t < x {
        t + 1.0
    } else {
        t
    }
}

/// What a transfer is for, for traffic accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Purpose {
    /// A host downloading a slot from the client to fill it.
    Fill = 0,
    /// A repairing host fetching slots' data from surviving holders.
    Repair = 1,
    /// Operators' canary probes (uploads and downloads).
    Canary = 2,
}

/// Number of purposes.
pub const PURPOSES: usize = 3;

impl Purpose {
    /// Every purpose, in index order.
    pub const ALL: [Purpose; PURPOSES] = [Purpose::Fill, Purpose::Repair, Purpose::Canary];

    /// Its name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Fill => "fill",
            Purpose::Repair => "repair",
            Purpose::Canary => "canary",
        }
    }
}

/// A resource's index.
pub type ResourceId = u32;

/// A flow: its slot and the generation of that slot (slots are reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId {
    /// The slot.
    pub index: u32,
    /// Bumped every time the slot is reused.
    pub generation: u32,
}

/// A flow whose rate changed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateChange {
    /// The flow.
    pub flow: FlowId,
    /// Its new rate.
    pub rate_bytes_per_s: f64,
    /// When it finishes at that rate (ns); `None` when the rate is 0.
    pub finish_ns: Option<u64>,
}

/// The cost of sharing so far: how often rates were recomputed and over how
/// many flows (for benchmarks and for judging how congested a run was).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SharingStats {
    /// Starts, ends and capacity changes (shortcuts included).
    pub updates: u64,
    /// Progressive fillings: updates (or instants, when changes are
    /// deferred) that no shortcut settled.
    pub recomputations: u64,
    /// Flows in their components, summed over the recomputations.
    pub flows_recomputed: u64,
    /// Finite resources in their components, summed likewise.
    pub resources_recomputed: u64,
    /// Flows whose rate changed, summed likewise.
    pub rate_changes: u64,
}

/// Which flows a change recomputes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recompute {
    /// The change's component only.
    Incremental,
    /// Every active flow (the naive method, for comparison).
    Full,
    /// No sharing: every flow runs at the rate it would have alone (its
    /// own limit and the smallest capacity on its path), fixed at its start.
    /// No contention; the fast approximation for long runs.
    Unshared,
}

#[derive(Clone, Debug)]
struct Resource {
    capacity: f64,
    /// Sum of its flows' rates.
    used: f64,
    /// Active flows crossing it (slot indices).
    flows: Vec<u32>,
    bytes: [u64; PURPOSES],
    mark: u64,
}

#[derive(Clone, Debug)]
struct Flow {
    generation: u32,
    active: bool,
    /// Every resource crossed (finite or not: all are accounted).
    resources: Vec<ResourceId>,
    cap: f64,
    size: u64,
    remaining: f64,
    accounted: u64,
    rate: f64,
    updated_ns: u64,
    purpose: Purpose,
    mark: u64,
    /// Scratch: the rate being computed.
    new_rate: f64,
}

/// The set of resources and active flows.
#[derive(Clone, Debug)]
pub struct FlowNet {
    resources: Vec<Resource>,
    flows: Vec<Flow>,
    free: Vec<u32>,
    mode: Recompute,
    epoch: u64,
    active: usize,
    /// Flows whose rate was computed, shortcuts included (one each).
    recomputed_flows: u64,
    stats: SharingStats,
    // Scratch space, kept to avoid allocation.
    comp_flows: Vec<u32>,
    comp_res: Vec<u32>,
    rem: Vec<f64>,
    count: Vec<u32>,
    version: Vec<u32>,
    /// Per resource: the epoch in which all its flows joined the component.
    bmark_done: Vec<u64>,
    boundary: Vec<u32>,
    caps: CapGroups,
    heap: BinaryHeap<Reverse<u128>>,
    /// The last recomputation held more than half of the active flows (of
    /// at least 1,024).
    last_comp_big: bool,
    /// Finish times kept by the network (see [`FlowNet::track_finishes`]).
    finishes: Finishes,
    /// Changes wait for [`FlowNet::flush`] (see [`FlowNet::defer_changes`]).
    defer: bool,
    /// Seeds of the changes since the last flush.
    pending: Vec<u32>,
    /// The smallest `min_rate` among the pending changes.
    pending_min_rate: f64,
    dirty: bool,
    /// The current recomputation's: flows slower than this keep their rates.
    min_rate: f64,
}

/// The active flows' finish times, for [`FlowNet::next_finish`]: a dense
/// list of keys (finish time, then the order in which the times were set,
/// so that flows ending at the same nanosecond come out in the order their
/// times were set) and the smallest key, cached until the flow it names
/// ends or is slowed.
#[derive(Clone, Debug, Default)]
struct Finishes {
    on: bool,
    /// Keys: finish ns in the high half, the setting's sequence number in
    /// the low half.
    keys: Vec<u128>,
    /// The flow of each key.
    owner: Vec<u32>,
    /// Per flow slot: its key's position in `keys`, or `NONE`.
    at: Vec<u32>,
    sequence: u64,
    /// The smallest key and its flow, when known.
    least: Option<(u128, u32)>,
    least_known: bool,
}

const NONE: u32 = u32::MAX;

/// Flows grouped by their own finite limit: the distinct limits (as bits of
/// non-negative `f64`s, which order like the values) in increasing order;
/// group `k`'s flows are `order[start[k]..start[k + 1]]`, in the order given.
#[derive(Clone, Debug, Default)]
struct CapGroups {
    values: Vec<u64>,
    start: Vec<u32>,
    order: Vec<u32>,
    /// Scratch: each group's next free place while grouping.
    next: Vec<u32>,
}

impl CapGroups {
    fn group(&mut self, flows: &[u32], cap: impl Fn(u32) -> f64) {
        self.values.clear();
        for &i in flows {
            let c = cap(i);
            // Linear search while the values are few.
            if c.is_finite() && (self.values.len() > 16 || !self.values.contains(&c.to_bits())) {
                self.values.push(c.to_bits());
            }
        }
        self.values.sort_unstable();
        self.values.dedup();
        let n = self.values.len();
        self.start.clear();
        self.start.resize(n + 1, 0);
        let group = |values: &[u64], c: f64| -> usize {
            if values.len() <= 16 {
                values
                    .iter()
                    .position(|&v| v == c.to_bits())
                    .expect("grouped")
            } else {
                values.binary_search(&c.to_bits()).expect("grouped")
            }
        };
        for &i in flows {
            let c = cap(i);
            if c.is_finite() {
                self.start[group(&self.values, c) + 1] += 1;
            }
        }
        for k in 0..n {
            self.start[k + 1] += self.start[k];
        }
        self.order.clear();
        self.order.resize(self.start[n] as usize, 0);
        self.next.clear();
        self.next.extend_from_slice(&self.start[..n]);
        for &i in flows {
            let c = cap(i);
            if c.is_finite() {
                let g = group(&self.values, c);
                self.order[self.next[g] as usize] = i;
                self.next[g] += 1;
            }
        }
    }
}

impl Finishes {
    /// Sets flow `i`'s finish time (`u64::MAX`: none).
    fn set(&mut self, i: u32, finish_ns: u64) {
        if !self.on {
            return;
        }
        self.sequence += 1;
        let key = ((finish_ns as u128) << 64) | self.sequence as u128;
        let i_us = i as usize;
        if self.at.len() <= i_us {
            self.at.resize(i_us + 1, NONE);
        }
        if self.at[i_us] == NONE {
            self.at[i_us] = self.keys.len() as u32;
            self.keys.push(key);
            self.owner.push(i);
        } else {
            self.keys[self.at[i_us] as usize] = key;
        }
        if self.least_known {
            match self.least {
                Some((k, j)) if j == i => {
                    if key > k {
                        self.least_known = false;
                    } else {
                        self.least = Some((key, i));
                    }
                }
                Some((k, _)) if k < key => {}
                _ => self.least = Some((key, i)),
            }
        }
    }

    /// Flow `i` ended.
    fn remove(&mut self, i: u32) {
        let i_us = i as usize;
        if !self.on || i_us >= self.at.len() || self.at[i_us] == NONE {
            return;
        }
        let pos = self.at[i_us] as usize;
        self.keys.swap_remove(pos);
        self.owner.swap_remove(pos);
        if pos < self.owner.len() {
            self.at[self.owner[pos] as usize] = pos as u32;
        }
        self.at[i_us] = NONE;
        if self.least.is_some_and(|(_, j)| j == i) {
            self.least_known = false;
        }
    }

    fn least(&mut self) -> Option<(u64, u32)> {
        if !self.least_known {
            self.least = self
                .keys
                .iter()
                .enumerate()
                .min_by_key(|&(_, &k)| k)
                .map(|(pos, &k)| (k, self.owner[pos]));
            self.least_known = true;
        }
        self.least
            .map(|(k, i)| ((k >> 64) as u64, i))
            .filter(|&(f, _)| f != u64::MAX)
    }
}

impl Default for FlowNet {
    fn default() -> Self {
        Self::new(Recompute::Incremental)
    }
}

impl FlowNet {
    /// An empty network.
    pub fn new(mode: Recompute) -> Self {
        FlowNet {
            resources: Vec::new(),
            flows: Vec::new(),
            free: Vec::new(),
            mode,
            epoch: 0,
            active: 0,
            recomputed_flows: 0,
            stats: SharingStats::default(),
            comp_flows: Vec::new(),
            comp_res: Vec::new(),
            rem: Vec::new(),
            count: Vec::new(),
            version: Vec::new(),
            bmark_done: Vec::new(),
            boundary: Vec::new(),
            caps: CapGroups::default(),
            heap: BinaryHeap::new(),
            last_comp_big: false,
            finishes: Finishes {
                least_known: true,
                ..Finishes::default()
            },
            defer: false,
            pending: Vec::new(),
            pending_min_rate: f64::INFINITY,
            dirty: false,
            min_rate: 0.0,
        }
    }

    /// Adds a resource; `f64::INFINITY` for one that never limits (it is
    /// still accounted).
    pub fn add_resource(&mut self, capacity_bytes_per_s: f64) -> ResourceId {
        assert!(
            capacity_bytes_per_s >= 0.0,
            "a capacity is a non-negative number"
        );
        self.resources.push(Resource {
            capacity: capacity_bytes_per_s,
            used: 0.0,
            flows: Vec::new(),
            bytes: [0; PURPOSES],
            mark: 0,
        });
        self.rem.push(0.0);
        self.count.push(0);
        self.version.push(0);
        self.bmark_done.push(0);
        (self.resources.len() - 1) as ResourceId
    }

    /// A resource's capacity.
    pub fn capacity(&self, r: ResourceId) -> f64 {
        self.resources[r as usize].capacity
    }

    /// Bytes moved across a resource so far, by purpose (by flows that
    /// ended, and by the others up to their abort or the last
    /// [`FlowNet::advance_all`]).
    pub fn resource_bytes(&self, r: ResourceId) -> [u64; PURPOSES] {
        self.resources[r as usize].bytes
    }

    /// Active flows.
    pub fn active_flows(&self) -> usize {
        self.active
    }

    /// Rate updates so far (one per start, end or capacity change, the
    /// shortcuts included), and flows whose rate was computed in all (one
    /// per shortcut).
    pub fn recompute_stats(&self) -> (u64, u64) {
        (self.stats.updates, self.recomputed_flows)
    }

    /// What the sharing has cost so far.
    pub fn stats(&self) -> SharingStats {
        self.stats
    }

    /// From now on the network keeps every active flow's finish time at its
    /// current rate, so that a caller can wait for [`FlowNet::next_finish`]
    /// instead of scheduling an event for every rate change; changes return
    /// no lists of rate changes then.
    pub fn track_finishes(&mut self) {
        self.finishes.on = true;
    }

    /// The next flow to finish at the current rates, and when (ns): the
    /// earliest finish time; among equal times, the flow whose time was set
    /// first. `None` when no flow is moving (or finishes are not tracked).
    /// Before a [`FlowNet::flush`] the times are those of the rates before
    /// the pending changes, which hold up to the changes' time.
    pub fn next_finish(&mut self) -> Option<(u64, FlowId)> {
        self.finishes.least().map(|(finish_ns, index)| {
            (
                finish_ns,
                FlowId {
                    index,
                    generation: self.flows[index as usize].generation,
                },
            )
        })
    }

    /// From now on starts, ends and capacity changes that need a
    /// recomputation only record it; [`FlowNet::flush`] recomputes once for
    /// all of them. Changes at the same instant then cost one recomputation
    /// (rates between them lasted no time). Until the flush, new flows have
    /// no rate and the others keep their old ones.
    pub fn defer_changes(&mut self) {
        self.defer = true;
    }

    /// Whether deferred changes wait for [`FlowNet::flush`].
    pub fn has_pending(&self) -> bool {
        self.dirty
    }

    /// Recomputes the rates after the deferred changes, at `now_ns` (the
    /// time of the changes), and returns those that changed.
    pub fn flush(&mut self, now_ns: u64) -> Vec<RateChange> {
        if !self.dirty {
            self.pending_min_rate = f64::INFINITY;
            return Vec::new();
        }
        self.dirty = false;
        let seeds = std::mem::take(&mut self.pending);
        let min_rate = std::mem::replace(&mut self.pending_min_rate, f64::INFINITY);
        let changes = self.recompute(now_ns, &seeds, None, min_rate);
        self.pending = seeds;
        self.pending.clear();
        changes
    }

    /// Whether `flow` is active (started, neither finished nor aborted).
    pub fn is_active(&self, flow: FlowId) -> bool {
        self.flows
            .get(flow.index as usize)
            .is_some_and(|f| f.active && f.generation == flow.generation)
    }

    /// A flow's current rate.
    pub fn rate(&self, flow: FlowId) -> f64 {
        let f = &self.flows[flow.index as usize];
        debug_assert_eq!(f.generation, flow.generation);
        f.rate
    }

    /// Bytes a flow still has to move at `now_ns`.
    pub fn remaining_bytes(&self, flow: FlowId, now_ns: u64) -> f64 {
        let f = &self.flows[flow.index as usize];
        debug_assert_eq!(f.generation, flow.generation);
        let dt = now_ns.saturating_sub(f.updated_ns) as f64 / 1e9;
        (f.remaining - f.rate * dt).max(0.0)
    }

    /// Changes a resource's capacity at `now_ns` (finite to finite, or
    /// unlimited to unlimited).
    pub fn set_capacity(
        &mut self,
        now_ns: u64,
        r: ResourceId,
        capacity_bytes_per_s: f64,
    ) -> Vec<RateChange> {
        assert!(capacity_bytes_per_s >= 0.0);
        self.stats.updates += 1;
        assert_eq!(
            capacity_bytes_per_s.is_finite(),
            self.resources[r as usize].capacity.is_finite(),
            "a resource stays limited or unlimited"
        );
        self.resources[r as usize].capacity = capacity_bytes_per_s;
        let seeds: Vec<u32> = self.resources[r as usize].flows.clone();
        if self.mode == Recompute::Unshared {
            // Unshared resources keep no flow lists: find the flows.
            let seeds: Vec<u32> = (0..self.flows.len() as u32)
                .filter(|&i| {
                    let f = &self.flows[i as usize];
                    f.active && f.resources.contains(&r)
                })
                .collect();
            let mut changes = Vec::new();
            for i in seeds {
                let rate = self.alone_rate(i);
                let id = FlowId {
                    index: i,
                    generation: self.flows[i as usize].generation,
                };
                if rate != self.flows[i as usize].rate {
                    self.progress(id, now_ns, false);
                    let f = &mut self.flows[i as usize];
                    f.rate = rate;
                    let finish_ns = Self::finish_time(now_ns, f.remaining, rate);
                    self.rate_changed(&mut changes, i, rate, finish_ns);
                }
            }
            return changes;
        }
        if self.defer {
            if !seeds.is_empty() {
                self.pending.extend_from_slice(&seeds);
                self.pending_min_rate = 0.0;
                self.dirty = true;
            }
            return Vec::new();
        }
        self.recompute(now_ns, &seeds, None, 0.0)
    }

    /// Starts a flow of `size_bytes` across `resources`, limited to
    /// `cap_bytes_per_s` on its own (`f64::INFINITY` for none). Returns it
    /// and the rate changes, its own included (none when changes are
    /// deferred and it needs a recomputation: see [`FlowNet::flush`]).
    pub fn start(
        &mut self,
        now_ns: u64,
        resources: &[ResourceId],
        cap_bytes_per_s: f64,
        size_bytes: u64,
        purpose: Purpose,
    ) -> (FlowId, Vec<RateChange>) {
        assert!(cap_bytes_per_s >= 0.0);
        self.stats.updates += 1;
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.flows.push(Flow {
                    generation: 0,
                    active: false,
                    resources: Vec::new(),
                    cap: 0.0,
                    size: 0,
                    remaining: 0.0,
                    accounted: 0,
                    rate: 0.0,
                    updated_ns: 0,
                    purpose,
                    mark: 0,
                    new_rate: 0.0,
                });
                (self.flows.len() - 1) as u32
            }
        };
        let f = &mut self.flows[index as usize];
        // (The slot's list keeps its allocation from flow to flow.)
        f.resources.clear();
        f.resources.extend_from_slice(resources);
        f.resources.sort_unstable();
        f.resources.dedup();
        f.generation = f.generation.wrapping_add(1);
        f.active = true;
        f.cap = cap_bytes_per_s;
        f.size = size_bytes;
        f.remaining = size_bytes as f64;
        f.accounted = 0;
        f.rate = f64::NAN; // reported as changed
        f.updated_ns = now_ns;
        f.purpose = purpose;
        let id = FlowId {
            index,
            generation: f.generation,
        };
        for &r in &self.flows[index as usize].resources {
            // Only finite resources list their flows: unlimited ones couple
            // nothing and are only accounted (and unshared flows couple
            // nothing at all).
            if self.mode != Recompute::Unshared && self.resources[r as usize].capacity.is_finite() {
                self.resources[r as usize].flows.push(index);
            }
        }
        self.active += 1;
        // Rates that need no recomputation: unshared flows run alone; a flow
        // that fits at its own limit without filling any resource changes no
        // other flow's bottleneck, so the max-min allocation is the old one
        // plus this flow at its limit.
        let fixed = match self.mode {
            Recompute::Unshared => Some(self.alone_rate(index)),
            Recompute::Incremental if !self.dirty && self.fits_at_cap(index) => {
                let rate = self.flows[index as usize].cap;
                for k in 0..self.flows[index as usize].resources.len() {
                    let r = self.flows[index as usize].resources[k] as usize;
                    self.resources[r].used += rate;
                }
                Some(rate)
            }
            _ => None,
        };
        let Some(rate) = fixed else {
            if self.defer {
                self.pending.push(index);
                self.pending_min_rate = 0.0;
                self.dirty = true;
                return (id, Vec::new());
            }
            return (id, self.recompute(now_ns, &[index], None, 0.0));
        };
        self.recomputed_flows += 1;
        self.flows[index as usize].rate = rate;
        let finish_ns = Self::finish_time(now_ns, size_bytes as f64, rate);
        let mut changes = Vec::new();
        self.rate_changed(&mut changes, index, rate, finish_ns);
        (id, changes)
    }

    /// Flow `i` has a new rate and finish time: the network keeps the time
    /// when it tracks finishes (and builds no list the caller would drop),
    /// else it goes to the caller in `changes`.
    fn rate_changed(
        &mut self,
        changes: &mut Vec<RateChange>,
        i: u32,
        rate: f64,
        finish_ns: Option<u64>,
    ) {
        if self.finishes.on {
            self.finishes.set(i, finish_ns.unwrap_or(u64::MAX));
        } else {
            changes.push(RateChange {
                flow: FlowId {
                    index: i,
                    generation: self.flows[i as usize].generation,
                },
                rate_bytes_per_s: rate,
                finish_ns,
            });
        }
    }

    /// The flow moved its last byte at `now_ns` (its finish time): it is
    /// removed, its whole size accounted.
    pub fn finish(&mut self, now_ns: u64, flow: FlowId) -> Vec<RateChange> {
        self.settle(flow, now_ns, true);
        self.remove(now_ns, flow)
    }

    /// Stops a flow before its end (a source or destination went away).
    /// Returns the bytes it had moved and the rate changes.
    pub fn abort(&mut self, now_ns: u64, flow: FlowId) -> (u64, Vec<RateChange>) {
        self.settle(flow, now_ns, false);
        let moved = self.flows[flow.index as usize].accounted;
        (moved, self.remove(now_ns, flow))
    }

    fn remove(&mut self, now_ns: u64, flow: FlowId) -> Vec<RateChange> {
        self.stats.updates += 1;
        let index = flow.index;
        assert!(self.is_active(flow), "flow {flow:?} is not active");
        let resources = std::mem::take(&mut self.flows[index as usize].resources);
        let rate = self.flows[index as usize].rate;
        // Shortcut: when none of its finite resources was full, no other
        // flow was held back by them, and no rate changes.
        let mut affects_others = false;
        let mut seeds = Vec::new();
        for &r in &resources {
            let res = &mut self.resources[r as usize];
            if res.capacity.is_finite() && Self::full(res) {
                affects_others = true;
            }
            if rate.is_finite() {
                res.used -= rate;
            }
            if res.capacity.is_finite() && self.mode != Recompute::Unshared {
                let list = &mut res.flows;
                let at = list.iter().position(|&x| x == index).expect("listed");
                list.swap_remove(at);
                seeds.extend_from_slice(&res.flows);
            }
        }
        if self.mode == Recompute::Full || self.dirty {
            affects_others = true;
        }
        self.finishes.remove(index);
        let f = &mut self.flows[index as usize];
        f.active = false;
        f.resources = resources; // keep the allocation
        f.resources.clear();
        self.free.push(index);
        self.active -= 1;
        if !affects_others || self.mode == Recompute::Unshared {
            return Vec::new();
        }
        // Flows slower than the one that ended keep their rates: in the
        // progressive filling, everything below its rate happens as before
        // (its resources fill only at or above its rate, with it or
        // without). Only flows at least as fast are recomputed.
        let min_rate = if rate.is_finite() && rate > 0.0 {
            rate * (1.0 - 1e-9)
        } else {
            0.0
        };
        if self.defer {
            self.pending.extend_from_slice(&seeds);
            self.pending_min_rate = self.pending_min_rate.min(min_rate);
            self.dirty = true;
            return Vec::new();
        }
        self.recompute(now_ns, &seeds, Some(index), min_rate)
    }

    /// Adds to the component (flows marked `epoch`, from `head` on) every
    /// resource of its flows: full ones with all their flows, the others as
    /// boundary resources.
    fn grow(&mut self, epoch: u64, head: &mut usize) {
        while *head < self.comp_flows.len() {
            let f = self.comp_flows[*head] as usize;
            *head += 1;
            for k in 0..self.flows[f].resources.len() {
                let r = self.flows[f].resources[k] as usize;
                let res = &self.resources[r];
                if !res.capacity.is_finite() {
                    continue;
                }
                let full = Self::full(res);
                if res.mark == epoch {
                    continue;
                }
                self.resources[r].mark = epoch;
                self.comp_res.push(r as u32);
                if full {
                    self.bmark_done[r] = epoch;
                    for &g in &self.resources[r].flows {
                        if self.flows[g as usize].mark != epoch && self.may_change(g) {
                            self.flows[g as usize].mark = epoch;
                            self.comp_flows.push(g);
                        }
                    }
                } else {
                    self.boundary.push(r as u32);
                }
            }
        }
    }

    /// Progressive filling of the component's flows (see `recompute`).
    fn fill(&mut self, epoch: u64) {
        // Progressive filling, in order of level: a heap of resources by
        // their fair share (capacity left / unfrozen flows) and of flows by
        // their own limit. The smallest entry freezes its flows at its level;
        // freezing a flow takes its rate off its other resources, whose
        // shares can only grow, so levels come out non-decreasing. Stale
        // heap entries carry an old version and are skipped.
        for &r in &self.comp_res {
            let r = r as usize;
            // Flows outside the component keep their rates.
            let mut rem = self.resources[r].capacity;
            let mut count = 0;
            for &g in &self.resources[r].flows {
                let f = &self.flows[g as usize];
                if f.mark == epoch {
                    count += 1;
                } else if f.rate.is_finite() {
                    rem -= f.rate;
                }
            }
            self.rem[r] = rem;
            self.count[r] = count;
            self.version[r] = self.version[r].wrapping_add(1);
        }
        for &i in &self.comp_flows {
            self.flows[i as usize].new_rate = f64::NAN;
        }
        // Flows' own limits: the distinct values in order, each with its
        // flows (there are few: transfers share their software's limit).
        let mut caps = std::mem::take(&mut self.caps);
        caps.group(&self.comp_flows, |i| self.flows[i as usize].cap);
        // When every flow has a limit, a resource whose share is above the
        // highest never holds one back (shares only grow): every flow on it
        // stops at its own limit first. Such resources stay off the heap.
        let highest_cap = if caps.order.len() == self.comp_flows.len() {
            caps.values
                .last()
                .map_or(f64::INFINITY, |&c| f64::from_bits(c))
        } else {
            f64::INFINITY
        };
        let mut heap = std::mem::take(&mut self.heap);
        heap.clear();
        for &r in &self.comp_res {
            let n = self.count[r as usize];
            if n > 0 {
                let share = self.rem[r as usize].max(0.0) / n as f64;
                if share <= highest_cap {
                    heap.push(Reverse(heap_key(share, false, r, self.version[r as usize])));
                }
            }
        }
        let mut next_cap = 0;
        let mut level = 0.0f64;
        loop {
            // The smaller of the heap's top and the next limit (a resource
            // first at the same level).
            let cap_key = caps
                .values
                .get(next_cap)
                .map(|&c| heap_key(f64::from_bits(c), true, 0, 0));
            let key = match (heap.peek(), cap_key) {
                (None, None) => break,
                (Some(&Reverse(h)), Some(c)) if c < h => c,
                (None, Some(c)) => c,
                _ => heap.pop().expect("peeked").0,
            };
            let (l, is_cap, id, version) = heap_parts(key);
            if is_cap {
                level = level.max(l);
                let (from, to) = (caps.start[next_cap], caps.start[next_cap + 1]);
                for k in from..to {
                    let f = caps.order[k as usize];
                    if self.flows[f as usize].new_rate.is_nan() {
                        self.freeze(f, level, epoch);
                    }
                }
                next_cap += 1;
            } else {
                let r = id as usize;
                if self.count[r] == 0 {
                    continue;
                }
                if version != self.version[r] & VERSION_MASK {
                    // Its share grew since: put it back at its share now.
                    let share = self.rem[r].max(0.0) / self.count[r] as f64;
                    if share <= highest_cap {
                        heap.push(Reverse(heap_key(share, false, id, self.version[r])));
                    }
                    continue;
                }
                level = level.max(l);
                let members = std::mem::take(&mut self.resources[r].flows);
                for &f in &members {
                    let g = &self.flows[f as usize];
                    if g.mark == epoch && g.new_rate.is_nan() {
                        self.freeze(f, level, epoch);
                    }
                }
                self.resources[r].flows = members;
            }
        }
        self.caps = caps;
        self.heap = heap;
        // Flows that nothing limits.
        for &i in &self.comp_flows {
            if self.flows[i as usize].new_rate.is_nan() {
                self.flows[i as usize].new_rate = f64::INFINITY;
            }
        }
    }

    /// Freezes flow `f` at `rate` and takes the rate off its resources in
    /// the component (marked `epoch`).
    fn freeze(&mut self, f: u32, rate: f64, epoch: u64) {
        self.flows[f as usize].new_rate = rate;
        for k in 0..self.flows[f as usize].resources.len() {
            let r = self.flows[f as usize].resources[k] as usize;
            if self.resources[r].mark != epoch {
                continue;
            }
            self.rem[r] -= rate;
            self.count[r] -= 1;
            // Its share can only grow: its heap entry is refreshed when it
            // comes up.
            self.version[r] = self.version[r].wrapping_add(1);
        }
    }

    /// Whether flow `g` can change rate in this recomputation: not slower
    /// than its `min_rate` (new flows have no rate yet and always can).
    fn may_change(&self, g: u32) -> bool {
        let rate = self.flows[g as usize].rate;
        rate.is_nan() || rate >= self.min_rate
    }

    /// A flow's rate alone: its own limit and its path's smallest capacity.
    fn alone_rate(&self, index: u32) -> f64 {
        let f = &self.flows[index as usize];
        f.resources
            .iter()
            .map(|&r| self.resources[r as usize].capacity)
            .fold(f.cap, f64::min)
    }

    /// Whether a resource is full (within rounding).
    fn full(r: &Resource) -> bool {
        r.used >= r.capacity * (1.0 - 1e-9)
    }

    /// Whether flow `index` (new, not yet rated) can run at its own finite
    /// limit with every finite resource it crosses still not full.
    fn fits_at_cap(&self, index: u32) -> bool {
        let f = &self.flows[index as usize];
        f.cap.is_finite()
            && f.resources.iter().all(|&r| {
                let r = &self.resources[r as usize];
                !r.capacity.is_finite() || r.used + f.cap < r.capacity * (1.0 - 1e-9)
            })
    }

    fn finish_time(now_ns: u64, remaining: f64, rate: f64) -> Option<u64> {
        if rate == f64::INFINITY || remaining <= 0.0 {
            Some(now_ns)
        } else if rate > 0.0 {
            let ns = ceil_non_negative(remaining / rate * 1e9);
            Some(now_ns.saturating_add(if ns >= u64::MAX as f64 {
                u64::MAX
            } else {
                ns as u64
            }))
        } else {
            None
        }
    }

    /// Brings a flow's progress and accounting up to `now_ns`; `complete`
    /// accounts the rest of its size.
    fn settle(&mut self, flow: FlowId, now_ns: u64, complete: bool) {
        self.progress(flow, now_ns, complete);
        let i = flow.index as usize;
        let f = &mut self.flows[i];
        let done = if complete {
            f.size
        } else {
            ((f.size as f64 - f.remaining).floor().max(0.0) as u64).min(f.size)
        };
        let delta = done.saturating_sub(f.accounted);
        f.accounted = f.accounted.max(done);
        if delta > 0 {
            let p = f.purpose as usize;
            for &r in &self.flows[i].resources {
                self.resources[r as usize].bytes[p] += delta;
            }
        }
    }

    /// Brings a flow's progress (not its accounting) up to `now_ns`, before
    /// a rate change. Accounting can wait: what a flow has moved follows
    /// from its progress alone, so accounting it later gives the same bytes.
    fn progress(&mut self, flow: FlowId, now_ns: u64, complete: bool) {
        assert!(self.is_active(flow), "flow {flow:?} is not active");
        let f = &mut self.flows[flow.index as usize];
        let dt = now_ns.saturating_sub(f.updated_ns) as f64 / 1e9;
        if f.rate.is_finite() && f.rate > 0.0 {
            f.remaining = (f.remaining - f.rate * dt).max(0.0);
        }
        if complete {
            f.remaining = 0.0;
        }
        f.updated_ns = now_ns.max(f.updated_ns);
    }

    /// Brings every active flow's accounting up to `now_ns` (for samples).
    pub fn advance_all(&mut self, now_ns: u64) {
        for i in 0..self.flows.len() {
            if self.flows[i].active {
                let id = FlowId {
                    index: i as u32,
                    generation: self.flows[i].generation,
                };
                self.settle(id, now_ns, false);
            }
        }
    }

    /// Recomputes the rates of the flows reachable from `seeds` (or of every
    /// flow in full mode) and returns those that changed.
    /// Flows slower than `min_rate` stay out of the component (their rates
    /// cannot change: see `remove`).
    fn recompute(
        &mut self,
        now_ns: u64,
        seeds: &[u32],
        removed: Option<u32>,
        min_rate: f64,
    ) -> Vec<RateChange> {
        self.min_rate = min_rate;
        self.epoch += 1;
        let epoch = self.epoch;
        self.comp_flows.clear();
        self.comp_res.clear();
        self.boundary.clear();
        // When the last component held most flows (a congested network), a
        // search would find nearly everything again: recompute all at once.
        let incremental = self.mode != Recompute::Full && !self.last_comp_big;
        match if incremental {
            Recompute::Incremental
        } else {
            Recompute::Full
        } {
            Recompute::Full => {
                for (i, f) in self.flows.iter_mut().enumerate() {
                    if f.active {
                        f.mark = epoch;
                        self.comp_flows.push(i as u32);
                    }
                }
                for (r, res) in self.resources.iter_mut().enumerate() {
                    if res.capacity.is_finite() && !res.flows.is_empty() {
                        res.mark = epoch;
                        self.comp_res.push(r as u32);
                    }
                }
            }
            // Unshared flows never reach here; like incremental, from the
            // seeds.
            Recompute::Incremental | Recompute::Unshared => {
                for &s in seeds {
                    // (Deferred seeds may have ended since.)
                    if Some(s) != removed
                        && self.flows[s as usize].active
                        && self.flows[s as usize].mark != epoch
                        && self.may_change(s)
                    {
                        self.flows[s as usize].mark = epoch;
                        self.comp_flows.push(s);
                    }
                }
            }
        }
        // In incremental mode the component grows from the seeds through
        // resources that are full (only those hold flows back); a resource
        // that is not full is a boundary: its other flows keep their rates
        // and their load is taken off its capacity. If the new rates fill a
        // boundary resource, it joins the component and the rates are
        // computed again.
        let mut head = 0;
        loop {
            if incremental {
                self.grow(epoch, &mut head);
            }
            self.fill(epoch);
            let mut grew = false;
            if incremental {
                for k in 0..self.boundary.len() {
                    let r = self.boundary[k] as usize;
                    if self.bmark_done[r] == epoch {
                        continue;
                    }
                    if self.rem[r] <= self.resources[r].capacity * 1e-9 {
                        // Now full: its flows join.
                        self.bmark_done[r] = epoch;
                        for &g in &self.resources[r].flows {
                            if self.flows[g as usize].mark != epoch && self.may_change(g) {
                                self.flows[g as usize].mark = epoch;
                                self.comp_flows.push(g);
                                grew = true;
                            }
                        }
                    }
                }
            }
            if !grew {
                break;
            }
        }
        self.recomputed_flows += self.comp_flows.len() as u64;
        self.stats.recomputations += 1;
        self.stats.flows_recomputed += self.comp_flows.len() as u64;
        self.stats.resources_recomputed += self.comp_res.len() as u64;
        // (Only worth it for large networks: small components are cheap.)
        self.last_comp_big = self.active >= 1024 && self.comp_flows.len() * 2 > self.active;
        // Loads: the component's new rates and the others' old ones.
        for &r in &self.comp_res {
            let mut used = 0.0;
            for &g in &self.resources[r as usize].flows {
                let f = &self.flows[g as usize];
                let rate = if f.mark == epoch { f.new_rate } else { f.rate };
                if rate.is_finite() {
                    used += rate;
                }
            }
            self.resources[r as usize].used = used;
        }
        let mut changes = Vec::new();
        let comp = std::mem::take(&mut self.comp_flows);
        for &i in &comp {
            let rate = self.flows[i as usize].new_rate;
            if self.flows[i as usize].rate == rate {
                continue; // its progress keeps its old reference time
            }
            // Progress up to now at the old rate, then the new rate.
            if self.flows[i as usize].rate.is_finite() {
                let id = FlowId {
                    index: i,
                    generation: self.flows[i as usize].generation,
                };
                self.progress(id, now_ns, false);
            }
            let f = &mut self.flows[i as usize];
            f.updated_ns = now_ns;
            f.rate = rate;
            let finish_ns = Self::finish_time(now_ns, f.remaining, rate);
            self.stats.rate_changes += 1;
            self.rate_changed(&mut changes, i, rate, finish_ns);
        }
        self.comp_flows = comp;
        changes
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(n.resource_bytes(l), [1_000, 0, 0]);
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
            assert_eq!(n.resource_bytes(l), [1_000, 1_000, 0]);
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
        assert_eq!(n.resource_bytes(l), [1_300, 0, 0]);
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
        assert_eq!(n.resource_bytes(l), [350, 0, 0]);
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
}
