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
    /// `downloads.csv`, when transfers moved as block downloads.
    pub downloads: Option<Vec<codexsim_model::output::BlockDownloadRecord>>,
    /// `money.csv`, when the run wrote it.
    pub money: Option<Vec<codexsim_model::output::MoneySample>>,
    /// From `accounts.csv`, per sample: (time, lowest, median, highest host
    /// profit), summarised as it is read.
    pub host_profit: Vec<(f64, f64, f64, f64)>,
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

/// `accounts.csv` summarised per sample (rows of a sample are consecutive):
/// the lowest, median and highest host profit.
fn read_host_profit(path: &Path) -> Result<Vec<(f64, f64, f64, f64)>, ReportError> {
    let mut out = Vec::new();
    let mut time = f64::NAN;
    let mut profits: Vec<f64> = Vec::new();
    let mut flush = |time: f64, profits: &mut Vec<f64>| {
        if profits.is_empty() {
            return;
        }
        profits.sort_by(f64::total_cmp);
        let n = profits.len();
        out.push((time, profits[0], profits[n / 2], profits[n - 1]));
        profits.clear();
    };
    each_row(path, |r: codexsim_model::output::AccountSample| {
        if r.time_s != time {
            flush(time, &mut profits);
            time = r.time_s;
        }
        profits.push(r.profit as f64);
        Ok(())
    })?;
    flush(time, &mut profits);
    Ok(out)
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
        let downloads_path = dir.join(codexsim_model::output::BlockDownloadRecord::FILE);
        let downloads = if downloads_path.is_file() {
            Some(read_rows(&downloads_path)?)
        } else {
            None
        };
        let money_path = dir.join(codexsim_model::output::MoneySample::FILE);
        let money = if money_path.is_file() {
            Some(read_rows(&money_path)?)
        } else {
            None
        };
        let accounts_path = dir.join(codexsim_model::output::AccountSample::FILE);
        let host_profit = if accounts_path.is_file() {
            read_host_profit(&accounts_path)?
        } else {
            Vec::new()
        };
        Ok(RunData {
            downloads,
            money,
            host_profit,
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

/// `nodes.csv` summed per domain (or group) and sample time, row by row:
/// what it holds is a domain's sums per sample, never a node's series, so a
/// run of 10,000 nodes is read back in the memory of its few domains.
#[derive(Debug)]
pub struct DomainSums<'a> {
    /// Each node's domain label (by node index); `None`: by group.
    labels: Option<&'a [String]>,
    by_name: BTreeMap<String, DomainSeries>,
}

impl<'a> DomainSums<'a> {
    /// Sums by the domain `labels[node]`, or by group without labels.
    pub fn new(labels: Option<&'a [String]>) -> Self {
        DomainSums {
            labels,
            by_name: BTreeMap::new(),
        }
    }

    /// Adds one row. Rows come sample by sample, as `nodes.csv` has them.
    /// `Err` names the node when it has no domain.
    pub fn add(&mut self, row: NodeSample) -> Result<(), String> {
        let name = match self.labels {
            Some(l) => l
                .get(row.node as usize)
                .cloned()
                .ok_or_else(|| format!("node {} is not in the run's configuration", row.node))?,
            None => row.group,
        };
        let d = self
            .by_name
            .entry(name.clone())
            .or_insert_with(|| DomainSeries {
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
    }

    /// Values held: a time and three sums per domain and sample, whatever
    /// the number of nodes.
    pub fn values_held(&self) -> usize {
        self.by_name
            .values()
            .map(|d| {
                d.time_s.len() + d.quota_bytes.len() + d.used_bytes.len() + d.reserved_bytes.len()
            })
            .sum()
    }

    /// The domains' series, `machine-2` before `machine-10`.
    pub fn finish(self) -> Vec<DomainSeries> {
        let mut out: Vec<DomainSeries> = self.by_name.into_values().collect();
        out.sort_by_key(|d| natural_key(&d.name));
        out
    }
}

/// Sums `nodes.csv` per domain (or group) and sample time, streaming it.
fn read_domains(path: &Path, labels: Option<&[String]>) -> Result<Vec<DomainSeries>, ReportError> {
    let mut sums = DomainSums::new(labels);
    each_row(path, |row: NodeSample| {
        sums.add(row).map_err(|detail| ReportError::Malformed {
            file: path.display().to_string(),
            detail,
        })
    })?;
    Ok(sums.finish())
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

    fn row(time_s: f64, node: u32) -> NodeSample {
        NodeSample {
            time_s,
            node,
            group: "storage".into(),
            up: 1,
            quota_bytes: 10,
            offered_bytes: 10,
            codex_repostore_bytes_reserved: 1,
            codex_repostore_bytes_used: node as u64,
            slots: 0,
            net_rx_fill_bytes_total: 0,
            net_rx_repair_bytes_total: 0,
            net_rx_canary_bytes_total: 0,
            net_tx_fill_bytes_total: 0,
            net_tx_repair_bytes_total: 0,
            net_tx_canary_bytes_total: 0,
            net_rx_renewal_bytes_total: 0,
            net_tx_renewal_bytes_total: 0,
        }
    }

    /// nodes.csv is summed as it is read: 10,000 nodes over 25 samples
    /// leave 25 racks' sums, not 250,000 rows (a reader that kept the
    /// nodes' series would hold 400 times as many values).
    #[test]
    fn node_rows_are_summed_per_domain_not_kept() {
        let nodes = 10_000u32;
        let racks = 25;
        let samples = 25;
        let labels: Vec<String> = (0..nodes).map(|i| format!("rack-{}", i % racks)).collect();
        let mut sums = DomainSums::new(Some(&labels));
        for t in 0..samples {
            for n in 0..nodes {
                sums.add(row(t as f64 * 3600.0, n)).unwrap();
            }
            assert!(sums.values_held() <= 4 * racks as usize * (t + 1));
        }
        assert_eq!(sums.values_held(), 4 * racks as usize * samples);
        let out = sums.finish();
        assert_eq!(out.len(), racks as usize);
        assert_eq!(out[2].name, "rack-2");
        assert_eq!(out[2].time_s.len(), samples);
        // Nodes 2, 27, 52, ... : 400 nodes, used bytes = their indices.
        let used: u64 = (0..nodes as u64).filter(|i| i % 25 == 2).sum();
        assert_eq!(out[2].used_bytes[samples - 1], used as f64);
        assert_eq!(out[2].quota_bytes[0], 4_000.0);
        let mut bad = DomainSums::new(Some(&labels));
        let e = bad.add(row(0.0, nodes)).unwrap_err();
        assert!(e.contains("node 10000"), "{e}");
    }

    #[test]
    fn natural_order_puts_two_before_ten() {
        let mut v = vec!["machine-10", "machine-2", "machine-0"];
        v.sort_by_key(|n| natural_key(n));
        assert_eq!(v, vec!["machine-0", "machine-2", "machine-10"]);
    }
}
