"""k-of-n blocks: the Poisson-binomial tail at any size, and the log-scale helpers the evaluator shares.

Notes
-----
A k-of-n block of independent members fails when more than ``n - k`` are
down: a Poisson-binomial tail, found by dynamic programming over the number
of members down, truncated at ``n - k + 1`` (Barlow and Heidtmann,
"Computing k-out-of-n system reliability", IEEE Trans. Reliability R-33,
1984), so the cost is O(n (n - k + 1)) and U is a sum of non-negative terms.

Where the tail would underflow (5,001 of 10,000 members down: 1e-11996) the
same programme runs on an exponentially tilted scale: each member's odds of
being counted are multiplied by ``e^theta``, theta putting the mean count at
the threshold, where the tail's terms then live; the scale factors are kept
as logarithms (the saddle-point change of measure; R. W. Butler,
*Saddlepoint Approximations with Applications*, Cambridge 2007, ch. 1). Any
theta gives the same numbers in exact arithmetic; this one keeps them in
the float range. Where most members would be counted the programme counts
the other way (members up), which carries fewer states. Where the programme
would take over 4 million steps (k = n/2 at n = 100,000: 5e9) the tilted
distribution is a product tree of polynomials instead, O(n log^2 n)
(:mod:`relcalc.rbd.tails_fft`), the tilt keeping its tail to 12 digits.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .tails_fft import FFT_WORK, TreeProgramme, others_at_threshold, tail_by_products

TINY = 1e-280  #: below this a float unavailability may have lost digits: its logarithm is carried instead
_LOG_TILT = math.log(1e-250)  #: a k-of-n tail that may be below this is computed on a tilted scale
_LOG_SMALLEST = math.log(5e-324)  #: the smallest positive float


def log_or_inf(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def logsumexp(logs) -> float:
    """log(sum(exp(x))) of a sequence of natural logarithms, without under- or overflow."""
    top = max(logs, default=-math.inf)
    if top == -math.inf:
        return -math.inf
    return top + math.log(math.fsum(math.exp(x - top) for x in logs))


def _log_add(x: float, y: float) -> float:
    """log(e^x + e^y)."""
    if x < y:
        x, y = y, x
    return x if y == -math.inf else x + math.log1p(math.exp(y - x))


def complementary(avail: float, unavail: float) -> tuple[float, float]:
    """(A, U) made consistent: the smaller as computed, the larger as its complement.

    The smaller of the two is a sum or product of non-negative terms and
    carries the digits; its complement is then right to rounding, and
    A + U = 1 within 1e-16 at every block.
    """
    if unavail <= avail:
        return 1.0 - unavail, unavail
    return avail, 1.0 - avail


def k_of_n(a: np.ndarray, u: np.ndarray, k: int, want_grad: bool = False):
    """A k-out-of-n block of independent members: (A, U, dA/da_i).

    Dynamic programming over the number of members down, truncated at
    ``n - k + 1`` ("too many down"), so the cost is O(n (n - k + 1)) and U is a
    sum of non-negative products. The derivative for member i is the
    probability that exactly n - k of the *other* members are down, found by
    removing member i from the distribution (stable for a member's share
    below 1/2, else recomputed directly). Where U would underflow the
    programme runs on an exponentially tilted scale (see :func:`_tail`).
    """
    a, u = np.asarray(a, dtype=float), np.asarray(u, dtype=float)
    with np.errstate(divide="ignore"):
        log_u = np.log(u)
    avail, unavail, _, grad = k_of_n_with_logs(a, u, log_u, k, want_grad)
    return avail, unavail, grad


def k_of_n_with_logs(a, u, log_u, k: int, want_grad: bool):
    """(A, U, log U, dA/da_i) of a k-of-n block whose members' U may be given only by their logarithm."""
    n = len(a)
    allowed = n - k
    # a lower bound on U: C(n, m) ways for m = allowed + 1 members to be down and the rest up, each
    # at least as likely as with the smallest u and a; where it is representable, so is every term
    m = allowed + 1
    ways = math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m + 1)
    floor = ways + m * float(log_u.min()) + ((n - m) * log_or_inf(float(a.min())) if n > m else 0.0)
    theta = 0.0
    large = n * (min(allowed, k - 1) + 1) > FFT_WORK
    if floor < _LOG_TILT or large:
        with np.errstate(divide="ignore"):
            log_a = np.log(a)
        theta = _tilt(log_u, log_a, allowed)
    if theta and large:
        # the product tree (relcalc.rbd.tails_fft): O(n log^2 n) where the programme is O(n (n - k + 1))
        kept, spill, log_kept, log_spill, programme = tail_by_products(u, a, log_u, log_a, allowed, theta)
        avail, unavail, log_unavail = kept, spill, log_spill
    elif theta and 2 * allowed > n - 1:
        # count the members up instead: fewer states, and the tilted shares stay below 1/2
        kept, spill, log_kept, log_spill, programme = _tail(a, u, log_a, log_u, k - 1, -theta)
        avail, unavail, log_unavail = spill, kept, log_kept
    else:
        kept, spill, log_kept, log_spill, programme = _tail(u, a, log_u, log_a if theta else None, allowed, theta)
        avail, unavail, log_unavail = kept, spill, log_spill
    avail, unavail = complementary(avail, unavail)
    if unavail >= TINY:
        log_unavail = math.log(unavail)
    grad = None
    if want_grad:
        # dA/da_i <= U / u_i (U >= u_i P(exactly the threshold of the others down)): where that
        # bound is below the float range the derivative is 0.0 and is not worked out
        members = np.ones(n, dtype=bool) if not theta else log_unavail - log_u >= _LOG_SMALLEST
        grad = np.zeros(n)
        if not members.any():
            pass  # every derivative is below the float range (50,000 of 100,000 down: U near e^-330,000)
        elif isinstance(programme, TreeProgramme):
            grad[members] = others_at_threshold(programme, members)
        else:
            grad[members] = _others_at_threshold(programme, members)
    return avail, unavail, log_unavail, grad


