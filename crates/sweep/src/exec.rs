//! Running a plan: one thread per run (never inside a run), each finished
//! run persisted atomically as `runs/KEY.json`, finished runs skipped when a
//! sweep is resumed, shards, and merging shards.
//!
//! A sweep directory holds `experiment.toml` and `base.toml` (the inputs, so
//! the directory is self-describing and shards can be merged anywhere),
//! `plan.csv` (every run's key, point, variant, replication and seed) and
//! `runs/`. Once every run of the plan is present, the aggregates are
//! written (see [`crate::stats`]). Nothing in the directory depends on the
//! number of threads, the order runs finished in, or the shard that ran
//! them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use codexsim_model::{Model, NullSink, Summary};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::experiment::{Experiment, RunSpec};
use crate::SweepError;

/// One finished run, as stored in `runs/KEY.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The experiment's fingerprint ([`Experiment::hash`]).
    pub experiment_hash: String,
    /// `p003-lazy-2-r017`.
    pub key: String,
    /// Position in the plan.
    pub index: usize,
    /// Point index.
    pub point: usize,
    /// Variant name.
    pub variant: String,
    /// Replication.
    pub replication: u32,
    /// Seed.
    pub seed: u64,
    /// The point's parameter values, as TOML.
    pub params: BTreeMap<String, String>,
    /// Metrics (absent values, such as a mean over nothing, are null).
    pub metrics: BTreeMap<String, Option<f64>>,
}

/// Every metric a run reports, with its meaning.
pub const METRICS: [(&str, &str); 20] = [
    (
        "contract_failures",
        "requests failed (more slots freed than tolerated)",
    ),
    ("datasets_lost", "datasets whose data fell below K slots"),
    ("data_loss", "1 if any dataset was lost, else 0"),
    ("bytes_lost", "bytes of the lost datasets"),
    ("datasets_created", "datasets submitted"),
    ("slots_filled", "slot fills, repairs included"),
    ("slots_freed", "slots freed by the validator"),
    ("slots_repaired", "freed slots filled again"),
    ("proofs_required", "proofs required"),
    ("proofs_missed", "proofs missed"),
    ("slashes", "slashes"),
    (
        "slashes_of_intact_slots",
        "slashes of hosts that still held the data",
    ),
    (
        "mean_loss_detection_s",
        "mean time from a data loss to the slot being freed",
    ),
    ("repair_bytes", "bytes moved for repairs"),
    ("fill_bytes", "bytes moved for fills"),
    ("canary_bytes", "bytes moved by canary probes"),
    ("mean_fill_time_s", "mean time from request to start"),
    (
        "mean_repair_time_s",
        "mean time from a slot freed to refilled",
    ),
    ("first_data_loss_s", "time of the first data loss"),
    ("collateral_slashed", "collateral slashed, token units"),
];

/// The metrics of a finished run.
pub fn metrics(s: &Summary) -> BTreeMap<String, Option<f64>> {
    let t = &s.totals;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: Option<f64>| {
        m.insert(k.to_string(), v);
    };
    put(
        "contract_failures",
        Some(t.codex_purchases_failed_total as f64),
    );
    put("datasets_lost", Some(t.datasets_lost_total as f64));
    put(
        "data_loss",
        Some(if t.datasets_lost_total > 0 { 1.0 } else { 0.0 }),
    );
    put("bytes_lost", Some(t.bytes_lost_total as f64));
    put("datasets_created", Some(s.datasets_created as f64));
    put("slots_filled", Some(t.slots_filled_total as f64));
    put("slots_freed", Some(t.slots_freed_total as f64));
    put("slots_repaired", Some(t.slots_repaired_total as f64));
    put("proofs_required", Some(t.proofs_required_total as f64));
    put("proofs_missed", Some(t.proofs_missed_total as f64));
    put("slashes", Some(t.slashes_total as f64));
    put(
        "slashes_of_intact_slots",
        Some(s.slashes_of_intact_slots as f64),
    );
    put("mean_loss_detection_s", s.mean_loss_detection_s);
    put("repair_bytes", Some(s.network.traffic.repair_bytes as f64));
    put("fill_bytes", Some(s.network.traffic.fill_bytes as f64));
    put("canary_bytes", Some(s.network.traffic.canary_bytes as f64));
    put("mean_fill_time_s", s.mean_fill_time_s);
    put("mean_repair_time_s", s.mean_repair_time_s);
    put("first_data_loss_s", s.first_data_loss_s);
    put("collateral_slashed", Some(s.collateral_slashed as f64));
    debug_assert_eq!(m.len(), METRICS.len());
    m
}

