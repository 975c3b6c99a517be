"""``capacity --csv ... -f csv`` on a plain file: read by pyarrow, written from numpy buffers, no pandas.

References: the output of the pandas way (the implementation before the plain
way existed, kept as the fallback) on the same varied files, byte for byte;
node counts by brute force over N with the mpmath M/M/c of
test_capacity_safety (Kleinrock 1975, section 3.5); decimals as Python's
correctly rounded float() reads them (IEEE 754 round to nearest); pyarrow's
own conversion of Python values for the buffer-built arrays.
"""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from relcalc import arrow_buffers
from relcalc.cli import capacity_csv
from test_capacity_safety import response_tail


def varied_services(rows: int, seed: int) -> str:
    """A plain CSV of services with every column the plain way reads, and rows out of reach (notes with commas)."""
    rng = np.random.default_rng(seed)

    def pick(options):
        return [options[i] for i in rng.integers(0, len(options), rows)]

    columns = {
        "name": [f"svc-{i}" for i in range(rows)],
        "rate": [f"{x:.1f}" for x in rng.lognormal(np.log(2000), 1.5, rows)],
        "service_time": pick(["40ms", "0.02", "0.0055", "120ms", "1.5s"]),
        "concurrency": [str(x) for x in rng.integers(1, 64, rows)],
        "balancer": pick(["", "round-robin", "random", "two-choices", "least-connections", "ring", "Random"]),
        "sessions": pick(["5000", "200", "100000"]),
        "zones": pick(["", "2", "3", "4"]),
        "tolerate_failures": pick(["", "0", "1", "2"]),
        "latency": pick(["", "p99<=500ms", "mean<=50ms", "p95<=200ms", "p99.9<=1s", "p99<=1ms"]),
        "current_nodes": pick(["", "3", "40", "1000"]),
        "team": pick(["core", "edge", "=cmd", "pay ments", "", "@x"]),
    }
    lines = [",".join(columns)] + [",".join(v[i] for v in columns.values()) for i in range(rows)]
    return "\n".join(lines) + "\n"


def both_ways(run, monkeypatch, tmp_path, text, *options):
    """(plain way's result, pandas way's result) of the same file, each with its output bytes."""
    path = tmp_path / "svc.csv"
    path.write_text(text)
    taken = []
    plain_run = capacity_csv.run_plain

    def spy(*args):
        code = plain_run(*args)
        taken.append(code is not None)
        return code

    monkeypatch.setattr(capacity_csv, "run_plain", spy)
    plain = run("capacity", "--csv", path, "-f", "csv", "-o", tmp_path / "plain.csv", *options)
    monkeypatch.setattr(capacity_csv, "run_plain", lambda *args: None)
    general = run("capacity", "--csv", path, "-f", "csv", "-o", tmp_path / "general.csv", *options)
    return (plain, (tmp_path / "plain.csv").read_bytes() if (tmp_path / "plain.csv").exists() else b"",
            general, (tmp_path / "general.csv").read_bytes() if (tmp_path / "general.csv").exists() else b"", taken)


@pytest.mark.parametrize("seed", [1, 2])
def test_plain_way_writes_the_pandas_ways_bytes(run, monkeypatch, tmp_path, seed):
    plain, plain_out, general, general_out, taken = both_ways(run, monkeypatch, tmp_path, varied_services(400, seed))
    assert taken == [True]  # the plain way ran, and wrote
    assert plain.exit_code == general.exit_code == 3, plain.stderr  # rows out of reach, rows short of nodes
    assert plain.stderr == general.stderr
    assert plain_out == general_out
    table = pd.read_csv(tmp_path / "plain.csv", keep_default_na=False)
    assert (table["note"] != "").any() and table["note"].str.contains(",").any()  # quoted notes were compared
    assert table["team"].isin(["'=cmd", "'@x"]).any()  # formula-safe text was compared
    assert set(table["enough_nodes"]) == {"true", "false", ""}


def test_plain_way_with_defaults_and_waits(run, monkeypatch, tmp_path):
    text = "name,rate,wait,nodes\n" + "".join(f"s{i},{100 + 37 * i},{'p95<=5ms' if i % 3 else ''},{2 + i % 5}\n"
                                               for i in range(60))
    plain, plain_out, general, general_out, taken = both_ways(
        run, monkeypatch, tmp_path, text, "--service-time", "20ms", "--concurrency", "4", "--zones", "3")
    assert taken == [True] and plain_out == general_out and plain.exit_code == general.exit_code
    assert b"nodes_for_wait" in plain_out.splitlines()[0]


