"""Reliability block diagrams: series, parallel, k-of-n and standby, with shared components."""

from .evaluate import ComposeResult, Importance, evaluate
from .mission import MissionResult, mission, system_reliability
from .model import Component, KofN, Parallel, Series, Standby, System, Use
from .spec import apply_set, load_spec_text, parse_component_option, parse_expression, system_from_mapping
from .tails import k_of_n

__all__ = [
    "Component",
    "ComposeResult",
    "Importance",
    "KofN",
    "MissionResult",
    "Parallel",
    "Series",
    "Standby",
    "System",
    "Use",
    "apply_set",
    "evaluate",
    "k_of_n",
    "load_spec_text",
    "mission",
    "parse_component_option",
    "parse_expression",
    "system_from_mapping",
    "system_reliability",
]
