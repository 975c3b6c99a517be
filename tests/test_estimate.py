"""relcalc.estimate: timestamps, merging, chi-square MTBF limits, repair-law fits and trend tests.

Every figure is checked against maths the code does not use: scipy.stats
distributions recomputed here, closed forms, exact enumeration, and
published worked examples (cited at each test).
"""

import math
from datetime import datetime, timezone
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from relcalc.errors import InputError
from relcalc.estimate import estimate, fit_law, fit_repairs, mtbf_limits, parse_timestamp, read_history, trend_test
from relcalc.estimate.timestamps import parse_window, zone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def hours_of(*args, tz=timezone.utc):
    return (datetime(*args, tzinfo=tz) - EPOCH).total_seconds() / 3600


# --- timestamps --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-03-04T12:30:00Z", hours_of(2025, 3, 4, 12, 30)),
        ("2025-03-04T13:30:00+01:00", hours_of(2025, 3, 4, 12, 30)),
        ("2025-03-04 12:30", hours_of(2025, 3, 4, 12, 30)),
        ("2025/03/04 12:30:00", hours_of(2025, 3, 4, 12, 30)),
        ("2025-03-04 12:30:00 UTC", hours_of(2025, 3, 4, 12, 30)),
        ("2025-03-04 12:30:00 GMT", hours_of(2025, 3, 4, 12, 30)),
        ("2025-03-04 13:30:00 +0100", hours_of(2025, 3, 4, 12, 30)),
        ("2025-03-04 07:30:00.250 -05:00", hours_of(2025, 3, 4, 12, 30) + 0.25 / 3600),
        ("Tue, 04 Mar 2025 07:30:00 -0500", hours_of(2025, 3, 4, 12, 30)),
        ("04/Mar/25 12:30 PM", hours_of(2025, 3, 4, 12, 30)),
        ("04-Mar-2025 12:30", hours_of(2025, 3, 4, 12, 30)),
        ("1741091400", hours_of(2025, 3, 4, 12, 30)),
        ("1741091400000", hours_of(2025, 3, 4, 12, 30)),
    ],
)
def test_timestamp_formats(text, expected):
    # references: datetime arithmetic on the same instant written by hand
    assert parse_timestamp(text, "start") == pytest.approx(expected, abs=1e-9)


def test_naive_timestamps_take_the_zone_with_daylight_saving():
    paris = zone("Europe/Paris")
    # Paris is UTC+1 in winter and UTC+2 in summer (EU rule: last Sunday of March to last Sunday of October)
    assert parse_timestamp("2025-01-15 12:00", "start", paris) == pytest.approx(hours_of(2025, 1, 15, 11))
    assert parse_timestamp("2025-07-15 12:00", "start", paris) == pytest.approx(hours_of(2025, 7, 15, 10))
    # an explicit offset wins over the zone
    assert parse_timestamp("2025-07-15T12:00:00+00:00", "start", paris) == pytest.approx(hours_of(2025, 7, 15, 12))


def test_times_skipped_or_repeated_by_a_clock_change_are_refused():
    # EU rule (Directive 2000/84/EC): clocks go 02:00 -> 03:00 on 30 March 2025 and 03:00 -> 02:00 on
    # 26 October 2025; US rule (Energy Policy Act 2005): 02:00 -> 03:00 on 9 March 2025
    paris, new_york = zone("Europe/Paris"), zone("America/New_York")
    with pytest.raises(InputError, match="does not exist"):
        parse_timestamp("2025-03-30 02:30", "start", paris)
    with pytest.raises(InputError, match="happens twice"):
        parse_timestamp("2025-10-26 02:30", "start", paris)
    with pytest.raises(InputError, match="does not exist"):
        parse_timestamp("2025-03-09 02:30", "start", new_york)
    # either side of the change, and with an offset, the hour is read
    assert parse_timestamp("2025-03-30 03:30", "start", paris) == pytest.approx(hours_of(2025, 3, 30, 1, 30))
    assert parse_timestamp("2025-10-26 03:30", "start", paris) == pytest.approx(hours_of(2025, 10, 26, 2, 30))
    assert parse_timestamp("2025-10-26T02:30+01:00", "start", paris) == pytest.approx(hours_of(2025, 10, 26, 1, 30))


