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
each state over a cycle from all up) and the MTTF and the mean time to data
loss by first passage, all by GTH elimination (:mod:`.gth`: no subtractions,
so a loss once in 1e22 hours keeps its digits); loss frequencies by the flow
into the lost states; the outage-duration distribution (phase type: the
entry distribution into the lost states and the generator restricted to
them); and the chance of a loss within a year, from the steady state and
from all up, as the mass absorbed by the entries into the lost states
(:mod:`.transient`). Chains over :data:`SOLVE_LIMIT` states are built (for
sampling) but not solved; chains of a few hundred states are solved densely
(:mod:`.dense`), the same eliminations without the sparse machinery's
second of start-up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import InputError
from .model import RaftModel

MAX_STATES = 300_000
#: The exact solves (GTH elimination) take sets of states up to this size, with at most this much fill-in.
SOLVE_LIMIT = 20_000
FILL_LIMIT = 30_000_000


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
    #: P(a loss begins within a year) from all up; ``loss_within_year`` starts from the steady state
    loss_within_year_from_all_up: float | None = None


def _factor_on(chain: Chain, states: np.ndarray):
    """GTH factors of -Q on ``states`` (an index array), eliminated in a fill-reducing order.

    Returns (factors, position of each state in the elimination, exit rates of
    ``states`` to the others). The order is the multiple minimum degree order
    SuperLU picks for the pattern (only the pattern is used from it: its
    numbers cancel). Raises InputError when the elimination would fill in
    beyond :data:`FILL_LIMIT` entries or the set exceeds :data:`SOLVE_LIMIT`.
    """
    from .gth import factor

    size = states.size
    if size > SOLVE_LIMIT:
        raise InputError(
            f"the exact chain has {chain.size:,} states, over the {SOLVE_LIMIT:,} that its exact solve "
            "handles in bounded time; use --method crude"
        )
    local = np.full(chain.size, -1, dtype=np.int64)
    local[states] = np.arange(size)
    src, dst = local[chain.source], local[chain.target]
    inside = src >= 0
    within = inside & (dst >= 0) & (src != dst)
    leaving = inside & (dst < 0)
    exit_rate = np.bincount(src[leaving], weights=chain.rate[leaving], minlength=size)
    order = _elimination_order(src[within], dst[within], size)
    position = np.empty(size, dtype=np.int64)
    position[order] = np.arange(size)
    rows, cols, rates = position[src[within]], position[dst[within]], chain.rate[within]
    sort = np.argsort(rows, kind="stable")
    pointer = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=size))))
    factors = factor(pointer, cols[sort], rates[sort], exit_rate[order], FILL_LIMIT)
    if factors is None:
        raise InputError(
            f"the exact solve of this chain ({chain.size:,} states) would fill in beyond {FILL_LIMIT:,} "
            "entries; use --method crude"
        )
    return factors, position, exit_rate


def _elimination_order(rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """States in the order to eliminate them: SuperLU's minimum degree order for the pattern."""
    if size <= 2:
        return np.arange(size)
    from scipy.sparse import coo_matrix, identity
    from scipy.sparse.linalg import splu

    pattern = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(size, size)).tocsc()
    pattern = (pattern + pattern.T + (2.0 * rows.size + 1) * identity(size)).tocsc()  # dominant: no zero pivot
    lu = splu(pattern, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options=dict(SymmetricMode=True))
    return np.argsort(lu.perm_c)


def steady_state(chain: Chain) -> np.ndarray:
    """pi from the expected time in each state over a cycle from all up (regenerative form).

    With T the states other than all up, h^T (-Q_TT) = (rates out of all up
    to T) / (its exit rate) gives the expected time in each state per visit
    to all up, solved by GTH elimination: every figure is a sum of positive
    terms, so a probability of 1e-30 is as accurate as one of 0.5.
    """
    s = chain.start
    if chain.size == 1:
        return np.ones(1)
    q, out = chain.generator()
    others = np.flatnonzero(np.arange(chain.size) != s)
    factors, position, _ = _factor_on(chain, others)
    leave = np.asarray(q[s, others].todense()).ravel() / out[s]
    h = factors.solve_transposed(leave[np.argsort(position)])[position]
    times = np.empty(chain.size)
    times[s] = 1.0 / out[s]
    times[others] = h
    return times / times.sum()


def first_passage(chain: Chain, target: np.ndarray) -> float | None:
    """Mean time from all up to the first visit of ``target`` states (None if unreachable).

    (-Q_TT) m = 1 on the states T that are not targets, by GTH elimination
    (the exit of a state is its rate into the targets), so the mean stays
    exact however rare the target is.
    """
    from scipy.sparse.csgraph import breadth_first_order

    if not target.any():
        return None
    if target[chain.start]:
        return 0.0
    # states that can reach the target; others would make the system singular
    q, _ = chain.generator()
    reach = np.zeros(chain.size, bool)
    rev = abs(q.T).tocsr()  # a copy: the shared generator stays as it is
    for t in np.flatnonzero(target):
        if not reach[t]:
            order = breadth_first_order(rev, t, directed=True, return_predecessors=False)
            reach[order] = True
    if not reach[chain.start]:
        return None
    keep = np.flatnonzero(~target & reach)
    factors, position, _ = _factor_on(chain, keep)
    m = factors.solve(np.ones(keep.size))
    return float(m[position[np.searchsorted(keep, chain.start)]])


