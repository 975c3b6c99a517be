"""``relcalc capacity``: size a cluster, project growth, fit the USL."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import ExitCode, InputError
from ..units import format_number
from .output import (
    ChartOption,
    FormatOption,
    OnError,
    OutputOption,
    check_chart_path,
    batch_exit_code,
    batch_table,
    emit,
    facts_table,
    problem,
    report_row_errors,
    row_names,
    warn,
)

if TYPE_CHECKING:
    from ..capacity import ClusterFigures

def assumptions(cluster, simulated: bool = False) -> list[str]:
    """What the answer assumes (see :func:`relcalc.capacity.notes.assumptions`)."""
    from ..capacity.notes import assumptions as notes

    return notes(cluster, simulated)


capacity_app = typer.Typer(
    name="capacity",
    help="Size a cluster from request rate, node throughput and balancing; project growth; fit the USL.",
    add_completion=False,
    pretty_exceptions_enable=False,
)


@capacity_app.callback(invoke_without_command=True)
def capacity_command(
    ctx: typer.Context,
    rate: Annotated[Optional[str], typer.Option("--rate", "-r", help="Peak request rate R: 12k, 12000/s, 720k/min (plain numbers are per second).")] = None,
    node_throughput: Annotated[Optional[str], typer.Option(help="Requests per second one node serves flat out (T).")] = None,
    service_time: Annotated[Optional[str], typer.Option(help="Mean service time S of one request, e.g. 40ms (plain numbers are seconds).")] = None,
    concurrency: Annotated[Optional[str], typer.Option(metavar="INT", help="Requests one node serves at once (c); with --service-time, T = c/S.")] = None,
    balance_factor: Annotated[Optional[str], typer.Option(metavar="FLOAT", help="The hottest node's share over the mean, k >= 1 (default 1, or from --balancer).")] = None,
    balancer: Annotated[str, typer.Option(help="Derive k from the policy: round-robin, least-connections, random, two-choices or ring.")] = "round-robin",
    sessions: Annotated[Optional[str], typer.Option(metavar="INT", help="Sticky sessions (connections, clients, keys) the balancer places; needed by random, two-choices, least-connections.")] = None,
    target_utilization: Annotated[Optional[str], typer.Option(help="Cap on the hottest node's utilisation, e.g. 0.7 or 70% (default 80%).")] = None,
    failover_utilization: Annotated[Optional[str], typer.Option(help="Cap on the hottest survivor's utilisation after failures (default 90%).")] = None,
    tolerate_failures: Annotated[Optional[str], typer.Option(metavar="INT", help="N+f: survive f node failures.")] = None,
    zones: Annotated[Optional[str], typer.Option(metavar="INT", help="Nodes spread round robin over this many zones; survive losing the largest.")] = None,
    latency: Annotated[Optional[str], typer.Option(help="Response-time target on the hottest node, healthy and after failures, e.g. p99<=200ms or mean<=50ms.")] = None,
    wait: Annotated[Optional[str], typer.Option(help="Wait-before-service target on the hottest node, healthy and after failures, e.g. p95<=50ms.")] = None,
    service_level: Annotated[Optional[str], typer.Option(help="Call-centre service level: at least 80% wait at most 20 s, written 80%@20s.")] = None,
    usl: Annotated[Optional[str], typer.Option(metavar="SIGMA,KAPPA", help="Scale by the Universal Scalability Law instead of linearly (see capacity fit).")] = None,
    nodes: Annotated[Optional[str], typer.Option(metavar="INT", help="The cluster you have: its figures, the rate it can take, when growth outruns it.")] = None,
    growth: Annotated[Optional[str], typer.Option(help="Traffic growth, e.g. 5%/month or 60%/year: nodes needed month by month.")] = None,
    horizon: Annotated[str, typer.Option(help="How far to project --growth: 18mo, 2y (plain numbers are months).")] = "12mo",
    csv: Annotated[Optional[str], typer.Option("--csv", metavar="FILE", help="Batch: one service per row, with columns such as name, rate, node_throughput; - for stdin. Options give defaults for absent cells.")] = None,
    on_error: Annotated[OnError, typer.Option(help="Bad CSV rows: skip them (reported, exit 3) or fail (write nothing, exit 2).")] = OnError.skip,
    service_time_dist: Annotated[Optional[str], typer.Option(metavar="LAW", help="Service-time law: exponential (default), lognormal, gamma, fixed or empirical.")] = None,
    service_time_p99: Annotated[Optional[str], typer.Option(help="The service time's p99 (with its mean, --service-time), e.g. 250ms: fixes a lognormal or gamma law.")] = None,
    service_time_cv: Annotated[Optional[str], typer.Option(metavar="FLOAT", help="The service time's coefficient of variation (standard deviation / mean), e.g. 2.")] = None,
    latency_samples: Annotated[Optional[str], typer.Option(metavar="FILE", help="CSV of measured service times (one column; seconds, or a column name ending in _ms); the empirical law.")] = None,
    arrival_cv: Annotated[Optional[str], typer.Option(metavar="FLOAT", help="Coefficient of variation of the time between requests: 1 is Poisson (default), above 1 bursty.")] = None,
    method: Annotated[str, typer.Option(help="analytic (M/M/c exact, else Allen-Cunneen), simulate (a compiled queue simulation behind the balancer), or auto: exact where it applies, simulation otherwise.")] = "auto",
    seed: Annotated[Optional[int], typer.Option(help="Simulation seed; the same seed gives the same numbers for any --workers (default 0).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Simulation threads.")] = 1,
    scheduler: Annotated[Optional[str], typer.Option(help="Where --method simulate runs its replications: local (default; --workers threads), dask-local:N (a Dask LocalCluster of N workers) or a Dask scheduler such as tcp://host:8786; default $RELCALC_SCHEDULER.")] = None,
    chart: ChartOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """How many nodes: throughput with imbalance, utilisation cap, N+f or zone loss, latency.

    C = R/T is the work in nodes; Q = N/k what N nodes deliver when the hottest
    node gets k times the mean share. Each constraint gives a node count; the
    largest is the answer, and its constraint is the binding one.
    """
    if ctx.invoked_subcommand is not None:
        return
    check_chart_path(chart)
    defaults = _option_defaults(
        node_throughput, service_time, concurrency, balance_factor, target_utilization, failover_utilization,
        tolerate_failures, zones, latency, usl, sessions, wait, service_level,
    )
    from .capacity_sim import resolve_method, service_law

    if csv is not None:
        from .capacity_sim import batch_variability

        defaults = {**defaults, **batch_variability(service_time_dist, service_time_p99, service_time_cv,
                                                    latency_samples), "arrival_scv": _arrival_scv(arrival_cv)}
    else:
        service = service_law(defaults, service_time_dist, service_time_p99, service_time_cv, latency_samples)
        defaults = {**defaults, "service_scv": service.scv, "service_time": service.mean_seconds
                    if service.law == "empirical" else defaults["service_time"],
                    "arrival_scv": _arrival_scv(arrival_cv)}
    if method not in ("analytic", "simulate", "auto"):
        raise InputError(f"--method: use analytic, simulate or auto, not {method!r}")
    if seed is not None and seed < 0:
        raise InputError(f"--seed must be >= 0, got {seed}")
    if csv is not None:
        if nodes is not None or growth is not None:
            raise InputError("--nodes and --growth apply to one service; in --csv give a current_nodes column")
        if method == "simulate":
            raise InputError("--method simulate sizes one service at a time; --csv uses the analytic figures")
        raise typer.Exit(_run_batch(csv, rate, balancer, defaults, on_error, fmt, output, chart))
    if rate is None:
        raise InputError("give --rate (the peak request rate), or --csv FILE")
    from ..capacity import parse_request_rate

    cluster = _cluster({**defaults, "rate": parse_request_rate(rate, "--rate")}, balancer)
    if resolve_method(method, cluster, service) == "simulate":
        if nodes is not None or growth is not None:
            raise InputError("--nodes and --growth use the analytic figures: add --method analytic")
        from .capacity_sim import run_simulated

        raise typer.Exit(run_simulated(cluster, service, seed or 0, workers, fmt, output,
                                       assumptions(cluster, simulated=True), scheduler))
    raise typer.Exit(_run_single(cluster, nodes, growth, horizon, fmt, output, chart))


def _arrival_scv(arrival_cv) -> float:
    if arrival_cv is None:
        return 1.0
    from ..units import parse_number

    cv = parse_number(arrival_cv, "--arrival-cv")
    if not (cv >= 0 and math.isfinite(cv)):
        raise InputError(f"--arrival-cv must be >= 0 and finite, got {arrival_cv}")
    return cv * cv


def _option_defaults(node_throughput, service_time, concurrency, balance_factor, target_utilization,
                     failover_utilization, tolerate_failures, zones, latency, usl, sessions, wait=None,
                     service_level=None) -> dict[str, float]:
    """The numeric Cluster fields given as options (missing ones are NaN or their default)."""
    from ..capacity.parse import cluster_values

    given = dict(node_throughput=node_throughput, service_time=service_time, concurrency=concurrency,
                 balance_factor=balance_factor, target_utilization=target_utilization,
                 failover_utilization=failover_utilization, tolerate_failures=tolerate_failures, zones=zones,
                 latency=latency, usl=usl, sessions=sessions, wait=wait, service_level=service_level)
    return cluster_values(given, lambda key: "--" + key.replace("_", "-"))


def _cluster(values: dict[str, Any], balancer: str):
    from ..capacity import BALANCERS, Cluster, check

    if balancer not in BALANCERS:
        raise InputError(f"--balancer: unknown policy {balancer!r}; use one of {', '.join(BALANCERS)}")
    cluster = Cluster(balancer=balancer, **values)
    problems = check(cluster)
    if problems:
        raise InputError(problems[0][1])
    return cluster


def _target_of(seconds, quantile):
    from ..capacity.parse import LatencyTarget

    seconds, q = float(seconds), float(quantile)
    return None if math.isnan(seconds) else LatencyTarget(None if math.isnan(q) else q, seconds)


def _latency_target(cluster):
    """The cluster's response-time target as the user wrote it, or None."""
    return _target_of(cluster.latency_seconds, cluster.latency_quantile)


