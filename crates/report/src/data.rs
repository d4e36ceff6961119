//! Owns reading a finished run directory back: the fleet's time series,
//! capacity per failure domain, link traffic, canary rounds, the summary and
//! provenance, each file read as its record type in
//! `codexsim_model::output` (the one description of its columns, which the
//! binary writes with).
//!
//! Everything drawn comes from these files alone, so `codexsim plot RUN_DIR`
//! redraws exactly what `codexsim run` drew.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use codexsim_model::output::{
    CanaryRecord, FleetSample, LinkSample, Manifest, NodeSample, Summary,
};
use serde::de::DeserializeOwned;

use crate::ReportError;

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

/// Everything a report shows, read from a run directory.
#[derive(Clone, Debug)]
pub struct RunData {
    /// The scenario's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// `fleet.csv`, sample by sample.
    pub fleet: Vec<FleetSample>,
    /// What `domains` are: a failure-domain level's name, or `group`.
    pub domain_kind: String,
    /// Capacity per domain of the outermost level (per node group when the
    /// scenario has no levels); empty without `nodes.csv`.
    pub domains: Vec<DomainSeries>,
    /// `links.csv`, per link and direction.
    pub links: Vec<LinkSeries>,
    /// `canary.csv`, when the scenario has canaries.
    pub canary: Option<Vec<CanaryRecord>>,
    /// `summary.json`.
    pub summary: Summary,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `config.toml`, the resolved configuration.
    pub config_toml: String,
}

/// A CSV error, with the row (its line in the file) and the column's name
/// when a field could not be read.
fn csv_error(path: &Path, headers: Option<&csv::StringRecord>, e: csv::Error) -> ReportError {
    let detail = match e.kind() {
        csv::ErrorKind::Deserialize { pos, err } => {
            let mut at = Vec::new();
            if let Some(p) = pos {
                at.push(format!("row {}", p.line()));
            }
            if let Some(name) = err.field().and_then(|k| headers?.get(k as usize)) {
                at.push(format!("column {name}"));
            }
            if at.is_empty() {
                err.kind().to_string()
            } else {
                format!("{}: {}", at.join(", "), err.kind())
            }
        }
        _ => e.to_string(),
    };
    ReportError::Malformed {
        file: path.display().to_string(),
        detail,
    }
}

/// Reads a CSV file of the run directory row by row, as its record type.
fn each_row<T: DeserializeOwned>(
    path: &Path,
    mut f: impl FnMut(T) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, None, e))?;
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, None, e))?
        .clone();
    for row in reader.deserialize() {
        f(row.map_err(|e| csv_error(path, Some(&headers), e))?)?;
    }
    Ok(())
}

/// Every row of a CSV file of the run directory, as its record type.
fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReportError> {
    let mut rows = Vec::new();
    each_row(path, |r| {
        rows.push(r);
        Ok(())
    })?;
    Ok(rows)
}

fn read_text(path: &Path) -> Result<String, ReportError> {
    fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    serde_json::from_str(&read_text(path)?).map_err(|e| ReportError::Malformed {
        file: path.display().to_string(),
        detail: e.to_string(),
    })
}

impl RunData {
    /// The time of the fleet's last sample, seconds (0 without samples).
    pub fn end_s(&self) -> f64 {
        self.fleet.last().map_or(0.0, |s| s.time_s)
    }

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
        let fleet = read_rows(&need(FleetSample::FILE)?)?;
        let summary = read_json(&need(Summary::FILE)?)?;
        let manifest = read_json(&need(Manifest::FILE)?)?;
        let config_toml = read_text(&need(Manifest::CONFIG_FILE)?)?;
        // The domains of the outermost level, from the run's own resolved
        // configuration.
        let scenario = codexsim_config::parse(&config_toml, "config.toml").map_err(|e| {
            ReportError::Malformed {
                file: dir.join(Manifest::CONFIG_FILE).display().to_string(),
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
        let nodes_path = dir.join(NodeSample::FILE);
        let domains = if nodes_path.is_file() {
            read_domains(&nodes_path, node_label.as_deref())?
        } else {
            Vec::new()
        };
        let links = read_links(&need(LinkSample::FILE)?)?;
        let canary_path = dir.join(CanaryRecord::FILE);
        let canary = if canary_path.is_file() {
            Some(read_rows(&canary_path)?)
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
    let mut by_name: BTreeMap<String, DomainSeries> = BTreeMap::new();
    each_row(path, |row: NodeSample| {
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
        *d.quota_bytes.last_mut().expect("pushed") += row.quota_bytes as f64;
        *d.used_bytes.last_mut().expect("pushed") += row.codex_repostore_bytes_used as f64;
        *d.reserved_bytes.last_mut().expect("pushed") += row.codex_repostore_bytes_reserved as f64;
        Ok(())
    })?;
    let mut out: Vec<DomainSeries> = by_name.into_values().collect();
    // machine-2 before machine-10.
    out.sort_by_key(|d| natural_key(&d.name));
    Ok(out)
}

fn read_links(path: &Path) -> Result<Vec<LinkSeries>, ReportError> {
    let mut by_key: BTreeMap<(String, String), LinkSeries> = BTreeMap::new();
    each_row(path, |row: LinkSample| {
        let s = by_key
            .entry((row.link.clone(), row.direction.to_string()))
            .or_insert_with(|| LinkSeries {
                link: row.link,
                direction: row.direction.to_string(),
                ..LinkSeries::default()
            });
        s.time_s.push(row.time_s);
        s.bytes_total.push(
            row.fill_bytes_total as f64
                + row.repair_bytes_total as f64
                + row.canary_bytes_total as f64,
        );
        Ok(())
    })?;
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