def _flow_into(chain: Chain, pi: np.ndarray, target: np.ndarray) -> float:
    entering = ~target[chain.source] & target[chain.target]
    return float(np.sum(pi[chain.source[entering]] * chain.rate[entering]))


def is_small(chain: Chain) -> bool:
    """Whether ``chain`` is solved densely (:mod:`.dense`), in milliseconds and without scipy or numba."""
    from .dense import DENSE_STATES

    return chain.size <= DENSE_STATES


def cheap_transient(chain: Chain) -> bool:
    """Whether the chance of a loss within a year and the outage percentiles of ``chain`` cost only milliseconds."""
    from .dense import CHEAP_TRANSIENT_STATES

    return chain.size <= CHEAP_TRANSIENT_STATES


def solve(chain: Chain, year_hours: float = 8760.0, outage_percentiles: bool = True,
          dense: bool | None = None, transient: bool = True) -> ChainSolution:
    """Every exact figure of ``chain``; ``dense`` picks the solver (default: dense for small chains).

    ``transient=False`` leaves out the chance of a loss within a year and the
    outage percentiles (the costly part of a large or stiff chain), as
    ``outage_percentiles=False`` leaves out the percentiles alone.
    """
    from . import dense as small

    use_dense = is_small(chain) if dense is None else dense
    pi = small.steady_state(chain) if use_dense else steady_state(chain)
    lost = chain.lost
    unavailable = float(pi[lost].sum())
    losses = _flow_into(chain, pi, lost)
    percentiles: dict[str, float | None] = {"p50": None, "p95": None, "p99": None}
    within = within_from_all_up = None
    if losses > 0 and transient:
        within, within_from_all_up = (small.loss_within if use_dense else _loss_within)(chain, pi, year_hours)
        if outage_percentiles:
            outage = small.outage_percentiles if use_dense else _outage_percentiles
            percentiles.update(outage(chain, pi, unavailable / losses) or {})
    data_flow = _flow_into(chain, pi, chain.data_lost)
    passage = small.first_passage if use_dense else first_passage
    return ChainSolution(
        states=chain.size,
        quorum_unavailability=unavailable,
        losses_per_hour=losses,
        mean_outage_hours=unavailable / losses if losses > 0 else None,
        mttf_hours=passage(chain, lost),
        loss_within_year=within,
        outage_percentiles_hours=percentiles,
        data_loss_per_hour=data_flow,
        mttdl_hours=passage(chain, chain.data_lost),
        steady_state=pi,
        loss_within_year_from_all_up=within_from_all_up,
    )


def _restricted(chain: Chain, states: np.ndarray):
    """Rates among ``states`` (sparse, rows: from) and each one's exit rate to the rest."""
    from scipy.sparse import coo_matrix

    local = np.full(chain.size, -1, dtype=np.int64)
    local[states] = np.arange(states.size)
    src, dst = local[chain.source], local[chain.target]
    within = (src >= 0) & (dst >= 0) & (src != dst)
    leaving = (src >= 0) & (dst < 0)
    exit_rate = np.bincount(src[leaving], weights=chain.rate[leaving], minlength=states.size)
    rates = coo_matrix((chain.rate[within], (src[within], dst[within])), shape=(states.size, states.size))
    return rates.tocsr(), exit_rate


def _loss_within(chain: Chain, pi: np.ndarray, hours: float) -> tuple[float | None, float | None]:
    """P(a quorum loss begins within ``hours``), from the steady state and from all up.

    The chain runs with its entries into the lost states made absorbing (an
    outage under way at the start may end; a new one is the event). The
    absorbed mass is computed directly as a sum of positive terms, never as
    1 minus a survival, so it stays accurate when it is 1e-19
    (:mod:`.transient`). From all up only the states with a quorum matter.
    None where a sparse chain is too stiff for the work budget.
    """
    from . import transient

    lost = chain.lost
    entering = ~lost[chain.source] & lost[chain.target]
    # the same chain with the entries cut: their rates become exits (to the event)
    cut = Chain(chain.size, chain.source[~entering], chain.target[~entering], chain.rate[~entering],
                chain.failure[~entering], chain.lost, chain.data_lost, chain.start)
    exit_rate = np.bincount(chain.source[entering], weights=chain.rate[entering], minlength=chain.size)
    serving = np.flatnonzero(~lost)
    start_local = int(np.searchsorted(serving, chain.start))
    results = []
    for states, start in ((np.arange(chain.size), pi), (serving, np.eye(1, serving.size, start_local).ravel())):
        rates, _ = _restricted(cut, states)
        found = transient.absorbed_by(rates, exit_rate[states], [start], hours)  # from all up, F is never reached
        results.append(None if found is None else min(max(found[0], 0.0), 1.0))
    return results[0], results[1]


def _outage_percentiles(chain: Chain, pi: np.ndarray, mean: float) -> dict[str, float] | None:
    """p50/p95/p99 of a quorum outage, a phase-type time (:mod:`.transient`).

    The outage starts in the lost states with the entry distribution alpha
    (the flow into each from the steady state) and lasts until the chain
    leaves them: P(T > t) = alpha exp(Q_FF t) 1. None where a sparse chain
    is too stiff for the work budget.
    """
    from . import transient
    from .dense import outage_entry

    inside, alpha = outage_entry(chain, pi)
    rates, exit_rate = _restricted(chain, inside)
    return transient.phase_type_quantiles(rates, exit_rate, alpha, mean, {"p50": 0.5, "p95": 0.95, "p99": 0.99})
