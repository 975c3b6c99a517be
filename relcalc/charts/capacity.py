"""Capacity charts: utilisation and latency against N, growth, the USL fit."""

from __future__ import annotations

import numpy as np

from .style import BLUE, GREEN, ORANGE, TARGET, VERMILION, figure, joint_legend, legend_above, second_axis, styled


@styled
def utilization_latency(cluster, sizing, span: float = 2.0):
    """Hottest-node utilisation and p99 response against N, healthy and for the survivors, with the targets
    (utilisation caps, latency) and the answer marked; a size at or above full load has no point."""
    from ..capacity.sizing import figures_at

    nodes = int(sizing.nodes[0])
    top = int(max(nodes * span, nodes + 5))
    low = max(1, int(np.floor(nodes / span)))
    # at most 400 node counts, whole numbers, however large the answer (1e12 req/s must not mean 1e12 points)
    n = np.unique(np.round(np.linspace(low, top, min(top - low + 1, 400))))
    figures = figures_at(cluster, n)
    has_latency = not np.all(np.isnan(figures.p99_response_seconds))
    rate = float(np.asarray(cluster.rate).reshape(-1)[0])
    fig, axes = figure(
        "How many nodes?",
        f"{rate:,.6g} req/s; answer {nodes} nodes, binding: {sizing.binding_constraint[0]}",
        ncols=2 if has_latency else 1,
    )
    ax = axes[0] if has_latency else axes
    ax.plot(n, figures.utilization * 100, "o-", color=BLUE, lw=2, ms=4, label="hottest node")
    after = figures.utilization_after_failures
    if not np.all(np.isnan(after)):
        ax.plot(n, after * 100, "s--", color=ORANGE, lw=2, ms=4, label="hottest survivor after failures")
    cap = float(np.asarray(cluster.target_utilization).reshape(-1)[0]) * 100
    ax.axhline(cap, color=TARGET, ls="--", lw=2, label=f"healthy cap {cap:g}%")
    if not np.all(np.isnan(after)):
        cap_after = float(np.asarray(cluster.failover_utilization).reshape(-1)[0]) * 100
        ax.axhline(cap_after, color=ORANGE, ls=":", lw=2, label=f"survivor cap {cap_after:g}%")
    ax.axhline(100, color="#777777", lw=1)
    ax.axvline(nodes, color=GREEN, lw=2, label=f"answer: {nodes} nodes")
    ax.set_xlabel("nodes N")
    ax.set_ylabel("utilisation (%)")
    ax.set_ylim(0, min(150, max(110, float(np.nanmax(figures.utilization[n >= nodes]) * 100) + 10)))
    legend_above(ax, ncols=2)  # above the plot: the survivor curve runs through the upper right
    if has_latency:
        lat = axes[1]
        p99 = figures.p99_response_seconds * 1000
        lat.plot(n, p99, "o-", color=VERMILION, lw=2, ms=4, label="p99 response")
        lat.plot(n, figures.p50_response_seconds * 1000, "o-", color=BLUE, lw=2, ms=4, label="p50 response")
        survivor = figures.survivor_p99_response_seconds * 1000
        if not np.all(np.isnan(survivor)):
            lat.plot(n, survivor, "s--", color=ORANGE, lw=2, ms=4, label="p99 response, survivors")
        limit = float(np.asarray(cluster.latency_seconds).reshape(-1)[0])
        if np.isfinite(limit):
            lat.axhline(limit * 1000, color=TARGET, ls="--", lw=2, label=f"target {limit * 1000:g} ms")
        lat.axvline(nodes, color=GREEN, lw=2)
        lat.set_xlabel("nodes N")
        lat.set_ylabel("response time (ms)")
        finite = np.concatenate([p99[np.isfinite(p99)], survivor[np.isfinite(survivor)]])
        if finite.size:
            lat.set_ylim(0, float(np.percentile(finite, 90)) * 1.5)
        legend_above(lat)
    return fig


