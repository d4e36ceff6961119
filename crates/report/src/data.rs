//! A finished run directory read back: the fleet's time series, capacity per
//! failure domain, link traffic, canary rounds, the summary and provenance.
//!
//! Everything drawn comes from these files alone, so `codexsim plot RUN_DIR`
//! redraws exactly what `codexsim run` drew.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ReportError;

/// A CSV file of numbers, column by column (`fleet.csv`).
#[derive(Clone, Debug, Default)]
pub struct Table {
    file: String,
    columns: Vec<String>,
    values: Vec<Vec<f64>>,
}

impl Table {
    /// Reads a CSV file whose every field is a number.
    pub fn read(path: &Path) -> Result<Table, ReportError> {
        let file = path.display().to_string();
        let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, e))?;
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(String::from)
            .collect();
        let mut values = vec![Vec::new(); columns.len()];
        for (row, record) in reader.records().enumerate() {
            let record = record.map_err(|e| csv_error(path, e))?;
            for (k, field) in record.iter().enumerate() {
                let v: f64 = field.parse().map_err(|_| ReportError::Malformed {
                    file: file.clone(),
                    detail: format!(
                        "row {}, column {}: {field:?} is not a number",
                        row + 2,
                        columns[k]
                    ),
                })?;
                values[k].push(v);
            }
        }
        Ok(Table {
            file,
            columns,
            values,
        })
    }

    /// A table from columns (for tests and callers that build data).
    pub fn from_columns(file: &str, columns: Vec<(&str, Vec<f64>)>) -> Table {
        Table {
            file: file.into(),
            columns: columns.iter().map(|(n, _)| n.to_string()).collect(),
            values: columns.into_iter().map(|(_, v)| v).collect(),
        }
    }

    /// A column by name.
    pub fn col(&self, name: &str) -> Result<&[f64], ReportError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .map(|k| self.values[k].as_slice())
            .ok_or_else(|| ReportError::MissingColumn {
                file: self.file.clone(),
                column: name.into(),
            })
    }

    /// A column by name, for changing it (tests that check charts follow
    /// the data).
    pub fn col_mut(&mut self, name: &str) -> Option<&mut Vec<f64>> {
        let k = self.columns.iter().position(|c| c == name)?;
        Some(&mut self.values[k])
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Capacity over time of one failure domain (or node group).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DomainSeries {
    /// Its name, as in `links.csv` (`machine-0`) or the group's name.
    pub name: String,
    /// Sample times, seconds.
    pub time_s: Vec<f64>,
    /// Storage quota of its nodes, bytes.
    pub quota_bytes: Vec<f64>,
    /// `codex_repostore_bytes_used` of its nodes.
    pub used_bytes: Vec<f64>,
    /// `codex_repostore_bytes_reserved` of its nodes.
    pub reserved_bytes: Vec<f64>,
}

/// Cumulative traffic over one shared link in one direction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkSeries {
    /// The link (`machine-0`, `rack-1`...).
    pub link: String,
    /// `up` or `down`.
    pub direction: String,
    /// Sample times, seconds.
    pub time_s: Vec<f64>,
    /// Bytes moved so far, all purposes.
    pub bytes_total: Vec<f64>,
}

/// One canary round (`canary.csv`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct CanaryRound {
    /// When it ended, seconds.
    pub time_s: f64,
    /// The node uploaded to.
    pub upload_node: u32,
    /// The node that downloaded.
    pub download_node: u32,
    /// `ok`, `node_down` or `timeout`.
    pub outcome: String,
    /// Upload duration, seconds (when it completed).
    pub upload_s: Option<f64>,
    /// Download duration, seconds (when it completed).
    pub download_s: Option<f64>,
}

/// Everything a report shows, read from a run directory.
#[derive(Clone, Debug)]
pub struct RunData {
    /// The scenario's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// `fleet.csv`.
    pub fleet: Table,
    /// What `domains` are: a failure-domain level's name, or `group`.
    pub domain_kind: String,
    /// Capacity per domain of the outermost level (per node group when the
    /// scenario has no levels); empty without `nodes.csv`.
    pub domains: Vec<DomainSeries>,
    /// `links.csv`, per link and direction.
    pub links: Vec<LinkSeries>,
    /// `canary.csv`, when the scenario has canaries.
    pub canary: Option<Vec<CanaryRound>>,
    /// `summary.json`.
    pub summary: serde_json::Value,
    /// `manifest.json`.
    pub manifest: serde_json::Value,
    /// `config.toml`, the resolved configuration.
    pub config_toml: String,
}

#[derive(Deserialize)]
struct NodeRow {
    time_s: f64,
    node: u32,
    group: String,
    quota_bytes: f64,
    codex_repostore_bytes_reserved: f64,
    codex_repostore_bytes_used: f64,
}

#[derive(Deserialize)]
struct LinkRow {
    time_s: f64,
    link: String,
    direction: String,
    fill_bytes_total: f64,
    repair_bytes_total: f64,
    canary_bytes_total: f64,
}

fn csv_error(path: &Path, e: csv::Error) -> ReportError {
    ReportError::Malformed {
        file: path.display().to_string(),
        detail: e.to_string(),
    }
}

