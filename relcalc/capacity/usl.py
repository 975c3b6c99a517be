"""The Universal Scalability Law: its curve, its peak, and fitting it to measured throughput.

Gunther's USL models the throughput of N nodes as

    X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))

where lambda is one node's throughput, sigma the contention (the share of
work that serialises) and kappa the coherency cost (pairwise crosstalk).
With kappa > 0 throughput peaks at N* = sqrt((1 - sigma) / kappa) and falls
beyond it. The three parameters are fitted by bounded non-linear least
squares (scipy), with lambda >= 0, 0 <= sigma <= 1 and kappa >= 0.

References: N. J. Gunther, *Guerrilla Capacity Planning*, Springer 2007,
chapters 4 and 5.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class UslFit:
    """A least-squares USL fit of measured throughput.

    Field order is the order of the ``capacity fit`` JSON and CSV.
    """

    sigma: float  #: contention, the share of work that serialises (0 to 1)
    kappa: float  #: coherency cost, pairwise crosstalk (>= 0)
    r_squared: float  #: coefficient of determination of the fit (NaN when the data do not vary)
    points: int  #: measurements fitted
    peak_nodes: float  #: N* = sqrt((1 - sigma) / kappa); inf without coherency cost
    node_throughput_per_second: float  #: lambda, the throughput of one node
    rmse_per_second: float  #: root mean square residual
    peak_throughput_per_second: float  #: X at the best whole node count (inf without a peak)


def fit_usl(nodes, throughput) -> UslFit:
    """Least-squares USL fit. Needs at least three distinct node counts.

    Raises InputError on too few points or non-positive values.
    """
    from scipy.optimize import least_squares

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
    # start from the best single-node figure and a linear curve
    lam0 = float(np.max(x / n))

    def residual(p):
        return (usl_throughput(n, *p) - x) / lam0

    fit = least_squares(residual, x0=[lam0, 0.01, 1e-4], bounds=([0.0, 0.0, 0.0], [np.inf, 1.0, np.inf]),
                        x_scale=[lam0, 0.1, 1e-3], xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=10_000)
    lam, sigma, kappa = (float(v) for v in fit.x)
    predicted = usl_throughput(n, lam, sigma, kappa)
    ss_res = float(np.sum((x - predicted) ** 2))
    ss_tot = float(np.sum((x - x.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    peak = float(usl_peak(sigma, kappa))
    peak_x = float(usl_throughput(best_whole_nodes(sigma, kappa), lam, sigma, kappa)) if kappa > 0 else float("inf")
    return UslFit(sigma=sigma, kappa=kappa, r_squared=r2, points=int(n.size), peak_nodes=peak,
                  node_throughput_per_second=lam, rmse_per_second=float(np.sqrt(ss_res / n.size)),
                  peak_throughput_per_second=peak_x)
