"""Reading the capacity inputs people type: latency targets, growth, horizons, the USL, cluster fields.

Numbers, counts, shares, durations and request rates are read by the one
grammar of :mod:`relcalc.units`; this module adds what only capacity needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import InputError
from ..units import parse_count, parse_duration, parse_number, parse_request_rate, rate_period, split_quantity
from ..units import parse_share as parse_fraction
from .checks import DEFAULT_FAILOVER_UTILIZATION, DEFAULT_TARGET_UTILIZATION

__all__ = [
    "LatencyTarget", "cluster_values", "parse_service_level", "parse_wait_target", "parse_fraction", "parse_growth", "parse_latency_target", "parse_months",
    "parse_request_rate", "parse_seconds", "parse_usl",
]


def parse_seconds(text: str | float, name: str) -> float:
    """A positive duration in seconds; a plain number is seconds here."""
    return parse_duration(text, name, plain_unit="s", result_unit="s")


@dataclass(frozen=True)
class LatencyTarget:
    """A response-time target: a quantile (0.99 for p99) or the mean (None)."""

    quantile: float | None
    seconds: float

    @property
    def label(self) -> str:
        which = "mean" if self.quantile is None else f"p{self.quantile * 100:g}"
        return f"{which}<={self.seconds * 1000:g}ms"


_LATENCY = re.compile(r"^\s*(mean|avg|p([0-9]+(?:\.[0-9]+)?))\s*(<=|<)\s*(.+?)\s*$", re.IGNORECASE | re.ASCII)


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


def parse_wait_target(text: str, name: str = "--wait") -> LatencyTarget:
    """A target on the wait before service: ``p95<=50ms`` or ``mean<=10ms``."""
    return parse_latency_target(text, name)


_SERVICE_LEVEL = re.compile(r"^\s*([^@]+?)\s*@\s*(.+?)\s*$", re.ASCII)


def parse_service_level(text: str, name: str = "--service-level") -> LatencyTarget:
    """``80%@20s``: at least 80% of requests wait at most 20 s, that is the wait's p80 <= 20 s."""
    match = _SERVICE_LEVEL.match(str(text))
    if not match:
        raise InputError(f"{name}: cannot read {text!r}; write a share and a wait such as 80%@20s")
    share = parse_fraction(match.group(1), name)
    if not share < 1:
        raise InputError(f"{name}: the share must be below 100% (no queue answers every request at once), got {text!r}")
    return LatencyTarget(share, parse_seconds(match.group(2), name))


_PERIOD_MONTHS = {"month": 1.0, "mo": 1.0, "m": 1.0, "year": 12.0, "yr": 12.0, "y": 12.0, "quarter": 3.0,
                  "q": 3.0, "week": 12.0 / 52.1775, "w": 12.0 / 52.1775}


def _months_of(unit: str) -> float | None:
    unit = unit.lower()
    return _PERIOD_MONTHS.get(unit, _PERIOD_MONTHS.get(unit.rstrip("s")))


def parse_growth(text: str, name: str = "--growth") -> float:
    """Compound growth as a factor per month: ``5%/month`` gives 1.05."""
    what = "a growth such as 5%/month or 60%/year"
    number, unit = split_quantity(text, name, what)
    period = _period_of_percent(unit)
    if period is None:
        raise InputError(f"{name}: cannot read {text!r}; write {what}")
    months = _months_of(period)
    if months is None:
        raise InputError(f"{name}: unknown period {period!r}; use /month, /quarter, /year or /week")
    percent = float(number)
    if not math.isfinite(percent) or percent <= -100.0:
        raise InputError(f"{name} must be above -100%, got {text}")
    return (1.0 + percent / 100.0) ** (1.0 / months)


def _period_of_percent(unit: str) -> str | None:
    """``month`` from ``%/month`` or ``% per month``; None for anything else."""
    if not unit.startswith("%"):
        return None
    return rate_period(unit[1:].strip()) or None


