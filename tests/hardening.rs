//! Inputs at the edges: values that would overflow the clock, runs that
//! would never end or write gigabytes, litter of interrupted runs. Each is
//! one changed value in `configs/testnet-small.toml`, shortened to 2 days.

use std::path::Path;

use crate::common::{codexsim, run, write};

/// testnet-small with `old` replaced by `new` (once; `old` must be there).
fn variant(old: &str, new: &str) -> String {
    let base =
        std::fs::read_to_string(crate::common::repo_root().join("configs/testnet-small.toml"))
            .unwrap();
    assert!(base.contains(old), "{old}");
    base.replacen(old, new, 1)
}

/// Runs `config` into a fresh directory: (exit code, stderr, whether the
/// parent holds anything after).
fn run_variant(dir: &Path, config: &str) -> (i32, String, bool) {
    let file = write(dir, "v.toml", config);
    let parent = dir.join("out");
    std::fs::create_dir_all(&parent).unwrap();
    let (code, _, err) = run(codexsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(parent.join("r"))
        .args(["--quiet", "--no-plots"]));
    let left = std::fs::read_dir(&parent).unwrap().next().is_some();
    (code, err, left)
}

/// Runs `config` and asserts it is refused (exit 2) with every one of
/// `needles` in its message and nothing left at its output path.
fn assert_refused(dir: &Path, config: &str, needles: &[&str]) {
    let (code, err, left) = run_variant(dir, config);
    assert_eq!(code, 2, "{needles:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
    assert!(!left, "{needles:?}: something was left behind");
}

#[test]
fn spans_past_the_clock_are_refused_with_the_key_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    for (old, new, key) in [
        (
            "[run]",
            "[marketplace]\nproof_period_s = 1e30\n[run]",
            "marketplace.proof_period_s = 1e30",
        ),
        (
            "duration_s = { dist = \"lognormal\", median = \"2 min\", sigma = 1.0 }",
            "duration_s = 1e30",
            "faults[0].duration_s = 1e30",
        ),
        (
            "duration_s = { dist = \"lognormal\", median = \"2 min\", sigma = 1.0 }",
            "duration_s = { dist = \"exponential\", mean = \"300 years\" }",
            "faults[0].duration_s.mean",
        ),
        (
            "duration_s = \"2 days\"",
            "duration_s = 1e30",
            "run.duration_s = 1e30",
        ),
    ] {
        assert_refused(
            dir.path(),
            &variant(old, new),
            &[key, "must be at most 200 years"],
        );
    }
}

#[test]
fn a_heavy_tail_past_the_clock_means_never() {
    // Outage durations from a lognormal with sigma 1e10: half of them are
    // astronomically long. They are cut past the run's end and the run ends.
    let dir = tempfile::tempdir().unwrap();
    let (code, err, _) = run_variant(dir.path(), &variant("sigma = 1.0", "sigma = 1e10"));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn runs_that_would_never_end_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    for (old, new, key, limit) in [
        (
            "mean = \"5 min\" }",
            "mean = \"1 ns\" }",
            "workload.interarrival_s",
            "run.max_arrivals",
        ),
        (
            "interval_s = \"30 s\"",
            "interval_s = \"1 ns\"",
            "canary.interval_s",
            "run.max_canary_rounds",
        ),
        (
            "series_interval_s = \"5 min\"",
            "series_interval_s = \"1 ns\"",
            "run.series_interval_s",
            "run.max_series_rows",
        ),
        (
            "series_interval_s = \"5 min\"",
            "series_interval_s = \"1 ms\"",
            "run.series_interval_s",
            "run.max_series_rows",
        ),
        (
            "count = 5",
            "count = 1000000",
            "node_groups[].count",
            "run.max_nodes",
        ),
    ] {
        assert_refused(dir.path(), &variant(old, new), &[key, limit, "raise"]);
    }
    // A million machines.
    let config = variant(
        "[[node_groups]]",
        "[[domain_levels]]\nname = \"machine\"\ncount = 1000000\n\n[[node_groups]]",
    );
    assert_refused(dir.path(), &config, &["domain_levels[0].count = 1000000"]);
    // Raised explicitly, the limit lets a run through.
    let config = variant(
        "series_interval_s = \"5 min\"",
        "series_interval_s = \"1 s\"\nmax_series_rows = 2000000",
    );
    let (code, err, _) = run_variant(dir.path(), &config.replacen("\"2 days\"", "\"1 h\"", 1));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn long_values_are_cut_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(100_000);
    let config = variant(
        "proof_mode = \"exact\"",
        &format!("proof_mode = \"{long}\""),
    );
    let (code, err, _) = run_variant(dir.path(), &config);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("run.proof_mode"), "{err}");
    assert!(err.contains("(100002 characters)"), "{err}");
    assert!(err.len() < 1000, "{} bytes of message", err.len());
}

