//! Same seed, same event sequence; another seed, another sequence.

use codexsim_engine::{
    Dist, EventId, Handler, RandomStream, RunLimits, ScheduleError, Scheduler, SimDuration,
    SimTime, Simulation, StreamId,
};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ev {
    Fail(usize),
    Repair(usize),
    Audit(usize),
}

/// A toy fleet: each node alternates between up (Weibull lifetime) and down
/// (lognormal repair); a repair schedules an audit an hour later, which a
/// failure before then cancels.
struct Toy {
    streams: Vec<RandomStream>,
    lifetime: Dist,
    repair: Dist,
    log: Vec<(SimTime, u64, Ev)>,
    audits: Vec<Option<EventId>>,
}

impl Handler<Ev> for Toy {
    type Error = ScheduleError;
    fn handle(&mut self, s: &mut Scheduler<Ev>, id: EventId, e: Ev) -> Result<(), ScheduleError> {
        self.log.push((s.now(), id.seq(), e));
        match e {
            Ev::Fail(n) => {
                if let Some(a) = self.audits[n].take() {
                    s.cancel(a);
                }
                let d = self.repair.sample(&mut self.streams[n]);
                s.schedule_in(SimDuration::from_secs_f64(d), Ev::Repair(n))?;
            }
            Ev::Repair(n) => {
                let d = self.lifetime.sample(&mut self.streams[n]);
                s.schedule_in(SimDuration::from_secs_f64(d), Ev::Fail(n))?;
                self.audits[n] = Some(s.schedule_in(SimDuration::from_secs(3600), Ev::Audit(n))?);
            }
            Ev::Audit(n) => self.audits[n] = None,
        }
        Ok(())
    }
}

fn run(seed: u64, nodes: usize) -> Vec<(SimTime, u64, Ev)> {
    let mut toy = Toy {
        streams: (0..nodes)
            .map(|i| RandomStream::new(seed, StreamId::new("node", i as u64)))
            .collect(),
        lifetime: Dist::Weibull {
            shape: 0.9,
            scale: 86_400.0,
        },
        repair: Dist::LogNormal {
            mu: 8.0,
            sigma: 1.0,
        },
        log: Vec::new(),
        audits: vec![None; nodes],
    };
    let mut sim = Simulation::new();
    for n in 0..nodes {
        sim.scheduler()
            .schedule_at(SimTime::ZERO, Ev::Repair(n))
            .unwrap();
    }
    sim.run(&mut toy, RunLimits::until(SimTime::from_secs(365 * 86_400)))
        .unwrap();
    toy.log
}

#[test]
fn same_seed_gives_the_same_event_sequence() {
    let a = run(7, 20);
    let b = run(7, 20);
    assert!(
        a.len() > 1000,
        "the toy must do real work: {} events",
        a.len()
    );
    assert_eq!(a, b);
}

#[test]
fn another_seed_gives_another_sequence() {
    assert_ne!(run(7, 20), run(8, 20));
}

#[test]
fn adding_a_node_leaves_the_others_draws_alone() {
    let node0 = |log: Vec<(SimTime, u64, Ev)>| -> Vec<SimTime> {
        log.into_iter()
            .filter(|e| matches!(e.2, Ev::Fail(0)))
            .map(|e| e.0)
            .collect()
    };
    assert_eq!(node0(run(7, 20)), node0(run(7, 21)));
}
