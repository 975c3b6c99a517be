"""``relcalc report``: the capacity-review report of one service."""

from __future__ import annotations

import os
from typing import Annotated

import typer


def report_command(
    spec: Annotated[str, typer.Argument(metavar="SERVICE.yaml", help="The service: targets, components and system, raft, capacity.")],
    output: Annotated[str, typer.Option("--output", "-o", metavar="DIR", help="Directory for report.html, report.md, charts/ and tables/ (replaced whole).")] = "report",
) -> None:
    """A capacity-review report: summary, block diagram, Raft store, capacity, charts and tables.

    Writes DIR/report.html (self-contained, opens offline), DIR/report.md,
    every chart as PNG and SVG under DIR/charts and every table as CSV under
    DIR/tables. The directory is built aside and moved into place at the
    end, so a failed run leaves nothing half-written.
    """
    from ..report import write_report

    context = write_report(spec, output)
    verdict = "meets" if context["meets"] else "misses"
    print(f"{context['service']}: availability {context['availability_text']} {verdict} the target "
          f"{context['target_text']}; report in {os.path.join(output, 'report.html')}")
