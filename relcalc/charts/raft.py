"""Raft charts: unavailability against a swept parameter, outage durations, a sample year."""

from __future__ import annotations

import numpy as np

from ..raft.histogram import bin_edges_hours, quantile_hours
from .style import BLUE, GREEN, ORANGE, TARGET, VERMILION, duration_axis, figure, legend_above, log_axis, short_duration, styled

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


def _describe(key: str, value) -> str:
    short = _PARAMETERS[key][0]
    if key == "common_cause":
        return f"beta {float(value) * 100:g}%"
    return f"{short} {value}"


def _methods(results: list) -> str:
    """How the points were found, in words: one method, or the methods by point."""
    names = {"crude": "crude sampling", "importance": "importance sampling", "exact": "the Markov chain solved"}
    used = list(dict.fromkeys(r.method for r in results))
    if len(used) == 1:
        return names[used[0]]
    return " and ".join(names[m] for m in used) + ", by point"


@styled
def sweep(results: list, parameter: str | None = None):
    """Quorum unavailability (log scale, with 95% intervals) against the swept input; exact where known.

    ``results`` are :class:`~relcalc.raft.result.RaftResult` of one grid,
    ``parameter`` one of :data:`~relcalc.raft.sweep.SWEPT_INPUTS` (by default
    the one that varies). One line per combination of the other inputs. A
    point where no quorum loss was seen is its 95% upper bound, drawn as a
    hollow downward triangle and left out of the line.
    """
    from ..raft.sweep import SWEPT_INPUTS, groups, input_value, swept_input, varies

    parameter = parameter or swept_input(results)
    short, label = _PARAMETERS[parameter]
    sampled = any(r.method != "exact" for r in results)
    colours = [BLUE, ORANGE, GREEN, VERMILION, "#CC79A7", "#56B4E9", "#000000"]
    others = [k for k in SWEPT_INPUTS if k != parameter and varies(results, k)]
    fig, ax = figure(f"Quorum unavailability against {short}", " ")
    drew_exact = drew_bound = False
    for g, group in enumerate(groups(results, parameter)):
        group.sort(key=lambda r: input_value(r, parameter) or 0)
        scale = 100 if parameter == "common_cause" else 1
        x = np.array([(input_value(r, parameter) or 0) * scale for r in group], float)
        # no loss seen (an upper-bound interval, or an estimate of 0 that a log axis cannot draw): a bound
        bound = np.array([r.quorum_unavailability.method.endswith("upper-bound")
                          or not (r.quorum_unavailability.value or 0) > 0 for r in group])
        y = np.array([np.nan if b else r.quorum_unavailability.value for r, b in zip(group, bound)], float)
        low = np.array([(r.quorum_unavailability.bounds or [np.nan, np.nan])[0] for r in group], float)
        high = np.array([(r.quorum_unavailability.bounds or [np.nan, np.nan])[1] for r in group], float)
        colour = colours[g % len(colours)]
        name = ", ".join(_describe(k, input_value(group[0], k)) for k in others) or (
            "exact" if not sampled else "estimate")
        err = np.vstack([np.clip(y - low, 0, None), np.clip(high - y, 0, None)])
        ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o-", color=colour, capsize=4, lw=2, label=name)
        drawable = bound & np.isfinite(high) & (high > 0)
        if drawable.any():
            drew_bound = True
            ax.plot(x[drawable], high[drawable], "v", mfc="none", mec=colour, ms=11, mew=2,
                    label="upper bound, no loss seen" if name in ("estimate", "exact") else f"upper bound ({name})")
        exact = np.array([r.exact_quorum_unavailability or np.nan for r in group], float)
        if np.isfinite(exact).any() and sampled:
            drew_exact = True
            ax.plot(x, exact, "s", mfc="none", mec=colour, ms=10, mew=2,
                    label="exact" if name in ("estimate", "exact") else f"exact ({name})")
    how = _methods(results)
    if sampled:
        how += f", seed {results[0].seed}; bars are 95% intervals (exact Poisson limits where losses were few)"
        if drew_exact:
            how += ", hollow squares exact values"
    if drew_bound:
        how += "; triangles: 95% upper bounds where no loss was seen"
    subtitle = next(t for t in fig.texts if t.get_text() == " ")
    subtitle.set_text(f"{len(results)} points; {how}")
    ax.set_yscale("log")
    log_axis(ax.yaxis)
    if parameter in ("nodes", "repair_crews", "zones"):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label)
    ax.set_ylabel("quorum unavailability (log scale)")
    legend_above(ax, ncols=4)
    return fig


@styled
def outages(histogram: np.ndarray, title_note: str = "", percentiles: dict | None = None):
    """Distribution of quorum outage durations (log-scaled duration axis), with p50/p95/p99.

    ``percentiles`` maps "p50", "p95", "p99" to the result's intervals (hours),
    whose 95% intervals go in the legend; without it the percentiles are read
    from ``histogram`` (within 0.1%, :mod:`relcalc.raft.histogram`).
    """
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
    ax.set_xlabel("outage duration (log scale)")
    ax.set_ylabel("share of outages (%)")
    for name, level, colour in (("p50", 0.5, GREEN), ("p95", 0.95, ORANGE), ("p99", 0.99, TARGET)):
        interval = (percentiles or {}).get(name)
        hours = interval.value if interval is not None and interval.value is not None else quantile_hours(counts, level)
        text = f"{name} {short_duration(hours)}"
        if interval is not None and interval.bounds is not None:
            low, high = interval.bounds
            text += f" (95%: {short_duration(low)} to {short_duration(high)})"
        ax.axvline(hours * 60, color=colour, ls="--", lw=2, label=text)
    duration_axis(ax.xaxis, 1 / 60, log=True)
    legend_above(ax)
    return fig


@styled
def timeline(trace, title_note: str = "", title: str = "A sample year of the cluster"):
    """One sample year: each node up or down, the quorum, and who leads.

    ``title_note`` ends the subtitle's first line (how the year was picked, the seed).
    """
    n = trace.serving.shape[1]
    days = np.append(trace.hours, trace.horizon_hours) / 24.0
    fig, ax = figure(title, f"{n} nodes, quorum {trace.quorum}{title_note}\n"
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
    ax.set_xlim(0, trace.horizon_hours / 24.0)
    ax.set_ylim(-1.2, n + 1.6)
    ax.set_xlabel("time (days)")
    ax.grid(axis="y", visible=False)
    return fig
