"""From an incident history to MTBF and MTTR with their uncertainty (``relcalc estimate``).

:func:`read_history` turns incident rows into merged outages per component,
:func:`estimate` gives each component's figures with intervals, repair law
and trend; :func:`posterior` gives the distribution of a component's rates
that :mod:`relcalc.uncertainty` carries through a block diagram.
"""

from .core import ComponentEstimate, EstimateResult, estimate
from .incidents import History, Merge, Outage, RowError, read_history
from .limits import MtbfEstimate, mtbf_limits
from .posterior import RatePosterior, posterior
from .repair import RepairFit, fit_law, fit_repairs
from .timestamps import parse_timestamp, parse_window, zone
from .trend import TrendTest, trend_test

__all__ = [
    "ComponentEstimate",
    "EstimateResult",
    "History",
    "Merge",
    "MtbfEstimate",
    "Outage",
    "RatePosterior",
    "RepairFit",
    "RowError",
    "TrendTest",
    "estimate",
    "fit_law",
    "fit_repairs",
    "mtbf_limits",
    "parse_timestamp",
    "parse_window",
    "posterior",
    "read_history",
    "trend_test",
    "zone",
]
