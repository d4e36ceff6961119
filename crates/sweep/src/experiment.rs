//! Experiment files: a base scenario, parameters to vary, protocol variants
//! and replications, expanded into a plan of runs with derived seeds.
//!
//! ```toml
//! name = "lazy-repair"
//! question = "Does lazy repair save repair traffic, and what does it cost in loss?"
//! base = "../../configs/base-capacity.toml"   # relative to this file
//! seed = 1
//! replications = 20
//! confidence = 0.95
//!
//! [set]                     # every run
//! "run.duration_s" = "180 days"
//!
//! [grid]                    # every combination of these values
//! "marketplace.proof_period_s" = [60, 120, 300]
//!
//! [zip]                     # these lists side by side (equal lengths)
//! "workload.nodes" = [5, 10]
//! "workload.tolerance" = [2, 4]
//!
//! [[variants]]              # the first is the baseline of comparisons
//! name = "eager"
//! [[variants]]
//! name = "lazy-2"
//! set = { "repair.lazy_threshold" = 2 }
//! ```
//!
//! Keys are paths into the scenario: `section.key`, with `[i]` for an
//! element of an array of tables (`node_groups[0].quota_bytes`). A point is
//! one combination of grid values and one zip row. A run is (point, variant,
//! replication); its seed derives from (experiment seed, point, replication)
//! only, so every variant of a point sees the same seeds: common random
//! numbers (the same faults and workload draws wherever the variant does not
//! change what is drawn).
//!
//! Owns the experiment's parsing and checks, the plan, seeds and each run's
//! scenario; knows of runs' results only the metric names
//! ([`crate::record`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::record;
use crate::SweepError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    question: Option<String>,
    base: String,
    #[serde(default = "one")]
    seed: u64,
    replications: u32,
    #[serde(default = "ninety_five")]
    confidence: f64,
    #[serde(default)]
    set: toml::Table,
    #[serde(default)]
    grid: toml::Table,
    #[serde(default)]
    zip: toml::Table,
    #[serde(default)]
    variants: Vec<RawVariant>,
    #[serde(default = "default_metrics")]
    metrics: Vec<String>,
}

fn default_metrics() -> Vec<String> {
    [
        "contract_failures",
        record::LOSS_PROBABILITY,
        "repair_bytes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn one() -> u64 {
    1
}

fn ninety_five() -> f64 {
    0.95
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: String,
    #[serde(default)]
    set: toml::Table,
}

/// A named protocol variant: settings on top of each point's.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Its name (letters, digits, `-`, `_`).
    pub name: String,
    /// Key paths and values.
    pub set: Vec<(String, toml::Value)>,
}

/// One combination of parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Key paths and values, grid keys first (in key order), then zip keys.
    pub params: Vec<(String, toml::Value)>,
}

/// One run of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    /// Position in the plan (shards take every N-th).
    pub index: usize,
    /// Its point.
    pub point: usize,
    /// Its variant.
    pub variant: usize,
    /// Its replication.
    pub replication: u32,
    /// Its seed.
    pub seed: u64,
}

impl RunSpec {
    /// Its file stem: `p003-lazy-2-r017`.
    pub fn key(&self, exp: &Experiment) -> String {
        format!(
            "p{:03}-{}-r{:03}",
            self.point, exp.variants[self.variant].name, self.replication
        )
    }
}

/// A parsed experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// Its name.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// The question it answers.
    pub question: Option<String>,
    /// The experiment file.
    pub path: PathBuf,
    /// The experiment file's text.
    pub text: String,
    /// The base scenario file.
    pub base_path: PathBuf,
    /// The base scenario's text.
    pub base_text: String,
    /// The experiment seed.
    pub seed: u64,
    /// Replications per point and variant.
    pub replications: u32,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Settings of every run.
    pub set: Vec<(String, toml::Value)>,
    /// The points.
    pub points: Vec<Point>,
    /// The varying parameters' keys, in the points' order.
    pub param_keys: Vec<String>,
    /// The grid's keys (a subset of `param_keys`).
    pub grid_keys: Vec<String>,
    /// The variants (at least one; the first is the baseline).
    pub variants: Vec<Variant>,
    /// The metrics charted.
    pub metrics: Vec<String>,
    /// SHA-256 of the experiment's text and its base ([`Experiment::hash`]).
    fingerprint: String,
}

/// The most runs an experiment's plan may hold.
pub const MAX_RUNS: u64 = 1_000_000;