def _tilt(log_count, log_other, allowed: int) -> float:
    """The tilt theta that puts the mean count at ``allowed + 1/2``: 0 where the tail is certain or impossible.

    theta solves ``sum p_i(theta) = allowed + 1/2`` with the tilted shares
    ``p_i(theta) = c_i e^theta / (o_i + c_i e^theta)``. The mean is increasing
    and its derivative is the variance ``sum p_i (1 - p_i)``, so Newton's
    steps converge in a handful of passes over the members; each is kept
    inside the bracket known so far and replaced by bisection where it would
    leave it. Any theta is exact; this one keeps the tail's terms in range,
    so a mean within 1e-6 of the target is plenty.
    """
    odds = log_count - log_other
    certain = int(np.sum(odds == np.inf))  # members that are always counted
    finite = odds[np.isfinite(odds)]
    target = allowed + 0.5 - certain
    if target <= 0 or target >= finite.size:
        return 0.0  # the tail is certain or impossible: nothing to lose
    centre = math.log(target / (finite.size - target))
    lo, hi = centre - float(finite.max()), centre - float(finite.min())
    theta = centre - float(np.median(finite))
    for _ in range(200):
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-(finite + theta)))
        excess = float(np.sum(p)) - target
        if excess < 0:
            lo = theta
        else:
            hi = theta
        if abs(excess) <= 1e-6 or hi - lo <= 1e-12 * max(1.0, abs(theta)):
            break
        variance = float(np.sum(p * (1.0 - p)))  # not np.dot: a threaded BLAS call costs more than it saves here
        step = theta - excess / variance if variance > 0 else math.nan
        theta = step if lo < step < hi else 0.5 * (lo + hi)
    return theta


@dataclass(frozen=True)
class _Programme:
    """What :func:`_tail` leaves for the derivatives: the final distribution and the tilted shares."""

    dist: np.ndarray
    p: np.ndarray
    q: np.ndarray
    log_g: np.ndarray | float
    log_scale: float
    theta: float


