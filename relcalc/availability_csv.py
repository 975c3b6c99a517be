"""``relcalc availability --csv``: one availability result row per input row, bad rows reported by number.

Numeric cells go through pandas' vectorised parser; cells with a unit
(``2d``, ``90min``) are split by one vectorised pass of the quantity grammar
of :mod:`relcalc.units`; only cells that fail it (rates such as ``2/y``, or
malformed cells) are read one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from .availability import Calendar, analyze, budget
from .batch import RowError, is_blank, normalise_header
from .errors import InputError
from .results import record
from .units import DURATION_UNITS, QUANTITY, parse_duration, parse_probability, parse_rate_per_hour, unit_hours

_DURATION_HEADER = re.compile(r"^(mtbf|mttr)(?:_(?:in_)?([a-z]+))?$")
_RATE_HEADERS = {
    "failure_rate": ("failure_rate", 1.0),
    "failure_rate_per_hour": ("failure_rate", 1.0),
    "fit": ("failure_rate", 1e-9),
    "repair_rate": ("repair_rate", 1.0),
    "repair_rate_per_hour": ("repair_rate", 1.0),
}


@dataclass(frozen=True)
class BatchResult:
    """Results of the good rows, in input order, and the errors of the bad ones."""

    table: pd.DataFrame
    errors: list[RowError]
    rows_read: int
    mode: str  #: "components" (MTBF/MTTR given) or "budgets" (availability given)
    calendar: Calendar


def _parse_cells(
    column: pd.Series,
    scale: float,
    parse_one: Callable[[str], float],
    label: str,
    errors: dict[int, list[str]],
    year_days: float,
) -> np.ndarray:
    """Vectorised parse of a quantity column into hours (or per-hour rates).

    Plain numbers are multiplied by ``scale`` (the unit in the header). Cells
    with their own unit are split by one vectorised regex; only cells that
    fail it go through ``parse_one``: rates with units (``2/y``, ``500 FIT``)
    are parsed there, and anything malformed gets its precise message.
    """
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan) * scale
    else:
        # one pass of pyarrow's regex over the text: number and unit per cell
        import pyarrow as pa
        import pyarrow.compute as pc

        parts = pc.extract_regex(pa.array(column.astype("str").array), QUANTITY)
        number = pc.cast(pc.struct_field(parts, "number"), pa.float64()).to_numpy(zero_copy_only=False)
        unit = pc.utf8_lower(pc.struct_field(parts, "unit"))
        names = sorted(DURATION_UNITS) if label in ("mtbf", "mttr") else []
        factor = np.array([unit_hours(n, year_days=year_days) for n in names] + [scale, np.nan])
        which = pc.index_in(unit, value_set=pa.array(names, pa.string())).cast(pa.int64())
        which = pc.if_else(pc.equal(unit, ""), len(names), which)  # plain number: the header's unit
        which = pc.fill_null(which, len(names) + 1).to_numpy(zero_copy_only=False)  # no match: NaN
        values = np.asarray(number, dtype=float) * factor[which]
    todo = np.flatnonzero(np.isnan(values))
    if len(todo):
        raw = column.to_numpy(dtype=object)
        for i in todo:
            cell = raw[i]
            if is_blank(cell):
                errors.setdefault(int(i), []).append(f"{label} is empty")
                continue
            try:
                values[i] = parse_one(str(cell))
            except InputError as exc:
                errors.setdefault(int(i), []).append(str(exc))
    bad = ~np.isnan(values) & (~np.isfinite(values) | (values <= 0))
    if bad.any():
        raw = column.to_numpy(dtype=object)
        for i in np.flatnonzero(bad):
            errors.setdefault(int(i), []).append(f"{label} must be positive and finite, got {raw[i]}")
    return values


def _probability_cells(
    column: pd.Series, label: str, errors: dict[int, list[str]], blank: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Availability cells parsed exactly as decimals: (availability, unavailability).

    A blank cell is an error of its row, or, for an optional column, takes
    ``blank`` (NaN, NaN: no value).
    """
    a = np.full(len(column), np.nan)
    u = np.full(len(column), np.nan)
    for i, cell in enumerate(column.to_numpy(dtype=object)):
        if is_blank(cell):
            if blank is None:
                errors.setdefault(i, []).append(f"{label} is empty")
            else:
                a[i], u[i] = blank
            continue
        try:
            a[i], u[i] = parse_probability(cell, label)  # a float cell is read by its shortest decimal spelling
        except InputError as exc:
            errors.setdefault(i, []).append(str(exc))
    return a, u


