"""Capacity planning: cluster sizing, queueing latency, growth and the USL."""

from .parse import LatencyTarget, parse_growth, parse_latency_target, parse_months, parse_request_rate
from .sizing import BALANCERS, CONSTRAINTS, Cluster, Sizing, balance_factor, check, evaluate, size
from .usl import UslFit, fit_usl, slowdown, usl_peak, usl_throughput

__all__ = [
    "BALANCERS",
    "CONSTRAINTS",
    "Cluster",
    "LatencyTarget",
    "Sizing",
    "UslFit",
    "balance_factor",
    "check",
    "evaluate",
    "fit_usl",
    "parse_growth",
    "parse_latency_target",
    "parse_months",
    "parse_request_rate",
    "size",
    "slowdown",
    "usl_peak",
    "usl_throughput",
]
