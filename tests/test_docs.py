"""Every command has help text and is documented in the README."""

from pathlib import Path

import typer

from relcalc.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _commands():
    """Every command and subcommand, as ("capacity fit", command) pairs, groups included."""
    found = []

    def walk(prefix, group):
        for name, command in group.commands.items():
            full = f"{prefix} {name}".strip()
            found.append((full, command))
            if hasattr(command, "commands"):
                walk(full, command)

    walk("", typer.main.get_command(app))
    return found


def test_every_command_has_help_and_readme_section():
    commands = list(_commands())
    assert commands, "no commands registered"
    for name, command in commands:
        assert command.help and command.help.strip(), f"{name} has no help"
        assert f"relcalc {name}" in README, f"README does not document relcalc {name}"


def test_every_option_is_in_the_readme():
    for name, command in _commands():
        for param in command.params:
            longest = max(param.opts, key=len)
            if longest.startswith("--") and longest not in ("--help",):
                assert longest in README, f"README does not mention {longest} of relcalc {name}"


def test_readme_opens_with_the_two_setup_commands():
    blocks = README.split("```")
    first = blocks[1].strip().splitlines()
    commands = [line for line in first if line and not line.startswith(("#", "sh", "bash"))]
    assert len(commands) == 2
    assert "pip install ." in commands[0] and "relcalc" in commands[0]
    assert "pip install '.[test]'" in commands[1] and commands[1].rstrip().endswith("pytest")


def test_readme_python_examples_run(monkeypatch):
    """Every ```python block of the README runs as written, from the repository root."""
    import re

    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README has no Python examples"
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
        # the figures the comments promise, from the closed forms
        if "r = analyze(" in block:
            r = namespace["r"]
            assert float(r.unavailability) == 4 / 2004 and round(float(r.nines), 2) == 2.70