def _wait_target(cluster):
    """The cluster's wait target, or None."""
    return _target_of(cluster.wait_seconds, cluster.wait_quantile)


#: Figures left out of a record unless their target was asked.
_LATENCY_ONLY = ("target_response_seconds", "survivor_target_response_seconds")
_WAIT_ONLY = ("service_level", "survivor_service_level")


def _record(result, latency_asked: bool, *left_out: str, wait_asked: bool = False) -> dict[str, Any]:
    """The JSON record of one service's sizing or figures; a target's figure only when that target was asked."""
    from ..results import record

    out = record(result)
    for key in left_out + (() if latency_asked else _LATENCY_ONLY) + (() if wait_asked else _WAIT_ONLY):
        out.pop(key, None)
    return out


def _run_single(cluster, nodes, growth, horizon, fmt, output, chart=None) -> int:
    from ..capacity import figures_at, max_rate, project_growth, size
    from ..capacity.parse import parse_growth, parse_months
    from ..results import record
    from ..units import parse_count

    if nodes is not None:
        nodes = parse_count(nodes, "--nodes")
        lost = float(cluster.tolerate_failures)
        if lost >= nodes:
            raise InputError(f"--tolerate-failures {lost:.0f} leaves no survivor of --nodes {nodes}; "
                             "tolerate fewer failures than there are nodes")
    sizing = size(cluster)
    if not sizing.reachable[0]:
        raise InputError(sizing.unreachable[0])
    answer = sizing.at(0)
    target, wait = _latency_target(cluster), _wait_target(cluster)
    data = {"rate_per_second": float(cluster.rate), "balancer": cluster.balancer,
            **_record(answer, target is not None, wait_asked=wait is not None)}
    if float(cluster.usl_sigma) or float(cluster.usl_kappa):
        data["usl_sigma"], data["usl_kappa"] = float(cluster.usl_sigma), float(cluster.usl_kappa)
    if target is not None:
        data["latency_target"] = target.label
    if wait is not None:
        data["wait_target"] = wait.label
    code = ExitCode.OK
    current = None
    if nodes is not None:
        sessions = float(cluster.sessions)
        if not math.isnan(sessions) and sessions < nodes and math.isnan(float(cluster.balance_factor)) \
                and cluster.balancer != "round-robin":
            warn(f"--nodes {nodes} is more than the {sessions:.0f} sessions: {nodes - int(sessions)} nodes get none "
                 "(the figures count the hottest node carrying one whole session)")
        limit = max_rate(cluster, nodes)[0]
        current = _Current(nodes, nodes >= answer.nodes, None if math.isnan(limit) else float(limit),
                           figures_at(cluster, nodes).at(0))
        data["current"] = _record(current, target is not None, "node_throughput_per_second",
                                  wait_asked=wait is not None)
        if not current.meets_targets:
            code = ExitCode.PARTIAL
    projection = None
    if growth is not None:
        factor = parse_growth(growth, "--growth")
        months = parse_months(horizon, "--horizon")
        projection = project_growth(cluster, factor, months, nodes)
        data["growth_per_month"] = projection.growth_per_month
        data["growth"] = [record(month) for month in projection.by_month()]
        data["runs_out_month"] = projection.runs_out_month
        data["runs_out_after_months"] = projection.runs_out_after_months
    notes = assumptions(cluster)
    data["assumptions"] = notes

    def write_csv(handle: IO[str]) -> None:
        from ..files import write_csv_records

        if projection is not None:
            write_csv_records(handle, data["growth"])
            return
        flat = {k: v for k, v in data.items() if k not in ("assumptions", "current")}
        flat.update({f"current_{k}": v for k, v in data.get("current", {}).items()})
        write_csv_records(handle, [flat])

    emit(
        fmt,
        output,
        table=lambda console: _single_table(console, cluster, answer, target, wait, current, projection, notes),
        json_data=lambda: data,
        csv_write=write_csv,
    )
    if chart is not None:
        from ..charts import save, sibling
        from ..charts.capacity import growth as growth_chart
        from ..charts.capacity import utilization_latency

        save(utilization_latency(cluster, sizing), chart)
        if projection is not None:
            save(growth_chart(projection), sibling(chart, "growth"))
    if current is not None and not current.meets_targets:
        problem(f"{nodes} nodes are not enough: {answer.nodes} are needed")  # the reason for exit 3
    return int(code)


