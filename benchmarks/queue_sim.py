"""Speed of the compiled queue simulation against Ciw on the same M/G/c model, in the same run.

Run by hand from an environment with the bench extra (pip install -e '.[bench]'):

    python benchmarks/queue_sim.py [--customers 200000] [--ciw-customers 20000]

The model (issue 14, section 3): one node of c = 4 slots, Poisson arrivals
at 80% load, lognormal service of mean 40 ms and CV 1.5, FCFS. Ciw
(Palmer, Knight, Harper and Tuson, "Ciw: an open-source discrete event
simulation library", J. Simulation 2019) is a well-known pure-Python
discrete-event queueing library. Each side runs its own number of customers
(Ciw is slow); speed is customers simulated per second, timed after one
warm-up run (numba compiles on first use). Both mean waits are printed with
their 95% intervals (relcalc: t over replications; Ciw: batch means over 10
batches) so the agreement can be read off. Target: at least 100x Ciw.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from relcalc.capacity.service import service_time
from relcalc.capacity.simulation import Scenario, simulate

SLOTS, LOAD, MEAN, CV = 4, 0.8, 0.04, 1.5


def ciw_run(customers: int, seed: int):
    import ciw

    s2 = math.log1p(CV * CV)
    rate = LOAD * SLOTS / MEAN
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate)],
        service_distributions=[ciw.dists.Lognormal(mean=math.log(MEAN) - s2 / 2, sd=math.sqrt(s2))],
        number_of_servers=[SLOTS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    start = time.perf_counter()
    sim.simulate_until_max_customers(customers + customers // 10, method="Finish")
    seconds = time.perf_counter() - start
    records = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)[customers // 10:]
    waits = np.array([r.waiting_time for r in records])
    return seconds, len(records), waits


def batch_means(values: np.ndarray, batches: int = 10) -> tuple[float, float]:
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    half = 2.262 * means.std(ddof=1) / math.sqrt(batches)  # t(0.975, 9 degrees of freedom)
    return float(means.mean()), float(half)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000, help="relcalc: requests per replication")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--ciw-customers", type=int, default=20_000)
    args = parser.parse_args()

    service = service_time("lognormal", MEAN, cv=CV)
    rate = LOAD * SLOTS / MEAN

    def ours():
        return simulate(Scenario(1), rate, SLOTS, "random", service, seed=1, replications=args.replications,
                        customers=args.customers)

    ours()  # compile (or load the cached machine code) before timing
    start = time.perf_counter()
    result = ours()
    our_seconds = time.perf_counter() - start
    our_count = args.customers * args.replications * 11 // 10  # with the warm-ups
    ciw_seconds, ciw_count, waits = ciw_run(args.ciw_customers, seed=1)
    ciw_count = ciw_count * 11 // 10
    ours_rate, ciw_rate = our_count / our_seconds, ciw_count / ciw_seconds
    ciw_mean, ciw_half = batch_means(waits)
    w = result.mean_wait_seconds
    print(f"M/G/{SLOTS}, lognormal CV {CV}, {LOAD:.0%} load")
    print(f"relcalc  {ours_rate:12,.0f} customers/s   ({our_count:,} in {our_seconds:.2f} s)")
    print(f"Ciw      {ciw_rate:12,.0f} customers/s   ({ciw_count:,} in {ciw_seconds:.2f} s)")
    print(f"speed-up {ours_rate / ciw_rate:12.0f}x   target >= 100x: {'met' if ours_rate >= 100 * ciw_rate else 'MISSED'}")
    print(f"mean wait: relcalc {w.value * 1000:.3f} ms ({w.low * 1000:.3f}-{w.high * 1000:.3f}),"
          f" Ciw {ciw_mean * 1000:.3f} ms (+/- {ciw_half * 1000:.3f}); intervals overlap: "
          f"{w.low <= ciw_mean + ciw_half and ciw_mean - ciw_half <= w.high}")


if __name__ == "__main__":
    main()
