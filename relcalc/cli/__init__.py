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


def _debug_wanted(args: list[str]) -> bool:
    return "--debug" in args or os.environ.get("RELCALC_DEBUG", "") not in ("", "0")


class RelcalcGroup(TyperGroup):
    """The root group; turns every failure into a one-line error and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra: Any):
        args = list(sys.argv[1:] if args is None else args)
        debug = _debug_wanted(args)
        from .help import prepare

        try:
            # help texts, completion words, -q/-v, and defaults from config files (relcalc/cli/help.py)
            extra.setdefault("default_map", prepare(self))
            code = super().main(args=args, prog_name=prog_name or "relcalc", standalone_mode=False, **extra)
            code = code if isinstance(code, int) else ExitCode.OK
        except typer.Exit as exc:
            code = exc.exit_code
        except UsageError as exc:
            if not exc.format_message():  # no arguments: the help was shown, as asked
                return self._finish(ExitCode.OK, standalone_mode)
            hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx and exc.ctx.parent else ""
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
    build_app(wanted if wanted in COMMANDS else None)()
