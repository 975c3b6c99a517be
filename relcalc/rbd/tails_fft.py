"""Large k-of-n blocks in O(n log^2 n): the tilted count distribution as a tree of polynomial products.

Notes
-----
On the tilted scale of :mod:`relcalc.rbd.tails` member ``i`` is counted
with probability ``p_i`` and not with ``q_i`` (``p_i + q_i = 1``), and the
distribution of the count is the product of the polynomials ``q_i + p_i z``.
Multiplied pairwise up a balanced tree, each level by one batch of real FFTs,
it costs O(n log^2 n) where the dynamic programme costs O(n (n - k + 1)):
k = n/2 at n = 100,000 is 5e9 steps for the programme and a fraction of a
second here.

An FFT product is right to about 1e-16 of the largest coefficient, not of
each. That is why the tilt matters: it puts the mean count at the threshold,
so the coefficients that make the tail are among the largest (about
``1/sqrt(n)`` of the whole), and the tail is summed only on its rare side,
where the weights ``e^(-m theta)`` shrink away from the threshold; the other
side is its complement. The relative error of the tail is then of order
``1e-16 sqrt(n) log n`` (1e-12 at n = 100,000).

The Birnbaum importance of member ``i`` needs P(exactly the threshold of the
*others* counted) for every ``i``. Going down the same tree, each node keeps
the distribution of the members outside it only on the window of counts
that can still end at the threshold (as many counts as members below it),
found from its parent's window and its sibling's polynomial: again one batch
of FFTs per level.

References: the product tree is the standard fast multiplication of many
polynomials (von zur Gathen & Gerhard, *Modern Computer Algebra*, 3rd ed.,
2013, ch. 10); for the Poisson-binomial by FFT, Hong, "On computing the
distribution function for the Poisson binomial distribution", Computational
Statistics & Data Analysis 59 (2013).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: n (n - k + 1) above which a k-of-n goes through the product tree (the programme costs about 1 ns a step)
FFT_WORK = 4_000_000


@dataclass(frozen=True)
class TreeProgramme:
    levels: list  #: levels[L]: the products of 2^L consecutive members, shape (N / 2^L, 2^L + 1)
    spectra: list  #: spectra[L]: levels[L]'s rows transformed at length 2^(L+1) (FFT levels only, else None)
    p: np.ndarray
    q: np.ndarray
    log_g: np.ndarray
    log_scale: float
    theta: float
    allowed: int


def _multiply_pairs(polys: np.ndarray):
    """Products of consecutive pairs of rows (each a polynomial of degree d): (rows of degree 2d, the spectra).

    By FFT the product is taken cyclically at length 2d, half the length a
    linear product needs: only the top coefficient (the product of the two
    leading ones, known exactly) wraps onto the constant one, and is taken
    back off. The rows' spectra are kept for the way down.
    """
    left, right = polys[0::2], polys[1::2]
    degree = polys.shape[1] - 1
    if degree < 32:  # small: direct, exact in the sense of one rounding per term
        out = np.zeros((left.shape[0], 2 * degree + 1))
        for j in range(degree + 1):
            out[:, j:j + degree + 1] += left[:, j:j + 1] * right
        return out, None
    spectra = np.fft.rfft(polys, 2 * degree, axis=1)
    out = np.empty((left.shape[0], 2 * degree + 1))
    out[:, : 2 * degree] = np.fft.irfft(spectra[0::2] * spectra[1::2], 2 * degree, axis=1)
    top = left[:, degree] * right[:, degree]
    out[:, 0] -= top
    out[:, 2 * degree] = top
    np.maximum(out, 0.0, out=out)  # rounding below zero: the true coefficient is non-negative
    return out, spectra


def tail_by_products(count, other, log_count, log_other, allowed: int, theta: float):
    """As ``tails._tail`` with ``theta != 0``: (kept, spill, log kept, log spill, programme)."""
    x = log_count - log_other + theta
    p = np.exp(-np.logaddexp(0.0, -x))
    q = np.exp(-np.logaddexp(0.0, x))
    log_g = np.logaddexp(log_other, log_count + theta)
    log_scale = math.fsum(log_g.tolist())
    n = p.size
    size = 1 << max(0, (n - 1).bit_length())
    leaves = np.zeros((size, 2))
    leaves[:, 0] = 1.0  # padding members are never counted: the polynomial 1
    leaves[:n, 0], leaves[:n, 1] = q, p
    levels, spectra = [leaves], []
    while levels[-1].shape[0] > 1:
        product, spectrum = _multiply_pairs(levels[-1])
        levels.append(product)
        spectra.append(spectrum)
    spectra.append(None)
    dist = levels[-1][0, : n + 1]
    m = np.arange(n + 1)
    with np.errstate(divide="ignore"):
        log_terms = np.log(dist) - theta * m
    # sum the rare side only (its weights shrink away from the threshold); the other is its complement
    if theta > 0:
        log_spill = log_scale + _logsumexp(log_terms[allowed + 1:])
        log_kept = math.log1p(-math.exp(min(log_spill, 0.0))) if log_spill < 0 else -math.inf
    else:
        log_kept = log_scale + _logsumexp(log_terms[: allowed + 1])
        log_spill = math.log1p(-math.exp(min(log_kept, 0.0))) if log_kept < 0 else -math.inf
    kept, spill = math.exp(min(log_kept, 0.0)), math.exp(min(log_spill, 0.0))
    return kept, spill, log_kept, log_spill, TreeProgramme(levels, spectra, p, q, log_g, log_scale, theta, allowed)


def _logsumexp(values: np.ndarray) -> float:
    if values.size == 0:
        return -math.inf
    top = float(values.max())
    if top == -math.inf:
        return -math.inf
    return top + math.log(float(np.sum(np.exp(values - top))))


def others_at_threshold(programme: TreeProgramme, members: np.ndarray) -> np.ndarray:
    """For each chosen member, P(exactly ``allowed`` of the others counted), brought back from the tilted scale."""
    levels, allowed = programme.levels, programme.allowed
    top = len(levels) - 1
    size = levels[0].shape[0]
    # the root's window: counts allowed - size + 1 .. allowed of the polynomial 1 (outside the root: nobody)
    window = np.zeros((1, size))
    at_zero = size - 1 - allowed
    if 0 <= at_zero < size:
        window[0, at_zero] = 1.0
    for level in range(top, 0, -1):
        window = _children_windows(window, levels[level - 1], programme.spectra[level - 1])
    others = window[: programme.p.size, 0][members]
    scale = programme.log_scale - programme.log_g[members] - allowed * programme.theta
    with np.errstate(divide="ignore", under="ignore"):
        return np.exp(scale + np.log(np.maximum(others, 0.0)))


def _children_windows(parents: np.ndarray, children: np.ndarray, spectra) -> np.ndarray:
    """Each child's window from its parent's: ``conv(parent window, sibling)[half : 2 half]``.

    A parent's window has 2 half counts and a sibling half + 1 coefficients:
    the linear product has 3 half, and its middle third is untouched when the
    product is taken cyclically at length 2 half (what wraps lands on the
    first third), so the FFTs are as long as on the way up, and the siblings'
    spectra are the ones kept from there.
    """
    half = children.shape[1] - 1
    rows = children.shape[0]
    if spectra is None:
        # small: direct, each parent's window against each of its two children's siblings
        siblings = children.reshape(-1, 2, half + 1)[:, ::-1].reshape(-1, half + 1)
        repeated = np.repeat(parents, 2, axis=0)
        out = np.zeros((rows, half))
        for j in range(half + 1):  # out[t] = sum_j sibling[j] parent[half + t - j]
            out += siblings[:, j:j + 1] * repeated[:, half - j: 2 * half - j]
        return out
    parent_spectra = np.fft.rfft(parents, 2 * half, axis=1)
    products = np.empty_like(spectra)
    products[0::2] = parent_spectra * spectra[1::2]  # the left child's sibling is the right one
    products[1::2] = parent_spectra * spectra[0::2]
    out = np.fft.irfft(products, 2 * half, axis=1)[:, half:]
    np.maximum(out, 0.0, out=out)
    return out
