//! OpenMetrics text exposition with timestamps, as `promtool tsdb
//! create-blocks-from openmetrics` reads it: one family at a time (`# TYPE`,
//! `# HELP`), counters' samples with `_total`, timestamps in seconds, and
//! `# EOF` at the end.

use std::fmt::Write;

use crate::sim::is_counter;
use crate::Series;

fn help(name: &str) -> &'static str {
    match name {
        "codex_repostore_bytes_used" => "Bytes of slot data stored (simulated)",
        "codex_repostore_bytes_reserved" => "Bytes reserved for slots being filled (simulated)",
        "codexsim_quota_bytes" => "Storage quota of the node (simulated)",
        "codexsim_node_up" => "1 while the node is online (simulated)",
        "codexsim_slots" => "Slots the node holds (simulated)",
        "codexsim_canary_upload_seconds" => "Canary upload duration (simulated)",
        "codexsim_canary_download_seconds" => "Canary download duration (simulated)",
        n if n.starts_with("codex_purchases_") => "Purchases, fleet-wide (simulated)",
        _ => "codexsim fleet counter (simulated)",
    }
}

fn value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.007e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The series as OpenMetrics text. Series of one metric must be adjacent
/// (as [`crate::sim::series`] returns them).
pub fn render(series: &[Series]) -> String {
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for s in series {
        if last != Some(s.name.as_str()) {
            let kind = if is_counter(&s.name) {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(out, "# TYPE {} {kind}", s.name);
            let _ = writeln!(out, "# HELP {} {}", s.name, help(&s.name));
            last = Some(&s.name);
        }
        let sample = if is_counter(&s.name) {
            Series {
                name: format!("{}_total", s.name),
                ..s.clone()
            }
            .id()
        } else {
            s.id()
        };
        let mut prev = f64::NEG_INFINITY;
        for &(t, v) in &s.points {
            // One sample per timestamp: a run's last sample can repeat the
            // horizon's time.
            if t <= prev {
                continue;
            }
            prev = t;
            let _ = writeln!(out, "{sample} {} {:.3}", value(v), t);
        }
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn families_types_and_eof() {
        let mut labels = BTreeMap::new();
        labels.insert("instance".to_string(), "node-0".to_string());
        let s = vec![
            Series {
                name: "codex_repostore_bytes_used".into(),
                labels: labels.clone(),
                points: vec![(100.0, 5.0), (160.0, 7.5)],
            },
            Series {
                name: "codex_purchases_started".into(),
                labels,
                points: vec![(100.0, 1.0), (100.0, 1.0)],
            },
        ];
        assert_eq!(
            render(&s),
            "# TYPE codex_repostore_bytes_used gauge\n\
             # HELP codex_repostore_bytes_used Bytes of slot data stored (simulated)\n\
             codex_repostore_bytes_used{instance=\"node-0\"} 5 100.000\n\
             codex_repostore_bytes_used{instance=\"node-0\"} 7.5 160.000\n\
             # TYPE codex_purchases_started counter\n\
             # HELP codex_purchases_started Purchases, fleet-wide (simulated)\n\
             codex_purchases_started_total{instance=\"node-0\"} 1 100.000\n\
             # EOF\n"
        );
    }
}
