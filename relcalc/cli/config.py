"""Defaults that follow the user: relcalc.toml, the user's config.toml and RELCALC_* variables.

Where a default comes from, strongest first:

1. the command line (always wins);
2. an environment variable, ``RELCALC_YEAR_DAYS=365.25``;
3. ``relcalc.toml`` in the working directory (a project's settings);
4. ``$XDG_CONFIG_HOME/relcalc/config.toml`` (``~/.config/relcalc/config.toml``);
5. relcalc's own default.

The files are TOML with top-level keys (``year_days = 365.25``), read with
the standard library's :mod:`tomllib`; on Python 3.10, which has none,
with ``tomli``, the same parser (a dependency there only). Values are
handed to the commands as if typed after the option, so they are checked
by the same grammar and a bad one is the same one-line error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .output import FormatOption, OutputOption

#: Each key: what it sets (the option it is the default of) and relcalc's own default, as text.
KEYS: dict[str, tuple[str, str]] = {
    "year_days": ("--year-days of availability, compose and simulate raft: 365 or 365.25", "365"),
    "month_days": ("--month-days of availability: 30 for 30-day months", "a twelfth of the year"),
    "method": ("--method of simulate raft: crude, importance, exact or auto", "crude"),
    "workers": ("--workers of simulate raft", "1"),
    "format": ("--format of every command, when -o names no .json or .csv: table, json or csv", "table"),
}
ENV_PREFIX = "RELCALC_"
#: The keys that take one of a few words (any case in a file or a variable).
WORDS = {"method": ("crude", "importance", "exact", "auto"), "format": ("table", "json", "csv")}


@dataclass(frozen=True)
class Setting:
    key: str
    value: str
    source: str  # "default", "env RELCALC_X" or a file's path


def config_files() -> list[Path]:
    """The files read, weakest first: the user's config.toml, then ./relcalc.toml."""
    home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return [Path(home) / "relcalc" / "config.toml", Path("relcalc.toml")]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli is the same parser, a dependency there
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:  # tomllib decodes the bytes itself and lets this through
        raise InputError(f"{path}: not valid TOML: not UTF-8 text") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a directory, not a config file; remove or rename it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    for key, value in data.items():
        if key not in KEYS:
            raise InputError(f"{path}: unknown key {key!r}; use {', '.join(KEYS)}")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InputError(f"{path}: {key} must be a number or text, got {value!r}")
    return data


def settings() -> dict[str, Setting]:
    """The effective default of every key, and where it came from."""
    found = {key: Setting(key, default, "default") for key, (_, default) in KEYS.items()}
    for path in config_files():
        if path.exists():  # a directory or an unreadable file is refused, not skipped in silence
            for key, value in _read_toml(path).items():
                found[key] = Setting(key, str(value), str(path))
    for key in KEYS:
        name = ENV_PREFIX + key.upper()
        if os.environ.get(name, "") != "":
            found[key] = Setting(key, os.environ[name], f"env {name}")
    refused = []
    for key, setting in found.items():
        if setting.source != "default":
            try:
                _check(setting)
            except InputError as exc:  # every bad value at once, still on one line
                refused.append(str(exc))
                continue
            # as the commands take it: "Exact" from a file would be refused later, blamed on --method
            value = setting.value.strip()
            found[key] = Setting(key, value.lower() if key in WORDS else value, setting.source)
    if refused:
        raise InputError("; ".join(refused))
    return found


def _check(setting: Setting) -> None:
    """Refuse a bad value where it was set (the file or the variable), not as if typed after an option."""
    from ..units import parse_count, parse_number

    name = f"{setting.key} (from {setting.source})"
    value = setting.value
    if setting.key == "year_days" and parse_number(value, name) not in (365.0, 365.25):
        raise InputError(f"{name} must be 365 or 365.25, got {value!r}")
    if setting.key == "month_days" and not 28 <= parse_number(value, name) <= 31:
        raise InputError(f"{name} must be from 28 to 31 (30 for 30-day months), got {value!r}")
    if setting.key == "workers":
        parse_count(value, name)
    words = WORDS.get(setting.key)
    if words and value.strip().lower() not in words:
        raise InputError(f"{name}: {value!r}; use {', '.join(words)}")


def chosen(key: str) -> str | None:
    """The value set for ``key`` by a file or the environment, or None when relcalc's default stands."""
    setting = settings()[key]
    return None if setting.source == "default" else setting.value


def default_map(group: Any) -> dict[str, Any]:
    """click's ``default_map`` for the command tree: each set key as the default of the option it names.

    ``format`` is left out: an ``-o`` file's extension goes before it (see
    :func:`relcalc.cli.output.resolve_format`).
    """
    values = {key: s.value for key, s in settings().items() if s.source != "default" and key != "format"}
    if not values:
        return {}

    def walk(command) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for param in command.params:
            for key, value in values.items():
                if "--" + key.replace("_", "-") in param.opts:
                    out[param.name] = value
        for name, sub in getattr(command, "commands", {}).items():
            inner = walk(sub)
            if inner:
                out[name] = inner
        return out

    return walk(group)


def config_command(
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Show the defaults in effect and where each comes from: the environment, a config file or relcalc.

    Files, weakest first: $XDG_CONFIG_HOME/relcalc/config.toml (else
    ~/.config/relcalc/config.toml), then relcalc.toml in the working
    directory; RELCALC_<KEY> variables override both, and options on the
    command line override everything.
    """
    from ..files import write_csv_records
    from .output import emit

    rows = [{"key": s.key, "value": s.value, "source": s.source, "sets": KEYS[s.key][0]} for s in settings().values()]
    files = [{"file": str(p), "exists": p.is_file()} for p in config_files()]

    def table(console) -> None:
        from rich.table import Table

        shown = Table(title="Defaults in effect", title_justify="left")
        for name in ("key", "value", "from"):
            shown.add_column(name)
        for row in rows:
            shown.add_row(row["key"], row["value"], row["source"])
        console.print(shown)
        for row in files:
            console.print(f"{'read' if row['exists'] else 'absent'}: {row['file']}")
        console.print("Environment: RELCALC_<KEY> (e.g. RELCALC_YEAR_DAYS); options on the command line win.")

    emit(fmt, output, table=table, json_data=lambda: {"settings": rows, "files": files},
         csv_write=lambda handle: write_csv_records(handle, rows))
