"""Two-terminal reliability of a network: compiled to a decision diagram by frontier search.

Notes
-----
A network has components on its edges (and optionally on its nodes); the
system is up while the target can be reached from the source over working
edges and nodes. Edges are undirected unless the network says
``directed: true``.

A component on a node is turned into edges first. Directed: the node ``v``
becomes ``v.in -> v.out`` carrying the component, in-edges end at ``v.in``
and out-edges leave ``v.out``. Undirected: every edge at ``v`` ends at a port
of its own, and each port joins a hub through the component (one variable on
several edges), so a failed node connects nothing. Edges without a component
(``null``) are perfect links.

The edges are then taken one variable at a time (every edge of a shared
component at once), in breadth-first order from the source, which keeps the
frontier - the nodes with edges both behind and ahead - narrow. A state of the
search says, for the frontier, what is connected so far: for an undirected
network the partition of the frontier into connected groups, for a directed one
which frontier nodes reach which. Two partial assignments with the same state
have the same future, so states are merged at every level, and each state
becomes one node of a reduced decision diagram; the search stops a branch as
soon as the source reaches the target (1) or can no longer reach it (0).

References: Hardy, Lucet & Limnios, "K-terminal network reliability measures
with binary decision diagrams", IEEE Trans. Reliability 56(3), 2007 (the
frontier construction); Colbourn, *The Combinatorics of Network Reliability*
(Oxford, 1987).
"""

from __future__ import annotations

from collections import defaultdict, deque

from ..errors import InputError
from .bdd import FALSE, TRUE, Diagram
from .frontier import grow_frontier, undirected_search

#: Frontier states one level may hold before the network is refused as too meshed to work out exactly
MAX_STATES = 200_000
#: States over all levels (each becomes at most one diagram node): the work the search may do in all
MAX_TOTAL_STATES = 1_000_000


def _too_meshed(where: str, what: str) -> InputError:
    return InputError(f"{where}: too meshed to work out exactly ({what}); split it into smaller networks "
                      "joined in series or parallel, or make it directed where traffic only flows one way "
                      "(up-down routing in a fat tree)")


def compile_network(edges, source, target, directed: bool, where: str):
    """A decision diagram of "target reachable from source".

    ``edges`` is a list of ``(variable or None, from, to)`` (None: a perfect
    link; ``(variable, x, x)``: the component of node x). Returns ``(diagram,
    root)``; the diagram's levels are the variables in the order the search
    takes them.
    """
    if source == target:
        raise InputError(f"{where}: source and target are the same node {source!r}")
    steps = _steps(edges, source, target, directed)
    diagram = Diagram([var for var, _ in steps if var is not None], where)
    # each node's last step (after which it leaves the frontier); source and target stay
    last: dict = {}
    last_in: dict = {}
    last_out: dict = {}
    for i, (_, step_edges) in enumerate(steps):
        for _, a, b in step_edges:
            last[a] = last[b] = i
            last_out[a] = last_in[b] = i
    if source not in last or target not in last:
        return diagram, FALSE  # an endpoint with no edge: never connected
    if not directed:
        root = undirected_search(steps, source, target, last, diagram, lambda what: _too_meshed(where, what),
                                 MAX_STATES, MAX_TOTAL_STATES)
        return diagram, root
    frontier = [source, target]
    initial = (1, 2)  # frontier [source, target]: each reaches itself only
    states = {initial: None}  # state -> placeholder of its node
    levels = []
    total = 0
    for i, (var, step_edges) in enumerate(steps):
        grown, pairs, keep, ahead = grow_frontier(frontier, step_edges, source, target, last, i)
        # the nodes with an edge into them ahead, and the mask of those with one out of them ahead
        dead_in = [j for j in range(len(grown)) if last_in.get(grown[j], -1) > i]
        dead_out = sum(1 << j for j in range(len(grown)) if last_out.get(grown[j], -1) > i)
        nxt: dict = {}
        transitions = []
        for state in states:
            n = len(state)
            widened = state + tuple(1 << (n + j) for j in range(len(grown) - len(frontier)))
            children = []
            for up in ((True,) if var is None else (False, True)):
                child = _directed_step(widened, pairs, up, keep, ahead, dead_in, dead_out)
                if child not in (FALSE, TRUE):
                    if len(nxt) >= MAX_STATES and child not in nxt:
                        raise _too_meshed(where, f"{MAX_STATES:,} connection states on one frontier")
                    nxt.setdefault(child, None)
                children.append(child)
            transitions.append((state, children))
        levels.append((var, transitions))
        frontier = [grown[j] for j in keep]
        states = nxt
        total += len(nxt)
        if total > MAX_TOTAL_STATES:
            raise _too_meshed(where, f"over {MAX_TOTAL_STATES:,} connection states in all")
    # every branch ends in 0 or 1 once all edges are decided; build the nodes bottom-up
    made: dict = {}
    for var, transitions in reversed(levels):
        here = {}
        level = None if var is None else diagram.level_of[var]
        for state, children in transitions:
            ids = [c if c in (FALSE, TRUE) else made[c] for c in children]
            here[state] = ids[0] if var is None else diagram.node(level, ids[0], ids[1])
        made = here
    return diagram, made[initial]


