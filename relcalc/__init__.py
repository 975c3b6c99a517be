"""relcalc: reliability and capacity planning, exact where maths allows.

The library is importable without the CLI::

    from relcalc import analyze, parse_duration
    r = analyze(parse_duration("2000h"), parse_duration("4h"))
    r.nines, r.downtime_hours("year")
"""

from .availability import (
    AvailabilityResult,
    Calendar,
    analyze,
    analyze_rates,
    availability,
    budget,
    failure_frequency_per_hour,
    max_mttr_for_target,
    min_mtbf_for_target,
    nines,
    solve,
    unavailability,
)
from .errors import ExitCode, InputError, RelcalcError
from .units import format_duration, format_percent, parse_duration, parse_probability, parse_rate_per_hour

__version__ = "0.1.0"

__all__ = [
    "AvailabilityResult",
    "Calendar",
    "ExitCode",
    "InputError",
    "RelcalcError",
    "analyze",
    "analyze_rates",
    "availability",
    "budget",
    "failure_frequency_per_hour",
    "format_duration",
    "format_percent",
    "max_mttr_for_target",
    "min_mtbf_for_target",
    "nines",
    "parse_duration",
    "parse_probability",
    "parse_rate_per_hour",
    "solve",
    "unavailability",
]
