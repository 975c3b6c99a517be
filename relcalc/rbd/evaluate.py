"""Exact evaluation of a block diagram: availability, failure frequency, importance.

Notes
-----
The diagram is compiled to a tree over variables, one per component instance.
Children that share no variable are independent and combine in closed form:

    series:    A = prod(a_i),             U = -expm1(sum(log1p(-u_i)))
    parallel:  U = prod(u_i)
    k-of-n:    U = P(more than n - k children down), a Poisson-binomial tail

Where children share variables (a name used in two places), the block is
expanded exactly on the shared variables (Shannon decomposition):
``P = sum_s P(s) P(block | s)``. Unavailability is carried beside
availability at every node, as a sum of non-negative terms, so it keeps its
digits at twelve nines; at every node the smaller of A and U is the one
computed and the larger its complement, so A + U = 1 within 1e-16.

Below 1e-280 a float U loses digits and then underflows, so each node also
carries log U: the sum of its members' logs in parallel, their log-sum-exp in
series (where every member's U is that small, U is their sum to double
precision), the log-sum-exp of the weighted cases of a Shannon expansion, and
for k-of-n blocks the tail on a tilted scale (:mod:`relcalc.rbd.tails`). An
unavailability below 1e-300 is reported through its logarithm (see
:class:`ComposeResult`).

Birnbaum importance ``I_B(i) = dA/da_i`` comes from the same pass (each node
returns the derivatives of its availability with respect to the instances
below it). From it, with ``u_i`` the instance's and ``U`` the system's
unavailability (the system is multilinear in each ``a_i``):

    U(i perfect) = U - u_i I_B         U(i failed) = U + a_i I_B
    criticality  = u_i I_B / U         risk achievement worth = U(i failed) / U
    improvement potential = U - U(i perfect) = u_i I_B
    Fussell-Vesely (conditional form) = P(i down | system down) = u_i U(i failed) / U

The cut-set form of Fussell-Vesely (P(a minimal cut set containing i is down
| system down)) lies between criticality and the conditional form.

System failure frequency for independent two-state components in steady state
is ``f = sum_i I_B(i) f_i`` with ``f_i = 1/(MTBF_i + MTTR_i)``; the equivalent
system MTBF (mean up time) is ``A/f`` and MTTR (mean down time) ``U/f``.

References: Rausand & Hoyland, *System Reliability Theory* (2nd ed., Wiley,
2004), ch. 4-5 (structure functions, pivotal decomposition) and ch. 10
(importance measures); Singh & Billinton, *System Reliability Modelling and
Evaluation* (1977), for the frequency formula.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..availability import Calendar
from ..errors import InputError
from ..gcpause import collector_paused
from .model import KofN, Network, Parallel, Series, Standby, System, Use, split_reference
from .standby import standby_steady_state
from .tails import TINY, complementary, k_of_n, k_of_n_with_logs, log_or_inf, logsumexp

__all__ = ["ComposeResult", "Importance", "evaluate", "k_of_n"]  # k_of_n lived here before relcalc.rbd.tails

MAX_FACTORED = 22  #: shared variables one block may be expanded on (2^22 cases)
#: An unavailability below this is reported as below it (JSON null with ``unavailability_below``), with its logarithm
UNDERFLOW = 1e-300

VAR, AND, OR, KOFN, NET = "var", "and", "or", "kofn", "net"


@dataclass(slots=True)
class Node:
    """A compiled block: a variable, or an and/or/k-of-n over children."""

    kind: str
    children: list["Node"] = field(default_factory=list)
    var: int = -1
    k: int = 0
    label: str = ""
    variables: frozenset = frozenset()
    shared: tuple = ()  #: variables found in more than one child
    network: tuple | None = None  #: for NET: (edges with variables, node variables, source, target, directed)
    plan: object = None  #: the decision diagram of this node, built on first use (see :mod:`.plans`)


class Variable(NamedTuple):
    """One variable: a component instance, or a whole standby block (a named tuple: 100,000 are made at a time)."""

    name: str
    component: str
    availability: float
    unavailability: float
    frequency_per_hour: float | None


class Leaf:
    """A variable's node: what :class:`Node` offers, with only the variable and its label stored.

    A diagram of 100,000 components has 100,000 of these; a full dataclass
    node each took a third of the time to compile one.
    """

    __slots__ = ("var", "label", "variables")
    kind = VAR
    children: tuple = ()
    k = 0
    shared: tuple = ()
    network = None
    plan = None

    def __init__(self, var: int, label: str):
        self.var = var
        self.label = label
        self.variables = (var,)  # iterated by _node; a tuple is cheaper to make than a frozenset


@dataclass(frozen=True)
class Importance:
    name: str
    unavailability: float
    birnbaum: float
    criticality: float
    fussell_vesely: float
    risk_achievement_worth: float
    improvement_potential: float


@dataclass(frozen=True)
class ComposeResult:
    """Steady-state results of a diagram; ``importance`` is ranked, largest improvement first.

    ``availability + unavailability = 1`` within 1e-16. An unavailability
    below 1e-300 (:data:`UNDERFLOW`: 5,001 of 10,000 members down, say) has
    lost its digits as a float, or is 0.0; ``unavailability_log10`` carries
    it at any size, and ``nines`` is read from it. In records (JSON) such an
    unavailability is ``null`` with ``"unavailability_below": 1e-300``, as
    are the downtime and the importance figures relative to it, never 0.
    """

    availability: float
    unavailability: float = field(metadata={"below": UNDERFLOW})
    unavailability_log10: float  #: log10 of the unavailability, finite where the float underflows
    failure_frequency_per_hour: float | None
    importance: tuple[Importance, ...]
    frequency_excludes: tuple[str, ...] = ()
    calendar: Calendar = field(default_factory=Calendar, metadata={"record": False})

    RECORD_PROPERTIES = ("nines", "failure_frequency_per_year", "mtbf_hours", "mttr_hours", "downtime_per_year_hours",
                         "year_days")

    @property
    def nines(self) -> float:
        return -self.unavailability_log10

    @property
    def mtbf_hours(self) -> float | None:
        f = self.failure_frequency_per_hour
        return None if not f else self.availability / f

    @property
    def mttr_hours(self) -> float | None:
        f = self.failure_frequency_per_hour
        return None if not f else self.unavailability / f

    @property
    def failure_frequency_per_year(self) -> float | None:
        f = self.failure_frequency_per_hour
        return None if f is None else f * self.calendar.year_hours

    @property
    def downtime_per_year_hours(self) -> float | None:
        """U times the hours of a year; None where U is below 1e-300."""
        return None if self.unavailability < UNDERFLOW else self.unavailability * self.calendar.year_hours

    @property
    def year_days(self) -> float:
        return self.calendar.year_days


# --- compiling ------------------------------------------------------------------------


@dataclass
class Compiled:
    root: Node
    units: list[Variable]




def compile_system(system: System, unit_values=None) -> Compiled:
    with collector_paused():
        return _compile_system(system, unit_values)


def _compile_system(system: System, unit_values=None) -> Compiled:
    """Turn the block tree into variables and nodes.

    ``unit_values(component, instance_index)`` may override an instance's
    (availability, unavailability), e.g. reliabilities at a mission time.
    """
    units: list[Variable] = []
    index: dict[str, list[int]] = {}

    components = system.components
    make = Variable._make

    def instances(name: str) -> list[int]:
        found = index.get(name)
        if found is None:
            comp = components[name]
            if comp.count == 1 and unit_values is None:  # the common case, taken 100,000 times in large diagrams
                rate, repair = comp.failure_rate, comp.repair_rate
                frequency = None if rate is None else 1.0 / (1.0 / rate + 1.0 / repair)
                found = index[name] = [len(units)]
                units.append(make((name, name, comp.availability, comp.unavailability, frequency)))
                return found
            frequency = comp.failure_frequency_per_hour
            found = index[name] = []
            for i, label in enumerate(comp.instance_names()):
                a, u = (comp.availability, comp.unavailability) if unit_values is None else unit_values(comp, i)
                found.append(len(units))
                units.append(Variable(label, name, a, u, frequency))
        return found

    def leaf(var: int) -> "Leaf":
        return Leaf(var, units[var].name)

    def build(block) -> list[Node]:
        """A block as a list of nodes: a name expands to its instances."""
        if isinstance(block, Use):
            return [leaf(v) for v in instances(block.name)]
        if isinstance(block, Network):
            def chosen(reference):
                name, index = split_reference(reference)
                found = instances(name)
                return found if index is None else [found[index - 1]]

            edges = [(v, a, b) for name, a, b in block.edges
                     for v in ([None] if name is None else chosen(name))]
            node_variables = {node: chosen(name) for node, name in block.nodes}
            used = sorted({v for v, _, _ in edges if v is not None} | {v for vs in node_variables.values() for v in vs})
            net = _node(NET, [leaf(v) for v in used], 0, block.where or "network")
            net.network = (edges, node_variables, block.source, block.target, block.directed)
            return [net]
        if isinstance(block, Standby):
            comp = system.components[block.name]
            if unit_values is None:
                a, u, f = standby_steady_state(comp, block)
            else:
                a, u = unit_values(comp, block)
                f = None
            var = len(units)
            units.append(Variable(block.label, block.name, a, u, f))
            return [leaf(var)]
        members = [node for child in block.children for node in build(child)]
        if isinstance(block, Series):
            kind, k = AND, 0
        elif isinstance(block, Parallel):
            kind, k = OR, 0
        else:
            kind, k = KOFN, block.k
        if len(members) == 1 and kind != KOFN:
            return members
        if kind == KOFN and not 1 <= k <= len(members):
            raise InputError(f"{block.where}: k must be between 1 and n = {len(members)}, got k = {k}")
        return [_node(kind, members, k, block.where)]

    try:
        roots = build(system.root)
    finally:
        # build names itself (it recurses), so its closure is a reference cycle holding the index and
        # every variable: unbound, they go by reference counting, not by a collector pass over
        # 200,000 objects once the collector is back on (80 ms at 100,000 components)
        build = None  # noqa: F841
    root = roots[0] if len(roots) == 1 else _node(AND, roots, 0, "system")
    return Compiled(root, units)


def _node(kind: str, children: list[Node], k: int, label: str) -> Node:
    seen: dict[int, int] = defaultdict(int)
    for child in children:
        for var in child.variables:
            seen[var] += 1
    variables = frozenset(seen)
    shared = tuple(sorted(v for v, n in seen.items() if n > 1))
    return Node(kind, children, k=k, label=label, variables=variables, shared=shared)


# --- evaluating -----------------------------------------------------------------------

def _evaluate(node: Node, units: "_Units", fixed: dict[int, int], want_grad: bool):
    """(A, U, log U, {var: dA/da_var}) of a node given fixed variables (log U natural, finite below 1e-308)."""
    if node.kind == VAR:
        if node.var in fixed:
            return (1.0, 0.0, -math.inf, {}) if fixed[node.var] else (0.0, 1.0, 0.0, {})
        v = node.var
        return units.a[v], units.u[v], units.log_u[v], ({v: 1.0} if want_grad else {})
    if node.kind == NET or node.shared:
        from .plans import evaluate_plan, plan_of

        plan = plan_of(node)
        if plan is not None:
            return evaluate_plan(plan, units, fixed, want_grad, _evaluate)
    free = [v for v in node.shared if v not in fixed]
    if not free:
        return _combine(node, units, fixed, want_grad)
    if len(free) > MAX_FACTORED:
        raise InputError(
            f"{node.label}: {len(free)} components are shared between branches of one block; "
            f"exact evaluation would need 2^{len(free)} cases (limit {MAX_FACTORED})"
        )
    total_a = total_u = 0.0
    cases = []  # (bits, log U of the case), for log U where U is tiny
    grad: dict[int, float] = defaultdict(float)
    for bits in itertools.product((1, 0), repeat=len(free)):
        weights = [units.a[v] if b else units.u[v] for v, b in zip(free, bits)]
        if 0.0 in weights and not want_grad:  # a case of probability 0 (not an underflow)
            continue
        weight = math.prod(weights)
        cond = dict(fixed)
        cond.update(zip(free, bits))
        val_a, val_u, val_log_u, g = _combine(node, units, cond, want_grad)
        total_a += weight * val_a
        total_u += weight * val_u
        cases.append((bits, val_log_u))
        if want_grad:
            for var, d in g.items():
                grad[var] += weight * d
            for j, (v, b) in enumerate(zip(free, bits)):
                others = math.prod(weights[:j]) * math.prod(weights[j + 1 :])
                grad[v] += others * val_a if b else -others * val_a
    avail, unavail = complementary(total_a, total_u)
    if unavail >= TINY:
        log_unavail = math.log(unavail)
    else:  # the weights by their logarithms: their product may underflow too
        log_unavail = logsumexp([
            math.fsum(units.log_a[v] if b else units.log_u[v] for v, b in zip(free, bits)) + log_u
            for bits, log_u in cases
        ])
    return avail, unavail, log_unavail, dict(grad)


SMALL = 16  #: below this many children, plain Python beats numpy's per-call overhead


def _leaf_results(node: Node, units: "_Units", fixed):
    """The children's results where every child is a free variable: read off the arrays, no calls."""
    ids = [child.var for child in node.children]
    a, u, log_u = units.arrays()
    index = np.fromiter(ids, dtype=np.intp, count=len(ids))
    return a[index], u[index], log_u[index], ids


