//! The network model in the fleet, on scenarios small enough to compute by
//! hand: transfer times from latency, size and rate; a repair limited by a
//! machine's shared link; traffic accounting; canary rounds.

mod common;

use codexsim_model::CanaryOutcome;
use common::{run, ONE_10_MIB_DATASET};

/// A 10 MiB dataset on 3 slots (K = 2): 5 MiB of data per slot.
const SLOT_DATA: f64 = 5.0 * 1024.0 * 1024.0;

/// Three hosts each fill one slot from the client. Nothing is shared that
/// could fill (the client's line is far faster than three transfers), so
/// every transfer runs alone at its own limit of 10 MB/s and takes the path's
/// latency (client 50 ms + host link 10 ms) plus 5 MiB / 10 MB/s.
#[test]
fn a_transfer_alone_takes_latency_plus_size_over_rate() {
    let text = r#"
[run]
duration_s = "1 h"

[marketplace]
max_reservations_per_slot = 1
block_period_s = 0

[[node_groups]]
name = "n"
count = 3
quota_bytes = "1 GiB"
transfer_rate_bytes_per_s = "10 MB"
link_latency_s = "10 ms"
one_slot_per_request = true

[network]
client_up_bytes_per_s = "100 GB"
client_latency_s = "50 ms"

[workload]
max_datasets = 0
arrival_times_s = [0]
dataset_bytes = "10 MiB"
nodes = 3
tolerance = 1
duration_s = "30 days"
"#;
    let (summary, sink) = run(text);
    let fills = &summary.network.fill_transfer;
    assert_eq!(fills.count, 3);
    let expected = 0.060 + SLOT_DATA / 10e6;
    for q in [fills.p50_s, fills.max_s, fills.mean_s] {
        let q = q.unwrap();
        assert!((q - expected).abs() < 2e-9, "{q} vs {expected}");
    }
    // Every byte is accounted: received by the hosts, sent by the client.
    let t = &summary.network.traffic;
    assert_eq!(t.fill_bytes, 3 * SLOT_DATA as u64);
    assert_eq!(t.client_upload_bytes, t.fill_bytes);
    assert_eq!(t.repair_bytes, 0);
    let last = sink.fleet.last().unwrap();
    assert_eq!(last.net_fill_bytes_total, t.fill_bytes);
    assert_eq!(last.codex_purchases_started_total, 1);
}

/// Six nodes on two machines (block placement: nodes 0-2 on machine 0,
/// 3-5 on machine 1), each machine behind a 10 MB/s network card. The
/// dataset's three slots go to nodes 0-2 (the spares on machine 1 offer
/// storage for less time than the contract). Node 0 loses its disk for good
/// on day 1 (noticed at once); only a spare can take the repair (holders
/// take one slot per request; one reservation per slot). The repair reads K
/// = 2 slots' worth, 5 MiB from each surviving holder in parallel; both
/// parts cross machine 0's card up and machine 1's card down, 10 MB/s
/// shared: 5 MB/s each, 10 MiB in 10 MiB / 10 MB/s = 1.048576 s.
#[test]
fn a_repair_takes_as_long_as_the_shared_machine_link_allows() {
    let text = r#"
[run]
duration_s = "2 days"

[marketplace]
max_reservations_per_slot = 1
block_period_s = 0

[[domain_levels]]
name = "machine"
count = 2
link_up_bytes_per_s = "10 MB"
link_down_bytes_per_s = "10 MB"

[[node_groups]]
name = "holders"
count = 3
quota_bytes = "1 GiB"
transfer_rate_bytes_per_s = "1 GB"
disk_read_bytes_per_s = "1 GB"
disk_write_bytes_per_s = "1 GB"
placement = "block"
one_slot_per_request = true

[[node_groups]]
name = "spares"
count = 3
quota_bytes = "1 GiB"
transfer_rate_bytes_per_s = "1 GB"
disk_read_bytes_per_s = "1 GB"
disk_write_bytes_per_s = "1 GB"
placement = "block"
availability = { duration_s = "29 days" }

[[scheduled_faults]]
at_s = "1 day"
kind = "disk_loss"
target = "node"
index = 0
replace = false

[network]
client_up_bytes_per_s = "100 GB"
client_latency_s = 0

[workload]
max_datasets = 0
arrival_times_s = [0]
dataset_bytes = "10 MiB"
nodes = 3
tolerance = 1
duration_s = "30 days"
client_keeps_data = "until_filled"

[repair]
detection = "immediate"
"#;
    let (summary, sink) = run(text);
    let repairs = &summary.network.repair_transfer;
    assert_eq!(repairs.count, 1, "{summary:#?}");
    let expected = 2.0 * SLOT_DATA / 10e6;
    let took = repairs.max_s.unwrap();
    assert!((took - expected).abs() < 2e-9, "{took} vs {expected}");
    assert_eq!(summary.totals.slots_repaired_total, 1);
    // Both machine cards carried the repair's 10 MiB, up on machine 0 and
    // down on machine 1; the fills came down machine 0's card.
    let links = &summary.network.links;
    assert_eq!(links[0].link, "machine-0");
    assert_eq!(links[0].up_bytes, [0, 2 * SLOT_DATA as u64, 0, 0]);
    assert_eq!(links[0].down_bytes, [3 * SLOT_DATA as u64, 0, 0, 0]);
    assert_eq!(links[1].down_bytes, [0, 2 * SLOT_DATA as u64, 0, 0]);
    // links.csv rows carry the same totals at the end.
    let last_m1_down = sink
        .links
        .iter()
        .rev()
        .find(|l| l.link == "machine-1" && l.direction == "down")
        .unwrap();
    assert_eq!(last_m1_down.repair_bytes_total, 2 * SLOT_DATA as u64);
}

