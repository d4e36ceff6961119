//! Hosts' slot queues (nim-codex `codex/sales/slotqueue.nim`).
//!
//! Each host keeps a queue of slots it may try to fill. A queue holds at most
//! `capacity` items; when full, the lowest-priority item is dropped. Priority,
//! highest first: not yet seen; higher profitability (duration x price x slot
//! size); lower collateral; later expiry; then first pushed. The slots of one
//! announcement (a new request's slots) are pushed in a random order of the
//! host's own. An item the host could not take is re-added marked seen. When
//! the best item is a seen one, the queue pauses (the item stays) until
//! something new arrives; when the host's availability gets bytes back, every
//! seen flag is cleared and the queue resumes (`clearSeenFlags` in nim-codex).
//! A host that goes offline loses its queue.
//!
//! # Representation
//!
//! Every host hears the same announcements (StorageRequested, SlotFreed), so
//! the queues of a fleet mostly hold the same items. [`SlotQueues`] keeps one
//! sorted list of every item queued anywhere, each with two node bit sets:
//! the hosts whose queue holds it and the hosts that have seen it. A host's
//! queue is the items whose bit it has, in list order, except that within one
//! announcement the host's own random order applies. So an announcement is one
//! insertion for the whole fleet and a filled slot one removal, instead of one
//! per host. The random order is a keyed hash of (seed, host, announcement,
//! slot): sorting by independent uniform keys is a uniform random permutation.
//!
//! Items are found by binary search on their key: profitability and
//! collateral are kept inline as 64-bit order-preserving prefixes (exact below
//! 2^56) with the expiry; the full key is looked up through a [`Keys`] only
//! when two inexact prefixes tie.

use std::cmp::{Ordering, Reverse};

use codexsim_engine::mix64;

/// The priority key of a request's slots, without the arrival order: smaller
/// is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SlotKey {
    /// duration x price x slot size, highest first.
    pub profitability: Reverse<u128>,
    /// Collateral the host would put up, lowest first.
    pub collateral: u128,
    /// When the request expires (ns), latest first.
    pub expiry_ns: Reverse<u64>,
}

impl SlotKey {
    /// A key from its parts.
    pub fn new(profitability: u128, collateral: u128, expiry_ns: u64) -> Self {
        SlotKey {
            profitability: Reverse(profitability),
            collateral,
            expiry_ns: Reverse(expiry_ns),
        }
    }
}

/// Where the queues look up full keys.
pub trait Keys {
    /// The key of `request`'s slots, announced as a repair or not.
    fn key(&self, request: u32, repair: bool) -> SlotKey;
}

/// A 64-bit order-preserving compression of a value: exact below 2^56
/// (see [`is_exact`]), monotone above.
fn prefix_of(value: u128) -> u64 {
    let bits = 128 - value.leading_zeros();
    if bits <= 56 {
        ((bits as u64) << 56) | value as u64
    } else {
        let mantissa = (value >> (bits - 56)) as u64 & ((1 << 56) - 1);
        ((bits as u64) << 56) | mantissa
    }
}

/// Whether a prefix stands for one value only.
fn is_exact(prefix: u64) -> bool {
    prefix >> 56 <= 56
}

/// One slot in a host's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueItem {
    /// The request.
    pub request: u32,
    /// The slot index.
    pub slot: u32,
    /// Announced as a repair (SlotFreed): the collateral is reduced.
    pub repair: bool,
}

/// Where an item sits in the shared list; valid until the next announcement
/// or removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos(usize);

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Inverted prefix of the profitability: smaller is better.
    profit: u64,
    /// Prefix of the collateral.
    collateral: u64,
    /// Inverted expiry.
    expiry: u64,
    /// The announcement (arrival order).
    batch: u64,
    request: u32,
    slot: u32,
    /// Index of its bit sets in `SlotQueues::bits`.
    bits: u32,
    repair: bool,
}

