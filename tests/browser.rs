//! `report.html` in a real browser: headless Chromium opens it without a
//! console message, and its screenshot shows the charts.
//!
//! Chromium is found as `$CODEXSIM_CHROMIUM` or `chromium` on the PATH
//! (Debian's package, which `.ci/run` installs). Without it the test says
//! so and passes, unless `CODEXSIM_REQUIRE_CHROMIUM=1` (set by `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::skip_unless_required;
use crate::report::small_run;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CODEXSIM_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Opens `page` headless, screenshots it to `shot`, and returns the console
/// messages Chromium logged.
fn open(browser: &Path, page: &Path, shot: &Path) -> Vec<String> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect()
}

/// Share of pixels that are not (near) white, and whether the palette's
/// first line colour (the charts' blue) appears.
fn ink(shot: &Path) -> (f64, bool) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let (mut inked, mut blue, mut total) = (0usize, false, 0usize);
    for px in buf[..info.buffer_size()].chunks(channels) {
        total += 1;
        if px[..3].iter().any(|&c| c < 235) {
            inked += 1;
        }
        let near = |a: u8, b: u8| a.abs_diff(b) <= 12;
        if near(px[0], 31) && near(px[1], 119) && near(px[2], 180) {
            blue = true;
        }
    }
    (inked as f64 / total as f64, blue)
}

#[test]
fn the_report_opens_in_headless_chromium_without_console_errors() {
    let Some(browser) = chromium() else {
        skip_unless_required(
            "CODEXSIM_REQUIRE_CHROMIUM",
            "no chromium was found",
            "no chromium on the PATH (Debian package `chromium`)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    // The checks can fail: a page with a console error and an exception is
    // caught, and a blank page reads as blank.
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><script>console.error('broken'); \
         undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let messages = open(&browser, &bad, &dir.path().join("bad.png"));
    assert!(
        messages.iter().any(|m| m.contains("broken")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("undefinedFunction")),
        "{messages:?}"
    );
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let blank_shot = dir.path().join("blank.png");
    assert!(open(&browser, &blank, &blank_shot).is_empty());
    assert_eq!(ink(&blank_shot), (0.0, false));

    // The real report.
    let out = small_run(dir.path(), "r", &[]);
    let shot = dir.path().join("report.png");
    let messages = open(&browser, &out.join("report.html"), &shot);
    assert!(messages.is_empty(), "console messages: {messages:?}");
    let (inked, blue) = ink(&shot);
    assert!(
        inked > 0.03,
        "the screenshot is nearly blank: {inked:.4} inked"
    );
    assert!(blue, "no chart line colour in the screenshot");
}
