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
        "t.toml:3:1: run.duration: unknown field `duration`, expected one of `seed`, `duration_s`, `max_events`, `series_interval_s`, `proof_mode`, `market`, `stop_on_data_loss`, `per_node_series`, `max_nodes`, `max_arrivals`, `max_series_rows`, `max_canary_rounds`"
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

/// The impossible configurations the fleet model refuses, each with the one
/// message naming the key, the value and the rule.
#[test]
fn impossible_fleet_configurations() {
    let fleet = |extra: &str| {
        format!("[[node_groups]]\nname = \"n\"\ncount = 4\nquota_bytes = \"1 TB\"\n{extra}")
    };
    let cases: [(String, &str); 8] = [
        (
            format!("[workload]\nnodes = 5\ntolerance = 2\n{}", fleet("")),
            "workload.nodes = 5: K + M = 5 slots need 5 distinct hosts but the fleet has 4 nodes",
        ),
        (
            format!("[workload]\ndataset_bytes = \"10 TB\"\nnodes = 3\ntolerance = 1\n{}", fleet("")),
            "workload.dataset_bytes = 10000000000000 bytes: gives slots of 8796093022208 bytes, larger than every node's availability (largest 1000000000000 bytes)",
        ),
        (fleet("").replace("\"1 TB\"", "-5"), "node_groups[0].quota_bytes = -5: must not be negative (bytes)"),
        (fleet("").replace("\"1 TB\"", "0"), "node_groups[0].quota_bytes = 0: must be at least 1 bytes"),
        (
            format!("[workload]\nnodes = 3\ntolerance = 0\n{}", fleet("")),
            "workload.tolerance = 0: must be between 1 and 65536",
        ),
        (
            format!("[workload]\nnodes = 3\ntolerance = 1\nexpiry_s = \"2 days\"\nduration_s = \"1 day\"\n{}", fleet("")),
            "workload.expiry_s = \"2 days\": must be less than workload.duration_s (86400s)",
        ),
        (
            format!("[workload]\nnodes = 3\ntolerance = 2\n{}", fleet("")),
            "workload.tolerance = 2: with nodes = 3 gives K = 1, M = 2: the Codex REST API requires K > 1 and K >= M",
        ),
        (
            format!("[workload]\nnodes = 3\ntolerance = 1\ndataset_bytes = -1\n{}", fleet("")),
            "workload.dataset_bytes = -1: must be a finite number >= 0 (bytes)",
        ),
    ];
    for (text, expected) in cases {
        let e = parse(&text, "t.toml").unwrap_err().to_string();
        assert!(e.contains(expected), "expected {expected:?} in:\n{e}");
    }
    // K = 2, M = 2 is fine for Codex (K >= M): the case above must not be an error.
    assert!(parse(
        &format!("[workload]\nnodes = 4\ntolerance = 2\n{}", fleet("")),
        "t.toml"
    )
    .is_ok());
}

#[test]
fn unknown_distribution_and_fault_kind() {
    let text = "[[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\n\
                [[faults]]\nkind = \"outage\"\ninterval_s = { dist = \"pareto\", mean = 1 }\n";
    let e = parse(text, "t.toml").unwrap_err().to_string();
    assert!(
        e.contains("faults[0].interval_s") && e.contains("unknown variant `pareto`"),
        "{e}"
    );
    let text = "[[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\n\
                [[faults]]\nkind = \"meteor\"\ntarget = \"rack\"\ninterval_s = \"1 day\"\n";
    let e = parse(text, "t.toml").unwrap_err().to_string();
    assert!(
        e.contains(
            "faults[0].kind = \"meteor\": must be one of \"outage\", \"disk_loss\", \"churn\""
        ),
        "{e}"
    );
    assert!(
        e.contains(
            "faults[0].target = \"rack\": must be one of \"node\" (the domain levels declared)"
        ),
        "{e}"
    );
    assert!(e.contains("2 errors"), "both at once: {e}");
}

#[test]
fn every_shipped_config_is_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            load_file(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 1);
}

