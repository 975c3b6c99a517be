"""CSV inputs whose results are held whole (a table, JSON, a chart), bounded; and how many rows a table shows.

The streamed CSV outputs hold a few blocks at a time whatever the input's
size; a table or a JSON array is built from every row at once (a few hundred
bytes of Python objects per row), and a terminal table of a million rows
takes minutes for rich to lay out and nobody reads it. So such inputs are
limited in bytes up front, and a table shows its first rows and says how many
more there are and how to get them all.
"""

from __future__ import annotations

import io
import os
import stat
import sys

from ..errors import InputError

#: The largest CSV whose results are held whole for a table, JSON or a chart (about 280,000 availability rows,
#: some 500 MiB held)
MAX_HELD_CSV_BYTES = 8 << 20
#: Rows a batch table shows; the rest are counted in a line after it
MAX_TABLE_ROWS = 2_000


def held_csv(source: str, streamed_hint: str = "use -f csv (streamed, any size)"):
    """The CSV for a whole-file evaluation: a regular file's path, or the text of stdin or a device; at most
    :data:`MAX_HELD_CSV_BYTES` of either, else an InputError naming ``streamed_hint``."""
    too_big = (f"--csv: {'stdin' if source == '-' else source} is over {MAX_HELD_CSV_BYTES / 2**20:.3g} MiB, too "
               f"large to hold whole for a table, JSON or a chart; {streamed_hint}")
    if source != "-":
        try:
            info = os.stat(source)
        except FileNotFoundError:
            raise InputError(f"--csv: file not found: {source}") from None
        except OSError as exc:
            raise InputError(f"--csv: cannot read {source}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"--csv: {source} is a directory, not a CSV file")
        if stat.S_ISREG(info.st_mode):
            if info.st_size > MAX_HELD_CSV_BYTES:
                raise InputError(too_big)
            return source
    try:
        if source == "-":
            binary = getattr(sys.stdin, "buffer", None)
            data = binary.read(MAX_HELD_CSV_BYTES + 1) if binary is not None else sys.stdin.read(MAX_HELD_CSV_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(MAX_HELD_CSV_BYTES + 1)
    except OSError as exc:
        raise InputError(f"--csv: cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_HELD_CSV_BYTES:
        raise InputError(too_big)
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig", errors="surrogateescape")  # read_csv refuses undecodable text in one line
    return io.StringIO(data)


def more_rows_line(rows: int) -> str | None:
    """The line after a batch table that shows only its first :data:`MAX_TABLE_ROWS` of ``rows``, else None."""
    if rows <= MAX_TABLE_ROWS:
        return None
    return f"... and {rows - MAX_TABLE_ROWS:,} more rows; -f csv or -f json gives every row"
