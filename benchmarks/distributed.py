"""Simulation on a Dask LocalCluster against the local pool, Dask's cost per task, and what it means at scale.

Run by hand (needs the extra: pip install '.[distributed]'):

    python benchmarks/distributed.py [--years 300000]

Prints, for the benchmark model of benchmarks/simulate.py (5 nodes in zones
2/2/1 failing, one crew, lognormal repairs, elections):

- events per second in this process, a local pool of 2, and a LocalCluster of
  1 and 2 workers, each against this process measured in the same run, and
  the scaling efficiency (rate with 2 / twice the rate with 1);
- Dask's cost per task (no-op tasks through a 1-worker LocalCluster, and
  through the engine's own path: submit, read in order), a chunk's compute,
  and the chunk-size rule that keeps the cost under 1%;
- the efficiency the model in the README gives at 100 and 1,000 workers.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

# this file's own name would hide Dask's `distributed` package from the modules it imports
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from relcalc.execution import DASK_TASK_SECONDS, DaskExecution, InlineExecution, PoolExecution
from relcalc.raft.engine import ChunkTask, _chunk_inputs, plan, run_chunks, simulate
from relcalc.raft.model import Distribution, RaftModel

YEAR = 8760.0


def _noop(x):
    return x


def model() -> RaftModel:
    return RaftModel(
        nodes=5, ttf=Distribution("exponential", 500.0), ttr=Distribution("lognormal", 8.0, 1.0), crews=1,
        layout=(2, 2, 1), zone_ttf=Distribution("exponential", 4380.0), zone_ttr=Distribution("exponential", 2.0),
    )


def rate(execution, years: float) -> tuple[float, float]:
    result = simulate(model(), years=years, seed=1, execution=execution)
    return result.events_per_second, result.wall_seconds


def task_cost(execution: DaskExecution, tasks: int = 400) -> float:
    """Seconds per no-op task, submitted and read back in order as the engine does (one worker: serial)."""
    start = time.perf_counter()
    handles = [execution.submit(_noop, i) for i in range(tasks)]
    for handle in handles:
        execution.result(handle)
        execution.finished(handle)
    execution.rerun_total()
    return (time.perf_counter() - start) / tasks


def efficiency(workers: int, task_seconds: float, overhead: float, tasks: int) -> float:
    """The README's model: compute share of a task, scheduler throughput, and the last round's idle workers."""
    per_task = task_seconds / (task_seconds + overhead)
    throughput = min(1.0, task_seconds / (workers * overhead))  # one scheduler hands out 1/overhead tasks a second
    tail = tasks / (workers * math.ceil(tasks / workers))
    return per_task * throughput * tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=300_000)
    args = parser.parse_args()
    print(f"benchmark model (benchmarks/simulate.py), {args.years:,.0f} years per run")
    simulate(model(), years=1000, seed=1)  # compile or load the kernel here
    base, wall = rate(InlineExecution(), args.years)
    print(f"this process          {base:12,.0f} events/s  ({wall:.2f} s)")
    with PoolExecution(2) as pool:
        two, wall = rate(pool, args.years)
    print(f"local pool, 2         {two:12,.0f} events/s  ({wall:.2f} s)   {two / base:5.2f}x")
    rates = {}
    for workers in (1, 2):
        start = time.perf_counter()
        with DaskExecution(f"dask-local:{workers}") as dask:
            print(f"LocalCluster of {workers} started and connected in {time.perf_counter() - start:.1f} s")
            simulate(model(), years=20_000, seed=2, execution=dask)  # each worker loads the kernel
            rates[workers], wall = rate(dask, args.years)
            print(f"LocalCluster, {workers}       {rates[workers]:12,.0f} events/s  ({wall:.2f} s)   "
                  f"{rates[workers] / base:5.2f}x")
            if workers == 1:
                overhead = task_cost(dask)
    print(f"scaling efficiency, LocalCluster 1 -> 2 workers: {rates[2] / (2 * rates[1]):.0%} "
          f"(local pool: {two / (2 * base):.0%})")
    chunks = plan(model(), args.years, YEAR)
    start = time.perf_counter()
    run_chunks(ChunkTask(_chunk_inputs(model(), chunks.chunk_years * YEAR, YEAR), 3, 0, 20))
    chunk = (time.perf_counter() - start) / 20
    print(f"Dask cost per task {overhead * 1e3:.2f} ms (no-op tasks, submitted and read in order, 1 worker); "
          f"a chunk of {chunks.chunk_years:,.0f} years computes in {chunk * 1e3:.2f} ms")
    needed = 100 * overhead
    print(f"rule: a task holds >= 100 x the cost per task = {needed:.2f} s of compute "
          f"({math.ceil(needed / chunk)} chunks here; relcalc aims at {DASK_TASK_SECONDS:g} s of estimated compute)")
    per_task = max(1, math.ceil(DASK_TASK_SECONDS / chunks.chunk_seconds))
    task_seconds = per_task * chunk
    print(f"relcalc's tasks here: {per_task} chunks, {task_seconds:.2f} s of compute measured")
    for workers in (100, 1000):
        for seconds in (task_seconds, 10 * workers * overhead):
            tasks = 20 * workers
            print(f"model, {workers:5d} workers, tasks of {seconds:6.2f} s, {tasks} tasks: efficiency "
                  f"{efficiency(workers, seconds, overhead, tasks):.0%}; a point pays off from "
                  f"{2 * workers * seconds / 60:,.0f} min of single-core work (two tasks per worker)")


if __name__ == "__main__":
    main()