def breadth_first_ranks(links, source) -> dict:
    """Each node's place in a breadth-first walk from the source over ``(a, b)`` links taken both ways."""
    neighbours = defaultdict(list)
    for a, b in links:
        neighbours[a].append(b)
        neighbours[b].append(a)
    rank = {source: 0}
    queue = deque([source])
    while queue:
        x = queue.popleft()
        for y in neighbours[x]:
            if y not in rank:
                rank[y] = len(rank)
                queue.append(y)
    return rank


def _steps(edges, source, target, directed):
    """Edges grouped by variable (perfect links one by one), in breadth-first order from the source.

    For an acyclic directed network the order is also topological (every edge
    into a node before any edge out of it), so a node's fate is settled as it
    enters the frontier and the states stay few.
    """
    rank = breadth_first_ranks(((a, b) for _, a, b in edges), source)
    if directed:
        rank = _topological(edges, rank) or rank
    far = len(rank)
    def key(edge):
        ra, rb = rank.get(edge[1], far), rank.get(edge[2], far)
        if edge[1] == edge[2]:  # a node's own component: decided before any edge at the node
            return (ra, -1)
        return (max(ra, rb), min(ra, rb))
    ordered = sorted(edges, key=key)
    groups: dict = {}
    perfect = []
    order = []
    for edge in ordered:
        var = edge[0]
        if var is None:
            perfect.append(edge)
            order.append(("p", len(perfect) - 1))
        elif var not in groups:
            groups[var] = [edge]
            order.append(("v", var))
        else:
            groups[var].append(edge)
    steps = [(None, [perfect[i]]) if kind == "p" else (i, groups[i]) for kind, i in order]
    return _nodes_first(steps)


def _nodes_first(steps):
    """Move a node's own step before every step with an edge at that node (a failed node joins nothing).

    A shared component's edges all go at its first edge, which can pull an
    edge at a node ahead of the node's own step; moving that step earlier can
    in turn pull other edges, so this repeats until no node is late.
    """
    position = {id(step): float(n) for n, step in enumerate(steps)}
    for _ in range(len(steps) + 1):
        first_at: dict = {}
        own: dict = {}
        for step in sorted(steps, key=lambda st: position[id(st)]):
            for _, a, b in step[1]:
                if a == b:
                    own[a] = step
                else:
                    for x in (a, b):
                        first_at.setdefault(x, position[id(step)])
        late = [(x, step) for x, step in own.items() if x in first_at and first_at[x] < position[id(step)]]
        if not late:
            return sorted(steps, key=lambda st: position[id(st)])
        for x, step in late:
            position[id(step)] = first_at[x] - 0.5
    raise NodesCrossed()  # two nodes' components each sit on an edge at the other: use ports instead


class NodesCrossed(Exception):
    """No order decides every node before its edges (see :func:`_nodes_first`)."""


