//! Money: the marketplace's accounts (codex-contracts-eth
//! `Marketplace.sol` of 2025-08, read in `docs/marketplace-sources.md`).
//! A host locks collateral when it fills a slot (a repairing host pays the
//! collateral less the repair reward and is credited with all of it); a
//! slash takes a share of the slot's collateral, of which the marking
//! validator gets its share and the rest stays in the contract; a freed
//! slot's host, and every host of a failed request, loses the collateral
//! left and is paid nothing; a request that ends (or is cancelled at
//! expiry) pays each filled slot's host price x slot size x its time on the
//! contract and returns the collateral left.
//!
//! Owns [`Money`]; reads the ledger's sales and requests, never changes
//! them. Other concepts call it at the moments money moves.

use codexsim_engine::SimTime;

use crate::ledger::SaleState;
use crate::model::Model;
use crate::output::{AccountSample, HostProfit, MoneySample, MoneySummary};

/// Nanoseconds in a TB-month's month (30 days).
const MONTH_NS: f64 = 30.0 * 86_400.0 * 1e9;

/// One host's account.
#[derive(Clone, Debug, Default)]
pub(crate) struct Account {
    pub(crate) earned: u128,
    pub(crate) slashed: u128,
    pub(crate) forfeited: u128,
    pub(crate) repair_rewards: u128,
    pub(crate) collateral_locked: u128,
    /// Slot bytes x nanoseconds on settled contracts.
    pub(crate) byte_ns: u128,
    /// Open contracts, kept as sums so that a sample costs O(1) per host:
    /// price x size (per second) of those that will be paid, and that times
    /// the start of their unpaid time (ns); slot sizes, and that times
    /// their fill times (ns).
    pub(crate) rate: u128,
    pub(crate) rate_from: u128,
    pub(crate) size: u128,
    pub(crate) size_from: u128,
}

impl Account {
    /// Value of the open contracts' unpaid time at `now_ns`, and their
    /// byte-ns so far.
    fn open(&self, now_ns: u128) -> (u128, u128) {
        (
            (self.rate * now_ns).saturating_sub(self.rate_from) / 1_000_000_000,
            (self.size * now_ns).saturating_sub(self.size_from),
        )
    }
}

/// A filled sale's money, from its fill to its settlement.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SaleMoney {
    pub(crate) open: bool,
    pub(crate) filled_at: SimTime,
    /// Paid up to here (a renewal with the same hosts pays each term).
    pub(crate) paid_from: SimTime,
    /// Collateral the host paid.
    pub(crate) paid: u128,
    /// Collateral the slot credits (the request's per-slot collateral).
    pub(crate) credited: u128,
    pub(crate) slashed: u128,
    /// Price x slot size per second, and the slot size.
    pub(crate) rate: u128,
    pub(crate) size: u128,
    /// Still paid at its end (not a lost disk's).
    pub(crate) accruing: bool,
}

impl SaleMoney {
    /// Pay for the time from `paid_from` to `to`.
    fn pay_until(&self, to: SimTime) -> u128 {
        self.rate * to.saturating_since(self.paid_from).as_nanos() as u128 / 1_000_000_000
    }
}

/// Every account of the run.
pub(crate) struct Money {
    pub(crate) hosts: Vec<Account>,
    /// By sale id (ids are reused: an entry is reset at each fill).
    pub(crate) sales: Vec<SaleMoney>,
    /// By validator (one entry for the ideal validator).
    pub(crate) validators: Vec<u128>,
    pub(crate) burned: u128,
}

impl Money {
    pub(crate) fn new(nodes: usize, validators: usize) -> Self {
        Money {
            hosts: vec![Account::default(); nodes],
            sales: Vec::new(),
            validators: vec![0; validators.max(1)],
            burned: 0,
        }
    }
}

