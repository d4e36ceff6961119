//! The fast market (`run.market = "fast"`): the hosts' race for announced
//! slots, drawn lazily.
//!
//! In the exact market an announcement wakes every online host with a free
//! worker after its own transaction delay, uniform in [0, block period): one
//! event per host, although at most `max_reservations_per_slot` hosts can
//! reserve a slot and the rest find it gone. Here the same hosts wake in the
//! same law, one at a time: the next to wake is uniform among those still
//! waiting, at the smallest of their delays (the order statistics of `m`
//! independent uniforms on the window left: the minimum of `m` uniforms on
//! `[a, e)` is `a + (e - a) (1 - U^(1/m))`). The race is among the hosts
//! the exact market wakes: online, a worker free, no wake-up pending (the
//! ledger keeps them as a bit set, so starting a race costs a word per 64
//! hosts). One that cannot work at its turn passes, as its wake-up would in
//! the exact market; one that would only decline or drop what it holds
//! unseen does so when it is drawn, without an event of its own (the one
//! approximation: it decides up to a block period before its turn). When
//! the announced slots are gone
//! (filled, reservations full, request over) the race stops: the hosts that
//! have not woken would have found nothing of this announcement, and an
//! idle host holds no other unseen item (it would have a wake-up pending
//! otherwise). A woken host does exactly what the exact market's host does
//! (`on_work`). The two modes are equal in distribution up to one
//! difference: a waiting host that is woken for another reason before its
//! turn acts then, and once more (without effect) at its turn.
//!
//! Owns [`Races`]; reads the ledger to tell whether a race's slots are still
//! open.

use codexsim_engine::{RandomStream, Scheduler, SimTime, StreamId};

use crate::events::{Ev, Stop};
use crate::market::Decision;
use crate::model::Model;

/// One announcement's race.
#[derive(Clone, Debug)]
struct Race {
    request: u32,
    slots: Vec<u32>,
    /// Hosts that would wake and have not yet (a node bit set).
    waiting: Vec<u64>,
    /// How many.
    left: u32,
    /// When the last host woke (ns).
    at_ns: u64,
    /// The announcement's time plus a block period: every delay ends before.
    end_ns: u64,
    /// The host whose turn is scheduled.
    next: u32,
}

/// The races under way.
#[derive(Clone, Debug)]
pub(crate) struct Races {
    races: Vec<Option<Race>>,
    free: Vec<u32>,
    rng: RandomStream,
}

impl Races {
    pub(crate) fn new(seed: u64) -> Self {
        Races {
            races: Vec::new(),
            free: Vec::new(),
            rng: RandomStream::new(seed, StreamId::new("market-race", 0)),
        }
    }

    /// Each race's count of waiting hosts matches its bit set (a running
    /// race has a host's turn scheduled, and maybe none waiting after it).
    pub(crate) fn check(&self) -> Result<(), String> {
        for (i, race) in self.races.iter().enumerate() {
            if let Some(r) = race {
                let ones: u32 = r.waiting.iter().map(|w| w.count_ones()).sum();
                if ones != r.left {
                    return Err(format!(
                        "race {i}: {} waiting hosts counted as {}",
                        ones, r.left
                    ));
                }
            }
        }
        Ok(())
    }

    fn insert(&mut self, race: Race) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.races[i as usize] = Some(race);
                i
            }
            None => {
                self.races.push(Some(race));
                (self.races.len() - 1) as u32
            }
        }
    }

    fn remove(&mut self, id: u32) {
        self.races[id as usize] = None;
        self.free.push(id);
    }

    /// The earliest of `left` independent uniform delays on `[at, end)`.
    fn next_wake_ns(&mut self, at_ns: u64, end_ns: u64, left: u32) -> u64 {
        let span = end_ns.saturating_sub(at_ns);
        if span == 0 {
            return at_ns;
        }
        // 1 - U^(1/m) with U uniform on (0, 1], without cancellation.
        let u = 1.0 - self.rng.uniform01();
        let fraction = -(u.ln() / left as f64).exp_m1();
        let delay = ((span as f64) * fraction) as u64;
        at_ns + delay.min(span - 1)
    }
}

