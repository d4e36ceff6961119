//! The run's charts, drawn with plotters into SVG and PNG.
//!
//! Each chart is a list of panels; a panel is a set of lines over simulated
//! time (or, for the canary durations, a distribution). Values keep their
//! units until drawing, where each axis picks a readable scale: bytes in
//! B, kB, MB, GB, TB or PB (decimal, like the configuration), time in days,
//! hours, minutes or seconds, counts in thousands or millions. Counters are
//! cumulative in the run's files; rates are their increments over bins of
//! about 1/150 of the run (never shorter than the sample interval).

use std::path::Path;
use std::sync::Once;

use codexsim_model::output::{CanaryOutcome, CanaryRecord, FleetSample};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::ReportError;

/// Width and height of a single-panel chart, pixels.
const PANEL_W: u32 = 1100;
const PANEL_H: u32 = 480;
/// Rate bins per run.
const BINS: f64 = 150.0;

/// Line colours: Tableau's ten, distinguishable and print-safe.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// What a panel's values measure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quantity {
    /// Bytes.
    Bytes,
    /// Bytes per second.
    ByteRate,
    /// A count (or a count per time unit).
    Count,
    /// A fraction, drawn as a percentage.
    Percent,
    /// Seconds.
    Seconds,
}

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
    /// Palette index.
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
    fn position(self) -> SeriesLabelPosition {
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

/// The unit an axis shows its values in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Values are divided by this.
    pub div: f64,
    /// The unit's name.
    pub unit: &'static str,
}

/// The readable scale for values up to `max` of `q`.
pub fn scale_for(q: Quantity, max: f64) -> Scale {
    let steps: &[(f64, &'static str)] = match q {
        Quantity::Bytes => &[
            (1e15, "PB"),
            (1e12, "TB"),
            (1e9, "GB"),
            (1e6, "MB"),
            (1e3, "kB"),
            (1.0, "B"),
        ],
        Quantity::ByteRate => &[
            (1e12, "TB/s"),
            (1e9, "GB/s"),
            (1e6, "MB/s"),
            (1e3, "kB/s"),
            (1.0, "B/s"),
        ],
        Quantity::Count => &[(1e9, "billions"), (1e6, "millions"), (1e3, "thousands")],
        Quantity::Percent => {
            return Scale {
                div: 0.01,
                unit: "%",
            }
        }
        Quantity::Seconds => &[
            (86_400.0, "days"),
            (3_600.0, "h"),
            (60.0, "min"),
            (1.0, "s"),
        ],
    };
    for &(div, unit) in steps {
        if max.abs() >= div {
            return Scale { div, unit };
        }
    }
    match q {
        Quantity::Count => Scale { div: 1.0, unit: "" },
        Quantity::Seconds => Scale {
            div: 1.0,
            unit: "s",
        },
        _ => {
            let &(div, unit) = steps.last().expect("non-empty");
            Scale { div, unit }
        }
    }
}

/// The time axis for a run ending at `end_s`: days for runs of two days or
/// more, then hours, minutes, seconds.
pub fn time_scale(end_s: f64) -> Scale {
    if end_s >= 2.0 * 86_400.0 {
        Scale {
            div: 86_400.0,
            unit: "days",
        }
    } else if end_s >= 2.0 * 3_600.0 {
        Scale {
            div: 3_600.0,
            unit: "hours",
        }
    } else if end_s >= 120.0 {
        Scale {
            div: 60.0,
            unit: "minutes",
        }
    } else {
        Scale {
            div: 1.0,
            unit: "seconds",
        }
    }
}

/// The singular of a time unit, for rates ("per day").
fn per(unit: &str) -> &'static str {
    match unit {
        "days" => "day",
        "hours" => "hour",
        "minutes" => "minute",
        _ => "second",
    }
}

