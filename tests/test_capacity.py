"""Cluster sizing, growth and the USL fit against closed forms and brute force."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcalc.capacity import Cluster as _Cluster
from relcalc.capacity import (ClusterFigures, Sizing, balance_factor, figures_at, parse_growth,
                              parse_latency_target, parse_months, parse_request_rate, size)
from relcalc.capacity.parse import parse_fraction, parse_seconds
from relcalc.capacity.sizing import max_rate, project_growth
from relcalc.capacity.usl import fit_usl, slowdown, usl_throughput
from relcalc.errors import InputError
from relcalc.results import record


def Cluster(rate, **inputs):
    """The formula tests' clusters: no utilisation caps unless a test sets one (the defaults are tested apart)."""
    return _Cluster(rate, **{"target_utilization": 1.0, "failover_utilization": 1.0, **inputs})


def one(cluster: _Cluster) -> Sizing:
    """The sizing of one service, with Python values (int or None for counts)."""
    return size(cluster).at(0)


# --- parsing -------------------------------------------------------------------

@pytest.mark.parametrize("text,per_second", [("12k", 12000), ("12000/s", 12000), ("720k/min", 12000), ("12000", 12000),
                                             ("43.2M/h", 12000), ("1.2 k", 1200), ("100 rps", 100)])
def test_request_rates(text, per_second):
    assert parse_request_rate(text) == pytest.approx(per_second, rel=1e-12)


@pytest.mark.parametrize("text", ["", "-5", "0", "12x", "12k/fortnight", "nan", "inf"])
def test_bad_request_rates(text):
    with pytest.raises(InputError):
        parse_request_rate(text)


def test_other_parsers():
    assert parse_seconds("40ms", "s") == pytest.approx(0.04)
    assert parse_seconds("2", "s") == 2.0
    assert parse_fraction("70%", "u") == pytest.approx(0.7) and parse_fraction("1", "u") == 1.0
    goal = parse_latency_target("p99<=200ms")
    assert goal.quantile == pytest.approx(0.99) and goal.seconds == pytest.approx(0.2) and goal.label == "p99<=200ms"
    assert parse_latency_target("p99.9 < 1s").quantile == pytest.approx(0.999)
    assert parse_latency_target("mean<=50ms").quantile is None
    assert parse_growth("5%/month") == pytest.approx(1.05)
    assert parse_growth("60%/year") ** 12 == pytest.approx(1.6)
    assert parse_months("18mo") == 18 and parse_months("2y") == 24 and parse_months("6") == 6
    for bad, fn in [("p100<=1s", parse_latency_target), ("p99>=1s", parse_latency_target), ("5%", parse_growth),
                    ("-100%/month", parse_growth), ("0", parse_months), ("1.5mo", parse_months), ("0", lambda t: parse_fraction(t, "u")),
                    ("1.2", lambda t: parse_fraction(t, "u"))]:
        with pytest.raises(InputError):
            fn(bad)


# --- the seed formulas ----------------------------------------------------------

def test_seed_formulas_c_q_and_k():
    s = one(Cluster(rate=12000, node_throughput=800, balance_factor=1.3))
    c = 12000 / 800
    assert s.figures.capacity_c == c  # C = R / T, exact in binary
    assert s.nodes == math.ceil(Fraction("1.3") * c)  # N >= k C: 19.5 -> 20
    assert s.figures.effective_capacity_q == pytest.approx(s.nodes / 1.3, rel=1e-15)  # Q = N / k
    assert s.figures.effective_capacity_q >= c
    assert s.binding_constraint == "throughput"


def test_throughput_from_service_time_and_concurrency_and_littles_law():
    s = one(Cluster(rate=12000, service_time=0.04, concurrency=32))
    assert s.figures.node_throughput_per_second == pytest.approx(800, rel=1e-15)  # T = c / S
    assert s.figures.offered_load_erlangs == pytest.approx(480, rel=1e-15)  # a = R S (Little's law)
    # C = R / T = 15 exactly: 15 nodes would run at exactly 100%, never an answer, so 16
    assert s.nodes == Fraction(12000) / (Fraction(32) / Fraction("0.04")) + 1


def test_utilization_cap():
    s = one(Cluster(rate=12000, node_throughput=800, target_utilization=0.7))
    assert s.nodes == math.ceil(Fraction(15) / Fraction("0.7")) and s.binding_constraint == "utilization"
    assert s.figures.utilization <= 0.7


