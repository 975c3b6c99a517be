"""Charts: what each Figure shows, valid files, deterministic SVG."""

import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import SAMPLES
from relcalc.charts import save, sibling
from relcalc.charts.availability import mttr_curve, nines_map, ranking
from relcalc.charts.capacity import growth, usl, utilization_latency
from relcalc.charts.compose import diagram, pareto
from relcalc.charts.raft import outages, sweep, timeline
from relcalc.charts.style import percent_label


def texts(fig):
    return [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]


def png_size(path):
    data = open(path, "rb").read(32)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_percent_labels():
    assert percent_label(3) == "99.9%"
    assert percent_label(4) == "99.99%"
    assert percent_label(2) == "99%"
    assert percent_label(1) == "90%"


def test_mttr_curve_plots_the_closed_form(tmp_path):
    fig = mttr_curve(2000.0, 4.0, 1e-3)
    ax = fig.axes[0]
    curve = ax.lines[0]
    x, y = curve.get_data()
    assert np.allclose(y, -np.log10(x / (2000.0 + x)))  # nines = -log10(MTTR / (MTBF + MTTR))
    assert "MTTR" in ax.get_xlabel()
    assert any("target" in line.get_label() for line in ax.lines)
    assert ax.lines[2].get_ydata()[0] == pytest.approx(3.0)  # the target at three nines
    assert "downtime per year" in fig.axes[1].get_ylabel()  # its ticks are durations (1h, 6h, 1d)
    assert "How much does repair time cost?" in texts(fig)
    path = tmp_path / "curve.png"
    save(fig, str(path))
    assert png_size(path) == (2000, 1125)  # 16:9 at 200 dpi


def test_ranking_orders_worst_first():
    fig = ranking(["a", "b", "c"], [4.0, 2.5, 3.2], 1e-3)
    ax = fig.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [2.5, 3.2, 4.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c", "a"]


def test_nines_map_marks_the_target_contour():
    fig = nines_map(1e-4, point=(2000.0, 4.0))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "MTBF" in ax.get_xlabel() and "MTTR" in ax.get_ylabel()
    # the axes read as durations: a tick at 1 h (the fixed round durations) is labelled "1h"
    ax.figure.canvas.draw()
    assert "1h" in [t.get_text() for t in ax.get_yticklabels()]
    levels = [c.levels for c in ax.collections if hasattr(c, "levels") and len(c.levels) == 1]
    assert levels and levels[0][0] == pytest.approx(4.0)


def load(name):
    from relcalc.rbd import evaluate
    from relcalc.rbd.spec import load_spec_text, system_from_mapping

    system = system_from_mapping(load_spec_text((SAMPLES / f"{name}.yaml").read_text()))
    return system, evaluate(system)


def test_diagram_draws_every_instance_and_marks_shared():
    system, result = load("web-service")
    fig = diagram(system, result, "web")
    labels = set(texts(fig))
    for name in ("power", "lb", "app#1", "app#2", "app#3", "db#1", "db#2", "db#3", "2/3"):
        assert name in labels
    bridge, bridge_result = load("bridge")
    fig = diagram(bridge, bridge_result, "bridge")
    dashed = [p for p in fig.axes[0].patches if p.get_linestyle() in ("--", "dashed")]
    assert len(dashed) == 10  # four paths of 2, 2, 3 and 3 shared components


def test_pareto_heights_are_improvement_potential():
    _, result = load("web-service")
    fig = pareto(result)
    ax = fig.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    expected = [i.improvement_potential * 8760 * 60 for i in result.importance if i.improvement_potential > 0]
    assert heights == pytest.approx(expected[: len(heights)])
    assert "minutes per year" in ax.get_ylabel()


def test_sweep_plots_estimates_intervals_and_exact():
    from relcalc.raft import RaftModel
    from relcalc.raft.methods import analyze

    results = [analyze(RaftModel(nodes=n), method="exact") for n in (3, 5, 7)]
    fig = sweep(results)
    ax = fig.axes[0]
    x, y = ax.lines[0].get_data()
    assert list(x) == [3, 5, 7]
    assert list(y) == pytest.approx([r.quorum_unavailability.value for r in results])
    assert ax.get_yscale() == "log" and "nodes" in ax.get_xlabel()


def test_sweep_over_zones_uses_the_zone_count():
    from relcalc.raft import Distribution, RaftModel
    from relcalc.raft.engine import simulate
    from relcalc.raft.exact import ExactQuorum
    from relcalc.raft.model import round_robin_layout

    # a short crude run with no exact values beside it (solving six zones' chain takes seconds, drawing does not)
    unknown = ExactQuorum(None, None, None, None, None)
    results = [simulate(RaftModel(nodes=6, layout=round_robin_layout(6, z), zone_ttf=Distribution("exponential", 8760.0),
                                  zone_ttr=Distribution("exponential", 4.0)), years=64, seed=1, truth=unknown)
               for z in (2, 3, 6)]
    ax = sweep(results).axes[0]
    assert list(ax.lines[0].get_xdata()) == [2, 3, 6] and ax.get_xlabel() == "zones"


def test_timeline_and_outages():
    from relcalc.raft import RaftModel
    from relcalc.raft.engine import simulate, trace

    model = RaftModel(nodes=3, crews=1)
    fig = timeline(trace(model, seed=1))
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["quorum lost", "node 0", "node 1", "node 2", "new leader"]
    assert "time (days)" in fig.axes[0].get_xlabel()
    result = simulate(model, years=5000, seed=1)
    fig = outages(result.outage_histogram)
    bars = fig.axes[0].patches
    assert sum(b.get_height() for b in bars) == pytest.approx(100.0)  # shares of all outages
    assert "duration" in fig.axes[0].get_xlabel()  # in minutes, labelled as durations (1m, 15m, 1h)
    # the percentile lines are the result's percentiles, and their legend gives the 95% intervals
    percentiles = {name: getattr(result, f"{name}_outage_hours") for name in ("p50", "p95", "p99")}
    lines = outages(result.outage_histogram, percentiles=percentiles).axes[0].lines
    assert [line.get_xdata()[0] for line in lines] == pytest.approx([p.value * 60 for p in percentiles.values()])
    assert all("95%" in line.get_label() for line in lines)


def test_sweep_marks_upper_bounds_where_no_loss_was_seen():
    from relcalc.raft import Distribution, RaftModel
    from relcalc.raft.engine import simulate

    # n = 7 at MTBF 2,000 h, MTTR 1 h loses its quorum about once in 13 million years: none in 200
    results = [simulate(RaftModel(nodes=n, ttr=Distribution("exponential", 1.0)), years=200, seed=1) for n in (3, 7)]
    assert results[1].quorum_unavailability.method == "garwood-upper-bound"
    fig = sweep(results)
    ax = fig.axes[0]
    triangles = [line for line in ax.lines if line.get_marker() == "v"]
    assert len(triangles) == 1 and list(triangles[0].get_xdata()) == [7]
    assert list(triangles[0].get_ydata()) == pytest.approx([results[1].quorum_unavailability.high])
    assert any("upper bounds where no loss was seen" in text.get_text() for text in fig.texts)  # the subtitle


def test_capacity_charts():
    from relcalc.capacity import Cluster, size
    from relcalc.capacity.sizing import project_growth
    from relcalc.capacity.usl import fit_usl, usl_throughput

    cluster = Cluster(rate=12000.0, node_throughput=800.0, target_utilization=0.7)
    sizing = size(cluster)
    fig = utilization_latency(cluster, sizing)
    x, y = fig.axes[0].lines[0].get_data()
    assert y == pytest.approx(12000 / (np.asarray(x) * 800) * 100)  # k = 1: R / (N T)
    assert any(f"{int(sizing.nodes[0])} nodes" in line.get_label() for line in fig.axes[0].lines)
    projection = project_growth(cluster, 1.05, 12, 25)
    fig = growth(projection)
    assert list(fig.axes[0].lines[0].get_ydata()) == list(projection.nodes_needed)
    n = np.array([1, 2, 4, 8, 16, 32.0])
    x = usl_throughput(n, 1000, 0.03, 0.001)
    fig = usl(fit_usl(n, x), n, x)
    measured = [line for line in fig.axes[0].lines if line.get_label() == "measured"][0]
    assert list(measured.get_ydata()) == pytest.approx(list(x))


def test_services_chart_bars_are_the_sizes():
    from relcalc.charts.capacity import services

    fig = services(["a", "b", "c"], [3.0, float("nan"), 10.0], ["throughput", "", "latency"], [4.0, 1.0, 8.0])
    ax = fig.axes[0]
    assert [bar.get_width() for bar in ax.patches[:2]] == [10.0, 3.0]  # largest first, unreachable left out
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "a"]


