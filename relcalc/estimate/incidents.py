"""From incident rows to each component's outages in its observation window.

A row names a component (``component``, ``service`` or ``name``), a start,
and an end or a duration. A row with a component and no start declares a
component observed without incidents (so its zero-failure bound is given).
The observation window comes from ``--window`` or from ``window_start`` /
``window_end`` columns (one window per component).

Outages of one component that overlap or touch (an alert fired twice for one
outage, a duplicate export row) are merged into one failure, and every merge
is reported with the rows it joined. An incident outside its window, an end
before its start or an unreadable timestamp is a row error naming the row
(data rows count from 1, the header is not a row), as in every batch command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone, tzinfo
from typing import Any, Iterable

from ..batch import RowError, normalise_header
from ..batch import is_blank as _blank
from ..errors import InputError
from .timestamps import parse_timestamp

COMPONENT_COLUMNS = ("component", "service", "name", "system", "host")
START_COLUMNS = ("start", "started", "started_at", "start_time", "created_at", "opened_at", "triggered_at")
END_COLUMNS = ("end", "ended", "ended_at", "end_time", "resolved", "resolved_at", "closed_at")
DURATION_COLUMNS = ("duration", "downtime", "duration_hours")
WINDOW_COLUMNS = ("window_start", "window_end")
MERGED_ROWS_SHOWN = 10  #: rows of one merge named in its message (JSON lists them all)


@dataclass(frozen=True)
class Outage:
    """One failure of a component: [start, end) in epoch hours, and the rows it came from."""

    start_hours: float
    end_hours: float
    rows: tuple[int, ...]

    @property
    def duration_hours(self) -> float:
        return self.end_hours - self.start_hours


@dataclass(frozen=True)
class Merge:
    """Overlapping or duplicate incidents of one component counted as one failure."""

    component: str
    rows: tuple[int, ...]

    def __str__(self) -> str:
        shown = ", ".join(map(str, self.rows[:MERGED_ROWS_SHOWN]))
        if len(self.rows) > MERGED_ROWS_SHOWN:  # a runaway alert can repeat one outage thousands of times
            shown += f", ... ({len(self.rows)} rows)"
        return f"{self.component}: rows {shown} overlap; counted as one failure"


@dataclass(frozen=True)
class History:
    """Each component's merged outages and window, the merges made and the rows refused."""

    outages: dict[str, tuple[Outage, ...]]
    windows: dict[str, tuple[float, float]]
    merges: tuple[Merge, ...] = ()
    errors: tuple[RowError, ...] = ()
    rows_read: int = 0
    components_order: tuple[str, ...] = field(default=())


def _keyed_columns(columns: Iterable[str], source: str) -> dict[str, str]:
    """Column names by their normalised key; a column the reading depends on may appear only once.

    pandas renames a repeated header ``end`` to ``end.1``, and ``End`` and
    ``end`` normalise alike: either way one of two cells would be ignored
    without a word, so both are refused.
    """
    import re

    names = [str(c) for c in columns]
    roles = set(COMPONENT_COLUMNS + START_COLUMNS + END_COLUMNS + DURATION_COLUMNS + WINDOW_COLUMNS)
    keyed: dict[str, str] = {}
    for name in names:
        key = normalise_header(name)
        mangled = re.fullmatch(r"(.+)\.\d+", name)
        if mangled and mangled.group(1) in names:
            key = normalise_header(mangled.group(1))  # pandas' name for a repeated header
        if key in roles and key in keyed:
            raise InputError(f"{source}: the column {key!r} appears twice in the header; keep one "
                             f"(the other's cells would be ignored)")
        keyed.setdefault(key, name)
    return keyed


def _pick(columns: dict[str, str], names: Iterable[str]) -> str | None:
    return next((columns[n] for n in names if n in columns), None)


