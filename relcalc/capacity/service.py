"""Service-time laws: exponential, lognormal, gamma, fixed or measured, from the figures people know.

A law is fixed by its mean and one more figure: the p99 or the coefficient
of variation (CV, standard deviation over mean). Its squared CV feeds the
Allen-Cunneen approximation; the law itself feeds the simulation.

lognormal  ln S ~ N(mu, s^2): from the CV, s^2 = ln(1 + CV^2); from the p99,
           ln(p99 / mean) = z s - s^2 / 2 with z the standard normal 99%
           point, the smaller root s = z - sqrt(z^2 - 2 ln(p99 / mean))
           (none when the p99 is more than e^(z^2/2) = 14.9 times the mean)
gamma      shape k = 1 / CV^2, scale mean / k; from the p99 the shape (at least 0.02) whose
           99% point over its mean matches (one root: that ratio falls as
           k grows)
fixed      every request takes the mean (CV 0)
empirical  requests take the measured times, drawn with replacement
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

LAWS = ("exponential", "lognormal", "gamma", "fixed", "empirical")
_Z99 = 2.3263478740408408  # the standard normal 99% point


@dataclass(frozen=True)
class ServiceTime:
    """A service-time law with its parameters (for the simulation kernel)."""

    law: str
    mean_seconds: float
    scv: float  #: squared coefficient of variation (1 for exponential)
    p1: float = 0.0
    p2: float = 0.0
    samples: np.ndarray = field(default_factory=lambda: np.zeros(1), repr=False)

    def quantile(self, q: float) -> float:
        """The service time at quantile ``q`` (the response time of a request that never waits)."""
        if self.law == "exponential":
            return -math.log1p(-q) * self.mean_seconds
        if self.law == "fixed":
            return self.mean_seconds
        if self.law == "empirical":
            return float(np.quantile(self.samples, q))
        from scipy.special import gammaincinv, ndtri

        if self.law == "lognormal":
            return math.exp(self.p1 + float(ndtri(q)) * self.p2)
        return float(gammaincinv(self.p1, q)) * self.p2

    @property
    def label(self) -> str:
        return f"{self.law} service, mean {self.mean_seconds * 1000:.4g} ms, CV {math.sqrt(self.scv):.3g}"


def service_time(law: str | None, mean: float | None, p99: float | None = None, cv: float | None = None,
                 samples=None) -> ServiceTime:
    """The law from what was given; InputError on contradictions and impossible figures."""
    if samples is not None:
        if law not in (None, "empirical"):
            raise InputError(f"--latency-samples are measured service times: drop --service-time-dist {law}")
        if mean is not None or p99 is not None or cv is not None:
            raise InputError("--latency-samples give the service time's mean and spread: drop --service-time, "
                             "--service-time-p99 and --service-time-cv")
        values = np.asarray(samples, float)
        if values.size < 2 or not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise InputError("--latency-samples: need at least 2 positive, finite service times")
        m = float(values.mean())
        return ServiceTime("empirical", m, float(values.var() / (m * m)), samples=values)
    if law is not None and law not in LAWS:
        raise InputError(f"--service-time-dist: unknown law {law!r}; use one of {', '.join(LAWS)}")
    law = law or ("lognormal" if (p99 is not None or cv is not None) else "exponential")
    if law not in LAWS:
        raise InputError(f"--service-time-dist: unknown law {law!r}; use one of {', '.join(LAWS)}")
    if law == "empirical":
        raise InputError("--service-time-dist empirical needs --latency-samples FILE")
    if mean is None:
        raise InputError(f"a {law} service time needs --service-time (its mean)")
    if p99 is not None and cv is not None:
        raise InputError("give --service-time-p99 or --service-time-cv, not both")
    if cv is not None and not (cv >= 0 and math.isfinite(cv)):
        raise InputError(f"--service-time-cv must be >= 0 and finite, got {cv}")
    if p99 is not None and not p99 > mean:
        raise InputError(f"--service-time-p99 ({p99 * 1000:.4g} ms) must be above the mean "
                         f"({mean * 1000:.4g} ms)")
    if law in ("exponential", "fixed"):
        if p99 is not None or cv is not None:
            raise InputError(f"a {law} service time is fixed by its mean: drop --service-time-p99/--service-time-cv")
        return ServiceTime(law, mean, 1.0 if law == "exponential" else 0.0, mean)
    if p99 is None and cv is None:
        raise InputError(f"a {law} service time needs --service-time-p99 or --service-time-cv besides its mean")
    if law == "lognormal":
        if cv is not None:
            s2 = math.log1p(cv * cv)
        else:
            gap = _Z99 * _Z99 - 2.0 * math.log(p99 / mean)
            if gap < 0:
                raise InputError(f"no lognormal has a p99 {p99 / mean:.3g} times its mean (at most "
                                 f"{math.exp(_Z99 * _Z99 / 2):.3g}); use --service-time-dist gamma or samples")
            s2 = (_Z99 - math.sqrt(gap)) ** 2
        if s2 == 0:
            return ServiceTime("fixed", mean, 0.0, mean)
        return ServiceTime("lognormal", mean, math.expm1(s2), math.log(mean) - s2 / 2, math.sqrt(s2))
    # gamma
    if cv is not None:
        if cv == 0:
            return ServiceTime("fixed", mean, 0.0, mean)
        shape = 1.0 / (cv * cv)
    else:
        shape = _gamma_shape_for(p99 / mean)
    return ServiceTime("gamma", mean, 1.0 / shape, shape, mean / shape)


def _gamma_shape_for(ratio: float) -> float:
    """The gamma shape whose 99% point is ``ratio`` times its mean."""
    from scipy.optimize import brentq
    from scipy.special import gammaincinv

    def gap(log_shape):
        k = math.exp(log_shape)
        return gammaincinv(k, 0.99) / k - ratio

    lo, hi = math.log(0.02), math.log(1e7)  # the ratio peaks near shape 0.01 and falls below it
    if gap(hi) > 0 or gap(lo) < 0:
        raise InputError(f"no gamma law has a p99 {ratio:.4g} times its mean; give --service-time-cv")
    return math.exp(brentq(gap, lo, hi, xtol=1e-12))
