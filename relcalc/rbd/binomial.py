"""A k-of-n block of identical members (one component with ``count``): binomial closed forms, no object per member.

Notes
-----
With ``n`` identical independent members, each down with probability ``q``,
the number down is Binomial(n, q); the block is down when more than
``n - k`` are (Rausand & Hoyland, *System Reliability Theory*, 2004, 4.6):

    U = sum_{j > n-k} b(j; n, q)        A = sum_{j <= n-k} b(j; n, q)

each a sum of non-negative terms, so U is never 1 - A. A member's Birnbaum
importance is the probability that exactly ``k - 1`` of the other ``n - 1``
are up, ``b(n-k; n-1, q)``.

The terms are found on the log scale from the one at the threshold, whose
logarithm is computed by Loader's saddle-point form (deviance ``bd0`` and
Stirling's error ``stirlerr``), accurate to a few units in the last place
where ``lgamma`` differences of numbers near 1e6 would lose six digits
(C. Loader, "Fast and accurate computation of binomial probabilities",
2000; the method of R's dbinom). Successive terms differ by the ratio
``(n - j) q / ((j + 1) (1 - q))``.
"""

from __future__ import annotations

import math

_LOG_2PI = math.log(2.0 * math.pi)


def _stirlerr(n: float) -> float:
    """log(n!) - log(sqrt(2 pi n) (n/e)^n)."""
    if n < 16:  # the series is not yet accurate; lgamma of small numbers loses nothing
        return math.lgamma(n + 1.0) - (n + 0.5) * math.log(n) + n - 0.5 * _LOG_2PI
    nn = n * n
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680) / nn) / nn) / nn) / n


def _bd0(x: float, mean: float) -> float:
    """x log(x / mean) + mean - x, without the cancellation where x is near the mean."""
    if abs(x - mean) < 0.1 * (x + mean):
        v = (x - mean) / (x + mean)
        s = (x - mean) * v
        ej = 2.0 * x * v
        v2 = v * v
        j = 1
        while True:
            ej *= v2
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s1
            s = s1
            j += 1
    return x * math.log(x / mean) + mean - x


def log_pmf(j: int, n: int, q: float, log_q: float, log_a: float) -> float:
    """log b(j; n, q), ``log_q``/``log_a`` the logarithms of q and 1 - q (given, so 1 - q is never formed)."""
    if j == 0:
        return n * log_a
    if j == n:
        return n * log_q
    a = math.exp(log_a)
    return (_stirlerr(n) - _stirlerr(j) - _stirlerr(n - j) - _bd0(j, n * q) - _bd0(n - j, n * a)
            + 0.5 * (math.log(n) - math.log(j) - math.log(n - j) - _LOG_2PI))


def _logsumexp(logs) -> float:
    import numpy as np

    top = float(np.max(logs))
    if top == -math.inf:
        return -math.inf
    return top + math.log(float(np.sum(np.exp(logs - top))))


def identical_k_of_n(n: int, k: int, a: float, q: float):
    """(log A, log U, log Birnbaum of one member) of k-of-n identical members up with ``a``, down with ``q``."""
    import numpy as np

    if q <= 0.0 or a <= 0.0:  # a perfect or a dead member: the block is certain
        down = q > 0.0
        return (-math.inf, 0.0, -math.inf) if down and k >= 1 else (0.0, -math.inf, -math.inf)
    log_q, log_a = math.log(q), math.log(a)
    m = n - k + 1  # members down from which the block is down
    log_ratio_up = log_q - log_a  # log of q / a
    # the pmf is log-concave: within [low, high] the terms fall from the one nearest the mode by over
    # e^-800 within 40 standard deviations (+40 for tiny variances), so each sum keeps only that stretch
    mode = min(n, math.floor((n + 1) * q))
    reach = int(40 * math.sqrt(n * q * a)) + 40

    def log_terms(low: int, high: int):
        centre = min(max(mode, low), high)
        first, last = max(low, centre - reach), min(high, centre + reach)
        j = np.arange(first, last, dtype=float)  # term j+1 from term j
        steps = np.log(n - j) - np.log(j + 1) + log_ratio_up
        return log_pmf(first, n, q, log_q, log_a) + np.concatenate(([0.0], np.cumsum(steps)))

    log_u_terms = log_terms(m, n)
    log_a_terms = log_terms(0, m - 1)
    log_birnbaum = log_pmf(n - k, n - 1, q, log_q, log_a) if n > 1 else 0.0
    return _logsumexp(log_a_terms), _logsumexp(log_u_terms), log_birnbaum
