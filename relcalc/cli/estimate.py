"""``relcalc estimate``: MTBF, MTTR and availability with intervals from an incident export."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import ExitCode, InputError
from .output import (MAX_ERRORS_SHOWN, ChartOption, FormatOption, OnError, OutputOption, check_chart_path, emit, facts_table,
                     report_row_errors, warn)


def estimate_command(
    incidents: Annotated[str, typer.Argument(metavar="INCIDENTS.csv", help="Incident export: component, start, end (or duration); - for stdin.")],
    window: Annotated[Optional[str], typer.Option("--window", "-w", metavar="START..END", help="Observation window of every component, e.g. 2025-01-01..2026-01-01 (or window_start/window_end columns).")] = None,
    tz: Annotated[str, typer.Option("--tz", metavar="ZONE", help="Time zone of timestamps without an offset (IANA name, e.g. Europe/Paris).")] = "UTC",
    confidence: Annotated[str, typer.Option(metavar="<level>", help="Confidence of the intervals: 90% or 0.9.")] = "90%",
    significance: Annotated[str, typer.Option(metavar="<level>", help="Significance level of the trend tests: 10% or 0.1.")] = "10%",
    on_error: Annotated[OnError, typer.Option(help="Bad rows: skip them (reported, exit 3) or fail (write nothing, exit 2).")] = OnError.skip,
    seed: Annotated[str, typer.Option(metavar="<int>", help="Seed of the goodness-of-fit bootstrap.")] = "1",
    year_days: Annotated[str, typer.Option(metavar="<float>", help="Days in a year (for durations given in years): 365 or 365.25.")] = "365",
    chart: ChartOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Estimate each component's MTBF, MTTR and availability from its incident history.

    Overlapping incidents of one component are merged (and reported). MTBF
    limits are the chi-square limits of a time-truncated observation (a
    lower limit when there were no failures); the repair-time law is chosen
    by AICc among exponential, lognormal and Weibull fits; the Laplace and
    MIL-HDBK-189 tests say whether the failure rate is changing.
    """
    from ..estimate import estimate, read_history
    from ..estimate.incidents import read_rows
    from ..estimate.timestamps import parse_window, zone
    from ..units import parse_count, parse_number

    check_chart_path(chart)
    if output and output != "-":
        import os

        from ..files import check_directory_of

        check_directory_of(output, "--output")
        if incidents != "-" and os.path.exists(output) and os.path.exists(incidents) \
                and os.path.samefile(output, incidents):
            raise InputError(f"--output: {output} is the incident file itself; write the results elsewhere")
    level = _level(confidence, "--confidence")
    alpha = _level(significance, "--significance")
    seed_value = parse_count(seed, "--seed", low=0, high=2**63 - 1)
    year = parse_number(year_days, "--year-days")
    from ..availability import Calendar

    Calendar(year)  # 365 or 365.25, refused otherwise as everywhere
    default_zone = zone(tz)
    span = parse_window(window, default_zone) if window is not None else None
    records, columns = read_rows(incidents)
    history = read_history(records, columns, window=span, default_zone=default_zone, year_days=year)
    report_row_errors(history.errors, history.rows_read, on_error, "INCIDENTS")
    result = estimate(history, confidence=level, significance=alpha, rng=seed_value)

    emit(fmt, output, table=lambda console: _table(console, result),
         json_data=lambda: _json(result), csv_write=lambda handle: _csv(result, handle))
    if chart is not None:
        from ..charts import save, sibling
        from ..charts.estimate import cumulative_failures, repair_times

        save(cumulative_failures(result), chart)
        save(repair_times(result), sibling(chart, "repairs"))
    for merge in result.merges[:MAX_ERRORS_SHOWN]:
        warn(f"merged: {merge}")
    if len(result.merges) > MAX_ERRORS_SHOWN:
        warn(f"... and {len(result.merges) - MAX_ERRORS_SHOWN} more merges (all of them in --format json)")
    if history.errors:
        warn(f"skipped {len(history.errors)} of {history.rows_read} rows with errors")
        raise typer.Exit(ExitCode.PARTIAL)


def _level(text: str, option: str) -> float:
    from ..units import parse_probability

    value, _ = parse_probability(text, option)
    if option == "--confidence" and not 0.5 <= value < 1.0:
        raise InputError(f"{option} must be at least 50% and below 100% (e.g. 90%), got {text!r}")
    if option == "--significance" and not 0.0 < value <= 0.5:
        raise InputError(f"{option} must be above 0 and at most 50% (e.g. 10%), got {text!r}")
    return value


def _json(result) -> dict:
    from ..results import record

    return {
        "confidence": result.confidence,
        "significance": result.significance,
        "rows_read": result.rows_read,
        "components": [record(c) for c in result.components],
        "merged": [{"component": m.component, "rows": list(m.rows)} for m in result.merges],
        "row_errors": [{"row": e.row, "message": e.message} for e in result.errors],
    }


def _csv(result, handle) -> None:
    import json

    from ..files import write_csv_records
    from ..results import record

    rows = []
    for comp in result.components:
        row = record(comp)
        row["repair_parameters"] = json.dumps(row["repair_parameters"]) if row["repair_parameters"] else None
        rows.append({key: spreadsheet_safe(value) for key, value in row.items()})
    write_csv_records(handle, rows)


