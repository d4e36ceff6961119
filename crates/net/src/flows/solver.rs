//! The max-min solver: progressive filling over the component of a change
//! (or every flow), freezing flows at full resources or at their own
//! limits; finish times, and bytes moved settled as flows progress.

use super::*;

impl FlowNet {
    /// Adds to the component (flows marked `epoch`, from `head` on) every
    /// resource of its flows: full ones with all their flows, the others as
    /// boundary resources.
    pub(super) fn grow(&mut self, epoch: u64, head: &mut usize) {
        while *head < self.comp_flows.len() {
            let f = self.comp_flows[*head] as usize;
            *head += 1;
            for k in 0..self.flows[f].shared.len() {
                let r = self.flows[f].shared[k] as usize;
                let res = &self.resources[r];
                if res.mark == epoch {
                    continue;
                }
                let full = Self::full(res);
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
    pub(super) fn fill(&mut self, epoch: u64) {
        // Progressive filling, in order of level: a heap of resources by
        // their fair share (capacity left / unfrozen flows) and of flows by
        // their own limit. The smallest entry freezes its flows at its level;
        // freezing a flow takes its rate off its other resources, whose
        // shares can only grow, so levels come out non-decreasing. Stale
        // heap entries carry an old version and are skipped.
        // (When a whole-network gathering left no flow out for its rate,
        // every flow on a component resource is in the component.)
        let every_flow = self.whole_network;
        for &r in &self.comp_res {
            let r = r as usize;
            // Flows outside the component keep their rates.
            let mut rem = self.resources[r].capacity;
            let mut count = 0;
            if every_flow {
                // (Every flow is in the component: nothing to take off.)
                count = self.resources[r].flows.len() as u32;
            } else {
                for &g in &self.resources[r].flows {
                    let f = &self.flows[g as usize];
                    if f.mark == epoch {
                        count += 1;
                    } else if f.rate.is_finite() {
                        rem -= f.rate;
                    }
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
    pub(super) fn freeze(&mut self, f: u32, rate: f64, epoch: u64) {
        self.flows[f as usize].new_rate = rate;
        // (Every shared resource of a flow in the component is in it.)
        for k in 0..self.flows[f as usize].shared.len() {
            let r = self.flows[f as usize].shared[k] as usize;
            debug_assert_eq!(self.resources[r].mark, epoch);
            self.rem[r] -= rate;
            self.count[r] -= 1;
            // Its share can only grow: its heap entry is refreshed when it
            // comes up.
            self.version[r] = self.version[r].wrapping_add(1);
        }
    }

    /// Whether flow `g` can change rate in this recomputation: not slower
    /// than its `min_rate` (new flows have no rate yet and always can).
    pub(super) fn may_change(&self, g: u32) -> bool {
        let rate = self.flows[g as usize].rate;
        rate.is_nan() || rate >= self.min_rate
    }

    /// A flow's rate alone: its own limit and its path's smallest capacity.
    pub(super) fn alone_rate(&self, index: u32) -> f64 {
        let f = &self.flows[index as usize];
        f.resources
            .iter()
            .map(|&r| self.resources[r as usize].capacity)
            .fold(f.cap, f64::min)
    }

    /// Whether a resource is full (within rounding).
    pub(super) fn full(r: &Resource) -> bool {
        r.used >= r.capacity * (1.0 - 1e-9)
    }

    /// Whether finite resource `r` can never be full, whatever the rates
    /// (incremental mode only): every flow crossing it has a limit of its
    /// own and the limits add up to less than its capacity (with a margin
    /// far above rounding). Such a resource never holds a flow back: in the
    /// progressive filling its share stays above the limit of every flow on
    /// it not yet frozen, so each of those stops at its own limit (or
    /// elsewhere) first. The solver leaves it out, and its `used` is not
    /// kept up to date (it is summed again when the resource stops being
    /// slack).
    #[inline]
    pub(super) fn slack(&self, r: usize) -> bool {
        let res = &self.resources[r];
        self.mode == Recompute::Incremental
            && res.uncapped == 0
            && res.cap_sum_bytes_per_s < res.capacity * (1.0 - 1e-6)
    }

    /// Whether finite resource `r` is full (a slack one never is).
    pub(super) fn saturated(&self, r: usize) -> bool {
        !self.slack(r) && Self::full(&self.resources[r])
    }

    /// Resource `r` may have stopped or started being slack (it was, or
    /// not, before a change of its flows or capacity): its flows' solver
    /// lists follow, and a resource that stops being slack has its load
    /// summed again.
    pub(super) fn slack_changed(&mut self, r: usize, was_slack: bool) {
        let slack = self.slack(r);
        if slack == was_slack {
            return;
        }
        let members = std::mem::take(&mut self.resources[r].flows);
        for &g in &members {
            let shared = &mut self.flows[g as usize].shared;
            if slack {
                let at = shared.iter().position(|&x| x as usize == r);
                shared.swap_remove(at.expect("a shared resource"));
            } else {
                shared.push(r as ResourceId);
            }
        }
        self.resources[r].flows = members;
        if !slack {
            self.refresh_used(r);
        }
    }

    /// Sums resource `r`'s load again from its flows' rates (when it stops
    /// being slack).
    pub(super) fn refresh_used(&mut self, r: usize) {
        let mut used = 0.0;
        for &g in &self.resources[r].flows {
            let rate = self.flows[g as usize].rate;
            if rate.is_finite() {
                used += rate;
            }
        }
        self.resources[r].used = used;
    }

    /// Whether flow `index` (new, not yet rated) can run at its own finite
    /// limit with every finite resource it crosses still not full.
    pub(super) fn fits_at_cap(&self, index: u32) -> bool {
        let f = &self.flows[index as usize];
        f.cap.is_finite()
            && f.resources.iter().all(|&r| {
                let res = &self.resources[r as usize];
                !res.capacity.is_finite()
                    || self.slack(r as usize)
                    || res.used + f.cap < res.capacity * (1.0 - 1e-9)
            })
    }

    pub(super) fn finish_time(now_ns: u64, remaining: f64, rate: f64) -> Option<u64> {
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
    pub(super) fn settle(&mut self, flow: FlowId, now_ns: u64, complete: bool) {
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
    pub(super) fn progress(&mut self, flow: FlowId, now_ns: u64, complete: bool) {
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
    pub(super) fn recompute(
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
        self.whole_network = false;
        // When the last component held most flows (a congested network), a
        // search would find nearly everything again: recompute all at once.
        let incremental = self.mode != Recompute::Full && !self.last_comp_big;
        // Flows a whole-network gathering left out: free ones (nothing can
        // hold them back) and slow ones (after an end).
        let (mut free, mut slow) = (0usize, 0usize);
        match if incremental {
            Recompute::Incremental
        } else {
            Recompute::Full
        } {
            Recompute::Full => {
                // The finite resources of the active flows (those with a
                // flow list), found from the flows: a scan of every
                // resource would visit every idle client's line too.
                // In incremental mode, two kinds of flows keep their rates
                // and stay out: one whose finite resources are all slack
                // and that already runs at its own limit (nothing can hold
                // it back, and its resources are not filled), and, after an
                // end, one slower than `min_rate` (see `remove`).
                let prune = self.mode == Recompute::Incremental;
                self.whole_network = true;
                for i in 0..self.flows.len() {
                    let f = &self.flows[i];
                    if !f.active {
                        continue;
                    }
                    if prune && f.shared.is_empty() && f.rate == f.cap {
                        free += 1;
                        continue;
                    }
                    if prune && !self.may_change(i as u32) {
                        // (Its load stays on its resources.)
                        self.whole_network = false;
                        slow += 1;
                        continue;
                    }
                    for k in 0..self.flows[i].shared.len() {
                        let r = self.flows[i].shared[k] as usize;
                        if self.resources[r].mark != epoch {
                            self.resources[r].mark = epoch;
                            self.comp_res.push(r as u32);
                        }
                    }
                    self.flows[i].mark = epoch;
                    self.comp_flows.push(i as u32);
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
        // A search would have met the slow flows too (and left them out),
        // never the free ones.
        self.last_comp_big =
            self.active >= 1024 && (self.comp_flows.len() + slow) * 2 > self.active - free;
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
