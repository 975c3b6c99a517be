"""CSV rows of a batch's results: numbers byte for byte as pyarrow's CSV writer spells them, written faster.

Formatting the float columns is most of the cost of a streamed batch:
pyarrow's writer spends about 85 ns a float, orjson's shortest round-trip
formatter of a numpy block (Ryu-style digits, no Python object per number)
about 35 ns. Both give the shortest digits that read back to the same
double; they differ only in layout, and only in known places, which are
put right here so the output does not change:

- an integral float: orjson writes ``100.0``, pyarrow ``100`` (the ``.0``
  is cut from the text);
- magnitudes in [1e-6, 1e-5) and [1e10, 1e16): one writes positional
  digits, the other an exponent. Rows with such a value, or with zero or a
  non-finite value, are written by pyarrow itself (a few rows in a
  thousand in realistic batches).

Text cells are quoted as the csv module quotes them (only a cell with a
comma, a quote or a line break), as the whole-file writer leaves them.
Rows are put together by pyarrow's element-wise string join, whose output
buffer is the CSV body itself.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

#: Magnitudes where orjson and pyarrow place the decimal point differently (with a margin), written by pyarrow.
_LAYOUTS_DIFFER = ((9e-7, 1.1e-5), (9e9, 1.1e16))


def _pyarrow_rows(floats: np.ndarray) -> bytes:
    """The float columns of some rows as pyarrow writes them (no header, no quotes: numbers need none)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    sink = io.BytesIO()
    table = pa.table({str(i): floats[:, i] for i in range(floats.shape[1])})
    pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    return sink.getvalue()


def _lines_array(data, rows: int):
    """A pyarrow string array of the ``rows`` lines of ``data``, each with its line break (None if they do not count up)."""
    import pyarrow as pa

    breaks = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))
    if len(breaks) != rows or len(data) >= 2**31:
        return None
    offsets = np.empty(rows + 1, np.int32)
    offsets[0] = 0
    offsets[1:] = breaks + 1
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def float_rows(floats: np.ndarray):
    """Rows of float cells, each with a comma before it (``",a,b,...\n"``), as a pyarrow string array.

    Spelt as pyarrow's writer spells them. The leading comma is the
    separator from the text cells before (:func:`encode_rows` cuts it when
    there are none). None when orjson is not installed (the caller writes
    with pyarrow).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = floats.shape[0]
    if rows == 0 or floats.shape[1] == 0:
        return None
    floats = np.ascontiguousarray(floats, dtype=np.float64)
    try:
        import orjson
    except ImportError:  # pyarrow writes every row (the same text, slower)
        theirs = _lines_array(_pyarrow_rows(floats), rows)
        return None if theirs is None else pc.binary_join_element_wise(pa.scalar(","), theirs, "")
    size = np.abs(floats)
    other = ~np.isfinite(size) | (size == 0)
    for low, high in _LAYOUTS_DIFFER:
        other |= (size >= low) & (size < high)
    other = other.any(axis=1)
    # b"[[a,b],[c,d]]" -> b",a,b\n,c,d\n": one vectorised pass over the bytes rather than a replace per pattern
    text = np.frombuffer(orjson.dumps(floats, option=orjson.OPT_SERIALIZE_NUMPY), np.uint8)
    keep = text != ord("[")
    keep[0] = True  # becomes the first row's comma
    keep[-1] = False
    integral = (text[:-2] == ord(".")) & (text[1:-1] == ord("0")) & ((text[2:] == ord(",")) | (text[2:] == ord("]")))
    keep[:-2] &= ~integral  # 100.0 -> 100, as pyarrow writes it
    keep[1:-1] &= ~integral
    data = text[keep]
    data[0] = ord(",")
    data[data == ord("]")] = ord("\n")
    lines = _lines_array(data, rows)
    if lines is None:
        return None
    if other.any():
        where = np.flatnonzero(other)
        theirs = _lines_array(_pyarrow_rows(floats[where]), len(where))
        if theirs is None:
            return None
        theirs = pc.binary_join_element_wise(pa.scalar(","), theirs, "")  # with its leading comma
        lines = pc.replace_with_mask(lines, pa.array(other), theirs)
    return lines


def quoted_text(values):
    """Text cells as the csv module writes them: in double quotes (inner quotes doubled) only if they hold a comma,
    a quote or a line break; a missing cell empty. This is how the whole-file writer
    (:func:`relcalc.cli.output.write_frame_csv`) leaves them too, outside slices with a line break in a cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    special = pc.match_substring_regex(values, '[,"\r\n]')
    if pc.any(special).as_py():
        quoted = pc.binary_join_element_wise(pa.scalar('"'), pc.replace_substring(values, '"', '""'), pa.scalar('"'), "")
        values = pc.if_else(special, quoted, values)
    return pc.fill_null(values, "")


def encode_rows(text_columns: list[Any], floats: np.ndarray, meets: Any | None = None, plain: bool = False
                ) -> Any | None:
    """The CSV body (a buffer) of rows laid out as text columns, float columns, an optional boolean column.

    Numbers and booleans byte for byte as ``pyarrow.csv.write_csv`` writes
    them, text cells as :func:`quoted_text`; None for a column of another
    type (the caller then writes with pyarrow). ``plain``: the text cells
    are known to hold no comma, quote or line break (they came unquoted from
    a CSV), so none is quoted and none is scanned.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = float_rows(floats)
    if lines is None:
        return None
    texts = []
    for column in text_columns:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return None
        column = column.cast(pa.string())
        texts.append(pc.fill_null(column, "") if plain else quoted_text(column))
    if meets is not None:
        if not pa.types.is_boolean(meets.type):
            return None
        lines = pc.utf8_slice_codeunits(lines, 0, -1)  # the line break moves after the last cell
    if texts:
        pieces = [pc.binary_join_element_wise(*texts, ",") if len(texts) > 1 else texts[0], lines]
    else:
        pieces = [pc.utf8_slice_codeunits(lines, 1)]  # no text cell before the numbers: no comma
    if meets is not None:
        spelt = pa.array([",false\n", ",true\n", ",\n"])
        pieces.append(pc.take(spelt, pc.fill_null(pc.cast(meets, pa.int8()), 2)))
    joined = pc.binary_join_element_wise(*pieces, "") if len(pieces) > 1 else pieces[0]
    if joined.null_count:
        return None
    offsets = np.frombuffer(joined.buffers()[1], np.int32)[joined.offset:joined.offset + len(joined) + 1]
    return joined.buffers()[2][int(offsets[0]):int(offsets[-1])]
