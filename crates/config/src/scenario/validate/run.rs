//! Validation of `[run]` and `[marketplace]`.

use codexsim_engine::SimDuration;

use super::super::{MarketMode, Marketplace, ProofMode, RawMarketplace, RawRun, RunConfig};
use super::ONE_NS;
use crate::validate::Ctx;

/// Validates `[run]`.
pub(super) fn validate_run(c: &mut Ctx, r: &RawRun) -> Option<RunConfig> {
    let seed = c.int_in("run.seed", r.seed, 0, i64::MAX).map(|v| v as u64);
    let duration = c.duration("run.duration_s", &r.duration_s, ONE_NS);
    let max_events = c
        .int_in("run.max_events", r.max_events, 1, i64::MAX)
        .map(|v| v as u64);
    let series_interval = c.duration("run.series_interval_s", &r.series_interval_s, ONE_NS);
    if let (Some(d), Some(i)) = (duration, series_interval) {
        if i > d {
            c.errors.push(
                "run.series_interval_s",
                &r.series_interval_s,
                format!("must not exceed run.duration_s ({d})"),
            );
        }
    }
    let proof_mode = c.choice(
        "run.proof_mode",
        &r.proof_mode,
        &[
            ("aggregated", ProofMode::Aggregated),
            ("exact", ProofMode::Exact),
        ],
    );
    let market = c.choice(
        "run.market",
        &r.market,
        &[("fast", MarketMode::Fast), ("exact", MarketMode::Exact)],
    );

    Some(RunConfig {
        seed: seed?,
        duration: duration?,
        max_events: max_events?,
        series_interval: series_interval?,
        proof_mode: proof_mode?,
        market: market?,
        stop_on_data_loss: r.stop_on_data_loss,
        per_node_series: r.per_node_series,
    })
}

/// `[marketplace]` validated, with the two limits the workload is checked
/// against: each is known whenever its own key is valid, even if another
/// marketplace key is not.
pub(super) struct CheckedMarketplace {
    /// The section, if every key is valid.
    pub marketplace: Option<Marketplace>,
    /// `max_slots`.
    pub max_slots: Option<i64>,
    /// `request_duration_limit_s`.
    pub request_duration_limit: Option<SimDuration>,
}

/// Validates `[marketplace]`.
pub(super) fn validate_marketplace(c: &mut Ctx, m: &RawMarketplace) -> CheckedMarketplace {
    let proof_period = c.duration(
        "marketplace.proof_period_s",
        &m.proof_period_s,
        SimDuration::from_secs(1),
    );
    let proof_timeout = c.duration("marketplace.proof_timeout_s", &m.proof_timeout_s, ONE_NS);
    if let (Some(p), Some(t)) = (proof_period, proof_timeout) {
        if t > p {
            c.errors.push(
                "marketplace.proof_timeout_s",
                &m.proof_timeout_s,
                format!("must not exceed marketplace.proof_period_s ({p})"),
            );
        }
    }
    let downtime = c.int_in("marketplace.downtime_blocks", m.downtime_blocks, 0, 255);
    if let Some(p) = &m.preset {
        c.choice(
            "marketplace.preset",
            p,
            &crate::MARKETPLACE_PRESETS.map(|x| (x.0, ())),
        );
    }
    if let Some(p) = m.downtime_product {
        c.int_in("marketplace.downtime_product", p, 0, 255);
    }
    let max_slashes = c.int_in(
        "marketplace.max_number_of_slashes",
        m.max_number_of_slashes,
        1,
        1000,
    );
    let slash_pct = c.int_in("marketplace.slash_percentage", m.slash_percentage, 0, 100);
    let repair_pct = c.int_in(
        "marketplace.repair_reward_percentage",
        m.repair_reward_percentage,
        0,
        100,
    );
    let validator_pct = c.int_in(
        "marketplace.validator_reward_percentage",
        m.validator_reward_percentage,
        0,
        100,
    );
    let max_res = c.int_in(
        "marketplace.max_reservations_per_slot",
        m.max_reservations_per_slot,
        1,
        1000,
    );
    let duration_limit = c.duration(
        "marketplace.request_duration_limit_s",
        &m.request_duration_limit_s,
        ONE_NS,
    );
    let max_slots = c.int_in("marketplace.max_slots", m.max_slots, 1, 65_536);
    let block_period = c.duration(
        "marketplace.block_period_s",
        &m.block_period_s,
        SimDuration::ZERO,
    );

    let window = match &m.reservation_window {
        Some(w) => crate::market_rules::validate_window(c, w).map(Some),
        None => Some(None),
    };
    if let (Some(n), Some(p)) = (max_slashes, slash_pct) {
        if n * p > 100 {
            c.errors.push(
                "marketplace.max_number_of_slashes",
                n,
                format!(
                    "times marketplace.slash_percentage ({p}) must not exceed 100 (the contract's constructor refuses more than the collateral)"
                ),
            );
        }
    }
    let marketplace = (|| {
        Some(Marketplace {
            proof_period: proof_period?,
            proof_timeout: proof_timeout?,
            downtime_blocks: downtime? as u8,
            max_number_of_slashes: max_slashes? as u32,
            slash_percentage: slash_pct? as u32,
            repair_reward_percentage: repair_pct? as u32,
            validator_reward_percentage: validator_pct? as u32,
            max_reservations_per_slot: max_res? as u32,
            request_duration_limit: duration_limit?,
            max_slots: max_slots? as u32,
            block_period: block_period?,
            reservation_window: window?,
        })
    })();
    CheckedMarketplace {
        marketplace,
        max_slots,
        request_duration_limit: duration_limit,
    }
}
