"""The compiled queue simulation (issue 14, section 3) against closed forms and a published figure.

References:
- M/M/c: Erlang C and the response-time distribution (Kleinrock, *Queueing
  Systems* vol. 1, 1975, section 3.5), from the mpmath sums of
  test_capacity_safety;
- M/G/1: the Pollaczek-Khinchine mean wait W_q = lambda E[S^2] / (2 (1 - rho))
  (Kleinrock, section 5.6), for fixed (M/D/1) and lognormal service;
- the power of two choices: Mitzenmacher, "The power of two choices in
  randomized load balancing", IEEE TPDS 12(10), 2001: with n -> infinity
  M/M/1 queues at load lambda, sending each job to the shorter of d = 2
  random queues gives a mean time in system of
  sum_{i >= 1} lambda^((d^i - d) / (d - 1)) (2.6135... at lambda = 0.9,
  against 10 for random assignment).
"""

import json
import math

import mpmath
import pytest
from scipy import stats

from relcalc.capacity.service import service_time
from relcalc.capacity.simulation import Scenario, simulate
from relcalc.errors import InputError
from test_capacity_safety import erlang_c_sum, response_tail

EXP = service_time(None, 1.0)


def test_random_routing_gives_each_node_an_mmc_queue():
    # 4 nodes of 2 slots, 6/s in all, mean service 1 s: each node M/M/2 at 1.5/s (75% busy)
    got = simulate(Scenario(4), 6.0, 2, "random", EXP, seed=11, replications=8, customers=40_000)
    lam, c = 1.5, 2
    pw = erlang_c_sum(c, lam)
    assert got.probability_of_wait.covers(float(pw))
    assert got.mean_wait_seconds.covers(float(pw / (c - lam)))
    p99 = float(mpmath.findroot(lambda t: response_tail(t, lam, 1.0, c) - 0.01, 6.0))
    assert got.p99_response_seconds.covers(p99)


@pytest.mark.parametrize("law,scv", [("fixed", 0.0), ("lognormal", 4.0)])
def test_pollaczek_khinchine_mean_wait(law, scv):
    rho = 0.7
    service = service_time(law, 1.0) if law == "fixed" else service_time(law, 1.0, cv=math.sqrt(scv))
    got = simulate(Scenario(2), 2 * rho, 1, "random", service, seed=5, replications=10, customers=60_000)
    exact = rho * (1 + scv) / (2 * (1 - rho))  # W_q = lambda E[S^2] / (2 (1 - rho)) with E[S] = 1
    assert got.mean_wait_seconds.covers(exact), (got.mean_wait_seconds, exact)


def test_power_of_two_choices_matches_mitzenmacher():
    lam, n = 0.9, 100
    limit = sum(lam ** ((2**i - 2) / (2 - 1)) for i in range(1, 40))
    assert limit == pytest.approx(2.6135, abs=1e-3)
    got = simulate(Scenario(n), lam * n, 1, "two-choices", EXP, seed=3, replications=4, customers=100_000)
    # n = 100 queues against the n -> infinity limit: within 3% (the paper's own n = 100 runs are within 1-2%)
    assert got.mean_response_seconds.value == pytest.approx(limit, rel=0.03)
    jsq = simulate(Scenario(n), lam * n, 1, "least-connections", EXP, seed=3, replications=4, customers=50_000)
    assert jsq.mean_response_seconds.value < got.mean_response_seconds.value  # joining the shortest does better


def test_same_seed_same_numbers_for_any_workers():
    one = simulate(Scenario(6, "zone_loss", 3), 40.0, 4, "ring", EXP, seed=9, replications=4, customers=5_000)
    two = simulate(Scenario(6, "zone_loss", 3), 40.0, 4, "ring", EXP, seed=9, replications=4, customers=5_000,
                   workers=2)
    assert one == two and one.nodes == 4


def test_an_overloaded_node_is_unstable_not_a_number():
    got = simulate(Scenario(2), 2.5, 1, "random", EXP, seed=1, replications=2, customers=1_000)
    assert got.unstable and got.p99_response_seconds.value is None
    jsq = simulate(Scenario(2), 2.5, 1, "least-connections", EXP, seed=1, replications=2, customers=20_000)
    assert jsq.unstable


def test_service_laws_reproduce_their_figures():
    logn = service_time("lognormal", 0.04, p99=0.25)
    sigma, mu = logn.p2, logn.p1
    assert stats.lognorm(sigma, scale=math.exp(mu)).mean() == pytest.approx(0.04, rel=1e-12)
    assert stats.lognorm(sigma, scale=math.exp(mu)).ppf(0.99) == pytest.approx(0.25, rel=1e-12)
    gam = service_time("gamma", 0.04, p99=0.25)
    assert stats.gamma(gam.p1, scale=gam.p2).ppf(0.99) == pytest.approx(0.25, rel=1e-9)
    assert gam.p1 * gam.p2 == pytest.approx(0.04, rel=1e-12)
    assert service_time("gamma", 0.04, cv=2).scv == pytest.approx(4.0)
    assert service_time(None, 0.04, cv=2).law == "lognormal"
    emp = service_time(None, None, samples=[0.01, 0.03])
    assert emp.mean_seconds == pytest.approx(0.02) and emp.scv == pytest.approx(0.25)