def test_n_plus_f_with_even_rebalancing_adds_f():
    for f in (1, 2, 3):
        s = one(Cluster(rate=12000, node_throughput=800, balance_factor=1.2, tolerate_failures=f))
        # with even re-balancing the survivors' share k R / ((N - f) T) < 1 needs N - f > k C = 18
        assert s.nodes == Fraction("1.2") * 15 + 1 + f
        assert s.binding_constraint == "redundancy" and s.figures.nodes_lost_in_failure == f
        assert s.figures.utilization_after_failures <= 1.0


def harmonic(n):
    return sum(1.0 / i for i in range(1, n + 1))


def test_ring_without_virtual_nodes_is_checked_on_the_survivors():
    # ring: k(N) = H_N; after f adjacent failures the hottest survivor holds its
    # own arc and f neighbours' average arcs: load (H_N + f) R / (N T)
    rate, t, f = 12000.0, 800.0, 1
    brute = next(n for n in range(f + 1, 10_000) if (harmonic(n) + f) * rate / (n * t) < 1)
    plain = next(n for n in range(1, 10_000) if harmonic(n) * rate / (n * t) < 1)
    s = one(Cluster(rate=rate, node_throughput=t, balancer="ring", tolerate_failures=f))
    assert s.nodes == brute
    assert brute > plain + f  # adding f to the healthy answer is not enough


def test_zone_loss_round_robin_placement():
    # 3 zones round robin: the largest zone has ceil(N/3) nodes
    rate, t = 12000.0, 800.0
    brute = next(n for n in range(2, 1000) if rate / ((n - math.ceil(n / 3)) * t) < 1)
    s = one(Cluster(rate=rate, node_throughput=t, zones=3))
    assert s.nodes == brute
    assert s.figures.nodes_lost_in_failure == math.ceil(brute / 3)


def test_balance_factor_results():
    n = np.array([1, 2, 10, 100])
    assert balance_factor(n, "ring").tolist() == pytest.approx([harmonic(int(v)) for v in n], rel=1e-12)
    m = 1000.0
    random = balance_factor(n, "random", m)
    assert random[0] == 1.0
    assert random[2] == pytest.approx(1 + math.sqrt(2 * math.log(10) / (m / 10)), rel=1e-14)  # Raab and Steger
    two = balance_factor(n, "two-choices", m)
    assert two[3] == pytest.approx(1 + (math.log(math.log(100)) / math.log(2)) / (m / 100), rel=1e-14)
    assert np.all(two[1:] < random[1:])  # two choices beat one
    assert balance_factor(n, "least-connections", 999.0)[2] == pytest.approx(100 / 99.9, rel=1e-15)  # ceil(x) / x
    assert balance_factor(n, "round-robin").tolist() == [1, 1, 1, 1]
    assert balance_factor(n, "ring", given=1.5).tolist() == [1.5] * 4


def test_latency_on_mm1_nodes_matches_the_closed_form():
    # c = 1: the hottest node is M/M/1 with response ~ Exp(mu - lambda), so
    # p99 <= L  <=>  R / N <= mu - ln(100) / L
    rate, s_time, limit = 900.0, 0.01, 0.2
    mu = 1 / s_time
    expected = math.ceil(rate / (mu - math.log(100) / limit))
    s = one(Cluster(rate=rate, service_time=s_time, concurrency=1, latency_quantile=0.99, latency_seconds=limit))
    assert s.nodes == expected and s.binding_constraint == "latency"
    assert s.figures.p99_response_seconds == pytest.approx(math.log(100) / (mu - rate / expected), rel=1e-12)
    assert s.figures.p99_response_seconds <= limit
    mean_target = math.ceil(rate / (mu - 1 / 0.05))
    s = one(Cluster(rate=rate, service_time=s_time, concurrency=1, latency_seconds=0.05))
    assert s.nodes == mean_target
    assert s.figures.mean_response_seconds == pytest.approx(1 / (mu - rate / mean_target), rel=1e-13)


def test_latency_answer_is_the_smallest_that_meets_the_target():
    base = dict(rate=12000.0, service_time=0.04, concurrency=32, latency_quantile=0.99, latency_seconds=0.19)
    n = one(Cluster(**base)).nodes
    at = figures_at(Cluster(**base), [n, n - 1])
    assert isinstance(at, ClusterFigures)
    assert at.target_response_seconds[0] <= 0.19
    assert not at.target_response_seconds[1] <= 0.19  # NaN (unstable) or over
    assert at.target_response_seconds.tolist() == at.p99_response_seconds.tolist()


