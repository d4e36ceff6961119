//! Transfers replayed on a scenario's network, without the rest of the
//! model: `codexsim flows replay`.
//!
//! The network is the one a run of the scenario builds (`NetState::new`:
//! the domain levels' links, every node's own link and disk, the clients'
//! lines) in the scenario's sharing mode (`sharing::flow_net`). A transfer
//! from `node-I` reads node I's disk, climbs to the lowest common ancestor
//! over up links, descends over down links and writes the destination's
//! disk (when it is a node): the path of `Topology::path`, as in a run.
//! Every distinct `client-J` is a client of its own with its own line.
//!
//! Latency is applied as the model applies it: a transfer's bytes flow from
//! its start at the shared rate (latency delays nothing and weighs nothing
//! in the sharing), and its end is its last byte's time plus the one-way
//! latency of its path (the sum of its links' latencies).
//!
//! A transfer's own rate limit is the `rate_cap_bytes_per_s` column only
//! (a run caps fills and repairs at the destination group's
//! `transfer_rate_bytes_per_s`; a replay applies what the row says).

use codexsim_config::Scenario;
use codexsim_net::replay::TimedFlow;
use codexsim_net::{Endpoint, Purpose};
use thiserror::Error;

use crate::network::NetState;
use crate::sharing::flow_net;

/// One transfer to replay.
#[derive(Clone, Debug, PartialEq)]
pub struct Transfer {
    /// When it starts, nanoseconds.
    pub start_ns: u64,
    /// Where it starts.
    pub from: Endpoint,
    /// Where it ends.
    pub to: Endpoint,
    /// Its size.
    pub bytes: u64,
    /// Its own rate limit, if any.
    pub rate_cap_bytes_per_s: Option<f64>,
}

/// A transfer list that cannot be read or replayed.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ReplayError {
    /// The text is not CSV (or a row could not be read).
    #[error("line {line}: {message}")]
    Csv {
        /// The line (1 is the header).
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// The header lacks a required column.
    #[error("line 1: the header has no column `{column}` (columns: start_s,from,to,bytes and optionally rate_cap_bytes_per_s)")]
    MissingColumn {
        /// The column.
        column: &'static str,
    },
    /// The header names a column twice, or one that is not known.
    #[error("line 1: column `{column}`: {rule}")]
    BadHeader {
        /// The column as written.
        column: String,
        /// What is wrong.
        rule: &'static str,
    },
    /// A row has more or fewer values than the header has columns.
    #[error("line {line}: {found} values for the header's {expected} columns")]
    Width {
        /// The line.
        line: u64,
        /// Values in the row.
        found: usize,
        /// Columns in the header.
        expected: usize,
    },
    /// A value breaks a rule.
    #[error("line {line}, column `{column}` = {value:?}: {rule}")]
    BadValue {
        /// The line.
        line: u64,
        /// The column.
        column: &'static str,
        /// The value as written.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A transfer's rate is 0 for good.
    #[error("line {line}: the transfer never ends (its rate is 0: a link or disk on its path has no capacity)")]
    Stalled {
        /// The line.
        line: u64,
    },
}

const COLUMNS: [&str; 5] = ["start_s", "from", "to", "bytes", "rate_cap_bytes_per_s"];
const REQUIRED: usize = 4;
/// The latest start, seconds (the nanosecond clock's range, with room).
const MAX_START_S: f64 = 1e10;

/// Reads a transfer list (CSV with a header of `start_s,from,to,bytes` and
/// optionally `rate_cap_bytes_per_s`, in any order; endpoints `node-I` or
/// `client-J`) for a fleet of `nodes` nodes. Returns the transfers in input
/// order with their lines, or the first problem.
pub fn parse_transfers(text: &str, nodes: u32) -> Result<Vec<(u64, Transfer)>, ReplayError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(ReplayError::MissingColumn { column: COLUMNS[0] }),
        Some(r) => r.map_err(|e| csv_error(&e))?,
    };
    // Per column of the file: which of COLUMNS it is.
    let mut at = [usize::MAX; COLUMNS.len()];
    for (k, name) in header.iter().enumerate() {
        // A byte-order mark before the first name is not part of it.
        let name = name.trim_start_matches('\u{feff}');
        match COLUMNS.iter().position(|c| *c == name) {
            None => {
                return Err(ReplayError::BadHeader {
                    column: name.into(),
                    rule: "unknown column (columns: start_s,from,to,bytes and optionally rate_cap_bytes_per_s)",
                })
            }
            Some(c) if at[c] != usize::MAX => {
                return Err(ReplayError::BadHeader {
                    column: name.into(),
                    rule: "named twice",
                })
            }
            Some(c) => at[c] = k,
        }
    }
    if let Some(c) = (0..REQUIRED).find(|&c| at[c] == usize::MAX) {
        return Err(ReplayError::MissingColumn { column: COLUMNS[c] });
    }
    let mut out = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(&e))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            // A blank line is no row.
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            return Err(ReplayError::Width {
                line,
                found: record.len(),
                expected: header.len(),
            });
        }
        let cell = |c: usize| &record[at[c]];
        let bad = |c: usize, rule: String| ReplayError::BadValue {
            line,
            column: COLUMNS[c],
            value: cell(c).into(),
            rule,
        };
        let start_s: f64 = cell(0)
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= MAX_START_S)
            .ok_or_else(|| {
                bad(
                    0,
                    format!("must be a number of seconds, at least 0 and at most {MAX_START_S:e}"),
                )
            })?;
        let from = endpoint(cell(1), nodes).map_err(|rule| bad(1, rule))?;
        let to = endpoint(cell(2), nodes).map_err(|rule| bad(2, rule))?;
        if from == to {
            return Err(bad(2, format!("must differ from `from` ({})", cell(1))));
        }
        let bytes: u64 = cell(3)
            .parse()
            .ok()
            .filter(|&b| b > 0)
            .ok_or_else(|| bad(3, "must be a whole number of bytes, at least 1".into()))?;
        let rate_cap_bytes_per_s = match at[4] {
            k if k == usize::MAX || record[k].is_empty() => None,
            _ => Some(
                cell(4)
                    .parse()
                    .ok()
                    .filter(|r: &f64| r.is_finite() && *r > 0.0)
                    .ok_or_else(|| {
                        bad(
                            4,
                            "must be a number of bytes per second above 0 (or empty for none)"
                                .into(),
                        )
                    })?,
            ),
        };
        out.push((
            line,
            Transfer {
                start_ns: (start_s * 1e9).round() as u64,
                from,
                to,
                bytes,
                rate_cap_bytes_per_s,
            },
        ));
    }
    Ok(out)
}

