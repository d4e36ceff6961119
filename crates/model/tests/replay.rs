//! `flows replay` on a scenario's network, computed by hand: the sharing of
//! a machine's link, a later start, a rate cap, clients, latency, the
//! unshared mode, input order, and the messages for bad rows.

use codexsim_model::replay::{parse_transfers, replay, ReplayError};

/// Four nodes on two machines (block placement: nodes 0 and 1 on machine 0,
/// 2 and 3 on machine 1). Every machine's card carries 100 B/s each way
/// with 1 ms of latency; nodes' own links are unlimited with 0.5 ms; disks
/// are fast (1 kB/s); clients' lines carry 10 B/s up, 20 B/s down, 10 ms.
fn scenario(sharing: &str) -> codexsim_config::Scenario {
    let text = format!(
        r#"
[run]
duration_s = "1 h"

[[domain_levels]]
name = "machine"
count = 2
link_up_bytes_per_s = 100
link_down_bytes_per_s = 100
link_latency_s = "1 ms"

[[node_groups]]
name = "n"
count = 4
quota_bytes = "1 GiB"
placement = "block"
link_latency_s = "0.5 ms"
disk_read_bytes_per_s = 1000
disk_write_bytes_per_s = 1000

[network]
client_up_bytes_per_s = 10
client_down_bytes_per_s = 20
client_latency_s = "10 ms"
sharing = "{sharing}"

[workload]
max_datasets = 0
dataset_bytes = "1 MiB"
nodes = 2
tolerance = 1
codex_rest_rules = false
duration_s = "1 day"
"#
    );
    codexsim_config::parse(&text, "replay.toml").unwrap()
}

/// Node to node across the machines: 0.5 + 1 + 1 + 0.5 ms.
const CROSS_NS: u64 = 3_000_000;

fn ends(sharing: &str, csv: &str) -> Vec<u64> {
    let cfg = scenario(sharing);
    let rows = parse_transfers(csv, cfg.fleet_nodes()).unwrap();
    replay(&cfg, &rows).unwrap()
}

