"""The improvement search: every component and the Raft store are candidates, ranked by downtime saved.

Each candidate is one change, evaluated on the whole service (the block
diagram in series with the store), so the downtime it leaves is the
service's, the same figure the summary reports:

- a component with an MTBF and MTTR: halve its MTTR;
- any component: one more instance where it already has several (``count``
  n -> n + 1; evaluated, so a series use that would get worse is dropped),
  else a redundant independent instance with its own repair, which turns the
  instance's unavailability u into u^2 (two independent units in parallel);
- a component given only by its availability: also one more nine (u -> u/10);
- the Raft store: two more nodes, halving its nodes' MTTR, and parallel
  repair where crews are limited (each analysed the way the store is).

Changes that save nothing are left out. In a large diagram only the
MAX_COMPONENTS components with the most improvement potential (summed over
their instances) are tried, so the search is a bounded number of exact
evaluations whatever the diagram's size.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from ..rbd.model import Component


#: Components tried in the search, those with the most improvement potential first.
MAX_COMPONENTS = 20


@dataclass(frozen=True)
class Improvement:
    """One change and the service's downtime per year before and after it (hours)."""

    action: str
    target: str  #: the component's name, or "raft store"
    downtime_before_hours: float
    downtime_after_hours: float

    @property
    def saved_hours(self) -> float:
        return self.downtime_before_hours - self.downtime_after_hours


def _hours(hours: float) -> str:
    """A repair time for people: 2 h, 30 min, 45 s."""
    if hours >= 1:
        return f"{hours:g} h"
    if hours * 60 >= 1:
        return f"{hours * 60:g} min"
    return f"{hours * 3600:g} s"


def _bare(comp: Component, unavailability: float) -> Component:
    """``comp`` as a bare availability with the given unavailability (no rates: steady state only)."""
    return Component(comp.name, availability=1.0 - unavailability, unavailability=unavailability,
                     count=comp.count, weibull_shape=comp.weibull_shape)


def _standby_names(block, out: set[str]) -> set[str]:
    """Components used as standby groups: their spares are modelled by rates, so they keep them."""
    from ..rbd.model import Standby, Use

    if isinstance(block, Standby):
        out.add(block.name)
    elif not isinstance(block, Use):
        for child in getattr(block, "children", ()):  # a network has edges, not children: no standby inside
            _standby_names(child, out)
    return out


def _component_changes(comp: Component, standby: bool) -> list[tuple[str, Component]]:
    changes = []
    if comp.mttr_hours is not None:
        changes.append((f"halve the MTTR of {comp.name} ({_hours(comp.mttr_hours)} to {_hours(comp.mttr_hours / 2)})",
                        comp.with_mttr(comp.mttr_hours / 2)))
    if comp.count > 1:
        changes.append((f"one more instance of {comp.name} ({comp.count} to {comp.count + 1})",
                        Component(comp.name, comp.availability, comp.unavailability, comp.failure_rate,
                                  comp.repair_rate, comp.count + 1, comp.weibull_shape)))
    elif not standby:
        # a parallel pair of independent units with their own repair: U = u^2 exactly in the steady state
        changes.append((f"add a redundant {comp.name} (own repair)",
                        _bare(comp, comp.unavailability ** 2)))
    if comp.mttr_hours is None and not standby:
        changes.append((f"one more nine for {comp.name} (unavailability {comp.unavailability:.3g} to "
                        f"{comp.unavailability / 10:.3g})", _bare(comp, comp.unavailability / 10)))
    return changes


def search_improvements(spec, diagram, u_store: float, store_runner: Callable | None, resized: Callable,
                        ) -> tuple[Improvement, ...]:
    """Every candidate change of ``spec`` that saves downtime, most saved first (ties by name, for a stable order).

    ``diagram`` is the evaluated block diagram, ``u_store`` the store's write
    unavailability, ``store_runner`` analyses a store model (None without a
    store) and ``resized`` gives the store with another node count.
    """
    from ..rbd import evaluate
    from .analysis import combine

    year = diagram.calendar.year_hours
    before = combine(diagram.unavailability, u_store)[1] * year
    found: list[Improvement] = []
    standby = _standby_names(spec.system.root, set())
    # members of a repair group keep their rates too: the group's chain needs them (no bare availabilities)
    standby |= {name for group in spec.system.repair for name in group.members}
    potential: dict[str, float] = defaultdict(float)
    for item in diagram.importance:
        potential[re.sub(r"#[0-9]+$", "", item.name)] += item.improvement_potential
    tried = sorted(spec.system.components.values(), key=lambda c: (-potential[c.name], c.name))[:MAX_COMPONENTS]
    for comp in tried:
        for action, changed in _component_changes(comp, comp.name in standby):
            u = evaluate(spec.system.with_component(changed), importance=False).unavailability
            found.append(Improvement(action, comp.name, before, combine(u, u_store)[1] * year))
    if spec.raft is not None and store_runner is not None:
        model = spec.raft
        options = [(f"grow the Raft store from {model.nodes} to {model.nodes + 2} nodes",
                    resized(model, model.nodes + 2)),
                   (f"halve the store nodes' MTTR ({_hours(model.ttr.mean)} to {_hours(model.ttr.mean / 2)})",
                    model.with_(ttr=type(model.ttr)(model.ttr.kind, model.ttr.mean / 2, model.ttr.shape)))]
        if model.crews:
            crews = f"{model.crews} crew" + ("s" if model.crews > 1 else "")
            options.append((f"repair store nodes in parallel (now {crews})", model.with_(crews=0)))
        for action, other in options:
            u = store_runner(other).unavailability.value or 0.0
            found.append(Improvement(action, "raft store", before, combine(diagram.unavailability, u)[1] * year))
    found.sort(key=lambda imp: (-imp.saved_hours, imp.action))
    return tuple(imp for imp in found if imp.saved_hours > 0)


__all__ = ["Improvement", "search_improvements"]
