"""Sizing a CSV of services: one result row per service, bad rows by number.

Columns (case-insensitive, spaces or dashes read as underscores) are the
fields of :class:`~relcalc.capacity.sizing.Cluster` spelt as on the command
line: ``rate``, ``node_throughput``, ``service_time``, ``concurrency``,
``balance_factor``, ``balancer``, ``sessions``, ``target_utilization``,
``failover_utilization``, ``tolerate_failures``, ``zones``, ``latency``
(``p99<=200ms``), ``wait`` (``p95<=50ms``), ``service_level`` (``80%@20s``),
``service_time_cv``, ``service_time_p99`` (a lognormal law), ``arrival_cv``,
``usl_sigma``, ``usl_kappa``, and ``current_nodes``. A blank or absent cell
takes the default passed in (the command-line options). Every other column
passes through. Survivor and wait columns are written only when some row
asks for failures or a wait target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..batch import RowError, is_blank, normalise_header
from ..errors import InputError
from ..units import MAX_COUNT, parse_count, parse_number
from .parse import (FIELD_PARSERS, parse_latency_target, parse_request_rate, parse_seconds, parse_service_level,
                    parse_wait_target)
from .sizing import BALANCERS, CONSTRAINTS, Cluster, check, size

if TYPE_CHECKING:  # pandas is imported where a frame is read or built (a plain file is sized without it)
    import pandas as pd


def _cv(cell, name: str) -> float:
    value = parse_number(cell, name)
    if not value >= 0:
        raise InputError(f"{name} must be >= 0, got {cell!r}")
    return value

#: How each numeric column is read cell by cell: ``parse(cell, column key) -> float``.
_COLUMNS: dict[str, Callable[[Any, str], float]] = {
    "rate": parse_request_rate,
    **FIELD_PARSERS,
    "usl_sigma": parse_number,
    "usl_kappa": parse_number,
    "current_nodes": lambda cell, name: float(parse_count(cell, name)),
    "service_time_cv": _cv,
    "service_time_p99": parse_seconds,
    "arrival_cv": _cv,
}
_TEXT_COLUMNS = ("balancer", "latency", "wait", "service_level")
#: Targets written as text, read once per distinct spelling: column -> (parser, Cluster fields)
_TARGETS = {
    "latency": (parse_latency_target, ("latency_quantile", "latency_seconds")),
    "wait": (parse_wait_target, ("wait_quantile", "wait_seconds")),
    "service_level": (parse_service_level, ("wait_quantile", "wait_seconds")),
}
_Z99 = 2.3263478740408408
_OUTPUT = (
    "nodes", "binding_constraint", *(f"nodes_for_{c}" for c in CONSTRAINTS[:4]), "capacity_c", "effective_capacity_q",
    "balance_factor", "offered_load_erlangs", "utilization", "utilization_after_failures", "probability_of_wait",
    "mean_wait_seconds", "mean_response_seconds", "p50_response_seconds", "p95_response_seconds",
    "p99_response_seconds",
)
_WAIT_OUTPUT = ("nodes_for_wait", "p99_wait_seconds", "service_level")
_SURVIVOR_OUTPUT = ("failure_scenario", "survivor_p99_response_seconds", "survivor_p99_wait_seconds")
_SURVIVOR_TARGETS = ("nodes_for_latency_after_failures", "nodes_for_wait_after_failures")


def _flagged(errors: dict[int, list[str]], rows: int) -> np.ndarray:
    """The rows with an error so far, as a mask."""
    out = np.zeros(rows, bool)
    out[list(errors)] = True
    return out


def _whole(values: np.ndarray):
    """Counts held as floats (NaN: none) as a nullable integer column, without a pass through Python objects."""
    import pandas as pd

    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


@dataclass(frozen=True)
class CapacityBatch:
    """Sized rows in input order (bad rows left out and listed in ``errors``)."""

    table: pd.DataFrame
    errors: list[RowError]
    rows_read: int
    unreachable: int  # rows whose targets no cluster size meets (kept, with a note)
    short: int  # rows whose current_nodes are fewer than needed


def _column_values(column: pd.Series, key: str, default: float, errors: dict[int, list[str]]) -> np.ndarray:
    """Parse a column: plain numbers in one vectorised pass, the rest cell by cell."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(column.dtype):  # true/false cells: not numbers, whatever pandas makes of them
        numeric = np.full(len(column), np.nan)
    else:
        numeric = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    out = numeric.copy()
    for i in np.flatnonzero(np.isnan(numeric)):
        cell = column.iat[i]
        if is_blank(cell):
            out[i] = default
            continue
        try:
            out[i] = _COLUMNS[key](cell, key)
        except InputError as exc:
            errors.setdefault(i, []).append(str(exc))
    return out  # plain numbers are range-checked with the rest by sizing.check