fn read_text(path: &Path) -> Result<String, ReportError> {
    fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn read_json(path: &Path) -> Result<serde_json::Value, ReportError> {
    serde_json::from_str(&read_text(path)?).map_err(|e| ReportError::Malformed {
        file: path.display().to_string(),
        detail: e.to_string(),
    })
}

impl RunData {
    /// Reads a run directory written by `codexsim run`.
    pub fn load(dir: &Path) -> Result<RunData, ReportError> {
        let need = |name: &str| -> Result<PathBuf, ReportError> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(ReportError::NotARunDir {
                    dir: dir.display().to_string(),
                    missing: name.into(),
                })
            }
        };
        let fleet = Table::read(&need("fleet.csv")?)?;
        let summary = read_json(&need("summary.json")?)?;
        let manifest = read_json(&need("manifest.json")?)?;
        let config_toml = read_text(&need("config.toml")?)?;
        // The domains of the outermost level, from the run's own resolved
        // configuration.
        let scenario = codexsim_config::parse(&config_toml, "config.toml").map_err(|e| {
            ReportError::Malformed {
                file: dir.join("config.toml").display().to_string(),
                detail: e.to_string(),
            }
        })?;
        let (domain_kind, node_label): (String, Option<Vec<String>>) =
            match scenario.domain_levels.first() {
                Some(level) => {
                    let labels = scenario
                        .node_domains()
                        .iter()
                        .map(|d| format!("{}-{}", level.name, d[0]))
                        .collect();
                    (level.name.clone(), Some(labels))
                }
                None => ("group".into(), None),
            };
        let nodes_path = dir.join("nodes.csv");
        let domains = if nodes_path.is_file() {
            read_domains(&nodes_path, node_label.as_deref())?
        } else {
            Vec::new()
        };
        let links = read_links(&need("links.csv")?)?;
        let canary_path = dir.join("canary.csv");
        let canary = if canary_path.is_file() {
            let mut reader =
                csv::Reader::from_path(&canary_path).map_err(|e| csv_error(&canary_path, e))?;
            let rounds: Result<Vec<CanaryRound>, _> = reader.deserialize().collect();
            Some(rounds.map_err(|e| csv_error(&canary_path, e))?)
        } else {
            None
        };
        Ok(RunData {
            name: scenario.name.clone().unwrap_or_else(|| "scenario".into()),
            description: scenario.source.description.clone(),
            fleet,
            domain_kind,
            domains,
            links,
            canary,
            summary,
            manifest,
            config_toml,
        })
    }
}

/// Sums `nodes.csv` per domain (or group) and sample time.
fn read_domains(path: &Path, labels: Option<&[String]>) -> Result<Vec<DomainSeries>, ReportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, e))?;
    let mut by_name: BTreeMap<String, DomainSeries> = BTreeMap::new();
    for row in reader.deserialize::<NodeRow>() {
        let row = row.map_err(|e| csv_error(path, e))?;
        let name = match labels {
            Some(l) => l
                .get(row.node as usize)
                .cloned()
                .ok_or_else(|| ReportError::Malformed {
                    file: path.display().to_string(),
                    detail: format!("node {} is not in the run's configuration", row.node),
                })?,
            None => row.group,
        };
        let d = by_name.entry(name.clone()).or_insert_with(|| DomainSeries {
            name,
            ..DomainSeries::default()
        });
        if d.time_s.last() != Some(&row.time_s) {
            d.time_s.push(row.time_s);
            d.quota_bytes.push(0.0);
            d.used_bytes.push(0.0);
            d.reserved_bytes.push(0.0);
        }
        *d.quota_bytes.last_mut().expect("pushed") += row.quota_bytes;
        *d.used_bytes.last_mut().expect("pushed") += row.codex_repostore_bytes_used;
        *d.reserved_bytes.last_mut().expect("pushed") += row.codex_repostore_bytes_reserved;
    }
    let mut out: Vec<DomainSeries> = by_name.into_values().collect();
    // machine-2 before machine-10.
    out.sort_by_key(|d| natural_key(&d.name));
    Ok(out)
}

fn read_links(path: &Path) -> Result<Vec<LinkSeries>, ReportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, e))?;
    let mut by_key: BTreeMap<(String, String), LinkSeries> = BTreeMap::new();
    for row in reader.deserialize::<LinkRow>() {
        let row = row.map_err(|e| csv_error(path, e))?;
        let s = by_key
            .entry((row.link.clone(), row.direction.clone()))
            .or_insert_with(|| LinkSeries {
                link: row.link,
                direction: row.direction,
                ..LinkSeries::default()
            });
        s.time_s.push(row.time_s);
        s.bytes_total
            .push(row.fill_bytes_total + row.repair_bytes_total + row.canary_bytes_total);
    }
    let mut out: Vec<LinkSeries> = by_key.into_values().collect();
    out.sort_by_key(|s| (natural_key(&s.link), s.direction.clone()));
    Ok(out)
}

/// Sorts names with numbers by the numbers' values.
fn natural_key(name: &str) -> (String, u64) {
    let digits: String = name
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let stem = name[..name.len() - digits.len()].to_string();
    (stem, digits.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_puts_two_before_ten() {
        let mut v = vec!["machine-10", "machine-2", "machine-0"];
        v.sort_by_key(|n| natural_key(n));
        assert_eq!(v, vec!["machine-0", "machine-2", "machine-10"]);
    }
}
