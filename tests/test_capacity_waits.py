"""Waiting-time service levels (issue 14, section 2): wait figures, wait targets, the call-centre tables.

References: the M/M/c wait is 0 with probability 1 - C and else exponential
of rate c mu - lambda (Kleinrock, *Queueing Systems* vol. 1, 1975, section
3.5), recomputed here from the Erlang C sum in mpmath; the staffing example
is Call Centre Helper's "Erlang C formula - made simple with an easy worked
example": 100 calls in 30 minutes (200/h here) of 3 minutes each (10 Erlangs), 11 agents
give a probability of waiting of 68.21%, and the 80% in 20 s target needs 14
agents (88.8% answered within 20 s; 13 give 79.6%).
"""

import json
import math

import mpmath
import pytest

from relcalc.capacity import Cluster, figures_at, size
from relcalc.capacity.parse import parse_service_level
from relcalc.errors import InputError
from test_capacity_safety import erlang_c_sum


def wait_tail(t, lam, s, c):
    mu = 1 / mpmath.mpf(s)
    pw = erlang_c_sum(c, mpmath.mpf(lam) / mu)
    return pw * mpmath.exp(-(c * mu - lam) * t)


def test_wait_figures_match_the_closed_forms():
    rate, s, c, n = 12000.0, 0.04, 32, 19
    lam = rate / n
    got = figures_at(Cluster(rate=rate, service_time=s, concurrency=c, wait_quantile=0.95, wait_seconds=0.005),
                     n).at(0)
    pw = erlang_c_sum(c, lam * s)
    theta = c / mpmath.mpf(s) - lam
    assert got.probability_of_wait == pytest.approx(float(pw), rel=1e-12)
    assert got.mean_wait_seconds == pytest.approx(float(pw / theta), rel=1e-12)
    assert got.mean_queue_length == pytest.approx(float(lam * pw / theta), rel=1e-12)  # Little: Lq = lambda Wq
    for q, value in ((0.5, got.p50_wait_seconds), (0.95, got.p95_wait_seconds), (0.99, got.p99_wait_seconds)):
        exact = 0.0 if pw <= 1 - q else float(mpmath.log(pw / (1 - q)) / theta)
        assert value == pytest.approx(exact, rel=1e-12, abs=1e-15)
    assert got.service_level == pytest.approx(float(1 - wait_tail(0.005, lam, s, c)), rel=1e-12)


def test_wait_figures_of_the_survivors():
    rate, s, c, n = 12000.0, 0.04, 32, 24
    got = figures_at(Cluster(rate=rate, service_time=s, concurrency=c, zones=3), n).at(0)
    lam = rate / (n - 8)  # 3 zones of 8: the survivors share R
    pw = erlang_c_sum(c, lam * s)
    assert got.failure_scenario == "zone_loss" and got.nodes_lost_in_failure == 8
    assert got.survivor_probability_of_wait == pytest.approx(float(pw), rel=1e-12)
    assert got.survivor_p99_wait_seconds == pytest.approx(float(mpmath.log(pw / 0.01) / (c / s - lam)), rel=1e-12)
    assert got.survivor_mean_response_seconds == pytest.approx(float(pw / (c / s - lam) + s), rel=1e-12)


@pytest.mark.parametrize("agents,published,what", [(11, 0.6821, "probability_of_wait"),
                                                   (13, 0.796, "service_level"), (14, 0.888, "service_level")])
def test_call_centre_helper_worked_example(run, agents, published, what):
    result = run("capacity", "-r", "200/h", "--service-time", "3min", "--concurrency", agents, "--nodes", "1",
                 "--service-level", "80%@20s", "--target-utilization", "100%", "-f", "json")
    current = json.loads(result.stdout)["current"]
    digits = 4 if what == "probability_of_wait" else 3  # as published
    assert round(current[what], digits) == published


def test_sizing_to_a_wait_target_is_the_smallest_n_by_brute_force():
    rate, s, c = 12000.0, 0.04, 32
    brute = next(n for n in range(16, 100) if wait_tail(0.01, rate / n, s, c) <= 0.05)
    got = size(Cluster(rate=rate, service_time=s, concurrency=c, wait_quantile=0.95, wait_seconds=0.01,
                       target_utilization=1.0)).at(0)
    assert got.nodes == brute and got.binding_constraint == "wait"
    level = size(Cluster(rate=rate, service_time=s, concurrency=c, wait_quantile=0.8, wait_seconds=0.002,
                         target_utilization=1.0)).at(0)
    assert level.nodes == next(n for n in range(16, 100) if wait_tail(0.002, rate / n, s, c) <= 0.2)


def test_service_level_is_a_wait_percentile():
    goal = parse_service_level("80%@20s")
    assert goal.quantile == pytest.approx(0.8) and goal.seconds == 20
    for bad in ("80%", "@20s", "0%@20s", "100%@20s", "80%@-1s", "80%@nan", "80%@20parsecs", "x@1s"):
        with pytest.raises(InputError):
            parse_service_level(bad)


def test_mean_wait_target(run):
    result = run("capacity", "-r", "12k", "--service-time", "40ms", "--concurrency", "32", "--wait", "mean<=1ms",
                 "--target-utilization", "100%", "-f", "json")
    data = json.loads(result.stdout)
    brute = next(n for n in range(16, 100)
                 if erlang_c_sum(32, 12000 * 0.04 / n) / (32 / mpmath.mpf(0.04) - 12000 / n) <= 0.001)
    assert data["nodes"] == brute and data["wait_target"] == "mean<=1ms" and math.isfinite(data["mean_wait_seconds"])