@pytest.mark.parametrize("text", ["03/04/2025 12:00", "3.4.2025", "yesterday", "2025-13-01", "", "nan"])
def test_bad_or_ambiguous_timestamps_are_refused(text):
    with pytest.raises(InputError, match="start"):
        parse_timestamp(text, "start")


def test_window_and_zone_errors():
    assert parse_window("2025-01-01..2025-01-02") == (hours_of(2025, 1, 1), hours_of(2025, 1, 2))
    for bad in ("2025-01-01", "2025-01-02..2025-01-01", "..2025-01-01", "a..b"):
        with pytest.raises(InputError, match="--window"):
            parse_window(bad)
    with pytest.raises(InputError, match="--tz"):
        zone("Mars/Olympus")


# --- reading and merging -------------------------------------------------------------------

COLUMNS = ["component", "start", "end"]


def rows(*triples):
    return [dict(zip(COLUMNS, t)) for t in triples]


def test_overlapping_touching_and_duplicate_incidents_merge():
    history = read_history(
        rows(
            ("db", "2025-01-10 00:00", "2025-01-10 02:00"),
            ("db", "2025-01-10 01:00", "2025-01-10 03:00"),  # overlaps row 1
            ("db", "2025-01-10 03:00", "2025-01-10 04:00"),  # touches the merged outage
            ("db", "2025-02-01 00:00", "2025-02-01 01:00"),
            ("db", "2025-02-01 00:00", "2025-02-01 01:00"),  # an exact duplicate
            ("web", "2025-02-01 00:30", "2025-02-01 01:00"),  # another component: not merged with db
        ),
        COLUMNS,
        window=parse_window("2025-01-01..2025-04-01"),
    )
    db = history.outages["db"]
    assert [o.rows for o in db] == [(1, 2, 3), (4, 5)]
    assert [o.duration_hours for o in db] == pytest.approx([4.0, 1.0])
    assert [m.rows for m in history.merges] == [(1, 2, 3), (4, 5)]
    assert len(history.outages["web"]) == 1


def test_many_copies_of_one_incident_are_one_failure():
    copies = 3000
    history = read_history(
        rows(*[("db", "2025-01-10 00:00", f"2025-01-10 0{1 + i % 5}:00") for i in range(copies)]),
        COLUMNS,
        window=parse_window("2025-01-01..2025-04-01"),
    )
    (outage,) = history.outages["db"]
    assert outage.rows == tuple(range(1, copies + 1)) and outage.duration_hours == pytest.approx(5.0)
    message = str(history.merges[0])
    assert f"({copies} rows)" in message and len(message) < 200


@pytest.mark.parametrize("columns", [["component", "start", "end", "end.1"], ["component", "Start", "start", "end"]])
def test_a_repeated_column_is_refused(columns):
    # pandas names a repeated header "end" as "end.1"; "Start" and "start" are the same column to us
    records = [dict(zip(columns, ("db", "2025-01-10 00:00", "2025-01-10 01:00", "2025-01-10 02:00")))]
    with pytest.raises(InputError, match="appears twice"):
        read_history(records, columns, window=parse_window("2025-01-01..2025-04-01"))


def test_row_errors_name_their_rows():
    history = read_history(
        rows(
            ("db", "2025-01-10 00:00", "2025-01-10 02:00"),
            ("db", "2024-12-31 00:00", "2024-12-31 02:00"),  # before the window
            ("db", "2025-01-12 05:00", "2025-01-12 04:00"),  # ends before it starts
            ("db", "03/04/2025 10:00", "2025-01-12 04:00"),  # ambiguous date
            ("", "2025-01-12 05:00", "2025-01-12 06:00"),  # no component
            ("db", "2025-03-31 23:00", "2025-04-01 01:00"),  # runs past the window
            ("db", None, None),  # a declaration: no error
        ),
        COLUMNS,
        window=parse_window("2025-01-01..2025-04-01"),
    )
    assert [e.row for e in history.errors] == [2, 3, 4, 5, 6]
    messages = [str(e) for e in history.errors]
    assert "outside the observation window" in messages[0]
    assert "before the start" in messages[1]
    assert "ambiguous" in messages[2]
    assert "after the observation window" in messages[4]
    assert len(history.outages["db"]) == 1


