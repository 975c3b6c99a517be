"""Exact block-diagram evaluation against closed forms and brute-force enumeration."""

import itertools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcalc.errors import InputError
from relcalc.rbd import (
    Component,
    KofN,
    Parallel,
    Series,
    Standby,
    System,
    Use,
    apply_set,
    evaluate,
    k_of_n,
    load_spec_text,
    mission,
    parse_expression,
    system_from_mapping,
)
from relcalc.rbd.evaluate import block_availabilities
from relcalc.rbd.standby import standby_steady_state
from relcalc.rbd.tails import _others_at_threshold, _tail, k_of_n_with_logs
from relcalc.results import record

from conftest import SAMPLES


def comp(name, a, count=1):
    return Component(name, a, 1.0 - a, count=count)


def timed(name, mtbf, mttr, count=1):
    return Component.from_times(name, mtbf, mttr, count=count)


# --- a deliberately naive reference: enumerate every state of every instance ----------


def instances(system):
    out = []
    for name, c in system.components.items():
        out += [(name, i) for i in range(c.count)]
    return out


def works(block, system, state):
    if isinstance(block, Use):
        return [state[(block.name, i)] for i in range(system.components[block.name].count)]
    values = [v for child in block.children for v in works(child, system, state)]
    if isinstance(block, Series):
        return [all(values)]
    if isinstance(block, Parallel):
        return [any(values)]
    return [sum(values) >= block.k]


def brute_force(system):
    names = instances(system)
    total_u = 0.0
    for bits in itertools.product((True, False), repeat=len(names)):
        state = dict(zip(names, bits))
        weight = math.prod(
            system.components[n].availability if up else system.components[n].unavailability
            for (n, _), up in zip(names, bits)
        )
        if not all(works(system.root, system, state)):
            total_u += weight
    return total_u


# --- closed forms ---------------------------------------------------------------


def test_series_and_parallel_closed_forms():
    a = [0.99, 0.995, 0.9]
    parts = {f"c{i}": comp(f"c{i}", x) for i, x in enumerate(a)}
    uses = tuple(Use(n) for n in parts)
    series = evaluate(System(parts, Series(uses)))
    assert series.availability == pytest.approx(math.prod(a), rel=1e-15)
    parallel = evaluate(System(parts, Parallel(uses)))
    assert parallel.unavailability == pytest.approx(math.prod(1 - x for x in a), rel=1e-14)


def test_k_of_n_binomial():
    # 2-of-3 identical: A = 3a^2 - 2a^3 (binomial)
    a = 0.98
    r = evaluate(System({"db": comp("db", a, 3)}, KofN(2, (Use("db"),))))
    assert r.availability == pytest.approx(3 * a**2 - 2 * a**3, rel=1e-15)
    assert r.unavailability == pytest.approx(3 * (1 - a) ** 2 * a + (1 - a) ** 3, rel=1e-13)


def test_k_of_n_large_binomial():
    from math import comb

    n, k, q = 40, 30, 0.05
    expected_u = sum(comb(n, m) * q**m * (1 - q) ** (n - m) for m in range(n - k + 1, n + 1))
    avail, unavail, _ = k_of_n(np.full(n, 1 - q), np.full(n, q), k)
    assert unavail == pytest.approx(expected_u, rel=1e-12)
    assert avail + unavail == pytest.approx(1.0, abs=1e-14)


def test_bridge_exact():
    # pivot on c: U = u_c (1 - a_a a_d)(1 - a_b a_e) + a_c (1 - (1 - u_a u_b)(1 - u_d u_e))
    data = load_spec_text((SAMPLES / "bridge.yaml").read_text())
    system = system_from_mapping(data)
    c = {n: system.components[n] for n in "abcde"}
    a = {n: c[n].availability for n in c}
    u = {n: c[n].unavailability for n in c}
    expected = u["c"] * (1 - a["a"] * a["d"]) * (1 - a["b"] * a["e"]) + a["c"] * (
        1 - (1 - u["a"] * u["b"]) * (1 - u["d"] * u["e"])
    )
    result = evaluate(system)
    assert result.unavailability == pytest.approx(expected, rel=1e-12)
    assert result.unavailability == pytest.approx(brute_force(system), rel=1e-12)
    # the naive answer treats the four paths as independent and is wrong
    paths = [("a", "d"), ("b", "e"), ("a", "c", "e"), ("b", "c", "d")]
    naive = math.prod(1 - math.prod(a[x] for x in p) for p in paths)
    assert abs(naive - expected) / expected > 0.5


