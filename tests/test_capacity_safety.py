"""Safe sizes by default (issue 14, section 1): no full node, survivors checked, contradictions refused.

Every queue figure here is checked against an independent M/M/c built from
the textbook sums in mpmath (Kleinrock, *Queueing Systems* vol. 1, 1975,
section 3.5): Erlang C as ``(a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! +
(a^c / c!) (c / (c - a)))`` and the response time as a mixture of an
exponential service and, with probability C, service plus an exponential
wait of rate ``c mu - lambda``.
"""

import json
import math

import mpmath
import pytest

from relcalc.capacity import Cluster, size


def erlang_c_sum(c: int, a) -> mpmath.mpf:
    a = mpmath.mpf(a)
    top = a**c / mpmath.factorial(c) * c / (c - a)
    return top / (mpmath.fsum(a**k / mpmath.factorial(k) for k in range(c)) + top)


def response_tail(t, lam, s, c) -> float:
    """P(response > t) of M/M/c FCFS at arrival rate lam, mean service s, c servers."""
    mu, lam, t = 1 / mpmath.mpf(s), mpmath.mpf(lam), mpmath.mpf(t)
    theta = c * mu - lam
    if theta <= 0:
        return 1.0
    pw = erlang_c_sum(c, lam / mu)
    both = (mu * mpmath.exp(-theta * t) - theta * mpmath.exp(-mu * t)) / (mu - theta)
    return float((1 - pw) * mpmath.exp(-mu * t) + pw * both)


def test_exactly_full_is_never_an_answer(run):
    # 12,000/s of 40 ms on 32 slots is 480 Erlangs: 15 nodes are exactly 100% busy
    capped = size(Cluster(rate=12000, service_time=0.04, concurrency=32, target_utilization=1.0)).at(0)
    assert capped.nodes == 16 and capped.figures.utilization < 1
    default = size(Cluster(rate=12000, service_time=0.04, concurrency=32)).at(0)
    assert default.nodes == math.ceil(15 / 0.8) and default.binding_constraint == "utilization"
    result = run("capacity", "-r", "12k", "--service-time", "40ms", "--concurrency", "32", "--nodes", "15",
                 "-f", "json")
    current = json.loads(result.stdout)["current"]
    assert result.exit_code == 3
    assert current["p99_response_seconds"] is None and current["mean_wait_seconds"] is None
    table = run("capacity", "-r", "12k", "--service-time", "40ms", "--concurrency", "32", "--nodes", "15")
    assert "unstable" in table.stdout


