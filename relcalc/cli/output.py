"""The output layer every command shares: --format, -o/--output, atomic writes.

Machine formats (JSON, CSV) go straight to the stream; only tables go through
a rich Console, which would otherwise wrap and truncate numbers in pipes.
rich is imported only when a table is rendered.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from contextlib import contextmanager
from enum import Enum
from typing import IO, Annotated, Any, Callable, Iterator, Optional

import typer

from ..errors import InputError
from ..files import atomic_text, unnamed_write_error, write_csv_records
from ..results import plain


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    Optional[Format],
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="table (for people), json or csv. Default: from the -o extension, else as configured (relcalc config), else table.",
    ),
]
OutputOption = Annotated[
    Optional[str],
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE (atomically: a temporary file renamed into place); - for stdout.",
    ),
]


ChartOption = Annotated[
    Optional[str],
    typer.Option(
        "--chart",
        metavar="PATH",
        help="Draw the command's figure to PATH (.png, .svg or .pdf; a second figure goes to PATH-<name>).",
    ),
]


def check_chart_path(path: str | None) -> None:
    """Refuse a bad --chart path before any work is done."""
    if path is None:
        return
    if not path:
        raise InputError("--chart: the file name is empty; give a path ending in .png, .svg or .pdf")
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".svg", ".pdf"):
        raise InputError(f"--chart: {path!r} must end in .png, .svg or .pdf")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"--chart: directory does not exist: {directory}")
    if os.path.isdir(path):
        raise InputError(f"--chart: {path} is a directory; give a file name ending in .png, .svg or .pdf")
    # a directory the chart cannot be written into (read-only, /proc) is found now, not after the work
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(prefix=".relcalc-probe-", dir=directory)
    except PermissionError:
        raise InputError(f"--chart: no permission to write in {directory}") from None
    except OSError as exc:
        raise InputError(f"--chart: cannot write in {directory}: {exc.strerror or exc}") from None
    os.close(handle)
    os.unlink(probe)


MAX_ERRORS_SHOWN = 20


class OnError(str, Enum):
    skip = "skip"
    fail = "fail"


def report_row_errors(errors: list, rows_read: int, on_error: OnError, option: str = "--csv") -> None:
    """Show a batch's bad rows on stderr (the first few); with ``--on-error fail`` refuse to write anything
    (``option`` names the input in that refusal)."""
    for error in errors[:MAX_ERRORS_SHOWN]:
        problem(f"{'error' if on_error is OnError.fail else 'skipped'}: {error}")
    if len(errors) > MAX_ERRORS_SHOWN:
        problem(f"... and {len(errors) - MAX_ERRORS_SHOWN} more bad rows")
    if errors and on_error is OnError.fail:
        raise InputError(f"{option}: {len(errors)} of {rows_read} rows have errors; nothing written")


def batch_exit_code(errors: list, rows_read: int, shortfalls: list[str]) -> int:
    """Exit 3 (with a line on stderr each) when rows were skipped or some rows fall short; else 0."""
    from ..errors import ExitCode

    lines = ([f"skipped {len(errors)} of {rows_read} rows with errors"] if errors else []) + shortfalls
    for line in lines:
        problem(line)
    return int(ExitCode.PARTIAL if lines else ExitCode.OK)


def name_column(frame) -> str | None:
    """The column that names a batch's rows (``name``, any case), if there is one."""
    return next((c for c in frame.columns if str(c).lower() == "name"), None)


def batch_table(frame, rows_read: int):
    """A rich table for a batch's good rows, titled "N of M rows", its first column the row names; and that name column."""
    from rich.table import Table

    table = Table(title=f"{len(frame)} of {rows_read} rows", title_justify="left")
    label = name_column(frame)
    table.add_column(label or "row")
    return table, label


def row_names(frame) -> list[str]:
    """Each row's name, or ``row N`` without a name column."""
    label = name_column(frame)
    return [str(v) for v in frame[label]] if label else [f"row {i + 1}" for i in range(len(frame))]


