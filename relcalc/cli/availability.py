"""``relcalc availability``: one component, an inverse solve, a budget, or a CSV batch."""

from __future__ import annotations

import sys
from typing import IO, Annotated, Optional

import typer

from ..errors import ExitCode, InputError
from ..results import record as to_record
from ..units import format_duration, format_number, format_percent
from .output import (
    ChartOption,
    FormatOption,
    OnError,
    OutputOption,
    batch_table,
    check_chart_path,
    emit,
    facts_table,
    row_names,
    write_frame_csv,
)


def availability_command(
    mtbf: Annotated[Optional[str], typer.Option(help="Mean time between failures (mean up time), e.g. 2000h, 83d; plain numbers are hours.")] = None,
    mttr: Annotated[Optional[str], typer.Option(help="Mean time to repair, e.g. 4h, 90min, 2 d.")] = None,
    failure_rate: Annotated[Optional[str], typer.Option(help="Failure rate instead of --mtbf: per hour, N/y, or N FIT (per 1e9 h).")] = None,
    repair_rate: Annotated[Optional[str], typer.Option(help="Repair rate instead of --mttr: per hour, or N/d.")] = None,
    target: Annotated[Optional[str], typer.Option(help="Target availability, e.g. 99.95% or 0.9995.")] = None,
    target_nines: Annotated[Optional[str], typer.Option(metavar="<float>", help="Target as a number of nines, e.g. 4.5.")] = None,
    csv: Annotated[Optional[str], typer.Option("--csv", metavar="FILE", help="Batch: a CSV with name,mtbf,mttr (or name,availability); - for stdin.")] = None,
    on_error: Annotated[OnError, typer.Option(help="Bad CSV rows: skip them (reported, exit 3) or fail (write nothing, exit 2).")] = OnError.skip,
    errors: Annotated[Optional[str], typer.Option("--errors", metavar="FILE.csv", help="Batch: write every bad row (row, name, reason) to this CSV.")] = None,
    year_days: Annotated[str, typer.Option(metavar="<float>", help="Days in a year for budgets: 365 or 365.25.")] = "365",
    month_days: Annotated[Optional[str], typer.Option(metavar="DAYS", help="Days in a month for budgets, e.g. 30 for 30-day SLA tables. Default: a twelfth of the year.")] = None,
    chart: ChartOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Availability, nines, failure frequency and downtime budgets.

    Give --mtbf and --mttr (or rates) to evaluate a component; add --target to
    check it. Give a target with only one of them to solve for the other (the
    largest MTTR allowed, the smallest MTBF needed), or a target alone for its
    downtime budget per year, quarter, month, week and day.
    """
    from ..availability import Calendar, analyze, analyze_rates, budget, solve
    from ..units import parse_duration, parse_number, parse_probability, parse_rate_per_hour, probability_from_nines

    # numeric options are text read by the one grammar of relcalc.units, as everywhere else
    year_days = parse_number(year_days, "--year-days")
    calendar = Calendar(year_days, None if month_days is None else parse_number(month_days, "--month-days"))
    check_chart_path(chart)
    if target is not None and target_nines is not None:
        raise InputError("give --target or --target-nines, not both")
    goal = None
    if target is not None:
        goal = parse_probability(target, "--target")
    elif target_nines is not None:
        goal = probability_from_nines(parse_number(target_nines, "--target-nines"))

    if mtbf is not None and failure_rate is not None:
        raise InputError("give --mtbf or --failure-rate, not both")
    if mttr is not None and repair_rate is not None:
        raise InputError("give --mttr or --repair-rate, not both")

    if csv is not None:
        if any(v is not None for v in (mtbf, mttr, failure_rate, repair_rate)):
            raise InputError("--csv takes MTBF and MTTR from the file; drop --mtbf/--mttr/--failure-rate/--repair-rate")
        raise typer.Exit(_run_batch(csv, calendar, goal, on_error, fmt, output, chart, errors))
    if errors is not None:
        raise InputError("--errors lists the bad rows of a --csv batch; give --csv FILE")

    up_hours = down_hours = None
    if mtbf is not None:
        up_hours = parse_duration(mtbf, "--mtbf", year_days=year_days)
    if mttr is not None:
        down_hours = parse_duration(mttr, "--mttr", year_days=year_days)
    lam = parse_rate_per_hour(failure_rate, "--failure-rate", year_days=year_days) if failure_rate else None
    mu = parse_rate_per_hour(repair_rate, "--repair-rate", year_days=year_days) if repair_rate else None
    have_up = up_hours is not None or lam is not None
    have_down = down_hours is not None or mu is not None

    check = None
    if have_up and have_down:
        if lam is not None and mu is not None:
            result = analyze_rates(lam, mu, calendar=calendar)
        else:
            result = analyze(up_hours or 1.0 / lam, down_hours or 1.0 / mu, calendar=calendar)
        check = goal
    elif goal is not None and (have_up or have_down):
        result = solve(
            *goal,
            mtbf_hours=(up_hours or 1.0 / lam) if have_up else None,
            mttr_hours=(down_hours or 1.0 / mu) if have_down else None,
            calendar=calendar,
        )
    elif goal is not None:
        result = budget(*goal, calendar=calendar)
    else:
        raise InputError("give --mtbf and --mttr (or --failure-rate and --repair-rate), a --target, or --csv FILE")

    if chart is not None:
        _check_chartable(result)  # before anything is written
    record = to_record(result)
    if calendar.month_days is not None:
        record["month_days"] = calendar.month_days
    if check is not None:
        record["target_availability"] = check[0]
        record["target_unavailability"] = check[1]
        record["meets_target"] = bool(result.meets(check[1]))
    from .output import write_csv_record

    emit(
        fmt,
        output,
        table=lambda console: _single_table(console, result, check),
        json_data=lambda: record,
        csv_write=lambda handle: write_csv_record(record, handle),
    )
    if chart is not None:
        from ..charts import save, sibling
        from ..charts.availability import mttr_curve, nines_map

        goal_u = goal[1] if goal is not None else None
        if result.mtbf_hours is None:  # a budget alone: where the target lies over MTBF x MTTR
            save(nines_map(goal_u), chart)
        else:
            save(mttr_curve(float(result.mtbf_hours), float(result.mttr_hours), goal_u, calendar), chart)
            save(nines_map(goal_u, point=(float(result.mtbf_hours), float(result.mttr_hours))),
                 sibling(chart, "map"))
    if check is not None and not record["meets_target"]:
        raise typer.Exit(ExitCode.PARTIAL)


#: MTBF and MTTR (hours) the charts can place on their log axes: a nanosecond to 100 million years.
CHART_HOURS = (1e-12 / 3.6, 1e12)


def _check_chartable(result) -> None:
    """Refuse --chart for times the charts' log axes cannot hold (checked before anything is written)."""
    low, high = CHART_HOURS
    for name, hours in (("MTBF", result.mtbf_hours), ("MTTR", result.mttr_hours)):
        if hours is not None and not low <= float(hours) <= high:
            raise InputError(
                f"--chart: {name} {float(hours):.3g} h is outside what the chart can draw ({low:.3g} h to {high:.3g} h)"
            )


def _hours(hours: float) -> str:
    text = f"{format_number(hours)} h"
    return text if hours >= 1 else f"{text} ({format_duration(hours)})"


def _single_table(console, result, check) -> None:
    from rich.table import Table

    table = facts_table()
    u = float(result.unavailability)
    solved = result.solved_for
    if result.mtbf_hours is not None:
        table.add_row("MTBF" + (" (smallest allowed)" if solved == "mtbf" else ""), _hours(result.mtbf_hours))
        table.add_row("MTTR" + (" (largest allowed)" if solved == "mttr" else ""), _hours(result.mttr_hours))
    table.add_row("Availability", format_percent(float(result.availability), u))
    table.add_row("Unavailability", f"{u:.4g}")
    table.add_row("Nines", f"{float(result.nines):.2f}")
    if result.mtbf_hours is not None:
        table.add_row("Failures per year", f"{float(result.failure_frequency_per_year):.4g}")
    if check is not None:
        verdict = "yes" if result.meets(check[1]) else "NO"
        table.add_row("Target", f"{format_percent(*check)} -> meets target: {verdict}")
    console.print(table)
    downtime = Table(title="Expected downtime" if solved is None and result.mtbf_hours is not None else "Downtime budget", title_justify="left")
    downtime.add_column("per")
    downtime.add_column("downtime", justify="right")
    downtime.add_column("hours", justify="right")
    for period, hours in result.downtime_table().items():
        downtime.add_row(period, format_duration(float(hours)), f"{float(hours):.6g}")
    console.print(downtime)
    console.print(f"Calendar: {result.calendar.describe()}.")


def _run_batch(source: str, calendar, goal, on_error: OnError, fmt, output, chart=None, errors=None) -> int:
    from ..availability_csv import evaluate_availability_csv
    from ..batch import read_csv
    from .bad_rows import BadRows, check_paths, exit_code
    from .output import Format, resolve_format

    check_paths(source, output, errors)
    if resolve_format(fmt, output) is Format.csv and chart is None:  # CSV out: streamed, in bounded memory
        from .batch_stream import stream_batch

        return stream_batch(source, output, calendar, goal, on_error, errors)
    from .held_input import check_held, check_output_file, held_csv

    check_output_file(output)
    frame = check_held(read_csv(held_csv(source), "--csv"))
    result = evaluate_availability_csv(frame, calendar=calendar, target=goal)
    with BadRows(on_error, errors) as bad:
        bad.add(result.errors)
    bad.refuse_if_failing(result.rows_read)
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
        from ..charts.availability import ranking

        save(ranking(row_names(table), table["nines"].to_numpy(), goal[1] if goal is not None else None), chart)
    shortfalls = []
    missed = int((~table["meets_target"]).sum()) if "meets_target" in table else 0  # rows without a target: NA
    if missed:
        shortfalls.append(f"{missed} of {len(table)} rows miss the target")
    return exit_code(len(result.errors), result.rows_read, shortfalls)


def _batch_table(console, result) -> None:
    import pandas as pd
    from rich.text import Text  # a user's name is text, never rich markup ("[/]" would be a MarkupError)

    frame = result.table
    table, label = batch_table(frame, result.rows_read)
    components = result.mode == "components"
    if components:
        table.add_column("MTBF h", justify="right")
        table.add_column("MTTR h", justify="right")
    table.add_column("availability", justify="right")
    table.add_column("nines", justify="right")
    table.add_column("downtime/yr", justify="right")
    has_target = "meets_target" in frame
    if has_target:
        table.add_column("target", justify="center")
    from .held_input import MAX_TABLE_ROWS, more_rows_line

    for i, row in enumerate(frame.head(MAX_TABLE_ROWS).itertuples(index=False)):
        rec = dict(zip(frame.columns, row))
        cells = [Text(str(rec[label])) if label else str(i + 1)]
        if components:
            cells += [format_number(rec["mtbf_hours"]), format_number(rec["mttr_hours"], 4)]
        cells += [
            format_percent(rec["availability"], rec["unavailability"]),
            f"{rec['nines']:.2f}",
            format_duration(rec["downtime_per_year_hours"]),
        ]
        if has_target:
            meets = rec["meets_target"]  # NA: the row has no target
            cells.append("-" if pd.isna(meets) else "ok" if meets else "MISS")
        table.add_row(*cells)
    console.print(table)
    more = more_rows_line(len(frame))
    if more:
        console.print(more)
    console.print(f"Calendar: {result.calendar.describe()}.")
