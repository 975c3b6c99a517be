"""Exact quorum figures where maths gives them.

Identical nodes that fail and are repaired independently make the number of
failed nodes a birth-death chain when times are exponential: from k failed,
a failure comes at rate (n - k) lambda and a repair ends at rate
min(k, r) mu with r crews (r = n when unlimited). Quorum is lost from
k* = n - quorum + 1 failed nodes on.

With unlimited crews the steady state does not depend on the distributions
beyond their means (each node is an alternating renewal process, up a share
MTBF/(MTBF+MTTR) of the time, independently of the others), so the binomial
quorum unavailability, the loss frequency and the mean outage hold for any
failure and repair laws. Everything else (time to first loss, the chance of
a loss within a year, zones, crews, shocks, data loss) needs the Markov chain
of :mod:`.ctmc`, so it is given only for exponential times. The birth-death
functions here are the chain's independent check for identical nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .model import RaftModel


@dataclass(frozen=True)
class ExactQuorum:
    """Exact figures; a field is None where no exact value applies."""

    quorum_unavailability: float | None
    losses_per_hour: float | None
    mean_outage_hours: float | None
    mttf_hours: float | None
    loss_within_year: float | None
    data_loss_per_hour: float | None = None
    mttdl_hours: float | None = None
    outage_percentiles_hours: dict | None = None
    method: str | None = None  # "ctmc" or "binomial" (insensitive steady state)


def _rates(n: int, lam: float, mu: float, crews: int) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(n + 1, dtype=float)
    birth = (n - k) * lam  # from k failed to k + 1
    servers = np.minimum(k, crews if crews > 0 else n)
    death = servers * mu  # from k failed to k - 1
    return birth, death


def steady_state(n: int, lam: float, mu: float, crews: int = 0) -> np.ndarray:
    """P(k nodes failed), k = 0..n, from the product form, in log space."""
    birth, death = _rates(n, lam, mu, crews)
    logs = np.zeros(n + 1)
    for k in range(1, n + 1):
        logs[k] = logs[k - 1] + math.log(birth[k - 1]) - math.log(death[k])
    w = np.exp(logs - logs.max())
    return w / w.sum()


def binomial_failed(n: int, mtbf: float, mttr: float) -> np.ndarray:
    """P(k of n independent nodes down), each down a share MTTR/(MTBF+MTTR)."""
    u = mttr / (mtbf + mttr)
    a = mtbf / (mtbf + mttr)
    return np.array([math.comb(n, k) * u**k * a ** (n - k) for k in range(n + 1)])


def generator(n: int, lam: float, mu: float, crews: int = 0) -> np.ndarray:
    birth, death = _rates(n, lam, mu, crews)
    q = np.zeros((n + 1, n + 1))
    for k in range(n + 1):
        if k < n:
            q[k, k + 1] = birth[k]
        if k > 0:
            q[k, k - 1] = death[k]
        q[k, k] = -q[k].sum()
    return q


def mttf_from_all_up(n: int, lam: float, mu: float, crews: int, lost_at: int) -> float:
    """Mean first-passage time from 0 failed to ``lost_at`` failed (hours)."""
    q = generator(n, lam, mu, crews)[:lost_at, :lost_at]
    return float(np.linalg.solve(-q, np.ones(lost_at))[0])


def loss_within(t: float, n: int, lam: float, mu: float, crews: int, lost_at: int) -> float:
    """P(a quorum loss begins within ``t`` hours), starting from the steady state."""
    from scipy.linalg import expm

    q = generator(n, lam, mu, crews)
    pi = steady_state(n, lam, mu, crews)
    # a failure from lost_at - 1 failed is a new loss: send it nowhere (absorbed)
    q[lost_at - 1, lost_at] = 0.0
    survive = pi @ expm(q * t) @ np.ones(n + 1)
    return float(-np.expm1(np.log(max(survive, 1e-300))))


#: The largest chain built just to show exact values beside an estimate (about a second in Python).
SIDE_STATES = 50_000


def exact(model: RaftModel, year_hours: float = 8760.0, max_states: int = SIDE_STATES) -> ExactQuorum:
    """What is known exactly for ``model`` (None fields where nothing is).

    Markovian models are solved as a chain (:mod:`.ctmc`). Otherwise, with
    unlimited repair, independent nodes and nothing else coupling them, the
    binomial steady state, loss frequency and mean outage still hold.
    """
    return exact_with_chain(model, year_hours, max_states)[0]


def exact_with_chain(model: RaftModel, year_hours: float = 8760.0, max_states: int = SIDE_STATES):
    """:func:`exact` and the chain it solved (None where it built none), for callers that sample it too."""
    if model.markovian:
        from ..errors import InputError
        from .ctmc import build, solve

        try:
            chain = build(model, max_states=max_states)
        except InputError:  # too large to build quickly: no exact value beside a simulation
            return ExactQuorum(None, None, None, None, None), None
        sol = solve(chain, year_hours)
        return ExactQuorum(
            sol.quorum_unavailability, sol.losses_per_hour, sol.mean_outage_hours, sol.mttf_hours,
            sol.loss_within_year, sol.data_loss_per_hour if model.permanent > 0 else None,
            sol.mttdl_hours if model.permanent > 0 else None, sol.outage_percentiles_hours, "ctmc",
        ), chain
    return _insensitive(model), None


def _insensitive(model: RaftModel) -> ExactQuorum:
    """The binomial figures, which hold for any laws when nothing couples the nodes."""
    coupled = (model.zone_failures or model.common_cause > 0 or model.permanent > 0
               or model.restart_every is not None or 0 < model.crews < model.nodes)
    if coupled:
        return ExactQuorum(None, None, None, None, None)
    n, quorum = model.nodes, model.quorum
    lost_at = n - quorum + 1
    mtbf, mttr = model.ttf.mean, model.ttr.mean
    pi = binomial_failed(n, mtbf, mttr)
    unavailable = float(pi[lost_at:].sum())
    losses = float(pi[lost_at - 1] * (n - lost_at + 1) / mtbf)
    return ExactQuorum(unavailable, losses, unavailable / losses if losses > 0 else None, None, None,
                       method="binomial")
