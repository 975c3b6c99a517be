"""Speed of ``relcalc report`` on the sample service, stage by stage.

Run by hand: python benchmarks/report.py [SERVICE.yaml]

Goal (issue 17): the sample report under 3 s of CPU, warm (modules imported,
the simulation kernel compiled and cached). Prints the CPU and wall time of
one warm report and the share of each stage: reading the spec, the Raft
store (the store, n - 2 and n + 2 nodes, the store improvements), the block
diagram and capacity analyses with the improvement search, the sample year,
drawing the charts (SVG, once each), tables and templates, writing the
directory. The baseline measured in the same run is one crude simulation of
the sample's store at its own budget (the dominant unit of work), so the
ratio says how many store-simulations' worth the whole report costs,
whatever the machine's load.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "samples", "checkout-service.yaml")

spent: dict[str, float] = defaultdict(float)
_stack: list[list] = []  # [name, cpu at (re)start]


@contextmanager
def stage(name: str):
    """CPU time inside the block goes to ``name``, less what nested stages take (exclusive time)."""
    now = time.process_time()
    if _stack:
        parent = _stack[-1]
        spent[parent[0]] += now - parent[1]
    _stack.append([name, now])
    try:
        yield
    finally:
        now = time.process_time()
        spent[name] += now - _stack.pop()[1]
        if _stack:
            _stack[-1][1] = now


def wrap(owner, attr: str, name: str):
    """Count the CPU time of ``owner.attr`` towards stage ``name``."""
    original = getattr(owner, attr)

    def timed(*args, **kwargs):
        with stage(name):
            return original(*args, **kwargs)

    setattr(owner, attr, timed)


def main() -> None:
    from relcalc.raft.methods import analyze
    from relcalc.report import analysis, render, write_report, writer
    from relcalc.report.spec import load_service

    path = sys.argv[1] if len(sys.argv) > 1 else SAMPLE
    with tempfile.TemporaryDirectory() as tmp:
        write_report(path, os.path.join(tmp, "warm-up"))  # imports, the kernel's compilation, font caches
        spec = load_service(open(path, encoding="utf-8").read())
        baseline_cpu = time.process_time()
        if spec.raft is not None:
            analyze(spec.raft, method="crude", years=spec.raft_years, seed=spec.seed,
                    target_rel_error=spec.raft_rel_error)
        baseline_cpu = time.process_time() - baseline_cpu

        spent.clear()
        wrap(analysis.StoreRunner, "__call__", "Raft store simulations (all sizes)")
        wrap(analysis, "_worst_year", "the sample years")
        wrap(analysis, "analyze_capacity", "capacity")
        wrap(analysis, "search_improvements", "improvement search (diagram)")
        wrap(render._Charts, "add", "charts (drawn once, SVG)")
        wrap(render, "render", "tables and templates")
        wrap(writer, "write_directory", "writing the directory")
        cpu, wall = time.process_time(), time.perf_counter()
        with stage("other (spec, diagram, verdicts)"):
            write_report(path, os.path.join(tmp, "timed"))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"relcalc report {os.path.basename(path)}, warm: {cpu:.2f} s CPU, {wall:.2f} s wall "
          f"(goal: under 3 s CPU)")
    if baseline_cpu > 0:
        print(f"baseline, one crude simulation of the store ({spec.raft_years:,.0f} years): {baseline_cpu:.2f} s CPU;"
              f" the report costs {cpu / baseline_cpu:.1f} of them")
    for name, c in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<36} {c:6.2f} s CPU  {c / cpu * 100:5.1f}%")


if __name__ == "__main__":
    main()
