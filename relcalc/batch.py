"""Reading a CSV batch: the file, blank cells, header names and the errors of bad rows.

The pieces every batch command shares (``availability --csv``, ``capacity
--csv``, ``compose --components``, ``capacity fit``); what each row means is
the business of the command's own module, such as
:mod:`relcalc.availability_csv`. Rows are numbered from 1 for the first data
row (the header is not a row).
"""

from __future__ import annotations

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
    pass-through column keeps it as written.
    """
    try:
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
    except pd.errors.ParserWarning:
        raise InputError(f"{name}: malformed CSV: a row has more cells than the header") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        raise InputError(f"{name}: malformed CSV: {detail}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(f"{name}: the CSV has a header but no data rows")
    return frame


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
