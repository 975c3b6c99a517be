"""Decision diagrams for the blocks that need them: networks, and blocks whose branches share components.

Notes
-----
A block whose children share components is not a product of independent
parts. Its structure function is built as a reduced ordered decision
diagram (:mod:`relcalc.rbd.bdd`) over the shared components and over
*modules*: parts of the block (a child, or deeper) whose components appear
nowhere else in the block, which are evaluated on their own and enter the
diagram as one variable each with their own availability. A network is
compiled by frontier search (:mod:`relcalc.rbd.network`); inside a larger
shared block its diagram is brought in by ``f = lo or (x and hi)``, which
holds for coherent (monotone) structure functions.

The probability pass over a diagram is linear in its nodes, where the
expansion on every assignment of the shared components costs 2^s
evaluations of the block: 100 bridges in series (five shared components
each) take one pass over six nodes per bridge instead of 32 cases.

References: Rauzy, "New algorithms for fault trees analysis" (1993), for
modules in decision diagrams; Rausand & Hoyland (2004), ch. 4, for coherent
structure functions and modules.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .bdd import FALSE, TRUE, Diagram, TooLarge, probability
from .tails import log_or_inf

#: Below this the swept U has lost digits to underflow: the diagram's logarithmic pass is used
TINY = 1e-280
#: Nodes a shared block's diagram may take before the block is expanded case by case instead
SHARED_LIMIT = 200_000
#: A k-of-n inside a shared block is built by counting (n k operations) only up to this
KOFN_WORK = 200_000


class Template:
    """A diagram over local variables ``0..m-1`` (first appearance) and modules (by their path in the block).

    A network that can be swept (:mod:`relcalc.rbd.sweep`) keeps its sweep
    program and builds the diagram only when something needs it (cut sets,
    logarithms of an unavailability below the floating-point range).
    """

    def __init__(self, diagram, root, direct, module_paths, sweep=None, build=None):
        self._diagram, self._root = diagram, root
        self.direct = direct  #: local variables that are levels of the diagram
        self.module_paths = module_paths  #: (key, path of child indices from the block to the module)
        self.sweep = sweep
        self._build = build

    @property
    def diagram(self) -> Diagram:
        if self._diagram is None:
            self._diagram, self._root = self._build()
        return self._diagram

    @property
    def root(self) -> int:
        self.diagram
        return self._root

    @property
    def size(self) -> int:
        """Nodes held (a sweep program counts its steps)."""
        return len(self._diagram) if self._diagram is not None else len(self.sweep.steps)


@dataclass
class Plan:
    template: Template
    variables: list  #: local variable -> instance variable
    modules: list  #: (key, node) evaluated on their own


#: Templates by the block's shape, so identical blocks (100 bridges) and repeated evaluations share one
_TEMPLATES: dict = {}
_TEMPLATES_KEPT = 512
_NODES_KEPT = 2_000_000  #: diagram nodes the kept templates may hold together


def plan_of(node):
    """The node's plan, built once; None where a shared block's diagram would be too large."""
    if node.plan is None:
        local: dict = {}
        shape = _shape(node, local)
        template = _TEMPLATES.get(shape)
        if template is None:
            try:
                template = _network_template(shape, node.label) if node.kind == "net" else _shared_template(shape, node.label)
            except TooLarge:
                template = False
            kept_nodes = sum(t.size for t in _TEMPLATES.values() if t)
            if len(_TEMPLATES) >= _TEMPLATES_KEPT or kept_nodes > _NODES_KEPT:  # bounded memory
                _TEMPLATES.clear()
            _TEMPLATES[shape] = template
        if template is False:
            node.plan = False
        else:
            variables = list(local)
            modules = [(key, _follow(node, path)) for key, path in template.module_paths]
            node.plan = Plan(template, variables, modules)
    return node.plan or None


def _shape(node, local: dict):
    """The block's structure with its instance variables renamed by first appearance."""
    kind = node.kind
    if kind == "var":
        return local.setdefault(node.var, len(local))
    if kind == "net":
        edges, node_variables, source, target, directed = node.network
        edges = tuple((None if v is None else local.setdefault(v, len(local)), a, b) for v, a, b in edges)
        nodes = tuple((x, tuple(local.setdefault(v, len(local)) for v in vs)) for x, vs in node_variables.items())
        return ("net", edges, nodes, source, target, directed)
    return (kind, node.k, tuple(_shape(child, local) for child in node.children))