def read_history(
    records: list[dict[str, Any]],
    columns: Iterable[str],
    *,
    window: tuple[float, float] | None = None,
    default_zone: tzinfo = timezone.utc,
    source: str = "INCIDENTS",
    year_days: float = 365.0,
) -> History:
    """Read incident rows into merged outages per component (see the module text)."""
    from ..units import parse_duration

    keyed = _keyed_columns(columns, source)
    component_col = _pick(keyed, COMPONENT_COLUMNS)
    start_col = _pick(keyed, START_COLUMNS)
    end_col = _pick(keyed, END_COLUMNS)
    duration_col = _pick(keyed, DURATION_COLUMNS)
    if component_col is None:
        raise InputError(f"{source}: the CSV needs a component column (one of: {', '.join(COMPONENT_COLUMNS)})")
    if start_col is None:
        raise InputError(f"{source}: the CSV needs a start column (one of: {', '.join(START_COLUMNS)})")
    if end_col is None and duration_col is None:
        raise InputError(f"{source}: the CSV needs an end column ({', '.join(END_COLUMNS)}) or a duration column")
    window_cols = [keyed.get(k) for k in WINDOW_COLUMNS]
    if (window_cols[0] is None) != (window_cols[1] is None):
        raise InputError(f"{source}: give both window_start and window_end columns, or neither")
    has_window_cols = window_cols[0] is not None
    if window is None and not has_window_cols:
        raise InputError(
            f"{source}: no observation window; give --window START..END (e.g. 2025-01-01..2026-01-01) "
            "or window_start and window_end columns"
        )

    errors: list[RowError] = []
    windows: dict[str, tuple[float, float]] = {}
    spans: dict[str, list[tuple[float, float, int]]] = {}
    order: list[str] = []
    for row, record in enumerate(records, start=1):
        try:
            name = record.get(component_col)
            if _blank(name):
                raise InputError("no component name")
            name = str(name).strip()
            where = f"{name}"
            own = _row_window(record, window_cols, default_zone) if has_window_cols else None
            if own is not None and window is not None:
                raise InputError("a window_start/window_end here and --window too; give one")
            span = own or window
            if span is None:
                raise InputError("no window_start/window_end for this component")
            if name in windows and windows[name] != span:
                raise InputError(f"{where}: a window different from the one on an earlier row")
            incident = _row_span(record, start_col, end_col, duration_col, default_zone, year_days, parse_duration)
            if incident is not None:
                start, end = incident
                if start < span[0] or start >= span[1]:
                    raise InputError(f"{where}: the incident starts outside the observation window")
                if end > span[1]:
                    raise InputError(f"{where}: the incident ends after the observation window closes")
        except InputError as exc:
            errors.append(RowError(row, str(exc)))
            continue
        if name not in windows:
            windows[name] = span
            spans[name] = []
            order.append(name)
        if incident is not None:
            spans[name].append((incident[0], incident[1], row))

    outages: dict[str, tuple[Outage, ...]] = {}
    merges: list[Merge] = []
    for name in order:
        merged = merge_overlaps(spans[name])
        outages[name] = tuple(merged)
        merges.extend(Merge(name, o.rows) for o in merged if len(o.rows) > 1)
    return History(outages, windows, tuple(merges), tuple(errors), len(records), tuple(order))


def _row_window(record, window_cols, default_zone) -> tuple[float, float] | None:
    start, end = (record.get(c) for c in window_cols)
    if _blank(start) and _blank(end):
        return None
    if _blank(start) or _blank(end):
        raise InputError("window_start and window_end must both be given")
    low = parse_timestamp(start, "window_start", default_zone)
    high = parse_timestamp(end, "window_end", default_zone)
    if not high > low:
        raise InputError("window_end must come after window_start")
    return low, high


def _row_span(record, start_col, end_col, duration_col, default_zone, year_days, parse_duration):
    start_cell = record.get(start_col)
    end_cell = record.get(end_col) if end_col else None
    duration_cell = record.get(duration_col) if duration_col else None
    if _blank(start_cell):
        if not _blank(end_cell) or not _blank(duration_cell):
            raise InputError("an end or a duration but no start")
        return None  # a component observed without incidents
    start = parse_timestamp(start_cell, "start", default_zone)
    if not _blank(end_cell):
        if not _blank(duration_cell):
            raise InputError("give an end or a duration, not both")
        end = parse_timestamp(end_cell, "end", default_zone)
        if end < start:
            raise InputError("the end comes before the start")
        if end == start:
            raise InputError("the incident lasts no time (end equals start)")
    elif not _blank(duration_cell):
        end = start + parse_duration(duration_cell, "duration", year_days=year_days)
    else:
        raise InputError("no end and no duration (an incident still open cannot be counted)")
    return start, end


def merge_overlaps(spans: list[tuple[float, float, int]]) -> list[Outage]:
    """Sort by start and join spans that overlap or touch: one outage, one failure.

    Each outage's rows are gathered in a list and frozen once, so a file of
    many duplicates of one incident is merged in linear time after the sort.
    """
    groups: list[list] = []  # [start, end, rows]
    for start, end, row in sorted(spans):
        if groups and start <= groups[-1][1]:
            last = groups[-1]
            last[1] = max(last[1], end)
            last[2].append(row)
        else:
            groups.append([start, end, [row]])
    return [Outage(start, end, tuple(sorted(rows))) for start, end, rows in groups]


def read_rows(path: str, option: str = "INCIDENTS") -> tuple["Rows", list[str]]:
    """The rows and column names of an incident CSV file (``-`` for stdin), read as every batch CSV is."""
    from ..batch import read_csv  # the one CSV reader of the batch commands
    from ..loading import csv_source

    frame = read_csv(csv_source(path, option), option)  # a device or pipe (/dev/zero) is bounded
    return Rows(frame), list(frame.columns)


class Rows:
    """A frame's rows as dicts, made one at a time: a million-row export is not held twice."""

    def __init__(self, frame) -> None:
        self._frame = frame

    def __len__(self) -> int:
        return len(self._frame)

    def __iter__(self):
        columns = list(self._frame.columns)
        for values in self._frame.itertuples(index=False, name=None):
            yield dict(zip(columns, values))
