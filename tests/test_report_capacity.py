"""The report's capacity section: healthy and survivor figures side by side, the binding constraint in words,
the capacity core's assumptions, a nodes verdict that checks the survivors, and the spec's wait and
service-time keys.

Figures are checked against closed forms worked here (utilisation = k R / (N T), Erlang C and its
exponential wait tail, Kleinrock, Queueing Systems vol. 1, section 3.5), and the tables against the
capacity core's own figures for the same cluster (the report must show what ``relcalc capacity`` computes).
"""

import csv
import io
import math

import pytest

HEAD = "service: s\ntargets: {availability: 99.9%%%s}\ncomponents: {a: {mtbf: 1000h, mttr: 1h}}\nsystem: a\n"


def _analysis(capacity: str, latency: str = ""):
    from relcalc.report import analyze_service, load_service

    text = HEAD % ("" if not latency else f", latency: '{latency}'") + f"capacity: {{{capacity}}}\n"
    return analyze_service(load_service(text))


def _rows(table) -> dict:
    return {row[0]: row for row in table.rows}


def _erlang_c(c: int, a: float) -> float:
    """P(wait) of M/M/c with offered load a Erlangs (Erlang's formula, summed term by term)."""
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c * c / (c - a)
    return last / (total + last)


def test_nodes_verdict_fails_when_only_the_survivors_are_over_their_cap():
    # healthy: ceil(1000 / (100 x 0.8)) = 13 nodes; 3 failures, survivors at most 90%: N - 3 >= 1000/90
    # -> N = 15 (redundancy decides). With 14 nodes the 11 survivors are 1000 / 1100 = 90.9% busy.
    a = _analysis("rate: 1000, node_throughput: 100, balance_factor: 1, tolerate_failures: 3, nodes: 14")
    answer = a.capacity.answer
    assert answer.nodes == 15 and answer.binding_constraint == "redundancy"
    nodes = {v.name: v for v in a.verdicts}["nodes"]
    assert nodes.state == "fail"
    assert "short by 1 nodes" in nodes.detail and "90.9% busy (cap 90%)" in nodes.detail
    assert "3 node failures" in nodes.detail and "survivor utilisation cap" in nodes.detail
    # 15 nodes: 12 survivors at 1000 / 1200 = 83.3%, within the cap: the verdict passes and says so
    ok = {v.name: v for v in _analysis("rate: 1000, node_throughput: 100, balance_factor: 1, "
                                       "tolerate_failures: 3, nodes: 15").verdicts}["nodes"]
    assert ok.state == "pass" and "83.3% busy (cap 90%)" in ok.detail


def test_capacity_table_shows_healthy_and_survivors_side_by_side():
    from relcalc.capacity import figures_at
    from relcalc.report import tables as T

    # R = 400/s, S = 50 ms (20 Erlangs), c = 4 slots a node, 8 nodes in 4 zones (2 each), k = 1
    a = _analysis("rate: 400, service_time: 50ms, concurrency: 4, balance_factor: 1, zones: 4, nodes: 8",
                  latency="p99<=400ms")
    today = a.capacity.today
    assert today.failure_scenario == "zone_loss" and today.nodes_lost_in_failure == 2
    table = next(t for t in T.capacity(a) if t.name == "capacity")
    assert table.columns == ("figure", "at_answer_healthy", "at_answer_survivors", "today_healthy", "today_survivors")
    rows = _rows(table)
    # closed forms: a node's load is R S / N Erlangs; utilisation that over c
    for alive, column in ((8, 3), (6, 4)):
        load = 400 * 0.05 / alive
        assert rows["utilization"][column] == pytest.approx(load / 4, rel=1e-12)
        pw = _erlang_c(4, load)
        assert rows["probability_of_wait"][column] == pytest.approx(pw, rel=1e-9)
        # P(W > t) = C exp(-(c mu - lambda) t), so the p99 wait is ln(C / 0.01) / (c mu - lambda) when C > 1%
        rate_out = 4 / 0.05 - 400 / alive
        expected = math.log(pw / 0.01) / rate_out if pw > 0.01 else 0.0
        assert rows["p99_wait_seconds"][column] == pytest.approx(expected, rel=1e-6, abs=1e-12)
        assert rows["mean_wait_seconds"][column] == pytest.approx(pw / rate_out, rel=1e-9)
    assert rows["utilization_cap"][3:] == (0.8, 0.9)
    # ... and the very figures the capacity core gives for the same cluster and size
    core = figures_at(a.spec.cluster, 8).at(0)
    assert rows["p99_response_seconds"][3:] == (core.p99_response_seconds, core.survivor_p99_response_seconds)
    assert rows["target_response_seconds"][3:] == (core.target_response_seconds,
                                                   core.survivor_target_response_seconds)
    answer = a.capacity.answer.figures
    assert rows["utilization"][1:3] == (answer.utilization, answer.utilization_after_failures)
    assert "losing the largest zone (2 nodes)" in table.title


