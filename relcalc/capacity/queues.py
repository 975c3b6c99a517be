"""The queue of one node: waiting and response times, exact for M/M/c, approximated for G/G/c.

A node has ``c`` slots (the concurrency) serving one FCFS queue. With Poisson
arrivals and exponential service it is an M/M/c queue and everything is
exact: the probability of waiting is Erlang C, the wait is zero with
probability ``1 - C`` and else exponential with rate ``c mu - lambda``, so

    P(W > t) = C exp(-(c mu - lambda) t),     W_q = C / (c mu - lambda),
    L_q = lambda W_q                          (Little's law),

and the response time (wait plus service) has the closed form of
:func:`relcalc.queueing.response_survival` (Kleinrock, *Queueing Systems*
vol. 1, 1975, section 3.5).

Other service or arrival variability (squared coefficients of variation
``cs2`` and ``ca2``, 1 for the exponential) uses the Allen-Cunneen
approximation, labelled as such wherever it is reported:

    W_q(G/G/c) ~= W_q(M/M/c) (ca2 + cs2) / 2

(A. O. Allen, *Probability, Statistics and Queueing Theory*, 2nd ed. 1990,
section 6.2; exact for M/M/c and for M/G/1 by Pollaczek-Khinchine), keeping
Erlang C as the probability of waiting and an exponential conditional wait
of mean ``W_q / C`` for the wait percentiles. Response-time percentiles are
given only where exact (M/M/c); elsewhere they need the simulation
(:mod:`relcalc.capacity.simulation`).

A node whose offered load is at or above its slots (utilisation >= 1, with
a relative allowance of 1e-9 for rounding: 12,000/s on 15 nodes of 32 slots
at 40 ms is exactly full, not 99.99999%) has no steady state: every figure
is NaN, never a huge or negative number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import queueing

#: A utilisation at or above this is a full node: no steady state.
FULL = 1.0 - 1e-9


@dataclass(frozen=True)
class NodeQueue:
    """One node's queue, arrays broadcast together; times in seconds."""

    arrival_rate: np.ndarray
    service_time: np.ndarray
    servers: np.ndarray
    arrival_scv: np.ndarray
    service_scv: np.ndarray

    @classmethod
    def of(cls, arrival_rate, service_time, servers, arrival_scv=1.0, service_scv=1.0) -> "NodeQueue":
        parts = np.broadcast_arrays(*(np.asarray(v, float) for v in
                                      (arrival_rate, service_time, servers, arrival_scv, service_scv)))
        return cls(*parts)

    @property
    def utilization(self) -> np.ndarray:
        return self.arrival_rate * self.service_time / self.servers

    @property
    def stable(self) -> np.ndarray:
        return self.utilization < FULL

    @property
    def exact(self) -> np.ndarray:
        """Where the figures are exact (M/M/c); elsewhere Allen-Cunneen."""
        return (self.arrival_scv == 1.0) & (self.service_scv == 1.0)

    def _safe(self):
        """Rates of a stable stand-in where the queue is unstable (its figures are NaN'd after)."""
        mu = 1.0 / self.service_time
        lam = np.where(self.stable, self.arrival_rate, 0.5 * self.servers * mu)
        return lam, mu

    def figures(self, wait_limit=np.nan, latency_quantile=np.nan, latency_limit=np.nan) -> "QueueFigures":
        """Every figure; ``service_level`` at ``wait_limit``, ``target_response_seconds`` at the latency target's
        quantile (NaN: the mean) where ``latency_limit`` is given."""
        lam, mu = self._safe()
        c = self.servers
        p_wait = queueing.erlang_c(c, lam / mu)
        gap = c * mu - lam  # the drain rate of a queue with every slot busy
        factor = 0.5 * (self.arrival_scv + self.service_scv)
        mean_wait = p_wait / gap * factor
        # exponential conditional wait of mean W_q / C (exact for M/M/c)
        rate = np.where(mean_wait > 0, p_wait / np.where(mean_wait > 0, mean_wait, 1.0), np.inf)

        def wait_q(q):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(p_wait > 1.0 - q, np.log(p_wait / (1.0 - q)) / rate, 0.0)

        exact = self.exact

        def response_q(q):
            out = np.full(lam.shape, np.nan)
            if np.any(exact):
                qs = np.broadcast_to(np.asarray(q, float), lam.shape)
                out[exact] = queueing.response_percentile(qs[exact], lam[exact], mu[exact], c[exact], p_wait[exact])
            return out

        p50, p95, p99 = (response_q(q) for q in (0.5, 0.95, 0.99))
        lq = np.broadcast_to(np.asarray(latency_quantile, float), lam.shape)
        target = np.where(np.isnan(lq), mean_wait + self.service_time, np.nan)
        for level, values in ((0.5, p50), (0.95, p95), (0.99, p99)):
            target = np.where(lq == level, values, target)
        other = ~np.isnan(lq) & ~np.isin(lq, (0.5, 0.95, 0.99))
        if np.any(other):
            target = np.where(other, response_q(np.where(other, lq, 0.5)), target)
        target = np.where(np.isnan(np.broadcast_to(np.asarray(latency_limit, float), lam.shape)), np.nan, target)

        limit = np.asarray(wait_limit, float)
        with np.errstate(invalid="ignore"):
            within = 1.0 - p_wait * np.exp(-rate * np.where(np.isnan(limit), 0.0, limit))
        hide = ~self.stable

        def shown(values):
            return np.where(hide, np.nan, values)

        return QueueFigures(
            probability_of_wait=shown(p_wait),
            mean_wait_seconds=shown(mean_wait),
            p50_wait_seconds=shown(wait_q(0.5)),
            p95_wait_seconds=shown(wait_q(0.95)),
            p99_wait_seconds=shown(wait_q(0.99)),
            mean_queue_length=shown(self.arrival_rate * mean_wait),
            mean_response_seconds=shown(mean_wait + self.service_time),
            p50_response_seconds=shown(p50),
            p95_response_seconds=shown(p95),
            p99_response_seconds=shown(p99),
            service_level=shown(np.where(np.isnan(limit), np.nan, within)),
            target_response_seconds=shown(target),
        )

    def shortfall(self, kind: str, quantile, limit) -> np.ndarray:
        """How far the response (``kind="response"``) or wait misses a target: met where <= 0, inf where unstable.

        ``quantile`` NaN means the mean: then the shortfall is ``W_q`` less
        the room the target leaves for waiting (``limit - S`` for a response),
        so a mean response target at the service time is never met through
        rounding. For a percentile it is the tail probability at the limit
        less the share allowed over it. Smaller is better, so the node count
        with the least shortfall is the best one to try.
        """
        lam, mu = self._safe()
        c = self.servers
        q = np.asarray(quantile, float)
        limit = np.asarray(limit, float)
        p_wait = queueing.erlang_c(c, lam / mu)
        mean_wait = p_wait / (c * mu - lam) * 0.5 * (self.arrival_scv + self.service_scv)
        room = limit - self.service_time if kind == "response" else limit
        mean_short = np.where(room > 0, mean_wait - room, np.inf)
        if kind == "response":
            tail = queueing.response_survival(limit, lam, mu, c, p_wait)
        else:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                tail = np.where(mean_wait > 0, p_wait * np.exp(-p_wait / np.where(mean_wait > 0, mean_wait, 1.0)
                                                               * limit), 0.0)
        short = np.where(np.isnan(q), mean_short, tail - (1.0 - q))
        return np.where(self.stable, short, np.inf)


@dataclass(frozen=True)
class QueueFigures:
    """Waiting and response figures of one node's queue (NaN where unstable or not given)."""

    probability_of_wait: np.ndarray
    mean_wait_seconds: np.ndarray
    p50_wait_seconds: np.ndarray
    p95_wait_seconds: np.ndarray
    p99_wait_seconds: np.ndarray
    mean_queue_length: np.ndarray  #: L_q, requests waiting (Little's law)
    mean_response_seconds: np.ndarray
    p50_response_seconds: np.ndarray
    p95_response_seconds: np.ndarray
    p99_response_seconds: np.ndarray
    service_level: np.ndarray  #: P(wait <= the wait target's limit)
    target_response_seconds: np.ndarray  #: the response time at the latency target's percentile (or mean)


def service_only_response(quantile, service_time) -> np.ndarray:
    """The response time of an empty node at a quantile (NaN: the mean) with exponential service."""
    q = np.asarray(quantile, float)
    return np.where(np.isnan(q), service_time, -np.log1p(-np.nan_to_num(q)) * service_time)