def test_svg_is_valid_and_deterministic(tmp_path):
    one, two = tmp_path / "one.svg", tmp_path / "two.svg"
    save(mttr_curve(2000.0, 4.0, 1e-3), str(one))
    save(mttr_curve(2000.0, 4.0, 1e-3), str(two))
    assert one.read_bytes() == two.read_bytes()
    root = ET.parse(one).getroot()
    assert root.tag.endswith("svg")
    pdf = tmp_path / "c.pdf"
    save(mttr_curve(2000.0, 4.0), str(pdf))
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_sibling_names():
    assert sibling("out/chart.png", "map") == "out/chart-map.png"


def test_cli_charts(run, tmp_path):
    path = tmp_path / "a.png"
    result = run("availability", "--mtbf", "2000h", "--mttr", "4h", "--chart", path)
    assert result.exit_code == 0
    assert png_size(path) == (2000, 1125) and png_size(tmp_path / "a-map.png") == (2000, 1125)
    result = run("compose", SAMPLES / "bridge.yaml", "--chart", tmp_path / "d.svg")
    assert result.exit_code == 0 and (tmp_path / "d-pareto.svg").exists()
    result = run("capacity", "fit", "--csv", SAMPLES / "usl-measurements.csv", "--chart", tmp_path / "u.png")
    assert result.exit_code == 0 and (tmp_path / "u.png").exists()
    result = run("capacity", "--csv", SAMPLES / "capacity.csv", "--chart", tmp_path / "s.png")
    assert result.exit_code == 3 and png_size(tmp_path / "s.png") == (2000, 1125)
    bad = run("availability", "--target", "99.9%", "--chart", tmp_path / "x.gif")
    assert bad.exit_code == 2 and ".png, .svg or .pdf" in bad.stderr
    missing = run("availability", "--target", "99.9%", "--chart", tmp_path / "no" / "x.png")
    assert missing.exit_code == 2 and "directory does not exist" in missing.stderr
