//! A host's slot queue (nim-codex `codex/sales/slotqueue.nim`).
//!
//! Items are slots the host may try to fill. The queue holds at most
//! `capacity` items; when full, the lowest-priority item is dropped. Priority,
//! highest first: not yet seen; higher profitability (duration x price x slot
//! size); lower collateral; later expiry; then first pushed. An item the host
//! could not take is re-added marked seen. When the best item is a seen one,
//! the queue pauses (the item stays) until something new arrives; when the
//! host's availability gets bytes back, every seen flag is cleared and the
//! queue resumes (`clearSeenFlags` in nim-codex).
//!
//! Representation: every queue of a fleet receives the same announcements, so
//! this is the hottest structure of a run. An item is 40 bytes: the request,
//! the slot, whether it was announced as a repair (its collateral is then
//! reduced by the repair reward), flags, the arrival number, the expiry, and
//! 64-bit order-preserving prefixes of its profitability and collateral (exact
//! below 2^56). The full priority key lives with the request and is looked up
//! through a [`Keys`] only when two inexact prefixes tie between different
//! requests. Items are kept sorted, so a slot or a request is found by binary
//! search on its key instead of a scan.

use std::cmp::{Ordering, Reverse};

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

/// Where the queue looks up full keys.
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

/// One slot waiting in a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueItem {
    /// The request.
    pub request: u32,
    /// The slot index.
    pub slot: u32,
    /// Announced as a repair (SlotFreed): the collateral is reduced.
    pub repair: bool,
    /// Whether the host has already looked at it.
    pub seen: bool,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Inverted prefix of the profitability: smaller is better.
    profit: u64,
    /// Prefix of the collateral.
    collateral: u64,
    /// Inverted expiry.
    expiry: u64,
    /// Arrival order (renumbered before it would overflow).
    seq: u32,
    request: u32,
    slot: u32,
    repair: bool,
    seen: bool,
}

impl Entry {
    /// An entry for `request`'s slots (slot 0, arrival 0).
    fn of(request: u32, repair: bool, key: &SlotKey) -> Self {
        Entry {
            profit: !prefix_of(key.profitability.0),
            collateral: prefix_of(key.collateral),
            expiry: !key.expiry_ns.0,
            seq: 0,
            request,
            slot: 0,
            repair,
            seen: false,
        }
    }

