"""Writing a report directory: all at once, and never over anything relcalc did not write.

The files are built in a temporary directory beside the target and swapped
in by :func:`relcalc.files.atomic_directory`, so a failure leaves the previous
report whole. ``manifest.json`` lists every file the report wrote (with its
SHA-256). An existing target is replaced only when everything in it is in its
manifest (a previous report, untouched or edited in place); anything else in
it (a user's notes, another tool's output, an old report without a manifest)
makes the run refuse, naming the file, and nothing is touched. An empty
directory is fine.
"""

from __future__ import annotations

import hashlib
import json
import os

from ..errors import InputError

MANIFEST = "manifest.json"
WRITER = "relcalc report"


def manifest(files: dict[str, bytes], version: str) -> bytes:
    """The manifest of ``files`` (relative POSIX paths to bytes), as deterministic JSON."""
    listed = {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}
    return (json.dumps({"written_by": WRITER, "version": version, "files": listed}, indent=1, sort_keys=True)
            + "\n").encode("utf-8")


def _listed(target: str) -> set[str] | None:
    """The paths the target's manifest lists, or None when it has none (or one relcalc could not have written)."""
    try:
        with open(os.path.join(target, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != WRITER or not isinstance(data.get("files"), dict):
        return None
    return {str(p) for p in data["files"]}


def _foreign(target: str, listed: set[str]) -> str | None:
    """The first entry of ``target`` that the manifest does not list (directories holding listed files aside)."""
    for base, dirs, names in os.walk(target):
        dirs.sort()
        rel_base = os.path.relpath(base, target)
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(base, d))]:
            rel = name if rel_base == "." else f"{rel_base}/{name}".replace(os.sep, "/")
            if rel != MANIFEST and rel not in listed:
                return rel
        for d in dirs:
            rel = d if rel_base == "." else f"{rel_base}/{d}".replace(os.sep, "/")
            if not any(p.startswith(rel + "/") for p in listed):
                return rel + "/"
    return None


def check_target(out_dir: str, option: str = "-o") -> str:
    """The absolute target; InputError when it cannot take a report without losing someone else's file."""
    if not str(out_dir).strip():
        raise InputError(f"{option}: give a directory for the report, got an empty path")
    target = os.path.abspath(out_dir)
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise InputError(f"{option}: directory does not exist: {parent}")
    if not os.path.exists(target):
        return target
    if not os.path.isdir(target):
        raise InputError(f"{option}: {out_dir} exists and is not a directory")
    try:
        entries = os.listdir(target)
    except PermissionError:
        raise InputError(f"{option}: no permission to read {out_dir}") from None
    if not entries:
        return target
    listed = _listed(target)
    if listed is None:
        raise InputError(f"{option}: {out_dir} is not empty and holds no relcalc report manifest ({MANIFEST}); "
                         "relcalc replaces only files it wrote: choose a new or empty directory")
    extra = _foreign(target, listed)
    if extra is not None:
        raise InputError(f"{option}: {out_dir} holds {extra}, which the previous report did not write; relcalc "
                         "replaces only its own files: move it out or choose another directory")
    return target


def write_directory(out_dir: str, files: dict[str, bytes], version: str, option: str = "-o") -> str:
    """Write ``files`` and their manifest as the directory ``out_dir``, atomically; returns its path."""
    from ..files import atomic_directory

    target = check_target(out_dir, option)
    try:
        with atomic_directory(target, option=option) as work:
            for path, data in sorted(files.items()):
                full = os.path.join(work, *path.split("/"))
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "wb") as handle:
                    handle.write(data)
            with open(os.path.join(work, MANIFEST), "wb") as handle:
                handle.write(manifest(files, version))
    except PermissionError:
        raise InputError(f"{option}: no permission to write {out_dir} or beside it in "
                         f"{os.path.dirname(target)}") from None
    return target


__all__ = ["MANIFEST", "check_target", "manifest", "write_directory"]
