//! Owns drawing a run's [`Chart`] onto a plotters backend, and as SVG text
//! or a PNG file: each panel's axes (readable units per axis, a time axis or
//! a complementary CDF on a log axis), its lines and its legend, in the look
//! [`crate::style`] sets.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::charts::{Chart, Panel};
use crate::scale::{axis_ticks, scale_for, tick, Quantity, Scale};
use crate::style;
use crate::ReportError;

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
    style::canvas(root).map_err(|e| draw_error(chart.name, e))?;
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
    let mut builder = style::builder(area, &p.title, style::RUN_LABEL_AREAS);
    match p.x_dist {
        None => {
            let (x0, x1) = (0.0, (x_hi / time.div).max(x_lo / time.div + 1e-9));
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
            style::grid(&mut chart.configure_mesh())
                .x_desc(format!("Time ({})", time.unit))
                .y_desc(y_desc)
                .x_label_formatter(&axis_ticks(x1 - x0))
                .y_label_formatter(&axis_ticks(y1 - y0))
                .draw()
                .map_err(err)?;
            for l in &p.lines {
                let pts: Vec<(f64, f64)> = l
                    .points
                    .iter()
                    .map(|&(x, y)| (x / time.div, y / ys.div))
                    .collect();
                let line = style::line(style::color(l.color));
                let series = if l.dashed {
                    let (dash, gap) = style::DASH;
                    chart
                        .draw_series(DashedLineSeries::new(pts, dash, gap, line))
                        .map_err(err)?
                } else {
                    chart.draw_series(LineSeries::new(pts, line)).map_err(err)?
                };
                series
                    .label(&l.label)
                    .legend(style::legend_mark(line, l.dashed));
            }
            style::legend(&mut chart, p.legend.position()).map_err(err)?;
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
            style::grid(&mut chart.configure_mesh())
                .x_desc(format!("Duration ({})", xs.unit))
                .y_desc(format!("{y_desc}, log scale"))
                .x_label_formatter(&axis_ticks(x1 - x0))
                .y_label_formatter(&|v| tick(*v))
                .draw()
                .map_err(err)?;
            for l in &p.lines {
                let line = style::line(style::color(l.color));
                // The empirical distribution is a staircase.
                let mut pts = Vec::with_capacity(l.points.len() * 2);
                let mut prev = 1.0;
                for &(x, y) in &l.points {
                    pts.push((x / xs.div, (prev / ys.div).max(y0)));
                    pts.push((x / xs.div, (y / ys.div).max(y0)));
                    prev = y;
                }
                chart
                    .draw_series(LineSeries::new(pts, line))
                    .map_err(err)?
                    .label(&l.label)
                    .legend(style::legend_mark(line, false));
            }
            style::legend(&mut chart, p.legend.position()).map_err(err)?;
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
