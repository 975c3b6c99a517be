"""Parsing and formatting of durations, rates and probabilities for people.

Durations are carried in hours throughout relcalc. A plain number is hours;
a number with a unit may have white space before the unit (``1.5h``,
``90min``, ``2 d``). Probabilities given as text are parsed as decimals, so
``99.9999%`` has an unavailability of exactly ``1e-6``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from .errors import InputError

HOURS_PER_DAY = 24.0
#: Hours in one unit of each spelling accepted for a duration. A year is 365
#: days unless a caller passes its own year length.
DURATION_UNITS: dict[str, float] = {}
for _hours, _names in (
    (1e-3 / 3600.0, ("ms", "msec", "millisecond", "milliseconds")),
    (1.0 / 3600.0, ("s", "sec", "secs", "second", "seconds")),
    (1.0 / 60.0, ("min", "mins", "minute", "minutes")),
    (1.0, ("h", "hr", "hrs", "hour", "hours")),
    (24.0, ("d", "day", "days")),
    (168.0, ("w", "wk", "wks", "week", "weeks")),
    (8760.0, ("y", "yr", "yrs", "year", "years")),
):
    for _name in _names:
        DURATION_UNITS[_name] = _hours
YEAR_UNITS = frozenset(("y", "yr", "yrs", "year", "years"))

NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({NUMBER})\s*([A-Za-z]*)\s*$")
_RATE = re.compile(rf"^\s*({NUMBER})\s*(?:(fit)|/\s*([A-Za-z]+)|([A-Za-z]+))?\s*$", re.IGNORECASE)


def _split_quantity(text: str, name: str) -> tuple[float, str]:
    match = _QUANTITY.match(str(text))
    if not match:
        raise InputError(f"{name}: cannot read {text!r} as a number with an optional unit")
    return float(match.group(1)), match.group(2).lower()


def _check_positive(value: float, text: object, name: str) -> float:
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite, got {text}")
    if value <= 0:
        raise InputError(f"{name} must be positive, got {text}")
    return value


def unit_hours(unit: str, *, year_days: float = 365.0) -> float | None:
    """Hours in one ``unit`` (empty means hours), or None if unknown."""
    unit = unit.lower()
    if unit == "":
        return 1.0
    if unit in YEAR_UNITS:
        return year_days * HOURS_PER_DAY
    return DURATION_UNITS.get(unit)


def parse_duration(text: str | float, name: str = "duration", *, year_days: float = 365.0) -> float:
    """Parse a positive duration into hours.

    >>> parse_duration("90min")
    1.5
    >>> parse_duration("2 d")
    48.0
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return _check_positive(float(text), text, name)
    value, unit = _split_quantity(text, name)
    hours = unit_hours(unit, year_days=year_days)
    if hours is None:
        raise InputError(
            f"{name}: unknown unit {unit!r} in {text!r}; use ms, s, min, h, d, w or y"
        )
    return _check_positive(value * hours, text, name)


def parse_rate_per_hour(text: str | float, name: str = "rate", *, year_days: float = 365.0) -> float:
    """Parse a positive event rate into events per hour.

    Accepts a plain number (per hour), ``N/unit`` or ``N per-unit`` such as
    ``2/y`` or ``0.5/d``, and ``N FIT`` (failures per 10^9 hours).
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return _check_positive(float(text), text, name)
    match = _RATE.match(str(text))
    if not match:
        raise InputError(f"{name}: cannot read {text!r} as a rate such as 0.0005, 2/y or 500 FIT")
    value = float(match.group(1))
    if match.group(2):
        return _check_positive(value / 1e9, text, name)
    unit = (match.group(3) or match.group(4) or "").lower()
    hours = unit_hours(unit, year_days=year_days)
    if hours is None:
        raise InputError(f"{name}: unknown unit {unit!r} in {text!r}; use a per-hour number, N/d, N/y or N FIT")
    return _check_positive(value / hours, text, name)


def parse_probability(text: str | float, name: str = "availability") -> tuple[float, float]:
    """Parse an availability in (0, 1) as ``(availability, unavailability)``.

    Text is read as a decimal, so the complement is exact: ``"99.9999%"``
    gives an unavailability of exactly ``1e-6`` (rounded once, to the nearest
    float), where ``1 - 0.999999`` in floats is off in the tenth digit.
    """
    raw = str(text).strip()
    percent = raw.endswith("%")
    body = raw[:-1].strip() if percent else raw
    try:
        value = Decimal(body)
    except InvalidOperation:
        raise InputError(f"{name}: cannot read {text!r} as a probability such as 0.9995 or 99.95%") from None
    if not value.is_finite():
        raise InputError(f"{name} must be finite, got {text!r}")
    if percent:
        value /= 100
    if not 0 < value < 1:
        shown = f"{text}" if percent else f"{text} (write 99.9% or 0.999)"
        raise InputError(f"{name} must be strictly between 0 and 1 (0% and 100%), got {shown}")
    return float(value), float(1 - value)


def probability_from_nines(nines: float, name: str = "--target-nines") -> tuple[float, float]:
    """``(availability, unavailability)`` for a number of nines, U = 10^-nines."""
    if not math.isfinite(nines) or nines <= 0:
        raise InputError(f"{name} must be a positive number of nines, got {nines}")
    unavailability = 10.0 ** (-nines)
    return 1.0 - unavailability, unavailability


def format_duration(hours: float) -> str:
    """A duration for people: ``52m 34s``, ``8h 45m 36s``, ``2d 3h 4m``, ``864ms``."""
    if hours is None or not math.isfinite(hours):
        return "-" if hours is None else str(hours)
    if hours < 0:
        return "-" + format_duration(-hours)
    seconds = hours * 3600.0
    if seconds == 0:
        return "0s"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.3g}ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g}us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hrs, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hrs}h {mins}m"
    if hrs:
        return f"{hrs}h {mins}m {secs}s"
    return f"{mins}m {secs}s"


def format_percent(availability: float, unavailability: float, extra_digits: int = 2) -> str:
    """Availability as a percentage with all its nines and a few more digits.

    The digits come from the unavailability (exact), not from ``availability``:
    ``format_percent(1 - 1e-12, 1e-12)`` is ``99.999999999900%``.
    """
    if unavailability <= 0:
        return "100%"
    if unavailability >= 1:
        return "0%"
    nines = -math.log10(unavailability)
    decimals = max(1, math.floor(nines) - 2 + extra_digits)
    value = (Decimal(1) - Decimal(unavailability)) * 100
    return f"{value:.{decimals}f}%"
