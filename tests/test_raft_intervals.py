"""Crude sampling's intervals, percentiles and starts, against independent maths.

References, each computed here without relcalc's code:

- exact Poisson (Garwood) limits by their definition: the upper limit m has
  P(X <= k; m) = 0.025, the lower P(X >= k; m) = 0.025 (scipy.stats.poisson);
  Clopper-Pearson limits likewise from the binomial law; the exact limits of
  an exponential mean from the gamma law of a sum of k exponentials;
- outage percentiles: the order statistic x_(ceil(p N)) of the outage
  lengths read off a chunk's full history (numpy sort), and the
  distribution-free interval's ranks found by summing binomial terms;
- stationary starts: deterministic nodes with random phases and a Weibull
  node are alternating renewal processes, up MTBF / (MTBF + MTTR) of the time
  whatever the laws, so n independent nodes give the binomial steady state;
- the coverage of the intervals over 400 fixed seeds against the exact chain
  (test_exact_chain.py checks the chain against mpmath).
"""

import math

import numpy as np
import pytest
from scipy import stats

from conftest import binomial_quorum_u, exp
from relcalc.raft import Distribution, RaftModel, exact
from relcalc.raft import intervals, kernel
from relcalc.raft.engine import _chunk_inputs, chunk_generator, simulate


@pytest.mark.parametrize("count", [0, 1, 2, 5, 29])
def test_garwood_limits_are_the_poisson_tails(count):
    exposure = 1234.5
    none = np.array([float(count)]), np.array([exposure])  # one chunk: no t interval to fall back on
    rate = intervals.rate(count, exposure, *none)
    low, high = rate.low * exposure, rate.high * exposure
    assert stats.poisson.cdf(count, high) == pytest.approx(0.025, rel=1e-9)
    if count == 0:
        assert low == 0.0 and high == pytest.approx(-math.log(0.025), rel=1e-12)  # 3.689, two-sided convention
        assert rate.method == "garwood-upper-bound" and rate.value == rate.high  # the figure is the bound
        mttf = intervals.time_to_event(0, exposure, *none)
        assert mttf.method == "garwood-lower-bound" and mttf.value == pytest.approx(exposure / high, rel=1e-12)
        assert mttf.high == math.inf
    else:
        assert stats.poisson.sf(count - 1, low) == pytest.approx(0.025, rel=1e-9)
        assert rate.method == "garwood" and rate.value == count / exposure
        mttf = intervals.time_to_event(count, exposure, *none)
        assert (mttf.low, mttf.high) == pytest.approx((exposure / high, exposure / low), rel=1e-12)


@pytest.mark.parametrize("successes,trials", [(0, 40), (3, 40), (12, 500), (38, 40)])
def test_clopper_pearson_limits_are_the_binomial_tails(successes, trials):
    one = np.array([float(successes)]), np.array([float(trials)])
    share = intervals.proportion(successes, trials, *one)
    assert stats.binom.cdf(successes, trials, share.high) == pytest.approx(0.025, rel=1e-7)
    if successes == 0:
        assert share.low == 0.0 and share.method == "clopper-pearson-upper-bound"
        assert share.high == pytest.approx(1 - 0.025 ** (1 / trials), rel=1e-9)
    else:
        assert stats.binom.sf(successes - 1, trials, share.low) == pytest.approx(0.025, rel=1e-7)


def test_exponential_mean_and_the_product_for_a_time_share():
    # k exponential lengths of mean m sum to a gamma(k, m): the limits are the m that put S in a 2.5% tail
    count, total = 7, 20.0
    mean = intervals.mean_length(count, total, 0.0)
    assert stats.gamma.cdf(total, count, scale=mean.high) == pytest.approx(0.025, rel=1e-9)
    assert stats.gamma.sf(total, count, scale=mean.low) == pytest.approx(0.025, rel=1e-9)
    # the share: Poisson limits of the rate times the mean's, each at 97.5%
    exposure = 1000.0
    chunks = np.array([total]), np.array([exposure])
    share = intervals.share(count, total, exposure, *chunks, length_bound=1.0)
    from scipy.optimize import brentq

    rate_high = brentq(lambda m: stats.poisson.cdf(count, m) - 0.0125, count, 10 * count + 10, xtol=1e-12)
    mean_high = total / stats.gamma.ppf(0.0125, count)
    assert share.method == "garwood-product" and share.value == total / exposure
    assert share.high == pytest.approx(rate_high / exposure * mean_high, rel=1e-9)
    nothing = intervals.share(0, 0.0, exposure, np.zeros(1), np.array([exposure]), length_bound=2.0)
    assert nothing.method == "garwood-upper-bound" and nothing.value == pytest.approx(-math.log(0.025) / 500)


