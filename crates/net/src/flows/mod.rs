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
//! The incremental method leaves out what cannot change: a *slack*
//! resource (every flow on it has a limit of its own, and the limits add up
//! to less than its capacity: a disk under a few transfers, a client's
//! line) never holds a flow back, so the filling skips it, and each flow
//! keeps the list of its resources that are not slack; after an end, flows
//! slower than the one that ended keep their rates. In a congested network,
//! where a component holds most flows, the component is gathered from every
//! flow instead of searched, with the same exclusions.
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
//!
//! Files: this one holds the types and the public API (resources, starting,
//! finishing and aborting flows, finish tracking, deferred changes);
//! `solver.rs` the progressive filling over a change's component;
//! `finishes.rs` the finish-time list and the grouping of flows by limit;
//! `tests.rs` and `storms.rs` the tests (the latter: random storms on
//! fleet-like trees against the full method).

mod finishes;
mod solver;
#[cfg(test)]
mod storms;
#[cfg(test)]
mod tests;

use finishes::{CapGroups, Finishes};
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
    /// A host filling a renewal request from the old request's hosts.
    Renewal = 3,
}

/// Number of purposes.
pub const PURPOSES: usize = 4;

impl Purpose {
    /// Every purpose, in index order.
    pub const ALL: [Purpose; PURPOSES] = [
        Purpose::Fill,
        Purpose::Repair,
        Purpose::Canary,
        Purpose::Renewal,
    ];

    /// Its name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Fill => "fill",
            Purpose::Repair => "repair",
            Purpose::Canary => "canary",
            Purpose::Renewal => "renewal",
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
    /// Finite resources in their components, summed likewise (slack ones,
    /// which the filling leaves out, not counted).
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
    /// The sum of its listed flows' own limits (finite ones).
    cap_sum_bytes_per_s: f64,
    /// Its listed flows without a limit of their own.
    uncapped: u32,
    bytes: [u64; PURPOSES],
    mark: u64,
}

#[derive(Clone, Debug)]
struct Flow {
    generation: u32,
    active: bool,
    /// Every resource crossed (finite or not: all are accounted).
    resources: Vec<ResourceId>,
    /// Those the solver fills: finite and not slack (in no set order).
    shared: Vec<ResourceId>,
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
    /// The current component was gathered from every flow.
    whole_network: bool,
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
            whole_network: false,
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
            cap_sum_bytes_per_s: 0.0,
            uncapped: 0,
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
        let was_slack = self.slack(r as usize);
        self.resources[r as usize].capacity = capacity_bytes_per_s;
        self.slack_changed(r as usize, was_slack);
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
                    shared: Vec::new(),
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
        for k in 0..self.flows[index as usize].resources.len() {
            let r = self.flows[index as usize].resources[k] as usize;
            // Only finite resources list their flows: unlimited ones couple
            // nothing and are only accounted (and unshared flows couple
            // nothing at all).
            if self.mode != Recompute::Unshared && self.resources[r].capacity.is_finite() {
                let was_slack = self.slack(r);
                let res = &mut self.resources[r];
                res.flows.push(index);
                if cap_bytes_per_s.is_finite() {
                    res.cap_sum_bytes_per_s += cap_bytes_per_s;
                } else {
                    res.uncapped += 1;
                }
                if was_slack {
                    // (If it stops being slack, every flow on it, this one
                    // included, gets it.)
                    self.slack_changed(r, true);
                } else {
                    self.flows[index as usize].shared.push(r as ResourceId);
                }
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

    /// The flow moved its last byte at `now_ns` (its finish time) and goes
    /// on with `more_bytes` over the same resources: the next message on
    /// the same connection. What it moved so far is accounted as by
    /// [`FlowNet::finish`]; since the set of flows is unchanged, every rate
    /// stays as it is (max-min rates do not depend on sizes) and only this
    /// flow's finish time moves. Returns that change (none when the network
    /// tracks finishes, or when the flow still waits for a flush).
    pub fn extend(&mut self, now_ns: u64, flow: FlowId, more_bytes: u64) -> Vec<RateChange> {
        self.settle(flow, now_ns, true);
        let i = flow.index;
        let f = &mut self.flows[i as usize];
        f.size += more_bytes;
        f.remaining = more_bytes as f64;
        let rate = f.rate;
        let mut changes = Vec::new();
        if rate.is_nan() {
            // Started this instant, its rate waits for the flush, which
            // sets its finish time.
            return changes;
        }
        let finish_ns = Self::finish_time(now_ns, more_bytes as f64, rate);
        self.rate_changed(&mut changes, i, rate, finish_ns);
        changes
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
        let cap = self.flows[index as usize].cap;
        self.flows[index as usize].shared.clear();
        for &r in &resources {
            let was_slack = self.slack(r as usize);
            if self.resources[r as usize].capacity.is_finite() && self.saturated(r as usize) {
                affects_others = true;
            }
            let res = &mut self.resources[r as usize];
            if rate.is_finite() {
                res.used -= rate;
            }
            if res.capacity.is_finite() && self.mode != Recompute::Unshared {
                let list = &mut res.flows;
                let at = list.iter().position(|&x| x == index).expect("listed");
                list.swap_remove(at);
                if cap.is_finite() {
                    res.cap_sum_bytes_per_s -= cap;
                } else {
                    res.uncapped -= 1;
                }
                if res.flows.is_empty() {
                    // (No drift from the running sum.)
                    res.cap_sum_bytes_per_s = 0.0;
                }
                seeds.extend_from_slice(&res.flows);
                self.slack_changed(r as usize, was_slack);
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
}