def _combine(node: Node, units: "_Units", fixed, want_grad):
    children = node.children
    if (node.kind == KOFN and len(children) >= SMALL and all(c.kind == VAR for c in children)
            and not any(c.var in fixed for c in children)):
        ca, cu, log_cu, ids = _leaf_results(node, units, fixed)
        avail, unavail, log_unavail, local = k_of_n_with_logs(ca, cu, log_cu, node.k, want_grad)
        grad = {}
        if want_grad:
            nonzero = np.flatnonzero(local)
            grad = dict(zip((ids[i] for i in nonzero.tolist()), local[nonzero].tolist()))
        return float(avail), float(unavail), float(log_unavail), grad
    results = [_evaluate(child, units, fixed, want_grad) for child in children]
    if node.kind == KOFN:
        ca = np.array([r[0] for r in results])
        cu = np.array([r[1] for r in results])
        log_cu = np.array([r[2] for r in results])
        avail, unavail, log_unavail, local = k_of_n_with_logs(ca, cu, log_cu, node.k, want_grad)
    else:
        ca = [r[0] for r in results]
        cu = [r[1] for r in results]
        # series: A = prod(a), U = 1 - prod(1 - u); parallel is the mirror image
        ups, downs = (ca, cu) if node.kind == AND else (cu, ca)
        product = _product(ups)
        complement = 1.0 if max(downs) >= 1.0 else -_expm1_sum_log1p(downs)
        avail, unavail = complementary(*((product, complement) if node.kind == AND else (complement, product)))
        if unavail >= TINY:
            log_unavail = math.log(unavail)
        elif node.kind == AND:  # every member's U is below 1e-280: U is their sum to double precision
            log_unavail = logsumexp([r[2] for r in results])
        else:
            log_unavail = math.fsum(r[2] for r in results)
        local = _leave_one_out_products(ups) if want_grad else None
    grad: dict[int, float] = {}
    if want_grad:
        for d_child, (_, _, _, g) in zip(local, results):
            if d_child != 0.0:
                for var, d in g.items():
                    grad[var] = grad.get(var, 0.0) + d_child * d
    return float(avail), float(unavail), float(log_unavail), grad


