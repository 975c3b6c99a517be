"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import subprocess
import time


def median_seconds(command: list[str], runs: int, *, warm_up: bool = True) -> float:
    """Median wall time of running ``command`` ``runs`` times (after one warm-up run)."""
    if warm_up:
        subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def best_of(fn, repeats: int = 3) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn`` in this process."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_cpu(fn, repeats: int = 3) -> float:
    """Least CPU time of ``repeats`` calls: on a machine others are loading, close to the quiet wall time."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)
