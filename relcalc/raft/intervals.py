"""95% intervals of the crude simulation: from the chunks when events are many, exact limits when few.

A figure resting on many events (``SMALL`` = 30 or more) gets a t interval
over the independent chunks, "t" (a ratio of sums by the delta method, the
chunks being equal). Two figures are ratios whose denominator is itself a
count: the mean outage gets a t interval over the outages themselves, and
the MTTF the inverse of the loss rate's interval, "t-inverse" (a delta
interval around either held its value only nine times in ten with 16 chunks
and 30 to 60 events). Below 30 the spread of the chunks says little (most
chunks saw nothing), so:

- a count or a rate gets the exact Poisson (Garwood) limits, "garwood":
  chi2(0.025; 2k)/2 and chi2(0.975; 2k + 2)/2 events over the exposure;
- with no event at all, the two-sided convention is kept: the interval is
  [0, 3.689 / exposure] (chi2(0.975; 2)/2 = -ln 0.025), and the figure
  reported is that upper limit, marked "garwood-upper-bound";
- a time share (the quorum unavailability, the election downtime) is
  events x mean length: its limits are the Poisson limits of the rate times
  those of the mean length (exact for exponential lengths:
  2 S / chi2(0.9875 or 0.0125; 2k)), each at 97.5% so that both hold together
  with 95% (Bonferroni), "garwood-product", a conservative construction;
  with no event, the rate's upper limit times a bound on the mean length that
  the model gives (the longest mean time left of a repair, a zone's return,
  a replacement or a restart that ends it), "garwood-upper-bound";
- a mean time to an event from all up (MTTF) is the exposure over a Poisson
  count, "garwood": exposure / the count's limits; with no event, the
  exposure / 3.689 is a lower bound, "garwood-lower-bound";
- a proportion of trials (a loss within a year) gets the exact binomial
  (Clopper-Pearson) limits, "clopper-pearson", and with no success the upper
  limit 1 - 0.025^(1/n), "clopper-pearson-upper-bound".

Outage percentiles are sample quantiles (:mod:`.histogram`) with the
distribution-free order-statistic interval, "order-statistic": ranks r and s
from the binomial(N, p) law of how many durations fall below the true
quantile, so that P(x_(r) <= q_p <= x_(s)) >= 95%.

References: F. Garwood, "Fiducial limits for the Poisson distribution",
Biometrika 28 (1936) 437-442; C. J. Clopper, E. S. Pearson, "The use of
confidence or fiducial limits illustrated in the case of the binomial",
Biometrika 26 (1934) 404-413; H. A. David, H. N. Nagaraja, Order Statistics,
3rd ed. (2003), sec. 7.1 (distribution-free confidence intervals for quantiles).
The quantiles of t, chi-squared, beta and binomial laws come from
:mod:`.special` (no scipy: its import took longer than a default run).
"""

from __future__ import annotations

import math

import numpy as np

from ..results import Interval
from .histogram import HIST_BINS, HIST_LO, HIST_STEP, bin_centre_hours, bin_of_rank, quantile_rank
from .special import beta_ppf, binom_ppf, chi2_ppf, t_ppf

SMALL = 30  # events below which the chunks' spread is not trusted
LEVEL = 0.95


def _t(level: float, dof: int) -> float:
    return t_ppf(0.5 + level / 2, max(dof, 1))


def chunk_ratio(num: np.ndarray, den: np.ndarray, method: str = "t", level: float = LEVEL) -> Interval:
    """sum(num) / sum(den) over chunks, with a t (delta-method) interval; none when den sums to 0.

    With equal chunks and ``den`` their lengths, this is the t interval of the
    chunks' own values.
    """
    total = float(den.sum())
    if total <= 0:
        return Interval(None, method="none")
    r = float(num.sum()) / total
    if num.size < 2:
        return Interval(r, method="none")
    residual = num - r * den
    half = _t(level, num.size - 1) * float(residual.std(ddof=1)) * math.sqrt(num.size) / total
    return Interval(r, max(r - half, 0.0), r + half, method)


