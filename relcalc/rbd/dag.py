"""Acyclic directed networks: a decision diagram from vertices taken in topological order.

Notes
-----
Every component sits on a vertex (a component on an arc becomes a vertex in
the middle of the arc; a node with several instances becomes that many
parallel vertices). Vertices are decided in topological order; the state of
the search is the set of undecided vertices that already have a reached
predecessor (*enabled*), with the values of components that appear again
further on. A vertex that is not enabled is decided without a branch, and
whatever decided vertices enabled the same undecided ones is one state, so
the states grow with the frontier's width, not with the number of paths.
Of two topological orders - breadth-first (diagonal sweeps, best for grids)
and a greedy one that adds least to the frontier at each step (best for
trees of switches) - the one with the narrower frontier is used.

RePyability's decision diagram counts reached predecessors the same way
(this is the k = 1 case, written for relcalc); see also Hardy, Lucet &
Limnios, IEEE Trans. Reliability 56(3), 2007.
"""

from __future__ import annotations

from collections import defaultdict

from .bdd import FALSE, TRUE, Diagram
from .network import MAX_STATES, MAX_TOTAL_STATES, _too_meshed, _topological, breadth_first_ranks


def compile_dag(arcs, node_variables: dict, source, target, where: str):
    """A decision diagram of "target reached from source" in an acyclic directed network; None if cyclic.

    Every component sits on a vertex (a component on an arc becomes a vertex
    of its own in the middle of the arc; a node with several instances
    becomes that many parallel vertices). Vertices are decided in topological
    order; the state is the set of undecided vertices that already have a
    reached predecessor (*enabled*), with the values of components that
    appear again further on. A vertex that is not enabled is decided without
    a branch; whatever decided vertices enabled the same undecided ones is
    one state. (RePyability's decision diagram counts reached predecessors
    the same way; this is the k = 1 case, written for relcalc.)
    """
    found = vertex_order(arcs, node_variables, source, target)
    if found is None:
        return None
    sequence, variables, successors, order, source, target = found
    if source not in order or target not in order:
        return Diagram([v for v in dict.fromkeys(variables[x] for x in sequence if x in variables)], where), FALSE
    index = {x: i for i, x in enumerate(sequence)}
    follow = {x: sum(1 << index[y] for y in set(successors.get(x, ()))) for x in sequence}
    appearances: dict = defaultdict(list)
    for x in sequence[index[source]:]:
        if x in variables:
            appearances[variables[x]].append(index[x])
    diagram = Diagram(list(appearances), where)
    start = index[source]
    if all(len(found) == 1 for found in appearances.values()):
        return diagram, _without_repeats(sequence[start:], index, variables, follow, target, diagram, where)
    states = {(1 << start, ()): None}
    levels = []
    total = 0
    for x in sequence[start:]:
        i = index[x]
        bit = 1 << i
        var = variables.get(x)
        is_target = x == target
        shared = var is not None and len(appearances[var]) > 1
        first = shared and appearances[var][0] == i
        last = shared and appearances[var][-1] == i
        nxt: dict = {}
        transitions = []
        for state in states:
            mask, known = state
            enabled = mask & bit
            rest = mask & ~bit
            if shared and not first:
                value = dict(known)[var]
                if last:
                    known = tuple(kv for kv in known if kv[0] != var)
                outcomes = [(None, value)]
            elif var is None:
                outcomes = [(None, 1)]
            elif shared or enabled:
                outcomes = [(0, 0), (1, 1)]
            else:
                outcomes = [(None, 0)]
            children = []
            for branch, works in outcomes:
                carried = known
                if first and not last:
                    carried = known + ((var, works),)
                if enabled and works:
                    if is_target:
                        children.append(TRUE)
                        continue
                    child_mask = rest | follow[x]
                else:
                    child_mask = rest
                if not child_mask:
                    children.append(FALSE)
                    continue
                child = (child_mask, carried)
                if child not in nxt and len(nxt) >= MAX_STATES:
                    raise _too_meshed(where, f"{MAX_STATES:,} connection states on one frontier")
                nxt.setdefault(child, None)
                children.append(child)
            transitions.append((state, children, len(outcomes) == 2))
        levels.append((var, transitions))
        states = nxt
        total += len(nxt)
        if total > MAX_TOTAL_STATES:
            raise _too_meshed(where, f"over {MAX_TOTAL_STATES:,} connection states in all")
        if not states:
            break
    made: dict = {}
    for var, transitions in reversed(levels):
        here = {}
        for state, children, branched in transitions:
            ids = [c if c in (FALSE, TRUE) else made[c] for c in children]
            here[state] = diagram.node(diagram.level_of[var], ids[0], ids[1]) if branched else ids[0]
        made = here
    return diagram, made.get((1 << start, ()), FALSE)


