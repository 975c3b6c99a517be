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
:func:`_product_form`): P(S) is h(|S|) prod_(i in S) lambda_i / mu up to a
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

MAX_GROUP_STATES = 20_000  #: larger groups are refused (the count grows as n!)
MAX_DENSE = 1_500  #: up to this many states the chain is solved densely by GTH


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
            f"(the order of failures matters); give at most {_largest_group()} components per group "
            f"({MAX_PRODUCT_FORM} where they share one repair rate)"
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


def _product_form(failure_rates, mu: float, crews: int, members):
    """Failed sets and failure flows of a group whose members share one repair rate, in closed form.

    With one repair rate the FIFO queue chain has the product form
    ``pi(c_1..c_k) = pi_0 prod_j lambda_(c_j) / (mu min(j, c))`` (flow into
    each queue by the last failure balances the repairs out of it, and the
    repairs in balance the failures out), the same for every order of the
    same failed set: ``pi(S) = pi_0 |S|! prod_(i in S) lambda_i / prod_(j <= |S|)
    mu min(j, c)`` - the machine-repair model with distinct machines (Trivedi
    & Bobbio 2017, ch. 9). So only the 2^n sets are needed, each a product of
    non-negative terms, where the ordered chain has n!-many states.
    """
    import itertools

    n = len(failure_rates)
    weights = {}
    for k in range(n + 1):
        scale = math.factorial(k) / math.prod(mu * min(j, crews) for j in range(1, k + 1))
        for chosen in itertools.combinations(range(n), k):
            weights[chosen] = scale * math.prod(failure_rates[i] for i in chosen)
    total = math.fsum(weights.values())
    by_set = {frozenset(members[i] for i in chosen): w / total for chosen, w in weights.items()}
    failures = []
    for chosen, w in weights.items():
        before = frozenset(members[i] for i in chosen)
        for i in set(range(n)) - set(chosen):
            failures.append((w / total, before, before | {members[i]}, failure_rates[i]))
    return by_set, failures


def evaluate_with_crews(system, compiled, groups, calendar=None):
    """Availability, unavailability and frequency of a diagram with repair groups (see the notes)."""
    from ..availability import Calendar
    from .evaluate import ComposeResult, Importance, _Units
    from .graded import Graded, weights_h
    from .tails import TINY, complementary

    units = _Units.of(compiled)
    by_component: dict[str, list[int]] = {}
    for var, unit in enumerate(compiled.units):
        by_component.setdefault(unit.component, []).append(var)
    chains = []  # groups solved by their queue chain: (members, by_set, failures)
    graded_members: dict[int, tuple[int, float]] = {}  # one repair rate: member -> (axis, lambda / mu)
    rates_of: dict[int, float] = {}
    hs = []
    for group, members, comps in _group_members(system, compiled, groups, by_component):
        repair_rates = {c.repair_rate for c in comps}
        one_rate = len(repair_rates) == 1
        if one_rate and len(members) > MAX_PRODUCT_FORM and group_states(len(members)) > MAX_GROUP_STATES:
            raise InputError(f"{group.where}: {len(members)} components share {group.crews} crew(s); give at most "
                             f"{MAX_PRODUCT_FORM} components per group (split it into groups)")
        if one_rate and len(members) <= MAX_PRODUCT_FORM:
            mu = repair_rates.pop()
            for v, c in zip(members, comps):
                graded_members[v] = (len(hs), c.failure_rate / mu)
                rates_of[v] = c.failure_rate
            hs.append(weights_h(len(members), group.crews))
        else:
            chains.append((members, *_by_chain(comps, members, group)))
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
    log10 = math.log10(unavail) if unavail >= TINY else -math.inf
    return ComposeResult(avail, unavail, log10, frequency if frequency > 0 else None, tuple(items), tuple(excludes),
                         calendar or Calendar())


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
    """(A(t), U(t), {member: (A(t), U(t))}) of a diagram with repair groups, from all up but ``down`` at 0.

    ``compiled`` carries the independent components' values at t. Each
    group's queue chain is taken from its start (the members down at 0,
    queued in the order of the instances) to t by the action of the matrix
    exponential on that state (scipy ``expm_multiply``); the diagram is then
    evaluated on each combination of failed sets as in the steady state.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import expm_multiply

    from .evaluate import _evaluate, _Units
    from .tails import complementary

    units = _Units.of(compiled)
    by_component: dict[str, list[int]] = {}
    for var, unit in enumerate(compiled.units):
        by_component.setdefault(unit.component, []).append(var)
    start_down = {v for name, index in down for i, v in enumerate(by_component.get(name, []))
                  if index is None or index == i + 1}
    sets = []
    grouped = set()
    members_at: dict[int, tuple[float, float]] = {}
    for group, members, comps in _group_members(system, compiled, groups, by_component):
        states, rates = group_chain([c.failure_rate for c in comps], [c.repair_rate for c in comps], group.crews,
                                    group.where)
        size = len(states)
        rows = [i for i, _ in rates] + list(range(size))
        cols = [j for _, j in rates] + list(range(size))
        out = np.zeros(size)
        for (i, _), r in rates.items():
            out[i] += r
        generator = csr_matrix((list(rates.values()) + list(-out), (rows, cols)), shape=(size, size))
        start = np.zeros(size)
        start[states.index(tuple(i for i, v in enumerate(members) if v in start_down))] = 1.0
        if t <= 0:
            p = start
        elif size <= MAX_DENSE:  # scaling and squaring: bounded time however far ahead t is
            from scipy.linalg import expm

            p = np.clip(start @ expm(generator.toarray() * t), 0.0, None)
        elif t * float(out.max()) > 1e5:  # expm_multiply's steps grow with the rates times t
            raise InputError(f"--at: {group.where} has {size:,} queue states; t = {t:g} h is too far ahead to "
                             "follow (over 100,000 times its fastest rate); the steady state is the plain figure")
        else:
            p = np.clip(expm_multiply(generator.T * t, start), 0.0, None)
        if not np.all(np.isfinite(p)) or p.sum() <= 0:  # the exponential overflowed (t beyond any horizon)
            raise InputError(f"--at: t = {t:g} h is too far ahead to follow {group.where}'s repair chain; "
                             "the steady state is the plain figure (without --at)")
        p = p / p.sum()
        by_set: dict[frozenset, float] = {}
        for state, prob in zip(states, p):
            key = frozenset(members[i] for i in state)
            by_set[key] = by_set.get(key, 0.0) + float(prob)
        sets.append(by_set)
        grouped.update(members)
        for v in members:  # each member's own (A(t), U(t)) in the group, both summed directly
            members_at[v] = (sum(q for f, q in by_set.items() if v not in f), sum(q for f, q in by_set.items() if v in f))
    combos = [(frozenset(), 1.0)]
    for by_set in sets:
        combos = [(f | s, p * q) for f, p in combos for s, q in by_set.items()]
        if len(combos) > 100_000:
            raise InputError("repair: the groups together have over 100,000 combinations of failed members; "
                             "use fewer groups")
    total_a = total_u = 0.0
    for failed, p in combos:
        a, u, _, _ = _evaluate(compiled.root, units, {v: (0 if v in failed else 1) for v in grouped}, False)
        total_a += p * a
        total_u += p * u
    return (*complementary(total_a, total_u), members_at)


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