@dataclass(frozen=True)
class _Current:
    """The cluster the user has (--nodes) against the answer; its record is the JSON ``current`` object."""

    nodes: int
    meets_targets: bool
    max_rate_per_second: float | None  # None: no rate meets every target
    figures: ClusterFigures = field(metadata={"flatten": True})  # of one service, from ClusterFigures.at


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _ms(value, digits: int = 4) -> str:
    """A time in seconds for people: ms below a second, s below a minute, then min."""
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.{digits}g} ms"
    return f"{value:.{digits}g} s" if value < 60 else f"{value / 60:.{digits}g} min"


def _queue_cell(fig, prefix: str, name: str, fmt) -> str:
    """One queue figure for a table: "unstable" where the node is at or above full load."""
    value = getattr(fig, prefix + name)
    if value is None:
        util = fig.utilization if not prefix else fig.utilization_after_failures
        return "unstable" if util is not None and util >= 1 - 1e-9 else "-"
    return fmt(value)


def _state_rows(fig, has_survivors: bool, target, wait):
    """Rows of (label, healthy, survivors) for the side-by-side table."""
    rows = [("utilisation", _pct(fig.utilization), _pct(fig.utilization_after_failures))]
    if fig.offered_load_erlangs is None:
        return rows
    approx = "" if fig.exact_queue else " (Allen-Cunneen)"
    queue = [
        ("P(wait)", "probability_of_wait", lambda v: f"{v:.3g}"),
        ("mean wait" + approx, "mean_wait_seconds", _ms),
        ("wait p50/p95/p99" + approx, None, None),
        ("queue length Lq" + approx, "mean_queue_length", lambda v: f"{v:.3g}"),
        ("mean response" + approx, "mean_response_seconds", _ms),
        ("response p50/p95/p99", None, None),
    ]
    for label, name, fmt in queue:
        cells = []
        for prefix in ("", "survivor_"):
            if prefix and not has_survivors:
                cells.append("-")
            elif name is None:
                kind = "wait" if label.startswith("wait") else "response"
                parts = [_queue_cell(fig, prefix, f"p{p}_{kind}_seconds", _ms) for p in (50, 95, 99)]
                cells.append("unstable" if "unstable" in parts else " / ".join(parts))
            else:
                cells.append(_queue_cell(fig, prefix, name, fmt))
        rows.append((label, *cells))
    if wait is not None:
        rows.append((f"P(wait <= {_ms(wait.seconds).replace(' ', '')})", *(
            _queue_cell(fig, p, "service_level", _pct) if (has_survivors or not p) else "-" for p in ("", "survivor_"))))
    if target is not None:
        rows.append((f"{target.label}", *(
            _queue_cell(fig, p, "target_response_seconds", _ms) if (has_survivors or not p) else "-"
            for p in ("", "survivor_"))))
    return rows


