"""Capacity planning: cluster sizing, queueing latency, growth and the USL."""

from .parse import LatencyTarget, parse_growth, parse_latency_target, parse_months, parse_request_rate
from .results import ClusterFigures, Growth, GrowthMonth, Sizing
from .sizing import BALANCERS, CONSTRAINTS, Cluster, balance_factor, check, evaluate, figures_at, max_rate, project_growth, size
from .usl import UslFit, fit_usl, slowdown, usl_peak, usl_throughput

__all__ = [
    "BALANCERS",
    "CONSTRAINTS",
    "Cluster",
    "ClusterFigures",
    "Growth",
    "GrowthMonth",
    "LatencyTarget",
    "Sizing",
    "UslFit",
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
