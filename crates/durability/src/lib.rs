//! Durability: exact models and rare-event estimation of data loss.
//!
//! - [`exact`]: the birth-death chain, the Codex whitepaper's lazy-repair
//!   chain, the Backblaze window formula and the Storj Poisson model, solved
//!   exactly.
//! - [`chain`]: absorbing Markov chains, solved in positive arithmetic.
//! - [`dataset`]: one dataset's slots simulated on the codexsim engine
//!   (correlated machine failures, repair times from bandwidth), with
//!   importance sampling for loss probabilities down to 1e-9 and below.

pub mod chain;
pub mod dataset;
pub mod exact;