#[test]
fn network_and_canary_errors_name_the_key() {
    let e = err(
        "[network]\nsharing = \"fair\"\nclient_up_bytes_per_s = 0\n[canary]\nnodes = [0, 99, 0]\n",
    );
    assert!(
        e.contains("network.sharing = \"fair\": must be one of \"max_min\", \"unshared\""),
        "{e}"
    );
    assert!(e.contains("network.client_up_bytes_per_s = 0"), "{e}");
    assert!(
        e.contains("canary.nodes[1] = 99: must be a node index below the fleet's"),
        "{e}"
    );
    assert!(e.contains("canary.nodes[2] = 0: must be unique"), "{e}");
    let e = err("[canary]\nnodes = [0]\n");
    assert!(
        e.contains("canary.nodes = [0]: must name at least two nodes"),
        "{e}"
    );
    let e =
        err("[[domain_levels]]\nname = \"machine\"\ncount = 2\nlink_up_bytes_per_s = \"-1 MB\"\n");
    assert!(e.contains("domain_levels[0].link_up_bytes_per_s"), "{e}");
}

#[test]
fn canary_timeout_defaults_to_two_seconds_per_megabyte() {
    let s = ok("[canary]\nnodes = [0, 1]\nfile_bytes = \"80 MB\"\n");
    let c = s.canary.unwrap();
    assert_eq!(c.timeout, SimDuration::from_secs(160));
    assert_eq!(c.interval, SimDuration::from_secs(30));
    assert_eq!(s.network.sharing, SharingMode::MaxMin);
}

#[test]
fn domain_levels_must_nest() {
    let e = err("[[domain_levels]]\nname = \"rack\"\ncount = 2\n[[domain_levels]]\nname = \"machine\"\ncount = 3\n");
    assert!(
        e.contains("domain_levels[1] = \"machine\": must nest in \"rack\""),
        "{e}"
    );
}

/// A link's three keys are read and checked the same way in both tables that
/// have them, and an unknown key next to them is still refused by name.
#[test]
fn link_keys_in_domain_levels_and_node_groups() {
    let text = "[[domain_levels]]\nname = \"rack\"\ncount = 5\nlink_up_bytes_per_s = 0\n\
                link_down_bytes_per_s = 1.5\nlink_latency_s = \"2 parsecs\"\n\
                [[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\n\
                link_up_bytes_per_s = -1\nlink_down_bytes_per_s = \"x\"\nlink_latency_s = -1\n";
    assert_eq!(
        parse(text, "t.toml").unwrap_err().to_string(),
        "t.toml: 6 errors in the configuration:\n\
         domain_levels[0].link_up_bytes_per_s = 0: must be at least 1 bytes\n\
         domain_levels[0].link_down_bytes_per_s = 1.5: must be a whole number of bytes (write \"1.5 GB\" for a fraction of a unit)\n\
         domain_levels[0].link_latency_s = \"2 parsecs\": has unknown unit \"parsecs\" (use ns, us, ms, s, min, h, days, weeks or years of 365 days)\n\
         node_groups[0].link_up_bytes_per_s = -1: must not be negative (bytes)\n\
         node_groups[0].link_down_bytes_per_s = \"x\": must start with a number\n\
         node_groups[0].link_latency_s = -1: must be a finite number of seconds >= 0"
    );
    let s = parse(
        "[[domain_levels]]\nname = \"rack\"\ncount = 5\nlink_up_bytes_per_s = \"1 GB\"\n\
         [[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\n\
         link_down_bytes_per_s = 1000\nlink_latency_s = \"2 ms\"\n",
        "t.toml",
    )
    .unwrap();
    assert_eq!(
        s.domain_levels[0].link,
        Link {
            up_bytes_per_s: Some(1_000_000_000),
            down_bytes_per_s: None,
            latency: SimDuration::ZERO,
        }
    );
    assert_eq!(
        s.node_groups[0].link,
        Link {
            up_bytes_per_s: None,
            down_bytes_per_s: Some(1000),
            latency: SimDuration::from_millis(2),
        }
    );
    let text = s.to_toml();
    assert!(
        text.contains("link_up_bytes_per_s = \"1 GB\"\nlink_latency_s = 0\n"),
        "{text}"
    );
    assert!(
        text.contains("link_down_bytes_per_s = 1000\nlink_latency_s = \"2 ms\"\n"),
        "{text}"
    );
    let e = parse(
        "[[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\nlink_up = 5\n",
        "t.toml",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "t.toml:5:1: node_groups[0].link_up: unknown field `link_up`, expected one of `name`, `count`, `quota_bytes`, `transfer_rate_bytes_per_s`, `link_up_bytes_per_s`, `link_down_bytes_per_s`, `link_latency_s`, `disk_read_bytes_per_s`, `disk_write_bytes_per_s`, `proof_failure_probability`, `slot_queue_size`, `slot_queue_workers`, `placement`, `one_slot_per_request`, `availability`"
    );
}