def _follow(node, path):
    for i in path:
        node = node.children[i]
    return node


def network_diagram(network, where: str):
    """(diagram, root) of "target reached from source" for ``(edges, node variables, source, target, directed)``.

    Series and parallel stretches are first reduced to single edges
    (:func:`relcalc.rbd.reduce.series_parallel`); the search runs on what is
    left, and each reduced edge is then put back as the function of its
    components (coherent functions: ``f = lo or (g and hi)``), so the diagram
    is over the network's own variables.
    """
    from .dag import compile_dag
    from .network import NodesCrossed, compile_network, expand_nodes
    from .reduce import prune, series_parallel

    edges, node_variables, source, target, directed = network
    edges = prune(list(edges), source, target, directed)
    on_paths = {x for _, a, b in edges for x in (a, b)}
    node_variables = {x: vs for x, vs in node_variables if x in on_paths}
    edges, node_variables, composites = series_parallel(edges, node_variables, source, target, directed)
    on_paths = {x for _, a, b in edges for x in (a, b)}
    node_variables = {x: vs for x, vs in node_variables.items() if x in on_paths}
    built = None
    if directed:
        built = compile_dag(edges, node_variables, source, target, where)
    if built is None:
        arcs, s, t = expand_nodes(edges, node_variables, source, target, directed)
        try:
            built = compile_network(arcs, s, t, directed, where)
        except NodesCrossed:
            arcs, s, t = expand_nodes(edges, node_variables, source, target, directed, native=False)
            built = compile_network(arcs, s, t, directed, where)
    if not composites:
        return built
    return _substituted(*built, composites, where)


def _substituted(sub: Diagram, root: int, composites: dict, where: str):
    """The diagram at ``root`` with each composite variable replaced by its and/or over its members."""
    diagram = Diagram(where=where)

    def members_first(v):  # the levels of the new diagram in the order the search took them
        if v in composites:
            for m in composites[v][1]:
                members_first(m)
        else:
            diagram.add_variable(v)

    for v in sub.variables:
        members_first(v)
    base = [v for v in sub.variables if v not in composites] + [m for _, members in composites.values()
                                                                  for m in members if m not in composites]
    if len(set(base)) == len(base):
        # every component once: a composite's members sit together just above the levels below it, so
        # "g ? hi : lo" is a chain of nodes (and: each member down goes to lo; or: each member up goes to hi)
        def choose(v, hi: int, lo: int) -> int:
            if v not in composites:
                return diagram.node(diagram.level_of[v], lo, hi)
            kind, members = composites[v]
            for m in reversed(members):
                if kind == "and":
                    hi = choose(m, hi, lo)
                else:
                    lo = choose(m, hi, lo)
            return hi if kind == "and" else lo

        made = {FALSE: FALSE, TRUE: TRUE}
        for f in sub.reachable(root):
            made[f] = choose(sub.variables[sub.level[f]], made[sub.hi[f]], made[sub.lo[f]])
        return diagram, made.get(root, root)
    made_terms: dict = {}

    def term(v) -> int:
        if v not in composites:
            return diagram.var(v)
        if v not in made_terms:
            kind, members = composites[v]
            parts = [term(m) for m in members]
            made_terms[v] = diagram.conjunction(parts) if kind == "and" else diagram.disjunction(parts)
        return made_terms[v]

    made = {FALSE: FALSE, TRUE: TRUE}
    for f in sub.reachable(root):  # children first
        x = term(sub.variables[sub.level[f]])
        made[f] = diagram.apply("or", made[sub.lo[f]], diagram.apply("and", x, made[sub.hi[f]]))
    return diagram, made.get(root, root)


def _network_template(shape, where: str) -> Template:
    program = network_sweep(shape[1:])
    if program is not None:
        def build():
            return network_diagram(shape[1:], where)

        direct = sorted({step.var for step in program.steps if step.var is not None})
        return Template(None, None, direct, [], sweep=program, build=build)
    diagram, root = network_diagram(shape[1:], where)
    return Template(diagram, root, list(diagram.variables), [])


