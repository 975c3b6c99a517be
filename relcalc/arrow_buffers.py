"""numpy arrays to pyarrow arrays and back through their buffers, so that pandas is never imported.

pyarrow imports pandas (when it is installed) the first time it converts a
Python object or a numpy array (``pa.array``, ``pa.scalar``, ``to_numpy``,
a Python string given to a compute function): 0.2-0.3 s, more than reading
and writing a 100,000-row CSV. Arrays made from their buffers and read
back through them need no conversion, so a plain ``capacity --csv`` file
is read, sized and written without pandas. Only flat arrays without an
offset into a parent's buffers are built here; reads honour offsets.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def _validity(array) -> np.ndarray:
    """Where ``array`` has a value (not null), as a numpy bool array."""
    bitmap = array.buffers()[0]
    if bitmap is None or array.null_count == 0:
        return np.ones(len(array), dtype=bool)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), bitorder="little")
    return bits[array.offset:array.offset + len(array)].astype(bool)


def valid(array) -> np.ndarray:
    """Where a pyarrow array has a value (not null)."""
    return _validity(array)


def bools(array) -> np.ndarray:
    """A pyarrow boolean array as numpy bools, null as False."""
    bits = np.unpackbits(np.frombuffer(array.buffers()[1], np.uint8), bitorder="little")
    return bits[array.offset:array.offset + len(array)].astype(bool) & _validity(array)


def numbers(array, dtype) -> np.ndarray:
    """A pyarrow array of fixed-width numbers (float64, int32...) as numpy ``dtype`` values (nulls unspecified)."""
    values = np.frombuffer(array.buffers()[1], dtype)
    return values[array.offset:array.offset + len(array)]


def byte_lengths(array) -> np.ndarray:
    """The length in bytes of each cell of a pyarrow string array (0 for null)."""
    offsets = np.frombuffer(array.buffers()[1], np.int32)[array.offset:array.offset + len(array) + 1]
    return np.diff(offsets)


def _bitmap(mask: np.ndarray):
    import pyarrow as pa

    return pa.py_buffer(np.packbits(mask, bitorder="little"))


def bool_array(values: np.ndarray, present: np.ndarray | None = None):
    """A pyarrow boolean array of numpy bools (null where ``present`` is False)."""
    import pyarrow as pa

    validity = None if present is None or present.all() else _bitmap(present)
    return pa.Array.from_buffers(pa.bool_(), len(values), [validity, _bitmap(np.asarray(values, bool))])


def float_array(values: np.ndarray):
    """A pyarrow float64 array of numpy floats, NaN as null (as pandas hands its missing values to pyarrow)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.float64)
    missing = np.isnan(values)
    validity = _bitmap(~missing) if missing.any() else None
    return pa.Array.from_buffers(pa.float64(), len(values), [validity, pa.py_buffer(values)])


def int_array(values: np.ndarray):
    """A pyarrow int64 array of whole numbers held as floats, NaN as null."""
    import pyarrow as pa

    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    whole = np.where(missing, 0.0, values).astype(np.int64)
    validity = _bitmap(~missing) if missing.any() else None
    return pa.Array.from_buffers(pa.int64(), len(values), [validity, pa.py_buffer(whole)])


def index_array(indices: np.ndarray):
    """A pyarrow int32 array of positions (for ``take``)."""
    import pyarrow as pa

    indices = np.ascontiguousarray(indices, dtype=np.int32)
    return pa.Array.from_buffers(pa.int32(), len(indices), [None, pa.py_buffer(indices)])


def string_array(texts: Sequence[str]):
    """A pyarrow string array of a few Python strings (the distinct values of a column)."""
    import pyarrow as pa

    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    offsets[1:] = np.cumsum([len(e) for e in encoded]) if encoded else []
    return pa.StringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))


def constant(text: str, rows: int):
    """A pyarrow string array holding ``text`` ``rows`` times (a separator or a fill for compute functions)."""
    import pyarrow as pa

    encoded = text.encode("utf-8")
    offsets = np.arange(rows + 1, dtype=np.int32) * len(encoded)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(encoded * rows))


def text_array(values: np.ndarray) -> Any:
    """A pyarrow string array of a numpy object array of str (None: null), built from its distinct values."""
    import pyarrow as pa

    index = np.full(len(values), -1, dtype=np.int32)
    distinct: list = []
    left = np.arange(len(values))
    # a column of few distinct labels (constraints, scenarios, mostly empty notes): one compiled comparison each
    while left.size and len(distinct) < 32:
        label = values[left[0]]
        same = np.equal(values[left], label) if label is not None else np.equal(values[left], None)
        index[left[same]] = len(distinct)
        distinct.append(label)
        left = left[~same]
    if left.size:  # many distinct texts: one dictionary pass over the rest
        codes = {label: i for i, label in enumerate(distinct)}
        index[left] = [codes.setdefault(values[i], len(codes)) for i in left]
        distinct = list(codes)
    present = np.array([v is not None for v in distinct], dtype=bool)
    labels = string_array(["" if v is None else str(v) for v in distinct])
    taken = labels.take(index_array(index))
    if present.all():
        return taken
    return pa.StringArray.from_buffers(len(values), taken.buffers()[1], taken.buffers()[2], _bitmap(present[index]))


def distinct(array) -> tuple[np.ndarray, list]:
    """(each cell's index into the distinct spellings, the distinct spellings) of a string array without nulls."""
    encoded = array.dictionary_encode()
    return numbers(encoded.indices, np.int32).copy(), encoded.dictionary.to_pylist()
