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
)

if TYPE_CHECKING:
    from ..capacity import ClusterFigures

ASSUMPTIONS = (
    "each node has its own queue behind the balancer: the hottest node is an M/M/c queue "
    "(Poisson arrivals, exponential service, c = concurrency)",
    "the hottest node gets balance_factor times the mean share, before and after failures",
    "failures are checked on the survivors with the post-failure imbalance; zones hold nodes round robin",
)

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
    target_utilization: Annotated[Optional[str], typer.Option(help="Cap on the hottest node's utilisation, e.g. 0.7 or 70%.")] = None,
    failover_utilization: Annotated[Optional[str], typer.Option(help="Cap on the hottest survivor's utilisation after failures (default 1).")] = None,
    tolerate_failures: Annotated[Optional[str], typer.Option(metavar="INT", help="N+f: survive f node failures.")] = None,
    zones: Annotated[Optional[str], typer.Option(metavar="INT", help="Nodes spread round robin over this many zones; survive losing the largest.")] = None,
    latency: Annotated[Optional[str], typer.Option(help="Response-time target on the hottest node, e.g. p99<=200ms or mean<=50ms.")] = None,
    usl: Annotated[Optional[str], typer.Option(metavar="SIGMA,KAPPA", help="Scale by the Universal Scalability Law instead of linearly (see capacity fit).")] = None,
    nodes: Annotated[Optional[str], typer.Option(metavar="INT", help="The cluster you have: its figures, the rate it can take, when growth outruns it.")] = None,
    growth: Annotated[Optional[str], typer.Option(help="Traffic growth, e.g. 5%/month or 60%/year: nodes needed month by month.")] = None,
    horizon: Annotated[str, typer.Option(help="How far to project --growth: 18mo, 2y (plain numbers are months).")] = "12mo",
    csv: Annotated[Optional[str], typer.Option("--csv", metavar="FILE", help="Batch: one service per row, with columns such as name, rate, node_throughput; - for stdin. Options give defaults for absent cells.")] = None,
    on_error: Annotated[OnError, typer.Option(help="Bad CSV rows: skip them (reported, exit 3) or fail (write nothing, exit 2).")] = OnError.skip,
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
        tolerate_failures, zones, latency, usl, sessions,
    )
    if csv is not None:
        if nodes is not None or growth is not None:
            raise InputError("--nodes and --growth apply to one service; in --csv give a current_nodes column")
        raise typer.Exit(_run_batch(csv, rate, balancer, defaults, on_error, fmt, output, chart))
    if rate is None:
        raise InputError("give --rate (the peak request rate), or --csv FILE")
    from ..capacity import parse_request_rate

    cluster = _cluster({**defaults, "rate": parse_request_rate(rate, "--rate")}, balancer)
    raise typer.Exit(_run_single(cluster, nodes, growth, horizon, fmt, output, chart))


def _option_defaults(node_throughput, service_time, concurrency, balance_factor, target_utilization,
                     failover_utilization, tolerate_failures, zones, latency, usl, sessions) -> dict[str, float]:
    """The numeric Cluster fields given as options (missing ones are NaN or their default)."""
    from ..capacity.parse import cluster_values

    given = dict(node_throughput=node_throughput, service_time=service_time, concurrency=concurrency,
                 balance_factor=balance_factor, target_utilization=target_utilization,
                 failover_utilization=failover_utilization, tolerate_failures=tolerate_failures, zones=zones,
                 latency=latency, usl=usl, sessions=sessions)
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


def _latency_target(cluster):
    """The cluster's response-time target as the user wrote it, or None."""
    from ..capacity.parse import LatencyTarget

    seconds, q = float(cluster.latency_seconds), float(cluster.latency_quantile)
    return None if math.isnan(seconds) else LatencyTarget(None if math.isnan(q) else q, seconds)


def _record(result, latency_asked: bool, *left_out: str) -> dict[str, Any]:
    """The JSON record of one service's sizing or figures; the target's figure only when a target was asked."""
    from ..results import record

    out = record(result)
    for key in left_out + (() if latency_asked else ("target_response_seconds",)):
        del out[key]
    return out


