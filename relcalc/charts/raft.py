"""Raft charts: unavailability against a swept parameter, outage durations, a sample year."""

from __future__ import annotations

import numpy as np

from ..raft.histogram import bin_centre_hours, bin_edges_hours
from .style import BLUE, GREEN, ORANGE, TARGET, VERMILION, figure, styled

_PARAMETERS = {
    "nodes": ("nodes", "cluster size n (nodes)"),
    "mtbf_hours": ("MTBF", "node MTBF (hours)"),
    "mttr_hours": ("MTTR", "node MTTR (hours)"),
    "repair_crews": ("crews", "repair crews"),
    "zones": ("zones", "zones"),
    "common_cause": ("beta", "common-cause share beta (%)"),
    "zone_mtbf_hours": ("zone MTBF", "zone MTBF (hours)"),
    "zone_mttr_hours": ("zone MTTR", "zone MTTR (hours)"),
}


def _value(rec: dict, key: str):
    """A record's input: ``zones`` is the number of zones in its layout."""
    return len(rec["layout"]) if key == "zones" else rec.get(key)


def _describe(key: str, value: str) -> str:
    short = _PARAMETERS[key][0]
    if key == "common_cause":
        return f"beta {float(value) * 100:g}%"
    return f"{short} {value}"


def swept_parameter(records: list[dict]) -> str:
    """The input that varies most across ``records`` (nodes when several do)."""
    varying = [k for k in _PARAMETERS if len({str(_value(r, k)) for r in records}) > 1]
    if not varying:
        return "nodes"
    return "nodes" if "nodes" in varying else varying[0]


@styled
def sweep(records: list[dict], parameter: str | None = None):
    """Quorum unavailability (log scale, with 95% intervals) against the swept input; exact where known.

    One line per combination of the other inputs.
    """
    parameter = parameter or swept_parameter(records)
    short, label = _PARAMETERS[parameter]
    groups: dict[tuple, list[dict]] = {}
    for rec in records:
        key = tuple((k, str(_value(rec, k))) for k in _PARAMETERS if k != parameter)
        groups.setdefault(key, []).append(rec)
    method = records[0]["method"]
    how = ("the Markov chain solved" if method == "exact" else
           f"{method} sampling, seed {records[0]['seed']}; bars are 95% intervals, hollow squares exact values")
    fig, ax = figure(f"Quorum unavailability against {short}", f"{len(records)} points; {how}")
    colours = [BLUE, ORANGE, GREEN, VERMILION, "#CC79A7", "#56B4E9", "#000000"]
    for g, (key, group) in enumerate(groups.items()):
        group.sort(key=lambda r: _value(r, parameter) or 0)
        x = np.array([(_value(r, parameter) or 0) * (100 if parameter == "common_cause" else 1) for r in group], float)
        y = np.array([r["quorum_unavailability"] or np.nan for r in group])
        low = np.array([(r["quorum_unavailability_ci95"] or [np.nan, np.nan])[0] for r in group])
        high = np.array([(r["quorum_unavailability_ci95"] or [np.nan, np.nan])[1] for r in group])
        colour = colours[g % len(colours)]
        varying = [_describe(k, v) for k, v in key if len({str(_value(r, k)) for r in records}) > 1]
        name = ", ".join(varying) or ("exact" if method == "exact" else "estimate")
        err = np.vstack([np.clip(y - low, 0, None), np.clip(high - y, 0, None)])
        ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o-", color=colour, capsize=4, lw=2, label=name)
        exact = np.array([r["exact_quorum_unavailability"] or np.nan for r in group])
        if np.isfinite(exact).any() and method != "exact":
            ax.plot(x, exact, "s", mfc="none", mec=colour, ms=10, mew=2,
                    label="exact" if name in ("estimate", "exact") else f"exact ({name})")
    ax.set_yscale("log")
    if parameter in ("nodes", "repair_crews", "zones"):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label)
    ax.set_ylabel("quorum unavailability (log scale)")
    ax.legend(loc="best")
    return fig


@styled
def outages(histogram: np.ndarray, title_note: str = ""):
    """Distribution of quorum outage durations (log-scaled duration axis)."""
    counts = np.asarray(histogram, float)
    total = counts.sum()
    edges = bin_edges_hours(counts.size)
    fig, ax = figure("How long do quorum outages last?",
                     f"{int(total):,} simulated outages{title_note}")
    if total == 0:
        ax.text(0.5, 0.5, "no quorum outage was observed", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel("outage duration (hours)")
        ax.set_ylabel("share of outages (%)")
        return fig
    # regroup the fine bins into about 40 log-spaced ones over the observed range
    used = np.flatnonzero(counts)
    lo, hi = used[0], used[-1] + 1
    step = max(1, (hi - lo) // 40)
    starts = np.arange(lo, hi, step)
    grouped = np.add.reduceat(counts, starts) / total * 100
    left = edges[starts]
    right = edges[np.minimum(starts + step, counts.size)]
    ax.bar(left * 60, grouped, width=(right - left) * 60, align="edge", color=BLUE, edgecolor="white")
    ax.set_xscale("log")
    ax.set_xlabel("outage duration (minutes, log scale)")
    ax.set_ylabel("share of outages (%)")
    cumulative = np.cumsum(counts) / total
    for q, colour in ((0.5, GREEN), (0.95, ORANGE), (0.99, TARGET)):
        index = int(np.searchsorted(cumulative, q))
        minutes = bin_centre_hours(index) * 60
        ax.axvline(minutes, color=colour, ls="--", lw=2, label=f"p{int(q * 100)} {minutes:,.3g} min")
    ax.legend(loc="upper right")
    return fig


@styled
def timeline(trace, title_note: str = ""):
    """One sample year: each node up or down, the quorum, and who leads."""
    n = trace.serving.shape[1]
    days = np.append(trace.hours, trace.horizon) / 24.0
    fig, ax = figure("A sample year of the cluster", f"{n} nodes, quorum {trace.quorum}{title_note}; "
                     "grey bars: a node out of service; red: no quorum; orange ticks: elections")
    for i in range(n):
        down = ~trace.serving[:, i]
        starts = days[:-1][down]
        widths = np.diff(days)[down]
        ax.broken_barh(list(zip(starts, np.maximum(widths, 0.02))), (i + 0.6, 0.8), color="#777777")
    serving = trace.serving.sum(axis=1)
    lost = serving < trace.quorum
    ax.broken_barh(list(zip(days[:-1][lost], np.maximum(np.diff(days)[lost], 0.05))), (-0.9, 0.8), color=TARGET)
    changes = np.flatnonzero(np.diff(trace.leader) != 0) + 1
    elections = [days[i] for i in changes if trace.leader[i] >= 0]
    ax.plot(elections, np.full(len(elections), n + 1.0), "|", color=ORANGE, ms=14, mew=2)
    ax.set_yticks([-0.5] + [i + 1 for i in range(n)] + [n + 1], ["quorum lost"] + [f"node {i}" for i in range(n)]
                  + ["new leader"])
    ax.set_xlim(0, trace.horizon / 24.0)
    ax.set_ylim(-1.2, n + 1.6)
    ax.set_xlabel("time (days)")
    ax.grid(axis="y", visible=False)
    return fig
