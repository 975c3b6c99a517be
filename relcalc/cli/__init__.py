"""The ``relcalc`` command: a root typer app with one module per command.

Errors are handled in one place, :class:`RelcalcGroup.main`: a bad input is a
one-line ``relcalc: error: ...`` on stderr and exit 2; an unexpected exception
is exit 1 with a short message, and the traceback only with ``--debug`` (or
``RELCALC_DEBUG=1``).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import traceback
import warnings
from contextlib import contextmanager
from typing import Annotated, Any, Iterator

import typer
from typer.core import TyperGroup

try:  # typer >= 0.24 carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on click
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from ..errors import ExitCode, RelcalcError, excerpt


def _cut_sets_order(args: list[str]) -> list[str]:
    """``compose --cut-sets [ORDER]``: the parser has no options with optional values, so a bare
    ``--cut-sets`` (last, or followed by another option or by the spec) gets its default order, 3.
    Anything that looks like a number stays the order, to be read (or refused) by compose."""
    if "compose" not in args or "--cut-sets" not in args:
        return args
    at = args.index("--cut-sets")
    following = args[at + 1] if at + 1 < len(args) else None
    if following is not None and re.fullmatch(r"\s*[-+]?(\d[\d_.eE+-]*|\.\d+|nan|inf|)\s*", following, re.I):
        return args
    return args[: at + 1] + ["3"] + args[at + 1:]


def _debug_wanted(args: list[str]) -> bool:
    return "--debug" in args or os.environ.get("RELCALC_DEBUG", "") not in ("", "0")


def _without_debug(args: list[str]) -> list[str]:
    """The arguments with ``--debug`` taken out wherever it stands (before a ``--``), and given to the root.

    ``relcalc compose x.yaml --debug`` is what people type; the root option
    then reaches the root however the line was written.
    """
    end = args.index("--") if "--" in args else len(args)
    if "--debug" not in args[:end]:
        return args
    return ["--debug"] + [a for a in args[:end] if a != "--debug"] + args[end:]


def _environment_message(exc: OSError) -> str:
    """One line for a failure of the file system or the terminal, naming the file when it is known."""
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, PermissionError):
        reason = "no permission"
    name = exc.filename if exc.filename is not None else None
    return f"{name}: {reason}" if name else f"a file could not be read or written: {reason}"


class Terminated(KeyboardInterrupt):
    """SIGTERM: unwinds like Ctrl-C (temporaries removed, workers stopped), exit 143."""


class _TerminatedOut(BaseException):
    """Terminated, carried past click (which would take it for Ctrl-C)."""


class _PipeClosed(Exception):
    """BrokenPipeError, carried past click (which would exit 1)."""


_MAIN_PID = [0]  # the process whose command SIGTERM unwinds (set when the handler is installed)


def _on_sigterm(signum, frame):  # noqa: ARG001 - the signal module's signature
    if os.getpid() != _MAIN_PID[0]:
        # a forked worker inherited the handler: die as SIGTERM means, as its pool expects
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated()


def _error(debug: bool, message: str, code: int = ExitCode.BAD_INPUT) -> int:
    """One ``relcalc: error:`` line on stderr (after the traceback with --debug); the exit code."""
    if debug:
        traceback.print_exc()
    print(f"relcalc: error: {message}", file=sys.stderr)
    return code


class RelcalcGroup(TyperGroup):
    """The root group; turns every failure into a one-line error and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra: Any):
        args = _cut_sets_order(_without_debug(list(sys.argv[1:] if args is None else args)))
        debug = _debug_wanted(args)
        quiet, command = not debug, _first_command(args)
        with warnings.catch_warnings(), _quiet_children(quiet), _sigterm_unwinds(), _heartbeat(command):
            if not debug:  # numpy's overflow warnings, matplotlib's layout notes: one line means one line
                warnings.simplefilter("ignore")
            code = self._run(args, prog_name, debug, extra)
        return self._finish(code, standalone_mode)

    def invoke(self, ctx):
        # click turns a closed pipe into exit 1 and Ctrl-C into an empty line on stderr before
        # relcalc sees them; take them first, as exceptions click passes through
        try:
            return super().invoke(ctx)
        except (BrokenPipeError, _PipeClosed):
            raise _PipeClosed() from None
        except Terminated:
            raise _TerminatedOut() from None
        except KeyboardInterrupt:
            raise typer.Abort() from None

    def _run(self, args: list[str], prog_name: str | None, debug: bool, extra: dict) -> int:
        from .help import completion_request, prepare

        try:
            # from here Ctrl-C is a KeyboardInterrupt handled below; until now (imports) relcalc's
            # start-up guard (relcalc/__init__.py) answered it with the same line and 130
            if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
                # Python's KeyboardInterrupt, noted so that one Python drops on the way is raised again
                # (relcalc.execution); and the line Python prints for one it drops is left out
                from ..execution import on_ctrl_c

                signal.signal(signal.SIGINT, on_ctrl_c)
                sys.unraisablehook = _quiet_about_interrupts(sys.unraisablehook)
                sys.excepthook = _quiet_about_interrupts(sys.excepthook)  # PyErr_Print in C extensions
            served = completion_request(args)  # --show-completion zsh: the shell named, not the one detected
            if served is not None:
                return served
            # help texts, completion words, -q/-v, and defaults from config files (relcalc/cli/help.py)
            extra.setdefault("default_map", prepare(self))
            code = super().main(args=args, prog_name=prog_name or "relcalc", standalone_mode=False, **extra)
            code = code if isinstance(code, int) else ExitCode.OK
            if code == ExitCode.INTERRUPTED:  # typer turns Ctrl-C into a silent exit code 130
                print("relcalc: interrupted", file=sys.stderr)
            sys.stdout.flush()  # a closed pipe shows here, not as a warning at exit
        except typer.Exit as exc:
            code = exc.exit_code
        except UsageError as exc:
            if isinstance(exc, NoArgsIsHelpError) or not exc.format_message():  # no arguments: help, as asked
                if exc.format_message():  # plain help (piped) comes as the message; rich help was printed
                    _print_to_pipe(exc.format_message())
                return ExitCode.OK
            hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx and exc.ctx.parent else ""
            print(f"relcalc: error: {exc.format_message()}{hint}", file=sys.stderr)
            code = ExitCode.BAD_INPUT
        except ClickException as exc:
            print(f"relcalc: error: {exc.format_message()}", file=sys.stderr)
            code = ExitCode.BAD_INPUT
        except (Terminated, _TerminatedOut):
            print("relcalc: terminated", file=sys.stderr)
            code = 128 + signal.SIGTERM
        except (typer.Abort, KeyboardInterrupt):
            print("relcalc: interrupted", file=sys.stderr)
            code = ExitCode.INTERRUPTED
        except RelcalcError as exc:
            code = _error(debug, str(exc), exc.exit_code)
        except (BrokenPipeError, _PipeClosed):
            _reader_gone()
            code = ExitCode.OK
        except SystemExit as exc:
            # typer turns EPIPE met outside invoke (a help page) into exit 1 after wrapping stdout;
            # for us 1 means a bug, and a reader gone is none
            if exc.code != 1 or type(sys.stdout).__name__ != "PacifyFlushWrapper":
                raise
            _reader_gone()
            code = ExitCode.OK
        except OSError as exc:
            # the environment, not relcalc: a file that cannot be read or written, a full disk
            code = _error(debug, _environment_message(exc))
        except UnicodeDecodeError as exc:
            code = _error(debug, f"an input is not UTF-8 text (byte {exc.start}: {exc.reason})")
        except UnicodeEncodeError as exc:
            code = _error(debug, f"the output cannot be written in {exc.encoding}; set PYTHONIOENCODING=utf-8 "
                                 "or write to a file with -o")
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            interrupt = _interrupt_behind(exc)
            if interrupt is None and "relcalc.execution" in sys.modules:
                from ..execution import interrupt_requested

                # a library that reports a Ctrl-C in its loading as its own error (numba: 'ImportError:
                # numba._devicearray failed to import'): the Ctrl-C noted and not delivered is the reason
                interrupt = KeyboardInterrupt() if interrupt_requested() else None
            if interrupt is not None:
                terminated = isinstance(interrupt, Terminated)
                print(f"relcalc: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
                return 128 + signal.SIGTERM if terminated else ExitCode.INTERRUPTED
            if debug:
                traceback.print_exc()
            else:
                print(
                    f"relcalc: internal error: {type(exc).__name__}: {excerpt(str(exc), 200, quote=False)} "
                    "(rerun with --debug for the traceback)",
                    file=sys.stderr,
                )
            code = ExitCode.INTERNAL
        return code

    @staticmethod
    def _finish(code: int, standalone_mode: bool) -> int:
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


def _quiet_about_interrupts(hook):
    """``sys.unraisablehook`` (or ``sys.excepthook``) without the report of a KeyboardInterrupt that Python
    dropped (in a weakref or after-fork callback) or a C extension printed as it failed to load (numba's
    ``_devicearray``): relcalc noted the Ctrl-C and ends with its own one line."""
    if getattr(hook, "quiet_about_interrupts", False):
        return hook

    def quiet(*args) -> None:
        value = args[0].exc_value if len(args) == 1 else args[1]
        if not isinstance(value, KeyboardInterrupt):
            hook(*args)

    quiet.quiet_about_interrupts = True
    return quiet


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C (or SIGTERM) ``exc`` was raised from, if any.

    Python wraps an exception raised in some places into another naming it as
    its cause: in a ``__set_name__`` while a class is made (RuntimeError, up to
    3.11; dataclass fields have one), or as a compiled function returns
    (SystemError). A Ctrl-C that lands there is still a Ctrl-C.
    """
    seen = set()
    cause = exc.__cause__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__
    return None


def _reader_gone() -> None:
    """The reader went away (e.g. ``| head``): not an error worth a message; drop what is left to write."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (in-process tests)
        pass


def _print_to_pipe(text: str) -> None:
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_gone()


@contextmanager
def _quiet_children(quiet: bool) -> Iterator[None]:
    """Worker processes started afresh (not forked) ignore warnings too, through PYTHONWARNINGS."""
    if not quiet:
        yield
        return
    previous = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = "ignore"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = previous


#: Commands that draw their own progress bar.
_OWN_PROGRESS = {"simulate"}
HEARTBEAT_AFTER = 3.0  # seconds


class _Heartbeat:
    """A line on a terminal's stderr saying the command is still working, erased before anything else is written.

    It stands in for ``sys.stderr`` while the command runs, so a message the
    command prints (or a rich table) first clears the heartbeat's line.
    """

    def __init__(self, stream):
        import threading

        self.stream = stream
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.shown = False
        self.thread = threading.Thread(target=self._beat, name="relcalc-heartbeat", daemon=True)

    def _beat(self) -> None:
        import time

        start = time.monotonic()
        if self.done.wait(HEARTBEAT_AFTER):
            return
        while not self.done.is_set():
            with self.lock:
                self.stream.write(f"\rrelcalc: working... {time.monotonic() - start:.0f}s (Ctrl-C to stop)")
                self.stream.flush()
                self.shown = True
            self.done.wait(1.0)

    def clear(self) -> None:
        with self.lock:
            if self.shown:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self.shown = False

    def write(self, text: str) -> int:
        self.clear()
        return self.stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


@contextmanager
def _heartbeat(command: str | None) -> Iterator[None]:
    """While a command runs on a terminal, show after a few seconds that it is still working."""
    stream = sys.stderr
    try:
        wanted = command not in _OWN_PROGRESS and stream.isatty()
    except (AttributeError, ValueError):
        wanted = False
    if not wanted:
        yield
        return
    beat = _Heartbeat(stream)
    sys.stderr = beat
    beat.thread.start()
    try:
        yield
    finally:
        beat.done.set()
        beat.thread.join()
        beat.clear()
        sys.stderr = stream


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While a command runs, SIGTERM unwinds like Ctrl-C, so no temporary file or directory is left behind."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _MAIN_PID[0] = os.getpid()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _new_app() -> typer.Typer:
    new = typer.Typer(
        name="relcalc",
        cls=RelcalcGroup,
        help="Reliability and capacity planning: availability, nines, downtime budgets, block diagrams, "
        "Raft quorums, cluster sizing and capacity-review reports.",
        no_args_is_help=True,
        add_completion=True,  # --install-completion and --show-completion, typer's own
        pretty_exceptions_enable=False,
    )
    new.callback()(root)
    return new


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"relcalc {__version__}")
        raise typer.Exit()


