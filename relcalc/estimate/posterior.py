"""What the history leaves uncertain about a component's rates, as a distribution to sample.

Notes
-----
Failure rate, with ``r`` failures in up time ``T``: drawn from the
distribution whose every quantile is the classical time-truncated
chi-square limit that ``relcalc estimate`` prints (a confidence
distribution; Schweder & Hjort, *Confidence, Likelihood, Probability*,
Cambridge 2016, ch. 3 and 5)::

    Q(p) = chi2.ppf(p, 2r) / (2T)        p < 1/2   (the lower limits; 0 when r = 0)
    Q(p) = chi2.ppf(p, 2r + 2) / (2T)    p >= 1/2  (the upper limits)

so the 90% interval of a draw's rate is exactly the 90% chi-square interval
of the rate, at both ends, whatever r. The Jeffreys posterior Gamma(r + 1/2,
T) (NUREG/CR-6823, section 6.2.2.5) was used before: its upper quantiles lie
below the chi-square upper limits (at r = 0 its 95% quantile is 1.92/T where
the data only support 3.00/T), so the system intervals claimed more certainty
than the history gives, most of all for the components that never failed.
The point value of a component with no failures is the median rate, ln 2 / T
(the rate at which a window without failures is a coin toss).

Mean repair time, by the fitted law (noninformative priors):

- exponential: the repair rate is Gamma(n, rate sum(x)) (prior 1/mu);
- lognormal: sigma^2 = (n-1) s^2 / chi2(n-1), mu ~ N(mean(log x), sigma^2/n),
  mean = exp(mu + sigma^2/2) (Gelman et al., *Bayesian Data Analysis*, 3rd
  ed., section 3.2);
- Weibull: (log shape, log scale) normal with the inverse observed
  information as covariance (a large-sample approximation), mean = scale
  Gamma(1 + 1/shape).

With fewer than 10 repairs the exponential form is used whatever the law:
the lognormal posterior of the mean has no finite moments with a handful of
repairs (its sigma^2 draws have few degrees of freedom), and would mostly
say "unknown". A draw of a mean repair time beyond 1e300 h (a repair that
never ends) is held there: the unit is then down, not a floating overflow.

A component with no repairs borrows the repair times of every component in
the same history (said so in ``note``): its point MTTR is their mean, and
each draw of its mean repair time is one of those repair times taken at
random (``borrowed``). Its own mean is unknown and could be any other
component's, so the spread of single repairs, not the narrow spread of the
pooled mean (the exponential posterior of 27 pooled repairs is within +-30%),
is the honest doubt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class RatePosterior:
    """A component's failure-rate and repair-rate distribution, and point values to compose with."""

    name: str
    failures: int
    up_hours: float
    repair_law: str
    repair_hours: tuple[float, ...]
    mtbf_hours: float  #: point value: T / r, or T / ln 2 (the median rate) with no failures
    mttr_hours: float
    note: str = ""

    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` draws of (failure rate, repair rate), per hour."""
        rng = np.random.default_rng(rng)
        lam = failure_rate_draws(self.failures, self.up_hours, n, rng)
        mean_repair = _mean_repair_draws(self.repair_law, np.asarray(self.repair_hours), n, rng)
        return lam, 1.0 / mean_repair


def failure_rate_draws(failures: int, up_hours: float, n: int, rng) -> np.ndarray:
    """``n`` failure rates (per hour) whose quantiles are the chi-square limits (see the module text).

    Half the probability lies below the median of Gamma(r) and follows it,
    half above the median of Gamma(r + 1) and follows that: each half is
    drawn from its gamma by keeping the draws on its side of the median
    (numpy's gamma sampler; inverting the incomplete gamma function per draw
    was 30 times slower), and the halves are shuffled together.
    """
    below = int(rng.binomial(n, 0.5))
    low = (np.zeros(below) if failures == 0
           else _gamma_half(float(failures), below, rng, lower=True))
    high = _gamma_half(failures + 1.0, n - below, rng, lower=False)
    return rng.permutation(np.concatenate([low, high])) / up_hours


def _gamma_half(shape: float, count: int, rng, *, lower: bool) -> np.ndarray:
    """``count`` draws of Gamma(shape) on one side of its median."""
    from scipy.special import gammaincinv

    median = float(gammaincinv(shape, 0.5))
    kept: list[np.ndarray] = []
    have = 0
    while have < count:  # each draw lands on the wanted side with probability 1/2
        draws = rng.gamma(shape, 1.0, size=2 * (count - have) + 32)
        side = draws[draws < median] if lower else draws[draws >= median]
        kept.append(side)
        have += len(side)
    return np.concatenate(kept)[:count] if kept else np.zeros(0)


MIN_FOR_LAW_POSTERIOR = 10  #: repairs needed before the two-parameter laws' posteriors are used
LONGEST_REPAIR_HOURS = 1e300  #: draws beyond this (a lognormal tail) are held here: a repair that never ends


def _mean_repair_draws(law: str, x: np.ndarray, n: int, rng) -> np.ndarray:
    with np.errstate(over="ignore"):
        draws = _raw_mean_repair_draws(law, x, n, rng)
    return np.minimum(draws, LONGEST_REPAIR_HOURS)


def _raw_mean_repair_draws(law: str, x: np.ndarray, n: int, rng) -> np.ndarray:
    k = len(x)
    if law == "borrowed":  # another component's repairs: one of them, not their mean (module text)
        return rng.choice(x, size=n)
    if law == "exponential" or k < MIN_FOR_LAW_POSTERIOR:
        return 1.0 / rng.gamma(k, 1.0 / float(np.sum(x)), size=n)
    if law == "lognormal":
        logs = np.log(x)
        s2 = float(np.var(logs, ddof=1))
        sigma2 = (k - 1) * s2 / rng.chisquare(k - 1, size=n)
        mu = rng.normal(float(np.mean(logs)), np.sqrt(sigma2 / k))
        return np.exp(mu + sigma2 / 2)
    from .repair import fit_law, weibull_covariance

    fit = fit_law("weibull", x)
    centre = np.array([math.log(fit.parameters["c"]), math.log(fit.parameters["scale"])])
    cov = weibull_covariance(fit, x)
    if cov is None:  # flat likelihood: fall back on the exponential posterior of the mean
        return 1.0 / rng.gamma(k, 1.0 / float(np.sum(x)), size=n)
    draws = rng.multivariate_normal(centre, cov, size=n)
    shape, scale = np.exp(draws[:, 0]), np.exp(draws[:, 1])
    from scipy.special import gammaln

    return scale * np.exp(gammaln(1.0 + 1.0 / shape))


def posterior(result, name: str) -> RatePosterior:
    """The :class:`RatePosterior` of component ``name`` of an :class:`~relcalc.estimate.EstimateResult`."""
    comp = result.component(name)
    if comp.up_hours <= 0:
        raise InputError(f"{name}: down for the whole window; no failure rate can be estimated")
    note = ""
    repairs, law = comp.repair_hours, comp.repair_law
    if not repairs:
        repairs = tuple(h for c in result.components for h in c.repair_hours)
        if not repairs:
            raise InputError(f"{name}: no repairs in the whole history, so no MTTR; give its mttr in the spec instead")
        law = "borrowed"
        note = ("no repairs of its own: MTTR from every component's repairs in the history (each draw one "
                "of those repairs)")
    mttr = float(np.mean(repairs))
    if comp.failures:
        mtbf = comp.up_hours / comp.failures
    else:
        mtbf = comp.up_hours / math.log(2.0)
        note = "; ".join(filter(None, [note, "no failures: MTBF point value is up time / ln 2 (the median rate; "
                                                 "the interval allows any MTBF above the chi-square lower limit)"]))
    return RatePosterior(name, comp.failures, comp.up_hours, law or "exponential", tuple(repairs), mtbf, mttr, note)
