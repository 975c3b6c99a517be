"""Reading block diagrams: YAML/JSON specs, the inline expression syntax,
component tables and ``--set`` what-ifs.

Every error names the place in the spec (``system.series[2].k_of_n``).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InputError, excerpt
from ..units import parse_count, parse_duration, parse_number, parse_probability, parse_rate_per_hour
from .model import (MAX_DEPTH, MAX_INSTANCES, WEIBULL_SHAPE_RANGE, Component, KofN, Network, Parallel, Series, Standby,
                    System, Use)
from ..schemas import COMPONENT_KEYS, K_OF_N_KEYS, NETWORK_KEYS, SPEC_KEYS, STANDBY_KEYS  # shared with the JSON Schema


# --- component parameters -------------------------------------------------------


def component_from_mapping(name: str, params: Any, where: str, year_days: float = 365.0) -> Component:
    """Build a component from ``{mtbf, mttr}``, rates, or ``{availability}``, plus ``count``."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InputError(f"{where}: expected a mapping such as {{mtbf: 2000h, mttr: 4h}}, got {_short(params)}")
    unknown = set(params) - COMPONENT_KEYS
    if unknown:
        raise InputError(f"{where}: unknown key {excerpt(sorted(unknown)[0])}; use {', '.join(sorted(COMPONENT_KEYS))}")
    count = parse_count(params.get("count", 1), f"{where}.count", high=MAX_INSTANCES)
    shape = parse_number(params.get("weibull_shape", 1.0), f"{where}.weibull_shape")
    low, high = WEIBULL_SHAPE_RANGE
    if not low <= shape <= high:
        raise InputError(f"{where}.weibull_shape must be between {low:g} and {high:g}, got {_short(params['weibull_shape'])}")
    sigma = None
    if params.get("lognormal_sigma") is not None:
        sigma = parse_number(params["lognormal_sigma"], f"{where}.lognormal_sigma")
        if not 0 < sigma <= 10:
            raise InputError(f"{where}.lognormal_sigma must be in (0, 10], got {_short(params['lognormal_sigma'])}")
        if "weibull_shape" in params and shape != 1.0:
            raise InputError(f"{where}: give weibull_shape or lognormal_sigma, not both (one law of time to failure)")
    has_up = [k for k in ("mtbf", "failure_rate") if k in params]
    has_down = [k for k in ("mttr", "repair_rate") if k in params]
    if "availability" in params:
        if has_up or has_down:
            raise InputError(f"{where}: give availability or MTBF/MTTR, not both (contradictory parameters)")
        a, u = parse_probability(params["availability"], f"{where}.availability")
        return Component(name, a, u, count=count, weibull_shape=shape, lognormal_sigma=sigma)
    if len(has_up) > 1 or len(has_down) > 1:
        raise InputError(f"{where}: give mtbf or failure_rate, and mttr or repair_rate, not both (contradictory)")
    if not has_up or not has_down:
        missing = "mtbf (or failure_rate)" if not has_up else "mttr (or repair_rate)"
        raise InputError(f"{where}: missing {missing}; or give an availability")
    up_key, down_key = has_up[0], has_down[0]
    if up_key == "mtbf":
        mtbf = parse_duration(params["mtbf"], f"{where}.mtbf", year_days=year_days)
    else:
        mtbf = 1.0 / parse_rate_per_hour(params["failure_rate"], f"{where}.failure_rate", year_days=year_days)
    if down_key == "mttr":
        mttr = parse_duration(params["mttr"], f"{where}.mttr", year_days=year_days)
    else:
        mttr = 1.0 / parse_rate_per_hour(params["repair_rate"], f"{where}.repair_rate", year_days=year_days)
    return Component.from_times(name, mtbf, mttr, count=count, weibull_shape=shape, lognormal_sigma=sigma)


# --- YAML / JSON ------------------------------------------------------------------


def load_spec_text(text: str, source: str = "spec") -> dict:
    """Parse YAML (safe loading only) or JSON text into a mapping, refusing duplicate keys.

    The loading (bounded aliases, YAML 1.2 numbers, libyaml or json for speed)
    is :func:`relcalc.loading.load_document`'s.
    """
    from ..loading import load_document

    data = load_document(text, source)
    if data is None:
        raise InputError(f"{source}: the spec is empty")
    if not isinstance(data, dict):
        raise InputError(f"{source}: the spec must be a mapping with 'components' and 'system', got {type(data).__name__}")
    return data


