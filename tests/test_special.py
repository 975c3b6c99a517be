"""Quantiles without scipy (relcalc.raft.special) against closed forms, exact enumeration and scipy.

Closed forms: Student's t with 1 degree of freedom is the Cauchy law,
t = tan(pi (p - 1/2)); with 2, t = (2p - 1) / sqrt(2 p (1 - p)) (A&S 26.7.1
integrated); chi-squared with 2 degrees of freedom is exponential of mean 2,
x = -2 ln(1 - p). Binomial quantiles by exact enumeration of the law in
fractions. scipy.stats is the independent reference elsewhere (the issue
asks for the agreement); 1e-9 relative is far finer than a 95% interval needs.
"""

import math
from fractions import Fraction

import pytest
from scipy import stats

from relcalc.raft import special

REL = 1e-9


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995, 0.025])
def test_t_closed_forms(p):
    assert special.t_ppf(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=REL)
    assert special.t_ppf(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=REL)


@pytest.mark.parametrize("p", [0.0125, 0.025, 0.5, 0.975, 0.9875])
def test_chi2_with_two_degrees_is_exponential(p):
    assert special.chi2_ppf(p, 2) == pytest.approx(-2 * math.log1p(-p), rel=REL)


@pytest.mark.parametrize("dof", [1, 3, 15, 29, 99, 1000, 100_000])
@pytest.mark.parametrize("p", [0.975, 0.995, 0.9, 0.025])
def test_t_against_scipy(dof, p):
    assert special.t_ppf(p, dof) == pytest.approx(stats.t.ppf(p, dof), rel=REL)


@pytest.mark.parametrize("dof", [2, 4, 20, 60, 62, 2_000, 200_000])
@pytest.mark.parametrize("p", [0.0125, 0.025, 0.975, 0.9875])
def test_chi2_against_scipy(dof, p):
    assert special.chi2_ppf(p, dof) == pytest.approx(stats.chi2.ppf(p, dof), rel=REL)


@pytest.mark.parametrize("a, b", [(1, 1), (1, 40), (3, 98), (30, 71), (1000, 99_001)])
@pytest.mark.parametrize("p", [0.025, 0.975])
def test_beta_against_scipy(a, b, p):
    assert special.beta_ppf(p, a, b) == pytest.approx(stats.beta.ppf(p, a, b), rel=REL)


def _enumerated_ppf(q, n, p):
    p = Fraction(p)
    total = Fraction(0)
    for k in range(n + 1):
        total += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if total >= Fraction(q):
            return k
    return n


@pytest.mark.parametrize("n", [1, 2, 7, 30, 31, 120])
@pytest.mark.parametrize("level", [0.5, 0.95, 0.99])
@pytest.mark.parametrize("q", [0.025, 0.975])
def test_binomial_quantiles_by_enumeration(n, level, q):
    assert special.binom_ppf(q, n, level) == _enumerated_ppf(q, n, level)


@pytest.mark.parametrize("n", [1_000, 54_321, 1_000_000])
@pytest.mark.parametrize("level", [0.5, 0.99])
def test_binomial_quantiles_against_scipy(n, level):
    for q in (0.025, 0.975):
        assert special.binom_ppf(q, n, level) == int(stats.binom.ppf(q, n, level))
