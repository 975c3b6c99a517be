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
from .frontier import undirected_search

#: Frontier states one level may hold before the network is refused as too meshed to work out exactly
MAX_STATES = 200_000
#: States over all levels (each becomes at most one diagram node): the work the search may do in all
MAX_TOTAL_STATES = 1_000_000
#: Rounds of series-parallel reduction (each nests the reduced edges at most two deeper)
MAX_ROUNDS = 32


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
        entering = []
        for _, a, b in step_edges:
            for x in (a, b):
                if x not in frontier and x not in entering:
                    entering.append(x)
        grown = frontier + entering
        position = {x: j for j, x in enumerate(grown)}
        pairs = [(position[a], position[b]) for _, a, b in step_edges]
        keep = [j for j, x in enumerate(grown) if x in (source, target) or last[x] > i]
        ahead = (last[source] > i, last[target] > i)
        # the nodes with an edge into them ahead, and the mask of those with one out of them ahead
        dead_in = [j for j in range(len(grown)) if last_in.get(grown[j], -1) > i]
        dead_out = sum(1 << j for j in range(len(grown)) if last_out.get(grown[j], -1) > i)
        nxt: dict = {}
        transitions = []
        for state in states:
            n = len(state)
            widened = state + tuple(1 << (n + j) for j in range(len(entering)))
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


def prune(edges, source, target, directed: bool):
    """The edges that can lie on a path from source to target, whatever works.

    Directed: edges whose tail the source reaches and whose head reaches the
    target. Undirected: the edges of the biconnected blocks strung between
    source and target (:func:`_blocks_between`), which drops dangling links and
    whole meshes hanging off a node on the way.
    """
    def reach(start, forward):
        link = defaultdict(list)
        for _, a, b in edges:
            if forward or not directed:
                link[a].append(b)
            if not forward or not directed:
                link[b].append(a)
        seen, stack = {start}, [start]
        while stack:
            for y in link[stack.pop()]:
                if y not in seen:
                    seen.add(y)
                    stack.append(y)
        return seen

    if directed:
        ahead, behind = reach(source, True), reach(target, False)
        # edges into the source or out of the target never help either
        return [e for e in edges if e[1] in ahead and e[2] in behind and e[2] != source and e[1] != target]
    on_path = _blocks_between(edges, source, target)
    return [e for n, e in enumerate(edges) if n in on_path]


def _without_dangling(edges, source, target):
    """Undirected edges without nodes of one edge (other than source and target), again and again."""
    while True:
        degree: dict = defaultdict(int)
        for _, a, b in edges:
            degree[a] += 1
            degree[b] += 1
        dangling = {x for x, d in degree.items() if d <= 1 and x not in (source, target)}
        if not dangling:
            return edges
        edges = [e for e in edges if e[1] not in dangling and e[2] not in dangling]


def _blocks_between(edges, source, target) -> set:
    """Indices of the edges in the blocks (biconnected parts) that a path from source to target passes through.

    A simple path from source to target enters and leaves each block at most
    once, through the blocks strung between them in the block-cut tree; an
    edge in any other block (a mesh hanging off a switch on the way, a
    dangling link) lies on no such path. Blocks by Tarjan's depth-first
    search with a stack of edges (Hopcroft & Tarjan, CACM 16(6), 1973),
    written without recursion; parallel edges are told apart by index.
    """
    links = defaultdict(list)
    for n, (_, a, b) in enumerate(edges):
        if a != b:
            links[a].append((b, n))
            links[b].append((a, n))
    order = {source: 0}
    low = {source: 0}
    blocks = []
    pending: list = []  # edges of blocks not closed yet
    stack = [(source, -1, iter(links[source]))]
    while stack:
        v, via, ahead = stack[-1]
        for w, n in ahead:
            if n == via:
                continue
            if w not in order:
                order[w] = low[w] = len(order)
                pending.append(n)
                stack.append((w, n, iter(links[w])))
                break
            if order[w] < order[v]:  # an edge back to an ancestor (or a second edge to the parent)
                low[v] = min(low[v], order[w])
                pending.append(n)
        else:
            stack.pop()
            if stack:
                u = stack[-1][0]
                low[u] = min(low[u], low[v])
                if low[v] >= order[u]:  # u cuts v's subtree off: the edges since (u, v) are one block
                    block = set()
                    while True:
                        n = pending.pop()
                        block.add(n)
                        if n == via:
                            break
                    blocks.append(block)
    if target not in order:
        return set()
    # the block-cut tree as nodes and blocks; its one path from source to target
    holding = defaultdict(list)  # node -> blocks it lies in
    for i, block in enumerate(blocks):
        for x in {y for n in block for y in edges[n][1:]}:
            holding[x].append(i)
    came = {("node", source): None}
    queue = deque([("node", source)])
    while queue:
        item = queue.popleft()
        kind, x = item
        if kind == "node":
            ahead = [("block", i) for i in holding[x]]
        else:
            ahead = [("node", y) for y in {y for n in blocks[x] for y in edges[n][1:]}]
        for nxt in ahead:
            if nxt not in came:
                came[nxt] = item
                queue.append(nxt)
    kept: set = set()
    item = ("node", target)
    while item is not None:
        if item[0] == "block":
            kept |= blocks[item[1]]
        item = came[item]
    return kept


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


