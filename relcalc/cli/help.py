"""What ``--help`` shows, in one place: value names, choices, examples and the -q/-v options.

typer builds each command's options from the function signatures in the
command modules; :func:`polish` then walks the finished command tree once,
before anything is parsed, and

- shows flags without a ``<bool>`` value and arguments without braces;
- names each option's value by what it is (``DURATION``, ``RATE``) rather
  than by its Python type (``<str>``), from :data:`METAVARS`;
- completes an option whose value is one of a few words (``--method``,
  ``--balancer``) with those words in the shell (:data:`CHOICES`);
- ends every command's help with its examples (:data:`EXAMPLES`, each one
  a command the README shows);
- adds ``-q/--quiet`` and ``-v/--verbose`` to every command.

New commands get all of this without edits here, except their examples:
``tests/test_help.py`` fails until :data:`EXAMPLES` has three to five.
"""

from __future__ import annotations

import copy
import re
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

#: The value an option takes, by option name ("--mtbf") or, where one
#: command differs, by "command --option".
METAVARS = {
    "--mtbf": "DURATION",
    "--mttr": "DURATION",
    "--failure-rate": "RATE",
    "--repair-rate": "RATE",
    "--target": "AVAILABILITY",
    "--target-nines": "NINES",
    "--year-days": "365|365.25",
    "--mission-time": "DURATION",
    "--top": "N",
    "--rate": "RATE",
    "--node-throughput": "RATE",
    "--service-time": "DURATION",
    "--concurrency": "N",
    "--balance-factor": "K",
    "--balancer": "POLICY",
    "--sessions": "N",
    "--target-utilization": "SHARE",
    "--failover-utilization": "SHARE",
    "--tolerate-failures": "N",
    "--zones": "N",
    "--latency": "pQ<=TIME",
    "--nodes": "N",
    "--growth": "PCT/PERIOD",
    "--horizon": "DURATION",
    "validate --kind": "compose|service",
    "simulate raft --nodes": "N[,N...]",
    "simulate raft --mtbf": "DURATION[,...]",
    "simulate raft --mttr": "DURATION[,...]",
    "simulate raft --ttf": "LAW",
    "simulate raft --ttr": "LAW",
    "simulate raft --repair-crews": "N[,N...]",
    "simulate raft --zones": "N[,N...]",
    "simulate raft --layout": "N,N[,N...]",
    "simulate raft --zone-mtbf": "DURATION[,...]",
    "simulate raft --zone-mttr": "DURATION[,...]",
    "simulate raft --election-timeout": "MIN..MAX",
    "simulate raft --rtt": "DURATION",
    "simulate raft --years": "YEARS",
    "simulate raft --seed": "N",
    "simulate raft --workers": "N",
    "simulate raft --method": "METHOD",
    "simulate raft --common-cause": "SHARE[,...]",
    "simulate raft --permanent": "SHARE",
    "simulate raft --replace-time": "DURATION",
    "simulate raft --restart-every": "DURATION",
    "simulate raft --restart-duration": "DURATION",
    "simulate raft --target-rel-error": "SHARE",
    "simulate raft --max-time": "DURATION",
}

#: The one line each command has in ``relcalc``'s list (at most 60 characters, so the
#: list keeps one line a command at 80 columns; tests/test_help.py checks).
SHORT_HELP = {
    "availability": "Availability, nines, downtime budgets, inverse solving.",
    "compose": "Exact availability of block diagrams; what to fix first.",
    "report": "A capacity-review report of one service: HTML, Markdown.",
    "capacity": "How many nodes: throughput, imbalance, failures, latency.",
    "capacity fit": "Fit the Universal Scalability Law to measured throughput.",
    "simulate": "Monte Carlo simulations, beside exact values.",
    "simulate raft": "Availability of a Raft cluster: failures, zones, elections.",
    "validate": "Check a spec or a service file: every problem, its place.",
    "schema": "The JSON Schema of a compose spec or a service file.",
    "config": "The defaults in effect, and where each comes from.",
    "estimate": "MTBF and MTTR with intervals from an incident history.",
}

