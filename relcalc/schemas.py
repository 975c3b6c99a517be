"""The keys of a compose spec and of a report's service file, in one place: loaders, JSON Schemas and `validate`.

The loaders (:mod:`relcalc.rbd.spec`, :mod:`relcalc.report.spec`) take their
key sets from here; :func:`json_schema` builds the JSON Schemas from the same
tables, so the two cannot drift apart; :func:`problems` lists every problem
of a file, each with its place, for ``relcalc validate``.

The schemas check shape (keys, nesting, which values are text, numbers or
quantities such as ``4h``); the loaders check meaning as well (a component
used but never defined, k larger than its members, a rate that is zero).
The JSON files shipped in ``relcalc/jsonschema/`` are :func:`json_schema`'s
output, written by ``python -m relcalc.schemas`` (a test keeps them equal).
"""

from __future__ import annotations

from typing import Any

from .errors import InputError
from .units import NUMBER, UNIT

# --- what each value is ---------------------------------------------------------------------------
#: Kinds of value: "number" a plain number; "quantity" a number with an optional unit (4h, 2/y, 99.9%);
#: "count" a whole number; "text"; "boolean"; "layout" (2,2,1 or a list); a tuple lists the words allowed.

#: A component of the block diagram.
COMPONENT = {
    "availability": "quantity",
    "mtbf": "quantity",
    "mttr": "quantity",
    "failure_rate": "quantity",
    "repair_rate": "quantity",
    "count": "count",
    "weibull_shape": "number",
    "lognormal_sigma": "number",
}
COMPONENT_KEYS = frozenset(COMPONENT)
#: The top level of a compose spec.
SPEC_KEYS = frozenset(("components", "system", "name", "description", "repair"))
#: The blocks of the ``system`` tree and the keys of those written as mappings.
BLOCKS = ("series", "parallel", "k_of_n", "standby", "network")
K_OF_N_KEYS = frozenset(("k", "of"))
STANDBY_MODES = ("cold", "warm", "hot")
STANDBY = {"of": "text", "active": "count", "mode": STANDBY_MODES, "dormant_factor": "number", "switch": "number",
           "crews": "count"}
STANDBY_KEYS = frozenset(STANDBY)
#: A network block (relcalc.rbd.network): edges [component or null, from, to], the two ends, nodes' components.
NETWORK_KEYS = frozenset(("edges", "source", "target", "directed", "nodes"))
#: A repair group (relcalc.rbd.repair): the whole diagram's, or one of a list with ``of``.
REPAIR = {"crews": "count", "policy": ("fifo",)}

#: The top level of a service file (relcalc report) and its sections.
SERVICE_KEYS = frozenset(("service", "description", "targets", "components", "system", "repair", "raft", "capacity",
                          "year_days", "from_incidents"))
#: ``from_incidents:`` as a mapping (relcalc.estimate.hooks): the history, its window and zone, the store's name.
FROM_INCIDENTS = {"file": "text", "window": "text", "tz": "text", "raft": "text"}
SERVICE_REQUIRED = ("service", "targets", "components", "system")
TARGET_KEYS = frozenset(("availability", "latency"))
#: The Raft model's inputs (relcalc.raft.inputs.KEYS; a test keeps them equal) and the report's extras.
RAFT = {
    "nodes": "count", "mtbf": "quantity", "mttr": "quantity", "ttf": "text", "ttr": "text",
    "repair_crews": "count", "zones": "count", "layout": "layout", "zone_mtbf": "quantity",
    "zone_mttr": "quantity", "election_timeout": "text", "rtt": "quantity", "common_cause": "quantity",
    "shock_per_zone": "boolean", "permanent": "quantity", "replace_time": "quantity",
    "restart_every": "quantity", "restart_duration": "quantity",
}
RAFT_METHODS = ("auto", "crude", "importance", "exact")
RAFT_EXTRA_KINDS = {"method": RAFT_METHODS, "years": "number", "seed": "count", "target_rel_error": "number"}
RAFT_EXTRA = frozenset(RAFT_EXTRA_KINDS)
BALANCERS = ("round-robin", "least-connections", "random", "two-choices", "ring")
CAPACITY = {
    "rate": "quantity", "node_throughput": "quantity", "service_time": "quantity", "concurrency": "count",
    "balance_factor": "number", "balancer": BALANCERS, "sessions": "count", "target_utilization": "quantity",
    "failover_utilization": "quantity", "tolerate_failures": "count", "zones": "count", "usl": "text",
    "nodes": "count", "growth": "text", "horizon": "quantity", "wait": "text", "service_level": "text",
    "service_time_dist": ("exponential", "lognormal", "gamma", "fixed"), "service_time_p99": "quantity",
    "service_time_cv": "number", "arrival_cv": "number",
}
CAPACITY_KEYS = frozenset(CAPACITY)

