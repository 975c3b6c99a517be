"""Small chains solved densely in numpy: the exact figures of a few hundred states in milliseconds.

The sparse solves of :mod:`.ctmc` (numba GTH factors, scipy.sparse, a
fill-reducing order) pay about a second of imports and compiled-code loading
before their first state, which dominated a default ``simulate raft`` run
whose chain has six states. Up to :data:`DENSE_STATES` states the same
figures come from dense arrays instead, by the same subtraction-free
elimination (GTH), so a probability of 1e-30 keeps its digits here too, and
the transient figures from the dense paths of :mod:`.transient`.

Elimination, last state first, of a set of states with rates ``a[i, j]``
among them and exit rates ``e[i]`` out of the set: state k leaves at
d_k = sum_{j<k} a[k, j] + e[k] (never a difference); for i, j < k,
a[i, j] += a[i, k] a[k, j] / d_k and e[i] += a[i, k] e[k] / d_k. With e = 0
this is the GTH algorithm for the steady state; with e > 0 it factors
-Q restricted to the set, whose solves give mean first-passage times.

References
----------
W. K. Grassmann, M. I. Taksar, D. P. Heyman, "Regenerative analysis and
steady state distributions for Markov chains", Operations Research 33
(1985) 1107-1116.
"""

from __future__ import annotations

import numpy as np

from . import transient

#: The largest chain solved densely (a few hundred states: n^3 / 3 work in numpy, well under a second).
DENSE_STATES = 400
#: The largest chain whose transient figures (about 100 dense squarings, n^3 each) a crude run works out
#: unasked: 120 states take about 50 ms, 288 states about a second.
CHEAP_TRANSIENT_STATES = 120


def rates_on(chain, states: np.ndarray, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dense rates among ``states`` (rows: from; no diagonal) and each one's exit rate to the other states.

    ``keep`` (bool per transition) leaves out the transitions not kept: they
    count as exits instead.
    """
    local = np.full(chain.size, -1, dtype=np.int64)
    local[states] = np.arange(states.size)
    src, dst = local[chain.source], local[chain.target]
    kept = np.ones(chain.source.size, bool) if keep is None else keep
    within = (src >= 0) & (dst >= 0) & (src != dst) & kept
    leaving = (src >= 0) & ((dst < 0) | ~kept)
    rates = np.zeros((states.size, states.size))
    np.add.at(rates, (src[within], dst[within]), chain.rate[within])
    exit_rate = np.bincount(src[leaving], weights=chain.rate[leaving], minlength=states.size)
    return rates, exit_rate


def eliminate(rates: np.ndarray, exit_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GTH elimination, last state first: (a, d) with a[:k, k] the multipliers and a[k, :k] the rows at step k."""
    a = rates.astype(float)
    np.fill_diagonal(a, 0.0)
    e = exit_rate.astype(float)
    n = e.size
    d = np.zeros(n)
    for k in range(n - 1, -1, -1):
        d[k] = a[k, :k].sum() + e[k]
        if k == 0 or d[k] == 0.0:
            continue  # nothing left to eliminate into (or a state that never leaves downwards)
        column = a[:k, k] / d[k]
        a[:k, :k] += np.outer(column, a[k, :k])
        e[:k] += column * e[k]
        a[:k, k] = column
    return a, d


def solve_factored(a: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x with (-Q) x = b for the factors of :func:`eliminate` (b >= 0 keeps every step a sum of positive terms)."""
    b = b.astype(float).copy()
    n = b.size
    for k in range(n - 1, 0, -1):
        b[:k] += a[:k, k] * b[k]
    x = np.zeros(n)
    for k in range(n):
        x[k] = (b[k] + a[k, :k] @ x[:k]) / d[k]
    return x


def steady_state(chain) -> np.ndarray:
    """pi of the whole chain by GTH: pi_k = sum_{i<k} pi_i a[i, k] with a[i, k] the multipliers."""
    rates, _ = rates_on(chain, np.arange(chain.size))
    a, _ = eliminate(rates, np.zeros(chain.size))
    pi = np.zeros(chain.size)
    pi[0] = 1.0
    for k in range(1, chain.size):
        pi[k] = pi[:k] @ a[:k, k]
    return pi / pi.sum()


def _can_reach(rates: np.ndarray, target: np.ndarray) -> np.ndarray:
    reach = target.copy()
    while True:
        more = reach | (rates[:, reach] > 0).any(axis=1)
        if (more == reach).all():
            return reach
        reach = more


def first_passage(chain, target: np.ndarray) -> float | None:
    """Mean time from all up to the first visit of ``target`` (None if unreachable), as ctmc.first_passage."""
    if not target.any():
        return None
    if target[chain.start]:
        return 0.0
    rates, _ = rates_on(chain, np.arange(chain.size))
    reach = _can_reach(rates, target)
    if not reach[chain.start]:
        return None
    keep = np.flatnonzero(~target & reach)
    a, d = eliminate(*rates_on(chain, keep))
    m = solve_factored(a, d, np.ones(keep.size))
    return float(m[np.searchsorted(keep, chain.start)])


def loss_within(chain, pi: np.ndarray, hours: float) -> tuple[float, float]:
    """P(a quorum loss begins within ``hours``) from the steady state and from all up (see ctmc._loss_within)."""
    lost = chain.lost
    entering = ~lost[chain.source] & lost[chain.target]
    everything = np.arange(chain.size)
    rates, exit_rate = rates_on(chain, everything, keep=~entering)
    from_steady = float(pi @ transient.absorbed_within(rates, exit_rate, hours))
    serving = np.flatnonzero(~lost)
    rates, exit_rate = rates_on(chain, serving)
    from_all_up = float(transient.absorbed_within(rates, exit_rate, hours)[np.searchsorted(serving, chain.start)])
    return min(max(from_steady, 0.0), 1.0), min(max(from_all_up, 0.0), 1.0)


def outage_entry(chain, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the lost states, the distribution an outage starts in): each lost state's share of the steady flow into them."""
    lost = chain.lost
    entering = ~lost[chain.source] & lost[chain.target]
    inside = np.flatnonzero(lost)
    entry = np.zeros(chain.size)
    np.add.at(entry, chain.target[entering], pi[chain.source[entering]] * chain.rate[entering])
    return inside, entry[inside] / entry[inside].sum()


def outage_percentiles(chain, pi: np.ndarray, mean: float) -> dict[str, float]:
    """p50/p95/p99 of a quorum outage (see ctmc._outage_percentiles)."""
    inside, alpha = outage_entry(chain, pi)
    rates, exit_rate = rates_on(chain, inside)
    return transient.quantiles(rates, exit_rate, alpha, mean, {"p50": 0.5, "p95": 0.95, "p99": 0.99})


__all__ = ["CHEAP_TRANSIENT_STATES", "DENSE_STATES", "eliminate", "first_passage", "loss_within", "outage_entry", "outage_percentiles", "rates_on",
           "solve_factored", "steady_state"]
