//! Sampling: the fleet-wide, per-link and per-node time series written to
//! the sink every series interval (with the full invariant check every 30
//! simulated days), and the run's summary.

use codexsim_engine::{Scheduler, SimDuration, SimTime};

use crate::events::{Ev, Stop};
use crate::model::Model;
use crate::output::{
    FleetSample, LinkSample, LinkTotals, NetworkSummary, NodeSample, Sharing, Summary, Traffic,
};

/// How often a run checks every invariant (besides its end). Tests check
/// after every event.
const FULL_CHECK_INTERVAL: SimDuration = SimDuration::from_days(30);

impl Model<'_> {
    pub(crate) fn fleet_sample(&mut self, now: SimTime) -> FleetSample {
        let mut f = FleetSample {
            time_s: now.as_secs_f64(),
            ..FleetSample::default()
        };
        for n in &self.ledger.nodes {
            if n.gone {
                f.nodes_gone += 1;
                continue;
            }
            if n.up() {
                f.nodes_up += 1;
            } else {
                f.nodes_down += 1;
            }
            f.quota_bytes += n.quota_bytes;
            f.offered_bytes += n.offered_bytes;
            f.codex_repostore_bytes_reserved += n.reserved_bytes;
            f.codex_repostore_bytes_used += n.used_bytes;
        }
        f.slots_filled = self.ledger.active_filled;
        f.requests_new = self.ledger.requests_new;
        f.requests_started = self.ledger.requests_started;
        let c = &self.ledger.c;
        f.codex_purchases_submitted_total = c.submitted;
        f.codex_purchases_started_total = c.started;
        f.codex_purchases_finished_total = c.finished;
        f.codex_purchases_cancelled_total = c.cancelled;
        f.codex_purchases_failed_total = c.failed;
        f.renewals_total = c.renewals;
        f.slots_filled_total = c.slots_filled;
        f.slots_freed_total = c.slots_freed;
        f.slots_repaired_total = c.slots_repaired;
        f.proofs_required_total = c.proofs_required;
        f.proofs_missed_total = c.proofs_missed;
        f.slashes_total = c.slashes;
        f.datasets_lost_total = c.datasets_lost;
        f.bytes_lost_total = c.bytes_lost;
        f.fill_bytes_total = c.fill_bytes;
        f.repair_bytes_total = c.repair_bytes;
        let d = self.net.delivered();
        f.net_fill_bytes_total = d[0];
        f.net_repair_bytes_total = d[1];
        f.net_canary_bytes_total = d[2];
        f.net_client_upload_bytes_total = self.net.client_upload();
        f.transfers_active = self.net.live_count() as u64;
        f.canary_rounds_total = self.canary.stats.rounds;
        f.canary_failures_total = self.canary.stats.failures;
        f.renewal_bytes_total = c.renewal_bytes;
        f.net_renewal_bytes_total = d[3];
        f.proofs_unmarked_total = self.validation.unmarked;
        f.slots_unwatched_total = self.validation.unwatched_fills;
        f.renewals_failed_total = c.renewals_failed;
        f.starts_host_over_tolerance_total = c.starts_host_over_tolerance;
        f.slots_lost_undetected = self.ledger.zombies;
        f.slots_lost_total = c.slots_lost;
        f
    }

    pub(crate) fn network_summary(&self) -> NetworkSummary {
        let d = self.net.delivered();
        NetworkSummary {
            fill_transfer: self.net.fill_durations.stats(),
            repair_transfer: self.net.repair_durations.stats(),
            transfer_timeouts: self.ledger.c.transfer_timeouts,
            traffic: Traffic {
                fill_bytes: d[0],
                repair_bytes: d[1],
                canary_bytes: d[2],
                client_upload_bytes: self.net.client_upload(),
                renewal_bytes: d[3],
            },
            links: self
                .net
                .topo
                .shared_links()
                .iter()
                .map(|l| LinkTotals {
                    link: l.name.clone(),
                    up_bytes: self.net.flows.resource_bytes(l.up),
                    down_bytes: self.net.flows.resource_bytes(l.down),
                })
                .collect(),
            sharing: {
                let st = self.net.flows.stats();
                let per = |x: u64| {
                    if st.recomputations == 0 {
                        0.0
                    } else {
                        x as f64 / st.recomputations as f64
                    }
                };
                Sharing {
                    updates: st.updates,
                    recomputations: st.recomputations,
                    mean_flows_per_recomputation: per(st.flows_recomputed),
                    mean_resources_per_recomputation: per(st.resources_recomputed),
                    rate_changes: st.rate_changes,
                }
            },
        }
    }

    pub(crate) fn emit_sample(&mut self, now: SimTime) {
        self.draw_required_proofs(now);
        self.net.flows.advance_all(now.as_nanos());
        let f = self.fleet_sample(now);
        self.sink.fleet(&f);
        let money = self.money_totals(now);
        self.sink.money(&money);
        if self.cfg.run.per_node_series {
            for n in 0..self.money.hosts.len() as u32 {
                let a = self.money_account(n, now);
                self.sink.account(&a);
            }
        }
        for l in self.net.topo.shared_links() {
            for (direction, r) in [("up", l.up), ("down", l.down)] {
                let b = self.net.flows.resource_bytes(r);
                self.sink.link(&LinkSample {
                    time_s: now.as_secs_f64(),
                    link: l.name.clone(),
                    direction,
                    fill_bytes_total: b[0],
                    repair_bytes_total: b[1],
                    canary_bytes_total: b[2],
                    renewal_bytes_total: b[3],
                });
            }
        }
        if self.cfg.run.per_node_series {
            for (i, n) in self.ledger.nodes.iter().enumerate() {
                let filled = n.filled_count;
                let (rx, tx) = self.net.host_traffic(i as u32);
                self.sink.node(&NodeSample {
                    time_s: now.as_secs_f64(),
                    node: i as u32,
                    group: self.cfg.node_groups[n.group as usize].name.clone(),
                    up: n.up() as u8,
                    quota_bytes: if n.gone { 0 } else { n.quota_bytes },
                    offered_bytes: if n.gone { 0 } else { n.offered_bytes },
                    codex_repostore_bytes_reserved: n.reserved_bytes,
                    codex_repostore_bytes_used: n.used_bytes,
                    slots: filled,
                    net_rx_fill_bytes_total: rx[0],
                    net_rx_repair_bytes_total: rx[1],
                    net_rx_canary_bytes_total: rx[2],
                    net_tx_fill_bytes_total: tx[0],
                    net_tx_repair_bytes_total: tx[1],
                    net_tx_canary_bytes_total: tx[2],
                    net_rx_renewal_bytes_total: rx[3],
                    net_tx_renewal_bytes_total: tx[3],
                });
            }
        }
    }

    pub(crate) fn on_sample(&mut self, s: &mut Scheduler<Ev>) -> Result<(), Stop> {
        let now = s.now();
        if now >= self.next_full_check {
            self.check(now)
                .map_err(|m| Stop::Error(self.invariant(now, m)))?;
            self.next_full_check = now.saturating_add(FULL_CHECK_INTERVAL);
        }
        self.emit_sample(now);
        let next = now.saturating_add(self.cfg.run.series_interval);
        if next <= self.horizon {
            s.schedule_at(next, Ev::Sample)?;
        } else if now < self.horizon {
            s.schedule_at(self.horizon, Ev::Sample)?;
        }
        Ok(())
    }

    /// The run's summary, at its end.
    pub(crate) fn summary(
        &self,
        now: SimTime,
        events_processed: u64,
        stop_reason: &str,
        totals: FleetSample,
    ) -> Summary {
        let c = &self.ledger.c;
        Summary {
            end_time_s: now.as_secs_f64(),
            events_processed,
            stop_reason: stop_reason.into(),
            totals,
            datasets_created: c.submitted,
            first_data_loss_s: c.first_loss.map(SimTime::as_secs_f64),
            first_contract_failure_s: c.first_failure.map(SimTime::as_secs_f64),
            mean_fill_time_s: (c.fill_time_n > 0).then(|| c.fill_time_sum_s / c.fill_time_n as f64),
            mean_repair_time_s: (c.repair_time_n > 0)
                .then(|| c.repair_time_sum_s / c.repair_time_n as f64),
            collateral_slashed: c.collateral_slashed,
            slashes_of_intact_slots: c.slashes_intact,
            losses_detected: c.losses_detected,
            mean_loss_detection_s: (c.losses_detected > 0)
                .then(|| c.loss_detection_sum_s / c.losses_detected as f64),
            fill_attempts_errored: c.fill_errored,
            network: self.network_summary(),
            canary: self
                .cfg
                .canary
                .as_ref()
                .map(|k| self.canary.stats.summary(&k.nodes)),
            money: self.money_summary(now),
            exchange: self.net.exchange.as_ref().map(|x| {
                let mut e = self.exchange_stats.clone();
                e.protocol = x.protocol().name().to_string();
                let t = x.traffic();
                for k in codexsim_exchange::MsgKind::ALL {
                    e.traffic_bytes
                        .insert(k.name().to_string(), t.bytes[k as usize]);
                    e.traffic_messages
                        .insert(k.name().to_string(), t.messages[k as usize]);
                }
                e.received_histogram = x.received_histogram();
                e
            }),
        }
    }
}