@pytest.mark.parametrize("kwargs", [
    dict(law="lognormal", mean=0.04, p99=0.03),  # p99 below the mean
    dict(law="lognormal", mean=0.04, cv=-1.0),
    dict(law="lognormal", mean=0.04, p99=10.0),  # no lognormal is that skewed
    dict(law="exponential", mean=0.04, cv=2.0),
    dict(law="weibull", mean=0.04),
    dict(law="gamma", mean=0.04),
    dict(law=None, mean=None, samples=[]),
    dict(law=None, mean=None, samples=[0.1, -0.2]),
    dict(law=None, mean=0.04, samples=[0.1, 0.2]),
])
def test_bad_service_laws_are_input_errors(kwargs):
    with pytest.raises(InputError):
        service_time(kwargs.pop("law"), kwargs.pop("mean"), **kwargs)


def test_simulate_sizes_a_lognormal_service_on_the_survivors(run):
    import json

    result = run("capacity", "-r", "2000", "--service-time", "40ms", "--service-time-p99", "250ms",
                 "--concurrency", "8", "--zones", "3", "--latency", "p99<=300ms", "--seed", "4", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["method"] == "simulate" and data["service_time_law"] == "lognormal"
    assert data["simulated"]["p99_response_seconds"] <= 0.3
    assert data["survivor_simulated"]["p99_response_seconds"] <= 0.3
    smaller = run("capacity", "-r", "2000", "--service-time", "40ms", "--service-time-p99", "250ms",
                  "--concurrency", "8", "--zones", "3", "--latency", "p99<=300ms", "--seed", "4", "-f", "json",
                  "--target-utilization", "100%", "--failover-utilization", "100%")
    assert json.loads(smaller.stdout)["nodes"] <= data["nodes"]


@pytest.mark.parametrize("args,words", [
    (["--service-time-p99", "30ms"], "above the mean"),
    (["--service-time-cv", "-1"], ">= 0"),
    (["--service-time-dist", "weibull"], "unknown law"),
    (["--arrival-cv", "nan"], "--arrival-cv"),
    (["--method", "magic"], "--method"),
    (["--latency-samples", "/nonexistent/x.csv"], "latency-samples"),
])
def test_bad_simulation_options_are_one_line_errors(run, args, words):
    result = run("capacity", "-r", "2000", "--service-time", "40ms", "--concurrency", "8", *args)
    assert result.exit_code == 2 and words in result.stderr and result.stderr.count("\n") == 1


def test_latency_samples_file(run, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("latency_ms\n10\n30\n20\n")
    result = run("capacity", "-r", "100", "--latency-samples", path, "--concurrency", "2", "--node-throughput",
                 "50", "-f", "json")
    assert result.exit_code == 2 and "contradicts" in result.stderr  # c / S = 2 / 20 ms = 100/s, not 50
    ok = run("capacity", "-r", "100", "--latency-samples", path, "--concurrency", "2", "-f", "json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["node_throughput_per_second"] == pytest.approx(2 / 0.02)
    (tmp_path / "empty.csv").write_text("latency_ms\n")
    (tmp_path / "text.csv").write_text("latency\nfast\n")
    for bad in ("empty.csv", "text.csv"):
        r = run("capacity", "-r", "100", "--latency-samples", tmp_path / bad, "--concurrency", "2")
        assert r.exit_code == 2 and "latency-samples" in r.stderr


def test_a_target_the_service_time_alone_misses_is_refused_at_once(run):
    # lognormal with mean 40 ms and p99 250 ms: no request's response is under its own service time
    result = run("capacity", "-r", "2000", "--service-time", "40ms", "--service-time-p99", "250ms",
                 "--concurrency", "8", "--latency", "p99<=250ms")
    assert result.exit_code == 2 and "cannot be met at any size" in result.stderr
    assert service_time("lognormal", 0.04, p99=0.25).quantile(0.99) == pytest.approx(0.25, rel=1e-12)
    gam = service_time("gamma", 0.04, cv=2)
    assert gam.quantile(0.9) == pytest.approx(stats.gamma(0.25, scale=0.16).ppf(0.9), rel=1e-12)


@pytest.mark.parametrize("nodes,slots,balancer", [(3_000, 1, "random"), (600, 1, "least-connections"),
                                                   (1_000, 30_000, "round-robin"), (1_500, 10_000, "two-choices")])
def test_runs_too_large_to_simulate_are_refused_before_running(nodes, slots, balancer):
    with pytest.raises(InputError, match="--method analytic"):
        simulate(Scenario(nodes), 1.0, slots, balancer, EXP)