def _single_table(console, cluster, answer, target, wait, current: _Current | None, projection, notes) -> None:
    from rich.table import Table

    from ..capacity import CONSTRAINTS

    head = Table(title="Nodes needed per constraint", title_justify="left")
    head.add_column("constraint")
    head.add_column("nodes", justify="right")
    binding = answer.binding_constraint
    for name in CONSTRAINTS:
        value = answer.nodes_for(name)
        if value is None and name not in ("throughput", "utilization"):
            continue
        decides = name == binding or (name.endswith("_after_failures") and binding.startswith(name[:-8]))
        head.add_row(name, ("-" if value is None else f"{value:,}") + ("  <- binding" if decides else ""))
    console.print(head)
    console.print(f"Answer: [bold]{answer.nodes:,} nodes[/bold] (binding: {binding})")
    fig = answer.figures
    facts = facts_table()
    facts.add_row("Request rate R", f"{format_number(float(cluster.rate))}/s")
    facts.add_row("Node throughput T", f"{format_number(fig.node_throughput_per_second)}/s")
    facts.add_row("Work C = R/T", f"{fig.capacity_c:,.4g} nodes")
    facts.add_row("Balance factor k", f"{fig.balance_factor:.4g} ({cluster.balancer})")
    facts.add_row("Delivered Q = N/k", f"{fig.effective_capacity_q:,.4g} nodes")
    sigma, kappa = float(cluster.usl_sigma), float(cluster.usl_kappa)
    if sigma or kappa:
        facts.add_row("Scaling (USL)", f"sigma {sigma:.4g}, kappa {kappa:.4g}")
    if fig.offered_load_erlangs is not None:
        facts.add_row("Offered load R*S", f"{fig.offered_load_erlangs:,.4g} Erlangs")
    console.print(facts)
    has_survivors = fig.failure_scenario is not None
    states = Table(title="Hottest node at the answer", title_justify="left")
    states.add_column("figure")
    states.add_column(f"healthy ({answer.nodes:,} node{'s' if answer.nodes != 1 else ''})", justify="right")
    lost = fig.nodes_lost_in_failure
    states.add_column((f"zone lost ({lost} nodes)" if fig.failure_scenario == "zone_loss" else f"{lost} nodes failed") if has_survivors else "after failures", justify="right")
    for row in _state_rows(fig, has_survivors, target, wait):
        states.add_row(*row)
    console.print(states)
    if current is not None:
        verdict = "enough" if current.meets_targets else "NOT enough"
        limit = current.max_rate_per_second
        latency = ""
        if current.figures.offered_load_erlangs is not None:
            p99 = current.figures.p99_response_seconds
            if p99 is not None:
                latency = f", p99 {_ms(p99)}"
            elif current.figures.mean_response_seconds is None:
                latency = ", queue unstable (load at or above its slots)"
            after = current.figures.survivor_p99_response_seconds
            if has_survivors and current.figures.utilization_after_failures is not None:
                latency += f"; after failures {_pct(current.figures.utilization_after_failures)}" + (
                    f", p99 {_ms(after)}" if after is not None else
                    (", unstable" if current.figures.utilization_after_failures >= 1 - 1e-9 else ""))
        console.print(
            f"With {current.nodes:,} nodes: {verdict}; utilisation {_pct(current.figures.utilization)}"
            f"{latency}; they take up to "
            + ("no load within the targets" if limit is None else f"{format_number(limit)}/s within every target")
        )
    if projection is not None:
        grow = Table(title=f"Growth at {projection.growth_per_month * 100:.3g}%/month", title_justify="left")
        for name in ("month", "rate/s", "nodes", "binding"):
            grow.add_column(name, justify="right" if name != "binding" else "left")
        for row in projection.by_month():
            needed = row.nodes_needed
            grow.add_row(str(row.month), f"{row.rate_per_second:,.0f}",
                         "-" if needed is None else f"{needed:,}", row.binding_constraint or "unreachable")
        console.print(grow)
        if projection.current_nodes is not None:
            if projection.runs_out_after_months == 0:
                console.print(f"{projection.current_nodes:,} nodes are already short of today's rate.")
            elif projection.runs_out_after_months is None or projection.runs_out_month is None:
                console.print(f"{projection.current_nodes:,} nodes last beyond the "
                              f"{len(projection.months) - 1}-month horizon.")
            else:
                console.print(
                    f"{projection.current_nodes:,} nodes run out after {projection.runs_out_after_months:.1f} months"
                    f" (short from month {projection.runs_out_month})"
                )
    console.print("Assumptions: " + "; ".join(notes) + ".")