def network_sweep(network):
    """The array sweep of an acyclic directed network where no component appears twice; else None."""
    from .dag import vertex_order
    from .reduce import prune
    from .sweep import sweep_program

    edges, node_variables, source, target, directed = network
    if not directed:
        return None
    edges = prune(list(edges), source, target, directed)
    on_paths = {x for _, a, b in edges for x in (a, b)}
    node_variables = {x: vs for x, vs in node_variables if x in on_paths}
    if source not in on_paths or target not in on_paths:
        return None
    found = vertex_order(edges, node_variables, source, target)
    if found is None:
        return None
    sequence, variables, successors, _, source, target = found
    used = [variables[x] for x in sequence if x in variables]
    if len(set(used)) != len(used):  # a component twice: the diagram carries its value instead
        return None
    return sweep_program(sequence, variables, successors, source, target)


def _shared_template(shape, where: str) -> Template:
    occurrences = _occurrences(shape, {})
    memo: dict = {}
    diagram = Diagram(where=where, limit=SHARED_LIMIT)
    module_paths: list = []

    def build(part, path) -> int:
        if isinstance(part, int):
            return diagram.var(part)
        inside = _occurrences(part, memo)
        if path and all(inside[v] == occurrences[v] for v in inside):
            key = ("module", len(module_paths))
            module_paths.append((key, path))
            return diagram.var(key)
        if part[0] == "net":
            sub, root = network_diagram(part[1:], where)
            return _bring_in(diagram, sub, root)
        kind, k, children = part
        parts = [build(child, path + (i,)) for i, child in enumerate(children)]
        if kind == "and":
            return diagram.conjunction(parts)
        if kind == "or":
            return diagram.disjunction(parts)
        if len(parts) * k > KOFN_WORK:
            raise TooLarge(where)
        return diagram.at_least(k, parts)

    root = build(shape, ())
    direct = [v for v in diagram.variables if isinstance(v, int)]
    return Template(diagram, root, direct, module_paths)


def _occurrences(part, memo) -> Counter:
    """How many times each local variable appears as a leaf of a shape (a network's once)."""
    if isinstance(part, int):
        return Counter({part: 1})
    key = id(part)
    if key in memo:
        return memo[key]
    if part[0] == "net":
        found = Counter({v for v, _, _ in part[1] if v is not None} | {v for _, vs in part[2] for v in vs})
    else:
        found = Counter()
        for child in part[2]:
            found.update(_occurrences(child, memo))
    memo[key] = found
    return found


def _bring_in(diagram: Diagram, sub: Diagram, root: int) -> int:
    """The function at ``root`` of another diagram, rebuilt in ``diagram`` (coherent functions only)."""
    made = {FALSE: FALSE, TRUE: TRUE}
    for f in sub.reachable(root):  # children first
        x = diagram.var(sub.variables[sub.level[f]])
        made[f] = diagram.apply("or", made[sub.lo[f]], diagram.apply("and", x, made[sub.hi[f]]))
    return made[root]


def evaluate_plan(plan: Plan, units, fixed: dict, want_grad: bool, evaluate_node):
    """(A, U, log U, {variable: dA/da}) of a planned node, given fixed variables."""
    template, variables = plan.template, plan.variables
    a, u, log_a, log_u = {}, {}, {}, {}
    for local in template.direct:
        v = variables[local]
        if v in fixed:
            up = fixed[v]
            a[local], u[local] = (1.0, 0.0) if up else (0.0, 1.0)
            log_a[local], log_u[local] = (0.0, float("-inf")) if up else (float("-inf"), 0.0)
        else:
            a[local], u[local], log_a[local], log_u[local] = units.a[v], units.u[v], units.log_a[v], units.log_u[v]
    inner = {}
    for key, child in plan.modules:
        ca, cu, clu, cg = evaluate_node(child, units, fixed, want_grad)
        a[key], u[key], log_a[key], log_u[key] = ca, cu, log_or_inf(ca), clu
        inner[key] = cg
    swept = None
    if template.sweep is not None:
        from .sweep import sweep

        swept = sweep(template.sweep, a, u, want_grad)
    if swept is not None and swept[1] >= TINY:
        avail, unavail, g = swept
        log_unavail = math.log(unavail)
    else:  # U beyond the floating-point range: its logarithm from the diagram
        avail, unavail, log_unavail, g = probability(template.diagram, template.root, a, u, log_a, log_u, want_grad)
    grad: dict = {}
    if want_grad:
        for local, d in g.items():
            if local in inner:
                if d:
                    for w, dw in inner[local].items():
                        grad[w] = grad.get(w, 0.0) + d * dw
            else:
                v = variables[local]
                if v not in fixed:
                    grad[v] = grad.get(v, 0.0) + d
    return avail, unavail, log_unavail, grad
