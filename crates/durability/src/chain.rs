//! Absorbing continuous-time Markov chains: the mean time to absorption by
//! state reduction in positive arithmetic, and the probability of
//! absorption within a time by uniformisation.
//!
//! Why state reduction: the mean time to data loss solves `(-Q) T = 1`, but
//! Gaussian elimination on `-Q` subtracts nearly equal numbers once repair
//! is much faster than failure (`mu / lambda` of 1e3 and more, mean times of
//! 1e12 years and more), and its answers then go wrong without warning, even
//! negative. Eliminating states one at a time from the *embedded jump chain*
//! instead (Grassmann, Taksar and Heyman's idea, applied to absorption
//! times) only ever adds, multiplies and divides non-negative numbers: the
//! probability of leaving a state, `1 - p_ii`, is never formed by a
//! subtraction but as the sum of the probabilities it stands for. Every
//! result then carries a relative error of a small multiple of the number of
//! operations times the unit roundoff, whatever the magnitudes; on a
//! birth-death chain the elimination from the top state down is the classic
//! all-positive recursion on first-passage times.

use thiserror::Error;

/// The most transient states [`Chain::mean_time_to_absorption`] solves
/// (dense, `states^2` numbers and `states^3 / 3` steps: 2,048 states take
/// 32 MiB and a few seconds).
pub const MAX_SOLVED_STATES: usize = 2048;

/// Why a chain's mean time to absorption has no trustworthy answer.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ChainError {
    /// A rate is not a finite non-negative number.
    #[error("transition {from} -> {to}: rate {rate} is not a finite non-negative number")]
    BadRate {
        /// Its state.
        from: usize,
        /// Where it leads (`loss` for absorption).
        to: String,
        /// The rate.
        rate: f64,
    },
    /// A state from which absorption is impossible: its mean time is
    /// infinite.
    #[error("state {state} cannot reach data loss: its mean time to data loss is infinite")]
    NoAbsorption {
        /// The state.
        state: usize,
    },
    /// The result is beyond the range of `f64`, or an intermediate
    /// probability fell below it (subnormal numbers lose digits).
    #[error(
        "the mean time to data loss from state {state} is outside the range of 64-bit floating \
         point (above about 1.8e308, or a step probability below 2.2e-308): no trustworthy value"
    )]
    OutOfRange {
        /// The state.
        state: usize,
    },
    /// Too many states for the dense solve.
    #[error("the chain has {states} states; the exact solve takes at most {MAX_SOLVED_STATES}")]
    TooLarge {
        /// Its transient states.
        states: usize,
    },
}

/// A continuous-time Markov chain with transient states `0..n` and one
/// absorbing state (data loss), given by its transitions.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    /// Number of transient states.
    pub states: usize,
    /// Transitions `(from, to, rate)`; `to == None` is absorption.
    pub transitions: Vec<(usize, Option<usize>, f64)>,
}

impl Chain {
    /// An empty chain of `states` transient states.
    pub fn new(states: usize) -> Chain {
        Chain {
            states,
            transitions: Vec::new(),
        }
    }

    /// Adds a transition (rates of zero are dropped).
    pub fn add(&mut self, from: usize, to: Option<usize>, rate: f64) {
        if rate != 0.0 && Some(from) != to {
            self.transitions.push((from, to, rate));
        }
    }