#[test]
fn a_run_removes_what_interrupted_runs_left() {
    let dir = tempfile::tempdir().unwrap();
    // A dead process's temporary directory (no process has id 2^22 + 1 on
    // Linux, whose ids stay below 2^22) and a live one's (this test's).
    let dead = dir.path().join(".old.tmp-4194305");
    let live = dir.path().join(format!(".busy.tmp-{}", std::process::id()));
    std::fs::create_dir_all(dead.join("plots")).unwrap();
    std::fs::create_dir_all(&live).unwrap();
    let config = write(
        dir.path(),
        "s.toml",
        &variant("duration_s = \"2 days\"", "duration_s = \"1 h\""),
    );
    let (code, _, err) = run(codexsim()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("r"))
        .args(["--quiet", "--no-plots"]));
    assert_eq!(code, 0, "{err}");
    if Path::new("/proc/self").exists() {
        assert!(!dead.exists(), "the dead run's directory is still there");
        assert!(
            err.contains("process 4194305, which is no longer running"),
            "{err}"
        );
    }
    assert!(live.exists(), "a running process's directory was removed");
}

#[test]
fn an_out_under_a_file_is_the_users_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "f", "");
    let (code, _, err) = run(codexsim()
        .args(["run", "--quiet", "--no-plots", "--out"])
        .arg(file.join("r")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a file, not a folder"), "{err}");
}

/// A short run and its series as live CSV (node 0's bytes used).
fn run_and_live(dir: &Path) -> (std::path::PathBuf, String) {
    let config = write(
        dir,
        "s.toml",
        &variant("duration_s = \"2 days\"", "duration_s = \"6 h\""),
    );
    let run_dir = dir.join("r");
    let (code, _, err) = run(codexsim()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&run_dir)
        .args(["--quiet", "--no-plots"]));
    assert_eq!(code, 0, "{err}");
    let csv = dir.join("all.csv");
    let (code, _, err) = run(codexsim()
        .args(["export", "csv", "--start-unix", "0", "--out"])
        .arg(&csv)
        .arg(&run_dir));
    assert_eq!(code, 0, "{err}");
    let mut live = String::from("time_s,metric,labels,value\n");
    for line in std::fs::read_to_string(&csv).unwrap().lines() {
        if line.contains("codex_repostore_bytes_used") && line.contains("node-0") {
            live.push_str(line);
            live.push('\n');
        }
    }
    (run_dir, live)
}

