"""Reading the capacity inputs people type: request rates, latency targets, growth."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import InputError
from ..units import NUMBER, DURATION_UNITS

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
_PER_SECOND = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hr": 3600.0,
               "hour": 3600.0, "d": 86400.0, "day": 86400.0}
_RATE = re.compile(rf"^\s*({NUMBER})\s*([kKMG]?)\s*(?:(?:/|per\s+)\s*([A-Za-z]+)|rps|req/s)?\s*$")


def parse_request_rate(text: str | float, name: str = "--rate") -> float:
    """A positive rate in requests per second.

    A plain number is per second; ``k``, ``M`` and ``G`` scale it, and a
    ``/unit`` changes the period: ``12k``, ``12000/s``, ``720k/min``.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        match = _RATE.match(str(text))
        if not match:
            raise InputError(f"{name}: cannot read {text!r} as a rate such as 12k, 12000/s or 720k/min")
        unit = (match.group(3) or "s").lower()
        if unit not in _PER_SECOND:
            raise InputError(f"{name}: unknown period {unit!r} in {text!r}; use /s, /min, /h or /d")
        value = float(match.group(1)) * _SI[match.group(2)] / _PER_SECOND[unit]
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive, finite rate, got {text}")
    return value


def parse_seconds(text: str | float, name: str) -> float:
    """A positive duration in seconds; a plain number is seconds here."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        match = re.match(rf"^\s*({NUMBER})\s*([A-Za-z]*)\s*$", str(text))
        if not match:
            raise InputError(f"{name}: cannot read {text!r} as a duration such as 40ms or 0.2s")
        unit = match.group(2).lower() or "s"
        if unit not in DURATION_UNITS:
            raise InputError(f"{name}: unknown unit {unit!r} in {text!r}; use ms, s or min")
        value = float(match.group(1)) * DURATION_UNITS[unit] * 3600.0
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive, finite duration, got {text}")
    return value


def parse_fraction(text: str | float, name: str) -> float:
    """A share in (0, 1], written as a decimal (0.7) or a percentage (70%)."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise InputError(f"{name}: cannot read {text!r} as a share such as 0.7 or 70%") from None
    if not (0.0 < value <= 1.0):
        raise InputError(f"{name} must be in (0, 1] (or (0%, 100%]), got {text}")
    return value


@dataclass(frozen=True)
class LatencyTarget:
    """A response-time target: a quantile (0.99 for p99) or the mean (None)."""

    quantile: float | None
    seconds: float

    @property
    def label(self) -> str:
        which = "mean" if self.quantile is None else f"p{self.quantile * 100:g}"
        return f"{which}<={self.seconds * 1000:g}ms"


_LATENCY = re.compile(r"^\s*(mean|avg|p(\d+(?:\.\d+)?))\s*(<=|<)\s*(.+?)\s*$", re.IGNORECASE)


def parse_latency_target(text: str, name: str = "--latency") -> LatencyTarget:
    """``p99<=200ms``, ``p99.9<=1s`` or ``mean<=50ms``."""
    match = _LATENCY.match(str(text))
    if not match:
        raise InputError(f"{name}: cannot read {text!r}; write a target such as p99<=200ms or mean<=50ms")
    quantile = None
    if match.group(2) is not None:
        quantile = float(match.group(2)) / 100.0
        if not 0.0 < quantile < 1.0:
            raise InputError(f"{name}: the percentile must be between p0 and p100 (exclusive), got {text!r}")
    return LatencyTarget(quantile, parse_seconds(match.group(4), name))


_GROWTH = re.compile(rf"^\s*({NUMBER})\s*%\s*(?:/|per\s+)\s*([A-Za-z]+)\s*$")
_PERIOD_MONTHS = {"month": 1.0, "mo": 1.0, "m": 1.0, "year": 12.0, "yr": 12.0, "y": 12.0, "quarter": 3.0,
                  "q": 3.0, "week": 12.0 / 52.1775, "w": 12.0 / 52.1775}


def _months_of(unit: str) -> float | None:
    unit = unit.lower()
    return _PERIOD_MONTHS.get(unit, _PERIOD_MONTHS.get(unit.rstrip("s")))


def parse_growth(text: str, name: str = "--growth") -> float:
    """Compound growth as a factor per month: ``5%/month`` gives 1.05."""
    match = _GROWTH.match(str(text))
    if not match:
        raise InputError(f"{name}: cannot read {text!r}; write a growth such as 5%/month or 60%/year")
    months = _months_of(match.group(2))
    if months is None:
        raise InputError(f"{name}: unknown period {match.group(2)!r}; use /month, /quarter, /year or /week")
    percent = float(match.group(1))
    if not math.isfinite(percent) or percent <= -100.0:
        raise InputError(f"{name} must be above -100%, got {text}")
    return (1.0 + percent / 100.0) ** (1.0 / months)