/// Canary rounds every 10 min between nodes 0 and 1 (rounds alternate which
/// uploads and which downloads); node 1 is offline from 1 h to 2 h: the six
/// rounds starting in that hour fail as node_down, the others succeed in
/// latency + 10 MB / 31 MB/s.
#[test]
fn canary_rounds_record_successes_failures_and_durations() {
    let text = &[
        r#"
[run]
duration_s = "4 h"

[[node_groups]]
name = "n"
count = 3
quota_bytes = "1 GiB"
transfer_rate_bytes_per_s = "31 MB"

[[scheduled_faults]]
at_s = "1 h"
kind = "outage"
target = "node"
index = 1
duration_s = "1 h"

[network]
client_up_bytes_per_s = "1 GB"
client_latency_s = "20 ms"
"#,
        ONE_10_MIB_DATASET,
        r#"
[canary]
nodes = [0, 1]
file_bytes = "10 MB"
interval_s = "10 min"
start_s = "1 min"
"#,
    ]
    .concat();
    let (summary, sink) = run(text);
    assert_eq!(sink.canary.len(), 24);
    let failed: Vec<u32> = sink
        .canary
        .iter()
        .filter(|r| r.outcome != CanaryOutcome::Ok)
        .map(|r| r.round)
        .collect();
    assert_eq!(failed, vec![6, 7, 8, 9, 10, 11]);
    assert!(sink
        .canary
        .iter()
        .filter(|r| r.outcome != CanaryOutcome::Ok)
        .all(|r| r.outcome == CanaryOutcome::NodeDown));
    let upload = 0.020 + 10e6 / 31e6;
    let download = 10e6 / 31e6; // node to node: no latency configured
    for r in sink
        .canary
        .iter()
        .filter(|r| r.outcome == CanaryOutcome::Ok)
    {
        assert!((r.upload_s.unwrap() - upload).abs() < 2e-9, "{r:?}");
        assert!((r.download_s.unwrap() - download).abs() < 2e-9, "{r:?}");
    }
    let stats = summary.canary.unwrap();
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[0].node, 0);
    assert_eq!(stats[0].upload_rounds, 12);
    assert_eq!(stats[0].download_rounds, 12);
    // Node 1 was down for 3 rounds as the upload target and 3 as the
    // downloader (and node 0's rounds with node 1 failed as well).
    assert_eq!(stats[1].uploads_ok, 9);
    assert_eq!(stats[1].upload_success_rate, Some(0.75));
    assert_eq!(stats[0].downloads_ok, 9);
    let last = sink.fleet.last().unwrap();
    assert_eq!(last.canary_rounds_total, 24);
    assert_eq!(last.canary_failures_total, 6);
    // 18 rounds moved the file twice; the 3 that uploaded to node 0 while
    // node 1 was down moved it once.
    assert_eq!(last.net_canary_bytes_total, (18 * 2 + 3) * 10_000_000);
}

