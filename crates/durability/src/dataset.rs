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

/// An estimate of the probability of data loss within the horizon.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Paths simulated.
    pub paths: u64,
    /// Paths that lost data.
    pub losses: u64,
    /// The estimate.
    pub probability: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Half-width of the confidence interval over the estimate.
    pub relative_error: f64,
    /// Lower end of the confidence interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Events simulated.
    pub events: u64,
}

impl Estimate {
    /// An estimate with a normal interval of half-width `z` standard errors.
    fn normal(
        probability: f64,
        std_error: f64,
        z: f64,
        paths: u64,
        losses: u64,
        events: u64,
    ) -> Estimate {
        Estimate {
            paths,
            losses,
            probability,
            std_error,
            relative_error: if probability > 0.0 {
                z * std_error / probability
            } else {
                f64::INFINITY
            },
            ci_low: (probability - z * std_error).max(0.0),
            ci_high: probability + z * std_error,
            events,
        }
    }
}

/// The normal quantile for a two-sided interval of `confidence`.
pub fn z_for(confidence: f64) -> f64 {
    codexsim_engine::dist::normal_quantile(0.5 + confidence / 2.0)
}

/// Paths per block: blocks run in parallel and are summed in order.
const BLOCK: u64 = 1_000;
/// Blocks per round: the stopping rule is checked between rounds, so where a
/// run stops does not depend on the number of threads.
const ROUND: u64 = 16;

#[derive(Clone, Copy, Default)]
struct Sums {
    sum: f64,
    sum_sq: f64,
    losses: u64,
    events: u64,
    paths: u64,
}

fn block(model: &DatasetModel, bias: f64, horizon_s: f64, seed: u64, from: u64, to: u64) -> Sums {
    let mut s = Sums::default();
    for i in from..to {
        let r = simulate_path(model, bias, horizon_s, seed, i);
        s.paths += 1;
        s.events += r.events;
        if r.lost {
            s.losses += 1;
            s.sum += r.weight;
            s.sum_sq += r.weight * r.weight;
        }
    }
    s
}

/// Estimates the probability of data loss within `horizon_s` from at most
/// `paths` independent paths (path i uses stream i of `seed`), on every
/// core, with a normal confidence interval at `confidence`. With a target,
/// stops after the first round of 16,000 paths whose relative error is at
/// most `target_relative_error` (and that saw at least 10 losses). The
/// result does not depend on the number of threads.
pub fn estimate(
    model: &DatasetModel,
    bias: f64,
    horizon_s: f64,
    seed: u64,
    paths: u64,
    confidence: f64,
    target_relative_error: Option<f64>,
) -> Estimate {
    use rayon::prelude::*;
    let z = z_for(confidence);
    let summarize = |t: &Sums| {
        let nf = t.paths as f64;
        let mean = t.sum / nf;
        let var = if t.paths > 1 {
            ((t.sum_sq - nf * mean * mean) / (nf - 1.0)).max(0.0)
        } else {
            0.0
        };
        Estimate::normal(mean, (var / nf).sqrt(), z, t.paths, t.losses, t.events)
    };
    let mut total = Sums::default();
    let mut next = 0u64;
    while next < paths {
        let blocks: Vec<(u64, u64)> = (0..ROUND)
            .map(|b| {
                let from = next + b * BLOCK;
                (from.min(paths), (from + BLOCK).min(paths))
            })
            .filter(|(a, b)| a < b)
            .collect();
        next = blocks.last().map_or(paths, |b| b.1);
        let sums: Vec<Sums> = blocks
            .par_iter()
            .map(|&(a, b)| block(model, bias, horizon_s, seed, a, b))
            .collect();
        for s in sums {
            total.sum += s.sum;
            total.sum_sq += s.sum_sq;
            total.losses += s.losses;
            total.events += s.events;
            total.paths += s.paths;
        }
        if let Some(target) = target_relative_error {
            let e = summarize(&total);
            if total.losses >= 10 && e.relative_error <= target {
                return e;
            }
        }
    }
    summarize(&total)
}