/// A host uniformly among the `left` waiting of `hosts`: by rejection (a
/// random host until a waiting one) while at least a quarter wait, else
/// the `k`-th waiting one by counting.
fn pick_waiting(rng: &mut RandomStream, waiting: &[u64], left: u32, hosts: usize) -> usize {
    if left as usize * 4 >= hosts {
        loop {
            let n = rng.below(hosts as u64) as usize;
            if waiting[n / 64] & (1 << (n % 64)) != 0 {
                return n;
            }
        }
    }
    let k = rng.below(u64::from(left)) as u32;
    nth_set_bit(waiting, k).expect("a waiting host per count")
}

/// Picks the `k`-th set bit (from 0) of a bit set.
fn nth_set_bit(bits: &[u64], mut k: u32) -> Option<usize> {
    for (w, &word) in bits.iter().enumerate() {
        let ones = word.count_ones();
        if k < ones {
            let mut word = word;
            for _ in 0..k {
                word &= word - 1;
            }
            return Some(w * 64 + word.trailing_zeros() as usize);
        }
        k -= ones;
    }
    None
}

impl Model<'_> {
    /// Starts the race for `slots` of `request` just announced, among the
    /// hosts the exact market would wake: online, a worker free, no wake-up
    /// pending (their queues now hold something unseen).
    pub(crate) fn start_race(
        &mut self,
        s: &mut Scheduler<Ev>,
        request: u32,
        slots: &[u32],
    ) -> Result<(), Stop> {
        let waiting = self.ledger.ready.clone();
        let left: u32 = waiting.iter().map(|w| w.count_ones()).sum();
        if left == 0 {
            return Ok(());
        }
        let now = s.now().as_nanos();
        let end_ns = now.saturating_add(self.cfg.marketplace.block_period.as_nanos());
        let race = self.market.races.insert(Race {
            request,
            slots: slots.to_vec(),
            waiting,
            left,
            at_ns: now,
            end_ns,
            next: u32::MAX,
        });
        self.advance_race(s, race)
    }

    /// The race's next host wakes and works; the race goes on.
    pub(crate) fn on_race_wake(&mut self, s: &mut Scheduler<Ev>, id: u32) -> Result<(), Stop> {
        let node = self.market.races.races[id as usize]
            .as_ref()
            .expect("a race event names a running race")
            .next;
        // Woken meanwhile for another reason (it has its own wake-up), or
        // busy now: it passes, as in the exact market.
        if self.would_wake(node) {
            self.on_work(s, node)?;
        }
        self.advance_race(s, id)
    }

    /// Draws the race's next hosts while its slots are open. A host that
    /// would pass (offline, busy, a wake-up of its own pending) or only
    /// decline and drop what it holds unseen does so at once, without an
    /// event; the first that may take a slot is scheduled at its turn.
    fn advance_race(&mut self, s: &mut Scheduler<Ev>, id: u32) -> Result<(), Stop> {
        loop {
            let race = self.market.races.races[id as usize]
                .as_ref()
                .expect("the race is running");
            if race.left == 0 || !self.race_open(race.request, &race.slots) {
                self.market.races.remove(id);
                return Ok(());
            }
            let (at, end, left) = (race.at_ns, race.end_ns, race.left);
            let races = &mut self.market.races;
            let wake = races.next_wake_ns(at, end, left);
            let hosts = self.ledger.nodes.len();
            let race = races.races[id as usize].as_mut().expect("running");
            let node = pick_waiting(&mut races.rng, &race.waiting, left, hosts);
            race.waiting[node / 64] &= !(1 << (node % 64));
            race.left -= 1;
            race.at_ns = wake;
            let node = node as u32;
            if !self.would_wake(node) {
                continue;
            }
            if self.only_declines(s.now(), node) {
                self.on_work(s, node)?;
                continue;
            }
            self.market.races.races[id as usize]
                .as_mut()
                .expect("running")
                .next = node;
            s.schedule_at(SimTime::from_nanos(wake), Ev::RaceWake { race: id })?;
            return Ok(());
        }
    }

    /// Whether the host would decline or drop every item it holds unseen.
    fn only_declines(&self, now: SimTime, node: u32) -> bool {
        self.market.queues.unseen(node).all(|item| {
            matches!(
                self.decide(now, node, &item),
                Decision::Decline | Decision::Drop | Decision::Wait(_)
            )
        })
    }

    /// Whether a host could still reserve one of these slots.
    fn race_open(&self, request: u32, slots: &[u32]) -> bool {
        let Some(r) = self.ledger.requests.get(request as usize) else {
            return false; // retired
        };
        if !r.active() || r.lost {
            return false;
        }
        let max_res = self.cfg.marketplace.max_reservations_per_slot as usize;
        slots.iter().any(|&slot| {
            let sl = &r.slots[slot as usize];
            sl.host_sale.is_none() && sl.reservations.len() < max_res
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_are_uniform_among_the_waiting() {
        let mut rng = RandomStream::new(9, StreamId::new("test", 0));
        // 200 hosts, 60 waiting (rejection) or 20 (counting).
        for every in [3usize, 10] {
            let mut waiting = vec![0u64; 4];
            let mut left = 0;
            for n in (0..200).step_by(every) {
                waiting[n / 64] |= 1 << (n % 64);
                left += 1;
            }
            let mut counts = vec![0u32; 200];
            let draws = 30_000 * left as usize / 20;
            for _ in 0..draws {
                counts[pick_waiting(&mut rng, &waiting, left, 200)] += 1;
            }
            let expected = draws as f64 / left as f64;
            for (n, &c) in counts.iter().enumerate() {
                if n % every == 0 {
                    // 1,500 expected per host: 5 sd is about 194.
                    assert!(
                        (c as f64 - expected).abs() < 200.0,
                        "host {n}: {c} of {expected}"
                    );
                } else {
                    assert_eq!(c, 0, "host {n} is not waiting");
                }
            }
        }
    }

    #[test]
    fn nth_set_bit_walks_words() {
        let bits = [0b1010u64, 0, 1 << 63 | 1];
        assert_eq!(nth_set_bit(&bits, 0), Some(1));
        assert_eq!(nth_set_bit(&bits, 1), Some(3));
        assert_eq!(nth_set_bit(&bits, 2), Some(128));
        assert_eq!(nth_set_bit(&bits, 3), Some(191));
        assert_eq!(nth_set_bit(&bits, 4), None);
    }

    /// The lazily drawn wake times have the law of sorted uniforms: with `m`
    /// hosts on a window of length 1, the `j`-th (from 1) has mean
    /// `j / (m + 1)`.
    #[test]
    fn wake_times_are_uniform_order_statistics() {
        let mut races = Races::new(5);
        let (m, runs, span) = (8u32, 20_000, 1_000_000_000u64);
        let mut sums = vec![0f64; m as usize];
        for _ in 0..runs {
            let mut at = 0;
            for (j, sum) in sums.iter_mut().enumerate() {
                at = races.next_wake_ns(at, span, m - j as u32);
                *sum += at as f64 / span as f64;
            }
        }
        for (j, sum) in sums.iter().enumerate() {
            let mean = sum / runs as f64;
            let expected = (j + 1) as f64 / (m + 1) as f64;
            // The j-th order statistic's sd is below 0.18; the mean's, with
            // 20,000 runs, below 0.0013: 5 sd.
            assert!(
                (mean - expected).abs() < 0.0065,
                "order statistic {}: mean {mean:.4}, expected {expected:.4}",
                j + 1
            );
        }
    }
}
