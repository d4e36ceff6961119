//! A real Prometheus: a simulated run's OpenMetrics export is backfilled
//! with promtool, Prometheus serves it on loopback, and `codexsim compare
//! --prometheus` reads it back: the same series gives zero error, a live
//! series 10 % higher gives a mean absolute percentage error of exactly
//! 0.1 / 1.1, and a threshold below that fails with exit code 3.
//!
//! Needs `prometheus` and `promtool` (Debian's `prometheus` package, which
//! `.ci/run` installs). Without them the test says so and passes, unless
//! `CODEXSIM_REQUIRE_PROMETHEUS=1` (set by `.ci/run`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{codexsim, run, skip_unless_required};
use crate::report::small_run;

const T0: u64 = 1_764_000_000;

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

/// The export with a second copy of `codex_repostore_bytes_used`, labelled
/// `source="perturbed"`, 10 % higher, inside the same family.
fn with_perturbed(om: &str) -> String {
    let mut out = String::new();
    let mut extra = String::new();
    let mut in_family = false;
    for line in om.lines() {
        if line.starts_with("# TYPE ") || line == "# EOF" {
            if in_family {
                out.push_str(&extra);
                extra.clear();
            }
            in_family = line.starts_with("# TYPE codex_repostore_bytes_used ");
        }
        out.push_str(line);
        out.push('\n');
        if in_family && line.starts_with("codex_repostore_bytes_used{") {
            let (series, rest) = line.split_once("} ").unwrap();
            let (value, time) = rest.split_once(' ').unwrap();
            let v: f64 = value.parse().unwrap();
            extra.push_str(&format!(
                "{series},source=\"perturbed\"}} {} {time}\n",
                v * 1.1
            ));
        }
    }
    out
}

fn column(out: &str, series: &str, col: usize) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with(series))
        .map(|l| l.split_whitespace().nth(col).unwrap().to_string())
        .collect()
}

#[test]
fn compare_reads_a_backfilled_prometheus() {
    let (Some(prometheus), Some(promtool)) = (on_path("prometheus"), on_path("promtool")) else {
        skip_unless_required(
            "CODEXSIM_REQUIRE_PROMETHEUS",
            "prometheus or promtool is missing",
            "no prometheus and promtool on the PATH (Debian package `prometheus`)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run_dir = small_run(dir.path(), "r", &["--no-plots"]);
    let om = dir.path().join("run.om");
    let (code, _, err) = run(codexsim()
        .args(["export", "openmetrics"])
        .arg(&run_dir)
        .args(["--start-unix", &T0.to_string(), "--out"])
        .arg(&om));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&om).unwrap();
    assert!(text.ends_with("# EOF\n"));
    std::fs::write(&om, with_perturbed(&text)).unwrap();

    let data = dir.path().join("data");
    let status = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "promtool refused the export");

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 1h\nscrape_configs: []\n",
    )
    .unwrap();
    let _server = Server(
        Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=100y")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !get(port, "/-/ready").is_some_and(|b| b.contains("200 OK")) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "prometheus did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let compare = |query: &str, extra: &[&str]| {
        run(codexsim()
            .arg("compare")
            .arg(&run_dir)
            .args(["--start-unix", &T0.to_string()])
            .args(["--prometheus", &format!("http://127.0.0.1:{port}")])
            .args(["--query", query])
            .args(["--start", &T0.to_string()])
            .args(["--end", &(T0 + 2 * 86_400).to_string()])
            .args(["--step", "300"])
            .args(extra))
    };
    // The same series: zero error, within a zero threshold.
    let (code, out, err) = compare(
        "codex_repostore_bytes_used{source=\"\"}",
        &["--max-rmse", "0", "--max-mape-percent", "0"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let rows = column(&out, "codex_repostore_bytes_used", 2);
    assert_eq!(rows.len(), 5, "{out}");
    assert!(rows.iter().all(|r| r == "0.000000e0"), "{out}");
    assert!(
        column(&out, "codex_repostore_bytes_used", 1)
            .iter()
            .all(|n| n == "577"),
        "{out}"
    );

    // Live 10 % higher: every error is 0.1 / 1.1 of the live value.
    let (code, out, err) = compare("codex_repostore_bytes_used{source=\"perturbed\"}", &[]);
    assert_eq!(code, 0, "{out}{err}");
    let mape = column(&out, "codex_repostore_bytes_used", 3);
    assert_eq!(mape.len(), 5, "{out}");
    assert!(mape.iter().all(|m| m == "9.091"), "{out}");
    let (code, _, err) = compare(
        "codex_repostore_bytes_used{source=\"perturbed\"}",
        &["--max-mape-percent", "5"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("mape % 9.090909 > 5"), "{err}");
}