#: Options that take one of a few words: the shell completes them, and the
#: option's help names them all (tests/test_help.py checks both, and that
#: they are the words the core accepts). ``weibull:`` completes the law's
#: name; its parameter follows.
CHOICES = {
    "--balancer": ("round-robin", "least-connections", "random", "two-choices", "ring"),
    "--year-days": ("365", "365.25"),
    "simulate raft --method": ("crude", "importance", "exact", "auto"),
    "simulate raft --ttf": ("exponential", "weibull:", "lognormal:", "fixed"),
    "simulate raft --ttr": ("exponential", "weibull:", "lognormal:", "fixed"),
    "validate --kind": ("compose", "service"),
}

#: Three to five examples per command, each a command shown in the README
#: (tests/test_help.py checks both). Keep them under 76 characters so they
#: fit an 80-column help page on one line.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "relcalc availability --mtbf 2000h --mttr 4h",
        "relcalc compose samples/web-service.yaml",
        "relcalc simulate raft --nodes 5 --mtbf 2000h --mttr 4h",
        "relcalc capacity --rate 12k --node-throughput 800",
        "relcalc report samples/checkout-service.yaml -o report/",
    ),
    "availability": (
        "relcalc availability --mtbf 2000h --mttr 4h",
        "relcalc availability --mtbf 2000h --mttr 4h --target 99.95%",
        "relcalc availability --mtbf 2000h --target 99.99%",
        "relcalc availability --target 99.95%",
        "relcalc availability --csv samples/services.csv -o out/results.csv",
    ),
    "compose": (
        "relcalc compose samples/web-service.yaml",
        "relcalc compose samples/bridge.yaml -f json",
        "relcalc compose samples/web-service.yaml --set app.mttr=1h",
        "relcalc compose samples/bridge.yaml --mission-time 1y",
    ),
    "capacity": (
        "relcalc capacity --rate 12k --node-throughput 800",
        "relcalc capacity --csv samples/capacity.csv",
        "relcalc capacity fit --csv samples/usl-measurements.csv",
        "relcalc capacity -r 10k --node-throughput 956 --usl 0.0297,0.000754",
    ),
    "capacity fit": (
        "relcalc capacity fit --csv samples/usl-measurements.csv",
        "relcalc capacity fit --csv samples/usl-measurements.csv -f json",
        "relcalc capacity fit --csv samples/usl-measurements.csv --chart out/usl.png",
    ),
    "simulate": (
        "relcalc simulate raft --nodes 5 --mtbf 2000h --mttr 4h",
        "relcalc simulate raft --mtbf 10000h --mttr 1h --method importance",
        "relcalc simulate raft --mtbf 10000h --mttr 1h --method exact",
    ),
    "simulate raft": (
        "relcalc simulate raft --nodes 5 --mtbf 2000h --mttr 4h",
        "relcalc simulate raft --mtbf 10000h --mttr 1h --method importance",
        "relcalc simulate raft --mtbf 10000h --mttr 1h --method exact",
        "relcalc simulate raft --permanent 5% --replace-time 2h --method auto",
        "relcalc simulate raft --nodes 3,5,7 --mttr 1h,4h,24h -f csv -o out/sweep.csv",
    ),
    "report": (
        "relcalc report samples/checkout-service.yaml -o report/",
        "relcalc validate samples/checkout-service.yaml",
        "relcalc schema service",
    ),
    "validate": (
        "relcalc validate samples/web-service.yaml",
        "relcalc validate samples/checkout-service.yaml",
        "relcalc validate --kind compose samples/bridge.yaml",
    ),
    "schema": (
        "relcalc schema compose",
        "relcalc schema service",
        "relcalc schema compose -o out/compose.schema.json",
    ),
    "estimate": (
        "relcalc estimate samples/incidents.csv --window 2025-01-01..2026-01-01",
        "relcalc estimate samples/incidents.csv -w 2025-01-01..2026-01-01 -f json",
        "relcalc estimate - -w 2025-01-01..2026-01-01 < samples/incidents.csv",
    ),
    "config": (
        "relcalc config",
        "relcalc config -f json",
        "relcalc config -f csv",
    ),
}

def _lookup(table: dict, path: str, param) -> Any:
    """The entry of ``table`` for this option of the command at ``path``, or None."""
    longest = max(param.opts, key=len)
    return table.get(f"{path} {longest}", table.get(longest))


