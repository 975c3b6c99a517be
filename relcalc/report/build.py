"""Build the capacity-review report of one service: analyses, charts, tables, HTML and Markdown.

The whole service is read from one YAML (:mod:`.spec`). The Raft store, when
there is one, is taken to be in series with the block diagram: the service
is up when the diagram is up and writes to the store succeed, independently.
Everything is written to a temporary directory beside the target and moved
into place at the end, so a failure leaves no partial report.
"""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..files import atomic_directory, write_csv
from ..units import format_duration, format_percent
from .spec import ServiceSpec

MARKER = "report.html"


@dataclass
class Section:
    key: str
    title: str
    intro: str
    charts: list[dict] = field(default_factory=list)  # {"name", "title", "png_b64"}
    tables: list[dict] = field(default_factory=list)  # {"title", "columns", "rows", "csv"}
    assumptions: list[str] = field(default_factory=list)


@dataclass
class Improvement:
    action: str
    downtime_before: float  # hours per year
    downtime_after: float

    @property
    def saved(self) -> float:
        return self.downtime_before - self.downtime_after


def _combine(u_diagram: float, u_store: float) -> tuple[float, float]:
    """Series of two independent parts: (availability, unavailability), U summed without cancellation."""
    a = (1.0 - u_diagram) * (1.0 - u_store)
    return a, u_diagram + u_store - u_diagram * u_store


class _Charts:
    """Saves each figure as PNG and SVG under charts/ and keeps the PNG for embedding."""

    def __init__(self, root: str):
        self.dir = os.path.join(root, "charts")
        os.makedirs(self.dir)
        self.made: list[str] = []

    def add(self, section: Section, name: str, title: str, fig) -> None:
        from ..charts import save

        png = os.path.join(self.dir, f"{name}.png")
        save(fig, png)
        save(fig, os.path.join(self.dir, f"{name}.svg"))
        with open(png, "rb") as handle:
            data = base64.b64encode(handle.read()).decode("ascii")
        section.charts.append({"name": name, "title": title, "png_b64": data, "path": f"charts/{name}.png"})
        self.made.append(name)


def _table(root: str, section: Section, name: str, title: str, columns: list[str], rows: list[list[Any]]) -> None:
    os.makedirs(os.path.join(root, "tables"), exist_ok=True)
    path = os.path.join(root, "tables", f"{name}.csv")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write_csv(handle, columns, ([v["raw"] if isinstance(v, dict) else v for v in row] for row in rows))
    shown = [[v["text"] if isinstance(v, dict) else ("-" if v is None else v) for v in row] for row in rows]
    section.tables.append({"title": title, "columns": columns, "rows": shown, "csv": f"tables/{name}.csv"})


def _cell(raw: Any, text: str) -> dict:
    """A table cell: the exact value for CSV, text for people."""
    return {"raw": raw, "text": text}


def _hours(hours: float) -> str:
    """A repair time for people: 2 h, 30 min, 45 s."""
    if hours >= 1:
        return f"{hours:g} h"
    if hours * 60 >= 1:
        return f"{hours * 60:g} min"
    return f"{hours * 3600:g} s"


def _sig(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:,.{digits}g}"


