"""The report's tables, built from a :class:`~.analysis.ServiceAnalysis`: one for CSV, the same for people.

CSV columns are snake_case names that carry their unit (``downtime_per_year_hours``),
counts are integers, and an interval is two columns (``..._ci95_low``,
``..._ci95_high``), so a table loads into a spreadsheet or pandas as it is.
The people's version of each cell is formatted text (``28m 44s``, ``99.9945%``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..units import format_duration, format_percent


@dataclass(frozen=True)
class Table:
    name: str  #: the CSV's file name without .csv
    title: str
    columns: tuple[str, ...]  #: snake_case with units, for CSV
    rows: tuple[tuple[Any, ...], ...]  #: exact values (None for empty)
    headers: tuple[str, ...]  #: for people
    text: tuple[tuple[str, ...], ...]  #: for people
    shown: tuple[int, ...] = ()  #: the CSV columns the people's cells stand for, in order (all when empty)

    @property
    def csv(self) -> str:
        return f"tables/{self.name}.csv"

    @property
    def numeric(self) -> tuple[bool, ...]:
        """Per column: every value is a number (right-aligned for people)."""
        def number(v):
            return isinstance(v, (int, float)) and not isinstance(v, bool)

        columns = [[row[i] for row in self.rows] for i in (self.shown or range(len(self.columns)))]
        return tuple(all(number(v) or v is None for v in c) and any(number(v) for v in c) for c in columns)


def _sig(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:,.{digits}g}"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.4g} ms"


def _pct(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.1f}%"


def _duration(hours: float | None) -> str:
    """Hours for people: 2h 17m 54s, or years past two of them (an MTTF of 57.4 years, not 20952d 10h)."""
    if hours is None or not math.isfinite(hours):
        return "-" if hours is None else "inf"
    return f"{hours / 8760:,.3g} years" if hours >= 2 * 8760 else format_duration(hours)


_LABELS = {"write_unavailability": "write unavailability", "quorum_unavailability": "quorum unavailability",
           "quorum_losses_per_year": "quorum losses a year", "mean_outage_hours": "mean outage",
           "p99_outage_hours": "p99 outage", "mttf_from_all_up_hours": "MTTF from all up",
           "elections_per_year": "elections a year", "data_losses_per_year": "data losses a year"}


def _int(value) -> int | None:
    return None if value is None else int(value)


def summary(a) -> list[Table]:
    """The one-row summary (for many services, rows concatenate) and the verdicts."""
    target_a, target_u = a.spec.target
    cols: list[tuple[str, Any, str, str]] = [  # (column, value, header, text)
        ("service", a.spec.name, "service", a.spec.name),
        ("availability", a.availability, "availability", format_percent(a.availability, a.unavailability)),
        ("unavailability", a.unavailability, "unavailability", f"{a.unavailability:.3g}"),
        ("unavailability_ci95_low", a.unavailability_ci95[0], "95% interval",
         f"{_sig(a.unavailability_ci95[0], 3)} to {_sig(a.unavailability_ci95[1], 3)}"),
        ("unavailability_ci95_high", a.unavailability_ci95[1] if math.isfinite(a.unavailability_ci95[1]) else None,
         None, None),
        ("nines", a.nines, "nines", f"{a.nines:.2f}"),
        ("downtime_per_year_hours", a.downtime_per_year_hours, "downtime a year",
         format_duration(a.downtime_per_year_hours)),
        *_interval_columns(a),
        ("target_availability", target_a, "target", format_percent(target_a, target_u)),
        ("downtime_budget_per_year_hours", a.budget_per_year_hours, "budget a year",
         format_duration(a.budget_per_year_hours)),
        ("diagram_unavailability", a.diagram.unavailability, "diagram unavailability",
         f"{a.diagram.unavailability:.3g}"),
        ("store_unavailability", a.store.unavailability if a.store else None, "store unavailability",
         f"{a.store.unavailability:.3g}" if a.store else "-"),
    ]
    if a.capacity is not None:
        answer = a.capacity.answer
        cols += [("nodes_needed", _int(answer.nodes), "nodes needed", f"{answer.nodes}"),
                 ("binding_constraint", answer.binding_constraint, "bound by", answer.binding_constraint),
                 ("nodes_today", _int(a.capacity.current_nodes), "nodes today",
                  "-" if a.capacity.current_nodes is None else f"{a.capacity.current_nodes}")]
    cols.append(("meets_every_target", a.meets, "meets every target", "yes" if a.meets else "no"))
    shown = [i for i, c in enumerate(cols) if c[2] is not None]  # people read an interval as one cell
    one = Table("summary", "The service in one row", tuple(c[0] for c in cols), (tuple(c[1] for c in cols),),
                tuple(cols[i][2] for i in shown), (tuple(cols[i][3] for i in shown),), tuple(shown))
    verdicts = Table("verdicts", "Verdicts", ("verdict", "state", "achieved", "target", "detail"),
                     tuple((v.name, v.state, v.achieved, v.target, v.detail) for v in a.verdicts),
                     ("verdict", "state", "achieved", "target", "why"),
                     tuple((v.name, v.state, v.achieved, v.target, v.detail) for v in a.verdicts))
    return [verdicts, one]


def nines(u: float) -> float:
    return math.inf if u <= 0 else -math.log10(u)


def interval_texts(a) -> dict[str, str] | None:
    """The 90% interval from the incident history of availability, downtime a year and nines, for people."""
    if a.interval is None:
        return None
    (a_low, u_high), (a_high, u_low) = a.interval
    year = a.calendar.year_hours

    def n(u):
        v = nines(u)
        return "inf" if math.isinf(v) else f"{v:.2f}"

    return {"availability": f"{format_percent(a_low, u_high)} to {format_percent(a_high, u_low)}",
            "downtime": f"{format_duration(u_low * year)} to {format_duration(u_high * year)}",
            "nines": f"{n(u_high)} to {n(u_low)}"}


def _interval_columns(a) -> list[tuple[str, Any, Any, Any]]:
    """The summary's 90% interval columns (empty without from_incidents, so summaries still concatenate)."""
    if a.interval is None:
        values: tuple = (None,) * 6
    else:
        (a_low, u_high), (a_high, u_low) = a.interval
        year = a.calendar.year_hours
        finite = [None if math.isinf(v) else v for v in (nines(u_high), nines(u_low))]
        values = (a_low, a_high, u_low * year, u_high * year, *finite)
    texts = interval_texts(a)
    return [
        # people see the column only when there is an interval; the CSV always has it
        ("availability_p90_low", values[0], "90% interval (incident history)" if texts else None,
         texts["availability"] if texts else None),
        ("availability_p90_high", values[1], None, None),
        ("downtime_per_year_p90_low_hours", values[2], None, None),
        ("downtime_per_year_p90_high_hours", values[3], None, None),
        ("nines_p90_low", values[4], None, None),
        ("nines_p90_high", values[5], None, None),
    ]


