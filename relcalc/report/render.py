"""Rendering a :class:`~.analysis.ServiceAnalysis`: charts (each drawn once), tables, HTML and Markdown.

Returns the report's files as bytes by relative path; writing them is
:mod:`.writer`'s job. Charts are SVG (text stays text, scales to any slide,
deterministic bytes) and embedded in the HTML as data URIs, so report.html
opens offline on its own; ``png=True`` adds a PNG of each (200 dpi, 16:9).
Everything a user typed (names, descriptions) is escaped: by Jinja2 in the
HTML, by :func:`markdown_escape` in the Markdown (viewers render raw HTML).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..units import format_duration, format_percent
from . import tables as T
from .analysis import ServiceAnalysis, importance_cycles


@dataclass
class Chart:
    name: str
    title: str
    svg: bytes
    png: bytes | None = None

    @property
    def path(self) -> str:
        return f"charts/{self.name}.svg"

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


@dataclass
class Section:
    key: str
    title: str
    intro: str
    charts: list[Chart] = field(default_factory=list)
    tables: list[T.Table] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Provenance:
    """What the footer states, so a reader can reproduce the report."""

    version: str
    source: str  #: the input file's name
    sha256: str  #: of the input file's bytes
    date: str  #: YYYY-MM-DD (UTC), from SOURCE_DATE_EPOCH when set


def provenance(source: str, data: bytes) -> Provenance:
    from .. import __version__
    from ..errors import InputError

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            when = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise InputError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {epoch[:40]!r}") from None
    else:
        when = _dt.datetime.now(_dt.timezone.utc)
    return Provenance(__version__, source, hashlib.sha256(data).hexdigest(), when.strftime("%Y-%m-%d"))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def markdown_escape(value: Any) -> str:
    """Text shown literally by Markdown viewers, HTML-rendering ones included (no tags, no links, no tables broken)."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"[\r\n]+", " ", text)
    return _MD_SPECIAL.sub(r"\\\1", text)


class _Charts:
    """Draws each chart once, as SVG (and PNG when asked), and closes nothing it does not own."""

    def __init__(self, png: bool):
        self.png = png
        self.made: list[Chart] = []

    def add(self, section: Section, name: str, title: str, build: Callable[[], Any]) -> None:
        from ..charts.style import to_bytes

        fig = build()
        chart = Chart(name, title, to_bytes(fig, "svg"), to_bytes(fig, "png") if self.png else None)
        section.charts.append(chart)
        self.made.append(chart)


def _summary(a: ServiceAnalysis, charts: _Charts) -> Section:
    from ..charts.availability import improvements, nines_map

    section = Section("summary", "Summary", "")
    section.tables = T.summary(a)
    if a.single_points:
        section.tables.append(T.single_points(a))
    if a.improvements:
        section.tables.insert(0, T.improvements(a))
        charts.add(section, "fix-first", "What to do first: downtime a year each change saves", lambda: improvements(
            [i.action for i in a.improvements], [i.saved_hours for i in a.improvements], a.downtime_per_year_hours))
    year = a.calendar.year_hours
    point = label = None
    note = ""
    if a.failures_per_year > 0:
        f = a.failures_per_year / year
        point = (a.availability / f, a.unavailability / f)
        from ..charts.style import short_duration

        label = f"{a.spec.name}: MTBF {short_duration(point[0])}, MTTR {short_duration(point[1])}"
        note = (f"white dot: the service as one unit failing {a.failures_per_year:,.3g} times a year"
                + (f" ({a.elections_per_year:,.3g} of them leader elections of seconds)" if a.elections_per_year
                   else "") + "; MTBF = A/f, MTTR = U/f")
    charts.add(section, "nines-map", "Where the service stands against the target", lambda: nines_map(
        a.spec.target[1], point=point, point_label=label, note=note))
    return section


def _diagram(a: ServiceAnalysis, charts: _Charts) -> Section:
    from ..charts.compose import diagram

    section = Section("diagram", "Block diagram", "The service's components and how they depend on each other, "
                      "evaluated exactly (shared components included).")
    charts.add(section, "diagram", "The block diagram", lambda: diagram(a.spec.system, a.diagram, a.spec.name))
    section.tables = [T.importance(a)]
    section.assumptions = [
        "components fail and are repaired independently, each with its own repair crew"
        + (" except where a repair group shares crews (its members' exact queue chain)" if a.spec.system.repair else ""),
        "components keep failing while the system is down (steady state of two-state components)",
        "improvement potential is the unavailability removed if the instance never failed",
    ]
    return section