def build(spec: ServiceSpec, root: str) -> dict:
    """Run every analysis of ``spec`` and write charts and tables under ``root``; returns the template context."""
    from ..charts.availability import nines_map
    from ..charts.compose import diagram, pareto
    from ..rbd import evaluate

    charts = _Charts(root)
    sections: list[Section] = []
    from ..availability import Calendar

    calendar = Calendar(spec.year_days)
    year_hours = calendar.year_hours

    # --- the block diagram
    result = evaluate(spec.system, calendar=calendar)
    compose = Section("diagram", "Block diagram", "The service's components and how they depend on each other, "
                      "evaluated exactly (shared components included).")
    charts.add(compose, "diagram", "The block diagram", diagram(spec.system, result, spec.name))
    charts.add(compose, "fix-first", "What to fix first", pareto(result))
    rows = [[i.name, _cell(i.improvement_potential, f"{i.improvement_potential * year_hours * 60:,.3g} min/yr"),
             _cell(i.birnbaum, f"{i.birnbaum:.3g}"), _cell(i.criticality, f"{i.criticality:.3g}"),
             _cell(i.fussell_vesely, f"{i.fussell_vesely:.3g}")]
            for i in result.importance[:10]]
    _table(root, compose, "importance", "Components ranked by improvement potential",
           ["component", "improvement potential", "Birnbaum", "criticality", "Fussell-Vesely"], rows)
    compose.assumptions = [
        "components fail and are repaired independently, each with its own repair crew",
        "components keep failing while the system is down (steady state of two-state components)",
        "improvement potential is the unavailability removed if the component never failed",
    ]
    sections.append(compose)

    # --- the Raft store
    store = None
    if spec.raft is not None:
        store = _raft_section(spec, root, charts)
        sections.append(store["section"])
    u_store = store["unavailability"] if store else 0.0
    availability, unavailability = _combine(result.unavailability, u_store)
    target_a, target_u = spec.target

    # --- capacity
    capacity = None
    if spec.cluster is not None:
        capacity = _capacity_section(spec, root, charts)
        sections.append(capacity["section"])

    # --- improvements, ranked by downtime saved
    improvements = _improvements(spec, result, u_store, store, year_hours)[:3]

    summary = Section("summary", "Summary", "")
    # the service as one two-state unit: failures of the diagram plus write outages of the store
    frequency = result.failure_frequency_per_hour or 0.0
    if store:
        run = store["result"]
        frequency += ((run.quorum_losses_per_year.value or 0.0) + (run.elections_per_year.value or 0.0)) / year_hours
    point = (availability / frequency, unavailability / frequency) if frequency > 0 else None
    charts.add(summary, "nines-map", "Where the service stands (its equivalent MTBF and MTTR, white dot)",
               nines_map(target_u, point=point))
    downtime = unavailability * year_hours
    budget = target_u * year_hours
    summary_rows = [
        ["availability", _cell(availability, format_percent(availability, unavailability)),
         _cell(target_a, format_percent(target_a, target_u))],
        ["nines", _cell(-math.log10(unavailability), f"{-math.log10(unavailability):.2f}"),
         _cell(-math.log10(target_u), f"{-math.log10(target_u):.2f}")],
        ["downtime per year", _cell(downtime, format_duration(downtime)), _cell(budget, format_duration(budget))],
    ]
    if capacity:
        answer = capacity["answer"]
        p99 = answer.figures.p99_response_seconds
        summary_rows.append(["nodes needed", _cell(answer.nodes, f"{answer.nodes} ({answer.binding_constraint})"),
                             _cell(spec.current_nodes, "-" if spec.current_nodes is None else f"{spec.current_nodes} today")])
        if p99 is not None:
            summary_rows.append(["p99 response at that size", _cell(p99, f"{p99 * 1000:.4g} ms"),
                                 _cell(None, spec.latency or "-")])
    _table(root, summary, "summary", "Achieved against target", ["figure", "achieved", "target"], summary_rows)
    _table(root, summary, "improvements", "Top improvements",
           ["improvement", "downtime per year after", "saves per year"],
           [[imp.action, _cell(imp.downtime_after, format_duration(imp.downtime_after)),
             _cell(imp.saved, format_duration(imp.saved))] for imp in improvements])
    return {
        "service": spec.name,
        "description": spec.description,
        "meets": unavailability <= target_u,
        "availability_text": format_percent(availability, unavailability),
        "target_text": format_percent(target_a, target_u),
        "nines": -math.log10(unavailability),
        "downtime_text": format_duration(downtime),
        "budget_text": format_duration(budget),
        "diagram_text": format_percent(result.availability, result.unavailability),
        "store_text": None if not store else format_percent(1 - u_store, u_store),
        "store_unavailability": u_store if store else None,
        "capacity": capacity["record"] if capacity else None,
        "current_nodes": spec.current_nodes,
        "latency": spec.latency,
        "improvements": [{"action": i.action, "after": format_duration(i.downtime_after),
                          "saved": format_duration(i.saved)} for i in improvements],
        "summary": summary,
        "sections": sections,
        "charts": charts.made,
        "year_days": spec.year_days,
    }


