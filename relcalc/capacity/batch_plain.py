"""Sizing a plain CSV of services read by pyarrow as text, without pandas.

The usual ``capacity --csv`` file is plain: no quotes, no space after a
comma, every record as wide as the header (:func:`relcalc.batch.read_plain_table`).
Its cells are read here with pyarrow's vectorised kernels, and the rows are
sized by the same :func:`relcalc.capacity.batch.size_values` as a file read
by pandas (:func:`relcalc.capacity.batch.size_csv`). Anything this reader
cannot prove it reads as pandas does, and any bad row, gives None: the
caller then takes the general way, which gives the same figures and names
what is wrong. So the two ways never differ in what they write.

Cells read here:

- a number of at most 15 characters written as digits with an optional
  decimal part (``42714.0``, ``0.0269``): cast by pyarrow. Both parsers
  round such a decimal correctly (it is an integer below 2^53 over a power
  of ten, one IEEE division in pandas), so they give the same double;
- a cell with a letter or sign other than an exponent's (``40ms``, ``12k``,
  ``720k/min``), which pandas cannot read as a number either: read by the
  units grammar, once per distinct spelling;
- blank cells: the default.

Anything else in a numeric column (``1e3``, ``-5``, ``inf``, ``True``, a
16-digit number) goes the general way. A passed-through column is taken
only when some cell of it is plainly text (pandas then keeps every cell as
written); a column pandas could read as numbers goes the general way too.
"""

from __future__ import annotations

import math

import numpy as np

from .. import arrow_buffers
from ..errors import InputError
from .batch import _COLUMNS, _TARGETS, SizedRows, column_roles, size_values
from .sizing import BALANCERS

#: Cells that pandas' float parser and pyarrow's cast both read as the one correctly rounded double.
_SAFE_NUMBER = r"^[0-9]+(?:\.[0-9]+)?$"
_SAFE_LENGTH = 15
#: A character no number pandas reads can hold (an exponent's e, signs, digits, points and spaces can).
_TEXT_CHARACTER = r"[^0-9.eE+\-\s]"
#: Words pandas reads as numbers or Booleans whatever their case.
_WORDS = r"(?i)^\s*[+-]?(?:inf|infinity|nan|true|false)\s*$"


def _plainly_text(column) -> np.ndarray:
    """Per cell: text that pandas could not read as a number or a Boolean (False for a blank cell)."""
    import pyarrow.compute as pc

    return (arrow_buffers.bools(pc.match_substring_regex(column, _TEXT_CHARACTER))
            & ~arrow_buffers.bools(pc.match_substring_regex(column, _WORDS)))


def _some_text(column) -> bool:
    """Whether some cell of a column is plainly text (a name, as a rule: its first cells tell)."""
    return bool(_plainly_text(column.slice(0, 64)).any() or _plainly_text(column).any())


def _numbers(column, key: str, default: float) -> np.ndarray | None:
    """A numeric column's values (blank cells take ``default``); None if a cell needs the general way."""
    import pyarrow as pa
    import pyarrow.compute as pc

    blank = ~arrow_buffers.valid(column)
    safe = (arrow_buffers.bools(pc.match_substring_regex(column, _SAFE_NUMBER))
            & (arrow_buffers.byte_lengths(column) <= _SAFE_LENGTH))
    text = np.zeros(len(column), dtype=bool)
    other = np.flatnonzero(~(blank | safe))
    if other.size:  # the text regexes only where a cell is neither blank nor a plain number (few, as a rule)
        text[other] = _plainly_text(column.take(arrow_buffers.index_array(other)))
        if not text[other].all():
            return None  # a number pandas reads its own way (1e3, -5, inf) or a Boolean
    values = np.full(len(column), default)
    if safe.any():
        rows = np.flatnonzero(safe)
        cells = column if rows.size == len(column) else column.take(arrow_buffers.index_array(rows))
        values[rows] = arrow_buffers.numbers(pc.cast(cells, pa.float64()), np.float64)
    if text.any():
        rows = np.flatnonzero(text)
        codes, spellings = arrow_buffers.distinct(column.take(arrow_buffers.index_array(rows)))
        parsed = np.empty(len(spellings))
        for u, cell in enumerate(spellings):
            try:
                parsed[u] = _COLUMNS[key](cell, key)
            except InputError:
                return None  # a bad cell: the general way names it
        values[rows] = parsed[codes]
    return values


def _given(column) -> tuple[np.ndarray, np.ndarray, list]:
    """(where a text column has a cell, each such cell's index into the distinct spellings, the spellings)."""
    import pyarrow.compute as pc

    given = arrow_buffers.valid(column)
    if not given.any():
        return given, np.zeros(0, np.int32), []
    codes, spellings = arrow_buffers.distinct(pc.drop_null(column))
    return given, codes, spellings


def size_plain(table, defaults: dict[str, float], balancer: str = "round-robin"
               ) -> tuple[SizedRows, dict[str, str]] | None:
    """Size the services of a plain CSV (a pyarrow table of text columns, blank cells null).

    The sized rows and which column gave which input (see
    :func:`relcalc.capacity.batch.column_roles`); None when a cell or a
    passed-through column needs pandas' reading, or a row is bad (the
    general way, :func:`relcalc.capacity.batch.size_csv`, then sizes the
    file and reports the rows). InputError for a header that makes no batch.
    """
    found = column_roles(table.column_names, defaults)
    rows = table.num_rows
    consumed = set(found.values())
    for name in table.column_names:
        if name not in consumed and not _some_text(table.column(name).combine_chunks()):
            return None  # pandas may read it as numbers and write them its own way (007 as 7)
    values: dict[str, np.ndarray] = {}
    for key in _COLUMNS:
        default = defaults.get(key, math.nan)
        if key in found:
            parsed = _numbers(table.column(found[key]).combine_chunks(), key, default)
            if parsed is None:
                return None
            values[key] = parsed
        else:
            values[key] = np.full(rows, default)
    balancers = np.full(rows, balancer, dtype=object)
    if "balancer" in found:
        given, codes, spellings = _given(table.column(found["balancer"]).combine_chunks())
        if given.any():
            names = np.array([str(cell).strip().lower() for cell in spellings], dtype=object)
            if not all(name in BALANCERS for name in names):
                return None
            balancers[given] = names[codes]
    for key in ("latency_quantile", "latency_seconds", "wait_quantile", "wait_seconds"):
        values[key] = np.full(rows, defaults.get(key, math.nan))
    for column_key, (parse, (q_key, s_key)) in _TARGETS.items():
        if column_key not in found:
            continue
        given, codes, spellings = _given(table.column(found[column_key]).combine_chunks())
        if not given.any():
            continue
        quantile, seconds = np.empty(len(spellings)), np.empty(len(spellings))
        for u, text in enumerate(spellings):
            try:
                goal = parse(text, column_key)
            except InputError:
                return None
            quantile[u] = math.nan if goal.quantile is None else goal.quantile
            seconds[u] = goal.seconds
        values[q_key][given] = quantile[codes]
        values[s_key][given] = seconds[codes]
    errors: dict[int, list[str]] = {}
    sized = size_values(values, balancers, defaults, errors)
    return (None if errors else (sized, found))
