//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `codexsim` binary.
pub fn codexsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_codexsim"));
    c.current_dir(repo_root());
    c
}

/// The repository root (where `configs/` lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("codexsim starts");
    (
        status.code().expect("exited normally"),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// Writes `text` to `name` inside `dir` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The smallest fleet, appended to scenarios that are about other sections.
pub const FLEET: &str = "\n[[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\n";

/// A test that needs an outside tool found it missing: it passes with a
/// note, unless `require_var` is set (as `.ci/run` does), where the tool must
/// be there.
pub fn skip_unless_required(require_var: &str, missing: &str, how_to_get_it: &str) {
    assert!(
        std::env::var_os(require_var).is_none(),
        "{require_var} is set but {missing}"
    );
    // Straight to the terminal: the test harness keeps what `eprintln!`
    // writes for failing tests only, and a skip must show in the summary.
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let line = format!("SKIPPED {test}: {missing}; {how_to_get_it}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}