def _variability(values: dict[str, np.ndarray], defaults: dict[str, float], errors: dict[int, list[str]]) -> None:
    """Squared CVs of service and arrivals from the CV and p99 columns (a p99 means a lognormal law)."""
    cv = values.pop("service_time_cv")
    p99 = values.pop("service_time_p99")
    arrival = values.pop("arrival_cv")
    scv = np.where(np.isnan(cv), defaults.get("service_scv", 1.0), cv * cv)
    ratio = p99 / values["service_time"]
    gap = _Z99 * _Z99 - 2.0 * np.log(np.where(ratio > 1, ratio, 1.0))
    with np.errstate(invalid="ignore"):
        s2 = (_Z99 - np.sqrt(gap)) ** 2
    for name, values_ in (("service_time_cv", cv), ("arrival_cv", arrival)):
        for i in np.flatnonzero(~np.isnan(values_) & ~((values_ >= 0) & np.isfinite(values_))):
            errors.setdefault(int(i), []).append(f"{name} must be >= 0 and finite")
    given = ~np.isnan(p99)
    for i in np.flatnonzero(given & ~np.isnan(cv)):
        errors.setdefault(int(i), []).append("give service_time_p99 or service_time_cv, not both")
    for i in np.flatnonzero(given & ~(ratio > 1)):
        errors.setdefault(int(i), []).append("service_time_p99 must be above the mean service time")
    for i in np.flatnonzero(given & (ratio > 1) & (gap < 0)):
        errors.setdefault(int(i), []).append("no lognormal has that p99 over its mean (at most 14.9 times)")
    values["service_scv"] = np.where(given & (ratio > 1) & (gap >= 0), np.expm1(s2), scv)
    values["arrival_scv"] = np.where(np.isnan(arrival), defaults.get("arrival_scv", 1.0), arrival * arrival)
    inexact = ~np.isnan(values["latency_seconds"]) & ~np.isnan(values["latency_quantile"]) & (
        (values["service_scv"] != 1) | (values["arrival_scv"] != 1))
    for i in np.flatnonzero(inexact):
        errors.setdefault(int(i), []).append(
            "a response-time percentile with non-exponential service has no closed form; size this service "
            "alone with --method simulate, or give a mean or wait target")


#: Services sized at a time (the size of sizing's own blocks, whose arrays stay in cache).
_BLOCK_ROWS = 16384
#: Output columns held as counts (floats with NaN for none; written as whole numbers) and as text.
_COUNTS = frozenset(k for k in _OUTPUT + _WAIT_OUTPUT + _SURVIVOR_TARGETS if k == "nodes" or k.startswith("nodes_for_"))
_TEXTS = frozenset(("binding_constraint", "failure_scenario", "note"))


