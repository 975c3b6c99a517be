"""``capacity --csv FILE -f csv``: a plain file read, sized and written without pandas.

The general way (:func:`relcalc.cli.capacity._run_batch`) reads the file with
pandas and writes the result frame with pyarrow's CSV writer: importing
pandas and formatting every float take most of the command's time. A plain
file (see :mod:`relcalc.capacity.batch_plain`) is read by pyarrow instead,
and the result rows are written here: numbers by orjson's shortest
round-trip formatter, put right where its layout differs from pyarrow's
(as :mod:`relcalc.csv_rows` does), text quoted as the csv module quotes it.
The bytes are those the general way writes; when this way cannot be sure
of that (a bad row, a cell read differently), it gives None and the general
way runs.
"""

from __future__ import annotations

import io
from typing import IO, Any

import numpy as np

from ..csv_rows import _LAYOUTS_DIFFER

#: Rows formatted at a time: their temporaries stay small and in cache.
_ROWS_AT_ONCE = 16384


def read_plain(source: Any):
    """A plain CSV (a path or a text stream from :func:`relcalc.loading.csv_source`) as a pyarrow table of text
    cells, or None when it is not plain (quotes, spaces after commas, a byte-order mark, ragged rows...)."""
    from ..batch import plain_header, read_plain_table, split_header

    if isinstance(source, str):
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError:
            return None  # the general way names the problem
    else:
        data = source.getvalue().encode("utf-8")
    header, body = split_header(data)
    columns = plain_header(header)
    if columns is None or len(set(columns)) != len(columns) or not body.strip():
        return None
    table = read_plain_table(body, columns)
    if table is None or table.num_rows == 0:
        return None
    return table


def run_plain(source: Any, defaults: dict[str, float], balancer: str, fmt, output) -> int | None:
    """Size and write a plain file as CSV; the exit code, or None when the general way must run."""
    from ..capacity.batch_plain import size_plain
    from .output import batch_exit_code, emit

    table = read_plain(source)
    if table is None:
        return None
    sized = size_plain(table, defaults, balancer)
    if sized is None:
        return None
    rows, found = sized
    results, kinds, short = rows.result_columns("current_nodes" in found)
    consumed = set(found.values())
    columns: dict[str, Any] = {name: table.column(name).combine_chunks() for name in table.column_names
                               if name not in consumed}
    kinds = {**{name: "text" for name in columns}, **kinds}
    columns.update(results)
    body = encode_rows(columns, kinds)
    if body is None:
        return None
    from ..csv_quoting import header_line

    head = header_line(list(columns))

    def write(handle: IO[str]) -> None:
        handle.flush()
        binary = getattr(handle, "buffer", None)
        for piece in [head, *body]:
            if binary is None:
                handle.write(bytes(piece).decode("utf-8"))
            else:
                binary.write(piece)
        if binary is not None:
            binary.flush()

    emit(fmt, output, table=lambda console: None, csv_write=write)
    unreachable = int(np.sum(results["note"] != ""))
    shortfalls = []
    if unreachable:
        shortfalls.append(f"{unreachable} of {table.num_rows} rows cannot meet their targets at any size "
                          "(see the note column)")
    if short:
        shortfalls.append(f"{short} of {table.num_rows} rows have fewer current_nodes than they need")
    return batch_exit_code([], table.num_rows, shortfalls)


def encode_rows(columns: dict[str, Any], kinds: dict[str, str]) -> list | None:
    """The CSV body (buffers, in order) of result columns as ``write_frame_csv`` writes the same table; None if
    some cell cannot be written alike here (a line break in a text cell).

    ``kinds``: "text" (pyarrow text or an object array, None blank), "float"
    and "count" (floats, NaN blank), "flag" (an object array of True, False
    or None).
    """
    import pyarrow as pa

    from ..files import formula_safe_table

    names = list(columns)
    texts = [n for n in names if kinds[n] == "text"]
    arrays = {n: columns[n] if isinstance(columns[n], (pa.Array, pa.ChunkedArray))
              else pa.array(columns[n], type=pa.string()) for n in texts}
    safe = formula_safe_table(pa.table(arrays))  # no formulas in spreadsheets (OWASP), as the general way
    rows = safe.num_rows
    pieces = []
    for start in range(0, rows, _ROWS_AT_ONCE):
        stop = min(start + _ROWS_AT_ONCE, rows)
        part = {n: safe.column(n).slice(start, stop - start).combine_chunks() for n in texts}
        piece = _encode_part(names, kinds, columns, part, start, stop)
        if piece is None:
            return None
        pieces.append(piece)
    return pieces


