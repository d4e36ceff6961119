//! Charts and `report.html`, as `codexsim run` and `codexsim plot` make them.

use std::path::{Path, PathBuf};

use crate::common::{codexsim, run};
use crate::run::contents;

const CHARTS: [&str; 7] = [
    "capacity",
    "capacity_by_domain",
    "data_loss",
    "proofs",
    "traffic",
    "canary",
    "money",
];

/// A small run (testnet-small, two days) into `dir/name`.
pub fn small_run(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let (code, _, err) = run(codexsim()
        .args(["run", "configs/testnet-small.toml", "--quiet", "--out"])
        .arg(&out)
        .args(extra));
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn a_run_draws_its_charts_and_a_self_contained_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path(), "r", &[]);
    for c in CHARTS {
        let svg = std::fs::read_to_string(out.join(format!("plots/{c}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{c}.svg");
        let png = std::fs::read(out.join(format!("plots/{c}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{c}.png");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for needle in [
        "<h2 id=\"summary\">",
        "Contract failures",
        "Resolved configuration",
        "proof_period_s",
        manifest["config_hash"].as_str().unwrap(),
        manifest["codexsim_version"].as_str().unwrap(),
    ] {
        assert!(html.contains(needle), "report.html lacks {needle}");
    }
    for c in CHARTS {
        assert!(
            html.contains(&format!("<h2 id=\"{c}\">")),
            "report.html lacks {c}"
        );
    }
    assert_eq!(
        html.matches("<svg").count(),
        CHARTS.len(),
        "one inline SVG per chart"
    );
    // Self-contained: no scripts, stylesheets, images or frames to fetch.
    for banned in ["<script", "<link", "<img", "<iframe", "src=", "url("] {
        assert!(!html.contains(banned), "report.html has {banned}");
    }
}

/// Rewrites one numeric column of a CSV file with `f`.
fn edit_column(path: &Path, column: &str, f: impl Fn(f64) -> f64) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let k = header.split(',').position(|c| c == column).unwrap();
    let mut out = format!("{header}\n");
    for line in lines {
        let mut fields: Vec<String> = line.split(',').map(String::from).collect();
        let v: f64 = fields[k].parse().unwrap();
        fields[k] = format!("{}", f(v));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn plot_redraws_the_same_bytes_and_the_charts_follow_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path(), "r", &[]);
    let before = contents(&out);
    let (code, stdout, err) = run(codexsim().arg("plot").arg(&out));
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("report.html"), "{stdout}");
    assert_eq!(contents(&out), before, "plot redraws exactly what run drew");

    // Double the stored bytes in the fleet series: the capacity chart (and
    // the report) change, the canary chart does not.
    edit_column(&out.join("fleet.csv"), "codex_repostore_bytes_used", |v| {
        v * 2.0 + 1e12
    });
    let (code, _, err) = run(codexsim().arg("plot").arg(&out));
    assert_eq!(code, 0, "{err}");
    let after = contents(&out);
    for f in ["plots/capacity.svg", "plots/capacity.png", "report.html"] {
        assert_ne!(after[f], before[f], "{f} should follow fleet.csv");
    }
    for f in ["plots/canary.svg", "plots/proofs.svg"] {
        assert_eq!(after[f], before[f], "{f} does not use that column");
    }
    // The y axis grew to fit the doubled values.
    let svg = String::from_utf8(after["plots/capacity.svg"].clone()).unwrap();
    assert!(svg.contains("Bytes (TB)"), "{svg:.300}");
}

#[test]
fn no_plots_skips_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path(), "r", &["--no-plots"]);
    assert!(!out.join("plots").exists());
    assert!(!out.join("report.html").exists());
    assert!(out.join("fleet.csv").is_file());
}

#[test]
fn plot_refuses_what_is_not_a_run_and_keeps_the_old_charts() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(codexsim().arg("plot").arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is not a codexsim run directory: fleet.csv is missing"),
        "{err}"
    );

    let out = small_run(dir.path(), "r", &[]);
    let before = contents(&out);
    let fleet = out.join("fleet.csv");
    let text = std::fs::read_to_string(&fleet).unwrap();
    let broken = text.replacen('\n', "\nnot-a-number", 2);
    std::fs::write(&fleet, &broken).unwrap();
    let (code, _, err) = run(codexsim().arg("plot").arg(&out));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fleet.csv") && err.contains("row 2"), "{err}");
    let mut after = contents(&out);
    after.insert("fleet.csv".into(), before["fleet.csv"].clone());
    assert_eq!(
        after, before,
        "a failed plot leaves the earlier charts alone"
    );
}