def garwood(count: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact two-sided limits of a Poisson mean from ``count`` events."""
    tail = (1 - level) / 2
    low = 0.0 if count == 0 else chi2_ppf(tail, 2 * count) / 2
    return low, chi2_ppf(1 - tail, 2 * count + 2) / 2


def rate(count: int, exposure: float, num: np.ndarray, den: np.ndarray) -> Interval:
    """Events per unit of ``exposure``: t over the chunks (``num`` events over ``den`` exposure each) or Garwood."""
    if count >= SMALL:
        return chunk_ratio(num, den)
    low, high = garwood(count)
    if count == 0:
        return Interval(high / exposure, 0.0, high / exposure, "garwood-upper-bound")
    return Interval(count / exposure, low / exposure, high / exposure, "garwood")


def exponential_mean(count: int, total: float, level: float = LEVEL) -> tuple[float, float]:
    """Exact limits of an exponential law's mean from ``count`` draws summing to ``total``."""
    tail = (1 - level) / 2
    return 2 * total / chi2_ppf(1 - tail, 2 * count), 2 * total / chi2_ppf(tail, 2 * count)


def share(count: int, time: float, exposure: float, num: np.ndarray, den: np.ndarray,
          length_bound: float, level: float = LEVEL) -> Interval:
    """The share of ``exposure`` spent in ``count`` spells totalling ``time``.

    t over the chunks from ``SMALL`` events on; below, the rate's Garwood
    limits times the mean length's (both at 97.5%); with no spell, the
    rate's upper limit times ``length_bound``.
    """
    if count >= SMALL:
        return chunk_ratio(num, den, level=level)
    if count == 0:  # a share is at most 1 whatever the rate's limit times the length bound says
        high = min(1.0, garwood(0, level)[1] / exposure * length_bound)
        return Interval(high, 0.0, high, "garwood-upper-bound")
    each = (1 + level) / 2
    rate_low, rate_high = garwood(count, each)
    mean_low, mean_high = exponential_mean(count, time, each)
    return Interval(time / exposure, rate_low / exposure * mean_low, min(1.0, rate_high / exposure * mean_high),
                    "garwood-product")


def mean_length(count: int, time: float, squares: float) -> Interval:
    """The mean of ``count`` lengths totalling ``time`` (their squares summing to ``squares``).

    From ``SMALL`` lengths on, a t interval over the lengths themselves; below,
    exact limits for exponential lengths.
    """
    if count >= SMALL:
        mean = time / count
        spread = math.sqrt(max(squares - count * mean**2, 0.0) / (count - 1))
        half = _t(LEVEL, count - 1) * spread / math.sqrt(count)
        return Interval(mean, max(mean - half, 0.0), mean + half, "t")
    if count == 0:
        return Interval(None, method="none")
    low, high = exponential_mean(count, time)
    return Interval(time / count, low, high, "exponential-chi2")


def time_to_event(count: int, exposure: float, num: np.ndarray, den: np.ndarray) -> Interval:
    """Mean time to an event: ``exposure`` watched over ``count`` events, the inverse of a rate.

    The interval inverts the rate's (events over exposure: t over the chunks,
    ``num`` events in ``den`` exposure each, or Garwood), which is asymmetric
    as the inverse is; a delta interval around the inverse missed its value one
    time in ten with 16 chunks and 30 to 60 events.
    """
    low, high = garwood(count)
    if count == 0:
        return Interval(exposure / high, exposure / high, math.inf, "garwood-lower-bound")
    if count < SMALL:
        return Interval(exposure / count, exposure / high, exposure / low, "garwood")
    rate = chunk_ratio(num, den)
    return Interval(1.0 / rate.value, 1.0 / rate.high, 1.0 / rate.low if rate.low > 0 else math.inf, "t-inverse")


def proportion(successes: int, trials: int, num: np.ndarray, den: np.ndarray) -> Interval:
    """A share of independent trials: t over the chunks, or exact binomial limits when either side is small."""
    if trials == 0:
        return Interval(None, method="none")
    if successes >= SMALL and trials - successes >= SMALL:
        interval = chunk_ratio(num, den)
        return Interval(interval.value, interval.low, min(interval.high, 1.0), interval.method)
    tail = (1 - LEVEL) / 2
    low = 0.0 if successes == 0 else beta_ppf(tail, successes, trials - successes + 1)
    high = 1.0 if successes == trials else beta_ppf(1 - tail, successes + 1, trials - successes)
    if successes == 0:
        return Interval(high, 0.0, high, "clopper-pearson-upper-bound")
    return Interval(successes / trials, low, high, "clopper-pearson")


def quantile(counts: np.ndarray, level: float) -> Interval:
    """The ``level`` quantile of the durations counted in ``counts`` (hours), with its order-statistic interval.

    The estimate is the middle of the bin holding the sample quantile (within
    0.1% of it); the interval runs from the lower edge of the bin holding
    x_(r) to the upper edge of the bin holding x_(s), so it holds the
    order-statistic interval whole.
    """
    total = int(np.sum(counts))
    if total == 0:
        return Interval(None, method="none")
    value = bin_centre_hours(bin_of_rank(counts, quantile_rank(total, level)))
    tail = (1 - LEVEL) / 2
    r = binom_ppf(tail, total, level)
    s = binom_ppf(1 - tail, total, level) + 1
    low = 0.0  # below the first order statistic, or in the first bin (which holds everything shorter)
    if r >= 1 and bin_of_rank(counts, r) > 0:
        low = 10 ** (HIST_LO + HIST_STEP * bin_of_rank(counts, r))
    high = math.inf  # beyond the last order statistic, or in the last bin (which holds everything longer)
    if s <= total and bin_of_rank(counts, s) < HIST_BINS - 1:
        high = 10 ** (HIST_LO + HIST_STEP * (bin_of_rank(counts, s) + 1))
    return Interval(value, low, high, "order-statistic")
