"""What a sizing assumes, in words for every output: the caps in force (and which are defaults), the queue model."""

from __future__ import annotations

import math

import numpy as np

from .checks import DEFAULT_FAILOVER_UTILIZATION, DEFAULT_TARGET_UTILIZATION


def assumptions(cluster, simulated: bool = False) -> list[str]:
    """What the answer assumes, with every default that was used and how to change it.

    ``cluster`` is one service (scalar or one-element inputs). ``simulated``: the queue
    comes from the simulation, whose own assumptions the caller adds.
    """

    def first(value) -> float:
        return float(np.asarray(value, float).reshape(-1)[0])

    u, f = first(cluster.target_utilization), first(cluster.failover_utilization)
    out = [
        f"healthy cap: the hottest node at most {u * 100:g}% busy"
        + (" (default; --target-utilization)" if u == DEFAULT_TARGET_UTILIZATION else ""),
    ]
    failures = first(cluster.tolerate_failures) > 0 or not math.isnan(first(cluster.zones))
    if failures:
        out.append(f"survivor cap: the hottest survivor at most {f * 100:g}% busy after the worse of the tolerated "
                   "failures" + (" (default; --failover-utilization)" if f == DEFAULT_FAILOVER_UTILIZATION else "")
                   + "; latency and wait targets checked on it too")
    else:
        out.append("no failure checked: add --tolerate-failures f (N+f) or --zones z to size for the survivors")
    out.append("no size at or above 100% utilisation is ever an answer; an unstable queue's figures are null")
    if simulated:
        return out
    if not math.isnan(first(cluster.service_time)):
        exact = first(cluster.arrival_scv) == 1 and first(cluster.service_scv) == 1
        out.append("each node has its own FCFS queue behind the balancer: the hottest node is "
                   + ("an M/M/c queue (Poisson arrivals, exponential service, c = concurrency), exact" if exact else
                      "a G/G/c queue: mean and wait figures by the Allen-Cunneen approximation, "
                      "response percentiles left out"))
    out.append("the hottest node gets balance_factor times the mean share, before and after failures")
    if failures:
        out.append("failures are checked on the survivors with the post-failure imbalance; zones hold nodes round robin")
    return out
