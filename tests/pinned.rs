//! Pinned outputs: the base-capacity fleet's first 20 days, in both sharing
//! modes and both proof modes with the fast market, and with the exact
//! market once, hash to fixed values. A change that alters
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

/// (network.sharing, run.proof_mode, run.market, SHA-256 of the outputs).
const PINNED: [(&str, &str, &str, &str); 5] = [
    (
        "max_min",
        "aggregated",
        "fast",
        "d2260466ed1a2763d732df4d45e5806c1cf199dfe8fb2eea49dada445b1770b7",
    ),
    (
        "max_min",
        "exact",
        "fast",
        "8d7646850783780c7fad4369896001263e3385a38c5479f014f84ffd2d11d70d",
    ),
    (
        "unshared",
        "aggregated",
        "fast",
        "beffe01c2c58ca6535fc1c0ab719d5e3bc4890a2ec2aa01b7978a9ff7c66a060",
    ),
    (
        "unshared",
        "exact",
        "fast",
        "141bd849470fdc1d935e9cb7f56657eaca0b4ba460ce95b54e9e944314e4139b",
    ),
    (
        "max_min",
        "aggregated",
        "exact",
        "22da2f0f8fc674435869ec68c243a89b68bfd8294da8c6e7d04426bccfea3868",
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
