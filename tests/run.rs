//! `codexsim run` as a user runs it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{codexsim, run, write};

/// Every file of a run directory (subdirectories included, by relative
/// path), with manifest.json's wall time blanked: the one field allowed to
/// differ between two runs of one config and seed.
pub fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    collect(dir, "", &mut files);
    files
}

fn collect(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = format!("{prefix}{}", path.file_name().unwrap().to_string_lossy());
        if path.is_dir() {
            collect(&path, &format!("{name}/"), files);
            continue;
        }
        let mut bytes = std::fs::read(&path).unwrap();
        if name == "manifest.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert!(v["wall_time_s"].as_f64().unwrap() >= 0.0);
            v["wall_time_s"] = serde_json::Value::Null;
            bytes = serde_json::to_vec(&v).unwrap();
        }
        files.insert(name, bytes);
    }
}

#[test]
fn same_config_and_seed_give_byte_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let go = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let (code, _, err) = run(codexsim()
            .args([
                "run",
                "configs/testnet-small.toml",
                "--trace",
                "--quiet",
                "--seed",
                seed,
                "--out",
            ])
            .arg(&out));
        assert_eq!(code, 0, "{err}");
        contents(&out)
    };
    let a = go("a", "7");
    let b = go("b", "7");
    let c = go("c", "8");
    for f in [
        "manifest.json",
        "config.toml",
        "fleet.csv",
        "nodes.csv",
        "links.csv",
        "canary.csv",
        "summary.json",
        "trace.jsonl",
        "report.html",
        "plots/capacity.svg",
        "plots/capacity.png",
        "plots/canary.png",
    ] {
        assert!(a.contains_key(f), "missing {f}");
    }
    assert_eq!(a, b);
    assert_ne!(a["fleet.csv"], c["fleet.csv"], "another seed, another run");
}

#[test]
fn the_run_directory_has_series_summary_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let (code, stdout, err) = run(codexsim()
        .args([
            "run",
            "configs/testnet-small.toml",
            "--quiet",
            "--trace-kinds",
            "slot_filled,request_started",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("requests:"), "{stdout}");
    let fleet = std::fs::read_to_string(out.join("fleet.csv")).unwrap();
    let header = fleet.lines().next().unwrap();
    for col in [
        "time_s",
        "codex_repostore_bytes_used",
        "codex_repostore_bytes_reserved",
        "codex_purchases_started_total",
        "slots_freed_total",
        "proofs_missed_total",
        "datasets_lost_total",
        "bytes_lost_total",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "fleet.csv lacks {col}: {header}"
        );
    }
    // 2 days sampled every 5 minutes, both ends included.
    assert_eq!(fleet.lines().count(), 1 + 2 * 24 * 12 + 1);
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    assert!(trace.lines().count() > 10);
    for line in trace.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let kind = v["kind"].as_str().unwrap();
        assert!(kind == "slot_filled" || kind == "request_started", "{kind}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["stop_reason"], "horizon");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "run");
    assert_eq!(manifest["seed"], 1);
    assert!(manifest["events_processed"].as_u64().unwrap() > 1000);
    assert_eq!(manifest["simulated_time_s"], 172800.0);
    // The network's outputs: traffic by purpose, canary rounds.
    for col in [
        "net_fill_bytes_total",
        "net_repair_bytes_total",
        "net_canary_bytes_total",
        "net_client_upload_bytes_total",
        "canary_rounds_total",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "fleet.csv lacks {col}: {header}"
        );
    }
    let nodes = std::fs::read_to_string(out.join("nodes.csv")).unwrap();
    assert!(nodes
        .lines()
        .next()
        .unwrap()
        .contains("net_rx_fill_bytes_total"));
    let canary = std::fs::read_to_string(out.join("canary.csv")).unwrap();
    assert!(canary
        .lines()
        .next()
        .unwrap()
        .starts_with("time_s,round,upload_node,download_node,file_bytes,outcome"));
    // A round every 30 s for two days.
    assert_eq!(canary.lines().count(), 1 + 2 * 24 * 120);
    assert!(
        summary["network"]["fill_transfer"]["count"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        summary["network"]["traffic"]["fill_bytes"]
            .as_u64()
            .unwrap()
            > 0
    );
    let probes = summary["canary"].as_array().unwrap();
    assert_eq!(probes.len(), 2);
    assert!(probes[0]["upload_success_rate"].as_f64().unwrap() > 0.5);
}

#[test]
fn a_bad_scenario_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "bad.toml",
        "[[node_groups]]\nname = \"n\"\ncount = 3\nquota_bytes = \"1 TB\"\n[workload]\nnodes = 5\ntolerance = 2\n",
    );
    let out = dir.path().join("out");
    let (code, _, err) = run(codexsim().arg("run").arg(&cfg).arg("--out").arg(&out));
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "workload.nodes = 5: K + M = 5 slots need 5 distinct hosts but the fleet has 3 nodes"
        ),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("bad.toml")],
        "no result directory, no temporary"
    );
}

#[test]
fn unknown_trace_kind_is_bad_input() {
    let (code, _, err) = run(codexsim().args([
        "run",
        "configs/testnet-small.toml",
        "--trace-kinds",
        "slot_filed",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("--trace-kinds: unknown kind \"slot_filed\""),
        "{err}"
    );
}
