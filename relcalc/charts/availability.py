"""Availability charts: nines against MTTR, services ranked, the nines map."""

from __future__ import annotations

import numpy as np

from ..availability import Calendar
from .style import BLUE, GREEN, ORANGE, TARGET, figure, joint_legend, nines_axis, second_axis, styled


def _nines(mtbf, mttr):
    return -np.log10(np.asarray(mttr, float) / (np.asarray(mtbf, float) + np.asarray(mttr, float)))


@styled
def mttr_curve(mtbf_hours: float, mttr_hours: float, target_unavailability: float | None = None,
               calendar: Calendar | None = None):
    """Nines and downtime per year against MTTR for one MTBF, the given MTTR marked.

    The year is ``calendar``'s (365 days by default).
    """
    calendar = calendar or Calendar()
    fig, ax = figure(
        "How much does repair time cost?",
        f"MTBF {mtbf_hours:,.6g} h; the marked point is MTTR {mttr_hours:,.4g} h; year of {calendar.year_days:g} days",
    )
    low, high = mttr_hours / 100.0, mttr_hours * 100.0
    mttr = np.geomspace(low, high, 400)
    nines = _nines(mtbf_hours, mttr)
    ax.plot(mttr, nines, color=BLUE, lw=2.5, label="availability (nines)")
    ax.plot([mttr_hours], [_nines(mtbf_hours, mttr_hours)], "o", color=BLUE, ms=9, label=f"MTTR {mttr_hours:,.4g} h")
    if target_unavailability is not None:
        goal = -np.log10(target_unavailability)
        ax.axhline(goal, color=TARGET, ls="--", lw=2, label="target")
    ax.set_xscale("log")
    ax.set_xlabel("MTTR (hours, log scale)")
    ax.set_ylabel("availability")
    nines_axis(ax.yaxis)
    twin = second_axis(ax, "downtime per year (hours, log scale)")
    downtime = mttr / (mtbf_hours + mttr) * calendar.year_hours
    twin.plot(mttr, downtime, color=ORANGE, lw=2, ls=":", label="downtime per year")
    twin.set_yscale("log")
    joint_legend(ax, twin, "upper right")
    return fig


@styled
def ranking(names, nines, target_unavailability: float | None = None, limit: int = 30):
    """Services ranked by nines, worst at the top, against the target."""
    names = [str(n) for n in names]
    nines = np.asarray(nines, float)
    order = np.argsort(nines)[:limit]
    shown = len(order)
    fig, ax = figure(
        "Which services fall short?",
        f"{len(names)} services, the {shown} least available shown"
        + ("" if target_unavailability is None else f"; target {100 * (1 - target_unavailability):.6g}%"),
    )
    colours = [BLUE] * shown
    if target_unavailability is not None:
        goal = -np.log10(target_unavailability)
        colours = [TARGET if nines[i] < goal else GREEN for i in order]
        ax.axvline(goal, color=TARGET, ls="--", lw=2, label="target")
        ax.legend(loc="lower right")
    ax.barh(range(shown), nines[order], color=colours)
    ax.set_yticks(range(shown), [names[i] for i in order])
    ax.invert_yaxis()
    ax.set_xlabel("availability (nines)")
    nines_axis(ax.xaxis)
    return fig


@styled
def nines_map(target_unavailability: float | None = None, mtbf_range=(100.0, 1e6), mttr_range=(1 / 60, 100.0),
              point: tuple[float, float] | None = None):
    """Nines over an MTBF x MTTR grid (both log scales), with the target contour."""
    fig, ax = figure(
        "Which MTBF and MTTR reach the target?",
        "availability = MTBF / (MTBF + MTTR) in nines"
        + ("" if target_unavailability is None else f"; target {100 * (1 - target_unavailability):.6g}% dashed"),
    )
    mtbf = np.geomspace(*mtbf_range, 300)
    mttr = np.geomspace(*mttr_range, 300)
    grid_mtbf, grid_mttr = np.meshgrid(mtbf, mttr)
    nines = _nines(grid_mtbf, grid_mttr)
    levels = np.arange(np.floor(nines.min()), np.ceil(nines.max()) + 0.5, 0.5)
    filled = ax.contourf(grid_mtbf, grid_mttr, nines, levels=levels, cmap="viridis")
    bar = fig.colorbar(filled, ax=ax)
    bar.set_label("availability (nines)")
    nines_axis(bar.ax.yaxis)
    if target_unavailability is not None:
        goal = -np.log10(target_unavailability)
        ax.contour(grid_mtbf, grid_mttr, nines, levels=[goal], colors=[TARGET], linewidths=2.5, linestyles="--")
    if point is not None:
        ax.plot([point[0]], [point[1]], "o", color="white", mec="black", ms=10)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MTBF (hours, log scale)")
    ax.set_ylabel("MTTR (hours, log scale)")
    ax.grid(False)
    return fig