def spreadsheet_safe(value):
    """Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) behind a quote.

    Component names come from the incident export, which anyone who can open
    a ticket can write; the CSV is meant to be opened in a spreadsheet
    (OWASP, "CSV Injection"). Numbers are left as they are.
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _unit(hours: float) -> tuple[float, str]:
    """One unit for a figure and its interval, so the three read together."""
    if hours >= 48:
        return 24.0, "d"
    if hours >= 1:
        return 1.0, "h"
    return 1 / 60, "min"


def _with_interval(value, low, high) -> str:
    if value is None and low is None:
        return "-"
    scale, unit = _unit(value if value is not None else low)
    if value is None:  # no failures: only a lower limit
        return f"> {low / scale:.3g} {unit}"
    if low is None or high is None:
        return f"{value / scale:.3g} {unit}"
    return f"{value / scale:.3g} {unit}\n[{low / scale:.3g}, {high / scale:.3g}]"


def _table(console, result) -> None:
    from rich.markup import escape  # names come from the export: "[/]" is not markup to run
    from rich.table import Table

    from ..units import format_percent

    pct = f"{result.confidence:.0%}"
    table = Table(title=f"{len(result.components)} components; intervals at {pct} confidence", title_justify="left")
    for header in ("component", "fails", "downtime", "availability", "MTBF [interval]", "MTTR [interval]"):
        table.add_column(header, justify="left" if header == "component" else "right")
    for c in result.components:
        mtbf = _with_interval(c.mtbf_hours, c.mtbf_low_hours, c.mtbf_high_hours)
        mttr = _with_interval(c.mttr_hours, c.mttr_low_hours, c.mttr_high_hours)
        table.add_row(escape(c.name), str(c.failures), _with_interval(c.downtime_hours or None, None, None),
                      format_percent(c.observed_availability, c.observed_unavailability), mtbf, mttr)
    console.print(table)
    notes = facts_table()
    for c in result.components:
        notes.add_row(escape(c.name), f"window {c.window_start} .. {c.window_end}")
        notes.add_row("", escape(f"repairs: {c.repair_fit}"))
        notes.add_row("", escape(f"trend: {c.trend}"))
        if c.mttr_hours is not None and c.mttr_interval:
            notes.add_row("", escape(f"MTTR interval: {c.mttr_interval}; MTBF interval: {c.mtbf_interval}"))
    console.print(notes)
    if result.merges:
        more = len(result.merges) - MAX_ERRORS_SHOWN
        console.print(escape("Merged: " + "; ".join(str(m) for m in result.merges[:MAX_ERRORS_SHOWN])
                             + (f"; and {more} more (see --format json)" if more > 0 else "") + "."))


def uncertainty_csv_columns(spread, names: list[str]) -> tuple[list[str], list[list]]:
    """compose --uncertainty --format csv: each row's interval of U and variance share.

    The SYSTEM row has the system's interval; a row of an estimated
    component (``app#2`` is an instance of ``app``) has that component's own
    interval of U per instance and its share of the system's variance; fixed
    components' cells are empty.
    """
    columns = ["unavailability_low", "unavailability_high", "variance_share"]
    shares = {s.name: s for s in spread.shares}
    cells = []
    for name in names:
        if name == "SYSTEM":
            cells.append([spread.unavailability_low, spread.unavailability_high, None])
            continue
        share = shares.get(name.split("#")[0])
        cells.append([None, None, None] if share is None
                     else [share.unavailability_low, share.unavailability_high, share.variance_share])
    return columns, cells


def _nines_text(nines: float) -> str:
    # no downtime in a draw (every estimated component drawn at rate 0 and nothing else down): no bound
    return f"{nines:.2f}" if nines != float("inf") else "unbounded"


def render_uncertainty(console, spread, found) -> None:
    """The components taken from an incident history and, with --uncertainty, the intervals (compose, report)."""
    from rich.markup import escape  # names come from the export: "[/]" is not markup to run

    from ..units import format_duration, format_percent

    console.print(escape(f"From the incident history ({found.source}): {', '.join(sorted(found.components))}."))
    for note in found.notes:
        console.print(escape(f"  {note}"))
    if spread is None:
        console.print("  (--uncertainty gives intervals on the figures above)")
        return
    pct = f"{spread.confidence:.0%}"
    table = facts_table()
    table.add_row(f"Availability ({pct} interval)",
                  f"{format_percent(spread.availability, spread.unavailability)} "
                  f"[{format_percent(spread.availability_low, spread.unavailability_high)}, "
                  f"{format_percent(spread.availability_high, spread.unavailability_low)}]")
    table.add_row("Downtime per year", f"{format_duration(spread.downtime_per_year_hours)} "
                  f"[{format_duration(spread.downtime_per_year_low_hours)}, "
                  f"{format_duration(spread.downtime_per_year_high_hours)}]")
    table.add_row("Nines", f"{_nines_text(spread.nines)} [{_nines_text(spread.nines_low)}, "
                  f"{_nines_text(spread.nines_high)}]")
    shares = ", ".join(f"{s.name} {s.variance_share:.0%}" for s in spread.shares)
    table.add_row("Uncertainty from", escape(f"{shares} (share of the variance of U each explains)"))
    console.print(table)
    console.print(f"Intervals: {spread.method}; seed {spread.seed}.")
    for note in spread.notes:
        if note not in found.notes:
            console.print(escape(f"  {note}"))
