//! When proofs are required (codex-contracts-eth `Proofs.sol`).
//!
//! A filled slot must prove in a period when `_getProofRequirement` says so and
//! the slot's pointer is outside the downtime window:
//!
//! - `slotProbability = proofProbability x (256 - downtime) / 256` (integer
//!   division); the proof is required when `slotProbability == 0` or
//!   `challenge % slotProbability == 0`;
//! - the pointer, derived from the block number, the period and the slot id,
//!   must be `>= downtime` (out of 256).
//!
//! The challenge and pointer come from block hashes. The model treats them as
//! independent and uniform per period and slot (a simplification), so a
//! period's proof is required with probability
//! `(256 - downtime) / (256 x max(slotProbability, 1))`, kept as an integer
//! ratio.

use codexsim_engine::RandomStream;

/// The probability that a proof is required in a given period, as a ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofRequirement {
    /// Numerator.
    pub num: u64,
    /// Denominator.
    pub den: u64,
}

impl ProofRequirement {
    /// From the request's proofProbability and the contract's downtime.
    pub fn new(proof_probability: u64, downtime_blocks: u8) -> Self {
        let d = u64::from(downtime_blocks);
        let slot_probability = proof_probability.saturating_mul(256 - d) / 256;
        ProofRequirement {
            num: 256 - d,
            den: 256 * slot_probability.max(1),
        }
    }

    /// As a float.
    pub fn p(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// Number of failures before the first success of Bernoulli(p) trials, by
/// inversion: `floor(ln U / ln(1 - p))`. `p` in (0, 1]. Saturates at `u64::MAX`.
pub fn geometric(rng: &mut RandomStream, p: f64) -> u64 {
    if p >= 1.0 {
        return 0;
    }
    let u = rng.uniform01_open0();
    let g = (libm_log(u) / libm_log(1.0 - p)).floor();
    if g >= u64::MAX as f64 {
        u64::MAX
    } else {
        g as u64
    }
}

fn libm_log(x: f64) -> f64 {
    // libm's logarithm, not the platform's: draws match everywhere.
    codexsim_engine::dist::ln(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use codexsim_engine::StreamId;

    #[test]
    fn testnet_defaults() {
        // proofProbability 5, downtime 64: slotProbability = 960 / 256 = 3.
        let r = ProofRequirement::new(5, 64);
        assert_eq!((r.num, r.den), (192, 768));
        assert_eq!(r.p(), 0.25);
        // proofProbability 1: slotProbability 0, so only the pointer matters.
        assert_eq!(ProofRequirement::new(1, 64).p(), 0.75);
        assert_eq!(ProofRequirement::new(1, 0).p(), 1.0);
    }

    #[test]
    fn geometric_has_the_right_mean() {
        let mut rng = RandomStream::new(3, StreamId::new("geo", 0));
        let p = 0.25;
        let n = 200_000;
        let mean = (0..n).map(|_| geometric(&mut rng, p) as f64).sum::<f64>() / n as f64;
        // Mean (1 - p) / p = 3, variance (1 - p) / p^2 = 12: se = 0.0077.
        assert!((mean - 3.0).abs() < 0.04, "{mean}");
        assert_eq!(geometric(&mut rng, 1.0), 0);
    }
}
