"""Availability over time: A(t) at a point, and the mean availability over a window.

Notes
-----
A component with failure rate lambda and repair rate mu (its own crew),
``s = lambda + mu``, started up at t = 0:

    A(t) = (mu + lambda e^(-s t)) / s        U(t) = lambda (1 - e^(-s t)) / s

and started down:

    A(t) = mu (1 - e^(-s t)) / s             U(t) = (lambda + mu e^(-s t)) / s

(Rausand & Hoyland, *System Reliability Theory*, 2nd ed., 2004, section
8.5.2), each a sum of non-negative terms, ``1 - e^(-x)`` taken as
``-expm1(-x)``. Over a window ``[t1, t2]`` the mean of ``e^(-s t)`` is
``M = e^(-s t1) (1 - e^(-s D)) / (s D)``, ``D = t2 - t1``, and the mean
availability follows with M in place of ``e^(-s t)``; ``1 - M`` is summed as
``(1 - e^(-s t1)) + e^(-s t1) (1 - (1 - e^(-b))/b)``, the last factor by its
series where ``b = s D`` is small. A component given only an availability
has no dynamics and keeps it. A standby block follows its chain's transient
(``expm``) from all units up, or from as many down as ``initially_down``
names.

Components are independent, so the system's A(t) is the structure function
at the components' A_i(t), exactly. The window's mean of the system is the
integral of the system's U(t) (:mod:`relcalc.rbd.window`, with a stated
error bound), not the structure function of the components' means, which
differs. (scipy's adaptive ``quad`` was used before: on a window of 1e6 h it
sampled past the first hours' transient and reported an error of 1e-16 on a
mean that was 4% off.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class ComponentAvailability:
    name: str
    availability: float
    unavailability: float


@dataclass(frozen=True)
class PointAvailability:
    time_hours: float
    availability: float
    unavailability: float
    components: tuple[ComponentAvailability, ...]
    initially_down: tuple[str, ...] = ()
    #: with a repair group followed by a truncated chain: A(t) and U(t) are lower bounds, short by at most this
    lost_bound: float | None = None


@dataclass(frozen=True)
class WindowAvailability:
    start_hours: float
    end_hours: float
    availability: float
    unavailability: float
    components: tuple[ComponentAvailability, ...]
    initially_down: tuple[str, ...] = ()
    method: str = ("components: closed form; groups and standby blocks: their chains' integrals; system: integral of "
                   "its exact U(t) by Gauss-Legendre panels doubling in width (bound: |G20 - G10| plus the settled tail's)")
    error_bound: float | None = None  #: on the mean U (absolute)
    availability_error_bound: float | None = None  #: on the mean A (absolute)


def component_at(lam: float, mu: float, t: float, down: bool) -> tuple[float, float]:
    """(A(t), U(t)) of one component from up (or down) at 0."""
    s = lam + mu
    decay = math.exp(-s * t)
    grown = -math.expm1(-s * t)
    if down:
        return mu * grown / s, (lam + mu * decay) / s
    return (mu + lam * decay) / s, lam * grown / s


def component_window(lam: float, mu: float, t1: float, t2: float, down: bool) -> tuple[float, float]:
    """(mean A, mean U) over [t1, t2] of one component from up (or down) at 0."""
    s = lam + mu
    b = s * (t2 - t1)
    head = math.exp(-s * t1)
    shape = -math.expm1(-b) / b  # mean of e^(-s (t - t1)) over the window
    mean = head * shape
    if b < 1e-3:  # 1 - (1 - e^-b)/b = b/2 - b^2/6 + b^3/24 - ...
        rest = b / 2 - b * b / 6 + b**3 / 24 - b**4 / 120
    else:
        rest = 1.0 - shape
    one_minus_mean = -math.expm1(-s * t1) + head * rest
    if down:
        return mu * one_minus_mean / s, (lam + mu * mean) / s
    return (mu + lam * mean) / s, lam * one_minus_mean / s


def _chosen_down(system, initially_down) -> set[tuple[str, int | None]]:
    from .model import split_reference

    chosen = set()
    for reference in initially_down:
        name, index = split_reference(reference)
        if name not in system.components:
            raise InputError(f"--initially-down: unknown component {name!r}")
        count = system.components[name].count
        if index is not None and not 1 <= index <= count:
            raise InputError(f"--initially-down: {reference!r}: {name!r} has {count} instance(s)")
        if system.components[name].failure_rate is None:
            raise InputError(f"--initially-down: {name!r} has only an availability; it has no state over time")
        chosen.add((name, index))
    return chosen


def _values(system, t: float, down: set):
    from .model import Standby
    from .standby import standby_rates

    def values(component, which):
        if isinstance(which, Standby):  # the chain starts with as many units down as were named
            started = sum((component.name, None) in down or (component.name, i + 1) in down
                          for i in range(component.count))
            return _standby_at(component, which, t, standby_rates, started)
        if component.failure_rate is None:
            return component.availability, component.unavailability
        is_down = (component.name, None) in down or (component.name, which + 1) in down
        return component_at(component.failure_rate, component.repair_rate, t, is_down)

    return values


def _standby_at(component, block, t, standby_rates, started=0):
    import numpy as np

    from .standby import standby_stationary
    from .window import _Chain

    n, r = component.count, block.active
    rates = standby_rates(n, r, component.failure_rate, component.repair_rate, block.dormant_factor, block.switch,
                          block.crews)
    start = np.zeros(n + 1)
    start[started] = 1.0
    # expm(Q t) of a large t in one step loses every digit (U of 4e167 at 1e20 h): squared from a short step instead
    p = _Chain(rates - np.diag(rates.sum(axis=1)), start, standby_stationary(rates), block.label).at(t)
    last_up = n - r
    return float(p[: last_up + 1].sum()), float(p[last_up + 1:].sum())


def availability_at(system, t_hours: float, initially_down=()) -> PointAvailability:
    """A(t) of every component instance and of the system, from all up (but ``initially_down``) at 0."""
    from .evaluate import compile_system, evaluate_compiled

    if not (math.isfinite(t_hours) and t_hours >= 0):
        raise InputError(f"--at must be a time from 0 on, got {t_hours}")
    down = _chosen_down(system, initially_down)
    compiled = compile_system(system, unit_values=_values(system, t_hours, down))
    if system.repair:  # the groups' queue chains from their start to t, the diagram on their failed sets
        from .repair import availability_with_crews_at

        avail, unavail, members, lost = availability_with_crews_at(system, compiled, system.repair, t_hours, down)
    else:
        (avail, unavail, _), members, lost = evaluate_compiled(compiled), {}, 0.0
    parts = tuple(ComponentAvailability(u.name, *members.get(v, (u.availability, u.unavailability)))
                  for v, u in enumerate(compiled.units))
    return PointAvailability(t_hours, avail, unavail, parts, tuple(initially_down), lost if lost > 0 else None)


def availability_over(system, start_hours: float, end_hours: float, initially_down=()) -> WindowAvailability:
    """Mean availability over [start, end] of every component instance and of the system.

    The system's U(t) is integrated by :func:`relcalc.rbd.window.window_availability` (with or without
    repair groups); a component with its own crew takes its closed form (:func:`component_window`).
    """
    from .window import window_availability

    if not (math.isfinite(start_hours) and math.isfinite(end_hours) and 0 <= start_hours < end_hours):
        raise InputError(f"--window: expected START..END with 0 <= START < END, got {start_hours}..{end_hours} h")
    down = _chosen_down(system, initially_down)
    avail, unavail, bound, members, compiled = window_availability(system, start_hours, end_hours, down)
    parts = []
    for var, unit in enumerate(compiled.units):
        if var in members:  # a repair group's member or a standby block: from its chain's integral
            parts.append(ComponentAvailability(unit.name, *members[var]))
            continue
        comp = system.components[unit.component]
        if comp.failure_rate is None:
            parts.append(ComponentAvailability(unit.name, comp.availability, comp.unavailability))
            continue
        index = int(unit.name.rpartition("#")[2]) if comp.count > 1 else 1
        is_down = (comp.name, None) in down or (comp.name, index) in down
        parts.append(ComponentAvailability(unit.name, *component_window(comp.failure_rate, comp.repair_rate,
                                                                          start_hours, end_hours, is_down)))
    return WindowAvailability(start_hours, end_hours, avail, unavail, tuple(parts), tuple(initially_down),
                              error_bound=bound[1], availability_error_bound=bound[0])


def parse_window(text: str, year_days: float = 365.0) -> tuple[float, float]:
    """``START..END`` in relcalc durations (``0h..24h``, ``1d..2d``; a plain number is hours)."""
    from ..units import parse_duration

    start, sep, end = str(text).partition("..")
    if end.startswith("."):  # 0h...24h: the third dot would make END .24h, 0.24 hours
        raise InputError(f"--window: expected START..END with two dots such as 0h..24h, got {text!r}")
    if not sep or not start.strip() or not end.strip():
        raise InputError(f"--window: expected START..END such as 0h..24h, got {text!r}")
    t1 = parse_duration(start.strip(), "--window START", year_days=year_days, allow_zero=True)
    t2 = parse_duration(end.strip(), "--window END", year_days=year_days)
    if not t1 < t2:
        raise InputError(f"--window: START must be before END, got {text!r}")
    return t1, t2
