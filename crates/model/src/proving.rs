//! Proofs: the proof period, which proofs are required and missed (drawn
//! per period in exact mode, as a geometric process per sale in aggregated
//! mode), validators marking misses, slashing, and freeing a slot after
//! too many slashes. Also the provable slots' requirement integral, from
//! which aggregated mode draws the count of proofs required.
//!
//! Owns [`ProofBooks`]; reads and updates the ledger's sales; frees slots
//! through `repair`.

use codexsim_config::ProofMode;
use codexsim_engine::{EventId, RandomStream, Scheduler, SimDuration, SimTime, StreamId};

use crate::events::{Ev, Stop};
use crate::ledger::SaleState;
use crate::model::Model;
use crate::output::TraceKind;
use crate::proofs::geometric;

/// Validators check the previous period at every period end plus this.
pub(crate) const VALIDATOR_DELAY: SimDuration = SimDuration::from_secs(1);
/// Hosts submit proofs at every period start plus this.
pub(crate) const PROOF_DELAY: SimDuration = SimDuration::from_secs(1);

/// Integral over time of the expected proof requirements of provable slots
/// (sum of p), in slot-nanoseconds, and of p(1-p); aggregated mode draws
/// the proofs required between two samples from it.
pub(crate) struct ProofBooks {
    pub(crate) weight: f64,
    pub(crate) var_weight: f64,
    pub(crate) area: f64,
    pub(crate) var_area: f64,
    pub(crate) since: SimTime,
    pub(crate) count_rng: RandomStream,
}

impl ProofBooks {
    pub(crate) fn new(seed: u64) -> Self {
        ProofBooks {
            weight: 0.0,
            var_weight: 0.0,
            area: 0.0,
            var_area: 0.0,
            since: SimTime::ZERO,
            count_rng: RandomStream::new(seed, StreamId::new("proof-count", 0)),
        }
    }
}

