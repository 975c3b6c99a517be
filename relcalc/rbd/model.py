"""The structure model of a reliability block diagram.

A :class:`System` holds named components and a tree of blocks. Leaves refer
to component *instances*: a component with ``count: 3`` stands for three
independent identical instances, and every use of its name refers to the same
physical instances, so a name used in two places is shared, never copied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..errors import InputError, excerpt

MAX_DEPTH = 200  #: deeper nesting is refused with a clean error
#: Limits no real diagram meets, so that every spec is evaluated in bounded time and memory:
#: instances of one component (count, 3x, 2/3), instances in a whole system, and units in
#: a standby block (its chain is dense: n^2 memory, and a matrix exponential per mission time).
MAX_INSTANCES = 100_000
MAX_TOTAL_INSTANCES = 1_000_000
MAX_STANDBY_UNITS = 50
#: Weibull shapes outside this range put the mean life where R(t) is below 1e-40 (shape < 0.1)
#: or make the time to failure a step at eta (shape > 100): refused rather than mis-integrated.
WEIBULL_SHAPE_RANGE = (0.1, 100.0)


class TooFewInstances(InputError):
    """A k-of-n or standby block with fewer instances than it needs (a search over counts skips these)."""


class TooManyInstances(InputError):
    """More instances than a limit allows (a search over counts stops here)."""


@dataclass(frozen=True)
class Component:
    """One component type: rates (per hour) or a bare availability, and a count.

    ``unavailability`` is carried directly; for a component with rates it is
    lambda / (lambda + mu), never 1 - A.
    """

    name: str
    availability: float
    unavailability: float
    failure_rate: float | None = None  #: per hour; None for a bare availability
    repair_rate: float | None = None  #: per hour
    count: int = 1
    weibull_shape: float = 1.0  #: shape of the time to failure for mission reliability
    lognormal_sigma: float | None = None  #: a lognormal time to failure (sigma of its log) instead, for missions

    @classmethod
    def from_times(cls, name: str, mtbf_hours: float, mttr_hours: float, **kw) -> "Component":
        return cls(
            name,
            availability=mtbf_hours / (mtbf_hours + mttr_hours),
            unavailability=mttr_hours / (mtbf_hours + mttr_hours),
            failure_rate=1.0 / mtbf_hours,
            repair_rate=1.0 / mttr_hours,
            **kw,
        )

    @property
    def mtbf_hours(self) -> float | None:
        return None if self.failure_rate is None else 1.0 / self.failure_rate

    @property
    def mttr_hours(self) -> float | None:
        return None if self.repair_rate is None else 1.0 / self.repair_rate

    @property
    def failure_frequency_per_hour(self) -> float | None:
        """Steady-state failures per hour of one instance, 1 / (MTBF + MTTR)."""
        if self.failure_rate is None:
            return None
        return 1.0 / (self.mtbf_hours + self.mttr_hours)

    def with_mttr(self, mttr_hours: float) -> "Component":
        if self.failure_rate is None:
            raise InputError(f"component {excerpt(self.name)} has no MTBF/MTTR, only an availability")
        return Component.from_times(
            self.name, self.mtbf_hours, mttr_hours, count=self.count, weibull_shape=self.weibull_shape,
            lognormal_sigma=self.lognormal_sigma,
        )

    def instance_names(self) -> list[str]:
        if self.count == 1:
            return [self.name]
        return [f"{self.name}#{i}" for i in range(1, self.count + 1)]


# Blocks. ``Use`` is a reference to a component by name; the evaluator expands
# it to the component's instances in place (so ``parallel: [app]`` with
# ``count: 3`` is three app instances in parallel).


@dataclass(frozen=True)
class Use:
    name: str
    where: str = ""


@dataclass(frozen=True)
class Series:
    children: tuple
    where: str = ""


@dataclass(frozen=True)
class Parallel:
    children: tuple
    where: str = ""


@dataclass(frozen=True)
class KofN:
    k: int
    children: tuple
    where: str = ""


@dataclass(frozen=True)
class Standby:
    """``active`` of ``count`` instances of one component needed, the rest spares.

    ``mode`` is ``cold`` (spares do not fail), ``warm`` (spares fail at
    ``dormant_factor`` times the active rate) or ``hot`` (spares fail like
    active units); ``switch`` is the probability that a switch-over works.
    """

    name: str
    active: int
    mode: str = "cold"
    dormant_factor: float = 0.0
    switch: float = 1.0
    where: str = ""
    crews: int = 0  #: repair crews for the block's units; 0: one per unit

    @property
    def label(self) -> str:
        return f"standby({self.name})"


@dataclass(frozen=True)
class Network:
    """Two-terminal network: up while ``target`` is reached from ``source`` over working edges and nodes.

    ``edges`` are ``(component or None, from, to)`` (None: a perfect link); a
    component with ``count`` n on an edge is n parallel links. ``nodes`` gives
    components to nodes, ``(node, component)``. Undirected unless ``directed``.
    """

    edges: tuple
    source: object
    target: object
    directed: bool = False
    nodes: tuple = ()
    where: str = ""

    @property
    def references(self) -> list[str]:
        """Component references as written: a name (all its instances) or ``name#i`` (one instance)."""
        found = [name for name, _, _ in self.edges if name is not None] + [name for _, name in self.nodes]
        return list(dict.fromkeys(found))

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(split_reference(r)[0] for r in self.references))


