"""CSV batch throughput of `relcalc availability --csv` against pandas I/O alone.

Run by hand from an environment with relcalc installed:

    python benchmarks/batch.py [--rows 1000000] [--unit-share 0.1]

Writes a CSV of services (name, tier, mtbf, mttr; a share of the cells carry
units such as "2d" or "90min"), then times, in the same run:
  baseline: pandas read_csv + to_csv of that file (a Python subprocess),
  relcalc:  relcalc availability --csv FILE -f csv -o OUT.
Prints both and the ratio. Target: within 2x.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
import pandas as pd
from timing import median_seconds

BASELINE = "import pandas as pd, sys; pd.read_csv(sys.argv[1]).to_csv(sys.argv[2], index=False)"


def make_csv(path: str, rows: int, unit_share: float, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    mtbf = np.round(rng.lognormal(np.log(5000), 1.0, rows), 1)
    mttr = np.round(rng.lognormal(np.log(2), 1.0, rows), 3)
    mtbf_text = mtbf.astype(str).astype(object)
    mttr_text = mttr.astype(str).astype(object)
    with_units = rng.random(rows) < unit_share
    mtbf_text[with_units] = [f"{v / 24:.3f}d" for v in mtbf[with_units]]
    mttr_text[with_units] = [f"{v * 60:.1f}min" for v in mttr[with_units]]
    frame = pd.DataFrame(
        {
            "name": [f"svc-{i}" for i in range(rows)],
            "tier": rng.choice(["edge", "app", "data", "cache"], rows),
            "mtbf": mtbf_text,
            "mttr": mttr_text,
        }
    )
    frame.to_csv(path, index=False)


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
        base = median_seconds([sys.executable, "-c", BASELINE, source, out], args.repeats, warm_up=False)
        ours = median_seconds(
            [sys.executable, "-m", "relcalc", "availability", "--csv", source, "-f", "csv", "-o", out], args.repeats
        )
        produced = sum(1 for _ in open(out)) - 1
    print(f"{args.rows:,} rows, {args.unit_share:.0%} of cells with units; median of {args.repeats}")
    print(f"pandas read_csv + to_csv   {base:7.2f} s  1.00x")
    print(f"relcalc availability --csv {ours:7.2f} s  {ours / base:5.2f}x  ({produced:,} rows out)")
    print(f"target: within 2.00x -> {'met' if ours / base <= 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
