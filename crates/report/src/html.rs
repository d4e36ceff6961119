//! Owns `report.html`: the summary table (from `summary.json`), the charts
//! (inline SVG), the resolved configuration and the provenance (from
//! `manifest.json`), in one file that needs nothing else.

use std::fmt::Write;

use codexsim_model::output::TransferStats;

use crate::charts::Chart;
use crate::data::RunData;
use crate::scale::{scale_for, tick, Quantity};

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Bytes with a readable unit: `1.97 TB`.
pub fn bytes(v: f64) -> String {
    let s = scale_for(Quantity::Bytes, v);
    format!("{} {}", tick(v / s.div), s.unit)
}

/// A count with thousands separators: `2,483,517,206`.
pub fn count(v: f64) -> String {
    let n = v.round() as i128;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A duration with a readable unit: `95.0 days`, `3.2 h`, `218 s`.
pub fn duration(s: f64) -> String {
    if s >= 2.0 * 86_400.0 {
        format!("{:.1} days", s / 86_400.0)
    } else if s >= 2.0 * 3_600.0 {
        format!("{:.1} h", s / 3_600.0)
    } else if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{} s", tick(s))
    }
}

/// The summary rows: (what, value).
fn summary_rows(data: &RunData) -> Vec<(String, String)> {
    let s = &data.summary;
    let t = &s.totals;
    let c = |v: u64| count(v as f64);
    let b = |v: u64| bytes(v as f64);
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut add = |what: &str, value: Option<String>| {
        if let Some(v) = value {
            rows.push((what.into(), v));
        }
    };
    add("Simulated time", Some(duration(s.end_time_s)));
    add("Stopped by", Some(s.stop_reason.clone()));
    add(
        "Nodes at the end (up / down / gone)",
        Some(format!(
            "{} / {} / {}",
            c(t.nodes_up.into()),
            c(t.nodes_down.into()),
            c(t.nodes_gone.into())
        )),
    );
    add(
        "Capacity at the end (used / reserved / quota)",
        Some(format!(
            "{} / {} / {}",
            b(t.codex_repostore_bytes_used),
            b(t.codex_repostore_bytes_reserved),
            b(t.quota_bytes)
        )),
    );
    add("Datasets created", Some(c(s.datasets_created)));
    add("Renewals", Some(c(t.renewals_total)));
    add("Contract failures", Some(c(t.codex_purchases_failed_total)));
    add(
        "First contract failure",
        s.first_contract_failure_s
            .map(|v| format!("after {}", duration(v))),
    );
    add("Datasets lost", Some(c(t.datasets_lost_total)));
    add("Bytes lost", Some(b(t.bytes_lost_total)));
    add(
        "First data loss",
        s.first_data_loss_s
            .map(|v| format!("after {}", duration(v))),
    );
    add(
        "Slots filled / freed / repaired",
        Some(format!(
            "{} / {} / {}",
            c(t.slots_filled_total),
            c(t.slots_freed_total),
            c(t.slots_repaired_total)
        )),
    );
    add(
        "Proofs required / missed",
        Some(format!(
            "{} / {}",
            c(t.proofs_required_total),
            c(t.proofs_missed_total)
        )),
    );
    add("Slashes", Some(c(t.slashes_total)));
    add(
        "Traffic (fill / repair / canary)",
        Some(format!(
            "{} / {} / {}",
            b(t.net_fill_bytes_total),
            b(t.net_repair_bytes_total),
            b(t.net_canary_bytes_total)
        )),
    );
    let median_p99 = |x: &TransferStats| match (x.p50_s, x.p99_s) {
        (Some(a), Some(b)) => Some(format!("{} / {}", duration(a), duration(b))),
        _ => None,
    };
    add(
        "Fill transfer time (median / p99)",
        median_p99(&s.network.fill_transfer),
    );
    add(
        "Repair transfer time (median / p99)",
        median_p99(&s.network.repair_transfer),
    );
    if t.canary_rounds_total > 0 {
        let (rounds, failed) = (t.canary_rounds_total as f64, t.canary_failures_total as f64);
        add(
            "Canary rounds (failed)",
            Some(format!(
                "{} ({}, {:.2} % succeeded)",
                count(rounds),
                count(failed),
                100.0 * (1.0 - failed / rounds)
            )),
        );
    }
    add("Events processed", Some(c(s.events_processed)));
    rows
}

