//! Every scenario in `configs/` runs its first days with every invariant
//! checked after every event: the checkers see domains, node groups, every
//! fault kind and distribution the shipped files use, not only the tiny test
//! scenarios.
//!
//! A check after every event visits the whole fleet, so its cost per event
//! grows with the nodes, and so do the events per simulated hour: the large
//! fleets (`lab-1k`, `lab-10k`, over [`SMALL_FLEET`] nodes) stop after
//! [`LARGE_FLEET_EVENTS`] events, enough (with the fast market) for their
//! first requests to be announced, reserved, downloaded and filled across
//! their domains.

use codexsim_config::{parse_raw, RawQuantity};
use codexsim_model::{MemorySink, Model};
use rayon::prelude::*;

#[test]
fn shipped_configs_keep_their_invariants() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    // Every file as written, and the base-capacity fleet with unshared
    // transfers.
    let mut runs: Vec<(std::path::PathBuf, &str)> =
        paths.iter().map(|p| (p.clone(), "max_min")).collect();
    runs.extend(
        paths
            .iter()
            .filter(|p| p.ends_with("base-capacity.toml"))
            .map(|p| (p.clone(), "unshared")),
    );
    // On every core; each run's checks are its own.
    let ran: usize = runs
        .par_iter()
        .map(|(path, sharing)| {
            let text = std::fs::read_to_string(path).unwrap();
            let mut raw = parse_raw(&text, &path.display().to_string()).unwrap();
            if *sharing == "unshared" {
                raw.network.sharing = sharing.to_string();
            }
            let nodes: i64 = raw.node_groups.iter().map(|g| g.count).sum();
            let large = nodes > SMALL_FLEET;
            raw.run.duration_s = RawQuantity::Text("4 days".into());
            raw.run.series_interval_s = RawQuantity::Text("1 h".into());
            if large {
                raw.run.max_events = LARGE_FLEET_EVENTS;
            }
            let cfg = raw
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut sink = MemorySink::default();
            let summary = Model::new(&cfg, &mut sink)
                .check_every_event(true)
                .run(&mut |_| {})
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                summary.totals.slots_filled_total > 0,
                "{}: nothing was stored",
                path.display()
            );
            if large {
                assert_eq!(summary.stop_reason, "event_limit", "{}", path.display());
                // The sample at 0 and the one closing the series at the stop.
                assert!(sink.fleet.len() >= 2, "{}", path.display());
            } else {
                assert_eq!(sink.fleet.len(), 4 * 24 + 1, "{}", path.display());
            }
            1
        })
        .sum();
    assert!(ran >= 7);
}

/// Fleets up to this many nodes run four simulated days.
const SMALL_FLEET: i64 = 100;
/// Events a larger fleet runs with checks after each.
const LARGE_FLEET_EVENTS: i64 = 40_000;
