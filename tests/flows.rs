//! `codexsim flows replay` as a user runs it (outputs, input order, bad
//! rows), and `codexsim bench flows --simgrid` on small random storms: the
//! completion times must match SimGrid's to 1e-6 relative. The SimGrid test
//! needs `/usr/bin/python3` with SimGrid's module (Debian package
//! `python3-simgrid`); without it the test says so and passes, unless
//! `CODEXSIM_REQUIRE_SIMGRID=1` (set by `.ci/run`).

use std::process::Command;

use crate::common::{codexsim, run, skip_unless_required, write};

/// Four nodes on two machines (nodes 0 and 1 on machine 0), 100 B/s cards
/// with 1 ms latency, nodes' links 0.5 ms, clients' lines 10 B/s up and
/// 10 ms.
const SCENARIO: &str = r#"
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
client_latency_s = "10 ms"

[workload]
max_datasets = 0
dataset_bytes = "1 MiB"
nodes = 2
tolerance = 1
codex_rest_rules = false
duration_s = "1 day"
"#;

#[test]
fn replay_writes_every_end_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    // Row 1 starts later: it slows row 2 (50 B/s each from 1 s), which
    // ends at 2 s; row 1 then runs alone. Row 3 is a client's upload at its
    // line's 10 B/s (nothing else on its way is full), with a cap of 5.
    let transfers = write(
        dir.path(),
        "t.csv",
        "start_s,from,to,bytes,rate_cap_bytes_per_s\n\
         1,node-1,node-3,300,\n\
         0,node-0,node-2,150,\n\
         0,client-4,node-1,10,5\n",
    );
    let out = dir.path().join("ends.csv");
    let (code, stdout, stderr) = run(codexsim()
        .args(["flows", "replay"])
        .arg(&scenario)
        .arg(&transfers)
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("3 transfers replayed"), "{stdout}");
    assert!(stdout.contains("sharing max_min"), "{stdout}");
    // 4.5 s and 2 s plus 3 ms of latency node to node; 2 s plus 10 + 1 +
    // 0.5 ms client to node.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "index,end_s\n0,4.503\n1,2.003\n2,2.0115\n"
    );
}

#[test]
fn a_bad_row_exits_2_naming_it_and_leaves_the_output_alone() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let out = write(dir.path(), "ends.csv", "an earlier output\n");
    let cases = [
        (
            "start_s,from,to,bytes\n0,node-0,node-2,100\n0,node-0,node-9,100\n",
            "t.csv: line 3, column `to` = \"node-9\": node index out of range: the scenario has 4 nodes (node-0 to node-3)",
        ),
        (
            "start_s,from,to,bytes\n-2,node-0,node-2,100\n",
            "t.csv: line 2, column `start_s` = \"-2\": must be a number of seconds, at least 0",
        ),
        (
            "start_s,from,to,bytes\n0,node-0,node-2,lots\n",
            "t.csv: line 2, column `bytes` = \"lots\": must be a whole number of bytes, at least 1",
        ),
        (
            "start_s,from,to,bytes\n0,client-1,client-1,5\n",
            "t.csv: line 2, column `to` = \"client-1\": must differ from `from` (client-1)",
        ),
        (
            "start_s,from,bytes\n0,node-0,5\n",
            "t.csv: line 1: the header has no column `to`",
        ),
    ];
    for (text, expected) in cases {
        let transfers = write(dir.path(), "t.csv", text);
        let (code, _, stderr) = run(codexsim()
            .args(["flows", "replay"])
            .arg(&scenario)
            .arg(&transfers)
            .arg("--out")
            .arg(&out));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}\nexpected: {expected}");
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "an earlier output\n"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["ends.csv", "s.toml", "t.csv"],
        "no temporary file left"
    );
    // A missing file is bad input too.
    let (code, _, stderr) = run(codexsim()
        .args(["flows", "replay"])
        .arg(&scenario)
        .arg(dir.path().join("absent.csv"))
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("absent.csv"), "{stderr}");
}

fn simgrid_available() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import simgrid"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Small random storms (tens to hundreds of flows on a dozen to a few
/// dozen hosts, so that links and disks are shared), zero latency: the
/// same completion times as SimGrid's to 1e-6 relative.
#[test]
fn random_storms_end_when_simgrid_says() {
    if !simgrid_available() {
        skip_unless_required(
            "CODEXSIM_REQUIRE_SIMGRID",
            "/usr/bin/python3 cannot import simgrid",
            "no SimGrid for /usr/bin/python3 (Debian package `python3-simgrid`)",
        );
        return;
    }
    let storms: [(&str, &str, [&str; 4]); 4] = [
        ("40", "20", ["8", "4", "2", "3"]),
        ("100", "60", ["12", "4", "2", "4"]),
        ("200", "100", ["30", "6", "3", "5"]),
        ("300", "50", ["60", "10", "5", "20"]),
    ];
    for (seed, (flows, changes, [hosts, machines, racks, clients])) in storms.iter().enumerate() {
        let seed = (seed + 11).to_string();
        let (code, stdout, stderr) = run(codexsim().args([
            "bench",
            "flows",
            "--simgrid",
            "--flows",
            flows,
            "--changes",
            changes,
            "--hosts",
            hosts,
            "--machines",
            machines,
            "--racks",
            racks,
            "--clients",
            clients,
            "--repeat",
            "1",
            "--seed",
            &seed,
            "--tolerance",
            "1e-6",
        ]));
        assert_eq!(code, 0, "seed {seed}: {stdout}\n{stderr}");
        assert!(
            stdout.contains("tolerance 1e-6: met"),
            "seed {seed}: {stdout}"
        );
    }
}