def uncertainty(a) -> list[Table]:
    """The components taken from the history, and the share of the system's variance each explains."""
    su = a.uncertainty
    r = su.result
    taken = sorted(su.found.posteriors.items())
    figures = Table(
        "from-incidents", f"Figures from the incident history ({su.found.source})",
        ("component", "mtbf_hours", "mttr_hours", "instances"),
        tuple((name, p.mtbf_hours, p.mttr_hours, _int(su.found.components[name].count)) for name, p in taken),
        ("component", "MTBF per instance", "MTTR", "instances"),
        tuple((name, _duration(p.mtbf_hours), _duration(p.mttr_hours), str(su.found.components[name].count))
              for name, p in taken))
    pct = f"{r.confidence * 100:g}%"
    shares = Table(
        "uncertainty", f"Whose uncertainty dominates: share of the variance of the system's unavailability "
        f"({r.samples:,} draws)",
        ("component", "variance_share", "unavailability_p90_low", "unavailability_p90_high"),
        tuple((s.name, s.variance_share, s.unavailability_low, s.unavailability_high) for s in r.shares),
        ("component", "share of variance", f"its unavailability, {pct} interval"),
        tuple((s.name, _pct(s.variance_share), f"{_sig(s.unavailability_low, 3)} to "
               f"{_sig(s.unavailability_high, 3)}") for s in r.shares))
    return [figures, shares]


def single_points(a) -> Table:
    year = a.calendar.year_hours
    points = a.single_points
    return Table(
        "single-points", "Single points of failure: each alone takes the service down",
        ("name", "part", "unavailability", "downtime_per_year_hours", "share_of_service_downtime", "why"),
        tuple((p.name, p.part, p.unavailability, p.downtime_per_year_hours,
               p.unavailability / a.unavailability if a.unavailability > 0 else None, p.why) for p in points),
        ("failure", "in", "unavailability", "downtime a year alone", "of the service's downtime", "why"),
        tuple((p.name, p.part, f"{p.unavailability:.3g}", format_duration(p.unavailability * year),
               _pct(p.unavailability / a.unavailability) if a.unavailability > 0 else "-", p.why)
              for p in points))


