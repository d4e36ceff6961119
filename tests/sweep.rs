//! `codexsim sweep` and `codexsim merge` as a user runs them.

use std::path::{Path, PathBuf};

use crate::common::{codexsim, repo_root, run};
use crate::run::contents;

/// A small experiment over testnet-small: 2 points x 3 variants x 3
/// replications of 12 hours; `same` is the baseline again, `lazy-2` a real
/// variant.
fn experiment(dir: &Path, replications: u32, hours: u32) -> PathBuf {
    let base = repo_root().join("configs/testnet-small.toml");
    let text = format!(
        r#"
name = "tiny"
base = "{}"
seed = 3
replications = {replications}
metrics = ["contract_failures", "loss_probability", "repair_bytes"]

[set]
"run.duration_s" = "{hours} h"
"workload.duration_s" = "6 h"

[grid]
"marketplace.proof_period_s" = [60, 120]

[[variants]]
name = "baseline"

[[variants]]
name = "same"

[[variants]]
name = "lazy-2"
set = {{ "repair.lazy_threshold" = 2 }}
"#,
        base.display()
    );
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Asserts two directories hold the same files with the same bytes, naming
/// the files that differ.
fn same_dirs(a: &Path, b: &Path, what: &str) {
    let (x, y) = (contents(a), contents(b));
    let names =
        |m: &std::collections::BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&x), names(&y), "{what}: different files");
    let differ: Vec<&String> = x.keys().filter(|k| x[*k] != y[*k]).collect();
    assert!(differ.is_empty(), "{what}: {differ:?} differ");
}

fn sweep(exp: &Path, out: &Path, extra: &[&str]) -> String {
    let (code, stdout, err) = run(codexsim()
        .args(["sweep", "--quiet"])
        .arg(exp)
        .arg("--out")
        .arg(out)
        .args(extra));
    assert_eq!(code, 0, "{err}");
    stdout
}

#[test]
fn results_are_the_same_bytes_for_any_jobs_and_for_merged_shards() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), 3, 12);
    let one = dir.path().join("one");
    let out = sweep(&exp, &one, &["--jobs", "1"]);
    assert!(out.contains("18 runs: 18 run now, 0 already done"), "{out}");
    let two = dir.path().join("two");
    sweep(&exp, &two, &["--jobs", "2"]);
    let a = contents(&one);
    for f in [
        "aggregate.csv",
        "comparison.csv",
        "runs.csv",
        "report.md",
        "plan.csv",
        "plots/repair_bytes.svg",
        "plots/difference-repair_bytes.png",
        "runs/p001-lazy-2-r002.json",
    ] {
        assert!(a.contains_key(f), "missing {f}");
    }
    same_dirs(&one, &two, "--jobs 1 against --jobs 2");

    let s0 = dir.path().join("s0");
    let s1 = dir.path().join("s1");
    let out = sweep(&exp, &s0, &["--jobs", "2", "--shard", "0/2"]);
    assert!(out.contains("9 runs: 9 run now"), "{out}");
    assert!(
        !s0.join("aggregate.csv").exists(),
        "a shard alone is incomplete"
    );
    sweep(&exp, &s1, &["--shard", "1/2"]);
    let merged = dir.path().join("merged");
    // One shard is not enough.
    let (code, _, err) = run(codexsim().arg("merge").arg(&merged).arg(&s0));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("9 runs of the plan are still missing"),
        "{err}"
    );
    let (code, stdout, err) = run(codexsim().arg("merge").arg(&merged).arg(&s0).arg(&s1));
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("merged 2 shard(s)"), "{stdout}");
    same_dirs(&one, &merged, "one machine against merged shards");
}

#[test]
fn a_variant_compared_with_itself_differs_by_exactly_zero() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), 3, 12);
    let out = dir.path().join("o");
    sweep(&exp, &out, &[]);
    let text = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (variant, metric, mean, lo, hi, n) = (
        col("variant"),
        col("metric"),
        col("mean_difference"),
        col("ci_low"),
        col("ci_high"),
        col("n"),
    );
    let mut same = 0;
    let mut lazy_repair_differs = false;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f[variant] == "same" {
            same += 1;
            assert_eq!(f[mean], "0.0", "{line}");
            // With two or more pairs the interval is exactly [0, 0]; one pair
            // (a mean over runs where only one had a value) has no interval.
            if f[n] != "1" {
                assert_eq!((f[lo], f[hi]), ("0.0", "0.0"), "{line}");
            }
        }
        if f[variant] == "lazy-2" && f[metric] == "slots_freed" && f[mean] != "0.0" {
            lazy_repair_differs = true;
        }
    }
    assert!(same >= 2 * 15, "every metric at both points: {same}");
    assert!(lazy_repair_differs, "a real variant changes the runs");
}

