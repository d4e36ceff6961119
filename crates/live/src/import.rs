//! Live series: Prometheus range-query results (`/api/v1/query_range` JSON,
//! from a file or a server) and CSV (`time_s,metric,labels,value`, with
//! `labels` as in a PromQL selector: `instance="node-0",job="codex"`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::{LiveError, Series};

fn malformed(what: &str, detail: impl Into<String>) -> LiveError {
    LiveError::Malformed {
        what: what.into(),
        detail: detail.into(),
    }
}

/// Series from the JSON body of a Prometheus range query (`resultType`
/// `matrix`). A series without `__name__` (an expression) is named `query`.
pub fn prometheus_json(text: &str, what: &str) -> Result<Vec<Series>, LiveError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| malformed(what, e.to_string()))?;
    if v["status"] != "success" {
        return Err(malformed(
            what,
            format!("status {}: {}", v["status"], v["error"]),
        ));
    }
    if v["data"]["resultType"] != "matrix" {
        return Err(malformed(
            what,
            format!(
                "resultType {} (a range query gives \"matrix\")",
                v["data"]["resultType"]
            ),
        ));
    }
    let result = v["data"]["result"]
        .as_array()
        .ok_or_else(|| malformed(what, "no data.result array"))?;
    let mut out = Vec::new();
    for r in result {
        let mut labels: BTreeMap<String, String> = r["metric"]
            .as_object()
            .ok_or_else(|| malformed(what, "a result without metric"))?
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let name = labels.remove("__name__").unwrap_or_else(|| "query".into());
        let mut points = Vec::new();
        for p in r["values"]
            .as_array()
            .ok_or_else(|| malformed(what, "a result without values"))?
        {
            let t = p[0]
                .as_f64()
                .ok_or_else(|| malformed(what, format!("bad timestamp in {p}")))?;
            let v: f64 = p[1]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| malformed(what, format!("bad value in {p}")))?;
            points.push((t, v));
        }
        out.push(Series {
            name,
            labels,
            points,
        });
    }
    Ok(out)
}

/// Parses `a="x",b="y"` (braces optional).
pub fn parse_labels(text: &str, what: &str) -> Result<BTreeMap<String, String>, LiveError> {
    let t = text.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = BTreeMap::new();
    let mut rest = t.trim();
    while !rest.is_empty() {
        let (k, after) = rest
            .split_once('=')
            .ok_or_else(|| malformed(what, format!("labels {text:?}: expected name=\"value\"")))?;
        let after = after.trim_start();
        let body = after
            .strip_prefix('"')
            .ok_or_else(|| malformed(what, format!("labels {text:?}: values must be quoted")))?;
        let mut value = String::new();
        let mut chars = body.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        value.push(n);
                    }
                }
                '"' => {
                    end = Some(i);
                    break;
                }
                c => value.push(c),
            }
        }
        let end = end.ok_or_else(|| malformed(what, format!("labels {text:?}: unclosed quote")))?;
        out.insert(k.trim().to_string(), value);
        rest = body[end + 1..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
    }
    Ok(out)
}

/// A series' identity: metric name and labels.
type SeriesKey = (String, BTreeMap<String, String>);

/// Series from a CSV file with columns `time_s` (unix seconds), `metric`,
/// `labels` and `value`.
pub fn csv_file(path: &Path) -> Result<Vec<Series>, LiveError> {
    let what = path.display().to_string();
    let mut r = csv::Reader::from_path(path).map_err(|e| malformed(&what, e.to_string()))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| malformed(&what, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let col = |n: &str| {
        header.iter().position(|h| h == n).ok_or_else(|| {
            malformed(
                &what,
                format!("no column {n:?} (need time_s, metric, labels, value)"),
            )
        })
    };
    let (t, m, l, v) = (
        col("time_s")?,
        col("metric")?,
        col("labels")?,
        col("value")?,
    );
    let mut by: BTreeMap<SeriesKey, Vec<(f64, f64)>> = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| malformed(&what, e.to_string()))?;
        let row = i + 2;
        let time: f64 = rec[t].parse().map_err(|_| {
            malformed(
                &what,
                format!("row {row}: time_s {:?} is not a number", &rec[t]),
            )
        })?;
        let value: f64 = rec[v].parse().map_err(|_| {
            malformed(
                &what,
                format!("row {row}: value {:?} is not a number", &rec[v]),
            )
        })?;
        let labels = parse_labels(&rec[l], &format!("{what} row {row}"))?;
        by.entry((rec[m].to_string(), labels))
            .or_default()
            .push((time, value));
    }
    Ok(by
        .into_iter()
        .map(|((name, labels), mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series {
                name,
                labels,
                points,
            }
        })
        .collect())
}

