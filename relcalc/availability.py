"""Closed forms for one repairable component: availability, nines, downtime.

Every function takes floats or numpy arrays and broadcasts. Unavailability is
always computed directly (MTTR / (MTBF + MTTR)), never as ``1 - A``, so a
component with twelve nines keeps all its digits.

Notes
-----
A component alternates between up periods of mean MTBF (mean time between
failures, taken as the mean up time) and down periods of mean MTTR. In steady
state, for any up and down distributions (an alternating renewal process):

    A = MTBF / (MTBF + MTTR),   U = MTTR / (MTBF + MTTR),
    failure frequency f = 1 / (MTBF + MTTR),   nines = -log10(U).

References: Trivedi & Bobbio, *Reliability and Availability Engineering*
(Cambridge, 2017), ch. 9 (alternating renewal processes).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError

# numpy is imported only when an array arrives: a single component on the
# command line is plain float arithmetic, and numpy would double start-up time.
_SCALARS = (int, float)

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Calendar:
    """The period lengths used for downtime budgets.

    Published tables disagree on a month: 99.9% is 43.2 min with 30-day
    months and 43.8 min with a twelfth of a 365-day year. relcalc uses a
    twelfth of the chosen year for a month and a quarter of it for a quarter.
    """

    year_days: float = 365.0
    #: None: a month is a twelfth of the year; 30 (or 28 to 31) for SLA tables that use 30-day months.
    month_days: float | None = None

    def __post_init__(self) -> None:
        if self.year_days not in (365.0, 365.25):
            raise InputError(f"--year-days must be 365 or 365.25, got {self.year_days:g}")
        if self.month_days is not None and not 28 <= self.month_days <= 31:
            raise InputError(f"--month-days must be from 28 to 31 (30 for 30-day months), got {self.month_days:g}")

    @property
    def periods_hours(self) -> dict[str, float]:
        """Period name to length in hours, longest first."""
        year = self.year_days * HOURS_PER_DAY
        month = year / 12 if self.month_days is None else self.month_days * HOURS_PER_DAY
        return {"year": year, "quarter": year / 4, "month": month, "week": 168.0, "day": 24.0}

    @property
    def year_hours(self) -> float:
        return self.year_days * HOURS_PER_DAY

    def describe(self) -> str:
        if self.month_days is not None:
            return f"year = {self.year_days:g} days, quarter = year/4, month = {self.month_days:g} days"
        return f"year = {self.year_days:g} days, quarter = year/4, month = year/12 ({self.year_days / 12:.2f} days)"


def _positive(name: str, value: Any):
    """``value`` as a float or float array, checked positive and finite."""
    if isinstance(value, _SCALARS) and not isinstance(value, bool):
        value = float(value)
        if not math.isfinite(value):
            raise InputError(f"{name} must be finite, got {value}")
        if value <= 0:
            raise InputError(f"{name} must be positive, got {value}")
        return value
    import numpy as np

    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be finite, got {value}")
    if np.any(arr <= 0):
        raise InputError(f"{name} must be positive, got {value}")
    return arr if arr.ndim else float(arr)


def _share(part, mtbf_hours, mttr_hours):
    """``part / (MTBF + MTTR)`` without overflow: where the sum overflows, both sides are halved (exactly)."""
    if isinstance(mtbf_hours, _SCALARS) and isinstance(mttr_hours, _SCALARS):
        total = mtbf_hours + mttr_hours
        if math.isinf(total) and math.isfinite(mtbf_hours) and math.isfinite(mttr_hours):
            return (part * 0.5) / (mtbf_hours * 0.5 + mttr_hours * 0.5)
        return part / total
    import numpy as np

    with np.errstate(over="ignore"):
        total = np.add(mtbf_hours, mttr_hours)
    if not np.isinf(total).any():
        return part / total
    halved = np.multiply(mtbf_hours, 0.5) + np.multiply(mttr_hours, 0.5)
    return np.where(np.isinf(total), np.multiply(part, 0.5) / halved, part / np.where(np.isinf(total), 1.0, total))


def _representable(value, what: str, small: str, large: str):
    """``value`` unless it underflowed (below the smallest normal float, 2.2e-308): then an InputError."""
    if isinstance(value, _SCALARS):
        low = value
    else:
        import numpy as np

        low = float(np.min(value)) if np.size(value) else 1.0
    if low < sys.float_info.min:
        raise InputError(f"{small} is so small against {large} that the {what} is below 1e-308 and cannot be "
                         f"represented as a number; check the units")
    return value


def unavailability(mtbf_hours, mttr_hours):
    """Steady-state unavailability U = MTTR / (MTBF + MTTR), for any finite positive inputs."""
    return _share(mttr_hours, mtbf_hours, mttr_hours)


def availability(mtbf_hours, mttr_hours):
    """Steady-state availability A = MTBF / (MTBF + MTTR), for any finite positive inputs."""
    return _share(mtbf_hours, mtbf_hours, mttr_hours)


def nines(unavailability_):
    """Number of nines, -log10(U); infinite for U = 0, and 0 (not -0.0) for U = 1."""
    if isinstance(unavailability_, _SCALARS):
        return math.inf if unavailability_ == 0 else 0.0 - math.log10(unavailability_)
    import numpy as np

    with np.errstate(divide="ignore"):
        return 0.0 - np.log10(unavailability_)


def failure_frequency_per_hour(mtbf_hours, mttr_hours):
    """Failures per hour in steady state, 1 / (MTBF + MTTR)."""
    return _share(1.0, mtbf_hours, mttr_hours)


def max_mttr_for_target(mtbf_hours, target_availability, target_unavailability):
    """The largest MTTR meeting the target: MTTR = MTBF * U / A."""
    return mtbf_hours * target_unavailability / target_availability


def min_mtbf_for_target(mttr_hours, target_availability, target_unavailability):
    """The smallest MTBF meeting the target: MTBF = MTTR * A / U."""
    return mttr_hours * target_availability / target_unavailability


@dataclass(frozen=True, kw_only=True)
class AvailabilityResult:
    """Availability figures for one component or a vector of them.

    ``mtbf_hours`` and ``mttr_hours`` are None for a bare budget (a target
    availability with no component behind it). Fields are floats or arrays of
    one common shape. Downtime per period is ``unavailability`` times the
    period's length in the result's calendar.
    """

    RECORD_PROPERTIES = ("nines", "failure_frequency_per_year", "downtime_per_year_hours",
                         "downtime_per_quarter_hours", "downtime_per_month_hours", "downtime_per_week_hours",
                         "downtime_per_day_hours", "year_days", "solved_for")
    RECORD_OMIT_NONE = ("mtbf_hours", "mttr_hours", "failure_frequency_per_year", "solved_for")

    mtbf_hours: Any = None
    mttr_hours: Any = None
    availability: Any
    unavailability: Any
    calendar: Calendar = field(default_factory=Calendar, metadata={"record": False})
    solved_for: str | None = field(default=None, metadata={"record": False})  #: "mttr" or "mtbf" when inverse-solved

    @property
    def nines(self):
        return nines(self.unavailability)

    @property
    def failure_frequency_per_hour(self):
        if self.mtbf_hours is None:
            return None
        return failure_frequency_per_hour(self.mtbf_hours, self.mttr_hours)

    @property
    def failure_frequency_per_year(self):
        per_hour = self.failure_frequency_per_hour
        return None if per_hour is None else per_hour * self.calendar.year_hours

    @property
    def year_days(self) -> float:
        return self.calendar.year_days

    def downtime_hours(self, period: str):
        """Expected downtime in one period ("year", "quarter", "month", "week", "day")."""
        return self.unavailability * self.calendar.periods_hours[period]

    @property
    def downtime_per_year_hours(self):
        return self.downtime_hours("year")

    @property
    def downtime_per_quarter_hours(self):
        return self.downtime_hours("quarter")

    @property
    def downtime_per_month_hours(self):
        return self.downtime_hours("month")

    @property
    def downtime_per_week_hours(self):
        return self.downtime_hours("week")

    @property
    def downtime_per_day_hours(self):
        return self.downtime_hours("day")

    def downtime_table(self) -> dict[str, Any]:
        return {period: self.downtime_hours(period) for period in self.calendar.periods_hours}

    def meets(self, target_unavailability: float):
        """True where the unavailability is within the target's."""
        return self.unavailability <= target_unavailability


