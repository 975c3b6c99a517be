"""``relcalc availability --csv``: one availability result row per input row, bad rows reported by number.

Numeric cells go through pandas' vectorised parser; cells with a unit
(``2d``, ``90min``) are split by one vectorised pass of the quantity grammar
of :mod:`relcalc.units`; only cells that fail it (rates such as ``2/y``, or
malformed cells) are read one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Callable

import numpy as np

from .availability import Calendar, analyze, budget
from .batch import (
    BLOCK_BYTES,
    MAX_RECORD_BYTES,
    RecordTooLong,
    RowError,
    check_unique_header,
    excerpt,
    header_cells,
    is_blank,
    name_cells,
    normalise_header,
    parse_block,
    parse_plain_block,
    plain_header,
    read_plain_table,
    record_blocks,
    split_header,
)
from .errors import InputError
from .results import record
from .units import DURATION_UNITS, QUANTITY, parse_duration, parse_probability, parse_rate_per_hour, unit_hours

if TYPE_CHECKING:  # pandas is imported where a frame is read or built: a plain streamed block needs none
    import pandas as pd

_PLAIN = r"^[0-9]+(?:\.[0-9]+)?$"  # a cell that is a plain decimal, read by a cast (the grammar agrees)
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
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan) * scale
    else:
        import pyarrow as pa

        textual = pd.api.types.is_string_dtype(column.dtype) or column.dtype == object
        text = pa.array(column if textual else column.astype("str"), type=pa.string(), from_pandas=True)
        values = _quantities(text, scale, label, year_days)
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
            errors.setdefault(int(i), []).append(f"{label} must be positive and finite, got {_as_written(raw[i])}")
    return values


def _quantities(text, scale: float, label: str, year_days: float) -> np.ndarray:
    """Quantity cells (a pyarrow string array) in hours or per-hour rates, vectorised; NaN where the grammar fails."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # plain decimals (most cells) by a cheap match and a cast; the full grammar only for the rest
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN), False)
    values = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), pa.float64())
    values = values.to_numpy(zero_copy_only=False).astype(float) * scale
    rest = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    if len(rest):
        # one pass of pyarrow's regex over the other cells: number and unit per cell
        parts = pc.extract_regex(text.take(pa.array(rest)), QUANTITY)
        number = pc.cast(pc.struct_field(parts, "number"), pa.float64()).to_numpy(zero_copy_only=False)
        unit = pc.utf8_lower(pc.struct_field(parts, "unit"))
        names = sorted(DURATION_UNITS) if label in ("mtbf", "mttr") else []
        factor = np.array([unit_hours(n, year_days=year_days) for n in names] + [scale, np.nan])
        which = pc.index_in(unit, value_set=pa.array(names, pa.string())).cast(pa.int64())
        which = pc.if_else(pc.equal(unit, ""), len(names), which)  # plain number: the header's unit
        which = pc.fill_null(which, len(names) + 1).to_numpy(zero_copy_only=False)  # no match: NaN
        values[rest] = np.asarray(number, dtype=float) * factor[which]
    return values


def _as_written(cell: Any) -> str:
    """A cell for a message: text as it is, a number read by pandas without a ``.0`` it may not have had."""
    if isinstance(cell, float):
        text = repr(cell)
        return text[:-2] if text.endswith(".0") else text
    text = str(cell)
    return text if len(text) <= 40 else text[:40] + "..."


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


@dataclass(frozen=True)
class _Layout:
    """What each column of an availability CSV is for, read from its header alone."""

    found: dict[str, tuple[str, float]]  # role -> (column, scale to hours or per-hour)
    mode: str
    up: str | None  # "mtbf" or "failure_rate"
    down: str | None  # "mttr" or "repair_rate"
    consumed: frozenset[str]  # columns replaced by the results

    def passthrough(self, columns) -> list[str]:
        return [c for c in columns if c not in self.consumed]


