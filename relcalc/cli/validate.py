"""``relcalc validate``: every problem of a compose spec or a service file, without computing."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer


def validate_command(
    spec: Annotated[str, typer.Argument(metavar="FILE", help="A compose spec or a service file (YAML or JSON); - for stdin.")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="compose or service; default: service if the file has a service or targets section.")] = None,
) -> None:
    """Check a compose spec or a report's service file and list every problem with its place.

    Nothing is computed. Exit 0 when the file is good, 2 when it has
    problems (each on its own line on stderr, naming its place, such as
    system.series[2].k_of_n.k).
    """
    from ..errors import ExitCode, InputError
    from ..rbd.spec import load_spec_text
    from ..schemas import kind_of, problems
    from .output import problem

    if kind is not None and kind not in ("compose", "service"):
        raise InputError(f"--kind: unknown kind {kind!r}; use compose or service")
    if spec == "-":
        from ..loading import read_text

        text, source = read_text(spec, "FILE")  # decoded strictly (a C locale's stdin lets bad bytes through)
    else:
        try:
            with open(spec, encoding="utf-8") as handle:
                text, source = handle.read(), spec
        except FileNotFoundError:
            raise InputError(f"FILE: file not found: {spec}") from None
        except IsADirectoryError:
            raise InputError(f"FILE: {spec} is a directory, not a spec") from None
        except UnicodeDecodeError:
            raise InputError(f"FILE: {spec} is not UTF-8 text") from None
    data = load_spec_text(text, source)  # YAML that cannot be read at all: one error, its line
    kind = kind or kind_of(data)
    base_dir = "." if spec == "-" else os.path.dirname(os.path.abspath(spec))
    found = problems(data, kind, base_dir=base_dir)
    what = "compose spec" if kind == "compose" else "service file"
    for line in found:
        problem(f"error: {source}: {line}")
    if found:
        problem(f"error: {source}: {len(found)} problem{'s' if len(found) > 1 else ''} in this {what}")
        raise typer.Exit(ExitCode.BAD_INPUT)
    _notes(data, kind, base_dir)
    print(f"{source}: a valid {what}")


def _notes(data: dict, kind: str, base_dir: str) -> None:
    """What relcalc compose and report would say on stderr about a valid file: a name repeated in one block."""
    from .compose import _warn_repeated_names

    if kind == "service":
        from ..report.spec import load_service_mapping

        system = load_service_mapping(data, base_dir=base_dir).system
    else:
        from ..rbd.spec import system_from_mapping

        system = system_from_mapping(data)
    _warn_repeated_names(system)
