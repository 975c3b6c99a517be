"""The vocabulary every result shares: one interval type and one conversion to records.

Core results are frozen dataclasses with named fields whose names carry
their units (``mttr_hours``, ``p99_response_seconds``). Renderers read the
attributes; JSON and CSV come from :func:`record`, which walks the fields of
any result the same way, so no result class writes its own ``to_dict``.

Rules of :func:`record`:

- a dataclass field becomes a key of the same name; fields whose name starts
  with ``_`` and fields marked ``metadata={"record": False}`` are left out;
- an :class:`Interval` field ``x`` becomes ``x`` (the estimate) and
  ``x_ci95`` (``[low, high]``, or None when there is no interval), and
  ``x_interval`` (how the interval was made) when the interval says so;
- a nested result (a dataclass field) is flattened into the same record
  when marked ``metadata={"flatten": True}``, else kept as a nested dict;
- a float field ``x`` marked ``metadata={"below": limit}`` is a figure that
  loses its digits under ``limit`` (an underflowing probability): ``x``
  becomes None where it is below, and ``x_below`` says so (``limit``, else
  None), so a vanishing figure is never printed as 0;
- names listed in the class attribute ``RECORD_PROPERTIES`` add derived
  figures (properties) after the fields (a field excluded above may be
  listed there to place it last);
- a field or property named in the class attribute ``RECORD_OMIT_NONE`` is
  left out when it is None (a figure that does not apply to this result);
- numpy scalars and arrays become Python numbers and lists; a float that is
  not finite becomes None (JSON has no infinity), so overflow is never
  printed as a number.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval.

    ``low`` and ``high`` are None when the data give no interval (one chunk,
    an exact figure). ``method`` names how the interval was made (for
    example ``"t"``, ``"delta"``, ``"garwood"``); an empty string when there
    is none. ``value`` is None when nothing could be estimated.
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    method: str = ""

    @classmethod
    def exact(cls, value: float | None) -> "Interval":
        """A figure with no sampling error (from a closed form or an exact chain)."""
        return cls(value, None, None, "")

    @property
    def bounds(self) -> list[float] | None:
        """``[low, high]``, or None without an interval."""
        return None if self.low is None or self.high is None else [self.low, self.high]

    def covers(self, exact_value: float | None) -> bool | None:
        """Whether ``exact_value`` lies in the interval; None when either is missing."""
        if exact_value is None or self.low is None or self.high is None:
            return None
        return self.low <= exact_value <= self.high

    def half_width_ratio(self) -> float:
        """Half the interval's width over the estimate: the relative precision reached."""
        if self.value is None or self.low is None or self.high is None or not self.value:
            return math.inf
        return (self.high - self.low) / 2 / abs(self.value)

    def scaled(self, factor: float) -> "Interval":
        """The same interval in other units (``factor`` > 0)."""
        def times(v):
            return None if v is None else v * factor

        return Interval(times(self.value), times(self.low), times(self.high), self.method)


def plain(value: Any) -> Any:
    """JSON-ready Python values: numpy to lists and numbers, non-finite floats to None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return record(value)
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return plain(value.value)
    return value


def record(result: Any, *, json_ready: bool = True) -> dict[str, Any]:
    """A dict of any result dataclass, by the rules in this module's docstring.

    With ``json_ready=False`` values are kept as they are (numpy arrays stay
    arrays), for callers that build tables from them.
    """
    out: dict[str, Any] = {}
    _into(result, out, plain if json_ready else _same)
    return out


def _same(value: Any) -> Any:
    return value


def _into(result: Any, out: dict[str, Any], convert) -> None:
    omit_none = getattr(type(result), "RECORD_OMIT_NONE", ())
    for f in dataclasses.fields(result):
        if f.name.startswith("_") or not f.metadata.get("record", True):
            continue
        value = getattr(result, f.name)
        if value is None and f.name in omit_none:
            continue
        if isinstance(value, Interval):
            out[f.name] = convert(value.value)
            out[f"{f.name}_ci95"] = convert(value.bounds)
            if value.method:
                out[f"{f.name}_interval"] = value.method
        elif f.metadata.get("flatten") and dataclasses.is_dataclass(value):
            _into(value, out, convert)
        elif "below" in f.metadata:
            limit = f.metadata["below"]
            under = value is not None and value < limit
            out[f.name] = None if under else convert(value)
            out[f"{f.name}_below"] = limit if under else None
        else:
            out[f.name] = convert(value)
    for name in getattr(type(result), "RECORD_PROPERTIES", ()):
        value = getattr(result, name)
        if value is None and name in omit_none:
            continue
        out[name] = convert(value)


__all__ = ["Interval", "plain", "record"]
