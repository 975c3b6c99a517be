"""Reductions of a two-terminal network before its search: what lies on no path, series and parallel stretches.

Notes
-----
Each keeps the structure function: an edge that lies on no simple path from
the source to the target never matters (directed: not reachable from the
source or not reaching the target; undirected: outside the biconnected
blocks strung between the two), and a series or parallel stretch works
exactly when the and / or of its components does. The reduced edges are put
back into the decision diagram as those functions
(:func:`relcalc.rbd.plans.network_diagram`), so every output - importance,
frequency, cut sets - is over the network's own components.

References: Satyanarayana & Wood, "A linear-time algorithm for computing
K-terminal reliability in series-parallel networks", SIAM J. Computing
14(4), 1985; Colbourn, *The Combinatorics of Network Reliability* (Oxford,
1987), ch. 2; Hopcroft & Tarjan, "Efficient algorithms for graph
manipulation", CACM 16(6), 1973.
"""

from __future__ import annotations

from collections import defaultdict, deque

#: Rounds of series-parallel reduction (each nests the reduced edges at most two deeper)
MAX_ROUNDS = 32


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


def series_parallel(edges, node_variables: dict, source, target, directed: bool):
    """The network after the classic reliability-preserving reductions, and what each new edge stands for.

    Repeated until nothing changes (at most :data:`MAX_ROUNDS` times, and
    while a round takes off at least a sixteenth of the edges): two edges
    between the same pair of nodes (the same direction, if directed) become
    one edge that works while either does (parallel); a node other than the
    source and target with exactly two edges (directed: one in, one out) is
    removed and its edges joined into one that works while both edges and the
    node's component do (series); an edge whose ends meet (a loop) is
    dropped, and dangling nodes with it (they lie on no path). ``edges`` as
    :func:`prune` leaves them.

    Returns ``(edges, node_variables, composites)``: an edge's variable is an
    instance variable, None (a perfect link) or a key ``("sp", n)`` of
    ``composites``, which maps it to ``("and" | "or", members)`` over
    variables and earlier keys. The structure function over the new edges,
    each key read as its expression, is the original one whether or not
    components repeat, since the keys go back into the decision diagram as
    functions (:func:`relcalc.rbd.plans.network_diagram`).
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