def column_roles(columns: list[str], defaults: dict[str, float]) -> dict[str, str]:
    """Which column gives which input (key -> column name), from the header alone; InputError if they make no batch."""
    found: dict[str, str] = {}
    for column in columns:
        key = normalise_header(column)
        key = {"throughput": "node_throughput", "t": "node_throughput", "r": "rate", "nodes": "current_nodes"}.get(key, key)
        if key in _COLUMNS or key in _TEXT_COLUMNS:
            if key in found:
                raise InputError(f"--csv: columns {found[key]!r} and {column!r} both give {key}")
            found[key] = column
    if "rate" not in found and math.isnan(defaults.get("rate", math.nan)):
        have = ", ".join(repr(c) for c in columns)
        raise InputError(f"--csv: need a rate column (or --rate for every row); found {have}")
    if "wait" in found and "service_level" in found:
        raise InputError(f"--csv: columns {found['wait']!r} and {found['service_level']!r} are both wait targets")
    return found


@dataclass(frozen=True)
class SizedRows:
    """Every row's inputs and figures as arrays (input order, bad rows included), before a table is put together."""

    rows: int
    values: dict[str, np.ndarray]  # the Cluster fields and variability, by row
    current: np.ndarray  # current_nodes (NaN: not given)
    results: dict[str, np.ndarray]  # output key -> figures by row (NaN where none or not sized)
    notes: np.ndarray  # why a row's targets are out of reach ("" where they are not)
    errors: dict[int, list[str]]  # row index -> its problems

    def good(self) -> np.ndarray:
        keep = np.ones(self.rows, dtype=bool)
        keep[list(self.errors)] = False
        return keep

    def result_columns(self, has_current: bool) -> tuple[dict[str, np.ndarray], dict[str, str], int]:
        """The result columns of the good rows in output order, each column's kind (float, count, text or flag),
        and how many rows have fewer current nodes than they need."""
        good = self.good()
        out: dict[str, np.ndarray] = {"rate_per_second": self.values["rate"][good]}
        kinds = {"rate_per_second": "float"}
        for key, column in self.results.items():
            out[key] = column[good]
            kinds[key] = "count" if key in _COUNTS else "text" if key in _TEXTS else "float"
        short = 0
        if has_current:
            cur, needed = self.current[good], self.results["nodes"][good]
            out["current_nodes"], kinds["current_nodes"] = cur, "count"
            known = ~np.isnan(cur) & ~np.isnan(needed)
            out["enough_nodes"] = np.where(known, cur >= needed, None)  # None: not known
            kinds["enough_nodes"] = "flag"
            short = int(np.sum(known & (cur < needed)))
        out["note"], kinds["note"] = self.notes[good], "text"
        return out, kinds, short


def size_values(values: dict[str, np.ndarray], balancers: np.ndarray, defaults: dict[str, float],
                errors: dict[int, list[str]]) -> SizedRows:
    """Size rows whose cells are read (``values``: the numeric columns of ``_COLUMNS`` and the targets' quantile
    and seconds; ``balancers``: each row's policy); ``errors`` gathers each bad row's problems."""
    rows = len(balancers)
    _variability(values, defaults, errors)
    current = values.pop("current_nodes")
    bad_current = ~np.isnan(current) & ~((current >= 1) & (current <= MAX_COUNT) & (current == np.floor(current)))
    for i in np.flatnonzero(bad_current):
        errors.setdefault(int(i), []).append(f"current_nodes must be a whole number from 1 to {MAX_COUNT:,}")

    failures = (values["tolerate_failures"] > 0) | ~np.isnan(values["zones"])
    waits = ~np.isnan(values["wait_seconds"])
    output = (_OUTPUT + (_WAIT_OUTPUT if np.any(waits) else ()) + (_SURVIVOR_OUTPUT if np.any(failures) else ())
              + (_SURVIVOR_TARGETS if np.any(failures) else ()))
    results: dict[str, np.ndarray] = {key: np.full(rows, np.nan) for key in output}
    if "failure_scenario" in results:
        results["failure_scenario"] = np.full(rows, None, dtype=object)
    results["binding_constraint"] = np.full(rows, "", dtype=object)
    notes = np.full(rows, "", dtype=object)
    for policy in BALANCERS:
        members = np.flatnonzero((balancers == policy) & ~_flagged(errors, rows))
        if not members.size:
            continue
        cluster = Cluster(balancer=policy, **{k: v[members] for k, v in values.items()})
        for index, message in check(cluster):
            errors.setdefault(int(members[index]), []).append(message)
        members = members[~_flagged(errors, rows)[members]]
        if not members.size:
            continue
        # services are independent: sized a block at a time, each block's figures put straight in place
        # (rather than joined into one result first, a copy of every figure)
        for start in range(0, members.size, _BLOCK_ROWS):
            block = members[start:start + _BLOCK_ROWS]
            sizing = size(Cluster(balancer=policy, **{k: v[block] for k, v in values.items()}))
            sized = sizing.columns()
            for key in output:
                column = sized[key]
                results[key][block] = column.astype(float).filled(np.nan) if np.ma.isMaskedArray(column) else column
            notes[block] = sizing.unreachable
    return SizedRows(rows, values, current, results, notes, errors)