def test_shared_power_feed():
    # two racks in parallel, each needs the shared power feed: U = u_p + a_p u_r^2
    parts = {"power": comp("power", 0.999), "r1": comp("r1", 0.99), "r2": comp("r2", 0.99)}
    root = Parallel((Series((Use("power"), Use("r1"))), Series((Use("power"), Use("r2")))))
    r = evaluate(System(parts, root))
    assert r.unavailability == pytest.approx(0.001 + 0.999 * 0.01**2, rel=1e-13)


def test_twelve_nines_keep_digits():
    parts = {"x": comp("x", 1 - 1e-6, 2)}
    r = evaluate(System(parts, Parallel((Use("x"),))))
    assert r.unavailability == pytest.approx(1e-12, rel=1e-9)
    series = evaluate(System({"y": Component("y", 1 - 1e-13, 1e-13, count=5)}, Series((Use("y"),))))
    assert series.unavailability == pytest.approx(5e-13, rel=1e-9)


# --- tails beyond the float range (issue 12) -------------------------------------------


def binomial_upper_tail(n: int, k: int, q: float):
    """U of k-of-n identical members, P(Binomial(n, q) > n - k), summed at 50 digits.

    A k-of-n system of identical independent members fails when more than
    n - k are down (Rausand and Hoyland, System Reliability Theory, 2004,
    section 4.6): U = sum_{m > n-k} C(n, m) q^m (1-q)^(n-m). Terms follow
    from one another by the ratio (n - m) q / ((m + 1)(1 - q)).
    """
    with mpmath.workdps(50):
        q = mpmath.mpf(q)  # the float the evaluator sees, exactly
        m = n - k + 1
        term = mpmath.binomial(n, m) * q**m * (1 - q) ** (n - m)
        total = mpmath.mpf(0)
        while m <= n and (term > total * mpmath.mpf(10) ** -55 or m <= n * q):
            total += term
            term = term * (n - m) * q / ((m + 1) * (1 - q))
            m += 1
        return total


@pytest.mark.parametrize("n,k,q", [
    (10_000, 5_001, 1 / 1001),  # the case: U = 10^-11996.1, was 0 with nines null
    (10_000, 9_990, 1e-3),  # an ordinary tail, no tilt: the plain programme, digits to 1e-12
    (2_000, 1, 0.01),  # all-but-one down: 1e-4000, counted from the members up
    (3_000, 1_500, 0.2),
    (500, 250, 1e-6),
    (40, 30, 0.05),
])
def test_k_of_n_tails_at_any_size_against_the_binomial_sum(n, k, q):
    avail, unavail, log_unavail, _ = k_of_n_with_logs(np.full(n, 1 - q), np.full(n, q), np.full(n, math.log(q)), k, False)
    exact = binomial_upper_tail(n, k, q)
    # log U to its digits: relative error of U about |ln U| eps (1e-12 at 1e-11996)
    assert log_unavail / math.log(10) == pytest.approx(float(mpmath.log10(exact)), rel=1e-13)
    if exact > 1e-280:
        assert unavail == pytest.approx(float(exact), rel=1e-12)
    else:
        assert unavail < 1e-280
    assert 0.0 <= avail <= 1.0 and abs(avail + unavail - 1.0) <= 1e-16


def test_tilted_programme_is_the_plain_one_rescaled():
    # the tilt is an exact change of measure: any theta gives the same tails and derivatives
    rng = np.random.default_rng(12)
    u = 10 ** rng.uniform(-4, -0.5, 40)
    a = 1 - u
    everyone = np.ones(u.size, dtype=bool)
    for allowed in (3, 12, 25):
        plain = _tail(u, a, np.log(u), np.log(a), allowed, 0.0)
        for theta in (2.5, 6.0, -1.0):
            tilted = _tail(u, a, np.log(u), np.log(a), allowed, theta)
            assert tilted[0] == pytest.approx(plain[0], rel=1e-12)  # P(at most `allowed` down)
            assert tilted[1] == pytest.approx(plain[1], rel=1e-11)  # the tail
            # P(exactly `allowed` of the others down), some members removed from above 1/2 on the tilted scale
            assert _others_at_threshold(tilted[4], everyone) == pytest.approx(
                _others_at_threshold(plain[4], everyone), rel=1e-10)


