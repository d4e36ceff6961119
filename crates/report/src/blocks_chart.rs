//! The block model's chart (`exchange`): the distribution of block
//! downloads' durations per kind (fill, repair, canary up and down) and
//! their bytes on the wire beyond the data over time, from `downloads.csv`.

use codexsim_model::output::BlockDownloadRecord;

use crate::charts::{line, panel, Chart, Legend, Panel};
use crate::scale::Quantity;
use crate::series::decimate;

/// The chart of a run whose transfers moved as block downloads.
pub(crate) fn exchange_chart(rows: &[BlockDownloadRecord], protocol: &str) -> Chart {
    let mut kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut cdf = Vec::new();
    let mut dups = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let mut d: Vec<f64> = rows
            .iter()
            .filter(|r| r.kind == *kind)
            .filter_map(|r| r.duration_s)
            .filter(|&s| s > 0.0)
            .collect();
        d.sort_by(f64::total_cmp);
        let n = d.len();
        let mut points = Vec::new();
        for (i, &x) in d.iter().enumerate() {
            if i + 1 < n && d[i + 1] == x {
                continue;
            }
            points.push((x, (n - i - 1) as f64 / n as f64));
        }
        cdf.push(line(kind, decimate(points), k));
        let mut over_time: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.kind == *kind)
            .filter(|r| r.useful_bytes > 0)
            .map(|r| {
                let wire = r.block_bytes_received + r.control_bytes_sent + r.control_bytes_received;
                (r.start_s, wire as f64 / r.useful_bytes as f64 - 1.0)
            })
            .collect();
        over_time.sort_by(|a, b| a.0.total_cmp(&b.0));
        dups.push(line(kind, decimate(over_time), k));
    }
    let complete = rows.iter().filter(|r| r.outcome == "complete").count();
    Chart {
        name: "exchange",
        title: format!("Block downloads ({protocol})"),
        caption: format!(
            "Transfers that moved as block downloads ({} of them, {complete} complete): the \
             share slower than each duration (1 - CDF) per kind, and what each moved beyond its \
             data (headers, proofs, duplicates, control messages), by its start time.",
            rows.len()
        ),
        panels: vec![
            Panel {
                x_dist: Some(Quantity::Seconds),
                y_from_zero: false,
                legend: Legend::LowerLeft,
                ..panel(
                    "Block download durations",
                    "Share slower",
                    Quantity::Percent,
                    cdf,
                )
            },
            panel(
                "Bytes on the wire beyond the data, per download",
                "Overhead",
                Quantity::Percent,
                dups,
            ),
        ],
        side_by_side: false,
    }
}
