"""Raft quorum availability: the model, a Monte Carlo engine and exact chains."""

from .exact import ExactQuorum, exact
from .model import Distribution, RaftModel, parse_distribution, parse_layout, parse_timeout_range, round_robin_layout

__all__ = [
    "Distribution",
    "ExactQuorum",
    "RaftModel",
    "exact",
    "parse_distribution",
    "parse_layout",
    "parse_timeout_range",
    "round_robin_layout",
]