def test_durations_and_window_columns():
    columns = ["service", "started_at", "duration", "window_start", "window_end"]
    records = [
        dict(zip(columns, ("api", "2025-01-05T10:00:00Z", "90min", "2025-01-01", "2025-02-01"))),
        dict(zip(columns, ("api", "2025-01-06T10:00:00Z", "2", "2025-01-01", "2025-02-01"))),  # plain number: hours
        dict(zip(columns, ("api", "2025-01-07T10:00:00Z", "1h", "2025-01-01", "2025-03-01"))),  # another window
    ]
    history = read_history(records, columns)
    assert [o.duration_hours for o in history.outages["api"]] == pytest.approx([1.5, 2.0])
    assert [e.row for e in history.errors] == [3]
    assert history.windows["api"] == (hours_of(2025, 1, 1), hours_of(2025, 2, 1))


def test_missing_columns_and_window_are_refused():
    with pytest.raises(InputError, match="component column"):
        read_history([{"start": "2025-01-01"}], ["start", "end"], window=(0.0, 1.0))
    with pytest.raises(InputError, match="--window"):
        read_history(rows(("db", "2025-01-10", "2025-01-11")), COLUMNS)


# --- MTBF limits --------------------------------------------------------------------------


@pytest.mark.parametrize("r", [1, 2, 7, 40])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
def test_chi_square_limits(r, confidence):
    T = 12_345.0
    result = mtbf_limits(r, T, confidence)
    alpha = 1 - confidence
    # MIL-HDBK-781A 5.9, time-truncated: 2T/chi2(1-a/2; 2r+2) and 2T/chi2(a/2; 2r), recomputed here
    assert result.mtbf_low_hours == pytest.approx(2 * T / stats.chi2.ppf(1 - alpha / 2, 2 * r + 2), rel=1e-12)
    assert result.mtbf_high_hours == pytest.approx(2 * T / stats.chi2.ppf(alpha / 2, 2 * r), rel=1e-12)
    assert result.mtbf_hours == T / r
    # the same limits by another road: at the lower limit, r or fewer failures in T has probability alpha/2
    # (Poisson counts), at the upper limit r or more failures has probability alpha/2
    assert stats.poisson.cdf(r, T / result.mtbf_low_hours) == pytest.approx(alpha / 2, rel=1e-9)
    assert stats.poisson.sf(r - 1, T / result.mtbf_high_hours) == pytest.approx(alpha / 2, rel=1e-9)


@pytest.mark.parametrize("confidence", [0.6, 0.9, 0.99])
def test_zero_failures_one_sided_closed_form(confidence):
    T = 8760.0
    result = mtbf_limits(0, T, confidence)
    # no failures in T: P(0 failures) = exp(-T/L) = 1 - confidence, so L = T / ln(1 / (1 - confidence))
    assert result.mtbf_low_hours == pytest.approx(T / -math.log(1 - confidence), rel=1e-12)
    assert result.mtbf_hours is None and result.mtbf_high_hours is None


# --- repair-law fits ----------------------------------------------------------------------

REPAIRS = np.array([0.4, 0.7, 1.1, 1.3, 2.0, 2.2, 3.1, 4.8, 6.5, 9.0])


