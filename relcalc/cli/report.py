"""``relcalc report``: the capacity-review report of one service."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer


def report_command(
    spec: Annotated[str, typer.Argument(metavar="SERVICE.yaml", help="The service: targets, components and system, raft, capacity.")],
    output: Annotated[str, typer.Option("--output", "-o", metavar="DIR", help="Directory for report.html, report.md, charts/ and tables/ (new, empty, or a previous report: relcalc replaces only files its manifest lists).")] = "report",
    seed: Annotated[Optional[int], typer.Option("--seed", metavar="N", help="Seed of the Raft store's simulations (overrides raft.seed).")] = None,
    years: Annotated[Optional[str], typer.Option("--years", metavar="YEARS", help="Simulated years per store analysis, the work budget (overrides raft.years).")] = None,
    method: Annotated[Optional[str], typer.Option("--method", metavar="METHOD", help="auto, crude, importance or exact for the Raft store (overrides raft.method).")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print report.pdf with a headless Chromium (an error if none is installed).")] = False,
    png: Annotated[bool, typer.Option("--png", help="Also write every chart as PNG (200 dpi), beside the SVG.")] = False,
) -> None:
    """A capacity-review report: summary and verdicts, block diagram, Raft store, capacity, charts and tables.

    Writes DIR/report.html (self-contained, opens offline), DIR/report.md,
    every chart as SVG under DIR/charts, every table as CSV under
    DIR/tables and DIR/manifest.json. The directory is built aside and
    moved into place at the end, so a failed run leaves nothing
    half-written. Exit 3 when a target is missed or the cluster is short.
    """
    from ..errors import ExitCode
    from ..report import write_report
    from ..units import format_percent, parse_number

    years_value = None if years is None else parse_number(years, "--years")
    progress = None
    if sys.stderr.isatty():  # long store simulations say what they are doing; piped stderr stays quiet

        def progress(text: str) -> None:
            sys.stderr.write(f"\rrelcalc: report: {text}\x1b[K")
            sys.stderr.flush()

    try:
        run = write_report(spec, output, seed=seed, years=years_value, method=method, png=png, pdf=pdf,
                           progress=progress)
    finally:
        if progress is not None:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
    a = run.analysis
    states = ", ".join(f"{v.name} {v.state}" for v in a.verdicts)
    interval = ""
    if a.interval is not None:  # beside every availability figure, here too
        (a_low, u_high), (a_high, u_low) = a.interval
        interval = f" (90%: {format_percent(a_low, u_high)} to {format_percent(a_high, u_low)})"
    print(f"{a.spec.name}: availability {format_percent(a.availability, a.unavailability)}{interval} against "
          f"{a.spec.target_text}; {states}; report in {os.path.join(output, 'report.html')}")
    if not a.meets:
        raise typer.Exit(ExitCode.PARTIAL)