impl Entry {
    fn of(request: u32, repair: bool, key: &SlotKey) -> Self {
        Entry {
            profit: !prefix_of(key.profitability.0),
            collateral: prefix_of(key.collateral),
            expiry: !key.expiry_ns.0,
            batch: 0,
            request,
            slot: 0,
            bits: 0,
            repair,
        }
    }

    fn item(&self) -> QueueItem {
        QueueItem {
            request: self.request,
            slot: self.slot,
            repair: self.repair,
        }
    }
}

/// Compares two entries' keys, ignoring the arrival order. The inline
/// prefixes decide unless two inexact ones tie; then the full keys do.
#[inline]
fn cmp_key<K: Keys>(a: &Entry, b: &Entry, keys: &K) -> Ordering {
    if a.request == b.request && a.repair == b.repair {
        return Ordering::Equal;
    }
    match a.profit.cmp(&b.profit) {
        Ordering::Equal if is_exact(!a.profit) => {}
        Ordering::Equal => return full_cmp(a, b, keys),
        o => return o,
    }
    match a.collateral.cmp(&b.collateral) {
        Ordering::Equal if is_exact(a.collateral) => {}
        Ordering::Equal => return full_cmp(a, b, keys),
        o => return o,
    }
    a.expiry.cmp(&b.expiry)
}

#[cold]
fn full_cmp<K: Keys>(a: &Entry, b: &Entry, keys: &K) -> Ordering {
    keys.key(a.request, a.repair)
        .cmp(&keys.key(b.request, b.repair))
}

/// The list order: key, then announcement, then slot.
fn cmp_entry<K: Keys>(a: &Entry, b: &Entry, keys: &K) -> Ordering {
    cmp_key(a, b, keys)
        .then(a.batch.cmp(&b.batch))
        .then(a.slot.cmp(&b.slot))
}

#[derive(Clone, Copy, Debug, Default)]
struct NodeQueue {
    capacity: u32,
    /// Items held: `SlotQueues::base - missing` (see there).
    missing: u64,
    /// Items held and seen.
    seen: u32,
    /// No item the node holds unseen lies before this position...
    cursor: usize,
    /// ...as long as the list has this generation.
    cursor_generation: u64,
}

/// The slot queues of every host of a fleet (see the module documentation).
#[derive(Clone, Debug)]
pub struct SlotQueues {
    /// Every item queued somewhere, sorted by [`cmp_entry`].
    items: Vec<Entry>,
    /// Per entry (by `Entry::bits`): `words` words of holders, then `words`
    /// words of nodes that have seen it.
    bits: Vec<u64>,
    free_bits: Vec<u32>,
    words: usize,
    nodes: Vec<NodeQueue>,
    /// A node holds `base - missing` items. An announcement to nearly every
    /// node raises `base` and the `missing` of the nodes it skips; an item's
    /// removal lowers either its holders' counts or `base` and the others':
    /// whichever set is smaller. So neither costs a step per host.
    base: u64,
    /// The smallest capacity: while the list is no longer, no queue can be
    /// over capacity.
    min_capacity: u32,
    /// Nodes paused on a seen item, until something new arrives or the seen
    /// flags are cleared (a node bit set).
    paused: Vec<u64>,
    /// Bumped whenever positions move.
    generation: u64,
    next_batch: u64,
    seed: u64,
}

impl SlotQueues {
    /// Empty queues, one per host, with these capacities. `seed` keys the
    /// hosts' random orders within an announcement.
    pub fn new(capacities: &[u32], seed: u64) -> Self {
        SlotQueues {
            items: Vec::new(),
            bits: Vec::new(),
            free_bits: Vec::new(),
            words: capacities.len().div_ceil(64).max(1),
            base: 0,
            min_capacity: capacities.iter().copied().min().unwrap_or(0),
            paused: vec![0; capacities.len().div_ceil(64).max(1)],
            nodes: capacities
                .iter()
                .map(|&capacity| NodeQueue {
                    capacity,
                    ..NodeQueue::default()
                })
                .collect(),
            generation: 0,
            next_batch: 0,
            seed: mix64(seed ^ 0x5107_0e0e),
        }
    }