@pytest.mark.parametrize("n,k,q", [
    (1000, 999, 1e-140),  # U about C(n, 2) q^2 = 5e-275
    (1000, 2, 0.49),  # U about n q^999 = 1e-306, counted from the members up
])
def test_underflowing_k_of_n_gradient_matches_the_binomial_pmf(n, k, q):
    # dA/da_i of identical members: P(exactly n - k of the other n - 1 down), a binomial pmf
    _, unavail, _, grad = k_of_n_with_logs(np.full(n, 1 - q), np.full(n, q), np.full(n, math.log(q)), k, True)
    with mpmath.workdps(50):
        pmf = mpmath.binomial(n - 1, n - k) * mpmath.mpf(q) ** (n - k) * (1 - mpmath.mpf(q)) ** (k - 1)
    assert float(pmf) > 1e-307 and unavail < 1e-250  # the tilted path, derivatives still normal floats
    assert grad == pytest.approx(np.full(n, float(pmf)), rel=1e-10)


# --- frequency, MTBF and MTTR -------------------------------------------------------


def test_parallel_pair_equivalent_mtbf_mttr():
    # two identical units (rates l, m) in parallel, each with its own crew:
    # U = u^2; the system fails from "one down" (probability 2 a u) at rate l,
    # so f = 2 a u l, and the mean down time is 1/(2m) (two repairs racing)
    lam, mu = 1 / 1000, 1 / 10
    r = evaluate(System({"x": timed("x", 1000, 10, 2)}, Parallel((Use("x"),))))
    u1 = lam / (lam + mu)
    assert r.unavailability == pytest.approx(u1**2, rel=1e-13)
    assert r.failure_frequency_per_hour == pytest.approx(2 * (1 - u1) * u1 * lam, rel=1e-12)
    assert r.mttr_hours == pytest.approx(1 / (2 * mu), rel=1e-12)


def test_two_of_three_equivalent_mttr():
    # 2-of-3: the system goes down from "one failed" (probability 3 a^2 u) when
    # either of the two working units fails (rate 2l); U = 3 u^2 a + u^3
    lam, mu = 1 / 500, 1 / 5
    a1, u1 = mu / (lam + mu), lam / (lam + mu)
    r = evaluate(System({"x": timed("x", 500, 5, 3)}, KofN(2, (Use("x"),))))
    frequency = 3 * a1**2 * u1 * 2 * lam
    assert r.failure_frequency_per_hour == pytest.approx(frequency, rel=1e-12)
    assert r.mttr_hours == pytest.approx((3 * u1**2 * a1 + u1**3) / frequency, rel=1e-12)


# --- importance -----------------------------------------------------------------------


def _u_with(system, name, availability):
    c = system.components[name]
    changed = system.with_component(Component(name, availability, 1 - availability, count=c.count))
    return evaluate(changed, importance=False).unavailability


def test_importance_against_definitions():
    system = system_from_mapping(load_spec_text((SAMPLES / "bridge.yaml").read_text()))
    result = evaluate(system)
    U = result.unavailability
    for item in result.importance:
        c = system.components[item.name]
        perfect = _u_with(system, item.name, 1.0)
        failed = _u_with(system, item.name, 0.0)
        assert item.birnbaum == pytest.approx(failed - perfect, rel=1e-9)
        h = 1e-6  # finite difference of the system availability
        up = 1 - _u_with(system, item.name, c.availability + h)
        down = 1 - _u_with(system, item.name, c.availability - h)
        assert item.birnbaum == pytest.approx((up - down) / (2 * h), rel=1e-5)
        assert item.improvement_potential == pytest.approx(U - perfect, rel=1e-9)
        assert item.risk_achievement_worth == pytest.approx(failed / U, rel=1e-9)
        assert item.criticality == pytest.approx(item.birnbaum * c.unavailability / U, rel=1e-12)
        assert item.fussell_vesely == pytest.approx(c.unavailability * failed / U, rel=1e-9)