def parse_months(text: str | int, name: str = "--horizon") -> int:
    """A whole number of months: ``18mo``, ``2y``, ``18`` (months)."""
    match = re.match(rf"^\s*({NUMBER})\s*([A-Za-z]*)\s*$", str(text))
    months = _months_of(match.group(2)) if match and match.group(2) else 1.0
    if not match or months is None:
        raise InputError(f"{name}: cannot read {text!r}; write a horizon such as 18mo or 2y")
    value = float(match.group(1)) * months
    if not math.isfinite(value) or value < 1 or value > 1200 or abs(value - round(value)) > 1e-9:
        raise InputError(f"{name} must be a whole number of months from 1 to 1200, got {text}")
    return int(round(value))


def _whole(value: Any, name: str, low: int) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: cannot read {value!r} as a whole number") from None
    if number != math.floor(number) or not math.isfinite(number):
        raise InputError(f"{name} must be a whole number, got {value!r}")
    if number < low:
        raise InputError(f"{name} must be at least {low}, got {value!r}")
    return number


def parse_usl(text: Any, name: str = "--usl") -> tuple[float, float]:
    """``SIGMA,KAPPA`` (text or a two-item list)."""
    parts = text if isinstance(text, (list, tuple)) else [p.strip() for p in str(text).split(",")]
    try:
        sigma, kappa = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise InputError(f"{name}: write SIGMA,KAPPA such as 0.03,0.0005, got {text!r}") from None
    if not (0 <= sigma < 1) or not (0 <= kappa < math.inf):
        raise InputError(f"{name} needs 0 <= sigma < 1 and kappa >= 0, got {text!r}")
    return sigma, kappa


def cluster_values(given: dict[str, Any], name: Callable[[str], str]) -> dict[str, float]:
    """Numeric :class:`~relcalc.capacity.sizing.Cluster` fields from what a user wrote.

    ``given`` holds the inputs by their option names without dashes
    (``node_throughput``, ``latency``, ``usl``, ...), None for absent;
    ``name(key)`` spells a key for error messages (``--node-throughput`` on
    the command line, ``capacity.node_throughput`` in a report spec). Absent
    fields are NaN, or their default.
    """
    nan = math.nan

    def get(key):
        return given.get(key)

    values: dict[str, float] = {
        "node_throughput": parse_request_rate(get("node_throughput"), name("node_throughput"))
        if get("node_throughput") is not None else nan,
        "service_time": parse_seconds(get("service_time"), name("service_time"))
        if get("service_time") is not None else nan,
        "concurrency": _whole(get("concurrency"), name("concurrency"), 1) if get("concurrency") is not None else nan,
        "balance_factor": nan,
        "sessions": _whole(get("sessions"), name("sessions"), 1) if get("sessions") is not None else nan,
        "target_utilization": parse_fraction(get("target_utilization"), name("target_utilization"))
        if get("target_utilization") is not None else 1.0,
        "failover_utilization": parse_fraction(get("failover_utilization"), name("failover_utilization"))
        if get("failover_utilization") is not None else 1.0,
        "tolerate_failures": _whole(get("tolerate_failures"), name("tolerate_failures"), 0)
        if get("tolerate_failures") is not None else 0.0,
        "zones": nan,
        "latency_quantile": nan,
        "latency_seconds": nan,
        "usl_sigma": 0.0,
        "usl_kappa": 0.0,
    }
    if get("balance_factor") is not None:
        try:
            k = float(get("balance_factor"))
        except (TypeError, ValueError):
            raise InputError(f"{name('balance_factor')}: cannot read {get('balance_factor')!r} as a number") from None
        if not (k >= 1) or not math.isfinite(k):
            raise InputError(f"{name('balance_factor')} must be >= 1 (1 is perfect balance), got {get('balance_factor')}")
        values["balance_factor"] = k
    if get("zones") is not None:
        zones = _whole(get("zones"), name("zones"), 1)
        if zones < 2:
            raise InputError(f"{name('zones')} must be at least 2 to survive the loss of one, got {get('zones')}")
        values["zones"] = zones
    if get("latency") is not None:
        goal = parse_latency_target(get("latency"), name("latency"))
        values["latency_quantile"] = nan if goal.quantile is None else goal.quantile
        values["latency_seconds"] = goal.seconds
    if get("usl") is not None:
        values["usl_sigma"], values["usl_kappa"] = parse_usl(get("usl"), name("usl"))
    return values