def test_exponential_and_lognormal_mle_match_closed_forms():
    expo = fit_law("exponential", REPAIRS)
    assert expo.parameters["scale"] == pytest.approx(REPAIRS.mean(), rel=1e-9)  # MLE of the mean is the mean
    assert expo.log_likelihood == pytest.approx(-len(REPAIRS) * (math.log(REPAIRS.mean()) + 1), rel=1e-12)
    logn = fit_law("lognormal", REPAIRS)
    logs = np.log(REPAIRS)
    # lognormal MLE: mu = mean(log x), sigma = sqrt(mean((log x - mu)^2)) (the biased form)
    assert logn.parameters["scale"] == pytest.approx(math.exp(logs.mean()), rel=1e-6)
    assert logn.parameters["s"] == pytest.approx(math.sqrt(np.mean((logs - logs.mean()) ** 2)), rel=1e-6)
    assert logn.mean_hours == pytest.approx(math.exp(logs.mean() + np.var(logs) / 2), rel=1e-6)
    assert logn.aic == pytest.approx(4 - 2 * logn.log_likelihood)


def test_weibull_mle_published_example():
    # Kececioglu's six units (93, 34, 16, 120, 53, 75 h); MLE beta = 1.933, eta = 73.526
    # (ReliaWiki / ReliaSoft Life Data Analysis Reference, "Weibull Parameter Estimation", MLE example)
    fit = fit_law("weibull", np.array([93.0, 34, 16, 120, 53, 75]))
    assert fit.parameters["c"] == pytest.approx(1.933, abs=5e-4)
    assert fit.parameters["scale"] == pytest.approx(73.526, abs=5e-4)


def test_exponential_mttr_interval_is_exact():
    rng = np.random.default_rng(3)
    x = rng.exponential(2.0, size=12)
    fit = fit_repairs(x[:2], confidence=0.9)  # two repairs: exponential only
    assert fit.law == "exponential"
    total, n = x[:2].sum(), 2
    # the sum of n exponential repairs is Gamma(n, theta): theta's limits are sum / gamma quantiles
    assert fit.mttr_low_hours == pytest.approx(total / stats.gamma.ppf(0.95, n), rel=1e-9)
    assert fit.mttr_high_hours == pytest.approx(total / stats.gamma.ppf(0.05, n), rel=1e-9)


def test_aic_picks_the_generating_law_and_says_how_sure():
    rng = np.random.default_rng(11)
    x = rng.lognormal(1.0, 1.2, size=200)
    fit = fit_repairs(x, confidence=0.9, rng=1)
    assert fit.law == "lognormal"
    assert {c.law for c in fit.candidates} == {"exponential", "lognormal", "weibull"}
    assert "KS D" in fit.fit_statement and fit.ks_p_value > 0.01
    # the generalized confidence interval covers the true mean exp(1 + 1.2^2/2) here
    assert fit.mttr_low_hours < math.exp(1 + 0.72) < fit.mttr_high_hours


def test_aicc_and_no_two_parameter_law_from_three_repairs():
    # AICc = AIC + 2k(k+1)/(n-k-1) (Burnham & Anderson 2002, eq. 2.14 of section 2.4), recomputed here
    fit = fit_repairs(REPAIRS, rng=1)
    for cand in fit.candidates:
        k = 1 if cand.law == "exponential" else 2
        n = len(REPAIRS)
        assert cand.aicc == pytest.approx(cand.aic + 2 * k * (k + 1) / (n - k - 1), rel=1e-12)
    assert fit.law == min(fit.candidates, key=lambda c: c.aicc).law
    # three nearly equal repairs: plain AIC prefers a steep Weibull (its likelihood is far higher) and its
    # delta-method interval is a few percent wide; with AICc two parameters need 4 repairs, so the law is
    # exponential and the interval the exact chi-square one
    x = np.array([1.0, 1.1, 1.2])
    weibull = fit_law("weibull", x)
    assert weibull.aic < fit_law("exponential", x).aic and weibull.aicc == math.inf
    three = fit_repairs(x, rng=1)
    assert three.law == "exponential" and len(three.candidates) == 1
    assert three.mttr_high_hours == pytest.approx(2 * x.sum() / stats.chi2.ppf(0.05, 6), rel=1e-9)


