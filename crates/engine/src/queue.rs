//! The future-event queue: a monotone radix heap keyed by time, first-in
//! first-out among equal times, with lazy cancellation.
//!
//! # Why a radix heap
//!
//! Simulated time never goes back: every event is scheduled at or after the
//! time of the last event taken out. A radix heap exploits exactly that. Keys
//! are kept in 64 buckets by the highest bit in which they differ from a
//! reference key `last` that only grows; an element only ever moves to a lower
//! bucket. Taking out the minimum touches one small bucket instead of sifting
//! through `log2 N` levels of a binary heap. `BENCHMARKS.md` measures it
//! against `std::collections::BinaryHeap`.
//!
//! Two refinements keep the constant small. When the lowest bucket is small
//! (at most [`SORT_THRESHOLD`] entries), it is sorted straight into the
//! `front` run instead of being redistributed bucket by bucket; `last` then
//! becomes the largest time in `front`. An event pushed at or after the
//! back of `front` is appended to it; one pushed before that goes to `late`, a
//! binary heap merged with `front` when taking out: inserting into the middle
//! of `front` would move every entry on one side, and `front` can be long when
//! `last` lies far ahead (a small bucket spanning hours). A bit mask of
//! non-empty buckets finds the lowest one in one instruction.
//!
//! # Ordering contract
//!
//! Events come out ordered by `(time, seq)`, where `seq` is the order of
//! insertion: equal times are first-in first-out. `front` is kept sorted by
//! `(time, seq)`; a new event has a larger `seq` than every stored one, so it
//! goes after every stored event of the same time. `late` is ordered by the
//! same key, and the head is the smaller of the two heads.
//!
//! # Cancellation
//!
//! Because keys come out in increasing `(time, seq)` order, an event has been
//! taken out if and only if its key is not greater than the last key taken out.
//! [`EventQueue::cancel`] uses this to tell pending events from spent ones
//! without any per-event bookkeeping; a cancelled event stays where it is and
//! is dropped when it reaches the head.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use rustc_hash::FxHashSet;

use crate::time::SimTime;

/// The identity of a scheduled event, returned by scheduling and taken by
/// cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    time: SimTime,
    seq: u64,
}

impl EventId {
    /// When the event is (or was) due.
    pub fn time(self) -> SimTime {
        self.time
    }
    /// Its insertion sequence number, unique within a queue.
    pub fn seq(self) -> u64 {
        self.seq
    }
}

struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> (u64, u64) {
        (self.time, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

const BUCKETS: usize = 65;

/// Buckets this small are sorted into `front` rather than redistributed.
pub const SORT_THRESHOLD: usize = 64;

/// A future-event queue. See the module documentation for its guarantees.
pub struct EventQueue<E> {
    /// The head of the queue: every entry with time `<= last`, sorted by
    /// `(time, seq)`.
    front: VecDeque<Entry<E>>,
    /// Entries pushed at a time `<= last` but before the back of `front`.
    late: BinaryHeap<Reverse<Entry<E>>>,
    /// Buckets 1..=64; bucket `i` holds entries with time `> last` whose
    /// highest bit differing from `last` is bit `i - 1`. Index 0 is unused.
    buckets: Vec<Vec<Entry<E>>>,
    /// The reference key: no bucket entry is at or before it.
    last: u64,
    /// The key `(time, seq)` of the last event taken out, if any.
    last_popped: Option<(u64, u64)>,
    next_seq: u64,
    /// Sequence numbers of pending events that were cancelled.
    cancelled: FxHashSet<u64>,
    /// Entries stored, cancelled ones included.
    stored: usize,
    /// Bit `i - 1` is set when `buckets[i]` is non-empty.
    occupied: u64,
}

/// Scheduling at a time before the last event taken out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event scheduled at {requested} but the queue already reached {now}")]
pub struct PastScheduling {
    /// The time asked for.
    pub requested: SimTime,
    /// The time of the last event taken out.
    pub now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn bucket_of(key: u64, last: u64) -> usize {
    (64 - (key ^ last).leading_zeros()) as usize
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        let mut buckets = Vec::with_capacity(BUCKETS);
        buckets.resize_with(BUCKETS, Vec::new);
        EventQueue {
            front: VecDeque::new(),
            late: BinaryHeap::new(),
            buckets,
            last: 0,
            last_popped: None,
            next_seq: 0,
            cancelled: FxHashSet::default(),
            stored: 0,
            occupied: 0,
        }
    }

    /// The number of pending (not cancelled) events.
    pub fn len(&self) -> usize {
        self.stored - self.cancelled.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The time of the last event taken out (zero before the first).
    pub fn now(&self) -> SimTime {
        SimTime::from_nanos(self.last_popped.map_or(0, |(t, _)| t))
    }

    /// Schedules `event` at `time`.
    ///
    /// Fails with [`PastScheduling`] when `time` is before the last event taken
    /// out; the queue is unchanged then.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) -> Result<EventId, PastScheduling> {
        let t = time.as_nanos();
        if self.last_popped.is_some_and(|(lp, _)| t < lp) {
            return Err(PastScheduling {
                requested: time,
                now: self.now(),
            });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            time: t,
            seq,
            event,
        };
        if t > self.last {
            let b = bucket_of(t, self.last);
            self.buckets[b].push(entry);
            self.occupied |= 1 << (b - 1);
        } else if self.front.back().is_none_or(|e| e.time <= t) {
            self.front.push_back(entry);
        } else {
            self.late.push(Reverse(entry));
        }
        self.stored += 1;
        Ok(EventId { time, seq })
    }

    /// Cancels a pending event. Returns `true` if it was pending (it will not
    /// be delivered), `false` if it was already taken out or cancelled.
    pub fn cancel(&mut self, id: EventId) -> bool {
        if id.seq >= self.next_seq {
            return false;
        }
        let key = (id.time.as_nanos(), id.seq);
        if self.last_popped.is_some_and(|lp| key <= lp) {
            return false;
        }
        self.cancelled.insert(id.seq)
    }

    /// Refills the empty `front` from the lowest non-empty bucket. Returns
    /// `false` when the buckets hold nothing.
    #[inline(never)]
    fn refill(&mut self) -> bool {
        debug_assert!(self.front.is_empty() && self.late.is_empty());
        if self.occupied == 0 {
            return false;
        }
        let i = self.occupied.trailing_zeros() as usize + 1;
        self.occupied &= !(1 << (i - 1));
        let mut bucket = std::mem::take(&mut self.buckets[i]);
        if bucket.len() <= SORT_THRESHOLD {
            // Higher buckets stay valid: the new `last` agrees with the old one
            // on every bit above bit i - 1.
            bucket.sort_unstable_by_key(|e| (e.time, e.seq));
            self.last = bucket.last().expect("bucket is non-empty").time;
            self.front.extend(bucket.drain(..));
        } else {
            let min = bucket
                .iter()
                .map(|e| e.time)
                .min()
                .expect("bucket is non-empty");
            self.last = min;
            for entry in bucket.drain(..) {
                if entry.time == min {
                    self.front.push_back(entry);
                } else {
                    // Strictly lower than `i`: the bucket's keys share the bits
                    // above i - 1 with both the old and the new `last`.
                    let b = bucket_of(entry.time, min);
                    self.buckets[b].push(entry);
                    self.occupied |= 1 << (b - 1);
                }
            }
            self.front.make_contiguous().sort_unstable_by_key(|e| e.seq);
        }
        // Give the emptied bucket its allocation back for reuse.
        self.buckets[i] = bucket;
        true
    }

    /// The time of the next pending event, without taking it out.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled()
            .map(|((time, _), _)| SimTime::from_nanos(time))
    }

    /// The key of the head and whether it is in `late`, refilling `front`
    /// when both are empty.
    #[inline]
    fn head(&mut self) -> Option<((u64, u64), bool)> {
        if self.front.is_empty() && self.late.is_empty() && !self.refill() {
            return None;
        }
        match (self.front.front(), self.late.peek()) {
            (Some(f), Some(Reverse(l))) if l.key() < f.key() => Some((l.key(), true)),
            (Some(f), _) => Some((f.key(), false)),
            (None, Some(Reverse(l))) => Some((l.key(), true)),
            (None, None) => unreachable!("refilled above"),
        }
    }

    /// Takes out the head entry, known to be in `late` or not.
    #[inline]
    fn take_head(&mut self, in_late: bool) -> Entry<E> {
        self.stored -= 1;
        if in_late {
            self.late.pop().expect("late has the head").0
        } else {
            self.front.pop_front().expect("front has the head")
        }
    }

    /// Drops cancelled entries from the head until a live one leads, or the
    /// queue is empty; returns the live head's key and where it is.
    #[inline]
    fn skip_cancelled(&mut self) -> Option<((u64, u64), bool)> {
        loop {
            let (key, in_late) = self.head()?;
            if self.cancelled.is_empty() || !self.cancelled.remove(&key.1) {
                return Some((key, in_late));
            }
            self.take_head(in_late);
        }
    }

    /// Takes out the earliest pending event, with its id.
    #[inline]
    pub fn pop(&mut self) -> Option<(EventId, E)> {
        let (_, in_late) = self.skip_cancelled()?;
        Some(self.deliver(in_late))
    }

    /// Takes out the earliest pending event if it is due at or before `until`.
    #[inline]
    pub fn pop_until(&mut self, until: SimTime) -> Option<(EventId, E)> {
        let ((time, _), in_late) = self.skip_cancelled()?;
        if time > until.as_nanos() {
            return None;
        }
        Some(self.deliver(in_late))
    }

    /// Takes out the live head (found by `skip_cancelled`) as the last event
    /// delivered.
    #[inline]
    fn deliver(&mut self, in_late: bool) -> (EventId, E) {
        let entry = self.take_head(in_late);
        self.last_popped = Some((entry.time, entry.seq));
        (
            EventId {
                time: SimTime::from_nanos(entry.time),
                seq: entry.seq,
            },
            entry.event,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ns: u64) -> SimTime {
        SimTime::from_nanos(ns)
    }

    fn drain(q: &mut EventQueue<u32>) -> Vec<(u64, u32)> {
        std::iter::from_fn(|| q.pop().map(|(id, e)| (id.time().as_nanos(), e))).collect()
    }

    #[test]
    fn equal_times_come_out_first_in_first_out() {
        let mut q = EventQueue::new();
        for (i, time) in [5u64, 3, 5, 3, 9, 5, 3].iter().enumerate() {
            q.push(t(*time), i as u32).unwrap();
        }
        assert_eq!(
            drain(&mut q),
            vec![(3, 1), (3, 3), (3, 6), (5, 0), (5, 2), (5, 5), (9, 4)]
        );
    }

    #[test]
    fn equal_time_pushed_while_draining_goes_last() {
        let mut q = EventQueue::new();
        q.push(t(10), 0).unwrap();
        q.push(t(10), 1).unwrap();
        q.push(t(20), 2).unwrap();
        assert_eq!(q.pop().unwrap().1, 0);
        q.push(t(10), 3).unwrap();
        assert_eq!(drain(&mut q), vec![(10, 1), (10, 3), (20, 2)]);
    }

    #[test]
    fn past_scheduling_is_refused_and_leaves_the_queue_intact() {
        let mut q = EventQueue::new();
        q.push(t(100), 0).unwrap();
        q.pop().unwrap();
        let err = q.push(t(99), 1).unwrap_err();
        assert_eq!(err.requested, t(99));
        assert_eq!(err.now, t(100));
        assert!(q.is_empty());
        // Now is allowed.
        q.push(t(100), 2).unwrap();
        assert_eq!(q.pop().unwrap().1, 2);
    }

    #[test]
    fn scheduling_into_a_gap_after_a_peek_is_allowed() {
        let mut q = EventQueue::new();
        q.push(t(5), 0).unwrap();
        q.push(t(50), 1).unwrap();
        q.push(t(60), 2).unwrap();
        assert_eq!(q.pop().unwrap().1, 0);
        assert_eq!(q.pop_until(t(20)), None); // looks at t=50
        q.push(t(7), 3).unwrap();
        q.push(t(50), 4).unwrap();
        assert_eq!(drain(&mut q), vec![(7, 3), (50, 1), (50, 4), (60, 2)]);
        assert!(q.push(t(59), 5).is_err());
    }

    #[test]
    fn cancellation_removes_only_pending_events() {
        let mut q = EventQueue::new();
        let a = q.push(t(1), 0).unwrap();
        let b = q.push(t(2), 1).unwrap();
        let c = q.push(t(2), 2).unwrap();
        assert_eq!(q.len(), 3);
        assert!(q.cancel(b));
        assert!(!q.cancel(b), "second cancel is a no-op");
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop().unwrap().0, a);
        assert!(!q.cancel(a), "a spent event cannot be cancelled");
        assert_eq!(q.pop().unwrap().0, c);
        assert!(q.pop().is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn cancelling_the_front_event_updates_peek() {
        let mut q = EventQueue::new();
        let a = q.push(t(7), 0).unwrap();
        q.push(t(8), 1).unwrap();
        assert!(q.cancel(a));
        assert_eq!(q.peek_time(), Some(t(8)));
        assert_eq!(q.pop_until(t(7)), None);
        assert_eq!(q.pop_until(t(8)).unwrap().1, 1);
    }

    #[test]
    fn matches_a_sorted_reference_on_random_monotone_workloads() {
        // A deterministic linear congruential stream stands in for a workload.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u64)> = Vec::new(); // (time, seq) pending
        let mut ids = Vec::new();
        let mut now = 0u64;
        for step in 0..20_000u64 {
            match next() % 5 {
                0..=2 => {
                    let time = now + next() % 1_000_000 * (1 + next() % 3) * (next() % 2);
                    let id = q.push(t(time), 0).unwrap();
                    reference.push((time, id.seq()));
                    ids.push(id);
                }
                3 if !ids.is_empty() => {
                    let id = ids[(next() as usize) % ids.len()];
                    let was = reference
                        .iter()
                        .position(|&k| k == (id.time().as_nanos(), id.seq()));
                    assert_eq!(q.cancel(id), was.is_some(), "step {step}");
                    if let Some(p) = was {
                        reference.remove(p);
                    }
                }
                _ => {
                    reference.sort_unstable();
                    let expected = if reference.is_empty() {
                        None
                    } else {
                        Some(reference.remove(0))
                    };
                    let got = q.pop().map(|(id, _)| (id.time().as_nanos(), id.seq()));
                    assert_eq!(got, expected, "step {step}");
                    if let Some((time, _)) = got {
                        now = time;
                    }
                }
            }
            assert_eq!(q.len(), reference.len());
        }
    }
}