/// A tick label: up to three significant digits, no trailing zeros.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Tick labels for a linear axis spanning `range`: as many decimals as the
/// tick step needs (about ten ticks), so neighbouring ticks never read alike.
pub fn axis_ticks(range: f64) -> impl Fn(&f64) -> String {
    let step = (range / 10.0).abs();
    let decimals = if step >= 1.0 || step == 0.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(6)
    };
    move |v: &f64| {
        let v = if v.abs() < 0.5 * 10f64.powi(-(decimals as i32)) {
            0.0
        } else {
            *v
        };
        format!("{v:.decimals$}")
    }
}

/// Per-time-unit increments of a cumulative counter sampled at `t`, over
/// bins of about 1/[`BINS`] of the run, each point at its bin's end.
pub fn rate(t: &[f64], cum: &[f64], per_s: f64) -> Vec<(f64, f64)> {
    if t.len() < 2 {
        return Vec::new();
    }
    let span = t[t.len() - 1] - t[0];
    let interval = (t[1] - t[0]).max(f64::MIN_POSITIVE);
    let stride = ((span / BINS) / interval).ceil().max(1.0) as usize;
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < t.len() {
        let j = (i + stride).min(t.len() - 1);
        let dt = t[j] - t[i];
        if dt > 0.0 {
            out.push((t[j], (cum[j] - cum[i]) / dt * per_s));
        }
        i = j;
    }
    out
}

/// Points of a series drawn at most [`MAX_POINTS`] points wide: longer
/// series keep, in each of `MAX_POINTS / 2` buckets, the lowest and the
/// highest point in time order, so spikes stay visible.
fn zip(t: &[f64], v: &[f64]) -> Vec<(f64, f64)> {
    let points: Vec<(f64, f64)> = t.iter().copied().zip(v.iter().copied()).collect();
    decimate(points)
}

/// Most points drawn per line.
pub const MAX_POINTS: usize = 3000;

/// See [`zip`].
pub fn decimate(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let n = points.len();
    if n <= MAX_POINTS {
        return points;
    }
    let buckets = MAX_POINTS / 2;
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for b in 0..buckets {
        let (lo, hi) = (b * n / buckets, (b + 1) * n / buckets);
        let chunk = &points[lo..hi];
        let min = (0..chunk.len()).min_by(|&i, &j| chunk[i].1.total_cmp(&chunk[j].1));
        let max = (0..chunk.len()).max_by(|&i, &j| chunk[i].1.total_cmp(&chunk[j].1));
        if let (Some(a), Some(z)) = (min, max) {
            let (first, second) = (a.min(z), a.max(z));
            out.push(chunk[first]);
            if second != first {
                out.push(chunk[second]);
            }
        }
    }
    if out.last() != points.last() {
        out.push(points[n - 1]);
    }
    if out.first() != points.first() {
        out.insert(0, points[0]);
    }
    out
}

fn line(label: &str, points: Vec<(f64, f64)>, color: usize) -> Line {
    Line {
        label: label.into(),
        points,
        dashed: false,
        color,
    }
}

