"""``capacity --csv FILE -f csv``: a plain file read, sized and written without pandas.

The general way (:func:`relcalc.cli.capacity._run_batch`) reads the file with
pandas, builds a frame and writes it with pyarrow's CSV writer
(:func:`relcalc.cli.output.write_frame_csv`); importing pandas alone takes
about a quarter of the command's time. A plain file (see
:mod:`relcalc.capacity.batch_plain`) is read by pyarrow instead, and the
result columns go to the same writer as the pyarrow table the frame would
have become (NaN as null, counts as integers, text made formula-safe), built
from numpy buffers so that pyarrow never imports pandas
(:mod:`relcalc.arrow_buffers`). The bytes are those the general way writes;
when this way cannot be sure of that (a bad row, a cell read differently),
it gives None and the general way runs.
"""

from __future__ import annotations

from typing import IO, Any

import numpy as np

from .. import arrow_buffers

#: Files larger than this go the general way (a text column past 2 GiB would not fit one pyarrow array).
_MAX_PLAIN_BYTES = 1 << 30
#: The fewest rows worth a thread of their own when writing.
_SLICE_ROWS = 16384


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
    if len(data) > _MAX_PLAIN_BYTES:
        return None
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
    passed = {name: table.column(name).combine_chunks() for name in table.column_names if name not in consumed}
    result_table = arrow_table(passed, results, kinds)

    def write(handle: IO[str]) -> None:
        import os
        from concurrent.futures import ThreadPoolExecutor

        from ..csv_quoting import header_line, rows_csv

        # pyarrow's writer holds one core: slices on a thread each (it releases the GIL), written in order
        workers = min(os.cpu_count() or 1, 4)
        step = max(_SLICE_ROWS, -(-result_table.num_rows // workers))
        starts = range(0, result_table.num_rows, step)
        handle.flush()
        binary = getattr(handle, "buffer", None)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            body = list(pool.map(lambda start: rows_csv(result_table.slice(start, step)), starts))
        for piece in (header_line(result_table.column_names), *body):
            if binary is None:
                handle.write(piece.decode("utf-8"))
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


def arrow_table(passed: dict[str, Any], results: dict[str, np.ndarray], kinds: dict[str, str]):
    """The pyarrow table ``write_frame_csv`` would write for the same frame: passed-through text, then the results
    (``kinds``: float, count, text or flag), every text column formula-safe."""
    import pyarrow as pa

    columns = [_formula_safe(column) for column in passed.values()]
    for name, values in results.items():
        kind = kinds[name]
        if kind == "float":
            columns.append(arrow_buffers.float_array(values))
        elif kind == "count":
            columns.append(arrow_buffers.int_array(values))
        elif kind == "text":
            columns.append(_formula_safe(arrow_buffers.text_array(values)))
        else:  # a flag: True, False or None (unknown)
            known = np.not_equal(values, None).astype(bool)
            columns.append(arrow_buffers.bool_array(np.equal(values, True).astype(bool), known))
    return pa.Table.from_arrays(columns, names=[*passed, *results])


def _formula_safe(column):
    """:func:`relcalc.files.formula_safe_table` for one text column, without pyarrow scalars."""
    import pyarrow.compute as pc

    from ..files import _FORMULA_START, _PLAIN_NUMBER

    risky = (arrow_buffers.bools(pc.match_substring_regex(column, _FORMULA_START.pattern))
             & ~arrow_buffers.bools(pc.match_substring_regex(column, _PLAIN_NUMBER.pattern)))
    if not risky.any():
        return column
    rows = len(column)
    quoted = pc.binary_join_element_wise(arrow_buffers.constant("'", rows), column, arrow_buffers.constant("", rows))
    return pc.if_else(arrow_buffers.bool_array(risky), quoted, column)