def system_from_mapping(data: dict, *, extra_components: dict[str, Component] | None = None, year_days: float = 365.0) -> System:
    """Build a :class:`System` from a spec mapping with ``components`` and ``system``."""
    unknown = set(data) - SPEC_KEYS
    if unknown:
        raise InputError(f"spec: unknown top-level key {excerpt(sorted(map(str, unknown))[0])}; use components, system and repair")
    if "system" not in data:
        raise InputError("spec: missing 'system' (the block diagram)")
    raw = data.get("components") or {}
    if not isinstance(raw, dict):
        raise InputError("components: expected a mapping of name to parameters")
    components: dict[str, Component] = {}
    extra = extra_components or {}
    for name, params in raw.items():
        where = f"components.{name}"
        if not isinstance(name, str) or not name:
            raise InputError(f"components: component names must be text, got {excerpt(name)}")
        if name in extra:
            if params:
                raise InputError(f"{where}: defined in the spec and in --components (duplicate definition)")
            continue
        components[name] = component_from_mapping(name, params, where, year_days)
    components.update(extra)
    root = parse_block(data["system"], "system")
    system = System(components, root)
    system.validate()
    if data.get("repair") is not None:
        system = with_repair(system, data["repair"])
    return system


def with_repair(system: System, raw: Any) -> System:
    """``repair: {crews: 1, policy: fifo}`` (every repairable component) or a list of ``{of: [a, b], crews, policy}``."""
    from dataclasses import replace

    from .repair import RepairGroup

    items = raw if isinstance(raw, list) else [raw]
    groups = []
    taken: dict[str, str] = {}
    standby_names = _standby_names(system.root)
    root = system.root
    for i, item in enumerate(items):
        where = "repair" if not isinstance(raw, list) else f"repair[{i}]"
        if not isinstance(item, dict) or set(item) - {"of", "crews", "policy"}:
            raise InputError(f"{where}: expected {{crews: 1, policy: fifo}} or a list of {{of: [a, b], crews: 1}}")
        crews = parse_count(item.get("crews", 1), f"{where}.crews")
        policy = item.get("policy", "fifo")
        if policy != "fifo":
            raise InputError(f"{where}.policy: only fifo (repairs in order of failure) is offered, got {policy!r}")
        if "of" in item:
            members = item["of"] if isinstance(item["of"], list) else [item["of"]]
            if not members:
                raise InputError(f"{where}.of: an empty group; list the components its crews repair")
        elif isinstance(raw, list):
            raise InputError(f"{where}: a group in a list needs 'of' (the components it repairs)")
        else:
            members = [n for n, c in system.components.items() if c.failure_rate is not None]
        for name in members:
            if not isinstance(name, str) or name not in system.components:
                raise InputError(f"{where}.of: unknown component {name!r}")
            if system.components[name].failure_rate is None:
                raise InputError(f"{where}.of: {name!r} has only an availability; shared repair needs MTBF and MTTR")
            if name in taken:
                raise InputError(f"{where}.of: {name!r} is already in {taken[name]} (one group per component)")
            taken[name] = where
        in_standby = [n for n in members if n in standby_names]
        if in_standby:
            if len(members) != 1:
                raise InputError(f"{where}: {in_standby[0]!r} is a standby block's component; give it a group of its own "
                                 "(its crews then serve the standby chain)")
            root = _set_standby_crews(root, members[0], crews)
            continue
        groups.append(RepairGroup(tuple(members), crews, policy, where))
    return replace(system, root=root, repair=tuple(groups))


def _standby_names(block) -> set[str]:
    if isinstance(block, Standby):
        return {block.name}
    found: set[str] = set()
    for child in getattr(block, "children", ()):
        found |= _standby_names(child)
    return found


def _set_standby_crews(block, name: str, crews: int):
    from dataclasses import replace

    if isinstance(block, Standby):
        return replace(block, crews=crews) if block.name == name else block
    if hasattr(block, "children"):
        return replace(block, children=tuple(_set_standby_crews(c, name, crews) for c in block.children))
    return block


