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


def excerpt(value: object, limit: int = 60, *, quote: bool = True) -> str:
    """A short, bounded rendering of user input for an error message.

    ``repr()`` of a value loaded from YAML can be enormous (a long string, a
    deep or alias-shared structure); this one never looks at more than a few
    levels and items, and cuts the text to ``limit`` characters.
    """
    import reprlib

    if isinstance(value, str) and not quote:
        text = value
    else:
        shortener = reprlib.Repr()
        shortener.maxlevel, shortener.maxstring, shortener.maxother = 3, limit, limit
        shortener.maxlist = shortener.maxtuple = shortener.maxdict = shortener.maxset = 6
        text = shortener.repr(value)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."
