#!/usr/bin/env python3
"""A storm of transfers through SimGrid's max-min solver, for
`codexsim bench flows --simgrid`.

Reads the storm that codexsim wrote:
  resources.csv  id,bytes_per_s             every limited resource (a link
                                            direction, a disk's reads or writes)
  transfers.csv  start_s,bytes,rate_cap_bytes_per_s,resources
                                            one row per transfer; the resources it
                                            crosses, space-separated ids; the cap
                                            empty for none
and writes ends.csv (index,end_s: each transfer's completion time, in input
order, shortest round-trip form) with one JSON line on stdout: the wall and
CPU times of building the platform and of the simulation, and SimGrid's
version.

The model is pure max-min fairness: CM02 with TCP-gamma 0 (no window bound),
latency and bandwidth factors 1, weight-S 0, no cross-traffic, latencies 0.
Every resource is a SimGrid link. The platform is one star zone: transfer i
leaves host t<i>, whose route to the centre is exactly its resources, for a
sink host whose route from the centre is empty. One actor starts each
transfer at its start time (sleep_until, then an asynchronous host-to-host
communication) and waits for all of them; the completion times are the
communications' finish times. A transfer's cap is a link of its own on its
route (in max-min, the same as a bound on its rate; SimGrid 3.32 ignores
set_rate on host-to-host communications).
"""

import argparse
import csv
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--resources", required=True)
    ap.add_argument("--transfers", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    try:
        import simgrid
        from simgrid import Actor, Comm, Engine, LinkInRoute, NetZone, this_actor
    except ImportError as e:
        sys.exit(f"SimGrid's Python module is missing ({e}): apt-get install python3-simgrid")

    with open(args.resources, newline="") as f:
        capacity = {int(r["id"]): float(r["bytes_per_s"]) for r in csv.DictReader(f)}
    starts, sizes, caps, routes = [], [], [], []
    with open(args.transfers, newline="") as f:
        for r in csv.DictReader(f):
            starts.append(float(r["start_s"]))
            sizes.append(int(r["bytes"]))
            caps.append(float(r["rate_cap_bytes_per_s"]) if r["rate_cap_bytes_per_s"] else None)
            routes.append([int(x) for x in r["resources"].split()])

    t0, c0 = time.perf_counter(), time.process_time()
    engine = Engine([
        sys.argv[0],
        "--cfg=network/model:CM02",
        "--cfg=network/TCP-gamma:0",
        "--cfg=network/latency-factor:1",
        "--cfg=network/bandwidth-factor:1",
        "--cfg=network/weight-S:0",
        "--cfg=network/crosstraffic:0",
        "--log=root.thres:warning",
    ])
    zone = NetZone.create_star_zone("storm")
    links = {}
    for rid in sorted(capacity):
        links[rid] = zone.create_link(f"r{rid}", capacity[rid]).seal()
    sink = zone.create_host("sink", 1.0).seal()
    zone.add_route(None, sink.netpoint, None, None, [], False)
    hosts = []
    for i, route in enumerate(routes):
        h = zone.create_host(f"t{i}", 1.0).seal()
        path = [LinkInRoute(links[r]) for r in route]
        if caps[i] is not None:
            # The transfer's own limit: a link that it alone crosses.
            path.append(LinkInRoute(zone.create_link(f"cap{i}", caps[i]).seal()))
        zone.add_route(h.netpoint, None, None, None, path, False)
        hosts.append(h)
    zone.seal()

    order = sorted(range(len(starts)), key=lambda i: (starts[i], i))
    comms = [None] * len(starts)

    def driver():
        for i in order:
            if starts[i] > Engine.clock:
                this_actor.sleep_until(starts[i])
            c = Comm.sendto_init(hosts[i], sink)
            c.set_payload_size(sizes[i])
            c.start()
            comms[i] = c
        Comm.wait_all(comms)

    Actor.create("driver", sink, driver)
    t1, c1 = time.perf_counter(), time.process_time()
    engine.run()
    t2, c2 = time.perf_counter(), time.process_time()

    with open(args.out, "w") as f:
        f.write("index,end_s\n")
        for i, c in enumerate(comms):
            f.write(f"{i},{c.finish_time!r}\n")
    print(json.dumps({
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "build_cpu_s": c1 - c0,
        "run_cpu_s": c2 - c1,
        "transfers": len(starts),
        "simgrid": simgrid.simgrid_version if isinstance(simgrid.simgrid_version, str) else str(simgrid.simgrid_version),
    }))


if __name__ == "__main__":
    main()
