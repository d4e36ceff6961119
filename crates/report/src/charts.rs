//! Owns what a run's charts show: the description of a chart (panels of
//! lines over simulated time, or a distribution, with a quantity per axis)
//! and [`build`], every chart a run directory's files support. Values keep
//! their units until drawing ([`crate::draw`]), where each axis picks a
//! readable scale ([`crate::scale`]). Counters are cumulative in the run's
//! files; rates are their increments over bins ([`crate::series`]).

use codexsim_model::output::{CanaryOutcome, CanaryRecord, FleetSample};
use plotters::prelude::SeriesLabelPosition;

use crate::data::RunData;
use crate::scale::{per, tick, time_scale, Quantity, Scale};
use crate::series::{decimate, rate, zip, BINS};
use crate::style::{PANEL_H, PANEL_W};

/// One line of a panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its legend.
    pub label: String,
    /// Points `(x, y)`: x in seconds (time, or a duration in distribution
    /// panels), y in the panel's quantity.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (a limit, such as a quota).
    pub dashed: bool,
    /// Its colour: an index into the palette ([`crate::style::color`]).
    pub color: usize,
}

/// One plot area.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Its title.
    pub title: String,
    /// What the y axis shows, before its unit ("Bytes", "Proofs per day").
    pub y_what: String,
    /// The y values' quantity.
    pub y: Quantity,
    /// The x axis: time since the start (`None`), or a distribution of this
    /// quantity on a logarithmic axis.
    pub x_dist: Option<Quantity>,
    /// Whether the y axis starts at zero (else at the data's minimum).
    pub y_from_zero: bool,
    /// The lines.
    pub lines: Vec<Line>,
    /// Where the legend goes.
    pub legend: Legend,
}

/// A legend's corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Legend {
    /// Top left.
    UpperLeft,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

