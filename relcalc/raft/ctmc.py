"""The Raft model as a continuous-time Markov chain, built and solved exactly.

When every time is exponential (no schedule), the cluster is a CTMC. Nodes in
one zone are interchangeable, so a state records only what matters:

- which zones are up;
- the failed nodes as labels (zone, kind), kind R for a repair and P for a
  replacement after the node's data was destroyed. With unlimited crews the
  labels are a multiset (every failed node is being worked on). With r crews
  the first r are in service (a multiset) and the rest wait in arrival order.

Transitions: a node's own failure ((1 - beta)/MTBF each; a share ``permanent``
of them destroys data), a common-cause shock (beta/MTBF, failing every up
node of the cluster, or of one zone), the end of a repair (1/MTTR) or of a
replacement (1/replace time), a zone's failure and return. Nodes failed
together by a shock queue in zone order. Each transition is marked as a
failure (to be made likelier by importance sampling) or a repair.

From the chain: the steady state by the regenerative form (expected time in
each state over a cycle from all up, a linear solve with the M-matrix -Q on
the other states), which keeps tiny probabilities accurate; the MTTF and the
mean time to data loss by first passage; loss frequencies by the flow into
the lost states; the outage-duration distribution (phase type: the entry
distribution into the lost states and the generator restricted to them);
and the chance of a loss within a year from the chain with the entries into
the lost states removed, by ``expm_multiply``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import InputError
from .model import RaftModel

MAX_STATES = 300_000
DENSE_LIMIT = 2_000  # chains up to this size use dense matrix exponentials


@dataclass(frozen=True)
class Chain:
    """A built chain: transitions as arrays, and the marked state sets."""

    size: int
    source: np.ndarray
    target: np.ndarray
    rate: np.ndarray
    failure: np.ndarray  # bool per transition: a failure-type transition
    lost: np.ndarray  # bool per state: no quorum
    data_lost: np.ndarray  # bool per state: a quorum of destroyed nodes
    start: int = 0  # all up

    def generator(self):
        """(Q as a sparse matrix, exit rate of each state); built once, then shared by every solve."""
        return self._generator

    @cached_property
    def _generator(self):
        from scipy.sparse import coo_matrix, diags

        off = coo_matrix((self.rate, (self.source, self.target)), shape=(self.size, self.size)).tocsr()
        out = np.asarray(off.sum(axis=1)).ravel()
        return (off - diags(out)).tocsr(), out

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Transitions grouped by source: (row pointer, target, rate, failure flag)."""
        order = np.argsort(self.source, kind="stable")
        counts = np.bincount(self.source, minlength=self.size)
        pointer = np.concatenate(([0], np.cumsum(counts)))
        return pointer, self.target[order], self.rate[order], self.failure[order]


