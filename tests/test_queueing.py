"""Erlang B, Erlang C and M/M/c response times against independent maths.

Independent references: exact rational arithmetic (fractions) for the
Erlang recurrences, 60-digit decimals for c = 100,000, mpmath at 45 digits
for c up to 1,000,000, a published Erlang B table, the M/M/1 closed forms,
and numerical integration of the response time's convolution.
"""

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from relcalc.errors import InputError
from relcalc.queueing import MMcQueue, erlang_b, erlang_c, mmc, response_percentile, response_survival


def exact_b(c: int, a) -> Fraction:
    a, b = Fraction(a), Fraction(1)
    for j in range(1, c + 1):
        b = a * b / (j + a * b)
    return b


def exact_c(c: int, a) -> Fraction:
    a, b = Fraction(a), exact_b(c, a)
    return c * b / (c - a * (1 - b))


@pytest.mark.parametrize("c,a", [(1, "0.5"), (2, "1"), (10, "7.5"), (30, "25"), (55, "48"), (200, "180"),
                                 (5, "9"), (50, "80"), (3, "0.001")])
def test_erlang_b_matches_exact_fractions(c, a):
    assert erlang_b(c, float(a)) == pytest.approx(float(exact_b(c, Fraction(a))), rel=1e-12)


@pytest.mark.parametrize("c,a", [(1, "0.5"), (2, "1"), (11, "10"), (55, "48"), (200, "190"), (1000, "990")])
def test_erlang_c_matches_exact_fractions(c, a):
    assert erlang_c(c, float(a)) == pytest.approx(float(exact_c(c, Fraction(a))), rel=1e-11)


# Erlang B table, 1% blocking (as printed in traffic-engineering tables, two
# decimals): 5 trunks 1.36 E, 10 trunks 4.46 E, 20 trunks 12.03 E, 100 trunks
# 84.06 E. The table rounds A, so the 1% point lies within A +- 0.005.
@pytest.mark.parametrize("trunks,erlangs", [(5, 1.36), (10, 4.46), (20, 12.03), (100, 84.06)])
def test_erlang_b_reproduces_the_one_percent_table(trunks, erlangs):
    assert erlang_b(trunks, erlangs - 0.005) < 0.01 < erlang_b(trunks, erlangs + 0.005)


def test_erlang_c_with_100000_servers_matches_high_precision_decimals():
    getcontext().prec = 60
    c, a = 100_000, Decimal(99_000)
    b = Decimal(1)
    for j in range(1, c + 1):
        b = a * b / (j + a * b)
    exact = c * b / (c - a * (1 - b))
    assert erlang_c(c, 99_000.0) == pytest.approx(float(exact), rel=1e-13)
    assert erlang_b(c, 99_000.0) == pytest.approx(float(b), rel=1e-13)


def mpmath_erlang_b_c(c: int, a: float):
    """Erlang B and C at 45 digits, or None where B is below 1e-300.

    B is the Poisson probability of c over the Poisson distribution function
    at c, ``P(c) / Q(c + 1, a)`` with Q the regularised upper incomplete gamma
    function (Jagerman, "Some properties of the Erlang loss function", Bell
    Syst. Tech. J. 53, 1974), and ``C = c B / (c - a (1 - B))``.
    """
    with mpmath.workdps(45):
        c_, a_ = mpmath.mpf(c), mpmath.mpf(a)
        log_pmf = c_ * mpmath.log(a_) - a_ - mpmath.loggamma(c_ + 1)
        if log_pmf < mpmath.log(1e-300):
            return None
        b = mpmath.exp(log_pmf) / mpmath.gammainc(c_ + 1, a_, mpmath.inf, regularized=True)
        return float(b), float(c_ * b / (c_ - a_ * (1 - b)))


# loads from light to within 1e-9 of saturation; 0.707 and 0.708 sit either side
# of the point where the evaluation scales the load by a power of two
LOAD_SHARES = (0.001, 0.05, 0.3, 0.5, 0.7, 0.707, 0.708, 0.75, 0.9, 0.99, 0.999, 0.99999, 1 - 1e-9)


@pytest.mark.parametrize("c", [1, 2, 3, 7, 15, 16, 17, 50, 300, 1000, 3000, 10_000, 30_000, 100_000, 1_000_000])
def test_erlang_b_and_c_to_1e_13_at_any_number_of_servers(c):
    # issue 12: at c = 100,000 Erlang C was off by 1.0e-10 (4.7e-10 at 10^6) from
    # exp(log ...) with arguments of size c log c; now 1e-13 (measured: 7e-15 at worst)
    rng = np.random.default_rng(c)
    shares = np.concatenate([LOAD_SHARES, rng.uniform(0.0, 1.0, 6)])
    loads = c * shares
    got_b, got_c = erlang_b(c, loads), erlang_c(c, loads)
    for share, a, b, w in zip(shares, loads, got_b, got_c):
        ref = mpmath_erlang_b_c(c, a)
        if ref is None:  # below 1e-300: zero or tiny, never more
            assert 0 <= b <= w < 1e-280, (c, share)
            continue
        assert b == pytest.approx(ref[0], rel=1e-13, abs=0), (c, share)
        assert w == pytest.approx(ref[1], rel=1e-13, abs=0), (c, share)


