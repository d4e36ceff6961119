//! `codexsim swarm`, `swarm-experiment` and fleet runs with the block model,
//! as a user runs them: outputs, determinism (any thread count), bad input.

use crate::common::{codexsim, run, write};
use crate::run::contents;

fn swarm(out: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    run(codexsim().args(["swarm", "--out"]).arg(out).args(extra))
}

#[test]
fn a_swarm_writes_its_files_and_the_same_seed_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = write(
        dir.path(),
        "s.toml",
        "[exchange]\nprotocol = \"v0.1\"\n[swarm]\nseeders = 2\ndownloaders = 4\nfile_bytes = \"2 MB\"\n",
    );
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (code, stdout, err) = swarm(&a, &[tiny.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("completed 4/4"), "{stdout}");
    let (code, _, err) = swarm(&b, &[tiny.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (x, y) = (contents(&a), contents(&b));
    for f in [
        "downloads.csv",
        "peers.csv",
        "received.csv",
        "traffic.csv",
        "summary.json",
        "config.toml",
        "plots/downloads.svg",
        "plots/traffic.png",
    ] {
        assert!(x.contains_key(f), "missing {f}");
        assert_eq!(x[f], y[f], "{f} differs between two runs of one seed");
    }
    // v0.1 with two holders: duplicates, counted in the histogram.
    let received = String::from_utf8(x["received.csv"].clone()).unwrap();
    assert!(received.lines().any(|l| l.starts_with("2,")), "{received}");
    let summary: serde_json::Value = serde_json::from_slice(&x["summary.json"]).unwrap();
    assert!(summary["duplicate_blocks"].as_u64().unwrap() > 0);
}

#[test]
fn bad_swarm_files_are_refused_with_the_key_and_no_directory() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        "[exchange]\nprotocol = \"v3\"\n[swarm]\ndownloaders = 0\n",
    );
    let out = dir.path().join("out");
    let (code, _, err) = swarm(&out, &[bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exchange.protocol = \"v3\""), "{err}");
    assert!(err.contains("swarm.downloaders = 0"), "{err}");
    assert!(!out.exists());
    let (code, _, err) = swarm(&out, &["--protocol", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exchange.protocol = \"nope\""), "{err}");
}

#[test]
fn a_swarm_experiment_is_the_same_bytes_on_one_thread_and_two() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "base.toml",
        "[swarm]\nseeders = 1\ndownloaders = 2\nfile_bytes = \"1 MB\"\n",
    );
    let exp = write(
        dir.path(),
        "exp.toml",
        "name = \"tiny\"\nbase = \"base.toml\"\nprotocols = [\"v0.2\", \"2026\", \"bittorrent\"]\n\
         downloaders = [2, 3]\nfile_sizes = [\"1 MB\", \"2 MB\"]\nreplications = 2\n",
    );
    let go = |name: &str, jobs: &str| {
        let out = dir.path().join(name);
        let (code, _, err) = run(codexsim()
            .args(["swarm-experiment"])
            .arg(&exp)
            .args(["--jobs", jobs, "--out"])
            .arg(&out));
        assert_eq!(code, 0, "{err}");
        contents(&out)
    };
    let (one, two) = (go("one", "1"), go("two", "2"));
    assert_eq!(one, two);
    let runs = String::from_utf8(one["runs.csv"].clone()).unwrap();
    assert_eq!(runs.lines().count(), 1 + 3 * 2 * 2 * 2, "{runs}");
    assert!(one.contains_key("report.md") && one.contains_key("plots/time-1MB.svg"));
}

#[test]
fn a_fleet_run_with_block_transfers_reports_its_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let go = |name: &str| {
        let out = dir.path().join(name);
        let (code, _, err) = run(codexsim()
            .args([
                "run",
                "configs/testnet-small-blocks.toml",
                "--quiet",
                "--out",
            ])
            .arg(&out));
        assert_eq!(code, 0, "{err}");
        contents(&out)
    };
    let (a, b) = (go("a"), go("b"));
    assert_eq!(a, b, "same scenario, same seed, same bytes");
    let downloads = String::from_utf8(a["downloads.csv"].clone()).unwrap();
    for kind in ["fill", "canary_up", "canary_down"] {
        assert!(
            downloads
                .lines()
                .any(|l| l.split(',').nth(1) == Some(kind) && l.contains(",complete,")),
            "a complete {kind} download"
        );
    }
    let summary: serde_json::Value = serde_json::from_slice(&a["summary.json"]).unwrap();
    assert_eq!(summary["exchange"]["protocol"], "2025-11");
    assert!(
        summary["exchange"]["traffic_bytes"]["block"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(a.contains_key("plots/exchange.svg"));
}
