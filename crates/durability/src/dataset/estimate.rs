//! Estimating one dataset's probability of data loss from its simulated
//! paths (the model is in `mod.rs`): plain Monte Carlo or importance
//! sampling with failure biasing (`estimate`), multilevel splitting
//! (`splitting_estimate`, `splitting_until`), the default bias, and the
//! estimates' intervals. Paths and splitting runs are independent streams
//! summed in a fixed order, so results do not depend on the number of
//! threads.

use super::*;

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
