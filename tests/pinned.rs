//! Pinned outputs: the base-capacity fleet's first 20 days, in both sharing
//! modes and both proof modes, hash to fixed values. A change that alters
//! what the model computes (on purpose or not) breaks this test; when the
//! change is meant, say by how much and why in its commit and update the
//! hashes printed by the failure.
//!
//! Hashed: every file of the run directory that the model's results decide
//! (`fleet.csv`, `nodes.csv`, `links.csv`, `canary.csv`, `summary.json`,
//! `trace.jsonl`, `config.toml`), not the provenance (`manifest.json`) and
//! not the charts (`--no-plots`).

use sha2::{Digest, Sha256};

use crate::common::{codexsim, repo_root, run};

/// (network.sharing, run.proof_mode, SHA-256 of the outputs).
const PINNED: [(&str, &str, &str); 4] = [
    (
        "max_min",
        "aggregated",
        "b1b9d44a5e4dee8194a157cce0e2853b218d415c88a0700a453d8312083b8a2b",
    ),
    (
        "max_min",
        "exact",
        "689ccf3d54d16134afbddde58edf920e531cf347b52ca1e2093b7b5e2bf509f5",
    ),
    (
        "unshared",
        "aggregated",
        "66d60324fae5240088736302c6b2960aaf0665dd470d1826e06b7439d028886c",
    ),
    (
        "unshared",
        "exact",
        "74f759ce50ab331c40b6f7079c29134af37605945e227433fa2e40c214e3b64d",
    ),
];

/// The shipped base-capacity scenario with a 20-day horizon and the given
/// modes.
fn scenario(sharing: &str, proof_mode: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("configs/base-capacity.toml")).unwrap();
    let mut out = String::new();
    let mut section = String::new();
    for line in text.lines() {
        if line.starts_with('[') {
            section = line.split('#').next().unwrap().trim().to_string();
        }
        let key = line.split('=').next().unwrap().trim();
        let replaced = match (section.as_str(), key) {
            ("[run]", "duration_s") => Some("duration_s = \"20 days\"".to_string()),
            ("[run]", "proof_mode") => Some(format!("proof_mode = \"{proof_mode}\"")),
            ("[network]", "sharing") => Some(format!("sharing = \"{sharing}\"")),
            _ => None,
        };
        out.push_str(replaced.as_deref().unwrap_or(line));
        out.push('\n');
    }
    assert!(
        out.contains("duration_s = \"20 days\""),
        "[run] duration_s is set"
    );
    assert!(
        out.contains(&format!("proof_mode = \"{proof_mode}\"")),
        "[run] proof_mode is set"
    );
    if !out.contains(&format!("sharing = \"{sharing}\"")) {
        out = out.replace(
            "[network]\n",
            &format!("[network]\nsharing = \"{sharing}\"\n"),
        );
    }
    out
}

fn outputs_hash(dir: &std::path::Path) -> String {
    let mut h = Sha256::new();
    for name in [
        "config.toml",
        "fleet.csv",
        "nodes.csv",
        "links.csv",
        "canary.csv",
        "summary.json",
        "trace.jsonl",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn base_capacity_outputs_are_pinned() {
    let tmp = tempfile::tempdir().unwrap();
    let mut changed = Vec::new();
    for (sharing, proof_mode, expected) in PINNED {
        let cfg = tmp.path().join(format!("{sharing}-{proof_mode}.toml"));
        std::fs::write(&cfg, scenario(sharing, proof_mode)).unwrap();
        let out = tmp.path().join(format!("run-{sharing}-{proof_mode}"));
        let (code, _, err) = run(codexsim()
            .arg("run")
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "--no-plots", "--trace"]));
        assert_eq!(code, 0, "{err}");
        let got = outputs_hash(&out);
        if got != expected {
            changed.push(format!("    (\"{sharing}\", \"{proof_mode}\", \"{got}\"),"));
        }
    }
    assert!(
        changed.is_empty(),
        "the base-capacity outputs changed; if that is meant, say why in the commit and pin:\n{}",
        changed.join("\n")
    );
}
