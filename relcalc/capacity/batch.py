"""Sizing a CSV of services: one result row per service, bad rows by number.

Columns (case-insensitive, spaces or dashes read as underscores) are the
fields of :class:`~relcalc.capacity.sizing.Cluster` spelt as on the command
line: ``rate``, ``node_throughput``, ``service_time``, ``concurrency``,
``balance_factor``, ``balancer``, ``sessions``, ``target_utilization``,
``failover_utilization``, ``tolerate_failures``, ``zones``, ``latency``
(``p99<=200ms``), ``usl_sigma``, ``usl_kappa``, and ``current_nodes``. A blank
or absent cell takes the default passed in (the command-line options). Every
other column passes through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..batch import RowError, is_blank, normalise_header
from ..errors import InputError
from ..units import parse_count, parse_number
from .parse import FIELD_PARSERS, parse_latency_target, parse_request_rate
from .sizing import BALANCERS, CONSTRAINTS, Cluster, check, size

#: How each numeric column is read cell by cell: ``parse(cell, column key) -> float``.
_COLUMNS: dict[str, Callable[[Any, str], float]] = {
    "rate": parse_request_rate,
    **FIELD_PARSERS,
    "usl_sigma": parse_number,
    "usl_kappa": parse_number,
    "current_nodes": lambda cell, name: float(parse_count(cell, name)),
}
_TEXT_COLUMNS = ("balancer", "latency")
_OUTPUT = (
    "nodes", "binding_constraint", *(f"nodes_for_{c}" for c in CONSTRAINTS), "capacity_c", "effective_capacity_q",
    "balance_factor", "offered_load_erlangs", "utilization", "utilization_after_failures", "probability_of_wait",
    "mean_wait_seconds", "mean_response_seconds", "p50_response_seconds", "p95_response_seconds",
    "p99_response_seconds",
)


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


def size_csv(frame: pd.DataFrame, defaults: dict[str, float], balancer: str = "round-robin") -> CapacityBatch:
    """Size every service of ``frame``; ``defaults`` fill absent or blank cells."""
    found: dict[str, str] = {}
    for column in frame.columns:
        key = normalise_header(column)
        key = {"throughput": "node_throughput", "t": "node_throughput", "r": "rate", "nodes": "current_nodes"}.get(key, key)
        if key in _COLUMNS or key in _TEXT_COLUMNS:
            if key in found:
                raise InputError(f"--csv: columns {found[key]!r} and {column!r} both give {key}")
            found[key] = column
    if "rate" not in found and math.isnan(defaults.get("rate", math.nan)):
        have = ", ".join(repr(c) for c in frame.columns)
        raise InputError(f"--csv: need a rate column (or --rate for every row); found {have}")
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
    for key in ("latency_quantile", "latency_seconds"):
        values[key] = np.full(rows, defaults.get(key, math.nan))
    if "latency" in found:
        # few distinct targets in practice: parse each once, then scatter
        column = frame[found["latency"]]
        blank = column.isna().to_numpy() | (column.astype(str).str.strip() == "").to_numpy()
        codes, uniques = pd.factorize(column.astype(str))
        quantile = np.full(len(uniques), np.nan)
        seconds = np.full(len(uniques), np.nan)
        problem: dict[int, str] = {}
        for u, text in enumerate(uniques):
            try:
                goal = parse_latency_target(text, "latency")
            except InputError as exc:
                problem[u] = str(exc)
                continue
            quantile[u] = math.nan if goal.quantile is None else goal.quantile
            seconds[u] = goal.seconds
        given = ~blank
        for i in np.flatnonzero(given & np.isin(codes, list(problem))):
            errors.setdefault(int(i), []).append(problem[codes[i]])
        values["latency_quantile"][given] = quantile[codes[given]]
        values["latency_seconds"][given] = seconds[codes[given]]
    current = values.pop("current_nodes")
    bad_current = ~np.isnan(current) & ~((current >= 1) & np.isfinite(current) & (current == np.floor(current)))
    for i in np.flatnonzero(bad_current):
        errors.setdefault(int(i), []).append("current_nodes must be a whole number >= 1")

    results: dict[str, np.ndarray] = {key: np.full(rows, np.nan) for key in _OUTPUT}
    results["binding_constraint"] = np.full(rows, "", dtype=object)
    notes = np.full(rows, "", dtype=object)
    for policy in BALANCERS:
        members = np.flatnonzero(balancers == policy)
        members = members[[int(i) not in errors for i in members]] if members.size else members
        if not members.size:
            continue
        cluster = Cluster(balancer=policy, **{k: v[members] for k, v in values.items()})
        for index, message in check(cluster):
            errors.setdefault(int(members[index]), []).append(message)
        keep = np.array([int(i) not in errors for i in members], dtype=bool)
        members = members[keep]
        if not members.size:
            continue
        sizing = size(Cluster(balancer=policy, **{k: v[members] for k, v in values.items()}))
        sized = sizing.columns()
        for key in _OUTPUT:
            column = sized[key]
            results[key][members] = column.astype(float).filled(np.nan) if np.ma.isMaskedArray(column) else column
        notes[members] = sizing.unreachable
    good = np.ones(rows, dtype=bool)
    good[list(errors)] = False
    consumed = set(found.values())
    out: dict[str, Any] = {c: frame.loc[good, c].reset_index(drop=True) for c in frame.columns if c not in consumed}
    out["rate_per_second"] = values["rate"][good]
    for key in _OUTPUT:
        column = results[key][good]
        if key == "nodes" or key.startswith("nodes_for_"):
            column = pd.array(np.where(np.isnan(column), pd.NA, column), dtype="Int64") if column.size else column
        out[key] = column
    short = 0
    if "current_nodes" in found:
        cur = current[good]
        needed = results["nodes"][good]
        out["current_nodes"] = pd.array(np.where(np.isnan(cur), pd.NA, cur), dtype="Int64")
        enough = np.where(np.isnan(cur) | np.isnan(needed), pd.NA, cur >= needed)
        out["enough_nodes"] = pd.array(enough, dtype="boolean")
        short = int(np.sum(~np.isnan(cur) & ~np.isnan(needed) & (cur < needed)))
    out["note"] = notes[good]
    table = pd.DataFrame(out)
    row_errors = [RowError(i + 1, "; ".join(msgs)) for i, msgs in sorted(errors.items())]
    return CapacityBatch(table, row_errors, rows, int(np.sum(notes[good] != "")), short)
