"""Parsing and formatting of durations, rates and probabilities."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcalc.errors import InputError
from relcalc.units import (
    DURATION_UNITS,
    format_duration,
    format_percent,
    parse_duration,
    parse_probability,
    parse_rate_per_hour,
    probability_from_nines,
)


@pytest.mark.parametrize(
    "text, hours",
    [
        ("4", 4.0),
        ("1.5h", 1.5),
        ("90min", 1.5),
        ("2 d", 48.0),
        ("3600s", 1.0),
        ("1w", 168.0),
        ("1y", 8760.0),
        ("1e12h", 1e12),
        ("  30 MIN ", 0.5),
        (".5h", 0.5),
        ("250ms", 250e-3 / 3600),
    ],
)
def test_parse_duration(text, hours):
    assert parse_duration(text) == pytest.approx(hours, rel=1e-15)


def test_parse_duration_year_length():
    assert parse_duration("1y", year_days=365.25) == 8766.0


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("-5h", "must be positive"),
        ("0", "must be positive"),
        ("5x", "unknown unit 'x'"),
        ("h", "cannot read"),
        ("", "cannot read"),
        ("1e999h", "must be finite"),
        ("nan", "cannot read"),
        ("inf", "cannot read"),
    ],
)
def test_parse_duration_rejects(text, fragment):
    with pytest.raises(InputError, match=fragment) as err:
        parse_duration(text, "--mttr")
    assert "--mttr" in str(err.value)


def test_parse_duration_rejects_non_finite_numbers():
    with pytest.raises(InputError, match="finite"):
        parse_duration(math.inf, "--mtbf")
    with pytest.raises(InputError, match="finite"):
        parse_duration(math.nan, "--mtbf")


@pytest.mark.parametrize(
    "text, per_hour",
    [
        ("0.0005", 5e-4),
        ("500 FIT", 5e-7),
        ("500fit", 5e-7),
        ("2/y", 2 / 8760),
        ("0.5/d", 0.5 / 24),
        ("3 / h", 3.0),
    ],
)
def test_parse_rate(text, per_hour):
    assert parse_rate_per_hour(text) == pytest.approx(per_hour, rel=1e-15)


@pytest.mark.parametrize("text", ["-1/h", "0 FIT", "3/parsec", "fast"])
def test_parse_rate_rejects(text):
    with pytest.raises(InputError):
        parse_rate_per_hour(text, "--failure-rate")


def test_percent_complement_is_exact():
    # 1 - 0.999999 in floats is 1.0000000000287557e-06; the decimal parse is exact.
    a, u = parse_probability("99.9999%")
    assert u == 1e-6
    assert a == 0.999999
    assert parse_probability("0.9995")[1] == 0.0005
    assert parse_probability("99.9999999999%")[1] == 1e-12


@pytest.mark.parametrize("text", ["100%", "0%", "1", "0", "1.5", "-0.1", "abc", "99.9", "nan"])
def test_probability_outside_open_interval(text):
    with pytest.raises(InputError):
        parse_probability(text, "--target")


def test_nines():
    a, u = probability_from_nines(4.5)
    assert u == pytest.approx(10**-4.5, rel=1e-15)
    with pytest.raises(InputError):
        probability_from_nines(0)


@pytest.mark.parametrize(
    "hours, text",
    [
        (0.876, "52m 34s"),  # 99.99% of a 365-day year
        (8.76, "8h 45m 36s"),  # 99.9% of a 365-day year
        (49.5, "2d 1h 30m"),
        (0.012, "43.2s"),
        (1 / 3600 / 4, "250ms"),
        (0.0, "0s"),
    ],
)
def test_format_duration(hours, text):
    assert format_duration(hours) == text


def test_format_percent_shows_every_nine():
    assert format_percent(1 - 1e-12, 1e-12) == "99.999999999900%"
    assert format_percent(0.999, 0.001) == "99.900%"
    assert format_percent(0.5, 0.5) == "50.0%"


units = st.sampled_from(sorted(DURATION_UNITS))


@given(value=st.floats(min_value=1e-3, max_value=1e9, allow_nan=False), unit=units, space=st.booleans())
def test_duration_round_trip(value, unit, space):
    text = f"{value!r}{' ' if space else ''}{unit}"
    assert parse_duration(text) == pytest.approx(value * DURATION_UNITS[unit], rel=1e-15)


@given(digits=st.integers(min_value=1, max_value=14), last=st.integers(min_value=1, max_value=9))
def test_percent_round_trip(digits, last):
    # "99.9...9d%" with `digits` decimals: U = (10 - d) * 10^-(digits + 2) exactly
    text = "99." + "9" * (digits - 1) + str(last) + "%"
    a, u = parse_probability(text)
    exact = (10 - last) * 10.0 ** -(digits + 2)
    assert u == pytest.approx(exact, rel=1e-15)
