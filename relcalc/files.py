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
import re
import shutil
import stat
import tempfile
import time
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


#: Temporaries relcalc leaves only when killed (SIGKILL, power loss): ``.relcalc-`` and mkstemp's
#: eight random characters, after ``new-``, ``old-`` or ``report-`` for directories, before a suffix.
_OWN_TEMPORARY = re.compile(r"^\.relcalc-(?:new-|old-|report-)?[a-z0-9_]{8}(?:\.(?:tmp|png|svg|pdf))?$")
#: A temporary this old belongs to no running relcalc (a run writes its output in seconds,
#: and a report's build directory is touched as it fills); the next write removes it.
STALE_SECONDS = 3600.0


def remove_stale_temporaries(directory: str, *, now: float | None = None) -> list[str]:
    """Remove relcalc's own leftover temporaries in ``directory`` (by name, and older than an hour).

    Only names relcalc makes are touched, and only once they are older than
    :data:`STALE_SECONDS`, so another run writing beside this one keeps its
    own. Anything that cannot be removed is left; the names removed are returned.
    """
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not _OWN_TEMPORARY.match(name):
            continue
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if now - info.st_mtime < STALE_SECONDS:
            continue
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                continue
        removed.append(name)
    return removed


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
    if not path:
        raise InputError(f"{option}: the file name is empty; give a path, or - for stdout")
    given = path
    path = os.path.realpath(path)
    refuse_directory(path, option)
    # a device or pipe; /dev/stdout on a pipe resolves to 'pipe:[N]', which is no path, so the name as given
    device = next((p for p in (path, given) if os.path.exists(p) and not stat.S_ISREG(os.stat(p).st_mode)), None)
    if device is not None:
        path = device
        try:
            yield path
        except OSError as exc:
            raise unnamed_write_error(exc, f"{option}: cannot write {path}") from None
        return
    directory = check_directory_of(path, option)
    if os.path.exists(path) and not os.access(path, os.W_OK) and os.geteuid() != 0:
        raise InputError(f"{option}: no permission to write {path}")
    mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else 0o666 & ~umask()
    remove_stale_temporaries(directory)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".relcalc-", suffix=suffix, dir=directory)
    except PermissionError:
        raise InputError(f"{option}: no permission to write in {directory}") from None
    except OSError as exc:  # a read-only file system, /proc, a full disk
        raise InputError(f"{option}: cannot write in {directory}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        _drop(tmp)
        raise unnamed_write_error(exc, f"{option}: cannot write {path}") from None
    except BaseException:
        _drop(tmp)
        raise


def refuse_directory(path: str, option: str) -> None:
    """InputError when the output ``path`` is a directory (checked before any work, or as it is opened)."""
    if os.path.isdir(path):
        raise InputError(f"{option}: {path} is a directory; give a file name")


def unnamed_write_error(exc: OSError, what: str) -> OSError | InputError:
    """A write's failure that names no file (a full disk, /dev/full) as an InputError ``what: reason``; one that
    names its file, or a reader that went away (a closed pipe, exit 0), as it was."""
    if exc.filename is not None or isinstance(exc, BrokenPipeError):
        return exc
    return InputError(f"{what}: {exc.strerror or exc}")


def refuse_overwriting_inputs(output: str | None, inputs: dict) -> None:
    """InputError when ``output`` is one of the ``inputs`` ({option: path}): the results would replace what they
    were made from (a file named twice by mistake)."""
    if output in (None, "", "-"):
        return
    where = os.path.realpath(output)
    for option, path in inputs.items():
        if path not in (None, "", "-") and os.path.isfile(path) and os.path.realpath(path) == where:
            raise InputError(f"--output: {output} is also the {option} file; give the results a name of their own")


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
    if not target:
        raise InputError(f"{option}: the directory name is empty")
    target = os.path.realpath(target)  # a symlinked report directory: replace what it points to
    parent = check_directory_of(target, option)
    if os.path.exists(target) and not os.path.isdir(target):
        raise InputError(f"{option}: {target} exists and is not a directory")
    remove_stale_temporaries(parent)
    try:
        work = tempfile.mkdtemp(prefix=".relcalc-new-", dir=parent)
    except PermissionError:
        raise InputError(f"{option}: no permission to write in {parent}") from None
    except OSError as exc:
        raise InputError(f"{option}: cannot write in {parent}: {exc.strerror or exc}") from None
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


# --- CSV and spreadsheets ----------------------------------------------------------

#: Text a spreadsheet would run as a formula (OWASP, "CSV Injection"): a cell starting with
#: = + - @, a tab or a carriage return. A plain number (-5, +1e3) is a number, not a formula.
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def formula_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: ``'`` before a would-be formula, as OWASP recommends.

    >>> formula_safe("=1+1")
    "'=1+1"
    >>> formula_safe("-5"), formula_safe("db-1")
    ('-5', 'db-1')
    """
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def formula_safe_table(table: Any) -> Any:
    """A pyarrow Table with :func:`formula_safe` applied to every text column (vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.and_(
                pc.match_substring_regex(column, _FORMULA_START.pattern),
                pc.invert(pc.match_substring_regex(column, _PLAIN_NUMBER.pattern)),
            )
            quote, nothing = pa.scalar("'", column.type), pa.scalar("", column.type)
            column = pc.if_else(risky, pc.binary_join_element_wise(quote, column, nothing), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):  # true/false as JSON and the batch CSV (pyarrow) write them
        return str(value).lower()
    if isinstance(value, str):
        return formula_safe(value)
    return value


def write_csv(handle: IO[str], columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """A header and rows as CSV, quoted only where needed; None is an empty cell, floats keep their shortest
    round-trip digits, Booleans are true/false.

    Text cells (names, notes: whatever a user may have typed) that a
    spreadsheet would run as a formula are written as text (:func:`formula_safe`).
    """
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([formula_safe(str(c)) for c in columns])
    for row in rows:
        writer.writerow([_cell(v) for v in plain(list(row))])


def write_csv_records(handle: IO[str], records: list[dict[str, Any]]) -> None:
    """Records (dicts with the same keys, in order) as CSV, one row each."""
    columns = list(records[0]) if records else []
    write_csv(handle, columns, ([r.get(c) for c in columns] for r in records))


__all__ = ["STALE_SECONDS", "atomic_directory", "atomic_path", "atomic_text", "check_directory_of", "formula_safe",
           "formula_safe_table", "remove_stale_temporaries", "umask", "write_csv", "write_csv_records"]