def _run_batch(source: str, rate: str | None, balancer: str, defaults: dict[str, float], on_error: OnError,
               fmt, output, chart=None) -> int:
    from ..batch import read_csv
    from ..capacity import BALANCERS, parse_request_rate
    from ..capacity.batch import size_csv
    from .output import write_frame_csv

    if balancer not in BALANCERS:
        raise InputError(f"--balancer: unknown policy {balancer!r}; use one of {', '.join(BALANCERS)}")
    if rate is not None:
        defaults = {**defaults, "rate": parse_request_rate(rate, "--rate")}
    from ..files import refuse_overwriting_inputs
    from ..loading import csv_source
    from .output import Format, resolve_format

    refuse_overwriting_inputs(output, {"--csv": source})

    if chart is None and resolve_format(fmt, output) is Format.csv:
        source = csv_source(source, "--csv")  # /dev/zero or a pipe: bounded, not read forever
    else:  # a table, JSON or a chart holds every row's results: a smaller bound
        from .held_input import held_csv

        source = held_csv(source, "use -f csv")
    from .batch_stream import _reuse_freed_memory

    _reuse_freed_memory()
    if chart is None and resolve_format(fmt, output) is Format.csv:
        from .capacity_csv import run_plain

        code = run_plain(source, defaults, balancer, fmt, output)  # a plain file, without pandas
        if code is not None:
            return code
    from .held_input import check_held, check_output_file

    check_output_file(output)
    frame = read_csv(source, "--csv")
    if chart is not None or resolve_format(fmt, output) is not Format.csv:
        check_held(frame, "use -f csv")
    result = size_csv(frame, defaults, balancer)
    report_row_errors(result.errors, result.rows_read, on_error)
    table = result.table
    emit(
        fmt,
        output,
        table=lambda console: _batch_table(console, result),
        json_data=lambda: table.astype(object).where(table.notna(), None).to_dict(orient="records"),
        csv_write=lambda handle: write_frame_csv(table, handle),
    )
    if chart is not None and len(table):
        from ..charts import save
        from ..charts.capacity import services

        names = row_names(table)
        current = table["current_nodes"].astype("float64").to_numpy() if "current_nodes" in table else None
        save(services(names, table["nodes"].astype("float64").to_numpy(), list(table["binding_constraint"]),
                      current), chart)
    shortfalls = []
    if result.unreachable:
        shortfalls.append(
            f"{result.unreachable} of {len(table)} rows cannot meet their targets at any size (see the note column)")
    if result.short:
        shortfalls.append(f"{result.short} of {len(table)} rows have fewer current_nodes than they need")
    return batch_exit_code(result.errors, result.rows_read, shortfalls)