impl Model<'_> {
    /// The sale filled its slot: its collateral is locked.
    pub(crate) fn money_filled(&mut self, sale: u32, now: SimTime) {
        let x = &self.ledger.sales[sale as usize];
        let r = &self.ledger.requests[x.request as usize];
        let credited = r.collateral_per_slot;
        let size = r.layout.slot_size_bytes as u128;
        let rate = self.cfg.workload.price_per_byte_per_s as u128 * size;
        let (node, paid) = (x.node as usize, x.collateral);
        if self.money.sales.len() <= sale as usize {
            self.money
                .sales
                .resize(sale as usize + 1, SaleMoney::default());
        }
        self.money.sales[sale as usize] = SaleMoney {
            open: true,
            filled_at: now,
            paid_from: now,
            paid,
            credited,
            slashed: 0,
            rate,
            size,
            accruing: true,
        };
        let t = now.as_nanos() as u128;
        let a = &mut self.money.hosts[node];
        a.collateral_locked += paid;
        a.rate += rate;
        a.rate_from += rate * t;
        a.size += size;
        a.size_from += size * t;
    }

    /// The host lost the sale's data (and its records): the contract will
    /// not be paid.
    pub(crate) fn money_zombie(&mut self, sale: u32) {
        let Some(m) = self.money.sales.get_mut(sale as usize) else {
            return;
        };
        if !m.open || !m.accruing {
            return;
        }
        m.accruing = false;
        let (rate, from) = (m.rate, m.paid_from.as_nanos() as u128);
        let a = &mut self.money.hosts[self.ledger.sales[sale as usize].node as usize];
        a.rate -= rate;
        a.rate_from -= rate * from;
    }

    /// A slash of `amount`, marked by `validator` (its index; 0 for the
    /// ideal validator).
    pub(crate) fn money_slashed(&mut self, sale: u32, amount: u128, validator: usize) {
        let node = self.ledger.sales[sale as usize].node as usize;
        let m = &mut self.money.sales[sale as usize];
        debug_assert!(m.open);
        let amount = amount.min(m.credited - m.slashed);
        m.slashed += amount;
        self.money.hosts[node].slashed += amount;
        let reward = amount * self.cfg.marketplace.validator_reward_percentage as u128 / 100;
        self.money.validators[validator] += reward;
        self.money.burned += amount - reward;
    }

    /// The contract ends for the sale's host and pays nothing: its slot was
    /// freed, its request failed, or it lost the data and cannot claim.
    pub(crate) fn money_forfeit(&mut self, sale: u32, now: SimTime) {
        let Some(m) = self.close_account(sale, now) else {
            return;
        };
        let node = self.ledger.sales[sale as usize].node as usize;
        self.money.hosts[node].forfeited += m.credited - m.slashed;
    }

    /// The contract ends well for the sale's host (the request's end, or its
    /// cancellation at expiry): paid for its time, its collateral left
    /// returned.
    pub(crate) fn money_payout(&mut self, sale: u32, now: SimTime) {
        if self.ledger.sales[sale as usize].state == SaleState::Zombie {
            // The host lost the data and its records: it never claims.
            return self.money_forfeit(sale, now);
        }
        let Some(m) = self.close_account(sale, now) else {
            return;
        };
        let pay = m.pay_until(now);
        let a = &mut self.money.hosts[self.ledger.sales[sale as usize].node as usize];
        a.earned += pay;
        a.repair_rewards += m.credited - m.paid;
    }

    /// A renewal with the same hosts: the term that ends now is paid.
    pub(crate) fn money_term_paid(&mut self, sale: u32, now: SimTime) {
        let Some(m) = self.money.sales.get(sale as usize).copied() else {
            return;
        };
        if !m.open {
            return;
        }
        let pay = m.pay_until(now);
        self.money.sales[sale as usize].paid_from = now;
        let node = self.ledger.sales[sale as usize].node as usize;
        let a = &mut self.money.hosts[node];
        a.earned += pay;
        if m.accruing {
            a.rate_from += m.rate * (now.as_nanos() as u128 - m.paid_from.as_nanos() as u128);
        }
    }

    /// Settles the sale's collateral lock and time held; its money record,
    /// if it was open.
    fn close_account(&mut self, sale: u32, now: SimTime) -> Option<SaleMoney> {
        let m = *self.money.sales.get(sale as usize)?;
        if !m.open {
            return None;
        }
        self.money.sales[sale as usize].open = false;
        let node = self.ledger.sales[sale as usize].node as usize;
        let a = &mut self.money.hosts[node];
        a.collateral_locked -= m.paid;
        a.byte_ns += m.size * now.saturating_since(m.filled_at).as_nanos() as u128;
        a.size -= m.size;
        a.size_from -= m.size * m.filled_at.as_nanos() as u128;
        if m.accruing {
            a.rate -= m.rate;
            a.rate_from -= m.rate * m.paid_from.as_nanos() as u128;
        }
        Some(m)
    }

    /// The fleet's money totals now.
    pub(crate) fn money_totals(&self, now: SimTime) -> MoneySample {
        let now_ns = now.as_nanos() as u128;
        let mut total = MoneySample {
            time_s: now.as_secs_f64(),
            validator_rewards: self.money.validators.iter().sum(),
            burned: self.money.burned,
            ..MoneySample::default()
        };
        for a in &self.money.hosts {
            total.hosts_earned += a.earned;
            total.hosts_accrued += a.open(now_ns).0;
            total.hosts_slashed += a.slashed;
            total.hosts_forfeited += a.forfeited;
            total.hosts_repair_rewards += a.repair_rewards;
            total.collateral_locked += a.collateral_locked;
        }
        total
    }

    /// Host `node`'s account now.
    pub(crate) fn money_account(&self, node: u32, now: SimTime) -> AccountSample {
        let a = &self.money.hosts[node as usize];
        let (accrued, open_byte_ns) = a.open(now.as_nanos() as u128);
        let group = self.ledger.nodes[node as usize].group;
        AccountSample {
            time_s: now.as_secs_f64(),
            node,
            group: self.cfg.node_groups[group as usize].name.clone(),
            earned: a.earned,
            accrued,
            slashed: a.slashed,
            forfeited: a.forfeited,
            repair_rewards: a.repair_rewards,
            collateral_locked: a.collateral_locked,
            profit: (a.earned + accrued + a.repair_rewards) as i128
                - (a.slashed + a.forfeited) as i128,
            tb_months: (a.byte_ns + open_byte_ns) as f64 / 1e12 / MONTH_NS,
        }
    }

    /// The summary's `money` section.
    pub(crate) fn money_summary(&self, now: SimTime) -> MoneySummary {
        let totals = self.money_totals(now);
        let hosts: Vec<HostProfit> = (0..self.money.hosts.len() as u32)
            .map(|n| self.money_account(n, now))
            .map(|r| HostProfit {
                node: r.node,
                group: r.group,
                profit: r.profit,
                tb_months: r.tb_months,
                profit_per_tb_month: if r.tb_months > 0.0 {
                    r.profit as f64 / r.tb_months
                } else {
                    0.0
                },
            })
            .collect();
        let mut per: Vec<f64> = hosts
            .iter()
            .filter(|h| h.tb_months > 0.0)
            .map(|h| h.profit_per_tb_month)
            .collect();
        per.sort_by(f64::total_cmp);
        MoneySummary {
            totals,
            hosts_losing_money: hosts.iter().filter(|h| h.profit < 0).count() as u32,
            min_profit_per_tb_month: per.first().copied().unwrap_or(0.0),
            median_profit_per_tb_month: per.get(per.len() / 2).copied().unwrap_or(0.0),
            hosts,
            validator_rewards: self.money.validators.clone(),
        }
    }

    /// The accounts' invariants: locked collateral and the open-contract
    /// sums are the open sales'; a sale's slashes never exceed its credit.
    pub(crate) fn check_money(&self) -> Result<(), String> {
        let mut locked = vec![0u128; self.ledger.nodes.len()];
        let mut sums = vec![[0u128; 4]; self.ledger.nodes.len()];
        for (id, m) in self.money.sales.iter().enumerate() {
            if !m.open {
                continue;
            }
            let x = &self.ledger.sales[id];
            if !matches!(x.state, SaleState::Filled | SaleState::Zombie) {
                return Err(format!(
                    "sale {id} has an open account in state {:?}",
                    x.state
                ));
            }
            if m.slashed > m.credited {
                return Err(format!("sale {id} slashed beyond its collateral"));
            }
            locked[x.node as usize] += m.paid;
            let sum = &mut sums[x.node as usize];
            if m.accruing {
                sum[0] += m.rate;
                sum[1] += m.rate * m.paid_from.as_nanos() as u128;
            }
            sum[2] += m.size;
            sum[3] += m.size * m.filled_at.as_nanos() as u128;
        }
        for (i, a) in self.money.hosts.iter().enumerate() {
            if a.collateral_locked != locked[i] {
                return Err(format!(
                    "node {i}: collateral locked {} but its open sales paid {}",
                    a.collateral_locked, locked[i]
                ));
            }
            if [a.rate, a.rate_from, a.size, a.size_from] != sums[i] {
                return Err(format!(
                    "node {i}: open-contract sums differ from its open sales"
                ));
            }
        }
        Ok(())
    }
}