def layout_of(columns, year_days: float) -> _Layout:
    """The roles of ``columns`` (see :func:`evaluate_availability_csv`); InputError if they make no batch."""
    found: dict[str, tuple[str, float]] = {}
    for column in columns:
        key = normalise_header(column)
        match = _DURATION_HEADER.match(key)
        role_scale: tuple[str, float] | None = None
        if match:
            unit = match.group(2) or ""
            hours = 1.0 if unit in ("", "hours") else unit_hours(unit, year_days=year_days)
            if hours is None:
                raise InputError(f"--csv: column {excerpt(column)}: unknown unit {excerpt(unit)}; use e.g. mtbf_h, mttr_min")
            role_scale = (match.group(1), hours)
        elif key in _RATE_HEADERS:
            role_scale = _RATE_HEADERS[key]
        elif key in ("availability", "target"):
            role_scale = (key, 1.0)
        if role_scale:
            role = role_scale[0]
            if role in found:
                raise InputError(f"--csv: columns {excerpt(found[role][0])} and {excerpt(column)} both give {role}")
            found[role] = (column, role_scale[1])

    up_roles = [r for r in ("mtbf", "failure_rate") if r in found]
    down_roles = [r for r in ("mttr", "repair_rate") if r in found]
    if len(up_roles) > 1 or len(down_roles) > 1:
        raise InputError("--csv: give either mtbf or failure_rate, and either mttr or repair_rate, not both")
    consumed = frozenset(found[r][0] for r in found if r != "target")
    if up_roles and down_roles:
        if "availability" in found:
            raise InputError(
                "--csv: an 'availability' column beside MTBF/MTTR is ambiguous; rename it, "
                "or name it 'target' to check each row against it"
            )
        return _Layout(found, "components", up_roles[0], down_roles[0], consumed)
    if "availability" in found and not up_roles and not down_roles:
        return _Layout(found, "budgets", None, None, consumed)
    have = ", ".join(excerpt(c) for c in columns[:20]) + (f" and {len(columns) - 20} more" if len(columns) > 20 else "")
    raise InputError(
        f"--csv: need columns mtbf and mttr (or failure_rate and repair_rate), or availability; found {have}"
    )


def _failing_rows(compute: Callable[[np.ndarray], Any], rows: np.ndarray) -> tuple[dict[int, str], np.ndarray]:
    """Rows on which ``compute`` (of an index array) raises InputError, found by halving; and the others.

    The closed forms check their inputs as a whole (an availability below
    1e-308 refuses the batch); halving the rows finds each culprit in about
    log2(rows) vectorised calls, so one bad row costs no row-by-row pass.
    """
    try:
        compute(rows)
        return {}, rows
    except InputError as exc:
        if len(rows) == 1:
            return {int(rows[0]): str(exc)}, rows[:0]
    half = len(rows) // 2
    bad_a, good_a = _failing_rows(compute, rows[:half])
    bad_b, good_b = _failing_rows(compute, rows[half:])
    return {**bad_a, **bad_b}, np.concatenate([good_a, good_b])


