"""The outage-duration histogram: its bins, shared by the compiled kernel, the engine and the charts.

Outage lengths are counted in bins of log10(hours), ``HIST_STEP`` wide from
``HIST_LO`` (1e-7 h, a third of a millisecond) over ``HIST_BINS`` bins (to
1e7 h, 1,141 years); shorter and longer outages fall in the first and last
bin. A bin spans a factor 10^0.0008 = 1.00184, so the middle of a bin (on the
log scale) is within a factor 10^0.0004, 0.093%, of every duration in it: a
percentile read as the middle of the bin holding the order statistic is that
order statistic to within 0.1%, however many outages there were. This module
imports nothing heavy, so a chart of a histogram does not load numba.

numba freezes these constants into the compiled kernel, and its cache is
keyed on the kernel's own file: after changing them, clear the kernel's
cache (``relcalc/raft/__pycache__/kernel.*.nbi``/``.nbc``).
"""

from __future__ import annotations

import math

import numpy as np

HIST_LO = -7.0
HIST_STEP = 0.0008
HIST_BINS = 17_500
#: the largest relative error of a bin's middle against any duration in the bin
RELATIVE_ERROR = 10 ** (HIST_STEP / 2) - 1


def bin_edges_hours(bins: int = HIST_BINS) -> np.ndarray:
    """The ``bins + 1`` bin edges (hours)."""
    return 10 ** (HIST_LO + HIST_STEP * np.arange(bins + 1))


def bin_centre_hours(index: int) -> float:
    """The middle of bin ``index`` on the log scale (hours)."""
    return 10 ** (HIST_LO + (index + 0.5) * HIST_STEP)


def bin_of_rank(counts: np.ndarray, rank: int) -> int:
    """The bin holding the ``rank``-th smallest duration (1-based)."""
    return int(np.searchsorted(np.cumsum(counts), rank, side="left"))


def quantile_rank(total: int, level: float) -> int:
    """The rank of the ``level`` quantile among ``total`` durations: the smallest k with k >= level x total.

    The sample quantile inverts the empirical distribution function (type 1
    of Hyndman and Fan, 1996): it is one of the observed durations.
    """
    return max(1, math.ceil(level * total - 1e-9))


def quantile_hours(counts: np.ndarray, level: float) -> float | None:
    """The ``level`` sample quantile of the counted durations (hours, within 0.1%); None without any."""
    total = int(np.sum(counts))
    if total == 0:
        return None
    return bin_centre_hours(bin_of_rank(counts, quantile_rank(total, level)))
