"""Solves with the M-matrix of a Markov chain that never subtract: GTH elimination, sparse.

The exact figures of a chain (the steady state, mean first passages) are
solutions of ``A x = b`` or ``x^T A = c^T`` with ``A = -Q_TT``: the
generator restricted to a set T of states, negated. Off the diagonal ``A``
holds minus the rates between states of T; on it, the state's whole exit
rate, so each row of ``A`` sums to the rate at which that state leaves T
(its ``exit``). When leaving T is rare (a quorum loss once in 1e22 hours
against repairs every hour), ``A`` is within rounding of singular, and
Gaussian elimination in double precision loses every digit: each pivot is a
difference ``a_kk - sum l_kj u_jk`` of nearly equal numbers.

Grassmann, Taksar and Heyman's observation is that the pivot need never be
computed that way. Eliminating state k from the chain leaves a chain on the
remaining states (its rates: the old ones plus the detours through k), and
a pivot is that chain's exit rate of the state, which is a sum of positive
rates: the rates to the states not yet eliminated plus the rate of leaving T.
With the pivots so computed every step adds and multiplies positive numbers,
so each entry of the factors and of the solution has a small relative error,
whatever the condition number of ``A`` (O(n) roundings; O'Cinneide 1993).

The elimination here is left-looking (row by row, a dense accumulator and a
heap of the pivots still to apply), sparse, and works in the order given:
callers put the states deepest from all up first, so the fill stays within
the levels of the chain.

Notes
-----
Eliminating state k, with ``r_ij`` the rate from i to j and ``e_i`` the exit:
``r_ij += r_ik r_kj / d_k`` and ``e_i += r_ik e_k / d_k`` for the remaining
i, j (a detour back to i itself is dropped), ``d_k = sum_j r_kj + e_k``.

References
----------
W. K. Grassmann, M. I. Taksar, D. P. Heyman, "Regenerative analysis and
steady state distributions for Markov chains", Operations Research 33 (1985).
C. A. O'Cinneide, "Entrywise perturbation theory and error analysis for
Markov chains", Numerische Mathematik 65 (1993).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class Factors:
    """``A = L U`` from :func:`factor`, all entries positive (the signs are implied).

    Row i of U holds the rates r_ij (j > i) after eliminating the states before
    i, ``pivot[i]`` the exit rate d_i of that reduced chain; row i of L holds
    r_ik (k < i) at the time k was eliminated.
    """

    pivot: np.ndarray
    upper: tuple[np.ndarray, np.ndarray, np.ndarray]
    lower: tuple[np.ndarray, np.ndarray, np.ndarray]

    def solve(self, b: np.ndarray) -> np.ndarray:
        """x with ``A x = b`` for ``b >= 0``."""
        try:
            return _solve_right(self.pivot, *self.upper, *self.lower, np.asarray(b, dtype=float))
        except ZeroDivisionError:
            raise _underflow() from None

    def solve_transposed(self, c: np.ndarray) -> np.ndarray:
        """h with ``h^T A = c^T`` for ``c >= 0``."""
        try:
            return _solve_left(self.pivot, *self.upper, *self.lower, np.asarray(c, dtype=float))
        except ZeroDivisionError:
            raise _underflow() from None


def _underflow():
    # a pivot (an exit rate of the reduced chain, positive in exact arithmetic) that underflowed to 0:
    # the model's rates are more than ~1e300 apart
    from ..errors import InputError

    return InputError("the chain's rates are more than 1e300 apart (an MTTR or MTBF of 1e300 hours?), beyond what "
                      "floating point can solve; check the units")


def factor(pointer: np.ndarray, column: np.ndarray, rate: np.ndarray, exit_rate: np.ndarray,
           fill_limit: int = 2**62) -> Factors | None:
    """Factor ``A`` given as rates between the states (CSR, in elimination order) and exit rates.

    Self-loops in the rates are ignored; duplicate entries add. A state whose
    pivot is 0 cannot leave: the solutions through it are infinite. None when
    the factors would hold over ``fill_limit`` entries (the work grows faster).
    """
    done, pivot, upper, lower = _factor(pointer.astype(np.int64), column.astype(np.int64), rate.astype(float),
                                        exit_rate.astype(float), fill_limit)
    return Factors(pivot, upper, lower) if done else None


@njit(cache=True)
def _push(heap, size, item):
    heap[size] = item
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= heap[i]:
            break
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _pop(heap, size):
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            child = left + 1
        if heap[i] <= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child
    return top, size


@njit(cache=True)
def _grow(index, value, needed):
    if needed <= index.size:
        return index, value
    size = max(needed, 2 * index.size)
    new_index = np.empty(size, np.int64)
    new_value = np.empty(size)
    new_index[: index.size] = index
    new_value[: value.size] = value
    return new_index, new_value


@njit(cache=True)
def _scatter(i, index, value, begin, end, share, mark, acc, touched, count, heap, size):
    """Add share x (index, value)[begin:end] to row i's accumulator; returns (entries, pivots to apply)."""
    for p in range(begin, end):
        j = index[p]
        if j == i:
            continue  # a detour back to i is no exit from i
        if mark[j] != i:
            mark[j] = i
            acc[j] = 0.0
            touched[count] = j
            count += 1
            if j < i:
                size = _push(heap, size, j)
        acc[j] += share * value[p]
    return count, size


