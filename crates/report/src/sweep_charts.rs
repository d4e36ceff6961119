//! Owns the charts of parameter sweeps and rare-event estimates: a metric
//! against a parameter with confidence bands (one line per variant),
//! heatmaps of a metric over a two-parameter grid, and estimates with
//! intervals on a logarithmic axis; what each shows and how it is laid out,
//! in the look [`crate::style`] sets.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::scale::{axis_ticks, scale_for, tick, Quantity};
use crate::style;
use crate::ReportError;

/// One variant's estimates along the x axis.
#[derive(Clone, Debug, PartialEq)]
pub struct BandSeries {
    /// Legend.
    pub label: String,
    /// `(x, mean, low, high)`.
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// A metric against a parameter, with confidence bands.
#[derive(Clone, Debug, PartialEq)]
pub struct BandChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// The x axis' name.
    pub x_label: String,
    /// Labels of categorical x positions 0, 1, 2... (`None`: x is numeric).
    pub x_categories: Option<Vec<String>>,
    /// The metric's name on the y axis.
    pub y_what: String,
    /// The metric's quantity.
    pub y: Quantity,
    /// Series.
    pub series: Vec<BandSeries>,
}

/// A metric over a two-parameter grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// The x parameter.
    pub x_label: String,
    /// Its values.
    pub x_values: Vec<String>,
    /// The y parameter.
    pub y_label: String,
    /// Its values.
    pub y_values: Vec<String>,
    /// `cells[y][x]`: the metric's mean.
    pub cells: Vec<Vec<Option<f64>>>,
    /// The metric's quantity.
    pub quantity: Quantity,
}

fn err(name: &str) -> impl Fn(String) -> ReportError + '_ {
    move |detail| ReportError::Draw {
        chart: name.into(),
        detail,
    }
}

fn draw_band<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &BandChart,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    style::canvas(root).map_err(e)?;
    let all = c.series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, 0.0f64);
    for &(x, m, lo, hi) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        for v in [m, lo, hi] {
            if v.is_finite() {
                y0 = y0.min(v);
                y1 = y1.max(v);
            }
        }
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    let pad = ((x1 - x0) * 0.08).max(0.5);
    let (x0, x1) = (x0 - pad, x1 + pad);
    let ys = scale_for(c.y, y1.abs().max(y0.abs()));
    let (y0, mut y1) = (y0 / ys.div, y1 / ys.div);
    if y1 - y0 < 1e-12 {
        y1 = y0 + 1.0;
    }
    let y1 = y1 + (y1 - y0) * 0.08;
    let mut chart = style::builder(root, &c.title, style::SWEEP_LABEL_AREAS)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let cats = c.x_categories.clone();
    let x_fmt = move |v: &f64| match &cats {
        Some(labels) => {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        }
        None => tick(*v),
    };
    let y_desc = if ys.unit.is_empty() {
        c.y_what.clone()
    } else {
        format!("{} ({})", c.y_what, ys.unit)
    };
    let n_labels = c.x_categories.as_ref().map_or(10, |l| l.len() * 4 + 1);
    style::grid(&mut chart.configure_mesh())
        .x_desc(&c.x_label)
        .y_desc(y_desc)
        .x_labels(n_labels)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&axis_ticks(y1 - y0))
        .draw()
        .map_err(e)?;
    for (k, s) in c.series.iter().enumerate() {
        let color = style::color(k);
        let finite: Vec<(f64, f64, f64, f64)> = s
            .points
            .iter()
            .map(|&(x, m, lo, hi)| (x, m / ys.div, lo / ys.div, hi / ys.div))
            .filter(|p| p.2.is_finite() && p.3.is_finite())
            .collect();
        if finite.len() > 1 {
            let mut band: Vec<(f64, f64)> = finite.iter().map(|p| (p.0, p.3)).collect();
            band.extend(finite.iter().rev().map(|p| (p.0, p.2)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    color.mix(style::BAND_OPACITY).filled(),
                )))
                .map_err(e)?;
        }
        // Error bars, so a single point shows its interval too.
        chart
            .draw_series(finite.iter().map(|&(x, _, lo, hi)| {
                PathElement::new(vec![(x, lo), (x, hi)], style::thin(color))
            }))
            .map_err(e)?;
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, m, _, _)| (x, m / ys.div))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), style::line(color)))
            .map_err(e)?
            .label(&s.label)
            .legend(style::legend_mark(style::line(color), false));
        chart
            .draw_series(
                pts.iter()
                    .map(|&p| Circle::new(p, style::MARKER, color.filled())),
            )
            .map_err(e)?;
    }
    style::legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(e)?;
    root.present().map_err(e)
}

