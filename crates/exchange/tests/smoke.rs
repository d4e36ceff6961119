use codexsim_engine::dist::Dist;
use codexsim_exchange::swarm::{run, SwarmSpec};
use codexsim_exchange::{Params, Protocol};
use codexsim_net::LinkCapacity;

fn spec(p: Protocol, downloaders: u32, bytes: u64) -> SwarmSpec {
    SwarmSpec {
        params: Params::of(p),
        seed: 1,
        seeders: 1,
        downloaders,
        file_bytes: bytes,
        link: LinkCapacity {
            up_bytes_per_s: 125e6,
            down_bytes_per_s: 125e6,
            latency_ns: 5_000_000,
        },
        disk_read_bytes_per_s: f64::INFINITY,
        disk_write_bytes_per_s: f64::INFINITY,
        stream_cap_bytes_per_s: f64::INFINITY,
        start_gap_ns: 0,
        lookup_latency_s: Dist::Fixed { value: 0.1 },
        changes: vec![],
        until_ns: 100_000 * 1_000_000_000,
    }
}

#[test]
#[ignore]
fn smoke() {
    let n: u32 = std::env::var("N").ok().map_or(20, |v| v.parse().unwrap());
    let mb: u64 = std::env::var("MB")
        .ok()
        .map_or(1024, |v| v.parse().unwrap());
    let only = std::env::var("PROTO").ok();
    for p in Protocol::ALL {
        if only.as_deref().is_some_and(|o| o != p.name()) {
            continue;
        }
        let t = std::time::Instant::now();
        let r = run(&spec(p, n, mb << 20), false).unwrap();
        let d = r.durations_s();
        let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
        let dups: u64 = r.downloads.iter().map(|x| x.duplicate_blocks).sum();
        println!("{:10} wall {:7.3}s steps {:9} done {}/{} mean {:8.2}s max {:8.2} dups {} end {:.1} hist {:?}",
            p.name(), t.elapsed().as_secs_f64(), r.steps, d.len(), n, mean,
            d.iter().cloned().fold(0.0, f64::max), dups, r.end_s, r.received_histogram);
    }
}
