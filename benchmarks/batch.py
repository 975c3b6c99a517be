"""CSV batch throughput and memory of `relcalc availability --csv` against pandas I/O alone.

Run by hand from an environment with relcalc installed:

    python benchmarks/batch.py [--rows 1000000] [--unit-share 0.1] [--repeats 3]

Writes a CSV of services (name, tier, mtbf, mttr; a share of the cells carry
units such as "2d" or "90min"), then runs, alternately in the same run (so
the machine's load falls on both alike):
  baseline: pandas read_csv + to_csv of that file (a Python subprocess),
  relcalc:  relcalc availability --csv FILE -f csv -o OUT (streamed).
Prints, for each, the median wall time, CPU time (user + system, all
threads) and peak memory (the largest resident set, by GNU time), and the
ratios. Targets (issue 15): wall within 1.5x of the baseline at 1M and 10M
rows; peak memory under 400 MiB at any size. The CPU/wall column shows how
many cores a run kept busy (on a loaded machine the kernel shares CPU time
between sessions, so a second thread in the same session gains little
there). Last, the CPU time to write a million floats as CSV text: relcalc's
encoder (orjson's digits, spelt as pyarrow spells them), pyarrow's writer,
pandas' ``to_csv``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

BASELINE = "import pandas as pd, sys; pd.read_csv(sys.argv[1]).to_csv(sys.argv[2], index=False)"
CHUNK = 1_000_000


def make_csv(path: str, rows: int, unit_share: float, seed: int = 1) -> None:
    """The services file, written a million rows at a time (so 10M rows need no 10M-row frame)."""
    rng = np.random.default_rng(seed)
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        mtbf = np.round(rng.lognormal(np.log(5000), 1.0, n), 1)
        mttr = np.round(rng.lognormal(np.log(2), 1.0, n), 3)
        mtbf_text = mtbf.astype(str).astype(object)
        mttr_text = mttr.astype(str).astype(object)
        with_units = rng.random(n) < unit_share
        mtbf_text[with_units] = [f"{v / 24:.3f}d" for v in mtbf[with_units]]
        mttr_text[with_units] = [f"{v * 60:.1f}min" for v in mttr[with_units]]
        frame = pd.DataFrame(
            {
                "name": [f"svc-{i}" for i in range(start, start + n)],
                "tier": rng.choice(["edge", "app", "data", "cache"], n),
                "mtbf": mtbf_text,
                "mttr": mttr_text,
            }
        )
        frame.to_csv(path, index=False, mode="w" if start == 0 else "a", header=start == 0)


def measure(command: list[str], report: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of user + system, peak resident MiB) of one run of ``command``.

    Measured by GNU time around the command: a child forked from this
    process would count this process's memory (the test file's frames) as
    its own peak until it execs.
    """
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-o", report, "-f", "%U %S %M", *command],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    user, system, peak_kib = open(report).read().split()[-3:]
    return wall, float(user) + float(system), float(peak_kib) / 1024


def float_formatting(count: int = 1_000_000) -> tuple[float, float, float]:
    """CPU seconds to write ``count`` random floats (11 a row) as CSV text, in this process:
    (relcalc's encoder, orjson's digits spelt as pyarrow's; pyarrow's writer; pandas' ``to_csv``)."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from relcalc.availability_csv import ENCODE_ROWS
    from relcalc.cli.batch_stream import _reuse_freed_memory
    from relcalc.csv_rows import float_rows

    values = np.random.default_rng(2).lognormal(0.0, 3.0, (count // 11, 11))
    table = pa.table({str(i): values[:, i] for i in range(11)})
    frame = pd.DataFrame(values)

    def best(write) -> float:  # the least of three, after a first call (imports, first allocations)
        write()
        times = []
        for _ in range(3):
            start = time.process_time()
            write()
            times.append(time.process_time() - start)
        return min(times)

    _reuse_freed_memory()  # as the command does
    ours = best(lambda: [float_rows(values[i:i + ENCODE_ROWS]) for i in range(0, len(values), ENCODE_ROWS)])
    return (ours, best(lambda: pa_csv.write_csv(table, io.BytesIO())),
            best(lambda: frame.to_csv(io.StringIO(), index=False)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--unit-share", type=float, default=0.1, help="share of cells written with units")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "services.csv")
        make_csv(source, args.rows, args.unit_share)
        out = os.path.join(tmp, "out.csv")
        base_cmd = [sys.executable, "-c", BASELINE, source, out]
        ours_cmd = [sys.executable, "-m", "relcalc", "availability", "--csv", source, "-f", "csv", "-o", out]
        report = os.path.join(tmp, "time.txt")
        measure(ours_cmd, report)  # warm-up: the page cache and Python's compiled modules
        base, ours = [], []
        for _ in range(args.repeats):
            base.append(measure(base_cmd, report))
            ours.append(measure(ours_cmd, report))
        with open(out, "rb") as handle:
            produced = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1
        size = os.path.getsize(source) / 2**20
    b = [statistics.median(x) for x in zip(*base)]
    o = [statistics.median(x) for x in zip(*ours)]
    print(f"{args.rows:,} rows ({size:,.0f} MiB), {args.unit_share:.0%} of cells with units; "
          f"median of {args.repeats}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'':28}{'wall s':>8}{'CPU s':>8}{'CPU/wall':>9}{'peak MiB':>10}")
    print(f"{'pandas read_csv + to_csv':28}{b[0]:8.2f}{b[1]:8.2f}{b[1] / b[0]:9.2f}{b[2]:10.0f}")
    print(f"{'relcalc availability --csv':28}{o[0]:8.2f}{o[1]:8.2f}{o[1] / o[0]:9.2f}{o[2]:10.0f}"
          f"  ({produced:,} rows out)")
    ratio = o[0] / b[0]
    print(f"wall {ratio:.2f}x pandas (CPU {o[1] / b[1]:.2f}x); "
          f"target 1.50x -> {'met' if ratio <= 1.5 else 'MISSED'}")
    print(f"peak {o[2]:.0f} MiB; target under 400 MiB -> {'met' if o[2] < 400 else 'MISSED'}")
    ours, arrow, pandas = float_formatting()
    print(f"1,000,000 floats to CSV text (CPU): relcalc (orjson) {ours:.2f} s, pyarrow's writer {arrow:.2f} s, "
          f"pandas to_csv {pandas:.2f} s")


if __name__ == "__main__":
    main()
