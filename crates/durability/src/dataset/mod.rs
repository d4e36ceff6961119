//! One dataset's slots over time, simulated on the codexsim engine, with
//! rare-event estimation of its probability of data loss.
//!
//! # Model
//!
//! A dataset of `k + m` slots on `k + m` hosts (one slot each). A host's
//! disk fails after an exponential time of mean `host_mttf_s` and is
//! replaced at once, empty: its slot is *lost*. Hosts may sit on machines
//! (round robin); a machine fails after an exponential time of mean
//! `machine_mttf_s` and every slot on it is lost at once (correlated
//! failures). A lost slot is *noticed* after a time drawn from `detection`
//! (the proofs). Lazy repair: once `l0` lost slots are noticed, one repair
//! starts; when it ends, every lost slot (noticed or not) is restored.
//! Its duration is drawn from `repair` or, with `RepairTime::Bandwidth`,
//! is the time to download K slots' worth (the dataset) and upload the lost
//! slots through a link shared by concurrent repairs. The data is lost when
//! more than `m` slots are lost at once.
//!
//! With exponential detection and repair and no machines this is exactly
//! the Codex whitepaper's chain ([`crate::exact::Whitepaper`]); with
//! `l0 = 1` and detection at once it is the birth-death chain with
//! all-at-once repair.
//!
//! # Rare-event estimation
//!
//! Importance sampling with failure biasing: while the dataset is degraded
//! (a slot lost), every failure rate is multiplied by `bias`, so the paths
//! to loss become common; each path carries its likelihood ratio, the
//! product over degraded failure events of 1 / bias times
//! exp((bias - 1) R dt) over degraded time (R the total failure rate then).
//! Failures are exponential and a pending failure is redrawn whenever its
//! rate changes (memorylessness makes that exact); detection and repair are
//! never biased, so they may have any distribution. The estimate is the
//! mean of loss indicator x likelihood ratio over independent paths, which
//! is unbiased for any `bias` >= 1; `bias = 1` is plain Monte Carlo.

use codexsim_engine::{
    EventId, Handler, RandomStream, RunLimits, ScheduleError, Scheduler, SimDuration, SimTime,
    Simulation, StreamId,
};

/// A duration's distribution, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Duration {
    /// Exponential with this mean.
    Exponential(f64),
    /// Always this long.
    Fixed(f64),
}

impl Duration {
    fn draw(self, rng: &mut RandomStream) -> f64 {
        match self {
            Duration::Exponential(mean) => rng.exponential(mean),
            Duration::Fixed(d) => d,
        }
    }
}

/// How long a repair takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RepairTime {
    /// Drawn from a distribution (the chains' MTTR).
    Drawn(Duration),
    /// From the network: the repairing host downloads the dataset (K slots'
    /// worth) and uploads each lost slot through a link of
    /// `link_bytes_per_s`, shared fairly with `concurrent_repairs` other
    /// repairs (the datasets that lost a slot in the same failure), after a
    /// fixed `start_s` (finding a host, the slot queue).
    Bandwidth {
        /// The dataset's size.
        dataset_bytes: f64,
        /// The repairing path's capacity.
        link_bytes_per_s: f64,
        /// Repairs sharing it.
        concurrent_repairs: f64,
        /// Time before the transfer starts.
        start_s: f64,
    },
}

/// One dataset's durability model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DatasetModel {
    /// Slots needed to recover.
    pub k: u32,
    /// Slots that may be lost.
    pub m: u32,
    /// Noticed losses before a repair starts.
    pub l0: u32,
    /// Mean time to a host's disk failure, seconds.
    pub host_mttf_s: f64,
    /// Machines the hosts are spread over (0: every host independent).
    pub machines: u32,
    /// Mean time to a machine's failure (all its slots lost), seconds.
    pub machine_mttf_s: f64,
    /// Time to notice a lost slot.
    pub detection: Duration,
    /// Time to repair.
    pub repair: RepairTime,
}

const YEAR_S: f64 = 365.0 * 86_400.0;

