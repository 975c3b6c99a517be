"""Quantiles of the t, gamma (chi-squared), beta and binomial laws, without scipy.

The simulation's intervals need a handful of quantiles per run; importing
``scipy.stats`` for them costs about half a second, more than a default
``simulate raft`` run itself. These are computed here from the regularised
incomplete gamma and beta functions, each by its power series or continued
fraction (modified Lentz), and inverted by bisection, which cannot fail to
converge and reaches the last bits in about 60 halvings of a logarithmic
bracket. They agree with scipy to 1e-9 relative or better (tests/test_special.py);
what is lost is in log-gamma differences of shapes near 1e5, far below
what a 95% interval needs.

References
----------
M. Abramowitz, I. A. Stegun, Handbook of Mathematical Functions (1964),
6.5.29 and 6.5.31 (incomplete gamma: series, continued fraction), 26.5.8
(incomplete beta: continued fraction), 26.7.1 (Student's t from the beta),
26.5.24 (binomial tail as an incomplete beta).
W. J. Lentz, "Generating Bessel functions in Mie scattering calculations
using continued fractions", Applied Optics 15 (1976) 668-671.
"""

from __future__ import annotations

import math
from functools import lru_cache

_TINY = 1e-300
_EPS = 1e-16
_MAX_TERMS = 100_000


def _lentz(a_of, b_of, b0: float) -> float:
    """b0 + a1/(b1 + a2/(b2 + ...)) by the modified Lentz method."""
    f = b0 if b0 != 0.0 else _TINY
    c, d = f, 0.0
    for m in range(1, _MAX_TERMS):
        a, b = a_of(m), b_of(m)
        d = b + a * d
        d = 1.0 / (d if d != 0.0 else _TINY)
        c = b + a / c
        c = c if c != 0.0 else _TINY
        delta = c * d
        f *= delta
        if abs(delta - 1.0) < _EPS:
            return f
    return f


def gamma_p_q(a: float, x: float) -> tuple[float, float]:
    """(P(a, x), Q(a, x)): the regularised lower and upper incomplete gamma functions, each computed directly."""
    if x <= 0.0:
        return 0.0, 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        # A&S 6.5.29: P = x^a e^-x / Gamma(a + 1) * sum x^n / ((a + 1) ... (a + n))
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * _EPS:
            n += 1.0
            term *= x / n
            total += term
        p = math.exp(log_front) * total
        return p, 1.0 - p
    # A&S 6.5.31 as a continued fraction in its even form
    cf = _lentz(lambda m: -m * (m - a), lambda m: x + 2.0 * m + 1.0 - a, x + 1.0 - a)
    q = math.exp(log_front) / cf
    return 1.0 - q, q


def beta_inc(a: float, b: float, x: float, y: float | None = None) -> tuple[float, float]:
    """(I_x(a, b), 1 - I_x(a, b)), each computed directly (A&S 26.5.8); ``y`` is 1 - x when known more exactly."""
    y = 1.0 - x if y is None else y
    if x <= 0.0:
        return 0.0, 1.0
    if y <= 0.0:
        return 1.0, 0.0
    if x > (a + 1.0) / (a + b + 2.0):
        upper, lower = beta_inc(b, a, y, x)
        return lower, upper
    log_front = (a * math.log(x) + b * math.log(y) + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b))

    def numerator(m: int) -> float:
        k = m // 2
        if m % 2:  # d_{2k+1}
            return -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1))
        return k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k))

    cf = _lentz(numerator, lambda m: 1.0, 1.0)
    value = math.exp(log_front) / (a * cf)
    return value, 1.0 - value


def _bisect_log(below, low: float, high: float) -> float:
    """The x in [low, high] (both > 0) where the rising test ``below(x)`` turns false, by halving log x."""
    lo, hi = math.log(low), math.log(high)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if below(math.exp(mid)):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return math.exp(0.5 * (lo + hi))


@lru_cache(maxsize=256)  # a run asks the same few quantiles many times
def gamma_ppf(p: float, a: float) -> float:
    """The p quantile of the gamma law of shape ``a`` and scale 1 (chi2.ppf(p, 2a) / 2)."""
    if not 0.0 < p < 1.0:
        return 0.0 if p <= 0.0 else math.inf
    tail = 1.0 - p

    def below(x: float) -> bool:  # F(x) < p, asked of whichever tail is small enough to carry its digits
        lower, upper = gamma_p_q(a, x)
        return lower < p if p <= 0.5 else upper > tail

    high = max(a, 1.0)
    while below(high):
        high *= 2.0
    return _bisect_log(below, 1e-300, high)


def chi2_ppf(p: float, dof: float) -> float:
    """The p quantile of the chi-squared law with ``dof`` degrees of freedom."""
    return 2.0 * gamma_ppf(p, dof / 2.0)


@lru_cache(maxsize=256)  # a run asks the same few quantiles many times
def beta_ppf(p: float, a: float, b: float) -> float:
    """The p quantile of the beta(a, b) law."""
    if not 0.0 < p < 1.0:
        return 0.0 if p <= 0.0 else 1.0
    tail = 1.0 - p

    def below(x: float) -> bool:
        lower, upper = beta_inc(a, b, min(x, 1.0))
        return lower < p if p <= 0.5 else upper > tail

    return min(_bisect_log(below, 1e-300, 1.0), 1.0)


@lru_cache(maxsize=256)  # a run asks the same few quantiles many times
def t_ppf(p: float, dof: float) -> float:
    """The p quantile of Student's t with ``dof`` degrees of freedom (A&S 26.7.1: P(|T| > t) = I_{v/(v+t^2)}(v/2, 1/2))."""
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_ppf(1.0 - p, dof)
    two_sided = 2.0 * (1.0 - p)

    def below(t: float) -> bool:  # P(|T| > t) still above the two-sided tail
        return beta_inc(dof / 2.0, 0.5, dof / (dof + t * t), t * t / (dof + t * t))[0] > two_sided

    high = 1.0
    while below(high):
        high *= 2.0
    return _bisect_log(below, 1e-300, high)


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ binomial(n, p) (A&S 26.5.24: I_{1-p}(n - k, k + 1))."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return beta_inc(n - k, k + 1, 1.0 - p)[0]


@lru_cache(maxsize=256)  # a run asks the same few quantiles many times
def binom_ppf(q: float, n: int, p: float) -> int:
    """The smallest k with P(X <= k) >= q for X ~ binomial(n, p), as scipy's binom.ppf."""
    low, high = -1, n  # cdf(low) < q <= cdf(high)
    while high - low > 1:
        mid = (low + high) // 2
        if binom_cdf(mid, n, p) >= q:
            high = mid
        else:
            low = mid
    return high


__all__ = ["beta_inc", "beta_ppf", "binom_cdf", "binom_ppf", "chi2_ppf", "gamma_p_q", "gamma_ppf", "t_ppf"]
