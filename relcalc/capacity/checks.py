"""The inputs of a sizing, checked: each problem named with its fix, contradictions refused."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..units import MAX_COUNT
from .balance import BALANCERS, SESSION_BALANCERS

#: Default cap on the hottest node's utilisation with every node up. A node at
#: 80% waits on average 4 service times (M/M/1: W = S / (1 - rho)); with room
#: for traffic bursts and for a node lost while the others absorb it
#: (Kleinrock 1975, section 3.2; Google SRE book, 2016, ch. 21 and 22 on
#: overload and cascading failure).
DEFAULT_TARGET_UTILIZATION = 0.8
#: Default cap on the hottest survivor's utilisation after the tolerated
#: failures: below 1 so that a degraded cluster still has a steady state
#: (M/M/1 at 90%: W = 10 S) rather than a queue that grows without bound.
DEFAULT_FAILOVER_UTILIZATION = 0.9


@dataclass(frozen=True)
class Cluster:
    """The inputs of a sizing; numbers may be scalars or equal-length arrays.

    NaN in an optional array field means "not given" for that element. Rates
    are per second and times in seconds. ``arrival_scv`` and ``service_scv``
    are squared coefficients of variation (1 for Poisson arrivals and
    exponential service).
    """

    rate: object
    node_throughput: object = np.nan
    service_time: object = np.nan
    concurrency: object = np.nan
    balance_factor: object = np.nan
    balancer: str = "round-robin"
    sessions: object = np.nan  # sticky sessions placed by the balancer (random, two-choices, least-connections)
    target_utilization: object = DEFAULT_TARGET_UTILIZATION
    failover_utilization: object = DEFAULT_FAILOVER_UTILIZATION
    tolerate_failures: object = 0
    zones: object = np.nan
    latency_quantile: object = np.nan  # 0.99 for p99; NaN with a latency limit means the mean
    latency_seconds: object = np.nan
    usl_sigma: object = 0.0
    usl_kappa: object = 0.0
    wait_quantile: object = np.nan  # as latency_quantile, for the wait before service
    wait_seconds: object = np.nan
    arrival_scv: object = 1.0
    service_scv: object = 1.0

    def arrays(self) -> "Cluster":
        """The same cluster with every number a float array of one shape."""
        names = [f.name for f in fields(self) if f.name != "balancer"]
        values = np.broadcast_arrays(*(np.atleast_1d(np.asarray(getattr(self, n), dtype=float)) for n in names))
        return Cluster(balancer=self.balancer, **{n: v.astype(float, copy=True) for n, v in zip(names, values)})

    def take(self, rows) -> "Cluster":
        """The services at ``rows`` (of a cluster of arrays)."""
        return Cluster(balancer=self.balancer, **{f.name: getattr(self, f.name)[rows] for f in fields(self)
                                                  if f.name != "balancer"})

    def replaced(self, **changes) -> "Cluster":
        return Cluster(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})


def check(cluster: Cluster) -> list[tuple[int, str]]:
    """Problems with the inputs, as (element index, message); empty when sound."""
    c = cluster.arrays()
    problems: list[tuple[int, str]] = []

    def flag(mask, message):
        problems.extend((int(i), message) for i in np.flatnonzero(mask))

    if c.balancer not in BALANCERS:
        flag(np.ones(c.rate.shape, bool), f"unknown balancer {c.balancer!r}; use one of {', '.join(BALANCERS)}")
        return problems

    def bad(values, allow_nan=True):
        return ~(values > 0) & ~(allow_nan & np.isnan(values)) | np.isinf(values)

    def not_count(values, low):
        return ~np.isnan(values) & ~((values >= low) & (values <= MAX_COUNT) & (values == np.floor(values)))

    flag(bad(c.rate, False), "the request rate must be positive and finite")
    flag(bad(c.node_throughput), "the node throughput must be positive and finite")
    flag(bad(c.service_time), "the service time must be positive and finite")
    flag(not_count(c.concurrency, 1), f"the concurrency must be a whole number from 1 to {MAX_COUNT:,}")
    flag(np.isnan(c.node_throughput) & (np.isnan(c.service_time) | np.isnan(c.concurrency)),
         "give the node throughput, or the service time and the concurrency")
    slots = c.concurrency / c.service_time
    contradicts = ~np.isnan(c.node_throughput) & ~np.isnan(slots) & (np.abs(c.node_throughput - slots) > 1e-9 * slots)
    for i in np.flatnonzero(contradicts):
        problems.append((int(i), (
            f"the node throughput {c.node_throughput[i]:,.6g}/s contradicts concurrency / service time = "
            f"{c.concurrency[i]:.0f} / {c.service_time[i] * 1000:.6g} ms = {slots[i]:,.6g}/s; "
            "give the node throughput, or the concurrency and the service time, not both")))
    flag(~(c.balance_factor >= 1) & ~np.isnan(c.balance_factor) | np.isinf(c.balance_factor),
         "the balance factor must be >= 1 (1 is perfect balance)")
    flag(~((c.target_utilization > 0) & (c.target_utilization <= 1)), "the target utilization must be in (0, 1]")
    flag(~((c.failover_utilization > 0) & (c.failover_utilization <= 1)),
         "the failover utilization must be in (0, 1]")
    flag(not_count(c.tolerate_failures, 0) | np.isnan(c.tolerate_failures),
         f"the tolerated failures must be a whole number from 0 to {MAX_COUNT:,}")
    flag(not_count(c.zones, 2), "zones must be a whole number >= 2 to survive the loss of one")
    flag(~(c.usl_sigma >= 0) | ~(c.usl_kappa >= 0) | ~(c.usl_sigma <= 1) | np.isinf(c.usl_kappa),
         "the USL needs 0 <= sigma <= 1 and kappa >= 0")
    no_queue = np.isnan(c.service_time) | np.isnan(c.concurrency) & np.isnan(c.node_throughput * c.service_time)
    for what, limit, quantile in (("latency", c.latency_seconds, c.latency_quantile),
                                  ("wait", c.wait_seconds, c.wait_quantile)):
        asked = ~np.isnan(limit)
        flag(asked & no_queue, f"a {what} target needs the service time and the concurrency")
        flag(asked & ~((limit > 0) & np.isfinite(limit)), f"the {what} limit must be positive and finite")
        flag(~np.isnan(quantile) & ~((quantile > 0) & (quantile < 1)),
             f"the {what} percentile must be between 0 and 100")
    for name, scv in (("arrival", c.arrival_scv), ("service time", c.service_scv)):
        flag(~((scv >= 0) & np.isfinite(scv)), f"the {name} variability (squared CV) must be >= 0 and finite")
    if c.balancer in SESSION_BALANCERS:
        flag(np.isnan(c.sessions) & np.isnan(c.balance_factor),
             f"--balancer {c.balancer} places sticky sessions: give their number (--sessions)")
    flag(not_count(c.sessions, 1), f"sessions must be a whole number from 1 to {MAX_COUNT:,}")
    return problems


def resolved(c: Cluster) -> Cluster:
    """Fill derived inputs: T from c / S, or c from T x S where it is whole."""
    T = np.where(np.isnan(c.node_throughput), c.concurrency / c.service_time, c.node_throughput)
    derived_c = np.round(c.node_throughput * c.service_time)
    conc = np.where(np.isnan(c.concurrency), np.where(derived_c >= 1, derived_c, 1.0), c.concurrency)
    return c.replaced(node_throughput=T, concurrency=conc)
