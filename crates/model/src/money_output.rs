//! The marketplace's accounts in a run directory: `money.csv` (the fleet's
//! totals every sample), `accounts.csv` (each host's account every sample)
//! and the summary's `money` section. A leaf, re-exported by `output.rs`,
//! which owns every file's format. Amounts are token units (the scenario's
//! price is per byte per second, its collateral per byte).

use serde::{Deserialize, Serialize};

/// The fleet's money totals at one sample (`money.csv`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MoneySample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Paid out to hosts for proven time: what clients spent.
    pub hosts_earned: u128,
    /// Value of the time hosts have held their open contracts so far (paid
    /// at the contracts' ends, if they end well).
    pub hosts_accrued: u128,
    /// Taken from hosts' collateral by slashes.
    pub hosts_slashed: u128,
    /// Collateral left on a slot when it was freed or its request failed:
    /// lost by its host.
    pub hosts_forfeited: u128,
    /// Repair rewards: collateral credited to a repairing host beyond what
    /// it paid, returned with its collateral at the contract's end.
    pub hosts_repair_rewards: u128,
    /// Collateral hosts have locked in filled slots now.
    pub collateral_locked: u128,
    /// Validators' share of slashes.
    pub validator_rewards: u128,
    /// The rest of slashes: kept by the contract, paid to no one.
    pub burned: u128,
}

impl MoneySample {
    /// The file of these rows in a run directory.
    pub const FILE: &'static str = "money.csv";
}

/// One host's account at one sample (`accounts.csv`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Node index.
    pub node: u32,
    /// Its group's name.
    pub group: String,
    /// Paid for proven time of contracts that ended well.
    pub earned: u128,
    /// Value of its open contracts' time so far.
    pub accrued: u128,
    /// Lost to slashes.
    pub slashed: u128,
    /// Collateral lost when its slots were freed or their requests failed.
    pub forfeited: u128,
    /// Repair rewards of its contracts that ended well.
    pub repair_rewards: u128,
    /// Collateral locked in its filled slots now.
    pub collateral_locked: u128,
    /// Earned + accrued + repair rewards - slashed - forfeited.
    pub profit: i128,
    /// Slot bytes it has held on contracts, in TB-months (10^12 bytes x 30
    /// days).
    pub tb_months: f64,
}

impl AccountSample {
    /// The file of these rows in a run directory.
    pub const FILE: &'static str = "accounts.csv";
}

/// One host's result at the end of a run (the summary's `money.hosts`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostProfit {
    /// Node index.
    pub node: u32,
    /// Its group's name.
    pub group: String,
    /// Earned + accrued + repair rewards - slashed - forfeited.
    pub profit: i128,
    /// Slot bytes held on contracts, TB-months.
    pub tb_months: f64,
    /// `profit / tb_months` (0 for a host that held nothing).
    pub profit_per_tb_month: f64,
}

/// The summary's `money` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MoneySummary {
    /// The fleet's totals at the end.
    pub totals: MoneySample,
    /// Each host's profit.
    pub hosts: Vec<HostProfit>,
    /// Hosts whose profit is below zero.
    pub hosts_losing_money: u32,
    /// The lowest and the median host profit per TB-month (hosts that held
    /// data).
    pub min_profit_per_tb_month: f64,
    /// See `min_profit_per_tb_month`.
    pub median_profit_per_tb_month: f64,
    /// Rewards per validator (one account, "the validator", when validation
    /// is ideal).
    pub validator_rewards: Vec<u128>,
}
