//! `codexsim analytic`, `rare-event` and `rare-event-table` as a user runs them.

use crate::common::{codexsim, run};

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(codexsim().args(args));
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

#[test]
fn analytic_models_print_the_reference_values() {
    let out = ok(&["analytic", "birth-death", "--n", "4", "--k", "2"]);
    assert!(out.contains("serial repair:   955.5000 years"), "{out}");
    assert!(out.contains("parallel repair: 1891.5000 years"), "{out}");
    let out = ok(&[
        "analytic",
        "backblaze",
        "--data",
        "17",
        "--parity",
        "3",
        "--afr-percent",
        "0.405",
        "--window-days",
        "6.5",
    ]);
    // The script's own form (56 whole windows) by default, the continuous
    // one beside it.
    assert!(
        out.contains("annual loss probability: 7.415625e-12"),
        "{out}"
    );
    assert!(out.contains("1 - 7.415625e-12"), "{out}");
    assert!(out.contains("windows): 7.353799e-12"), "{out}");
    let out = ok(&[
        "analytic", "storj", "--k", "20", "--n", "40", "--churn", "0.1",
    ]);
    assert!(out.contains("0.99999999807694"), "{out}");
    assert!(
        out.contains("P(loss): 1.959660e-11 (exact binomial"),
        "{out}"
    );
    // Mean times far past 1e12 years keep their digits (Gaussian
    // elimination printed 1.00e16 and 1.62e16 here), and a value past f64
    // is refused, not printed.
    let out = ok(&[
        "analytic",
        "birth-death",
        "--n",
        "12",
        "--k",
        "4",
        "--lambda-per-year",
        "0.1",
        "--mu-per-year",
        "365",
    ]);
    assert!(out.contains("serial repair:   3.963358e21 years"), "{out}");
    assert!(out.contains("parallel repair: 1.596485e26 years"), "{out}");
    let (code, _, err) = run(codexsim().args([
        "analytic",
        "birth-death",
        "--n",
        "60",
        "--k",
        "1",
        "--lambda-per-year",
        "1e-3",
        "--mu-per-year",
        "1e6",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no trustworthy mean time to data loss"),
        "{err}"
    );
    let out = ok(&["analytic", "whitepaper-table"]);
    for row in [
        "1.5,1,18,9,18,9",
        "2,1,7,7,7,7",
        "2.5,1,4,6,4,6",
        "1.5,5,28,14,28,14",
        "2.5,5,8,12,8,12",
    ] {
        assert!(out.contains(row), "{row} in {out}");
    }
    assert!(
        out.contains("2,5,11,11,13,13"),
        "the documented sixth row: {out}"
    );
}

#[test]
fn rare_event_estimates_agree_with_the_chain() {
    let out = ok(&[
        "rare-event",
        "--k",
        "4",
        "--m",
        "3",
        "--l0",
        "1",
        "--target-relative-error",
        "0.2",
        "--confidence",
        "0.99",
    ]);
    // "P(data loss within 1 year(s)) = X, 99 % CI [A, B], ..." and the exact value.
    let num = |s: &str| {
        s.trim()
            .trim_end_matches([',', ']'])
            .parse::<f64>()
            .unwrap()
    };
    let line = out.lines().next().unwrap();
    let ci = line.split('[').nth(1).unwrap();
    let (lo, hi) = ci.split_once(',').unwrap();
    let (lo, hi) = (num(lo), num(hi.split(']').next().unwrap()));
    let exact = out
        .lines()
        .find(|l| l.starts_with("exact"))
        .unwrap()
        .split(": ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    let exact = num(exact);
    assert!(lo <= exact && exact <= hi, "{out}");

    let (code, _, err) = run(codexsim().args(["rare-event", "--k", "4", "--m", "3", "--l0", "0"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--l0: must be between 1 and --m"), "{err}");
}

#[test]
fn the_table_by_simulation_finds_the_boundary_and_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let out_arg = out.display().to_string();
    let text = ok(&[
        "rare-event-table",
        "--target",
        "1e-4",
        "--max-slots",
        "12",
        "--out",
        &out_arg,
    ]);
    // e = 2, l0 = 1: 3 + 3 is the first below 1e-4 (exact 1.8e-5; 2 + 2 is 4.3e-4).
    assert!(text.contains("\n2,1,3,3,"), "{text}");
    for f in [
        "table.csv",
        "candidates.csv",
        "loss-probability.svg",
        "loss-probability.png",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let (code, _, err) = run(codexsim().arg("rare-event-table").arg("--out").arg(&out));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn estimates_do_not_depend_on_the_number_of_threads() {
    let rare_event = |threads: &str, args: &[&str]| {
        let (code, out, err) = run(codexsim()
            .env("RAYON_NUM_THREADS", threads)
            .arg("rare-event")
            .args(args));
        assert_eq!(code, 0, "{err}");
        out
    };
    let splitting = [
        "--k",
        "4",
        "--m",
        "4",
        "--l0",
        "2",
        "--target-relative-error",
        "0.3",
    ];
    // Everything but the wall time.
    let go = |threads: &str| {
        rare_event(threads, &splitting)
            .lines()
            .map(|l| l.rsplit_once(", ").map_or(l, |(a, _)| a).to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(go("1"), go("2"));
    let importance = ["--k", "3", "--m", "2", "--method", "importance"];
    let (a, b) = (rare_event("1", &importance), rare_event("2", &importance));
    assert_eq!(a.lines().next(), b.lines().next());
}