fn bad(path: &Path, detail: impl Into<String>) -> SweepError {
    SweepError::Experiment {
        file: path.display().to_string(),
        detail: detail.into(),
    }
}

fn pairs(t: &toml::Table) -> Vec<(String, toml::Value)> {
    t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl Experiment {
    /// Reads and checks an experiment file (and its base scenario).
    pub fn load(path: &Path) -> Result<Experiment, SweepError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad(path, format!("cannot read the experiment file: {e}")))?;
        Self::parse(&text, path)
    }

    /// Parses an experiment's text; `path` locates it (and its base).
    pub fn parse(text: &str, path: &Path) -> Result<Experiment, SweepError> {
        let raw: RawExperiment = toml::from_str(text).map_err(|e| bad(path, e.to_string()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let base_path = dir.join(&raw.base);
        let base_text = std::fs::read_to_string(&base_path).map_err(|e| {
            bad(
                path,
                format!(
                    "base = {:?}: cannot read {}: {e}",
                    raw.base,
                    base_path.display()
                ),
            )
        })?;
        Self::from_parts(text, path, &base_path, &base_text)
    }

    /// An experiment whose base scenario is given (a sweep directory keeps
    /// both as `experiment.toml` and `base.toml`).
    pub fn from_parts(
        text: &str,
        path: &Path,
        base_path: &Path,
        base_text: &str,
    ) -> Result<Experiment, SweepError> {
        let raw: RawExperiment = toml::from_str(text).map_err(|e| bad(path, e.to_string()))?;
        let base_path = base_path.to_path_buf();
        let base_text = base_text.to_string();
        if raw.replications == 0 {
            return Err(bad(path, "replications = 0: must be at least 1"));
        }
        // The name is a folder under sweeps/: one safe path component.
        if raw.name.is_empty()
            || raw.name.starts_with('.')
            || !raw
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(bad(
                path,
                format!(
                    "name = {:?}: must be a folder name: letters, digits, '-', '_' and '.', not \
                     empty and not starting with '.'",
                    codexsim_config::error::cut(
                        &raw.name,
                        codexsim_config::error::MAX_QUOTED_CHARS
                    )
                ),
            ));
        }
        // The plan's size, before anything is expanded.
        let lengths = raw
            .grid
            .values()
            .map(|v| v.as_array().map_or(1, |a| a.len().max(1)) as u128);
        let rows = raw
            .zip
            .values()
            .next()
            .and_then(|v| v.as_array())
            .map_or(1, |a| a.len().max(1)) as u128;
        let variants = raw.variants.len().max(1) as u128;
        let runs = lengths
            .fold(rows * variants, |acc, n| acc.saturating_mul(n))
            .saturating_mul(raw.replications as u128);
        if runs > MAX_RUNS as u128 {
            return Err(bad(
                path,
                format!(
                    "replications = {} and the grid make {runs} runs (grid points x zip rows x \
                     variants x replications): at most {MAX_RUNS}; split the experiment",
                    raw.replications
                ),
            ));
        }
        if !(raw.confidence > 0.0 && raw.confidence < 1.0) {
            return Err(bad(
                path,
                format!("confidence = {}: must be between 0 and 1", raw.confidence),
            ));
        }
        // Grid: every key an array of at least one value.
        let mut grid = Vec::new();
        for (k, v) in &raw.grid {
            match v.as_array() {
                Some(a) if !a.is_empty() => grid.push((k.clone(), a.clone())),
                _ => {
                    return Err(bad(
                        path,
                        format!("grid.\"{k}\" = {v}: must be a non-empty array of values"),
                    ))
                }
            }
        }
        let mut zip = Vec::new();
        for (k, v) in &raw.zip {
            match v.as_array() {
                Some(a) if !a.is_empty() => zip.push((k.clone(), a.clone())),
                _ => {
                    return Err(bad(
                        path,
                        format!("zip.\"{k}\" = {v}: must be a non-empty array of values"),
                    ))
                }
            }
        }
        if let Some((k0, a0)) = zip.first() {
            for (k, a) in &zip {
                if a.len() != a0.len() {
                    return Err(bad(
                        path,
                        format!(
                            "zip.\"{k}\" has {} values but zip.\"{k0}\" has {}: zipped lists must have equal lengths",
                            a.len(),
                            a0.len()
                        ),
                    ));
                }
            }
        }
        for (k, _) in &grid {
            if zip.iter().any(|(z, _)| z == k) {
                return Err(bad(path, format!("\"{k}\" is in both [grid] and [zip]")));
            }
        }
        // Points: the grid's product (last key fastest), then each zip row.
        let mut combos: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
        for (k, values) in &grid {
            let mut next = Vec::new();
            for c in &combos {
                for v in values {
                    let mut c = c.clone();
                    c.push((k.clone(), v.clone()));
                    next.push(c);
                }
            }
            combos = next;
        }
        let rows = zip.first().map_or(1, |(_, a)| a.len());
        let mut points = Vec::new();
        for c in &combos {
            for row in 0..rows {
                let mut params = c.clone();
                for (k, a) in &zip {
                    params.push((k.clone(), a[row].clone()));
                }
                points.push(Point { params });
            }
        }
        let mut variants: Vec<Variant> = raw
            .variants
            .iter()
            .map(|v| Variant {
                name: v.name.clone(),
                set: pairs(&v.set),
            })
            .collect();
        if variants.is_empty() {
            variants.push(Variant {
                name: "baseline".into(),
                set: Vec::new(),
            });
        }
        for (i, v) in variants.iter().enumerate() {
            if v.name.is_empty()
                || !v
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(
                    path,
                    format!(
                        "variants[{i}].name = {:?}: only letters, digits, '-' and '_'",
                        v.name
                    ),
                ));
            }
            if variants[..i].iter().any(|w| w.name == v.name) {
                return Err(bad(
                    path,
                    format!("variants[{i}].name = {:?}: used twice", v.name),
                ));
            }
        }
        for (i, m) in raw.metrics.iter().enumerate() {
            if !record::is_known(m) {
                let names: Vec<&str> = record::METRICS.iter().map(|(k, _)| *k).collect();
                return Err(bad(
                    path,
                    format!(
                        "metrics[{i}] = {m:?}: unknown metric; known: {}, {}",
                        record::LOSS_PROBABILITY,
                        names.join(", ")
                    ),
                ));
            }
        }
        let mut param_keys: Vec<String> = grid.iter().map(|(k, _)| k.clone()).collect();
        param_keys.extend(zip.iter().map(|(k, _)| k.clone()));
        let exp = Experiment {
            name: raw.name,
            description: raw.description,
            question: raw.question,
            path: path.to_path_buf(),
            text: text.to_string(),
            base_path,
            seed: raw.seed,
            replications: raw.replications,
            confidence: raw.confidence,
            set: pairs(&raw.set),
            points,
            param_keys,
            grid_keys: grid.iter().map(|(k, _)| k.clone()).collect(),
            variants,
            metrics: raw.metrics,
            fingerprint: {
                let mut h = Sha256::new();
                h.update(text.as_bytes());
                h.update([0]);
                h.update(base_text.as_bytes());
                h.finalize().iter().map(|b| format!("{b:02x}")).collect()
            },
            base_text,
        };
        // Every (point, variant) must make a valid scenario before anything
        // runs.
        for p in 0..exp.points.len() {
            for v in 0..exp.variants.len() {
                exp.scenario(p, v, exp.seed)?;
            }
        }
        Ok(exp)
    }

    /// A fingerprint of the experiment and its base: run files of another
    /// experiment are never mixed in.
    pub fn hash(&self) -> &str {
        &self.fingerprint
    }

    /// Every run, in plan order: point, then replication, then variant (so
    /// a shard holds whole paired sets when N divides the variants).
    pub fn plan(&self) -> Vec<RunSpec> {
        let mut runs = Vec::new();
        for point in 0..self.points.len() {
            for replication in 0..self.replications {
                let seed = derive_seed(self.seed, point as u64, replication as u64);
                for variant in 0..self.variants.len() {
                    runs.push(RunSpec {
                        index: runs.len(),
                        point,
                        variant,
                        replication,
                        seed,
                    });
                }
            }
        }
        runs
    }

    /// The scenario of (point, variant) with this seed.
    pub fn scenario(
        &self,
        point: usize,
        variant: usize,
        seed: u64,
    ) -> Result<codexsim_config::Scenario, SweepError> {
        let mut doc: toml::Table = self
            .base_text
            .parse()
            .map_err(|e: toml::de::Error| bad(&self.base_path, e.to_string()))?;
        let sets = self
            .set
            .iter()
            .map(|kv| ("set", kv))
            .chain(self.points[point].params.iter().map(|kv| ("point", kv)))
            .chain(self.variants[variant].set.iter().map(|kv| ("variant", kv)));
        for (_, (key, value)) in sets {
            set_path(&mut doc, key, value.clone()).map_err(|d| bad(&self.path, d))?;
        }
        let text = toml::to_string(&doc).map_err(|e| bad(&self.path, e.to_string()))?;
        let origin = format!(
            "{} (point {point}{}, variant {})",
            self.base_path.display(),
            self.describe_point(point),
            self.variants[variant].name
        );
        codexsim_config::parse(&text, &origin)
            .map(|s| s.with_seed(seed))
            .map_err(|e| SweepError::Scenario(e.to_string()))
    }

    /// `: workload.nodes = 10, workload.tolerance = 4` (empty without
    /// parameters).
    pub fn describe_point(&self, point: usize) -> String {
        let p = &self.points[point];
        if p.params.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = p.params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        format!(": {}", parts.join(", "))
    }
}