def _topological(edges, rank):
    """A topological order of an acyclic directed network, breadth-first ranks breaking ties; None if cyclic."""
    import heapq

    successors = defaultdict(list)
    indegree: dict = defaultdict(int)
    nodes = set()
    for _, a, b in edges:
        successors[a].append(b)
        indegree[b] += 1
        nodes.update((a, b))
    far = len(rank)
    heap = [(rank.get(x, far), n, x) for n, x in enumerate(nodes) if indegree[x] == 0]
    heapq.heapify(heap)
    order: dict = {}
    serial = len(nodes)
    while heap:
        _, _, x = heapq.heappop(heap)
        order[x] = len(order)
        for y in successors[x]:
            indegree[y] -= 1
            if indegree[y] == 0:
                serial += 1
                heapq.heappush(heap, (rank.get(y, far), serial, y))
    return order if len(order) == len(nodes) else None


def _directed_step(reach, pairs, up, keep, ahead, dead_in, dead_out):
    reach = list(reach)
    if up:
        for i, j in pairs:
            bit_i, onward = 1 << i, reach[j]
            for x in range(len(reach)):
                if reach[x] & bit_i:
                    reach[x] |= onward
    if reach[0] & 2:
        return TRUE
    # a node the source does not reach, and that nothing with an edge into it ahead reaches, will
    # never be reached; a node that reaches neither the target nor anything with an edge out of it
    # ahead leads nowhere: neither matters any more
    open_in, open_out = dead_in, dead_out
    ignored = 0
    for j in keep[2:]:
        bit = 1 << j
        if not reach[0] & bit and not any(reach[x] & bit for x in open_in):
            ignored |= bit
        elif not reach[j] & (open_out | 2):
            ignored |= bit
    out = []
    for j in keep:
        if ignored >> j & 1:
            out.append(0)
            continue
        mask, new = reach[j] & ~ignored, 0
        for position, k in enumerate(keep):
            if mask >> k & 1:
                new |= 1 << position
        out.append(new)
    # the source reaches no node with edges ahead, or no such node reaches the target: never connected
    if not ahead[0] and out[0] == 1:
        return FALSE
    if not ahead[1] and not any(out[x] & 2 for x in range(2, len(out))):
        return FALSE
    return tuple(out)


def expand_nodes(edges, node_variables: dict, source, target, directed: bool, native: bool = True):
    """Edges ``(variable or None, a, b)`` with the components of nodes turned into edges (see the notes).

    ``node_variables`` maps a node to the variables of its component (several
    instances: the node works while any does). Returns ``(edges, source, target)``.
    """
    if not node_variables:
        return list(edges), source, target
    out = []
    if directed:
        # a node whose in-edges are all perfect links: each in-edge carries the node's component
        # instead (one variable on several edges), so no node is split and no perfect link is left
        into: dict = defaultdict(list)
        for var, a, b in edges:
            into[b].append(var)
        folded = {x for x in node_variables if x != source and all(var is None for var in into[x])}

        def tail(x):
            return ("out", x) if x in node_variables and x not in folded else x

        def head(x):
            return ("in", x) if x in node_variables and x not in folded else x

        for var, a, b in edges:
            if b in folded:
                out += [(v, tail(a), b) for v in node_variables[b]]
            else:
                out.append((var, tail(a), head(b)))
        for x, variables in node_variables.items():
            if x not in folded:
                out += [(var, ("in", x), ("out", x)) for var in variables]
        return out, head(source), tail(target)
    # a node with one instance is decided in the search itself (a pair (node, node)); several
    # instances (the node works while any does) go through ports and a hub
    if native:
        for x, variables in node_variables.items():
            if len(variables) == 1:
                out.append((variables[0], x, x))
        node_variables = {x: vs for x, vs in node_variables.items() if len(vs) > 1}
    for n, (var, a, b) in enumerate(edges):
        ends = []
        for x in (a, b):
            if x in node_variables:
                port = ("port", n, x)
                out += [(v, port, ("hub", x)) for v in node_variables[x]]
                ends.append(port)
            else:
                ends.append(x)
        out.append((var, ends[0], ends[1]))
    ends = []
    for x in (source, target):
        if x in node_variables:  # the endpoint itself must work: reach it through its own port
            port = ("port", "end", x)
            out += [(v, port, ("hub", x)) for v in node_variables[x]]
            ends.append(port)
        else:
            ends.append(x)
    return out, ends[0], ends[1]
