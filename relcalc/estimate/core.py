"""``estimate``: per-component MTBF, MTTR, availability, repair law and trend from an incident history.

Notes
-----
For a component observed over a window of ``W`` hours with ``r`` merged
outages of total length ``D``: the up time is ``T = W - D``, the observed
unavailability ``D / W`` (carried directly, not as 1 - A), the MTBF point
estimate (mean up time between failures) ``T / r`` and the MTTR point
estimate ``D / r``. The MTBF limits are in :mod:`relcalc.estimate.limits`,
the repair law and the MTTR interval in :mod:`relcalc.estimate.repair`, the
trend tests in :mod:`relcalc.estimate.trend`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .incidents import History, Merge, RowError
from .limits import mtbf_limits
from .repair import fit_repairs
from .timestamps import format_timestamp
from .trend import trend_test


@dataclass(frozen=True)
class ComponentEstimate:
    """What one component's history says, with the confidence of its intervals."""

    name: str
    window_start: str
    window_end: str
    window_hours: float
    failures: int
    downtime_hours: float
    observed_availability: float
    observed_unavailability: float
    mtbf_hours: float | None
    mtbf_low_hours: float
    mtbf_high_hours: float | None
    mtbf_interval: str
    mttr_hours: float | None
    mttr_low_hours: float | None
    mttr_high_hours: float | None
    mttr_interval: str
    repair_law: str | None
    repair_parameters: dict[str, float] | None
    repair_fit: str
    trend: str
    laplace_u: float | None
    laplace_p_value: float | None
    crow_beta: float | None
    mil_hdbk_189_p_value: float | None
    confidence: float
    # kept for the posterior, the chart and the report; not in records
    up_hours: float = field(default=0.0, metadata={"record": False})
    failure_times_hours: tuple[float, ...] = field(default=(), metadata={"record": False})
    repair_hours: tuple[float, ...] = field(default=(), metadata={"record": False})
    crow_lambda: float | None = field(default=None, metadata={"record": False})


@dataclass(frozen=True)
class EstimateResult:
    """Every component's estimate, the merges made and the rows refused."""

    components: tuple[ComponentEstimate, ...]
    merges: tuple[Merge, ...]
    errors: tuple[RowError, ...]
    rows_read: int
    confidence: float
    significance: float

    def component(self, name: str) -> ComponentEstimate:
        for c in self.components:
            if c.name == name:
                return c
        raise InputError(f"no incidents or window for component {name!r} (known: {', '.join(self.names) or 'none'})")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components)


def _check_levels(confidence: float, significance: float) -> None:
    if not 0.5 <= confidence < 1.0:
        raise InputError(f"confidence must be at least 0.5 and below 1 (e.g. 0.9), got {confidence}")
    if not 0.0 < significance <= 0.5:
        raise InputError(f"significance must be above 0 and at most 0.5 (e.g. 0.1), got {significance}")


def estimate(history: History, *, confidence: float = 0.90, significance: float = 0.10, rng=None,
             goodness_of_fit: bool = True) -> EstimateResult:
    """Estimate every component of ``history`` (see the module text)."""
    _check_levels(confidence, significance)
    if not history.components_order:
        raise InputError("INCIDENTS: no usable rows (every row has an error)")
    # one stream per component, so a component's bootstrap does not depend on the others
    count = len(history.components_order)
    if isinstance(rng, np.random.Generator):
        streams = rng.spawn(count)
    else:
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(rng).spawn(count)]
    # the bootstrap's work grows with every repair of the history: past a bound, distances without p-values
    from .repair import GOF_MAX_HISTORY

    bootstrap = sum(len(history.outages[name]) for name in history.components_order) <= GOF_MAX_HISTORY
    out = []
    for name, stream in zip(history.components_order, streams):
        out.append(_one(name, history, confidence, significance, stream, goodness_of_fit, bootstrap))
    return EstimateResult(tuple(out), history.merges, history.errors, history.rows_read, confidence, significance)


def _one(name: str, history: History, confidence: float, significance: float, seed, gof: bool,
         bootstrap: bool = True) -> ComponentEstimate:
    start, end = history.windows[name]
    outages = history.outages[name]
    window = end - start
    durations = np.array([o.duration_hours for o in outages], dtype=float)
    downtime = float(np.sum(durations)) if len(durations) else 0.0
    up = window - downtime
    r = len(outages)
    mtbf = mtbf_limits(r, up, confidence)
    repair = fit_repairs(durations, confidence, rng=seed, goodness_of_fit=gof, bootstrap=bootstrap)
    times = tuple(o.start_hours - start for o in outages)
    trend = trend_test(times, window, significance)
    return ComponentEstimate(
        name=name,
        window_start=format_timestamp(start),
        window_end=format_timestamp(end),
        window_hours=window,
        failures=r,
        downtime_hours=downtime,
        observed_availability=up / window,
        observed_unavailability=downtime / window,
        mtbf_hours=mtbf.mtbf_hours,
        mtbf_low_hours=mtbf.mtbf_low_hours,
        mtbf_high_hours=mtbf.mtbf_high_hours,
        mtbf_interval=mtbf.method,
        mttr_hours=None if repair is None else downtime / r,
        mttr_low_hours=None if repair is None else repair.mttr_low_hours,
        mttr_high_hours=None if repair is None else repair.mttr_high_hours,
        mttr_interval="no repairs observed" if repair is None else repair.mttr_interval,
        repair_law=None if repair is None else repair.law,
        repair_parameters=None if repair is None else repair.parameters,
        repair_fit="no repairs observed" if repair is None else repair.fit_statement,
        trend=trend.verdict,
        laplace_u=trend.laplace_u,
        laplace_p_value=trend.laplace_p_value,
        crow_beta=trend.crow_beta,
        mil_hdbk_189_p_value=trend.mil_hdbk_189_p_value,
        confidence=confidence,
        up_hours=up,
        failure_times_hours=times,
        repair_hours=tuple(float(d) for d in durations),
        crow_lambda=trend.crow_lambda,
    )