def _tail(count, other, log_count, log_other, allowed: int, theta: float):
    """P(at most ``allowed`` members counted) and P(more), linear and as logarithms, and the programme.

    Notes
    -----
    Member i is counted with probability ``count_i``. The programme carries
    ``D_j[m] = P(m of the first j counted) e^(m theta - L_j)``, with
    ``L_j = sum_{i <= j} log g_i`` and ``g_i = other_i + count_i e^theta``:
    a distribution under the tilted shares ``p_i = count_i e^theta / g_i``, so
    every entry stays in [0, 1] and the entries near ``allowed``, which make
    the tail, keep their digits however small the tail is (for theta = 0 it is
    the plain programme). Mass crossing ``allowed`` collects in
    ``R = sum_j p_j D_(j-1)[allowed] e^(L_j - L_n)`` (as its logarithm: for
    theta < 0 the factors 1/g_j can overflow) and the tail is
    ``exp(L_n - (allowed + 1) theta) R``.
    """
    tilted = theta != 0.0
    if not tilted:
        p, q, log_g, log_scale = count, other, 0.0, 0.0
        steps = zip(p.tolist(), q.tolist(), itertools.repeat(0.0))
    else:
        x = log_count - log_other + theta
        p, q = np.exp(-np.logaddexp(0.0, -x)), np.exp(-np.logaddexp(0.0, x))
        log_g = np.logaddexp(log_other, log_count + theta)
        log_scale = math.fsum(log_g)
        steps = zip(p.tolist(), q.tolist(), log_g.tolist())
    dist = np.zeros(allowed + 1)
    dist[0] = 1.0
    spill = -math.inf if tilted else 0.0  # R, or log R on the tilted scale
    below, above = dist[:-1], dist[1:]  # views, updated in place
    for pi, qi, lgi in steps:
        crossing = float(dist[allowed]) * pi
        if tilted:
            spill = _log_add(spill - lgi, log_or_inf(crossing))
        else:
            spill += crossing
        moved = below * pi
        above *= qi
        above += moved
        dist[0] *= qi
    if not tilted:
        kept, spill = float(dist.sum()), float(spill)
        log_kept, log_spill = log_or_inf(kept), log_or_inf(spill)
    else:
        with np.errstate(divide="ignore"):
            log_dist = np.log(dist) - theta * np.arange(allowed + 1)
        log_kept = log_scale + logsumexp(log_dist.tolist())
        log_spill = log_scale - (allowed + 1) * theta + spill
        kept, spill = math.exp(min(log_kept, 0.0)), math.exp(min(log_spill, 0.0))
    return kept, spill, log_kept, log_spill, _Programme(dist, p, q, log_g, log_scale, theta)


def _others_at_threshold(programme: _Programme, members: np.ndarray) -> np.ndarray:
    """For each chosen member, the probability that exactly ``allowed`` of the *others* are counted.

    Member i is removed from the final distribution: from below where its
    tilted share ``p_i <= 1/2`` (errors shrink), else by a programme without
    it. On a tilted scale the result is brought back by ``e^(L - log g_i - allowed theta)``.
    """
    dist, p, q = programme.dist, programme.p[members], programme.q[members]
    allowed = dist.size - 1
    others = np.empty(p.size)
    stable = p <= 0.5
    if stable.any():
        pi, qi = p[stable], q[stable]
        g = dist[0] / qi
        for m in range(1, allowed + 1):
            g = (dist[m] - pi * g) / qi
        others[stable] = g
    for i, index in zip(np.flatnonzero(~stable), np.flatnonzero(members)[~stable]):
        sub = np.zeros(allowed + 1)
        sub[0] = 1.0
        for j in range(programme.p.size):
            if j != index:
                sub[1:] = sub[1:] * programme.q[j] + sub[:-1] * programme.p[j]
                sub[0] *= programme.q[j]
        others[i] = sub[allowed]
    if programme.theta == 0.0:
        return others
    scale = programme.log_scale - programme.log_g[members] - allowed * programme.theta
    with np.errstate(divide="ignore", under="ignore"):
        return np.exp(scale + np.log(np.maximum(others, 0.0)))


