"""What every way of answering for a Raft model returns: one typed result.

:class:`RaftResult` is the same whether the figures were sampled (crude or
importance sampling) or solved (the exact chain), so renderers and sweeps
need not care which method ran. Its JSON and CSV form is
:func:`relcalc.results.record` of it: the model's description first, then
each figure, its 95% interval (``..._ci95``), how the interval was made
(``..._interval``: "t", "delta", "garwood", "garwood-upper-bound",
"order-statistic", ... as :mod:`.intervals` names them; "exact" for a solved
figure, "none" where there is no figure) and the exact value beside it.
Figures a method cannot give are ``Interval(None)``.

This module imports neither numba nor scipy, so renderers can use it freely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from ..availability import Calendar
from ..results import Interval
from .exact import ExactQuorum
from .model import ModelDescription, RaftModel

_OUT = {"record": False}


@dataclass(frozen=True, kw_only=True)
class RaftResult:
    """Figures of one model, each with a 95% interval where sampled, beside the exact values.

    Writes need a quorum and a leader: ``unavailability`` is the write
    unavailability (no quorum, or a quorum electing a leader), and
    ``quorum_unavailability`` the share of time without a quorum alone. Per-year
    figures use ``calendar``'s year. ``exact_*`` fields are the exact values
    where maths gives them (None elsewhere), and ``exact_covered`` and
    ``exact_mttf_covered`` whether the interval holds them. Fields marked
    ``init=False`` are derived when the result is made.

    The chance of a quorum loss within a year is given from both starts: a
    cluster in its steady state (``..._from_steady_state``; the unqualified
    ``probability_of_loss_within_year`` is the same figure, kept for
    compatibility) and one just brought all up (``..._from_all_up``).
    Percentiles of the outage length are intervals too.
    """

    model: RaftModel = field(metadata=_OUT)
    description: ModelDescription = field(init=False, metadata={"flatten": True})
    availability: float | None = field(init=False)  # of writes, 1 - unavailability
    unavailability: Interval
    nines: float | None = field(init=False)
    downtime_per_year_hours: float | None = field(init=False)
    #: availability, nines and downtime are 95% bounds (at least, at least, at most): a part was never seen
    write_figures_are_bounds: bool = field(init=False)
    quorum_unavailability: Interval
    exact_quorum_unavailability: float | None = field(init=False)
    exact_covered: bool | None = field(init=False)
    quorum_losses_per_year: Interval
    exact_quorum_losses_per_year: float | None = field(init=False)
    quorum_losses_observed: int | None  # crude sampling only
    probability_of_loss_within_year: Interval  # from the steady state
    exact_probability_of_loss_within_year: float | None = field(init=False)
    probability_of_loss_within_year_from_all_up: Interval
    exact_probability_of_loss_within_year_from_all_up: float | None = field(init=False)
    probability_of_loss_within_year_from_steady_state: Interval
    exact_probability_of_loss_within_year_from_steady_state: float | None = field(init=False)
    mean_outage_hours: Interval
    exact_mean_outage_hours: float | None = field(init=False)
    p50_outage_hours: Interval
    exact_p50_outage_hours: float | None = field(init=False)
    p95_outage_hours: Interval
    exact_p95_outage_hours: float | None = field(init=False)
    p99_outage_hours: Interval
    exact_p99_outage_hours: float | None = field(init=False)
    elections_per_year: Interval
    election_downtime_per_year_hours: Interval
    mttf_hours: Interval  # mean time to the first quorum loss from all up
    exact_mttf_hours: float | None = field(init=False)
    exact_mttf_covered: bool | None = field(init=False)
    data_loss_per_year: Interval
    exact_data_loss_per_year: float | None = field(init=False)
    data_losses_observed: int | None = None  # crude sampling with permanent failures only
    mttdl_hours: Interval  # mean time to data loss from all up
    exact_mttdl_hours: float | None = field(init=False)
    variance_reduction: float | None = None  # importance sampling over crude, per cycle
    simulated_years: float | None  # None for the exact chain and importance sampling
    events: int | None  # simulated transitions (crude sampling)
    events_per_second: float | None = field(init=False)
    cycles: int | None = None  # regenerative cycles (importance sampling)
    wall_seconds: float
    seed: int
    method: str  # "crude", "importance" or "exact"
    stopped: str  # "budget", "target", "time" or "exact"
    notes: tuple[str, ...] = ()
    chunks: int = field(metadata=_OUT)  # chunks simulated, or cycles
    exact: ExactQuorum = field(metadata=_OUT)
    calendar: Calendar = field(default_factory=Calendar, metadata=_OUT)
    #: counts per bin of :mod:`.histogram` (crude sampling)
    outage_histogram: np.ndarray | None = field(default=None, metadata=_OUT)

    def __post_init__(self) -> None:
        for f in fields(self):  # every interval says how it was made, so the JSON keys never vary
            value = getattr(self, f.name, None)
            if isinstance(value, Interval) and not value.method:
                how = "none" if value.value is None else "exact" if value.bounds is None else "delta"
                object.__setattr__(self, f.name, Interval(value.value, value.low, value.high, how))
        u = self.unavailability.value
        ex = self.exact
        year = self.calendar.year_hours
        percentiles = ex.outage_percentiles_hours or {}

        def per_year(per_hour: float | None) -> float | None:
            return None if per_hour is None else per_hour * year

        derived = dict(
            description=self.model.describe(),
            availability=None if u is None else 1.0 - u,
            nines=None if not u else 0.0 - math.log10(u),  # 0, not -0, at u = 1
            downtime_per_year_hours=per_year(u),
            write_figures_are_bounds="upper-bound" in self.unavailability.method,
            exact_quorum_unavailability=ex.quorum_unavailability,
            exact_covered=self.quorum_unavailability.covers(ex.quorum_unavailability),
            exact_quorum_losses_per_year=per_year(ex.losses_per_hour),
            exact_probability_of_loss_within_year=ex.loss_within_year,
            exact_probability_of_loss_within_year_from_all_up=ex.loss_within_year_from_all_up,
            exact_probability_of_loss_within_year_from_steady_state=ex.loss_within_year,
            exact_p50_outage_hours=percentiles.get("p50"),
            exact_p95_outage_hours=percentiles.get("p95"),
            exact_p99_outage_hours=percentiles.get("p99"),
            exact_mean_outage_hours=ex.mean_outage_hours,
            exact_mttf_hours=ex.mttf_hours,
            exact_mttf_covered=self.mttf_hours.covers(ex.mttf_hours),
            exact_data_loss_per_year=per_year(ex.data_loss_per_hour),
            exact_mttdl_hours=ex.mttdl_hours,
            events_per_second=(None if self.events is None else
                               self.events / self.wall_seconds if self.wall_seconds > 0 else math.inf),
        )
        for name, value in derived.items():
            object.__setattr__(self, name, value)


__all__ = ["RaftResult"]
