"""What the history leaves uncertain about a component's rates, as a distribution to sample.

Notes
-----
Failure rate: Gamma(r + 1/2, rate T) with ``r`` failures in up time ``T``,
the posterior under the Jeffreys prior (NUREG/CR-6823, section 6.2.2.5);
its quantiles nearly match the chi-square limits, and it is proper at r = 0.

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
the same history (said so in ``note``).
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
    mtbf_hours: float  #: point value: T / r, or T / (r + 1/2) (the posterior mean rate) with no failures
    mttr_hours: float
    note: str = ""

    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` draws of (failure rate, repair rate), per hour."""
        rng = np.random.default_rng(rng)
        lam = rng.gamma(self.failures + 0.5, 1.0 / self.up_hours, size=n)
        mean_repair = _mean_repair_draws(self.repair_law, np.asarray(self.repair_hours), n, rng)
        return lam, 1.0 / mean_repair


MIN_FOR_LAW_POSTERIOR = 10  #: repairs needed before the two-parameter laws' posteriors are used
LONGEST_REPAIR_HOURS = 1e300  #: draws beyond this (a lognormal tail) are held here: a repair that never ends


def _mean_repair_draws(law: str, x: np.ndarray, n: int, rng) -> np.ndarray:
    with np.errstate(over="ignore"):
        draws = _raw_mean_repair_draws(law, x, n, rng)
    return np.minimum(draws, LONGEST_REPAIR_HOURS)


def _raw_mean_repair_draws(law: str, x: np.ndarray, n: int, rng) -> np.ndarray:
    k = len(x)
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
        law = "exponential"
        note = "no repairs of its own: MTTR from every component's repairs in the history"
    mttr = float(np.mean(repairs))
    if comp.failures:
        mtbf = comp.up_hours / comp.failures
    else:
        mtbf = comp.up_hours / 0.5
        note = "; ".join(filter(None, [note, "no failures: MTBF point value is up time / 0.5 (the posterior mean rate)"]))
    return RatePosterior(name, comp.failures, comp.up_hours, law or "exponential", tuple(repairs), mtbf, mttr, note)