def split_reference(reference: str) -> tuple[str, int | None]:
    """``line#3`` -> ("line", 3); ``line`` -> ("line", None)."""
    name, sep, index = reference.rpartition("#")
    if sep and name and index.isdigit():
        return name, int(index)
    return reference, None


Block = Use | Series | Parallel | KofN | Standby | Network


@dataclass(frozen=True)
class System:
    """Components by name and the root block."""

    components: dict[str, Component]
    root: Block
    notes: tuple[str, ...] = field(default_factory=tuple)
    repair: tuple = ()  #: shared repair groups (relcalc.rbd.repair.RepairGroup); components outside have own crews

    def with_component(self, component: Component) -> "System":
        components = dict(self.components)
        components[component.name] = component
        return replace(self, components=components)

    def validate(self) -> None:
        """Check every name, k and block; raise InputError naming the place."""
        used_in_standby: dict[str, str] = {}
        used_elsewhere: dict[str, str] = {}
        stack = [(self.root, 1)]
        while stack:
            block, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise InputError(f"{block.where or 'system'}: nesting deeper than {MAX_DEPTH} levels")
            if isinstance(block, Network):
                _check_network(block, self.components)
                for name in block.names:
                    used_elsewhere.setdefault(name, block.where)
                continue
            if isinstance(block, (Use, Standby)):
                if block.name not in self.components:
                    names = sorted(self.components)
                    known = ", ".join(excerpt(n, 30, quote=False) for n in names[:10]) or "none"
                    known += f" and {len(names) - 10:,} more" if len(names) > 10 else ""
                    raise InputError(f"{block.where}: unknown component {excerpt(block.name)} (defined: {known})")
                target = used_in_standby if isinstance(block, Standby) else used_elsewhere
                target.setdefault(block.name, block.where)
                if isinstance(block, Standby):
                    _check_standby(block, self.components[block.name])
                continue
            if not block.children:
                raise InputError(f"{block.where}: empty block")
            if isinstance(block, KofN):
                n = sum(self.member_count(child) for child in block.children)
                if not 1 <= block.k <= n:
                    error = TooFewInstances if block.k > n else InputError
                    raise error(f"{block.where}: k must be between 1 and n = {n}, got k = {block.k}")
            stack.extend((child, depth + 1) for child in block.children)
        total = sum(c.count for c in self.components.values())
        if total > MAX_TOTAL_INSTANCES:
            raise InputError(
                f"components: {total:,} instances in all; at most {MAX_TOTAL_INSTANCES:,} are supported"
            )
        for name in used_in_standby.keys() & used_elsewhere.keys():
            raise InputError(
                f"{used_elsewhere[name]}: component {excerpt(name)} is in a standby block; it cannot be used elsewhere too"
            )

    def member_count(self, block: Block) -> int:
        """How many members a child adds to a k-of-n block (a name adds its instances)."""
        if isinstance(block, Use):
            return self.components[block.name].count if block.name in self.components else 1
        return 1