def improvements(a) -> Table:
    imps = a.improvements
    return Table(
        "improvements", "What to do first: every candidate change, most downtime saved first",
        ("rank", "change", "changes", "downtime_per_year_after_hours", "saved_per_year_hours"),
        tuple((i + 1, m.action, m.target, m.downtime_after_hours, m.saved_hours) for i, m in enumerate(imps)),
        ("#", "change", "of", "downtime a year after", "saves a year"),
        tuple((str(i + 1), m.action, m.target, format_duration(m.downtime_after_hours),
               format_duration(m.saved_hours)) for i, m in enumerate(imps)))


def importance(a, top: int = 10) -> Table:
    year = a.calendar.year_hours
    items = a.diagram.importance[:top]
    return Table(
        "importance", "Component instances ranked by improvement potential (the diagram alone)",
        ("component_instance", "improvement_potential", "improvement_potential_minutes_per_year", "birnbaum",
         "criticality", "fussell_vesely"),
        tuple((i.name, i.improvement_potential, i.improvement_potential * year * 60, i.birnbaum, i.criticality,
               i.fussell_vesely) for i in items),
        ("instance", "improvement potential", "min a year", "Birnbaum", "criticality", "Fussell-Vesely"),
        tuple((i.name, f"{i.improvement_potential:.3g}", f"{i.improvement_potential * year * 60:,.3g}",
               f"{i.birnbaum:.3g}", f"{i.criticality:.3g}", f"{i.fussell_vesely:.3g}") for i in items))


def _bounds(interval) -> tuple[float | None, float | None]:
    b = interval.bounds
    if not b:
        return None, None
    return b[0], (b[1] if math.isfinite(b[1]) else None)


def store(a) -> list[Table]:
    run = a.store.result
    model = a.spec.raft
    figures = [
        ("write_unavailability", run.unavailability, None),
        ("quorum_unavailability", run.quorum_unavailability, run.exact_quorum_unavailability),
        ("quorum_losses_per_year", run.quorum_losses_per_year, run.exact_quorum_losses_per_year),
        ("mean_outage_hours", run.mean_outage_hours, run.exact_mean_outage_hours),
        ("p99_outage_hours", run.p99_outage_hours, run.exact_p99_outage_hours),
        ("mttf_from_all_up_hours", run.mttf_hours, run.exact_mttf_hours),
        ("elections_per_year", run.elections_per_year, None),
    ]
    if model.permanent > 0:
        figures.append(("data_losses_per_year", run.data_loss_per_year, run.exact_data_loss_per_year))
    rows, text = [], []
    for name, interval, exact in figures:
        low, high = _bounds(interval)
        rows.append((name, interval.value, low, high, exact))
        human = _duration if name.endswith("_hours") else _sig
        text.append((_LABELS[name], human(interval.value),
                     "-" if low is None and high is None else
                     f"{human(low) if low is not None else '-'} to {human(high) if high is not None else 'inf'}",
                     "-" if exact is None else human(exact)))
    figures_table = Table("raft", "Raft store figures", ("figure", "estimate", "ci95_low", "ci95_high", "exact"),
                          tuple(rows), ("figure", "estimate", "95% interval", "exact"), tuple(text))
    sizes = []
    for p in a.store.sizes:
        q, w = _bounds(p.quorum_unavailability), _bounds(p.unavailability)
        sizes.append((p.model.nodes, p.method, p.quorum_unavailability.value, q[0], q[1], p.unavailability.value,
                      w[0], w[1]))
    by_size = Table(
        "raft-sizes", "By cluster size (same method, work budget and seed)",
        ("nodes", "method", "quorum_unavailability", "quorum_unavailability_ci95_low",
         "quorum_unavailability_ci95_high", "write_unavailability", "write_unavailability_ci95_low",
         "write_unavailability_ci95_high"),
        tuple(sizes), ("nodes", "method", "quorum unavailability", "95% interval", "write unavailability"),
        tuple((str(s[0]), s[1], _sig(s[2]), "-" if s[3] is None and s[4] is None else
               f"{_sig(s[3])} to {_sig(s[4])}", _sig(s[5])) for s in sizes))
    return [figures_table, by_size]