def build(model: RaftModel, max_states: int = MAX_STATES) -> Chain:
    """The chain of ``model``; InputError if it is not Markovian or has over ``max_states`` states."""
    why = model.why_not_markovian()
    if why:
        raise InputError(f"the exact chain needs exponential times and no schedule, but {why}")
    sizes = model.zones
    zones = len(sizes)
    crews = model.crews if 0 < model.crews < model.nodes else 0
    own = 1.0 / model.own_failure_mean
    shock = 1.0 / model.shock_mean if model.common_cause > 0 else 0.0
    repair = 1.0 / model.ttr.mean
    replace = 1.0 / model.replace_time if model.replace_time else 0.0
    p = model.permanent
    zone_fail = 1.0 / model.zone_ttf.mean if model.zone_failures else 0.0
    zone_back = 1.0 / model.zone_ttr.mean if model.zone_failures else 0.0
    quorum = model.quorum

    def canonical(zones_up, service, waiting):
        return zones_up, tuple(sorted(service)), tuple(waiting)

    def enqueue(service, waiting, labels):
        service, waiting = list(service), list(waiting)
        for label in labels:
            if crews == 0 or len(service) < crews:
                service.append(label)
            else:
                waiting.append(label)
        return service, waiting

    start = canonical(tuple([True] * zones), (), ())
    index = {start: 0}
    states = [start]
    src, dst, rates, fail = [], [], [], []
    lost, data_lost = [], []
    i = 0
    while i < len(states):
        zones_up, service, waiting = states[i]
        down = Counter(z for z, _ in service + waiting)
        destroyed = sum(1 for _, kind in service + waiting if kind == "P")
        up = [sizes[z] - down[z] for z in range(zones)]
        serving = sum(up[z] for z in range(zones) if zones_up[z])
        lost.append(serving < quorum)
        data_lost.append(destroyed >= quorum)
        moves: list[tuple[tuple, float, bool]] = []
        for z in range(zones):
            if up[z]:
                if p < 1:
                    moves.append((enqueue(service, waiting, [(z, "R")]), up[z] * own * (1 - p), True))
                if p > 0:
                    moves.append((enqueue(service, waiting, [(z, "P")]), up[z] * own * p, True))
        if shock:
            groups = [[z] for z in range(zones)] if model.shock_per_zone else [list(range(zones))]
            for group in groups:
                labels = [(z, "R") for z in group for _ in range(up[z])]
                if labels:
                    moves.append((enqueue(service, waiting, labels), shock, True))
        seen = set()
        for label in service:
            if label in seen:
                continue
            seen.add(label)
            count = service.count(label)
            rest = list(service)
            rest.remove(label)
            queue = list(waiting)
            if queue:
                rest.append(queue.pop(0))
            moves.append(((rest, queue), count * (repair if label[1] == "R" else replace), False))
        new_moves = []
        for (s_next, w_next), rate, is_failure in moves:
            new_moves.append((canonical(zones_up, s_next, w_next), rate, is_failure))
        for z in range(zones):
            if zone_fail:
                flipped = tuple(not u if k == z else u for k, u in enumerate(zones_up))
                new_moves.append((canonical(flipped, service, waiting), zone_fail if zones_up[z] else zone_back,
                                  zones_up[z]))
        for state, rate, is_failure in new_moves:
            if rate <= 0:
                continue
            j = index.get(state)
            if j is None:
                j = index[state] = len(states)
                states.append(state)
                if len(states) > max_states:
                    raise InputError(
                        f"the exact chain has over {max_states:,} states; use --method crude"
                    )
            src.append(i)
            dst.append(j)
            rates.append(rate)
            fail.append(is_failure)
        i += 1
    return Chain(
        size=len(states),
        source=np.array(src, dtype=np.int64),
        target=np.array(dst, dtype=np.int64),
        rate=np.array(rates),
        failure=np.array(fail, dtype=bool),
        lost=np.array(lost, dtype=bool),
        data_lost=np.array(data_lost, dtype=bool),
    )


@dataclass(frozen=True)
class ChainSolution:
    """Exact figures of a chain (hours); None where a set is never reached."""

    states: int
    quorum_unavailability: float
    losses_per_hour: float
    mean_outage_hours: float | None
    mttf_hours: float | None
    loss_within_year: float | None
    outage_percentiles_hours: dict[str, float | None]
    data_loss_per_hour: float
    mttdl_hours: float | None
    steady_state: np.ndarray


def steady_state(chain: Chain) -> np.ndarray:
    """pi from the expected time in each state over a cycle from all up."""
    from scipy.sparse.linalg import spsolve

    q, out = chain.generator()
    s = chain.start
    if chain.size == 1:
        return np.ones(1)
    others = np.flatnonzero(np.arange(chain.size) != s)
    q_tt = -q[others][:, others]
    leave = np.asarray(q[s, others].todense()).ravel() / out[s]
    # h^T (-Q_TT) = leave^T: expected time in each other state per cycle
    h = spsolve(q_tt.T.tocsc(), leave)
    h = np.maximum(np.atleast_1d(h), 0.0)
    times = np.empty(chain.size)
    times[s] = 1.0 / out[s]
    times[others] = h
    return times / times.sum()


def first_passage(chain: Chain, target: np.ndarray) -> float | None:
    """Mean time from all up to the first visit of ``target`` states (None if unreachable)."""
    from scipy.sparse.csgraph import breadth_first_order
    from scipy.sparse.linalg import spsolve

    if not target.any():
        return None
    q, _ = chain.generator()
    if target[chain.start]:
        return 0.0
    # states that can reach the target; others would make the system singular
    reach = np.zeros(chain.size, bool)
    rev = abs(q.T).tocsr()  # a copy: the shared generator stays as it is
    for t in np.flatnonzero(target):
        if not reach[t]:
            order = breadth_first_order(rev, t, directed=True, return_predecessors=False)
            reach[order] = True
    if not reach[chain.start]:
        return None
    keep = np.flatnonzero(~target & reach)
    position = {int(v): k for k, v in enumerate(keep)}
    m = spsolve((-q[keep][:, keep]).tocsc(), np.ones(keep.size))
    return float(np.atleast_1d(m)[position[chain.start]])


def _flow_into(chain: Chain, pi: np.ndarray, target: np.ndarray) -> float:
    entering = ~target[chain.source] & target[chain.target]
    return float(np.sum(pi[chain.source[entering]] * chain.rate[entering]))


