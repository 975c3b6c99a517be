"""The Universal Scalability Law: its curve, its peak, and fitting it to measured throughput.

Gunther's USL models the throughput of N nodes as

    X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))

where lambda is one node's throughput, sigma the contention (the share of
work that serialises) and kappa the coherency cost (pairwise crosstalk).
With kappa > 0 throughput peaks at N* = sqrt((1 - sigma) / kappa) and falls
beyond it. With kappa = 0 it is Amdahl's law: no peak, throughput rises
towards the ceiling lambda / sigma and never reaches it; with sigma = 0 too,
scaling is linear. The parameters are fitted by bounded non-linear least
squares (scipy), with lambda >= 0, 0 <= sigma <= 1 and kappa >= 0.

A least-squares fit of data without coherency cost still returns some tiny
kappa (1e-19, say), whose "peak" at N = 1e9 says nothing about the data. So
the fit keeps a parameter only when it earns its place: kappa when the USL
fits significantly better than Amdahl's law, sigma when Amdahl's law fits
significantly better than linear scaling (the extra-sum-of-squares F test
of nested models at 5%; a gain below 1e-9 of the throughput, relative RMS,
is rounding, never significant; with exactly as many distinct points as
parameters there is nothing to test and the richer law is kept).

References: N. J. Gunther, *Guerrilla Capacity Planning*, Springer 2007,
chapters 4 and 5; H. Motulsky and A. Christopoulos, *Fitting Models to
Biological Data Using Linear and Nonlinear Regression*, Oxford 2004,
chapter 22 (comparing nested models with the F test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


def slowdown(nodes, sigma, kappa):
    """The USL's denominator ``1 + sigma (N - 1) + kappa N (N - 1)``: 1 for linear scaling.

    A node of an N-node cluster delivers its throughput divided by this, and
    its service time grows by it.
    """
    n = np.asarray(nodes, dtype=float)
    return 1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)


def usl_throughput(nodes, lam, sigma, kappa) -> np.ndarray:
    """X(N) = lambda N / slowdown(N): the throughput of N nodes (req/s when lambda is)."""
    n = np.asarray(nodes, dtype=float)
    return lam * n / slowdown(n, sigma, kappa)


def usl_peak(sigma, kappa):
    """The real N at which USL throughput peaks, sqrt((1 - sigma) / kappa) (inf without coherency cost)."""
    sigma, kappa = np.asarray(sigma, float), np.asarray(kappa, float)
    with np.errstate(divide="ignore"):
        return np.where(kappa > 0, np.sqrt((1.0 - sigma) / np.where(kappa > 0, kappa, 1.0)), np.inf)


def best_whole_nodes(sigma, kappa, most=np.inf) -> np.ndarray:
    """The whole N in [1, most] with the highest USL throughput: the better neighbour of the peak.

    ``most`` where the curve has no peak (kappa = 0) or peaks beyond it.
    """
    peak = usl_peak(sigma, kappa)
    lo_side = np.clip(np.floor(peak), 1.0, most)
    hi_side = np.clip(np.ceil(peak), 1.0, most)
    better = np.where(
        hi_side / slowdown(hi_side, sigma, kappa) > lo_side / slowdown(lo_side, sigma, kappa), hi_side, lo_side
    )
    return np.where(np.isfinite(peak), better, most)


#: the laws a fit can settle on, simplest first, with their free parameters
LAWS = {"linear": ("lambda",), "amdahl": ("lambda", "sigma"), "usl": ("lambda", "sigma", "kappa")}
_SIGNIFICANCE = 0.05
_ROUNDING = 1e-9  # relative RMS gain in fit below which a parameter is rounding, not data


@dataclass(frozen=True)
class UslFit:
    """A least-squares USL fit of measured throughput.

    Field order is the order of the ``capacity fit`` JSON and CSV. Figures
    that do not exist are infinite in the object and null in JSON: the peak
    under Amdahl's law or linear scaling, the ceiling under linear scaling.
    """

    law: str  #: "usl" (a peak), "amdahl" (kappa = 0: a ceiling, no peak) or "linear" (sigma = kappa = 0)
    sigma: float  #: contention, the share of work that serialises (0 to 1)
    kappa: float  #: coherency cost, pairwise crosstalk (>= 0)
    r_squared: float  #: coefficient of determination of the fit (NaN when the data do not vary)
    points: int  #: measurements fitted
    peak_nodes: float  #: N* = sqrt((1 - sigma) / kappa), a real number; inf without coherency cost
    node_throughput_per_second: float  #: lambda, the throughput of one node
    rmse_per_second: float  #: root mean square residual
    throughput_ceiling_per_second: float  #: the most any N gives: X(N*) with a peak, lambda / sigma by Amdahl; inf if linear
    best_whole_nodes: float  #: the whole N with the highest throughput (inf without a peak)
    throughput_at_best_whole_nodes_per_second: float  #: X at that whole N (inf without a peak)


def _least_squares(n: np.ndarray, x: np.ndarray, law: str) -> tuple[float, float, float]:
    """lambda, sigma, kappa fitted with the parameters ``law`` leaves out held at zero."""
    from scipy.optimize import least_squares

    free = len(LAWS[law])
    # start from the best single-node figure and a linear curve
    lam0 = float(np.max(x / n))
    start, low, high, scale = [lam0, 0.01, 1e-4][:free], [0.0] * free, [np.inf, 1.0, np.inf][:free], [lam0, 0.1, 1e-3][:free]

    def residual(p):
        lam, sigma, kappa = (*p, 0.0, 0.0)[:3]
        return (usl_throughput(n, lam, sigma, kappa) - x) / lam0

    fit = least_squares(residual, x0=start, bounds=(low, high), x_scale=scale,
                        xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=10_000)
    lam, sigma, kappa = (*(float(v) for v in fit.x), 0.0, 0.0)[:3]
    return lam, sigma, kappa


def _earns_its_place(rss_without: float, rss_with: float, free_points: int, total_squares: float) -> bool:
    """Whether one more parameter fits significantly better (the F test of nested least-squares models)."""
    gain = rss_without - rss_with
    if gain <= _ROUNDING**2 * total_squares:
        return False
    if free_points <= 0 or rss_with <= _ROUNDING**2 * total_squares:
        return True  # nothing left to test against, or an exact fit the simpler law misses
    from scipy.special import fdtrc

    return float(fdtrc(1, free_points, gain / (rss_with / free_points))) < _SIGNIFICANCE


def fit_usl(nodes, throughput) -> UslFit:
    """Least-squares USL fit. Needs at least three distinct node counts.

    Raises InputError on too few points or non-positive values. The law is
    the simplest of linear, Amdahl and USL that the data do not reject (see
    the module notes).
    """
    n = np.asarray(nodes, dtype=float)
    x = np.asarray(throughput, dtype=float)
    if n.shape != x.shape or n.ndim != 1:
        raise InputError("nodes and throughput must be two columns of equal length")
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(x))):
        raise InputError("nodes and throughput must be finite numbers")
    if np.any(n < 1) or np.any(n != np.floor(n)):
        raise InputError("nodes must be whole numbers >= 1")
    if np.any(x <= 0):
        raise InputError("throughput must be positive")
    if np.unique(n).size < 3:
        raise InputError(f"the USL has three parameters; it needs at least 3 distinct node counts, got {np.unique(n).size}")
    fits = {law: _least_squares(n, x, law) for law in LAWS}
    rss = {law: float(np.sum((x - usl_throughput(n, *p)) ** 2)) for law, p in fits.items()}
    total_squares = float(np.sum(x * x))
    law = "usl"
    for simpler, richer in (("amdahl", "usl"), ("linear", "amdahl")):
        if law == richer and not _earns_its_place(rss[simpler], rss[richer], n.size - len(LAWS[richer]), total_squares):
            law = simpler
    lam, sigma, kappa = fits[law]
    ss_res = rss[law]
    ss_tot = float(np.sum((x - x.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    peak = float(usl_peak(sigma, kappa))
    if kappa > 0:
        best = float(best_whole_nodes(sigma, kappa))
        best_x = float(usl_throughput(best, lam, sigma, kappa))
        ceiling = float(usl_throughput(max(peak, 1.0), lam, sigma, kappa))  # a cluster has one node at least
    else:
        best = best_x = math.inf
        ceiling = lam / sigma if sigma > 0 else math.inf
    return UslFit(law=law, sigma=sigma, kappa=kappa, r_squared=r2, points=int(n.size), peak_nodes=peak,
                  node_throughput_per_second=lam, rmse_per_second=float(np.sqrt(ss_res / n.size)),
                  throughput_ceiling_per_second=ceiling, best_whole_nodes=best,
                  throughput_at_best_whole_nodes_per_second=best_x)
