"""CSV inputs whose results are held whole (a table, JSON, a chart), bounded; and how many rows a table shows.

The streamed CSV outputs hold a few blocks at a time whatever the input's
size; a table or a JSON array is built from every row at once (a few hundred
bytes of Python objects per row), and a terminal table of a million rows
takes minutes for rich to lay out and nobody reads it. So such inputs are
limited in bytes up front, and a table shows its first rows and says how many
more there are and how to get them all.
"""

from __future__ import annotations

#: The largest CSV whose results are held whole for a table, JSON or a chart (about 280,000 availability rows,
#: some 500 MiB held)
MAX_HELD_CSV_BYTES = 8 << 20
#: Rows held whole: short rows (``9,1``) put two million in 8 MiB, some 3 GiB as JSON
MAX_HELD_ROWS = 300_000
#: Rows a batch table shows; the rest are counted in a line after it
MAX_TABLE_ROWS = 2_000


def held_csv(source: str, streamed_hint: str = "use -f csv (streamed, any size)"):
    """The CSV for a whole-file evaluation: a regular file's path, or the text of stdin or a device; at most
    :data:`MAX_HELD_CSV_BYTES` of either, else an InputError naming ``streamed_hint``."""
    from ..loading import csv_source

    too_big = (f"--csv: {'stdin' if source == '-' else source} is over {MAX_HELD_CSV_BYTES / 2**20:.3g} MiB, too "
               f"large to hold whole for a table, JSON or a chart; {streamed_hint}")
    return csv_source(source, "--csv", limit=MAX_HELD_CSV_BYTES, too_large=too_big)


def check_held(frame, streamed_hint: str = "use -f csv (streamed, any size)"):
    """``frame`` if it has at most :data:`MAX_HELD_ROWS` rows, else an InputError naming ``streamed_hint``."""
    from ..errors import InputError

    if len(frame) > MAX_HELD_ROWS:
        raise InputError(f"--csv: {len(frame):,} rows are too many to hold whole for a table, JSON or a chart "
                         f"(at most {MAX_HELD_ROWS:,}); {streamed_hint}")
    return frame


def check_output_file(output: str | None) -> None:
    """Refuse an ``-o`` that is a directory before any work (the streamed path checks it as it opens)."""
    from ..files import refuse_directory

    if output not in (None, "", "-"):
        refuse_directory(output, "--output")


def more_rows_line(rows: int) -> str | None:
    """The line after a batch table that shows only its first :data:`MAX_TABLE_ROWS` of ``rows``, else None."""
    if rows <= MAX_TABLE_ROWS:
        return None
    return f"... and {rows - MAX_TABLE_ROWS:,} more rows; -f csv or -f json gives every row"