def test_k_of_n_gradient_against_finite_difference():
    rng = np.random.default_rng(7)
    a = 1 - rng.uniform(0.001, 0.7, 9)
    u = 1 - a
    _, _, grad = k_of_n(a, u, 5, True)
    for i in range(9):
        a_hi, a_lo = a.copy(), a.copy()
        a_hi[i] = 1.0
        a_lo[i] = 0.0
        hi = k_of_n(a_hi, 1 - a_hi, 5)[0]
        lo = k_of_n(a_lo, 1 - a_lo, 5)[0]
        assert grad[i] == pytest.approx(hi - lo, rel=1e-9)


# --- random small diagrams with shared components: exact == enumeration -------------------

NAMES = ["a", "b", "c", "d", "e"]


@st.composite
def diagrams(draw, depth=0):
    if depth >= 3 or draw(st.integers(0, 3)) == 0:
        return Use(draw(st.sampled_from(NAMES)))
    children = tuple(draw(st.lists(diagrams(depth=depth + 1), min_size=1, max_size=4)))
    kind = draw(st.sampled_from(["series", "parallel", "kofn"]))
    if kind == "series":
        return Series(children)
    if kind == "parallel":
        return Parallel(children)
    return KofN(draw(st.integers(1, len(children))), children)


@settings(max_examples=150, deadline=None)
@given(root=diagrams(), availabilities=st.lists(st.floats(0.5, 0.999), min_size=5, max_size=5))
def test_exact_equals_enumeration(root, availabilities):
    parts = {n: comp(n, x) for n, x in zip(NAMES, availabilities)}
    system = System(parts, root)
    system.validate()
    assert evaluate(system).unavailability == pytest.approx(brute_force(system), rel=1e-9, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5), a=st.floats(0.5, 0.999), extra=st.floats(0.5, 0.999))
def test_redundancy_invariants(n, a, extra):
    parts = {"x": comp("x", a, n), "y": comp("y", extra)}
    parallel = evaluate(System(parts, Parallel((Use("x"), Use("y"))))).unavailability
    series = evaluate(System(parts, Series((Use("x"), Use("y"))))).unavailability
    assert parallel <= min(1 - a, 1 - extra) + 1e-15  # never worse than its best member
    assert series >= max(1 - a, 1 - extra) - 1e-15  # never better than its worst
    more = evaluate(System({"x": comp("x", a, n + 1)}, Parallel((Use("x"),)))).unavailability
    fewer = evaluate(System({"x": comp("x", a, n)}, Parallel((Use("x"),)))).unavailability
    assert more <= fewer  # more replicas never hurt


def brute_force_mp(system):
    """The enumeration of brute_force at 40 digits: no underflow however small U is."""
    names = instances(system)
    total = mpmath.mpf(0)
    with mpmath.workdps(40):
        for bits in itertools.product((True, False), repeat=len(names)):
            if not all(works(system.root, system, dict(zip(names, bits)))):
                c = [system.components[n] for n, _ in names]
                total += mpmath.fprod(mpmath.mpf(x.availability) if up else mpmath.mpf(x.unavailability)
                                      for x, up in zip(c, bits))
    return total


@settings(max_examples=120, deadline=None)
@given(root=diagrams(), exponents=st.lists(st.floats(0.3, 200), min_size=5, max_size=5))
def test_a_plus_u_is_one_and_log_u_is_exact_for_any_diagram(root, exponents):
    # components with U from 0.5 down to 1e-200: parallels of them underflow a float
    parts = {n: Component(n, -math.expm1(-e * math.log(10)), 10 ** -e) for n, e in zip(NAMES, exponents)}
    system = System(parts, root)
    system.validate()
    result = evaluate(system)
    assert 0.0 <= result.availability <= 1.0 and 0.0 <= result.unavailability <= 1.0
    assert abs(result.availability + result.unavailability - 1.0) <= 1e-15
    exact = brute_force_mp(system)
    assert result.unavailability_log10 == pytest.approx(float(mpmath.log10(exact)), rel=1e-9, abs=1e-12)
    assert result.nines == -result.unavailability_log10
    data = record(result)
    if result.unavailability < 1e-300:
        assert data["unavailability"] is None and data["unavailability_below"] == 1e-300
        assert data["downtime_per_year_hours"] is None and data["nines"] > 300
    else:
        assert data["unavailability"] == result.unavailability and data["unavailability_below"] is None
        assert result.unavailability == pytest.approx(float(exact), rel=1e-9)
    for block_a, block_u, _ in block_availabilities(system).values():
        assert abs(block_a + block_u - 1.0) <= 1e-15


