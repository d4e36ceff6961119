//! Validation: raw tables into a typed [`Scenario`], every problem recorded.
//!
//! Each section is validated by its own function, in the order of the file's
//! sections, so errors come out in that order; a section that depends on
//! another (the workload on the marketplace's limits and the fleet) is given
//! what it needs of it.

pub mod budget;
mod faults;
mod fleet;
mod network;
mod run;
mod workload;

use codexsim_engine::SimDuration;

use super::{RawScenario, Scenario};
use crate::error::ConfigErrors;
use crate::validate::Ctx;

/// The shortest positive duration: the minimum of durations that must be > 0.
const ONE_NS: SimDuration = SimDuration::from_nanos(1);

impl RawScenario {
    /// Validates into a [`Scenario`], or returns every problem found.
    pub fn validate(&self) -> Result<Scenario, ConfigErrors> {
        let mut ctx = Ctx::default();
        let c = &mut ctx;

        let run = run::validate_run(c, &self.run);
        let market = run::validate_marketplace(c, &self.marketplace);
        let domain_levels = fleet::validate_domain_levels(c, &self.domain_levels);
        let node_groups = fleet::validate_node_groups(c, &self.node_groups);
        let fleet_nodes: u64 = self.node_groups.iter().map(|g| g.count.max(0) as u64).sum();
        // Only when every level and every group is valid.
        if domain_levels.len() == self.domain_levels.len()
            && node_groups.len() == self.node_groups.len()
        {
            fleet::check_nesting(c, &domain_levels, &node_groups);
        }
        let faults =
            faults::validate_faults(c, &self.faults, &self.domain_levels, &self.node_groups);
        let scheduled_faults = faults::validate_scheduled_faults(
            c,
            &self.scheduled_faults,
            &self.domain_levels,
            fleet_nodes,
        );
        let workload =
            workload::validate_workload(c, &self.workload, &market, fleet_nodes, &node_groups);
        let repair = workload::validate_repair(c, &self.repair, workload.tolerance);
        let network = network::validate_network(c, &self.network);
        let canary = self
            .canary
            .as_ref()
            .map(|k| network::validate_canary(c, k, fleet_nodes));
        let transfers_model = match &self.transfers {
            Some(t) => crate::exchange::transfer_model(c, "transfers.model", &t.model),
            None => Some(crate::exchange::TransferModel::Fluid),
        };
        let validators = self
            .validators
            .as_ref()
            .map(|v| crate::market_rules::validate_validators(c, v, fleet_nodes));
        let exchange = self
            .exchange
            .as_ref()
            .map(|x| crate::exchange::validate_exchange(c, x));
        // The block exchange's flows need shared (max-min) rates.
        let blocks = |m: &Option<crate::exchange::TransferModel>| {
            *m == Some(crate::exchange::TransferModel::Blocks)
        };
        let sharing_unshared = self.network.sharing == "unshared";
        if sharing_unshared {
            let canary_blocks =
                self.canary.as_ref().and_then(|k| k.model.as_deref()) == Some("blocks");
            for (path, on) in [
                ("transfers.model", blocks(&transfers_model)),
                ("canary.model", canary_blocks),
            ] {
                if on {
                    c.errors.push(
                        path,
                        "\"blocks\"",
                        "needs network.sharing = \"max_min\": the block exchange's messages are \
                         flows that share links and disks",
                    );
                }
            }
        }

        if !ctx.errors.is_empty() {
            return Err(ctx.errors);
        }
        // Every None above recorded an error.
        let scenario = Scenario {
            source: self.clone(),
            name: self.name.clone(),
            run: run.expect("validated"),
            marketplace: market.marketplace.expect("validated"),
            network: network.expect("validated"),
            canary: canary.map(|k| k.expect("validated")),
            transfers_model: transfers_model.expect("validated"),
            exchange: exchange.map(|x| x.expect("validated")),
            validators: validators.map(|v| v.expect("validated")),
            domain_levels,
            node_groups,
            faults,
            scheduled_faults,
            workload: workload.workload.expect("validated"),
            repair: repair.expect("validated"),
        };
        // The work it would do, within the limits.
        let mut ctx = Ctx::default();
        budget::check(&mut ctx, &scenario, &self.run);
        if !ctx.errors.is_empty() {
            return Err(ctx.errors);
        }
        Ok(scenario)
    }
}
