#!/usr/bin/env python3
"""The hold model in SimPy, for side-by-side comparison with codexsim's engine.

N processes each wait Exp(1) seconds, forever; every timeout is one event.
Prints one JSON line: {"pending": N, "events": E, "wall_s": T, "events_per_s": R}.

    python3 benches/hold_simpy.py --pending 1000 --events 1000000
"""
import argparse
import json
import random
import sys
import time

try:
    import simpy
except ImportError:
    sys.exit("simpy is not installed: pip install -r benches/requirements.txt")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pending", type=int, required=True, help="events pending at all times (N)")
    ap.add_argument("--events", type=int, required=True, help="events to deliver in the timed part")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    expovariate = rng.expovariate
    env = simpy.Environment()
    count = [0]

    def holder(env):
        timeout = env.timeout
        while True:
            yield timeout(expovariate(1.0))
            count[0] += 1

    for _ in range(args.pending):
        env.process(holder(env))
    # Start every process (their first step is an event of its own, untimed).
    env.run(until=1e-9)
    count[0] = 0
    step = env.step
    start = time.perf_counter()
    target = args.events
    while count[0] < target:
        step()
    wall = time.perf_counter() - start
    print(json.dumps({"pending": args.pending, "events": count[0], "wall_s": wall,
                      "events_per_s": count[0] / wall, "simpy": simpy.__version__}))


if __name__ == "__main__":
    main()
