"""The error hierarchy and the exit codes shared by the library and the CLI.

The library raises these exceptions with messages written for the person who
typed the input; the CLI turns them into one-line errors and exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the ``relcalc`` command."""

    OK = 0
    INTERNAL = 1  #: a bug: unexpected exception
    BAD_INPUT = 2  #: the user's input cannot be used
    PARTIAL = 3  #: a partial result (rows skipped) or a target missed
    INTERRUPTED = 130  #: Ctrl-C


class RelcalcError(Exception):
    """Base class of every error relcalc raises on purpose."""

    exit_code = ExitCode.INTERNAL


class InputError(RelcalcError, ValueError):
    """An input that cannot be used; the message names the input and the fix.

    Example: ``InputError("--mttr must be positive, got -5h")``.
    """

    exit_code = ExitCode.BAD_INPUT