def outages_from_history(model, hours, seed):
    """Every completed quorum outage of one chunk, read off its full history (its timeline)."""
    inputs = _chunk_inputs(model, hours, 8760.0, stationary=False)._replace(trace_cap=10**6)
    stats_, hist, times, masks, _ = kernel.run_chunk(inputs, chunk_generator(seed, 0))
    serving = np.array([bin(int(m)).count("1") for m in masks])
    lost = serving < model.quorum
    lengths, since = [], None
    for t, down in zip(times, lost):
        if down and since is None:
            since = t
        elif not down and since is not None:
            lengths.append(t - since)
            since = None
    return np.array(lengths), hist, stats_


@pytest.mark.parametrize("ttr", [Distribution("exponential", 10.0), Distribution("lognormal", 10.0, 1.5)])
def test_percentiles_are_the_order_statistics_within_a_tenth_of_a_percent(ttr):
    model = RaftModel(nodes=3, ttf=exp(200.0), ttr=ttr)
    lengths, hist, stats_ = outages_from_history(model, 200 * 8760.0, seed=5)
    assert len(lengths) == hist.sum() == stats_[kernel.OUTAGES] > 1000
    ordered = np.sort(lengths)
    n = len(ordered)
    for level in (0.5, 0.95, 0.99):
        quantile = intervals.quantile(hist, level)
        truth = ordered[math.ceil(level * n) - 1]  # the sample quantile: the smallest x with F_n(x) >= p
        assert quantile.value == pytest.approx(truth, rel=1e-3)
        # the distribution-free interval's ranks: P(r <= B <= s - 1) >= 95% for B ~ binomial(n, p)
        pmf = stats.binom.pmf(np.arange(n + 1), n, level)
        r = int(np.searchsorted(np.cumsum(pmf), 0.025, side="left"))  # smallest r with P(B <= r) >= 0.025
        s = int(np.searchsorted(np.cumsum(pmf), 0.975, side="left")) + 1
        assert quantile.low <= ordered[r - 1] and ordered[min(s, n) - 1] <= quantile.high
        assert quantile.low >= ordered[r - 1] * (1 - 2e-3) and quantile.method == "order-statistic"


@pytest.mark.parametrize("ttf,ttr,years", [("fixed", "fixed", 32), ("weibull:3", "fixed", 2)])
def test_short_chunks_start_in_the_steady_state_whatever_the_laws(ttf, ttr, years):
    # deterministic nodes started all new fail together at t = MTBF in every chunk and stay together (U is
    # then MTTR/(MTBF+MTTR) = 0.0909 for 3 nodes); with their phases drawn from the steady state they are
    # independent, and short runs (chunks of 2 and 0.125 years) give the binomial. A chunk's phases stay as
    # drawn, so its figure varies much and the interval is wide, but it holds the truth and excludes 0.0909.
    # One Weibull node (shape 3: rarely failing early) over chunks of 0.125 years: MTTR/(MTBF+MTTR) exactly.
    n = 3 if ttf == "fixed" else 1
    model = RaftModel(nodes=n, ttf=Distribution(ttf.split(":")[0], 100.0, float(ttf.split(":")[1]) if ":" in ttf else 1.0),
                      ttr=Distribution(ttr, 10.0))
    truth = binomial_quorum_u(n, 100.0, 10.0)
    result = simulate(model, years=years, seed=12)
    assert result.quorum_unavailability.covers(truth), (result.quorum_unavailability, truth)
    if n == 3:
        assert not result.quorum_unavailability.covers(10.0 / 110.0)
    else:
        assert result.quorum_unavailability.half_width_ratio() < 0.1


