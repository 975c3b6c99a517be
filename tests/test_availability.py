"""The closed forms of relcalc.availability against hand-computed values and invariants."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcalc import analyze, analyze_rates, budget, solve
from relcalc.availability import Calendar
from relcalc.errors import InputError
from relcalc.units import parse_probability


def test_hand_computed_component():
    # MTBF 2000 h, MTTR 4 h: A = 2000/2004, U = 4/2004, f = 1/2004 per hour
    r = analyze(2000.0, 4.0)
    assert r.availability == pytest.approx(2000 / 2004, rel=1e-15)
    assert r.unavailability == pytest.approx(4 / 2004, rel=1e-15)
    assert r.nines == pytest.approx(-np.log10(4 / 2004), rel=1e-15)
    assert r.failure_frequency_per_year == pytest.approx(8760 / 2004, rel=1e-15)
    assert r.downtime_hours("year") == pytest.approx(8760 * 4 / 2004, rel=1e-15)
    assert r.downtime_hours("month") == pytest.approx(730 * 4 / 2004, rel=1e-15)
    assert r.downtime_hours("day") == pytest.approx(24 * 4 / 2004, rel=1e-15)


def test_twelve_nines_keep_their_digits():
    # U = 1 / (10^12 + 1) exactly; 1 - A in floats would keep about 4 digits
    r = analyze(1e12, 1.0)
    exact = Fraction(1, 10**12 + 1)
    assert abs(Fraction(r.unavailability) - exact) / exact < 1e-15
    assert abs(Fraction(1.0 - r.availability) - exact) / exact > 1e-6  # why U is carried


def test_rates_match_times():
    r = analyze_rates(1 / 2000, 1 / 4)
    assert r.unavailability == pytest.approx(4 / 2004, rel=1e-14)
    assert r.mtbf_hours == pytest.approx(2000)


@pytest.mark.parametrize(
    "target, year_hours, month_minutes, week_minutes, day_seconds",
    [
        # The standard SLA table (365-day year, month = year/12): 99.9% allows
        # 8.76 h a year, 43.8 min a month, 10.08 min a week, 86.4 s a day.
        ("99.9%", 8.76, 43.8, 10.08, 86.4),
        ("99.99%", 0.876, 4.38, 1.008, 8.64),
        ("99.999%", 0.0876, 0.438, 0.1008, 0.864),
    ],
)
def test_budget_table(target, year_hours, month_minutes, week_minutes, day_seconds):
    r = budget(*parse_probability(target))
    assert r.downtime_hours("year") == pytest.approx(year_hours, rel=1e-12)
    assert r.downtime_hours("month") * 60 == pytest.approx(month_minutes, rel=1e-12)
    assert r.downtime_hours("week") * 60 == pytest.approx(week_minutes, rel=1e-12)
    assert r.downtime_hours("day") * 3600 == pytest.approx(day_seconds, rel=1e-12)


def test_julian_year():
    # 99.9% of a 365.25-day year is 8.766 h
    r = budget(*parse_probability("99.9%"), calendar=Calendar(365.25))
    assert r.downtime_hours("year") == pytest.approx(8.766, rel=1e-12)
    with pytest.raises(InputError, match="365 or 365.25"):
        Calendar(360)


def test_solve_largest_mttr_and_smallest_mtbf():
    a, u = parse_probability("99.99%")
    r = solve(a, u, mtbf_hours=2000.0)
    assert r.solved_for == "mttr"
    assert r.mttr_hours == pytest.approx(2000 * 1e-4 / 0.9999, rel=1e-14)
    r = solve(a, u, mttr_hours=1.0)
    assert r.solved_for == "mtbf"
    assert r.mtbf_hours == pytest.approx(0.9999 / 1e-4, rel=1e-14)
    with pytest.raises(InputError):
        solve(a, u)


@pytest.mark.parametrize("mtbf, mttr", [(-1, 1), (1, 0), (np.inf, 1), (1, np.nan)])
def test_bad_times(mtbf, mttr):
    with pytest.raises(InputError):
        analyze(mtbf, mttr)


def test_vectorised():
    r = analyze(np.array([1000.0, 2000.0]), np.array([1.0, 4.0]))
    assert r.unavailability.shape == (2,)
    assert r.unavailability[1] == pytest.approx(4 / 2004)


times = st.floats(min_value=1e-3, max_value=1e12, allow_nan=False, allow_infinity=False)
fractions = st.floats(min_value=1e-12, max_value=0.5, allow_nan=False)


@given(mtbf=times, mttr=times)
def test_a_plus_u_is_one(mtbf, mttr):
    r = analyze(mtbf, mttr)
    assert r.availability + r.unavailability == pytest.approx(1.0, abs=4e-16)


@given(mtbf=times, mttr=times, factor=st.floats(min_value=1.001, max_value=1e3))
def test_monotonic(mtbf, mttr, factor):
    base = analyze(mtbf, mttr).unavailability
    assert analyze(mtbf * factor, mttr).unavailability <= base
    assert analyze(mtbf, mttr * factor).unavailability >= base


@given(mtbf=times, u=fractions)
def test_inverse_round_trip(mtbf, u):
    r = solve(1.0 - u, u, mtbf_hours=mtbf)
    assert r.unavailability == pytest.approx(u, rel=1e-12)
    back = solve(1.0 - u, u, mttr_hours=r.mttr_hours)
    assert back.mtbf_hours == pytest.approx(mtbf, rel=1e-12)


_ANY_DURATION = st.floats(min_value=5e-324, max_value=1.7976931348623157e308, allow_nan=False, allow_infinity=False)


@given(_ANY_DURATION, _ANY_DURATION)
def test_every_accepted_input_gives_a_and_u_that_sum_to_one(mtbf, mttr):
    """Over the whole float range: either a clean InputError, or A and U correctly rounded (no overflow to 0)."""
    try:
        r = analyze(mtbf, mttr)
    except InputError:
        # refused only where a figure really is below the smallest normal float
        exact_u = Fraction(mttr) / (Fraction(mtbf) + Fraction(mttr))
        assert min(exact_u, 1 - exact_u) < Fraction(2.2250738585072014e-308)
        return
    exact_u = Fraction(mttr) / (Fraction(mtbf) + Fraction(mttr))  # exact rational reference
    assert 0 <= r.unavailability <= 1 and 0 <= r.availability <= 1
    assert abs(r.availability + r.unavailability - 1) <= 1e-15
    assert abs(Fraction(r.unavailability) - exact_u) <= exact_u * Fraction(2**-52)
    assert abs(Fraction(r.availability) - (1 - exact_u)) <= (1 - exact_u) * Fraction(2**-52)


def test_huge_durations_do_not_overflow_to_zero():
    """Issue 12: MTBF = MTTR = 1e308 h once gave A = U = 0 (the sum overflowed)."""
    r = analyze(1e308, 1e308)
    assert r.availability == 0.5 and r.unavailability == 0.5
    assert float(r.failure_frequency_per_hour) == pytest.approx(0.5 / 1e308, rel=1e-15, abs=0)  # 1 / (2e308)
    v = analyze(np.array([1e308, 2000.0]), np.array([1e308, 4.0]))
    assert v.unavailability.tolist() == [0.5, 4 / 2004]