    /// Items in `node`'s queue.
    pub fn len(&self, node: u32) -> usize {
        (self.base - self.nodes[node as usize].missing) as usize
    }

    /// Whether `node`'s queue is empty.
    pub fn is_empty(&self, node: u32) -> bool {
        self.len(node) == 0
    }

    /// Whether `node`'s queue is paused on a seen item.
    pub fn paused(&self, node: u32) -> bool {
        self.paused[node as usize / 64] & (1 << (node % 64)) != 0
    }

    fn set_paused(&mut self, node: usize, paused: bool) {
        let bit = 1u64 << (node % 64);
        if paused {
            self.paused[node / 64] |= bit;
        } else {
            self.paused[node / 64] &= !bit;
        }
    }

    /// The nodes that do not hold an item, a word at a time (only bits of
    /// existing nodes).
    fn absent_word(&self, holders_word: u64, w: usize) -> u64 {
        let hosts_here = self.nodes.len().saturating_sub(w * 64).min(64);
        let valid = if hosts_here == 64 {
            u64::MAX
        } else {
            (1u64 << hosts_here) - 1
        };
        !holders_word & valid
    }

    /// Every holder of a removed item holds one item less: counted on the
    /// holders, or on the others and `base`, whichever are fewer.
    fn uncount(&mut self, bits: u32) {
        let base = bits as usize * 2 * self.words;
        let holders: u32 = self.bits[base..base + self.words]
            .iter()
            .map(|w| w.count_ones())
            .sum();
        if holders as usize * 2 <= self.nodes.len() {
            for w in 0..self.words {
                let mut held = self.bits[base + w];
                while held != 0 {
                    self.nodes[w * 64 + held.trailing_zeros() as usize].missing += 1;
                    held &= held - 1;
                }
            }
        } else {
            self.base -= 1;
            for w in 0..self.words {
                let mut absent = self.absent_word(self.bits[base + w], w);
                while absent != 0 {
                    self.nodes[w * 64 + absent.trailing_zeros() as usize].missing -= 1;
                    absent &= absent - 1;
                }
            }
        }
    }

    fn holders(&self, e: &Entry) -> &[u64] {
        &self.bits[e.bits as usize * 2 * self.words..][..self.words]
    }

    fn has(&self, e: &Entry, node: usize) -> bool {
        self.bits[e.bits as usize * 2 * self.words + node / 64] & (1 << (node % 64)) != 0
    }

    fn has_seen(&self, e: &Entry, node: usize) -> bool {
        self.bits[(e.bits as usize * 2 + 1) * self.words + node / 64] & (1 << (node % 64)) != 0
    }

    /// `node`'s rank of an entry within its announcement: smaller goes first.
    fn rank(&self, e: &Entry, node: usize) -> u64 {
        mix64(self.seed ^ mix64((node as u64) << 32 ^ e.batch) ^ e.slot as u64)
    }

    fn alloc_bits(&mut self) -> u32 {
        match self.free_bits.pop() {
            Some(b) => b,
            None => {
                let b = self.bits.len() / (2 * self.words);
                self.bits.resize(self.bits.len() + 2 * self.words, 0);
                b as u32
            }
        }
    }

