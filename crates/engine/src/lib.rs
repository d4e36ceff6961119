//! # codexsim-engine
//!
//! A deterministic discrete-event engine. It knows nothing of storage, nodes or
//! Codex: it has a clock, a future-event queue, a run loop and random streams.
//!
//! ## Time
//!
//! Time is an integer: [`SimTime`] counts nanoseconds since the start of a run
//! in a `u64`; [`SimDuration`] is a span. There is no floating-point clock, so
//! no epsilon comparisons and no drift.
//!
//! ## Ordering contract
//!
//! 1. Events are delivered in increasing `(time, seq)` order, where `seq` is the
//!    order in which they were scheduled. Events at equal times are therefore
//!    delivered first-in first-out.
//! 2. The clock never goes back: [`Scheduler::now`] is the time of the event
//!    being handled, and scheduling before it returns
//!    [`ScheduleError::Past`]; the event is not queued.
//! 3. A cancelled event ([`Scheduler::cancel`]) is never delivered. Cancelling
//!    an event that was already delivered or cancelled returns `false` and
//!    changes nothing.
//! 4. [`Simulation::run`] stops before the first event due after
//!    [`RunLimits::until`] (leaving it pending), after
//!    [`RunLimits::max_events`] deliveries, when the queue is empty, or when a
//!    handler returns an error.
//!
//! ## Determinism contract
//!
//! Given the same initial events, the same handler code and the same master
//! seed, a run delivers the same events at the same times in the same order,
//! on any machine and any thread count:
//!
//! - nothing in the engine reads the wall clock or iterates a randomly keyed
//!   hash map (the cancellation set is only probed, never iterated);
//! - randomness comes only from [`RandomStream`]s, each keyed by the master
//!   seed and a stable [`StreamId`]; streams do not share state, so adding a
//!   consumer does not change the draws of another;
//! - samplers ([`Dist`]) use one uniform draw each, by inverse transform, so the
//!   mapping from stream to sample is fixed by this crate. A snapshot test pins
//!   the first draws of a stream.
//!
//! A run is single-threaded. Parallelism belongs across runs, never inside one.
//!
//! ## Example
//!
//! ```
//! use codexsim_engine::{EventId, Handler, RunLimits, Scheduler, SimDuration, SimTime, Simulation};
//!
//! struct Ticker { ticks: u32 }
//! impl Handler<&'static str> for Ticker {
//!     type Error = codexsim_engine::ScheduleError;
//!     fn handle(&mut self, s: &mut Scheduler<&'static str>, _: EventId, e: &'static str) -> Result<(), Self::Error> {
//!         self.ticks += 1;
//!         s.schedule_in(SimDuration::from_secs(10), e)?;
//!         Ok(())
//!     }
//! }
//! let mut sim = Simulation::new();
//! sim.scheduler().schedule_at(SimTime::ZERO, "tick").unwrap();
//! let mut ticker = Ticker { ticks: 0 };
//! sim.run(&mut ticker, RunLimits::until(SimTime::from_secs(60))).unwrap();
//! assert_eq!(ticker.ticks, 7); // t = 0, 10, ..., 60
//! ```

#![warn(missing_docs)]

pub mod dist;
pub mod hold;
pub mod queue;
pub mod rng;
pub mod sim;
pub mod time;

pub use dist::{Dist, DistError};
pub use queue::{EventId, EventQueue, PastScheduling};
pub use rng::{mix64, RandomStream, StreamId};
pub use sim::{Handler, RunLimits, ScheduleError, Scheduler, Simulation, StopReason};
pub use time::{SimDuration, SimTime, S_PER_YEAR};