def test_lognormal_mean_interval_against_numerical_integration():
    # Krishnamoorthy & Mathew (2003): the pivotal quantity of log mean is ybar - Z sigma/sqrt(n) + sigma^2/2
    # with sigma^2 = (n-1)s^2/U, U ~ chi2(n-1); its distribution is integrated here over U with scipy.integrate
    # (no draws) and the quantiles are solved for, against the 20,000 seeded draws of the code
    from scipy import integrate, optimize

    from relcalc.estimate.repair import lognormal_mean_gci

    x = np.array([0.3, 0.8, 1.1, 2.5, 4.0, 9.0])
    logs = np.log(x)
    n, ybar, s2 = len(x), logs.mean(), logs.var(ddof=1)

    def cdf(t):
        def given_u(u):
            sigma2 = (n - 1) * s2 / u
            return stats.norm.cdf((t - ybar - sigma2 / 2) / math.sqrt(sigma2 / n)) * stats.chi2.pdf(u, n - 1)
        return integrate.quad(given_u, 0, np.inf, limit=200)[0]  # P(ybar - Z sd + .. <= t), Z symmetric

    low, high = lognormal_mean_gci(x, 0.90)
    for limit, q in ((low, 0.05), (high, 0.95)):
        exact = optimize.brentq(lambda t: cdf(t) - q, math.log(limit) - 0.5, math.log(limit) + 0.5, xtol=1e-4)
        assert math.log(limit) == pytest.approx(exact, abs=0.03 * abs(exact) + 0.02)


def test_lognormal_mean_interval_covers_as_claimed_with_few_repairs():
    # Krishnamoorthy & Mathew (2003) report near-nominal coverage from n = 5; seeded check at n = 6
    from relcalc.estimate.repair import lognormal_mean_gci

    rng = np.random.default_rng(14)
    reps, covered, truth = 200, 0, math.exp(1.0 + 1.0 / 2)
    for _ in range(reps):
        low, high = lognormal_mean_gci(rng.lognormal(1.0, 1.0, 6), 0.90)
        covered += low <= truth <= high
    slack = 4 * math.sqrt(0.9 * 0.1 / reps)
    assert 0.9 - slack <= covered / reps <= 0.9 + slack


def test_weibull_mean_profile_interval_against_a_likelihood_grid():
    # the profile likelihood of the mean (Meeker & Escobar 1998, 8.3) by brute force: the Weibull
    # log-likelihood written out on a grid of (log shape, log mean), maximised over the shape for each mean
    from relcalc.estimate.repair import mean_interval

    fit = fit_law("weibull", REPAIRS)
    low, high, how = mean_interval(fit, REPAIRS, 0.90)
    assert "profile likelihood" in how
    log_c = math.log(fit.parameters["c"]) + np.linspace(-1.5, 1.5, 601)[:, None]
    log_m = math.log(fit.mean_hours) + np.linspace(-1.5, 1.5, 1201)[None, :]
    c = np.exp(log_c)
    scale = np.exp(log_m) / np.exp([[math.lgamma(1 + 1 / v) for v in c[:, 0]]]).T
    logl = sum(np.log(c / scale) + (c - 1) * np.log(x / scale) - (x / scale) ** c for x in REPAIRS)
    profile = logl.max(axis=0)
    inside = log_m[0][profile.max() - profile <= stats.chi2.ppf(0.90, 1) / 2]
    step = 3.0 / 1200
    assert math.log(low) == pytest.approx(inside.min(), abs=2 * step)
    assert math.log(high) == pytest.approx(inside.max(), abs=2 * step)


# --- trend tests --------------------------------------------------------------------------

NIST_TIMES = [5, 40, 43, 175, 389, 712, 747, 795, 1299, 1478]