class _Flag(TyperOption):
    """A flag: no value to show."""

    def display_type_rich(self, ctx) -> str | None:
        return None


class _Valued(TyperOption):
    """An option whose value is named by its metavar and completed from it when it lists words."""

    def display_type_rich(self, ctx) -> str | None:
        if self.metavar is None and self.type_descriptor.is_choice:
            return super().display_type_rich(ctx).strip("<>")  # an enum: typer lists its values, a|b|c
        return self.metavar or self.name.upper()

    #: The words the shell completes (CHOICES), set by polish().
    choices: tuple[str, ...] = ()

    def shell_complete(self, ctx, incomplete: str):
        words = self.choices
        if not words:
            return super().shell_complete(ctx, incomplete)
        from typer._click.shell_completion import CompletionItem

        return [CompletionItem(w) for w in words if w.startswith(incomplete)]


class _Argument(TyperArgument):
    """An argument shown as its name: ``SPEC``, ``[FILE]``, never ``{SPEC}`` nor ``SPEC <str>``."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx) -> str | None:
        if self.type_descriptor.is_choice:
            return super().display_type_rich(ctx)
        return None

    def shell_complete(self, ctx, incomplete: str):
        name = self.metavar or ""
        if not re.fullmatch(r"[a-z]+(\|[a-z]+)+", name):  # a value name, not a list of words (compose|service)
            return super().shell_complete(ctx, incomplete)
        from typer._click.shell_completion import CompletionItem

        return [CompletionItem(w) for w in name.split("|") if w.startswith(incomplete)]


def _quiet(ctx, param, value: bool) -> bool:
    if value:
        from . import output

        output.set_verbosity(-1)
    return value


def _verbose(ctx, param, value: bool) -> bool:
    if value:
        import time

        from . import output

        output.set_verbosity(1)
        start = time.perf_counter()
        ctx.call_on_close(lambda: output.detail(f"took {time.perf_counter() - start:.3g} s"))
    return value


def _shared(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No notes or progress on stderr; only errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say on stderr what each step did and how long it took.")] = False,
) -> None:  # pragma: no cover - never run: typer reads its signature
    """The options every command shares."""


def _shared_options() -> list[TyperOption]:
    """-q/--quiet and -v/--verbose, built by typer from :func:`_shared` and added to every command."""
    probe = typer.Typer()
    probe.command()(_shared)
    params = [p for p in typer.main.get_command(probe).params if p.name in ("quiet", "verbose")]
    for param in params:
        param.expose_value = False  # the command functions never see them
        param.is_eager = True
        param.callback = _quiet if param.name == "quiet" else _verbose
    return params


def _flag_help(get_help_option):
    """--help is made afresh by click for each use: show it as a flag too."""

    def get(ctx):
        option = get_help_option(ctx)
        if option is not None and not isinstance(option, _Flag):
            option.__class__ = type("Flag", (_Flag, type(option)), {})
        return option

    return get


def prepare(group: Any) -> dict:
    """Before each run: polish the command tree (once), start at the default verbosity, and return the
    defaults the config files and RELCALC_* variables set, as click's ``default_map`` (relcalc.cli.config)."""
    from . import output
    from .config import default_map

    output.set_verbosity(0)
    polish(group)
    _plain_unless_styled(group, output.styled(sys.stdout))
    return default_map(group)


def _plain_unless_styled(group: Any, styled: bool) -> None:
    """Help drawn by rich (panels, colour) on a terminal; click's plain text otherwise.

    Piped, redirected, or with NO_COLOR or TERM=dumb, the help follows the
    tables' rule (:func:`relcalc.cli.output.styled`): plain ASCII with no
    box drawing and no lines padded with spaces, so ``relcalc --help | less``
    and ``> help.txt`` hold what a reader or grep expects. click rewraps
    paragraphs; the ``\\b`` line keeps the examples one to a line.
    """
    stack = [group]
    while stack:
        command = stack.pop()
        if not hasattr(command, "_relcalc_markup"):
            command._relcalc_markup = command.rich_markup_mode
        command.rich_markup_mode = command._relcalc_markup if styled else None
        examples = getattr(command, "_relcalc_examples", None)
        if examples:
            command.epilog = examples[0] if styled else examples[1]
        stack.extend(getattr(command, "commands", {}).values())


