"""``relcalc schema``: the JSON Schema of a compose spec or a service file."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import OutputOption, open_output


def schema_command(
    kind: Annotated[str, typer.Argument(metavar="compose|service", help="compose: a spec for relcalc compose; service: a service file for relcalc report.")],
    output: OutputOption = None,
) -> None:
    """Print the JSON Schema of a compose spec or a report's service file.

    The schema is made from the key lists the loaders use (relcalc/schemas.py)
    and shipped in the package (relcalc/jsonschema/). Point an editor with
    the YAML language server at it with a first line such as:

    # yaml-language-server: $schema=relcalc/jsonschema/compose.schema.json
    """
    from importlib import resources

    from ..errors import InputError
    from ..schemas import schema_text

    if kind not in ("compose", "service"):
        raise InputError(f"schema: unknown kind {kind!r}; use compose or service")
    shipped = resources.files("relcalc") / "jsonschema" / f"{kind}.schema.json"
    text = shipped.read_text(encoding="utf-8") if shipped.is_file() else schema_text(kind)
    with open_output(output) as handle:
        handle.write(text)