#[test]
fn comparisons_that_cannot_be_computed_fail_their_thresholds() {
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, live) = run_and_live(dir.path());
    let compare = |live: &str, extra: &[&str]| {
        let file = write(dir.path(), "live.csv", live);
        run(codexsim()
            .arg("compare")
            .arg(&run_dir)
            .arg("--live")
            .arg(&file)
            .args(extra))
    };
    // The series against itself passes.
    let (code, _, err) = compare(&live, &["--max-rmse", "0", "--max-abs", "0"]);
    assert_eq!(code, 0, "{err}");
    // Every live value NaN: nothing can be within a threshold.
    let nan: String = live
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("{},NaN\n", l.rsplit_once(',').unwrap().0)
            }
        })
        .collect();
    let (code, _, err) = compare(
        &nan,
        &[
            "--max-rmse",
            "1",
            "--max-mape-percent",
            "1",
            "--max-abs",
            "1",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("rmse cannot be computed"), "{err}");
    assert!(err.contains("max |error| cannot be computed"), "{err}");
    assert!(err.contains("mape % cannot be computed"), "{err}");
    // Thresholds that are not finite non-negative numbers.
    for (flag, bad) in [
        ("--max-rmse", "nan"),
        ("--max-ks", "inf"),
        ("--max-abs", "-1"),
    ] {
        let (code, _, err) = compare(&live, &[&format!("{flag}={bad}")]);
        assert_eq!(code, 2, "{flag} {bad}: {err}");
        assert!(
            err.contains(flag) && err.contains("finite number >= 0"),
            "{err}"
        );
    }
    // Names that match, times that do not.
    let (code, _, err) = compare(&live, &["--start-unix", "1700000000"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("do not overlap the run's"), "{err}");
    // A start that is not a number, for compare and for export.
    let (code, _, err) = compare(&live, &["--start-unix", "nan"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--start-unix NaN"), "{err}");
    let (code, _, err) = run(codexsim()
        .args(["export", "openmetrics", "--start-unix", "nan", "--out"])
        .arg(dir.path().join("x.om"))
        .arg(&run_dir));
    assert_eq!(code, 2, "{err}");
    assert!(!dir.path().join("x.om").exists());
}

#[test]
fn paths_and_urls_the_user_gave_exit_2_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, live) = run_and_live(dir.path());
    let live_file = write(dir.path(), "live.csv", &live);
    let a_file = write(dir.path(), "f", "");
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec![
                "export".into(),
                "csv".into(),
                "--start-unix".into(),
                "0".into(),
                "--out".into(),
                dir.path().join("no/such/x.csv").into(),
                run_dir.clone().into(),
            ],
            "no such file or folder",
        ),
        (
            vec![
                "export".into(),
                "csv".into(),
                "--start-unix".into(),
                "0".into(),
                "--out".into(),
                dir.path().into(),
                run_dir.clone().into(),
            ],
            "it is a folder, not a file",
        ),
        (
            vec![
                "compare".into(),
                run_dir.clone().into(),
                "--live".into(),
                live_file.clone().into(),
                "--out".into(),
                a_file.join("x").into(),
            ],
            "a part of the path is a file, not a folder",
        ),
        (
            vec![
                "compare".into(),
                run_dir.clone().into(),
                "--prometheus".into(),
                "not-a-url".into(),
                "--query".into(),
                "up".into(),
                "--start".into(),
                "0".into(),
                "--end".into(),
                "10".into(),
                "--step".into(),
                "1".into(),
            ],
            "is not a server URL",
        ),
        (
            vec![
                "compare".into(),
                run_dir.clone().into(),
                "--prometheus".into(),
                "http://127.0.0.1:1".into(),
                "--query".into(),
                "up".into(),
                "--start".into(),
                "0".into(),
                "--end".into(),
                "10".into(),
                "--step".into(),
                "1".into(),
            ],
            "nothing answers there",
        ),
    ];
    for (args, needle) in cases {
        let (code, _, err) = run(codexsim().args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
        assert!(!err.contains("os error"), "{err}");
    }
}