impl DatasetModel {
    /// The whitepaper's assumptions: host MTTF 1 year, MTTR and mean time
    /// between proofs 24 h, all exponential, independent hosts.
    pub fn whitepaper(k: u32, m: u32, l0: u32) -> DatasetModel {
        DatasetModel {
            k,
            m,
            l0,
            host_mttf_s: YEAR_S,
            machines: 0,
            machine_mttf_s: f64::INFINITY,
            detection: Duration::Exponential(86_400.0),
            repair: RepairTime::Drawn(Duration::Exponential(86_400.0)),
        }
    }

    fn n(&self) -> u32 {
        self.k + self.m
    }

    fn machine_of(&self, slot: u32) -> Option<u32> {
        (self.machines > 0).then(|| slot % self.machines)
    }
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// The next failure (of a host or a machine).
    Failure,
    /// A lost slot is noticed.
    Notice { slot: u32, epoch: u64 },
    /// The repair ends.
    RepairDone { epoch: u64 },
}

/// One path's outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathResult {
    /// Whether the data was lost before the horizon.
    pub lost: bool,
    /// The path's likelihood ratio (1 without biasing).
    pub weight: f64,
    /// Events simulated.
    pub events: u64,
    /// Degraded spells begun.
    pub spells: u64,
}

struct Path {
    model: DatasetModel,
    bias: f64,
    rng: RandomStream,
    lost: Vec<bool>,
    noticed: Vec<bool>,
    /// Lost slots since the last repair (l) and noticed ones (f).
    l: u32,
    f: u32,
    /// Bumped at every repair: stale notices and repairs are ignored.
    epoch: u64,
    repairing: bool,
    failure: Option<EventId>,
    /// Failure rate and bias in force since `since`.
    rate_per_s: f64,
    biased: bool,
    since: SimTime,
    log_weight: f64,
    data_lost: bool,
    /// When each lost, unnoticed slot will be noticed.
    notice_at: Vec<Option<SimTime>>,
    /// When the running repair ends.
    repair_at: Option<SimTime>,
    /// When degraded spells began (l going from 0 to 1 or more), seconds.
    spell_starts: Vec<f64>,
    /// Spell mode (splitting): stop once l reaches this level, or when the
    /// spell ends with a repair.
    stop_level: Option<u32>,
}

impl Path {
    /// A path with every slot present at time zero.
    fn new(model: &DatasetModel, bias: f64, rng: RandomStream, stop_level: Option<u32>) -> Path {
        let n = model.n() as usize;
        Path {
            model: *model,
            bias,
            rng,
            lost: vec![false; n],
            noticed: vec![false; n],
            l: 0,
            f: 0,
            epoch: 0,
            repairing: false,
            failure: None,
            rate_per_s: 0.0,
            biased: false,
            since: SimTime::ZERO,
            log_weight: 0.0,
            data_lost: false,
            notice_at: vec![None; n],
            repair_at: None,
            spell_starts: Vec::new(),
            stop_level,
        }
    }

    /// Total failure rate now (per second): live slots' hosts and machines
    /// holding a live slot.
    fn failure_rate(&self) -> f64 {
        let live_hosts = (self.model.n() - self.l) as f64;
        let mut r = live_hosts / self.model.host_mttf_s;
        if self.model.machines > 0 && self.model.machine_mttf_s.is_finite() {
            let live_machines = (0..self.model.machines)
                .filter(|&mc| {
                    (0..self.model.n())
                        .any(|s| !self.lost[s as usize] && self.model.machine_of(s) == Some(mc))
                })
                .count() as f64;
            r += live_machines / self.model.machine_mttf_s;
        }
        r
    }

    /// Closes the current constant-rate interval into the likelihood ratio
    /// and redraws the failure clock under the state's rate and bias.
    fn close_interval(&mut self, now: SimTime) {
        let dt = now.as_nanos().saturating_sub(self.since.as_nanos()) as f64 / 1e9;
        if self.biased {
            self.log_weight += (self.bias - 1.0) * self.rate_per_s * dt;
        }
        self.since = now;
    }

