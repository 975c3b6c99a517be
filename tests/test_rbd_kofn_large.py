"""Large k-of-n blocks through the FFT product tree, against the dynamic programme and 50-digit sums."""

import mpmath
import numpy as np
import pytest

from relcalc.rbd import tails
from relcalc.rbd.tails import k_of_n_with_logs

from test_rbd import binomial_upper_tail


def both_ways(monkeypatch, a, u, k, want_grad=True):
    log_u = np.log(u)
    monkeypatch.setattr(tails, "FFT_WORK", 10**15)  # the programme (Barlow & Heidtmann 1984)
    programme = k_of_n_with_logs(a, u, log_u, k, want_grad)
    monkeypatch.setattr(tails, "FFT_WORK", 0)  # the product tree
    tree = k_of_n_with_logs(a, u, log_u, k, want_grad)
    return programme, tree


@pytest.mark.parametrize("n, k, low, high", [(400, 200, 0.3, 0.6), (400, 200, 1e-3, 0.05), (600, 580, 1e-3, 0.02),
                                             (200, 10, 0.9, 0.99), (2000, 1990, 1e-3, 0.02)])
def test_the_tree_agrees_with_the_programme_to_twelve_digits(monkeypatch, n, k, low, high):
    rng = np.random.default_rng(k)
    u = rng.uniform(low, high, n)
    a = 1.0 - u
    (_, u1, log_u1, g1), (_, u2, log_u2, g2) = both_ways(monkeypatch, a, u, k)
    assert log_u2 == pytest.approx(log_u1, abs=1e-11 * max(1.0, abs(log_u1)))
    if u1 > 1e-300:
        assert u2 == pytest.approx(u1, rel=1e-11)
    kept = g1 > 1e-290
    np.testing.assert_allclose(g2[kept], g1[kept], rtol=1e-10)


def test_identical_members_give_the_binomial_tail_at_fifty_digits(monkeypatch):
    # n = 2,000, k = 1,000, q = 0.3: U = P(Binomial(2000, 0.3) > 1000), summed term by term in mpmath
    n, k, q = 2000, 1000, 0.3
    u = np.full(n, q)
    monkeypatch.setattr(tails, "FFT_WORK", 0)
    _, unavail, log_unavail, _ = k_of_n_with_logs(1.0 - u, u, np.log(u), k, False)
    expected = binomial_upper_tail(n, k, q)
    assert log_unavail == pytest.approx(float(mpmath.log(expected)), abs=1e-10)
    assert unavail == pytest.approx(float(expected), rel=1e-10)


def test_half_of_a_hundred_thousand_is_taken_by_the_tree():
    # k = n/2 at n = 100,000 costs the programme 5e9 steps; the tree is chosen by its cost
    n = 100_000
    assert n * (n // 2 + 1) > tails.FFT_WORK
    u = np.full(n, 0.01)
    _, unavail, log_unavail, _ = k_of_n_with_logs(1.0 - u, u, np.log(u), n // 2, False)
    # P(Binomial(n, 0.01) > n/2), far below the float range, lies between its first term and the
    # geometric series with the first ratio of terms (the ratios fall from there), in mpmath on logarithms
    with mpmath.workdps(40):
        m = n - n // 2 + 1
        first = mpmath.log(mpmath.binomial(n, m)) + m * mpmath.log(0.01) + (n - m) * mpmath.log(0.99)
        ratio = (n - m) * mpmath.mpf(0.01) / ((m + 1) * mpmath.mpf(0.99))
        upper = first - mpmath.log(1 - ratio)
    assert unavail == 0.0
    assert float(first) - 1e-9 <= log_unavail <= float(upper) + 1e-9


@pytest.mark.parametrize("degree", [8, 32, 64, 256])
def test_pair_products_and_windows_agree_with_direct_convolution(degree):
    # the tree's products are taken cyclically at length 2d (the top coefficient taken back off the
    # constant one) and the windows' middle third read from a cyclic product of the same length:
    # both against numpy.convolve's direct sums, on random non-negative polynomials
    from relcalc.rbd.tails_fft import _children_windows, _multiply_pairs

    rng = np.random.default_rng(degree)
    polys = rng.uniform(0.0, 1.0, (8, degree + 1))
    products, spectra = _multiply_pairs(polys)
    for i in range(4):
        expected = np.convolve(polys[2 * i], polys[2 * i + 1])
        np.testing.assert_allclose(products[i], expected, rtol=0, atol=1e-13 * expected.max())
    parents = rng.uniform(0.0, 1.0, (4, 2 * degree))
    windows = _children_windows(parents, polys, spectra)
    for i in range(8):
        sibling = polys[i ^ 1]
        expected = np.convolve(parents[i // 2], sibling)[degree: 2 * degree]
        np.testing.assert_allclose(windows[i], expected, rtol=0, atol=1e-13 * expected.max())


@pytest.mark.parametrize("low, high, allowed", [(1e-6, 0.03, 500), (0.2, 0.9, 10), (1e-4, 1e-3, 990)])
def test_the_tilt_puts_the_mean_count_at_the_threshold(low, high, allowed):
    # Newton's steps on sum p_i(theta) = allowed + 1/2, checked by that sum in mpmath
    rng = np.random.default_rng(allowed)
    u = rng.uniform(low, high, 1000)
    theta = tails._tilt(np.log(u), np.log1p(-u), allowed)
    mean = mpmath.fsum(ui * mpmath.exp(theta) / (1 - ui + ui * mpmath.exp(theta)) for ui in u.tolist())
    assert float(mean) == pytest.approx(allowed + 0.5, abs=1e-5)
