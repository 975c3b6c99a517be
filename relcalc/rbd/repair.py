"""Shared repair crews: the exact Markov chain of a repair group, and the system around it.

Notes
-----
A repair group is a set of component instances served by ``crews`` repair
crews in order of failure (FIFO). Its state is the queue of failed members
in the order they failed; the first ``crews`` of them are being repaired, at
their own repair rates, and every working member fails at its own rate.
With n members and c crews there are ``sum_k n!/(n-k)!`` states; the chain is
solved exactly (the GTH elimination, which keeps every small probability's
digits: Grassmann, Taksar & Heyman, Operations Research 33, 1985) up to
:data:`MAX_GROUP_STATES` states (7 members). Where the members share one
repair rate the chain has a product form over the failed sets (see
the balance of each queue's last failure against its repair): P(S) is h(|S|) prod_(i in S) lambda_i / mu up to a
constant, and the diagram is evaluated once with polynomial weights graded
by the number of members down (:mod:`relcalc.rbd.graded`), exact in
polynomial work, for groups of up to :data:`MAX_PRODUCT_FORM` members.

Groups are independent of each other and of the components outside them.
The system's availability is then

    A = sum_s pi(s) A(s),      U = sum_s pi(s) U(s)

over the groups' sets of failed members ``s``, where ``A(s)`` and ``U(s)``
are the exact availability of the diagram with those members failed and the
other group members working (non-negative terms throughout). The failure
frequency adds, to the Birnbaum sum of the independent components (each
averaged over ``s``), the group's own failures that take the system down:
``sum_s pi(s) sum_i lambda_i (A(s) - A(s + i))``.

With one crew for a pair of identical units the chain is the textbook one
(Rausand & Hoyland, *System Reliability Theory*, 2nd ed., 2004, ch. 8;
Trivedi & Bobbio, *Reliability and Availability Engineering*, 2017, ch. 9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .evaluate import ComposeResult

MAX_GROUP_STATES = 20_000  #: larger groups are refused (the count grows as n!)
MAX_DENSE = 1_500  #: up to this many states the chain is solved densely by GTH


@dataclass(frozen=True)
class BoundedComposeResult(ComposeResult):
    """A diagram's figures where a repair group's chain was truncated (:mod:`relcalc.rbd.truncated`).

    ``unavailability`` is the truncated chain's figure, an approximation; the
    true U lies in [``unavailability_low``, ``unavailability_high``], a bound
    from the left-out states' probability, not a confidence interval. The
    failure frequency and the importance figures are the truncated chain's,
    with no bound.
    """

    unavailability_low: float = 0.0
    unavailability_high: float = 1.0
    repair_chain: str = ""


@dataclass(frozen=True)
class RepairGroup:
    """Members (component names: every instance of each) shared by ``crews`` crews, repaired in order of failure."""

    members: tuple[str, ...]
    crews: int = 1
    policy: str = "fifo"
    where: str = "repair"


def group_states(n: int) -> int:
    """How many ordered queues of failed members n members have: sum_k n!/(n-k)!."""
    total, term = 1, 1
    for k in range(1, n + 1):
        term *= n - k + 1
        total += term
        if total > 10 * MAX_GROUP_STATES:
            break
    return total


def group_chain(failure_rates, repair_rates, crews: int, where: str = "repair"):
    """(states, rate matrix as {(i, j): rate}) of a FIFO repair group; state = tuple of failed members in order."""
    n = len(failure_rates)
    count = group_states(n)
    if count > MAX_GROUP_STATES:
        raise InputError(
            f"{where}: {n} components sharing {crews} crew(s) make over {MAX_GROUP_STATES:,} queue states "
            f"(the order of failures matters); give at most {_largest_group()} components per group where the "
            "whole chain is needed"
        )
    states = [()]
    index = {(): 0}
    rates: dict = {}
    head = 0
    while head < len(states):
        state = states[head]
        down = set(state)
        for i in range(n):
            if i not in down:
                _add(rates, index, states, head, state + (i,), failure_rates[i])
        for position in range(min(crews, len(state))):
            member = state[position]
            _add(rates, index, states, head, state[:position] + state[position + 1:], repair_rates[member])
        head += 1
    return states, rates


def _largest_group() -> int:
    n = 1
    while group_states(n + 1) <= MAX_GROUP_STATES:
        n += 1
    return n


def _add(rates, index, states, origin, target, rate):
    j = index.get(target)
    if j is None:
        j = index[target] = len(states)
        states.append(target)
    rates[(origin, j)] = rates.get((origin, j), 0.0) + rate


def stationary(size: int, rates: dict) -> np.ndarray:
    """The stationary distribution of a chain given by its off-diagonal rates."""
    if size <= MAX_DENSE:
        q = np.zeros((size, size))
        for (i, j), r in rates.items():
            q[i, j] += r
        return _gth(q)
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import spsolve

    rows, cols, vals = [], [], []
    for (i, j), r in rates.items():
        rows += [j, i]
        cols += [i, i]
        vals += [r, -r]
    matrix = coo_matrix((vals, (rows, cols)), shape=(size, size)).tolil()
    matrix[0, :] = 1.0  # replace one balance equation by the normalisation
    rhs = np.zeros(size)
    rhs[0] = 1.0
    pi = spsolve(matrix.tocsr(), rhs)
    return np.maximum(pi, 0.0) / np.maximum(pi, 0.0).sum()


def _gth(q: np.ndarray) -> np.ndarray:
    """Grassmann-Taksar-Heyman: states removed one by one with only additions of non-negative terms."""
    a = q.copy()
    np.fill_diagonal(a, 0.0)
    n = a.shape[0]
    for k in range(n - 1, 0, -1):
        out = a[k, :k].sum()
        if out <= 0.0:
            raise InputError("repair: a state of the repair chain cannot be left (a member never repaired?)")
        a[:k, :k] += np.outer(a[:k, k], a[k, :k]) / out
        a[:k, k] /= out  # kept for the back substitution
    pi = np.zeros(n)
    pi[0] = 1.0
    for k in range(1, n):
        pi[k] = pi[:k] @ a[:k, k]
    return pi / pi.sum()


MAX_PRODUCT_FORM = 64  #: members of a group with one repair rate, graded by members down (relcalc.rbd.graded)
MAX_TRUNCATED_MEMBERS = 24  #: members of a group with several repair rates, by the truncated chain


def group_method(group, comps) -> str:
    """How a group's steady state is found: "product" (one repair rate: the product form graded by the number
    down), "chain" (its whole queue chain) or "truncated" (the chain kept to a depth, U bounded)."""
    one_rate = len({c.repair_rate for c in comps}) == 1
    if one_rate and len(comps) <= MAX_PRODUCT_FORM:
        return "product"
    if group_states(len(comps)) <= MAX_GROUP_STATES:
        return "chain"
    if one_rate:
        raise InputError(f"{group.where}: {len(comps)} components share {group.crews} crew(s); give at most "
                         f"{MAX_PRODUCT_FORM} components per group (split it into groups)")
    return "truncated"


def _by_chain(comps, members, group):
    """Failed sets and failure flows of a group from its queue chain (any repair rates)."""
    states, rates = group_chain([c.failure_rate for c in comps], [c.repair_rate for c in comps], group.crews,
                                group.where)
    pi = stationary(len(states), rates)
    by_set: dict[frozenset, float] = {}
    for state, p in zip(states, pi):
        key = frozenset(members[i] for i in state)
        by_set[key] = by_set.get(key, 0.0) + float(p)
    failures = []  # (probability of the queue state, failed set before, set after, rate)
    for (i, j), r in rates.items():
        before, after = frozenset(members[m] for m in states[i]), frozenset(members[m] for m in states[j])
        if len(after) > len(before):
            failures.append((float(pi[i]), before, after, r))
    return by_set, failures


def _by_truncated(comps, members, group):
    """Failed sets and failure flows from the group's chain truncated at a depth, and its bounds (truncated.py)."""
    from . import truncated

    if len(members) > MAX_TRUNCATED_MEMBERS:
        raise InputError(f"{group.where}: {len(members)} components with different repair rates share "
                         f"{group.crews} crew(s); give at most {MAX_TRUNCATED_MEMBERS} per group, or one repair rate "
                         f"(up to {MAX_PRODUCT_FORM})")
    lam = [c.failure_rate for c in comps]
    mu = [c.repair_rate for c in comps]
    depth = truncated.choose_depth(lam, mu, group.crews, group.where)
    chain = truncated.build(lam, mu, group.crews, depth)
    solved = truncated.Solved(chain)
    # each state's failed set, numbered; probabilities and failure flows summed per set (and per pair of sets)
    numbers: dict[frozenset, int] = {}
    set_of = np.fromiter((numbers.setdefault(frozenset(state), len(numbers)) for state in chain.states),
                         dtype=np.int64, count=len(chain.states))
    sets = [frozenset(members[i] for i in key) for key in numbers]
    mass = np.bincount(set_of, weights=solved.pi, minlength=len(sets))
    by_set = dict(zip(sets, mass.tolist()))
    rising = chain.depths[chain.cols] > chain.depths[chain.rows]
    pairs = set_of[chain.rows[rising]] * len(sets) + set_of[chain.cols[rising]]
    keys, where = np.unique(pairs, return_inverse=True)
    flows = np.bincount(where, weights=solved.pi[chain.rows[rising]] * chain.rates[rising])
    # (flow, failed set before, set after, 1.0): failures beyond the depth are left out with the states they reach
    failures = [(float(flow), sets[key // len(sets)], sets[key % len(sets)], 1.0)
                for key, flow in zip(keys.tolist(), flows.tolist())]
    return by_set, failures, solved


def evaluate_with_crews(system, compiled, groups, calendar=None):
    """Availability, unavailability and frequency of a diagram with repair groups (see the notes)."""
    with np.errstate(all="ignore"):  # overflow and underflow are checked and refused (_check_range), not warned
        return _evaluate_with_crews(system, compiled, groups, calendar)


def _evaluate_with_crews(system, compiled, groups, calendar):
    from ..availability import Calendar
    from .evaluate import ComposeResult, Importance, _Units
    from .graded import Graded, weights_h
    from .tails import complementary

    units = _Units.of(compiled)
    by_component: dict[str, list[int]] = {}
    for var, unit in enumerate(compiled.units):
        by_component.setdefault(unit.component, []).append(var)
    chains = []  # groups solved by their queue chain: (members, by_set, failures)
    graded_members: dict[int, tuple[int, float]] = {}  # one repair rate: member -> (axis, lambda / mu)
    rates_of: dict[int, float] = {}
    hs = []
    bounded = None  # the group solved by its truncated chain, if any: (index in chains, members, solver, rates)
    for group, members, comps in _group_members(system, compiled, groups, by_component):
        how = group_method(group, comps)
        if how == "product":
            mu = comps[0].repair_rate
            for v, c in zip(members, comps):
                graded_members[v] = (len(hs), c.failure_rate / mu)
                rates_of[v] = c.failure_rate
            hs.append(weights_h(len(members), group.crews))
        elif how == "chain":
            chains.append((members, *_by_chain(comps, members, group)))
        else:
            if bounded is not None:
                raise InputError(f"{group.where}: a second group with different repair rates beyond "
                                 f"{_largest_group()} members; give the others one repair rate, or fewer members")
            by_set, failures, solved = _by_truncated(comps, members, group)
            bounded = (len(chains), members, solved, [c.failure_rate for c in comps])
            chains.append((members, by_set, failures))
    chain_grouped = {v for members, _, _ in chains for v in members}
    grouped = chain_grouped | set(graded_members)
    combos = 1
    for _, by_set, _ in chains:
        combos *= len(by_set)
    if combos > 100_000:
        raise InputError(f"repair: the groups together have {combos:,} combinations of failed members; use fewer groups")
    grader = Graded(units, graded_members, tuple(len(h) for h in hs) or (1,))
    weight = np.ones(1)
    for h in hs:
        weight = np.multiply.outer(weight, h) if weight.shape != (1,) else h
    weight = weight.reshape(grader.dims)

    def contract(p) -> float:  # sum_k h(k) p_k over every group's axis, non-negative terms
        return math.fsum((np.asarray(p) * weight).ravel().tolist())

    def fixed_of(failed, extra=()):
        fixed = {v: (0 if v in failed else 1) for v in chain_grouped}
        fixed.update(extra)
        return fixed

    first_a, first_u, _ = grader.evaluate(compiled.root, fixed_of(frozenset()))
    norm = contract(first_a + first_u)  # the product form's normalising constant (the same for every case)
    conditional: dict = {}

    def given(failed: frozenset, extra=()):
        key = (failed, extra)
        if key not in conditional:
            a, u, _ = grader.evaluate(compiled.root, fixed_of(failed, extra))
            conditional[key] = (contract(a) / norm, contract(u) / norm, a, u)
        return conditional[key]

    total_a = total_u = 0.0
    grad: dict[int, float] = {}
    combos_list = [(frozenset(), 1.0)]
    for _, by_set, _ in chains:
        combos_list = [(f | s, p * q) for f, p in combos_list for s, q in by_set.items()]
    for failed, p in combos_list:
        a, u, g = grader.evaluate(compiled.root, fixed_of(failed), want_grad=True)
        total_a += p * contract(a) / norm
        total_u += p * contract(u) / norm
        for var, d in g.items():
            grad[var] = grad.get(var, 0.0) + p * contract(d) / norm
    if bounded is not None and bounded[2].chain.eps > 0.0:  # a truncated chain: its bounds first, refused if loose
        low, high, depth = _bounds(bounded, chains, given)
        if not (low > 0 and high <= 2 * low):
            raise InputError(f"repair: {len(bounded[1])} components with different repair rates are solved by their "
                             f"chain up to {depth} down at once, which bounds U only to [{low:.3g}, {high:.3g}]; give "
                             "the group one repair rate (solved exactly) or fewer members")
    _check_range(norm, total_a, total_u, hs)
    avail, unavail = complementary(total_a, total_u)
    frequency = 0.0
    excludes = []
    for var, unit in enumerate(compiled.units):
        if var in grouped:
            continue
        if unit.frequency_per_hour is None:
            if grad.get(var, 0.0) > 0:
                excludes.append(unit.name)
        else:
            frequency += grad.get(var, 0.0) * unit.frequency_per_hour
    for index, (members, by_set, failures) in enumerate(chains):
        others = [(frozenset(), 1.0)]
        for j, (_, other_sets, _) in enumerate(chains):
            if j != index:
                others = [(f | s, p * q) for f, p in others for s, q in other_sets.items()]
        for p_state, before, after, rate in failures:
            for rest, q in others:
                rise = given(after | rest)[1] - given(before | rest)[1]
                if rise > 0:
                    frequency += p_state * q * rate * rise
    member_measures = _member_measures(chain_grouped, combos_list, given) if chain_grouped else {}
    for v in graded_members:  # the product form's members: conditioned on each state by fixing them
        down_p = up_p = down_u = up_u = 0.0
        for failed, p in combos_list:
            _, _, a0, u0 = given(failed, ((v, 0),))
            _, _, a1, u1 = given(failed, ((v, 1),))
            low = grader.down_weight(v)
            down_p += p * contract(grader.mul(low, a0 + u0)) / norm
            down_u += p * contract(grader.mul(low, u0)) / norm
            up_p += p * contract(a1 + u1) / norm
            up_u += p * contract(u1) / norm
            # the member's own failures from every set without it: lambda (U(S + v) - U(S)) (Notes)
            rise = contract(u0) - contract(u1)
            if rise > 0:
                frequency += p * rates_of[v] * rise / norm
        u_down = down_u / down_p if down_p > 0 else math.nan
        u_up = up_u / up_p if up_p > 0 else math.nan
        member_measures[v] = (down_p, u_down - u_up, u_down)
    items = []
    for var, unit in enumerate(compiled.units):
        birnbaum = grad.get(var, math.nan) if var not in grouped else math.nan
        ui = unit.unavailability
        if var in grouped and unavail >= 1e-300:
            ui, birnbaum, u_down = member_measures[var]
            failed_u = u_down  # P(system down | member down), within the group's shared-crew chain
            items.append(Importance(unit.name, float(ui), birnbaum, ui * birnbaum / unavail, ui * failed_u / unavail,
                                    failed_u / unavail, ui * birnbaum))
            continue
        if var in grouped or unavail < 1e-300:
            items.append(Importance(unit.name, float(ui), birnbaum, math.nan, math.nan, math.nan, math.nan))
            continue
        failed_u = unavail + unit.availability * birnbaum
        items.append(Importance(unit.name, float(ui), birnbaum, ui * birnbaum / unavail, ui * failed_u / unavail,
                                failed_u / unavail, ui * birnbaum))
    items.sort(key=lambda m: (-(0.0 if m.improvement_potential != m.improvement_potential else m.improvement_potential),
                              m.name))
    log10 = math.log10(unavail) if unavail > 0 else -math.inf  # refused above where U has lost its digits
    figures = (avail, unavail, log10, frequency if frequency > 0 else None, tuple(items), tuple(excludes),
               calendar or Calendar())
    if bounded is None or bounded[2].chain.eps == 0.0:  # no group truncated, or its chain whole
        return ComposeResult(*figures)
    return BoundedComposeResult(*figures, unavailability_low=low, unavailability_high=high,
                                repair_chain=f"FIFO chain truncated at {depth} members down; U bounded, frequency "
                                             "and importance from the truncated chain")


def _check_range(norm: float, total_a: float, total_u: float, hs) -> None:
    """Refuse figures the graded weights cannot carry in floating point (overflow, or U lost to underflow).

    A product of the weights r_i = lambda_i / mu below the smallest normal
    double is lost; at most sum_k h(k) C(n, k) such products, each under
    2.3e-308, over the normalising sum. U is kept only far above that.
    """
    if not (math.isfinite(norm) and norm > 0 and math.isfinite(total_a) and math.isfinite(total_u)):
        raise InputError("repair: a group's product-form weights overflow (failure rates far above repair rates "
                         "across many members); give the group fewer members")
    lost = 1.0
    for h in hs:
        n = len(h) - 1
        lost *= math.fsum(float(h[k]) * math.comb(n, k) for k in range(n + 1))
    lost *= 2.3e-308 / norm
    if total_u < 1e6 * lost:
        raise InputError(f"repair: the system's unavailability with its repair groups is {total_u:.3g}, under "
                         f"{1e6 * lost:.2g}, where the groups' weights lose digits to floating-point underflow; give "
                         "the groups fewer members, or treat the system as never down")


def _bounds(bounded, chains, given) -> tuple[float, float, int]:
    """(low, high, depth): the system's U bounded over the truncated group's left-out states (truncated.py)."""
    index, members, solved, _ = bounded
    others = [(frozenset(), 1.0)]
    for j, (_, other_sets, _) in enumerate(chains):
        if j != index:
            others = [(f | s, p * q) for f, p in others for s, q in other_sets.items()]
    by_set: dict[frozenset, float] = {}
    g = np.empty(len(solved.chain.states))
    for k, state in enumerate(solved.chain.states):
        key = frozenset(members[i] for i in state)
        value = by_set.get(key)
        if value is None:
            value = by_set[key] = math.fsum(q * given(key | rest)[1] for rest, q in others)
        g[k] = value
    _, low, high = solved.bracket(g, 1.0)
    return low, high, solved.chain.depth


def _member_measures(grouped, combos, given) -> dict:
    """{member: (P(down), U(member down) - U(member up), U(member down))} under the groups' joint distribution.

    A member of a repair group is not independent of the others, so its
    Birnbaum importance is taken conditionally: the system's unavailability
    given the member down less that given it up, each averaged over the
    groups' failed sets with the member in that state (the shared crews'
    dependence kept); with one member per crew it is the ordinary Birnbaum
    importance. Its unavailability is the chain's P(member down), not the
    member's own lambda / (lambda + mu).
    """
    down_p = dict.fromkeys(grouped, 0.0)
    down_u = dict.fromkeys(grouped, 0.0)
    up_u = dict.fromkeys(grouped, 0.0)
    for failed, p in combos:
        u = given(failed)[1]
        for v in grouped:
            if v in failed:
                down_p[v] += p
                down_u[v] += p * u
            else:
                up_u[v] += p * u
    out = {}
    for v in grouped:
        pd = down_p[v]
        pu = sum(p for f, p in combos if v not in f)
        u_down = down_u[v] / pd if pd > 0 else math.nan
        u_up = up_u[v] / pu if pu > 0 else math.nan
        out[v] = (pd, u_down - u_up, u_down)
    return out


def availability_with_crews_at(system, compiled, groups, t: float, down: set):
    """(A(t), U(t), {member: (A(t), U(t))}, probability lost) of a diagram with repair groups, from all up but
    ``down`` at 0 (the probability a truncated chain lost by t: the figures are lower bounds by that much).

    See :func:`relcalc.rbd.repair_at.availability_with_crews_at`.
    """
    from .repair_at import availability_with_crews_at as at

    return at(system, compiled, groups, t, down)


def _group_members(system, compiled, groups, by_component):
    """(group, its variables, their components) for each repair group that holds any; MTBF and MTTR required."""
    for group in groups:
        members = [v for name in group.members for v in by_component.get(name, [])]
        if not members:
            continue
        comps = [system.components[compiled.units[v].component] for v in members]
        for comp in comps:
            if comp.failure_rate is None:
                raise InputError(f"{group.where}: {comp.name!r} has only an availability; shared repair needs MTBF and MTTR")
        yield group, members, comps