    /// Announces `slots` of `request` to the hosts in `receivers` (a node
    /// bit set): each host pushes them in its own random order. An item of
    /// the same slot queued anywhere is replaced (its holders all hear this
    /// announcement, since a host that was offline lost its queue). Hosts
    /// over capacity drop their lowest-priority items (maybe new ones).
    pub fn announce<K: Keys>(
        &mut self,
        request: u32,
        slots: &[u32],
        repair: bool,
        receivers: &[u64],
        keys: &K,
    ) {
        for &slot in slots {
            self.remove_slot(request, slot, repair, keys);
        }
        // Only bits of existing hosts count.
        let receivers: Vec<u64> = (0..self.words)
            .map(|w| {
                let word = receivers.get(w).copied().unwrap_or(0);
                let hosts_here = self.nodes.len().saturating_sub(w * 64).min(64);
                if hosts_here == 64 {
                    word
                } else {
                    word & ((1u64 << hosts_here) - 1)
                }
            })
            .collect();
        if slots.is_empty() || receivers.iter().all(|&w| w == 0) {
            return;
        }
        let proto = Entry::of(request, repair, &keys.key(request, repair));
        let batch = self.next_batch;
        self.next_batch += 1;
        let n_slots = slots.len() as u32;
        let mut sorted: Vec<u32> = slots.to_vec();
        sorted.sort_unstable();
        let at = self
            .items
            .partition_point(|e| cmp_key(e, &proto, keys) != Ordering::Greater);
        let mut new = Vec::with_capacity(sorted.len());
        for &slot in &sorted {
            let b = self.alloc_bits();
            let base = b as usize * 2 * self.words;
            self.bits[base..base + self.words].copy_from_slice(&receivers);
            self.bits[base + self.words..base + 2 * self.words].fill(0);
            new.push(Entry {
                batch,
                slot,
                bits: b,
                ..proto
            });
        }
        self.items.splice(at..at, new);
        self.generation += 1;
        self.base += u64::from(n_slots);
        for (w, &word) in receivers.iter().enumerate() {
            self.paused[w] &= !word;
            let mut absent = self.absent_word(word, w);
            while absent != 0 {
                self.nodes[w * 64 + absent.trailing_zeros() as usize].missing += u64::from(n_slots);
                absent &= absent - 1;
            }
        }
        if self.items.len() <= self.min_capacity as usize {
            return;
        }
        for (w, &word) in receivers.iter().enumerate() {
            let mut b = word;
            while b != 0 {
                let n = w * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                let mut bound = None;
                while self.len(n as u32) > self.nodes[n].capacity as usize {
                    bound = Some(self.drop_worst(n, bound));
                }
            }
        }
    }

    /// Drops `node`'s lowest-priority item: its last seen item if it has
    /// seen any, else its last. Returns what the next drop may start from:
    /// pass it back for the same node while nothing else changed the list.
    /// No item past the position found was eligible; a drop removes only at
    /// or before it, so under the same rule none is after it still.
    fn drop_worst(&mut self, node: usize, from: Option<(usize, bool)>) -> (usize, bool) {
        let seen_only = self.nodes[node].seen > 0;
        let eligible = |s: &Self, e: &Entry| s.has(e, node) && (!seen_only || s.has_seen(e, node));
        let end = match from {
            Some((bound, rule)) if rule == seen_only => (bound + 1).min(self.items.len()),
            _ => self.items.len(),
        };
        let last = self.items[..end]
            .iter()
            .rposition(|e| eligible(self, e))
            .expect("a node over capacity holds items");
        // Within the last announcement run, the worst is the highest rank.
        let batch = self.items[last].batch;
        let mut worst = last;
        let mut worst_rank = self.rank(&self.items[last], node);
        let mut i = last;
        while i > 0 && self.items[i - 1].batch == batch {
            i -= 1;
            if eligible(self, &self.items[i]) {
                let r = self.rank(&self.items[i], node);
                if r > worst_rank {
                    worst = i;
                    worst_rank = r;
                }
            }
        }
        self.take(node as u32, Pos(worst));
        (last, seen_only)
    }

    /// The range of entries whose key equals that of `request`'s slots
    /// (announced as a repair or not).
    fn run_of<K: Keys>(&self, request: u32, repair: bool, keys: &K) -> std::ops::Range<usize> {
        let target = Entry::of(request, repair, &keys.key(request, repair));
        let start = self
            .items
            .partition_point(|e| cmp_key(e, &target, keys) == Ordering::Less);
        let mut end = start;
        while end < self.items.len() && cmp_key(&self.items[end], &target, keys) == Ordering::Equal
        {
            end += 1;
        }
        start..end
    }

