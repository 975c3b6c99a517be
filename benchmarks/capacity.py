"""Speed of the capacity core: Erlang C at 100,000 servers, sizing, CSV batch.

Run by hand from an environment with relcalc installed:

    python benchmarks/capacity.py [--rows 100000]

Targets: Erlang C with c = 100,000 well under 10 ms (issue 6); sizing
100,000 services at least as fast as a plain float loop; ``capacity --csv``
of 100,000 services within 2x pandas read_csv + to_csv of the same file
(issue 15). Each case prints its time and the ratio against a baseline
measured in the same run:
  Erlang C  the textbook recurrence B(j) = a B(j-1) / (j + a B(j-1)) in a
            plain Python loop (exact enough, but O(c) interpreted steps);
  sizing    a plain float loop per service (Python floats and math.exp, no
            numpy): N counts up from the work R S / c until the hottest
            node is within the 70% cap and its M/M/c p99 response (Erlang C
            by the recurrence) within 500 ms, and the survivors of a lost
            zone (3 zones) within the 90% survivor cap and the same p99;
            timed on a sample and scaled per row, its counts compared with
            ours on that sample;
  CSV       pandas read_csv + to_csv of the same file (a subprocess), and
            the CPU seconds of both (user + system), less sensitive to other
            work on the machine than the wall time.

With --stages it also prints where one run of ``capacity --csv`` spends its
time (a fresh interpreter, perf counters around each stage: start-up and
the imports, reading, sizing, writing), to see what is left to cut.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from timing import best_of, median_seconds

from relcalc.capacity import Cluster, size
from relcalc.queueing import erlang_c

BASELINE_IO = "import pandas as pd, sys; pd.read_csv(sys.argv[1]).to_csv(sys.argv[2], index=False)"

#: One plain-file run of capacity --csv, stage by stage, in a fresh interpreter (the command's own steps).
STAGES = """
import sys, time
marks = [("start", time.perf_counter())]
def mark(name): marks.append((name, time.perf_counter()))
import relcalc.cli.capacity; mark("relcalc CLI, typer")
import numpy; mark("numpy")
import pyarrow, pyarrow.compute, pyarrow.csv; mark("pyarrow")
import scipy.special; mark("scipy.special")
from relcalc.capacity.batch_plain import size_plain
from relcalc.cli.capacity import _option_defaults
from relcalc.cli.capacity_csv import arrow_table, read_plain
from relcalc.csv_quoting import header_line, rows_csv
defaults = {**_option_defaults(*[None] * 11), "service_scv": 1.0, "arrival_scv": 1.0}
mark("relcalc capacity")
table = read_plain(sys.argv[1]); mark("read")
rows, found = size_plain(table, defaults); mark("parse and size")
results, kinds, _ = rows.result_columns("current_nodes" in found)
passed = {n: table.column(n).combine_chunks() for n in table.column_names if n not in set(found.values())}
out = arrow_table(passed, results, kinds)
with open(sys.argv[2], "wb") as sink:
    sink.write(header_line(out.column_names) + rows_csv(out))
mark("write")
print("   ".join(f"{name} {b - a:.3f}" for (_, a), (name, b) in zip(marks, marks[1:])), "  pandas imported:",
      "pandas" in sys.modules)
