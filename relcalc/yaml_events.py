"""The fast path of :mod:`relcalc.loading`: Python values built straight from the YAML parser's events.

Why: with libyaml, parsing a 10,000-component spec into events takes about
85 ms of CPU time, but PyYAML then composes a node object per value (with two
position marks each) and relcalc walks the node graph again to build values:
320 ms in all, with the garbage collector paused. Building values from the
events in one loop, with no node objects, takes 120 ms
(``python benchmarks/loading.py`` prints the figures).

The loop handles what specs are made of: mappings, sequences, plain scalars
(resolved by the same implicit-resolver table as the node path, so numbers
follow YAML 1.2 and relcalc's grammar), quoted scalars, and anchors with
their aliases (counted at their expanded size). Anything else raises
:class:`Unsupported` and the caller loads the document again by the node
path, which gives every answer and every error message it always gave:
explicit tags, merge keys (``<<``), timestamps, duplicate or unhashable
keys, an alias to an unfinished or unknown anchor, more than one document, a
syntax error, or nesting deeper than the bound. Falling back costs one more
parse of a document that is, in all those cases, either rare in practice or
about to be refused. A document that stands for more values than the bound
once its aliases are expanded raises :class:`TooLarge` as soon as the count
passes it, so neither path builds it.
"""

from __future__ import annotations

from typing import Any


class Unsupported(Exception):
    """The document needs the node path (or is an error the node path words)."""


class TooLarge(Exception):
    """The document stands for more than the bound's values (aliases expanded), found at ``line`` (1-based).

    Refused here, as soon as the count passes the bound, rather than by the
    node path, which would first compose the whole document.
    """

    def __init__(self, line: object):
        super().__init__(line)
        self.line = line


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"


def plain_scalar(text: str, resolvers: dict) -> Any:
    """The value of a plain (unquoted, untagged) scalar, as the node path makes it.

    ``resolvers`` is the loader's implicit-resolver table (first character
    to ``[(tag, regexp)]``); the first matching regexp gives the tag, else
    the scalar is text. YAML 1.1's booleans (``yes``, ``off``...) are read
    as PyYAML reads them; ``.inf`` and ``.nan`` as floats.
    """
    first = text[:1]
    candidates = resolvers.get(first)
    if candidates is None:
        return text
    if first in _NUMBER_FIRST and text[-1] not in _NUMBER_LAST:
        return text  # 4h, 1000h, 2x: a quantity, not a number (skips three regular expressions)
    for tag, regexp in candidates:
        if regexp.match(text):
            break
    else:
        return text
    if tag == _INT_TAG:
        try:
            return int(text)  # as written: 010 is ten
        except ValueError:  # more than 4,300 digits: the node path words the error
            raise Unsupported from None
    if tag == _FLOAT_TAG:
        # the grammar admits only what float() reads alike, and .inf/-.inf/.nan (float reads inf, -inf, nan)
        return float(text) if text[-1].isdigit() else float(text.replace(".", "", 1))
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return _BOOLEANS[text.lower()]
    raise Unsupported  # timestamps, merge keys, the `=` value key


#: First characters whose resolvers are only int, float and timestamp, and the characters those
#: can end with (1, 1., 2001-12-14, ...Z, .inf, .nan); tests/test_loading_fast.py checks both against the table.
_NUMBER_FIRST = frozenset("+-.0123456789")
_NUMBER_LAST = frozenset("0123456789.ZfFnN")
_BOOLEANS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


