"""Parsing and formatting of quantities, and the one grammar through every entry point."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcalc.errors import InputError
from relcalc.units import (
    DURATION_UNITS,
    format_duration,
    format_percent,
    parse_count,
    parse_duration,
    parse_number,
    parse_probability,
    parse_rate_per_hour,
    parse_request_rate,
    parse_share,
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


# --- one grammar for every quantity -------------------------------------------------------------


PARSERS = {
    "duration": lambda v: parse_duration(v, "--mttr"),
    "seconds": lambda v: parse_duration(v, "--mttr", plain_unit="s", result_unit="s"),
    "milliseconds": lambda v: parse_duration(v, "--mttr", plain_unit="ms", allow_zero=True),
    "event rate": lambda v: parse_rate_per_hour(v, "--mttr"),
    "request rate": lambda v: parse_request_rate(v, "--mttr"),
    "probability": lambda v: parse_probability(v, "--mttr"),
    "share": lambda v: parse_share(v, "--mttr", allow_zero=True),
    "count": lambda v: parse_count(v, "--mttr", low=0),
    "number": lambda v: parse_number(v, "--mttr", low=0),
}
#: Spellings every parser refuses, with a fragment of the message where it is the same for all.
BAD = [("1_000", "underscores"), ("1_000h", "underscores"), ("１２", "ASCII"), ("٣h", "ASCII"), ("nan", "cannot read"),
       ("inf", "cannot read"), ("-inf", "cannot read"), ("", "cannot read"), ("  ", "cannot read"),
       ("True", "cannot read"), (True, "expected"), (False, "expected"), (None, "expected"), (math.nan, "finite"),
       (math.inf, "finite"), ("-5", None), (-5, None), ("0x10", None), ("1:30", None)]


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize("value, fragment", BAD)
def test_every_parser_refuses_the_same_spellings(kind, value, fragment):
    with pytest.raises(InputError, match=fragment) as err:
        PARSERS[kind](value)
    assert "--mttr" in str(err.value)


@pytest.mark.parametrize(
    "kind, text, value",
    [
        ("seconds", "2", 2.0),  # a plain number in the result's unit is taken as is
        ("seconds", "40ms", 40 * (1e-3 / 3600) * 3600.0),  # as capacity computed it: via hours
        ("seconds", "1min", 60.0),
        ("milliseconds", "150", 150 * 1e-3 / 3600),
        ("milliseconds", "0", 0.0),
        ("milliseconds", "0ms", 0.0),
        ("milliseconds", "1s", 1 / 3600),
        ("request rate", "12k", 12000.0),
        ("request rate", "720k/min", 12000.0),
        ("request rate", "43.2M/h", 12000.0),
        ("request rate", "7.5K per s", 7500.0),
        ("request rate", "5 req/s", 5.0),
        ("request rate", "1 per minute", 1 / 60),
        ("share", "0.7%", 0.7 / 100),  # read as floats, as before (not 0.007 exactly)
        ("share", "0", 0.0),
        ("share", 1, 1.0),
        ("count", "3", 3),
        ("count", 3.0, 3),  # CSV readers give 3.0 for 3 in a column with blanks
        ("count", "1e3", 1000),
        ("count", "+7", 7),
        ("number", "1.3", 1.3),
        ("number", ".5", 0.5),
        ("event rate", "3 per d", 3 / 24),
    ],
)
def test_good_spellings(kind, text, value):
    assert PARSERS[kind](text) == value


def test_counts_are_exact_and_bounded():
    assert parse_count("12345678901234567890", "raft.seed", low=0, high=2**64 - 1) == 12345678901234567890
    with pytest.raises(InputError, match="<= 1,000,000,000"):
        parse_count("1e10", "--nodes")
    with pytest.raises(InputError, match="whole number, got '2.5'"):
        parse_count("2.5", "--nodes")
    with pytest.raises(InputError, match=">= 1"):
        parse_count(0, "--nodes")
    with pytest.raises(InputError, match="<= 1,000,000,000"):
        parse_count("1e999999999", "--nodes")  # refused before building a billion-digit int
    assert parse_count(-2, "k", low=None) == -2


def test_zero_shares_and_durations_only_where_allowed():
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        parse_share("0%", "--target-utilization")
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        parse_share("101%", "--common-cause", allow_zero=True)
    with pytest.raises(InputError, match="must be positive"):
        parse_duration("0", "--mttr")
    with pytest.raises(InputError, match="zero or positive"):
        parse_duration("-1", "--rtt", plain_unit="ms", allow_zero=True)


# --- the same through every entry point -------------------------------------------------------

CLI_BAD = ["1_000", "１２", "nan", "inf", "", "True", "-5"]


@pytest.mark.parametrize("spelling", CLI_BAD)
@pytest.mark.parametrize(
    "command, name",
    [
        (["availability", "--mttr", "4h", "--mtbf"], "--mtbf"),
        (["availability", "--target", "99.9%", "--year-days"], "--year-days"),
        (["availability", "--target-nines"], "--target-nines"),
        (["capacity", "--node-throughput", "800", "-r"], "--rate"),
        (["capacity", "-r", "12k", "--node-throughput", "800", "--target-utilization"], "--target-utilization"),
        (["simulate", "raft", "--nodes"], "--nodes"),
        (["simulate", "raft", "--rtt"], "--rtt"),
        (["compose", "a", "-c", "a=1h/1h", "--top"], "--top"),
    ],
)
def test_cli_options_refuse_the_same_spellings(run, command, name, spelling):
    result = run(*command, spelling)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert name in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("spelling", CLI_BAD)
def test_compose_component_option_refuses_the_same_spellings(run, spelling):
    result = run("compose", "a", "-c", f"a={spelling}/1h")
    assert result.exit_code == 2 and "--component a.mtbf" in result.stderr


@pytest.mark.parametrize("spelling", CLI_BAD)
def test_availability_csv_cells_refuse_the_same_spellings(run, spelling):
    result = run("availability", "--csv", "-", "--on-error", "fail", input=f"name,mtbf,mttr\nx,{spelling},4h\n")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "row 1: mtbf" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("spelling", CLI_BAD)
def test_capacity_csv_cells_refuse_the_same_spellings(run, spelling):
    result = run("capacity", "--csv", "-", "--on-error", "fail", input=f"name,rate,concurrency,service_time\nx,1k,{spelling},10ms\n")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "row 1:" in result.stderr and "concurrency" in result.stderr


def test_csv_text_that_pandas_would_read_as_missing_or_boolean_is_refused(run):
    # a column of true/false is Boolean to pandas and NaN/NA are missing to it by default
    for text, fragment in [("name,mtbf,mttr\nx,True,4h\n", "'True'"), ("name,mtbf,mttr\nx,NA,4h\ny,nan,4h\n", "'NA'")]:
        result = run("availability", "--csv", "-", "--on-error", "fail", input=text)
        assert result.exit_code == 2 and fragment in result.stderr, result.stderr
    result = run("capacity", "--csv", "-", "--on-error", "fail", input="name,rate,node_throughput,sessions\nx,1k,100,True\n")
    assert result.exit_code == 2 and "sessions" in result.stderr
    # a pass-through column keeps what was written
    result = run("availability", "--csv", "-", "-f", "json", input="name,mtbf,mttr\nNA,2000h,4h\n")
    assert json.loads(result.stdout)[0]["name"] == "NA"


#: YAML spellings: quoted text, and plain scalars YAML 1.1 would read as numbers (1_000 as 1000, 010 as 8).
YAML_BAD = ['"1_000"', "1_000", "１２", '"１２"', "nan", ".nan", "inf", ".inf", "-.inf", "true", "no", '""',
            "-5", '"-5h"', "0x10", "1:30"]
SERVICE = "service: s\ntargets: {{availability: 99%}}\ncomponents: {{a: {{mtbf: {a}, mttr: 1h}}}}\nsystem: a\n{extra}"


@pytest.mark.parametrize("spelling", YAML_BAD)
@pytest.mark.parametrize(
    "extra, name",
    [
        ("", "components.a.mtbf"),
        ("raft: {{mttr: {x}}}\n", "raft.mttr"),
        ("raft: {{nodes: {x}}}\n", "raft.nodes"),
        ("capacity: {{rate: 1k, node_throughput: {x}}}\n", "capacity.node_throughput"),
        ("capacity: {{rate: 1k, node_throughput: 100, concurrency: {x}}}\n", "capacity.concurrency"),
    ],
)
def test_report_spec_values_refuse_the_same_spellings(extra, name, spelling):
    from relcalc.report import load_service

    text = SERVICE.format(a=spelling if name.startswith("components") else "1000h", extra=extra.format(x=spelling))
    with pytest.raises(InputError) as err:
        load_service(text, "svc.yaml")
    assert name in str(err.value)


@pytest.mark.parametrize("spelling", YAML_BAD)
@pytest.mark.parametrize("key", ["mtbf", "count", "weibull_shape", "failure_rate"])
def test_compose_spec_values_refuse_the_same_spellings(key, spelling):
    from relcalc.rbd.spec import load_spec_text, system_from_mapping

    params = {"mtbf": "1000h", "mttr": "1h", key: spelling}
    if key == "failure_rate":
        del params["mtbf"]
    body = ", ".join(f"{k}: {v}" for k, v in params.items())
    with pytest.raises(InputError) as err:
        system_from_mapping(load_spec_text(f"components: {{a: {{{body}}}}}\nsystem: a\n"))
    assert f"components.a.{key}" in str(err.value)


def test_compose_spec_value_is_a_one_line_exit_2(run):
    result = run("compose", "-", input="components: {a: {mtbf: 1_000, mttr: 1h}}\nsystem: a\n")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "components.a.mtbf: cannot read '1_000'; write numbers without underscores" in result.stderr


GOOD_DURATIONS = [("1.5h", 1.5), ("90min", 1.5), ("2 d", 48.0), (".5h", 0.5), ("1e3", 1000.0), ("3600s", 1.0),
                  ("2000", 2000.0), ("1y", 8760.0), ("1 WEEK", 168.0)]


@pytest.mark.parametrize("text, hours", GOOD_DURATIONS)
def test_good_durations_give_the_same_hours_everywhere(run, text, hours):
    from relcalc.rbd.spec import load_spec_text, system_from_mapping
    from relcalc.report import load_service

    cli = run("availability", "--mtbf", text, "--mttr", "4h", "-f", "json")
    assert json.loads(cli.stdout)["mtbf_hours"] == hours
    batch = run("availability", "--csv", "-", "-f", "json", input=f"name,mtbf,mttr\nx,{text},4h\ny,2000,4h\n")
    assert json.loads(batch.stdout)[0]["mtbf_hours"] == hours
    spec = system_from_mapping(load_spec_text(f"components: {{a: {{mtbf: {text}, mttr: 4h}}}}\nsystem: a\n"))
    assert spec.components["a"].mtbf_hours == hours
    service = load_service(SERVICE.format(a="1000h", extra=f"raft: {{mtbf: {text}}}\n"))
    assert service.raft.ttf.mean == hours


def test_yaml_numbers_follow_the_grammar():
    from relcalc.rbd.spec import load_spec_text

    data = load_spec_text("a: 010\nb: 1e3\nc: 1_000\nd: 1:30\ne: 0x10\nf: -5\ng: .5\nh: yes\n")
    assert data == {"a": 10, "b": 1000.0, "c": "1_000", "d": "1:30", "e": "0x10", "f": -5, "g": 0.5, "h": True}


def test_batch_fast_path_reads_cells_as_the_parser_does():
    # the vectorised pass (pyarrow's RE2 over units.QUANTITY) and parse_duration must agree cell by cell
    import pandas as pd

    from relcalc.availability_csv import evaluate_availability_csv

    cells = [f"{n}{sep}{unit}" for n, unit in zip(["1", "2.5", ".5", "3e2", "+4", "1."] * 10, sorted(DURATION_UNITS))
             for sep in ("", " ")]
    cells += ["7", " 90 MIN "]
    frame = pd.DataFrame({"mtbf": cells, "mttr": ["1h"] * len(cells)})
    result = evaluate_availability_csv(frame)
    assert not result.errors
    assert result.table["mtbf_hours"].tolist() == [parse_duration(c) for c in cells]


def test_old_batch_names_still_import():
    from relcalc import availability_csv
    from relcalc.batch import BatchResult, evaluate_availability_csv

    assert evaluate_availability_csv is availability_csv.evaluate_availability_csv
    assert BatchResult is availability_csv.BatchResult


@pytest.mark.parametrize("option", ["--concurrency", "--sessions", "--tolerate-failures", "--zones", "--nodes",
                                    "--balance-factor"])
@pytest.mark.parametrize("spelling, fragment", [("1_6", "underscores"), ("\uff11\uff16", "ASCII digits")])
def test_capacity_count_options_follow_the_grammar(run, option, spelling, fragment):
    """click's int()/float() accept 1_6 and full-width digits; these options are read by relcalc.units instead."""
    result = run("capacity", "-r", "12k", "--service-time", "40ms", "--concurrency", "32", option, spelling)
    assert result.exit_code == 2 and fragment in result.stderr and option in result.stderr
