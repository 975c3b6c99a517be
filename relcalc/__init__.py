"""relcalc: reliability and capacity planning, exact where maths allows.

The library is importable without the CLI::

    from relcalc import analyze, parse_duration
    r = analyze(parse_duration("2000h"), parse_duration("4h"))
    r.nines, r.downtime_hours("year")
"""

import os as _os
import signal as _signal
import sys as _sys


def _interrupted_while_starting(signum, frame):  # noqa: ARG001 - the signal module's signature
    # Ctrl-C while Python is still importing relcalc: nothing has been read or written yet, so
    # leave at once with the CLI's one line and 130 rather than a traceback out of an import
    _sys.stderr.write("relcalc: interrupted\n")
    _sys.stderr.flush()
    _os._exit(130)


def _guard_start() -> None:
    """Install the start-up Ctrl-C guard, only when relcalc is being started as the CLI.

    The CLI hands SIGINT back to Python's own handler as soon as it runs (relcalc/cli), so the
    guard covers only the import time. A library user's process, a worker started with SIGINT
    ignored, or a non-main thread keeps its own handling.
    """
    name = _os.path.basename(_sys.argv[0]) if _sys.argv and _sys.argv[0] else ""
    if name not in ("relcalc", "relcalc.exe", "-m"):
        return
    try:
        if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
            _signal.signal(_signal.SIGINT, _interrupted_while_starting)
    except ValueError:  # not the main thread
        pass


_guard_start()


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