def _product(values) -> float:
    return math.prod(values) if len(values) < SMALL else float(np.prod(values))


def _expm1_sum_log1p(values) -> float:
    """expm1(sum(log1p(-v))) = prod(1 - v) - 1, without cancellation for tiny v."""
    if len(values) < SMALL:
        return math.expm1(math.fsum(math.log1p(-v) for v in values))
    return float(np.expm1(np.sum(np.log1p(-np.asarray(values)))))


def _leave_one_out_products(values):
    """prod over j != i of values[j], for every i, without division."""
    n = len(values)
    if n < SMALL:
        prefix = [1.0] * n
        for i in range(1, n):
            prefix[i] = prefix[i - 1] * values[i - 1]
        out, suffix = [0.0] * n, 1.0
        for i in range(n - 1, -1, -1):
            out[i] = prefix[i] * suffix
            suffix *= values[i]
        return out
    values = np.asarray(values)
    prefix = np.ones(n)
    suffix = np.ones(n)
    prefix[1:] = np.cumprod(values[:-1])
    suffix[:-1] = np.cumprod(values[::-1][:-1])[::-1]
    return prefix * suffix


@dataclass(frozen=True)
class _Units:
    """The variables' A, U and their natural logarithms, indexed by variable."""

    a: list[float]
    u: list[float]
    log_a: list[float]
    log_u: list[float]

    def arrays(self):
        """(a, u, log u) as numpy arrays, made once."""
        cached = getattr(self, "_arrays", None)
        if cached is None:
            cached = (np.asarray(self.a), np.asarray(self.u), np.asarray(self.log_u))
            object.__setattr__(self, "_arrays", cached)
        return cached

    @classmethod
    def of(cls, compiled: "Compiled") -> "_Units":
        a = [float(unit.availability) for unit in compiled.units]
        u = [float(unit.unavailability) for unit in compiled.units]
        log, inf = math.log, -math.inf  # log_or_inf inlined: 200,000 calls in a 100,000-component diagram
        return cls(a, u, [log(x) if x > 0 else inf for x in a], [log(x) if x > 0 else inf for x in u])


