"""The one loader of YAML and JSON documents (compose specs, service descriptions), bounded for any input.

Why not ``yaml.safe_load``:

* Aliases. ``&a [x, x, ...]`` then ``[*a, *a, ...]`` nested a few times is
  a few hundred bytes that stand for billions of values (a "billion laughs").
  PyYAML shares the aliased node, so loading is cheap, but everything that
  walks the result afterwards (checking, evaluating, printing an error) pays
  for the expansion. Here the *expanded* size of the document is counted on
  the node graph before anything is built (each distinct node once, so the
  count itself is cheap) and a document over :data:`MAX_NODES` values is
  refused, as is an alias to a node that contains itself.
* Numbers follow YAML 1.2 (and relcalc's grammar): ``1_000`` and ``1:30``
  are not the numbers YAML 1.1 makes of them (1000 and 90); they stay text,
  and the quantity parsers refuse or read them. ``010`` is ten (decimal), not
  YAML 1.1's octal eight.
* Duplicate keys are an error (YAML and JSON both leave them undefined; the
  last one silently winning hides mistakes), and so is a key that cannot be a
  dict key (``? [a, b]``).
* Speed: libyaml's C parser when PyYAML was built with it, and values built
  straight from its events by one loop (:mod:`relcalc.yaml_events`), with no
  node objects and the garbage collector paused; a document that loop does
  not handle (explicit tags, merge keys, any error...) takes the node path
  below, which gives the same values. A JSON document is read by
  :mod:`json` (a hundred times faster than any YAML parser).

Every failure is an :class:`~relcalc.errors.InputError` naming the source
and, for YAML, the line.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any

from .errors import InputError, excerpt
from .gcpause import collector_paused

#: The most values (scalars, lists and mappings, each key and value counted,
#: aliases counted as many times as they are used) one document may stand
#: for: more than ten times a 100,000-component spec, far less than an alias
#: bomb expands to.
MAX_NODES = 2_000_000
#: Nesting deeper than this is refused (the block-diagram model's own limit is lower).
MAX_DEPTH = 1000

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@functools.lru_cache(maxsize=1)
def _loader_class():
    """A safe loader (libyaml's parser if present) whose plain scalars are numbers only in YAML 1.2's sense."""
    import yaml

    from .units import NUMBER

    base = getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) else None
    base = base or yaml.SafeLoader

    resolved: dict[str, str] = {}

    class Loader(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind, value, implicit):
            # A plain scalar's tag depends on its text alone, and specs repeat the same few
            # texts (4h, mtbf, count) thousands of times: remember them (up to a bound).
            if kind is yaml.ScalarNode and implicit[0]:
                tag = resolved.get(value)
                if tag is None:
                    tag = super().resolve(kind, value, implicit)
                    if len(resolved) < 100_000 and len(value) < 100:
                        resolved[value] = tag
                return tag
            return super().resolve(kind, value, implicit)

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
    Loader.add_implicit_resolver(
        _FLOAT_TAG, re.compile(rf"^(?:{NUMBER}|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+.0123456789")
    )
    return Loader


def load_document(text: str, source: str) -> Any:
    """The value of one YAML or JSON document (None for an empty one); InputError naming ``source`` if unusable."""
    if text.startswith("\ufeff"):
        text = text[1:]
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            return _load_json(text, source)
        except _NotJSON:
            pass  # YAML in flow style, or a JSON error YAML's parser explains with a line number
    return _load_yaml(text, source)


class _NotJSON(Exception):
    pass


def _load_json(text: str, source: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict:
        mapping = dict(items)
        if len(mapping) != len(items):
            raise _NotJSON("duplicate key")  # the YAML reader names it with its line
        return mapping

    def constant(name: str) -> Any:
        raise _NotJSON(name)  # NaN and Infinity are not JSON

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError:
        raise _NotJSON from None
    except RecursionError:
        raise InputError(f"{source}: nesting too deep (more than {MAX_DEPTH} levels)") from None
    except InputError:
        raise
    except ValueError as exc:  # a number of more than 4,300 digits
        raise InputError(f"{source}: {exc}") from None


def _load_yaml(text: str, source: str) -> Any:
    from .yaml_events import TooLarge, Unsupported, build

    loader_class = _loader_class()
    with collector_paused():
        loader = loader_class(text)
        try:
            return build(loader, MAX_NODES, MAX_DEPTH)
        except Unsupported:
            pass  # the node path decides, and words any error
        except TooLarge as exc:
            raise _too_large(source, exc.line) from None
        finally:
            loader.dispose()
        return _load_yaml_nodes(loader_class(text), source)


def _too_large(source: str, line: object) -> InputError:
    return InputError(
        f"{source}: line {line}: this part stands for more than {MAX_NODES:,} values once its "
        "aliases (*name) are expanded; write the document without repeated aliases"
    )




def _load_yaml_nodes(loader: Any, source: str) -> Any:
    """The node path: PyYAML's node graph, checked for size, depth and cycles, then built (see the module doc)."""
    import yaml

    try:
        node = loader.get_single_node()
        if node is None:
            return None
        order = _expanded_order(node, source)
        return _construct(loader, order, source)
    except RecursionError:
        raise InputError(f"{source}: nesting too deep (more than {MAX_DEPTH} levels)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source}: {place}not valid YAML or JSON: {excerpt(problem, 80, quote=False)}") from None
    finally:
        loader.dispose()


def _children(node: Any) -> list:
    value = node.value
    if isinstance(value, list):
        if value and isinstance(value[0], tuple):  # a mapping's (key, value) pairs
            return [part for pair in value for part in pair]
        return value
    return []


def _expanded_order(root: Any, source: str) -> list:
    """The distinct nodes, children before parents, after checking the expanded size, depth and cycles.

    Iterative (a 10,000-deep document must not exhaust Python's stack); each
    distinct node is visited once, and its expanded size (itself plus its
    children's expanded sizes) computed from its children's. Scalars, most of
    a document, are settled without a trip through the stack.
    """
    import yaml

    scalar = yaml.ScalarNode
    size: dict[int, int] = {}
    order: list = []
    if isinstance(root, scalar):
        return [root]
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if not done:
            if key in size:
                continue
            if key in active:
                raise InputError(f"{source}: line {_line(node)}: an alias refers to a node that contains it (a cycle)")
            if len(active) >= MAX_DEPTH:
                raise InputError(f"{source}: nesting too deep (more than {MAX_DEPTH} levels)")
            active.add(key)
            stack.append((node, True))
            for child in reversed(children):
                if child.__class__ is scalar:
                    if id(child) not in size:
                        size[id(child)] = 1
                        order.append(child)
                else:
                    stack.append((child, False))
        else:
            active.discard(key)
            total = 1 + sum([size[id(child)] for child in children])
            if total > MAX_NODES:
                raise _too_large(source, _line(node))
            size[key] = total
            order.append(node)
    return order


def _line(node: Any) -> object:
    return node.start_mark.line + 1 if node.start_mark is not None else "?"


def _construct(loader: Any, order: list, source: str) -> Any:
    """Python values for the nodes in ``order`` (children first); a shared node gives one shared value."""
    import yaml

    built: dict[int, Any] = {}
    for node in order:
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            text = node.value
            if tag == _STR_TAG:
                value = text
            elif tag == _INT_TAG:
                try:
                    value = int(text)  # as written: 010 is ten
                except ValueError as exc:  # more than 4,300 digits
                    raise InputError(f"{source}: line {node.start_mark.line + 1}: {exc}") from None
            elif tag == _FLOAT_TAG and text[-1:].isdigit():
                value = float(text)
            elif tag == _NULL_TAG:
                value = None
            elif tag == _MERGE_TAG:  # the `<<` of a merge: its mapping takes the merged pairs
                value = None
            else:  # .inf/.nan, Booleans, timestamps, explicit tags (unknown ones are refused)
                value = loader.construct_object(node, deep=True)
        elif isinstance(node, yaml.MappingNode) and tag == _MAP_TAG:
            value = {}
            for key_node, value_node in node.value:  # as written: duplicates are the writer's
                if key_node.tag == _MERGE_TAG:
                    continue
                key = built[id(key_node)]
                try:
                    duplicate = key in value
                except TypeError:
                    raise InputError(
                        f"{source}: line {key_node.start_mark.line + 1}: a key must be text or a number, "
                        f"not {type(key).__name__} ({excerpt(key)})"
                    ) from None
                if duplicate:
                    raise InputError(
                        f"{source}: line {key_node.start_mark.line + 1}: duplicate definition of {excerpt(key)}"
                    )
                value[key] = built[id(value_node)]
            if any(key.tag == _MERGE_TAG for key, _ in node.value):
                # `<<: *defaults`: the merged pairs first, the mapping's own win (YAML's merge key);
                # every node involved was counted and built already
                loader.flatten_mapping(node)
                value = {built[id(key)]: built[id(item)] for key, item in node.value}
        elif isinstance(node, yaml.SequenceNode) and tag == _SEQ_TAG:
            value = [built[id(child)] for child in node.value]
        else:  # !!set, !!omap, or an unknown tag (refused by the safe constructor)
            try:
                value = loader.construct_object(node, deep=True)
            except TypeError as exc:
                raise InputError(f"{source}: line {node.start_mark.line + 1}: {excerpt(str(exc), 80, quote=False)}") from None
        built[id(node)] = value
    return built[id(order[-1])]


#: The largest spec file read: a 100,000-component spec is about 7 MB.
MAX_BYTES = 64 * 2**20


def _check_size(data: bytes | str, name: str, source: str) -> None:
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: {source} is larger than {MAX_BYTES // 2**20} MiB, more than any spec needs")


def read_text(path: str, name: str) -> tuple[str, str]:
    """``(text, source)`` of a UTF-8 file (``-`` for stdin); every failure an InputError naming ``name`` and the path."""
    import sys

    if path == "-":
        # the bytes, decoded here: Python reads stdin with surrogateescape under a C locale, which
        # would let bad bytes through as text that fails only when printed
        binary = getattr(sys.stdin, "buffer", None)
        try:
            data = binary.read(MAX_BYTES + 1) if binary is not None else sys.stdin.read(MAX_BYTES + 1)
            _check_size(data, name, "stdin")
            return (data.decode("utf-8") if isinstance(data, bytes) else data), "stdin"
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: stdin is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        with open_input(path, name) as handle:
            data = handle.read(MAX_BYTES + 1)  # /dev/zero, or a runaway file, must not fill the memory
        _check_size(data, name, path)
        return data.decode("utf-8"), path
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None


def open_input(path: str, name: str, what: str = "a file"):
    """``path`` opened for reading bytes; a missing file, a directory or no permission is an InputError naming
    ``name`` (``what`` says what was expected: "a CSV file", "a service YAML")."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{name}: file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{name}: {path} is a directory, not {what}") from None
    except PermissionError:
        raise InputError(f"{name}: no permission to read {path}") from None

#: The largest CSV read from something that is not a regular file (stdin, a pipe, a device such as
#: /dev/zero, which never ends): a regular file's size is known and pandas reads it as it is.
MAX_STREAM_CSV_BYTES = 128 * 2**20


def csv_source(path: str, name: str, *, limit: int | None = None, too_large: str | None = None):
    """What to hand pandas for a CSV option: the path of a regular file, or the bounded text of anything else.

    A device or a pipe (``/dev/zero``, ``/dev/urandom``, a FIFO, ``-`` for stdin) is read up to
    :data:`MAX_STREAM_CSV_BYTES` and refused past it, so an endless input is an error, not an
    exhausted memory. With ``limit``, a regular file larger than it, or a stream that gives more,
    is refused with ``too_large``. Every failure is an InputError naming ``name`` and the path.
    """
    import io
    import stat
    import sys

    if path != "-":
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise InputError(f"{name}: file not found: {path}") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(mode):
            raise InputError(f"{name}: {path} is a directory, not a CSV file")
        if stat.S_ISREG(mode):
            if limit is not None and os.path.getsize(path) > limit:
                raise InputError(too_large)
            return path
    source = "stdin" if path == "-" else path
    most = MAX_STREAM_CSV_BYTES if limit is None else min(limit, MAX_STREAM_CSV_BYTES)
    try:
        if path == "-":
            binary = getattr(sys.stdin, "buffer", None)
            data = binary.read(most + 1) if binary is not None else sys.stdin.read(most + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(most + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read {source}: {exc.strerror or exc}") from None
    if limit is not None and len(data) > limit:
        raise InputError(too_large)
    if len(data) > MAX_STREAM_CSV_BYTES:
        raise InputError(f"{name}: {source} gave more than {MAX_STREAM_CSV_BYTES // 2**20} MiB without ending; "
                         "give a regular file")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: {source} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    return io.StringIO(data)


__all__ = ["MAX_BYTES", "MAX_STREAM_CSV_BYTES", "csv_source", "open_input", "MAX_DEPTH", "MAX_NODES", "load_document", "read_text"]
