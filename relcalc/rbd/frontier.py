"""The frontier search of an undirected network: a level at a time, in numpy where a level holds many states.

Notes
-----
A state is the partition of the frontier into connected groups, numbered by
first appearance, failed nodes marked ``DEAD`` (see
:mod:`relcalc.rbd.network`). A level with few states is stepped one state
at a time (:func:`undirected_step`); one with many is stepped as one integer
array with a row per state (:func:`undirected_rows`): joining groups is a
masked replacement per edge, numbering the groups again by first appearance
is a scatter of each label's first column followed by a running count of
first appearances, and equal children are found by sorting the rows. Each
level keeps, per branch, a code per state: 0 and 1 for the constant
functions, ``n + 2`` for the next level's state ``n``; the diagram is then
built bottom-up from the codes.
"""

from __future__ import annotations

from .bdd import FALSE, TRUE

DEAD = -1  #: the group label of a failed node: nothing joins through it
BATCH = 256  #: states on a level from which it is stepped in numpy
MAX_CELLS = 40_000_000  #: states times frontier nodes on one level (int16 labels: 80 MB an array, a few at once)


def grow_frontier(frontier: list, step_edges, source, target, last: dict, i: int):
    """One step of a frontier search: the frontier with the step's new nodes, the step's edges as positions in
    it, the positions kept after the step (nodes with edges ahead, and the two ends) and whether each end has
    edges ahead."""
    entering = []
    for _, a, b in step_edges:
        for x in (a, b):
            if x not in frontier and x not in entering:
                entering.append(x)
    grown = frontier + entering
    position = {x: j for j, x in enumerate(grown)}
    pairs = [(position[a], position[b]) for _, a, b in step_edges]
    keep = [j for j, x in enumerate(grown) if x in (source, target) or last[x] > i]
    return grown, pairs, keep, (last[source] > i, last[target] > i)


def undirected_search(steps, source, target, last: dict, diagram, too_meshed, max_states: int, max_total: int) -> int:
    """The root of the diagram of "target reached from source" over ``steps`` (see the module notes).

    ``last`` gives each node's last step; ``too_meshed(what)`` makes the
    refusal where a level passes ``max_states`` or all levels ``max_total``.
    """
    import numpy as np

    frontier = [source, target]
    states = [(0, 1)]  # frontier [source, target]: two separate groups
    rows = None  # the same states as an array, once a level has been stepped in numpy
    levels = []
    total = 0
    for i, (var, step_edges) in enumerate(steps):
        grown, pairs, keep, ahead = grow_frontier(frontier, step_edges, source, target, last, i)
        branches = (True,) if var is None else (False, True)
        count = len(states) if rows is None else len(rows)
        if count >= BATCH:
            if count * len(grown) > MAX_CELLS or len(grown) >= 2**15:  # 80 MB an array; labels in int16
                raise too_meshed(f"{count:,} connection states on a frontier of {len(grown):,} nodes")
            if rows is None:
                rows = np.array(states, dtype=np.int16)
            found = undirected_rows(rows, len(grown) - len(frontier), pairs, branches, keep, ahead)
            live = [~(true | false) for _, true, false in found]
            children = np.concatenate([labels[alive] for (labels, _, _), alive in zip(found, live)])
            if len(children):
                # equal rows found by sorting them as byte strings (several times faster than unique by axis)
                children = np.ascontiguousarray(children)
                as_bytes = children.view(np.dtype((np.void, children.shape[1] * children.itemsize))).reshape(-1)
                _, first, inverse = np.unique(as_bytes, return_index=True, return_inverse=True)
                rows, inverse = children[first], inverse.reshape(-1)
            else:
                rows, inverse = children, children[:, 0]
            codes, start = [], 0
            for (_, true, _), alive in zip(found, live):
                code = true.astype(np.int64)  # FALSE 0, TRUE 1
                taken = int(alive.sum())
                code[alive] = inverse[start:start + taken] + 2
                start += taken
                codes.append(code.tolist())
            states = None
            count = len(rows)
        else:
            if rows is not None:
                states = list(map(tuple, rows.tolist()))
                rows = None
            index: dict = {}
            codes = [[] for _ in branches]
            extra = tuple(range(len(frontier), len(grown)))  # new nodes: groups of their own
            for state in states:
                widened = state + extra
                for b, up in enumerate(branches):
                    child = undirected_step(widened, pairs, up, keep, ahead)
                    codes[b].append(child if child in (FALSE, TRUE) else index.setdefault(child, len(index)) + 2)
            states = list(index)
            count = len(states)
        if count > max_states:
            raise too_meshed(f"{max_states:,} connection states on one frontier")
        total += count
        if total > max_total:
            raise too_meshed(f"over {max_total:,} connection states in all")
        levels.append((var, codes))
        frontier = [grown[j] for j in keep]
    # every branch ends in 0 or 1 once all edges are decided; the nodes bottom-up
    made: list = []
    node = diagram.node
    for var, codes in reversed(levels):
        ids = [[c if c < 2 else made[c - 2] for c in branch] for branch in codes]
        if var is None:
            made = ids[0]
        else:
            level = diagram.level_of[var]
            made = [node(level, lo, hi) for lo, hi in zip(ids[0], ids[1])]
    return made[0]