def vertex_order(arcs, node_variables: dict, source, target):
    """(vertices in the order decided, {vertex: variable}, successors, topological ranks, source, target); None if cyclic.

    Components on arcs become vertices in the middle of their arc; a node with
    several instances becomes that many parallel vertices; of the
    breadth-first and the greedy topological order the narrower is kept.
    """
    variables: dict = {}  # vertex -> variable or None
    successors: dict = defaultdict(list)
    vertices = {source, target}
    for n, (var, a, b) in enumerate(arcs):
        vertices.update((a, b))
        if var is None:
            successors[a].append(b)
        else:
            middle = ("arc", n)
            variables[middle] = var
            successors[a].append(middle)
            successors[middle].append(b)
    for x, instances in node_variables.items():
        vertices.add(x)
        if len(instances) == 1:
            variables[x] = instances[0]
            continue
        # several instances: parallel copies of the node, each with one instance
        inbound = [a for a in list(successors) if x in successors[a]]
        copies = [("copy", x, i) for i in range(len(instances))]
        for c, var in zip(copies, instances):
            variables[c] = var
            successors[c] = list(successors.get(x, []))
        for a in inbound:
            successors[a] = [y for y in successors[a] if y != x] + copies
        if x == source:
            successors[("start", x)] = copies
            source = ("start", x)
        if x == target:
            for c in copies:
                successors[c] = [("end", x)]
            target = ("end", x)
        successors.pop(x, None)
        vertices.discard(x)
    for ys in successors.values():
        vertices.update(ys)
    vertices.update(successors)
    order = _topological([(None, a, b) for a, ys in successors.items() for b in ys] or [(None, source, target)],
                         breadth_first_ranks(((a, b) for a, ys in successors.items() for b in ys), source))
    if order is None:
        return None
    sequence = sorted(order, key=order.get)
    greedy = _narrow_order(sequence, successors, order)
    if greedy is not None and _width(greedy, successors) < _width(sequence, successors):
        sequence = greedy
    return sequence, variables, successors, order, source, target


_FALSE, _TRUE = -1, -2  #: terminals in the plain search, apart from every mask (masks are >= 0)


def _without_repeats(sequence, index, variables, follow, target, diagram, where) -> int:
    """The search where no component appears twice: a state is just the mask of enabled vertices.

    The same search as :func:`compile_dag` with nothing carried beside the
    mask, in about half the time (the 10x10 grid's 9,000 states).
    """
    states = {1 << index[sequence[0]]}
    levels = []
    total = 0
    for x in sequence:
        bit = 1 << index[x]
        var = variables.get(x)
        onward = follow[x]
        is_target = x == target
        nxt: set = set()
        passing = []  # (state, child): no branch here
        branching = []  # (state, child if down, child if up)
        for mask in states:
            rest = mask & ~bit
            if not mask & bit:
                passing.append((mask, rest or _FALSE))
                continue
            reached = _TRUE if is_target else (rest | onward) or _FALSE
            if var is None:
                passing.append((mask, reached))
            else:
                branching.append((mask, rest or _FALSE, reached))
        for _, child in passing:
            if child >= 0:
                nxt.add(child)
        for _, down, up in branching:
            if down >= 0:
                nxt.add(down)
            if up >= 0:
                nxt.add(up)
        if len(nxt) > MAX_STATES:
            raise _too_meshed(where, f"{MAX_STATES:,} connection states on one frontier")
        levels.append((var, passing, branching))
        total += len(nxt)
        if total > MAX_TOTAL_STATES:
            raise _too_meshed(where, f"over {MAX_TOTAL_STATES:,} connection states in all")
        states = nxt
        if not states:
            break
    made = {_FALSE: FALSE, _TRUE: TRUE}
    for var, passing, branching in reversed(levels):
        here = {_FALSE: FALSE, _TRUE: TRUE}
        for mask, child in passing:
            here[mask] = made[child]
        if branching:
            level = diagram.level_of[var]
            node = diagram.node
            for mask, down, up in branching:
                here[mask] = node(level, made[down], made[up])
        made = here
    return made.get(1 << index[sequence[0]], FALSE)


GREEDY_LIMIT = 2_000  #: vertices up to which the frontier-narrowing order is tried


def _width(sequence, successors) -> int:
    """The largest number of undecided vertices with a decided predecessor, along ``sequence``."""
    frontier: set = set()
    widest = 0
    for x in sequence:
        frontier.discard(x)
        frontier.update(successors.get(x, ()))
        widest = max(widest, len(frontier))
    return widest


def _narrow_order(sequence, successors, rank):
    """A topological order that, at each step, decides the ready vertex adding least to the frontier.

    Breadth-first order suits grids (diagonal sweeps); trees of switches want
    a vertex's successors soon after it (a core switch, then its one link
    down), which this greedy choice gives. The narrower of the two is used.
    """
    if len(sequence) > GREEDY_LIMIT:
        return None
    waiting = {x: 0 for x in sequence}
    for x in sequence:
        for y in set(successors.get(x, ())):
            waiting[y] += 1
    ready = [x for x in sequence if waiting[x] == 0]
    frontier: set = set()
    out = []
    while ready:
        def cost(v):
            return (len(set(successors.get(v, ())) - frontier) - (v in frontier), rank[v])

        best = min(ready, key=cost)
        ready.remove(best)
        out.append(best)
        frontier.discard(best)
        for y in set(successors.get(best, ())):
            frontier.add(y)
            waiting[y] -= 1
            if waiting[y] == 0:
                ready.append(y)
    return out if len(out) == len(sequence) else None

