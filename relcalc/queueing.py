"""Erlang B, Erlang C and the M/M/c queue, stable for any number of servers.

Everything here takes scalars or numpy arrays (broadcast together) and
returns arrays. Offered load ``a = lambda / mu`` is in Erlangs.

Erlang B for ``a < c`` is the ratio of the Poisson probability of ``c`` to the
Poisson distribution function at ``c``. The denominator is a regularised
incomplete gamma function, at least about one half in that region. The
numerator is Loader's saddle-point form ``exp(-stirlerr(c) - bd0(c, a)) /
sqrt(2 pi c)``, with the exponent ``bd0 = c log(c/a) - (c - a)`` carried in
double-double arithmetic where it is large: ``bd0`` reaches about 745 before the probability
underflows, and a plain double would leave an error of 1e-13 in the exponent
(``c log a - a - log c!`` loses far more: its terms are of size ``c log c``).
So B and C keep 1e-14 relative accuracy at any ``c``. For ``a >= c`` (heavy
overload, where the denominator can underflow) the classic recurrence
``B(j) = a B(j-1) / (j + a B(j-1))`` is used, whose terms stay in [0, 1]; for
very many servers its log-space closed form. Erlang C follows from B as
``c B / (c - a (1 - B))`` and is only defined for a stable queue, ``a < c``.

The response time of an M/M/c FCFS queue is the wait (zero with probability
``1 - C``, else exponential with rate ``c mu - lambda``) plus an exponential
service time, so its survival function has a closed form; percentiles are
found by bisection on it.

References: C. Loader, "Fast and accurate computation of binomial
probabilities", 2000 (the saddle-point form, ``stirlerr`` and ``bd0``);
T. J. Dekker, "A floating-point technique for extending the available
precision", Numer. Math. 18, 1971 (exact sums and products).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

_RECURRENCE_LIMIT = 20_000


def _special():
    from scipy import special

    return special


def erlang_b(servers, load) -> np.ndarray:
    """Blocking probability of an M/M/c/c loss system (Erlang B)."""
    c, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    # one reduction when all is well (this runs per call, and calls can be for one queue)
    if not ((c >= 0) & (c == np.floor(c)) & (a > 0) & np.isfinite(a)).all():
        if ((c < 0) | (c != np.floor(c))).any():
            raise InputError("servers must be whole numbers >= 0")
        raise InputError("offered load must be positive and finite")
    light = a < c
    if c.ndim == 1 and c.size > 1 and light.all():  # the common case in a batch: no masks, no copies
        return _poisson_pmf_above_mean(c, a) / _special().gammaincc(c + 1.0, a)
    out = np.empty(c.shape, dtype=float)
    if light.any():
        sp = _special()
        cl, al = c[light], a[light]
        if cl.size == 1:  # numpy scalars cost a tenth of one-element arrays per operation
            cl, al = cl[0], al[0]
        out[light] = _poisson_pmf_above_mean(cl, al) / sp.gammaincc(cl + 1.0, al)
    heavy = np.flatnonzero(~light)
    if heavy.size:
        flat_c, flat_a, flat_out = c.reshape(-1), a.reshape(-1), out.reshape(-1)
        small = heavy[flat_c[heavy] <= _RECURRENCE_LIMIT]
        if small.size:
            flat_out[small] = _b_recurrence(flat_c[small], flat_a[small])
        for i in heavy[flat_c[heavy] > _RECURRENCE_LIMIT]:
            flat_out[i] = _b_log_sum(int(flat_c[i]), float(flat_a[i]))
    return out


# Dekker's error-free transformations: a + b = s + e and a * b = p + e exactly
_SPLITTER = 134217729.0  # 2**27 + 1
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # hi has 32 bits: k*hi is exact
_BLOCK = 4096  #: elements per pass: 32 kB arrays stay in cache and need no fresh pages from the system
_PLAIN_UP_TO = 32.0  #: exponents whose terms are at most this large are right to 2e-14 in plain doubles
# stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n) for n = 0..15 (n = 0 unused), from mpmath at 40 digits
_STIRLERR_SMALL = np.array([
    0.0, 0.08106146679532725822, 0.041340695955409294094, 0.027677925684998339149,
    0.020790672103765093112, 0.016644691189821192163, 0.013876128823070747999,
    0.011896709945891770095, 0.010411265261972096497, 0.0092554621827127329177,
    0.0083305634333628712565, 0.007573675487951840795, 0.0069428401072095298657,
    0.0064089941880042070684, 0.0059513701127588477356, 0.005554733551962801371])


def _two_sum(a, b):
    s = a + b
    t = s - a
    return s, (a - (s - t)) + (b - t)


def _two_prod(a, b):
    p = a * b
    t = _SPLITTER * a
    a_hi = t - (t - a)
    t = _SPLITTER * b
    b_hi = t - (t - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _stirlerr(n: np.ndarray) -> np.ndarray:
    """log(n!) - log(sqrt(2 pi n) (n/e)^n) for whole n >= 1 (a table to 15, then the Stirling series)."""
    big = np.maximum(n, 16.0)
    inv2 = 1.0 / (big * big)
    series = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - inv2 / 1188) * inv2) * inv2) * inv2) / big
    return np.where(n < 16, _STIRLERR_SMALL[np.minimum(n, 15).astype(np.intp)], series)


def _poisson_pmf_above_mean(k: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """P(X = k) for X ~ Poisson(mean), whole k >= 1 and 0 < mean < k, to about 1e-15 relative.

    Notes
    -----
    ``P(X = k) = exp(-stirlerr(k) - bd0(k, mean)) / sqrt(2 pi k)`` with
    ``bd0(k, m) = k log(k/m) - (k - m)`` (Loader 2000). With ``m' = m 2^j``
    scaled by a power of two into ``[k / sqrt 2, k sqrt 2]`` (exact),
    ``bd0(k, m) = bd0(k, m') + k j log 2 - (m' - m)`` and, with
    ``v = (k - m') / (k + m')`` (``|v| <= 0.172``, ``k - m'`` exact),
    ``bd0(k, m') = (k - m')^2 / (k + m') + 2 k sum_{i >= 1} v^(2i+1) / (2i+1)``.
    Each term is right to a few units in its last place, so the exponent is
    right to about 4e-16 times the size of its terms and of itself: where
    that size passes ``_PLAIN_UP_TO`` (the error could pass 2e-14), the
    leading terms and ``v`` are redone as double-doubles
    (:func:`_exponent_double_double`); the series tail, at most 7% of the
    total, stays in plain doubles. Long arrays go in blocks of ``_BLOCK``.
    """
    if np.ndim(k) and k.size > _BLOCK:
        out = np.empty(k.shape)
        for start in range(0, k.size, _BLOCK):
            block = slice(start, start + _BLOCK)
            out[block] = _poisson_pmf_above_mean(k[block], mean[block])
        return out
    k_frac, k_exp = np.frexp(k)
    m_frac, m_exp = np.frexp(mean)
    ratio = k_frac / m_frac  # in (1/2, 2)
    j = (k_exp - m_exp) + (ratio >= np.sqrt(2.0)) - (ratio < np.sqrt(0.5))
    scaled = np.ldexp(mean, j)
    diff = k - scaled  # exact: scaled is within a factor 2 of k
    v = diff / (k + scaled)
    v2 = v * v
    # sum_{i >= 1} v^(2i-2) / (2i+1) by Horner: 12 terms reach 1e-17 at |v| = 0.172, for every
    # element alike (a queue's figures must not depend on the others evaluated with it)
    series = np.full_like(v2, 1.0 / 25.0)
    for i in range(11, 0, -1):
        series = series * v2 + 1.0 / (2 * i + 1)
    moved = scaled - mean  # k j log 2 - (m' - m) is the part the scaling took out of bd0
    turn = k * j  # a whole number: times the 32-bit _LN2_HI exact while below 2^21
    lead = diff * v
    exponent = (lead + _stirlerr(k)) + 2.0 * k * v * v2 * series + ((turn * _LN2_HI - moved) + turn * _LN2_LO)
    exponent_lo = 0.0
    # the size of the terms, and of the exponent itself: a double holds 500 only to 6e-14
    precise = (exponent + lead + np.abs(moved) + (np.abs(turn) >= 2.0**21) * np.abs(turn)) > _PLAIN_UP_TO
    if precise.any():  # worked out for the whole block (cheaper than picking), used where needed
        hi, lo = _exponent_double_double(k, mean, j, scaled, diff, v, v2, series)
        exponent, exponent_lo = np.where(precise, hi, exponent), np.where(precise, lo, 0.0)
    return np.exp(-exponent) * (1.0 - exponent_lo) / np.sqrt(2.0 * np.pi * k)


def _exponent_double_double(k, mean, j, scaled, diff, v, v2, series):
    """``stirlerr(k) + bd0(k, mean)`` as a double-double (hi, lo), from the plain pass's ``v`` and series."""
    total, total_lo = _two_sum(k, scaled)
    back, back_lo = _two_prod(v, total)
    v_lo = ((diff - back) - back_lo - v * total_lo) / total
    lead, lead_lo = _two_prod(diff, v)
    lead_lo = lead_lo + diff * v_lo
    exponent, exponent_lo = _two_sum(lead, _stirlerr(k))
    # the tail, plus its derivative 2k v^2 / (1 - v^2) times the rounding of v
    exponent_lo = exponent_lo + lead_lo + 2.0 * k * v2 * (v * series + v_lo / (1.0 - v2))
    shift, shift_lo = _two_prod(k, j * _LN2_HI)
    moved, moved_lo = _two_sum(scaled, -mean)
    shift, part_lo = _two_sum(shift, -moved)
    shift_lo = shift_lo + part_lo + k * j * _LN2_LO - moved_lo
    exponent, part_lo = _two_sum(exponent, shift)
    return _two_sum(exponent, exponent_lo + part_lo + shift_lo)


def _b_recurrence(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    b = np.ones_like(a)
    top = int(c.max()) if c.size else 0
    for j in range(1, top + 1):
        step = a * b / (j + a * b)
        b = np.where(j <= c, step, b)
    return b


def _b_log_sum(c: int, a: float) -> float:
    # 1/B = sum over k = 0..c of prod_{j=c-k+1..c} (j / a); summed in log space
    logs = np.concatenate(([0.0], np.cumsum(np.log(np.arange(c, 0, -1) / a))))
    top = logs.max()
    return float(np.exp(-top) / np.exp(logs - top).sum())


def erlang_c(servers, load) -> np.ndarray:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    NaN where the queue is unstable (``load >= servers``).
    """
    c, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    if (c < 1).any():
        raise InputError("an M/M/c queue needs at least one server")
    stable = a < c
    if c.ndim == 1 and c.size > 1 and stable.all():  # every queue stable: no masks, no copies
        b = erlang_b(c, a)
        return c * b / (c - a + a * b)
    out = np.full(c.shape, np.nan)
    if stable.any():
        b = erlang_b(c[stable], a[stable])
        cs, as_ = c[stable], a[stable]
        out[stable] = cs * b / (cs - as_ + as_ * b)
    return out


def _phi(x: np.ndarray) -> np.ndarray:
    """(1 - exp(-x)) / x, with its limit 1 at x = 0."""
    x = np.asarray(x, dtype=float)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, -np.expm1(-safe) / safe)


def response_survival(t, arrival_rate, service_rate, servers, p_wait=None) -> np.ndarray:
    """P(response time > t) in an M/M/c FCFS queue (NaN when unstable)."""
    lam, mu, c, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (arrival_rate, service_rate, servers, t)))
    if p_wait is None:
        p_wait = erlang_c(c, lam / mu)
    theta = c * mu - lam  # rate of the conditional wait
    # given a wait, S + W is a sum of exponentials with rates mu and theta:
    # with m the smaller rate and d the gap, P(S + W > t) =
    # exp(-m t) (1 + m t phi(d t)), which never overflows and needs no
    # special case for theta == mu
    with np.errstate(invalid="ignore"):
        m = np.minimum(theta, mu)
        both = np.exp(-m * t) * (1.0 + m * t * _phi(np.abs(theta - mu) * t))
        tail = (1.0 - p_wait) * np.exp(-mu * t) + p_wait * both
    return np.where(theta > 0, np.minimum(tail, 1.0), np.nan)


def _response_tail_and_density(t, lam, mu, c, p_wait):
    """P(response > t) and its density at t, for M/M/c FCFS (stable queues only)."""
    theta = c * mu - lam
    m = np.minimum(theta, mu)
    gap_t = np.abs(theta - mu) * t
    decay = np.exp(-m * t)
    phi = _phi(gap_t)
    alone = np.exp(-mu * t)
    tail = (1.0 - p_wait) * alone + p_wait * decay * (1.0 + m * t * phi)
    # d/dt of the hypoexponential survival is minus mu theta t e^(-m t) phi(|theta - mu| t)
    density = (1.0 - p_wait) * mu * alone + p_wait * mu * theta * t * decay * phi
    return tail, density


def response_percentile(q, arrival_rate, service_rate, servers, p_wait=None) -> np.ndarray:
    """The ``q`` quantile (0 < q < 1) of the M/M/c response time, NaN when unstable.

    Newton's method on the logarithm of the closed-form survival function
    (nearly straight: exactly so for an exponential), kept inside a bracket
    that every step narrows (a step leaving it is replaced by the
    bracket's midpoint), to a relative 1e-13.
    """
    lam, mu, c, q = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (arrival_rate, service_rate, servers, q)))
    if p_wait is None:
        p_wait = erlang_c(c, lam / mu)
    p_wait = np.broadcast_to(np.asarray(p_wait, float), lam.shape)
    theta = c * mu - lam
    target = 1.0 - q
    stable = theta > 0
    lam_s = np.where(stable, lam, 0.0)
    mu_s = np.where(stable, mu, 1.0)
    c_s = np.where(stable, c, 1.0)
    pw = np.where(stable, p_wait, 0.0)
    # the response time is at least the service time, so its quantile at least the exponential
    # one; and P(S + W > a + b) <= P(S > a) + P(W > b), so the sum of the two exponential
    # quantiles at half the tail each is above it. Newton starts from below, where a queue that
    # is seldom waited in has its answer
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = -np.log(target) / mu_s
        hi = -np.log(0.5 * target) * (1.0 / mu_s + 1.0 / np.where(stable, theta, 1.0))
    # far enough out one exponential dominates: (1 - C) e^(-mu t) + C G(t) tends to A e^(-m t),
    # A = 1 - C + C theta / (theta - mu) when theta > mu, C mu / (mu - theta) when theta < mu;
    # its quantile is a close first guess for p95 and beyond (kept inside the bracket)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = theta - mu_s
        weight = np.where(gap > 0, 1.0 - pw + pw * theta / gap, pw * mu_s / -gap)
        far = np.log(weight / target) / np.minimum(np.where(stable, theta, 1.0), mu_s)
    usable = np.isfinite(far) & (np.abs(gap) > 0.05 * mu_s)
    t = np.where(usable, np.clip(far, lo, hi), lo)
    t, lo, hi, lam_f, mu_f, c_f, pw_f, target_f = (
        np.array(v, dtype=float).reshape(-1) for v in (t, lo, hi, lam_s, mu_s, c_s, pw, target))
    active = np.arange(t.size)
    for _ in range(100):
        if not active.size:
            break
        ta = t[active]
        tail, density = _response_tail_and_density(ta, lam_f[active], mu_f[active], c_f[active], pw_f[active])
        above = tail > target_f[active]
        lo[active] = np.where(above, ta, lo[active])
        hi[active] = np.where(above, hi[active], ta)
        with np.errstate(divide="ignore", invalid="ignore"):
            # on log S: a straight line for an exponential, so one step there and a few for the mixture
            step = np.log(tail / target_f[active]) * tail / density
        new = ta + step
        inside = np.isfinite(new) & (new >= lo[active]) & (new <= hi[active])
        new = np.where(inside, new, 0.5 * (lo[active] + hi[active]))
        t[active] = new
        done = (np.abs(new - ta) <= 1e-14 * new) | (hi[active] - lo[active] <= 1e-13 * hi[active])
        active = active[~done]
    return np.where(stable, t.reshape(lam.shape), np.nan)


@dataclass(frozen=True)
class MMcQueue:
    """Steady-state figures of M/M/c queues, one array element per queue.

    Times are in the unit of ``1 / rate`` (seconds when the rates are per
    second). Waits are NaN where the queue is unstable (``lambda >= c mu``).

    Notes
    -----
    With offered load ``a = lambda / mu`` and ``C`` the Erlang C probability
    of waiting, ``W_q = C / (c mu - lambda)`` and ``W = W_q + 1 / mu``
    (Kleinrock, *Queueing Systems* vol. 1, 1975, section 3.5).
    """

    utilization: np.ndarray  #: a / c, the share of each server's time spent serving
    stable: np.ndarray  #: bool: a < c
    probability_of_wait: np.ndarray  #: Erlang C, NaN where unstable
    mean_wait: np.ndarray  #: W_q, in the unit of 1/rate
    mean_response: np.ndarray  #: W = W_q + 1/mu, in the unit of 1/rate


def mmc(arrival_rate, service_rate, servers) -> MMcQueue:
    """Steady-state figures of an M/M/c queue (see :class:`MMcQueue`)."""
    lam, mu, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (arrival_rate, service_rate, servers)))
    load = lam / mu
    p_wait = erlang_c(c, load)
    stable = load < c
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_wait = np.where(stable, p_wait / (c * mu - lam), np.nan)
    return MMcQueue(
        utilization=load / c,
        stable=stable,
        probability_of_wait=p_wait,
        mean_wait=mean_wait,
        mean_response=mean_wait + 1.0 / mu,
    )
