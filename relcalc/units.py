"""Parsing and formatting of quantities for people: durations, rates, probabilities, shares and counts.

One grammar serves the command line, CSV cells and spec values alike: a
quantity is a plain decimal number (ASCII digits, an optional sign, point and
exponent) followed by an optional unit, with white space allowed around and
between them (``1.5h``, ``90min``, ``2 d``, ``12k/min``, ``70%``). Numbers
with underscores (``1_000``) or non-ASCII digits (``１２``), which Python's
``float()`` would take, are refused, as are NaN, infinities and Booleans;
numbers (``int``/``float``) are taken as they are. Every error is an
:class:`~relcalc.errors.InputError` naming the input.

Durations are carried in hours throughout relcalc; a plain number is hours
unless the caller says otherwise (``plain_unit``). Probabilities given as
text are parsed as decimals, so ``99.9999%`` has an unavailability of
exactly ``1e-6``.
"""

from __future__ import annotations

import math
import sys
import numbers
import re
from decimal import Decimal, DecimalException

from .errors import InputError, excerpt

HOURS_PER_DAY = 24.0
#: Seconds in one unit of each spelling accepted for a duration (and for the
#: period of a rate). A year is 365 days unless a caller passes its own length.
UNIT_SECONDS: dict[str, float] = {}
for _seconds, _names in (
    (1e-3, ("ms", "msec", "millisecond", "milliseconds")),
    (1.0, ("s", "sec", "secs", "second", "seconds")),
    (60.0, ("min", "mins", "minute", "minutes")),
    (3600.0, ("h", "hr", "hrs", "hour", "hours")),
    (86400.0, ("d", "day", "days")),
    (604800.0, ("w", "wk", "wks", "week", "weeks")),
    (31536000.0, ("y", "yr", "yrs", "year", "years")),
):
    for _name in _names:
        UNIT_SECONDS[_name] = _seconds