def build(loader: Any, max_nodes: int, max_depth: int) -> Any:
    """The value of the single document in ``loader``'s event stream (None for none).

    ``loader`` is a PyYAML loader (libyaml's or the pure-Python parser); only
    its events and its implicit-resolver table are used. Raises
    :class:`Unsupported` where the node path must decide, :class:`TooLarge`
    past ``max_nodes`` values.
    """
    import yaml.events as ev

    scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
    map_start, seq_start = ev.MappingStartEvent, ev.SequenceStartEvent
    collection_end = (ev.MappingEndEvent, ev.SequenceEndEvent)
    resolvers = loader.yaml_implicit_resolvers
    if resolvers.get(None):
        raise Unsupported  # a resolver for every first character: not the table this loop reads
    get_event = loader.get_event
    try:
        if get_event().__class__ is not ev.StreamStartEvent:
            raise Unsupported
        event = get_event()
        if event.__class__ is ev.StreamEndEvent:
            return None
        if event.__class__ is not ev.DocumentStartEvent:
            raise Unsupported
        root = _build_document(get_event, resolvers, max_nodes, max_depth, scalar_event, alias_event,
                               map_start, seq_start, collection_end)
        if get_event().__class__ is not ev.DocumentEndEvent or get_event().__class__ is not ev.StreamEndEvent:
            raise Unsupported  # a second document: the node path refuses it
        return root
    except Exception as exc:  # a syntax error from the parser, or anything unforeseen: the node path words it
        if isinstance(exc, (Unsupported, TooLarge)):
            raise
        raise Unsupported from exc


def _build_document(get_event, resolvers, max_nodes, max_depth, scalar_event, alias_event, map_start, seq_start,
                    collection_end):
    """The document's root value, from the events after its DocumentStartEvent up to its root's last."""
    # The open collection gathers its items in a flat list (a mapping's keys and values alternating,
    # made a dict when it ends); the enclosing ones wait on the stack as
    # (items, is a mapping, anchor, expanded count at its start).
    stack: list[tuple] = []
    items: list = []
    in_mapping = False
    anchor_of_open = None
    opened_at = 0
    anchors: dict[str, tuple[Any, int]] = {}  # finished anchored values and their expanded sizes
    seen_anchors: set[str] = set()
    total = 0  # values the document stands for so far, aliases at their expanded size
    resolve = resolvers.get
    depth = 0
    while True:
        event = get_event()
        cls = event.__class__
        if cls is scalar_event:
            if event.tag is not None:
                raise Unsupported  # an explicit tag (!!str, !!binary, !custom...)
            value = event.value
            if event.implicit[0] and resolve(value[:1]) is not None:
                value = plain_scalar(value, resolvers)
            total += 1
            if total > max_nodes:
                raise TooLarge(_line(event))
            anchor = event.anchor
            if anchor is not None:
                if anchor in seen_anchors:
                    raise Unsupported
                seen_anchors.add(anchor)
                anchors[anchor] = (value, 1)
        elif cls is map_start or cls is seq_start:
            if event.tag is not None or depth >= max_depth:
                raise Unsupported
            anchor = event.anchor
            if anchor is not None:
                if anchor in seen_anchors:
                    raise Unsupported
                seen_anchors.add(anchor)
            if depth:
                stack.append((items, in_mapping, anchor_of_open, opened_at))
            depth += 1
            items, in_mapping, anchor_of_open, opened_at = [], cls is map_start, anchor, total
            total += 1
            if total > max_nodes:
                raise TooLarge(_line(event))
            continue
        elif cls in collection_end:
            if in_mapping:
                value = dict(zip(items[0::2], items[1::2]))
                if 2 * len(value) != len(items):
                    raise Unsupported  # a duplicate key
            else:
                value = items
            if anchor_of_open is not None:
                anchors[anchor_of_open] = (value, total - opened_at)
            depth -= 1
            if not depth:
                return value
            items, in_mapping, anchor_of_open, opened_at = stack.pop()
        elif cls is alias_event:
            found = anchors.get(event.anchor)
            if found is None:
                raise Unsupported  # unknown, or an alias inside the node it names (a cycle)
            value = found[0]
            total += found[1]
            if total > max_nodes:
                raise TooLarge(_line(event))
        else:
            raise Unsupported
        if not depth:
            return value  # a scalar or an alias as the whole document
        items.append(value)


def _line(event: Any) -> object:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else "?"