def series_parallel(edges, node_variables: dict, source, target, directed: bool):
    """The network after the classic reliability-preserving reductions, and what each new edge stands for.

    Repeated until nothing changes (at most :data:`MAX_ROUNDS` times, and
    while a round takes off at least a sixteenth of the edges): two
    edges between the same pair of nodes (the same direction, if directed)
    become one edge that works while either
    does (parallel); a node other than the source and target with exactly two
    edges (directed: one in, one out) is removed and its edges joined into one
    that works while both edges and the node's component do (series); an edge
    whose ends meet (a loop) is dropped, and dangling nodes with it (they lie
    on no path). ``edges`` as :func:`prune` leaves them. Returns
    ``(edges, node_variables, composites)``: an edge's
    variable is an instance variable, None (a perfect link) or a key
    ``("sp", n)`` of ``composites``, which maps it to ``("and" | "or",
    members)`` over variables and earlier keys. The structure function over
    the new edges with each key read as its expression is the original one
    (Satyanarayana & Wood, SIAM J. Computing 14(4), 1985; Colbourn 1987, ch.
    2), whether or not components repeat, since the keys are substituted back
    into the decision diagram as functions (:func:`relcalc.rbd.plans.network_diagram`).
    """
    composites: dict = {}
    node_variables = dict(node_variables)

    def node_term(x):
        found = node_variables.get(x)
        if not found:
            return None
        return found[0] if len(found) == 1 else combine("or", list(found))

    def combine(kind: str, members: list):
        if kind == "and":
            members = [m for m in members if m is not None]
            if not members:
                return None
        elif any(m is None for m in members):
            return None  # a perfect link in parallel: always works
        members = list(dict.fromkeys(members))  # the same variable twice is itself (x and x, x or x)
        if len(members) == 1:
            return members[0]
        key = ("sp", len(composites))
        composites[key] = (kind, members)
        return key

    edges = list(edges)
    changed = True
    rounds = before = 0
    while changed and rounds < MAX_ROUNDS:
        if rounds and before - len(edges) < before // 16:
            break  # a ladder would take a round per rung: once a round takes off few edges, the search does the rest
        changed = False
        rounds += 1
        before = len(edges)
        edges = [e for e in edges if e[1] != e[2]]
        # the blocks are already pruned (the reductions keep them), so only links left dangling go
        edges = prune(edges, source, target, True) if directed else _without_dangling(edges, source, target)
        # parallel: edges between the same nodes
        bundles: dict = defaultdict(list)
        for var, a, b in edges:
            bundles[(a, b) if directed else frozenset((a, b))].append((var, a, b))
        if any(len(bundle) > 1 for bundle in bundles.values()):
            changed = True
            edges = [bundle[0] if len(bundle) == 1 else (combine("or", [e[0] for e in bundle]),) + bundle[0][1:]
                     for bundle in bundles.values()]
        # series: one node at a time among those with two edges (their neighbours may change)
        touching: dict = defaultdict(list)
        for n, (var, a, b) in enumerate(edges):
            touching[a].append(n)
            touching[b].append(n)
        gone: set = set()
        joined = []
        for x, at in touching.items():
            if x in (source, target) or len(at) != 2 or gone.intersection(at):
                continue
            first, second = (edges[n] for n in at)
            if directed:
                if first[2] == x and second[1] == x:
                    into, out = first, second
                elif second[2] == x and first[1] == x:
                    into, out = second, first
                else:
                    continue  # both in or both out: x leads nowhere, prune drops it
                ends = (into[1], out[2])
            else:
                ends = (first[1] if first[2] == x else first[2], second[1] if second[2] == x else second[2])
            gone.update(at)
            joined.append((combine("and", [first[0], node_term(x), second[0]]),) + ends)
            node_variables.pop(x, None)
        if gone:
            changed = True
            edges = [e for n, e in enumerate(edges) if n not in gone] + joined
    return edges, node_variables, composites
