"""Erlang B, Erlang C and the M/M/c queue, stable for any number of servers.

Everything here takes scalars or numpy arrays (broadcast together) and
returns arrays. Offered load ``a = lambda / mu`` is in Erlangs.

Erlang B for ``a < c`` is the ratio of the Poisson probability of ``c`` to the
Poisson distribution function at ``c``: the numerator is evaluated in log
space and the denominator is a regularised incomplete gamma function, which
is at least about one half in that region, so nothing overflows or cancels
whatever ``c`` is. For ``a >= c`` (heavy overload, where the denominator can
underflow) the classic recurrence ``B(j) = a B(j-1) / (j + a B(j-1))`` is used,
whose terms stay in [0, 1]; for very many servers its log-space closed form.
Erlang C follows from B as ``c B / (c - a (1 - B))`` and is only defined for
a stable queue, ``a < c``.

The response time of an M/M/c FCFS queue is the wait (zero with probability
``1 - C``, else exponential with rate ``c mu - lambda``) plus an exponential
service time, so its survival function has a closed form; percentiles are
found by bisection on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

_RECURRENCE_LIMIT = 20_000


def _special():
    from scipy import special

    return special


def erlang_b(servers, load) -> np.ndarray:
    """Blocking probability of an M/M/c/c loss system (Erlang B)."""
    c, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    if np.any(c < 0) or np.any(c != np.floor(c)):
        raise InputError("servers must be whole numbers >= 0")
    if np.any(~(a > 0)) or np.any(~np.isfinite(a)):
        raise InputError("offered load must be positive and finite")
    out = np.empty(c.shape, dtype=float)
    light = a < c
    if np.any(light):
        sp = _special()
        cl, al = c[light], a[light]
        log_pmf = sp.xlogy(cl, al) - al - sp.gammaln(cl + 1.0)
        out[light] = np.exp(log_pmf) / sp.gammaincc(cl + 1.0, al)
    heavy = np.flatnonzero(~light)
    if heavy.size:
        flat_c, flat_a, flat_out = c.reshape(-1), a.reshape(-1), out.reshape(-1)
        small = heavy[flat_c[heavy] <= _RECURRENCE_LIMIT]
        if small.size:
            flat_out[small] = _b_recurrence(flat_c[small], flat_a[small])
        for i in heavy[flat_c[heavy] > _RECURRENCE_LIMIT]:
            flat_out[i] = _b_log_sum(int(flat_c[i]), float(flat_a[i]))
    return out


def _b_recurrence(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    b = np.ones_like(a)
    top = int(c.max()) if c.size else 0
    for j in range(1, top + 1):
        step = a * b / (j + a * b)
        b = np.where(j <= c, step, b)
    return b


def _b_log_sum(c: int, a: float) -> float:
    # 1/B = sum over k = 0..c of prod_{j=c-k+1..c} (j / a); summed in log space
    logs = np.concatenate(([0.0], np.cumsum(np.log(np.arange(c, 0, -1) / a))))
    top = logs.max()
    return float(np.exp(-top) / np.exp(logs - top).sum())


def erlang_c(servers, load) -> np.ndarray:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    NaN where the queue is unstable (``load >= servers``).
    """
    c, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    if np.any(c < 1):
        raise InputError("an M/M/c queue needs at least one server")
    out = np.full(c.shape, np.nan)
    stable = a < c
    if np.any(stable):
        b = erlang_b(c[stable], a[stable])
        cs, as_ = c[stable], a[stable]
        out[stable] = cs * b / (cs - as_ + as_ * b)
    return out


def _phi(x: np.ndarray) -> np.ndarray:
    """(1 - exp(-x)) / x, with its limit 1 at x = 0."""
    x = np.asarray(x, dtype=float)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, -np.expm1(-safe) / safe)


def response_survival(t, arrival_rate, service_rate, servers, p_wait=None) -> np.ndarray:
    """P(response time > t) in an M/M/c FCFS queue (NaN when unstable)."""
    lam, mu, c, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (arrival_rate, service_rate, servers, t)))
    if p_wait is None:
        p_wait = erlang_c(c, lam / mu)
    theta = c * mu - lam  # rate of the conditional wait
    # given a wait, S + W is a sum of exponentials with rates mu and theta:
    # with m the smaller rate and d the gap, P(S + W > t) =
    # exp(-m t) (1 + m t phi(d t)), which never overflows and needs no
    # special case for theta == mu
    with np.errstate(invalid="ignore"):
        m = np.minimum(theta, mu)
        both = np.exp(-m * t) * (1.0 + m * t * _phi(np.abs(theta - mu) * t))
        tail = (1.0 - p_wait) * np.exp(-mu * t) + p_wait * both
    return np.where(theta > 0, np.minimum(tail, 1.0), np.nan)


def response_percentile(q, arrival_rate, service_rate, servers, p_wait=None) -> np.ndarray:
    """The ``q`` quantile (0 < q < 1) of the M/M/c response time, NaN when unstable."""
    lam, mu, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (arrival_rate, service_rate, servers)))
    if p_wait is None:
        p_wait = erlang_c(c, lam / mu)
    theta = c * mu - lam
    target = 1.0 - q
    stable = theta > 0
    # the response time is at most service + wait, each an exponential quantile
    lo = np.zeros(lam.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = np.where(stable, -np.log(target) * (1.0 / mu + 1.0 / np.where(stable, theta, 1.0)), 0.0)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        above = response_survival(mid, lam, mu, c, p_wait) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.all(hi - lo <= 1e-13 * hi):
            break
    return np.where(stable, 0.5 * (lo + hi), np.nan)


@dataclass(frozen=True)
class MMcQueue:
    """Steady-state figures of M/M/c queues, one array element per queue.

    Times are in the unit of ``1 / rate`` (seconds when the rates are per
    second). Waits are NaN where the queue is unstable (``lambda >= c mu``).

    Notes
    -----
    With offered load ``a = lambda / mu`` and ``C`` the Erlang C probability
    of waiting, ``W_q = C / (c mu - lambda)`` and ``W = W_q + 1 / mu``
    (Kleinrock, *Queueing Systems* vol. 1, 1975, section 3.5).
    """

    utilization: np.ndarray  #: a / c, the share of each server's time spent serving
    stable: np.ndarray  #: bool: a < c
    probability_of_wait: np.ndarray  #: Erlang C, NaN where unstable
    mean_wait: np.ndarray  #: W_q, in the unit of 1/rate
    mean_response: np.ndarray  #: W = W_q + 1/mu, in the unit of 1/rate


def mmc(arrival_rate, service_rate, servers) -> MMcQueue:
    """Steady-state figures of an M/M/c queue (see :class:`MMcQueue`)."""
    lam, mu, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (arrival_rate, service_rate, servers)))
    load = lam / mu
    p_wait = erlang_c(c, load)
    stable = load < c
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_wait = np.where(stable, p_wait / (c * mu - lam), np.nan)
    return MMcQueue(
        utilization=load / c,
        stable=stable,
        probability_of_wait=p_wait,
        mean_wait=mean_wait,
        mean_response=mean_wait + 1.0 / mu,
    )