def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """relcalc: exact where maths allows, honest about uncertainty."""


def _add_availability(target: typer.Typer) -> None:
    from .availability import availability_command

    target.command("availability")(availability_command)


def _add_compose(target: typer.Typer) -> None:
    from .compose import compose_command

    target.command("compose")(compose_command)


def _add_capacity(target: typer.Typer) -> None:
    from .capacity import capacity_app

    target.add_typer(capacity_app, name="capacity")


def _add_simulate(target: typer.Typer) -> None:
    from .simulate import simulate_app

    target.add_typer(simulate_app, name="simulate")


def _add_estimate(target: typer.Typer) -> None:
    from .estimate import estimate_command

    target.command("estimate")(estimate_command)


def _add_report(target: typer.Typer) -> None:
    from .report import report_command

    target.command("report")(report_command)


def _add_validate(target: typer.Typer) -> None:
    from .validate import validate_command

    target.command("validate")(validate_command)


def _add_schema(target: typer.Typer) -> None:
    from .schema import schema_command

    target.command("schema")(schema_command)


def _add_config(target: typer.Typer) -> None:
    from .config import config_command

    target.command("config")(config_command)


#: Commands in the order the help lists them. Each is imported only when used:
#: typer builds every registered command's options at start-up, so a run of
#: one command registers that command alone.
COMMANDS = {
    "availability": _add_availability,
    "compose": _add_compose,
    "capacity": _add_capacity,
    "simulate": _add_simulate,
    "report": _add_report,
    "estimate": _add_estimate,
    "validate": _add_validate,
    "schema": _add_schema,
    "config": _add_config,
}


