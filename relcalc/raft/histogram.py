"""The outage-duration histogram's bins, shared by the compiled kernel, the engine and the charts.

Outage lengths are counted in bins of log10(hours), ``HIST_STEP`` wide from
``HIST_LO`` (1e-7 h, a third of a millisecond) over ``HIST_BINS`` bins (to
1e7 h). This module imports nothing heavy, so a chart of a histogram does not
load numba.

numba freezes these constants into the compiled kernel, and its cache is
keyed on the kernel's own file: after changing them, clear the kernel's
cache (``relcalc/raft/__pycache__/kernel.*.nbi``/``.nbc``).
"""

from __future__ import annotations

import numpy as np

HIST_LO = -7.0
HIST_STEP = 0.01
HIST_BINS = 1400


def bin_edges_hours(bins: int = HIST_BINS) -> np.ndarray:
    """The ``bins + 1`` bin edges (hours)."""
    return 10 ** (HIST_LO + HIST_STEP * np.arange(bins + 1))


def bin_centre_hours(index: int) -> float:
    """The middle of bin ``index`` on the log scale (hours)."""
    return 10 ** (HIST_LO + (index + 0.5) * HIST_STEP)