def parse_block(raw: Any, where: str, depth: int = 1):
    """One block of the ``system`` tree; depth is checked before recursing."""
    if depth > MAX_DEPTH:
        place = where if len(where) <= 80 else f"{where[:40]} ... {where[-30:]}"
        raise InputError(f"{place}: nesting deeper than {MAX_DEPTH} levels (or a cycle through YAML aliases)")
    if isinstance(raw, str):
        return Use(raw, where)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise InputError(
            f"{where}: expected a component name or one of series, parallel, k_of_n, standby, network; got {_short(raw)}"
        )
    [(kind, body)] = raw.items()
    if kind in ("series", "parallel"):
        members = _members(body, f"{where}.{kind}", depth)
        return (Series if kind == "series" else Parallel)(members, f"{where}.{kind}")
    if kind == "k_of_n":
        place = f"{where}.k_of_n"
        if not isinstance(body, dict) or set(body) - K_OF_N_KEYS or "k" not in body or "of" not in body:
            raise InputError(f"{place}: expected {{k: 2, of: [a, b, c]}}")
        k = parse_count(body["k"], f"{place}.k", low=None)  # the model checks 1 <= k <= n
        of = body["of"] if isinstance(body["of"], list) else [body["of"]]
        return KofN(k, _members(of, f"{place}.of", depth), place)
    if kind == "standby":
        place = f"{where}.standby"
        if not isinstance(body, dict) or "of" not in body or set(body) - STANDBY_KEYS:
            raise InputError(f"{place}: expected {{of: app, active: 1, mode: cold|warm|hot, dormant_factor, switch, crews}}")
        if not isinstance(body["of"], str):
            raise InputError(f"{place}.of must name one component (with a count)")
        active = parse_count(body.get("active", 1), f"{place}.active", low=None)
        mode = body.get("mode", "cold")
        factor = body.get("dormant_factor", {"cold": 0.0, "hot": 1.0}.get(mode, 0.1))
        switch = body.get("switch", 1.0)
        factor = parse_number(factor, f"{place}.dormant_factor")
        switch = parse_number(switch, f"{place}.switch")
        crews = parse_count(body["crews"], f"{place}.crews") if "crews" in body else 0
        return Standby(body["of"], active, str(mode), factor, switch, place, crews)
    if kind == "network":
        return parse_network(body, f"{where}.network")
    raise InputError(f"{where}: unknown block {excerpt(kind)}; use series, parallel, k_of_n, standby or network")


def parse_network(body: Any, place: str) -> Network:
    """``{edges: [[component, from, to], ...], source, target, directed: false, nodes: {node: component}}``."""
    allowed = NETWORK_KEYS
    example = "{edges: [[link1, a, b], ...], source: a, target: z}"
    if not isinstance(body, dict) or set(body) - allowed:
        extra = sorted(map(str, set(body) - allowed))[0] if isinstance(body, dict) else None
        hint = f"unknown key {extra!r}; " if extra else ""
        raise InputError(f"{place}: {hint}expected {example}")
    for key in ("edges", "source", "target"):
        if key not in body:
            raise InputError(f"{place}: missing {key!r}; expected {example}")
    raw = body["edges"]
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{place}.edges: expected a non-empty list of [component, from, to]")
    edges = []
    for i, edge in enumerate(raw):
        if not isinstance(edge, list) or len(edge) != 3:
            raise InputError(f"{place}.edges[{i}]: expected [component, from, to], got {_short(edge)}")
        name, a, b = edge
        if name is not None and (not isinstance(name, str) or not name):
            raise InputError(f"{place}.edges[{i}]: the component must be a name (or null for a perfect link), got {name!r}")
        for node in (a, b):
            _check_node(node, f"{place}.edges[{i}]")
        a, b = str(a), str(b)  # node 1 and node "1" are the same router, as a person reads the file
        if a == b:
            raise InputError(f"{place}.edges[{i}]: an edge from {a!r} to itself")
        edges.append((name, a, b))
    for key in ("source", "target"):
        _check_node(body[key], f"{place}.{key}")
    directed = body.get("directed", False)
    if not isinstance(directed, bool):
        raise InputError(f"{place}.directed must be true or false, got {directed!r}")
    nodes = body.get("nodes") or {}
    if not isinstance(nodes, dict):
        raise InputError(f"{place}.nodes: expected a mapping of node to component, e.g. {{spine1: spine}}")
    named: dict[str, str] = {}
    for node, name in nodes.items():
        _check_node(node, f"{place}.nodes")
        if not isinstance(name, str) or not name:
            raise InputError(f"{place}.nodes.{node}: expected a component name, got {name!r}")
        if str(node) in named:
            raise InputError(f"{place}.nodes: node {str(node)!r} is given twice (as a number and as text)")
        named[str(node)] = name
    return Network(tuple(edges), str(body["source"]), str(body["target"]), directed, tuple(named.items()), place)