def test_unreachable_latency_is_reported_not_sized():
    s = size(Cluster(rate=100.0, service_time=0.5, concurrency=4, latency_quantile=0.99, latency_seconds=1.0))
    assert not s.reachable[0] and s.nodes.mask[0]
    assert "service time alone" in s.unreachable[0]
    assert math.isnan(s.figures.utilization[0])
    answer = s.at(0)
    assert answer.nodes is None and answer.nodes_for_latency is None and answer.figures.utilization is None
    assert answer.nodes_for_throughput == math.ceil(100 / (4 / 0.5))  # the other constraints are still sized
    assert answer.figures.offered_load_erlangs == 50.0  # figures of the inputs alone are kept


def test_usl_curve_caps_the_cluster():
    # X(N) = 1000 N / (1 + 0.03 (N-1) + 0.0005 N (N-1)) peaks near N = 44
    n = one(Cluster(rate=12000, node_throughput=1000, usl_sigma=0.03, usl_kappa=0.0005)).nodes
    brute = next(m for m in range(1, 45) if 1000 * m / (1 + 0.03 * (m - 1) + 0.0005 * m * (m - 1)) >= 12000)
    assert n == brute
    s = size(Cluster(rate=20000, node_throughput=1000, usl_sigma=0.03, usl_kappa=0.0005))
    assert not s.reachable[0] and "USL" in s.unreachable[0]
    best = max(range(1, 200), key=lambda m: 1000 * m / (1 + 0.03 * (m - 1) + 0.0005 * m * (m - 1)))
    assert f"peaks at {best} nodes" in s.unreachable[0]


def test_usl_throughput_and_slowdown_are_one_curve():
    n = np.arange(1, 200)
    assert np.array_equal(usl_throughput(n, 1000.0, 0.03, 0.0005), 1000.0 * n / slowdown(n, 0.03, 0.0005))
    assert slowdown(1, 0.3, 0.2) == 1.0  # one node is never slowed down


def test_max_rate_inverts_sizing():
    c = Cluster(rate=1.0, service_time=0.04, concurrency=32, target_utilization=0.8, latency_quantile=0.99,
                latency_seconds=0.2, balancer="two-choices", sessions=20000)
    limit = float(max_rate(c, 20)[0])
    # the bisection stops within a relative 1e-12 of the boundary, on its feasible side
    assert one(Cluster(**{**c.__dict__, "rate": limit})).nodes == 20
    assert one(Cluster(**{**c.__dict__, "rate": limit * (1 + 1e-11)})).nodes == 21
    # round robin, no queue: 15 nodes of 800/s serve just under 15 x 800 (full load is never allowed;
    # the allowance for rounding is 1e-9 relative)
    top = float(max_rate(Cluster(rate=1.0, node_throughput=800), 15)[0])
    assert 12000 * (1 - 2e-9) < top < 12000


def test_growth_projection_and_run_out():
    c = Cluster(rate=12000, node_throughput=800)
    g = project_growth(c, 1.05, 24, current_nodes=30)
    assert g.rate_per_second[12] == pytest.approx(12000 * 1.05**12, rel=1e-15)
    # C = R / T = 15 x 1.05^m: strictly more nodes than C (month 0: 15 would be exactly full)
    assert g.nodes_needed.tolist() == [math.floor(15 * Fraction(21, 20) ** m) + 1 for m in range(25)]
    assert g.nodes_needed.dtype == np.int64 and g.months.tolist() == list(range(25))
    # 30 nodes serve 24,000/s: reached after log(2)/log(1.05) months (max_rate is within 1e-12 of 24,000)
    assert g.runs_out_after_months == pytest.approx(math.log(2) / math.log(1.05), rel=1e-8)
    assert g.runs_out_month == math.ceil(math.log(2) / math.log(1.05)) and isinstance(g.runs_out_month, int)
    assert g.by_month()[g.runs_out_month].nodes_needed > 30 >= g.by_month()[g.runs_out_month - 1].nodes_needed
    assert project_growth(c, 1.05, 6, current_nodes=30).runs_out_month is None