def _evaluate_root(compiled: Compiled, want_grad: bool):
    return _evaluate(compiled.root, _Units.of(compiled), {}, want_grad)


def evaluate_compiled(compiled: Compiled, want_grad: bool = False):
    """(availability, unavailability, {var: dA/da_var}) of a compiled diagram."""
    avail, unavail, _, grad = _evaluate_root(compiled, want_grad)
    return avail, unavail, grad


def evaluate(system: System, *, calendar: Calendar | None = None, importance: bool = True) -> ComposeResult:
    """Exact steady-state availability, frequency and importance of a diagram."""
    with collector_paused():
        return _evaluate_system(system, calendar, importance)


def refuse_if_it_cannot_fail(result: ComposeResult) -> ComposeResult:
    """The result, unless its U is exactly 0 (a path that needs no component): then an input error.

    Exactly 0 is not an underflow (that keeps its logarithm); a system that
    cannot fail has no MTBF, nines or downtime to report, so the commands
    refuse it while the library returns the exact 0.
    """
    if result.unavailability == 0.0 and result.unavailability_log10 == -math.inf:
        raise InputError("the system cannot fail: it stays up with every component down (a network path whose "
                         "edges carry no component?); give those edges or nodes their components")
    return result


def _evaluate_system(system: System, calendar: Calendar | None, importance: bool) -> ComposeResult:
    identical = _identical_members(system)
    if identical is not None:
        return _identical_k_of_n(system, identical, calendar, importance)
    compiled = compile_system(system)
    if system.repair:  # shared crews: the groups' exact chains around the diagram
        from .repair import evaluate_with_crews

        return evaluate_with_crews(system, compiled, system.repair, calendar)
    avail, unavail, log_unavail, grad = _evaluate_root(compiled, want_grad=True)
    frequency = 0.0
    excludes = []
    items = []
    for var, unit in enumerate(compiled.units):
        birnbaum = grad.get(var, 0.0)
        if unit.frequency_per_hour is None:
            if birnbaum > 0:
                excludes.append(unit.name)
        else:
            frequency += birnbaum * unit.frequency_per_hour
        if importance:
            items.append(_measures(unit, birnbaum, unavail))
    items.sort(key=lambda m: (-_zero_if_nan(m.improvement_potential), -_zero_if_nan(m.birnbaum), m.name))
    return ComposeResult(
        availability=avail,
        unavailability=unavail,
        unavailability_log10=math.log10(unavail) if unavail >= TINY else log_unavail / math.log(10),
        failure_frequency_per_hour=frequency if frequency > 0 else None,
        importance=tuple(items),
        frequency_excludes=tuple(excludes),
        calendar=calendar or Calendar(),
    )


