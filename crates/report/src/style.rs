//! Owns the look of every chart, the run's ([`crate::draw`]) and the
//! sweeps' ([`crate::sweep_charts`]): canvas sizes, the embedded font and its
//! sizes, margins and label areas, grid lines, the legend's box, line
//! colours, stroke widths, dashes, markers, confidence bands and the heat
//! map's colours. Chart code says what to draw; how it looks is decided here.

use std::sync::Once;

use plotters::chart::{MeshStyle, SeriesLabelPosition};
use plotters::coord::ranged1d::Ranged;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

/// Width and height of one panel of a run's chart, pixels.
pub const PANEL_W: u32 = 1100;
/// See [`PANEL_W`].
pub const PANEL_H: u32 = 480;
/// Size of a sweep's chart, pixels.
pub const SWEEP_SIZE: (u32, u32) = (1000, 560);

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

/// The `k`th line colour (the palette repeats).
pub fn color(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

/// The one font family (the embedded DejaVu Sans, see [`fonts`]).
pub const FONT: &str = "sans-serif";
/// Titles (bold), pixels.
pub const TITLE_SIZE: i32 = 20;
/// Axis descriptions, and the values in a heat map's cells.
pub const AXIS_DESC_SIZE: i32 = 15;
/// Tick labels and legends.
pub const LABEL_SIZE: i32 = 13;

/// Space around a chart's plot area, pixels.
pub const MARGIN: u32 = 12;
/// Height of the x axis' label area and width of the y axis', pixels: for
/// a run's panels.
pub const RUN_LABEL_AREAS: (u32, u32) = (42, 78);
/// The same for a sweep's charts (their category labels are longer).
pub const SWEEP_LABEL_AREAS: (u32, u32) = (48, 80);

/// Width of a data line, pixels.
pub const LINE_WIDTH: u32 = 2;
/// Width of error bars and reference lines, pixels.
pub const THIN_WIDTH: u32 = 1;
/// Dashed lines: dash length and gap, pixels.
pub const DASH: (i32, i32) = (8, 5);
/// Length of a solid line's mark in a legend, pixels (a dashed line's mark
/// is one dash).
pub const LEGEND_LINE: i32 = 20;
/// Radius of the markers on a sweep's band chart, pixels.
pub const MARKER: i32 = 4;
/// Radius of the markers on a log chart, pixels.
pub const SMALL_MARKER: i32 = 3;
/// Opacity of a confidence band's fill.
pub const BAND_OPACITY: f64 = 0.18;
/// A heat map's cell without a value.
pub const MISSING_CELL: RGBColor = RGBColor(230, 230, 230);

static FONTS: Once = Once::new();

/// Registers the embedded DejaVu Sans, so text is measured and rasterised
/// the same on every machine (no system fonts needed).
pub fn fonts() {
    FONTS.call_once(|| {
        // Both calls only fail on a malformed font file, and these are
        // embedded and well-formed.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Readies a drawing area: the fonts registered, the background white.
pub fn canvas<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    fonts();
    area.fill(&WHITE)
}

/// A chart on `area` titled `title`, with the margin and the label areas
/// `(x, y)` ([`RUN_LABEL_AREAS`] or [`SWEEP_LABEL_AREAS`]).
pub fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x_area, y_area): (u32, u32),
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.caption(title, (FONT, TITLE_SIZE).into_font().style(FontStyle::Bold))
        .margin(MARGIN)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area);
    b
}

/// The axes' text: descriptions and tick labels.
pub fn axis_text<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.axis_desc_style((FONT, AXIS_DESC_SIZE))
        .label_style((FONT, LABEL_SIZE))
}

/// The axes' text and a faint grid.
pub fn grid<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.light_line_style(BLACK.mix(0.05))
        .bold_line_style(BLACK.mix(0.15));
    axis_text(mesh)
}

/// Draws the legend of the chart's labelled series in a corner.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, LABEL_SIZE))
        .draw()
}

/// A data line in `color`.
pub fn line(color: RGBColor) -> ShapeStyle {
    color.stroke_width(LINE_WIDTH)
}

/// An error bar (or another thin line) in `color`.
pub fn thin(color: RGBColor) -> ShapeStyle {
    color.stroke_width(THIN_WIDTH)
}

/// A line's mark in the legend: a stroke of the line's style, one dash long
/// when the line is dashed.
pub fn legend_mark(
    style: ShapeStyle,
    dashed: bool,
) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    let length = if dashed { DASH.0 } else { LEGEND_LINE };
    move |(x, y)| PathElement::new(vec![(x, y), (x + length, y)], style)
}

/// A heat map's cell colour for a value at `f` of the range (0 lowest, 1
/// highest): from white to dark blue.
pub fn shade(f: f64) -> RGBColor {
    let f = f.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
}

/// The colour of the text in a cell shaded at `f`: white on dark cells.
pub fn cell_text(f: f64) -> RGBColor {
    if f > 0.55 {
        WHITE
    } else {
        BLACK
    }
}
