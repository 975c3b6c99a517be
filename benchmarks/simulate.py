"""Events per second of relcalc's Raft engine against a straightforward SimPy model.

Run by hand (SimPy is a benchmark-only dependency: pip install '.[bench]'):

    python benchmarks/simulate.py [--years 20000]
    python benchmarks/simulate.py --default-command   # only `relcalc simulate raft`'s own time, warm

Both simulate the same full model: 5 nodes in 3 zones (2/2/1) with zone
failures, one repair crew, lognormal repairs, and Raft elections with split
votes. An event is a node or zone transition or the end of an election.
Targets (issue 15): at least 100x the SimPy model's events per second on one
worker, and 1.8x one worker's rate with --workers 2 on two free cores (the
machine's load average is printed, since a busy machine has no second core
to give).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import subprocess
import sys
import time

import simpy

from relcalc.raft.engine import simulate
from relcalc.raft.model import Distribution, RaftModel

YEAR = 8760.0


def simpy_run(model: RaftModel, years: float, seed: int) -> tuple[int, float, float]:
    """Simulate with SimPy; returns (events, quorum unavailability, wall seconds)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    crew = simpy.Resource(env, capacity=model.crews) if model.crews else None
    zone_of = model.zone_of
    node_up = [True] * model.nodes
    zone_up = [True] * len(model.zones)
    state = {"leader": 0, "electing": False, "quorum": True, "since": 0.0, "down": 0.0, "events": 0}
    sigma = model.ttr.shape
    mu_log = math.log(model.ttr.mean) - sigma**2 / 2

    def serving() -> list[int]:
        return [i for i in range(model.nodes) if node_up[i] and zone_up[zone_of[i]]]

    def election(env, voters):
        low, high = model.election_timeout
        total = 0.0
        while True:
            draws = sorted(low + (high - low) * rng.random() for _ in range(voters))
            total += draws[0] + model.rtt
            if voters == 1 or draws[1] - draws[0] > model.rtt:
                break
        yield env.timeout(total)
        state["events"] += 1
        state["electing"] = False
        up = serving()
        if len(up) >= model.quorum:
            state["leader"] = rng.choice(up)

    def update(env):
        up = serving()
        quorum = len(up) >= model.quorum
        if state["leader"] is not None and state["leader"] not in up:
            state["leader"] = None
        if state["quorum"] and not quorum:
            state["since"] = env.now
            state["leader"] = None
        elif quorum and not state["quorum"]:
            state["down"] += env.now - state["since"]
        state["quorum"] = quorum
        if quorum and state["leader"] is None and not state["electing"]:
            state["electing"] = True
            env.process(election(env, len(up)))

    def node(env, i):
        while True:
            yield env.timeout(rng.expovariate(1.0 / model.ttf.mean))
            node_up[i] = False
            state["events"] += 1
            update(env)
            if crew is None:
                yield env.timeout(rng.lognormvariate(mu_log, sigma))
            else:
                with crew.request() as request:
                    yield request
                    yield env.timeout(rng.lognormvariate(mu_log, sigma))
            node_up[i] = True
            state["events"] += 1
            update(env)

    def zone(env, z):
        while True:
            yield env.timeout(rng.expovariate(1.0 / model.zone_ttf.mean))
            zone_up[z] = False
            state["events"] += 1
            update(env)
            yield env.timeout(rng.expovariate(1.0 / model.zone_ttr.mean))
            zone_up[z] = True
            state["events"] += 1
            update(env)

    for i in range(model.nodes):
        env.process(node(env, i))
    for z in range(len(model.zones)):
        env.process(zone(env, z))
    start = time.perf_counter()
    env.run(until=years * YEAR)
    wall = time.perf_counter() - start
    if not state["quorum"]:
        state["down"] += env.now - state["since"]
    return state["events"], state["down"] / env.now, wall


def default_command(rounds: int) -> None:
    """CPU and wall time of the whole default command, start-up and numba's cache load included (target:
    under 1 s warm). CPU is the figure to compare on a shared machine: wall time grows with the load."""
    command = [sys.executable, "-m", "relcalc", "simulate", "raft", "--seed", "1"]
    subprocess.run(command, capture_output=True, check=True)  # compile or load the cache once
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(f"relcalc simulate raft (n = 5, 100,000 years), warm: {cpu:.2f} s CPU, {wall:.2f} s wall")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; target: under 1 s warm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=4_000, help="SimPy's years per round (relcalc runs 50 times that)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--default-command", action="store_true",
                        help="time only the default `relcalc simulate raft` command (CPU and wall, --rounds times)")
    args = parser.parse_args()
    if args.default_command:
        default_command(args.rounds)
        return
    model = RaftModel(
        nodes=5, ttf=Distribution("exponential", 500.0), ttr=Distribution("lognormal", 8.0, 1.0), crews=1,
        layout=(2, 2, 1), zone_ttf=Distribution("exponential", 4380.0), zone_ttr=Distribution("exponential", 2.0),
    )
    # best of three, SimPy and relcalc taking turns, so a burst of load on the shared machine hits both
    simpy_best = (0.0, 0, 0.0, 0.0)
    rates: dict[int, float] = {}
    results = {}
    for turn in range(args.rounds):
        events, unavailable, wall = simpy_run(model, args.years, seed=1 + turn)
        simpy_best = max(simpy_best, (events / wall, events, wall, unavailable))
        for workers in (1, 2):
            result = simulate(model, years=args.years * 50, seed=1, workers=workers)
            if result.events_per_second > rates.get(workers, 0.0):
                rates[workers], results[workers] = result.events_per_second, result
    base, events, wall, unavailable = simpy_best
    print(f"full model: 5 nodes, zones 2/2/1 failing, 1 crew, lognormal repairs, elections; {args.years:,.0f} years; "
          f"best of {args.rounds}")
    print(f"SimPy model        {base:12,.0f} events/s   ({events:,} events in {wall:.2f} s, quorum U {unavailable:.3g})")
    for workers in (1, 2):
        result, rate = results[workers], rates[workers]
        print(f"relcalc, {workers} worker{'s' if workers > 1 else ' '}  {rate:12,.0f} events/s   "
              f"({result.events:,} events in {result.wall_seconds:.2f} s, quorum U "
              f"{result.quorum_unavailability.value:.3g})   {rate / base:6.1f}x")
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print("targets: at least 100x the SimPy model; 1.8x from a second worker on two free cores")


if __name__ == "__main__":
    main()
