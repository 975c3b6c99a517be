"""``capacity --csv`` with the issue 14 columns, and the capacity chart's survivor curves.

References: brute force over N with the mpmath M/M/c of test_capacity_safety;
the Allen-Cunneen mean wait W_q(M/M/c) (ca^2 + cs^2) / 2 (Allen 1990,
section 6.2) from the same Erlang C sum; the lognormal law's CV from its
p99 by scipy's lognormal distribution.
"""

import json
import math

import mpmath
import pytest
from scipy import optimize, stats

from test_capacity_safety import erlang_c_sum, response_tail
from test_capacity_waits import wait_tail


def rows(run, tmp_path, text, *options):
    path = tmp_path / "svc.csv"
    path.write_text(text)
    result = run("capacity", "--csv", path, "-f", "json", *options)
    return result, (json.loads(result.stdout) if result.stdout.strip() else [])


def test_wait_and_survivor_columns(run, tmp_path):
    result, data = rows(run, tmp_path,
                        "name,rate,service_time,concurrency,zones,latency,wait\n"
                        "zoned,1000,20ms,8,3,p99<=150ms,\n"
                        "waits,1000,20ms,8,,,p95<=10ms\n", "--target-utilization", "100%",
                        "--failover-utilization", "100%")
    assert result.exit_code == 0, result.stderr
    zoned, waits = data

    def zoned_ok(n):
        survivors = n - math.ceil(n / 3)
        return response_tail(0.15, 1000 / n, 0.02, 8) <= 0.01 and response_tail(0.15, 1000 / survivors, 0.02, 8) <= 0.01

    assert zoned["nodes"] == next(n for n in range(3, 100) if zoned_ok(n))
    assert zoned["failure_scenario"] == "zone_loss" and zoned["survivor_p99_response_seconds"] <= 0.15
    assert waits["nodes"] == next(n for n in range(3, 100) if wait_tail(0.01, 1000 / n, 0.02, 8) <= 0.05)
    assert waits["failure_scenario"] is None and waits["survivor_p99_response_seconds"] is None
    assert waits["service_level"] == pytest.approx(float(1 - wait_tail(0.01, 1000 / waits["nodes"], 0.02, 8)),
                                                   rel=1e-12)


def test_variability_columns_give_allen_cunneen(run, tmp_path):
    result, data = rows(run, tmp_path,
                        "name,rate,service_time,concurrency,service_time_cv,arrival_cv,service_time_p99,latency\n"
                        "cv,1000,20ms,8,2,1.5,,mean<=30ms\n"
                        "p99,1000,20ms,8,,,100ms,mean<=30ms\n")
    assert result.exit_code == 0, result.stderr
    cv, p99 = data
    lam = 1000 / cv["nodes"]
    pw = erlang_c_sum(8, lam * 0.02)
    assert cv["mean_wait_seconds"] == pytest.approx(float(pw / (8 / 0.02 - lam) * (1.5**2 + 2**2) / 2), rel=1e-12)
    assert cv["p99_response_seconds"] is None  # no closed form for the percentiles
    # lognormal with mean 20 ms and p99 100 ms: its sigma solves the p99, its CV^2 is exp(sigma^2) - 1
    sigma = optimize.brentq(lambda s: stats.lognorm(s, scale=0.02 * math.exp(-s * s / 2)).ppf(0.99) - 0.1, 1e-3, 1.5)
    lam = 1000 / p99["nodes"]
    pw = erlang_c_sum(8, lam * 0.02)
    scv = math.expm1(sigma**2)
    assert p99["mean_wait_seconds"] == pytest.approx(float(pw / (8 / 0.02 - lam) * (1 + scv) / 2), rel=1e-9)


@pytest.mark.parametrize("cells,words", [
    ("1000,20ms,8,-1,,", "service_time_cv"),
    ("1000,20ms,8,,10ms,", "above the mean"),
    ("1000,20ms,8,2,,p99<=1s", "no closed form"),
    ("1000,20ms,8,inf,,", "service_time_cv"),
    ("1000,20ms,8,2,50ms,", "not both"),
])
def test_bad_variability_cells_are_row_errors(run, tmp_path, cells, words):
    result, data = rows(run, tmp_path, "rate,service_time,concurrency,service_time_cv,service_time_p99,latency\n"
                        f"{cells}\n1000,20ms,8,,,\n")
    assert result.exit_code == 3 and "row 1:" in result.stderr and words in result.stderr
    assert len(data) == 1


def test_chart_draws_survivors_caps_and_target():
    from relcalc.capacity import Cluster, size
    from relcalc.charts.capacity import utilization_latency

    cluster = Cluster(rate=12000.0, service_time=0.04, concurrency=32, zones=3, latency_quantile=0.99,
                      latency_seconds=0.2)
    fig = utilization_latency(cluster, size(cluster))
    util, latency = fig.axes[:2]
    labels = {line.get_label() for ax in (util, latency) for line in ax.get_lines()}
    assert {"hottest survivor after failures", "healthy cap 80%", "survivor cap 90%", "p99 response, survivors",
            "target 200 ms"} <= labels
    survivor = next(line for line in latency.get_lines() if line.get_label() == "p99 response, survivors")
    n, p99 = survivor.get_data()
    # the drawn survivor p99 at each N is the hottest survivor's (3 zones), by the mpmath M/M/c
    i = next(j for j, v in enumerate(p99) if math.isfinite(v))
    survivors = n[i] - math.ceil(n[i] / 3)
    exact = mpmath.findroot(lambda t: response_tail(t, 12000 / survivors, 0.04, 32) - 0.01, 0.19)
    assert p99[i] / 1000 == pytest.approx(float(exact), rel=1e-9)


def test_service_time_options_apply_to_every_row(run, tmp_path):
    text = "name,rate,service_time,concurrency\na,1000,20ms,8\n"
    plain = rows(run, tmp_path, text)[1][0]
    spread = rows(run, tmp_path, text, "--service-time-cv", "2")[1][0]
    fixed = rows(run, tmp_path, text, "--service-time-dist", "fixed")[1][0]
    assert plain["nodes"] == spread["nodes"] == fixed["nodes"]  # the utilisation cap decides all three
    # Allen-Cunneen: the M/M/c mean wait times (1 + CV^2) / 2
    assert spread["mean_wait_seconds"] == pytest.approx(plain["mean_wait_seconds"] * 2.5, rel=1e-12)
    assert fixed["mean_wait_seconds"] == pytest.approx(plain["mean_wait_seconds"] * 0.5, rel=1e-12)
    for bad in (["--service-time-dist", "gamma"], ["--latency-samples", "x.csv"], ["--service-time-cv", "-2"]):
        result = rows(run, tmp_path, text, *bad)[0]
        assert result.exit_code == 2 and result.stderr.startswith("relcalc: error:")