"""


def erlang_c_loop(c: int, a: float) -> float:
    b = 1.0
    for j in range(1, c + 1):
        b = a * b / (j + a * b)
    return c * b / (c - a * (1 - b))


def p99_ok(lam: float, s: float, conc: int, limit: float) -> bool:
    """M/M/c response p99 <= limit, with plain floats: P(R > limit) <= 1%."""
    mu = 1.0 / s
    a = lam / mu
    if a >= conc:
        return False
    b = 1.0
    for j in range(1, conc + 1):
        b = a * b / (j + a * b)
    pw = conc * b / (conc - a * (1 - b))
    theta = conc * mu - lam
    if abs(theta - mu) < 1e-12 * mu:
        both = math.exp(-mu * limit) * (1 + mu * limit)
    else:
        both = (theta * math.exp(-mu * limit) - mu * math.exp(-theta * limit)) / (theta - mu)
    return (1 - pw) * math.exp(-mu * limit) + pw * both <= 0.01


def float_loop(rate: float, s: float, conc: int, limit: float) -> int:
    """The smallest N meeting the benchmark's targets, counting up (see the module notes)."""
    n = max(1, math.floor(rate * s / conc))
    while True:
        lam = rate / n
        survivors = n - math.ceil(n / 3)
        util = lam * s / conc
        if util <= 0.7 and survivors >= 1:
            after = rate / survivors
            if after * s / conc <= 0.9 and p99_ok(lam, s, conc, limit) and p99_ok(after, s, conc, limit):
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
    parser.add_argument("--sample", type=int, default=5_000, help="services the float loop sizes (then scaled)")
    parser.add_argument("--stages", action="store_true", help="also time one capacity --csv run stage by stage")
    args = parser.parse_args()

    ours = best_of(lambda: erlang_c(100_000, 99_000.0), repeats=5)
    base = best_of(lambda: erlang_c_loop(100_000, 99_000.0), repeats=3)
    print(f"Erlang C, c = 100,000          {ours * 1e3:8.3f} ms   python recurrence {base * 1e3:8.1f} ms"
          f"   {base / ours:7.0f}x faster   target < 10 ms: {'met' if ours < 0.01 else 'MISSED'}")

    frame = services(args.rows)
    rate, s, conc = (frame[k].to_numpy(float) for k in ("rate", "service_time", "concurrency"))
    cluster = Cluster(rate=rate, service_time=s, concurrency=conc, target_utilization=0.7, zones=3.0,
                      latency_quantile=0.99, latency_seconds=0.5)
    size(Cluster(rate=rate[:10], service_time=s[:10], concurrency=conc[:10]))  # imports out of the timing
    start = time.perf_counter()
    sized = size(cluster)
    vector = time.perf_counter() - start
    sample = min(args.sample, args.rows)
    start = time.perf_counter()
    looped = [float_loop(rate[i], s[i], int(conc[i]), 0.5) for i in range(sample)]
    loop = (time.perf_counter() - start) / sample * args.rows
    agree = np.array_equal(np.array(looped, float), sized.nodes[:sample].astype(float).filled(np.nan))
    print(f"sizing {args.rows:,} services     {vector:8.3f} s    float loop (scaled) {loop:8.2f} s"
          f"   {loop / vector:7.1f}x faster   same counts on {sample:,}: {agree}")

    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "services.csv")
        out = os.path.join(tmp, "out.csv")
        frame.to_csv(source, index=False)
        base_cmd = [sys.executable, "-c", BASELINE_IO, source, out]
        ours_cmd = [sys.executable, "-m", "relcalc", "capacity", "--csv", source, "-f", "csv", "-o", out]
        io_base, base_cpu = median_seconds(base_cmd, 3, warm_up=False), cpu_seconds(base_cmd, 3)
        ours_csv, ours_cpu = median_seconds(ours_cmd, 3), cpu_seconds(ours_cmd, 3)
        produced = sum(1 for _ in open(out)) - 1
        if args.stages:
            import subprocess

            staged = subprocess.run([sys.executable, "-c", STAGES, source, out], capture_output=True, text=True,
                                    check=True)
            print("stages (s):", staged.stdout.strip())
    print(f"capacity --csv, {args.rows:,} rows {ours_csv:8.2f} s    pandas read+write {io_base:8.2f} s"
          f"   {ours_csv / io_base:7.2f}x wall, {ours_cpu / base_cpu:.2f}x CPU ({ours_cpu:.2f} s against "
          f"{base_cpu:.2f} s)   ({produced:,} rows out; target <= 2x: "
          f"{'met' if ours_csv <= 2 * io_base else 'MISSED'})")


def cpu_seconds(command: list[str], runs: int) -> float:
    """The least user + system CPU time of ``runs`` runs of ``command``."""
    import resource
    import subprocess

    best = math.inf
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


if __name__ == "__main__":
    main()