#: Members from which a k-of-n of one component's instances is worked out by its closed forms
IDENTICAL_FROM = 64
#: Instances up to which each gets its own (identical) importance row
IDENTICAL_ROWS = 1_000_000


def _identical_members(system: System, smallest: int | None = None):
    """The component of a system that is one k-of-n over all instances of one component (count), else None.

    ``smallest``: the fewest instances that count (default :data:`IDENTICAL_FROM`, where the closed forms start
    to pay for themselves in the steady state)."""
    root = system.root
    if system.repair:
        return None
    if isinstance(root, Use):  # every instance needed: n-of-n
        use, k = root, None
    elif isinstance(root, KofN) and len(root.children) == 1 and isinstance(root.children[0], Use):
        use, k = root.children[0], root.k
    else:
        return None
    name, index = split_reference(use.name)
    comp = system.components.get(name)
    if index is not None or comp is None or comp.count < (IDENTICAL_FROM if smallest is None else smallest):
        return None
    k = comp.count if k is None else k
    return (comp, k) if 1 <= k <= comp.count else None


def _identical_k_of_n(system: System, comp, calendar: Calendar | None, importance: bool) -> ComposeResult:
    """A k-of-n over the instances of one component: binomial closed forms, no object per instance."""
    from .binomial import identical_k_of_n

    comp, k = comp
    n = comp.count
    log_avail, log_unavail, log_birnbaum = identical_k_of_n(n, k, float(comp.availability),
                                                           float(comp.unavailability))
    avail, unavail = complementary(math.exp(log_avail), math.exp(log_unavail))
    birnbaum = math.exp(log_birnbaum)
    # one row per instance, as elsewhere, up to a million; above, one row stands for every instance
    names = comp.instance_names() if n <= IDENTICAL_ROWS else [f"{comp.name}#1..#{n} (each)"]
    frequency = None
    excludes: tuple = ()
    if comp.failure_frequency_per_hour is None:
        excludes = tuple(names) if birnbaum > 0 else ()
    elif birnbaum > 0:  # each member's failures that fail the block (Birnbaum times its frequency), n of them
        frequency = n * birnbaum * comp.failure_frequency_per_hour
    items: tuple = ()
    if importance:  # the same measures for every member
        unit = Variable(names[0], comp.name, comp.availability, comp.unavailability, comp.failure_frequency_per_hour)
        m = _measures(unit, birnbaum, unavail)
        items = tuple(Importance(label, *astuple_rest(m)) for label in sorted(names))
    return ComposeResult(
        availability=avail,
        unavailability=unavail,
        unavailability_log10=math.log10(unavail) if unavail >= TINY else log_unavail / math.log(10),
        failure_frequency_per_hour=frequency,
        importance=items,
        frequency_excludes=excludes,
        calendar=calendar or Calendar(),
    )


