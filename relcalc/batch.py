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
from typing import IO, TYPE_CHECKING, Any, Iterator

from .errors import InputError

if TYPE_CHECKING:  # pandas is imported by the functions that read with it (a plain streamed block needs none)
    import pandas as pd


@dataclass(frozen=True)
class RowError:
    """A row that could not be evaluated; ``row`` counts data rows from 1, ``name`` is its name cell if any."""

    row: int
    message: str
    name: str | None = None

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


def name_cells(frame: pd.DataFrame) -> list[str] | None:
    """Each row's ``name`` cell as text ("" when blank), or None without a name column (any case)."""
    label = next((c for c in frame.columns if str(c).strip().lower() == "name"), None)
    if label is None:
        return None
    return ["" if is_blank(v) else str(v) for v in frame[label].tolist()]


def excerpt(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters (an input may be a megabyte long)."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def check_unique_header(cells: list[str], name: str = "--csv") -> None:
    """InputError when two columns share a name (pandas would rename the second ``x.1`` silently)."""
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells, 1):
        key = cell.strip()
        if key in seen:
            raise InputError(f"{name}: columns {seen[key]} and {position} are both named {excerpt(key)}; "
                             "rename one (each column must have its own name)")
        seen[key] = position


def header_cells(source: str | io.StringIO) -> list[str]:
    """The header record (the first line that is not blank), split as CSV."""
    import csv

    handle = source if isinstance(source, io.StringIO) else open(source, encoding="utf-8-sig", newline="")
    try:
        if isinstance(handle, io.StringIO):
            handle.seek(0)
        try:
            for record in csv.reader(handle, skipinitialspace=True):
                if any(cell.strip() for cell in record):
                    return record
        except csv.Error:  # a header cell past the field limit: pandas read it, so leave the check to its names
            pass
        return []
    finally:
        if handle is not source:
            handle.close()


#: How pandas reads every batch CSV: only an empty cell is missing; spaces after a comma are not part of a cell.
_READ_OPTIONS = dict(skipinitialspace=True, index_col=False, keep_default_na=False, na_values=[""])
#: Bytes read at a time when a CSV is streamed: a block of whole records is parsed, evaluated and written at once.
BLOCK_BYTES = 2 << 20
#: The longest record a streamed CSV may have (a quote never closed would otherwise take in the whole file).
MAX_RECORD_BYTES = 64 << 20


def read_csv(source: str | IO[str], name: str = "--csv") -> pd.DataFrame:
    """Read a CSV into a DataFrame, turning every pandas failure into InputError.

    Only an empty cell is missing (NaN): text such as ``nan`` or ``NA`` stays
    text, so a quantity column refuses it like any other bad spelling and a
    pass-through column keeps it as written. A file pandas cannot split into
    rows is refused with the number of the row at fault (see
    :func:`malformed_row`).
    """
    import pandas as pd

    try:
        if not isinstance(source, str):
            source = io.StringIO(source.read())  # a stream is read once; keep its text to explain a failure
        with warnings.catch_warnings():
            # a row longer than the header would otherwise lose cells silently
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(source, **_READ_OPTIONS)
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
    check_unique_header(header_cells(source), name)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(f"{name}: the CSV has a header but no data rows")
    return frame


