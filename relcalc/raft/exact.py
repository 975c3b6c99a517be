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
    #: P(a loss begins within a year) from all up; ``loss_within_year`` starts from the steady state
    loss_within_year_from_all_up: float | None = None


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


def mttf_from_all_up(n: int, lam: float, mu: float, crews: int, lost_at: int) -> float:
    """Mean first-passage time from 0 failed to ``lost_at`` failed (hours), in closed form.

    Notes
    -----
    The time to go from k to k + 1 failed is tau_k = (1 + d_k tau_{k-1}) / b_k
    (leave k upwards at once, or first go down and come back), with b_k the
    failure and d_k the repair rate of k failed, so the mean first passage is
    sum_{k < lost_at} tau_k. Only sums and products of positive numbers: it
    keeps every digit however rare the loss (a linear solve would not).

    References
    ----------
    S. Karlin, H. M. Taylor, A First Course in Stochastic Processes, 2nd ed.
    (1975), ch. 4, sec. 7 (first passage times of birth and death processes).
    """
    birth, death = _rates(n, lam, mu, crews)
    total = tau = 0.0
    for k in range(lost_at):
        tau = (1.0 + death[k] * tau) / birth[k]
        total += tau
    return total


#: The largest chain built just to show exact values beside an estimate (about a second in Python).
SIDE_STATES = 50_000


def exact(model: RaftModel, year_hours: float = 8760.0, max_states: int = SIDE_STATES) -> ExactQuorum:
    """What is known exactly for ``model`` (None fields where nothing is).

    Markovian models are solved as a chain (:mod:`.ctmc`). Otherwise, with
    unlimited repair, independent nodes and nothing else coupling them, the
    binomial steady state, loss frequency and mean outage still hold.
    """
    return exact_with_chain(model, year_hours, max_states)[0]


def exact_with_chain(model: RaftModel, year_hours: float = 8760.0, max_states: int = SIDE_STATES,
                     transient: bool | None = True):
    """:func:`exact` and the chain it solved (None where it built none), for callers that sample it too.

    ``transient`` None works out the chance of a loss within a year and the
    outage percentiles only where they are cheap (a small chain solved densely).
    """
    if model.markovian:
        from ..errors import InputError
        from .ctmc import build, cheap_transient, solve

        try:
            chain = build(model, max_states=max_states)
        except InputError:  # too large to build quickly: no exact value beside a simulation
            return ExactQuorum(None, None, None, None, None), None
        try:
            sol = solve(chain, year_hours, transient=cheap_transient(chain) if transient is None else transient)
        except InputError:  # too large to solve exactly in bounded time
            return ExactQuorum(None, None, None, None, None), chain
        return ExactQuorum(
            sol.quorum_unavailability, sol.losses_per_hour, sol.mean_outage_hours, sol.mttf_hours,
            sol.loss_within_year, sol.data_loss_per_hour if model.permanent > 0 else None,
            sol.mttdl_hours if model.permanent > 0 else None, sol.outage_percentiles_hours, "ctmc",
            sol.loss_within_year_from_all_up,
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
