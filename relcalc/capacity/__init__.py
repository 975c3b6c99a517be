"""Capacity planning: cluster sizing, queueing latency, growth and the USL."""

from .balance import BALANCERS, balance_factor
from .checks import DEFAULT_FAILOVER_UTILIZATION, DEFAULT_TARGET_UTILIZATION, Cluster, check
from .notes import assumptions
from .parse import LatencyTarget, parse_growth, parse_latency_target, parse_months, parse_request_rate
from .results import ClusterFigures, Growth, GrowthMonth, Sizing
from .sizing import CONSTRAINTS, evaluate, figures_at, max_rate, project_growth, size
from .usl import UslFit, fit_usl, slowdown, usl_peak, usl_throughput

__all__ = [
    "BALANCERS",
    "CONSTRAINTS",
    "Cluster",
    "ClusterFigures",
    "DEFAULT_FAILOVER_UTILIZATION",
    "DEFAULT_TARGET_UTILIZATION",
    "Growth",
    "GrowthMonth",
    "LatencyTarget",
    "Sizing",
    "UslFit",
    "assumptions",
    "balance_factor",
    "check",
    "evaluate",
    "figures_at",
    "fit_usl",
    "max_rate",
    "parse_growth",
    "parse_latency_target",
    "parse_months",
    "parse_request_rate",
    "project_growth",
    "size",
    "slowdown",
    "usl_peak",
    "usl_throughput",
]