def _batch_table(console, result) -> None:
    import pandas as pd
    from rich.text import Text  # a user's name is text, never rich markup ("[/]" would be a MarkupError)
    frame = result.table
    table, label = batch_table(frame, result.rows_read)
    survivors = "survivor_p99_response_seconds" in frame
    # with the survivors' two columns the rate is left out, so the table keeps to 80 columns
    names = (["nodes", "binding", "util", "p99", "util*", "p99*"] if survivors
             else ["rate/s", "nodes", "binding", "util", "p99"])
    for name in names:
        if name == "binding":  # folded, never cut: a cut name loses its meaning (and widens as ASCII)
            table.add_column(name, justify="left", overflow="fold")
        else:
            table.add_column(name, justify="right")
    has_current = "enough_nodes" in frame
    if has_current:
        table.add_column("have", justify="right")

    def p99(value, util) -> str:
        if pd.isna(value):
            return "unstable" if not pd.isna(util) and util >= 1 - 1e-9 else "-"
        return _ms(value, digits=3).replace(" ", "")

    from .held_input import MAX_TABLE_ROWS, more_rows_line

    shown = frame.head(MAX_TABLE_ROWS)
    for i, rec in enumerate(shown.to_dict(orient="records")):
        nodes = rec["nodes"]
        missing = pd.isna(nodes)
        cells = [
            Text(str(rec[label])) if label else str(i + 1),
            *([] if survivors else [format_number(rec['rate_per_second'])]),
            "-" if missing else f"{int(nodes):,}",
            rec["binding_constraint"] or "unreachable",
            "-" if missing else _pct(rec["utilization"]),
            "-" if missing else p99(rec["p99_response_seconds"], rec["utilization"]),
        ]
        if survivors:
            after = rec["utilization_after_failures"]
            cells += ["-" if missing or pd.isna(after) else _pct(after),
                      "-" if missing or pd.isna(after) else p99(rec["survivor_p99_response_seconds"], after)]
        if has_current:
            have = rec["current_nodes"]
            ok = rec["enough_nodes"]
            cells.append("-" if pd.isna(have) else f"{int(have):,}" + ("" if ok is True else " SHORT"))
        table.add_row(*cells)
    console.print(table)
    more = more_rows_line(len(frame))
    if more:
        console.print(more)
    if survivors:
        console.print("* the hottest survivor after the worse failure (N+f, or the largest zone lost)")
    for rec in shown.to_dict(orient="records"):
        if rec["note"]:
            console.print(Text(f"{rec[label] if label else ''}: {rec['note']}"))