#[test]
fn an_interrupted_sweep_resumes_without_redoing_finished_runs() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), 8, 24);
    let whole = dir.path().join("whole");
    sweep(&exp, &whole, &["--jobs", "2"]);

    // Interrupt a sweep once its first run is stored.
    let cut = dir.path().join("cut");
    let mut child = codexsim()
        .args(["sweep", "--quiet", "--jobs", "1"])
        .arg(&exp)
        .arg("--out")
        .arg(&cut)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stored = |d: &Path| {
        std::fs::read_dir(d.join("runs"))
            .map(|r| {
                r.filter(|e| {
                    let n = e.as_ref().unwrap().file_name();
                    let n = n.to_string_lossy();
                    n.ends_with(".json") && !n.starts_with('.')
                })
                .count()
            })
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while stored(&cut) == 0 {
        assert!(start.elapsed().as_secs() < 120, "no run stored");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = stored(&cut);
    assert!(
        done < 48,
        "the sweep finished before it could be interrupted"
    );
    assert!(!cut.join("aggregate.csv").exists());

    let out = sweep(&exp, &cut, &["--jobs", "2"]);
    assert!(
        out.contains(&format!(
            "48 runs: {} run now, {done} already done",
            48 - done
        )),
        "{out}"
    );
    // A stray temporary file from the kill is not a result.
    let mut a = contents(&whole);
    let mut b = contents(&cut);
    a.retain(|k, _| !k.contains("/."));
    b.retain(|k, _| !k.contains("/."));
    assert_eq!(a, b, "resumed differs from uninterrupted");

    // Nothing left to do: nothing is run again.
    let out = sweep(&exp, &cut, &[]);
    assert!(out.contains("48 runs: 0 run now, 48 already done"), "{out}");
}

#[test]
fn bad_experiments_exit_2_naming_the_key_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = repo_root().join("configs/testnet-small.toml");
    let cases = [
        ("[set]\n\"run.no_such_key\" = 1\n", "no_such_key"),
        (
            "[zip]\n\"workload.nodes\" = [3, 4]\n\"workload.tolerance\" = [1]\n",
            "zip.\"workload.tolerance\" has 1 values but zip.\"workload.nodes\" has 2",
        ),
        (
            "[grid]\n\"workload.nodes\" = [5, 9]\n",
            "workload.nodes = 9",
        ),
        (
            "[[variants]]\nname = \"a b\"\n",
            "variants[0].name = \"a b\": only letters, digits, '-' and '_'",
        ),
        (
            "metrics = [\"speed\"]\n",
            "metrics[0] = \"speed\": unknown metric",
        ),
        (
            "[set]\n\"node_groups[4].count\" = 1\n",
            "node_groups has 1 entries, no [4]",
        ),
    ];
    for (i, (extra, needle)) in cases.iter().enumerate() {
        // Top-level keys must come before tables.
        let (top, tables) = if extra.starts_with('[') {
            ("", *extra)
        } else {
            (*extra, "")
        };
        let text = format!(
            "name = \"bad\"\n{top}base = \"{}\"\nreplications = 2\n{tables}",
            base.display()
        );
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = dir.path().join(format!("out{i}"));
        let (code, _, err) = run(codexsim().arg("sweep").arg(&path).arg("--out").arg(&out));
        assert_eq!(code, 2, "case {i}: {err}");
        assert!(
            err.contains(needle),
            "case {i}: expected {needle:?} in {err}"
        );
        assert!(!out.exists(), "case {i}: a directory was written");
    }

    // A directory of another experiment is refused.
    let exp = experiment(dir.path(), 1, 1);
    let out = dir.path().join("o");
    sweep(&exp, &out, &[]);
    let other = dir.path().join("other.toml");
    let text = std::fs::read_to_string(&exp)
        .unwrap()
        .replace("seed = 3", "seed = 4");
    std::fs::write(&other, text).unwrap();
    let (code, _, err) = run(codexsim().arg("sweep").arg(&other).arg("--out").arg(&out));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds a sweep of another experiment"), "{err}");
    let (code, _, err) = run(codexsim().args(["sweep", "no-such-experiment.toml"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read the experiment file"), "{err}");
    let (code, _, err) = run(codexsim().args(["sweep", "--shard", "2/2"]).arg(&exp));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs 0 <= I < N"), "{err}");
}

#[test]
fn the_kubernetes_job_runs_one_shard_per_index() {
    let text = std::fs::read_to_string(repo_root().join("deploy/k8s/sweep-job.yaml")).unwrap();
    let value = |key: &str| -> String {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("no {key}"));
        line.split_once(':')
            .unwrap()
            .1
            .split('#')
            .next()
            .unwrap()
            .trim()
            .trim_matches('"')
            .to_string()
    };
    assert_eq!(value("completionMode"), "Indexed");
    let shards = text
        .lines()
        .skip_while(|l| !l.contains("name: SHARDS"))
        .nth(1)
        .unwrap();
    assert_eq!(
        value("completions"),
        shards
            .split_once(':')
            .unwrap()
            .1
            .split('#')
            .next()
            .unwrap()
            .trim()
            .trim_matches('"'),
        "completions and SHARDS must agree"
    );
    assert!(text.contains("--shard \"${JOB_COMPLETION_INDEX}/${SHARDS}\""));
    assert!(text.contains("--out \"/results/shard-${JOB_COMPLETION_INDEX}\""));
    // The experiment it names exists and parses.
    let path = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("value: experiments/"))
        .unwrap();
    let (code, _, err) = run(codexsim()
        .args(["sweep", "--quiet", "--shard", "0/100000", "--out"])
        .arg(tempfile::tempdir().unwrap().path().join("o"))
        .arg(format!("experiments/{path}")));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn sweeps_stay_in_bounds_and_in_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), 1, 1);
    let text = std::fs::read_to_string(&exp).unwrap();
    let try_sweep = |text: &str, extra: &[&str]| {
        let path = dir.path().join("e.toml");
        std::fs::write(&path, text).unwrap();
        run(codexsim().arg("sweep").arg(&path).args(extra))
    };
    // Names must be one safe folder name: nothing outside sweeps/, not
    // sweeps/ itself.
    for name in ["../../escape", "", ".hidden", "a/b"] {
        let (code, _, err) = try_sweep(
            &text.replace("name = \"tiny\"", &format!("name = {name:?}")),
            &["--quiet"],
        );
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains("must be a folder name"), "{name}: {err}");
    }
    assert!(!repo_root()
        .join("sweeps")
        .join("..")
        .join("..")
        .join("escape")
        .exists());
    // A plan too big to hold is refused before it is expanded.
    let (code, _, err) = try_sweep(
        &text.replace("replications = 1", "replications = 1000000000"),
        &["--quiet"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 1000000"), "{err}");
    // --jobs 0.
    let out = dir.path().join("j0");
    let (code, _, err) = try_sweep(
        &text,
        &["--quiet", "--jobs", "0", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--jobs 0"), "{err}");
    assert!(!out.exists());
    // --out onto a run directory.
    let run_dir = dir.path().join("a-run");
    let (code, _, err) = run(codexsim()
        .args([
            "run",
            "configs/testnet-small.toml",
            "--quiet",
            "--no-plots",
            "--out",
        ])
        .arg(&run_dir));
    assert_eq!(code, 0, "{err}");
    let before = contents(&run_dir);
    let (code, _, err) = try_sweep(&text, &["--quiet", "--out", run_dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a sweep directory"), "{err}");
    assert_eq!(before, contents(&run_dir), "the run directory was changed");
}

#[test]
fn a_merge_that_fails_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), 1, 1);
    let shard0 = dir.path().join("s0");
    sweep(&exp, &shard0, &["--shard", "0/2"]);
    // Another experiment's shard, a missing one, an empty one.
    let other_exp = dir.path().join("other.toml");
    std::fs::write(
        &other_exp,
        std::fs::read_to_string(&exp)
            .unwrap()
            .replace("seed = 3", "seed = 4"),
    )
    .unwrap();
    let other = dir.path().join("other");
    sweep(&other_exp, &other, &["--shard", "1/2"]);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for (bad, needle) in [
        (
            other.clone(),
            "shards of different experiments cannot be merged",
        ),
        (dir.path().join("missing"), "is not a sweep directory"),
        (empty.clone(), "is not a sweep directory"),
    ] {
        let out = dir.path().join("merged");
        let (code, _, err) = run(codexsim().arg("merge").arg(&out).arg(&shard0).arg(&bad));
        assert_eq!(code, 2, "{}: {err}", bad.display());
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("--out"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.contains("merged"))
            .collect();
        assert!(left.is_empty(), "{}: left {left:?}", bad.display());
    }
    // A truncated run file is an error, not a missing run.
    let shard1 = dir.path().join("s1");
    sweep(&exp, &shard1, &["--shard", "1/2"]);
    let victim = std::fs::read_dir(shard1.join("runs"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.path().join("merged");
    let (code, _, err) = run(codexsim().arg("merge").arg(&out).arg(&shard0).arg(&shard1));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is damaged"), "{err}");
    assert!(!out.exists());
}
