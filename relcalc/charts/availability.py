"""Availability charts: nines against MTTR, services ranked, the nines map."""

from __future__ import annotations

import numpy as np

from ..availability import Calendar
from .style import (BLUE, GREEN, ORANGE, TARGET, duration_axis, figure, legend_above, nines_axis,
                    second_axis, short_duration, styled)


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
    ax.set_xlabel("MTTR (log scale)")
    duration_axis(ax.xaxis, 1.0, log=True)
    ax.set_ylabel("availability")
    nines_axis(ax.yaxis)
    twin = second_axis(ax, "downtime per year (log scale)")
    downtime = mttr / (mtbf_hours + mttr) * calendar.year_hours
    twin.plot(mttr, downtime, color=ORANGE, lw=2, ls=":", label="downtime per year")
    twin.set_yscale("log")
    duration_axis(twin.yaxis, 1.0, log=True)
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    legend_above(ax, handles + more, labels + more_labels, ncols=4)
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
        legend_above(ax)
    ax.barh(range(shown), nines[order], color=colours)
    ax.set_yticks(range(shown), [names[i] for i in order])
    ax.invert_yaxis()
    ax.set_xlabel("availability (nines)")
    nines_axis(ax.xaxis)
    return fig


@styled
def nines_map(target_unavailability: float | None = None, mtbf_range=(100.0, 1e6), mttr_range=(1 / 60, 100.0),
              point: tuple[float, float] | None = None, point_label: str | None = None, note: str = ""):
    """Nines over an MTBF x MTTR grid (both log scales), with the target contour.

    ``point`` (MTBF, MTTR hours) is drawn as a white dot, labelled ``point_label``;
    the ranges widen to hold it. ``note`` goes at the end of the subtitle (what the point means).
    """
    fig, ax = figure(
        "Which MTBF and MTTR reach the target?",
        "availability = MTBF / (MTBF + MTTR) in nines"
        + ("" if target_unavailability is None else f"; target {100 * (1 - target_unavailability):.6g}% dashed")
        + (f"\n{note}" if note else ""),
    )
    if point is not None:
        mtbf_range = (min(mtbf_range[0], point[0] / 3), max(mtbf_range[1], point[0] * 3))
        mttr_range = (min(mttr_range[0], point[1] / 3), max(mttr_range[1], point[1] * 3))
    mtbf = np.geomspace(*mtbf_range, 120)
    mttr = np.geomspace(*mttr_range, 120)
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
        ax.plot([point[0]], [point[1]], "o", color="white", mec="black", ms=10, label=point_label)
        if point_label:
            ax.annotate(point_label, point, xytext=(12, 12), textcoords="offset points", fontsize=11,
                        bbox={"boxstyle": "round", "fc": "white", "ec": "black", "alpha": 0.9})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MTBF (log scale)")
    ax.set_ylabel("MTTR (log scale)")
    duration_axis(ax.xaxis, 1.0, log=True)
    duration_axis(ax.yaxis, 1.0, log=True)
    ax.grid(False)
    return fig


@styled
def improvements(actions, saved_hours, downtime_hours: float, top: int = 8):
    """Downtime per year each change saves, most first, against the service's downtime (the summary's figure)."""
    actions = [str(a) for a in actions][:top]
    saved = np.asarray(saved_hours, float)[:top]
    fig, ax = figure(
        "What to do first",
        f"downtime a year each change saves; the service's downtime is {short_duration(downtime_hours)} a year "
        f"(diagram and store); top {len(actions)}",
    )
    minutes = saved * 60
    ax.barh(range(len(actions)), minutes, color=BLUE)
    for i, (m, h) in enumerate(zip(minutes, saved)):
        share = h / downtime_hours * 100 if downtime_hours > 0 else 0
        ax.text(m, i, f" {short_duration(h)} ({share:.0f}%)", va="center", ha="left", fontsize=10)
    ax.set_yticks(range(len(actions)), [a if len(a) <= 48 else a[:47] + "..." for a in actions])
    ax.invert_yaxis()
    ax.set_xlim(0, max(minutes.max() * 1.3, 1e-9) if minutes.size else 1)
    ax.set_xlabel("downtime saved a year")
    duration_axis(ax.xaxis, 1 / 60)
    ax.grid(axis="y", visible=False)
    return fig