    /// The best unseen item of `node`'s queue. When there is none but the
    /// queue holds items, it pauses.
    pub fn next_unseen(&mut self, node: u32) -> Option<Pos> {
        let n = node as usize;
        let q = self.nodes[n];
        if self.paused(node) || self.is_empty(node) {
            return None;
        }
        let from = if q.cursor_generation == self.generation {
            q.cursor
        } else {
            0
        };
        let eligible = |s: &Self, e: &Entry| s.has(e, n) && !s.has_seen(e, n);
        let found = self.items[from..]
            .iter()
            .position(|e| eligible(self, e))
            .map(|i| i + from);
        let Some(first) = found else {
            self.set_paused(n, true);
            return None;
        };
        // Within its announcement run, the node's own order decides.
        let batch = self.items[first].batch;
        let mut best = first;
        let mut best_rank = self.rank(&self.items[first], n);
        let mut i = first + 1;
        while i < self.items.len() && self.items[i].batch == batch {
            if eligible(self, &self.items[i]) {
                let r = self.rank(&self.items[i], n);
                if r < best_rank {
                    best = i;
                    best_rank = r;
                }
            }
            i += 1;
        }
        let q = &mut self.nodes[n];
        q.cursor = first;
        q.cursor_generation = self.generation;
        Some(Pos(best))
    }