def analyze(mtbf_hours, mttr_hours, *, calendar: Calendar | None = None) -> AvailabilityResult:
    """Availability, unavailability, nines, frequency and downtime of a component.

    Parameters
    ----------
    mtbf_hours, mttr_hours : float or array_like
        Mean up time and mean repair time in hours, positive and finite.
    calendar : Calendar, optional
        Period lengths for the downtime budgets (365-day year by default).

    Examples
    --------
    >>> r = analyze(2000.0, 4.0)
    >>> round(r.nines, 3), round(r.downtime_hours("year"), 2)
    (2.7, 17.49)
    """
    mtbf = _positive("mtbf", mtbf_hours)
    mttr = _positive("mttr", mttr_hours)
    return AvailabilityResult(
        availability=_representable(availability(mtbf, mttr), "availability", "MTBF", "MTTR"),
        unavailability=_representable(unavailability(mtbf, mttr), "unavailability", "MTTR", "MTBF"),
        mtbf_hours=mtbf,
        mttr_hours=mttr,
        calendar=calendar or Calendar(),
    )


def analyze_rates(failure_rate_per_hour, repair_rate_per_hour, *, calendar: Calendar | None = None) -> AvailabilityResult:
    """Like :func:`analyze` from rates: U = lambda / (lambda + mu), computed directly."""
    lam = _positive("failure rate", failure_rate_per_hour)
    mu = _positive("repair rate", repair_rate_per_hour)
    return AvailabilityResult(
        availability=_representable(_share(mu, lam, mu), "availability", "the repair rate", "the failure rate"),
        unavailability=_representable(_share(lam, lam, mu), "unavailability", "the failure rate", "the repair rate"),
        mtbf_hours=1.0 / lam,
        mttr_hours=1.0 / mu,
        calendar=calendar or Calendar(),
    )