def test_a_queue_gets_the_same_bits_alone_or_among_many():
    # long arrays go in blocks, and only some queues need the double-double pass: neither may
    # change a queue's figure (the capacity batch must equal sizing one service at a time)
    rng = np.random.default_rng(12)
    c = np.floor(10 ** rng.uniform(0, 5, 10_000))
    a = c * rng.uniform(0.0, 1.0, c.size)
    together = erlang_c(c, a)
    for i in rng.choice(c.size, 40, replace=False):
        assert erlang_c(c[i], a[i]) == together[i]
        assert erlang_c(c[i : i + 3], a[i : i + 3])[0] == together[i]


def test_overload_and_tiny_load_stay_finite():
    assert np.isnan(erlang_c(10, 10.0)) and np.isnan(erlang_c(10, 12.0))
    assert 0 < erlang_b(100_000, 300_000.0) < 1  # heavy overload, the log-sum branch
    assert erlang_b(100_000, 300_000.0) == pytest.approx(1 - 100_000 / 300_000, rel=1e-4)  # B -> 1 - c/a
    assert erlang_c(100_000, 1.0) == 0.0  # underflows to zero, not NaN
    with pytest.raises(InputError):
        erlang_b(2.5, 1.0)


def test_mm1_closed_forms():
    lam, mu = 0.7, 1.0
    m = mmc(lam, mu, 1)
    assert isinstance(m, MMcQueue) and bool(m.stable)
    assert float(m.utilization) == pytest.approx(0.7, rel=1e-15)  # rho = lambda / mu
    assert float(m.probability_of_wait) == pytest.approx(0.7, rel=1e-14)  # rho
    assert float(m.mean_wait) == pytest.approx(lam / (mu * (mu - lam)), rel=1e-13)
    assert float(m.mean_response) == pytest.approx(1 / (mu - lam), rel=1e-13)
    # M/M/1 response time is exponential with rate mu - lambda
    for q in (0.5, 0.95, 0.99, 0.999):
        assert response_percentile(q, lam, mu, 1) == pytest.approx(-math.log(1 - q) / (mu - lam), rel=1e-10)


def convolution_survival(t, lam, mu, c):
    p = float(exact_c(c, Fraction(lam / mu)))
    theta = c * mu - lam
    inner = quad(lambda w: theta * math.exp(-theta * w) * math.exp(-mu * (t - w)), 0, t, epsabs=0, epsrel=1e-12)[0]
    return (1 - p) * math.exp(-mu * t) + p * (inner + math.exp(-theta * t))


@pytest.mark.parametrize("lam,mu,c", [(3.0, 1.0, 4), (7.0, 1.0, 8), (1.0, 1.0, 2), (30.0, 1.0, 32), (9.5, 0.5, 20)])
def test_response_survival_matches_numerical_convolution(lam, mu, c):
    for t in (0.1, 1.0, 3.0, 10.0):
        assert response_survival(t, lam, mu, c) == pytest.approx(convolution_survival(t, lam, mu, c), rel=1e-9)


def test_percentile_inverts_survival_and_unstable_is_nan():
    t = response_percentile(0.99, 30.0, 1.0, 32)
    assert response_survival(t, 30.0, 1.0, 32) == pytest.approx(0.01, rel=1e-9)
    assert np.isnan(response_percentile(0.99, 40.0, 1.0, 32))
    unstable = mmc(40.0, 1.0, 32)
    assert not unstable.stable and np.isnan(unstable.mean_wait) and np.isnan(unstable.mean_response)


@settings(max_examples=100, deadline=None)
@given(c=st.integers(1, 60), load_share=st.floats(0.01, 0.99))
def test_erlang_c_is_at_least_erlang_b_and_a_probability(c, load_share):
    a = c * load_share
    b, w = float(erlang_b(c, a)), float(erlang_c(c, a))
    assert 0 <= b <= w <= 1
    assert w == pytest.approx(float(exact_c(c, Fraction(a))), rel=1e-9, abs=1e-300)


def test_call_centre_staffing_example():
    # The worked example of Call Centre Helper, "Erlang C Formula - Made Simple
    # With an Easy Worked Example": 100 calls in 30 minutes, 180-second average
    # handling time (A = 10 Erlangs), 80% of calls answered within 20 seconds.
    # Published: with 11 agents P(wait) = 0.6821 and the average speed of answer
    # is 122.8 s; the target needs 14 agents. Service level = 1 - C exp(-(c - A) t / AHT).
    calls, period, aht, t = 100, 1800.0, 180.0, 20.0
    a = calls / period * aht
    assert a == 10.0

    def level(c):
        return 1 - float(erlang_c(c, a)) * math.exp(-(c - a) * t / aht)

    assert round(float(erlang_c(11, a)), 4) == 0.6821
    assert round(float(erlang_c(11, a)) * aht / (11 - a), 1) == 122.8  # ASA = C AHT / (c - A)
    assert next(c for c in range(11, 100) if level(c) >= 0.8) == 14
    # and every figure of the walk-through agrees with exact fractions
    for c in range(11, 15):
        assert float(erlang_c(c, a)) == pytest.approx(float(exact_c(c, Fraction(10))), rel=1e-13)


def test_response_median_where_wait_and_service_rates_meet():
    # c mu - lambda close to mu: the old bracket (the two exponential quantiles at the full tail
    # each) sat below the true median and the search stopped at it, 2.3% short in probability.
    # Reference: the hypoexponential mixture in mpmath (Kleinrock 1975, section 3.5)
    from test_capacity_safety import response_tail

    lam, mu, c = 556.0194660014068, 29.26616612115832, 20
    got = float(response_percentile(0.5, lam, mu, c))
    exact = mpmath.findroot(lambda t: response_tail(t, lam, 1 / mu, c) - 0.5, 0.05)
    assert got == pytest.approx(float(exact), rel=1e-12)