fn draw_heat<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heatmap) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    style::canvas(root).map_err(e)?;
    let nx = h.x_values.len().max(1);
    let ny = h.y_values.len().max(1);
    let values: Vec<f64> = h.cells.iter().flatten().flatten().copied().collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut chart = style::builder(root, &h.title, style::SWEEP_LABEL_AREAS)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
        .map_err(e)?;
    let xv = h.x_values.clone();
    let yv = h.y_values.clone();
    let cat = |labels: Vec<String>| {
        move |v: &f64| {
            let i = (v - 0.5).round();
            if ((v - 0.5) - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        }
    };
    style::axis_text(&mut chart.configure_mesh())
        .disable_mesh()
        .x_desc(&h.x_label)
        .y_desc(&h.y_label)
        .x_labels(nx * 2 + 1)
        .y_labels(ny * 2 + 1)
        .x_label_formatter(&cat(xv))
        .y_label_formatter(&cat(yv))
        .draw()
        .map_err(e)?;
    for (y, row) in h.cells.iter().enumerate() {
        for (x, cell) in row.iter().enumerate() {
            let (fill, text) = match cell {
                Some(v) => {
                    let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                    let s = scale_for(h.quantity, v.abs());
                    let label = if s.unit.is_empty() {
                        tick(v / s.div)
                    } else {
                        format!("{} {}", tick(v / s.div), s.unit)
                    };
                    (style::shade(f), (label, f))
                }
                None => (style::MISSING_CELL, ("-".to_string(), 0.0)),
            };
            let (x, y) = (x as f64, y as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    fill.filled(),
                )))
                .map_err(e)?;
            let color = style::cell_text(text.1);
            chart
                .draw_series(std::iter::once(Text::new(
                    text.0,
                    (x + 0.5, y + 0.5),
                    (style::FONT, style::AXIS_DESC_SIZE)
                        .into_font()
                        .color(&color)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(e)?;
        }
    }
    root.present().map_err(e)
}

/// Draws a band chart as `dir/NAME.svg` and `dir/NAME.png`.
pub fn write_band(c: &BandChart, dir: &Path) -> Result<(), ReportError> {
    let svg = dir.join(format!("{}.svg", c.name));
    draw_band(
        &SVGBackend::new(&svg, style::SWEEP_SIZE).into_drawing_area(),
        c,
    )
    .map_err(err(&c.name))?;
    let png = dir.join(format!("{}.png", c.name));
    let result = draw_band(
        &BitMapBackend::new(&png, style::SWEEP_SIZE).into_drawing_area(),
        c,
    );
    result.map_err(err(&c.name))
}

/// Draws a heatmap as `dir/NAME.svg` and `dir/NAME.png`.
pub fn write_heatmap(h: &Heatmap, dir: &Path) -> Result<(), ReportError> {
    let svg = dir.join(format!("{}.svg", h.name));
    draw_heat(
        &SVGBackend::new(&svg, style::SWEEP_SIZE).into_drawing_area(),
        h,
    )
    .map_err(err(&h.name))?;
    let png = dir.join(format!("{}.png", h.name));
    let result = draw_heat(
        &BitMapBackend::new(&png, style::SWEEP_SIZE).into_drawing_area(),
        h,
    );
    result.map_err(err(&h.name))
}

/// Estimates with intervals on a logarithmic y axis (probabilities from
/// 1e-2 to 1e-12, say), one line per series, and an optional target line.
#[derive(Clone, Debug, PartialEq)]
pub struct LogChart {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// The x axis' name.
    pub x_label: String,
    /// The y axis' name.
    pub y_label: String,
    /// Series: `(x, estimate, low, high)`.
    pub series: Vec<BandSeries>,
    /// A horizontal line: value and legend.
    pub target: Option<(f64, String)>,
}

fn draw_log<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &LogChart) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    style::canvas(root).map_err(e)?;
    let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(x, m, lo, hi) in c.series.iter().flat_map(|s| s.points.iter()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        for v in [m, lo, hi] {
            if v > 0.0 && v.is_finite() {
                y0 = y0.min(v);
                y1 = y1.max(v);
            }
        }
    }
    if let Some((t, _)) = c.target {
        y0 = y0.min(t);
        y1 = y1.max(t);
    }
    if !x0.is_finite() || !y0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 1.0, 1e-12, 1.0);
    }
    let decade = |v: f64, up: bool| {
        let l = v.log10();
        10f64.powf(if up { l.ceil() } else { l.floor() })
    };
    let (y0, y1) = (
        decade(y0, false),
        decade(y1, true).max(decade(y0, false) * 10.0),
    );
    let pad = ((x1 - x0) * 0.05).max(1.0);
    let mut chart = style::builder(root, &c.title, style::SWEEP_LABEL_AREAS)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), (y0..y1).log_scale())
        .map_err(e)?;
    style::grid(&mut chart.configure_mesh())
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(e)?;
    if let Some((t, label)) = &c.target {
        let t = *t;
        let (dash, gap) = style::DASH;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0 - pad, t), (x1 + pad, t)],
                dash,
                gap,
                style::thin(BLACK),
            ))
            .map_err(e)?
            .label(label.as_str())
            .legend(style::legend_mark(style::thin(BLACK), true));
    }
    for (k, s) in c.series.iter().enumerate() {
        let color = style::color(k);
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|&(x, m, _, _)| (x, m))
            .collect();
        chart
            .draw_series(
                s.points
                    .iter()
                    .filter(|p| p.1 > 0.0)
                    .map(|&(x, _, lo, hi)| {
                        PathElement::new(vec![(x, lo.max(y0)), (x, hi.max(y0))], style::thin(color))
                    }),
            )
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(pts.clone(), style::line(color)))
            .map_err(e)?
            .label(&s.label)
            .legend(style::legend_mark(style::line(color), false));
        chart
            .draw_series(
                pts.iter()
                    .map(|&p| Circle::new(p, style::SMALL_MARKER, color.filled())),
            )
            .map_err(e)?;
    }
    style::legend(&mut chart, SeriesLabelPosition::UpperRight).map_err(e)?;
    root.present().map_err(e)
}

/// Draws a log chart as `dir/NAME.svg` and `dir/NAME.png`.
pub fn write_log(c: &LogChart, dir: &Path) -> Result<(), ReportError> {
    let svg = dir.join(format!("{}.svg", c.name));
    draw_log(
        &SVGBackend::new(&svg, style::SWEEP_SIZE).into_drawing_area(),
        c,
    )
    .map_err(err(&c.name))?;
    let png = dir.join(format!("{}.png", c.name));
    let result = draw_log(
        &BitMapBackend::new(&png, style::SWEEP_SIZE).into_drawing_area(),
        c,
    );
    result.map_err(err(&c.name))
}
