//! Pinned outputs: the base-capacity fleet's first 20 days, in both sharing
//! modes and both proof modes with the fast market, and with the exact
//! market once, hash to fixed values. A change that alters
//! what the model computes (on purpose or not) breaks this test; when the
//! change is meant, say by how much and why in its commit and update the
//! hashes printed by the failure.
//!
//! Hashed: every file of the run directory that the model's results decide
//! (`fleet.csv`, `nodes.csv`, `links.csv`, `canary.csv`, `summary.json`,
//! `trace.jsonl`, `money.csv`, `accounts.csv`, `config.toml`), not the provenance (`manifest.json`) and
//! not the charts (`--no-plots`).

use sha2::{Digest, Sha256};

use crate::common::{codexsim, repo_root, run};

/// (network.sharing, run.proof_mode, run.market, SHA-256 of the outputs).
const PINNED: [(&str, &str, &str, &str); 5] = [
    (
        "max_min",
        "aggregated",
        "fast",
        "786591dceb2af2fbb3e1767902351ecd0b6e1298a90bf6d8ce22c4d96773c59a",
    ),
    (
        "max_min",
        "exact",
        "fast",
        "a9d19a78c96d4818c0a70f61300369e0c960947852747746a82f8e678eda2439",
    ),
    (
        "unshared",
        "aggregated",
        "fast",
        "0523ec8d69a8f791300027383cf5bdff741be38795e95361f7c62354318f12f5",
    ),
    (
        "unshared",
        "exact",
        "fast",
        "88759bf1730930963d82bd9dc0c06ad4391c13190296c7d99f1904f1de5037ff",
    ),
    (
        "max_min",
        "aggregated",
        "exact",
        "3215113e2c05fba28b230dedf157990d5325c63d59d6d77a36dff85ba2f079ed",
    ),
];

/// The shipped base-capacity scenario with a 20-day horizon and the given
/// modes.
fn scenario(sharing: &str, proof_mode: &str, market: &str) -> String {
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
            ("[run]", "proof_mode") => Some(format!(
                "proof_mode = \"{proof_mode}\"\nmarket = \"{market}\""
            )),
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
        "money.csv",
        "accounts.csv",
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
    for (sharing, proof_mode, market, expected) in PINNED {
        let cfg = tmp
            .path()
            .join(format!("{sharing}-{proof_mode}-{market}.toml"));
        std::fs::write(&cfg, scenario(sharing, proof_mode, market)).unwrap();
        let out = tmp
            .path()
            .join(format!("run-{sharing}-{proof_mode}-{market}"));
        let (code, _, err) = run(codexsim()
            .arg("run")
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "--no-plots", "--trace"]));
        assert_eq!(code, 0, "{err}");
        let got = outputs_hash(&out);
        if got != expected {
            changed.push(format!(
                "    (\"{sharing}\", \"{proof_mode}\", \"{market}\", \"{got}\"),"
            ));
        }
    }
    assert!(
        changed.is_empty(),
        "the base-capacity outputs changed; if that is meant, say why in the commit and pin:\n{}",
        changed.join("\n")
    );
}
