//! Tiny scenarios whose every number is computed by hand.
//!
//! Three nodes, one request of 3 slots (K = 2, M = 1), proofs required in
//! every period (proofProbability 1, downtime 0), no transaction delay, one
//! reservation per slot (so each node takes a different slot at once).
//! A 10 MiB dataset gives 80 blocks of 64 KiB per slot (5 MiB of data, an
//! 8 MiB slot); at 5 MiB/s the download takes 1 s, and the fill waits for the
//! next period boundary: t = 120 s.
//!
//! Node 0 is offline during [1000 s, 1500 s). Proofs are submitted at period
//! start + 1 s, so periods 9 (1081 s), 10, 11 and 12 (1441 s) are missed.
//! The validator marks a miss at period end + 1 s: 1201 s (slash 1) and
//! 1321 s (slash 2: the slot is freed). One slot freed is within maxSlotLoss
//! (1): the request keeps running. Node 1 is offline during [2000 s, 2500 s):
//! misses of periods 17 and 18 are marked at 2161 s and 2281 s; at 2281 s two
//! slots are free, more than maxSlotLoss: the request fails. Nobody repairs:
//! the only node that could (node 0) was offline when the slot was announced,
//! and a node restarts with an empty queue.

mod common;

use codexsim_config::parse;
use codexsim_model::{MemorySink, Model, TraceKind};
use common::{nodes_of, run as run_traced, three_nodes, times};

fn scenario(proof_mode: &str) -> String {
    three_nodes(proof_mode, true, "")
}

#[test]
fn one_request_two_outages_exact_and_aggregated() {
    for mode in ["exact", "aggregated"] {
        let (summary, sink) = run_traced(&scenario(mode));

        assert_eq!(
            times(&sink, TraceKind::SlotFilled),
            vec![120.0; 3],
            "{mode}"
        );
        assert_eq!(
            times(&sink, TraceKind::RequestStarted),
            vec![120.0],
            "{mode}"
        );
        assert_eq!(
            times(&sink, TraceKind::ProofMissed),
            vec![1201.0, 1321.0, 2161.0, 2281.0],
            "{mode}"
        );
        assert_eq!(
            times(&sink, TraceKind::SlotFreed),
            vec![1321.0, 2281.0],
            "{mode}"
        );
        assert_eq!(
            times(&sink, TraceKind::RequestFailed),
            vec![2281.0],
            "{mode}"
        );
        assert_eq!(nodes_of(&sink, TraceKind::SlotFreed), vec![0, 1], "{mode}");
        assert!(
            times(&sink, TraceKind::DatasetLost).is_empty(),
            "freed hosts keep their data"
        );

        let t = &summary.totals;
        assert_eq!(t.slashes_total, 4);
        assert_eq!(t.proofs_missed_total, 4);
        assert_eq!(t.codex_purchases_failed_total, 1);
        assert_eq!(t.slots_repaired_total, 0);
        assert_eq!(summary.first_contract_failure_s, Some(2281.0));
        assert_eq!(summary.mean_fill_time_s, Some(120.0));
        // Collateral: 20 % of 8 MiB x 1 per byte, four times.
        assert_eq!(summary.collateral_slashed, 4 * (8 * 1024 * 1024 * 20 / 100));
        if mode == "exact" {
            // Every period after the fill period (1) is required of every
            // filled slot: slots fill at 120 s (period 1), so periods 2..=29
            // (submissions up to 3481 s, before the 3600 s horizon) count.
            // Node 0's slot: periods 2..=10 (freed after period 10's mark at
            // 1321 s, so periods 2..=10 are required of it) = 9; node 1's:
            // periods 2..=18 = 17; node 2's: periods 2..=18 (the request fails
            // at 2281 s, before period 19's submission) = 17. In all 43.
            assert_eq!(t.proofs_required_total, 43);
        }
    }
}

#[test]
fn the_run_is_deterministic() {
    let cfg = parse(&scenario("aggregated"), "hand.toml").unwrap();
    let run = || {
        let mut sink = MemorySink {
            keep_trace: true,
            ..MemorySink::default()
        };
        let s = Model::new(&cfg, &mut sink).run(&mut |_| {}).unwrap();
        (
            format!("{s:?}"),
            format!("{:?}", sink.trace),
            format!("{:?}", sink.fleet),
        )
    };
    assert_eq!(run(), run());
}

