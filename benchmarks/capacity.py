"""Speed of the capacity core: Erlang C at 100,000 servers, sizing, CSV batch.

Run by hand from an environment with relcalc installed:

    python benchmarks/capacity.py [--rows 100000]

Targets (issue 6): Erlang C with c = 100,000 well under 10 ms; sizing by
bisection, not a linear scan over N; a 100,000-row service CSV in seconds.
Each case prints its time and the ratio against a baseline measured in the
same run:
  Erlang C  the textbook recurrence B(j) = a B(j-1) / (j + a B(j-1)) in a
            plain Python loop (exact enough, but O(c) interpreted steps);
  sizing    a linear scan over N = 1, 2, ... per service with the same
            queueing functions, timed on a sample and scaled per row;
  CSV       pandas read_csv + to_csv of the same file (a subprocess).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from timing import best_of, median_seconds

from relcalc.capacity import Cluster, size
from relcalc.queueing import erlang_c, response_survival

BASELINE_IO = "import pandas as pd, sys; pd.read_csv(sys.argv[1]).to_csv(sys.argv[2], index=False)"


def erlang_c_loop(c: int, a: float) -> float:
    b = 1.0
    for j in range(1, c + 1):
        b = a * b / (j + a * b)
    return c * b / (c - a * (1 - b))


def linear_scan(rate: float, s: float, conc: int, limit: float) -> int:
    n = 1
    while True:
        lam, mu = rate / n, 1.0 / s
        if lam < conc * mu and response_survival(limit, lam, mu, conc) <= 0.01 and lam / (conc * mu) <= 0.7:
            return n
        n += 1


def services(rows: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "name": [f"svc-{i}" for i in range(rows)],
        "rate": np.round(rng.lognormal(np.log(2000), 1.5, rows), 1),
        "service_time": np.round(rng.uniform(0.005, 0.08, rows), 4),
        "concurrency": rng.integers(1, 64, rows),
        "target_utilization": 0.7,
        "zones": 3,
        "latency": "p99<=500ms",
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    ours = best_of(lambda: erlang_c(100_000, 99_000.0), repeats=5)
    base = best_of(lambda: erlang_c_loop(100_000, 99_000.0), repeats=3)
    print(f"Erlang C, c = 100,000          {ours * 1e3:8.3f} ms   python recurrence {base * 1e3:8.1f} ms"
          f"   {base / ours:7.0f}x faster   target < 10 ms: {'met' if ours < 0.01 else 'MISSED'}")

    frame = services(args.rows)
    rate, s, conc = (frame[k].to_numpy(float) for k in ("rate", "service_time", "concurrency"))
    cluster = Cluster(rate=rate, service_time=s, concurrency=conc, target_utilization=0.7,
                      latency_quantile=0.99, latency_seconds=0.5)
    start = time.perf_counter()
    sized = size(cluster)
    vector = time.perf_counter() - start
    sample = min(200, args.rows)
    start = time.perf_counter()
    scanned = [linear_scan(rate[i], s[i], int(conc[i]), 0.5) for i in range(sample)]
    scan = (time.perf_counter() - start) / sample * args.rows
    agree = np.array_equal(np.array(scanned, float), np.maximum(sized.nodes[:sample], 0))
    print(f"sizing {args.rows:,} services     {vector:8.3f} s    linear scan (scaled) {scan:8.1f} s"
          f"   {scan / vector:7.0f}x faster   same answers on the sample: {agree}")

    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "services.csv")
        out = os.path.join(tmp, "out.csv")
        frame.to_csv(source, index=False)
        io_base = median_seconds([sys.executable, "-c", BASELINE_IO, source, out], 3, warm_up=False)
        ours_csv = median_seconds([sys.executable, "-m", "relcalc", "capacity", "--csv", source, "-f", "csv",
                                   "-o", out], 3)
        produced = sum(1 for _ in open(out)) - 1
    print(f"capacity --csv, {args.rows:,} rows {ours_csv:8.2f} s    pandas read+write {io_base:8.2f} s"
          f"   {ours_csv / io_base:7.2f}x   ({produced:,} rows out; target: seconds)")


if __name__ == "__main__":
    main()
