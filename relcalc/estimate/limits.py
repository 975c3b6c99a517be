"""Confidence limits of an MTBF from a time-truncated observation.

Notes
-----
With ``r`` failures in a total up time ``T`` (the window less the downtime),
exponential times between failures and observation stopped at a fixed time
(time truncation), the two-sided ``1 - alpha`` limits of the MTBF are

    lower = 2 T / chi2.ppf(1 - alpha/2, 2 r + 2)
    upper = 2 T / chi2.ppf(alpha/2, 2 r)            (r >= 1)

The lower limit uses ``2r + 2`` degrees of freedom because a failure could
have been about to happen when the window closed. With no failures there is
no point estimate and no upper limit; the one-sided lower limit at
confidence ``1 - alpha`` is ``2T / chi2.ppf(1 - alpha, 2) = T / ln(1/alpha)``.

For carrying the uncertainty into a system, the failure rate is drawn
with these limits as its quantiles (:mod:`relcalc.estimate.posterior`).

References: MIL-HDBK-781A (1996), section 5.9 (fixed-duration tests);
O'Connor & Kleyner, *Practical Reliability Engineering* (5th ed., 2012),
section 2.7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MtbfEstimate:
    """Point estimate and limits of an MTBF (hours); the point and upper limit are None with no failures."""

    failures: int
    up_hours: float
    confidence: float
    mtbf_hours: float | None
    mtbf_low_hours: float
    mtbf_high_hours: float | None
    method: str


def mtbf_limits(failures: int, up_hours: float, confidence: float = 0.90) -> MtbfEstimate:
    """The chi-square limits of the module text for ``failures`` in ``up_hours``."""
    from scipy.stats import chi2

    alpha = 1.0 - confidence
    if up_hours <= 0:  # down for the whole window: nothing was observed of the time between failures
        return MtbfEstimate(failures, 0.0, confidence, None, 0.0, None, "no up time observed: no MTBF")
    if failures == 0:
        low = up_hours / math.log(1.0 / alpha)  # = 2T / chi2.ppf(1 - alpha, 2)
        return MtbfEstimate(0, up_hours, confidence, None, low, None, "chi-square, one-sided lower limit (no failures)")
    low = 2.0 * up_hours / chi2.ppf(1.0 - alpha / 2.0, 2 * failures + 2)
    high = 2.0 * up_hours / chi2.ppf(alpha / 2.0, 2 * failures)
    return MtbfEstimate(failures, up_hours, confidence, up_hours / failures, float(low), float(high),
                        "chi-square, time-truncated (exact for exponential times)")
