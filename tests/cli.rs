use crate::common::{codexsim, run, write, FLEET};

#[test]
fn help_lists_the_commands() {
    let (code, out, _) = run(codexsim().arg("--help"));
    assert_eq!(code, 0);
    for cmd in ["validate", "bench"] {
        assert!(out.contains(cmd), "{out}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(codexsim().arg("frobnicate"));
    assert_eq!(code, 2);
    assert!(err.contains("unrecognized subcommand"), "{err}");
}

#[test]
fn validate_prints_the_resolved_config() {
    let (code, out, err) = run(codexsim().args(["validate", "configs/base-capacity.toml"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("duration_s = \"365 days\""), "{out}");
    assert!(
        out.contains("proof_period_s = 120"),
        "defaults are filled in: {out}"
    );
    assert!(err.contains("configs/base-capacity.toml: ok"), "{err}");
}

#[test]
fn validate_reports_an_unknown_key_with_its_path_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.toml", "[run]\nseed = 1\nhorizon_s = 10\n");
    let (code, out, err) = run(codexsim().arg("validate").arg(&p));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("bad.toml:3:1: run.horizon_s: unknown field `horizon_s`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one message: {err}");
}

#[test]
fn validate_reports_every_range_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.toml",
        &format!("[run]\nseed = -4\nduration_s = 0\n{FLEET}"),
    );
    let (code, _, err) = run(codexsim().arg("validate").arg(&p));
    assert_eq!(code, 2);
    assert!(err.contains("2 errors in the configuration"), "{err}");
    assert!(err.contains("run.seed = -4: must be >= 0"), "{err}");
    assert!(
        err.contains("run.duration_s = 0: must be > 0 (seconds)"),
        "{err}"
    );
}

#[test]
fn validate_of_a_missing_file_exits_2() {
    let (code, _, err) = run(codexsim().args(["validate", "no/such/file.toml"]));
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.toml: cannot read"), "{err}");
}

#[test]
fn bench_engine_prints_a_table() {
    let (code, out, err) = run(codexsim().args([
        "bench",
        "engine",
        "--pending",
        "10,100",
        "--events",
        "2000",
        "--repeat",
        "1",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("engine Mev/s"), "{out}");
    assert_eq!(
        out.lines()
            .filter(|l| l.trim_start().starts_with("10"))
            .count(),
        2,
        "{out}"
    );
}

#[test]
fn bench_engine_refuses_zero_events() {
    let (code, _, err) = run(codexsim().args(["bench", "engine", "--events", "0"]));
    assert_eq!(code, 2);
    assert!(err.contains("must be > 0"), "{err}");
}

/// `bench fleet` on the small testnet, one timed run, with `extra`
/// arguments: its stdout and the lines of its results.csv.
fn bench_fleet_small(extra: &[&str]) -> (String, Vec<String>, bool) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bench");
    let mut args = vec![
        "bench",
        "fleet",
        "configs/testnet-small.toml",
        "--repeat",
        "1",
    ];
    args.extend_from_slice(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    let (code, stdout, err) = run(codexsim().args(&args));
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let manifest = out.join("manifest.json").exists();
    (stdout, csv.lines().map(String::from).collect(), manifest)
}

#[test]
fn bench_fleet_times_whole_runs() {
    let (stdout, lines, manifest) = bench_fleet_small(&[]);
    assert!(stdout.contains("wall time: median"), "{stdout}");
    assert!(stdout.contains("x the engine's"), "{stdout}");
    assert!(lines[0].starts_with("scenario,events,median_wall_s"));
    let row: Vec<&str> = lines[1].split(',').collect();
    assert!(row[1].parse::<u64>().unwrap() > 0, "{lines:?}");
    assert_eq!(row.last(), Some(&"max_min"), "{lines:?}");
    assert!(manifest);
}

#[test]
fn bench_fleet_can_switch_the_sharing() {
    let (stdout, lines, _) = bench_fleet_small(&["--sharing", "unshared"]);
    assert!(stdout.contains("sharing unshared"), "{stdout}");
    // No max-min recomputation ran, and the resolved config says why.
    assert!(stdout.contains(" 0 max-min recomputations"), "{stdout}");
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(row.last(), Some(&"unshared"), "{lines:?}");
    let (code, _, err) = run(codexsim().args(["bench", "fleet", "--sharing", "fair"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--sharing"), "{err}");
}

#[test]
fn bench_flows_compares_incremental_and_full() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let (code, stdout, err) = run(codexsim().args([
        "bench",
        "flows",
        "--flows",
        "200",
        "--changes",
        "50",
        "--repeat",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("µs/recomputation"), "{stdout}");
    assert!(stdout.contains("full/inc"), "{stdout}");
    assert!(stdout.contains("rates agree"), "{stdout}");
    for mode in ["incremental", "full"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(mode))
            .unwrap_or_else(|| panic!("no {mode} row: {stdout}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[1], "50", "{row}");
        assert!(cols[2].parse::<u64>().unwrap() > 0, "{row}");
    }
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "mode,flows,changes,recomputations,us_per_recomputation,flows_per_recomputation,setup_s,full_over_incremental"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!(rows[0][0], "incremental");
    assert_eq!(rows[1][0], "full");
    for r in &rows {
        assert_eq!(r[1], "200");
        assert!(r[4].parse::<f64>().unwrap() > 0.0, "{csv}");
        let per: f64 = r[5].parse().unwrap();
        assert!((1.0..=200.0).contains(&per), "{csv}");
    }
    assert_eq!(rows[1][5], "199.50", "full recomputes every live flow");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"command\": \"bench flows\""),
        "{manifest}"
    );
}

#[test]
fn bench_flows_refuses_zero_flows() {
    for args in [["--flows", "0"], ["--repeat", "0"]] {
        let (code, _, err) = run(codexsim().args(["bench", "flows"]).args(args));
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("must be > 0"), "{err}");
    }
}
