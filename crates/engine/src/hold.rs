//! The classic hold model, for measuring the engine.
//!
//! `n` events are pending; each delivered event schedules one more at
//! `now + Exp(1 s)`. [`hold_engine`] runs it through [`Simulation`] with a
//! handler (dispatch included); [`hold_bare_heap`] runs the same workload on a
//! bare `std::collections::BinaryHeap` of `(time, seq)` keys with no dispatch,
//! the floor any heap-based engine pays. Both draw from the same keyed stream,
//! so they process the same event times.
//!
//! This is the only module of the engine that reads the wall clock, and only
//! to time itself.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::queue::EventId;
use crate::rng::{RandomStream, StreamId};
use crate::sim::{Handler, RunLimits, ScheduleError, Scheduler, Simulation};
use crate::time::{SimDuration, SimTime};

/// One timed hold-model run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HoldResult {
    /// Pending events.
    pub pending: usize,
    /// Events delivered in the timed part.
    pub events: u64,
    /// Wall time of the timed part, in seconds.
    pub wall_s: f64,
    /// Simulated time reached, in nanoseconds (a checksum: both loops must agree).
    pub end_time_ns: u64,
}

impl HoldResult {
    /// Events per wall-clock second.
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s
    }
}

fn hold_delay(rng: &mut RandomStream) -> SimDuration {
    SimDuration::from_secs_f64(rng.exponential(1.0))
}

struct Hold {
    rng: RandomStream,
}

impl Handler<()> for Hold {
    type Error = ScheduleError;
    #[inline]
    fn handle(&mut self, s: &mut Scheduler<()>, _id: EventId, _e: ()) -> Result<(), ScheduleError> {
        s.schedule_in(hold_delay(&mut self.rng), ()).map(|_| ())
    }
}

/// Runs the hold model with `pending` events for `events` deliveries through
/// the engine.
pub fn hold_engine(pending: usize, events: u64, seed: u64) -> HoldResult {
    let mut rng = RandomStream::new(seed, StreamId::new("hold", 0));
    let mut sim = Simulation::new();
    for _ in 0..pending {
        let d = hold_delay(&mut rng);
        sim.scheduler()
            .schedule_at(SimTime::ZERO.saturating_add(d), ())
            .expect("initial events are in the future");
    }
    let mut handler = Hold { rng };
    let start = Instant::now();
    sim.run(
        &mut handler,
        RunLimits {
            until: SimTime::MAX,
            max_events: events,
        },
    )
    .expect("the hold model never schedules into the past");
    let wall_s = start.elapsed().as_secs_f64();
    HoldResult {
        pending,
        events: sim.events_processed(),
        wall_s,
        end_time_ns: sim.now().as_nanos(),
    }
}

/// Runs the same workload on a bare binary heap with no dispatch.
pub fn hold_bare_heap(pending: usize, events: u64, seed: u64) -> HoldResult {
    let mut rng = RandomStream::new(seed, StreamId::new("hold", 0));
    let mut heap = BinaryHeap::with_capacity(pending + 1);
    let mut seq = 0u64;
    for _ in 0..pending {
        heap.push(Reverse((hold_delay(&mut rng).as_nanos(), seq)));
        seq += 1;
    }
    let start = Instant::now();
    let mut now = 0u64;
    for _ in 0..events {
        let Reverse((t, _)) = heap.pop().expect("the hold model keeps its events");
        now = t;
        heap.push(Reverse((
            now.saturating_add(hold_delay(&mut rng).as_nanos()),
            seq,
        )));
        seq += 1;
    }
    let wall_s = start.elapsed().as_secs_f64();
    HoldResult {
        pending,
        events,
        wall_s,
        end_time_ns: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_and_bare_heap_process_the_same_events() {
        for n in [1, 10, 1000] {
            let a = hold_engine(n, 20_000, 3);
            let b = hold_bare_heap(n, 20_000, 3);
            assert_eq!(a.events, 20_000);
            assert_eq!(a.end_time_ns, b.end_time_ns, "n = {n}");
        }
    }
}
