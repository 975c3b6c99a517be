"""Every command's --help, rendered at 80 columns, is free of the defects issue 18 lists.

The commands are found by walking the registered app, so a new command is
checked without an edit here; it needs its examples in relcalc/cli/help.py.
"""

import re
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from conftest import run_subprocess

from relcalc.cli import app
from relcalc.cli.help import CHOICES, EXAMPLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _paths():
    """Every command path, the root ("") and groups included, and its click command."""
    from relcalc.cli.help import polish

    root = typer.main.get_command(app)
    polish(root)  # as the app does before parsing
    found, stack = [], [("", root)]
    while stack:
        path, command = stack.pop()
        found.append((path, command))
        if isinstance(command, TyperGroup):
            stack.extend((f"{path} {name}".strip(), sub) for name, sub in command.commands.items())
    return sorted(found, key=lambda item: item[0])


PATHS = [path for path, _ in _paths()]


def _help(run_env, path):
    result = run_env(*(path.split() if path else []), "--help")
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def run_env():
    from typer.testing import CliRunner

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args), env={"COLUMNS": "80", "TERM": "xterm", "NO_COLOR": "1"})

    return invoke


@pytest.mark.parametrize("path", PATHS)
def test_help_at_80_columns_has_none_of_the_listed_defects(run_env, path):
    text = _help(run_env, path)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text, "help text cut off"
    for type_name in ("<bool>", "<str>", "<int>", "<float>"):
        assert type_name not in text, f"{path}: {type_name} shown where a value name belongs"
    usage = next(line for line in lines if "Usage:" in line)
    assert "{" not in usage and "}" not in usage, usage
    # the examples close the page: 3 to 5 lines, each a command the README shows
    tail = text[text.rindex("Examples:"):].splitlines()[1:]
    examples = [line.strip(" │") for line in tail if line.strip(" │")]
    assert 3 <= len(examples) <= 5 and all(e.startswith("relcalc ") for e in examples), examples
    assert list(EXAMPLES[path]) == examples
    for example in examples:
        assert example in README, f"{example!r} is not in the README"


def test_a_group_that_runs_on_its_own_shows_its_subcommand_as_optional(run_env):
    usage = next(line for line in _help(run_env, "capacity").splitlines() if "Usage:" in line)
    assert "[COMMAND [ARGS]...]" in usage
    usage = next(line for line in _help(run_env, "simulate").splitlines() if "Usage:" in line)
    assert "[OPTIONS] COMMAND [ARGS]..." in usage  # simulate alone does nothing


def test_every_command_takes_quiet_and_verbose():
    for path, command in _paths():
        opts = {opt for param in command.params for opt in param.opts}
        assert {"-q", "--quiet", "-v", "--verbose"} <= opts, path


def test_choices_are_what_the_core_accepts_named_in_help_and_completed(run_env):
    from relcalc.capacity import BALANCERS
    from relcalc.raft.methods import METHODS

    assert set(CHOICES["--balancer"]) == set(BALANCERS)
    assert set(CHOICES["simulate raft --method"]) == set(METHODS)
    for key, words in CHOICES.items():
        path, option = (key.rsplit(" ", 1) if " " in key else ("", key))
        holders = [p for p in PATHS if (p == path if path else True)]
        for holder in holders:
            command = dict(_paths())[holder]
            param = next((p for p in command.params if option in p.opts), None)
            if param is None:
                continue
            help_text = " ".join(param.help.split())
            assert all(word in help_text for word in words), (holder, option, help_text)
            completed = [item.value for item in param.shell_complete(None, "")]
            assert completed == list(words), (holder, option, completed)


def test_the_shell_completes_the_words_of_an_option():
    """The whole path once, through typer's bash completion in a fresh interpreter."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "_RELCALC_COMPLETE": "complete_bash", "COMP_WORDS": "relcalc simulate raft --method i",
           "COMP_CWORD": "4"}
    done = subprocess.run([sys.executable, "-m", "relcalc"], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["importance"], done.stderr


def test_bare_relcalc_lists_the_commands_and_exits_0(run):
    done = run_subprocess()
    assert done.returncode == 0
    for path, command in _paths():
        if path and " " not in path:
            assert re.search(rf"\b{path}\b", done.stdout), path


def test_shell_completion_is_offered(run):
    done = run_subprocess("--help")
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout
    done = run_subprocess("--show-completion", "bash")
    assert done.returncode == 0 and "_RELCALC_COMPLETE" in done.stdout


def test_a_usage_error_names_the_full_command(run):
    result = run("simulate", "raft", "--no-such-option")
    assert result.exit_code == 2
    assert "(see: relcalc simulate raft --help)" in result.stderr


@pytest.mark.parametrize("path", [p for p, c in _paths() if isinstance(c, TyperGroup)])
def test_command_lists_keep_one_line_a_command(run_env, path):
    text = _help(run_env, path)
    panel = [line for part in text.split("─ Commands")[1:] + text.split("─ Specs and settings")[1:]
             for line in part.split("╰")[0].splitlines()[1:]]
    rows = [line.strip("│ ") for line in panel]
    continued = [row for row, line in zip(rows, panel) if line.startswith("│" + " " * 4)]
    assert rows and not continued, f"{path}: a command's line wraps: {continued}"