@styled
def growth(projection):
    """Nodes needed month by month as traffic grows, with when the current cluster runs out."""
    fig, ax = figure(
        "When do we need more nodes?",
        f"{projection.growth_per_month * 100:.3g}% growth a month"
        + ("" if projection.current_nodes is None else f"; {projection.current_nodes} nodes today"),
    )
    months = projection.months
    needed = projection.nodes_needed.astype(float).filled(np.nan)  # a gap where no size is enough
    ax.step(months, needed, where="post", color=BLUE, lw=2.5, label="nodes needed")
    if projection.current_nodes is not None:
        ax.axhline(projection.current_nodes, color=TARGET, ls="--", lw=2, label=f"today: {projection.current_nodes}")
        after = projection.runs_out_after_months
        if after is not None and after > 0:
            ax.axvline(after, color=VERMILION, lw=2, label=f"runs out after {after:.1f} months")
        elif after is not None:  # short before any growth: no date to mark
            ax.plot([], [], " ", label="already short today")
    added = np.flatnonzero(np.diff(needed) > 0) + 1
    ax.plot(months[added], needed[added], "^", color=GREEN, ms=8, label="add nodes")
    ax.set_xlabel("month")
    ax.set_ylabel("nodes")
    twin = second_axis(ax, "request rate (req/s)")
    twin.plot(months, projection.rate_per_second, ":", color=ORANGE, lw=2, label="request rate")
    joint_legend(ax, twin, "upper left")
    return fig


@styled
def usl(fit, nodes, throughput):
    """Measured throughput and the fitted Universal Scalability Law curve."""
    from ..capacity.usl import usl_throughput

    nodes = np.asarray(nodes, float)
    law = {"usl": "USL", "amdahl": "Amdahl", "linear": "Linear"}[fit.law]
    fig, ax = figure(
        "How far does the cluster scale?",
        f"{law} fit: lambda {fit.node_throughput_per_second:,.4g} req/s, sigma {fit.sigma:.3g}, kappa {fit.kappa:.3g}, "
        f"R^2 {fit.r_squared:.4f}",
    )
    top = max(nodes.max() * 1.3, min(fit.peak_nodes * 1.5, nodes.max() * 4) if np.isfinite(fit.peak_nodes) else 0)
    grid = np.linspace(1, top, 300)
    ax.plot(grid, usl_throughput(grid, fit.node_throughput_per_second, fit.sigma, fit.kappa), color=BLUE, lw=2.5,
            label=f"{law} fit")
    ax.plot(grid, fit.node_throughput_per_second * grid, ":", color="#777777", lw=1.5, label="linear scaling")
    ax.plot(nodes, throughput, "o", color=ORANGE, ms=8, label="measured")
    ceiling = fit.throughput_ceiling_per_second
    top_y = max(np.max(throughput), ceiling if fit.law == "usl" else 0) * 1.3
    if fit.law == "usl":
        ax.axvline(fit.peak_nodes, color=TARGET, ls="--", lw=2, label=f"peak at N = {fit.peak_nodes:.1f}")
    elif fit.law == "amdahl":
        # no peak: the ceiling is drawn when it is near the data, else only named
        label = f"ceiling lambda/sigma = {ceiling:,.6g} req/s (Amdahl's law: no peak)"
        if ceiling <= 3 * np.max(throughput):
            top_y = max(top_y, ceiling * 1.15)
            ax.axhline(ceiling, color=TARGET, ls="--", lw=2, label=label)
        else:
            ax.plot([], [], " ", label=label)
    ax.set_ylim(0, top_y)
    ax.set_xlabel("nodes N")
    ax.set_ylabel("throughput (req/s)")
    ax.legend(loc="upper left")
    return fig


@styled
def services(names, nodes, binding, current=None, limit: int = 30):
    """Nodes needed per service (largest first), coloured by the binding constraint; today's count marked."""
    names = [str(n) for n in names]
    nodes = np.asarray(nodes, float)
    order = [i for i in np.argsort(-np.nan_to_num(nodes, nan=-1.0)) if np.isfinite(nodes[i])][:limit]
    colours = {"throughput": BLUE, "utilization": ORANGE, "redundancy": GREEN, "latency": VERMILION}
    fig, ax = figure("How many nodes does each service need?",
                     f"{len(names)} services, {len(order)} shown; colour: the binding constraint"
                     + ("" if current is None else "; black ticks: nodes today"))
    ax.barh(range(len(order)), nodes[order], color=[colours.get(binding[i], "#777777") for i in order])
    ax.set_yticks(range(len(order)), [names[i] for i in order])
    ax.invert_yaxis()
    if current is not None:
        have = np.asarray(current, float)
        shown = [(k, have[i]) for k, i in enumerate(order) if np.isfinite(have[i])]
        ax.plot([h for _, h in shown], [k for k, _ in shown], "|", color="black", ms=18, mew=3)
    from matplotlib.patches import Patch

    used = sorted({binding[i] for i in order if binding[i] in colours})
    ax.legend(handles=[Patch(color=colours[b], label=b) for b in used], loc="lower right")
    ax.set_xlabel("nodes needed")
    return fig
