"""CSV from pyarrow tables, quoted as Python's csv module quotes: a cell only when it must be.

pyarrow's writer formats floats about ten times faster than pandas, but its
``quoting_style="needed"`` quotes every text cell and every header name,
while single results (written by the csv module) quote only cells holding a
comma, a quote or a line break. Every batch writer uses these two functions
so that all of relcalc's CSV is quoted alike (issue 18).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

#: A quoted cell with nothing in it that needs quotes (no comma, quote or line break), between separators.
_NEEDLESS_QUOTES = re.compile(rb'(?<![^,\n])"([^",\r\n]*)"(?=,|\r?\n|$)')


def header_line(names: list[str]) -> bytes:
    """The header as the csv module writes it: a name quoted only if it must be."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(names)
    return text.getvalue().encode("utf-8")


def rows_csv(table: Any) -> bytes:
    """The rows of a pyarrow table as CSV without a header, each text cell quoted only if it must be."""
    import pyarrow.csv as pa_csv

    special = _special_cells(table)
    options = pa_csv.WriteOptions(quoting_style="needed" if special else "none", include_header=False)
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, write_options=options)
    data = sink.getvalue()
    if special == "quotes":  # no line breaks in cells: each quoted cell lies within one line
        data = _NEEDLESS_QUOTES.sub(rb"\1", data)
    return data


def _special_cells(table: Any) -> str | None:
    """None if no text cell needs quotes; "quotes" if some do; "lines" if one holds a line break.

    With a line break in a cell, the unquoting pass could not tell cells
    from lines, so the table keeps pyarrow's quotes (still valid CSV).
    One vectorised scan per text column in the usual case (nothing to quote).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    found = None
    for column in table.columns:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        if not pc.any(pc.match_substring_regex(column, '[,"\r\n]')).as_py():
            continue
        if pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py():
            return "lines"
        found = "quotes"
    return found