fn error(csv: &str) -> String {
    let cfg = scenario("max_min");
    match parse_transfers(csv, cfg.fleet_nodes()) {
        Ok(rows) => replay(&cfg, &rows).unwrap_err().to_string(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn two_transfers_across_one_card_get_half_each() {
    // Both cross machine 0's card up and machine 1's down: 50 B/s each,
    // 100 bytes in 2 s, plus the path's latency.
    let e = ends(
        "max_min",
        "start_s,from,to,bytes\n0,node-0,node-2,100\n0,node-1,node-3,100\n",
    );
    assert_eq!(e, vec![2_000_000_000 + CROSS_NS; 2]);
    // On one machine the card is not on the path: disks only, 1 kB/s.
    let e = ends("max_min", "start_s,from,to,bytes\n0,node-0,node-1,1000\n");
    assert_eq!(e, vec![1_000_000_000 + 1_000_000]);
}

#[test]
fn a_later_start_slows_the_first_and_rows_come_back_in_input_order() {
    // The later row first. Transfer B (row 2) runs alone at 100 B/s for
    // 1 s (50 of its 150 bytes left), then shares with A: 50 B/s each; B
    // ends at 2 s, A has 250 bytes left, alone again: 2.5 s more.
    let e = ends(
        "max_min",
        "start_s,from,to,bytes\n1,node-1,node-3,300\n0,node-0,node-2,150\n",
    );
    assert_eq!(e, vec![4_500_000_000 + CROSS_NS, 2_000_000_000 + CROSS_NS]);
}

#[test]
fn a_capped_transfer_leaves_the_rest_to_the_other() {
    // A at its cap of 25 B/s; B takes the 75 B/s left (max-min): B's 150
    // bytes in 2 s; then A (50 bytes left) is still held at 25: 2 s more.
    let e = ends(
        "max_min",
        "start_s,from,to,bytes,rate_cap_bytes_per_s\n0,node-0,node-2,100,25\n0,node-1,node-3,150,\n",
    );
    assert_eq!(e, vec![4_000_000_000 + CROSS_NS, 2_000_000_000 + CROSS_NS]);
}

#[test]
fn clients_have_lines_of_their_own() {
    // client-7 and client-3 each upload over their own 10 B/s line (the
    // card's 100 B/s is not full): 100 bytes in 10 s. client-7's second
    // upload shares its line: those two run at 5 B/s.
    let latency = 10_000_000 + 1_000_000 + 500_000;
    let e = ends(
        "max_min",
        "start_s,from,to,bytes\n0,client-7,node-0,100\n0,client-3,node-1,100\n",
    );
    assert_eq!(e, vec![10_000_000_000 + latency; 2]);
    let e = ends(
        "max_min",
        "start_s,from,to,bytes\n0,client-7,node-0,100\n0,client-3,node-1,100\n0,client-7,node-2,50\n",
    );
    // client-7's two share 10 B/s: the 50-byte one ends at 10 s, the other
    // has 50 left, alone at 10 B/s: 15 s. client-3 is alone: 10 s.
    assert_eq!(
        e,
        vec![
            15_000_000_000 + latency,
            10_000_000_000 + latency,
            10_000_000_000 + latency
        ]
    );
    // Downloads use the line's down direction (20 B/s).
    let e = ends("max_min", "start_s,from,to,bytes\n0,node-0,client-0,100\n");
    assert_eq!(e, vec![5_000_000_000 + latency]);
}

#[test]
fn unshared_transfers_run_alone() {
    let e = ends(
        "unshared",
        "start_s,from,to,bytes\n0,node-0,node-2,100\n0,node-1,node-3,100\n",
    );
    assert_eq!(e, vec![1_000_000_000 + CROSS_NS; 2]);
}

#[test]
fn columns_come_in_any_order_and_blank_lines_are_skipped() {
    let e = ends(
        "max_min",
        "bytes , to,from,start_s\n100,node-2,node-0,0.5\n\n100,node-3,node-1,0.5\n",
    );
    assert_eq!(e, vec![2_500_000_000 + CROSS_NS; 2]);
    assert!(ends("max_min", "start_s,from,to,bytes\n").is_empty());
}

#[test]
fn bad_rows_are_named_by_line_column_value_and_rule() {
    let h = "start_s,from,to,bytes\n";
    let cases = [
        (
            format!("{h}0,node-0,node-2,1\n0,node-9,node-1,5\n"),
            "line 3, column `from` = \"node-9\": node index out of range: the scenario has 4 nodes (node-0 to node-3)",
        ),
        (
            format!("{h}0,server-1,node-1,5\n"),
            "line 2, column `from` = \"server-1\": must be node-I",
        ),
        (
            format!("{h}0,node--1,node-1,5\n"),
            "line 2, column `from` = \"node--1\": must be node-I",
        ),
        (
            format!("{h}-1,node-0,node-1,5\n"),
            "line 2, column `start_s` = \"-1\": must be a number of seconds, at least 0",
        ),
        (
            format!("{h}soon,node-0,node-1,5\n"),
            "line 2, column `start_s` = \"soon\": must be a number of seconds",
        ),
        (
            format!("{h}NaN,node-0,node-1,5\n"),
            "line 2, column `start_s` = \"NaN\": must be a number of seconds",
        ),
        (
            format!("{h}0,node-0,node-1,-5\n"),
            "line 2, column `bytes` = \"-5\": must be a whole number of bytes, at least 1",
        ),
        (
            format!("{h}0,node-0,node-1,1.5\n"),
            "line 2, column `bytes` = \"1.5\": must be a whole number of bytes",
        ),
        (
            format!("{h}0,node-0,node-1,0\n"),
            "line 2, column `bytes` = \"0\": must be a whole number of bytes, at least 1",
        ),
        (
            format!("{h}0,node-1,node-1,5\n"),
            "line 2, column `to` = \"node-1\": must differ from `from` (node-1)",
        ),
        (
            format!("{h}0,node-1,,5\n"),
            "line 2, column `to` = \"\": must be node-I",
        ),
        (
            format!("{h}0,node-0,node-1\n"),
            "line 2: 3 values for the header's 4 columns",
        ),
        (
            "start_s,from,to,bytes,rate_cap_bytes_per_s\n0,node-0,node-1,5,0\n".into(),
            "line 2, column `rate_cap_bytes_per_s` = \"0\": must be a number of bytes per second above 0",
        ),
        (
            "start_s,from,to\n0,node-0,node-1\n".into(),
            "line 1: the header has no column `bytes`",
        ),
        (
            "start_s,from,to,bytes,size\n".into(),
            "line 1: column `size`: unknown column",
        ),
        (
            "start_s,from,to,bytes,from\n".into(),
            "line 1: column `from`: named twice",
        ),
        (String::new(), "line 1: the header has no column `start_s`"),
    ];
    for (csv, expected) in cases {
        let e = error(&csv);
        assert!(
            e.starts_with(expected),
            "{csv:?}:\n  got {e}\n  expected {expected}"
        );
    }
}

/// Every limit at its default (unlimited links, default disks) still makes
/// a path that moves; a transfer whose rate stays 0 (which no valid
/// scenario and row can make: capacities and caps are at least 1 B/s) would
/// be named by its line.
#[test]
fn default_limits_replay_and_a_stall_names_its_line() {
    let text = r#"
[run]
duration_s = "1 h"

[[node_groups]]
name = "n"
count = 2
quota_bytes = "1 GiB"

[workload]
max_datasets = 0
dataset_bytes = "1 MiB"
nodes = 2
tolerance = 1
codex_rest_rules = false
duration_s = "1 day"
"#;
    let cfg = codexsim_config::parse(text, "t.toml").unwrap();
    let rows = parse_transfers("start_s,from,to,bytes\n0,node-0,node-1,5\n", 2).unwrap();
    assert_eq!(replay(&cfg, &rows).unwrap().len(), 1);
    let e = ReplayError::Stalled { line: 2 }.to_string();
    assert!(e.starts_with("line 2: the transfer never ends"), "{e}");
}
