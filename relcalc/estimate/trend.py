"""Is the failure rate changing? The Laplace test and the Crow-AMSAA (MIL-HDBK-189) model.

Notes
-----
Failure times ``t_1..t_r`` are measured from the start of the observation
window, which lasts ``T`` (time truncation). Under a constant rate (a
homogeneous Poisson process) they are ``r`` independent uniform points on
``[0, T]``.

Laplace test (Cox & Lewis, *The Statistical Analysis of Series of Events*,
1966, section 3.3)::

    U = (mean(t_i) - T/2) / (T sqrt(1 / (12 r)))

approximately standard normal; U > 0 means failures crowd towards the end
(a rising rate), U < 0 that they thin out.

Crow-AMSAA (power-law process, intensity ``lambda beta t^(beta-1)``), maximum
likelihood for time-truncated data (MIL-HDBK-189C, 2011, section 5.3;
Crow 1974)::

    beta_hat = r / S,   S = sum ln(T / t_i),   lambda_hat = r / T^beta_hat
    beta_bar = (r - 1) / S                      (unbiased)
    instantaneous MTBF at T = T / (r beta_bar)  (NIST/SEMATECH e-Handbook 8.4.2.1 uses beta_bar)

and the MIL-HDBK-189 test of beta = 1: ``2 S`` is chi-square with ``2r``
degrees of freedom under a constant rate. Both tests are two-sided at the
significance level given (10% by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_FOR_TREND = 3  #: failures needed before a trend test says anything


@dataclass(frozen=True)
class TrendTest:
    """The Laplace statistic, the Crow-AMSAA fit and test, and a verdict in words."""

    failures: int
    window_hours: float
    laplace_u: float | None
    laplace_p_value: float | None
    crow_beta: float | None  #: maximum-likelihood shape
    crow_beta_unbiased: float | None
    crow_lambda: float | None  #: per hour^beta
    mil_hdbk_189_chi2: float | None
    mil_hdbk_189_p_value: float | None
    instantaneous_mtbf_hours: float | None
    significance: float
    verdict: str


def trend_test(times_hours, window_hours: float, significance: float = 0.10) -> TrendTest:
    """Both tests on failure times measured from the window's start (see the module text)."""
    from scipy.stats import chi2, norm

    t = sorted(float(x) for x in times_hours)
    r = len(t)
    if r < MIN_FOR_TREND:
        return TrendTest(r, window_hours, None, None, None, None, None, None, None, None, significance,
                         f"{r} failure(s): too few for a trend test (needs {MIN_FOR_TREND})")
    if t[0] <= 0.0:  # a failure at the very start of the window: ln(T/0) is infinite
        t = [max(x, window_hours * 1e-9) for x in t]
    u = (sum(t) / r - window_hours / 2) / (window_hours * math.sqrt(1.0 / (12 * r)))
    p_laplace = 2 * float(norm.sf(abs(u)))
    s = math.fsum(math.log(window_hours / x) for x in t)
    beta = r / s
    beta_bar = (r - 1) / s
    lam = r / window_hours**beta
    stat = 2 * s
    lower_tail = float(chi2.cdf(stat, 2 * r))
    p_mil = 2 * min(lower_tail, 1 - lower_tail)
    inst = window_hours / (r * beta_bar) if beta_bar > 0 else None
    verdict = _verdict(u, p_laplace, beta, p_mil, significance)
    return TrendTest(r, window_hours, u, p_laplace, beta, beta_bar, lam, stat, p_mil, inst, significance, verdict)


def _verdict(u: float, p_laplace: float, beta: float, p_mil: float, significance: float) -> str:
    level = f"{significance:.0%}"
    flags = [p_laplace < significance, p_mil < significance]
    if not any(flags):
        return f"no evidence of a trend at the {level} level: one MTBF describes the window"
    rising = u > 0 if flags[0] else beta > 1
    which = " and ".join(n for n, f in zip(("Laplace", "MIL-HDBK-189"), flags) if f)
    direction = ("failures are becoming more frequent" if rising else "failures are becoming less frequent")
    return f"{direction} ({which} significant at the {level} level): the MTBF of the whole window is an average"
