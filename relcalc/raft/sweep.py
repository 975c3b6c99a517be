"""Sweeps over a grid of models: which input varies, and what each step in cluster size buys.

An input of a point is read from its model's description by name
(``zones`` is the number of zones its nodes are spread over), so a chart and
a table group a sweep the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .result import RaftResult

#: The inputs a sweep can vary, in the order charts describe them.
SWEPT_INPUTS = ("nodes", "mtbf_hours", "mttr_hours", "repair_crews", "zones", "common_cause", "zone_mtbf_hours",
                "zone_mttr_hours")


def input_value(result: RaftResult, name: str):
    """The input ``name`` (one of :data:`SWEPT_INPUTS`) of the model behind ``result``."""
    return getattr(result.description, name)


def varies(results: list[RaftResult], name: str) -> bool:
    """Whether the input ``name`` takes more than one value across ``results``."""
    return len({str(input_value(r, name)) for r in results}) > 1


def swept_input(results: list[RaftResult]) -> str:
    """The input that varies across ``results`` (``nodes`` when several do, or none)."""
    varying = [name for name in SWEPT_INPUTS if varies(results, name)]
    return "nodes" if not varying or "nodes" in varying else varying[0]


def groups(results: list[RaftResult], swept: str) -> list[list[RaftResult]]:
    """``results`` grouped by every input but ``swept``, in order of first appearance."""
    return [[results[i] for i in group] for group in _group_indices(results, swept)]


def _group_indices(results: list[RaftResult], swept: str) -> list[list[int]]:
    found: dict[tuple, list[int]] = {}
    for i, result in enumerate(results):
        key = tuple(str(input_value(result, name)) for name in SWEPT_INPUTS if name != swept)
        found.setdefault(key, []).append(i)
    return list(found.values())


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep and what its cluster size buys over the next smaller one.

    ``gain_over_fewer_nodes`` is the quorum unavailability at the next smaller
    cluster (the other inputs the same) over this one's; None for the smallest
    or when either is zero, unknown, or only a bound (no loss was seen). A
    gain near 1 means the extra nodes buy nothing (common-cause shocks or zone
    losses dominate).
    """

    result: RaftResult = field(metadata={"flatten": True})
    gain_over_fewer_nodes: float | None


def with_gains(results: list[RaftResult]) -> list[SweepPoint]:
    """Each result with its :attr:`SweepPoint.gain_over_fewer_nodes`, in the order given."""
    gains: list[float | None] = [None] * len(results)
    for group in _group_indices(results, "nodes"):
        previous = None
        for i in sorted(group, key=lambda i: results[i].model.nodes):
            figure = results[i].quorum_unavailability
            now = None if figure.method.endswith("-bound") else figure.value
            if previous and now:
                gains[i] = previous / now
            previous = now
    return [SweepPoint(result, gain) for result, gain in zip(results, gains)]


__all__ = ["SWEPT_INPUTS", "SweepPoint", "groups", "input_value", "swept_input", "varies", "with_gains"]