def _raft_section(spec: ServiceSpec, root: str, charts: _Charts) -> dict:
    from ..charts.raft import outages, sweep, timeline
    from ..raft.engine import trace

    model = spec.raft
    run = _analyze_store(spec, model)
    section = Section("raft", "Raft store", (
        f"A {model.nodes}-node Raft cluster (quorum {model.quorum}); writes need a majority serving and a "
        f"leader. Method: {run.method}" + (f", seed {spec.seed}" if run.method != "exact" else "") + "."))
    charts.add(section, "raft-year", "A sample year",
               timeline(trace(model, seed=spec.seed, calendar=run.calendar), f"; seed {spec.seed}"))
    sizes = sorted({max(1, model.nodes - 2), model.nodes, model.nodes + 2})
    points = [run if n == model.nodes else _analyze_store(spec, _resized(model, n)) for n in sizes]
    charts.add(section, "raft-sizes", "Quorum unavailability by cluster size", sweep(points))
    if run.outage_histogram is not None and run.outage_histogram.sum() > 0:
        charts.add(section, "raft-outages", "Outage durations", outages(run.outage_histogram))

    def row(label, figure, exact=None):
        bounds = figure.bounds
        return [label, _cell(figure.value, _sig(figure.value)),
                "-" if not bounds else f"[{bounds[0]:.3g}, {bounds[1]:.3g}]", _sig(exact)]

    rows = [
        row("write unavailability", run.unavailability),
        row("quorum unavailability", run.quorum_unavailability, run.exact_quorum_unavailability),
        row("quorum losses per year", run.quorum_losses_per_year, run.exact_quorum_losses_per_year),
        row("mean outage (hours)", run.mean_outage_hours, run.exact_mean_outage_hours),
        row("MTTF from all up (hours)", run.mttf_hours, run.exact_mttf_hours),
        row("elections per year", run.elections_per_year),
    ]
    if model.permanent > 0:
        rows.append(row("data losses per year", run.data_loss_per_year, run.exact_data_loss_per_year))
    _table(root, section, "raft", "Raft store figures", ["figure", "estimate", "95% interval", "exact"], rows)
    _table(root, section, "raft-sizes", "By cluster size", ["nodes", "quorum unavailability", "write unavailability"],
           [[p.model.nodes, _cell(p.quorum_unavailability.value, _sig(p.quorum_unavailability.value)),
             _cell(p.unavailability.value, _sig(p.unavailability.value))] for p in points])
    section.assumptions = [
        "nodes fail and are repaired independently (zones aside); a failed zone stops its nodes serving",
        "an election is rounds of random timeouts among the serving nodes plus one round trip, retried on split votes",
        "the store is in series with the block diagram: the service needs both",
    ] + list(run.notes)
    return {"section": section, "unavailability": run.unavailability.value or 0.0, "result": run}


def _analyze_store(spec: ServiceSpec, model):
    """The store analysed the way the spec asks (method, years, seed, precision, the year's length)."""
    from ..availability import Calendar
    from ..raft.methods import analyze

    return analyze(model, method=spec.raft_method, years=spec.raft_years, seed=spec.seed,
                   target_rel_error=spec.raft_rel_error, max_seconds=60.0, calendar=Calendar(spec.year_days))


def _resized(model, nodes: int):
    """The same store with ``nodes`` nodes, dealt round robin over as many of its zones as they fill."""
    from ..raft.model import round_robin_layout

    zones = len(model.zones)
    return model.with_(nodes=nodes, layout=round_robin_layout(nodes, min(zones, nodes)) if zones > 1 else None)


def _capacity_section(spec: ServiceSpec, root: str, charts: _Charts) -> dict:
    from ..capacity import CONSTRAINTS, figures_at, project_growth, size
    from ..charts.capacity import growth as growth_chart
    from ..charts.capacity import utilization_latency
    from ..results import record

    cluster = spec.cluster
    sizing = size(cluster)
    if not sizing.reachable[0]:
        raise InputError(f"capacity: {sizing.unreachable[0]}")
    answer = sizing.at(0)
    fig = answer.figures

    def count(value: int | None) -> str:
        return "-" if value is None else f"{value}"

    section = Section("capacity", "Capacity", (
        f"{float(cluster.rate):,.6g} requests per second; each constraint gives a node count, the largest decides."))
    charts.add(section, "capacity", "Nodes, utilisation and latency", utilization_latency(cluster, sizing))
    rows = [[name, _cell(answer.nodes_for(name), count(answer.nodes_for(name)))] for name in CONSTRAINTS]
    _table(root, section, "constraints", f"Nodes per constraint (answer {answer.nodes}, binding: "
           f"{answer.binding_constraint})", ["constraint", "nodes"], rows)
    facts = [
        ["work C = R/T (nodes)", _cell(fig.capacity_c, _sig(fig.capacity_c))],
        ["balance factor k", _cell(fig.balance_factor, _sig(fig.balance_factor))],
        ["utilisation of the hottest node", _cell(fig.utilization, f"{fig.utilization * 100:.1f}%")],
    ]
    if fig.utilization_after_failures is not None:
        facts.append(["after the worst failure", _cell(fig.utilization_after_failures,
                                                        f"{fig.utilization_after_failures * 100:.1f}%")])
    for p, value in ((50, fig.p50_response_seconds), (95, fig.p95_response_seconds), (99, fig.p99_response_seconds)):
        if value is not None:
            facts.append([f"p{p} response", _cell(value, f"{value * 1000:.4g} ms")])
    _table(root, section, "capacity", "At the answer", ["figure", "value"], facts)
    summary = record(answer)
    if spec.current_nodes is not None:
        summary["current_utilization"] = figures_at(cluster, spec.current_nodes).at(0).utilization
    if spec.growth is not None:
        projection = project_growth(cluster, spec.growth, spec.horizon_months, spec.current_nodes)
        charts.add(section, "growth", "Growth", growth_chart(projection))
        _table(root, section, "growth", f"Growth at {spec.growth_text}", ["month", "rate per second", "nodes needed"],
               [[m.month, _cell(m.rate_per_second, f"{m.rate_per_second:,.0f}"),
                 _cell(m.nodes_needed, count(m.nodes_needed))]
                for m in projection.by_month()])
        summary["runs_out_after_months"] = projection.runs_out_after_months
    section.assumptions = [
        "each node has its own queue behind the balancer: the hottest node is an M/M/c queue",
        "failures are checked on the survivors with the post-failure imbalance; zones hold nodes round robin",
    ]
    return {"section": section, "record": summary, "answer": answer}


