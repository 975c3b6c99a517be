"""What capacity planning returns: typed results, one array element per service.

Every figure is a numpy array with one element per service (or per node
count asked about). Figures that do not apply are NaN (a latency without a
service time, a wait in an unstable queue, anything of a service no size
serves). Counts of nodes are integer masked arrays (:mod:`numpy.ma`): the
data are ``int64`` and the mask is set where there is no count (no size meets
the targets, the constraint was not asked, no failure scenario was asked).

``result.at(i)`` is the same result for element ``i`` with plain Python
values: ``int`` or ``None`` for counts, ``float`` or ``None`` (not
applicable) for figures. :func:`relcalc.results.record` turns that into JSON;
field names are the JSON keys, with their units in them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass, replace

import numpy as np

#: Field metadata of figures that depend on the inputs only, not on the node count.
INPUTS_ONLY = {"inputs_only": True}


def counts(values) -> np.ma.MaskedArray:
    """Whole numbers held as floats, NaN where there is none, as an integer masked array."""
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    return np.ma.MaskedArray(np.where(missing, 0.0, values).astype(np.int64), mask=missing)


def _python(value, i: int):
    if is_dataclass(value) and not isinstance(value, type):
        return value.at(i)
    if isinstance(value, np.ma.MaskedArray):
        return None if np.ma.getmaskarray(value)[i] else value.data[i].item()
    if isinstance(value, np.ndarray):
        item = value[i]
        item = item.item() if isinstance(item, np.generic) else item
        return None if isinstance(item, float) and math.isnan(item) else item
    return value


class _Elementwise:
    """Results whose array fields hold one element per service."""

    def at(self, i: int = 0):
        """Element ``i`` of every array field as a Python value (None where NaN or masked)."""
        return replace(self, **{f.name: _python(getattr(self, f.name), i) for f in fields(self)})

    def columns(self) -> dict[str, np.ndarray]:
        """The array fields by name, as table columns: nested results flattened, unrecorded fields left out."""
        out: dict[str, np.ndarray] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.metadata.get("record", True):
                continue
            if f.metadata.get("flatten"):
                out.update(value.columns())
            else:
                out[f.name] = value
        return out


@dataclass(frozen=True)
class ClusterFigures(_Elementwise):
    """What a cluster does on a given number of nodes; one element per service (or per node count).

    The hottest node gets ``balance_factor`` times the mean share of the
    request rate R; with the USL its throughput T and service time S stretch
    by ``slowdown(N)``. Queue figures are of the hottest node, one FCFS queue
    with c = concurrency slots at arrival rate ``k R / N``: exact M/M/c, or
    the Allen-Cunneen approximation where ``exact_queue`` is False (then
    response percentiles are NaN: they need the simulation). ``survivor_*``
    are the same figures of the hottest survivor in the worse failure
    scenario (``failure_scenario``: ``node_failures`` for N+f, ``zone_loss``
    for the largest zone), NaN where no failure is asked. Every queue figure
    is NaN without a service time and where that queue is unstable
    (utilisation >= 1). Field order is the order of the ``relcalc capacity``
    JSON.
    """

    capacity_c: np.ndarray = field(metadata=INPUTS_ONLY)  #: C = R / T, the work in nodes
    effective_capacity_q: np.ndarray  #: Q = N / (k slowdown(N)), what N nodes deliver, in nodes
    balance_factor: np.ndarray  #: k, the hottest node's share over the mean (>= 1)
    offered_load_erlangs: np.ndarray = field(metadata=INPUTS_ONLY)  #: a = R S (Little's law); NaN without S
    utilization: np.ndarray  #: k R slowdown(N) / (N T), the hottest node's utilisation
    utilization_after_failures: np.ndarray  #: the hottest survivor's, in the worse failure scenario; NaN if none asked
    nodes_lost_in_failure: np.ma.MaskedArray  #: nodes down in that scenario (f, or the largest zone); masked if none
    failure_scenario: np.ndarray  #: object array: "node_failures", "zone_loss" or None
    stable: np.ma.MaskedArray = field(metadata={"record": False})  #: bool: the queue is stable; masked without S
    probability_of_wait: np.ndarray  #: Erlang C of the hottest node
    mean_wait_seconds: np.ndarray
    p50_wait_seconds: np.ndarray
    p95_wait_seconds: np.ndarray
    p99_wait_seconds: np.ndarray
    mean_queue_length: np.ndarray  #: L_q = lambda W_q, requests waiting at the hottest node
    service_level: np.ndarray  #: P(wait <= the wait target's limit); NaN without a wait target
    mean_response_seconds: np.ndarray  #: mean wait plus mean service time
    p50_response_seconds: np.ndarray
    p95_response_seconds: np.ndarray
    p99_response_seconds: np.ndarray
    target_response_seconds: np.ndarray  #: the response time at the latency target's percentile (or mean); NaN if none
    survivor_probability_of_wait: np.ndarray
    survivor_mean_wait_seconds: np.ndarray
    survivor_p50_wait_seconds: np.ndarray
    survivor_p95_wait_seconds: np.ndarray
    survivor_p99_wait_seconds: np.ndarray
    survivor_mean_queue_length: np.ndarray
    survivor_service_level: np.ndarray
    survivor_mean_response_seconds: np.ndarray
    survivor_p50_response_seconds: np.ndarray
    survivor_p95_response_seconds: np.ndarray
    survivor_p99_response_seconds: np.ndarray
    survivor_target_response_seconds: np.ndarray
    node_throughput_per_second: np.ndarray = field(metadata=INPUTS_ONLY)  #: T, one node flat out (given, or c / S)
    exact_queue: np.ma.MaskedArray  #: bool: M/M/c, exact; False: Allen-Cunneen (labelled); masked without S
    target_utilization: np.ndarray = field(metadata=INPUTS_ONLY)  #: the healthy cap in force (default 0.8)
    failover_utilization: np.ndarray = field(metadata=INPUTS_ONLY)  #: the survivor cap in force (default 0.9)


@dataclass(frozen=True)
class Sizing(_Elementwise):
    """The smallest cluster meeting every target, one element per service.

    Each constraint gives its own smallest N (``nodes_for_<constraint>``,
    masked where it was not asked or no size meets it); ``nodes`` is the
    largest, masked where no size meets every target, and ``unreachable``
    then says why. ``binding_constraint`` names the constraint that decides,
    the failure ones by scenario (``latency_after_zone_loss``,
    ``wait_after_node_failures``). ``figures`` are those of the cluster at
    ``nodes`` (NaN where unreachable, but for the figures that depend on the
    inputs only).
    """

    nodes: np.ma.MaskedArray
    binding_constraint: np.ndarray  #: object array: the constraint that decides, "" where unreachable
    nodes_for_throughput: np.ma.MaskedArray  #: the hottest node below full load
    nodes_for_utilization: np.ma.MaskedArray  #: the hottest node under the utilisation cap
    nodes_for_redundancy: np.ma.MaskedArray  #: the hottest survivor within its cap after N+f or zone loss
    nodes_for_latency: np.ma.MaskedArray  #: the hottest node meeting the response-time target
    nodes_for_latency_after_failures: np.ma.MaskedArray  #: the hottest survivor meeting it
    nodes_for_wait: np.ma.MaskedArray  #: the hottest node meeting the wait target
    nodes_for_wait_after_failures: np.ma.MaskedArray  #: the hottest survivor meeting it
    figures: ClusterFigures = field(metadata={"flatten": True})
    unreachable: np.ndarray = field(metadata={"record": False})  #: object array: "" or why no size is enough

    @property
    def reachable(self):
        """Where some size meets every target: a bool array (a bool for one service from :meth:`at`)."""
        if isinstance(self.nodes, np.ndarray):
            return ~np.ma.getmaskarray(self.nodes)
        return self.nodes is not None

    def nodes_for(self, constraint: str):
        """The smallest N meeting one of :data:`~relcalc.capacity.sizing.CONSTRAINTS`."""
        return getattr(self, f"nodes_for_{constraint}")


@dataclass(frozen=True)
class GrowthMonth:
    """One month of a growth projection."""

    month: int
    rate_per_second: float
    nodes_needed: int | None  #: None where no size meets the targets
    binding_constraint: str | None


@dataclass(frozen=True)
class Growth:
    """Month-by-month projection of a growing request rate; arrays over months 0..horizon."""

    growth_per_month: float  #: the compounded monthly growth of the rate (0.05 for 5%/month)
    months: np.ndarray  #: int
    rate_per_second: np.ndarray
    nodes_needed: np.ma.MaskedArray  #: int, masked where no size meets the targets
    binding_constraint: np.ndarray  #: object array, "" where out of reach
    current_nodes: int | None
    max_rate_per_second: float | None  #: what the current nodes serve within every target (None: no rate)
    runs_out_month: int | None  #: the first whole month that needs more nodes (None: not within the horizon)
    runs_out_after_months: float | None  #: when the rate reaches max_rate_per_second, in (fractional) months

    def by_month(self) -> list[GrowthMonth]:
        """The projection as one row a month."""
        needed = np.ma.getmaskarray(self.nodes_needed)
        return [
            GrowthMonth(int(m), float(r), None if needed[i] else int(self.nodes_needed.data[i]), b or None)
            for i, (m, r, b) in enumerate(zip(self.months, self.rate_per_second, self.binding_constraint))
        ]


__all__ = ["ClusterFigures", "Growth", "GrowthMonth", "Sizing", "counts"]
