"""Components from an incident history, for ``compose`` and the report.

``relcalc compose SPEC --from-incidents FILE`` and a
``from_incidents:`` key in a compose spec or a service file give components
their MTBF and MTTR from the history, and :func:`relcalc.uncertainty.propagate`
their uncertainty. The key is a path (the window then comes from
``window_start``/``window_end`` columns) or a mapping::

    from_incidents:
      file: incidents.csv              # relative to the spec's directory
      window: 2025-01-01..2026-01-01
      tz: Europe/Paris                 # optional, for timestamps without an offset

A component takes its figures from the history when it is named there and
the spec gives it no rates of its own (``app: {count: 3}`` or ``app: {}``);
typed figures win. The incidents of a component with ``count: N`` are those
of any of its N instances: its failures are spread over N times the
observed time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

RATE_KEYS = {"availability", "mtbf", "mttr", "failure_rate", "repair_rate"}


@dataclass(frozen=True)
class FromIncidents:
    """Components built from a history, their rate posteriors (per instance) and what to tell the reader."""

    components: dict[str, Any]  # name -> relcalc.rbd.model.Component
    posteriors: dict[str, Any]  # name -> RatePosterior
    notes: tuple[str, ...]
    source: str
    store_component: str | None = None  #: the history's name for the Raft store's nodes (from_incidents.raft)
    history: Any = None  #: the EstimateResult, when a store is to be drawn from it


def load_estimates(path: str, *, window: str | None = None, tz: str | None = None, year_days: float = 365.0,
                   option: str = "--from-incidents"):
    """Read and estimate a history; any bad row is an error here (no partial diagram)."""
    from . import estimate, read_history
    from .incidents import read_rows
    from .timestamps import parse_window, zone

    default_zone = zone(tz, f"{option} tz")
    span = parse_window(window, default_zone, f"{option} window") if window else None
    records, columns = read_rows(path, option)
    history = read_history(records, columns, window=span, default_zone=default_zone, source=option,
                           year_days=year_days)
    if history.errors:
        first = history.errors[0]
        raise InputError(f"{option}: {len(history.errors)} bad rows in {path}, such as {first}; "
                         f"check them with: relcalc estimate {path}")
    return estimate(history, goodness_of_fit=False)


def take_components(result, wanted: dict[str, int], source: str) -> FromIncidents:
    """Components ``wanted`` (name -> count of instances) from an estimate result."""
    from ..rbd.model import Component
    from ..uncertainty import with_instances
    from .posterior import posterior

    components, posteriors, notes = {}, {}, []
    for name, count in wanted.items():
        if name not in result.names:
            raise InputError(f"{source}: no incidents or window for component {name!r} "
                             f"(the history has: {', '.join(result.names)})")
        post = with_instances(posterior(result, name), count)
        posteriors[name] = post
        components[name] = Component.from_times(name, post.mtbf_hours, post.mttr_hours, count=count)
        if post.note:
            notes.append(f"{name}: {post.note}")
        trend = result.component(name).trend
        if trend.startswith("failures are becoming"):  # a changing rate: one MTBF is only the window's average
            notes.append(f"{name}: {trend}")
    return FromIncidents(components, posteriors, tuple(notes), source)


def resolve_spec(data: dict, *, base_dir: str, year_days: float = 365.0, history=None,
                 history_source: str = "--from-incidents") -> tuple[dict, FromIncidents | None]:
    """A spec mapping without its ``from_incidents`` key, and the components the history gives it.

    ``history`` (an estimate result from the command line) is used when the
    spec has no key of its own. The returned mapping no longer lists the
    components taken from the history, so the spec reader builds the rest.
    """
    data = dict(data)
    key = data.pop("from_incidents", None)
    source = history_source
    if key is not None:
        if history is not None:
            raise InputError("from_incidents: the spec names a history and --from-incidents gives one; use one")
        path, window, tz = _key_parts(key)
        full = path if os.path.isabs(path) else os.path.join(base_dir, path)
        history = load_estimates(full, window=window, tz=tz, year_days=year_days, option="from_incidents")
        source = f"from_incidents ({path})"
    if history is None:
        return data, None
    store = key.get("raft") if isinstance(key, dict) else None
    if store is not None and (not isinstance(store, str) or store not in history.names):
        raise InputError(f"from_incidents.raft: {store!r} is not a component of the history "
                         f"({', '.join(history.names)})")
    raw = data.get("components") or {}
    if not isinstance(raw, dict):
        return data, None  # the spec reader refuses it with its own words
    wanted, kept, shapes = {}, {}, {}
    for name, params in raw.items():
        params = params if isinstance(params, dict) else ({} if params is None else params)
        if name in history.names and isinstance(params, dict) and not (set(params) & RATE_KEYS):
            extra = set(params) - {"count", "weibull_shape"}
            if extra:
                raise InputError(f"components.{name}: from the incident history it takes only count and "
                                 f"weibull_shape, not {sorted(extra)[0]!r}")
            wanted[name] = _count(params.get("count", 1), name)
            if "weibull_shape" in params:
                shapes[name] = params["weibull_shape"]
        else:
            kept[name] = params
    if not wanted and store is None:
        raise InputError(f"{source}: no component of the spec is in the history without typed figures "
                         f"(history: {', '.join(history.names)}); give them as name: {{count: N}} or name: {{}}")
    data["components"] = kept
    taken = take_components(history, wanted, source)
    for name, shape in shapes.items():  # the shape of the time to failure, for mission reliability only
        from ..rbd.spec import component_from_mapping

        comp = taken.components[name]
        taken.components[name] = component_from_mapping(
            name, {"mtbf": repr(comp.mtbf_hours), "mttr": repr(comp.mttr_hours), "count": comp.count,
                   "weibull_shape": shape}, f"components.{name}", year_days)
    if store is not None:
        from dataclasses import replace

        taken = replace(taken, store_component=store, history=history)
    return data, taken


def _count(value: Any, name: str) -> int:
    from ..units import parse_count

    return parse_count(value, f"components.{name}.count")


def _key_parts(key: Any) -> tuple[str, str | None, str | None]:
    if isinstance(key, str) and key.strip():
        return key.strip(), None, None
    if isinstance(key, dict) and isinstance(key.get("file"), str) and not set(key) - {"file", "window", "tz", "raft"}:
        window = key.get("window")
        tz = key.get("tz")
        return key["file"], None if window is None else str(window), None if tz is None else str(tz)
    raise InputError("from_incidents: expected a path, or {file: incidents.csv, window: START..END, tz: ZONE, "
                     "raft: NAME}")


def propagate_found(system, found: list, seed: int, calendar, samples: int = 10_000, confidence: float = 0.90):
    """:func:`relcalc.uncertainty.propagate` over the components a history gave ``system``."""
    from ..uncertainty import propagate

    if not found:
        raise InputError("--uncertainty needs components estimated from data: --from-incidents FILE "
                         "or a from_incidents: key in the spec")
    posteriors = {}
    for taken in found:
        posteriors.update(taken.posteriors)
    return propagate(system, posteriors, samples=samples, confidence=confidence, seed=seed, calendar=calendar)


def store_history(found: FromIncidents, nodes: int, crews: int = 0):
    """The :class:`relcalc.uncertainty.StoreHistory` of the Raft store named by ``from_incidents.raft``."""
    from ..uncertainty import StoreHistory, with_instances
    from .posterior import posterior

    post = with_instances(posterior(found.history, found.store_component), nodes)
    return StoreHistory(post, nodes, crews, label=f"raft store ({found.store_component})")