/// One key of testnet-small (shortened to 2 hours) and values for it: the
/// first an ordinary one, the others at an edge.
const MUTATIONS: &[(&str, &[&str])] = &[
    (
        "series_interval_s = \"5 min\"",
        &[
            "\"10 min\"",
            "\"1 ns\"",
            "\"1 ms\"",
            "0",
            "-1",
            "1e30",
            "\"x\"",
        ],
    ),
    ("count = 5", &["8", "0", "1", "1000000", "-3", "1e3"]),
    (
        "quota_bytes = \"11 GiB\"",
        &["\"20 GiB\"", "0", "\"1 B\"", "\"1e30 B\"", "-1"],
    ),
    (
        "mean = \"5 min\" }",
        &["\"2 min\"", "0", "\"1 ns\"", "1e30", "-1"],
    ),
    ("sigma = 1.0", &["2.0", "1e10", "-1", "0", "1e300"]),
    (
        "interval_s = \"30 s\"",
        &["\"1 min\"", "\"1 ns\"", "0", "1e30"],
    ),
    ("nodes = 5", &["4", "0", "6", "1e9"]),
    (
        "expiry_s = \"20 min\"",
        &["\"10 min\"", "0", "1e30", "\"1 ns\""],
    ),
    (
        "file_bytes = \"10 MB\"",
        &["\"1 MB\"", "0", "\"1 PB\"", "-1"],
    ),
];

/// `key` ("count = 5") set to `value` ("count = 0").
fn set(config: String, key: &str, value: &str) -> String {
    let (name, _) = key.split_once(" = ").expect("key = value");
    let tail = if key.ends_with(" }") { " }" } else { "" };
    config.replacen(key, &format!("{name} = {value}{tail}"), 1)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Every changed value either runs to a complete run directory or is
    /// refused with exit 2, leaving nothing at the output path; never an
    /// internal error (exit 1) or a hang (the 2-hour runs take a second).
    #[test]
    fn a_changed_value_runs_or_is_refused_leaving_nothing(
        which in 0..MUTATIONS.len(),
        pick in 0usize..12,
        second in 0..MUTATIONS.len(),
        pick2 in 0usize..12,
    ) {
        // Half the values ordinary, half at an edge; a second key changed
        // one time in four.
        let value = |values: &[&'static str], p: usize| {
            if p < 6 { values[0] } else { values[1 + p % (values.len() - 1)] }
        };
        let mut config = variant("duration_s = \"2 days\"", "duration_s = \"2 h\"");
        let (key, values) = MUTATIONS[which];
        config = set(config, key, value(values, pick));
        if second != which && pick2 < 3 {
            let (key2, values2) = MUTATIONS[second];
            config = set(config, key2, value(values2, pick2 * 4));
        }
        let dir = tempfile::tempdir().unwrap();
        let (code, err, left) = run_variant(dir.path(), &config);
        proptest::prop_assert!(code == 0 || code == 2, "exit {code}: {err}\n{config}");
        if code == 2 {
            proptest::prop_assert!(!left, "an error left something: {err}");
            proptest::prop_assert!(err.starts_with("error: "), "{err}");
        } else {
            proptest::prop_assert!(dir.path().join("out/r/summary.json").is_file());
        }
    }
}

#[test]
fn dashboard_names_export_and_compare_like_the_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let (run_dir, _) = run_and_live(dir.path());
    let csv = dir.path().join("dashboard.csv");
    let (code, _, err) = run(codexsim()
        .args([
            "export",
            "csv",
            "--start-unix",
            "0",
            "--names",
            "dashboard",
            "--out",
        ])
        .arg(&csv)
        .arg(&run_dir));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("codexRepostoreBytesUsed"), "camel-case names");
    assert!(!text.contains("codex_repostore_bytes_used"));
    // Compared with the run itself under the dashboards' names: every
    // series matches, with no error.
    let (code, stdout, err) = run(codexsim()
        .arg("compare")
        .arg(&run_dir)
        .arg("--live")
        .arg(&csv)
        .args(["--max-abs", "0"]));
    assert_eq!(code, 0, "{err}\n{stdout}");
    assert!(
        stdout.contains("codexRepostoreBytesUsed") || stdout.contains("codex_repostore_bytes_used"),
        "{stdout}"
    );
}
