"""Reading a CSV batch: the file, blank cells, header names and the errors of bad rows.

The pieces every batch command shares (``availability --csv``, ``capacity
--csv``, ``compose --components``, ``capacity fit``); what each row means is
the business of the command's own module, such as
:mod:`relcalc.availability_csv`. Rows are numbered from 1 for the first data
row (the header is not a row).
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd

from .errors import InputError


@dataclass(frozen=True)
class RowError:
    """A row that could not be evaluated; ``row`` counts data rows from 1."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


def read_csv(source: str | IO[str], name: str = "--csv") -> pd.DataFrame:
    """Read a CSV into a DataFrame, turning every pandas failure into InputError.

    Only an empty cell is missing (NaN): text such as ``nan`` or ``NA`` stays
    text, so a quantity column refuses it like any other bad spelling and a
    pass-through column keeps it as written. A file pandas cannot split into
    rows is refused with the number of the row at fault (see
    :func:`malformed_row`).
    """
    try:
        if not isinstance(source, str):
            source = io.StringIO(source.read())  # a stream is read once; keep its text to explain a failure
        with warnings.catch_warnings():
            # a row longer than the header would otherwise lose cells silently
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(source, skipinitialspace=True, index_col=False, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise InputError(f"{name}: file not found: {source}") from None
    except IsADirectoryError:
        raise InputError(f"{name}: {source} is a directory, not a CSV file") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: the CSV is empty (no header row)") from None
    except UnicodeError:  # undecodable bytes, or stdin's escaped ones that pandas cannot encode
        raise InputError(f"{name}: the file is not UTF-8 text; save it as UTF-8") from None
    except (pd.errors.ParserWarning, pd.errors.ParserError, ValueError) as exc:
        why = malformed_row(source.getvalue() if isinstance(source, io.StringIO) else _text_of(source))
        detail = why or " ".join(str(exc).split())  # pandas' words only for what the scan cannot place
        raise InputError(f"{name}: malformed CSV: {detail}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(f"{name}: the CSV has a header but no data rows")
    return frame


def _text_of(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        return handle.read()


def malformed_row(text: str) -> str | None:
    """What makes ``text`` no CSV table, with its data row number, or None if this finds nothing.

    pandas names the ``line`` of a bad row counting blank lines but not the
    line breaks inside quoted cells, which matches neither the file's lines
    nor the row numbers every other message uses. So the text is read again
    with the csv module, record by record, numbering data rows as pandas
    does: the header is not a row, and lines of only white space are skipped.
    A row with more cells than the header is at fault, and so is a quote
    left open (the csv module then reads to the end of the file as one cell).
    """
    import csv

    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    width, row, ended = None, 0, 0
    for record in reader:
        started, ended = ended + 1, reader.line_num
        if started == ended and not lines[started - 1].strip():
            continue  # a blank line is no row
        if width is None:
            width = len(record)
        else:
            row += 1
            if len(record) > width:
                extra = record[width:]
                hint = " (the extra cells are empty: a trailing comma?)" if not any(c.strip() for c in extra) else ""
                return f"row {row} has {len(record)} cells; the header has {width}{hint}"
        if ended == len(lines) and text.count('"') % 2:  # the last record, and a quote without its pair
            where = f"row {row}" if row else "the header"
            return f"{where}: a quote opens a cell that is never closed (it runs to the end of the file)"
    return None


def is_blank(cell: Any) -> bool:
    """True for a missing CSV cell: None, NaN or only white space."""
    return cell is None or (isinstance(cell, float) and math.isnan(cell)) or not str(cell).strip()


def normalise_header(header: str) -> str:
    """A column name as a key: lower case, runs of spaces and dashes as one underscore (``Node-Throughput`` -> ``node_throughput``)."""
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def __getattr__(name: str) -> Any:
    # the availability batch lived here before relcalc.availability_csv
    if name in ("BatchResult", "evaluate_availability_csv"):
        from . import availability_csv

        return getattr(availability_csv, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
