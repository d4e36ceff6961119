use crate::common::{codexsim, run};

#[test]
fn a_run_directory_holds_a_complete_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench1");
    let (code, _, err) = run(codexsim()
        .args([
            "bench",
            "engine",
            "--pending",
            "10",
            "--events",
            "1000",
            "--repeat",
            "1",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    for key in [
        "codexsim_version",
        "git_commit",
        "config_hash",
        "seed",
        "config",
        "events_processed",
        "simulated_time_s",
        "wall_time_s",
    ] {
        assert!(
            manifest.get(key).is_some(),
            "manifest lacks {key}: {manifest}"
        );
    }
    assert_eq!(manifest["events_processed"], 1000);
    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert_eq!(manifest["config"], config.as_str());
    assert_eq!(manifest["config_hash"].as_str().unwrap().len(), 64);
    assert!(std::fs::read_to_string(out.join("results.csv"))
        .unwrap()
        .starts_with("pending,"));
    // Nothing else is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("bench1")]);
}

#[test]
fn an_existing_output_directory_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "precious").unwrap();
    let (code, _, err) = run(codexsim()
        .args([
            "bench", "engine", "--events", "10", "--repeat", "1", "--out",
        ])
        .arg(dir.path()));
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
        "precious"
    );
}

#[test]
fn a_failed_run_leaves_no_directory_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let (code, _, err) = run(codexsim()
        .args([
            "bench",
            "engine",
            "--pending",
            "10",
            "--events",
            "100",
            "--repeat",
            "1",
            "--simpy",
            "--python",
            "/nonexistent/python",
            "--out",
        ])
        .arg(&out));
    // (A path the user gave that does not exist: their input, exit 2.)
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/python"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no result and no temporary left"
    );
}