def test_latency_is_checked_on_the_survivors_of_a_zone_loss(run):
    rate, s, c, limit = 12000.0, 0.04, 32, 0.19
    result = run("capacity", "-r", rate, "--service-time", "40ms", "--concurrency", c, "--zones", "3",
                 "--latency", "p99<=190ms", "--target-utilization", "100%", "--failover-utilization", "100%",
                 "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # brute force: the hottest survivor of the largest zone's loss (ceil(N/3) nodes) meets p99 <= 190 ms
    def ok(n):
        survivors = n - math.ceil(n / 3)
        return response_tail(limit, rate / n, s, c) <= 0.01 and response_tail(limit, rate / survivors, s, c) <= 0.01
    brute = next(n for n in range(2, 200) if ok(n))
    assert data["nodes"] == brute
    assert data["binding_constraint"] == "latency_after_zone_loss"
    assert data["failure_scenario"] == "zone_loss" and data["nodes_lost_in_failure"] == math.ceil(brute / 3)
    assert data["survivor_p99_response_seconds"] <= limit < json.loads(run(
        "capacity", "-r", rate, "--service-time", "40ms", "--concurrency", c, "--zones", "3", "--nodes", brute - 1,
        "-f", "json").stdout)["current"]["survivor_p99_response_seconds"]
    assert "healthy (" in run("capacity", "-r", rate, "--service-time", "40ms", "--concurrency", c, "--zones", "3",
                              "--latency", "p99<=190ms").stdout


@pytest.mark.parametrize("args,words", [
    (["--node-throughput", "1000", "--service-time", "20ms", "--concurrency", "16"], "contradicts"),
    (["--node-throughput", "800", "--balance-factor", "0.9"], "--balance-factor"),
    (["--service-time", "40ms", "--concurrency", "1", "--latency", "mean<=40ms"], "cannot be met at any size"),
    (["--node-throughput", "100", "--balancer", "random", "--sessions", "10"], "whole session"),
    (["--node-throughput", "800", "--usl", "0.1,0"], "Amdahl"),
    (["--node-throughput", "800", "--tolerate-failures", "5", "--nodes", "5"], "no survivor"),
    (["--node-throughput", "800", "--service-level", "100%@1s", "--service-time", "1ms", "--concurrency", "1"],
     "below 100%"),
    (["--node-throughput", "800", "--wait", "p95<=1s", "--service-level", "80%@1s"], "give one"),
])
def test_contradictions_and_impossible_targets_are_one_line_errors(run, args, words):
    result = run("capacity", "-r", "1000" if "random" in args else "12k", *args)
    assert result.exit_code == 2, result.stdout
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_random_balancer_stops_at_one_session_per_node():
    # 10 sessions of 100/s each: a node holding one runs at 100/200 = 50%, and no number of nodes
    # does better. Random placement's hottest node holds m/N + sqrt(2 (m/N) ln N) sessions (Raab and
    # Steger 1998), at least one: brute force over N for the 60% cap
    m = 10

    def share(n):
        return max(1 / n + math.sqrt(2 * math.log(n) / (n * m)), 1 / m)

    brute = next(n for n in range(2, 10**6) if share(n) * 1000 / 200 <= 0.6)
    s = size(Cluster(rate=1000, node_throughput=200, balancer="random", sessions=m, target_utilization=0.6)).at(0)
    assert s.nodes == brute and s.nodes > m
    lc = size(Cluster(rate=1000, node_throughput=200, balancer="least-connections", sessions=m,
                      target_utilization=0.5)).at(0)
    assert lc.nodes == m  # least connections: one session each at N = m, exactly 50%


def test_random_balancer_unreachable_below_one_session():
    s = size(Cluster(rate=1000, node_throughput=200, balancer="random", sessions=10, target_utilization=0.4))
    assert not s.reachable[0] and "whole session" in s.unreachable[0]


def test_usl_latency_search_finds_the_window_below_the_peak():
    # kappa > 0: the service time grows with N, so the p99 is best well below the USL peak (N* = 31.6);
    # the target below is met only in a window, found by brute force over every N up to the peak
    rate, s, c, sigma, kappa, limit = 1500.0, 0.01, 4, 0.0, 0.001, 0.06

    def p99_ok(n):
        slow = 1 + sigma * (n - 1) + kappa * n * (n - 1)
        return response_tail(limit, rate / n, s * slow, c) <= 0.01

    window = [n for n in range(1, 32) if p99_ok(n)]
    assert window and window[-1] < 31  # the peak itself misses the target
    got = size(Cluster(rate=rate, service_time=s, concurrency=c, usl_sigma=sigma, usl_kappa=kappa,
                       latency_quantile=0.99, latency_seconds=limit, target_utilization=1.0)).at(0)
    assert got.nodes == window[0]


def test_fit_suggests_an_option_capacity_takes(run):
    # sigma printed to 6 digits may round to 1: capacity takes 0 <= sigma <= 1
    assert run("capacity", "-r", "500", "--node-throughput", "1000", "--usl", "1,0.001").exit_code == 0
    assert run("capacity", "-r", "500", "--node-throughput", "1000", "--usl", "1.01,0").exit_code == 2


def test_csv_counts_above_the_option_limit_are_row_errors(run, tmp_path):
    path = tmp_path / "svc.csv"
    path.write_text("name,rate,node_throughput,sessions,balancer,current_nodes,concurrency,service_time\n"
                    "big,1000,100,1e12,random,,,\nhave,1000,100,,,1e12,,\nslots,1000,,,,,1e12,1s\nok,1000,100,,,,,\n")
    result = run("capacity", "--csv", path, "-f", "json")
    assert result.exit_code == 3 and "row 1:" in result.stderr and "sessions" in result.stderr
    assert "row 2: current_nodes" in result.stderr and "row 3:" in result.stderr and "concurrency" in result.stderr
    assert [r["name"] for r in json.loads(result.stdout)] == ["ok"]


def _plain_p99_ok(lam, s, c, limit):
    """P(response > limit) <= 1% for M/M/c, in plain floats (Erlang B by its recurrence)."""
    mu = 1.0 / s
    a = lam * s
    if a >= c * (1 - 1e-9):
        return False
    b = 1.0
    for j in range(1, c + 1):
        b = a * b / (j + a * b)
    pw = c * b / (c - a * (1 - b))
    theta = c * mu - lam
    if abs(theta - mu) < 1e-9 * mu:
        both = math.exp(-mu * limit) * (1 + mu * limit)
    else:
        both = (theta * math.exp(-mu * limit) - mu * math.exp(-theta * limit)) / (theta - mu)
    return (1 - pw) * math.exp(-mu * limit) + pw * both <= 0.01 * (1 + 1e-9)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(10, 5000), s_ms=st.floats(1, 50), c=st.integers(1, 16), u=st.floats(0.3, 1.0),
       uf=st.floats(0.5, 1.0), f=st.integers(0, 3), zones=st.sampled_from([0, 2, 3, 5]), k=st.floats(1.0, 1.5),
       latency=st.booleans())
def test_sizing_matches_a_plain_scan(rate, s_ms, c, u, uf, f, zones, k, latency):
    # a fixed balance factor: every constraint a plain float formula, N counted up from 1
    s = s_ms / 1000
    limit = 6 * s

    def ok(n):
        share = k / n
        if not (rate * share * s / c < 1 - 1e-9 and rate * share * s / c <= u):
            return False
        lost = [f] if f else []
        if zones:
            lost.append(math.ceil(n / zones))
        for gone in lost:
            if n - gone < 1 or not (rate * k / (n - gone) * s / c < 1 - 1e-9
                                    and rate * k / (n - gone) * s / c <= uf):
                return False
            if latency and not _plain_p99_ok(rate * k / (n - gone), s, c, limit):
                return False
        return not latency or _plain_p99_ok(rate * share, s, c, limit)

    brute = next(n for n in range(1, 100_000) if ok(n))
    got = size(Cluster(rate=rate, service_time=s, concurrency=c, balance_factor=k, target_utilization=u,
                       failover_utilization=uf, tolerate_failures=f, zones=zones or math.nan,
                       latency_quantile=0.99 if latency else math.nan,
                       latency_seconds=limit if latency else math.nan)).at(0)
    assert got.nodes == brute


def test_more_nodes_than_sessions_is_said(run):
    result = run("capacity", "-r", "1000", "--node-throughput", "200", "--balancer", "least-connections",
                 "--sessions", "10", "--nodes", "12", "--target-utilization", "60%")
    assert "more than the 10 sessions: 2 nodes get none" in result.stderr