def test_crow_amsaa_nist_case_study():
    # NIST/SEMATECH e-Handbook of Statistical Methods, 8.4.2.1 and case study 8.4.2 (reliability improvement
    # test, 10 failures, test ended at 1500 h): unbiased beta = 0.4835 (b = 1 - 0.516494), MTBF at 1500 h = 310.2 h
    result = trend_test(NIST_TIMES, 1500.0)
    assert result.crow_beta_unbiased == pytest.approx(0.483506, abs=1e-6)
    assert result.instantaneous_mtbf_hours == pytest.approx(310.234, abs=1e-3)
    assert result.crow_beta == pytest.approx(10 / 9 * 0.483506, abs=1e-6)
    # MIL-HDBK-189 test: 2 sum ln(T/t_i) = 37.23 on 2r = 20 degrees of freedom (NIST 8.2.3.4)
    assert result.mil_hdbk_189_chi2 == pytest.approx(37.23, abs=5e-3)
    assert result.mil_hdbk_189_p_value == pytest.approx(2 * stats.chi2.sf(37.228, 20), rel=1e-3)
    assert "less frequent" in result.verdict


def irwin_hall_cdf(x: Fraction, n: int) -> float:
    """P(sum of n uniforms on [0, 1] <= x), exactly (Irwin 1927; Hall 1927)."""
    total = sum((-1) ** k * math.comb(n, k) * (x - k) ** n for k in range(0, math.floor(x) + 1))
    return float(total / math.factorial(n))


@pytest.mark.parametrize("times", [NIST_TIMES, [100, 300, 500, 900, 1200, 1300, 1400, 1450, 1480, 1490]])
def test_laplace_p_value_against_the_exact_uniform_sum(times):
    # under a constant rate the r failure times are uniform on [0, T]; their sum over T is Irwin-Hall(r),
    # so the exact two-sided p-value is available, and the normal approximation must be close at r = 10
    T, r = 1500, len(times)
    result = trend_test(times, float(T))
    s = Fraction(sum(times), T)
    lower = irwin_hall_cdf(s, r)
    exact = 2 * min(lower, 1 - lower)
    assert result.laplace_p_value == pytest.approx(exact, abs=0.01)
    assert (result.laplace_u > 0) == (float(s) > r / 2)


def test_too_few_failures_for_a_trend():
    assert trend_test([10.0, 20.0], 100.0).laplace_u is None
    assert "too few" in trend_test([], 100.0).verdict


# --- the whole estimate ---------------------------------------------------------------------


def test_estimate_figures_and_zero_failure_component():
    records = rows(
        ("db", "2025-01-10 00:00", "2025-01-10 02:00"),
        ("db", "2025-02-10 00:00", "2025-02-10 06:00"),
        ("db", "2025-03-10 00:00", "2025-03-10 01:00"),
        ("lb", None, None),
    )
    window = parse_window("2025-01-01..2025-04-01")
    result = estimate(read_history(records, COLUMNS, window=window), confidence=0.9, rng=1)
    db, lb = result.component("db"), result.component("lb")
    hours = window[1] - window[0]  # 90 days
    assert db.failures == 3 and db.downtime_hours == pytest.approx(9.0)
    assert db.observed_unavailability == pytest.approx(9.0 / hours)
    assert db.mtbf_hours == pytest.approx((hours - 9.0) / 3)
    assert db.mttr_hours == pytest.approx(3.0)
    assert lb.failures == 0 and lb.mtbf_hours is None
    assert lb.mtbf_low_hours == pytest.approx(hours / math.log(10))  # one-sided 90%: T / ln(1/0.1)
    with pytest.raises(InputError, match="nope"):
        result.component("nope")


@pytest.mark.parametrize("law, dist", [("exponential", stats.expon), ("lognormal", stats.lognorm),
                                       ("weibull", stats.weibull_min)])