#: Hours in one unit of each duration spelling (the same table in hours).
DURATION_UNITS: dict[str, float] = {name: seconds / 3600.0 for name, seconds in UNIT_SECONDS.items()}
YEAR_UNITS = frozenset(("y", "yr", "yrs", "year", "years"))
#: Request-rate multipliers: 12k is 12,000.
SI_PREFIXES = {"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
#: The largest count accepted by default: more than any cluster or session
#: count, and exact as a float.
MAX_COUNT = 10**9

#: A plain decimal number in ASCII digits (the grammar's only number).
NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
#: A unit: letters, ``%`` and ``/`` with inner spaces (``h``, ``/ y``, ``k/min``, ``%/month``, ``per s``).
UNIT = r"[A-Za-z%/](?:[A-Za-z%/\s]*[A-Za-z%/])?"
#: A number and an optional unit, as groups ``number`` and ``unit`` (the
#: unit group is empty for a plain number). Python's ``re`` (with
#: ``re.ASCII``) and RE2 (pyarrow) read it alike.
QUANTITY = rf"^\s*(?P<number>{NUMBER})\s*(?P<unit>(?:{UNIT})?)\s*$"
_QUANTITY = re.compile(QUANTITY, re.ASCII)


def split_quantity(value: object, name: str, what: str) -> tuple[str, str]:
    """``(number text, unit)`` of what a user wrote, or an InputError naming ``name``.

    ``what`` says what was expected (``a duration such as 4h or 90min``). A
    number (int or float, not bool) is its own text with no unit; it must be
    finite. Text must follow the grammar of the module docstring.
    """
    if isinstance(value, bool) or value is None:
        raise InputError(f"{name}: expected {what}, got {excerpt(value)}")
    if isinstance(value, numbers.Real):  # also numpy numbers; numpy bools are not Real
        number = int(value) if isinstance(value, numbers.Integral) else float(value)
        if not math.isfinite(number):
            raise InputError(f"{name} must be finite, got {excerpt(value, quote=False)}")
        return repr(number), ""
    if not isinstance(value, str):
        raise InputError(f"{name}: expected {what}, got {type(value).__name__}")
    match = _QUANTITY.match(value)
    if match:
        return match["number"], match["unit"]
    if "_" in value:
        raise InputError(f"{name}: cannot read {excerpt(value)}; write numbers without underscores (1000, not 1_000)")
    if any(c.isdigit() and not c.isascii() for c in value):
        raise InputError(f"{name}: cannot read {excerpt(value)}; write numbers in ASCII digits 0-9")
    raise InputError(f"{name}: cannot read {excerpt(value)} as {what}")


def _plain(value: object, name: str, what: str) -> str:
    """The number text of a quantity that must have no unit."""
    number, unit = split_quantity(value, name, what)
    if unit:
        raise InputError(f"{name}: cannot read {excerpt(value)} as {what}")
    return number


def _check_positive(value: float, text: object, name: str, allow_zero: bool = False) -> float:
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite, got {excerpt(text, quote=False)}")
    if value < 0 or (value == 0 and not allow_zero):
        raise InputError(f"{name} must be {'zero or ' if allow_zero else ''}positive, got {excerpt(text, quote=False)}")
    if 0 < value < sys.float_info.min:  # subnormal: digits lost, and 1/value overflows
        raise InputError(f"{name} is below 1e-308 (got {excerpt(text, quote=False)}), too small to compute with; check the unit")
    return value


def parse_number(value: object, name: str, *, low: float | None = None) -> float:
    """A finite plain number (no unit), at least ``low`` if given.

    >>> parse_number("1.3", "--balance-factor")
    1.3
    """
    number = float(_plain(value, name, "a number"))
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite, got {excerpt(value, quote=False)}")
    if low is not None and number < low:
        raise InputError(f"{name} must be a number >= {low:g}, got {excerpt(value)}")
    return number


def parse_count(value: object, name: str, *, low: int | None = 1, high: int = MAX_COUNT) -> int:
    """A whole number from ``low`` (None: no lower bound) to ``high``.

    ``3``, ``3.0`` and ``"3"`` are 3 (CSV readers give 3.0 for 3 in a column
    with blanks); ``2.5`` is refused. Read exactly, as a decimal.

    >>> parse_count("12", "--nodes")
    12
    """
    text = _plain(value, name, "a whole number")
    try:
        number = Decimal(text)
        whole = number == number.to_integral_value()
    except DecimalException:  # an exponent beyond the decimal context's range
        raise InputError(f"{name} must be a whole number <= {high:,}, got {excerpt(value)}") from None
    if not whole:
        raise InputError(f"{name} must be a whole number, got {excerpt(value)}")
    if low is not None and number < low:
        raise InputError(f"{name} must be a whole number >= {low}, got {excerpt(value)}")
    if number > high:
        raise InputError(f"{name} must be a whole number <= {high:,}, got {excerpt(value)}")
    return int(number)


def parse_share(value: object, name: str, *, allow_zero: bool = False) -> float:
    """A share in (0, 1] ([0, 1] with ``allow_zero``), written as a decimal (0.7) or a percentage (70%)."""
    number, unit = split_quantity(value, name, "a share such as 0.7 or 70%")
    if unit not in ("", "%"):
        raise InputError(f"{name}: cannot read {excerpt(value)} as a share such as 0.7 or 70%")
    share = float(number) / 100.0 if unit else float(number)
    if not (0.0 <= share <= 1.0) or (share == 0.0 and not allow_zero):
        low = "[0" if allow_zero else "(0"
        raise InputError(f"{name} must be in {low}, 1] (or {low}%, 100%]), got {excerpt(value, quote=False)}")
    return share


def unit_hours(unit: str, *, year_days: float = 365.0) -> float | None:
    """Hours in one ``unit`` (empty means hours), or None if unknown."""
    unit = unit.lower()
    if unit == "":
        return 1.0
    if unit in YEAR_UNITS:
        return year_days * HOURS_PER_DAY
    return DURATION_UNITS.get(unit)


def parse_duration(
    text: str | float,
    name: str = "duration",
    *,
    year_days: float = 365.0,
    plain_unit: str = "h",
    result_unit: str = "h",
    allow_zero: bool = False,
) -> float:
    """Parse a positive duration into hours (or seconds with ``result_unit="s"``).

    A plain number is in ``plain_unit``: hours by default, ``"s"`` for
    service times, ``"ms"`` for election timeouts. ``allow_zero`` admits 0.

    >>> parse_duration("90min")
    1.5
    >>> parse_duration("2 d")
    48.0
    >>> parse_duration("1min", "--service-time", plain_unit="s", result_unit="s")
    60.0
    """
    example = "4h or 90min" if plain_unit == "h" else "40ms or 0.2s"
    number, unit = split_quantity(text, name, f"a duration such as {example}")
    value = float(number)
    if not unit and plain_unit == result_unit:
        return _check_positive(value, text, name, allow_zero)  # already in the result's unit
    hours = unit_hours(unit or plain_unit, year_days=year_days)
    if hours is None:
        raise InputError(f"{name}: unknown unit {unit!r} in {excerpt(text)}; use ms, s, min, h, d, w or y")
    value *= hours
    return _check_positive(value * 3600.0 if result_unit == "s" else value, text, name, allow_zero)


def rate_period(unit: str) -> str | None:
    """The period a rate unit names (``d`` in ``/d``, ``/ d`` or ``per d``); None without ``/`` or ``per``."""
    lowered = unit.lower()
    for mark in ("/", "per "):
        if lowered.startswith(mark):
            return lowered[len(mark):].strip()
    return None


def parse_rate_per_hour(text: str | float, name: str = "rate", *, year_days: float = 365.0) -> float:
    """Parse a positive event rate into events per hour.

    Accepts a plain number (per hour), ``N/unit`` or ``N per unit`` such as
    ``2/y`` or ``0.5/d``, and ``N FIT`` (failures per 10^9 hours).
    """
    what = "a rate such as 0.0005, 2/y or 500 FIT"
    number, unit = split_quantity(text, name, what)
    value = float(number)
    if unit.lower() == "fit":
        return _check_positive(value / 1e9, text, name)
    period = rate_period(unit)
    hours = unit_hours(unit if period is None else period, year_days=year_days) if period != "" else None
    if hours is None:
        raise InputError(f"{name}: unknown unit {unit!r} in {excerpt(text)}; use a per-hour number, N/d, N/y or N FIT")
    return _check_positive(value / hours, text, name)


def parse_request_rate(text: str | float, name: str = "--rate") -> float:
    """A positive rate in requests per second.

    A plain number is per second; ``k``, ``M`` and ``G`` scale it, and a
    ``/unit`` (or ``per unit``) changes the period: ``12k``, ``12000/s``,
    ``720k/min``, ``100 rps``.
    """
    what = "a rate such as 12k, 12000/s or 720k/min"
    number, unit = split_quantity(text, name, what)
    scale = SI_PREFIXES.get(unit[:1])
    if scale is not None:
        unit = unit[1:].lstrip()
    if unit in ("", "rps", "req/s"):
        seconds = 1.0
    else:
        period = rate_period(unit)
        if period is None:
            raise InputError(f"{name}: cannot read {excerpt(text)} as {what}")
        if period not in UNIT_SECONDS:
            raise InputError(f"{name}: unknown period {period!r} in {excerpt(text)}; use /s, /min, /h or /d")
        seconds = UNIT_SECONDS[period]
    value = float(number) * (scale or 1.0) / seconds
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive, finite rate, got {excerpt(text, quote=False)}")
    return value


def parse_probability(text: str | float, name: str = "availability") -> tuple[float, float]:
    """Parse an availability in (0, 1) as ``(availability, unavailability)``.

    Text is read as a decimal, so the complement is exact: ``"99.9999%"``
    gives an unavailability of exactly ``1e-6`` (rounded once, to the nearest
    float), where ``1 - 0.999999`` in floats is off in the tenth digit.
    """
    what = "a probability such as 0.9995 or 99.95%"
    number, unit = split_quantity(text, name, what)
    if unit not in ("", "%"):
        raise InputError(f"{name}: cannot read {excerpt(text)} as {what}")
    try:
        value = Decimal(number)
        if unit:
            value /= 100
        inside = 0 < value < 1
    except DecimalException:  # an exponent beyond the decimal context's range
        inside = False
    if not inside:
        shown = excerpt(text, quote=False) + ("" if unit else " (write 99.9% or 0.999)")
        raise InputError(f"{name} must be strictly between 0 and 1 (0% and 100%), got {shown}")
    availability, unavailability = float(value), float(1 - value)
    if min(availability, unavailability) < sys.float_info.min:  # the decimal is fine, its float underflows
        raise InputError(f"{name}: {text} is within 1e-308 of 0 or 1, beyond what a number can hold")
    return availability, unavailability


def probability_from_nines(nines: float, name: str = "--target-nines") -> tuple[float, float]:
    """``(availability, unavailability)`` for a number of nines, U = 10^-nines.

    Both are carried directly (A = -expm1(-nines ln 10), exact for tiny
    nines), so each must be a normal float: from about 1e-15 nines
    (A = 2.3e-15) to 307 nines (U = 1e-307). Beyond, the target would read as
    100% or 0%, so it is refused.
    """
    if not math.isfinite(nines) or nines <= 0:
        raise InputError(f"{name} must be a positive number of nines, got {nines:g}")
    if nines > MAX_NINES:
        raise InputError(f"{name} must be at most {MAX_NINES:g} nines (U = 1e-{MAX_NINES:g}), got {nines:g}")
    if nines < MIN_NINES:
        raise InputError(f"{name} must be at least {MIN_NINES:g} nines (an availability of 2.3e-15), got {nines:g}")
    unavailability = 10.0 ** (-nines)
    return -math.expm1(-nines * math.log(10.0)), unavailability


#: The range of --target-nines for which both A and U are ordinary floats, apart from 0 and 1.
MIN_NINES, MAX_NINES = 1e-15, 307.0


#: Days from which a duration is written in days to three figures, not to the minute.
LONG_DAYS = 365_000


def format_duration(hours: float) -> str:
    """A duration for people: ``52m 34s``, ``8h 45m 36s``, ``2d 3h 4m``, ``864ms``."""
    if hours is None or not math.isfinite(hours):
        return "-" if hours is None else str(hours)
    if hours < 0:
        return "-" + format_duration(-hours)
    if hours >= 24.0 * LONG_DAYS:
        # past a thousand years the minutes mean nothing, and 1e308 h in seconds is no float at all
        return f"{hours / 24.0:.3g}d"
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
    if unavailability != unavailability or availability != availability:
        return "nan"  # no figure (shown as such, never as a number)
    if unavailability <= 0:
        return "100%"
    if unavailability >= 1:
        return "0%"
    nines = -math.log10(unavailability)
    decimals = max(1, math.floor(nines) - 2 + extra_digits)
    value = (Decimal(1) - Decimal(unavailability)) * 100
    return f"{value:.{decimals}f}%"


def format_number(value: float, digits: int = 6) -> str:
    """A number for people: ``digits`` significant digits, thousands grouped, no exponent where one is not needed.

    ``2e6`` is ``2,000,000`` (never ``2e+06``), ``956.4741`` is ``956.474``,
    ``0.5`` is ``0.5``; beyond 1e15 or below 1e-4 the exponent form stays
    (``1.5e+20``), where grouped digits would be harder to read.
    """
    if value is None or not math.isfinite(value):
        return "-" if value is None else str(value)
    if value == 0:
        return "0"
    size = abs(value)
    if not 1e-4 <= size < 1e15:
        return f"{value:.{digits}g}"
    exponent = math.floor(math.log10(size))
    rounded = float(f"{value:.{digits}g}")  # round to the digits first: 999,999.7 is 1,000,000
    if rounded != 0:
        exponent = math.floor(math.log10(abs(rounded)))
    decimals = max(0, digits - 1 - exponent)
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: Units a whole period is named in, longest first: ``1 y``, ``2 w``, ``3 d``, ``90 min``.
_PERIOD_UNITS = (("w", 168.0), ("d", 24.0), ("h", 1.0), ("min", 1 / 60), ("s", 1 / 3600))


def format_period(hours: float, *, year_days: float = 365.0) -> str:
    """A length of time as written in an option: ``1 y``, ``2 d``, ``90 min``; else as :func:`format_duration`.

    For labels such as ``R(1 y)``, where ``365d 0h 0m`` would hide the
    round figure the user asked for.
    """
    if hours is None or not math.isfinite(hours) or hours <= 0:
        return format_duration(hours)
    for unit, size in (("y", year_days * HOURS_PER_DAY),) + _PERIOD_UNITS:
        count = hours / size
        if count >= 1 and abs(count - round(count * 4) / 4) <= 1e-9 * count:  # whole or quarter units
            return f"{format_number(round(count * 4) / 4)} {unit}"
    return format_duration(hours)