def build_app(only: str | None = None) -> typer.Typer:
    """The relcalc app with every command, or with ``only`` that one."""
    new = _new_app()
    for name, add in COMMANDS.items():
        if only is None or name == only:
            add(new)
    return new


def _first_command(args: list[str]) -> str | None:
    for arg in args:
        if not arg.startswith("-"):
            return arg
    return None


def __getattr__(name: str):
    # ``from relcalc.cli import app``: the full app, built on first use
    if name == "app":
        global app
        app = build_app()
        return app
    raise AttributeError(name)


def main() -> None:
    """Console-script entry point: builds only the command asked for."""
    wanted = _first_command(sys.argv[1:])
    try:
        build_app(wanted if wanted in COMMANDS else None)()
    except SystemExit as exc:
        if exc.code == ExitCode.INTERRUPTED:
            _leave_interrupted()
        raise


def _leave_interrupted() -> None:
    """End the process with 130 once a Ctrl-C has been handled (its one line printed, everything unwound).

    CPython (3.8 on) marks a KeyboardInterrupt that leaves code which ``exec()``
    or ``eval()`` ran from a string as unhandled, even when it is caught further
    up, and ``python -m relcalc`` then ends by killing itself with SIGINT after
    finalizing: exit -2 after the right line instead of 130. That code runs
    while modules load (dataclasses and namedtuple make their methods so, numba
    its generated code), where a Ctrl-C often lands. So the exit handlers run
    and the output is flushed as at a normal exit, and the process ends at once.
    """
    import atexit

    atexit._run_exitfuncs()  # multiprocessing's, Dask's, logging's
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone, a closed stream: nothing left to say
            pass
    os._exit(ExitCode.INTERRUPTED)
