"""Single points of failure of a service: the order-1 minimal cut sets of its diagram, and of its Raft store.

In the diagram they are the instances whose failure alone, everything else
up, takes it down (:func:`relcalc.rbd.cuts.cut_sets` with order 1). The
store is in series with the diagram; inside it, one failure loses the quorum
when the store tolerates no node down (1 or 2 nodes), and one zone failure
does when a zone that can fail holds at least ``nodes - quorum + 1`` nodes.
Each comes with its own steady-state unavailability ``MTTR / (MTBF + MTTR)``
and the downtime a year it alone would cause: a bound from below on what
removing it saves, since it may also sit in larger cut sets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SinglePoint:
    """One failure that alone takes the service down."""

    name: str  #: the instance (``lb``, ``app[1]``) or the store's part (``zone 1 of the raft store``)
    part: str  #: ``diagram`` or ``raft store``
    unavailability: float  #: P(it is down), steady state
    downtime_per_year_hours: float  #: unavailability x the year
    why: str


def single_points(system, model, year_hours: float) -> tuple[SinglePoint, ...]:
    """The diagram's order-1 cut sets (most likely first), then the store's (``model`` a RaftModel or None)."""
    from ..rbd.cuts import cut_sets

    found = cut_sets(system, 1, unavailability=1.0)  # shares are not used: the unavailability only scales them
    out = [SinglePoint(c.components[0], "diagram", c.probability, c.probability * year_hours,
                       "in series: its failure alone takes the block diagram down")
           for c in sorted((c for c in found.cut_sets if c.order == 1 and c.probability is not None),
                           key=lambda c: (-c.probability, c.components))]
    if model is not None:
        out.extend(_store_points(model, year_hours))
    return tuple(out)


def _down(mtbf: float, mttr: float) -> float:
    return mttr / (mtbf + mttr)  # computed directly, never as 1 - A


def _store_points(model, year_hours: float) -> list[SinglePoint]:
    lost = model.nodes - model.quorum + 1  # nodes down that lose the quorum
    out = []
    if lost == 1:
        u = _down(model.ttf.mean, model.ttr.mean)
        out.append(SinglePoint(f"any of the {model.nodes} store nodes" if model.nodes > 1 else "the store node",
                               "raft store", u, u * year_hours,
                               f"{model.nodes} node{'s' if model.nodes > 1 else ''}, quorum {model.quorum}: one node "
                               "down loses the quorum"))
    if model.zone_ttf is not None:
        u = _down(model.zone_ttf.mean, model.zone_ttr.mean)
        for i, held in enumerate(model.zones, 1):
            if held >= lost and len(model.zones) > 1:
                out.append(SinglePoint(f"zone {i} of the raft store", "raft store", u, u * year_hours,
                                       f"holds {held} of {model.nodes} nodes; {lost} down lose the quorum"))
            elif held >= lost:
                out.append(SinglePoint("the raft store's zone", "raft store", u, u * year_hours,
                                       f"all {model.nodes} nodes are in one zone"))
    return out