def _encode_part(names, kinds, columns, texts, start: int, stop: int):
    """Rows ``start`` to ``stop`` as CSV bytes: runs of numeric columns formatted together, joined with the text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..csv_rows import quoted_text

    pieces, run = [], []

    def close_run():
        if run:
            pieces.append(_number_cells(np.column_stack([columns[n][start:stop] for n in run]),
                                        [kinds[n] == "count" for n in run]))
            run.clear()

    for name in names:
        kind = kinds[name]
        if kind in ("float", "count"):
            run.append(name)
            continue
        close_run()
        if kind == "text":
            cells = texts[name]
            if pc.any(pc.match_substring_regex(cells, "[\r\n]")).as_py():
                return None  # the general writer keeps pyarrow's quotes on every text cell then
            pieces.append(quoted_text(cells.cast(pa.string())))
        else:  # flag: true/false as pyarrow writes Booleans, blank when unknown
            flags = pa.array(list(columns[name][start:stop]), type=pa.bool_())
            pieces.append(pc.fill_null(pc.cast(flags, pa.string()), ""))
    close_run()
    joined = pc.binary_join_element_wise(*pieces, ",") if len(pieces) > 1 else pieces[0]
    lines = pc.binary_join_element_wise(joined, "\n", "")  # each row and its line break
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2][int(offsets[0]):int(offsets[-1])]


def _number_cells(block: np.ndarray, counts: list[bool]):
    """Each row of a float block as ``a,b,c`` (a pyarrow string array), spelt as pyarrow writes the columns.

    NaN is a blank cell (pandas' missing value); a count column is written
    as its whole number. orjson writes every row in one pass; rows holding a
    value whose layout differs from pyarrow's (magnitudes near 1e-6 and
    1e10 to 1e16) or an infinity are written by pyarrow instead.
    """
    import orjson
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = block.shape[0]
    block = np.ascontiguousarray(block, dtype=np.float64)
    size = np.abs(block)
    other = np.isinf(size)
    for low, high in _LAYOUTS_DIFFER:
        other |= (size >= low) & (size < high)
    other = other.any(axis=1)
    # b"[[a,b],[c,null]]": drop the brackets, the commas between rows, the "null" of NaN, the ".0" of whole numbers
    text = np.frombuffer(orjson.dumps(block, option=orjson.OPT_SERIALIZE_NUMPY), np.uint8)
    closes = np.flatnonzero(text == ord("]"))[:-1]  # one per row; the last closes the whole block
    keep = text != ord("[")
    keep[closes] = False
    keep[closes[:-1] + 1] = False  # the comma after a row
    keep[-1] = False
    nulls = np.flatnonzero(text == ord("n"))  # "n" only begins "null" here
    for k in range(4):
        keep[nulls + k] = False
    integral = (text[:-2] == ord(".")) & (text[1:-1] == ord("0")) & ((text[2:] == ord(",")) | (text[2:] == ord("]")))
    keep[:-2] &= ~integral
    keep[1:-1] &= ~integral
    kept = np.cumsum(keep)
    offsets = np.empty(rows + 1, np.int32)
    offsets[0] = 0
    offsets[1:] = kept[closes]
    data = text[keep]
    lines = pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))
    if other.any():
        where = np.flatnonzero(other)
        cells = []
        for j, count in enumerate(counts):
            values = block[where, j]
            array = pa.array(values, from_pandas=True)  # NaN: null
            if count:
                array = pa.array(np.where(np.isnan(values), 0, values).astype(np.int64), mask=np.isnan(values))
            cells.append(pc.fill_null(pc.cast(array, pa.string()), ""))
        theirs = pc.binary_join_element_wise(*cells, ",") if len(cells) > 1 else cells[0]
        lines = pc.replace_with_mask(lines, pa.array(other), theirs)
    return lines


def write_plain_csv(columns: dict[str, Any], kinds: dict[str, str]) -> bytes:
    """The whole CSV (header and rows) of result columns, for tests and small tables."""
    from ..csv_quoting import header_line

    body = encode_rows(columns, kinds)
    out = io.BytesIO()
    out.write(header_line(list(columns)))
    for piece in body or []:
        out.write(piece)
    return out.getvalue()