def _check_node(node: Any, where: str) -> None:
    if isinstance(node, bool) or not isinstance(node, (str, int)):
        raise InputError(f"{where}: a node is a name or a whole number, got {_short(node)}")


def _members(body: Any, where: str, depth: int) -> tuple:
    if not isinstance(body, list):
        raise InputError(f"{where}: expected a list of blocks, got {_short(body)}")
    if not body:
        raise InputError(f"{where}: empty block")
    return tuple(parse_block(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(body))


def _short(value: Any) -> str:
    return excerpt(value)  # bounded: a repr() of an aliased structure can be huge


# --- inline expressions --------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<kofn>[0-9]+\s*/\s*[0-9]+)|(?P<times>[0-9]+\s*x)(?=\s*[A-Za-z_(])|(?P<name>[A-Za-z_][\w.\-]*)|(?P<op>[*|(),&+]))"
)


def parse_expression(text: str) -> Any:
    """Parse the inline syntax into blocks (a recursive-descent parser, no eval).

    Grammar, loosest first::

        series   := parallel ('*' parallel)*          # '&' also means series
        parallel := term ('|' term)*                  # '+' also means parallel
        term     := name | 'N' 'x' name | 'K/N' name | 'K/N' '(' series (',' series)* ')'
                    | '(' series ')'

    ``3x app`` is three instances of app in parallel; ``2/3 db`` is a 2-of-3
    of three db instances; ``2/3 (a, b, c)`` a 2-of-3 of three blocks.
    Returns ``(root_block, counts)`` where ``counts`` maps a name to the
    number of instances the expression implies.
    """
    tokens = _tokenize(text)
    parser = _ExpressionParser(tokens, text)
    root = parser.series(1)
    if parser.pos != len(tokens):
        raise InputError(f"expression: unexpected {excerpt(tokens[parser.pos][1])} in {excerpt(text)}")
    return root, parser.counts


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if not match or match.end() == pos:
            raise InputError(f"expression: cannot read {excerpt(stripped[pos:].strip()[:20])} in {excerpt(text)}")
        kind = match.lastgroup
        tokens.append((kind, re.sub(r"\s+", "", match.group(kind))))
        pos = match.end()
    if not tokens:
        raise InputError("expression: empty")
    return tokens


class _ExpressionParser:
    def __init__(self, tokens: list[tuple[str, str]], text: str):
        self.tokens, self.text, self.pos = tokens, text, 0
        self.counts: dict[str, int] = {}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            found = "the end" if token is None else repr(token[1])
            raise InputError(f"expression: expected {excerpt(value or 'a block')}, found {found} in {excerpt(self.text)}")
        self.pos += 1
        return token

    def series(self, depth: int):
        if depth > MAX_DEPTH:
            raise InputError(f"expression: nesting deeper than {MAX_DEPTH} levels")
        items = [self.parallel(depth)]
        while self.peek() and self.peek()[1] in ("*", "&"):
            self.take()
            items.append(self.parallel(depth))
        return items[0] if len(items) == 1 else Series(tuple(items), "expression")

    def parallel(self, depth: int):
        items = [self.term(depth)]
        while self.peek() and self.peek()[1] in ("|", "+"):
            self.take()
            items.append(self.term(depth))
        return items[0] if len(items) == 1 else Parallel(tuple(items), "expression")

    def term(self, depth: int):
        kind, value = self.take()
        if kind == "name":
            self._count(value, 1)
            return Use(value, f"expression: {value}")
        if kind == "times":
            n = _whole(value[:-1], value)
            name = self._name()
            self._count(name, n)
            return Parallel((Use(name, f"expression: {value} {name}"),), f"expression: {value} {name}")
        if kind == "kofn":
            k, n = (_whole(x, value) for x in value.split("/"))
            if self.peek() and self.peek()[1] == "(":
                self.take("(")
                items = [self.series(depth + 1)]
                while self.peek() and self.peek()[1] == ",":
                    self.take(",")
                    items.append(self.series(depth + 1))
                self.take(")")
                if len(items) != n:
                    raise InputError(f"expression: {value} lists {len(items)} blocks, expected {n}")
                return KofN(k, tuple(items), f"expression: {value}")
            name = self._name()
            self._count(name, n)
            return KofN(k, (Use(name, f"expression: {value} {name}"),), f"expression: {value} {name}")
        if value == "(":
            inner = self.series(depth + 1)
            self.take(")")
            return inner
        raise InputError(f"expression: unexpected {excerpt(value)} in {excerpt(self.text)}")

    def _name(self) -> str:
        kind, value = self.take()
        if kind != "name":
            raise InputError(f"expression: expected a component name, found {excerpt(value)} in {excerpt(self.text)}")
        return value

    def _count(self, name: str, n: int) -> None:
        if n < 1:
            raise InputError(f"expression: {name} needs at least one instance")
        if n > MAX_INSTANCES:
            raise InputError(f"expression: {n:,} instances of {name}; at most {MAX_INSTANCES:,} are supported")
        known = self.counts.get(name)
        if known is not None and known != n and not (n == 1 or known == 1):
            raise InputError(f"expression: {name} is used with {known} and with {n} instances")
        self.counts[name] = max(n, known or 1)