fn panel(title: &str, y_what: &str, y: Quantity, lines: Vec<Line>) -> Panel {
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

static FONTS: Once = Once::new();

/// Registers the embedded DejaVu Sans, so text is measured and rasterised
/// the same on every machine (no system fonts needed).
pub fn fonts() {
    FONTS.call_once(|| {
        // Both calls only fail on a malformed font file, and these are
        // embedded and well-formed.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

fn draw_error(chart: &str, e: impl std::fmt::Display) -> ReportError {
    ReportError::Draw {
        chart: chart.into(),
        detail: e.to_string(),
    }
}

/// Draws a chart onto any plotters backend.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    time: Scale,
) -> Result<(), ReportError> {
    fonts();
    root.fill(&WHITE).map_err(|e| draw_error(chart.name, e))?;
    let n = chart.panels.len().max(1);
    let areas = if chart.side_by_side {
        root.split_evenly((1, n))
    } else {
        root.split_evenly((n, 1))
    };
    for (area, p) in areas.iter().zip(&chart.panels) {
        draw_panel(area, p, time).map_err(|e| draw_error(chart.name, e))?;
    }
    root.present().map_err(|e| draw_error(chart.name, e))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel,
    time: Scale,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let points = p.lines.iter().flat_map(|l| l.points.iter());
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in points {
        if x.is_finite() && y.is_finite() {
            x_lo = x_lo.min(x);
            x_hi = x_hi.max(x);
            y_lo = y_lo.min(y);
            y_hi = y_hi.max(y);
        }
    }
    if !x_lo.is_finite() {
        (x_lo, x_hi, y_lo, y_hi) = (0.0, 1.0, 0.0, 1.0);
    }
    let ys = scale_for(p.y, y_hi.abs().max(y_lo.abs()));
    let (mut y0, mut y1) = (y_lo / ys.div, y_hi / ys.div);
    if p.y_from_zero {
        y0 = y0.min(0.0);
    }
    if y1 - y0 < 1e-9 {
        // A flat line: give it room.
        let pad = if y1.abs() > 0.0 { y1.abs() * 0.05 } else { 1.0 };
        y0 -= if p.y_from_zero && y0 >= 0.0 { 0.0 } else { pad };
        y1 += pad;
    } else {
        y1 += (y1 - y0) * 0.05;
        if !p.y_from_zero {
            y0 -= (y1 - y0) * 0.05;
        }
    }
    if p.y == Quantity::Percent {
        y1 = y1.min(100.0 + (y1 - y0) * 0.02);
    }
    let y_desc = if ys.unit.is_empty() {
        p.y_what.clone()
    } else {
        format!("{} ({})", p.y_what, ys.unit)
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(
            &p.title,
            ("sans-serif", 20).into_font().style(FontStyle::Bold),
        )
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(78);
    match p.x_dist {
        None => {
            let (x0, x1) = (0.0, (x_hi / time.div).max(x_lo / time.div + 1e-9));
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
            chart
                .configure_mesh()
                .x_desc(format!("Time ({})", time.unit))
                .y_desc(y_desc)
                .x_label_formatter(&axis_ticks(x1 - x0))
                .y_label_formatter(&axis_ticks(y1 - y0))
                .light_line_style(BLACK.mix(0.05))
                .bold_line_style(BLACK.mix(0.15))
                .axis_desc_style(("sans-serif", 15))
                .label_style(("sans-serif", 13))
                .draw()
                .map_err(err)?;
            for l in &p.lines {
                let color = PALETTE[l.color % PALETTE.len()];
                let pts: Vec<(f64, f64)> = l
                    .points
                    .iter()
                    .map(|&(x, y)| (x / time.div, y / ys.div))
                    .collect();
                let style = color.stroke_width(2);
                let series = if l.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(pts, 8, 5, style))
                        .map_err(err)?
                } else {
                    chart
                        .draw_series(LineSeries::new(pts, style))
                        .map_err(err)?
                };
                let dashed = l.dashed;
                series.label(&l.label).legend(move |(x, y)| {
                    if dashed {
                        PathElement::new(vec![(x, y), (x + 8, y)], color.stroke_width(2))
                    } else {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    }
                });
            }
            chart
                .configure_series_labels()
                .position(p.legend.position())
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(err)?;
        }
        Some(xq) => {
            // A complementary CDF on a log y axis: the share of values
            // above x, from 100 % down to one value in the sample (zero is
            // drawn at the axis' floor).
            let xs = scale_for(xq, x_hi);
            let decade = |v: f64| 10f64.powf(v.max(1e-9).log10().floor());
            let (x0, x1) = (0.0, (x_hi / xs.div * 1.05).max(1e-9));
            let y_min = p
                .lines
                .iter()
                .flat_map(|l| l.points.iter().map(|&(_, y)| y))
                .filter(|&y| y > 0.0)
                .fold(1.0f64, f64::min);
            let y0 = decade(y_min / ys.div);
            let mut chart = builder
                .build_cartesian_2d(x0..x1, (y0..100.0 * 1.2).log_scale())
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc(format!("Duration ({})", xs.unit))
                .y_desc(format!("{y_desc}, log scale"))
                .x_label_formatter(&axis_ticks(x1 - x0))
                .y_label_formatter(&|v| tick(*v))
                .light_line_style(BLACK.mix(0.05))
                .bold_line_style(BLACK.mix(0.15))
                .axis_desc_style(("sans-serif", 15))
                .label_style(("sans-serif", 13))
                .draw()
                .map_err(err)?;
            for l in &p.lines {
                let color = PALETTE[l.color % PALETTE.len()];
                // The empirical distribution is a staircase.
                let mut pts = Vec::with_capacity(l.points.len() * 2);
                let mut prev = 1.0;
                for &(x, y) in &l.points {
                    pts.push((x / xs.div, (prev / ys.div).max(y0)));
                    pts.push((x / xs.div, (y / ys.div).max(y0)));
                    prev = y;
                }
                chart
                    .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                    .map_err(err)?
                    .label(&l.label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .position(p.legend.position())
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The chart as an SVG document.
pub fn to_svg(chart: &Chart, time: Scale) -> Result<String, ReportError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        draw(&root, chart, time)?;
    }
    Ok(svg)
}

/// The chart as a PNG file.
pub fn to_png(chart: &Chart, time: Scale, path: &Path) -> Result<(), ReportError> {
    let root = BitMapBackend::new(path, chart.size()).into_drawing_area();
    draw(&root, chart, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_readable() {
        assert_eq!(scale_for(Quantity::Bytes, 5e14).unit, "TB");
        assert_eq!(scale_for(Quantity::Bytes, 2e15).unit, "PB");
        assert_eq!(scale_for(Quantity::Bytes, 0.0).unit, "B");
        assert_eq!(scale_for(Quantity::ByteRate, 8.5e7).unit, "MB/s");
        assert_eq!(scale_for(Quantity::Count, 6.8e6).unit, "millions");
        assert_eq!(scale_for(Quantity::Count, 12.0).unit, "");
        assert_eq!(time_scale(365.0 * 86_400.0).unit, "days");
        assert_eq!(time_scale(4.0 * 3_600.0).unit, "hours");
        assert_eq!(time_scale(600.0).unit, "minutes");
        assert_eq!(tick(2.50), "2.5");
        assert_eq!(tick(120.0), "120");
        assert_eq!(tick(0.125), "0.125");
        assert_eq!(tick(0.0), "0");
    }

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

    #[test]
    fn long_series_keep_their_extremes() {
        let points: Vec<(f64, f64)> = (0..100_000)
            .map(|i| (i as f64, if i == 51_234 { 9.0 } else { (i % 7) as f64 }))
            .collect();
        let d = decimate(points);
        assert!(d.len() <= MAX_POINTS + 2);
        assert!(d.contains(&(51_234.0, 9.0)));
        assert_eq!(d[0], (0.0, 0.0));
        assert_eq!(d.last(), Some(&(99_999.0, (99_999 % 7) as f64)));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn rates_are_increments_per_unit() {
        // A counter growing 10 per hour, sampled hourly for 300 hours:
        // stride 2 samples, 240 per day.
        let t: Vec<f64> = (0..=300).map(|h| h as f64 * 3600.0).collect();
        let c: Vec<f64> = (0..=300).map(|h| h as f64 * 10.0).collect();
        let r = rate(&t, &c, 86_400.0);
        assert_eq!(r.len(), 150);
        assert_eq!(r[0], (7200.0, 240.0));
        assert!(r.iter().all(|&(_, v)| (v - 240.0).abs() < 1e-9));
    }
}
