"""Raft quorum availability: the model, a Monte Carlo engine and exact chains.

``analyze`` (every method: crude sampling, importance sampling, the exact
chain) and its result type ``RaftResult`` are imported on first use, so
importing the model (as a chart or a spec loader does) never loads numba.
"""

from .exact import ExactQuorum, exact
from .model import (
    Distribution,
    ModelDescription,
    RaftModel,
    parse_distribution,
    parse_layout,
    parse_timeout_range,
    round_robin_layout,
)

_LAZY = {"analyze": ".methods", "RaftResult": ".result"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Distribution",
    "ExactQuorum",
    "ModelDescription",
    "RaftModel",
    "RaftResult",
    "analyze",
    "exact",
    "parse_distribution",
    "parse_layout",
    "parse_timeout_range",
    "round_robin_layout",
]