impl Model<'_> {
    pub(crate) fn period(&self) -> SimDuration {
        self.cfg.marketplace.proof_period
    }

    pub(crate) fn period_of(&self, t: SimTime) -> u64 {
        t.as_nanos() / self.period().as_nanos()
    }

    pub(crate) fn period_start(&self, p: u64) -> SimTime {
        SimTime::from_nanos(p.saturating_mul(self.period().as_nanos()))
    }

    pub(crate) fn accumulate_provable(&mut self, now: SimTime) {
        let dt = now.saturating_since(self.proofs.since).as_nanos() as f64;
        self.proofs.area += self.proofs.weight * dt;
        self.proofs.var_area += self.proofs.var_weight * dt;
        self.proofs.since = now;
    }

    /// Recomputes whether a sale's host can prove, keeps the provable-weight
    /// integral, and (aggregated mode) restarts its miss process when needed.
    pub(crate) fn refresh_sale(&mut self, s: &mut Scheduler<Ev>, sale: u32) -> Result<(), Stop> {
        let now = s.now();
        let sl = &self.ledger.sales[sale as usize];
        let on_contract = matches!(sl.state, SaleState::Filled | SaleState::Zombie);
        let node = &self.ledger.nodes[sl.node as usize];
        let can = on_contract && node.up() && sl.stored_bytes > 0 && sl.state == SaleState::Filled;
        // Proofs required and submitted: those that fail while up count as
        // missed, when the validator marks them.
        let p = sl.proof_p * (1.0 - node.proof_failure);
        if can != sl.provable {
            self.accumulate_provable(now);
            let sign = if can { 1.0 } else { -1.0 };
            self.proofs.weight += sign * p;
            self.proofs.var_weight += sign * p * (1.0 - p);
            self.ledger.sales[sale as usize].provable = can;
        }
        // Misses are geometric, hence memoryless: a draw made under the same
        // regime stays valid, so the process restarts only when it changes.
        let regime = on_contract.then_some(can);
        if self.cfg.run.proof_mode == ProofMode::Aggregated
            && regime != self.ledger.sales[sale as usize].miss_regime
        {
            self.ledger.sales[sale as usize].miss_regime = regime;
            self.restart_miss(s, sale, on_contract)?;
        }
        Ok(())
    }

    /// Aggregated mode: cancels the uncommitted pending miss and draws the
    /// next one under the sale's current state.
    pub(crate) fn restart_miss(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        on_contract: bool,
    ) -> Result<(), Stop> {
        let now = s.now();
        if let Some((id, p)) = self.ledger.sales[sale as usize].pending_miss {
            // A miss whose submission instant has passed is committed.
            if self.period_start(p).saturating_add(PROOF_DELAY) >= now {
                s.cancel(id);
            }
            self.ledger.sales[sale as usize].pending_miss = None;
        }
        if !on_contract {
            return Ok(());
        }
        let first = {
            let t = now.as_nanos().saturating_sub(PROOF_DELAY.as_nanos());
            let pl = self.period().as_nanos();
            let ceil = t.div_ceil(pl);
            // The submission instant of period `ceil` is at or after now.
            let ceil = if self.period_start(ceil).saturating_add(PROOF_DELAY) < now {
                ceil + 1
            } else {
                ceil
            };
            ceil.max(self.ledger.sales[sale as usize].fill_period + 1)
        };
        self.schedule_next_miss(s, sale, first)
    }

    pub(crate) fn miss_probability(&self, sale: u32) -> f64 {
        let sl = &self.ledger.sales[sale as usize];
        let p = sl.proof_p;
        if sl.provable {
            p * self.ledger.nodes[sl.node as usize].proof_failure
        } else {
            p
        }
    }

    pub(crate) fn schedule_next_miss(
        &mut self,
        s: &mut Scheduler<Ev>,
        sale: u32,
        first_period: u64,
    ) -> Result<(), Stop> {
        let pi = self.miss_probability(sale);
        if pi <= 0.0 {
            return Ok(());
        }
        let node = self.ledger.sales[sale as usize].node as usize;
        let g = geometric(&mut self.ledger.nodes[node].rng, pi);
        let p = first_period.saturating_add(g);
        let mark = self
            .period_start(p.saturating_add(1))
            .saturating_add(VALIDATOR_DELAY);
        if mark > self.horizon.saturating_add(self.period()) {
            return Ok(());
        }
        let generation = self.ledger.sales[sale as usize].generation;
        let id = s.schedule_at(
            mark,
            Ev::Missed {
                sale,
                generation,
                chain: true,
            },
        )?;
        self.ledger.sales[sale as usize].pending_miss = Some((id, p));
        Ok(())
    }

    pub(crate) fn on_missed(
        &mut self,
        s: &mut Scheduler<Ev>,
        id: EventId,
        sale: u32,
        chain: bool,
    ) -> Result<(), Stop> {
        let now = s.now();
        let (req, slot, state) = {
            let sl = &self.ledger.sales[sale as usize];
            (sl.request, sl.slot, sl.state)
        };
        if state == SaleState::Done {
            // Stale: the sale ended (in this event, or its id is not reused yet).
            debug_assert!(self.ledger.sales[sale as usize].pending_miss.is_none());
            return Ok(());
        }
        let is_head = chain
            && self.ledger.sales[sale as usize]
                .pending_miss
                .map(|(i, _)| i)
                == Some(id);
        let period = self.ledger.sales[sale as usize]
            .pending_miss
            .map(|(_, p)| p);
        if is_head {
            self.ledger.sales[sale as usize].pending_miss = None;
        }
        let r = &self.ledger.requests[req as usize];
        if !r.active() || r.slots[slot as usize].host_sale != Some(sale) {
            return Ok(());
        }
        let collateral_per_slot = r.collateral_per_slot;
        debug_assert!(matches!(state, SaleState::Filled | SaleState::Zombie));
        self.ledger.c.proofs_missed += 1;
        self.ledger.c.proofs_required += 1;
        let freed = match self.marker(req, slot, now) {
            // No live validator watches the slot: the miss is never marked.
            None => {
                self.validation.unmarked += 1;
                let node = self.ledger.sales[sale as usize].node;
                self.trace(
                    now,
                    TraceKind::ProofUnmarked,
                    Some(node),
                    Some(req),
                    Some(slot),
                    None,
                );
                false
            }
            Some(validator) => {
                self.validation.marked += 1;
                self.ledger.c.slashes += 1;
                if state == SaleState::Filled {
                    // The host still holds the data: offline, or its proof failed.
                    self.ledger.c.slashes_intact += 1;
                }
                let mp = &self.cfg.marketplace;
                let slash = collateral_per_slot * mp.slash_percentage as u128 / 100;
                self.ledger.c.collateral_slashed += slash;
                self.money_slashed(sale, slash, validator);
                let node = self.ledger.sales[sale as usize].node;
                self.trace(
                    now,
                    TraceKind::ProofMissed,
                    Some(node),
                    Some(req),
                    Some(slot),
                    None,
                );
                let sl = &mut self.ledger.requests[req as usize].slots[slot as usize];
                sl.missed += 1;
                sl.missed >= self.cfg.marketplace.max_number_of_slashes
            }
        };
        if freed {
            self.free_slot(s, req, slot)?;
        } else if is_head {
            if let Some(p) = period {
                self.schedule_next_miss(s, sale, p + 1)?;
            }
        }
        Ok(())
    }

    pub(crate) fn on_period_tick(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let now = s.now();
        let p = self.period_of(now);
        let mark = self.period_start(p + 1).saturating_add(VALIDATOR_DELAY);
        for n in 0..self.ledger.nodes.len() {
            for i in 0..self.ledger.nodes[n].sales.len() {
                let sale = self.ledger.nodes[n].sales[i];
                let sl = &self.ledger.sales[sale as usize];
                if !matches!(sl.state, SaleState::Filled | SaleState::Zombie) || sl.fill_period >= p
                {
                    continue;
                }
                let proof = self.ledger.requests[sl.request as usize].proof;
                let provable = sl.provable;
                let node = &mut self.ledger.nodes[n];
                if !node.rng.chance(proof.num, proof.den) {
                    continue;
                }
                let failed = !provable
                    || (node.proof_failure > 0.0 && node.rng.bernoulli(node.proof_failure));
                if failed {
                    let generation = self.ledger.sales[sale as usize].generation;
                    s.schedule_at(
                        mark,
                        Ev::Missed {
                            sale,
                            generation,
                            chain: false,
                        },
                    )?;
                } else {
                    self.ledger.c.proofs_required += 1;
                }
            }
        }
        let next = self.period_start(p + 1).saturating_add(PROOF_DELAY);
        if next <= self.horizon {
            s.schedule_at(next, Ev::PeriodTick)?;
        }
        Ok(())
    }

    /// Aggregated mode: draws the proofs required and submitted since the
    /// last sample from the integral of the provable slots' requirement.
    pub(crate) fn draw_required_proofs(&mut self, now: SimTime) {
        if self.cfg.run.proof_mode != ProofMode::Aggregated {
            return;
        }
        self.accumulate_provable(now);
        let per = self.period().as_nanos() as f64;
        let mean = self.proofs.area / per;
        let var = self.proofs.var_area / per;
        self.proofs.area = 0.0;
        self.proofs.var_area = 0.0;
        if mean <= 0.0 {
            return;
        }
        let draw = if mean < 30.0 {
            // Poisson by inversion (mean small): exact enough for a count.
            let mut k = 0u64;
            let mut p = (-mean).exp();
            let mut cdf = p;
            let u = self.proofs.count_rng.uniform01();
            while u > cdf && k < 10_000 {
                k += 1;
                p *= mean / k as f64;
                cdf += p;
            }
            k as f64
        } else {
            let z = codexsim_engine::dist::normal_quantile(
                self.proofs.count_rng.uniform01_open0().min(1.0 - 1e-16),
            );
            (mean + z * var.sqrt()).round().max(0.0)
        };
        self.ledger.c.proofs_required += draw as u64;
    }
}