impl Legend {
    /// The corner in plotters' terms.
    pub fn position(self) -> SeriesLabelPosition {
        match self {
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

/// A chart: panels stacked vertically, or side by side.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// File stem (`capacity` makes `capacity.svg` and `capacity.png`).
    pub name: &'static str,
    /// Its title in the report.
    pub title: String,
    /// One sentence on how to read it.
    pub caption: String,
    /// Its panels.
    pub panels: Vec<Panel>,
    /// Panels side by side instead of stacked.
    pub side_by_side: bool,
}

impl Chart {
    /// Its size in pixels.
    pub fn size(&self) -> (u32, u32) {
        if self.side_by_side {
            (PANEL_W, PANEL_H)
        } else {
            (
                PANEL_W,
                PANEL_H * self.panels.len().max(1) as u32 * 3 / 4 + PANEL_H / 4,
            )
        }
    }
}

pub(crate) fn line(label: &str, points: Vec<(f64, f64)>, color: usize) -> Line {
    Line {
        label: label.into(),
        points,
        dashed: false,
        color,
    }
}

pub(crate) fn panel(title: &str, y_what: &str, y: Quantity, lines: Vec<Line>) -> Panel {
    Panel {
        title: title.into(),
        y_what: y_what.into(),
        y,
        x_dist: None,
        y_from_zero: true,
        lines,
        legend: Legend::UpperLeft,
    }
}

/// Every chart the run's files support, built from its data.
pub fn build(data: &RunData) -> Vec<Chart> {
    let f = &data.fleet;
    let t: Vec<f64> = f.iter().map(|s| s.time_s).collect();
    let t = t.as_slice();
    // A column of `fleet.csv`.
    let col =
        |get: fn(&FleetSample) -> u64| -> Vec<f64> { f.iter().map(|s| get(s) as f64).collect() };
    let end = data.end_s();
    let ts = time_scale(end);
    let per_unit = per(ts.unit);
    let per_s = ts.div.min(86_400.0);
    let mut charts = Vec::new();

    charts.push(Chart {
        name: "capacity",
        title: "Fleet capacity".into(),
        caption: "Storage quota of the fleet's nodes (those that have not left), bytes \
                  offered in availabilities, bytes reserved for slots being filled, and bytes \
                  of slot data stored."
            .into(),
        panels: vec![panel(
            "Capacity of the fleet",
            "Bytes",
            Quantity::Bytes,
            vec![
                line("quota", zip(t, &col(|s| s.quota_bytes)), 0),
                line("offered", zip(t, &col(|s| s.offered_bytes)), 1),
                line(
                    "reserved",
                    zip(t, &col(|s| s.codex_repostore_bytes_reserved)),
                    2,
                ),
                line("used", zip(t, &col(|s| s.codex_repostore_bytes_used)), 3),
            ],
        )],
        side_by_side: false,
    });

    if !data.domains.is_empty() {
        let mut lines = Vec::new();
        for (k, d) in data.domains.iter().enumerate() {
            lines.push(line(
                &format!("{} used", d.name),
                zip(&d.time_s, &d.used_bytes),
                k,
            ));
            lines.push(Line {
                dashed: true,
                ..line(
                    &format!("{} quota", d.name),
                    zip(&d.time_s, &d.quota_bytes),
                    k,
                )
            });
        }
        charts.push(Chart {
            name: "capacity_by_domain",
            title: format!("Capacity per {}", data.domain_kind),
            caption: format!(
                "Bytes of slot data stored on each {} (solid) against its nodes' quota \
                 (dashed; it drops when nodes leave for good).",
                data.domain_kind
            ),
            panels: vec![panel(
                &format!("Used bytes per {}", data.domain_kind),
                "Bytes",
                Quantity::Bytes,
                lines,
            )],
            side_by_side: false,
        });
    }

    let submitted = col(|s| s.codex_purchases_submitted_total);
    let lost = col(|s| s.datasets_lost_total);
    let surviving: Vec<(f64, f64)> = t
        .iter()
        .zip(submitted.iter().zip(&lost))
        .map(|(&t, (&s, &l))| (t, if s > 0.0 { 1.0 - l / s } else { 1.0 }))
        .collect();
    charts.push(Chart {
        name: "data_loss",
        title: "Contract failures and data loss".into(),
        caption: "A contract fails when more slots are freed and unfilled than it tolerates; \
                  a dataset is lost when fewer than K of its slots' data survive anywhere."
            .into(),
        panels: vec![
            panel(
                "Contract failures (cumulative)",
                "Requests failed",
                Quantity::Count,
                vec![line(
                    "contract failures",
                    zip(t, &col(|s| s.codex_purchases_failed_total)),
                    3,
                )],
            ),
            panel(
                "Datasets lost (cumulative)",
                "Datasets",
                Quantity::Count,
                vec![line("datasets lost", zip(t, &lost), 0)],
            ),
            panel(
                "Bytes lost (cumulative)",
                "Bytes",
                Quantity::Bytes,
                vec![line("bytes lost", zip(t, &col(|s| s.bytes_lost_total)), 0)],
            ),
            Panel {
                y_from_zero: false,
                ..panel(
                    "Datasets surviving",
                    "Datasets created so far",
                    Quantity::Percent,
                    vec![line("surviving", decimate(surviving), 2)],
                )
            },
        ],
        side_by_side: false,
    });

    let r = |get: fn(&FleetSample) -> u64| rate(t, &col(get), per_s);
    charts.push(Chart {
        name: "proofs",
        title: "Proofs, slashes and repairs".into(),
        caption: format!(
            "Storage proofs required of hosts and missed (each miss is slashed), and slots \
             filled, freed and repaired, per {per_unit}."
        ),
        panels: vec![
            panel(
                "Proofs required",
                &format!("Proofs per {per_unit}"),
                Quantity::Count,
                vec![line("required", r(|s| s.proofs_required_total), 0)],
            ),
            panel(
                "Missed proofs and slashes",
                &format!("Per {per_unit}"),
                Quantity::Count,
                vec![
                    line("missed", r(|s| s.proofs_missed_total), 3),
                    Line {
                        dashed: true,
                        ..line("slashes", r(|s| s.slashes_total), 1)
                    },
                ],
            ),
            panel(
                "Slots",
                &format!("Slots per {per_unit}"),
                Quantity::Count,
                vec![
                    line("filled", r(|s| s.slots_filled_total), 2),
                    line("freed", r(|s| s.slots_freed_total), 3),
                    line("repaired", r(|s| s.slots_repaired_total), 4),
                ],
            ),
        ],
        side_by_side: false,
    });

    let mut traffic = vec![panel(
        "Fleet traffic by purpose",
        "Average rate",
        Quantity::ByteRate,
        vec![
            line("fill", rate(t, &col(|s| s.net_fill_bytes_total), 1.0), 0),
            line(
                "repair",
                rate(t, &col(|s| s.net_repair_bytes_total), 1.0),
                3,
            ),
            line(
                "canary",
                rate(t, &col(|s| s.net_canary_bytes_total), 1.0),
                2,
            ),
        ],
    )];
    // The links of the outermost level (racks rather than the machines in
    // them): one line per link and direction stays readable.
    let prefix = format!("{}-", data.domain_kind);
    let outer: Vec<&crate::data::LinkSeries> = data
        .links
        .iter()
        .filter(|l| l.link.starts_with(&prefix))
        .collect();
    let shown: Vec<&crate::data::LinkSeries> = if outer.is_empty() {
        data.links.iter().collect()
    } else {
        outer
    };
    if !shown.is_empty() {
        let lines = shown
            .iter()
            .enumerate()
            .map(|(k, l)| Line {
                dashed: l.direction == "up",
                ..line(
                    &format!("{} {}", l.link, l.direction),
                    rate(&l.time_s, &l.bytes_total, 1.0),
                    k / 2,
                )
            })
            .collect();
        traffic.push(panel(
            &format!(
                "Shared links of each {} (down solid, up dashed)",
                if shown.len() < data.links.len() {
                    data.domain_kind.as_str()
                } else {
                    "domain"
                }
            ),
            "Average rate",
            Quantity::ByteRate,
            lines,
        ));
    }
    charts.push(Chart {
        name: "traffic",
        title: "Repair and fill traffic".into(),
        caption: "Bytes moved over the network per second, averaged over each bin: fleet-wide \
                  by purpose, and over each shared link of the outermost failure-domain level \
                  (links.csv has every level)."
            .into(),
        panels: traffic,
        side_by_side: false,
    });

    if let Some(rounds) = &data.canary {
        charts.push(canary_chart(rounds, end, ts));
    }
    if let Some(rows) = &data.downloads {
        let protocol = data
            .summary
            .exchange
            .as_ref()
            .map_or("", |e| e.protocol.as_str());
        charts.push(crate::blocks_chart::exchange_chart(rows, protocol));
    }
    if let Some(rows) = &data.money {
        charts.push(crate::money_chart::money_chart(
            rows,
            &data.host_profit,
            &data.summary.money,
        ));
    }
    charts
}

/// Success rate over time and the distribution of durations, per probe node.
fn canary_chart(rounds: &[CanaryRecord], end_s: f64, time: Scale) -> Chart {
    let mut nodes: Vec<u32> = rounds
        .iter()
        .flat_map(|r| [r.upload_node, r.download_node])
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    // About 1/BINS of the run per bin, with at least ten of a node's rounds
    // in a bin on average (a probe node takes part in two of every
    // `nodes.len()` rounds).
    let per_node = (rounds.len() * 2) as f64 / nodes.len().max(1) as f64;
    let bin_s = (end_s / BINS)
        .max(10.0 * end_s / per_node.max(1.0))
        .max(f64::MIN_POSITIVE);
    let bins = ((end_s / bin_s).ceil() as usize).max(1);
    let mut success = Vec::new();
    let mut cdf = Vec::new();
    for (k, &node) in nodes.iter().enumerate() {
        let mut tried = vec![0u32; bins];
        let mut ok = vec![0u32; bins];
        let mut durations = Vec::new();
        for r in rounds {
            if r.upload_node != node && r.download_node != node {
                continue;
            }
            let b = ((r.time_s / bin_s) as usize).min(bins - 1);
            tried[b] += 1;
            if r.outcome == CanaryOutcome::Ok {
                ok[b] += 1;
            }
            if r.upload_node == node {
                durations.extend(r.upload_s);
            }
            if r.download_node == node {
                durations.extend(r.download_s);
            }
        }
        let points = (0..bins)
            .filter(|&b| tried[b] > 0)
            .map(|b| {
                (
                    ((b + 1) as f64 * bin_s).min(end_s),
                    ok[b] as f64 / tried[b] as f64,
                )
            })
            .collect();
        success.push(line(&format!("node {node}"), points, k));
        durations.sort_by(f64::total_cmp);
        let n = durations.len();
        // The share of durations above each distinct duration (the last
        // is zero: drawn at the axis' floor).
        let mut points = Vec::new();
        for (i, &d) in durations.iter().enumerate() {
            if i + 1 < n && durations[i + 1] == d {
                continue;
            }
            points.push((d, (n - i - 1) as f64 / n as f64));
        }
        cdf.push(line(&format!("node {node}"), decimate(points), k));
    }
    Chart {
        name: "canary",
        title: "Canary probes".into(),
        caption: format!(
            "Share of canary rounds (an upload to one probe node, a download by the next) \
             that succeeded, over bins of {} {}, for every round a node took part in; and the \
             distribution of its completed upload and download durations: the share of \
             transfers slower than each duration (1 - CDF, so the tail is readable).",
            tick(bin_s / time.div),
            time.unit
        ),
        panels: vec![
            Panel {
                y_from_zero: false,
                legend: Legend::LowerLeft,
                ..panel(
                    "Round success per probe node",
                    "Rounds succeeded",
                    Quantity::Percent,
                    success,
                )
            },
            Panel {
                x_dist: Some(Quantity::Seconds),
                legend: Legend::LowerLeft,
                ..panel(
                    "Transfer durations (complementary CDF)",
                    "Share of transfers slower",
                    Quantity::Percent,
                    cdf,
                )
            },
        ],
        side_by_side: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::to_svg;

    /// A run of three hourly samples with every fleet column the charts use.
    fn tiny_run() -> RunData {
        let fleet = [
            (0.0, 0),
            (3600.0, 1_000_000_000_000),
            (7200.0, 2_000_000_000_000),
        ]
        .into_iter()
        .map(|(time_s, v)| FleetSample {
            time_s,
            quota_bytes: v,
            offered_bytes: v,
            codex_repostore_bytes_reserved: v,
            codex_repostore_bytes_used: v,
            codex_purchases_submitted_total: v,
            codex_purchases_failed_total: v,
            datasets_lost_total: v,
            bytes_lost_total: v,
            proofs_required_total: v,
            proofs_missed_total: v,
            slashes_total: v,
            slots_filled_total: v,
            slots_freed_total: v,
            slots_repaired_total: v,
            net_fill_bytes_total: v,
            net_repair_bytes_total: v,
            net_canary_bytes_total: v,
            ..FleetSample::default()
        })
        .collect();
        RunData {
            name: "tiny".into(),
            description: None,
            fleet,
            domain_kind: "group".into(),
            domains: Vec::new(),
            links: Vec::new(),
            canary: None,
            downloads: None,
            money: None,
            host_profit: Vec::new(),
            summary: Default::default(),
            manifest: Default::default(),
            config_toml: String::new(),
        }
    }

    #[test]
    fn charts_are_drawn_from_the_data() {
        let mut data = tiny_run();
        let charts = build(&data);
        let names: Vec<&str> = charts.iter().map(|c| c.name).collect();
        assert_eq!(names, ["capacity", "data_loss", "proofs", "traffic"]);
        let used = &charts[0].panels[0].lines[3];
        assert_eq!(used.label, "used");
        assert_eq!(
            used.points,
            vec![(0.0, 0.0), (3600.0, 1e12), (7200.0, 2e12)]
        );
        // 1e12 proofs an hour, in a run short enough to count per hour.
        assert_eq!(charts[2].panels[0].y_what, "Proofs per hour");
        let required = &charts[2].panels[0].lines[0];
        assert_eq!(required.points, vec![(3600.0, 1e12), (7200.0, 1e12)]);
        let time = time_scale(7200.0);
        let before = to_svg(&charts[0], time).unwrap();
        assert!(before.contains("Time (hours)") && before.contains("Bytes (TB)"));
        data.fleet[2].codex_repostore_bytes_used = 5_000_000_000_000;
        let after = to_svg(&build(&data)[0], time).unwrap();
        assert_ne!(before, after, "the chart follows the data");
        let proofs_after = to_svg(&build(&data)[2], time).unwrap();
        assert_eq!(to_svg(&charts[2], time).unwrap(), proofs_after);
    }
}