/// The same repair, but one of its two sources (node 1) goes offline 0.5 s
/// in, for a minute. Its part keeps the 2.5 MB it moved; no other slot's
/// data is free to read (node 0's is lost, node 2 serves the other part), so
/// the part waits for the retry (10 min) and then resumes from node 1, back
/// by then, alone on the link at 10 MB/s: 600.5 s + 2,742,880 B / 10 MB/s.
#[test]
fn a_repair_resumes_when_its_source_comes_back() {
    let base = include_str!("network.rs");
    let start = base.find("[run]\nduration_s = \"2 days\"").unwrap();
    let end = base[start..].find("\"#;").unwrap() + start;
    let text = format!(
        "{}\n[[scheduled_faults]]\nat_s = 86400.5\nkind = \"outage\"\ntarget = \"node\"\nindex = 1\nduration_s = 60\n",
        &base[start..end]
    );
    let (summary, _) = run(&text);
    let repairs = &summary.network.repair_transfer;
    assert_eq!(repairs.count, 1, "{summary:#?}");
    let expected = 600.5 + 2_742_880.0 / 10e6;
    let took = repairs.max_s.unwrap();
    assert!((took - expected).abs() < 2e-9, "{took} vs {expected}");
    // Nothing moved twice: the repair read exactly K slots' worth.
    assert_eq!(summary.network.traffic.repair_bytes, 2 * SLOT_DATA as u64);
}

/// `sharing = "unshared"`: every transfer at the rate it would have alone.
/// The repair of `a_repair_resumes_when_its_source_comes_back` then runs
/// both parts at 10 MB/s each (nobody shares the cards): node 1's part has
/// moved 5,000,000 B when it goes offline at 0.5 s, waits for the retry at
/// 600.5 s and moves its last 242,880 B in 24.288 ms. A fill alone takes
/// what it takes under max-min.
#[test]
fn unshared_transfers_run_as_if_alone() {
    let base = include_str!("network.rs");
    let start = base.find("[run]\nduration_s = \"2 days\"").unwrap();
    let end = base[start..].find("\"#;").unwrap() + start;
    let text = format!(
        "{}\n[[scheduled_faults]]\nat_s = 86400.5\nkind = \"outage\"\ntarget = \"node\"\nindex = 1\nduration_s = 60\n",
        &base[start..end]
    )
    .replace("[network]\n", "[network]\nsharing = \"unshared\"\n");
    let (summary, _) = run(&text);
    let repairs = &summary.network.repair_transfer;
    assert_eq!(repairs.count, 1, "{summary:#?}");
    let expected = 600.5 + 242_880.0 / 10e6;
    let took = repairs.max_s.unwrap();
    assert!((took - expected).abs() < 2e-9, "{took} vs {expected}");
    assert_eq!(summary.network.traffic.repair_bytes, 2 * SLOT_DATA as u64);
    // The fills came down machine 0's card at 10 MB/s each, unshared.
    let fills = &summary.network.fill_transfer;
    assert_eq!(fills.count, 3);
    let fill = SLOT_DATA / 10e6;
    assert!((fills.max_s.unwrap() - fill).abs() < 2e-9, "{fills:?}");
    assert_eq!(summary.network.traffic.fill_bytes, 3 * SLOT_DATA as u64);
}

/// A canary transfer slower than the timeout fails as `timeout` in the phase
/// it was in: 10 MB at 31 MB/s takes 0.32 s, past a 0.2 s timeout.
#[test]
fn canary_rounds_time_out() {
    let text = &[
        r#"
[run]
duration_s = "1 h"

[[node_groups]]
name = "n"
count = 3
quota_bytes = "1 GiB"
transfer_rate_bytes_per_s = "31 MB"
"#,
        ONE_10_MIB_DATASET,
        r#"
[canary]
nodes = [0, 1]
file_bytes = "10 MB"
interval_s = "10 min"
timeout_s = "0.2 s"
"#,
    ]
    .concat();
    let (summary, sink) = run(text);
    assert_eq!(sink.canary.len(), 6);
    for r in &sink.canary {
        assert_eq!(r.outcome, CanaryOutcome::Timeout, "{r:?}");
        assert_eq!(r.failed_phase.as_deref(), Some("upload"));
        assert_eq!(r.upload_s, None);
    }
    assert_eq!(summary.canary.unwrap()[0].upload_success_rate, Some(0.0));
    // The aborted uploads moved 0.2 s worth each: 6.2 MB.
    assert_eq!(summary.network.traffic.canary_bytes, 6 * 6_200_000);
}