def test_vectorised_batch_matches_one_by_one():
    rates = np.array([100.0, 5000.0, 12000.0, 80000.0])
    batch = size(Cluster(rate=rates, service_time=0.04, concurrency=32, balancer="random", zones=3,
                         latency_quantile=0.95, latency_seconds=0.15, sessions=5000))
    for i, r in enumerate(rates):
        single = size(Cluster(rate=r, service_time=0.04, concurrency=32, balancer="random", zones=3,
                              latency_quantile=0.95, latency_seconds=0.15, sessions=5000))
        assert batch.at(i) == single.at(0)  # every field, figure for figure


def test_results_are_typed_with_whole_counts():
    s = size(Cluster(rate=np.array([12000.0, 100.0]), service_time=np.array([0.04, 1.0]), concurrency=32, zones=3,
                     latency_quantile=0.99, latency_seconds=0.2))
    assert s.nodes.dtype == np.int64 and s.nodes_for_latency.dtype == np.int64
    assert s.reachable.tolist() == [True, False]
    first, second = s.at(0), s.at(1)
    assert type(first.nodes) is int and second.nodes is None
    assert type(first.figures.nodes_lost_in_failure) is int and second.figures.nodes_lost_in_failure is None
    assert first.nodes_for("latency") == first.nodes_for_latency
    data = record(first)
    assert data["nodes"] == first.nodes and data["p99_response_seconds"] == first.figures.p99_response_seconds
    assert "stable" not in data and "unreachable" not in data and "figures" not in data
    assert list(data) == list(s.columns())


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(10, 1e6),
    growth=st.floats(1.0, 3.0),
    conc=st.integers(1, 64),
    s_ms=st.floats(1, 100),
    util=st.floats(0.3, 1.0),
    balancer=st.sampled_from(["round-robin", "least-connections", "random", "two-choices", "ring"]),
    zones=st.sampled_from([math.nan, 2, 3]),
    sessions=st.integers(1, 10**6),
)
def test_more_traffic_never_needs_fewer_nodes_and_looser_targets_never_more(
    rate, growth, conc, s_ms, util, balancer, zones, sessions
):
    s = s_ms / 1000

    def nodes(**over):
        base = dict(rate=rate, service_time=s, concurrency=conc, target_utilization=util, balancer=balancer,
                    zones=zones, latency_quantile=0.99, latency_seconds=6 * s, sessions=sessions)
        found = one(Cluster(**{**base, **over})).nodes
        return math.inf if found is None else found  # out of reach: no size is enough

    n = nodes()
    assert nodes(rate=rate * growth) >= n
    assert nodes(latency_seconds=12 * s) <= n
    assert nodes(target_utilization=min(1.0, util * 1.2)) <= n
    assert nodes(latency_quantile=0.9) <= n


def test_usl_fit_recovers_known_parameters():
    n = np.array([1, 2, 4, 8, 16, 32, 64], dtype=float)
    x = usl_throughput(n, 1000, 0.03, 0.0005)
    fit = fit_usl(n, x)
    assert fit.node_throughput_per_second == pytest.approx(1000, rel=1e-6)
    assert fit.sigma == pytest.approx(0.03, rel=1e-5)
    assert fit.kappa == pytest.approx(0.0005, rel=1e-5)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.peak_nodes == pytest.approx(math.sqrt(0.97 / 0.0005), rel=1e-5)


def test_usl_fit_with_noise_and_linear_data():
    rng = np.random.default_rng(7)
    n = np.repeat(np.array([1, 2, 4, 8, 16, 24, 32, 48], dtype=float), 5)
    x = usl_throughput(n, 500, 0.05, 0.001) * (1 + 0.01 * rng.standard_normal(n.size))
    fit = fit_usl(n, x)
    assert fit.sigma == pytest.approx(0.05, abs=0.01)
    assert fit.kappa == pytest.approx(0.001, abs=0.0003)
    assert fit.r_squared > 0.99
    linear = fit_usl([1, 2, 3, 4], [100, 200, 300, 400])
    assert linear.kappa == pytest.approx(0, abs=1e-9) and linear.sigma == pytest.approx(0, abs=1e-9)
    assert linear.peak_nodes > 1000 * 4  # no peak anywhere near the data


@pytest.mark.parametrize("nodes,x", [([1, 2], [1, 2]), ([1, 1, 2, 2], [1, 1, 2, 2]), ([1, 2, 3], [1, -2, 3]),
                                     ([0, 1, 2], [1, 2, 3]), ([1.5, 2, 3], [1, 2, 3])])
def test_usl_fit_refuses_bad_data(nodes, x):
    with pytest.raises(ValueError):
        fit_usl(nodes, x)
