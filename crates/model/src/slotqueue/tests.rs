//! The slot queues' tests: priority and capacity, seen flags and pauses,
//! ties, and random operations against one plain queue per host.

use super::*;
use codexsim_engine::rng::{RandomStream, StreamId};

/// Request r's key: profitability from the table, collateral 10 (8 for
/// repairs), expiry 0.
struct Table(Vec<u128>);

impl Keys for Table {
    fn key(&self, request: u32, repair: bool) -> SlotKey {
        SlotKey::new(self.0[request as usize], if repair { 8 } else { 10 }, 0)
    }
}

const ALL: [u64; 1] = [u64::MAX];

#[test]
fn priority_and_capacity() {
    let t = Table(vec![0, 5, 9, 1]);
    let mut q = SlotQueues::new(&[2], 1);
    q.announce(1, &[0], false, &ALL, &t);
    q.announce(2, &[0], false, &ALL, &t);
    q.announce(3, &[0], false, &ALL, &t); // dropped: least profitable
    assert_eq!(q.len(0), 2);
    q.check(&t).unwrap();
    assert_eq!(q.pop(0).unwrap().request, 2);
    assert_eq!(q.pop(0).unwrap().request, 1);
    assert!(q.pop(0).is_none());
    assert!(q.items.is_empty(), "items nobody holds are gone");
}

#[test]
fn unseen_before_seen_and_seen_pauses() {
    let t = Table(vec![0, 100, 1, 0, 1]);
    let mut q = SlotQueues::new(&[10], 1);
    q.announce(1, &[0], false, &ALL, &t);
    let p = q.next_unseen(0).unwrap();
    q.mark_seen(0, p);
    q.announce(2, &[0], false, &ALL, &t);
    assert_eq!(q.pop(0).unwrap().request, 2);
    assert!(q.pop(0).is_none(), "the best item was seen: pause");
    assert!(q.paused(0));
    assert_eq!(q.len(0), 1, "the seen item stays");
    assert!(q.pop(0).is_none(), "still paused: nothing new arrived");
    q.announce(4, &[0], false, &ALL, &t);
    assert_eq!(q.pop(0).unwrap().request, 4);
    assert!(q.pop(0).is_none());
    q.clear_seen(0);
    assert_eq!(
        q.pop(0).unwrap().request,
        1,
        "bytes came back: seen items are tried again"
    );
    q.check(&t).unwrap();
}

#[test]
fn a_repeated_slot_replaces_the_queued_one() {
    let t = Table(vec![0, 5]);
    let mut q = SlotQueues::new(&[10, 10], 1);
    q.announce(1, &[0, 1], false, &ALL, &t);
    q.announce(1, &[0], true, &ALL, &t);
    assert_eq!(q.len(0), 2);
    let first = q.items(1)[0].0;
    assert_eq!((first.slot, first.repair), (0, true), "repairs rank first");
    q.remove_request(1, &t);
    assert!(q.is_empty(0) && q.is_empty(1));
    q.check(&t).unwrap();
}

#[test]
fn nobody_online_hears_nothing() {
    let t = Table(vec![0, 5]);
    let mut q = SlotQueues::new(&[10, 10], 1);
    q.announce(1, &[0, 1], false, &[0], &t);
    assert!(q.items.is_empty());
    q.check(&t).unwrap();
}

#[test]
fn ties_are_first_in_first_out() {
    let t = Table(vec![7; 4]);
    let mut q = SlotQueues::new(&[10], 1);
    for r in 0..4 {
        q.announce(r, &[0], false, &ALL, &t);
    }
    let order: Vec<u32> = std::iter::from_fn(|| q.pop(0).map(|i| i.request)).collect();
    assert_eq!(order, vec![0, 1, 2, 3]);
}

#[test]
fn hosts_take_an_announcement_in_their_own_orders() {
    let t = Table(vec![7]);
    let nodes = 64;
    let mut q = SlotQueues::new(&vec![128; nodes], 3);
    q.announce(0, &[0, 1, 2, 3, 4, 5, 6, 7], false, &ALL, &t);
    let mut firsts = std::collections::BTreeSet::new();
    for n in 0..nodes as u32 {
        let order: Vec<u32> = q.items(n).iter().map(|(i, _)| i.slot).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..8).collect::<Vec<_>>());
        firsts.insert(q.pop(n).unwrap().slot);
        assert_eq!(q.items(n)[0].0.slot, order[1], "pop follows the order");
    }
    assert!(firsts.len() >= 6, "first choices spread: {firsts:?}");
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
    assert!(is_exact(prefix_of((1 << 56) - 1)));
    assert!(!is_exact(prefix_of(1 << 56)));
    assert_eq!(prefix_of(1 << 80), prefix_of((1 << 80) + 1), "inexact");
}

