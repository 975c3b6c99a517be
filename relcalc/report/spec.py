"""The service description behind ``relcalc report``: one YAML file, checked place by place.

```yaml
service: checkout                  # required: a name
description: ...                   # optional
targets:                           # required
  availability: 99.95%             # required
  latency: p99<=200ms              # optional; used by capacity
components: {...}                  # required: as in relcalc compose
system: {...}                      # required: the block diagram
raft: {nodes: 5, mtbf: 2000h, ...} # optional: the keys of relcalc simulate raft, plus method, years, seed
capacity: {rate: 12k, ...}         # optional: the keys of relcalc capacity, plus nodes, growth, horizon
from_incidents: incidents.csv      # optional: components' MTBF/MTTR from a history, with 90% intervals;
                                   # or {file, window, tz, raft: NAME} (NAME: the store's nodes' history)
```

Every error names its place (``raft.mttr``, ``capacity.rate``,
``system.series[2].k_of_n``) and is an :class:`InputError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, excerpt
from ..rbd.model import System
from ..rbd.spec import load_spec_text, system_from_mapping
from ..units import parse_count, parse_number, parse_probability

#: Seeds go to numpy's SeedSequence, which takes any whole number >= 0; this
#: bound keeps them to 64 bits.
MAX_SEED = 2**64 - 1
#: The most simulated years a report runs per store analysis (the store, n - 2, n + 2, each improvement).
MAX_YEARS = 10_000_000.0

# the keys, shared with the JSON Schema and `relcalc validate`
from ..schemas import CAPACITY_KEYS, RAFT_EXTRA, TARGET_KEYS  # noqa: E402
from ..schemas import SERVICE_KEYS as TOP_KEYS  # noqa: E402


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    description: str
    target: tuple[float, float]  # (availability, unavailability)
    target_text: str
    latency: str | None
    system: System
    raft: Any = None  # a RaftModel
    raft_method: str = "auto"
    raft_years: float = 100_000.0
    raft_rel_error: float = 0.1
    seed: int = 1
    cluster: Any = None  # a capacity Cluster
    current_nodes: int | None = None
    growth: float | None = None  # monthly factor
    growth_text: str | None = None
    horizon_months: int = 12
    year_days: float = 365.0
    raft_inputs: dict = field(default_factory=dict)
    #: relcalc.uncertainty.ServiceUncertainty from ``from_incidents`` (None without the key)
    uncertainty: Any = None
    #: what report_uncertainty needs to draw again under another --seed
    incidents_input: Any = field(default=None, compare=False, repr=False)


def _mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _unknown(section: dict, allowed: set[str], where: str) -> None:
    extra = sorted(str(k) for k in section if k not in allowed)
    if extra:
        raise InputError(f"{where}.{extra[0]}: unknown key; use {', '.join(sorted(allowed))}")


def load_service(text: str, source: str = "service", base_dir: str | None = None) -> ServiceSpec:
    """Parse and check a service description (``base_dir``: where ``from_incidents`` paths are read from)."""
    return load_service_mapping(load_spec_text(text, source), source, base_dir)


def load_service_mapping(data: dict, source: str = "service", base_dir: str | None = None) -> ServiceSpec:
    """Check a service description already read from YAML or JSON.

    With ``from_incidents`` the components the history names (given without
    figures of their own) take their MTBF and MTTR from it, and the spec
    carries the intervals (:func:`relcalc.uncertainty.report_uncertainty`);
    with ``from_incidents.raft`` the Raft store's node MTBF and MTTR too.
    """
    _unknown(data, TOP_KEYS, source)
    for key in ("service", "targets", "components", "system"):
        if key not in data:
            raise InputError(f"{source}: missing section {excerpt(key)}")
    name = data["service"]
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"service: expected a name, got {excerpt(name)}")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise InputError("description: expected text")
    year_days = parse_number(data.get("year_days", 365.0), "year_days")
    if year_days not in (365.0, 365.25):
        raise InputError(f"year_days must be 365 or 365.25, got {excerpt(data['year_days'])}")
    targets = _mapping(data["targets"], "targets")
    _unknown(targets, TARGET_KEYS, "targets")
    if "availability" not in targets:
        raise InputError("targets: missing 'availability' (e.g. 99.95%)")
    target = parse_probability(targets["availability"], "targets.availability")
    target_text = str(targets["availability"])
    latency = targets.get("latency")
    if latency is not None and not isinstance(latency, str):
        raise InputError("targets.latency: expected text such as p99<=200ms")
    spec = dict(name=name.strip(), description=description.strip(), target=target, target_text=target_text,
                latency=latency, year_days=year_days)
    raft = data.get("raft")
    seed = 1
    if raft is not None and _mapping(raft, "raft").get("seed") is not None:
        seed = parse_count(raft["seed"], "raft.seed", low=0, high=MAX_SEED)
    uncertainty = None
    if data.get("from_incidents") is not None:
        if data.get("repair") is not None:
            raise InputError("repair: shared crews do not go with from_incidents yet (its intervals assume a crew "
                             "per component); remove one of them")
        uncertainty, raft = _from_incidents(data, base_dir, year_days, seed)
        spec.update(uncertainty=uncertainty, incidents_input=(data, base_dir or "."))
        system = uncertainty.system
    else:
        shared = {"repair": data["repair"]} if data.get("repair") is not None else {}
        system = system_from_mapping({"components": data["components"], "system": data["system"], **shared},
                                     year_days=year_days)
    spec["system"] = system
    if raft is not None:
        spec.update(_raft(_mapping(raft, "raft"), year_days))
    if data.get("capacity") is not None:
        spec.update(_capacity(_mapping(data["capacity"], "capacity"), latency))
    return ServiceSpec(**spec)


def service_uncertainty(data: dict, base_dir: str, year_days: float, seed: int):
    """:func:`relcalc.uncertainty.report_uncertainty` for a service file (10,000 draws, 90% intervals)."""
    from ..uncertainty import report_uncertainty

    return report_uncertainty(data, base_dir=base_dir, year_days=year_days, seed=seed)


def _from_incidents(data: dict, base_dir: str | None, year_days: float, seed: int):
    """The intervals, and the raft section with the store's node MTBF/MTTR from the history when it names one."""
    result = service_uncertainty(data, base_dir or ".", year_days, seed)
    raft = data.get("raft")
    if result.found.store_component is None:
        return result, raft
    # the store's point analysis must use the figures its interval is drawn around: the history's
    given = sorted(k for k in ("mtbf", "mttr", "ttf") if k in raft)
    if given:
        raise InputError(f"raft.{given[0]}: the store's nodes take their MTBF and MTTR from the history of "
                         f"{result.found.store_component!r} (from_incidents.raft); remove raft.{given[0]}")
    from ..estimate.hooks import store_history

    crews = parse_count(raft.get("repair_crews", 0), "raft.repair_crews", low=0)
    post = store_history(result.found, result.store_nodes, crews).posterior
    return result, {**raft, "mtbf": f"{post.mtbf_hours!r}h", "mttr": f"{post.mttr_hours!r}h"}


