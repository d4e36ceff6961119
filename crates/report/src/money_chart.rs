//! The marketplace's accounts (`money`): the fleet's totals over time from
//! `money.csv`, and the lowest, median and highest host profit over time
//! from `accounts.csv` (the summary's `money` section for the caption).

use codexsim_model::output::{MoneySample, MoneySummary};

use crate::charts::{line, panel, Chart, Legend, Panel};
use crate::scale::Quantity;
use crate::series::decimate;

/// The chart of a run's money.
pub(crate) fn money_chart(
    rows: &[MoneySample],
    hosts: &[(f64, f64, f64, f64)],
    summary: &MoneySummary,
) -> Chart {
    type Field = fn(&MoneySample) -> u128;
    let fields: [(&str, Field); 7] = [
        ("earned (paid)", |s| s.hosts_earned),
        ("accrued (open contracts)", |s| s.hosts_accrued),
        ("collateral locked", |s| s.collateral_locked),
        ("slashed", |s| s.hosts_slashed),
        ("forfeited", |s| s.hosts_forfeited),
        ("validator rewards", |s| s.validator_rewards),
        ("repair rewards", |s| s.hosts_repair_rewards),
    ];
    let totals = fields
        .iter()
        .enumerate()
        .map(|(k, (label, f))| {
            let points = rows.iter().map(|s| (s.time_s, f(s) as f64)).collect();
            line(label, decimate(points), k)
        })
        .collect();
    let pick =
        |k: usize| -> Vec<(f64, f64)> { hosts.iter().map(|r| (r.0, [r.1, r.2, r.3][k])).collect() };
    let profit = ["lowest", "median", "highest"]
        .iter()
        .enumerate()
        .map(|(k, label)| line(&format!("{label} host"), decimate(pick(k)), k))
        .collect();
    Chart {
        name: "money",
        title: "Money".into(),
        caption: format!(
            "The marketplace's accounts in token units: what hosts were paid for contracts that \
             ended well, the value of their open contracts' time so far, the collateral locked, \
             slashed and forfeited, and the validators' share of slashes; then the lowest, \
             median and highest host profit (paid and accrued, less slashed and forfeited) over \
             time. At the end {} of {} hosts are below zero; profit per TB-month: lowest {:.3e}, \
             median {:.3e}.",
            summary.hosts_losing_money,
            summary.hosts.len(),
            summary.min_profit_per_tb_month,
            summary.median_profit_per_tb_month
        ),
        panels: vec![
            Panel {
                legend: Legend::UpperLeft,
                ..panel("Fleet totals", "Tokens", Quantity::Count, totals)
            },
            Panel {
                y_from_zero: false,
                ..panel("Host profit", "Tokens", Quantity::Count, profit)
            },
        ],
        side_by_side: false,
    }
}
