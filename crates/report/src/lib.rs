//! Charts and a report drawn from a codexsim run directory.
//!
//! [`render`] reads a finished run directory ([`data::RunData`]), builds its
//! charts ([`charts::build`]), draws each as SVG and PNG into `plots/`
//! ([`draw`]), and writes `report.html` ([`html`]): one self-contained file
//! (charts inline, no scripts, nothing fetched) with the summary table, the
//! charts, the resolved configuration and the provenance. Everything comes
//! from the directory's own files, so a run's report can be redrawn at any
//! time, and the same files give the same bytes.
//!
//! Modules: [`data`] reads the run directory; [`charts`] says what each
//! chart shows, from values made by [`series`] (rates, thinning); [`draw`]
//! draws a run's charts and [`sweep_charts`] the sweeps'; both take their
//! units from [`scale`] and their look from [`style`]. This file owns
//! [`render`] and [`ReportError`].

mod blocks_chart;
pub mod charts;
pub mod data;
pub mod draw;
pub mod html;
mod money_chart;
pub mod scale;
pub mod series;
pub mod style;
pub mod sweep_charts;

use std::fs;
use std::path::{Path, PathBuf};

pub use data::RunData;

/// Why a report could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file every run directory has is missing.
    #[error("{dir} is not a codexsim run directory: {missing} is missing")]
    NotARunDir {
        /// The directory.
        dir: String,
        /// The missing file.
        missing: String,
    },
    /// A file could not be parsed (or lacks a column: written by another
    /// codexsim version).
    #[error("{file}: {detail}")]
    Malformed {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// plotters failed to draw.
    #[error("drawing chart {chart}: {detail}")]
    Draw {
        /// The chart.
        chart: String,
        /// plotters' message.
        detail: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Draws the charts of the run directory `dir` into `dir/plots/` (SVG and
/// PNG) and writes `dir/report.html`, replacing earlier ones. Both are first
/// written under temporary names and renamed into place, so an error leaves
/// the previous plots and report (or none) rather than half of new ones.
/// Returns the files written.
pub fn render(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let result = render_files(dir);
    if result.is_err() {
        // Leave no half-drawn plots behind.
        let _ = fs::remove_dir_all(dir.join(".plots.tmp"));
        let _ = fs::remove_file(dir.join(".report.html.tmp"));
    }
    result
}

fn render_files(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let data = RunData::load(dir)?;
    let charts = charts::build(&data);
    let time = scale::time_scale(data.end_s());

    let tmp_plots = dir.join(".plots.tmp");
    if tmp_plots.exists() {
        fs::remove_dir_all(&tmp_plots).map_err(io(&tmp_plots))?;
    }
    fs::create_dir(&tmp_plots).map_err(io(&tmp_plots))?;
    let mut svgs = Vec::new();
    let mut files = Vec::new();
    for chart in &charts {
        let svg = draw::to_svg(chart, time)?;
        let svg_path = tmp_plots.join(format!("{}.svg", chart.name));
        fs::write(&svg_path, &svg).map_err(io(&svg_path))?;
        draw::to_png(chart, time, &tmp_plots.join(format!("{}.png", chart.name)))?;
        files.push(PathBuf::from(format!("plots/{}.svg", chart.name)));
        files.push(PathBuf::from(format!("plots/{}.png", chart.name)));
        svgs.push(svg);
    }
    let page = html::page(&data, &charts, &svgs);
    let tmp_report = dir.join(".report.html.tmp");
    fs::write(&tmp_report, page).map_err(io(&tmp_report))?;

    let plots = dir.join("plots");
    if plots.exists() {
        fs::remove_dir_all(&plots).map_err(io(&plots))?;
    }
    fs::rename(&tmp_plots, &plots).map_err(io(&plots))?;
    let report = dir.join("report.html");
    fs::rename(&tmp_report, &report).map_err(io(&report))?;
    files.push(PathBuf::from("report.html"));
    Ok(files)
}
