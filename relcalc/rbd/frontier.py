"""One level of the undirected frontier search for many states at once, in numpy.

Notes
-----
The same step as :func:`relcalc.rbd.network._undirected_step` (a state is
the partition of the frontier into connected groups, numbered by first
appearance, failed nodes marked ``DEAD``), applied to every state of a level
as one integer array with a row per state: joining groups is a masked
replacement per edge, and numbering the groups again by first appearance is
a scatter of each label's first column followed by a running count of first
appearances. The search calls it where a level holds many states, where a
Python call per state would dominate (a meshed undirected network's search
runs through hundreds of thousands of states).
"""

from __future__ import annotations

from .bdd import FALSE, TRUE

DEAD = -1  #: the group label of a failed node (as in relcalc.rbd.network)


def undirected_level(states, extra: int, pairs, branches, keep, ahead):
    """For each state (equal-length tuples), its child per branch: TRUE, FALSE or the child's tuple.

    ``extra`` new frontier nodes enter as groups of their own; ``branches``
    is ``(True,)`` for a perfect link or ``(False, True)`` (down, up);
    ``pairs``, ``keep`` and ``ahead`` as in the one-state step.
    """
    import numpy as np

    grown = np.array(states, dtype=np.int16)
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
        out.append(_children(_first_appearance(kept, np), true, false))
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


def _children(renumbered, true, false) -> list:
    return [TRUE if t else FALSE if f else tuple(row)
            for row, t, f in zip(renumbered.tolist(), true.tolist(), false.tolist())]