def budget(target_availability, target_unavailability, *, calendar: Calendar | None = None) -> AvailabilityResult:
    """The downtime budget (error budget) of an availability target.

    Pass both the availability and its unavailability (as returned by
    :func:`relcalc.units.parse_probability`) so no digits are lost.
    """
    return AvailabilityResult(
        availability=target_availability,
        unavailability=target_unavailability,
        calendar=calendar or Calendar(),
    )


def _solved_in_range(hours, name: str):
    """A solved MTBF or MTTR, or an InputError where it over- or underflowed the float range."""
    if isinstance(hours, _SCALARS):
        bad = not math.isfinite(hours) or hours < sys.float_info.min
    else:
        import numpy as np

        bad = not np.all(np.isfinite(hours)) or np.any(np.asarray(hours) < sys.float_info.min)
    if bad:
        raise InputError(f"the {name} that meets the target is outside the range of numbers (1e-308 to 1e308 "
                         f"hours); check the units of the inputs")
    return hours


def solve(
    target_availability: float,
    target_unavailability: float,
    *,
    mtbf_hours=None,
    mttr_hours=None,
    calendar: Calendar | None = None,
) -> AvailabilityResult:
    """Inverse solving: given a target and one of MTBF/MTTR, find the other.

    With ``mtbf_hours`` the result carries the largest MTTR that meets the
    target; with ``mttr_hours`` the smallest MTBF.
    """
    if (mtbf_hours is None) == (mttr_hours is None):
        raise InputError("give exactly one of MTBF and MTTR to solve for the other")
    if mtbf_hours is not None:
        mtbf = _positive("mtbf", mtbf_hours)
        mttr = _solved_in_range(max_mttr_for_target(mtbf, target_availability, target_unavailability), "MTTR")
        solved = "mttr"
    else:
        mttr = _positive("mttr", mttr_hours)
        mtbf = _solved_in_range(min_mtbf_for_target(mttr, target_availability, target_unavailability), "MTBF")
        solved = "mtbf"
    result = analyze(mtbf, mttr, calendar=calendar)
    return AvailabilityResult(
        availability=result.availability,
        unavailability=result.unavailability,
        mtbf_hours=mtbf,
        mttr_hours=mttr,
        calendar=result.calendar,
        solved_for=solved,
    )
