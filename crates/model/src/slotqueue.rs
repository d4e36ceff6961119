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

/// One slot waiting in a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueItem {
    /// The request.
    pub request: u32,
    /// The slot index.
    pub slot: u32,
    /// Collateral the host would put up.
    pub collateral: u128,
    /// duration x price x slot size.
    pub profitability: u128,
    /// When the request expires, nanoseconds.
    pub expiry_ns: u64,
    /// Whether the host has already looked at it.
    pub seen: bool,
    /// Order of arrival, for ties.
    pub seq: u64,
}

impl QueueItem {
    /// Sort key without the seen flag: smaller is better.
    fn key(&self) -> (std::cmp::Reverse<u128>, u128, std::cmp::Reverse<u64>, u64) {
        (
            std::cmp::Reverse(self.profitability),
            self.collateral,
            std::cmp::Reverse(self.expiry_ns),
            self.seq,
        )
    }
}

/// A bounded priority queue of slots.
///
/// Items are kept sorted by priority ignoring the seen flag (best first). The
/// model keeps, per request, the set of nodes whose queue may hold its items,
/// so that removals only visit those queues. An unseen item always outranks a seen one, so
/// the next item to process is the first unseen one; when there is none, the
/// queue is paused on a seen item. Declining an item marks it seen in place
/// instead of popping and pushing it back: the same order, without moving it.
/// (Ties among re-seen items keep their first arrival order.)
#[derive(Clone, Debug, Default)]
pub struct SlotQueue {
    items: Vec<QueueItem>,
    /// Items marked seen.
    seen: usize,
    capacity: usize,
    /// Paused on a seen item, until something new arrives or the seen flags
    /// are cleared.
    pub paused: bool,
    next_seq: u64,
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
    /// lowest-priority item when over capacity. Unpauses on a new item.
    ///
    /// `maybe_queued` says whether the queue may already hold an item of this
    /// request (the caller keeps track); when false, no search is made.
    pub fn push(&mut self, mut item: QueueItem, maybe_queued: bool) {
        item.seq = self.next_seq;
        self.next_seq += 1;
        if maybe_queued {
            self.remove_slot(item.request, item.slot);
        }
        if !item.seen {
            self.paused = false;
        }
        let key = item.key();
        let at = self.items.partition_point(|i| i.key() < key);
        self.remember(&item);
        self.items.insert(at, item);
        if self.items.len() > self.capacity {
            // The worst is the last seen item if there is one, else the last.
            let worst = if self.seen == 0 {
                self.items.len() - 1
            } else {
                self.items
                    .iter()
                    .rposition(|i| i.seen)
                    .expect("a seen item")
            };
            self.take(worst);
        }
    }

    fn remember(&mut self, item: &QueueItem) {
        self.seen += item.seen as usize;
    }

    fn forget(&mut self, item: &QueueItem) {
        self.seen -= item.seen as usize;
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
        self.items[i]
    }

    /// Takes out the item at `i`.
    pub fn take(&mut self, i: usize) -> QueueItem {
        let item = self.items.remove(i);
        self.forget(&item);
        item
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
    pub fn remove_request(&mut self, request: u32) {
        let removed_seen = self
            .items
            .iter()
            .filter(|i| i.request == request && i.seen)
            .count();
        self.seen -= removed_seen;
        self.items.retain(|i| i.request != request);
    }

    /// Removes one slot (filled, or its reservations are full).
    pub fn remove_slot(&mut self, request: u32, slot: u32) {
        // At most one item per slot: `push` replaces duplicates.
        if let Some(i) = self
            .items
            .iter()
            .position(|i| i.request == request && i.slot == slot)
        {
            self.take(i);
        }
    }

    /// Drops everything (the node restarted).
    pub fn clear(&mut self) {
        self.seen = 0;
        self.items.clear();
        self.paused = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SlotQueue {
        fn push_all(&mut self, item: QueueItem) {
            self.push(item, true);
        }
    }

    fn item(request: u32, profitability: u128, seen: bool) -> QueueItem {
        QueueItem {
            request,
            slot: 0,
            collateral: 10,
            profitability,
            expiry_ns: 0,
            seen,
            seq: 0,
        }
    }

    #[test]
    fn priority_and_capacity() {
        let mut q = SlotQueue::new(2);
        q.push_all(item(1, 5, false));
        q.push_all(item(2, 9, false));
        q.push_all(item(3, 1, false)); // dropped: least profitable
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop().unwrap().request, 2);
        assert_eq!(q.pop().unwrap().request, 1);
        assert!(q.pop().is_none());
    }

    #[test]
    fn unseen_before_seen_and_seen_pauses() {
        let mut q = SlotQueue::new(10);
        q.push_all(item(1, 100, true));
        q.push_all(item(2, 1, false));
        assert_eq!(q.pop().unwrap().request, 2);
        assert!(q.pop().is_none(), "the best item was seen: pause");
        assert!(q.paused);
        assert_eq!(q.len(), 1, "the seen item stays");
        assert!(q.pop().is_none(), "still paused: nothing new arrived");
        q.push_all(item(4, 1, false));
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
        let mut q = SlotQueue::new(10);
        q.push_all(item(1, 5, false));
        q.push_all(item(1, 5, true));
        assert_eq!(q.len(), 1);
        q.remove_request(1);
        assert!(q.is_empty());
    }

    #[test]
    fn ties_are_first_in_first_out() {
        let mut q = SlotQueue::new(10);
        for r in 0..4 {
            q.push_all(item(r, 7, false));
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|i| i.request)).collect();
        assert_eq!(order, vec![0, 1, 2, 3]);
    }
}
