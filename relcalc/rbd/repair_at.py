"""Point availability A(t) of a diagram with repair groups: each group's queue chain from its start to t.

Notes
-----
A group of up to 7 members follows its whole queue chain
(:func:`relcalc.rbd.repair.group_chain`), taken to t by the matrix
exponential; a larger group follows its chain truncated at a depth
(:mod:`relcalc.rbd.truncated`) with the failures beyond the depth leaving
it, so each state's probability is a lower bound, short by at most the mass
lost. The diagram is evaluated on each combination of the groups' failed
sets, with the independent components at their own A(t).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from . import repair  # its limits read at call time (tests lower them)
from .repair import _group_members, group_chain, group_states


def _chain_at(lam, mu, group, t: float, first: tuple):
    """(states, P(state at t)) of a group's whole queue chain from the queue ``first`` at 0."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import expm_multiply

    states, rates = group_chain(lam, mu, group.crews, group.where)
    size = len(states)
    rows = [i for i, _ in rates] + list(range(size))
    cols = [j for _, j in rates] + list(range(size))
    out = np.zeros(size)
    for (i, _), r in rates.items():
        out[i] += r
    generator = csr_matrix((list(rates.values()) + list(-out), (rows, cols)), shape=(size, size))
    start = np.zeros(size)
    start[states.index(first)] = 1.0
    if t <= 0:
        p = start
    elif size <= repair.MAX_DENSE:  # squared up from a short step, stopping once settled: any t, bounded time
        from .window import _Chain

        p = _Chain(generator.toarray(), start, repair.stationary(size, rates), group.where).at(t)
    elif t * float(out.max()) > 1e5:  # expm_multiply's steps grow with the rates times t
        raise InputError(f"--at: {group.where} has {size:,} queue states; t = {t:g} h is too far ahead to "
                         "follow (over 100,000 times its fastest rate); the steady state is the plain figure")
    else:
        p = np.clip(expm_multiply(generator.T * t, start), 0.0, None)
    if not np.all(np.isfinite(p)) or p.sum() <= 0:  # the exponential overflowed (t beyond any horizon)
        raise InputError(f"--at: t = {t:g} h is too far ahead to follow the chain of {group.where}; "
                         "the steady state is the plain figure (without --at)")
    return states, p / p.sum()


def _truncated_at(lam, mu, group, t: float, first: tuple):
    """(states, P(state at t and never beyond the depth), probability lost beyond it) of a large group's chain.

    The chain truncated as in the steady state (:mod:`relcalc.rbd.truncated`),
    with the failures beyond the depth leaving it: each state's probability
    is then a lower bound, short of the truth by at most the mass lost.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import expm_multiply

    from . import truncated

    if len(lam) > repair.MAX_TRUNCATED_MEMBERS:
        raise InputError(f"--at: {group.where} has {len(lam)} components; the chain over time is offered for up to "
                         f"{repair.MAX_TRUNCATED_MEMBERS} per group")
    depth = max(truncated.choose_depth(lam, mu, group.crews, group.where), len(first))
    chain = truncated.build(lam, mu, group.crews, depth)
    size = len(chain.states)
    out = np.bincount(chain.rows, weights=chain.rates, minlength=size)
    leaving = np.zeros(size)  # failures beyond the depth
    for k in np.flatnonzero(chain.depths == depth).tolist():
        leaving[k] = math.fsum(lam[i] for i in range(len(lam)) if i not in chain.states[k])
    generator = csr_matrix((np.concatenate([chain.rates, -(out + leaving)]),
                            (np.concatenate([chain.rows, np.arange(size)]),
                             np.concatenate([chain.cols, np.arange(size)]))), shape=(size, size))
    start = np.zeros(size)
    start[chain.states.index(truncated.canonical(first, group.crews))] = 1.0
    if t <= 0:
        return chain.states, start, 0.0
    if t * float((out + leaving).max()) > 1e5:  # expm_multiply's steps grow with the rates times t
        raise InputError(f"--at: {group.where}'s chain has {size:,} states; t = {t:g} h is too far ahead to "
                         "follow (over 100,000 times its fastest rate); the steady state is the plain figure")
    p = np.clip(expm_multiply(generator.T * t, start), 0.0, None)
    if not np.all(np.isfinite(p)):
        raise InputError(f"--at: t = {t:g} h is too far ahead to follow {group.where}'s repair chain")
    return chain.states, p, max(0.0, 1.0 - math.fsum(p.tolist()))


def availability_with_crews_at(system, compiled, groups, t: float, down: set):
    """(A(t), U(t), {member: (A(t), U(t))}) of a diagram with repair groups, from all up but ``down`` at 0.

    ``compiled`` carries the independent components' values at t. Each
    group's queue chain is taken from its start (the members down at 0,
    queued in the order of the instances) to t by the action of the matrix
    exponential on that state (scipy ``expm_multiply``); the diagram is then
    evaluated on each combination of failed sets as in the steady state.
    A group beyond its whole chain (8 members or more) follows its chain
    truncated at a depth (:func:`_truncated_at`); where the probability it
    loses by t is over 1e-4 of U(t) (or of A(t)), the figures would
    not hold their digits and the time is refused.
    """
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
    lost = 0.0  # probability the truncated chains have lost by t (their figures are lower bounds by that much)
    for group, members, comps in _group_members(system, compiled, groups, by_component):
        lam, mu = [c.failure_rate for c in comps], [c.repair_rate for c in comps]
        first = tuple(i for i, v in enumerate(members) if v in start_down)
        if group_states(len(members)) <= repair.MAX_GROUP_STATES:
            states, p = _chain_at(lam, mu, group, t, first)
        else:
            states, p, gone = _truncated_at(lam, mu, group, t, first)
            lost += gone
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
    if lost > 1e-4 * min(total_a, total_u):
        raise InputError(f"--at: a repair group's chain, truncated to keep it finite, loses {lost:.2g} of its "
                         f"probability by t = {t:g} h, over 1e-4 of U(t) ("
                         + (f"which is at least {total_u:.3g}" if total_u > 0 else
                            "the kept states never take the system down") + "), so its "
                         "figures would not hold their digits; groups of 8 or more members are followed by that "
                         "truncated chain: split the group into groups of at most 7")
    return (*complementary(total_a, total_u), members_at, lost)