def undirected_step(labels, pairs, up, keep, ahead):
    """One variable decided: its edges join groups if it works; a node it sits on (pair (i, i)) fails if not."""
    labels = list(labels)
    if up:
        for i, j in pairs:
            li, lj = labels[i], labels[j]
            if li != lj and li != DEAD and lj != DEAD:
                labels = [li if x == lj else x for x in labels]
    else:
        for i, j in pairs:
            if i == j:
                if i < 2:
                    return FALSE  # the source or target node itself has failed
                labels[i] = DEAD
    if labels[0] == labels[1]:
        return TRUE
    kept = [labels[j] for j in keep]
    # an endpoint alone in its group, with no edge ahead, can never be joined to the other
    for end in (0, 1):
        if not ahead[end] and kept.count(kept[end]) == 1:
            return FALSE
    relabel: dict = {DEAD: DEAD}
    return tuple(relabel.setdefault(x, len(relabel) - 1) for x in kept)


def undirected_rows(states, extra: int, pairs, branches, keep, ahead):
    """Per branch, (children's labels, reached the target, never can), a row per state of the array ``states``.

    ``extra`` new frontier nodes enter as groups of their own; ``branches``
    is ``(True,)`` for a perfect link or ``(False, True)`` (down, up);
    ``pairs``, ``keep`` and ``ahead`` as in :func:`undirected_step`.
    """
    import numpy as np

    grown = states
    n, width = grown.shape
    if extra:
        fresh = np.arange(width, width + extra, dtype=np.int16)
        grown = np.hstack([grown, np.broadcast_to(fresh, (n, extra))])
        width += extra
    out = []
    for up in branches:
        labels = grown.copy()
        false = np.zeros(n, dtype=bool)
        if up:
            for i, j in pairs:
                if i == j:
                    continue  # a node that works joins nothing by itself
                li, lj = labels[:, i].copy(), labels[:, j].copy()
                join = (li != lj) & (li != DEAD) & (lj != DEAD)
                if join.any():
                    labels = np.where(join[:, None] & (labels == lj[:, None]), li[:, None], labels)
        else:
            for i, j in pairs:
                if i == j:
                    if i < 2:
                        false[:] = True  # the source or target node itself has failed
                    else:
                        labels[:, i] = DEAD
        true = (labels[:, 0] == labels[:, 1]) & ~false
        kept = labels[:, keep]
        for end in (0, 1):
            if not ahead[end]:  # alone in its group with no edge ahead: never joined to the other end
                false |= ((kept == kept[:, [end]]).sum(axis=1) == 1) & ~true
        out.append((_first_appearance(kept, np), true, false))
    return out


def _first_appearance(kept, np):
    """Each row's labels renumbered 0, 1, ... in order of first appearance, DEAD kept."""
    n, width = kept.shape
    if width == 0:
        return kept
    rows = np.arange(n)
    # the column of each label's first appearance (labels run from DEAD = -1 up; dropped columns leave gaps)
    first = np.full((n, int(kept.max()) + 2), width, dtype=np.int16)
    for c in range(width - 1, -1, -1):
        first[rows, kept[:, c] + 1] = c
    at = np.take_along_axis(first, (kept + 1).astype(np.intp), axis=1)
    opens = (at == np.arange(width)) & (kept != DEAD)
    order = np.cumsum(opens, axis=1, dtype=np.int16) - 1
    renumbered = np.take_along_axis(order, at.astype(np.intp), axis=1)
    renumbered[kept == DEAD] = DEAD
    return renumbered