#: The capacity figures shown for the healthy cluster and its survivors: (CSV name, label, healthy, survivor, format).
_STATES = (
    ("utilization", "utilisation of the hottest node", "utilization", "utilization_after_failures", "pct"),
    ("utilization_cap", "utilisation cap", "target_utilization", "failover_utilization", "pct"),
    ("target_response_seconds", "response at the latency target", "target_response_seconds",
     "survivor_target_response_seconds", "ms"),
    ("p99_response_seconds", "p99 response", "p99_response_seconds", "survivor_p99_response_seconds", "ms"),
    ("mean_response_seconds", "mean response", "mean_response_seconds", "survivor_mean_response_seconds", "ms"),
    ("probability_of_wait", "P(wait > 0)", "probability_of_wait", "survivor_probability_of_wait", "pct"),
    ("mean_wait_seconds", "mean wait", "mean_wait_seconds", "survivor_mean_wait_seconds", "ms"),
    ("p99_wait_seconds", "p99 wait", "p99_wait_seconds", "survivor_p99_wait_seconds", "ms"),
    ("mean_queue_length", "queue length Lq", "mean_queue_length", "survivor_mean_queue_length", "sig"),
    ("service_level", "service level (wait within the target)", "service_level", "survivor_service_level", "pct"),
)


def _state_cells(fig, attr: str, kind: str, unstable: bool) -> tuple[Any, str]:
    value = None if fig is None else getattr(fig, attr)
    if value is None:
        return None, "unstable" if unstable and kind != "pct" else "-"
    return value, {"pct": _pct, "ms": _ms, "sig": _sig}[kind](value)


def capacity(a) -> list[Table]:
    from ..capacity import CONSTRAINTS
    from .analysis import binding_in_words, failure_in_words

    c = a.capacity
    answer = c.answer
    binding = answer.binding_constraint
    asked = [name for name in CONSTRAINTS if answer.nodes_for(name) is not None or name in ("throughput",
                                                                                           "utilization")]

    def decides(name: str) -> bool:
        return name == binding or (name.endswith("_after_failures") and binding.startswith(name[:-len("failures")]))

    constraints = Table(
        "constraints", f"Nodes per constraint (the largest, {answer.nodes}, is the answer)",
        ("constraint", "nodes", "binding"),
        tuple((name, _int(answer.nodes_for(name)), decides(name)) for name in asked),
        ("constraint", "nodes", "checks"),
        tuple((name, "-" if answer.nodes_for(name) is None else str(answer.nodes_for(name)),
               binding_in_words(binding if decides(name) else name, answer.figures)
               + (" (binding)" if decides(name) else "")) for name in asked))
    at, today = answer.figures, c.today
    facts = [
        ("work_c_nodes", "work C = R/T (nodes)", "capacity_c", _sig),
        ("balance_factor_k", "balance factor k", "balance_factor", _sig),
    ]
    rows, text = [], []
    for column, label, attr, human in facts:
        there = getattr(at, attr)
        now = None if today is None else getattr(today, attr)
        rows.append((column, there, None, now, None))
        text.append((label, human(there), "", human(now), ""))
    survivors = at.failure_scenario is not None
    for column, label, healthy, survivor, kind in _STATES:
        cells = []
        for fig in (at, today):
            h_unstable = fig is not None and fig.utilization >= 1
            s_unstable = fig is not None and survivors and (fig.utilization_after_failures is None
                                                            or fig.utilization_after_failures >= 1)
            cells += [_state_cells(fig, healthy, kind, h_unstable),
                      _state_cells(fig if survivors else None, survivor, kind, s_unstable)]
        if all(value is None for value, _ in cells) and not any(t == "unstable" for _, t in cells):
            continue
        rows.append((column, *(value for value, _ in cells)))
        text.append((label, *(t for _, t in cells)))
    after = f"after {failure_in_words(at)}" if survivors else "after failures (none asked)"
    head = f"with {c.current_nodes} nodes today" if today is not None else "today (capacity.nodes not given)"
    now = f"{c.current_nodes} nodes" if today is not None else "today"
    figures = Table("capacity", f"Hottest node at the answer ({answer.nodes} nodes) and {head}: healthy and {after}",
                    ("figure", "at_answer_healthy", "at_answer_survivors", "today_healthy", "today_survivors"),
                    tuple(rows),
                    ("figure", f"{answer.nodes} nodes healthy", f"{answer.nodes} nodes survivors",
                     f"{now} healthy", f"{now} survivors"),
                    tuple(text))
    tables = [constraints, figures]
    if c.projection is not None:
        months = c.projection.by_month()
        tables.append(Table(
            "growth", f"Growth at {a.spec.growth_text}", ("month", "rate_per_second", "nodes_needed",
                                                         "binding_constraint"),
            tuple((m.month, m.rate_per_second, _int(m.nodes_needed), m.binding_constraint) for m in months),
            ("month", "requests a second", "nodes needed", "bound by"),
            tuple((str(m.month), f"{m.rate_per_second:,.0f}", "-" if m.nodes_needed is None else str(m.nodes_needed),
                   m.binding_constraint or "-") for m in months)))
    return tables