def test_vectorised_refits_and_ks_distance_match_scipy(law, dist):
    from relcalc.estimate.repair import ks_distance, refit

    rng = np.random.default_rng(5)
    samples = rng.lognormal(0.5, 0.8, size=(4, 15))
    params = refit(law, samples)
    distances = ks_distance(law, np.sort(samples, axis=1), params)
    for i, row in enumerate(samples):
        fitted = dist.fit(row, floc=0)  # scipy's own optimiser, the independent reference
        ours = [params[k][i] for k in ("c", "s") if k in params] + [params["scale"][i]]
        assert ours == pytest.approx([v for j, v in enumerate(fitted) if j != len(fitted) - 2], rel=1e-4)
        assert distances[i] == pytest.approx(stats.kstest(row, dist(*fitted).cdf).statistic, rel=1e-4)


def test_no_up_time_gives_no_mtbf():
    result = mtbf_limits(1, 0.0, 0.9)
    assert result.mtbf_hours is None and result.mtbf_high_hours is None and result.mtbf_low_hours == 0.0


def test_a_large_history_skips_every_bootstrap_but_states_the_distances(monkeypatch):
    # the bootstrap costs GOF_SAMPLES refits per repair of the whole history, so past GOF_MAX_HISTORY
    # repairs (lowered here to keep the test small) no component gets a p-value, whatever its own size
    import relcalc.estimate.repair as repair

    monkeypatch.setattr(repair, "GOF_MAX_HISTORY", 10)
    rng = np.random.default_rng(2)
    records, t = [], 0.0
    for _ in range(12):
        t += float(rng.uniform(20, 200))
        records.append({"component": "db", "start": str(1735689600 + int(t * 3600)), "duration": f"{rng.lognormal(0, 1):.4f}h"})
    history = read_history(records, ["component", "start", "duration"], window=parse_window("2025-01-01..2026-01-01"))
    (db,) = estimate(history, rng=1).components
    assert "no bootstrap p-value" in db.repair_fit and "KS D" in db.repair_fit


def test_large_repair_samples_skip_the_bootstrap_but_state_the_distance():
    from relcalc.estimate.repair import GOF_MAX_REPAIRS

    x = np.random.default_rng(8).exponential(1.0, size=GOF_MAX_REPAIRS + 1)
    fit = fit_repairs(x, rng=1)
    assert fit.ks_p_value is None and fit.ks_statistic is not None
    best = next(c for c in fit.candidates if c.law == fit.law)
    dist = {"exponential": stats.expon, "lognormal": stats.lognorm, "weibull": stats.weibull_min}[fit.law]
    params = [v for k, v in best.parameters.items() if k != "scale"]
    assert fit.ks_statistic == pytest.approx(
        stats.kstest(x, dist(*params, scale=best.parameters["scale"]).cdf).statistic, rel=1e-9)


@pytest.mark.parametrize("law, draw, true_mean, reps", [
    ("lognormal", lambda rng, n: rng.lognormal(1.0, 0.8, n), math.exp(1.0 + 0.32), 200),
    ("weibull", lambda rng, n: 3.0 * rng.weibull(1.5, n), 3.0 * math.gamma(1 + 1 / 1.5), 150),
])
def test_approximate_mttr_intervals_cover_as_claimed(law, draw, true_mean, reps):
    # the generalized interval and the profile likelihood are approximations: check that their 90% intervals cover the true
    # mean about 90% of the time at n = 30 (seeded; 4 binomial standard errors of slack)
    from relcalc.estimate.repair import LawFit, mean_interval, refit

    rng = np.random.default_rng(12)
    samples = np.array([draw(rng, 30) for _ in range(reps)])
    fitted = refit(law, samples)  # the maximum-likelihood fits, all at once (checked against scipy above)
    covered = 0
    for i, x in enumerate(samples):
        params = {k: float(v[i]) for k, v in fitted.items()}
        shape = params.get("c", params.get("s"))
        mean = (params["scale"] * math.gamma(1 + 1 / shape) if law == "weibull"
                else params["scale"] * math.exp(shape**2 / 2))
        low, high, _ = mean_interval(LawFit(law, params, 0.0, 0.0, mean), x, 0.90)
        covered += low <= true_mean <= high
    slack = 4 * math.sqrt(0.9 * 0.1 / reps)
    assert 0.9 - slack <= covered / reps <= 0.9 + slack
