"""Chances within a time from a chain: absorption probabilities and phase-type quantiles.

Both questions are about a chain on a set of states with an exit (absorption)
rate out of each: the chance of having left by time t, from a start
distribution, and the time by which a given share has left. Two methods,
both free of subtractions that could cancel, so a chance of 1e-19 comes out
with as many correct digits as a chance of 0.5:

- dense (up to :data:`DENSE_LIMIT` states): uniformisation over a step
  h = t / 2^s so short that eight Poisson terms are exact, then s squarings
  of the stochastic matrix [[E, a], [0, 1]] (E the survival block, a the
  absorbed column). Products of non-negative matrices lose no digits; what
  squaring would let grow (an error in a row's total mass doubles at each
  squaring) is removed by rescaling each row to total 1, which is exact. The
  work is s + 8 dense products, with s = log2(rate x t) + 12: it grows with
  the logarithm of the stiffness, not with it.
- sparse, larger chains: uniformisation by products with the sparse matrix,
  sum_k Poisson(k; L t) v P^k, with L t bounded by a work budget (a stiff
  chain beyond it gets no value rather than a slow or wrong one).

References
----------
W. K. Grassmann, "Transient solutions in Markovian queueing systems",
Computers & Operations Research 4 (1977) (uniformisation, positive terms).
N. J. Higham, "The scaling and squaring method for the matrix exponential
revisited", SIAM J. Matrix Anal. Appl. 26 (2005) (the squaring phase).
"""

from __future__ import annotations

import math

import numpy as np

#: Largest set of states handled by dense products (about a second at this size).
DENSE_LIMIT = 1_000
#: Sparse uniformisation gives up beyond this many (terms x stored rates).
SPARSE_WORK = 3e8
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
    squarings = max(0, math.ceil(math.log2(top * hours)) + _SHORT)
    survive, absorbed, _ = _series(rates, exit_rate, hours / 2.0**squarings)
    for _ in range(squarings):
        survive, absorbed = _square(survive, absorbed)
    return absorbed


def quantiles(rates: np.ndarray, exit_rate: np.ndarray, start: np.ndarray, mean: float,
              levels: dict[str, float]) -> dict[str, float]:
    """Times by which a share ``level`` of a phase-type time has ended (dense).

    The survival alpha exp(S t) 1 is evaluated on the lattice t = N h, h =
    mean / 2^45, as a product of the powers exp(S h 2^j) chosen by the binary
    digits of N; the digits are fixed from the highest down (the survival
    falls as N grows), and the last cell is interpolated linearly.
    """
    step = mean / 2.0**45
    out = rates.sum(axis=1) + exit_rate
    top = float(out.max())
    finer = max(0, math.ceil(math.log2(top * step)) + _SHORT) if top * step > 0 else 0
    survive, absorbed, _ = _series(rates, exit_rate, step / 2.0**finer)
    for _ in range(finer):
        survive, absorbed = _square(survive, absorbed)
    powers = [survive]
    # a phase-type time exceeds 128 x its mean with chance below 1/128 (Markov)
    while len(powers) < 45 + 8:
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


def uniformised_absorbed(p, exit_share: np.ndarray, top: float, starts: list[np.ndarray],
                         hours: float) -> list[float] | None:
    """P(absorbed by ``hours``) from each start, for a sparse chain uniformised at rate ``top``.

    ``p`` is the sparse uniformised matrix among the states (rows: from),
    ``exit_share`` the exit rate over ``top``. None beyond the work budget.
    """
    from scipy.stats import poisson

    mean = top * hours
    terms = int(mean + 12.0 * math.sqrt(mean) + 60)
    if terms * max(p.nnz, 1) > SPARSE_WORK:
        return None
    beyond = poisson.sf(np.arange(terms), mean)  # P(more than k uniformised steps)
    pt = p.T.tocsr()
    found = []
    for start in starts:
        v = start.astype(float).copy()
        total = 0.0
        for k in range(terms):
            total += beyond[k] * float(v @ exit_share)
            v = pt @ v
        found.append(total)
    return found


def uniformised_quantiles(p, exit_share: np.ndarray, top: float, start: np.ndarray, mean: float,
                          levels: dict[str, float]) -> dict[str, float] | None:
    """Phase-type quantiles by sparse uniformisation; None beyond the work budget."""
    from scipy.stats import poisson

    horizon = 128.0 * mean
    terms = int(top * horizon + 12.0 * math.sqrt(top * horizon) + 60)
    if terms * max(p.nnz, 1) > SPARSE_WORK:
        return None
    pt = p.T.tocsr()
    stay = np.empty(terms)
    v = start.astype(float).copy()
    for k in range(terms):
        stay[k] = v.sum()  # P(not yet absorbed after k uniformised steps)
        v = pt @ v

    def survival(t: float) -> float:
        k = np.arange(terms)
        return float(np.sum(poisson.pmf(k, top * t) * stay))

    result = {}
    for name, level in levels.items():
        tail = 1.0 - level
        low, high = 0.0, mean
        while survival(high) > tail and high < horizon:
            high *= 2.0
        for _ in range(200):
            mid = 0.5 * (low + high)
            low, high = (mid, high) if survival(mid) > tail else (low, mid)
            if high - low <= 1e-13 * high:
                break
        result[name] = float(0.5 * (low + high))
    return result