/// Runs one run of the plan.
pub fn run_one(exp: &Experiment, spec: &RunSpec) -> Result<RunRecord, SweepError> {
    let scenario = exp.scenario(spec.point, spec.variant, spec.seed)?;
    let key = spec.key(exp);
    let summary = Model::new(&scenario, &mut NullSink)
        .run(&mut |_| {})
        .map_err(|e| SweepError::Run {
            key: key.clone(),
            detail: e.to_string(),
        })?;
    Ok(RunRecord {
        experiment_hash: exp.hash().to_string(),
        key,
        index: spec.index,
        point: spec.point,
        variant: exp.variants[spec.variant].name.clone(),
        replication: spec.replication,
        seed: spec.seed,
        params: exp.points[spec.point]
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect(),
        metrics: metrics(&summary),
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
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
        fs::create_dir_all(path.join("runs")).map_err(io(path))?;
        let stamp = path.join("experiment.sha256");
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

    fn run_path(&self, key: &str) -> PathBuf {
        self.path.join("runs").join(format!("{key}.json"))
    }

    /// Stores a finished run.
    pub fn write_run(&self, record: &RunRecord) -> Result<(), SweepError> {
        let mut json = serde_json::to_string_pretty(record).expect("records serialize");
        json.push('\n');
        write_atomic(&self.run_path(&record.key), json.as_bytes())
    }

    /// A stored run, if present and of this experiment.
    pub fn read_run(&self, exp: &Experiment, key: &str) -> Option<RunRecord> {
        let text = fs::read_to_string(self.run_path(key)).ok()?;
        let r: RunRecord = serde_json::from_str(&text).ok()?;
        (r.experiment_hash == exp.hash() && r.key == key).then_some(r)
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

/// How to run a sweep.
#[derive(Clone, Copy, Debug)]
pub struct SweepOptions {
    /// Threads (runs at once).
    pub jobs: usize,
    /// Run only shard `I` of `N`: plan positions with `index % N == I`.
    pub shard: Option<(usize, usize)>,
}

/// What a sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOutcome {
    /// Runs in the plan (or the shard).
    pub planned: usize,
    /// Runs found already done.
    pub skipped: usize,
    /// Runs computed now.
    pub ran: usize,
    /// Whether every run of the whole plan is present (and aggregates were
    /// written).
    pub complete: bool,
}

/// Runs the plan (or one shard) into `out`, skipping finished runs; writes
/// the aggregates when the plan is complete. `progress` is called with
/// (runs to do, runs done so far) at the start and after every run.
pub fn sweep(
    exp: &Experiment,
    out: &Path,
    options: SweepOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepOutcome, SweepError> {
    if let Some((i, n)) = options.shard {
        if n == 0 || i >= n {
            return Err(SweepError::Shard(format!(
                "--shard {i}/{n}: needs 0 <= I < N"
            )));
        }
    }
    let dir = SweepDir::prepare(out, exp)?;
    let plan: Vec<RunSpec> = exp
        .plan()
        .into_iter()
        .filter(|s| options.shard.is_none_or(|(i, n)| s.index % n == i))
        .collect();
    let done = dir.done(exp);
    let pending: Vec<&RunSpec> = plan
        .iter()
        .filter(|s| !done.contains(&s.key(exp)))
        .collect();
    let skipped = plan.len() - pending.len();
    progress(pending.len(), 0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| SweepError::Shard(format!("cannot start {} threads: {e}", options.jobs)))?;
    let finished = Mutex::new(0usize);
    let results: Vec<Result<(), SweepError>> = pool.install(|| {
        pending
            .par_iter()
            .with_max_len(1)
            .map(|spec| {
                let record = run_one(exp, spec)?;
                dir.write_run(&record)?;
                let mut n = finished.lock().expect("not poisoned");
                *n += 1;
                progress(pending.len(), *n);
                Ok(())
            })
            .collect()
    });
    // The first error in plan order (every other run is kept).
    for r in results {
        r?;
    }
    let complete = match dir.all_runs(exp) {
        Ok(runs) => {
            crate::stats::write_aggregates(&dir, exp, &runs)?;
            true
        }
        Err(_) => false,
    };
    Ok(SweepOutcome {
        planned: plan.len(),
        skipped,
        ran: pending.len(),
        complete,
    })
}

/// Merges shard directories into `out` (created if needed): copies their
/// runs, checks they are all of one experiment, and writes the aggregates
/// when the plan is complete. Returns the number of runs still missing.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<usize, SweepError> {
    let first = shards
        .first()
        .ok_or_else(|| SweepError::Shard("no shard to merge".into()))?;
    let exp = SweepDir::experiment(first)?;
    let dir = SweepDir::prepare(out, &exp)?;
    for shard in shards {
        let other = SweepDir::experiment(shard)?;
        if other.hash() != exp.hash() {
            return Err(SweepError::OtherExperiment {
                dir: shard.display().to_string(),
            });
        }
        let src = SweepDir {
            path: shard.clone(),
        };
        for spec in exp.plan() {
            let key = spec.key(&exp);
            if src.read_run(&exp, &key).is_some() && dir.read_run(&exp, &key).is_none() {
                // The stored bytes, not a re-serialisation: merged results
                // are the shards' results byte for byte.
                let from = src.run_path(&key);
                let bytes = fs::read(&from).map_err(io(&from))?;
                write_atomic(&dir.run_path(&key), &bytes)?;
            }
        }
    }
    match dir.all_runs(&exp) {
        Ok(runs) => {
            crate::stats::write_aggregates(&dir, &exp, &runs)?;
            Ok(0)
        }
        Err(missing) => Ok(missing),
    }
}
