"""The report's charts are fit for a slide: no legend on the data, durations for people, honest subtitles.

Overlap is measured, not eyeballed: matplotlib reports the legend's extent
and every plotted artist's (lines sampled along their segments in display
coordinates, bars by their boxes), after the figure has been laid out.
"""

import numpy as np
import pytest

from conftest import exp
from relcalc.charts.style import short_duration


def _segments_points(line, steps=40):
    xy = np.asarray(line.get_xydata(), float)
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if len(xy) == 0:
        return np.empty((0, 2))
    pts = line.get_transform().transform(xy)
    if len(pts) == 1:
        return pts
    t = np.linspace(0, 1, steps)[:, None]
    return np.concatenate([a + (b - a) * t for a, b in zip(pts[:-1], pts[1:])])


def assert_legends_clear_of_data(fig):
    """No legend box holds a point of a plotted line or overlaps a bar, on any axes of ``fig``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert legends, "the chart has a legend to check"
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            clip = ax.bbox  # what runs past the axes is clipped, not drawn
            for line in ax.lines:
                pts = _segments_points(line)
                pts = pts[(pts[:, 0] >= clip.x0) & (pts[:, 0] <= clip.x1) & (pts[:, 1] >= clip.y0)
                          & (pts[:, 1] <= clip.y1)]
                inside = ((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1))
                assert not inside.any(), f"legend over the line {line.get_label()!r}"
            for patch in ax.patches:
                extent = patch.get_window_extent(renderer)
                if extent.width > 0 and extent.height > 0:
                    assert not extent.overlaps(box), "legend over a bar"


def test_short_durations_read_like_a_clock():
    # 1,300 minutes is 21 h 40 min; 90 s is 1 min 30 s
    assert short_duration(1300 / 60) == "21h 40m"
    assert short_duration(90 / 3600) == "1m 30s"
    assert short_duration(3 * 24 + 5) == "3d 5h"
    assert short_duration(0.5) == "30m"


def test_availability_charts_keep_legends_off_the_data():
    from relcalc.charts.availability import mttr_curve, ranking

    assert_legends_clear_of_data(mttr_curve(2000.0, 4.0, 1e-3))
    names = [f"s{i}" for i in range(12)]
    assert_legends_clear_of_data(ranking(names, np.linspace(2, 5, 12), 1e-3))


def test_nines_map_labels_the_service_and_says_what_it_is():
    from relcalc.charts.availability import nines_map

    fig = nines_map(1e-4, point=(2000.0, 0.2), point_label="svc: MTBF 83d 8h, MTTR 12m",
                    note="white dot: the service as one unit")
    ax = fig.axes[0]
    assert "svc: MTBF 83d 8h, MTTR 12m" in [t.get_text() for t in ax.texts]
    assert any("white dot" in t.get_text() for t in fig.texts)
    x, y = ax.lines[0].get_data()
    assert (x[0], y[0]) == (2000.0, 0.2)
    # a point outside the default ranges widens them rather than falling off the chart
    fig = nines_map(1e-4, point=(5e6, 1e-3), point_label="far")
    lo, hi = fig.axes[0].get_xlim()
    assert lo <= 5e6 <= hi and fig.axes[0].get_ylim()[0] <= 1e-3


def test_improvements_chart_bars_are_the_savings():
    from relcalc.charts.availability import improvements

    saved = [0.35, 0.175, 0.0146]
    fig = improvements(["redundant lb", "halve the MTTR of lb", "grow the store"], saved, 0.479)
    widths = [bar.get_width() for bar in fig.axes[0].patches]
    assert widths == pytest.approx([h * 60 for h in saved])  # minutes a year
    subtitle = " ".join(t.get_text() for t in fig.texts)
    assert "28m 44s" in subtitle  # 0.479 h, the service's downtime, as the summary gives it
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert ticks and all("e" not in t for t in ticks)  # durations, not 1e+01


def test_outages_legend_above_the_data_and_in_human_durations():
    from relcalc.charts.raft import outages
    from relcalc.raft import RaftModel
    from relcalc.raft.engine import simulate

    result = simulate(RaftModel(nodes=3, crews=1, ttr=exp(20.0)), years=3000, seed=2)
    percentiles = {name: getattr(result, f"{name}_outage_hours") for name in ("p50", "p95", "p99")}
    fig = outages(result.outage_histogram, percentiles=percentiles)
    assert_legends_clear_of_data(fig)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels[2].startswith(f"p99 {short_duration(result.p99_outage_hours.value)} ")
    assert not any("e+" in label for label in labels)


def test_sweep_says_only_what_it_draws():
    from relcalc.charts.raft import sweep
    from relcalc.raft import RaftModel
    from relcalc.raft.methods import analyze

    results = [analyze(RaftModel(nodes=n, ttr=exp(1.0)), method="crude", years=200, seed=1) for n in (3, 5, 7)]
    fig = sweep(results)
    assert_legends_clear_of_data(fig)
    subtitle = " ".join(t.get_text() for t in fig.texts)
    drawn_squares = [line for line in fig.axes[0].lines if line.get_marker() == "s"]
    assert ("hollow squares" in subtitle) == bool(drawn_squares)
    assert "crude sampling" in subtitle
    # n = 7 at MTBF 2,000 h, MTTR 1 h loses its quorum about once in 13 million years: none seen in 200,
    # so it is an upper bound (a triangle), never silently dropped
    triangles = [line for line in fig.axes[0].lines if line.get_marker() == "v"]
    assert 7 in list(triangles[0].get_xdata())
    imp = [analyze(RaftModel(nodes=n), method="importance", seed=1, target_rel_error=0.3) for n in (3, 5)]
    subtitle = " ".join(t.get_text() for t in sweep(imp).texts)
    assert "importance sampling" in subtitle and "crude" not in subtitle


def test_worst_year_is_the_worst_by_brute_force():
    from relcalc.availability import Calendar
    from relcalc.raft import RaftModel
    from relcalc.raft.engine import trace
    from relcalc.report import analysis

    model = RaftModel(nodes=3, crews=1, ttf=exp(300.0), ttr=exp(30.0))
    shown, _, rank = analysis._worst_year(model, 5, Calendar())
    # naive reference: walk the same history event by event and add each outage's time to its years
    year = 8760.0
    full = trace(model, hours=analysis.SAMPLE_YEARS * year, seed=5, cap=400_000)
    lost = np.zeros(analysis.SAMPLE_YEARS)
    times = list(full.hours) + [full.horizon_hours]
    for i in range(len(full.hours)):
        if full.serving[i].sum() < full.quorum:
            a, b = times[i], times[i + 1]
            while a < b:
                k = int(a // year)
                edge = min(b, (k + 1) * year)
                lost[k] += edge - a
                a = edge
    k = int(np.argmax(lost))
    assert rank.startswith(f"year {k + 1}, the worst")
    seen = np.diff(np.append(shown.hours, shown.horizon_hours))[shown.serving.sum(axis=1) < shown.quorum].sum()
    assert seen == pytest.approx(lost[k], rel=1e-9)
    assert f"{lost[k] * 60:,.0f} min without quorum" in rank


def test_capacity_charts_keep_legends_off_the_data():
    from relcalc.capacity import Cluster, size
    from relcalc.capacity.sizing import project_growth
    from relcalc.charts.capacity import growth, utilization_latency

    cluster = Cluster(rate=12000.0, node_throughput=800.0, target_utilization=0.7, tolerate_failures=2,
                      service_time=0.04, concurrency=32, latency_seconds=0.2, latency_quantile=0.99)
    assert_legends_clear_of_data(utilization_latency(cluster, size(cluster)))
    short = growth(project_growth(cluster, 1.04, 18, 10))  # 10 nodes: short before any growth
    labels = [t.get_text() for t in short.axes[0].get_legend().get_texts()]
    assert "already short today" in labels and not any("0.0 months" in t for t in labels)
    assert_legends_clear_of_data(growth(project_growth(cluster, 1.04, 18, 30)))


def test_capacity_chart_is_bounded_for_huge_answers():
    from relcalc.capacity import Cluster, size
    from relcalc.charts.capacity import utilization_latency

    cluster = Cluster(rate=5e8, node_throughput=1.0)  # 625 million nodes (at 80%): drawn from 400 whole node counts
    x = utilization_latency(cluster, size(cluster)).axes[0].lines[0].get_xdata()
    assert len(x) <= 400 and np.all(x == np.round(x))
