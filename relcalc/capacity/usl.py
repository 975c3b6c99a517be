"""Fitting the Universal Scalability Law to measured throughput.

Gunther's USL models the throughput of N nodes as

    X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))

where lambda is one node's throughput, sigma the contention (the share of
work that serialises) and kappa the coherency cost (pairwise crosstalk).
With kappa > 0 throughput peaks at N* = sqrt((1 - sigma) / kappa) and falls
beyond it. The three parameters are fitted by bounded non-linear least
squares (scipy), with lambda >= 0, 0 <= sigma <= 1 and kappa >= 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def usl_throughput(nodes, lam, sigma, kappa) -> np.ndarray:
    n = np.asarray(nodes, dtype=float)
    return lam * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))


@dataclass(frozen=True)
class UslFit:
    node_throughput: float  # lambda, req/s of one node
    sigma: float
    kappa: float
    r_squared: float
    rmse: float  # req/s
    points: int
    peak_nodes: float  # inf without coherency cost
    peak_throughput: float  # req/s at the best whole node count (inf without a peak)

    def to_dict(self) -> dict:
        finite = np.isfinite(self.peak_nodes)
        return {
            "node_throughput": self.node_throughput,
            "sigma": self.sigma,
            "kappa": self.kappa,
            "r_squared": self.r_squared,
            "rmse": self.rmse,
            "points": self.points,
            "peak_nodes": self.peak_nodes if finite else None,
            "peak_throughput": self.peak_throughput if finite else None,
        }


def fit_usl(nodes, throughput) -> UslFit:
    """Least-squares USL fit. Needs at least three distinct node counts.

    Raises ValueError on too few points or non-positive values.
    """
    from scipy.optimize import least_squares

    n = np.asarray(nodes, dtype=float)
    x = np.asarray(throughput, dtype=float)
    if n.shape != x.shape or n.ndim != 1:
        raise ValueError("nodes and throughput must be two columns of equal length")
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(x))):
        raise ValueError("nodes and throughput must be finite numbers")
    if np.any(n < 1) or np.any(n != np.floor(n)):
        raise ValueError("nodes must be whole numbers >= 1")
    if np.any(x <= 0):
        raise ValueError("throughput must be positive")
    if np.unique(n).size < 3:
        raise ValueError(f"the USL has three parameters; it needs at least 3 distinct node counts, got {np.unique(n).size}")
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
    if kappa > 0:
        peak = float(np.sqrt(max(1.0 - sigma, 0.0) / kappa))
        best = max(1.0, np.floor(peak)), max(1.0, np.ceil(peak))
        peak_x = float(max(usl_throughput(np.array(best), lam, sigma, kappa)))
    else:
        peak, peak_x = float("inf"), float("inf")
    return UslFit(lam, sigma, kappa, r2, float(np.sqrt(ss_res / n.size)), int(n.size), peak, peak_x)
