"""A batch's bad rows, for every ``--csv`` command: a few on stderr, all of them in ``--errors FILE.csv``, a count.

Used as a context manager around the work, so rows can be added block by
block as a streamed batch finds them (memory does not grow with their
number): the first :data:`SHOWN` go to stderr as they come, every one goes
to the ``--errors`` file (columns ``row``, ``name``, ``reason``), and the
closing summary says how many there were and where the rest are. The errors
file is written atomically: it appears whole when the batch ends, also when
``--on-error fail`` refuses to write the results (it says why), and never
after an interrupt or an unexpected error.
"""

from __future__ import annotations

import csv
from contextlib import ExitStack
from typing import Iterable

from ..batch import RowError
from ..errors import ExitCode, InputError
from ..files import atomic_text
from .output import OnError, problem

#: Bad rows shown on stderr; the rest are counted (and all are in the --errors file).
SHOWN = 20
#: A cell starting with one of these is a formula to a spreadsheet; OWASP's advice is a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """``cell`` safe to open in a spreadsheet: a leading ``'`` where it would start a formula (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


class BadRows:
    """Collects a batch's bad rows: ``with BadRows(on_error, path) as bad: bad.add(errors)``."""

    def __init__(self, on_error: OnError, errors_path: str | None = None, option: str = "--errors"):
        self.on_error = on_error
        self.path = errors_path
        self.option = option
        self.count = 0
        self._stack = ExitStack()
        self._writer = None

    def __enter__(self) -> BadRows:
        if self.path is not None and self.path.strip() in ("", "-"):
            raise InputError(f"{self.option}: give a file name (stdout carries the results)")
        if self.path is not None:
            handle = self._stack.enter_context(atomic_text(self.path, option=self.option))
            self._writer = csv.writer(handle, lineterminator="\n")
            self._writer.writerow(["row", "name", "reason"])
        return self

    def add(self, errors: Iterable[RowError]) -> None:
        """Report ``errors`` (in row order): on stderr while fewer than :data:`SHOWN`, in the file always."""
        word = "error" if self.on_error is OnError.fail else "skipped"
        for error in errors:
            self.count += 1
            if self.count <= SHOWN:
                problem(f"{word}: {error}")
            if self._writer is not None:
                self._writer.writerow([error.row, neutralise(error.name or ""), error.message])

    def __exit__(self, kind, value, trace) -> bool:
        if kind is None and self.count > SHOWN:
            where = f"all {self.count} are in {self.path}" if self.path else "--errors FILE.csv lists every one"
            problem(f"... and {self.count - SHOWN} more bad rows ({where})")
        return self._stack.__exit__(kind, value, trace)

    def refuse_if_failing(self, rows_read: int) -> None:
        """With ``--on-error fail`` and any bad row: InputError, so no result is written."""
        if self.count and self.on_error is OnError.fail:
            kept = f"; every one is in {self.path}" if self.path else ""
            raise InputError(f"--csv: {self.count} of {rows_read} rows have errors; nothing written{kept}")


def check_paths(source: str, output: str | None, errors_path: str | None) -> None:
    """InputError when ``--errors`` would overwrite the input or the results."""
    import os

    from ..files import refuse_overwriting_inputs

    refuse_overwriting_inputs(output, {"--csv": source})
    if errors_path in (None, "", "-"):
        return
    where = os.path.realpath(errors_path)
    for path, option in ((source, "--csv"), (output, "--output")):
        if path not in (None, "", "-") and os.path.realpath(path) == where:
            raise InputError(f"--errors: {errors_path} is also the {option} file; give it a name of its own")


def exit_code(bad_rows: int, rows_read: int, shortfalls: list[str]) -> int:
    """Exit 3 (each reason on a line of stderr) when rows were skipped or fall short; else 0."""
    lines = ([f"skipped {bad_rows} of {rows_read} rows with errors"] if bad_rows else []) + shortfalls
    for line in lines:
        problem(line)
    return int(ExitCode.PARTIAL if lines else ExitCode.OK)


__all__ = ["SHOWN", "BadRows", "check_paths", "exit_code", "neutralise"]