#[test]
fn market_mode_is_fast_or_exact() {
    let e = err("[run]\nmarket = \"quick\"\n");
    assert!(
        e.contains("run.market = \"quick\": must be one of \"fast\", \"exact\""),
        "{e}"
    );
    let group = "[[node_groups]]\nname = \"n\"\ncount = 5\nquota_bytes = \"1 TB\"\n";
    let fast = crate::parse(group, "t.toml").unwrap();
    assert_eq!(fast.run.market, crate::MarketMode::Fast);
    let exact = crate::parse(&format!("[run]\nmarket = \"exact\"\n{group}"), "t.toml").unwrap();
    assert_eq!(exact.run.market, crate::MarketMode::Exact);
}

#[test]
fn every_shipped_swarm_file_is_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/swarms");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            crate::exchange::load_swarm(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 1);
}

#[test]
fn exchange_and_swarm_errors_name_the_key() {
    let e = err(
        "[exchange]\nprotocol = \"v9\"\ndepth_min = 9\ndepth_max = 3\n[transfers]\nmodel = \"bits\"\n",
    );
    assert!(
        e.contains("exchange.protocol = \"v9\": must be one of \"v0.1\""),
        "{e}"
    );
    assert!(
        e.contains("exchange.depth_min = 9: must be at most exchange.depth_max (3)"),
        "{e}"
    );
    assert!(
        e.contains("transfers.model = \"bits\": must be one of \"fluid\", \"blocks\""),
        "{e}"
    );
    let e = err("[network]\nsharing = \"unshared\"\n[transfers]\nmodel = \"blocks\"\n");
    assert!(
        e.contains("transfers.model = \"blocks\": needs network.sharing = \"max_min\""),
        "{e}"
    );
    let e = crate::exchange::parse_swarm(
        "[swarm]\nseeders = 0\ndownloaders = -1\nfile_bytes = \"-1 GB\"\nchanges = [{ time_s = 1, node = 5, up = false }]\n",
        "s.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("swarm.seeders = 0"), "{e}");
    assert!(e.contains("swarm.downloaders = -1"), "{e}");
    assert!(e.contains("swarm.file_bytes"), "{e}");
    assert!(e.contains("swarm.changes[0].node = 5"), "{e}");
    let e = crate::exchange::parse_swarm("[swarm]\nseeds = 1\n", "s.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `seeds`"), "{e}");
}