def _evaluate(frame: pd.DataFrame, layout: _Layout, calendar: Calendar, target: tuple[float, float] | None
              ) -> tuple[dict[str, Any], dict[int, list[str]]]:
    """Result columns of the good rows (pass-through first, as pandas or numpy data) and each bad row's reasons."""
    year_days = calendar.year_days
    found = layout.found
    errors: dict[int, list[str]] = {}
    if layout.mode == "components":
        values = {}
        for role in (layout.up, layout.down):
            column, scale = found[role]
            if role in ("mtbf", "mttr"):
                parse_one = lambda cell, r=role: parse_duration(cell, r, year_days=year_days)  # noqa: E731
            else:
                parse_one = lambda cell, r=role: parse_rate_per_hour(cell, r, year_days=year_days)  # noqa: E731
            values[role] = _parse_cells(frame[column], scale, parse_one, role, errors, year_days)
        up, down = values[layout.up], values[layout.down]
        mtbf = up if layout.up == "mtbf" else 1.0 / up
        mttr = down if layout.down == "mttr" else 1.0 / down

        def compute(rows):
            return analyze(mtbf[rows], mttr[rows], calendar=calendar)
    else:
        a, u = _probability_cells(frame[found["availability"][0]], "availability", errors)

        def compute(rows):
            return budget(a[rows], u[rows], calendar=calendar)

    # an empty target cell is no target for that row: the ``target`` argument's, else none
    targets = None
    no_target = (np.nan, np.nan) if target is None else target
    if "target" in found:
        targets = _probability_cells(frame[found["target"][0]], "target", errors, blank=no_target)[1]
    elif target is not None:
        targets = np.full(len(frame), target[1])

    good = np.ones(len(frame), dtype=bool)
    good[list(errors)] = False
    rows = np.flatnonzero(good)
    result = None
    if len(rows):
        try:
            result = compute(rows)
        except InputError:  # some rows the closed forms refuse: find them, then evaluate the rest
            failed, rows = _failing_rows(compute, rows)
            for i, message in failed.items():
                errors.setdefault(i, []).append(message)
            result = compute(rows) if len(rows) else None
    out: dict[str, Any] = {c: frame[c].iloc[rows].reset_index(drop=True) for c in layout.passthrough(frame.columns)}
    if result is not None:
        for key, value in record(result, json_ready=False).items():
            if key != "year_days":
                out[key] = value
        if targets is not None:
            import pandas as pd

            goal = targets[rows]
            out["meets_target"] = pd.array(np.where(np.isnan(goal), None, result.meets(goal)), dtype="boolean")
    return out, errors


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
    other column passes through unchanged. A row the closed forms refuse (an
    availability below 1e-308) is a bad row like any other.
    """
    import pandas as pd

    calendar = calendar or Calendar()
    layout = layout_of(list(frame.columns), calendar.year_days)
    out, errors = _evaluate(frame, layout, calendar, target)
    names = name_cells(frame)
    row_errors = [RowError(i + 1, "; ".join(msgs), names[i] if names is not None else None)
                  for i, msgs in sorted(errors.items())]
    return BatchResult(table=pd.DataFrame(out), errors=row_errors, rows_read=len(frame), mode=layout.mode,
                       calendar=calendar)


@dataclass(frozen=True)
class StreamSummary:
    """What a streamed batch did: rows read and written, bad rows, rows that miss their target."""

    rows_read: int
    rows_written: int
    bad_rows: int
    missed: int  # rows written whose meets_target is false
    mode: str
    calendar: Calendar


@dataclass(frozen=True)
class _BlockResult:
    header: bytes  # the output's header line for this block's columns
    body: list  # the block's good rows as CSV, without a header (bytes-like pieces, in order)
    rows_read: int
    rows_written: int
    missed: int
    errors: list[RowError]  # numbered within the block, from 1
    failure: InputError | None = None  # the block could not be read as CSV (renamed by its place in the file)


def _encode(out: dict[str, Any], rows: int) -> tuple[bytes, list]:
    """(header line, rows) of result columns as CSV, as ``write_frame_csv`` writes them (see :mod:`relcalc.csv_rows`)."""
    import pyarrow as pa

    from .csv_quoting import header_line, rows_csv  # quoted only where needed, as every relcalc CSV
    from .files import formula_safe_table

    # names a spreadsheet would run as formulas are written as text (issue 13, OWASP)
    table = formula_safe_table(pa.table({key: pa.array(value, from_pandas=True) for key, value in out.items()}))
    head = header_line(table.column_names)
    fast = _fast_body(out, table) if rows else None
    if fast is not None:
        return head, fast
    return head, [rows_csv(table) if rows else b""]


def _header_line(names: list[str]) -> bytes:
    """The header as the whole-file writer writes it: the csv module's quoting."""
    from .csv_quoting import header_line

    return header_line(names)


#: Rows formatted at a time: their temporaries (some 1.5 KiB a row) stay small and are reused from one slice to the next.
ENCODE_ROWS = 16384


