"""The ``relcalc`` command: a root typer app with one module per command.

Errors are handled in one place, :class:`RelcalcGroup.main`: a bad input is a
one-line ``relcalc: error: ...`` on stderr and exit 2; an unexpected exception
is exit 1 with a short message, and the traceback only with ``--debug`` (or
``RELCALC_DEBUG=1``).
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.24 carries its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer on click
    from click.exceptions import ClickException, UsageError

from ..errors import ExitCode, RelcalcError
from .availability import availability_command
from .capacity import capacity_app
from .compose import compose_command
from .report import report_command
from .simulate import simulate_app


def _debug_wanted(args: list[str]) -> bool:
    return "--debug" in args or os.environ.get("RELCALC_DEBUG", "") not in ("", "0")


class RelcalcGroup(TyperGroup):
    """The root group; turns every failure into a one-line error and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra: Any):
        args = list(sys.argv[1:] if args is None else args)
        debug = _debug_wanted(args)
        try:
            code = super().main(args=args, prog_name=prog_name or "relcalc", standalone_mode=False, **extra)
            code = code if isinstance(code, int) else ExitCode.OK
        except typer.Exit as exc:
            code = exc.exit_code
        except UsageError as exc:
            if not exc.format_message():  # no arguments: the help was shown
                return self._finish(ExitCode.BAD_INPUT, standalone_mode)
            hint = f" (see: relcalc {exc.ctx.info_name} --help)" if exc.ctx and exc.ctx.parent else ""
            print(f"relcalc: error: {exc.format_message()}{hint}", file=sys.stderr)
            code = ExitCode.BAD_INPUT
        except ClickException as exc:
            print(f"relcalc: error: {exc.format_message()}", file=sys.stderr)
            code = ExitCode.BAD_INPUT
        except (typer.Abort, KeyboardInterrupt):
            print("relcalc: interrupted", file=sys.stderr)
            code = ExitCode.INTERRUPTED
        except RelcalcError as exc:
            if debug:
                traceback.print_exc()
            print(f"relcalc: error: {exc}", file=sys.stderr)
            code = exc.exit_code
        except BrokenPipeError:
            # the reader went away (e.g. `| head`): not an error worth a message
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = ExitCode.OK
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if debug:
                traceback.print_exc()
            else:
                print(
                    f"relcalc: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
                    file=sys.stderr,
                )
            code = ExitCode.INTERNAL
        return self._finish(code, standalone_mode)

    @staticmethod
    def _finish(code: int, standalone_mode: bool) -> int:
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


app = typer.Typer(
    name="relcalc",
    cls=RelcalcGroup,
    help="Reliability and capacity planning: availability, nines, downtime budgets, block diagrams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"relcalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """relcalc: exact where maths allows, honest about uncertainty."""


app.command("availability")(availability_command)
app.command("compose")(compose_command)
app.add_typer(capacity_app, name="capacity")
app.add_typer(simulate_app, name="simulate")
app.command("report")(report_command)


def main() -> None:
    """Console-script entry point."""
    app()