/// One host's queue the plain way: a vector sorted by (key, announcement,
/// the host's rank), each item with its seen flag.
#[derive(Default)]
struct Plain {
    items: Vec<(SlotKey, u64, u64, QueueItem, bool)>,
}

impl Plain {
    fn drop_worst(&mut self) {
        let i = self
            .items
            .iter()
            .rposition(|x| x.4)
            .unwrap_or(self.items.len() - 1);
        self.items.remove(i);
    }

    fn next_unseen(&self) -> Option<usize> {
        self.items.iter().position(|x| !x.4)
    }
}

/// The shared queues against one plain queue per host, through random
/// announcements, takes, declines, clears and removals. Profitabilities
/// above 2^56 make prefixes tie between different requests.
#[test]
fn matches_one_plain_queue_per_host() {
    let nodes = 70; // two words of bits
    let cap = 12;
    let mut rng = RandomStream::new(7, StreamId::new("test", 0));
    let base = 1u128 << 80;
    let t = Table((0..30).map(|i| base + (i % 5) as u128).collect());
    let mut caps = vec![cap as u32; nodes];
    caps[3] = 2;
    let mut q = SlotQueues::new(&caps, 11);
    let mut plain: Vec<Plain> = (0..nodes).map(|_| Plain::default()).collect();
    let mut up = vec![true; nodes];
    let mut last_repair = std::collections::HashMap::new();
    for step in 0..6_000 {
        let request = rng.below(30) as u32;
        let node = rng.below(nodes as u64) as usize;
        match rng.below(20) {
            0..=7 => {
                let repair = rng.chance(3, 10);
                let n_slots = 1 + rng.below(4) as u32;
                let first = rng.below(4) as u32;
                let slots: Vec<u32> = (first..first + n_slots).collect();
                let mut receivers = vec![0u64; 2];
                for (n, &u) in up.iter().enumerate() {
                    if u {
                        receivers[n / 64] |= 1 << (n % 64);
                    }
                }
                let batch = q.next_batch;
                q.announce(request, &slots, repair, &receivers, &t);
                for &slot in &slots {
                    last_repair.insert((request, slot), repair);
                }
                for (n, p) in plain.iter_mut().enumerate() {
                    if !up[n] {
                        continue;
                    }
                    p.items
                        .retain(|x| !(x.3.request == request && slots.contains(&x.3.slot)));
                    for &slot in &slots {
                        let probe = Entry {
                            batch,
                            slot,
                            ..Entry::of(request, repair, &t.key(request, repair))
                        };
                        let item = QueueItem {
                            request,
                            slot,
                            repair,
                        };
                        p.items.push((
                            t.key(request, repair),
                            batch,
                            q.rank(&probe, n),
                            item,
                            false,
                        ));
                    }
                    p.items.sort_by_key(|x| (x.0, x.1, x.2, x.3.slot));
                    while p.items.len() > caps[n] as usize {
                        p.drop_worst();
                    }
                }
            }
            8..=10 => {
                // The host takes its best unseen item.
                let got = q.pop(node as u32);
                let want = plain[node]
                    .next_unseen()
                    .map(|i| plain[node].items.remove(i).3);
                assert_eq!(got, want, "step {step}");
            }
            11..=13 => {
                // The host declines its best unseen item.
                if let Some(pos) = q.next_unseen(node as u32) {
                    q.mark_seen(node as u32, pos);
                }
                if let Some(i) = plain[node].next_unseen() {
                    plain[node].items[i].4 = true;
                }
            }
            14 => {
                q.clear_seen(node as u32);
                for x in &mut plain[node].items {
                    x.4 = false;
                }
            }
            15 => {
                // Offline (the queue is lost) or back.
                up[node] = !up[node];
                q.clear(node as u32);
                plain[node].items.clear();
            }
            16..=17 => {
                let slot = rng.below(7) as u32;
                let hint = last_repair.get(&(request, slot)).copied().unwrap_or(false);
                q.remove_slot(request, slot, hint, &t);
                for p in &mut plain {
                    p.items
                        .retain(|x| !(x.3.request == request && x.3.slot == slot));
                }
            }
            _ => {
                q.remove_request(request, &t);
                for p in &mut plain {
                    p.items.retain(|x| x.3.request != request);
                }
            }
        }
        q.check(&t).unwrap_or_else(|e| panic!("step {step}: {e}"));
        for (n, p) in plain.iter().enumerate() {
            let want: Vec<(QueueItem, bool)> = p.items.iter().map(|x| (x.3, x.4)).collect();
            assert_eq!(q.items(n as u32), want, "step {step}, node {n}");
        }
    }
}