def resolve_format(fmt: Format | None, output: str | None) -> Format:
    """The explicit format, else one implied by the output file's extension, else the configured one, else table."""
    if fmt is not None:
        return fmt
    if output and output != "-":
        ext = os.path.splitext(output)[1].lower()
        if ext in (".json", ".csv"):
            return Format(ext[1:])
    from .config import settings

    setting = settings()["format"]  # relcalc.toml, the user's config.toml or RELCALC_FORMAT
    try:
        return Format(setting.value.lower())
    except ValueError:
        raise InputError(f"format (from {setting.source}): {setting.value!r}; use table, json or csv") from None


@contextmanager
def open_output(output: str | None) -> Iterator[IO[str]]:
    """Yield stdout, or a stream whose contents replace ``output`` only on success.

    An exception (or Ctrl-C) inside the block leaves ``output`` as it was, so
    a failed run never leaves a half-written output behind.
    """
    if output == "":
        raise InputError("--output: the file name is empty; give a path, or - for stdout")
    if output is None or output == "-":
        try:
            yield sys.stdout
            sys.stdout.flush()
        except OSError as exc:
            raise unnamed_write_error(exc, "stdout: cannot write") from None
        return
    with atomic_text(output, option="--output") as handle:
        yield handle


def write_json(data: Any, handle: IO[str]) -> None:
    json.dump(plain(data), handle, indent=2, allow_nan=False)
    handle.write("\n")


def write_csv_record(record: dict[str, Any], handle: IO[str]) -> None:
    """One header line and one value line; floats keep all their digits."""
    write_csv_records(handle, [record])


def write_frame_csv(frame, handle: IO[str]) -> None:
    """Write a DataFrame as CSV through pyarrow's writer.

    pandas' ``to_csv`` formats floats in Python, about ten times slower; the
    pyarrow writer keeps the same shortest round-trip digits. Formatting is
    the cost, and pyarrow's writer uses one core, so large tables are encoded
    in row slices on a small thread pool and written in order.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa

    from ..csv_quoting import header_line, rows_csv
    from ..files import formula_safe_table

    table = formula_safe_table(pa.Table.from_pandas(frame, preserve_index=False))  # no formulas in spreadsheets

    def encode(start: int) -> bytes:
        part = table.slice(start, _CSV_SLICE_ROWS)
        head = header_line(table.column_names) if start == 0 else b""
        return head + rows_csv(part)  # quoted only where needed, as single results are

    starts = range(0, max(table.num_rows, 1), _CSV_SLICE_ROWS)
    handle.flush()
    binary = getattr(handle, "buffer", None)
    workers = min(len(starts), os.cpu_count() or 1, 4)
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        for chunk in pool.map(encode, starts):
            if binary is None:  # a text-only stream
                handle.write(chunk.decode("utf-8"))
            else:
                binary.write(chunk)
    if binary is not None:
        binary.flush()


_CSV_SLICE_ROWS = 100_000

def facts_table():
    """A two-column rich table of labelled figures (label in bold), as every command's summary uses."""
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    return table


def _ascii_boxes() -> dict[int, str]:
    """Box-drawing characters as ASCII: lines as - = and |, every corner and joint as +, and ... for an ellipsis.

    Each table keeps its own layout (a header rule alone stays a header rule),
    which rich's own ASCII fallback, a full grid for every table, would not.
    """
    import unicodedata

    table = {ord("\u2026"): "..."}
    for code in range(0x2500, 0x2580):
        name = unicodedata.name(chr(code), "")
        words = name.split()
        if "HORIZONTAL" in words and "VERTICAL" not in words and "AND" not in words:
            table[code] = "=" if "DOUBLE" in words else "-"
        elif "VERTICAL" in words and "HORIZONTAL" not in words and "AND" not in words:
            table[code] = "|"
        else:
            table[code] = "+"
    return table


#: The verdicts that matter, coloured on a terminal: a missed target, too few nodes, an exact value outside
#: its interval, a target out of reach.
VERDICTS = re.compile(r"\b(MISS|SHORT|NO|NOT enough|OUTSIDE|unreachable)\b")