/// A run's seed from (experiment seed, point, replication): SplitMix64
/// finalisers chained, so nearby inputs give unrelated seeds.
pub fn derive_seed(seed: u64, point: u64, replication: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(mix(mix(seed) ^ point) ^ replication)
}

/// Sets `key` (`a.b[2].c`) in a TOML document, creating missing tables.
pub fn set_path(doc: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(format!("key {key:?}: empty segment"));
    }
    let mut table = doc;
    for (i, seg) in segments.iter().enumerate() {
        let (name, index) = match seg.find('[') {
            Some(b) if seg.ends_with(']') => {
                let idx: usize = seg[b + 1..seg.len() - 1]
                    .parse()
                    .map_err(|_| format!("key {key:?}: bad index in {seg:?}"))?;
                (&seg[..b], Some(idx))
            }
            Some(_) => return Err(format!("key {key:?}: bad index in {seg:?}")),
            None => (*seg, None),
        };
        let last = i + 1 == segments.len();
        match index {
            None if last => {
                table.insert(name.to_string(), value);
                return Ok(());
            }
            None => {
                let entry = table
                    .entry(name.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                table = entry
                    .as_table_mut()
                    .ok_or_else(|| format!("key {key:?}: {name} is not a table"))?;
            }
            Some(idx) => {
                let array = table
                    .get_mut(name)
                    .and_then(toml::Value::as_array_mut)
                    .ok_or_else(|| format!("key {key:?}: the base has no array {name}"))?;
                let len = array.len();
                let elem = array
                    .get_mut(idx)
                    .ok_or_else(|| format!("key {key:?}: {name} has {len} entries, no [{idx}]"))?;
                if last {
                    *elem = value;
                    return Ok(());
                }
                table = elem
                    .as_table_mut()
                    .ok_or_else(|| format!("key {key:?}: {name}[{idx}] is not a table"))?;
            }
        }
    }
    unreachable!("the last segment returns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_set_nested_and_indexed_keys() {
        let mut doc: toml::Table = "[run]\nseed = 1\n[[node_groups]]\ncount = 5\n"
            .parse()
            .unwrap();
        set_path(&mut doc, "run.duration_s", toml::Value::from("2 days")).unwrap();
        set_path(&mut doc, "node_groups[0].count", toml::Value::from(7)).unwrap();
        set_path(&mut doc, "repair.lazy_threshold", toml::Value::from(2)).unwrap();
        let text = toml::to_string(&doc).unwrap();
        assert!(text.contains("duration_s = \"2 days\""), "{text}");
        assert!(text.contains("count = 7"), "{text}");
        assert!(text.contains("[repair]\nlazy_threshold = 2"), "{text}");
        let err = set_path(&mut doc, "node_groups[3].count", toml::Value::from(1)).unwrap_err();
        assert!(err.contains("node_groups has 1 entries, no [3]"), "{err}");
        let err = set_path(&mut doc, "run.seed.x", toml::Value::from(1)).unwrap_err();
        assert!(err.contains("seed is not a table"), "{err}");
    }

    #[test]
    fn seeds_differ_by_point_and_replication_only() {
        let a = derive_seed(1, 0, 0);
        assert_ne!(a, derive_seed(1, 0, 1));
        assert_ne!(a, derive_seed(1, 1, 0));
        assert_ne!(a, derive_seed(2, 0, 0));
        assert_eq!(a, derive_seed(1, 0, 0));
    }
}
