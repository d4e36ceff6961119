//! Post-mortems: a trace drives a run, and the run is compared with it.

use crate::common::{codexsim, run};

const TRACE: &str = "time_s,event,request,slot,node,bytes
10,StorageRequested,r1,,,50000000
310,StorageRequested,r2,,,20000000
905,NodeDown,,,1,
1510,NodeUp,,,1,
1810,StorageRequested,r3,,,30000000
2000,NodeDown,,,3,
3650,SlotFilled,r1,0,0,
7100,RequestFulfilled,r1,,,
";

#[test]
fn a_trace_drives_a_run_and_is_compared_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.csv");
    std::fs::write(&trace, TRACE).unwrap();
    let scenario = dir.path().join("replay.toml");
    let (code, out, err) = run(codexsim()
        .args(["trace", "scenario"])
        .arg(&trace)
        .args(["--base", "configs/testnet-small.toml", "--out"])
        .arg(&scenario));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("codexsim run"), "{out}");
    let run_dir = dir.path().join("run");
    let (code, _, err) = run(codexsim()
        .arg("run")
        .arg(&scenario)
        .args(["--trace", "--quiet", "--no-plots", "--out"])
        .arg(&run_dir));
    assert_eq!(code, 0, "{err}");
    // The run's arrivals and outages are the trace's, and nothing else fails.
    let events = std::fs::read_to_string(run_dir.join("trace.jsonl")).unwrap();
    let times = |kind: &str| -> Vec<(f64, Option<u64>)> {
        events
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["kind"] == kind)
            .map(|v| (v["time_s"].as_f64().unwrap(), v["node"].as_u64()))
            .collect()
    };
    let created: Vec<f64> = times("request_created").iter().map(|t| t.0).collect();
    assert_eq!(created, vec![10.0, 310.0, 1810.0]);
    assert_eq!(
        times("node_down"),
        vec![(905.0, Some(1)), (2000.0, Some(3))]
    );
    // Node 3 never comes back in the trace: down until the run's end.
    assert_eq!(times("node_up"), vec![(1510.0, Some(1)), (7100.0, Some(3))]);

    let (code, out, err) = run(codexsim()
        .arg("compare")
        .arg(&run_dir)
        .arg("--trace")
        .arg(&trace));
    assert_eq!(code, 0, "{err}");
    for metric in [
        "codex_purchases_submitted",
        "codex_purchases_started",
        "codex_purchases_failed",
        "codexsim_slots_filled",
        "codexsim_slots_freed",
    ] {
        assert!(
            out.contains(&format!("{metric}{{instance=\"fleet\"}}")),
            "{metric}: {out}"
        );
    }
    // Requests off the sample grid: the submitted counts agree exactly.
    let submitted = out
        .lines()
        .find(|l| l.starts_with("codex_purchases_submitted"))
        .unwrap();
    assert_eq!(
        submitted.split_whitespace().nth(2),
        Some("0.000000e0"),
        "{out}"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "time_s,event,request,slot,node,bytes\n5,SlotExploded,,,,\n",
    )
    .unwrap();
    let (code, _, err) = run(codexsim()
        .args(["trace", "scenario"])
        .arg(&bad)
        .args(["--out"])
        .arg(dir.path().join("x.toml")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("(\"SlotExploded\"): unknown"), "{err}");
    assert!(!dir.path().join("x.toml").exists());
}

#[test]
fn trace_scenarios_at_the_edges() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |trace: &str, extra: &[&str]| {
        let path = dir.path().join("t.csv");
        std::fs::write(&path, trace).unwrap();
        run(codexsim()
            .args(["trace", "scenario"])
            .arg(&path)
            .args(["--out"])
            .arg(dir.path().join("s.toml"))
            .args(extra))
    };
    // A node index past the fleet's range is refused, not wrapped to -1.
    let (code, _, err) = scenario(
        "time_s,event,request,slot,node,bytes\n1,StorageRequested,r1,,,10\n2,NodeDown,,,18446744073709551615,\n",
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a fleet index"), "{err}");
    // A time no run can reach.
    let (code, _, err) = scenario(
        "time_s,event,request,slot,node,bytes\n1e300,StorageRequested,r1,,,10\n",
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("time_s 1e300"), "{err}");
    assert!(!dir.path().join("s.toml").exists());
    // Ten minutes of trace: sampled within its span, not refused for a
    // sampling interval the user never wrote.
    let short = "time_s,event,request,slot,node,bytes\n10,StorageRequested,r1,,,1000000\n600,StorageRequested,r2,,,1000000\n";
    let (code, _, err) = scenario(short, &[]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dir.path().join("s.toml")).unwrap();
    assert!(text.contains("series_interval_s = 10.0"), "{text}");
    // An existing --out is kept unless --force.
    let (code, _, err) = scenario(short, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    let (code, _, err) = scenario(short, &["--force"]);
    assert_eq!(code, 0, "{err}");
}