def _set(name: str) -> bool:
    return os.environ.get(name, "") != ""


def styled(handle: IO[str]) -> bool:
    """Whether ``handle`` gets colour and box drawing: a terminal (or FORCE_COLOR), unless NO_COLOR or TERM=dumb.

    Follows https://no-color.org and https://force-color.org: NO_COLOR wins over FORCE_COLOR.
    """
    if _set("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _set("FORCE_COLOR") or handle.isatty()


def render_for(handle: IO[str], draw: Callable[[Any], None]) -> None:
    """Draw with ``draw(console)`` and write the text to ``handle``, as the stream calls for.

    Styled (a terminal): rich's colours and boxes, the verdicts in red. Plain
    (piped, NO_COLOR, TERM=dumb): ASCII tables 80 columns wide, no colour and
    no trailing spaces, so the text diffs and greps cleanly.
    """
    from rich.console import Console

    if styled(handle):
        import shutil

        width = shutil.get_terminal_size((80, 24)).columns if handle.isatty() else 80
        buffer = io.StringIO()
        console = Console(file=buffer, width=width, force_terminal=True, color_system="standard", highlight=False,
                          soft_wrap=False)
        draw(console)
        handle.write(VERDICTS.sub("\x1b[31m\\1\x1b[39m", buffer.getvalue()))
        return
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, no_color=True, color_system=None, force_terminal=False,
                      highlight=False, soft_wrap=False, emoji=False)
    draw(console)
    text = buffer.getvalue().translate(_ascii_boxes())
    handle.write("\n".join(line.rstrip() for line in text.split("\n")))


def progress_bar():
    """A started, transient rich progress bar on stderr when stderr is a terminal (and not -q); else None.

    Never on stdout: results may be going there, to a file or a pipe, while
    the person waiting watches stderr.
    """
    if VERBOSITY < 0 or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(transient=True, console=Console(file=sys.stderr))
    bar.start()
    return bar


def make_console(handle: IO[str]):
    """A rich Console for ``handle``: styled on a terminal, plain 80 columns otherwise (see render_for)."""
    from rich.console import Console

    tty = styled(handle)
    return Console(file=handle, width=None if tty else 80, no_color=not tty, highlight=False, soft_wrap=False)


def emit(
    fmt: Format | None,
    output: str | None,
    *,
    table: Callable[[Any], None],
    json_data: Callable[[], Any] | None = None,
    csv_write: Callable[[IO[str]], None] | None = None,
) -> None:
    """Render one result in the chosen format to stdout or ``output``.

    ``table`` draws on a rich Console; ``json_data`` returns a JSON-ready
    object; ``csv_write`` writes CSV to a text stream.
    """
    chosen = resolve_format(fmt, output)
    with open_output(output) as handle:
        if chosen is Format.json and json_data is not None:
            write_json(json_data(), handle)
        elif chosen is Format.csv and csv_write is not None:
            csv_write(handle)
        elif chosen is Format.table:
            render_for(handle, table)
        else:
            raise InputError(f"--format {chosen.value} is not available for this command")


#: -1 with -q/--quiet (errors only), 0 by default, 1 with -v/--verbose.
VERBOSITY = 0


def set_verbosity(level: int) -> None:
    """Set by -q (-1) and -v (1), options every command takes (relcalc.cli.help)."""
    global VERBOSITY
    VERBOSITY = level


def quiet() -> bool:
    return VERBOSITY < 0


def verbose() -> bool:
    return VERBOSITY > 0


def warn(message: str) -> None:
    """A one-line note on stderr, never mixed into the results on stdout; none with -q."""
    if VERBOSITY >= 0:
        print(f"relcalc: {message}", file=sys.stderr)


def problem(message: str) -> None:
    """A one-line problem on stderr (a skipped row, a missed target): shown even with -q."""
    print(f"relcalc: {message}", file=sys.stderr)


def detail(message: str) -> None:
    """What a step did (chunks, cycles, states, time), on stderr with -v only."""
    if VERBOSITY > 0:
        print(f"relcalc: {message}", file=sys.stderr)
