//! Run directories, written atomically: everything goes into a hidden
//! temporary sibling, which is renamed into place only when complete. A run
//! that fails or is interrupted leaves no half-written result directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use codexsim_model::Manifest;
use sha2::{Digest, Sha256};

/// The version of this binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit this binary was built from, when known.
pub fn git_commit() -> Option<&'static str> {
    let c = env!("CODEXSIM_GIT_COMMIT");
    (!c.is_empty()).then_some(c)
}

/// Hex SHA-256 of a resolved configuration.
pub fn config_hash(resolved_toml: &str) -> String {
    let digest = Sha256::digest(resolved_toml.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Removes the temporary directories (`.NAME.tmp-PID`) that runs, sweeps
/// and merges killed before they finished left in `parent`: those whose
/// process is no longer running (on Linux, no `/proc/PID`; elsewhere none
/// is removed). Says so on standard error.
pub fn remove_stale(parent: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = stale_pid(name) else { continue };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let path = entry.path();
        if path.is_dir() && fs::remove_dir_all(&path).is_ok() {
            eprintln!(
                "removed {}: a temporary directory left by process {pid}, which is no longer \
                 running (an interrupted run)",
                path.display()
            );
        }
    }
}

/// The hidden name `.NAME.tmp-PID` under which an output named `name` is
/// written before it is renamed into place ([`remove_stale`] reads it).
pub fn temporary_name(name: &std::ffi::OsStr) -> String {
    format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id())
}

/// Writes `bytes` to a hidden file beside `path` and renames it into place,
/// so that `path` is either the whole output or untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| crate::BadInput::new(format!("{}: not a file name", path.display())))?;
    let tmp = path.with_file_name(temporary_name(name));
    let written = fs::write(&tmp, bytes)
        .with_context(|| format!("writing {}", path.display()))
        .and_then(|()| {
            fs::rename(&tmp, path)
                .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
        });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// The process id in a temporary directory's name `.NAME.tmp-PID`.
fn stale_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, pid) = rest.rsplit_once(".tmp-")?;
    pid.parse().ok()
}

/// A run directory being written.
pub struct RunDir {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl RunDir {
    /// Starts a run directory that will appear at `dest` on [`RunDir::commit`].
    /// Refuses an existing `dest`, so no earlier result is overwritten.
    pub fn create(dest: &Path) -> Result<RunDir> {
        if dest.exists() {
            return Err(crate::BadInput::new(format!(
                "output directory {} already exists: choose another --out or remove it",
                dest.display()
            ))
            .into());
        }
        let name = dest.file_name().ok_or_else(|| {
            crate::BadInput::new(format!(
                "output path {} has no directory name: name the run directory itself",
                dest.display()
            ))
        })?;
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if parent.exists() && !parent.is_dir() {
            return Err(crate::BadInput::new(format!(
                "cannot write {}: {} is a file, not a folder",
                dest.display(),
                parent.display()
            ))
            .into());
        }
        // (A folder that cannot be made is the user's path: exit 2, see main.)
        fs::create_dir_all(&parent)
            .with_context(|| format!("creating the output folder {}", parent.display()))?;
        remove_stale(&parent);
        let tmp = parent.join(temporary_name(name));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)
                .with_context(|| format!("removing stale {}", tmp.display()))?;
        }
        fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(RunDir {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        })
    }

    /// Writes a file inside the run directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.tmp.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut f =
            fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// A path inside the (temporary) run directory, for streaming writers.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// Writes `manifest.json` and `config.toml`.
    pub fn write_manifest(&self, manifest: &Manifest) -> Result<()> {
        self.write(Manifest::CONFIG_FILE, manifest.config.as_bytes())?;
        let mut json = serde_json::to_string_pretty(manifest)?;
        json.push('\n');
        self.write(Manifest::FILE, json.as_bytes())
    }

    /// Moves the finished directory into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("moving {} to {}", self.tmp.display(), self.dest.display()))?;
        self.committed = true;
        Ok(self.dest.clone())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}