_METHOD_WORDS = {"crude": "crude sampling", "importance": "importance sampling", "exact": "the exact Markov chain"}


def _store(a: ServiceAnalysis, charts: _Charts) -> Section:
    from ..charts.raft import outages, sweep, timeline

    store, model = a.store, a.spec.raft
    run = store.result
    budget = (f"{store.years:,.0f} simulated years" if store.method == "crude" else
              f"at most {importance_cycles(model.nodes):,} cycles" if store.method == "importance" else "no sampling")
    section = Section("raft", "Raft store", (
        f"A {model.nodes}-node Raft cluster (quorum {model.quorum}); writes need a majority serving and a leader. "
        f"Method: {_METHOD_WORDS.get(store.method, store.method)}" +
        (f", seed {a.seed}, {budget}" if store.method != "exact" else "") + "."))
    if store.sample_year is not None:
        charts.add(section, "raft-year", "The worst sampled year", lambda: timeline(
            store.sample_year, f"; {store.sample_year_rank}", title="The worst of the sampled years"))
    charts.add(section, "raft-sizes", "Quorum unavailability by cluster size", lambda: sweep(list(store.sizes)))
    if run.outage_histogram is not None and run.outage_histogram.sum() > 0:
        percentiles = {name: getattr(run, f"{name}_outage_hours") for name in ("p50", "p95", "p99")}
        charts.add(section, "raft-outages", "Outage durations",
                   lambda: outages(run.outage_histogram, percentiles=percentiles))
    section.tables = T.store(a)
    section.assumptions = [
        "nodes fail and are repaired independently (zones aside); a failed zone stops its nodes serving",
        "an election is rounds of random timeouts among the serving nodes plus one round trip, retried on split votes",
        "the store is in series with the block diagram: the service needs both",
    ] + list(run.notes)
    return section


def _capacity(a: ServiceAnalysis, charts: _Charts) -> Section:
    from ..capacity import assumptions
    from ..charts.capacity import growth, utilization_latency
    from .analysis import binding_in_words

    c = a.capacity
    section = Section("capacity", "Capacity", (
        f"{float(a.spec.cluster.rate):,.6g} requests per second; each constraint gives a node count, the largest "
        f"decides: {c.answer.nodes} nodes, bound by {binding_in_words(c.answer.binding_constraint, c.answer.figures)} "
        f"({c.answer.binding_constraint})."
        + (" The survivors are checked after the worse of the tolerated failures, side by side with the healthy "
           "cluster." if c.answer.figures.failure_scenario is not None else "")))
    charts.add(section, "capacity", "Nodes, utilisation and latency",
               lambda: utilization_latency(a.spec.cluster, c.sizing))
    if c.projection is not None:
        charts.add(section, "growth", "Growth", lambda: growth(c.projection))
    section.tables = T.capacity(a)
    # the core's sentences, with its command-line options spelled as the spec's keys
    section.assumptions = [re.sub(r"--([a-z][a-z-]*)", lambda m: "capacity." + m.group(1).replace("-", "_"), text)
                           for text in assumptions(a.spec.cluster)]
    return section


def _uncertainty(a: ServiceAnalysis) -> Section:
    r = a.uncertainty.result
    store = ("; the Raft store's nodes too, the store in series" if a.uncertainty.store_nodes is not None else
             "; the Raft store keeps its typed figures" if a.store is not None else "")
    section = Section("uncertainty", "Uncertainty from the incident history", (
        f"{', '.join(sorted(a.uncertainty.found.posteriors))} take their MTBF and MTTR from "
        f"{a.uncertainty.found.source}{store}. {r.method}; the {r.confidence * 100:g}% intervals are the draws' "
        f"equal-tailed quantiles (seed {r.seed}). "
        + (f"{r.dominant} dominates the uncertainty." if r.dominant else "")))
    section.tables = T.uncertainty(a)
    section.assumptions = [
        "a component's failures are a Poisson process over the window (one MTBF for the type, all instances)",
        "a share is the first-order share of the variance of the system's unavailability (shares need not sum "
        "to 1)",
    ] + list(r.notes)
    return section


def _state(a: ServiceAnalysis) -> str:
    states = {v.state for v in a.verdicts}
    return "fail" if "fail" in states else "warn" if "warn" in states else "pass"


def _headline(a: ServiceAnalysis) -> str:
    failed = a.failed
    if failed:
        names = "; ".join(f"{v.name}: {v.detail}" for v in failed)
        return f"Misses {len(failed)} of {len(a.verdicts)} targets: {names}."
    warned = [v for v in a.verdicts if v.state == "warn"]
    if warned:
        return "Meets every target today; but " + "; ".join(v.detail for v in warned) + "."
    return "Meets every target."