def _text_of(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        return handle.read()


def record_blocks(handle: IO[bytes], block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The bytes of ``handle`` in blocks that end where a record ends (after a line break outside quotes).

    A line break is inside a quoted cell when an odd number of quote
    characters precede it (a doubled quote inside a cell counts twice, so
    the parity holds); every block starts where a record starts, so the count
    starts afresh in each. The last block is whatever is left, ended or not.
    A record longer than :data:`MAX_RECORD_BYTES` (a quote never closed)
    raises :class:`RecordTooLong` rather than read the whole file into memory.
    """
    import numpy as np

    carry = b""
    while True:
        data = handle.read(block_bytes)
        if not data:
            if carry:
                yield carry
            return
        buffer = carry + data
        cut = buffer.rfind(b"\n")
        if cut >= 0 and b'"' in buffer:
            codes = np.frombuffer(buffer, np.uint8)
            quotes = np.flatnonzero(codes == 34)
            breaks = np.flatnonzero(codes == 10)
            outside = breaks[np.searchsorted(quotes, breaks) % 2 == 0]
            cut = int(outside[-1]) if outside.size else -1
        if cut < 0:
            if len(buffer) > MAX_RECORD_BYTES:
                raise RecordTooLong(len(buffer))
            carry = buffer
            continue
        carry = buffer[cut + 1:]
        yield buffer[: cut + 1]


class RecordTooLong(Exception):
    """A streamed CSV record ran past :data:`MAX_RECORD_BYTES` (the reader names the row)."""


def split_header(first: bytes) -> tuple[bytes, bytes]:
    """(the header record, with any blank lines before it; the rest) of a CSV's first block."""
    offset = 0
    for record in _records(first):
        offset += len(record)
        if record.replace(b"\xef\xbb\xbf", b"").strip():
            return first[:offset], first[offset:]
    return first, b""


def _records(block: bytes) -> Iterator[bytes]:
    """The records of ``block`` one by one, lazily (for the header: a byte loop, so never for a whole block)."""
    start = quotes = 0
    for i, byte in enumerate(block):
        if byte == 34:
            quotes += 1
        elif byte == 10 and quotes % 2 == 0:
            yield block[start:i + 1]
            start = i + 1
    if start < len(block):
        yield block[start:]


def parse_block(header: bytes, block: bytes, first_row: int, name: str = "--csv",
                dtype: dict[str, Any] | None = None) -> pd.DataFrame:
    """Records of a streamed CSV (under their ``header``) as a DataFrame, read exactly as :func:`read_csv` reads.

    ``first_row`` is the number of the block's first data row, so a
    malformed record is named by its row in the whole file.
    """
    import pandas as pd

    text = header + block
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.BytesIO(text), encoding="utf-8", dtype=dtype, **_READ_OPTIONS)
    except UnicodeError:
        raise InputError(f"{name}: the file is not UTF-8 text (in or after row {first_row}); save it as UTF-8") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: the CSV is empty (no header row)") from None
    except (pd.errors.ParserWarning, pd.errors.ParserError, ValueError) as exc:
        why = malformed_row(text.decode("utf-8", errors="replace"), first_row - 1)
        detail = why or " ".join(str(exc).split())
        raise InputError(f"{name}: malformed CSV: {detail}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


#: What makes pandas (skipinitialspace, blank lines skipped) and pyarrow read a block differently, or quotes.
_NOT_PLAIN = (b'"', b", ", b"\n\n", b"\n ", b"\r", b"\t")


def parse_plain_block(block: bytes, columns: list[str]) -> pd.DataFrame | None:
    """A block of plain records read by pyarrow, every cell as text; None where :func:`parse_block` must read it.

    Plain: no quotes, no space after a comma or at a line's start, no blank
    line, tab or carriage return, and every record as wide as the header.
    Such a block reads the same under both parsers (empty cells are missing,
    any other text is kept as written); pyarrow reads it several times
    faster and without holding the GIL, so blocks parse on every core.
    Anything else (a malformed record too) goes to pandas, which also names
    what is wrong.
    """
    table = read_plain_table(block, columns)
    if table is None:
        return None
    import pandas as pd

    return pd.DataFrame({c: table.column(c).to_pandas() for c in columns})


def read_plain_table(block: bytes, columns: list[str]):
    """A plain block (see :func:`parse_plain_block`) as a pyarrow table of text columns, or None."""
    if block[:1] in (b" ", b"\n") or any(mark in block for mark in _NOT_PLAIN):
        return None
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    try:
        return pa_csv.read_csv(
            io.BytesIO(block),
            read_options=pa_csv.ReadOptions(column_names=columns, use_threads=False),
            convert_options=pa_csv.ConvertOptions(column_types={c: pa.string() for c in columns},
                                                  null_values=[""], strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        return None


def plain_header(header: bytes) -> list[str] | None:
    """The column names of a plain header record as :func:`parse_block` names them, or None if it is not plain.

    Plain: UTF-8 without a byte-order mark, no quotes, no empty name; such a
    record splits at its commas, and each name is stripped as pandas' are.
    """
    try:
        text = header.decode("utf-8")
    except UnicodeError:
        return None
    if '"' in text or "\ufeff" in text or "\r" in text:
        return None
    cells = [cell.strip() for cell in text.strip().split(",")]
    return cells if all(cells) else None


def malformed_row(text: str, rows_before: int = 0) -> str | None:
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
    width, row, ended = None, rows_before, 0
    records = iter(reader)
    while True:
        try:
            record = next(records, None)
        except csv.Error:  # a cell past the csv module's field limit (128 KiB): a quote left open, as a rule
            where = f"row {row + 1}" if width is not None else "the header"
            return f"{where}: a cell runs past 128 KiB (is a quote never closed?)"
        if record is None:
            break
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