def _improvements(spec: ServiceSpec, result, u_store: float, store, year_hours: float) -> list[Improvement]:
    """Candidate changes and the downtime each leaves: halving each component's MTTR, a bigger store."""
    from ..rbd import evaluate

    before = _combine(result.unavailability, u_store)[1] * year_hours
    found: list[Improvement] = []
    for name, comp in spec.system.components.items():
        if comp.mttr_hours is None:
            continue
        system = spec.system.with_component(comp.with_mttr(comp.mttr_hours / 2))
        u = evaluate(system).unavailability
        found.append(Improvement(f"halve the MTTR of {name} ({_hours(comp.mttr_hours)} to "
                                 f"{_hours(comp.mttr_hours / 2)})", before,
                                 _combine(u, u_store)[1] * year_hours))
    if store is not None:
        model = spec.raft
        options = [(f"grow the Raft store from {model.nodes} to {model.nodes + 2} nodes",
                    _resized(model, model.nodes + 2)),
                   (f"halve the store nodes' MTTR ({_hours(model.ttr.mean)} to {_hours(model.ttr.mean / 2)})",
                    model.with_(ttr=type(model.ttr)(model.ttr.kind, model.ttr.mean / 2, model.ttr.shape)))]
        if model.crews:
            crews = f"{model.crews} crew" + ("s" if model.crews > 1 else "")
            options.append((f"repair store nodes in parallel (now {crews})", model.with_(crews=0)))
        for action, other in options:
            run = _analyze_store(spec, other)
            found.append(Improvement(action, before,
                                     _combine(result.unavailability, run.unavailability.value or 0.0)[1]
                                     * year_hours))
    found.sort(key=lambda imp: -imp.saved)
    return [imp for imp in found if imp.saved > 0]


def render(context: dict, root: str) -> None:
    """Write report.html (self-contained) and report.md from the templates."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("relcalc.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("report.html.j2").render(**context)
    with open(os.path.join(root, "report.html"), "w", encoding="utf-8") as handle:
        handle.write(html)
    md_env = jinja2.Environment(loader=jinja2.PackageLoader("relcalc.report", "templates"), autoescape=False,
                                trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    with open(os.path.join(root, "report.md"), "w", encoding="utf-8") as handle:
        handle.write(md_env.get_template("report.md.j2").render(**context))


def write_report(spec_path: str, out_dir: str) -> dict:
    """Read ``spec_path``, build the report in a temporary directory, and move it to ``out_dir``."""
    from .spec import load_service

    if spec_path == "-":
        import sys

        text, source = sys.stdin.read(), "stdin"
    else:
        try:
            with open(spec_path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise InputError(f"{spec_path}: file not found") from None
        except IsADirectoryError:
            raise InputError(f"{spec_path}: is a directory, not a service YAML") from None
        except UnicodeDecodeError:
            raise InputError(f"{spec_path}: not UTF-8 text") from None
        source = os.path.basename(spec_path)
    spec = load_service(text, source)
    target = os.path.abspath(out_dir)
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise InputError(f"-o: directory does not exist: {parent}")
    if os.path.exists(target):
        if not os.path.isdir(target):
            raise InputError(f"-o: {out_dir} exists and is not a directory")
        if os.listdir(target) and not os.path.exists(os.path.join(target, MARKER)):
            raise InputError(f"-o: {out_dir} is not empty and holds no relcalc report; choose another directory")
    with atomic_directory(target, option="-o") as work:
        context = build(spec, work)
        render(context, work)
    return context