def _whole(digits: str, token: str) -> int:
    """A count written in an expression; a number of more digits than any limit is refused unread."""
    if len(digits.lstrip("0")) > len(str(MAX_INSTANCES)):
        raise InputError(f"expression: {excerpt(token, 30, quote=False)}: at most {MAX_INSTANCES:,} instances are supported")
    return int(digits)


def parse_component_option(text: str, year_days: float = 365.0) -> Component:
    """``--component NAME=MTBF/MTTR`` or ``NAME=AVAILABILITY`` (e.g. ``lb=50000h/2h``, ``power=99.999%``)."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or not value.strip():
        raise InputError(f"--component: expected NAME=MTBF/MTTR or NAME=AVAILABILITY, got {excerpt(text)}")
    where = f"--component {name}"
    if "/" in value:
        up, down = value.split("/", 1)
        return component_from_mapping(name, {"mtbf": up.strip(), "mttr": down.strip()}, where, year_days)
    return component_from_mapping(name, {"availability": value.strip()}, where, year_days)


def apply_set(system: System, assignment: str, year_days: float = 365.0) -> System:
    """``--set NAME.PARAM=VALUE``: a what-if change of one component parameter."""
    target, sep, value = assignment.partition("=")
    name, dot, param = target.strip().rpartition(".")
    if not sep or not dot or not name:
        raise InputError(f"--set: expected NAME.PARAM=VALUE such as app.mttr=1h, got {excerpt(assignment)}")
    if name not in system.components:
        raise InputError(f"--set {assignment}: unknown component {excerpt(name)}")
    if param not in COMPONENT_KEYS:
        raise InputError(f"--set {assignment}: unknown parameter {excerpt(param)}; use {', '.join(sorted(COMPONENT_KEYS))}")
    old = system.components[name]
    params: dict[str, Any] = {"count": old.count, "weibull_shape": old.weibull_shape,
                              "lognormal_sigma": old.lognormal_sigma}
    if old.failure_rate is not None:
        params.update(mtbf=old.mtbf_hours, mttr=old.mttr_hours)
    else:
        params["availability"] = repr(old.availability)
    value = value.strip()
    if param in ("count", "weibull_shape", "lognormal_sigma"):
        params[param] = value  # read, with the rest, by component_from_mapping
    elif param == "availability":
        params = {"availability": value, "count": old.count, "weibull_shape": old.weibull_shape,
                  "lognormal_sigma": old.lognormal_sigma}
    else:
        if old.failure_rate is None:
            raise InputError(f"--set {assignment}: {excerpt(name)} has only an availability; set availability instead")
        pair = {"mtbf": "failure_rate", "failure_rate": "mtbf", "mttr": "repair_rate", "repair_rate": "mttr"}
        params.pop(pair[param], None)
        params.pop(param, None)
        params[param] = value
    updated = system.with_component(component_from_mapping(name, params, f"--set {name}", year_days))
    updated.validate()
    return updated