def _raft(section: dict, year_days: float) -> dict:
    from ..raft.inputs import KEYS, model_grid
    from ..schemas import RAFT_METHODS as METHODS  # not raft.methods: it loads numba and scipy (validate needs neither)

    _unknown(section, set(KEYS) | RAFT_EXTRA, "raft")
    inputs = {k: v for k, v in section.items() if k in KEYS}
    for key, value in inputs.items():
        if isinstance(value, (list, tuple, dict)) or (isinstance(value, str) and "," in value and key != "layout"):
            raise InputError(f"raft.{key}: one value, not a list (the report sweeps the cluster size itself)")
    models = model_grid(inputs, lambda key: f"raft.{key}", section="raft", year_days=year_days)
    method = section.get("method", "auto")
    if method not in METHODS:
        raise InputError(f"raft.method: unknown method {excerpt(method)}; use {', '.join(METHODS)}")
    out = {"raft": models[0], "raft_method": method, "raft_inputs": inputs}
    if "years" in section:
        out["raft_years"] = parse_number(section["years"], "raft.years", low=1.0)
        if out["raft_years"] > MAX_YEARS:
            raise InputError(f"raft.years must be at most {MAX_YEARS:,.0f} (about a minute of simulation per store "
                             f"analysis), got {section['years']!r}")
    if "seed" in section:
        out["seed"] = parse_count(section["seed"], "raft.seed", low=0, high=MAX_SEED)
    if "target_rel_error" in section:
        rel = parse_number(section["target_rel_error"], "raft.target_rel_error")
        if not 0 < rel < 1:
            raise InputError(f"raft.target_rel_error must be between 0 and 1, got {rel}")
        out["raft_rel_error"] = rel
    return out