MAX_NETWORK_EDGES = 100_000  #: larger networks are refused before any work


def _check_network(block: Network, components: dict) -> None:
    where = block.where
    if not block.edges:
        raise InputError(f"{where}.edges: a network needs at least one edge")
    if len(block.edges) > MAX_NETWORK_EDGES:
        raise InputError(f"{where}.edges: {len(block.edges):,} edges; at most {MAX_NETWORK_EDGES:,} are worked out")
    for reference in block.references:
        name, index = split_reference(reference)
        if name not in components:
            known = ", ".join(sorted(components)) or "none"
            raise InputError(f"{where}: unknown component {name!r} (defined: {known})")
        count = components[name].count
        if index is not None and not 1 <= index <= count:
            raise InputError(f"{where}: {reference!r} names instance {index} of {name!r}, which has {count} (count: {count})")
    ends = {x for _, a, b in block.edges for x in (a, b)}
    for label, node in (("source", block.source), ("target", block.target)):
        if node not in ends:
            raise InputError(f"{where}.{label}: node {node!r} is on no edge")
    if block.source == block.target:
        raise InputError(f"{where}: source and target are the same node {block.source!r}")
    for node, _ in block.nodes:
        if node not in ends:
            raise InputError(f"{where}.nodes: node {node!r} is on no edge")
    if not _reachable(block):
        way = "along the edges' directions " if block.directed else ""
        raise InputError(f"{where}: no path {way}from {block.source!r} to {block.target!r} even with everything up, "
                         "so the network could never work (a misspelt node?)")


def _reachable(block: Network) -> bool:
    """Whether the target can be reached from the source over every edge (the network with nothing failed)."""
    neighbours: dict = {}
    for _, a, b in block.edges:
        neighbours.setdefault(a, []).append(b)
        if not block.directed:
            neighbours.setdefault(b, []).append(a)
    seen, frontier = {block.source}, [block.source]
    while frontier:
        node = frontier.pop()
        for other in neighbours.get(node, ()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return block.target in seen


def _check_standby(block: Standby, component: Component) -> None:
    where = block.where
    if component.failure_rate is None:
        raise InputError(f"{where}: standby needs MTBF and MTTR for {excerpt(component.name)}, not a bare availability")
    if not 1 <= block.active < component.count:
        raise (TooFewInstances if block.active >= 1 else InputError)(
            f"{where}: standby needs 1 <= active < count; {excerpt(component.name)} has count {component.count}, active {block.active}"
        )
    if component.count > MAX_STANDBY_UNITS:
        raise TooManyInstances(
            f"{where}: a standby block of at most {MAX_STANDBY_UNITS} units is supported, {excerpt(component.name)} has "
            f"{component.count:,}; model a large pool as k_of_n"
        )
    if block.mode not in ("cold", "warm", "hot"):
        raise InputError(f"{where}: standby mode must be cold, warm or hot, got {excerpt(block.mode)}")
    if not (0.0 <= block.dormant_factor <= 1.0) or not math.isfinite(block.dormant_factor):
        raise InputError(f"{where}: dormant_factor must be in [0, 1], got {block.dormant_factor}")
    if not 0.0 < block.switch <= 1.0:
        raise InputError(f"{where}: switch (switch-over success probability) must be in (0, 1], got {block.switch}")