# --- standby and mission ---------------------------------------------------------------


def test_cold_standby_two_units_chain():
    # 1 active + 1 cold spare, perfect switch, own crews: states 0,1,2 with
    # pi1 = pi0 l/m, pi2 = pi1 l/(2m): U = pi2
    lam, mu = 1 / 1000, 1 / 10
    c = timed("x", 1000, 10, 2)
    a, u, f = standby_steady_state(c, Standby("x", 1))
    r1, r2 = lam / mu, lam / mu * lam / (2 * mu)
    assert u == pytest.approx(r2 / (1 + r1 + r2), rel=1e-13)
    assert f == pytest.approx(r1 / (1 + r1 + r2) * lam, rel=1e-13)
    # hot standby equals the parallel formula
    a_hot, u_hot, _ = standby_steady_state(c, Standby("x", 1, "hot", 1.0))
    assert u_hot == pytest.approx((lam / (lam + mu)) ** 2, rel=1e-12)


def test_mission_reliability_closed_forms():
    # parallel pair of exponentials: R = 2e^{-lt} - e^{-2lt}, MTTF = 3/(2l)
    lam = 1 / 1000
    system = System({"x": timed("x", 1000, 10, 2)}, Parallel((Use("x"),)))
    t = 500.0
    result = mission(system, t)
    assert result.reliability == pytest.approx(2 * math.exp(-lam * t) - math.exp(-2 * lam * t), rel=1e-12)
    assert result.mttf_hours == pytest.approx(1.5 / lam, rel=1e-6)
    # cold standby of two: Erlang-2 lifetime, MTTF = 2/l
    cold = System({"x": timed("x", 1000, 10, 2)}, Standby("x", 1))
    assert mission(cold, t).reliability == pytest.approx(math.exp(-lam * t) * (1 + lam * t), rel=1e-9)
    assert mission(cold, t).mttf_hours == pytest.approx(2 / lam, rel=1e-6)


def test_weibull_mission_keeps_the_mean():
    c = Component.from_times("x", 1000, 10)
    from dataclasses import replace

    system = System({"x": replace(c, weibull_shape=2.0)}, Use("x"))
    assert mission(system, 100.0).mttf_hours == pytest.approx(1000.0, rel=1e-6)


# --- expressions, specs and what-ifs ----------------------------------------------------


def test_expression_parser():
    root, counts = parse_expression("lb * 3x app * 2/3 db")
    assert counts == {"lb": 1, "app": 3, "db": 3}
    assert isinstance(root, Series) and len(root.children) == 3
    root, counts = parse_expression("(a | b) * 2/3 (c, d, e & f)")
    assert isinstance(root.children[1], KofN) and root.children[1].k == 2


@pytest.mark.parametrize("text", ["", "a *", "(a | b", "a b", "2/3 (a, b)", "3x", "a $ b", "__import__('os')"])
def test_expression_errors(text):
    with pytest.raises(InputError):
        parse_expression(text)


def test_set_what_if():
    system = system_from_mapping(load_spec_text((SAMPLES / "web-service.yaml").read_text()))
    faster = apply_set(system, "app.mttr=1h")
    assert faster.components["app"].mttr_hours == 1.0
    assert evaluate(faster).unavailability < evaluate(system).unavailability
    more = apply_set(system, "db.count=5")
    assert more.components["db"].count == 5
    with pytest.raises(InputError):
        apply_set(system, "nope.mttr=1h")
    with pytest.raises(InputError):
        apply_set(system, "power.mttr=1h")  # availability only
    for bad in ("app.weibull_shape=x", "app.weibull_shape=-1", "app.count=x", "app.mttr=abc", "app=1h"):
        with pytest.raises(InputError):
            apply_set(system, bad)


def test_deep_nesting_is_a_clean_error():
    text = "components: {a: {availability: 0.9}}\nsystem: " + "{series: [" * 10000 + "a" + "]}" * 10000
    with pytest.raises(InputError, match="nesting"):
        system_from_mapping(load_spec_text(text))
    nested = "a"
    for _ in range(300):
        nested = {"series": [nested]}
    with pytest.raises(InputError, match="nesting"):
        system_from_mapping({"components": {"a": {"availability": 0.9}}, "system": nested})