def _fast_body(out: dict[str, Any], table) -> list | None:
    """The rows as :func:`relcalc.csv_rows.encode_rows` writes them (the floats several times faster), or None."""
    from .csv_rows import encode_rows

    keys = list(out)
    floats = [k for k in keys if isinstance(out[k], np.ndarray) and out[k].dtype == np.float64]
    meets = "meets_target" if "meets_target" in out else None
    text = [k for k in keys if k not in floats and k != meets]
    if not floats or keys != text + floats + ([meets] if meets else []):
        return None
    numbers = np.column_stack([out[k] for k in floats])
    pieces = []
    for start in range(0, len(numbers), ENCODE_ROWS):
        part = table.slice(start, ENCODE_ROWS)
        piece = encode_rows([part.column(k).combine_chunks() for k in text], numbers[start:start + ENCODE_ROWS],
                            part.column(meets).combine_chunks() if meets else None)
        if piece is None:
            return None
        pieces.append(piece)
    return pieces


def _plain_block(block: bytes, columns: list[str], layout: _Layout, calendar: Calendar,
                 target: tuple[float, float] | None) -> _BlockResult | None:
    """A plain block of good rows of MTBF and MTTR (or rates), read, evaluated and written without pandas; else None.

    The usual block of a large batch. Anything else (a bad cell, a ``target``
    column, budgets, quotes) returns None and the block goes the general way,
    which gives the same figures and also names what is wrong.
    """
    if layout.mode != "components" or "target" in layout.found:
        return None
    table = read_plain_table(block, columns)
    if table is None or table.num_rows == 0:
        return None
    values = {}
    for role in (layout.up, layout.down):
        column, scale = layout.found[role]
        values[role] = _quantities(table.column(column).combine_chunks(), scale, role, calendar.year_days)
        if not np.all(np.isfinite(values[role]) & (values[role] > 0)):  # NaN too: a cell for the general way
            return None
    up, down = values[layout.up], values[layout.down]
    try:
        result = analyze(up if layout.up == "mtbf" else 1.0 / up, down if layout.down == "mttr" else 1.0 / down,
                         calendar=calendar)
    except InputError:
        return None
    rows = table.num_rows
    figures = {key: value for key, value in record(result, json_ready=False).items() if key != "year_days"}
    if not all(isinstance(v, np.ndarray) and v.dtype == np.float64 and v.shape == (rows,) for v in figures.values()):
        return None
    names = layout.passthrough(columns) + list(figures)
    meets = None
    if target is not None:
        import pyarrow as pa

        meets = pa.array(np.asarray(result.meets(np.full(rows, target[1])), dtype=bool))
        names.append("meets_target")
    from .csv_rows import encode_rows

    from .files import formula_safe_table

    numbers = np.column_stack(list(figures.values()))
    passed = formula_safe_table(table.select(layout.passthrough(columns)))  # no formulas in spreadsheets (OWASP)
    text = [column.combine_chunks() for column in passed.columns]
    body = []
    for start in range(0, rows, ENCODE_ROWS):
        piece = encode_rows([t.slice(start, ENCODE_ROWS) for t in text], numbers[start:start + ENCODE_ROWS],
                            None if meets is None else meets.slice(start, ENCODE_ROWS), plain=True)
        if piece is None:
            return None
        body.append(piece)
    missed = 0 if meets is None else rows - int(np.count_nonzero(meets.to_numpy(zero_copy_only=False)))
    return _BlockResult(_header_line(names), body, rows, rows, missed, [])


def _block(header: bytes, block: bytes, columns: list[str], text_columns: dict[str, Any], layout: _Layout,
           calendar: Calendar, target: tuple[float, float] | None) -> _BlockResult:
    """One block parsed, evaluated and written to CSV bytes (in a worker thread)."""
    plain = _plain_block(block, columns, layout, calendar, target)
    if plain is not None:
        return plain
    try:
        frame = parse_plain_block(block, columns)
        if frame is None:
            frame = parse_block(header, block, 1, dtype=text_columns)
    except InputError as exc:
        return _BlockResult(b"", b"", 0, 0, 0, [], exc)
    out, errors = _evaluate(frame, layout, calendar, target)
    written = len(frame) - len(errors)
    names = name_cells(frame) if errors else None
    row_errors = [RowError(i + 1, "; ".join(msgs), names[i] if names is not None else None)
                  for i, msgs in sorted(errors.items())]
    missed = int((~out["meets_target"]).sum()) if "meets_target" in out else 0
    head, body = _encode(out, written)
    return _BlockResult(head, body, len(frame), written, missed, row_errors)