/// The provenance rows (the wall time is left out: the report is the same
/// bytes for the same configuration and seed).
fn provenance_rows(data: &RunData) -> Vec<(String, String)> {
    let m = &data.manifest;
    let mut rows = vec![("codexsim version".to_string(), m.codexsim_version.clone())];
    if let Some(commit) = &m.git_commit {
        rows.push(("Git commit".into(), commit.clone()));
    }
    rows.push(("Command".into(), m.command.clone()));
    rows.push(("Seed".into(), m.seed.to_string()));
    rows.push(("Configuration SHA-256".into(), m.config_hash.clone()));
    rows
}

const STYLE: &str = "\
body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:0 auto;max-width:1160px;padding:1.5em;color:#222;background:#fff}\
h1{margin-bottom:0.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:0.2em}\
p.lead{color:#555;margin-top:0}\
table{border-collapse:collapse;margin:0.5em 0}td,th{text-align:left;padding:0.3em 1em 0.3em 0;border-bottom:1px solid #eee;vertical-align:top}\
td.v{font-variant-numeric:tabular-nums}\
figure{margin:1em 0 2em 0}figure svg{max-width:100%;height:auto;display:block}figcaption{color:#555;margin-top:0.4em}\
nav a{margin-right:1em}\
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:0.85em}";

fn table(rows: &[(String, String)]) -> String {
    let mut out = String::from("<table>\n");
    for (what, value) in rows {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"v\">{}</td></tr>",
            escape(what),
            escape(value)
        );
    }
    out.push_str("</table>\n");
    out
}

/// The whole page: `charts[i]` drawn as `svgs[i]`.
pub fn page(data: &RunData, charts: &[Chart], svgs: &[String]) -> String {
    let mut out = String::new();
    let title = format!("codexsim run: {}", data.name);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&data.name)
    );
    if let Some(d) = &data.description {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", escape(d));
    }
    out.push_str("<nav><a href=\"#summary\">Summary</a>");
    for c in charts {
        let _ = write!(out, "<a href=\"#{}\">{}</a>", c.name, escape(&c.title));
    }
    out.push_str(
        "<a href=\"#config\">Configuration</a><a href=\"#provenance\">Provenance</a></nav>\n",
    );
    out.push_str("<h2 id=\"summary\">Summary</h2>\n");
    out.push_str(&table(&summary_rows(data)));
    for (c, svg) in charts.iter().zip(svgs) {
        let _ = write!(
            out,
            "<h2 id=\"{}\">{}</h2>\n<figure>\n{}\n<figcaption>{} \
             (<a href=\"plots/{}.svg\">SVG</a>, <a href=\"plots/{}.png\">PNG</a>)</figcaption>\n</figure>\n",
            c.name,
            escape(&c.title),
            svg_body(svg),
            escape(&c.caption),
            c.name,
            c.name
        );
    }
    let _ = write!(
        out,
        "<h2 id=\"config\">Resolved configuration</h2>\n<pre>{}</pre>\n",
        escape(&data.config_toml)
    );
    out.push_str("<h2 id=\"provenance\">Provenance</h2>\n");
    out.push_str(&table(&provenance_rows(data)));
    out.push_str("</body>\n</html>\n");
    out
}

/// An SVG document as an inline element: without its XML declaration.
fn svg_body(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(count(2_483_517_206.0), "2,483,517,206");
        assert_eq!(count(192.0), "192");
        assert_eq!(count(1000.0), "1,000");
        assert_eq!(bytes(1_972_973_444_237.0), "1.97 TB");
        assert_eq!(duration(31_536_000.0), "365.0 days");
        assert_eq!(duration(218.0), "3.6 min");
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
