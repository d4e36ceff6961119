//! The run loop: a [`Scheduler`] that handlers schedule into, and
//! [`Simulation::run`], which delivers events in order until a limit.

use crate::queue::{EventId, EventQueue, PastScheduling};
use crate::time::{SimDuration, SimTime};

/// What a handler sees of the engine: the clock and the future-event queue.
pub struct Scheduler<E> {
    queue: EventQueue<E>,
    now: SimTime,
}

/// Errors from scheduling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The event was due before the current time.
    #[error(transparent)]
    Past(#[from] PastScheduling),
    /// `now + delay` is beyond the largest representable time.
    #[error("event scheduled {delay} after {now} overflows simulated time")]
    Overflow {
        /// The current time.
        now: SimTime,
        /// The delay asked for.
        delay: SimDuration,
    },
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Scheduler<E> {
    /// An empty scheduler at time zero.
    pub fn new() -> Self {
        Scheduler {
            queue: EventQueue::new(),
            now: SimTime::ZERO,
        }
    }

    /// The current simulated time: the time of the event being handled.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`; refuses times before [`Scheduler::now`].
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> Result<EventId, ScheduleError> {
        if time < self.now {
            return Err(ScheduleError::Past(PastScheduling {
                requested: time,
                now: self.now,
            }));
        }
        Ok(self.queue.push(time, event)?)
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> Result<EventId, ScheduleError> {
        let time = self.now.checked_add(delay).ok_or(ScheduleError::Overflow {
            now: self.now,
            delay,
        })?;
        self.schedule_at(time, event)
    }

    /// Cancels a pending event; `false` when it was already delivered or
    /// cancelled.
    pub fn cancel(&mut self, id: EventId) -> bool {
        self.queue.cancel(id)
    }

    /// The number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The time of the next pending event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }
}

/// A component that reacts to events. Handlers are plain structs: the engine
/// knows nothing of what the events mean.
pub trait Handler<E> {
    /// Why a run must stop (a broken invariant, say).
    type Error;
    /// Handles one event at `sched.now()`; may schedule and cancel others.
    fn handle(
        &mut self,
        sched: &mut Scheduler<E>,
        id: EventId,
        event: E,
    ) -> Result<(), Self::Error>;
}

/// Bounds on one call of [`Simulation::run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLimits {
    /// Events due after this time are left pending; the clock stops here.
    pub until: SimTime,
    /// At most this many events are delivered in this call.
    pub max_events: u64,
}

impl RunLimits {
    /// Run until `until`, with no bound on the event count.
    pub fn until(until: SimTime) -> Self {
        RunLimits {
            until,
            max_events: u64::MAX,
        }
    }
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// No event was pending.
    QueueEmpty,
    /// The next event is due after `RunLimits::until`; the clock was advanced
    /// to `until`.
    TimeLimit,
    /// `RunLimits::max_events` events were delivered.
    EventLimit,
}

/// A deterministic simulation: a scheduler plus the count of events delivered.
pub struct Simulation<E> {
    sched: Scheduler<E>,
    events_processed: u64,
}

impl<E> Default for Simulation<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Simulation<E> {
    /// An empty simulation at time zero.
    pub fn new() -> Self {
        Simulation {
            sched: Scheduler::new(),
            events_processed: 0,
        }
    }

    /// The scheduler, to seed initial events before running.
    pub fn scheduler(&mut self) -> &mut Scheduler<E> {
        &mut self.sched
    }

    /// The current time.
    pub fn now(&self) -> SimTime {
        self.sched.now
    }

    /// Events delivered so far, over all calls of [`Simulation::run`].
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Delivers events in `(time, insertion)` order to `handler` until the
    /// queue is empty, the next event is due after `limits.until`, or
    /// `limits.max_events` were delivered. A handler error stops the run at
    /// once and is returned; the clock then stays at the failing event.
    pub fn run<H: Handler<E>>(
        &mut self,
        handler: &mut H,
        limits: RunLimits,
    ) -> Result<StopReason, H::Error> {
        let mut delivered = 0u64;
        loop {
            if delivered >= limits.max_events {
                return Ok(StopReason::EventLimit);
            }
            let Some((id, event)) = self.sched.queue.pop_until(limits.until) else {
                return Ok(if self.sched.queue.is_empty() {
                    StopReason::QueueEmpty
                } else {
                    self.sched.now = self.sched.now.max(limits.until);
                    StopReason::TimeLimit
                });
            };
            debug_assert!(id.time() >= self.sched.now, "simulated time went back");
            self.sched.now = id.time();
            delivered += 1;
            self.events_processed += 1;
            handler.handle(&mut self.sched, id, event)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records deliveries; event `n > 0` schedules `n - 1` one second later.
    struct Chain(Vec<(SimTime, u32)>);

    impl Handler<u32> for Chain {
        type Error = ScheduleError;
        fn handle(
            &mut self,
            s: &mut Scheduler<u32>,
            _id: EventId,
            n: u32,
        ) -> Result<(), ScheduleError> {
            self.0.push((s.now(), n));
            if n > 0 {
                s.schedule_in(SimDuration::from_secs(1), n - 1)?;
            }
            Ok(())
        }
    }

    #[test]
    fn runs_to_empty_queue() {
        let mut sim = Simulation::new();
        sim.scheduler()
            .schedule_at(SimTime::from_secs(2), 3)
            .unwrap();
        let mut h = Chain(Vec::new());
        assert_eq!(
            sim.run(&mut h, RunLimits::until(SimTime::MAX)),
            Ok(StopReason::QueueEmpty)
        );
        assert_eq!(
            h.0.iter().map(|x| x.0.as_secs()).collect::<Vec<_>>(),
            vec![2, 3, 4, 5]
        );
        assert_eq!(sim.events_processed(), 4);
    }

    #[test]
    fn time_limit_leaves_later_events_pending_and_resumes() {
        let mut sim = Simulation::new();
        sim.scheduler().schedule_at(SimTime::ZERO, 10).unwrap();
        let mut h = Chain(Vec::new());
        let r = sim.run(
            &mut h,
            RunLimits::until(SimTime::from_millis_for_test(3500)),
        );
        assert_eq!(r, Ok(StopReason::TimeLimit));
        assert_eq!(h.0.len(), 4); // t = 0, 1, 2, 3
        assert_eq!(sim.now(), SimTime::from_millis_for_test(3500));
        // Scheduling between now and the next pending event is fine.
        sim.scheduler()
            .schedule_at(SimTime::from_millis_for_test(3700), 0)
            .unwrap();
        let r = sim.run(
            &mut h,
            RunLimits {
                until: SimTime::MAX,
                max_events: 2,
            },
        );
        assert_eq!(r, Ok(StopReason::EventLimit));
        assert_eq!(h.0[4], (SimTime::from_millis_for_test(3700), 0));
        assert_eq!(h.0[5], (SimTime::from_secs(4), 6));
    }

    #[test]
    fn handler_errors_stop_the_run() {
        struct Bad;
        impl Handler<()> for Bad {
            type Error = ScheduleError;
            fn handle(
                &mut self,
                s: &mut Scheduler<()>,
                _: EventId,
                _: (),
            ) -> Result<(), ScheduleError> {
                s.schedule_at(SimTime::ZERO, ())?;
                Ok(())
            }
        }
        let mut sim = Simulation::new();
        sim.scheduler()
            .schedule_at(SimTime::from_secs(1), ())
            .unwrap();
        let err = sim
            .run(&mut Bad, RunLimits::until(SimTime::MAX))
            .unwrap_err();
        assert!(matches!(err, ScheduleError::Past(p) if p.now == SimTime::from_secs(1)));
        assert!(
            err.to_string()
                .contains("scheduled at 0s but the queue already reached 1s"),
            "{err}"
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let mut s: Scheduler<()> = Scheduler::new();
        assert!(s.schedule_in(SimDuration::MAX, ()).is_ok());
        let mut sim = Simulation::new();
        sim.scheduler()
            .schedule_at(SimTime::from_secs(1), ())
            .unwrap();
        struct Far;
        impl Handler<()> for Far {
            type Error = ScheduleError;
            fn handle(
                &mut self,
                s: &mut Scheduler<()>,
                _: EventId,
                _: (),
            ) -> Result<(), ScheduleError> {
                s.schedule_in(SimDuration::MAX, ()).map(|_| ())
            }
        }
        assert!(matches!(
            sim.run(&mut Far, RunLimits::until(SimTime::MAX)),
            Err(ScheduleError::Overflow { .. })
        ));
    }

    impl SimTime {
        fn from_millis_for_test(ms: u64) -> SimTime {
            SimTime::from_nanos(ms * 1_000_000)
        }
    }
}