def test_an_outage_open_at_the_end_of_a_chunk_counts_whole():
    # one node, exponential repairs of 50 h, chunks of 547.5 h: about a third of the chunks end in an outage.
    # Dropping those outages kept the shorter ones; followed to their end, every loss of the window has its
    # outage, the mean is 50 h and the median 50 ln 2.
    from relcalc.raft.engine import ChunkTask, run_chunks

    model = RaftModel(nodes=1, ttf=exp(100.0), ttr=exp(50.0))
    table = run_chunks(ChunkTask(_chunk_inputs(model, 547.5, 8760.0), 2, 0, 64))[0]
    assert (table[:, kernel.OUTAGES] == table[:, kernel.LOSSES]).all()
    result = simulate(model, years=16, seed=2)
    assert result.mean_outage_hours.covers(50.0)
    assert result.p50_outage_hours.covers(50.0 * math.log(2))


def test_the_chance_of_a_loss_within_a_year_from_both_starts():
    # slow repairs: from all up two failures must come first, from the steady state a node is often down
    model = RaftModel(nodes=3, ttf=exp(20_000.0), ttr=exp(2_000.0))
    truth = exact(model)
    assert truth.loss_within_year_from_all_up == pytest.approx(0.1407, abs=1e-4)
    assert truth.loss_within_year == pytest.approx(0.1695, abs=1e-4)
    result = simulate(model, years=20_000, seed=4, truth=truth)
    all_up, steady = result.probability_of_loss_within_year_from_all_up, result.probability_of_loss_within_year
    assert all_up.covers(truth.loss_within_year_from_all_up) and steady.covers(truth.loss_within_year)
    assert all_up.high < truth.loss_within_year and steady.low > truth.loss_within_year_from_all_up
    assert result.probability_of_loss_within_year_from_steady_state == steady
    assert result.exact_probability_of_loss_within_year_from_all_up == truth.loss_within_year_from_all_up


def test_intervals_cover_the_exact_values_over_many_seeds():
    # 40 years of n = 3, MTBF 1,000 h, MTTR 10 h: about 20 losses a run, so the exact limits, the product
    # and the t intervals all take turns. 400 runs: a 95% interval misses 20 +/- 4.4 times; conservative
    # ones less. Allowed: 2.2 standard deviations over 20.
    model = RaftModel(nodes=3, ttf=exp(1000.0), ttr=exp(10.0))
    truth = exact(model)
    wanted = {
        "quorum_unavailability": truth.quorum_unavailability,
        "quorum_losses_per_year": truth.losses_per_hour * 8760,
        "mttf_hours": truth.mttf_hours,
        "probability_of_loss_within_year_from_all_up": truth.loss_within_year_from_all_up,
        "probability_of_loss_within_year_from_steady_state": truth.loss_within_year,
        "p50_outage_hours": truth.outage_percentiles_hours["p50"],
        "p95_outage_hours": truth.outage_percentiles_hours["p95"],
    }
    missed = dict.fromkeys(wanted, 0)
    for seed in range(400):
        result = simulate(model, years=40, seed=seed, truth=truth)
        for name, value in wanted.items():
            missed[name] += not getattr(result, name).covers(value)
    assert all(m <= 20 + 2.2 * math.sqrt(400 * 0.05 * 0.95) for m in missed.values()), missed


def test_no_loss_seen_gives_bounds_that_hold_the_exact_values():
    # the case: n = 7, MTTR 1 h loses its quorum once in 13 million years; with permanent failures
    # no data loss is seen either. Every figure is a marked 95% bound, and the exact values lie within.
    model = RaftModel(nodes=7, ttr=exp(1.0), permanent=0.05, replace_time=2.0)
    result = simulate(model, years=10_000, seed=1)
    years = result.simulated_years
    assert result.quorum_losses_observed == 0 and result.data_losses_observed == 0
    bound = -math.log(0.025) / years  # losses per year
    assert result.quorum_losses_per_year.value == pytest.approx(bound, rel=1e-12)
    assert result.data_loss_per_year.value == pytest.approx(bound, rel=1e-12)
    # the unavailability's bound takes the longest mean time left of what ends an outage: a 2 h replacement
    assert result.quorum_unavailability.value == pytest.approx(bound / 8760 * 2.0, rel=1e-12)
    assert result.quorum_unavailability.method == "garwood-upper-bound" and result.exact_covered is True
    assert result.mttf_hours.method == "garwood-lower-bound" and result.exact_mttf_covered is True
    assert result.data_loss_per_year.covers(result.exact_data_loss_per_year)
    assert result.mttdl_hours.covers(result.exact_mttdl_hours)
