"""Writing files without ever leaving a half-written one: one atomic writer and one CSV writer.

Every file relcalc writes (a command's ``-o`` output, a chart, a report
directory) is built aside, in a temporary name in the same directory, and
renamed into place only when it is complete, so an error or Ctrl-C leaves the
user's previous file untouched. New files get the permissions an ordinary
``open`` would give them (0666 or 0777 less the umask), not ``mkstemp``'s 0600.
"""

from __future__ import annotations

import csv
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from typing import IO, Any, Iterable, Iterator

from .errors import InputError
from .results import plain


def umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _drop(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def check_directory_of(path: str, option: str) -> str:
    """The directory ``path`` would be written in; InputError if it does not exist."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"{option}: directory does not exist: {directory}")
    return directory


@contextmanager
def atomic_path(path: str, *, option: str = "--output", suffix: str = ".tmp") -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it is removed.

    A symbolic link is followed (its target is replaced, the link stays); an
    existing file keeps its permissions. A device or FIFO (``/dev/stdout``, a
    named pipe) cannot be replaced, so it is written directly.
    """
    path = os.path.realpath(path)
    if os.path.isdir(path):
        raise InputError(f"{option}: {path} is a directory")
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        yield path
        return
    directory = check_directory_of(path, option)
    mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else 0o666 & ~umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".relcalc-", suffix=suffix, dir=directory)
    except PermissionError:
        raise InputError(f"{option}: no permission to write in {directory}") from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        _drop(tmp)
        raise


@contextmanager
def atomic_text(path: str, *, option: str = "--output") -> Iterator[IO[str]]:
    """Yield a UTF-8 text stream whose contents replace ``path`` only when the block succeeds."""
    with atomic_path(path, option=option) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            yield handle


@contextmanager
def atomic_directory(target: str, *, option: str = "-o") -> Iterator[str]:
    """Yield an empty directory built aside; on success it replaces ``target`` as a whole.

    The previous ``target`` (if any) is moved away first and deleted only
    once the new one is in place; on failure the work directory is removed
    and ``target`` is left as it was.
    """
    target = os.path.realpath(target)  # a symlinked report directory: replace what it points to
    parent = check_directory_of(target, option)
    work = tempfile.mkdtemp(prefix=".relcalc-new-", dir=parent)
    try:
        yield work
        mask = umask()
        for base, _dirs, names in os.walk(work):
            os.chmod(base, 0o777 & ~mask)
            for name in names:
                os.chmod(os.path.join(base, name), 0o666 & ~mask)
        old = None
        if os.path.exists(target):
            old = tempfile.mkdtemp(prefix=".relcalc-old-", dir=parent)
            os.rmdir(old)
            os.replace(target, old)
        os.replace(work, target)
        if old:
            _drop(old)
    except BaseException:
        _drop(work)
        raise


def write_csv(handle: IO[str], columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """A header and rows as CSV, quoted only where needed; None is an empty cell, floats keep their shortest round-trip digits."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(list(columns))
    for row in rows:
        # true/false as JSON and the batch CSV (pyarrow) write them, not Python's True/False
        writer.writerow("" if v is None else str(v).lower() if isinstance(v, bool) else v for v in plain(list(row)))


def write_csv_records(handle: IO[str], records: list[dict[str, Any]]) -> None:
    """Records (dicts with the same keys, in order) as CSV, one row each."""
    columns = list(records[0]) if records else []
    write_csv(handle, columns, ([r.get(c) for c in columns] for r in records))


__all__ = ["atomic_directory", "atomic_path", "atomic_text", "check_directory_of", "umask", "write_csv",
           "write_csv_records"]