/// Writes series as CSV (the format [`csv_file`] reads).
pub fn to_csv(series: &[Series]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time_s", "metric", "labels", "value"])
        .expect("in memory");
    for s in series {
        let labels = s.id();
        let labels = labels
            .strip_prefix(&s.name)
            .unwrap_or("")
            .trim_start_matches('{')
            .trim_end_matches('}')
            .to_string();
        for &(t, v) in &s.points {
            w.write_record([
                format!("{t}"),
                s.name.clone(),
                labels.clone(),
                format!("{v}"),
            ])
            .expect("in memory");
        }
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("utf-8")
}

/// Runs a range query against a Prometheus server.
pub fn query_range(
    base_url: &str,
    query: &str,
    start_unix_s: f64,
    end_unix_s: f64,
    step_s: f64,
) -> Result<Vec<Series>, LiveError> {
    let url = format!("{}/api/v1/query_range", base_url.trim_end_matches('/'));
    let http = |detail: String| LiveError::Http {
        url: url.clone(),
        detail,
    };
    let response = ureq::get(&url)
        .query("query", query)
        .query("start", &format!("{start_unix_s}"))
        .query("end", &format!("{end_unix_s}"))
        .query("step", &format!("{step_s}"))
        .call();
    let body = match response {
        Ok(r) => r.into_string().map_err(|e| http(e.to_string()))?,
        Err(ureq::Error::Status(code, r)) => {
            let body = r.into_string().unwrap_or_default();
            let body: String = body.chars().take(300).collect();
            return Err(http(format!("HTTP {code}: {body}")));
        }
        Err(ureq::Error::Transport(t)) => {
            // One sentence: what could not be done, and why (ureq's own
            // text repeats the URL with its query).
            let why = match t.kind() {
                ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
                    format!("{base_url:?} is not a server URL (write it as http://host:9090)")
                }
                ureq::ErrorKind::Dns => "the host name does not resolve".to_string(),
                ureq::ErrorKind::ConnectionFailed => {
                    "nothing answers there (connection refused or unreachable)".to_string()
                }
                ureq::ErrorKind::Io => "the connection failed or timed out".to_string(),
                _ => t.message().unwrap_or("the request failed").to_string(),
            };
            return Err(LiveError::Http {
                url: base_url.to_string(),
                detail: why,
            });
        }
    };
    prometheus_json(&body, &url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_matrix() {
        let text = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"codex_repostore_bytes_used","instance":"node-0","job":"codex"},
             "values":[[1700000000,"5"],[1700000060,"7.5"]]}]}}"#;
        let s = prometheus_json(text, "t").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "codex_repostore_bytes_used");
        assert_eq!(s[0].labels["instance"], "node-0");
        assert_eq!(s[0].points, vec![(1.7e9, 5.0), (1_700_000_060.0, 7.5)]);
        let err = prometheus_json(r#"{"status":"error","error":"bad query"}"#, "t").unwrap_err();
        assert!(err.to_string().contains("bad query"), "{err}");
    }

    #[test]
    fn labels_round_trip() {
        let l = parse_labels(r#"{instance="node-0", job="a\"b"}"#, "t").unwrap();
        assert_eq!(l["instance"], "node-0");
        assert_eq!(l["job"], "a\"b");
        assert!(parse_labels("instance=node-0", "t").is_err());
    }
}
