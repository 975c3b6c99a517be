"""Sizing by simulation: the smallest N whose simulated queues meet the targets, healthy and after failures.

The utilisation constraints (throughput, utilization, redundancy) are exact
and need no simulation: they give the floor ``N0`` (:func:`.sizing.size`
with the queue targets left out). Only the latency and wait targets are
simulated, at ``N0`` first; where they miss, the count doubles its step
until they hold, then bisects back. Every node count is simulated with the
same seed (common random numbers), so neighbouring counts see the same
arrivals and the search does not chase noise. A target counts as met when
the simulated figure (the point estimate) is within it; its 95% interval is
reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InputError
from .checks import Cluster
from .results import Sizing
from .service import ServiceTime
from .simulation import MAX_SIMULATED_NODES, SimulatedQueue, scenarios_at, simulate
from .sizing import MAX_NODES, size



@dataclass(frozen=True)
class SimulatedSizing:
    """The answer of a simulated sizing and what the requests see there."""

    nodes: int
    binding_constraint: str
    floor: Sizing  #: the exact utilisation constraints' sizing (no queue targets), one service
    healthy: SimulatedQueue
    survivors: SimulatedQueue | None  #: the worse failure scenario's survivors (None if none asked)
    failure_scenario: str | None
    seed: int
    replications: int
    requests_per_replication: int
    service: ServiceTime


def size_by_simulation(cluster: Cluster, service: ServiceTime, seed: int = 0, workers: int = 1,
                       replications: int = 8, customers: int = 50_000,
                       progress: Callable[[str], None] | None = None) -> SimulatedSizing:
    """Size one service (scalar inputs) by simulating its queue targets; see the module notes."""
    c = cluster.arrays()
    if c.rate.size != 1:
        raise InputError("--method simulate sizes one service at a time (not --csv)")
    floor = size(cluster.replaced(latency_seconds=np.nan, latency_quantile=np.nan, wait_seconds=np.nan,
                                  wait_quantile=np.nan))
    if not floor.reachable[0]:
        raise InputError(floor.unreachable[0])
    n0 = int(floor.nodes[0])
    first = floor.at(0)
    rate, slots = float(c.rate[0]), float(_slots(c))
    lq, lt = float(c.latency_quantile[0]), float(c.latency_seconds[0])
    wq, wt = float(c.wait_quantile[0]), float(c.wait_seconds[0])
    if not math.isnan(lt):
        alone = service.mean_seconds if math.isnan(lq) else service.quantile(lq)
        if alone >= lt * (1 - 1e-9):  # met only in the limit of an empty queue, if at all
            which = "mean" if math.isnan(lq) else f"p{lq * 100:g}"
            raise InputError(f"the latency target cannot be met at any size: the service time alone has a {which} of "
                             f"{alone * 1000:.4g} ms ({service.label}), not under the {lt * 1000:.4g} ms target")
    extra = tuple(q for q in (lq, wq) if not math.isnan(q) and q not in (0.5, 0.95, 0.99))
    cache: dict[int, list[tuple[str, SimulatedQueue]]] = {}

    def run(n: int) -> list[tuple[str, SimulatedQueue]]:
        if n not in cache:
            if progress:
                progress(f"simulating {n:,} nodes")
            cache[n] = [(s.lost, simulate(s, rate, slots, c.balancer, service, float(c.arrival_scv[0]),
                                          float(c.sessions[0]), seed, replications, customers, workers, extra))
                        for s in scenarios_at(n, float(c.tolerate_failures[0]), float(c.zones[0]))]
        return cache[n]

    def missed(n: int) -> str:
        """The first target missed at ``n`` nodes ("" when all are met)."""
        for lost, queue in run(n):
            suffix = "" if not lost else "_after_" + lost
            for name, q, limit, kind in (("latency", lq, lt, "response"), ("wait", wq, wt, "wait")):
                if math.isnan(limit):
                    continue
                value = None if queue.unstable else queue.figure(kind, None if math.isnan(q) else q)
                if value is None or value > limit:
                    return name + suffix
        return ""

    if math.isnan(lt) and math.isnan(wt):
        n, binding = n0, first.binding_constraint
    elif not missed(n0):
        n, binding = n0, first.binding_constraint
    else:
        lo, step = n0, 1
        hi = n0 + step
        while missed(hi):
            lo, step = hi, step * 2
            hi = n0 + step
            most = min(MAX_NODES, MAX_SIMULATED_NODES, max(16 * n0, n0 + 64))
            if hi > most:
                raise InputError(f"the targets are not met by simulation with up to {lo:,} nodes ({most // n0}x the "
                                 f"{n0:,} the utilisation needs): a target that close to the service time alone is "
                                 "out of practical reach")
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if missed(mid):
                lo = mid
            else:
                hi = mid
        n, binding = hi, missed(hi - 1) or first.binding_constraint
    states = run(n)
    worst = _worst(states[1:])
    return SimulatedSizing(n, binding, floor, states[0][1], worst[1] if worst else None, worst[0] if worst else None,
                           seed, replications, customers, service)


def _slots(c: Cluster) -> float:
    conc = float(c.concurrency[0])
    if math.isnan(conc):
        raise InputError("--method simulate needs --concurrency and --service-time")
    return conc


def _worst(states: list[tuple[str, SimulatedQueue]]):
    """The failure scenario whose survivors fare worse (unstable first, else the longer p99 response)."""
    if not states:
        return None
    return max(states, key=lambda pair: math.inf if pair[1].unstable else pair[1].p99_response_seconds.value)