def stream_availability_csv(
    source: IO[bytes],
    sink: IO[bytes],
    *,
    calendar: Calendar | None = None,
    target: tuple[float, float] | None = None,
    on_errors: Callable[[list[RowError]], None] | None = None,
    workers: int = 1,
    block_bytes: int = BLOCK_BYTES,
) -> StreamSummary:
    """Evaluate an availability CSV block by block, writing the result CSV to ``sink`` as it goes.

    The rows, their order, their figures and the bad rows are those of
    :func:`evaluate_availability_csv` (a block is read by pandas with the
    same options, or, when it is plain, by pyarrow, which reads it alike:
    :func:`~relcalc.batch.parse_plain_block`; rows are numbered through the
    whole file), but memory
    holds only a few blocks of :data:`~relcalc.batch.BLOCK_BYTES` at a time,
    whatever the file's size. One difference: columns passed through are read
    as text, so they are written as they were spelt (``007`` stays ``007``,
    where the whole-file evaluation reads the number 7). ``on_errors`` hears
    each block's bad rows, in order. With ``workers`` > 1, blocks are
    evaluated on a thread pool (parsing, the closed forms and the CSV writer
    release the GIL) and written in input order, one per worker in flight
    and one waiting.
    """
    import io
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    calendar = calendar or Calendar()
    blocks = record_blocks(source, block_bytes)
    rows_read = 0

    def next_block() -> bytes | None:
        try:
            return next(blocks, None)
        except RecordTooLong:
            drain(0)  # the rows before it are counted, so the message can name the row
            raise InputError(f"--csv: row {rows_read + 1} runs past {MAX_RECORD_BYTES >> 20} MiB "
                             "(is a quote never closed?)") from None

    try:
        header, first = split_header(next(blocks, None) or b"")
    except RecordTooLong:
        raise InputError(f"--csv: the header runs past {MAX_RECORD_BYTES >> 20} MiB (is a quote never closed?)") from None
    if not header.strip():
        raise InputError("--csv: the CSV is empty (no header row)")
    check_unique_header(header_cells(io.StringIO(header.decode("utf-8-sig", errors="replace"))))
    cells = plain_header(header) or list(parse_block(header, b"", 1).columns)
    layout = layout_of(cells, calendar.year_days)
    text_columns = {c: str for c in layout.passthrough(cells)}
    written = bad = missed = 0
    out_header = None
    pending: deque = deque()
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None

    def drain(keep: int) -> None:
        nonlocal rows_read, written, bad, missed, out_header
        while len(pending) > keep:
            block, job = pending.popleft()
            result: _BlockResult = job.result() if pool is not None else job
            if result.failure is not None:
                parse_block(header, block, rows_read + 1)  # raises again, naming the row in the whole file
                raise result.failure
            if result.rows_written:
                if out_header is None:
                    out_header = result.header
                    sink.write(out_header)
                for piece in result.body:
                    sink.write(piece)
            if result.errors:
                bad += len(result.errors)
                if on_errors is not None:
                    on_errors([replace(e, row=e.row + rows_read) for e in result.errors])
            rows_read += result.rows_read
            written += result.rows_written
            missed += result.missed

    try:
        block = first
        while block is not None:
            if not block.isspace():  # blank lines alone are no rows
                job = (header, block, cells, text_columns, layout, calendar, target)
                pending.append((block, _block(*job) if pool is None else pool.submit(_block, *job)))
                drain(workers if pool is not None else 0)
            block = next_block()
        drain(0)
    finally:
        if pool is not None:
            for _, job in pending:
                job.cancel()
            pool.shutdown(wait=True)
    if rows_read == 0:
        raise InputError("--csv: the CSV has a header but no data rows")
    if out_header is None:  # no good row anywhere: the header of what is left, as the whole-file evaluation
        sink.write(_header_line(layout.passthrough(cells)))
    return StreamSummary(rows_read, written, bad, missed, layout.mode, calendar)
