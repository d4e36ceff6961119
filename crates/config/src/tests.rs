//! Data-driven tests: each case is TOML in, the exact message out.

use super::*;
use crate::dist::validate_dist;
use codexsim_engine::{Dist, SimDuration};

/// The smallest fleet, appended to cases that are about other sections.
const FLEET: &str = "\n[[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\n";

fn ok(text: &str) -> Scenario {
    parse(&format!("{text}{FLEET}"), "t.toml").unwrap()
}

fn err(text: &str) -> String {
    parse(&format!("{text}{FLEET}"), "t.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn empty_file_takes_every_default() {
    let s = ok("");
    assert_eq!(s.run.seed, 1);
    assert_eq!(s.run.duration, SimDuration::from_days(365));
    assert_eq!(s.run.series_interval, SimDuration::from_hours(1));
}

#[test]
fn units_are_accepted_in_strings_and_numbers() {
    let s = ok("[run]\nseed = 7\nduration_s = \"30 days\"\nseries_interval_s = 600\n");
    assert_eq!(s.run.seed, 7);
    assert_eq!(s.run.duration, SimDuration::from_days(30));
    assert_eq!(s.run.series_interval, SimDuration::from_mins(10));
}

#[test]
fn unknown_key_names_the_key_and_its_place() {
    assert_eq!(
        err("[run]\nseed = 3\nduration = 5\n"),
        "t.toml:3:1: run.duration: unknown field `duration`, expected one of `seed`, `duration_s`, `max_events`, `series_interval_s`, `proof_mode`, `stop_on_data_loss`, `per_node_series`"
    );
    assert!(
        err("[rnu]\n").starts_with("t.toml:1:2: rnu: unknown field `rnu`"),
        "{}",
        err("[rnu]\n")
    );
}

#[test]
fn wrong_type_names_the_key() {
    let e = err("[run]\nseed = \"seven\"\n");
    assert!(
        e.starts_with("t.toml:2:8: run.seed: invalid type: string \"seven\", expected i64"),
        "{e}"
    );
}

#[test]
fn syntax_error_has_a_position() {
    let e = err("[run\n");
    assert!(e.starts_with("t.toml:1:"), "{e}");
}

#[test]
fn out_of_range_values_are_all_reported_at_once() {
    let e =
        err("[run]\nseed = -1\nduration_s = \"-5 days\"\nmax_events = 0\nseries_interval_s = 0\n");
    assert_eq!(
        e,
        "t.toml: 4 errors in the configuration:\n\
         run.seed = -1: must be >= 0\n\
         run.duration_s = \"-5 days\": must not be negative\n\
         run.max_events = 0: must be >= 1\n\
         run.series_interval_s = 0: must be > 0 (seconds)"
    );
}

#[test]
fn cross_field_rule() {
    assert_eq!(
        err("[run]\nduration_s = 60\nseries_interval_s = 120\n"),
        "t.toml: 1 error in the configuration:\nrun.series_interval_s = 120: must not exceed run.duration_s (60s)"
    );
}

#[test]
fn resolved_toml_round_trips() {
    let s = ok(
        "name = \"x\"\n[run]\nseed = 9\nduration_s = \"1.5 h\"\nseries_interval_s = \"0.25 s\"\n",
    );
    let text = s.to_toml();
    assert_eq!(parse(&text, "resolved").unwrap(), s);
    assert!(text.contains("duration_s = \"1.5 h\""), "{text}");
    assert!(
        text.contains("proof_period_s = 120"),
        "defaults are filled in: {text}"
    );
}

fn dist(text: &str) -> Result<Dist, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct W {
        x_s: RawDist,
    }
    let w: W = toml::from_str(text).map_err(|e| e.message().to_string())?;
    validate_dist("x_s", &w.x_s, Unit::Seconds).map_err(|e| e.to_string())
}

#[test]
fn distributions_parse_with_units() {
    assert_eq!(dist("x_s = \"2 h\""), Ok(Dist::Fixed { value: 7200.0 }));
    assert_eq!(
        dist("x_s = { dist = \"exponential\", mean = \"1 day\" }"),
        Ok(Dist::Exponential { mean: 86400.0 })
    );
    assert_eq!(
        dist("x_s = { dist = \"weibull\", shape = 0.8, scale = 100 }"),
        Ok(Dist::Weibull {
            shape: 0.8,
            scale: 100.0
        })
    );
    assert_eq!(
        dist("x_s = { dist = \"empirical\", samples = [1, \"1 min\"] }"),
        Ok(Dist::Empirical {
            samples: vec![1.0, 60.0]
        })
    );
    let Ok(Dist::LogNormal { mu, sigma }) =
        dist("x_s = { dist = \"lognormal\", median = 10, sigma = 0.5 }")
    else {
        panic!()
    };
    assert!((mu - 10f64.ln()).abs() < 1e-12 && sigma == 0.5);
}

#[test]
fn distribution_errors_name_the_parameter() {
    let e = dist("x_s = { dist = \"gamma\", mean = 1 }").unwrap_err();
    assert!(e.contains("unknown variant `gamma`, expected one of `fixed`, `exponential`, `weibull`, `lognormal`, `uniform`, `empirical`"), "{e}");
    assert_eq!(
        dist("x_s = { dist = \"exponential\", mean = 0 }").unwrap_err(),
        "x_s.mean = 0: must be a finite number > 0"
    );
    assert_eq!(
        dist("x_s = { dist = \"uniform\", min = 5, max = 2 }").unwrap_err(),
        "x_s.max = 2: must be >= min"
    );
    assert_eq!(
        dist("x_s = { dist = \"weibull\", shape = 1, scale = \"-1 h\" }").unwrap_err(),
        "x_s.scale = \"-1 h\": must not be negative"
    );
    let e = dist("x_s = { dist = \"exponential\", mean = 1, shape = 2 }").unwrap_err();
    assert!(e.contains("unknown field `shape`"), "{e}");
}