# --- JSON Schema ----------------------------------------------------------------------------------
#: A number as text, and a quantity as text: ECMA-262 patterns of relcalc.units' grammar.
#: Every number these files hold is a size, a time, a rate or a share: none is negative (an editor
#: marks "-5h" at once; the loader, which also refuses zero where it must, says why).
_UNSIGNED = NUMBER.replace("[+-]?", "[+]?", 1)
_PLAIN = rf"^\s*{_UNSIGNED}\s*$"
_QUANTITY = rf"^\s*{_UNSIGNED}\s*(?:{UNIT})?\s*$"
SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def _value(kind: Any) -> dict:
    if isinstance(kind, tuple):
        return {"enum": list(kind)}
    if kind == "text":
        return {"type": "string"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "layout":
        return {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer", "minimum": 1}}]}
    pattern = _PLAIN if kind in ("number", "count") else _QUANTITY
    number = {"type": "number", "minimum": 0}
    if kind == "count":
        number = {"type": "number", "multipleOf": 1, "minimum": 0}  # 3.0 is 3, as a CSV cell may give it
    return {"anyOf": [number, {"type": "string", "pattern": pattern}]}


def _section(kinds: dict, required: tuple = (), description: str = "") -> dict:
    out = {"type": "object", "properties": {key: _value(kind) for key, kind in kinds.items()},
           "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def _defs() -> dict:
    component = _section(COMPONENT, description="mtbf and mttr (or failure_rate and repair_rate), or an availability")
    component = {"anyOf": [component, {"type": "null"}]}  # an empty entry: its numbers come from --components
    members = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/block"}}

    def one(kind: str, body: dict) -> dict:
        return {"type": "object", "properties": {kind: body}, "required": [kind], "additionalProperties": False}

    k_of_n = {"type": "object", "properties": {"k": _value("count"), "of": {
        "anyOf": [{"type": "string"}, members]}}, "required": ["k", "of"], "additionalProperties": False}
    standby = _section(STANDBY, required=("of",))
    node = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    edge = {"type": "array", "prefixItems": [{"type": ["string", "null"]}, node, node], "minItems": 3,
            "maxItems": 3}
    network = {"type": "object", "properties": {
        "edges": {"type": "array", "minItems": 1, "items": edge}, "source": node, "target": node,
        "directed": {"type": "boolean"}, "nodes": {"type": "object", "additionalProperties": {"type": "string"}}},
        "required": ["edges", "source", "target"], "additionalProperties": False}
    block = {"anyOf": [{"type": "string", "description": "a component's name"}, one("series", members),
                       one("parallel", members), one("k_of_n", k_of_n), one("standby", standby),
                       one("network", network)]}
    return {"component": component, "block": block}


def json_schema(kind: str) -> dict:
    """The JSON Schema (draft 2020-12) of a compose spec (``kind="compose"``) or a service file (``"service"``)."""
    components = {"type": "object", "additionalProperties": {"$ref": "#/$defs/component"}}
    group = _section(REPAIR)
    group_of = {**group, "properties": {**group["properties"], "of": {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}},
        "required": ["of"]}
    repair = {"anyOf": [group, {"type": "array", "minItems": 1, "items": group_of}]}
    common = {"components": components, "system": {"$ref": "#/$defs/block"}, "description": {"type": "string"},
              "repair": repair}
    if kind == "compose":
        properties = {**common, "name": {"type": "string"}}
        title, required = "relcalc compose spec", ["system"]
    elif kind == "service":
        raft = _section({**RAFT, **RAFT_EXTRA_KINDS})
        properties = {
            "service": {"type": "string", "minLength": 1},
            **common,
            "targets": _section({"availability": "quantity", "latency": "text"}, required=("availability",)),
            "raft": {"anyOf": [raft, {"type": "null"}]},
            "capacity": {"anyOf": [_section(CAPACITY, required=("rate",)), {"type": "null"}]},
            "year_days": {"enum": [365, 365.25, "365", "365.25"]},
            "from_incidents": {"anyOf": [{"type": "string", "minLength": 1},
                                         _section(FROM_INCIDENTS, required=("file",))]},
        }
        title, required = "relcalc report service file", list(SERVICE_REQUIRED)
    else:
        raise InputError(f"schema: unknown kind {kind!r}; use compose or service")
    return {"$schema": SCHEMA_URL, "title": title,
            "type": "object", "properties": properties, "required": required, "additionalProperties": False,
            "$defs": _defs()}


def schema_text(kind: str) -> str:
    """The schema as the shipped file holds it: indented JSON, keys in order, a final newline."""
    import json

    return json.dumps(json_schema(kind), indent=2) + "\n"


# --- every problem of a file ----------------------------------------------------------------------
def kind_of(data: Any) -> str:
    """``service`` for a file with a service or targets section, else ``compose``."""
    return "service" if isinstance(data, dict) and ("service" in data or "targets" in data) else "compose"


def problems(data: Any, kind: str, base_dir: str | None = None) -> list[str]:
    """Every problem of a loaded spec, each message naming its place; [] for a file the loader takes.

    Problems of shape are collected throughout (every unknown key, every bad
    value of every component, every bad block); the loader's checks of the
    raft and capacity sections name the key at fault, so each section is
    checked again without it until it passes or fails for a reason no
    single key explains (:func:`_every_problem`). The loader's checks of
    meaning then run on what is left.
    """
    found: list[str] = []

    def attempt(call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except InputError as exc:
            if str(exc) not in found:
                found.append(str(exc))
            return None

    if not isinstance(data, dict):
        return [f"expected a mapping of sections, got {type(data).__name__}"]
    allowed = SERVICE_KEYS if kind == "service" else SPEC_KEYS
    for key in data:
        if key not in allowed:
            found.append(f"{key}: unknown key; use {', '.join(sorted(allowed))}")
    required = SERVICE_REQUIRED if kind == "service" else ("system",)
    for key in required:
        if key not in data:
            found.append(f"missing section {key!r}")
    year_days = 365.0
    if kind == "service" and "year_days" in data:
        year_days = attempt(_year_days, data["year_days"]) or 365.0
    history = kind == "service" and data.get("from_incidents") is not None
    names = _component_problems(data.get("components"), year_days, attempt, history)
    if "system" in data:
        _block_problems(data["system"], "system", names, found, 1)
    if kind == "service":
        _service_problems(data, year_days, found, attempt)
    if not found:  # the loader's checks of meaning (k against members, standby counts, ...)
        if kind == "service":
            from .report.spec import load_service_mapping

            attempt(load_service_mapping, data, base_dir=base_dir)
        else:
            from .rbd.spec import system_from_mapping

            attempt(system_from_mapping, data, year_days=year_days)
    return found


def _year_days(value: Any) -> float:
    from .units import parse_number

    days = parse_number(value, "year_days")
    if days not in (365.0, 365.25):
        raise InputError(f"year_days must be 365 or 365.25, got {value!r}")
    return days


def _component_problems(raw: Any, year_days: float, attempt, history: bool = False) -> set[str]:
    from .estimate.hooks import RATE_KEYS
    from .rbd.spec import component_from_mapping

    if raw is None:
        return set()
    if not isinstance(raw, dict):
        attempt(_fail, "components: expected a mapping of name to parameters")
        return set()
    for name, params in raw.items():
        if history and (params is None or (isinstance(params, dict) and not set(params) & RATE_KEYS)):
            continue  # its figures come from the incident history, checked when the service is loaded
        where = f"components.{name}"
        if isinstance(params, dict) and not _component_values(params, where, year_days, attempt):
            continue  # its values are refused one by one; what they mean together waits for them
        if params is not None:
            attempt(component_from_mapping, str(name), params, where, year_days)
    return {str(name) for name in raw}


def _component_values(params: dict, where: str, year_days: float, attempt) -> bool:
    """Read each value of a component with the loader's own parser; False if any is refused."""
    from .units import parse_count, parse_duration, parse_number, parse_probability, parse_rate_per_hour

    parsers = {
        "availability": lambda v, n: parse_probability(v, n),
        "mtbf": lambda v, n: parse_duration(v, n, year_days=year_days),
        "mttr": lambda v, n: parse_duration(v, n, year_days=year_days),
        "failure_rate": lambda v, n: parse_rate_per_hour(v, n, year_days=year_days),
        "repair_rate": lambda v, n: parse_rate_per_hour(v, n, year_days=year_days),
        "count": lambda v, n: parse_count(v, n),
        "weibull_shape": lambda v, n: parse_number(v, n),
    }
    good = True
    for key, value in params.items():
        if key in parsers and attempt(lambda: parsers[key](value, f"{where}.{key}") or True) is None:
            good = False
    return good


def _every_problem(check, body: dict, section: str, attempt) -> None:
    """Run a section's loader check, and again without each key it refuses, so every bad key is named.

    The loader stops at its first problem. A message naming ``section.key``
    blames that key: it is set aside and the check runs again. It stops when
    the section passes, or fails over a key already set aside (``missing
    rate`` once ``rate`` was refused: not a new problem), or over no key.
    """
    import re

    remaining, set_aside = dict(body), []
    for _ in range(len(body) + 1):
        try:
            check(remaining)
            return
        except InputError as exc:
            message = str(exc)
        if any(re.search(rf"\b{re.escape(key)}\b", message) for key in set_aside):
            return
        attempt(_fail, message)
        blamed = [key for key in remaining if re.search(rf"\b{re.escape(section)}\.{re.escape(key)}\b", message)]
        if not blamed:
            return
        for key in blamed:
            del remaining[key]
        set_aside.extend(blamed)


def _fail(message: str) -> None:
    raise InputError(message)


def _block_problems(raw: Any, where: str, names: set[str], found: list[str], depth: int) -> None:
    """Every problem of a block tree: unknown blocks and keys, empty lists, names no component has."""
    if depth > 200:
        found.append(f"{where}: nesting deeper than 200 levels")
        return
    if isinstance(raw, str):
        if raw not in names:
            found.append(f"{where}: unknown component {raw!r}")
        return
    if not isinstance(raw, dict) or len(raw) != 1:
        found.append(f"{where}: expected a component name or one of {', '.join(BLOCKS)}")
        return
    [(kind, body)] = raw.items()
    place = f"{where}.{kind}"
    if kind in ("series", "parallel"):
        members = body
    elif kind == "k_of_n":
        if not isinstance(body, dict):
            found.append(f"{place}: expected {{k: 2, of: [a, b, c]}}")
            return
        found.extend(f"{place}.{key}: unknown key; use k and of" for key in body if key not in K_OF_N_KEYS)
        found.extend(f"{place}: missing {key!r}" for key in sorted(K_OF_N_KEYS) if key not in body)
        members = body.get("of", [])
        members = members if isinstance(members, list) else [members]
        place += ".of"
    elif kind == "network":
        from .rbd.model import split_reference
        from .rbd.spec import parse_network

        try:
            block = parse_network(body, place)
        except InputError as exc:
            found.append(str(exc))
            return
        found.extend(f"{place}: unknown component {split_reference(ref)[0]!r}" for ref in block.references
                     if split_reference(ref)[0] not in names)
        return
    elif kind == "standby":
        if not isinstance(body, dict):
            found.append(f"{place}: expected {{of: app, active: 1, mode: cold|warm|hot}}")
            return
        found.extend(f"{place}.{key}: unknown key; use {', '.join(sorted(STANDBY_KEYS))}"
                     for key in body if key not in STANDBY_KEYS)
        if "of" not in body:
            found.append(f"{place}: missing 'of'")
        elif not isinstance(body["of"], str):
            found.append(f"{place}.of must name one component (its count gives the units), got {body['of']!r}")
        elif body["of"] not in names:
            found.append(f"{place}.of: unknown component {body['of']!r}")
        if body.get("mode", "cold") not in STANDBY_MODES:
            found.append(f"{place}.mode: {body['mode']!r}; use {', '.join(STANDBY_MODES)}")
        return
    else:
        found.append(f"{where}: unknown block {kind!r}; use {', '.join(BLOCKS)}")
        return
    if not isinstance(members, list) or not members:
        found.append(f"{place}: expected a non-empty list of blocks")
        return
    for i, member in enumerate(members):
        _block_problems(member, f"{place}[{i}]", names, found, depth + 1)


def _service_problems(data: dict, year_days: float, found: list[str], attempt) -> None:
    from .report import spec as service

    name = data.get("service")
    if "service" in data and (not isinstance(name, str) or not name.strip()):
        found.append(f"service: expected a name, got {name!r}")
    targets = data.get("targets")
    if isinstance(targets, dict):
        found.extend(f"targets.{key}: unknown key; use availability, latency" for key in targets
                     if key not in TARGET_KEYS)
        if "availability" not in targets:
            found.append("targets: missing 'availability' (e.g. 99.95%)")
        else:
            from .units import parse_probability

            attempt(parse_probability, targets["availability"], "targets.availability")
    elif "targets" in data:
        found.append("targets: expected a mapping with availability (and latency)")
    latency = targets.get("latency") if isinstance(targets, dict) else None
    for section, keys, check in (("raft", set(RAFT) | RAFT_EXTRA, lambda s: service._raft(s, year_days)),
                                 ("capacity", CAPACITY_KEYS, lambda s: service._capacity(s, latency))):
        body = data.get(section)
        if body is None:
            continue
        if not isinstance(body, dict):
            found.append(f"{section}: expected a mapping")
            continue
        unknown = [f"{section}.{key}: unknown key; use {', '.join(sorted(keys))}" for key in body if key not in keys]
        found.extend(unknown)
        if not unknown:
            _every_problem(check, body, section, attempt)


def main() -> None:  # pragma: no cover - run by hand after changing the tables
    """Write the shipped schemas: ``python -m relcalc.schemas``."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent / "jsonschema"
    folder.mkdir(exist_ok=True)
    for kind in ("compose", "service"):
        (folder / f"{kind}.schema.json").write_text(schema_text(kind))


if __name__ == "__main__":  # pragma: no cover
    main()