def evaluate_availability_csv(
    frame: pd.DataFrame,
    *,
    calendar: Calendar | None = None,
    target: tuple[float, float] | None = None,
) -> BatchResult:
    """Evaluate every row of an availability CSV.

    Recognised columns (case-insensitive): ``mtbf`` and ``mttr`` (cells may
    carry units; a header such as ``mtbf_h``, ``mttr_min`` or ``mtbf_hours``
    gives the unit of plain numbers), or ``failure_rate``/``fit`` and
    ``repair_rate`` (per hour); or ``availability`` alone for budgets. An
    optional ``target`` column (or the ``target`` argument) adds
    ``meets_target``, a nullable boolean: a blank ``target`` cell takes the
    ``target`` argument, else leaves that row without a target (NA). Every
    other column passes through unchanged.
    """
    calendar = calendar or Calendar()
    year_days = calendar.year_days
    errors: dict[int, list[str]] = {}
    found: dict[str, tuple[str, float]] = {}  # role -> (column, scale to hours or per-hour)
    for column in frame.columns:
        key = normalise_header(column)
        match = _DURATION_HEADER.match(key)
        role_scale: tuple[str, float] | None = None
        if match:
            unit = match.group(2) or ""
            hours = 1.0 if unit in ("", "hours") else unit_hours(unit, year_days=year_days)
            if hours is None:
                raise InputError(f"--csv: column {column!r}: unknown unit {unit!r}; use e.g. mtbf_h, mttr_min")
            role_scale = (match.group(1), hours)
        elif key in _RATE_HEADERS:
            role_scale = _RATE_HEADERS[key]
        elif key in ("availability", "target"):
            role_scale = (key, 1.0)
        if role_scale:
            role = role_scale[0]
            if role in found:
                raise InputError(f"--csv: columns {found[role][0]!r} and {column!r} both give {role}")
            found[role] = (column, role_scale[1])

    up_roles = [r for r in ("mtbf", "failure_rate") if r in found]
    down_roles = [r for r in ("mttr", "repair_rate") if r in found]
    if len(up_roles) > 1 or len(down_roles) > 1:
        raise InputError("--csv: give either mtbf or failure_rate, and either mttr or repair_rate, not both")
    consumed = {found[r][0] for r in found if r != "target"}
    if up_roles and down_roles:
        if "availability" in found:
            raise InputError(
                "--csv: an 'availability' column beside MTBF/MTTR is ambiguous; rename it, "
                "or name it 'target' to check each row against it"
            )
        mode = "components"
        values = {}
        for role in (up_roles[0], down_roles[0]):
            column, scale = found[role]
            if role in ("mtbf", "mttr"):
                parse_one = lambda cell, r=role: parse_duration(cell, r, year_days=year_days)  # noqa: E731
            else:
                parse_one = lambda cell, r=role: parse_rate_per_hour(cell, r, year_days=year_days)  # noqa: E731
            values[role] = _parse_cells(frame[column], scale, parse_one, role, errors, year_days)
    elif "availability" in found and not up_roles and not down_roles:
        mode = "budgets"
        a, u = _probability_cells(frame[found["availability"][0]], "availability", errors)
    else:
        have = ", ".join(repr(c) for c in frame.columns)
        raise InputError(
            f"--csv: need columns mtbf and mttr (or failure_rate and repair_rate), or availability; found {have}"
        )

    # an empty target cell is no target for that row: the ``target`` argument's, else none
    targets = None
    no_target = (np.nan, np.nan) if target is None else target
    if "target" in found:
        targets = _probability_cells(frame[found["target"][0]], "target", errors, blank=no_target)[1]
    elif target is not None:
        targets = np.full(len(frame), target[1])

    good = np.ones(len(frame), dtype=bool)
    good[list(errors)] = False
    keep = frame.loc[good, [c for c in frame.columns if c not in consumed]].reset_index(drop=True)
    if mode == "components":
        up, down = values[up_roles[0]][good], values[down_roles[0]][good]
        mtbf = up if up_roles[0] == "mtbf" else 1.0 / up
        mttr = down if down_roles[0] == "mttr" else 1.0 / down
        result = analyze(mtbf, mttr, calendar=calendar) if good.any() else None
    else:
        result = budget(a[good], u[good], calendar=calendar) if good.any() else None

    out: dict[str, Any] = {c: keep[c] for c in keep.columns}
    if result is not None:
        for key, value in record(result, json_ready=False).items():
            if key != "year_days":
                out[key] = value
        if targets is not None:
            goal = targets[good]
            out["meets_target"] = pd.array(np.where(np.isnan(goal), None, result.meets(goal)), dtype="boolean")
    table = pd.DataFrame(out) if result is not None else keep
    row_errors = [RowError(i + 1, "; ".join(msgs)) for i, msgs in sorted(errors.items())]
    return BatchResult(table=table, errors=row_errors, rows_read=len(frame), mode=mode, calendar=calendar)
