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
    if result.mode == "piped":  # plain ASCII, no colour, no line padded with spaces
        assert result.stdout.isascii() and "\x1b" not in result.stdout, path
        assert not [line for line in result.stdout.splitlines() if line != line.rstrip()], path
    else:
        assert "╭" in result.stdout, "the terminal gets rich's panels"
    return ANSI.sub("", result.stdout)


ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: The help as a terminal shows it (rich panels; FORCE_COLOR stands in for the terminal, and the colour
#: codes are taken out before measuring) and as a pipe or a file gets it (click's plain text).
MODES = {"terminal": {"FORCE_COLOR": "1", "NO_COLOR": None}, "piped": {"FORCE_COLOR": None, "NO_COLOR": None}}


@pytest.fixture(params=sorted(MODES))
def run_env(request):
    from typer.testing import CliRunner

    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(app, list(args), env={"COLUMNS": "80", "TERM": "xterm", **MODES[request.param]})
        result.mode = request.param
        return result

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


@pytest.mark.parametrize("group", ["", "simulate"])
def test_bare_relcalc_lists_the_commands_and_exits_0(run, group):
    done = run_subprocess(*group.split())  # piped: the plain help, on stdout
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith(f"Usage: relcalc {group}".rstrip())
    if group:
        assert "raft" in done.stdout
        return
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
    if "╭" in text:
        panel = [line for part in text.split("─ Commands")[1:] + text.split("─ Specs and settings")[1:]
                 for line in part.split("╰")[0].splitlines()[1:]]
        rows = [line.strip("│ ") for line in panel]
        continued = [row for row, line in zip(rows, panel) if line.startswith("│" + " " * 4)]
    else:  # click's list: "  name  text", a wrapped line starts deeper
        panel = text.split("\nCommands:\n")[1].split("\n\n")[0].splitlines()
        rows = [line.strip() for line in panel]
        continued = [row for row, line in zip(rows, panel) if line.startswith(" " * 4)]
    assert rows and not continued, f"{path}: a command's line wraps: {continued}"


@pytest.mark.parametrize("shell, mark", [("zsh", "#compdef relcalc"), ("fish", "complete --command relcalc"),
                                         ("bash", "complete -o default -F _relcalc_completion relcalc")])
def test_show_completion_prints_the_named_shells_script_not_the_detected_one(run, monkeypatch, shell, mark):
    import typer._completion_shared as shared

    monkeypatch.setattr(shared, "_get_shell_name", lambda: "bash" if shell != "bash" else "zsh")
    result = run("--show-completion", shell)
    assert result.exit_code == 0 and mark in result.stdout, result.output


def test_completion_for_an_unknown_or_undetectable_shell_is_a_one_line_error(run, monkeypatch):
    import typer._completion_shared as shared

    result = run("--show-completion", "tcsh")
    assert result.exit_code == 2 and result.stderr.startswith("relcalc: error: --show-completion: unknown shell")
    monkeypatch.setattr(shared, "_get_shell_name", lambda: None)  # as in a CI job or an IDE
    for option in ("--show-completion", "--install-completion"):
        result = run(option)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "name it" in result.stderr


@pytest.mark.parametrize("args", [[], ["simulate"], ["--help"], ["--show-completion", "zsh"], ["schema", "compose"]])
def test_help_into_a_closed_pipe_is_quiet(args):
    """`relcalc | head -1`: the reader is gone before the help is written; no traceback, exit 0."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # every write now fails with EPIPE, as after head has read its line
    try:
        done = subprocess.run([sys.executable, "-m", "relcalc", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 0 and done.stderr == "", done.stderr