def solve(chain: Chain, year_hours: float = 8760.0, outage_percentiles: bool = True) -> ChainSolution:
    pi = steady_state(chain)
    lost = chain.lost
    unavailable = float(pi[lost].sum())
    losses = _flow_into(chain, pi, lost)
    q, _ = chain.generator()
    percentiles: dict[str, float | None] = {"p50": None, "p95": None, "p99": None}
    within = None
    if losses > 0:
        within = _loss_within(chain, q, pi, year_hours)
        if outage_percentiles:
            percentiles = _outage_percentiles(chain, q, pi, unavailable / losses)
    data_flow = _flow_into(chain, pi, chain.data_lost)
    return ChainSolution(
        states=chain.size,
        quorum_unavailability=unavailable,
        losses_per_hour=losses,
        mean_outage_hours=unavailable / losses if losses > 0 else None,
        mttf_hours=first_passage(chain, lost),
        loss_within_year=within,
        outage_percentiles_hours=percentiles,
        data_loss_per_hour=data_flow,
        mttdl_hours=first_passage(chain, chain.data_lost),
        steady_state=pi,
    )


def _loss_within(chain: Chain, q, pi: np.ndarray, hours: float) -> float:
    """P(a loss begins within ``hours``) from the steady state.

    Entries into the lost states are redirected to one absorbing state, whose
    mass at ``hours`` is the answer: a sum of positive terms, so it stays
    accurate when it is tiny (1 minus a survival probability would not).
    """
    from scipy.sparse import coo_matrix, vstack, hstack, csr_matrix
    from scipy.sparse.linalg import expm_multiply

    lost = chain.lost
    entering = ~lost[chain.source] & lost[chain.target]
    n = chain.size
    cut = coo_matrix((chain.rate[entering], (chain.source[entering], chain.target[entering])), shape=q.shape).tocsr()
    absorb = np.zeros(n)
    np.add.at(absorb, chain.source[entering], chain.rate[entering])
    body = (q - cut).tocsr()
    augmented = vstack([hstack([body, csr_matrix(absorb.reshape(-1, 1))]), csr_matrix((1, n + 1))]).tocsr()
    start = np.append(pi, 0.0)
    if n + 1 <= DENSE_LIMIT:
        # a year is many repair times: scaling and squaring costs log(norm x t) products
        from scipy.linalg import expm

        end = start @ expm(augmented.toarray() * hours)
    else:
        end = expm_multiply(augmented.T.tocsr() * hours, start)
    return float(min(max(end[-1], 0.0), 1.0))


def _outage_percentiles(chain: Chain, q, pi: np.ndarray, mean: float) -> dict[str, float]:
    """p50/p95/p99 of a quorum outage, a phase-type time.

    The outage starts in the lost states with the entry distribution alpha and
    lasts until the chain leaves them, so P(T > t) = alpha exp(Q_FF t) 1,
    evaluated by uniformisation: with Lambda the largest exit rate and
    P = I + Q_FF / Lambda, P(T > t) = sum_k Poisson(k; Lambda t) alpha P^k 1.
    The terms alpha P^k 1 are computed once and the percentiles found by
    bisection on t.
    """
    from scipy.stats import poisson

    lost = chain.lost
    entering = ~lost[chain.source] & lost[chain.target]
    inside = np.flatnonzero(lost)
    entry = np.zeros(chain.size)
    np.add.at(entry, chain.target[entering], pi[chain.source[entering]] * chain.rate[entering])
    alpha = entry[inside] / entry[inside].sum()
    q_ff = q[inside][:, inside].tocsr()
    big = float(-q_ff.diagonal().min())
    from scipy.sparse import identity

    step = (identity(inside.size, format="csr") + q_ff / big).T.tocsr()
    terms = [1.0]
    v = alpha.copy()
    while terms[-1] > 1e-4 * 0.01 and len(terms) < 1_000_000:
        v = step @ v
        terms.append(float(v.sum()))
    c = np.array(terms)

    def tail(t: float) -> float:
        k = np.arange(c.size)
        return float(np.sum(poisson.pmf(k, big * t) * c) + poisson.sf(c.size - 1, big * t) * c[-1])

    out = {}
    for name, level in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        lo, hi = 0.0, mean
        while tail(hi) > 1 - level:
            hi *= 2
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if tail(mid) > 1 - level else (lo, mid)
            if hi - lo <= 1e-9 * hi:
                break
        out[name] = 0.5 * (lo + hi)
    return out