def polish(group: Any, path: str = "") -> None:
    """Give ``group`` and every command under it the help and options described in the module docstring."""
    if getattr(group, "_relcalc_polished", False):
        return
    shared = _shared_options()
    stack = [(path, group)]
    while stack:
        where, command = stack.pop()
        command._relcalc_polished = True
        if not {opt for p in command.params for opt in p.opts} & {"-q", "--quiet"}:
            command.params.extend(copy.copy(p) for p in shared)
        command.get_help_option = _flag_help(command.get_help_option)
        for param in command.params:
            if isinstance(param, TyperArgument):
                param.__class__ = type("Argument", (_Argument, type(param)), {})
            elif isinstance(param, TyperOption):
                if param.is_flag:
                    param.__class__ = type("Flag", (_Flag, type(param)), {})
                else:
                    if param.metavar is None or param.metavar.startswith("<"):
                        param.metavar = _lookup(METAVARS, where, param) or param.metavar
                    if param.metavar and param.metavar.startswith("<"):  # a Python type name is no value name
                        param.metavar = None
                    param.__class__ = type("Valued", (_Valued, type(param)), {})
                    param.choices = _lookup(CHOICES, where, param) or ()
        if where in ("validate", "schema", "config"):  # listed apart from the analyses
            command.rich_help_panel = "Specs and settings"
        if where in SHORT_HELP:
            command.short_help = SHORT_HELP[where]
        examples = EXAMPLES.get(where)
        if examples and not (command.epilog or "").startswith("Examples"):
            command.epilog = "Examples:\n" + "\n".join(f"  {line}" for line in examples)
            # plain (_plain_unless_styled): "\b" keeps click from rewrapping, and no indent of our own, as
            # click indents by 2 already and an example of 76 characters must fit 80 columns
            command._relcalc_examples = (command.epilog, "\b\nExamples:\n" + "\n".join(examples))
        if isinstance(command, TyperGroup):
            if command.invoke_without_command:  # runs on its own: the subcommand is optional
                command.subcommand_metavar = "[COMMAND [ARGS]...]"
            for name, sub in command.commands.items():
                stack.append((f"{where} {name}".strip(), sub))


#: The shells typer writes completion for.
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def completion_request(args: list[str]) -> int | None:
    """Serve ``--show-completion [SHELL]`` and ``--install-completion [SHELL]``; None if not asked.

    With shellingham installed, typer's two options take no value: the shell
    is detected from the parent processes and a shell named after the option
    is ignored, so ``--show-completion zsh`` run from bash printed bash's
    script, and an undetectable shell (a CI job, an IDE) gave "Shell  not
    supported." with exit 1. Here a named shell is honoured, an unknown one
    refused, and a shell that cannot be detected is a one-line error asking
    for its name (exit 2). Only before any command, where typer reads them.
    """
    for i, arg in enumerate(args):
        if not arg.startswith("-"):
            return None  # a command comes first: not a request for completion
        if arg in ("--show-completion", "--install-completion"):
            break
    else:
        return None
    try:
        from typer._completion_shared import _get_shell_name, get_completion_script, install
    except ImportError:  # pragma: no cover - a typer that moved them: its own options still work
        return None

    from ..errors import InputError

    named = args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("-") else None
    if named is not None and named not in SHELLS:
        raise InputError(f"{arg}: unknown shell {named!r}; use {', '.join(SHELLS)}")
    shell = named or _get_shell_name()
    if shell not in SHELLS:
        raise InputError(f"{arg}: cannot tell which shell this is; name it, e.g. relcalc {arg} bash "
                         f"(or {', '.join(SHELLS[1:])})")
    if arg == "--show-completion":
        print(get_completion_script(prog_name="relcalc", complete_var="_RELCALC_COMPLETE", shell=shell))
    else:
        shell, path = install(shell=shell, prog_name="relcalc")
        print(f"{shell} completion installed in {path}\nCompletion will take effect once you restart the terminal")
    return 0