    fn item(&self) -> QueueItem {
        QueueItem {
            request: self.request,
            slot: self.slot,
            repair: self.repair,
            seen: self.seen,
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

/// A bounded priority queue of slots.
///
/// Items are kept sorted by priority ignoring the seen flag (best first). The
/// model keeps, per request, the set of nodes whose queue may hold its items,
/// so that removals only visit those queues. An unseen item always outranks a
/// seen one, so the next item to process is the first unseen one; when there
/// is none, the queue is paused on a seen item. Declining an item marks it seen
/// in place instead of popping and pushing it back: the same order, without
/// moving it. (Ties among re-seen items keep their first arrival order.)
#[derive(Clone, Debug, Default)]
pub struct SlotQueue {
    items: Vec<Entry>,
    /// Items marked seen.
    seen: usize,
    capacity: usize,
    /// Paused on a seen item, until something new arrives or the seen flags
    /// are cleared.
    pub paused: bool,
    next_seq: u32,
}

impl SlotQueue {
    /// An empty queue of the given capacity.
    pub fn new(capacity: usize) -> Self {
        SlotQueue {
            items: Vec::new(),
            seen: 0,
            capacity,
            paused: false,
            next_seq: 0,
        }
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds an item (replacing an item of the same slot); drops the
    /// lowest-priority item when over capacity and returns it (it may be the
    /// new item). Unpauses on a new item.
    ///
    /// `maybe_queued` says whether the queue may already hold an item of this
    /// slot (the caller keeps track); when false, no search is made.
    pub fn push<K: Keys>(
        &mut self,
        item: QueueItem,
        maybe_queued: bool,
        keys: &K,
    ) -> Option<QueueItem> {
        if maybe_queued {
            self.remove_slot(item.request, item.slot, item.repair, keys);
        }
        let mut dropped = Vec::new();
        self.push_many(
            item.request,
            &[item.slot],
            item.repair,
            item.seen,
            keys,
            &mut dropped,
        );
        dropped.pop()
    }

    /// Adds items for `slots` of `request`, in that order, announced alike
    /// (none of them may be queued already): what sequential pushes would do,
    /// with one search and one move. Items dropped over capacity (maybe new
    /// ones) are appended to `dropped`.
    pub fn push_many<K: Keys>(
        &mut self,
        request: u32,
        slots: &[u32],
        repair: bool,
        seen: bool,
        keys: &K,
        dropped: &mut Vec<QueueItem>,
    ) {
        if slots.is_empty() {
            return;
        }
        let proto = Entry {
            seen,
            ..Entry::of(request, repair, &keys.key(request, repair))
        };
        let n = slots.len() as u32;
        if self.next_seq.checked_add(n).is_none() {
            // Renumber in place: positions keep the arrival order of ties.
            for (i, e) in self.items.iter_mut().enumerate() {
                e.seq = i as u32;
            }
            self.next_seq = self.items.len() as u32;
        }
        let first_seq = self.next_seq;
        self.next_seq += n;
        if !seen && self.seen == 0 && self.items.len() >= self.capacity {
            // The new items arrive last, so they lose ties: when they are not
            // better than the last item, they are the ones dropped.
            if let Some(last) = self.items.last() {
                if cmp_key(&proto, last, keys) != Ordering::Less {
                    dropped.extend(slots.iter().map(|&slot| QueueItem {
                        request,
                        slot,
                        repair,
                        seen,
                    }));
                    return;
                }
            }
        }
        if !seen {
            self.paused = false;
        }
        // Insert after every item whose key is not worse (FIFO ties).
        let at = self
            .items
            .partition_point(|e| cmp_key(e, &proto, keys) != Ordering::Greater);
        self.items.splice(
            at..at,
            slots.iter().enumerate().map(|(i, &slot)| Entry {
                seq: first_seq + i as u32,
                slot,
                ..proto
            }),
        );
        if seen {
            self.seen += slots.len();
        }
        while self.items.len() > self.capacity {
            // The worst is the last seen item if there is one, else the last.
            let worst = if self.seen == 0 {
                self.items.len() - 1
            } else {
                self.items
                    .iter()
                    .rposition(|i| i.seen)
                    .expect("a seen item")
            };
            dropped.push(self.take(worst));
        }
    }

    /// The range of items whose key equals that of `request`'s slots
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

    /// The index of the best unseen item at or after `from` (items before
    /// `from` are known to be seen). When there is none the queue pauses.
    pub fn next_unseen(&mut self, from: usize) -> Option<usize> {
        if self.paused {
            return None;
        }
        let found = self
            .items
            .iter()
            .skip(from)
            .position(|i| !i.seen)
            .map(|i| i + from);
        if found.is_none() && !self.items.is_empty() {
            self.paused = true;
        }
        found
    }

    /// The item at `i`.
    pub fn get(&self, i: usize) -> QueueItem {
        self.items[i].item()
    }

    /// Takes out the item at `i`.
    pub fn take(&mut self, i: usize) -> QueueItem {
        let e = self.items.remove(i);
        self.seen -= e.seen as usize;
        e.item()
    }

    /// Marks the item at `i` seen (declined for now).
    pub fn mark_seen(&mut self, i: usize) {
        if !self.items[i].seen {
            self.items[i].seen = true;
            self.seen += 1;
        }
    }

    /// Takes out the highest-priority item, unless every item was seen: then
    /// the queue pauses.
    pub fn pop(&mut self) -> Option<QueueItem> {
        let i = self.next_unseen(0)?;
        Some(self.take(i))
    }

    /// Clears every seen flag and resumes (the availability got bytes back).
    pub fn clear_seen(&mut self) {
        self.paused = false;
        if self.seen > 0 {
            for i in &mut self.items {
                i.seen = false;
            }
            self.seen = 0;
        }
    }

    /// Removes every item of a request (filled, cancelled, failed).
    pub fn remove_request<K: Keys>(&mut self, request: u32, keys: &K) {
        if self.items.is_empty() {
            return;
        }
        for repair in [false, true] {
            let run = self.run_of(request, repair, keys);
            let mut i = run.start;
            let mut end = run.end;
            while i < end {
                if self.items[i].request == request {
                    self.take(i);
                    end -= 1;
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Removes one slot (filled, or its reservations are full). `repair`
    /// says how it was last announced: that run is searched first.
    pub fn remove_slot<K: Keys>(&mut self, request: u32, slot: u32, repair: bool, keys: &K) {
        // At most one item per slot: `push` replaces duplicates.
        for repair in [repair, !repair] {
            let run = self.run_of(request, repair, keys);
            if let Some(i) = self.items[run.clone()]
                .iter()
                .position(|e| e.request == request && e.slot == slot)
            {
                self.take(run.start + i);
                return;
            }
        }
    }

    /// The items, best first.
    pub fn items(&self) -> impl Iterator<Item = QueueItem> + '_ {
        self.items.iter().map(Entry::item)
    }

    /// Drops everything (the node restarted).
    pub fn clear(&mut self) {
        self.seen = 0;
        self.items.clear();
        self.paused = false;
    }

    /// Checks the order and the seen count (for the model's checker).
    pub fn check<K: Keys>(&self, keys: &K) -> Result<(), String> {
        let seen = self.items.iter().filter(|e| e.seen).count();
        if seen != self.seen {
            return Err(format!("seen count {} but {} seen items", self.seen, seen));
        }
        if self.items.len() > self.capacity {
            return Err(format!(
                "{} items over capacity {}",
                self.items.len(),
                self.capacity
            ));
        }
        for w in self.items.windows(2) {
            let o = cmp_key(&w[0], &w[1], keys).then(w[0].seq.cmp(&w[1].seq));
            if o != Ordering::Less {
                return Err(format!("items out of order: {:?} before {:?}", w[0], w[1]));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Request r's key: profitability from the table, collateral 10 (8 for
    /// repairs), expiry 0.
    struct Table(Vec<u128>);

    impl Keys for Table {
        fn key(&self, request: u32, repair: bool) -> SlotKey {
            SlotKey::new(self.0[request as usize], if repair { 8 } else { 10 }, 0)
        }
    }

    fn item(request: u32, seen: bool) -> QueueItem {
        QueueItem {
            request,
            slot: 0,
            repair: false,
            seen,
        }
    }

    #[test]
    fn priority_and_capacity() {
        let t = Table(vec![0, 5, 9, 1]);
        let mut q = SlotQueue::new(2);
        q.push(item(1, false), true, &t);
        q.push(item(2, false), true, &t);
        q.push(item(3, false), true, &t); // dropped: least profitable
        assert_eq!(q.len(), 2);
        q.check(&t).unwrap();
        assert_eq!(q.pop().unwrap().request, 2);
        assert_eq!(q.pop().unwrap().request, 1);
        assert!(q.pop().is_none());
    }

    #[test]
    fn unseen_before_seen_and_seen_pauses() {
        let t = Table(vec![0, 100, 1, 0, 1]);
        let mut q = SlotQueue::new(10);
        q.push(item(1, true), true, &t);
        q.push(item(2, false), true, &t);
        assert_eq!(q.pop().unwrap().request, 2);
        assert!(q.pop().is_none(), "the best item was seen: pause");
        assert!(q.paused);
        assert_eq!(q.len(), 1, "the seen item stays");
        assert!(q.pop().is_none(), "still paused: nothing new arrived");
        q.push(item(4, false), true, &t);
        assert_eq!(q.pop().unwrap().request, 4);
        assert!(q.pop().is_none());
        q.clear_seen();
        assert_eq!(
            q.pop().unwrap().request,
            1,
            "bytes came back: seen items are tried again"
        );
    }

    #[test]
    fn a_repeated_slot_replaces_the_queued_one() {
        let t = Table(vec![0, 5]);
        let mut q = SlotQueue::new(10);
        q.push(item(1, false), true, &t);
        q.push(item(1, true), true, &t);
        assert_eq!(q.len(), 1);
        let mut repair = item(1, false);
        repair.repair = true;
        q.push(repair, true, &t);
        assert_eq!(q.len(), 1, "a repair announcement replaces the first one");
        assert!(q.get(0).repair);
        q.remove_request(1, &t);
        assert!(q.is_empty());
    }

    #[test]
    fn ties_are_first_in_first_out() {
        let t = Table(vec![7; 4]);
        let mut q = SlotQueue::new(10);
        for r in 0..4 {
            q.push(item(r, false), true, &t);
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|i| i.request)).collect();
        assert_eq!(order, vec![0, 1, 2, 3]);
    }

    #[test]
    fn prefixes_keep_the_order() {
        let values: [u128; 9] = [
            0,
            1,
            2,
            (1 << 56) - 1,
            1 << 56,
            (1 << 56) + 1,
            (1 << 57) + 7,
            u128::MAX - 1,
            u128::MAX,
        ];
        for w in values.windows(2) {
            assert!(prefix_of(w[0]) <= prefix_of(w[1]), "{} {}", w[0], w[1]);
        }
        assert!(prefix_of((1 << 56) - 1) < prefix_of(1 << 56));
        assert!(is_exact(prefix_of((1 << 56) - 1)));
        assert!(!is_exact(prefix_of(1 << 56)));
        assert_eq!(prefix_of(1 << 80), prefix_of((1 << 80) + 1), "inexact");
    }

    /// Against a plain reference: a vector sorted by the full key, with the
    /// same pushes, removals and seen marks. Profitabilities above 2^56 make
    /// prefixes tie between different requests.
    #[test]
    fn matches_a_reference_queue() {
        use codexsim_engine::rng::{RandomStream, StreamId};
        let mut rng = RandomStream::new(7, StreamId::new("test", 0));
        let base = 1u128 << 80;
        let t = Table((0..40).map(|i| base + (i % 7) as u128).collect());
        let mut q = SlotQueue::new(16);
        // Reference: (key, seq, request, slot, repair, seen).
        type Ref = (SlotKey, u64, u32, u32, bool, bool);
        let mut r: Vec<Ref> = Vec::new();
        let mut seq = 0u64;
        for _ in 0..20_000 {
            let request = rng.below(40) as u32;
            let slot = rng.below(4) as u32;
            let repair = rng.chance(3, 10);
            match rng.below(10) {
                0..=5 => {
                    q.push(
                        QueueItem {
                            request,
                            slot,
                            repair,
                            seen: false,
                        },
                        true,
                        &t,
                    );
                    r.retain(|e| !(e.2 == request && e.3 == slot));
                    r.push((t.key(request, repair), seq, request, slot, repair, false));
                    seq += 1;
                    r.sort_by_key(|e| (e.0, e.1));
                    if r.len() > 16 {
                        let worst = r.iter().rposition(|e| e.5).unwrap_or(r.len() - 1);
                        r.remove(worst);
                    }
                }
                6 => {
                    q.remove_slot(request, slot, rng.chance(1, 2), &t);
                    r.retain(|e| !(e.2 == request && e.3 == slot));
                }
                7 => {
                    q.remove_request(request, &t);
                    r.retain(|e| e.2 != request);
                }
                8 => {
                    if !q.is_empty() {
                        let i = rng.below(q.len() as u64) as usize;
                        q.mark_seen(i);
                        r[i].5 = true;
                    }
                }
                _ => {
                    q.clear_seen();
                    for e in &mut r {
                        e.5 = false;
                    }
                }
            }
            q.check(&t).unwrap();
            let got: Vec<QueueItem> = (0..q.len()).map(|i| q.get(i)).collect();
            let want: Vec<QueueItem> = r
                .iter()
                .map(|e| QueueItem {
                    request: e.2,
                    slot: e.3,
                    repair: e.4,
                    seen: e.5,
                })
                .collect();
            assert_eq!(got, want);
        }
    }
}