/// Fixed-effort multilevel splitting on the number of lost slots: stage i
/// restarts `per_stage` spells from the states in which earlier stages first
/// reached i lost slots (taken in turn) and keeps those that reach i + 1
/// before being repaired; the product of the stages' success fractions
/// estimates the probability that a spell ends in loss. One run per
/// replication, each from its own streams.
/// One replication of the splitting procedure.
struct SplitRun {
    /// Its estimate of the spell's loss probability.
    gamma: f64,
    /// The spell ages (seconds) at which its final particles lost the data,
    /// sorted.
    loss_ages_s: Vec<f64>,
    events: u64,
}

fn split_runs(
    model: &DatasetModel,
    seed: u64,
    per_stage: usize,
    replications: usize,
) -> Vec<SplitRun> {
    use rayon::prelude::*;
    (0..replications)
        .into_par_iter()
        .map(|r| {
            let stream = |stage: u64, j: u64| {
                RandomStream::new(
                    seed,
                    StreamId::new("split", ((r as u64) << 40) | (stage << 24) | j),
                )
            };
            let mut events = 0;
            // Entrance states of level 1: spells begun from all-present.
            let mut states: Vec<SpellState> = (0..per_stage)
                .filter_map(|j| {
                    let (end, e) = run_spell(model, None, 1, stream(0, j as u64));
                    events += e;
                    match end {
                        SpellEnd::Reached(st) => Some(st),
                        SpellEnd::Repaired => None,
                    }
                })
                .collect();
            let mut gamma = 1.0;
            let mut reached_loss = Vec::new();
            for level in 1..=model.m {
                let mut next = Vec::new();
                for j in 0..per_stage {
                    let from = &states[j % states.len()];
                    let (end, e) =
                        run_spell(model, Some(from), level + 1, stream(level as u64, j as u64));
                    events += e;
                    if let SpellEnd::Reached(st) = end {
                        next.push(st);
                    }
                }
                gamma *= next.len() as f64 / per_stage as f64;
                if next.is_empty() {
                    break;
                }
                if level == model.m {
                    reached_loss = next.iter().map(|st| st.age_ns as f64 / 1e9).collect();
                }
                states = next;
            }
            reached_loss.sort_by(f64::total_cmp);
            SplitRun {
                gamma,
                loss_ages_s: reached_loss,
                events,
            }
        })
        .collect()
}

/// The probability of data loss within `horizon_s` by splitting. Spells
/// begin from the all-present state, so a spell's course does not depend on
/// when it begins: P(loss by T) = E[sum over spells begun at s_j of
/// G(T - s_j)], with G(t) the probability that a spell loses the data
/// within t of its start. Plain simulation of `paths` paths gives the spell
/// start times; multilevel splitting gives G as its
/// estimate of the spell's loss probability times the distribution of the
/// spell ages at which its final particles lost the data. Exact to first
/// order in the (small) loss probability. The interval combines the
/// spread of `replications` independent splitting runs and of the paths.
pub fn splitting_estimate(
    model: &DatasetModel,
    horizon_s: f64,
    seed: u64,
    paths: u64,
    per_stage: usize,
    replications: usize,
    confidence: f64,
) -> Estimate {
    splitting_until(
        model,
        horizon_s,
        seed,
        paths,
        per_stage,
        replications,
        confidence,
        None,
    )
}

/// [`splitting_estimate`] in rounds of `replications` splitting runs until
/// the relative error is at most `target` (or `max_rounds` rounds). Rounds
/// are fixed in size, so where it stops does not depend on the threads.
#[allow(clippy::too_many_arguments)]
pub fn splitting_until(
    model: &DatasetModel,
    horizon_s: f64,
    seed: u64,
    paths: u64,
    per_stage: usize,
    replications: usize,
    confidence: f64,
    target: Option<(f64, usize)>,
) -> Estimate {
    use rayon::prelude::*;
    let z = z_for(confidence);
    let plain: Vec<(Vec<f64>, u64)> = (0..paths)
        .into_par_iter()
        .map(|i| {
            let (r, starts) = run_path(model, 1.0, horizon_s, seed ^ 0x5bd1_e995, i);
            (starts.iter().map(|s| horizon_s - s).collect(), r.events)
        })
        .collect();
    // Time left in the horizon after each spell start, over all paths.
    let mut left: Vec<f64> = plain.iter().flat_map(|p| p.0.iter().copied()).collect();
    left.sort_by(f64::total_cmp);
    let mut runs = split_runs(model, seed, per_stage, replications);
    let mut round = 1;
    loop {
        let e = combine(&runs, &left, &plain, paths, per_stage, model, z);
        match target {
            Some((re, max_rounds)) if e.relative_error > re && round < max_rounds => {
                let more = split_runs(
                    model,
                    seed.wrapping_add(round as u64 * 0x9e37_79b9),
                    per_stage,
                    replications,
                );
                runs.extend(more);
                round += 1;
            }
            _ => return e,
        }
    }
}