@pytest.mark.parametrize("text, why", [
    ("name,rate,service_time,concurrency\na,1e3,20ms,8\n", "an exponent, read by pandas' parser"),
    ("name,rate,service_time,concurrency,cost\na,100,20ms,8,007\n", "a pass-through column of numbers"),
    ('name,rate,service_time,concurrency\n"a, b",100,20ms,8\n', "quotes"),
    ("name,rate,service_time,concurrency\na,100,20ms,8\nb,-5,20ms,8\n", "a bad row"),
    ("name,rate,service_time,concurrency\na,12345678.12345678,20ms,8\n", "a 17-digit number"),
    ("name,rate,service_time,concurrency\na,100,20ms,true\n", "a Boolean"),
])
def test_anything_else_goes_the_pandas_way(run, monkeypatch, tmp_path, text, why):
    plain, plain_out, general, general_out, taken = both_ways(run, monkeypatch, tmp_path, text)
    assert taken == [False], why
    assert (plain.exit_code, plain.stderr, plain_out) == (general.exit_code, general.stderr, general_out)


def test_pass_through_numbers_keep_pandas_spelling(run, tmp_path):
    # 007 read by pandas is the number 7: the pandas way writes it so, and the plain way leaves such files to it
    path = tmp_path / "svc.csv"
    path.write_text("name,rate,service_time,concurrency,cost\na,100,20ms,8,007\n")
    result = run("capacity", "--csv", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("a,7,")


def test_plain_way_node_counts_by_brute_force(run, tmp_path):
    # p99 response <= 150 ms healthy and after losing the largest of 3 zones, caps at 100%
    path = tmp_path / "svc.csv"
    rates = [310, 1010, 2530, 7070]  # no n where the wait and service rates coincide (a 0/0 in the formula)
    path.write_text("name,rate,service_time,concurrency,zones,latency\n"
                    + "".join(f"s{r},{r},0.02,8,3,p99<=150ms\n" for r in rates))
    result = run("capacity", "--csv", path, "-f", "csv", "--target-utilization", "100%",
                 "--failover-utilization", "100%")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(__import__("io").StringIO(result.stdout))

    def meets(rate, n):
        survivors = n - math.ceil(n / 3)
        return (survivors >= 1 and rate * 0.02 / 8 / survivors < 1
                and response_tail(0.15, rate / n, 0.02, 8) <= 0.01
                and response_tail(0.15, rate / survivors, 0.02, 8) <= 0.01)

    expected = [next(n for n in range(2, 500) if meets(r, n)) for r in rates]
    assert list(table["nodes"]) == expected


def test_plain_file_is_sized_without_pandas(tmp_path):
    path = tmp_path / "svc.csv"
    path.write_text(varied_services(50, 3))
    probe = ("import sys\nfrom relcalc.cli import app\nfrom typer.testing import CliRunner\n"
             "r = CliRunner().invoke(app, sys.argv[1:])\nassert r.exit_code in (0, 3), r.output\n"
             "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, "capacity", "--csv", str(path), "-f", "csv",
                           "-o", str(tmp_path / "out.csv")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_plain_decimals_read_as_correctly_rounded_doubles():
    # what the plain way casts (digits, a point, at most 15 characters) is read alike by pyarrow, pandas'
    # parser and Python's float (correctly rounded): integer digits below 2^53 over an exact power of ten
    rng = np.random.default_rng(7)
    cells = []
    for _ in range(3000):
        whole, fraction = rng.integers(0, 8), rng.integers(0, 8)
        digits = "".join(str(d) for d in rng.integers(0, 10, whole + fraction)) or "0"
        cell = digits[:whole] or "0"
        cells.append(cell + ("." + digits[whole:] if digits[whole:] else ""))
    cells += ["0.1", "0.3", "123456789012.5", "0.00000000000001", "999999999999999", "1.7976931348623"]
    cells = [c for c in cells if len(c) <= 15]
    ours = arrow_buffers.numbers(pc.cast(arrow_buffers.string_array(cells), pa.float64()), np.float64)
    theirs = pd.read_csv(__import__("io").StringIO("x\n" + "\n".join(cells) + "\n"), dtype={"x": float})["x"]
    assert list(ours) == [float(c) for c in cells] == list(theirs.to_numpy())


def test_buffer_built_arrays_match_pyarrows_conversion():
    values = np.array([1.5, np.nan, -0.0, 1e300, 3.0])
    assert arrow_buffers.float_array(values).equals(pa.array(values, from_pandas=True))
    assert arrow_buffers.int_array(np.array([3.0, np.nan, 1e9])).equals(pa.array([3, None, 10**9], pa.int64()))
    flags = arrow_buffers.bool_array(np.array([True, False, True]), np.array([True, True, False]))
    assert flags.equals(pa.array([True, False, None]))
    many = np.array([None, "", "a,b"] + [f"note {i}" for i in range(40)] + ["a,b", None], dtype=object)
    assert arrow_buffers.text_array(many).equals(pa.array(list(many), pa.string()))
    sliced = pa.array([True, None, False, True, False]).slice(1)
    assert list(arrow_buffers.bools(sliced)) == [False, False, True, False]
    assert list(arrow_buffers.valid(sliced)) == [False, True, True, True]