    fn reschedule_failure(&mut self, s: &mut Scheduler<Ev>) -> Result<(), ScheduleError> {
        self.close_interval(s.now());
        if let Some(id) = self.failure.take() {
            s.cancel(id);
        }
        self.rate_per_s = self.failure_rate();
        // Biased only while a timer will end the degraded spell (a repair
        // running, or a loss not yet noticed): the likelihood ratio's
        // exp((bias - 1) R dt) stays bounded. A spell that only more
        // failures can end (all losses noticed, fewer than l0) is not.
        self.biased = self.bias > 1.0 && (self.repairing || self.f < self.l);
        let rate = if self.biased {
            self.rate_per_s * self.bias
        } else {
            self.rate_per_s
        };
        if rate > 0.0 {
            let dt = self.rng.exponential(1.0 / rate);
            let id = s.schedule_in(SimDuration::from_secs_f64(dt), Ev::Failure)?;
            self.failure = Some(id);
        }
        Ok(())
    }

    fn lose(&mut self, s: &mut Scheduler<Ev>, slot: u32) -> Result<(), ScheduleError> {
        if self.lost[slot as usize] {
            return Ok(());
        }
        self.lost[slot as usize] = true;
        self.l += 1;
        if self.l > self.model.m {
            self.data_lost = true;
            return Ok(());
        }
        let d = self.model.detection.draw(&mut self.rng);
        self.schedule_notice(s, slot, SimDuration::from_secs_f64(d))
    }

    fn schedule_notice(
        &mut self,
        s: &mut Scheduler<Ev>,
        slot: u32,
        after: SimDuration,
    ) -> Result<(), ScheduleError> {
        let id = s.schedule_in(
            after,
            Ev::Notice {
                slot,
                epoch: self.epoch,
            },
        )?;
        self.notice_at[slot as usize] = Some(id.time());
        Ok(())
    }

    fn schedule_repair(
        &mut self,
        s: &mut Scheduler<Ev>,
        after: SimDuration,
    ) -> Result<(), ScheduleError> {
        self.repairing = true;
        let id = s.schedule_in(after, Ev::RepairDone { epoch: self.epoch })?;
        self.repair_at = Some(id.time());
        Ok(())
    }

    /// The degraded state now, with pending times relative to now, `age_ns`
    /// into its spell.
    fn snapshot(&self, now: SimTime, age_ns: u64) -> SpellState {
        let rel = |t: SimTime| t.as_nanos().saturating_sub(now.as_nanos());
        SpellState {
            lost: self.lost.clone(),
            noticed: self.noticed.clone(),
            notice_in_ns: self.notice_at.iter().map(|t| t.map(rel)).collect(),
            repair_in_ns: self.repair_at.map(rel),
            age_ns,
            l: self.l,
        }
    }

    fn repair_duration(&mut self) -> f64 {
        match self.model.repair {
            RepairTime::Drawn(d) => d.draw(&mut self.rng),
            RepairTime::Bandwidth {
                dataset_bytes,
                link_bytes_per_s,
                concurrent_repairs,
                start_s,
            } => {
                let slot_bytes = dataset_bytes / self.model.k as f64;
                let bytes = dataset_bytes + self.l as f64 * slot_bytes;
                start_s + bytes * concurrent_repairs.max(1.0) / link_bytes_per_s
            }
        }
    }
}

/// Why a path stops before its horizon.
#[derive(Debug)]
enum PathStop {
    /// The data was lost.
    Lost,
    /// Spell mode: the target level was reached.
    Level,
    /// Spell mode: the spell ended (repaired).
    SpellEnded,
    /// A time overflowed the clock.
    Schedule,
}

impl From<ScheduleError> for PathStop {
    fn from(_: ScheduleError) -> Self {
        PathStop::Schedule
    }
}

impl Handler<Ev> for Path {
    type Error = PathStop;