fn combine(
    runs: &[SplitRun],
    left: &[f64],
    plain: &[(Vec<f64>, u64)],
    paths: u64,
    per_stage: usize,
    model: &DatasetModel,
    z: f64,
) -> Estimate {
    let replications = runs.len();
    // Per replication: gamma x mean over paths of sum_j F(left_j).
    let per_rep: Vec<f64> = runs
        .iter()
        .map(|r| {
            if r.loss_ages_s.is_empty() {
                return 0.0;
            }
            let mut i = 0usize;
            let mut sum = 0.0;
            for &u in left {
                while i < r.loss_ages_s.len() && r.loss_ages_s[i] <= u {
                    i += 1;
                }
                sum += i as f64 / r.loss_ages_s.len() as f64;
            }
            r.gamma * sum / paths as f64
        })
        .collect();
    let n = per_rep.len() as f64;
    let p = per_rep.iter().sum::<f64>() / n;
    let var_rep = per_rep.iter().map(|x| (x - p).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    // The paths' own spread (spell counts), relative.
    let counts: Vec<f64> = plain.iter().map(|p| p.0.len() as f64).collect();
    let mean_c = counts.iter().sum::<f64>() / paths as f64;
    let var_c =
        counts.iter().map(|c| (c - mean_c).powi(2)).sum::<f64>() / (paths as f64 - 1.0).max(1.0);
    let rse_paths = (var_c / paths as f64).sqrt() / mean_c.max(f64::MIN_POSITIVE);
    // Relative variances add for a product of independent estimates.
    let se = p * ((var_rep / n) / (p * p) + rse_paths * rse_paths).sqrt();
    Estimate::normal(
        p,
        if p > 0.0 { se } else { f64::INFINITY },
        z,
        paths + (per_stage * replications * (model.m as usize + 1)) as u64,
        runs.iter().map(|r| r.loss_ages_s.len() as u64).sum(),
        plain.iter().map(|p| p.1).sum::<u64>() + runs.iter().map(|r| r.events).sum::<u64>(),
    )
}

/// A failure bias for `model`: 1 + (1 / 2) r / R, with R the total failure
/// rate and r the rate at which the slower of detection and repair ends a
/// degraded spell. Failures become about as likely as the spell's end, and
/// the likelihood ratio keeps a finite variance (it needs bias < 2 + r / R).
pub fn default_bias(model: &DatasetModel) -> f64 {
    let mean = |d: Duration| match d {
        Duration::Exponential(x) | Duration::Fixed(x) => x,
    };
    let repair = match model.repair {
        RepairTime::Drawn(d) => mean(d),
        RepairTime::Bandwidth {
            dataset_bytes,
            link_bytes_per_s,
            concurrent_repairs,
            start_s,
        } => start_s + 2.0 * dataset_bytes * concurrent_repairs.max(1.0) / link_bytes_per_s,
    };
    let mut rate = model.n() as f64 / model.host_mttf_s;
    if model.machines > 0 && model.machine_mttf_s.is_finite() {
        rate += model.machines as f64 / model.machine_mttf_s;
    }
    let slowest = mean(model.detection).max(repair);
    (1.0 + 0.5 / slowest / rate).max(1.0)
}

/// The yearly horizon, seconds.
pub const YEAR: f64 = YEAR_S;

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
