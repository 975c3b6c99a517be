"""Chances within a time from a chain: absorption probabilities and phase-type quantiles.

Both questions are about a chain on a set of states with an exit (absorption)
rate out of each: the chance of having left by time t, from a start
distribution, and the time by which a given share has left. Two methods,
both free of subtractions that could cancel, so a chance of 1e-19 comes out
with as many correct digits as a chance of 0.5:

- dense: uniformisation over a step
  h = t / 2^s so short that eight Poisson terms are exact, then s squarings
  of the stochastic matrix [[E, a], [0, 1]] (E the survival block, a the
  absorbed column). Products of non-negative matrices lose no digits; what
  squaring would let grow (an error in a row's total mass doubles at each
  squaring) is removed by rescaling each row to total 1, which is exact. The
  work is s + 8 dense products, with s = log2(rate x t) + 12: it grows with
  the logarithm of the stiffness, not with it.
- sparse: uniformisation by products with the sparse matrix,
  sum_k Poisson(k; L t) v P^k: about L t products, cheap unless the chain
  is stiff (L the largest exit rate).

:func:`absorbed_by` and :func:`phase_type_quantiles` take whichever costs
less, within a work budget of a few seconds: beyond it (a large chain that
is also stiff) they give None rather than a slow or wrong figure. Within
:func:`time_limit` (``--max-time``) they also give None once the time is up.

References
----------
W. K. Grassmann, "Transient solutions in Markovian queueing systems",
Computers & Operations Research 4 (1977) (uniformisation, positive terms).
N. J. Higham, "The scaling and squaring method for the matrix exponential
revisited", SIAM J. Matrix Anal. Appl. 26 (2005) (the squaring phase).
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

import numpy as np

#: The wall-clock moment (perf_counter) after which the figures here give up (None), set by
#: :func:`time_limit` around a computation that --max-time bounds.
_DEADLINE: ContextVar[float | None] = ContextVar("relcalc_transient_deadline", default=None)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Within the block, :func:`absorbed_by` and :func:`phase_type_quantiles` give None once ``seconds`` have passed."""
    token = _DEADLINE.set(None if seconds is None else time.perf_counter() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class _OutOfTime(Exception):
    pass


def _check_time() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.perf_counter() > deadline:
        raise _OutOfTime


def _in_time(function):
    """``function``'s figure, or None when the time limit runs out during it."""
    import functools

    @functools.wraps(function)
    def bounded(*args, **kwargs):
        try:
            _check_time()
            return function(*args, **kwargs)
        except _OutOfTime:
            return None

    return bounded


#: The work budget, in sparse products' stored entries (a dense multiply-add counts 1/30: BLAS).
WORK = 2e9
_PYTHON_STEP = 5_000  # one sparse product's overhead, in stored entries
_TERMS = 9  # Poisson terms of the short step: with rate x step <= 2^-12 the rest is below 1e-33
_SHORT = 12


def _series(rates: np.ndarray, exit_rate: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray, float]:
    """(E, a) of a step with uniformisation rate x step <= 2^-12, by the Poisson series of P."""
    n = exit_rate.size
    out = rates.sum(axis=1) + exit_rate
    top = float(out.max()) if n else 0.0
    if top == 0.0:
        return np.eye(n), np.zeros(n), 0.0
    p = rates / top
    p[np.diag_indices(n)] = np.maximum(1.0 - out / top, 0.0)  # staying put; the row rescaling absorbs its rounding
    x = exit_rate / top
    lam = top * step
    # w_k = Poisson(k; lam), v_k = P(Poisson(lam) > k), each a sum of positive terms
    w = [math.exp(-lam)]
    for k in range(1, _TERMS + 1):
        w.append(w[-1] * lam / k)
    v = [sum(w[k + 1:]) + w[-1] * lam / (_TERMS + 1) for k in range(_TERMS)]
    power = np.eye(n)
    survive = w[0] * power
    absorbed = np.zeros(n)
    px = x.copy()
    for k in range(_TERMS):
        absorbed += v[k] * px
        px = p @ px
        power = power @ p
        survive += w[k + 1] * power
    return survive, absorbed, top


def _square(survive: np.ndarray, absorbed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    absorbed = survive @ absorbed + absorbed
    survive = survive @ survive
    total = survive.sum(axis=1) + absorbed
    total[total == 0] = 1.0
    return survive / total[:, None], absorbed / total


def absorbed_within(rates: np.ndarray, exit_rate: np.ndarray, hours: float) -> np.ndarray:
    """P(absorbed by ``hours`` | start in i) for each state i (dense rates between states, exit rates).

    Each entry carries its own relative accuracy, however small it is.
    """
    n = exit_rate.size
    out = rates.sum(axis=1) + exit_rate
    top = float(out.max()) if n else 0.0
    if top == 0.0 or hours <= 0:
        return np.zeros(n)
    if not math.isfinite(top * hours):
        from ..errors import InputError

        raise InputError("the chain's rates times the time span exceed floating point (an MTTR or MTBF near "
                         "1e-300 or 1e300 hours?); check the units")
    squarings = max(0, math.ceil(math.log2(top * hours)) + _SHORT)
    survive, absorbed, _ = _series(rates, exit_rate, math.ldexp(hours, -squarings))  # 2.0**1024 would overflow
    for _ in range(squarings):
        _check_time()
        survive, absorbed = _square(survive, absorbed)
    return absorbed


def quantiles(rates: np.ndarray, exit_rate: np.ndarray, start: np.ndarray, mean: float,
              levels: dict[str, float]) -> dict[str, float]:
    """Times by which a share ``level`` of a phase-type time has ended (dense).

    The survival alpha exp(S t) 1 is evaluated on the lattice t = N h, h =
    mean / 2^45 (:data:`_LATTICE`), as a product of the powers exp(S h 2^j) chosen by the binary
    digits of N; the digits are fixed from the highest down (the survival
    falls as N grows), and the last cell is interpolated linearly.
    """
    step = mean / 2.0**_LATTICE
    out = rates.sum(axis=1) + exit_rate
    top = float(out.max())
    finer = max(0, math.ceil(math.log2(top * step)) + _SHORT) if top * step > 0 else 0
    survive, absorbed, _ = _series(rates, exit_rate, step / 2.0**finer)
    for _ in range(finer):
        _check_time()
        survive, absorbed = _square(survive, absorbed)
    powers = [survive]
    # up to 256 x the mean: beyond _HORIZON, so every quantile below 1 - 1/128 is inside
    while len(powers) < _LATTICE + 8:
        _check_time()
        survive, absorbed = _square(survive, absorbed)
        powers.append(survive)
    result = {}
    for name, level in levels.items():
        tail = 1.0 - level
        v = start.copy()
        lattice = 0
        for j in range(len(powers) - 1, -1, -1):
            trial = v @ powers[j]
            if trial.sum() > tail:
                v, lattice = trial, lattice + 2**j
        low, high = v.sum(), (v @ powers[0]).sum()
        share = (low - tail) / (low - high) if low > high else 0.0
        result[name] = float((lattice + min(max(share, 0.0), 1.0)) * step)
    return result


@_in_time
def absorbed_by(rates, exit_rate: np.ndarray, starts: list[np.ndarray], hours: float) -> list[float] | None:
    """P(absorbed by ``hours``) from each start distribution; ``rates`` sparse (rows: from)."""
    n = exit_rate.size
    p, share, top = _uniformised(rates, exit_rate)
    if top == 0.0:
        return [0.0 for _ in starts]
    if not top * hours < _STIFFEST:
        return None  # beyond any budget (and 2^squarings would overflow)
    terms = _terms(top * hours)
    sparse = terms * (p.nnz + n + _PYTHON_STEP) * len(starts)
    dense = (_TERMS + math.ceil(math.log2(top * hours)) + _SHORT) * n**3 / 30.0
    if min(sparse, dense) > WORK:
        return None
    if dense < sparse:
        absorbed = absorbed_within(rates.toarray(), exit_rate, hours)
        return [float(start @ absorbed) for start in starts]
    return [_uniformised_absorbed(p, share, top, start, hours) for start in starts]


@_in_time
def phase_type_quantiles(rates, exit_rate: np.ndarray, start: np.ndarray, mean: float,
                         levels: dict[str, float]) -> dict[str, float] | None:
    """Quantiles of the time to absorption from ``start`` (``mean`` its mean); ``rates`` sparse."""
    n = exit_rate.size
    p, share, top = _uniformised(rates, exit_rate)
    if not 0.0 < top * mean < _STIFFEST:
        return None  # beyond any budget (and 2^squarings would overflow), or a mean that underflowed
    terms = _terms(top * _HORIZON * mean)
    # the products, then each level's bisection: about 55 survival sums over all the terms,
    # each Poisson weight costing some 20 stored entries' worth
    sparse = terms * (p.nnz + n + _PYTHON_STEP + _BISECTION * len(levels))
    dense = (_TERMS + max(0.0, math.log2(top * mean) - _LATTICE + _SHORT) + _LATTICE + 8) * n**3 / 30.0
    if min(sparse, dense) > WORK:
        return None
    if dense < sparse:
        return quantiles(rates.toarray(), exit_rate, start, mean, levels)
    return _uniformised_quantiles(p, top, start, mean, levels, terms)


_STIFFEST = 1e250  # rate x time beyond which no method here fits a budget (or a float's exponent)
_BISECTION = 1100  # a quantile's bisection, per Poisson term, in stored entries
_HORIZON = 128.0  # a phase-type time exceeds 128 x its mean with chance below 1/128 (Markov)
_LATTICE = 45


def _terms(mean: float) -> int:
    """Poisson terms beyond which less than 1e-20 of the mass lies."""
    return int(mean + 12.0 * math.sqrt(mean) + 60)


def _uniformised(rates, exit_rate: np.ndarray):
    """(P, exit / L, L): the sparse chain uniformised at its largest exit rate L."""
    from scipy.sparse import diags

    out = np.asarray(rates.sum(axis=1)).ravel() + exit_rate
    top = float(out.max()) if out.size else 0.0
    if top == 0.0:
        return rates.tocsr(), exit_rate, 0.0
    return (rates / top + diags(np.maximum(1.0 - out / top, 0.0))).tocsr(), exit_rate / top, top


def _uniformised_absorbed(p, exit_share: np.ndarray, top: float, start: np.ndarray, hours: float) -> float:
    """sum_k P(more than k steps by ``hours``) (start P^k exit): each term positive."""
    from scipy.stats import poisson

    terms = _terms(top * hours)
    beyond = poisson.sf(np.arange(terms), top * hours)
    pt = p.T.tocsr()
    v = start.astype(float).copy()
    total = 0.0
    for k in range(terms):
        if k % 256 == 0:
            _check_time()
        total += beyond[k] * float(v @ exit_share)
        v = pt @ v
    return total


def _uniformised_quantiles(p, top: float, start: np.ndarray, mean: float, levels: dict[str, float],
                           terms: int) -> dict[str, float]:
    from scipy.stats import poisson

    pt = p.T.tocsr()
    stay = np.empty(terms)
    v = start.astype(float).copy()
    for k in range(terms):
        if k % 256 == 0:
            _check_time()
        stay[k] = v.sum()  # P(not yet absorbed after k uniformised steps)
        v = pt @ v
    k = np.arange(terms)

    def survival(t: float) -> float:
        _check_time()
        return float(np.sum(poisson.pmf(k, top * t) * stay))

    result = {}
    for name, level in levels.items():
        tail = 1.0 - level
        low, high = 0.0, mean
        while survival(high) > tail and high < _HORIZON * mean:
            low, high = high, 2.0 * high
        for _ in range(200):
            mid = 0.5 * (low + high)
            low, high = (mid, high) if survival(mid) > tail else (low, mid)
            if high - low <= 1e-13 * high:
                break
        result[name] = float(0.5 * (low + high))
    return result