    /// The items `node` holds and has not seen, in list order.
    pub fn unseen(&self, node: u32) -> impl Iterator<Item = QueueItem> + '_ {
        let n = node as usize;
        self.items
            .iter()
            .filter(move |e| self.has(e, n) && !self.has_seen(e, n))
            .map(|e| e.item())
    }

    /// The item at `pos`.
    pub fn get(&self, pos: Pos) -> QueueItem {
        self.items[pos.0].item()
    }

    /// Takes the item at `pos` out of `node`'s queue.
    pub fn take(&mut self, node: u32, pos: Pos) -> QueueItem {
        let n = node as usize;
        let e = self.items[pos.0];
        debug_assert!(self.has(&e, n));
        let base = e.bits as usize * 2 * self.words;
        let (w, bit) = (n / 64, 1u64 << (n % 64));
        self.bits[base + w] &= !bit;
        let q = &mut self.nodes[n];
        q.missing += 1;
        if self.bits[base + self.words + w] & bit != 0 {
            self.bits[base + self.words + w] &= !bit;
            q.seen -= 1;
        }
        if self.holders(&e).iter().all(|&x| x == 0) {
            self.free_bits.push(e.bits);
            self.items.remove(pos.0);
            self.generation += 1;
        }
        e.item()
    }

    /// Marks the item at `pos` seen by `node` (declined for now).
    pub fn mark_seen(&mut self, node: u32, pos: Pos) {
        let n = node as usize;
        let e = self.items[pos.0];
        debug_assert!(self.has(&e, n));
        let i = (e.bits as usize * 2 + 1) * self.words + n / 64;
        if self.bits[i] & (1 << (n % 64)) == 0 {
            self.bits[i] |= 1 << (n % 64);
            self.nodes[n].seen += 1;
        }
    }

    /// Takes out `node`'s highest-priority item, unless every item was seen:
    /// then the queue pauses.
    pub fn pop(&mut self, node: u32) -> Option<QueueItem> {
        let pos = self.next_unseen(node)?;
        Some(self.take(node, pos))
    }

    /// Clears `node`'s seen flags and resumes (its availability got bytes
    /// back).
    pub fn clear_seen(&mut self, node: u32) {
        let n = node as usize;
        self.set_paused(n, false);
        let q = &mut self.nodes[n];
        q.cursor = 0;
        if q.seen > 0 {
            q.seen = 0;
            let (w, bit) = (n / 64, 1u64 << (n % 64));
            for e in &self.items {
                self.bits[(e.bits as usize * 2 + 1) * self.words + w] &= !bit;
            }
        }
    }

    /// Empties `node`'s queue (it went offline or left).
    pub fn clear(&mut self, node: u32) {
        let n = node as usize;
        if !self.is_empty(node) {
            let mut i = self.items.len();
            while i > 0 && !self.is_empty(node) {
                i -= 1;
                if self.has(&self.items[i], n) {
                    self.take(node, Pos(i));
                }
            }
        }
        self.set_paused(n, false);
        self.nodes[n].cursor = 0;
    }

    /// Removes the item at `pos` from every queue.
    fn remove_at(&mut self, pos: usize) {
        let e = self.items.remove(pos);
        self.generation += 1;
        self.uncount(e.bits);
        let base = e.bits as usize * 2 * self.words;
        for w in 0..self.words {
            self.bits[base + w] = 0;
            let mut seen = std::mem::take(&mut self.bits[base + self.words + w]);
            while seen != 0 {
                self.nodes[w * 64 + seen.trailing_zeros() as usize].seen -= 1;
                seen &= seen - 1;
            }
        }
        self.free_bits.push(e.bits);
    }

    /// Removes every item of a request from every queue (it started,
    /// failed, finished or was cancelled).
    pub fn remove_request<K: Keys>(&mut self, request: u32, keys: &K) {
        for repair in [false, true] {
            if self.items.is_empty() {
                return;
            }
            let run = self.run_of(request, repair, keys);
            for i in run.rev() {
                if self.items[i].request == request {
                    self.remove_at(i);
                }
            }
        }
    }

    /// Removes one slot from every queue (filled, or its reservations are
    /// full). `repair` says how it was last announced: that run is searched
    /// first.
    pub fn remove_slot<K: Keys>(&mut self, request: u32, slot: u32, repair: bool, keys: &K) {
        if self.items.is_empty() {
            return;
        }
        for repair in [repair, !repair] {
            let run = self.run_of(request, repair, keys);
            if let Some(i) = self.items[run.clone()]
                .iter()
                .position(|e| e.request == request && e.slot == slot)
            {
                self.remove_at(run.start + i);
                return;
            }
        }
    }

    /// `node`'s queue, best first, with seen flags (seen items are listed in
    /// place; they rank after every unseen one).
    pub fn items(&self, node: u32) -> Vec<(QueueItem, bool)> {
        let n = node as usize;
        let mut out: Vec<(u64, u64, QueueItem, bool)> = Vec::new();
        let mut run = 0u64;
        let mut last_batch = None;
        for e in &self.items {
            if Some(e.batch) != last_batch {
                run += 1;
                last_batch = Some(e.batch);
            }
            if self.has(e, n) {
                out.push((run, self.rank(e, n), e.item(), self.has_seen(e, n)));
            }
        }
        out.sort_by_key(|x| (x.0, x.1));
        out.into_iter().map(|x| (x.2, x.3)).collect()
    }

    /// Checks the order, the bit sets and the counts (for the model's
    /// checker).
    pub fn check<K: Keys>(&self, keys: &K) -> Result<(), String> {
        for w in self.items.windows(2) {
            if cmp_entry(&w[0], &w[1], keys) != Ordering::Less {
                return Err(format!("items out of order: {:?} before {:?}", w[0], w[1]));
            }
        }
        let mut len = vec![0u32; self.nodes.len()];
        let mut seen = vec![0u32; self.nodes.len()];
        for e in &self.items {
            if self.holders(e).iter().all(|&x| x == 0) {
                return Err(format!("item {e:?} held by no queue"));
            }
            for n in 0..self.nodes.len() {
                let (h, s) = (self.has(e, n), self.has_seen(e, n));
                if s && !h {
                    return Err(format!("node {n} saw item {e:?} it does not hold"));
                }
                len[n] += h as u32;
                seen[n] += s as u32;
            }
        }
        for (n, q) in self.nodes.iter().enumerate() {
            let held = self.len(n as u32) as u32;
            if q.missing > self.base || held != len[n] || q.seen != seen[n] {
                return Err(format!(
                    "node {n}: counts {held}/{} seen but {}/{} held/seen",
                    q.seen, len[n], seen[n]
                ));
            }
            if held > q.capacity {
                return Err(format!(
                    "node {n}: {held} items over capacity {}",
                    q.capacity
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