def astuple_rest(m: "Importance") -> tuple:
    """An importance row's figures after its name."""
    return (m.unavailability, m.birnbaum, m.criticality, m.fussell_vesely, m.risk_achievement_worth,
            m.improvement_potential)


def _zero_if_nan(x: float) -> float:
    return 0.0 if x != x else x


def _measures(unit: Variable, birnbaum: float, system_u: float) -> Importance:
    ui, ai = unit.unavailability, unit.availability
    improvement = ui * birnbaum
    failed = system_u + ai * birnbaum
    if system_u < UNDERFLOW:  # the ratios to U (and U's share) are lost with U's digits: not given
        crit = fv = raw = improvement = math.nan
        if birnbaum < UNDERFLOW:  # at most U / u_i: as lost
            birnbaum = math.nan
    else:
        crit, fv, raw = improvement / system_u, ui * failed / system_u, failed / system_u
    return Importance(unit.name, float(ui), float(birnbaum), float(crit), float(fv), float(raw), float(improvement))


def block_availabilities(system: System) -> dict[int, tuple[float, float, float]]:
    """(A, U, log10 U) of every block on its own, keyed by ``id()`` of the spec block, for tree views."""
    from dataclasses import replace as _replace

    out: dict[int, tuple[float, float, float]] = {}
    stack = [system.root]
    while stack:
        block = stack.pop()
        alone = _replace(system, root=block)
        identical = _identical_members(alone)
        if identical is not None:  # no object per instance (a million instances of one component)
            found = _identical_k_of_n(alone, identical, None, importance=False)
            out[id(block)] = (found.availability, found.unavailability, found.unavailability_log10)
        else:
            av, un, log_un, _ = _evaluate_root(compile_system(alone), want_grad=False)
            out[id(block)] = (av, un, log_un / math.log(10))
        stack.extend(getattr(block, "children", ()))
    return out