    /// Total rate out of each state.
    pub(crate) fn out_rates(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.states];
        for &(f, _, r) in &self.transitions {
            out[f] += r;
        }
        out
    }

    /// Mean time to absorption from every state (the solution of
    /// `(-Q) T = 1` over the transient states), by state reduction in
    /// non-negative arithmetic (see the module's documentation): accurate
    /// to a small multiple of `states^2` units of roundoff (relative), at
    /// any magnitude. An error instead of a number when there is no
    /// trustworthy one.
    pub fn mean_time_to_absorption(&self) -> Result<Vec<f64>, ChainError> {
        let n = self.states;
        if n > MAX_SOLVED_STATES {
            return Err(ChainError::TooLarge { states: n });
        }
        for &(from, to, rate) in &self.transitions {
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(ChainError::BadRate {
                    from,
                    to: to.map_or("loss".to_string(), |t| t.to_string()),
                    rate,
                });
            }
        }
        // The embedded jump chain: from state i, the probability `p[i][j]`
        // of jumping to j, `a[i]` of jumping to data loss, and the mean time
        // `h[i]` spent in i before the jump.
        let out = self.out_rates();
        let mut p = vec![0.0f64; n * n];
        let mut a = vec![0.0f64; n];
        let mut h = vec![0.0f64; n];
        for &(from, to, rate) in &self.transitions {
            match to {
                Some(to) => p[from * n + to] += rate / out[from],
                None => a[from] += rate / out[from],
            }
        }
        if let Some(state) = self.cannot_absorb() {
            return Err(ChainError::NoAbsorption { state });
        }
        for i in 0..n {
            h[i] = 1.0 / out[i];
        }
        let mut tiny = false;
        // Eliminate states n - 1 down to 1. After eliminating s, the
        // numbers of every state i < s describe the chain watched only in
        // states 0..s: h[i] the mean time from entering i until it next
        // enters another of them (or is absorbed), excursions through the
        // eliminated states and returns to i included.
        for s in (1..n).rev() {
            let (low, row_s) = p.split_at_mut(s * n);
            let row_s = &row_s[..s];
            // The probability of leaving s for 0..s or loss (1 up to
            // rounding), as a sum.
            let d_s = a[s] + row_s.iter().sum::<f64>();
            if d_s == 0.0 {
                return Err(ChainError::OutOfRange { state: s });
            }
            for i in 0..s {
                let row_i = &mut low[i * n..i * n + n];
                let p_is = row_i[s];
                if p_is == 0.0 {
                    continue;
                }
                row_i[s] = 0.0;
                let f = p_is / d_s;
                for k in 0..s {
                    if k != i {
                        row_i[k] += f * row_s[k];
                    }
                }
                a[i] += f * a[s];
                h[i] += f * h[s];
                // A return to i through s is a self-loop: the visits to i
                // repeat geometrically, so everything scales by 1 / (1 - c),
                // with 1 - c the probability of leaving, summed.
                if row_s[i] != 0.0 {
                    let leave = a[i] + (0..s).filter(|&k| k != i).map(|k| row_i[k]).sum::<f64>();
                    if leave == 0.0 {
                        return Err(ChainError::OutOfRange { state: i });
                    }
                    for q in &mut row_i[..s] {
                        *q /= leave;
                    }
                    row_i[i] = 0.0;
                    a[i] /= leave;
                    h[i] /= leave;
                }
                tiny |= (f != 0.0 && f < f64::MIN_POSITIVE)
                    || (h[i] != 0.0 && h[i] < f64::MIN_POSITIVE);
            }
        }
        // Back substitution, from state 0 up: state s's numbers, as they
        // were when it was eliminated, lead only to states below it.
        let mut t = vec![0.0f64; n];
        for s in 0..n {
            let row_s = &p[s * n..s * n + s];
            let d_s = a[s] + row_s.iter().sum::<f64>();
            if d_s == 0.0 {
                return Err(ChainError::OutOfRange { state: s });
            }
            let onward: f64 = row_s.iter().zip(&t).map(|(q, t)| q * t).sum();
            t[s] = (h[s] + onward) / d_s;
            if !t[s].is_finite() || tiny {
                return Err(ChainError::OutOfRange { state: s });
            }
        }
        Ok(t)
    }

    /// The first state from which no path of transitions leads to
    /// absorption, if any (its mean time is infinite).
    fn cannot_absorb(&self) -> Option<usize> {
        let n = self.states;
        let mut into: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut reaches = vec![false; n];
        let mut todo = Vec::new();
        for &(from, to, _) in &self.transitions {
            match to {
                Some(to) => into[to].push(from),
                None if !reaches[from] => {
                    reaches[from] = true;
                    todo.push(from);
                }
                None => {}
            }
        }
        while let Some(s) = todo.pop() {
            for &f in &into[s] {
                if !reaches[f] {
                    reaches[f] = true;
                    todo.push(f);
                }
            }
        }
        reaches.iter().position(|&r| !r)
    }

    /// Probability of absorption within `t` starting in state `start`, by
    /// uniformisation; the absorbed mass is accumulated directly (never as
    /// 1 - survival), so tiny probabilities keep their relative accuracy.
    pub fn absorption_probability(&self, start: usize, t: f64) -> f64 {
        let out = self.out_rates();
        let lambda = out.iter().copied().fold(0.0, f64::max) * 1.02;
        if lambda == 0.0 || t <= 0.0 {
            return 0.0;
        }
        let lt = lambda * t;
        // Poisson(lt) weights, computed in log space and summed until the
        // remaining tail is negligible.
        let kmax = (lt + 12.0 * lt.sqrt() + 50.0).ceil() as usize;
        let mut v = vec![0.0; self.states];
        v[start] = 1.0;
        let mut absorbed = 0.0; // after k jumps of the uniformised chain
        let mut total = 0.0;
        let ln_lt = lt.ln();
        let mut ln_fact = 0.0;
        for k in 0..=kmax {
            if k > 0 {
                ln_fact += (k as f64).ln();
            }
            let w = (k as f64 * ln_lt - lt - ln_fact).exp();
            total += w * absorbed;
            // One jump.
            let mut next = vec![0.0; self.states];
            for i in 0..self.states {
                next[i] += v[i] * (1.0 - out[i] / lambda);
            }
            for &(f, to, r) in &self.transitions {
                let p = v[f] * r / lambda;
                match to {
                    Some(to) => next[to] += p,
                    None => absorbed += p,
                }
            }
            v = next;
        }
        total
    }
}