def size_csv(frame: pd.DataFrame, defaults: dict[str, float], balancer: str = "round-robin") -> CapacityBatch:
    """Size every service of ``frame``; ``defaults`` fill absent or blank cells."""
    import pandas as pd

    found = column_roles(list(frame.columns), defaults)
    rows = len(frame)
    errors: dict[int, list[str]] = {}
    values: dict[str, np.ndarray] = {}
    for key in _COLUMNS:
        default = defaults.get(key, math.nan)
        if key in found:
            values[key] = _column_values(frame[found[key]], key, default, errors)
        else:
            values[key] = np.full(rows, default)
    balancers = np.full(rows, balancer, dtype=object)
    if "balancer" in found:
        for i, cell in enumerate(frame[found["balancer"]]):
            if not is_blank(cell):
                name = str(cell).strip().lower()
                if name in BALANCERS:
                    balancers[i] = name
                else:
                    errors.setdefault(i, []).append(f"balancer: unknown policy {cell!r}")
    for key in ("latency_quantile", "latency_seconds", "wait_quantile", "wait_seconds"):
        values[key] = np.full(rows, defaults.get(key, math.nan))
    for column_key, (parse, (q_key, s_key)) in _TARGETS.items():
        if column_key not in found:
            continue
        # few distinct targets in practice: parse each once, then scatter
        column = frame[found[column_key]]
        blank = column.isna().to_numpy() | (column.astype(str).str.strip() == "").to_numpy()
        codes, uniques = pd.factorize(column.astype(str))
        quantile = np.full(len(uniques), np.nan)
        seconds = np.full(len(uniques), np.nan)
        problem: dict[int, str] = {}
        for u, text in enumerate(uniques):
            try:
                goal = parse(text, column_key)
            except InputError as exc:
                problem[u] = str(exc)
                continue
            quantile[u] = math.nan if goal.quantile is None else goal.quantile
            seconds[u] = goal.seconds
        given = ~blank
        for i in np.flatnonzero(given & np.isin(codes, list(problem))):
            errors.setdefault(int(i), []).append(problem[codes[i]])
        values[q_key][given] = quantile[codes[given]]
        values[s_key][given] = seconds[codes[given]]
    sized = size_values(values, balancers, defaults, errors)
    good = sized.good()
    consumed = set(found.values())
    out: dict[str, Any] = {c: frame.loc[good, c].reset_index(drop=True) for c in frame.columns if c not in consumed}
    columns, kinds, short = sized.result_columns("current_nodes" in found)
    for key, column in columns.items():
        if kinds[key] == "count":
            column = _whole(column)
        elif kinds[key] == "flag":
            column = pd.array(np.where(pd.isna(column), pd.NA, column), dtype="boolean")
        out[key] = column
    table = pd.DataFrame(out)
    row_errors = [RowError(i + 1, "; ".join(msgs)) for i, msgs in sorted(sized.errors.items())]
    return CapacityBatch(table, row_errors, rows, int(np.sum(columns["note"] != "")), short)
