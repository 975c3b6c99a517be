"""A repair group too large for its full queue chain: the chain truncated at a depth, with rigorous bounds.

Notes
-----
With members of different repair rates the FIFO chain has no product form,
and its ordered queues number e n! (20 members: 6.6e18). Failures are rare
against repairs, so the chain is kept to the states with at most ``D``
members down (the ``in service`` members, the first ``c`` of the queue, held
as a set: their order does not change what follows) and solved there with the
failures beyond ``D`` left out (the *blocked* chain, stationary law pi_b).
What that leaves out is bounded, never guessed:

1. The number down N is dominated by a birth-death chain with births at the
   sum of the largest ``n - j`` failure rates and deaths at ``min(j, c)``
   times the slowest repair rate (each of the group's rates is at most, and
   each repair flow at least, the chain's in every state with j down; a
   coupling of skip-free processes: Whitt, "Comparing counting processes and
   queues", Adv. Appl. Prob. 13, 1981). So ``P(N > D) <= eps``, that chain's
   tail, computed in closed form.
2. Within the kept states, the true law conditioned on them is the blocked
   chain with each failure beyond ``D`` sent back where it re-enters (the
   censored chain). For a figure g, with h solving the Poisson equation
   ``Q_b h = pi_b g - g``, the difference is ``sum_s v(s) e_s (E h(return) -
   h(s))``, whose size is at most the flow out of the kept states (at most
   ``min(D + 1, c) mu_max eps / (1 - eps)``) times the spread of h over the
   states at depth D (the perturbation of a Markov chain by its fundamental
   matrix: Meyer, SIAM J. Matrix Anal. Appl. 1980; Seneta 1993).

So a figure in [0, M] lies in ``[(1 - eps)(G_b - Delta), G_b + Delta +
eps M]``. The depth is the smallest with eps below 1e-12 (or all states),
within :data:`MAX_STATES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

#: states of a truncated chain, and members down it may follow: the sparse LU of its steady state fills in
#: with depth (8 members at depth 6, 28,961 states: 2.3 s; depth 8, 109,601 states: minutes and gigabytes)
MAX_STATES = 60_000
MAX_DEPTH = 6
EPSILON = 1e-12  #: the tail the depth is chosen for


def canonical(state: tuple, crews: int) -> tuple:
    """The queue with its members in service (the first ``crews``) in a fixed order: the same future either way."""
    if len(state) < 2 or crews < 2:
        return state
    head = tuple(sorted(state[:crews]))
    return head + state[crews:]


def count_states(n: int, crews: int, depth: int, limit: int = 10 * MAX_STATES) -> int:
    """States with at most ``depth`` down: the in-service set (up to c) times the ordered waiting line."""
    total = 0
    for k in range(depth + 1):
        served = min(k, crews)
        # choose the served set, then order k - served of the rest
        total += math.comb(n, served) * math.perm(n - served, k - served)
        if total > limit:
            return total
    return total


def tail_bound(failure_rates, repair_rates, crews: int, depth: int) -> tuple[float, float]:
    """(P(N > depth), P(N = depth + 1)) of the dominating birth-death chain (Notes, 1); both upper bounds."""
    lam = sorted(failure_rates, reverse=True)
    n = len(lam)
    slowest = min(repair_rates)
    weights = [1.0]
    for j in range(n):
        birth = math.fsum(lam[: n - j])
        weights.append(weights[-1] * birth / (slowest * min(j + 1, crews)))
    total = math.fsum(weights)
    beyond = math.fsum(weights[depth + 1:]) / total if depth < n else 0.0
    at = weights[depth + 1] / total if depth < n else 0.0
    return beyond, at


def choose_depth(failure_rates, repair_rates, crews: int, where: str) -> int:
    n = len(failure_rates)
    depth = 0
    while depth < n:
        if depth + 1 > MAX_DEPTH or count_states(n, crews, depth + 1) > MAX_STATES:
            break
        depth += 1
        if tail_bound(failure_rates, repair_rates, crews, depth)[0] <= EPSILON:
            break
    if depth == 0:
        raise InputError(f"{where}: {n} components with different repair rates: even one failure at a time is over "
                         f"{MAX_STATES:,} chain states")
    return depth


@dataclass
class TruncatedChain:
    states: list  #: queues (tuples of member indices), canonical
    rows: np.ndarray
    cols: np.ndarray
    rates: np.ndarray  #: off-diagonal rates among the kept states
    depth: int
    eps: float  #: P(N > depth) at most
    crews: int
    fastest: float
    depths: np.ndarray  #: members down in each state


def build(failure_rates, repair_rates, crews: int, depth: int) -> TruncatedChain:
    n = len(failure_rates)
    states = [()]
    index = {(): 0}
    rows, cols, vals = [], [], []

    def link(origin: int, target: tuple, rate: float) -> None:
        """A transition from state ``origin`` to the queue ``target``, numbered when first met."""
        j = index.get(target)
        if j is None:
            j = index[target] = len(states)
            states.append(target)
        rows.append(origin)
        cols.append(j)
        vals.append(rate)

    head = 0
    while head < len(states):
        state = states[head]
        down = set(state)
        for i in range(n if len(state) < depth else 0):  # failures beyond the depth are left out (blocked)
            if i in down:
                continue
            link(head, canonical(state + (i,), crews), failure_rates[i])
        for position in range(min(crews, len(state))):
            link(head, canonical(state[:position] + state[position + 1:], crews), repair_rates[state[position]])
        head += 1
    eps = tail_bound(failure_rates, repair_rates, crews, depth)[0]
    return TruncatedChain(states, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals),
                          depth, eps, crews, max(repair_rates),
                          np.fromiter((len(s) for s in states), dtype=np.int64, count=len(states)))


class Solved:
    """The blocked chain's stationary law and a factorisation for its Poisson equations."""

    def __init__(self, chain: TruncatedChain):
        from scipy.sparse import coo_matrix
        from scipy.sparse.linalg import splu

        size = len(chain.states)
        self.chain = chain
        out = np.bincount(chain.rows, weights=chain.rates, minlength=size)
        generator = coo_matrix((np.concatenate([chain.rates, -out]),
                                (np.concatenate([chain.rows, np.arange(size)]),
                                 np.concatenate([chain.cols, np.arange(size)]))), shape=(size, size)).tocsc()
        # pi Q = 0 with pi(0) = 1, and Q h = b with h(0) = 0 (h is defined up to a constant): both drop state 0's
        # row and column, so one sparse factorisation serves both (a row of ones for the normalisation would fill in)
        inner = generator[1:, 1:].tocsc()
        self._lu = splu(inner)
        pi = np.empty(size)
        pi[0] = 1.0
        pi[1:] = self._lu.solve(-np.asarray(generator[0, 1:].todense()).ravel(), trans="T")
        pi = np.clip(pi, 0.0, None)
        self.pi = pi / math.fsum(pi.tolist())
        self.boundary = np.array([len(s) == chain.depth for s in chain.states])
        c = chain.crews
        self.flow = min(chain.depth + 1, c) * chain.fastest * chain.eps / (1.0 - chain.eps) if chain.eps else 0.0

    def bracket(self, g: np.ndarray, most: float) -> tuple[float, float, float]:
        """(blocked estimate, low, high) of the stationary mean of a figure g in [0, most] (Notes)."""
        value = float(self.pi @ g)
        if self.chain.eps == 0.0:
            return value, value, value
        h = np.zeros(g.size)
        h[1:] = self._lu.solve(value - g[1:])
        spread = float(h[self.boundary].max() - h[self.boundary].min()) if self.boundary.any() else 0.0
        delta = self.flow * spread
        eps = self.chain.eps
        slack = 1e-12 * abs(value)  # the solves' rounding, far above double precision's
        low = max(0.0, (1.0 - eps) * (value - delta) - slack)
        high = min(most, value + delta + eps * most + slack)
        return value, low, high