def _capacity(section: dict, latency: str | None) -> dict:
    from ..capacity import BALANCERS, Cluster, check
    from ..capacity.parse import cluster_values, parse_growth, parse_months, parse_request_rate

    _unknown(section, CAPACITY_KEYS, "capacity")
    if "rate" not in section:
        raise InputError("capacity: missing 'rate' (the peak request rate, e.g. 12k)")
    values = cluster_values({**section, "latency": latency}, lambda key: "targets.latency" if key == "latency"
                            else f"capacity.{key}")
    values["rate"] = parse_request_rate(section["rate"], "capacity.rate")
    values.update(_service_law(section, values["service_time"]))
    balancer = section.get("balancer", "round-robin")
    if balancer not in BALANCERS:
        raise InputError(f"capacity.balancer: unknown policy {excerpt(balancer)}; use one of {', '.join(BALANCERS)}")
    cluster = Cluster(balancer=balancer, **values)
    problems = check(cluster)
    if problems:
        raise InputError(f"capacity: {problems[0][1]}")
    out: dict[str, Any] = {"cluster": cluster}
    if section.get("nodes") is not None:
        out["current_nodes"] = parse_count(section["nodes"], "capacity.nodes")
    if section.get("growth") is not None:
        out["growth"] = parse_growth(section["growth"], "capacity.growth")
        out["growth_text"] = str(section["growth"])
        out["horizon_months"] = parse_months(section.get("horizon", "12mo"), "capacity.horizon")
        try:  # checked here, before the report's simulations, not after them
            peak = values["rate"] * out["growth"] ** out["horizon_months"]
        except OverflowError:
            peak = float("inf")
        if not peak < float("inf"):
            raise InputError(f"capacity.growth: {excerpt(section['growth'])} over {out['horizon_months']} months takes "
                             "the request rate past 1e308 per second; check the growth and the horizon")
    elif section.get("horizon") is not None:
        raise InputError("capacity.horizon: needs capacity.growth")
    return out


def _service_law(section: dict, mean: float) -> dict:
    """The squared CVs of service and arrivals from ``service_time_dist/_p99/_cv`` and ``arrival_cv``.

    The report is analytic: a law other than exponential, or bursty arrivals, gives the
    Allen-Cunneen figures (labelled in the assumptions), as ``relcalc capacity --method analytic``.
    """
    from ..capacity.parse import parse_seconds
    from ..capacity.service import service_time

    law, p99, cv = (section.get(k) for k in ("service_time_dist", "service_time_p99", "service_time_cv"))
    out = {}
    if law is not None or p99 is not None or cv is not None:
        if law == "empirical":
            raise InputError("capacity.service_time_dist: empirical needs measured samples, which the report does "
                             "not read; give lognormal or gamma with service_time_p99 or service_time_cv")
        p99_s = None if p99 is None else parse_seconds(p99, "capacity.service_time_p99")
        cv_f = None if cv is None else parse_number(cv, "capacity.service_time_cv")
        try:
            law_fit = service_time(law, None if math.isnan(mean) else mean, p99_s, cv_f)
        except InputError as e:  # the core names the command-line options; say where in the spec
            raise InputError(f"capacity: {e}".replace("--service-time-dist", "service_time_dist")
                             .replace("--service-time-p99", "service_time_p99")
                             .replace("--service-time-cv", "service_time_cv")
                             .replace("--service-time", "service_time")) from None
        out["service_scv"] = law_fit.scv
    if section.get("arrival_cv") is not None:
        arrival = parse_number(section["arrival_cv"], "capacity.arrival_cv")
        if not (arrival >= 0 and math.isfinite(arrival)):
            raise InputError(f"capacity.arrival_cv must be >= 0 and finite, got {section['arrival_cv']!r}")
        out["arrival_scv"] = arrival * arrival
    return out