@capacity_app.command("fit")
def fit_command(
    csv: Annotated[str, typer.Option("--csv", metavar="FILE", help="Measurements: columns nodes,throughput (req/s); - for stdin.")],
    chart: ChartOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Fit the Universal Scalability Law to measured throughput.

    X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)): sigma is contention,
    kappa coherency. Reports the fit quality and the peak, or, when kappa = 0
    fits as well (Amdahl's law), the ceiling lambda/sigma; size with
    relcalc capacity --usl SIGMA,KAPPA --node-throughput LAMBDA.
    """
    import numpy as np

    from ..batch import normalise_header, read_csv
    from ..capacity.usl import fit_usl

    check_chart_path(chart)
    frame = read_csv(sys.stdin if csv == "-" else csv, "--csv")
    columns = {normalise_header(c): c for c in frame.columns}
    missing = [c for c in ("nodes", "throughput") if c not in columns]
    if missing:
        have = ", ".join(repr(c) for c in frame.columns)
        raise InputError(f"--csv: need columns nodes and throughput; missing {', '.join(missing)} (found {have})")
    from ..batch import is_blank
    from ..units import parse_number

    data = {}
    for key in ("nodes", "throughput"):  # each cell read by the one grammar of relcalc.units
        cells = frame[columns[key]].tolist()
        for row, cell in enumerate(cells, start=1):
            if is_blank(cell):
                raise InputError(f"--csv: row {row}: {key} is empty")
        data[key] = np.array([parse_number(cell, f"--csv: row {row}: {key}") for row, cell in enumerate(cells, 1)])
    try:
        fit = fit_usl(data["nodes"], data["throughput"])
    except ValueError as exc:
        raise InputError(f"--csv: {exc}") from None
    from ..files import write_csv_records
    from ..results import record

    usl_option = f"{fit.sigma:.6g},{fit.kappa:.6g}"
    fitted = {**record(fit), "usl_option": usl_option}
    emit(
        fmt,
        output,
        table=lambda console: _fit_table(console, fit, usl_option, data["nodes"], data["throughput"]),
        json_data=lambda: fitted,
        csv_write=lambda handle: write_csv_records(handle, [fitted]),
    )
    if chart is not None:
        from ..charts import save
        from ..charts.capacity import usl

        save(usl(fit, data["nodes"], data["throughput"]), chart)


def _fit_table(console, fit, usl_option: str, nodes, throughput) -> None:
    from rich.table import Table

    from ..capacity.usl import usl_throughput

    facts = facts_table()
    facts.add_row("lambda (one node)", f"{format_number(fit.node_throughput_per_second)}/s")
    facts.add_row("sigma (contention)", f"{fit.sigma:.4g}")
    facts.add_row("kappa (coherency)", f"{fit.kappa:.4g}")
    facts.add_row("R squared", f"{fit.r_squared:.5f}")
    facts.add_row("RMSE", f"{fit.rmse_per_second:,.4g}/s over {fit.points} points")
    if fit.law == "usl":
        facts.add_row("Peak", f"N* = {fit.peak_nodes:.1f}: {format_number(fit.throughput_ceiling_per_second)}/s")
        facts.add_row("Best whole N", f"{fit.best_whole_nodes:.0f}: {format_number(fit.throughput_at_best_whole_nodes_per_second)}/s")
    elif fit.law == "amdahl":
        facts.add_row("Peak", "none (Amdahl's law: kappa = 0 fits as well)")
        facts.add_row("Ceiling", f"lambda/sigma = {format_number(fit.throughput_ceiling_per_second)}/s, approached, never reached")
    else:
        facts.add_row("Peak", "none (linear scaling: sigma = kappa = 0 fit as well)")
        facts.add_row("Ceiling", "none")
    console.print(facts)
    table = Table(title="Measured and fitted", title_justify="left")
    for name in ("nodes", "measured/s", "fitted/s"):
        table.add_column(name, justify="right")
    fitted = usl_throughput(nodes, fit.node_throughput_per_second, fit.sigma, fit.kappa)
    for n, x, f in zip(nodes, throughput, fitted):
        table.add_row(f"{n:g}", f"{format_number(x)}", f"{format_number(f)}")
    console.print(table)
    console.print(f"Size with: --usl {usl_option} --node-throughput {fit.node_throughput_per_second:.6g}")