    fn handle(&mut self, s: &mut Scheduler<Ev>, id: EventId, e: Ev) -> Result<(), PathStop> {
        match e {
            Ev::Failure => {
                if self.failure != Some(id) {
                    return Ok(());
                }
                self.failure = None;
                if self.biased {
                    self.log_weight -= self.bias.ln();
                }
                let was = self.l;
                // Which failure: a host or a machine, in proportion to rates.
                let n = self.model.n();
                let hosts = (n - self.l) as f64 / self.model.host_mttf_s;
                let pick = self.rng.uniform01() * self.rate_per_s;
                if pick < hosts || self.model.machines == 0 {
                    let live: Vec<u32> = (0..n).filter(|&x| !self.lost[x as usize]).collect();
                    let slot = live[self.rng.below(live.len() as u64) as usize];
                    self.lose(s, slot)?;
                } else {
                    let machines: Vec<u32> = (0..self.model.machines)
                        .filter(|&mc| {
                            (0..n).any(|x| {
                                !self.lost[x as usize] && self.model.machine_of(x) == Some(mc)
                            })
                        })
                        .collect();
                    let mc = machines[self.rng.below(machines.len() as u64) as usize];
                    for slot in 0..n {
                        if self.model.machine_of(slot) == Some(mc) {
                            self.lose(s, slot)?;
                        }
                    }
                }
                if self.data_lost {
                    // Close the path's last interval into its weight.
                    self.close_interval(s.now());
                    return Err(PathStop::Lost);
                }
                if was == 0 && self.l > 0 {
                    self.spell_starts.push(s.now().as_secs_f64());
                }
                if self.stop_level.is_some_and(|level| self.l >= level) {
                    return Err(PathStop::Level);
                }
                self.reschedule_failure(s)?;
            }
            Ev::Notice { slot, epoch } => {
                if epoch != self.epoch || !self.lost[slot as usize] || self.noticed[slot as usize] {
                    return Ok(());
                }
                self.noticed[slot as usize] = true;
                self.notice_at[slot as usize] = None;
                self.f += 1;
                if self.f >= self.model.l0 && !self.repairing {
                    let d = self.repair_duration();
                    self.schedule_repair(s, SimDuration::from_secs_f64(d))?;
                }
                // Whether failures are biased may have changed.
                self.reschedule_failure(s)?;
            }
            Ev::RepairDone { epoch } => {
                if epoch != self.epoch {
                    return Ok(());
                }
                // Every lost slot is restored.
                self.epoch += 1;
                self.repairing = false;
                self.repair_at = None;
                self.lost.iter_mut().for_each(|x| *x = false);
                self.noticed.iter_mut().for_each(|x| *x = false);
                self.notice_at.iter_mut().for_each(|x| *x = None);
                self.l = 0;
                self.f = 0;
                if self.stop_level.is_some() {
                    return Err(PathStop::SpellEnded);
                }
                self.reschedule_failure(s)?;
            }
        }
        Ok(())
    }
}

/// Simulates one path from the all-present state to `horizon_s` (or loss).
pub fn simulate_path(
    model: &DatasetModel,
    bias: f64,
    horizon_s: f64,
    seed: u64,
    path: u64,
) -> PathResult {
    run_path(model, bias, horizon_s, seed, path).0
}

/// [`simulate_path`], with the times (seconds) its degraded spells began.
fn run_path(
    model: &DatasetModel,
    bias: f64,
    horizon_s: f64,
    seed: u64,
    path: u64,
) -> (PathResult, Vec<f64>) {
    let mut p = Path::new(
        model,
        bias.max(1.0),
        RandomStream::new(seed, StreamId::new("dataset-path", path)),
        None,
    );
    let mut sim: Simulation<Ev> = Simulation::new();
    p.reschedule_failure(sim.scheduler())
        .expect("scheduling at time zero");
    let horizon = SimTime::from_nanos((horizon_s * 1e9) as u64);
    // Lost ends the path; the others only happen in spell mode; a schedule
    // error is a time beyond the clock's 584 years: the path ends there.
    let _ = sim.run(&mut p, RunLimits::until(horizon));
    if !p.data_lost {
        p.close_interval(horizon);
    }
    (
        PathResult {
            lost: p.data_lost,
            weight: p.log_weight.exp(),
            events: sim.events_processed(),
            spells: p.spell_starts.len() as u64,
        },
        p.spell_starts,
    )
}

/// A degraded state, entered at some level: what multilevel splitting
/// restarts paths from. Pending times are relative to the moment it was
/// taken (the model is time-homogeneous within a spell).
#[derive(Clone, Debug, PartialEq)]
pub struct SpellState {
    lost: Vec<bool>,
    noticed: Vec<bool>,
    notice_in_ns: Vec<Option<u64>>,
    repair_in_ns: Option<u64>,
    /// Time since the spell began.
    age_ns: u64,
    /// Slots lost.
    pub l: u32,
}

/// How a spell run from a state ends.
enum SpellEnd {
    /// It reached the level, in this state.
    Reached(SpellState),
    /// It was repaired first.
    Repaired,
}

