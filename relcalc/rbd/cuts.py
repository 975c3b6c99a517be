"""Minimal cut sets of a diagram up to an order, single points of failure, and Fussell-Vesely by cut sets.

Notes
-----
A cut set is a set of component instances whose failure (all others up)
fails the system; it is minimal if no smaller part of it does. They are
built from the bottom of the diagram up, kept to at most ``order`` members
(every minimal cut of a block up to that order is made of minimal cuts of its
children up to that order, so nothing is lost by cutting early):

    series:    the union of the children's cut sets
    parallel:  one cut set of each child, joined
    k-of-n:    one cut set from each of n - k + 1 children, joined

and after each step the sets containing another are dropped. A network's
cut sets come from its decision diagram (Rauzy 1993). A standby block is one
unit here.

With independent components, a cut set ``C`` is down with probability
``P(C) = prod_{i in C} u_i``; its share of the system unavailability is
``P(C) / U`` (shares add up to more than 1 where cut sets overlap). The
cut-set form of Fussell-Vesely is ``P(some minimal cut set containing i is
down) / U``; it is given here by the rare-event sum over the listed cut sets
containing ``i``, ``sum P(C) / U``, which is close where the cut sets are
unlikely and leaves out cut sets above the order.

Members of a repair group are not independent: the probability that a cut
set's members in one group are all down is that group's own, from its exact
queue chain (the sum of the stationary probabilities of the failed sets that
hold them), or, where the members share one repair rate, from the product
form ``P(S) = h(|S|) prod_{i in S} r_i / Z`` (``r_i = lambda_i / mu``): the
sets holding ``T`` weigh ``prod_{i in T} r_i sum_j h(|T| + j) e_j`` with
``e_j`` the elementary symmetric sums of the other members' ``r``, all
non-negative terms. Groups are independent of each other and of the rest.
A group of several repair rates beyond the whole chain's size uses the chain
truncated where the probability left out is below 1e-12 (as the diagram's U
does); a figure that overflows is left out (None).

References: Rausand & Hoyland, *System Reliability Theory* (2nd ed., 2004),
ch. 4.3 (minimal cut sets) and 10.5 (Fussell-Vesely's measure); Vesely et
al., *Fault Tree Handbook* (NUREG-0492, 1981), ch. XI.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ..errors import InputError
from .model import System

MAX_ORDER = 6  #: larger orders are refused: the number of sets grows as n^order
MAX_SETS = 200_000  #: cut sets one block may hold before the work is refused


@dataclass(frozen=True)
class CutSet:
    components: tuple[str, ...]  #: instance names, sorted
    order: int  #: 0 for the empty set: the system is down even with every component up
    probability: float | None  #: P(every member down); None where it overflowed
    probability_log10: float | None
    share_of_unavailability: float | None  #: P(C) / U; None where U is below 1e-300


@dataclass(frozen=True)
class CutSetImportance:
    name: str
    fussell_vesely_cut_sets: float | None  #: sum of P(C) / U over the listed cut sets containing it


@dataclass(frozen=True)
class CutSetResult:
    """Minimal cut sets up to ``max_order``: single points of failure first, then by probability."""

    max_order: int
    cut_sets: tuple[CutSet, ...]
    single_points_of_failure: tuple[str, ...]
    importance: tuple[CutSetImportance, ...]
    method: str = "minimal cut sets up to the order; Fussell-Vesely by the rare-event sum over them"


def cut_sets(system: System, max_order: int = 3, *, unavailability: float | None = None) -> CutSetResult:
    """The minimal cut sets of ``system`` with at most ``max_order`` members."""
    from .evaluate import compile_system, evaluate

    if not isinstance(max_order, int) or not 1 <= max_order <= MAX_ORDER:
        raise InputError(f"--cut-sets: the order must be a whole number from 1 to {MAX_ORDER}, got {max_order!r}")
    compiled = compile_system(system)
    if unavailability is None:
        unavailability = evaluate(system, importance=False).unavailability
    found = _cuts(compiled.root, max_order)
    units = compiled.units
    joint = _GroupJoints(system, compiled) if system.repair else None
    items = []
    for members in found:
        names = tuple(sorted(units[v].name for v in members))
        alone = [v for v in members if joint is None or v not in joint.group_of]
        logs = [math.log10(units[v].unavailability) if units[v].unavailability > 0 else -math.inf for v in alone]
        probability = math.prod(units[v].unavailability for v in alone)
        if joint is not None:
            shared = joint.probability([v for v in members if v in joint.group_of])
            probability = None if shared is None else probability * shared
            logs.append(math.log10(shared) if shared else -math.inf)
        log10 = None if probability is None else math.fsum(logs)
        share = probability / unavailability if probability is not None and unavailability >= 1e-300 else None
        items.append(CutSet(names, len(names), probability, log10, share))
    items.sort(key=lambda c: (c.order > 1, -(c.probability_log10 if c.probability_log10 is not None else -math.inf),
                              c.components))
    spof = tuple(c.components[0] for c in items if c.order == 1)
    totals: dict[str, float] = {}
    for c in items:
        for name in c.components:
            totals[name] = totals.get(name, 0.0) + (c.probability or 0.0)
    importance = tuple(
        CutSetImportance(unit.name, totals.get(unit.name, 0.0) / unavailability if unavailability >= 1e-300 else None)
        for unit in units
    )
    return CutSetResult(max_order, tuple(items), spof, importance)


class _GroupJoints:
    """P(these members of repair groups are all down), group by group (see the notes)."""

    def __init__(self, system: System, compiled):
        from .graded import weights_h
        from .repair import _by_chain, _by_truncated, _group_members, group_method

        by_component: dict[str, list[int]] = {}
        for var, unit in enumerate(compiled.units):
            by_component.setdefault(unit.component, []).append(var)
        self.group_of: dict[int, int] = {}
        self.groups: list = []  # ("sets", by_set) | ("product", r by member, h) | ("unknown",)
        for group, members, comps in _group_members(system, compiled, system.repair, by_component):
            for v in members:
                self.group_of[v] = len(self.groups)
            how = group_method(group, comps)  # as the diagram's U was found
            if how == "product":
                ratios = {v: c.failure_rate / c.repair_rate for v, c in zip(members, comps)}
                self.groups.append(("product", ratios, weights_h(len(members), group.crews)))
            elif how == "chain":
                self.groups.append(("sets", _by_chain(comps, members, group)[0]))
            else:  # the chain kept to the depth whose left-out probability is below 1e-12 (relcalc.rbd.truncated)
                self.groups.append(("sets", _by_truncated(comps, members, group)[0]))

    def probability(self, members: list[int]) -> float | None:
        total = 1.0
        for index, found in enumerate(self.groups):
            held = frozenset(v for v in members if self.group_of[v] == index)
            if not held:
                continue
            if found[0] == "sets":
                total *= math.fsum(p for failed, p in found[1].items() if held <= failed)
                continue
            _, ratios, h = found
            rest = [r for v, r in ratios.items() if v not in held]
            every = _elementary(list(ratios.values()))
            others = _elementary(rest)
            k = len(held)
            within = math.fsum(h[k + j] * e for j, e in enumerate(others))
            norm = math.fsum(h[j] * e for j, e in enumerate(every))
            total *= math.prod(ratios[v] for v in held) * within / norm
        return total if math.isfinite(total) else None


def _elementary(values: list[float]) -> list[float]:
    """e_0..e_n of ``values``: sums of products of j distinct ones (non-negative, added only)."""
    e = [1.0] + [0.0] * len(values)
    for count, x in enumerate(values, start=1):
        for j in range(count, 0, -1):
            e[j] += e[j - 1] * x
    return e


def _cuts(node, order: int) -> list[frozenset]:
    """Minimal cut sets of a compiled node, as frozensets of variables, up to ``order`` members."""
    if node.kind == "var":
        return [frozenset((node.var,))]
    if node.kind == "net":
        from .bdd import minimal_cut_sets
        from .plans import plan_of

        plan = plan_of(node)
        template = plan.template
        local = minimal_cut_sets(template.diagram, template.root, order)
        return [frozenset(plan.variables[v] for v in c) for c in local]
    children = [_cuts(child, order) for child in node.children]
    if node.kind == "and":
        merged = [c for part in children for c in part]
    elif node.kind == "or":
        merged = _joined(children, order, node.label)
    else:  # k-of-n: down when n - k + 1 children are down
        needed = len(children) - node.k + 1
        if needed > order and not node.shared:  # distinct children: each failed one adds a member
            return []
        combos = math.comb(len(children), needed)
        if combos > MAX_SETS:
            raise InputError(
                f"--cut-sets: {node.label}: {combos:,} ways to fail {needed} of {len(children)} members; "
                f"give a smaller order (below {needed}) or fewer members"
            )
        merged = []
        for group in itertools.combinations(children, needed):
            merged.extend(_joined(list(group), order, node.label))
    return _minimal(merged)


def _joined(parts: list[list[frozenset]], order: int, label: str) -> list[frozenset]:
    """One cut set from each part, joined, up to ``order`` members."""
    current = [frozenset()]
    for part in parts:
        nxt = set()
        for a in current:
            for b in part:
                c = a | b
                if len(c) <= order:
                    nxt.add(c)
        if len(nxt) > MAX_SETS:
            raise InputError(f"--cut-sets: {label}: over {MAX_SETS:,} cut sets up to order {order}; give a smaller order")
        current = _minimal(list(nxt))
        if not current:
            return []
    return current


def _minimal(sets: list[frozenset]) -> list[frozenset]:
    """Drop every set that contains another (smallest first, so each is checked against the kept)."""
    kept: set[frozenset] = set()
    out: list[frozenset] = []
    for s in sorted(set(sets), key=len):
        # at most 2^order proper subsets to look up, however many sets are kept
        members = tuple(s)
        if not any(frozenset(sub) in kept for r in range(1, len(members)) for sub in itertools.combinations(members, r)):
            kept.add(s)
            out.append(s)
    return out
