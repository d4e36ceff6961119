//! The sweep directory: its layout and every read and write of it except
//! the aggregates ([`crate::write`]). Owns atomic writes, the inputs kept
//! in it (`experiment.toml`, `base.toml`, `experiment.sha256`), `plan.csv`
//! (every run's key, point, variant, replication and seed) and the run
//! files `runs/KEY.json` (their bytes are [`RunRecord::to_json`]).
//!
//! The inputs make a directory self-describing, so shards can be merged
//! anywhere.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::experiment::Experiment;
use crate::record::RunRecord;
use crate::SweepError;

/// An I/O error on `path`, as a [`SweepError`].
pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a file atomically: a temporary sibling renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    let name = path.file_name().expect("a file path").to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}

/// A sweep directory.
pub struct SweepDir {
    /// Its path.
    pub path: PathBuf,
}

impl SweepDir {
    /// Opens `path` for `exp`: creates it with the experiment's inputs and
    /// plan, or checks that it holds the same experiment.
    pub fn prepare(path: &Path, exp: &Experiment) -> Result<SweepDir, SweepError> {
        let stamp = path.join("experiment.sha256");
        // Never into something else: a file, a run directory, any folder
        // with files that is not a sweep.
        if path.exists() && !stamp.exists() {
            let foreign = !path.is_dir()
                || fs::read_dir(path)
                    .map_err(io(path))?
                    .flatten()
                    .any(|e| e.file_name() != "runs");
            if foreign {
                return Err(SweepError::Shard(format!(
                    "{} already exists and is not a sweep directory: choose another --out",
                    path.display()
                )));
            }
        }
        fs::create_dir_all(path.join("runs")).map_err(io(path))?;
        match fs::read_to_string(&stamp) {
            Ok(h) if h.trim() == exp.hash() => {}
            Ok(_) => {
                return Err(SweepError::OtherExperiment {
                    dir: path.display().to_string(),
                })
            }
            Err(_) => {
                write_atomic(&path.join("experiment.toml"), exp.text.as_bytes())?;
                write_atomic(&path.join("base.toml"), exp.base_text.as_bytes())?;
                write_atomic(&path.join("plan.csv"), plan_csv(exp).as_bytes())?;
                write_atomic(&stamp, format!("{}\n", exp.hash()).as_bytes())?;
            }
        }
        Ok(SweepDir {
            path: path.to_path_buf(),
        })
    }

    /// The experiment a sweep directory holds.
    pub fn experiment(path: &Path) -> Result<Experiment, SweepError> {
        let text_path = path.join("experiment.toml");
        let base_path = path.join("base.toml");
        let text = fs::read_to_string(&text_path).map_err(|_| SweepError::NotASweep {
            dir: path.display().to_string(),
        })?;
        let base = fs::read_to_string(&base_path).map_err(io(&base_path))?;
        Experiment::from_parts(&text, &text_path, &base_path, &base)
    }

    /// The file of run `key`.
    pub fn run_path(&self, key: &str) -> PathBuf {
        self.path.join("runs").join(format!("{key}.json"))
    }

    /// Stores a finished run.
    pub fn write_run(&self, record: &RunRecord) -> Result<(), SweepError> {
        write_atomic(&self.run_path(&record.key), record.to_json().as_bytes())
    }

    /// A stored run, if present and of this experiment.
    pub fn read_run(&self, exp: &Experiment, key: &str) -> Option<RunRecord> {
        let text = fs::read_to_string(self.run_path(key)).ok()?;
        RunRecord::from_json(&text, exp.hash(), key)
    }

    /// Copies run `key` from another sweep directory of the same
    /// experiment: the stored bytes, not a re-serialisation, so merged
    /// results are the shards' results byte for byte.
    pub fn copy_run(&self, from: &SweepDir, key: &str) -> Result<(), SweepError> {
        let src = from.run_path(key);
        let bytes = fs::read(&src).map_err(io(&src))?;
        write_atomic(&self.run_path(key), &bytes)
    }

    /// The keys of the plan's runs already stored.
    pub fn done(&self, exp: &Experiment) -> BTreeSet<String> {
        exp.plan()
            .iter()
            .map(|s| s.key(exp))
            .filter(|k| self.read_run(exp, k).is_some())
            .collect()
    }

    /// Every run of the plan, in plan order, or the number missing.
    pub fn all_runs(&self, exp: &Experiment) -> Result<Vec<RunRecord>, usize> {
        let mut out = Vec::new();
        let mut missing = 0;
        for spec in exp.plan() {
            match self.read_run(exp, &spec.key(exp)) {
                Some(r) => out.push(r),
                None => missing += 1,
            }
        }
        if missing > 0 {
            Err(missing)
        } else {
            Ok(out)
        }
    }
}

/// `plan.csv`: every run of the plan.
fn plan_csv(exp: &Experiment) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "index".to_string(),
        "key".into(),
        "point".into(),
        "variant".into(),
        "replication".into(),
        "seed".into(),
    ];
    header.extend(exp.param_keys.iter().cloned());
    w.write_record(&header).expect("in memory");
    for spec in exp.plan() {
        let mut row = vec![
            spec.index.to_string(),
            spec.key(exp),
            spec.point.to_string(),
            exp.variants[spec.variant].name.clone(),
            spec.replication.to_string(),
            spec.seed.to_string(),
        ];
        row.extend(
            exp.points[spec.point]
                .params
                .iter()
                .map(|(_, v)| v.to_string()),
        );
        w.write_record(&row).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("utf-8")
}