@njit(cache=True)
def _factor(pointer, column, rate, exit_rate, fill_limit):
    n = exit_rate.size
    pivot = np.zeros(n)
    reduced_exit = np.zeros(n)
    acc = np.zeros(n)
    mark = np.full(n, -1, np.int64)
    touched = np.empty(n, np.int64)
    heap = np.empty(n, np.int64)
    capacity = max(16, 2 * column.size)
    u_ptr = np.zeros(n + 1, np.int64)
    u_idx = np.empty(capacity, np.int64)
    u_val = np.empty(capacity)
    l_ptr = np.zeros(n + 1, np.int64)
    l_idx = np.empty(capacity, np.int64)
    l_val = np.empty(capacity)
    nu = 0
    nl = 0
    for i in range(n):
        count, size = _scatter(i, column, rate, pointer[i], pointer[i + 1], 1.0, mark, acc, touched, 0, heap, 0)
        leave = exit_rate[i]
        while size > 0:
            k, size = _pop(heap, size)
            r_ik = acc[k]
            l_idx, l_val = _grow(l_idx, l_val, nl + 1)
            l_idx[nl] = k
            l_val[nl] = r_ik
            nl += 1
            share = r_ik / pivot[k]
            leave += share * reduced_exit[k]
            count, size = _scatter(i, u_idx, u_val, u_ptr[k], u_ptr[k + 1], share, mark, acc, touched, count,
                                   heap, size)
        l_ptr[i + 1] = nl
        total = leave
        u_idx, u_val = _grow(u_idx, u_val, nu + count)
        for t in range(count):
            j = touched[t]
            if j > i:
                u_idx[nu] = j
                u_val[nu] = acc[j]
                nu += 1
                total += acc[j]
        u_ptr[i + 1] = nu
        reduced_exit[i] = leave
        pivot[i] = total
        if nu + nl > fill_limit:
            return False, pivot, (u_ptr, u_idx[:0].copy(), u_val[:0].copy()), (l_ptr, l_idx[:0].copy(), l_val[:0].copy())
    return True, pivot, (u_ptr, u_idx[:nu].copy(), u_val[:nu].copy()), (l_ptr, l_idx[:nl].copy(), l_val[:nl].copy())


@njit(cache=True)
def _solve_right(pivot, u_ptr, u_idx, u_val, l_ptr, l_idx, l_val, b):
    n = pivot.size
    y = b.copy()
    for i in range(n):
        s = y[i]
        for p in range(l_ptr[i], l_ptr[i + 1]):
            k = l_idx[p]
            s += l_val[p] * (y[k] / pivot[k])
        y[i] = s
    x = np.empty(n)
    for i in range(n - 1, -1, -1):
        s = y[i]
        for p in range(u_ptr[i], u_ptr[i + 1]):
            s += u_val[p] * x[u_idx[p]]
        x[i] = s / pivot[i]
    return x


@njit(cache=True)
def _solve_left(pivot, u_ptr, u_idx, u_val, l_ptr, l_idx, l_val, c):
    n = pivot.size
    z = c.copy()
    for k in range(n):
        z[k] = z[k] / pivot[k]
        for p in range(u_ptr[k], u_ptr[k + 1]):
            z[u_idx[p]] += z[k] * u_val[p]
    h = z
    for j in range(n - 1, -1, -1):
        for p in range(l_ptr[j], l_ptr[j + 1]):
            k = l_idx[p]
            h[k] += h[j] * (l_val[p] / pivot[k])
    return h
