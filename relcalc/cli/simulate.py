"""``relcalc simulate raft``: Monte Carlo of a Raft quorum, beside the exact values."""

from __future__ import annotations

import math
from typing import IO, Annotated, Any, Optional

import typer

from ..errors import ExitCode, InputError
from .output import ChartOption, FormatOption, OutputOption, check_chart_path, emit, problem, warn

ASSUMPTIONS = (
    "nodes fail and are repaired independently (zones aside); a failed zone stops its nodes serving, "
    "and they keep their own state",
    "writes need a majority of all nodes serving and an elected leader; a leader cut off from its "
    "majority steps down",
    "an election is rounds of random timeouts among the serving nodes plus one round trip, "
    "retried while two timeouts fire within a round trip (a split vote); its length is drawn when it starts "
    "(failures and returns during it do not change it) and the new leader is any serving node",
    "a replaced node catches up at once when its replacement ends",
)

simulate_app = typer.Typer(
    name="simulate",
    help="Monte Carlo simulations, validated against exact maths where it exists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@simulate_app.command("raft")
def raft_command(
    nodes: Annotated[str, typer.Option(help="Cluster size n; a comma list sweeps, e.g. 3,5,7.")] = "5",
    mtbf: Annotated[str, typer.Option(help="Mean time to failure of a node, e.g. 2000h or 1y; a comma list sweeps.")] = "2000h",
    mttr: Annotated[str, typer.Option(help="Mean time to repair a node, e.g. 4h; a comma list sweeps.")] = "4h",
    ttf: Annotated[Optional[str], typer.Option(help="Time-to-failure law: exponential (default), weibull:SHAPE, lognormal:SIGMA, fixed.")] = None,
    ttr: Annotated[Optional[str], typer.Option(help="Time-to-repair law: exponential (default), weibull:SHAPE, lognormal:SIGMA, fixed; the mean stays --mttr.")] = None,
    repair_crews: Annotated[Optional[str], typer.Option(help="Crews repairing one node each, first come first served (default unlimited); a comma list sweeps.")] = None,
    zones: Annotated[Optional[str], typer.Option(help="Spread the nodes round robin over this many zones; a comma list sweeps.")] = None,
    layout: Annotated[Optional[str], typer.Option(help="Nodes per zone instead of --zones, e.g. 2,2,1.")] = None,
    zone_mtbf: Annotated[Optional[str], typer.Option(help="Mean time between failures of a whole zone (zones never fail without it).")] = None,
    zone_mttr: Annotated[Optional[str], typer.Option(help="Mean time to restore a failed zone.")] = None,
    election_timeout: Annotated[str, typer.Option(help="Randomised election timeout range; plain numbers are ms (etcd's defaults give about 1s).")] = "150ms..300ms",
    rtt: Annotated[str, typer.Option(help="Round trip of a vote request; plain numbers are ms.")] = "1ms",
    years: Annotated[str, typer.Option(help="Simulated years per point (the budget with --target-rel-error).")] = "100000",
    seed: Annotated[Optional[str], typer.Option(help="Seed; the same seed gives the same numbers for any --workers. Default: fresh, and printed.")] = None,
    workers: Annotated[str, typer.Option(help="Worker processes.")] = "1",
    scheduler: Annotated[Optional[str], typer.Option(help="Where chunks run: local (default; a pool of --workers), dask-local:N (a Dask LocalCluster of N workers) or a Dask scheduler such as tcp://host:8786; default $RELCALC_SCHEDULER.")] = None,
    method: Annotated[str, typer.Option(help="crude (simulate), importance (balanced failure biasing), exact (solve the chain), or auto.")] = "crude",
    common_cause: Annotated[Optional[str], typer.Option(help="Beta factor: this share of the failure rate is a shock failing every up node, e.g. 1%; a comma list sweeps.")] = None,
    shock_per_zone: Annotated[bool, typer.Option("--shock-per-zone", help="Common-cause shocks strike one zone at a time.")] = False,
    permanent: Annotated[Optional[str], typer.Option(help="Share of failures that destroy the node's data, e.g. 5%; needs --replace-time.")] = None,
    replace_time: Annotated[Optional[str], typer.Option(help="Mean time to replace a destroyed node and catch it up, e.g. 2h.")] = None,
    restart_every: Annotated[Optional[str], typer.Option(help="Rolling restarts: one round every period, e.g. 1d.")] = None,
    restart_duration: Annotated[Optional[str], typer.Option(help="How long each node is out during a rolling restart, e.g. 3min.")] = None,
    target_rel_error: Annotated[Optional[str], typer.Option(help="Run until the 95% interval of quorum unavailability is within this share of it, e.g. 0.05.")] = None,
    max_time: Annotated[Optional[str], typer.Option(help="Stop a point after this wall time (e.g. 30s, 5min); exit 3 if the target was not reached.")] = None,
    year_days: Annotated[str, typer.Option(help="Days in a year for --years and the per-year figures: 365 or 365.25.")] = "365",
    chart: ChartOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Availability of a Raft cluster under failures, repairs, zone outages and elections.

    Writes need a majority serving and a leader. Each estimate comes with a
    95% interval, and beside it the exact value where one exists (binomial
    steady state, birth-death chain for exponential nodes and repair crews).
    """
    from ..availability import Calendar
    from ..units import parse_count, parse_duration, parse_number

    # numeric options are text read by the one grammar of relcalc.units, as everywhere else
    year_days = parse_number(year_days, "--year-days")
    years = parse_number(years, "--years")
    workers = parse_count(workers, "--workers")
    if target_rel_error is not None:
        target_rel_error = parse_number(target_rel_error, "--target-rel-error")
    if seed is not None:
        seed = parse_count(seed, "--seed", low=0, high=2**63 - 1)
    calendar = Calendar(year_days)
    check_chart_path(chart)
    from ..raft.inputs import model_grid

    given = dict(nodes=nodes, mtbf=mtbf, mttr=mttr, ttf=ttf, ttr=ttr, repair_crews=repair_crews, zones=zones,
                 layout=layout, zone_mtbf=zone_mtbf, zone_mttr=zone_mttr, election_timeout=election_timeout, rtt=rtt,
                 common_cause=common_cause, shock_per_zone=shock_per_zone, permanent=permanent,
                 replace_time=replace_time, restart_every=restart_every, restart_duration=restart_duration)
    models = model_grid(given, lambda key: "--" + key.replace("_", "-"), year_days=year_days)
    if not (years > 0) or not math.isfinite(years):
        raise InputError(f"--years must be positive, got {years}")
    from ..raft.engine import MAX_YEARS

    if years > MAX_YEARS:
        raise InputError(f"--years: at most {MAX_YEARS:.0e} simulated years per point, got {years:.3g}")
    if target_rel_error is not None and not (0 < target_rel_error < 1):
        raise InputError(f"--target-rel-error must be between 0 and 1, e.g. 0.05, got {target_rel_error}")
    max_seconds = parse_duration(max_time, "--max-time") * 3600 if max_time is not None else None
    if seed is None:
        import numpy as np

        seed = int(np.random.SeedSequence().entropy % (2**63))

    from ..execution import check_workers, open_execution, use

    check_workers(workers)
    if chart is not None and len(models) == 1 and models[0].nodes > 62:
        raise InputError(f"--chart: a sample timeline draws up to 62 nodes; this cluster has {models[0].nodes}")
    from ..raft.methods import METHODS, analyze, choose
    from ..raft.sweep import with_gains
    from ..results import record

    if method not in METHODS:
        raise InputError(f"--method: unknown method {method!r}; use {', '.join(METHODS)}")
    if method in ("importance", "exact"):
        for model in models:  # refuse before any work is done
            choose(model, method, None, None, None)
    else:
        from ..raft.engine import plan

        for model in models:  # a run too long to end is refused before any other is done
            plan(model, years, calendar.year_hours, max_seconds=max_seconds, target_rel_error=target_rel_error)
    results = []
    try:
        with use(open_execution(scheduler, workers)) as execution, _progress(len(models)) as tick:
            for i, model in enumerate(models):
                results.append(
                    analyze(model, method=method, years=years, seed=seed, workers=execution.workers,
                            target_rel_error=target_rel_error, max_seconds=max_seconds, calendar=calendar,
                            progress=lambda done, total, i=i: tick(i, done, total), notice=warn)
                )
    except SystemError as exc:
        # a Ctrl-C that landed as a compiled function returned (numba): an interrupt, not a bug
        if isinstance(exc.__cause__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        raise
    from .output import detail

    for r in results:  # -v: what each method did
        if r.method == "crude":
            work = f"{r.chunks:,} chunks, {r.events:,} events, {r.simulated_years:,.0f} years"
        else:
            work = f"{r.cycles or r.chunks:,} cycles" if r.method == "importance" else "the chain solved"
        detail(f"n={r.description.nodes}: {r.method}: {work}; stopped on {r.stopped}; {r.wall_seconds:.3g} s")
    points = with_gains(results)
    sweep = len(points) > 1

    def write_csv(handle: IO[str]) -> None:
        from ..files import write_csv_records

        write_csv_records(handle, [{k: _csv_cell(v) for k, v in record(p).items()} for p in points])

    emit(
        fmt,
        output,
        table=lambda console: (_sweep_table(console, points) if sweep else _single_table(console, results[0])),
        json_data=lambda: [record(p) for p in points] if sweep else record(points[0]),
        csv_write=write_csv,
    )
    if chart is not None:
        _charts(chart, results, seed)
    if any(r.method != "exact" for r in results):  # the exact chain draws nothing
        warn(f"seed {seed}")
    short = _short_of(results, target_rel_error)
    if short:
        problem(f"{short}; the figures are what was reached")  # the reason for exit 3: shown even with -q
        raise typer.Exit(ExitCode.PARTIAL)


def _short_of(results, target_rel_error: float | None) -> str | None:
    """Why a run fell short of what was asked (a precision, the years), or None: exit 3 then."""
    goal = "--target-rel-error was reached" if target_rel_error is not None else "--years were simulated"
    reasons = []
    for r in results:
        if r.stopped == "time":
            reason = f"--max-time ran out before {goal if r.method == 'crude' else 'the target precision was reached'}"
        elif r.stopped == "budget" and target_rel_error is not None:
            reason = "--years ran out before --target-rel-error was reached"
        elif r.stopped == "cycles":
            reason = "the cycle limit ran out before the target precision was reached"
        else:
            continue
        if reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons) or None


def _csv_cell(value: Any) -> Any:
    """A list (an interval, a layout) as one cell, its items joined by semicolons."""
    return ";".join(str(v) for v in value) if isinstance(value, list) else value


class _progress:
    """A rich progress bar on a terminal's stderr; nothing when stderr is piped or with -q."""

    def __init__(self, points: int):
        self.points = points
        self.bar = None

    def __enter__(self):
        from .output import progress_bar

        self.bar = progress_bar()  # on stderr, only when it is a terminal
        if self.bar is not None:
            self.task = self.bar.add_task("simulating", total=self.points)
        return self.tick

    def tick(self, point: int, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=point + done / max(total, 1))

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


def _num(value, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


#: What each interval method means, for the line under a table (the JSON's ``..._interval`` values).
_METHOD_WORDS = {
    "t": "t over the chunks",
    "delta": "delta method",
    "garwood": "exact Poisson (Garwood)",
    "garwood-product": "Garwood rate x exponential mean length, each at 97.5%",
    "garwood-upper-bound": "95% upper bound (Garwood, none observed)",
    "garwood-lower-bound": "95% lower bound (Garwood, none observed)",
    "clopper-pearson": "exact binomial (Clopper-Pearson)",
    "clopper-pearson-upper-bound": "95% upper bound (Clopper-Pearson, none observed)",
    "exponential-chi2": "exact for exponential lengths (chi-square)",
    "order-statistic": "order statistics",
    "delta-inverse": "delta method on the rate, inverted",
    "delta-paired": "the share's and the frequency's limits paired",
}


def _estimate(interval, digits: int = 4) -> str:
    """The estimate, marked < or > when it is a bound (nothing was observed)."""
    method = interval.method
    parts = method.split("+")  # a sum is a bound when any part is
    mark = ("<" if any(m.endswith("upper-bound") for m in parts)
            else ">" if any(m.endswith("lower-bound") for m in parts) else "")
    return mark + _num(interval.value, digits)


def _ci(interval) -> str:
    """[low, high] to 3 digits, or as many more as it takes to tell the ends apart (a narrow interval)."""
    pair = interval.bounds
    if pair is None:
        return "-"
    low, high = pair
    digits = 3
    while digits < 10 and low != high and f"{low:.{digits}g}" == f"{high:.{digits}g}":
        digits += 1
    top = "inf" if high == math.inf else f"{high:.{digits}g}"
    return f"[{low:.{digits}g}, {top}]"


def _exact(value, covered=None) -> str:
    if value is None:
        return "-"
    mark = "" if covered is None else (" (inside)" if covered else " (OUTSIDE)")
    return f"{value:.4g}{mark}"


def _method_words(method: str) -> str | None:
    """A method in words; a sum of parts ("garwood-product+t") as the sum of its parts' intervals."""
    parts = method.split("+")
    if len(parts) > 1 and all(p in _METHOD_WORDS for p in parts):
        return "the sum of the quorum part's and the election part's (each at 97.5%: " + ", ".join(
            _METHOD_WORDS[p] for p in parts) + ")"
    return _METHOD_WORDS.get(method)


def _interval_methods(rows: list[tuple[str, Any]], usual: str | None) -> str | None:
    """'Intervals: ...' naming how the figures' intervals were made, those made otherwise than ``usual`` by name."""
    by_method: dict[str, list[str]] = {}
    for label, interval in rows:
        if _method_words(interval.method):
            by_method.setdefault(interval.method, []).append(label)
    if not by_method:
        return None
    others = [f"{_method_words(m)} for {', '.join(labels)}" for m, labels in by_method.items() if m != usual]
    if usual in by_method:
        return f"Intervals: {_METHOD_WORDS[usual]}" + (", except " + "; ".join(others) if others else "") + "."
    return "Intervals: " + "; ".join(others) + "."


def _single_table(console, result) -> None:
    from rich.table import Table

    from ..units import format_duration, format_number

    d = result.description
    zone = f", zones {'/'.join(map(str, d.layout))}" if d.zones > 1 else ""
    if d.zone_mtbf_hours:
        zone += f" failing every {format_number(d.zone_mtbf_hours)} h for {format_number(d.zone_mttr_hours, 4)} h"
    crews = f"{d.repair_crews} repair crew(s)" if d.repair_crews else "unlimited repair crews"
    console.print(
        f"Raft, {d.nodes} nodes (quorum {d.quorum}), MTBF {format_number(d.mtbf_hours)} h {d.ttf}, "
        f"MTTR {format_number(d.mttr_hours, 4)} h {d.ttr}, {crews}{zone}"
    )
    if result.method == "crude":
        title = f"{result.simulated_years:,.6g} simulated years, {result.events:,} events"
    elif result.method == "importance":
        title = (f"importance sampling: {result.cycles:,} cycles, variance reduction "
                 f"{result.variance_reduction:.3g}x over crude sampling")
    else:
        title = "exact: the Markov chain solved"
    extras = []
    if d.common_cause:
        extras.append(f"common cause {100 * d.common_cause:g}%" + (" per zone" if d.shock_per_zone else ""))
    if d.permanent:
        extras.append(f"{100 * d.permanent:g}% of failures lose data (replaced in {d.replace_time_hours:g} h)")
    if d.restart_every_hours:
        extras.append(f"rolling restarts every {d.restart_every_hours:g} h, "
                      f"{d.restart_duration_hours * 60:g} min each")
    if extras:
        console.print("With " + "; ".join(extras) + ".")
    table = Table(title=title, title_justify="left")
    for name in ("figure", "estimate", "95% interval", "exact"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    shown: list[tuple[str, Any]] = []

    def row(label, figure, exact="-"):
        table.add_row(label, _estimate(figure), _ci(figure), exact)
        shown.append((label, figure))

    r = result
    row("write unavailability", r.unavailability)
    row("quorum unavailability", r.quorum_unavailability, _exact(r.exact_quorum_unavailability, r.exact_covered))
    row("quorum losses / year", r.quorum_losses_per_year, _exact(r.exact_quorum_losses_per_year))
    row("P(loss in a year) steady", r.probability_of_loss_within_year_from_steady_state,
        _exact(r.exact_probability_of_loss_within_year_from_steady_state))
    row("P(loss in a year) all up", r.probability_of_loss_within_year_from_all_up,
        _exact(r.exact_probability_of_loss_within_year_from_all_up))
    row("mean outage (h)", r.mean_outage_hours, _exact(r.exact_mean_outage_hours))
    for level in ("p50", "p95", "p99"):
        row(f"{level} outage (h)", getattr(r, f"{level}_outage_hours"), _exact(getattr(r, f"exact_{level}_outage_hours")))
    row("MTTF from all up (h)", r.mttf_hours, _exact(r.exact_mttf_hours, r.exact_mttf_covered))
    if d.permanent:
        row("data losses / year", r.data_loss_per_year, _exact(r.exact_data_loss_per_year))
        row("MTTDL from all up (h)", r.mttdl_hours, _exact(r.exact_mttdl_hours))
    row("elections / year", r.elections_per_year)
    row("election downtime (h/yr)", r.election_downtime_per_year_hours)
    console.print(table)
    methods = _interval_methods(shown, {"crude": "t", "importance": "delta"}.get(r.method))
    if methods:
        console.print(methods)
    if r.unavailability.value is not None:
        from ..units import format_percent

        least, most = ("at least ", "at most ") if r.write_figures_are_bounds else ("", "")
        console.print(
            f"Writes: availability {least}{format_percent(r.availability, r.unavailability.value)}, "
            f"{'-' if r.nines is None else f'{least}{r.nines:.2f}'} nines, "
            f"downtime {most}{format_duration(r.downtime_per_year_hours)} per year"
            + (" (95% bounds: nothing seen to estimate from)." if least else ".")
        )
    p50, p95, p99 = (getattr(r, f"{level}_outage_hours").value for level in ("p50", "p95", "p99"))
    if p50 is not None:
        console.print(f"Quorum outages: p50 {format_duration(p50)} / p95 {format_duration(p95)} / "
                      f"p99 {format_duration(p99)}.")
    if r.events_per_second is not None:
        console.print(f"{r.events_per_second:,.3g} events/s; seed {r.seed}.")
    elif r.method == "importance":
        console.print(f"{r.wall_seconds:.3g} s; seed {r.seed}.")
    if r.calendar.year_days != 365:
        console.print(f"A year is {r.calendar.year_days:g} days (--year-days).")
    for note in r.notes:
        console.print(f"Note: {note}.")
    console.print("Assumptions: " + "; ".join(ASSUMPTIONS) + ".")


def _sweep_table(console, points) -> None:
    from rich import box
    from rich.table import Table

    results = [p.result for p in points]
    inputs = [
        ("n", lambda d: str(d.nodes)),
        ("MTBF h", lambda d: f"{d.mtbf_hours:.4g}"),
        ("MTTR h", lambda d: f"{d.mttr_hours:.3g}"),
        ("crews", lambda d: str(d.repair_crews or "-")),
        ("zones", lambda d: "/".join(map(str, d.layout)) if d.zones > 1 else "-"),
        ("zone MTBF", lambda d: "-" if d.zone_mtbf_hours is None else f"{d.zone_mtbf_hours:.4g}"),
        ("zone MTTR", lambda d: "-" if d.zone_mttr_hours is None else f"{d.zone_mttr_hours:.3g}"),
        ("beta", lambda d: f"{100 * d.common_cause:g}%"),
    ]
    # inputs that are the same on every row go in the title
    varying = [(name, cell) for name, cell in inputs
               if name == "n" or len({cell(r.description) for r in results}) > 1]
    fixed = [f"{name} {cell(results[0].description)}" for name, cell in inputs if (name, cell) not in varying]
    methods = list(dict.fromkeys(r.method for r in results))
    sampled = [r for r in results if r.method != "exact"]
    how = methods[0] if len(methods) == 1 else " and ".join(methods) + " by row"
    if sampled:
        how += f", seed {sampled[0].seed}"
    console.print(f"{len(results)} points ({how}); " + ", ".join(fixed))
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 0))
    columns = [name for name, _ in varying] + (["method"] if len(methods) > 1 else []) + ["quorum U"]
    with_ci = any(r.quorum_unavailability.bounds for r in results)
    with_exact = bool(sampled) and any(r.exact_quorum_unavailability is not None for r in results)
    columns += (["95% interval"] if with_ci else []) + (["exact"] if with_exact else []) + ["loss/yr", "gain"]
    for name in columns:
        table.add_column(name, justify="right", no_wrap=True)
    for point in points:
        r = point.result
        row = [cell(r.description) for _, cell in varying] + ([r.method] if len(methods) > 1 else [])
        row.append(_estimate(r.quorum_unavailability, 3))
        if with_ci:
            row.append(_ci(r.quorum_unavailability).replace(", ", ","))
        if with_exact:
            exact = r.exact_quorum_unavailability
            row.append("-" if exact is None else f"{exact:.3g}" + ("!" if r.exact_covered is False else ""))
        gain = point.gain_over_fewer_nodes
        row += [_estimate(r.quorum_losses_per_year, 3), "-" if gain is None else f"x{gain:.3g}"]
        table.add_row(*row)
    console.print(table)
    missed = [r.quorum_unavailability.method for r in results if r.exact_covered is False]
    if missed:
        console.print("! the exact value lies outside the 95% interval" + _how_often(missed))
    if any(r.quorum_unavailability.method.endswith("upper-bound") for r in results):
        console.print("<: no quorum loss was seen; the figure is its 95% upper bound (exact Poisson limits)")
    if any(p.gain_over_fewer_nodes for p in points):
        console.print("gain: quorum unavailability with the next smaller cluster over this one; near x1, "
                      "more nodes no longer help")
    seen = []
    for r in results:
        for note in r.notes:
            if note not in seen:
                seen.append(note)
                console.print(f"Note: {note}.")


def _how_often(methods: list[str]) -> str:
    """How often a miss is expected, for the interval methods of the points that missed."""
    approximate = [m for m in methods if m in ("t", "delta", "delta-inverse", "t-inverse")]
    if len(approximate) == len(methods):
        return " (expected at about 1 point in 20)"
    if not approximate:
        return " (rarer than 1 point in 20: these intervals are exact or conservative)"
    return " (about 1 point in 20 for t and delta intervals, rarer for the exact limits)"


def _charts(path: str, results, seed: int) -> None:
    """A sweep: unavailability against the swept input. One point: a sample year, and the outage durations."""
    from ..charts import save, sibling
    from ..charts.raft import outages, sweep, timeline
    from ..raft.engine import trace

    if len(results) > 1:
        save(sweep(results), path)
        return
    result = results[0]
    save(timeline(trace(result.model, seed=seed, calendar=result.calendar), f"; seed {seed}"), path)
    if result.outage_histogram is not None:
        percentiles = {name: getattr(result, f"{name}_outage_hours") for name in ("p50", "p95", "p99")}
        save(outages(result.outage_histogram, f" in {result.simulated_years:,.0f} years", percentiles),
             sibling(path, "outages"))