#[test]
fn a_marketplace_preset_fills_what_the_file_leaves_out() {
    let s = ok("[marketplace]\npreset = \"dist-tests\"\nslash_percentage = 5\n");
    assert_eq!(
        s.marketplace.proof_period,
        codexsim_engine::SimDuration::from_secs(60)
    );
    assert_eq!(s.source.marketplace.downtime_blocks, 128);
    assert_eq!(s.source.marketplace.downtime_product, Some(67));
    assert_eq!(
        s.source.marketplace.slash_percentage, 5,
        "a written key overrides the preset"
    );
    let h = ok("[marketplace]\npreset = \"hardhat\"\nproof_period_s = 100\n");
    assert_eq!(
        h.marketplace.proof_period,
        codexsim_engine::SimDuration::from_secs(100)
    );
    assert_eq!(h.source.marketplace.downtime_blocks, 96);
    assert_eq!(h.source.marketplace.downtime_product, Some(97));
    // The values every preset shares are the defaults.
    let m = &h.source.marketplace;
    assert_eq!(m.proof_timeout_s, crate::RawQuantity::Int(30));
    assert_eq!(
        (
            m.max_reservations_per_slot,
            m.repair_reward_percentage,
            m.max_number_of_slashes,
            m.slash_percentage,
            m.validator_reward_percentage,
        ),
        (3, 10, 2, 20, 20)
    );
    assert_eq!(
        h.marketplace.request_duration_limit,
        codexsim_engine::SimDuration::from_days(30)
    );
    // The resolved file parses back to the same scenario.
    let again = parse(&s.to_toml(), "resolved.toml").unwrap();
    assert_eq!(again, s);
    let e = err("[marketplace]\npreset = \"mainnet\"\n");
    assert!(
        e.contains("marketplace.preset = \"mainnet\": must be one of \"testnet-2025\", \"hardhat\", \"dist-tests\""),
        "{e}"
    );
}

#[test]
fn market_rule_errors_name_the_key() {
    let e = err(
        "[validators]\ncount = 0\ngroups = 1\nmax_slots = -1\nplacement = \"cloud\"\nfailure_interval_s = { dist = \"exponential\", mean = 0 }\n",
    );
    for want in [
        "validators.count = 0: must be",
        "validators.groups = 1: must be",
        "validators.max_slots = -1: must be",
        "validators.placement = \"cloud\": must be one of \"outside\", \"fleet\"",
        "validators.failure_interval_s.mean = 0",
    ] {
        assert!(e.contains(want), "{want} in {e}");
    }
    let e = err("[validators]\ncount = 9\nplacement = \"fleet\"\n");
    assert!(
        e.contains("validators.count = 9: must not exceed the fleet's 5 nodes"),
        "{e}"
    );
    let e = err("[marketplace.reservation_window]\ndispersal = 1.5\ntail = 1\n");
    assert!(
        e.contains(
            "marketplace.reservation_window.dispersal = 1.5: must be strictly between 0 and 1"
        ),
        "{e}"
    );
    assert!(
        e.contains("marketplace.reservation_window.tail = 1: must be at least 0 and below 1"),
        "{e}"
    );
    let e = err("[workload]\nrenewal = \"forever\"\n");
    assert!(
        e.contains(
            "workload.renewal = \"forever\": must be one of \"new_request\", \"same_hosts\""
        ),
        "{e}"
    );
    let e = err("[workload]\nduration_s = \"1 day\"\nrenewal_lead_s = \"2 days\"\n");
    assert!(
        e.contains(
            "workload.renewal_lead_s = 172800s: must be shorter than workload.duration_s (86400s)"
        ),
        "{e}"
    );
    let e = err("[marketplace]\nmax_number_of_slashes = 6\nslash_percentage = 20\n");
    assert!(
        e.contains("marketplace.max_number_of_slashes = 6: times marketplace.slash_percentage (20) must not exceed 100"),
        "{e}"
    );
    // Unknown keys in the new tables are refused like any other.
    let e = err("[validators]\ngroup = 2\n");
    assert!(e.contains("unknown field `group`"), "{e}");
    // Defaults: the lead is 1 day, or half a shorter request; the renewal's
    // expiry 2 h, or the lead if shorter.
    let s = ok("[workload]\nduration_s = \"2 h\"\n");
    assert_eq!(
        s.workload.renewal,
        crate::Renewal::NewRequest {
            lead: codexsim_engine::SimDuration::from_hours(1),
            expiry: codexsim_engine::SimDuration::from_hours(1),
        }
    );
    let s = ok("[validators]\n");
    let v = s.validators.unwrap();
    assert_eq!((v.count, v.groups, v.max_slots), (1, None, Some(1000)));
}