fn csv_error(e: &csv::Error) -> ReplayError {
    let line = e.position().map_or(0, |p| p.line());
    ReplayError::Csv {
        line,
        message: e.to_string(),
    }
}

/// `node-I` (I below `nodes`) or `client-J`.
fn endpoint(text: &str, nodes: u32) -> Result<Endpoint, String> {
    let index = |digits: &str| -> Option<u32> {
        // Digits only: no sign, no spaces, no leading `+`.
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    if let Some(i) = text.strip_prefix("node-").and_then(index) {
        return if i < nodes {
            Ok(Endpoint::Host(i))
        } else {
            Err(format!(
                "node index out of range: the scenario has {nodes} nodes (node-0 to node-{})",
                nodes.saturating_sub(1)
            ))
        };
    }
    if let Some(j) = text.strip_prefix("client-").and_then(index) {
        return Ok(Endpoint::Client(j));
    }
    Err("must be node-I (a node of the scenario, from 0) or client-J (any J from 0)".into())
}

/// Replays `transfers` (with their lines, as [`parse_transfers`] returns
/// them) on the scenario's network and returns every transfer's end in
/// nanoseconds (its last byte plus its path's latency), in input order.
pub fn replay(cfg: &Scenario, transfers: &[(u64, Transfer)]) -> Result<Vec<u64>, ReplayError> {
    let NetState {
        mut flows,
        mut topo,
        ..
    } = NetState::new(cfg, flow_net(cfg.network.sharing));
    // Every distinct client-J gets a client of its own (its own line), in
    // order of first appearance.
    let mut clients: Vec<(u32, Endpoint)> = Vec::new();
    let mut timed = Vec::with_capacity(transfers.len());
    let mut latencies_ns = Vec::with_capacity(transfers.len());
    for (_, t) in transfers {
        let mut resolve = |e: Endpoint| match e {
            Endpoint::Host(_) => e,
            Endpoint::Client(j) => match clients.binary_search_by_key(&j, |&(k, _)| k) {
                Ok(at) => clients[at].1,
                Err(at) => {
                    let c = topo.add_client(&mut flows);
                    clients.insert(at, (j, c));
                    c
                }
            },
        };
        let (from, to) = (resolve(t.from), resolve(t.to));
        let (resources, latency_ns) = topo.path(from, to);
        latencies_ns.push(latency_ns);
        let purpose = match (t.from, t.to) {
            (Endpoint::Client(_), _) => Purpose::Fill,
            (_, Endpoint::Host(_)) => Purpose::Repair,
            _ => Purpose::Canary,
        };
        timed.push(TimedFlow {
            start_ns: t.start_ns,
            resources,
            cap_bytes_per_s: t.rate_cap_bytes_per_s.unwrap_or(f64::INFINITY),
            size_bytes: t.bytes,
            purpose,
        });
    }
    let finished = codexsim_net::replay::replay(&mut flows, &timed).map_err(|e| match e {
        codexsim_net::replay::ReplayError::Stalled { index } => ReplayError::Stalled {
            line: transfers[index].0,
        },
        // A new network has no flows; report the line of the first row.
        codexsim_net::replay::ReplayError::NotEmpty { .. } => ReplayError::Stalled {
            line: transfers.first().map_or(0, |t| t.0),
        },
    })?;
    Ok(finished
        .into_iter()
        .zip(latencies_ns)
        .map(|(f, l)| f.saturating_add(l))
        .collect())
}
