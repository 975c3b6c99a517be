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
(``expm``) from all units up; over a window, its integral (Van Loan's
augmented exponential).

Components are independent, so the system's A(t) is the structure function
at the components' A_i(t), exactly. The window's mean of the system is the
integral of the system's U(t) (scipy ``quad``, relative tolerance 1e-10),
not the structure function of the components' means, which differs.
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


@dataclass(frozen=True)
class WindowAvailability:
    start_hours: float
    end_hours: float
    availability: float
    unavailability: float
    components: tuple[ComponentAvailability, ...]
    initially_down: tuple[str, ...] = ()
    method: str = "components: closed form; system: integral of its exact U(t) (quad, rtol 1e-10)"


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


def _values(system, t: float, down: set, window: tuple[float, float] | None = None):
    from .model import Standby
    from .standby import standby_rates

    def values(component, which):
        if isinstance(which, Standby):
            if window is not None:
                return _standby_window(component, which, *window, standby_rates)
            return _standby_at(component, which, t, standby_rates)
        if component.failure_rate is None:
            return component.availability, component.unavailability
        is_down = (component.name, None) in down or (component.name, which + 1) in down
        if window is not None:
            return component_window(component.failure_rate, component.repair_rate, *window, is_down)
        return component_at(component.failure_rate, component.repair_rate, t, is_down)

    return values


def _standby_at(component, block, t, standby_rates):
    import numpy as np
    from scipy.linalg import expm

    n, r = component.count, block.active
    rates = standby_rates(n, r, component.failure_rate, component.repair_rate, block.dormant_factor, block.switch,
                          block.crews)
    p = expm((rates - np.diag(rates.sum(axis=1))) * t)[0]
    last_up = n - r
    return float(p[: last_up + 1].sum()), float(p[last_up + 1:].sum())


def _standby_window(component, block, t1, t2, standby_rates):
    """(mean A, mean U) of a standby block over [t1, t2] from all units up.

    The chain's distribution at t1 times the integral of its transient over
    the window's length D, ``int_0^D e^(Qs) ds``, read from the upper-right
    block of ``expm([[Q, I], [0, 0]] D)`` (Van Loan, "Computing integrals
    involving the matrix exponential", IEEE Trans. Automatic Control 23,
    1978); the down states' share is summed directly, not taken as 1 - A.
    """
    import numpy as np
    from scipy.linalg import expm

    n, r = component.count, block.active
    rates = standby_rates(n, r, component.failure_rate, component.repair_rate, block.dormant_factor, block.switch,
                          block.crews)
    q = rates - np.diag(rates.sum(axis=1))
    m = len(q)
    width = t2 - t1
    augmented = np.zeros((2 * m, 2 * m))
    augmented[:m, :m] = q
    augmented[:m, m:] = np.eye(m)
    integral = expm(augmented * width)[:m, m:]
    start = expm(q * t1)[0] if t1 > 0 else np.eye(m)[0]
    mean = np.clip(start, 0.0, None) @ np.clip(integral, 0.0, None) / width
    last_up = n - r
    return float(mean[: last_up + 1].sum()), float(mean[last_up + 1:].sum())


def _check(system, what: str) -> None:
    if system.repair:
        raise InputError(f"{what}: not offered with shared repair groups yet (each component's own crew is assumed)")


def availability_at(system, t_hours: float, initially_down=()) -> PointAvailability:
    """A(t) of every component instance and of the system, from all up (but ``initially_down``) at 0."""
    from .evaluate import compile_system, evaluate_compiled

    if not (math.isfinite(t_hours) and t_hours >= 0):
        raise InputError(f"--at must be a time from 0 on, got {t_hours}")
    down = _chosen_down(system, initially_down)
    compiled = compile_system(system, unit_values=_values(system, t_hours, down))
    if system.repair:  # the groups' queue chains from their start to t, the diagram on their failed sets
        from .repair import availability_with_crews_at

        avail, unavail, members = availability_with_crews_at(system, compiled, system.repair, t_hours, down)
    else:
        (avail, unavail, _), members = evaluate_compiled(compiled), {}
    parts = tuple(ComponentAvailability(u.name, *members.get(v, (u.availability, u.unavailability)))
                  for v, u in enumerate(compiled.units))
    return PointAvailability(t_hours, avail, unavail, parts, tuple(initially_down))


def availability_over(system, start_hours: float, end_hours: float, initially_down=()) -> WindowAvailability:
    """Mean availability over [start, end] of every component instance and of the system."""
    from scipy.integrate import quad

    from .evaluate import compile_system

    _check(system, "--window")
    if not (math.isfinite(start_hours) and math.isfinite(end_hours) and 0 <= start_hours < end_hours):
        raise InputError(f"--window: expected START..END with 0 <= START < END, got {start_hours}..{end_hours} h")
    down = _chosen_down(system, initially_down)
    compiled = compile_system(system, unit_values=_values(system, 0.0, down, (start_hours, end_hours)))
    parts = tuple(ComponentAvailability(u.name, u.availability, u.unavailability) for u in compiled.units)

    system_at = _system_over_time(system, down)
    width = end_hours - start_hours
    # integrate the smaller of U and A (each non-negative), the other is its complement
    steady_u = system_at(end_hours)[1]
    pick = 1 if steady_u <= 0.5 else 0
    total, _ = quad(lambda t: system_at(t)[pick], start_hours, end_hours, epsrel=1e-10, epsabs=0.0, limit=200)
    mean = total / width
    avail, unavail = (1.0 - mean, mean) if pick == 1 else (mean, 1.0 - mean)
    return WindowAvailability(start_hours, end_hours, avail, unavail, parts, tuple(initially_down))


def _system_over_time(system, down: set):
    """A function t -> (A(t), U(t)) of the system that compiles the diagram once (for the integral's many points)."""
    from .evaluate import _evaluate, _Units, compile_system
    from .tails import log_or_inf

    kinds = []  # per unit: what unit_values was asked for, in the order units are made

    def record(component, which):
        kinds.append((component, which))
        return component.availability, component.unavailability

    compiled = compile_system(system, unit_values=record)

    def at(t: float) -> tuple[float, float]:
        current = _values(system, t, down)
        pairs = [current(component, which) for component, which in kinds]
        a = [p[0] for p in pairs]
        u = [p[1] for p in pairs]
        units = _Units(a, u, [log_or_inf(x) for x in a], [log_or_inf(x) for x in u])
        avail, unavail, _, _ = _evaluate(compiled.root, units, {}, False)
        return avail, unavail

    return at


def parse_window(text: str, year_days: float = 365.0) -> tuple[float, float]:
    """``START..END`` in relcalc durations (``0h..24h``, ``1d..2d``; a plain number is hours)."""
    from ..units import parse_duration

    start, sep, end = str(text).partition("..")
    if not sep or not start.strip() or not end.strip():
        raise InputError(f"--window: expected START..END such as 0h..24h, got {text!r}")
    t1 = parse_duration(start.strip(), "--window START", year_days=year_days, allow_zero=True)
    t2 = parse_duration(end.strip(), "--window END", year_days=year_days)
    if not t1 < t2:
        raise InputError(f"--window: START must be before END, got {text!r}")
    return t1, t2