def _run_single(cluster, nodes, growth, horizon, fmt, output, chart=None) -> int:
    from ..capacity import figures_at, max_rate, project_growth, size
    from ..capacity.parse import parse_growth, parse_months
    from ..results import record
    from ..units import parse_count

    sizing = size(cluster)
    if not sizing.reachable[0]:
        raise InputError(sizing.unreachable[0])
    answer = sizing.at(0)
    target = _latency_target(cluster)
    data = {"rate_per_second": float(cluster.rate), "balancer": cluster.balancer,
            **_record(answer, target is not None)}
    if float(cluster.usl_sigma) or float(cluster.usl_kappa):
        data["usl_sigma"], data["usl_kappa"] = float(cluster.usl_sigma), float(cluster.usl_kappa)
    if target is not None:
        data["latency_target"] = target.label
    code = ExitCode.OK
    current = None
    if nodes is not None:
        nodes = parse_count(nodes, "--nodes")
        limit = max_rate(cluster, nodes)[0]
        current = _Current(nodes, nodes >= answer.nodes, None if math.isnan(limit) else float(limit),
                           figures_at(cluster, nodes).at(0))
        data["current"] = _record(current, target is not None, "node_throughput_per_second")
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
    data["assumptions"] = list(ASSUMPTIONS)

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
        table=lambda console: _single_table(console, cluster, answer, target, current, projection),
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


def _ms(value) -> str:
    return "-" if value is None else f"{value * 1000:.4g} ms"


def _single_table(console, cluster, answer, target, current: _Current | None, projection) -> None:
    from rich.table import Table

    from ..capacity import CONSTRAINTS

    head = Table(title="Nodes needed per constraint", title_justify="left")
    head.add_column("constraint")
    head.add_column("nodes", justify="right")
    for name in CONSTRAINTS:
        value = answer.nodes_for(name)
        mark = "  <- binding" if name == answer.binding_constraint else ""
        head.add_row(name, ("-" if value is None else f"{value:,}") + mark)
    console.print(head)
    console.print(f"Answer: [bold]{answer.nodes:,} nodes[/bold] (binding: {answer.binding_constraint})")
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
    facts.add_row("Utilisation (hottest)", _pct(fig.utilization))
    if fig.utilization_after_failures is not None:
        facts.add_row(f"After losing {fig.nodes_lost_in_failure}", _pct(fig.utilization_after_failures))
    if fig.p99_response_seconds is not None:
        facts.add_row("P(wait)", f"{fig.probability_of_wait:.3g}")
        facts.add_row("Mean wait", _ms(fig.mean_wait_seconds))
        facts.add_row("Response p50/p95/p99", " / ".join(
            _ms(p) for p in (fig.p50_response_seconds, fig.p95_response_seconds, fig.p99_response_seconds)))
    if target is not None:
        facts.add_row("Latency target", f"{target.label} (at N: {_ms(fig.target_response_seconds)})")
    console.print(facts)
    if current is not None:
        verdict = "enough" if current.meets_targets else "NOT enough"
        limit = current.max_rate_per_second
        latency = ""
        if current.figures.offered_load_erlangs is not None:
            p99 = current.figures.p99_response_seconds
            latency = ", queue unstable (load at or above its servers)" if p99 is None else f", p99 {_ms(p99)}"
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
    console.print("Assumptions: " + "; ".join(ASSUMPTIONS) + ".")


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
    frame = read_csv(sys.stdin if source == "-" else source, "--csv")
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
    frame = result.table
    table, label = batch_table(frame, result.rows_read)
    for name in ("rate/s", "nodes", "binding", "util", "p99"):
        table.add_column(name, justify="left" if name == "binding" else "right")
    has_current = "enough_nodes" in frame
    if has_current:
        table.add_column("have", justify="right")
    for i, rec in enumerate(frame.to_dict(orient="records")):
        nodes = rec["nodes"]
        missing = pd.isna(nodes)
        cells = [
            str(rec[label]) if label else str(i + 1),
            f"{format_number(rec['rate_per_second'])}",
            "-" if missing else f"{int(nodes):,}",
            rec["binding_constraint"] or "unreachable",
            "-" if missing else _pct(rec["utilization"]),
            "-" if missing or pd.isna(rec["p99_response_seconds"]) else _ms(rec["p99_response_seconds"]),
        ]
        if has_current:
            have = rec["current_nodes"]
            ok = rec["enough_nodes"]
            cells.append("-" if pd.isna(have) else f"{int(have):,}" + ("" if ok is True else " SHORT"))
        table.add_row(*cells)
    console.print(table)
    for rec in frame.to_dict(orient="records"):
        if rec["note"]:
            console.print(f"{rec[label] if label else ''}: {rec['note']}")


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
