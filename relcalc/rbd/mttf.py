"""Mean time to the first system failure with repair, by the exact chain of the whole diagram.

Notes
-----
Every component instance alternates between up and down (its own crew:
rates lambda and mu), a repair group's members follow their group's queue
chain (:mod:`relcalc.rbd.repair`), and a standby block its own chain
(:mod:`relcalc.rbd.standby`). These parts are independent, so the chain of
the whole diagram is their product; its states where the diagram is down are
made absorbing, and the mean time to absorption from all up solves

    -Q_UU m = 1

(Q_UU: the generator among the up states), the standard first-passage
equations (Rausand & Hoyland, *System Reliability Theory*, 2nd ed., 2004,
section 8.8; Trivedi & Bobbio 2017, ch. 9). For two identical units in
parallel this gives (3 lambda + mu) / (2 lambda^2), and for a cold standby
pair (2 lambda + mu) / lambda^2.

The product has ``prod`` of the parts' state counts; above
:data:`MAX_CHAIN_STATES` the first failure is simulated instead with the
same parts (:mod:`relcalc.rbd.mttf_sim`: own crews, FIFO repair groups,
standby chains), labelled, with a 95% interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..results import Interval

MAX_CHAIN_STATES = 50_000
#: Up states the chain may have: its elimination is dense, O(n^3), about 0.5 s at this size; above, simulated
MAX_UP_STATES = 1_024
RUNS = 2_000  #: simulated first failures where the chain is too large
MAX_EVENTS = 1_000_000  #: component failures and repairs the simulation may draw in all


@dataclass(frozen=True)
class MttfWithRepair:
    """``mttf_hours`` is an :class:`~relcalc.results.Interval`: exact (no bounds) from the chain, else simulated."""

    mttf_hours: Interval
    chain_states: int  #: 0 where simulated
    method: str = "exact Markov chain of the whole diagram, down states absorbing"
    runs: int = 0
    seed: int | None = None
    note: str | None = None  #: what the model left out (a lognormal or Weibull law given, taken as exponential)


def mttf_with_repair(system, seed: int = 0) -> MttfWithRepair:
    """Mean time to the first system failure from all up, with repair (see the notes); exponential laws throughout."""
    from dataclasses import replace

    found = _mttf_with_repair(system, seed)
    shaped = sorted(c.name for c in system.components.values()
                    if c.lognormal_sigma is not None or c.weibull_shape != 1.0)
    if shaped:  # the chain and the simulation both run on rates: say where a law was given and not followed
        found = replace(found, note=f"{', '.join(shaped[:3])}{' ...' if len(shaped) > 3 else ''}: lognormal or "
                                    "Weibull lives taken as exponential of the same mean")
    return found


def _mttf_with_repair(system, seed: int) -> MttfWithRepair:
    from ..gcpause import collector_paused
    from .evaluate import _evaluate, _identical_members, _Units, compile_system

    identical = _identical_members(system, smallest=2)
    if identical is not None:  # a k-of-n of one component's instances: the count down is a birth-death chain
        return _identical_mttf(*identical)
    if len(system.repair) == 1:  # the same on one group of crews: interchangeable members, repairs at min(j, c) mu
        from dataclasses import replace

        group = system.repair[0]
        alone = _identical_members(replace(system, repair=()), smallest=2)
        if alone is not None and tuple(group.members) == (alone[0].name,):
            return _identical_mttf(*alone, crews=group.crews)
    compiled = compile_system(system)
    if not system.repair and compiled.root.kind in ("and", "var") and all(
            child.kind == "var" for child in getattr(compiled.root, "children", ())) and not _standby_blocks(system.root):
        # every instance in series, each with its own crew: from all up the first failure of any is the system's,
        # the least of independent exponentials, so MTTF = 1 / sum of the failure rates (no chain, any size)
        rates = [system.components[unit.component].failure_rate for unit in compiled.units]
        if None in rates:
            raise InputError("--mttf-with-repair: a component has only an availability; the chain needs MTBF and MTTR")
        return MttfWithRepair(Interval.exact(1.0 / math.fsum(rates)), 1, method="series: 1 / sum of the failure rates")
    from .repair import group_chain
    from .standby import standby_rates

    units = _Units.of(compiled)
    parts = []  # (size, {(i, j): rate}, function local state -> {var: 0/1})
    grouped = set()
    by_component: dict[str, list[int]] = {}
    for var, unit in enumerate(compiled.units):
        by_component.setdefault(unit.component, []).append(var)
    for group in system.repair:
        members = [v for name in group.members for v in by_component.get(name, [])]
        comps = [system.components[compiled.units[v].component] for v in members]
        if _queue_states(len(members)) > MAX_CHAIN_STATES:  # the group alone is too large: simulated
            return _simulated(system, compiled, units, seed)
        try:
            states, rates = group_chain([c.failure_rate for c in comps], [c.repair_rate for c in comps],
                                        group.crews, group.where)
        except InputError:  # above repair's own limit on a group's chain: simulated, as any large chain
            return _simulated(system, compiled, units, seed)
        parts.append((len(states), rates, lambda s, states=states, members=members: {
            v: (0 if i in states[s] else 1) for i, v in enumerate(members)}))
        grouped.update(members)
    standby_blocks = _standby_blocks(system.root)
    for var, unit in enumerate(compiled.units):
        if var in grouped:
            continue
        comp = system.components[unit.component]
        if comp.failure_rate is None:
            raise InputError(f"--mttf-with-repair: {comp.name!r} has only an availability; the chain needs MTBF and MTTR")
        block = standby_blocks.get(unit.name)
        if block is not None:
            q = standby_rates(comp.count, block.active, comp.failure_rate, comp.repair_rate, block.dormant_factor,
                              block.switch, block.crews)
            rates = {(i, j): float(q[i, j]) for i, j in zip(*np.nonzero(q))}
            last_up = comp.count - block.active
            parts.append((comp.count + 1, rates, lambda s, v=var, last_up=last_up: {v: int(s <= last_up)}))
        else:
            rates = {(0, 1): comp.failure_rate, (1, 0): comp.repair_rate}
            parts.append((2, rates, lambda s, v=var: {v: 1 - s}))
    total = 1
    for size, _, _ in parts:
        total *= size
        if total > MAX_CHAIN_STATES:
            return _simulated(system, compiled, units, seed)
    sizes = [size for size, _, _ in parts]
    strides = np.cumprod([1] + sizes[:-1]).tolist()
    with collector_paused():
        up = np.zeros(total, dtype=bool)
        for index in range(total):
            fixed = {}
            rest = index
            for (size, _, values) in parts:
                fixed.update(values(rest % size))
                rest //= size
            up[index] = _evaluate(compiled.root, units, fixed, False)[0] >= 0.5
    if not up[0]:
        return MttfWithRepair(Interval.exact(0.0), total)
    position = -np.ones(total, dtype=np.int64)
    position[up] = np.arange(int(up.sum()))
    n_up = int(up.sum())
    if n_up > MAX_UP_STATES:  # the accurate elimination is dense, O(n^3): larger chains are simulated
        return _simulated(system, compiled, units, seed)
    rates_up = np.zeros((n_up, n_up))  # rates between up states
    exits = np.zeros(n_up)  # rates from each up state into the down (absorbing) ones
    for part, (size, rates, _) in enumerate(parts):
        stride = strides[part]
        local = (np.arange(total) // stride) % size
        for (i, j), rate in rates.items():
            origins = np.flatnonzero(up & (local == i))
            targets = origins + (j - i) * stride
            stay = up[targets]
            np.add.at(rates_up, (position[origins[stay]], position[targets[stay]]), rate)
            np.add.at(exits, position[origins[~stay]], rate)
    times = absorption_times(rates_up, exits)
    return MttfWithRepair(Interval.exact(float(np.atleast_1d(times)[0])), total)


def _simulated(system, compiled, units, seed: int) -> MttfWithRepair:
    """Mean of simulated first failure times from all up, with a 95% interval (relcalc.rbd.mttf_sim).

    The same model as the chain: own crews, FIFO repair groups with their
    crews, standby blocks by their chains; exponential laws throughout.
    """
    from .mttf_sim import simulate_first_failures

    mean, low, high = simulate_first_failures(system, compiled, units, _standby_blocks(system.root), seed, RUNS,
                                              MAX_EVENTS)
    return MttfWithRepair(Interval(mean, low, high, "normal"), 0,
                          f"simulation of {RUNS:,} first failures from all up (exponential laws; own crews, FIFO "
                          "repair groups and standby chains as in the exact chain), 95% interval", RUNS, seed)


def _queue_states(n: int) -> int:
    """States of a FIFO group of n members, sum_k n!/(n-k)! (ordered queues), counted up to past the limit."""
    total, term = 1, 1
    for k in range(1, n + 1):
        term *= n - k + 1
        total += term
        if total > MAX_CHAIN_STATES:
            break
    return total


def _standby_blocks(block) -> dict:
    from .model import Standby

    if isinstance(block, Standby):
        return {block.label: block}
    found = {}
    for child in getattr(block, "children", ()):
        found.update(_standby_blocks(child))
    return found


def _identical_mttf(comp, k: int, crews: int | None = None) -> MttfWithRepair:
    """MTTF with repair of k-of-n identical members, by the birth-death chain of how many are down.

    With ``j`` down the next failure comes at ``(n - j) lambda`` and a repair
    at ``r_j = j mu`` (own crews) or ``min(j, c) mu`` (``crews`` c shared: the
    members are interchangeable, so FIFO order does not matter); the block
    fails on reaching ``m = n - k + 1`` down. The mean time to step up from
    ``j`` is ``tau_j = (1 + r_j tau_{j-1}) / ((n - j) lambda)`` (first-step
    analysis; Karlin & Taylor, *A First Course in Stochastic Processes*, 1975,
    4.7), and the MTTF is ``sum_{j<m} tau_j``: sums and products of positive
    terms, n states instead of 2^n.
    """
    if comp.failure_rate is None:
        raise InputError(f"--mttf-with-repair: {comp.name!r} has only an availability; the chain needs MTBF and MTTR")
    n, lam, mu = comp.count, comp.failure_rate, comp.repair_rate
    m = n - k + 1
    tau = total = 0.0
    for j in range(m):
        tau = (1.0 + (j if crews is None else min(j, crews)) * mu * tau) / ((n - j) * lam)
        total += tau
        if not np.isfinite(total):
            raise InputError(f"--mttf-with-repair: the mean time to failure of {k}-of-{n} {comp.name!r} is beyond "
                             "1e308 hours (it does not fail in any meaningful time)")
    return MttfWithRepair(Interval(total), m + 1,
                          method="exact birth-death chain of how many identical members are down, failure absorbing")


def absorption_times(rates: np.ndarray, exits: np.ndarray) -> np.ndarray:
    """Mean times to absorption from each transient state, by elimination without subtraction (GTH).

    ``rates[i, j]`` (i != j) are the rates between transient states, ``exits[i]``
    the rate from i into the absorbing ones. The equations ``d_i m_i - sum_j
    rates[i, j] m_j = 1`` with ``d_i = sum_j rates[i, j] + exits[i]`` are
    eliminated state by state; as in the Grassmann-Taqqu-Heyman algorithm
    each pivot is formed as the sum of what leaves the state, never as a
    difference, so every quantity is a sum of non-negative terms and keeps
    its relative accuracy. A plain LU of ``-Q`` loses it when the MTTF is
    large against the repair times (its condition grows with their ratio):
    for 2-of-12 identical units at MTBF 1000 h and MTTR 10 h it gave 8.2e16 h
    against the exact 8.55e20 h (W. K. Grassmann, M. I. Taksar, D. P.
    Heyman, Operations Research 33 (1985) 1107-1116; C. A. O'Cinneide,
    Numerische Mathematik 65 (1993) 109-120, for the entrywise accuracy).
    """
    a = np.array(rates, dtype=float)
    np.fill_diagonal(a, 0.0)
    e = np.array(exits, dtype=float)
    b = np.ones(len(e))
    n = len(e)
    pivots = np.empty(n)
    for k in range(n):
        pivot = a[k, k + 1:].sum() + e[k]  # what leaves k for states not yet eliminated, or for absorption
        if pivot <= 0.0:
            raise InputError("--mttf-with-repair: the diagram has up states it can never leave towards a failure; "
                             "it cannot fail")
        pivots[k] = pivot
        if k + 1 < n:
            into = a[k + 1:, k] / pivot  # each later state's rate into k, over k's exit
            a[k + 1:, k + 1:] += np.outer(into, a[k, k + 1:])
            e[k + 1:] += into * e[k]
            b[k + 1:] += into * b[k]
    m = np.empty(n)
    for k in range(n - 1, -1, -1):
        m[k] = (b[k] + a[k, k + 1:] @ m[k + 1:]) / pivots[k]
    return m
