//! Random scenarios, valid-looking and not: validation never panics, and
//! every scenario it accepts runs to its end (its horizon or its event
//! budget) with every invariant checked, never to an internal error. The
//! values are drawn from lists that lean on the edges (zero, a nanosecond,
//! 1e30, negative, huge counts, heavy tails), so a run that the budget
//! check lets through but that would never end, or overflow the clock,
//! shows up here.

use codexsim_config::parse;
use codexsim_model::{Model, NullSink};
use proptest::prelude::*;

/// The first value (an ordinary one) most of the time, any of them (the
/// edges) otherwise, so that some scenarios pass validation with one or two
/// values at an edge.
fn pick(values: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop_oneof![6 => Just(values[0]), 1 => proptest::sample::select(values)]
}

prop_compose! {
    fn scenario()(
        duration in pick(&["\"1 h\"", "\"2 days\"", "1", "\"1 ns\"", "1e30", "-5", "\"200 years\"", "0"]),
        series in pick(&["\"1 h\"", "\"10 min\"", "\"1 ns\"", "\"1 ms\"", "1e12", "0"]),
        nodes in pick(&["8", "1", "3", "20", "0", "-1", "100000"]),
        quota in pick(&["\"1 TB\"", "\"10 GB\"", "\"1 MB\"", "0", "\"1e30 B\""]),
        machines in pick(&["", "2", "1", "50", "1000000"]),
        interval in pick(&[
            "{ dist = \"exponential\", mean = \"1 day\" }",
            "{ dist = \"exponential\", mean = \"1 ns\" }",
            "{ dist = \"weibull\", shape = 0.2, scale = \"1 h\" }",
            "\"1e30 s\"",
            "{ dist = \"uniform\", min = 0, max = \"1 h\" }",
        ]),
        outage in pick(&[
            "{ dist = \"lognormal\", median = \"2 min\", sigma = 1.0 }",
            "{ dist = \"lognormal\", median = \"2 min\", sigma = 1e10 }",
            "{ dist = \"lognormal\", median = \"2 min\", sigma = 40 }",
            "{ dist = \"exponential\", mean = \"190 years\" }",
            "1e30",
            "0",
        ]),
        arrivals in pick(&[
            "{ dist = \"exponential\", mean = \"5 min\" }",
            "{ dist = \"exponential\", mean = \"1 ns\" }",
            "{ dist = \"exponential\", mean = \"1 s\" }",
            "{ dist = \"fixed\", value = \"30 min\" }",
            "{ dist = \"lognormal\", median = \"1 min\", sigma = 30 }",
        ]),
        dataset in pick(&["\"10 MB\"", "\"1 B\"", "{ dist = \"lognormal\", median = \"1 MB\", sigma = 5 }", "\"2 TB\""]),
        shape in pick(&["nodes = 3\ntolerance = 1", "nodes = 1\ntolerance = 0", "nodes = 5\ntolerance = 4", "nodes = 30\ntolerance = 10"]),
        period in pick(&["120", "1", "1e30", "\"1 ns\""]),
        canary in pick(&["", "interval_s = \"30 s\"", "interval_s = \"1 ns\"", "interval_s = \"1 ms\""]),
        sharing in pick(&["max_min", "unshared"]),
        proof_mode in pick(&["aggregated", "exact"]),
        market in pick(&["fast", "exact"]),
        seed in 0u64..1000,
    ) -> String {
        let levels = if machines.is_empty() {
            String::new()
        } else {
            format!("[[domain_levels]]\nname = \"machine\"\ncount = {machines}\nlink_up_bytes_per_s = \"100 MB\"\nlink_down_bytes_per_s = \"100 MB\"\n\n")
        };
        let canary = if canary.is_empty() {
            String::new()
        } else {
            format!("[canary]\nnodes = [0, 1]\nfile_bytes = \"1 MB\"\n{canary}\n")
        };
        format!(
            "[run]\nseed = {seed}\nduration_s = {duration}\nseries_interval_s = {series}\nmax_events = 20000\n\
             proof_mode = \"{proof_mode}\"\nmarket = \"{market}\"\n\n\
             [marketplace]\nproof_period_s = {period}\nproof_timeout_s = 1\n\n\
             {levels}\
             [[node_groups]]\nname = \"n\"\ncount = {nodes}\nquota_bytes = {quota}\ntransfer_rate_bytes_per_s = \"30 MB\"\n\n\
             [[faults]]\nkind = \"outage\"\ntarget = \"node\"\ninterval_s = {interval}\nduration_s = {outage}\n\n\
             [workload]\ninterarrival_s = {arrivals}\ndataset_bytes = {dataset}\n{shape}\nduration_s = \"1 h\"\nexpiry_s = \"20 min\"\n\n\
             [network]\nsharing = \"{sharing}\"\n\n{canary}"
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn accepted_scenarios_run_to_their_end(text in scenario()) {
        // Validation returns, whatever the values (a panic fails the case).
        // (About 45 % of the cases pass validation.)
        let Ok(cfg) = parse(&text, "prop.toml") else {
            return Ok(());
        };
        // Accepted: it ends at its horizon or its budget of events, with
        // every invariant holding after every event.
        let summary = Model::new(&cfg, &mut NullSink)
            .check_every_event(true)
            .run(&mut |_| {});
        prop_assert!(summary.is_ok(), "{text}\n{:?}", summary.err());
    }
}