/// Six nodes on three machines (round robin: machine m holds nodes m and
/// m + 3). Nodes 0, 1 and 2 take the three slots at t = 0 (no transaction
/// delay, one reservation per slot, first come first served). On day 1
/// machines 0 and 1 lose their disks for good: nodes 0 and 1 hold two of the
/// three slots, K = 2, so only one slot's data survives and the dataset is
/// lost at that instant. Their slots stay on the contract (zombies) until the
/// validator frees them: proofs are required every period, so the misses of
/// periods 720 and 721 (day 1 = period 720 exactly; submissions at +1 s) are
/// marked at 86,521 s and 86,641 s, when both slots are freed and the request
/// fails.
#[test]
fn machines_die_on_day_one() {
    let text = r#"
[run]
duration_s = "2 days"
series_interval_s = "1 h"

[marketplace]
proof_period_s = 120
downtime_blocks = 0
max_reservations_per_slot = 1
block_period_s = 0

[[domain_levels]]
name = "machine"
count = 3

[[node_groups]]
name = "n"
count = 6
quota_bytes = "1 GiB"
one_slot_per_request = true

[[scheduled_faults]]
at_s = "1 day"
kind = "disk_loss"
target = "machine"
index = 0
replace = false

[[scheduled_faults]]
at_s = "1 day"
kind = "disk_loss"
target = "machine"
index = 1
replace = false

[workload]
max_datasets = 0
arrival_times_s = [0]
dataset_bytes = "10 MiB"
nodes = 3
tolerance = 1
duration_s = "30 days"
proof_probability = 1
"#;
    let (summary, sink) = run_traced(text);
    // All three finish their downloads in the first period and fill at its
    // end, in the order their transfers ended.
    let mut filled = nodes_of(&sink, TraceKind::SlotFilled);
    filled.sort();
    assert_eq!(filled, vec![0, 1, 2]);
    let lost: Vec<(f64, Option<u64>)> = sink
        .trace
        .iter()
        .filter(|e| e.kind == TraceKind::DatasetLost)
        .map(|e| (e.time_s, e.bytes))
        .collect();
    assert_eq!(lost, vec![(86_400.0, Some(10 * 1024 * 1024))]);
    assert_eq!(
        times(&sink, TraceKind::NodeLeft).len(),
        4,
        "nodes 0, 1, 3, 4"
    );
    assert_eq!(times(&sink, TraceKind::SlotFreed), vec![86_641.0, 86_641.0]);
    assert_eq!(times(&sink, TraceKind::RequestFailed), vec![86_641.0]);
    assert_eq!(summary.first_data_loss_s, Some(86_400.0));
    assert_eq!(summary.totals.datasets_lost_total, 1);
    assert_eq!(summary.totals.nodes_gone, 4);
    // Both lost slots were noticed 241 s after the loss (two missed proofs),
    // and no host that still held its data was slashed.
    assert_eq!(summary.losses_detected, 2);
    assert_eq!(summary.mean_loss_detection_s, Some(241.0));
    assert_eq!(summary.slashes_of_intact_slots, 0);
    assert_eq!(summary.totals.slashes_total, 4);
}

/// Five slots on five of seven hosts; hosts 0 and 1 lose their disks on
/// days 1 and 2, noticed at once. Eager repair refills each lost slot soon
/// after its loss; lazy repair with a threshold of 2 waits for the second
/// loss and then refills both.
fn lazy_scenario(lazy_threshold: u32) -> String {
    format!(
        r#"
[run]
duration_s = "3 days"
series_interval_s = "1 h"

[marketplace]
proof_period_s = 120
block_period_s = 0

[[node_groups]]
name = "n"
count = 7
quota_bytes = "1 GiB"
one_slot_per_request = true

[[scheduled_faults]]
at_s = "1 day"
kind = "disk_loss"
target = "node"
index = 0
replace = false

[[scheduled_faults]]
at_s = "2 days"
kind = "disk_loss"
target = "node"
index = 1
replace = false

[workload]
max_datasets = 0
arrival_times_s = [0]
dataset_bytes = "10 MiB"
nodes = 5
tolerance = 2
duration_s = "30 days"
proof_probability = 1

[repair]
detection = "immediate"
lazy_threshold = {lazy_threshold}
"#
    )
}

#[test]
fn lazy_repair_waits_for_its_threshold() {
    let fills_after = |text: &str| -> Vec<f64> {
        let (summary, sink) = run_traced(text);
        assert_eq!(summary.totals.codex_purchases_failed_total, 0);
        assert_eq!(summary.totals.datasets_lost_total, 0);
        assert_eq!(summary.losses_detected, 2);
        assert_eq!(summary.mean_loss_detection_s, Some(0.0));
        times(&sink, TraceKind::SlotFilled)
            .into_iter()
            .filter(|&t| t > 86_400.0)
            .collect()
    };
    let eager = fills_after(&lazy_scenario(1));
    assert_eq!(eager.len(), 2, "{eager:?}");
    assert!(
        eager[0] < 2.0 * 86_400.0 && eager[1] > 2.0 * 86_400.0,
        "{eager:?}"
    );
    let lazy = fills_after(&lazy_scenario(2));
    assert_eq!(lazy.len(), 2, "{lazy:?}");
    assert!(lazy.iter().all(|&t| t > 2.0 * 86_400.0), "{lazy:?}");
    // Both refills start at the second loss and end within minutes.
    assert!(
        lazy.iter().all(|&t| t < 2.0 * 86_400.0 + 3_600.0),
        "{lazy:?}"
    );

    let bad = parse(&lazy_scenario(3), "lazy.toml")
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("repair.lazy_threshold = 3: must be at most workload.tolerance (2)"),
        "{bad}"
    );
}
