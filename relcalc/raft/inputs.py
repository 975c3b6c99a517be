"""Raft models from what a user wrote: option texts on the command line, values in a report spec.

Numeric inputs that sweep (``nodes``, ``mtbf``, ``mttr``, ``repair_crews``,
``zones``, ``zone_mtbf``, ``zone_mttr``, ``common_cause``) may be a comma list
or a YAML list; :func:`model_grid` returns one model per point of the grid,
in the order of the inputs. ``name(key)`` spells a key in error messages
(``--mtbf`` or ``raft.mtbf``).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable

from ..errors import InputError
from ..units import parse_count, parse_duration, parse_share
from .model import MAX_NODES, RaftModel, parse_distribution, parse_layout, parse_timeout_range, round_robin_layout

KEYS = ("nodes", "mtbf", "mttr", "ttf", "ttr", "repair_crews", "zones", "layout", "zone_mtbf", "zone_mttr",
        "election_timeout", "rtt", "common_cause", "shock_per_zone", "permanent", "replace_time", "restart_every",
        "restart_duration")
#: The inputs a comma list (or a YAML list) sweeps.
SWEPT = ("nodes", "mtbf", "mttr", "repair_crews", "zones", "zone_mtbf", "zone_mttr", "common_cause")
DEFAULTS = {"nodes": "5", "mtbf": "2000h", "mttr": "4h", "election_timeout": "150ms..300ms", "rtt": "1ms"}
#: The most points a sweep may span (the product of its lists' lengths), checked before any is built.
MAX_GRID_POINTS = 500


def _items(value: Any, name: str) -> list:
    if value is None:
        return [None]
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        items = [p.strip() for p in value.split(",")]
    else:
        items = [value]
    if len(items) > MAX_GRID_POINTS:
        raise InputError(f"{name}: a sweep spans at most {MAX_GRID_POINTS} points; this list alone has "
                         f"{len(items):,} values")
    if not items or any(i is None or (isinstance(i, str) and not i) for i in items):
        raise InputError(f"{name}: empty item in the list {value!r}")
    return items


def _node_count(value: Any, name: str) -> int:
    count = parse_count(value, name)
    if count > MAX_NODES:
        raise InputError(f"{name}: at most {MAX_NODES:,} nodes are modelled, got {count:,}")
    return count


def model_grid(given: dict[str, Any], name: Callable[[str], str], section: str = "",
               year_days: float = 365.0) -> list[RaftModel]:
    """Every model of the grid the inputs span (one when nothing sweeps).

    ``section`` prefixes errors the model itself finds (``raft: ...``);
    ``year_days`` is the length of the unit ``y`` in durations.
    """
    g = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}

    def duration(key):
        return lambda t: parse_duration(t, name(key), year_days=year_days)

    lists = {key: _items(g.get(key), name(key)) for key in SWEPT}
    points = math.prod(len(items) for items in lists.values())
    if points > MAX_GRID_POINTS:
        sizes = " x ".join(f"{len(v)} {name(k)}" for k, v in lists.items() if len(v) > 1)
        raise InputError(f"a sweep spans at most {MAX_GRID_POINTS} points; {sizes} make {points:,}")
    node_list = [_node_count(v, name("nodes")) for v in _items(g["nodes"], name("nodes"))]
    mtbf_list = [duration("mtbf")(v) for v in _items(g["mtbf"], name("mtbf"))]
    mttr_list = [duration("mttr")(v) for v in _items(g["mttr"], name("mttr"))]
    crews = g.get("repair_crews")
    crew_list = [None] if crews is None else [parse_count(v, name("repair_crews")) for v in _items(crews, name("repair_crews"))]
    zones = g.get("zones")
    zone_list = [None] if zones is None else [parse_count(v, name("zones")) for v in _items(zones, name("zones"))]
    zone_mtbf, zone_mttr = g.get("zone_mtbf"), g.get("zone_mttr")
    if (zone_mtbf is None) != (zone_mttr is None):
        raise InputError(f"zone failures need both {name('zone_mtbf')} and {name('zone_mttr')}")
    zmtbf_list = [None] if zone_mtbf is None else [duration("zone_mtbf")(v) for v in _items(zone_mtbf, name("zone_mtbf"))]
    zmttr_list = [None] if zone_mttr is None else [duration("zone_mttr")(v) for v in _items(zone_mttr, name("zone_mttr"))]
    beta = g.get("common_cause")
    beta_list = [0.0] if beta is None else [parse_share(v, name("common_cause"), allow_zero=True) for v in _items(beta, name("common_cause"))]
    lost_share = parse_share(g["permanent"], name("permanent"), allow_zero=True) if g.get("permanent") is not None else 0.0
    if lost_share > 0 and g.get("replace_time") is None:
        raise InputError(f"{name('permanent')} needs {name('replace_time')} (how long a replacement and catch-up take)")
    replace_hours = duration("replace_time")(g["replace_time"]) if g.get("replace_time") is not None else None
    if (g.get("restart_every") is None) != (g.get("restart_duration") is None):
        raise InputError(f"rolling restarts need both {name('restart_every')} and {name('restart_duration')}")
    every = duration("restart_every")(g["restart_every"]) if g.get("restart_every") is not None else None
    restart_hours = duration("restart_duration")(g["restart_duration"]) if g.get("restart_duration") is not None else None
    layout = g.get("layout")
    if layout is not None and zones is not None:
        raise InputError(f"give {name('zones')} or {name('layout')}, not both")
    if isinstance(layout, (list, tuple)):
        layout = ",".join(str(v) for v in layout)
    timeout = parse_timeout_range(g["election_timeout"], name("election_timeout"))
    # plain numbers are milliseconds, as for the election timeout; 0 is an instant round trip
    round_trip = parse_duration(g["rtt"], name("rtt"), plain_unit="ms", allow_zero=True)
    shock_per_zone = g.get("shock_per_zone", False)
    if not isinstance(shock_per_zone, bool):
        raise InputError(f"{name('shock_per_zone')}: expected true or false, got {shock_per_zone!r}")

    models = []
    for n, up, down, crew, z, zup, zdown, b in itertools.product(
        node_list, mtbf_list, mttr_list, crew_list, zone_list, zmtbf_list, zmttr_list, beta_list
    ):
        if z is not None and z > n:
            raise InputError(f"{name('zones')} {z} is more zones than the {n} nodes")
        sizes = parse_layout(layout, n, name("layout")) if layout is not None else (
            round_robin_layout(n, z) if z else None)
        try:
            models.append(RaftModel(
                nodes=n,
                ttf=parse_distribution(g.get("ttf"), up, name("ttf")),
                ttr=parse_distribution(g.get("ttr"), down, name("ttr")),
                crews=crew or 0,
                layout=sizes,
                zone_ttf=parse_distribution(None, zup, name("zone_mtbf")) if zup else None,
                zone_ttr=parse_distribution(None, zdown, name("zone_mttr")) if zdown else None,
                election_timeout=timeout,
                rtt=round_trip,
                common_cause=b,
                shock_per_zone=shock_per_zone,
                permanent=lost_share,
                replace_time=replace_hours,
                restart_every=every,
                restart_duration=restart_hours,
            ))
        except InputError as exc:
            raise InputError(f"{section}: {exc}" if section else str(exc)) from None
    return models