def context(a: ServiceAnalysis, prov: Provenance, png: bool = False) -> tuple[dict, list[Chart]]:
    """The templates' context and the charts drawn for it."""
    charts = _Charts(png)
    summary = _summary(a, charts)
    sections = [_diagram(a, charts)]
    if a.store is not None:
        sections.append(_store(a, charts))
    if a.capacity is not None:
        sections.append(_capacity(a, charts))
    if a.uncertainty is not None:
        sections.append(_uncertainty(a))
    methods = ["block diagram: exact (structure function)"]
    if a.store is not None:
        methods.append(f"Raft store: {_METHOD_WORDS.get(a.store.method, a.store.method)}")
    if a.capacity is not None:
        methods.append("capacity: M/M/c per node (Erlang C)" if a.capacity.answer.figures.exact_queue is not False
                       else "capacity: G/G/c per node (Allen-Cunneen approximation)")
    ctx = {
        "service": a.spec.name,
        "description": a.spec.description,
        "state": _state(a),
        "headline": _headline(a),
        "availability_text": format_percent(a.availability, a.unavailability),
        "target_text": format_percent(*a.spec.target),
        "nines": a.nines,
        "downtime_text": format_duration(a.downtime_per_year_hours),
        "budget_text": format_duration(a.budget_per_year_hours),
        "diagram_text": format_percent(a.diagram.availability, a.diagram.unavailability),
        "store_text": None if a.store is None else format_percent(1 - a.store.unavailability,
                                                                  a.store.unavailability),
        "interval": T.interval_texts(a),
        "dominant": None if a.uncertainty is None else _dominant(a.uncertainty.result),
        "single_points": _single_points_text(a),
        "verdicts": a.verdicts,
        "improvements": [{"action": i.action, "after": format_duration(i.downtime_after_hours),
                          "saved": format_duration(i.saved_hours)} for i in a.improvements[:5]],
        "more_improvements": max(0, len(a.improvements) - 5),
        "summary": summary,
        "sections": sections,
        "provenance": prov,
        "seeds": f"{a.seed}",
        "methods": "; ".join(methods),
        "year_days": f"{a.spec.year_days:g}",
        "png": png,
    }
    return ctx, charts.made


def _single_points_text(a: ServiceAnalysis) -> str:
    points = a.single_points
    if not points:
        return ("No single point of failure: no one component instance"
                + (", store node or zone" if a.store is not None else "") + " takes the service down alone.")
    share = sum(p.unavailability for p in points) / a.unavailability if a.unavailability > 0 else None
    names = ", ".join(p.name for p in points)
    return (f"Single point{'s' if len(points) > 1 else ''} of failure: {names}; each alone takes the service down"
            + (f" (together {share * 100:.0f}% of its downtime)" if share is not None and share <= 1 else "") + ".")


def _dominant(r) -> str | None:
    if not r.shares:
        return None
    top = r.shares[0]
    return f"{top.name} ({top.variance_share * 100:.0f}% of the variance)"


def _environment(markdown: bool):
    import jinja2

    if markdown:
        return jinja2.Environment(loader=jinja2.PackageLoader("relcalc.report", "templates"), autoescape=False,
                                  trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                                  finalize=markdown_escape, keep_trailing_newline=True)
    return jinja2.Environment(loader=jinja2.PackageLoader("relcalc.report", "templates"), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def _csv(table: T.Table) -> bytes:
    from ..files import write_csv

    handle = io.StringIO(newline="")
    write_csv(handle, table.columns, table.rows)
    return handle.getvalue().encode("utf-8")


def render(a: ServiceAnalysis, prov: Provenance, png: bool = False) -> dict[str, bytes]:
    """The report's files (relative path to bytes): report.html, report.md, charts/*, tables/*."""
    ctx, charts = context(a, prov, png)
    files: dict[str, bytes] = {}
    for chart in charts:
        files[chart.path] = chart.svg
        if chart.png is not None:
            files[f"charts/{chart.name}.png"] = chart.png
    for section in [ctx["summary"], *ctx["sections"]]:
        for table in section.tables:
            files[table.csv] = _csv(table)
    files["report.html"] = _environment(False).get_template("report.html.j2").render(**ctx).encode("utf-8")
    files["report.md"] = _environment(True).get_template("report.md.j2").render(**ctx).encode("utf-8")
    return files


__all__ = ["Provenance", "markdown_escape", "provenance", "render"]