def test_capacity_section_states_the_core_assumptions_and_the_binding_constraint_in_words():
    from relcalc.capacity import assumptions
    from relcalc.report.render import context as render_context
    from relcalc.report.render import provenance, render

    a = _analysis("rate: 1000, node_throughput: 100, balance_factor: 1, tolerate_failures: 3, nodes: 14")
    context, _ = render_context(a, provenance("s.yaml", b"s"))
    section = next(s for s in context["sections"] if s.key == "capacity")
    # the core's sentences, not the report's own, with the options spelled as the spec's keys
    core = assumptions(a.spec.cluster)
    assert len(section.assumptions) == len(core)
    assert section.assumptions[0] == core[0].replace("--target-utilization", "capacity.target_utilization")
    files = render(a, provenance("s.yaml", b"s"))
    html = files["report.html"].decode()
    section = html[html.index(">Capacity<"):]
    assert "survivor cap: the hottest survivor at most 90% busy after the worse of the tolerated failures " \
           "(default; capacity.failover_utilization)" in section
    assert "bound by the survivor utilisation cap (hottest survivor at most 90% busy after 3 node failures)" in section
    rows = list(csv.DictReader(io.StringIO(files["tables/capacity.csv"].decode())))
    by_figure = {r["figure"]: r for r in rows}
    # 14 nodes today: healthy 1000 / 1400, the 11 survivors 1000 / 1100
    assert float(by_figure["utilization"]["today_healthy"]) == pytest.approx(1000 / 1400, rel=1e-12)
    assert float(by_figure["utilization"]["today_survivors"]) == pytest.approx(1000 / 1100, rel=1e-12)
    constraints = {r["constraint"]: r for r in csv.DictReader(io.StringIO(files["tables/constraints.csv"].decode()))}
    assert constraints["redundancy"]["nodes"] == "15" and constraints["redundancy"]["binding"] == "true"
    assert constraints["utilization"]["nodes"] == "13" and constraints["utilization"]["binding"] == "false"


def test_latency_verdict_checks_the_survivors():
    # 6 nodes in 3 zones, c = 4, S = 50 ms, R = 400/s: healthy nodes carry 3.33 Erlangs, the 4 survivors 5 (>= c):
    # the survivors' queue is unstable, so the latency target is missed however good the healthy figure is
    a = _analysis("rate: 400, service_time: 50ms, concurrency: 4, balance_factor: 1, zones: 3, nodes: 6,"
                  " failover_utilization: 99%", latency="p99<=400ms")
    latency = {v.name: v for v in a.verdicts}["latency"]
    assert a.capacity.today.utilization_after_failures == pytest.approx(400 * 0.05 / 4 / 4, rel=1e-12)  # 1.25
    assert latency.state == "fail" and "unstable" in latency.detail


def test_nodes_verdict_checks_the_survivors_wait():
    # 8 nodes, 2 may fail: the 6 survivors each carry 400 x 0.05 / 6 = 3.33 Erlangs on c = 4 slots;
    # M/M/c mean wait Wq = C(c, a) / (c mu - lambda), against a mean wait target of 5 ms
    a = _analysis("rate: 400, service_time: 50ms, concurrency: 4, balance_factor: 1, tolerate_failures: 2,"
                  " nodes: 8, wait: mean<=5ms")
    load = 400 * 0.05 / 6
    wq = _erlang_c(4, load) / (4 / 0.05 - 400 / 6)
    nodes = {v.name: v for v in a.verdicts}["nodes"]
    assert wq > 0.005 and nodes.state == "fail"
    assert f"mean wait {wq * 1000:,.4g} ms against 5 ms" in nodes.detail


def test_spec_accepts_wait_targets_and_service_time_laws():
    from relcalc.report import load_service

    def base(extra):
        return HEAD % "" + "capacity: {rate: 400, service_time: 50ms, concurrency: 4, " + extra + "}\n"

    spec = load_service(base("wait: p95<=20ms, service_time_dist: gamma, service_time_cv: 2, arrival_cv: 1.5"))
    c = spec.cluster
    # a gamma law with CV 2 has squared CV 4; arrivals with CV 1.5 have 2.25
    assert (float(c.wait_quantile), float(c.wait_seconds)) == (0.95, pytest.approx(0.02))
    assert float(c.service_scv) == pytest.approx(4.0) and float(c.arrival_scv) == pytest.approx(2.25)
    level = load_service(base("service_level: 80%@20ms")).cluster
    assert float(level.wait_seconds) == pytest.approx(0.02) and float(level.wait_quantile) == pytest.approx(0.8)


@pytest.mark.parametrize("extra, where", [
    ("wait: p95<=20ms, service_level: 80%@20ms", "both wait targets"),
    ("service_time_dist: empirical", "capacity.service_time_dist"),
    ("service_time_dist: weibull", "service_time_dist"),
    ("service_time_cv: -1", "service_time_cv"),
    ("service_time_p99: 10ms", "service_time_p99"),
    ("service_time_p99: 100ms, service_time_cv: 2", "not both"),
    ("arrival_cv: nan", "capacity.arrival_cv"),
    ("arrival_cv: -2", "capacity.arrival_cv"),
    ("wait: soon", "capacity.wait"),
    ("service_level: 120%@1s", "capacity.service_level"),
])
def test_bad_capacity_keys_are_one_line_errors(extra, where, tmp_path, run):
    spec = tmp_path / "s.yaml"
    spec.write_text(HEAD % "" + "capacity: {rate: 400, service_time: 50ms, concurrency: 4, " + extra + "}\n")
    result = run("report", spec, "-o", tmp_path / "o")
    assert result.exit_code == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("relcalc: error:") and where in line, line
