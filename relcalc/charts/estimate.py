"""Incident-history charts: cumulative failures with the fitted trend, and repair times with the fitted law."""

from __future__ import annotations

import numpy as np

from .style import PALETTE, VERMILION, figure, styled


@styled
def cumulative_failures(result):
    """Failures so far against days into the window, each component with its Crow-AMSAA curve."""
    fig, ax = figure("Are failures becoming more or less frequent?",
                     f"cumulative failures per component; dashed: Crow-AMSAA fit lambda t^beta "
                     f"(trend tests at the {result.significance:.0%} level)")
    for colour, comp in zip(_cycle(), result.components):
        times = np.array(comp.failure_times_hours) / 24.0
        if len(times) == 0:
            continue
        steps = np.arange(1, len(times) + 1)
        ax.step(np.concatenate([[0.0], times, [comp.window_hours / 24]]),
                np.concatenate([[0], steps, [steps[-1]]]), where="post", color=colour,
                label=f"{comp.name} ({comp.failures})")
        if comp.crow_beta is not None and comp.crow_lambda is not None:
            grid = np.linspace(0.0, comp.window_hours, 200)
            ax.plot(grid / 24, comp.crow_lambda * grid**comp.crow_beta, color=colour, linestyle="--",
                    label=f"{comp.name}: beta = {comp.crow_beta:.2f}")
    ax.set_xlabel("days since the window opened")
    ax.set_ylabel("failures so far")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left")
    return fig


@styled
def repair_times(result):
    """Each component's repair times as an empirical distribution beside the fitted law's CDF."""
    from scipy import stats

    fig, ax = figure("How long do repairs take?",
                     "empirical distribution of repair times (steps) and the law chosen by AICc (lines)")
    laws = {"exponential": stats.expon, "lognormal": stats.lognorm, "weibull": stats.weibull_min}
    for colour, comp in zip(_cycle(), result.components):
        x = np.sort(np.array(comp.repair_hours))
        if len(x) == 0:
            continue
        ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", color=colour, label=f"{comp.name} ({len(x)})")
        if comp.repair_law:
            params = dict(comp.repair_parameters)
            grid = np.geomspace(max(x[0] / 3, 1e-6), x[-1] * 3, 200)
            ax.plot(grid, laws[comp.repair_law].cdf(grid, **params), color=colour, alpha=0.8,
                    label=f"{comp.name}: {comp.repair_law}")
    ax.set_xscale("log")
    ax.set_xlabel("repair time (hours, log scale)")
    ax.set_ylabel("share of repairs done")
    ax.axhline(0.5, color=VERMILION, linewidth=0.8, alpha=0.5)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    return fig


def _cycle():
    while True:
        yield from PALETTE


@styled
def uncertainty(result, year_hours: float = 8760.0):
    """Downtime per year across the draws, with the point value and the interval; and who causes the spread."""
    fig, (left, right) = figure("How sure is the downtime figure?",
                                f"{result.samples:,} draws of the estimated components' rates; "
                                f"{result.confidence:.0%} interval shaded", ncols=2,
                                gridspec_kw={"width_ratios": [2, 1]})
    hours = np.asarray(result.unavailability_draws) * year_hours
    positive = hours[hours > 0]
    if len(positive):
        bins = np.geomspace(positive.min(), positive.max(), 60) if positive.max() > positive.min() else 10
        left.hist(positive, bins=bins, color=PALETTE[0], alpha=0.8)
        left.set_xscale("log")
    left.axvspan(result.downtime_per_year_low_hours, result.downtime_per_year_high_hours, color=PALETTE[5], alpha=0.25,
                 label=f"{result.confidence:.0%} interval")
    left.axvline(result.downtime_per_year_hours, color=VERMILION, label="at the point estimates")
    zero = int(np.sum(hours <= 0))
    # draws where nothing estimated fails (a rate of 0 is within a no-failure history's limits) cannot be
    # drawn on a log axis; say how many rather than drop them silently
    hidden = f"\n{zero:,} draws ({zero / len(hours):.0%}) with no downtime are not shown" if zero else ""
    left.set_xlabel(f"downtime per year (hours, log scale){hidden}")
    left.set_ylabel("draws")
    left.legend(loc="upper right")
    shares = result.shares[:8]
    right.barh([s.name for s in shares][::-1], [100 * s.variance_share for s in shares][::-1], color=PALETTE[1])
    right.set_xlabel("share of the variance (%)")
    right.set_xlim(0, 100)
    return fig