def parse_months(text: str | int, name: str = "--horizon") -> int:
    """A whole number of months: ``18mo``, ``2y``, ``18`` (months)."""
    what = "a horizon such as 18mo or 2y"
    number, unit = split_quantity(text, name, what)
    months = _months_of(unit) if unit else 1.0
    if months is None:
        raise InputError(f"{name}: cannot read {text!r}; write {what}")
    value = float(number) * months
    if not math.isfinite(value) or value < 1 or value > 1200 or abs(value - round(value)) > 1e-9:
        raise InputError(f"{name} must be a whole number of months from 1 to 1200, got {text}")
    return int(round(value))


def parse_usl(text: Any, name: str = "--usl") -> tuple[float, float]:
    """``SIGMA,KAPPA`` (text or a two-item list)."""
    parts = text if isinstance(text, (list, tuple)) else [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise InputError(f"{name}: write SIGMA,KAPPA such as 0.03,0.0005, got {text!r}")
    sigma, kappa = (parse_number(p, name) for p in parts)
    if not (0 <= sigma <= 1) or not (0 <= kappa < math.inf):
        raise InputError(f"{name} needs 0 <= sigma <= 1 and kappa >= 0, got {text!r}")
    return sigma, kappa


def _count(low: int) -> Callable[[Any, str], float]:
    return lambda value, name: float(parse_count(value, name, low=low))  # a float, for the Cluster's arrays


def _balance_factor(value: Any, name: str) -> float:
    k = parse_number(value, name)
    if not k >= 1:
        raise InputError(f"{name} must be >= 1 (1 is perfect balance), got {value}")
    return k


def _zones(value: Any, name: str) -> float:
    zones = float(parse_count(value, name))
    if zones < 2:
        raise InputError(f"{name} must be at least 2 to survive the loss of one, got {value}")
    return zones


#: How each numeric :class:`~relcalc.capacity.sizing.Cluster` field is read,
#: ``parse(value, name) -> float``, alike on the command line, in a report
#: spec and in a CSV cell.
FIELD_PARSERS: dict[str, Callable[[Any, str], float]] = {
    "node_throughput": parse_request_rate,
    "service_time": parse_seconds,
    "concurrency": _count(1),
    "balance_factor": _balance_factor,
    "sessions": _count(1),
    "target_utilization": parse_fraction,
    "failover_utilization": parse_fraction,
    "tolerate_failures": _count(0),
    "zones": _zones,
}
#: Values of absent fields other than NaN.
_ABSENT = {"target_utilization": DEFAULT_TARGET_UTILIZATION, "failover_utilization": DEFAULT_FAILOVER_UTILIZATION,
           "tolerate_failures": 0.0}


def cluster_values(given: dict[str, Any], name: Callable[[str], str]) -> dict[str, float]:
    """Numeric :class:`~relcalc.capacity.sizing.Cluster` fields from what a user wrote.

    ``given`` holds the inputs by their option names without dashes
    (``node_throughput``, ``latency``, ``usl``, ...), None for absent;
    ``name(key)`` spells a key for error messages (``--node-throughput`` on
    the command line, ``capacity.node_throughput`` in a report spec). Absent
    fields are NaN, or their default.
    """
    nan = math.nan
    values = {
        key: parse(given[key], name(key)) if given.get(key) is not None else _ABSENT.get(key, nan)
        for key, parse in FIELD_PARSERS.items()
    }
    values.update(latency_quantile=nan, latency_seconds=nan, usl_sigma=0.0, usl_kappa=0.0)
    if given.get("latency") is not None:
        goal = parse_latency_target(given["latency"], name("latency"))
        values["latency_quantile"] = nan if goal.quantile is None else goal.quantile
        values["latency_seconds"] = goal.seconds
    values.update(wait_quantile=nan, wait_seconds=nan)
    if given.get("wait") is not None and given.get("service_level") is not None:
        raise InputError(f"{name('wait')} and {name('service_level')} are both wait targets; give one")
    for key, parse in (("wait", parse_wait_target), ("service_level", parse_service_level)):
        if given.get(key) is not None:
            goal = parse(given[key], name(key))
            values["wait_quantile"] = nan if goal.quantile is None else goal.quantile
            values["wait_seconds"] = goal.seconds
    if given.get("usl") is not None:
        values["usl_sigma"], values["usl_kappa"] = parse_usl(given["usl"], name("usl"))
    return values