/// Runs a spell from `from` (or from the all-present state: until the first
/// loss) until it reaches `level` lost slots or is repaired.
fn run_spell(
    model: &DatasetModel,
    from: Option<&SpellState>,
    level: u32,
    rng: RandomStream,
) -> (SpellEnd, u64) {
    let mut p = Path::new(model, 1.0, rng, Some(level));
    let mut sim: Simulation<Ev> = Simulation::new();
    let s = sim.scheduler();
    if let Some(st) = from {
        p.lost = st.lost.clone();
        p.noticed = st.noticed.clone();
        p.l = st.l;
        p.f = st.noticed.iter().filter(|&&x| x).count() as u32;
        for (slot, t) in st.notice_in_ns.iter().enumerate() {
            if let Some(t) = t {
                p.schedule_notice(s, slot as u32, SimDuration::from_nanos(*t))
                    .expect("within the clock");
            }
        }
        if let Some(t) = st.repair_in_ns {
            p.schedule_repair(s, SimDuration::from_nanos(t))
                .expect("within the clock");
        }
        if p.l >= level {
            return (SpellEnd::Reached(st.clone()), 0);
        }
    }
    p.reschedule_failure(s).expect("within the clock");
    let end = match sim.run(&mut p, RunLimits::until(SimTime::MAX)) {
        Err(PathStop::Level) | Err(PathStop::Lost) => {
            // From all-present, the spell begins now (age 0).
            let age = from.map_or(0, |st| st.age_ns + sim.now().as_nanos());
            SpellEnd::Reached(p.snapshot(sim.now(), age))
        }
        _ => SpellEnd::Repaired,
    };
    (end, sim.events_processed())
}

/// The yearly horizon, seconds.
pub const YEAR: f64 = YEAR_S;

mod estimate;

pub use estimate::{default_bias, estimate, splitting_estimate, splitting_until, z_for, Estimate};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::Whitepaper;

    #[test]
    fn same_seed_same_path() {
        let m = DatasetModel::whitepaper(2, 1, 1);
        assert_eq!(
            simulate_path(&m, 5.0, YEAR, 1, 7),
            simulate_path(&m, 5.0, YEAR, 1, 7)
        );
    }

    /// Splitting agrees with the exact chain from 1e-2 down to 1e-10.
    #[test]
    fn splitting_agrees_with_the_exact_chain() {
        for (k, m, l0) in [(2, 1, 1), (4, 2, 1), (4, 3, 1), (5, 4, 3), (4, 6, 1)] {
            let exact = Whitepaper::paper(k, m, l0).loss_probability(1.0);
            let model = DatasetModel::whitepaper(k, m, l0);
            let e = splitting_estimate(&model, YEAR, 5, 4_000, 1_000, 20, 0.99);
            assert!(
                e.ci_low <= exact && exact <= e.ci_high,
                "({k}, {m}, {l0}): exact {exact:e}, {e:?}"
            );
        }
    }

    #[test]
    fn z_values() {
        assert!((z_for(0.95) - 1.959_964).abs() < 1e-6);
        assert!((z_for(0.8) - 1.281_552).abs() < 1e-3, "{}", z_for(0.8));
    }

    /// Plain Monte Carlo and importance sampling both agree with the exact
    /// chain where plain Monte Carlo works (99 % intervals).
    #[test]
    fn plain_and_biased_estimates_agree_with_the_exact_chain() {
        for (k, m, l0) in [(2, 1, 1), (3, 2, 2), (4, 2, 1)] {
            let exact = Whitepaper::paper(k, m, l0).loss_probability(1.0);
            let model = DatasetModel::whitepaper(k, m, l0);
            let is = estimate(&model, default_bias(&model), YEAR, 11, 20_000, 0.99, None);
            assert!(
                is.ci_low <= exact && exact <= is.ci_high,
                "({k}, {m}, {l0}) IS: exact {exact:e}, {is:?}"
            );
            if exact > 1e-3 {
                let mc = estimate(&model, 1.0, YEAR, 12, 50_000, 0.99, None);
                assert!(
                    mc.ci_low <= exact && exact <= mc.ci_high,
                    "({k}, {m}, {l0}) MC: exact {exact:e}, {mc:?}"
                );
            }
        }
    }
}
