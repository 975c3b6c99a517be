"""``relcalc availability`` end to end: formats, files, stdin, batch and every error."""

import csv
import io
import json
import os

import numpy as np
import pytest

from conftest import SAMPLES, run_subprocess


def test_table(run):
    result = run("availability", "--mtbf", "2000h", "--mttr", "4h")
    assert result.exit_code == 0, result.stderr
    assert "99.80%" in result.stdout
    assert "17h 29m 6s" in result.stdout  # 8760 * 4 / 2004 h
    assert "month = year/12" in result.stdout
    assert result.stderr == ""


def test_json_keys_and_units(run):
    result = run("availability", "--mtbf", "2000h", "--mttr", "4h", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["unavailability"] == pytest.approx(4 / 2004, rel=1e-15)
    assert data["downtime_per_year_hours"] == pytest.approx(8760 * 4 / 2004)
    assert data["mtbf_hours"] == 2000.0 and data["mttr_hours"] == 4.0
    assert set(data) >= {"availability", "nines", "failure_frequency_per_year", "downtime_per_day_hours", "year_days"}


def test_csv_single(run):
    result = run("availability", "--mtbf", "90min", "--mttr", "2 d", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert float(rows[0]["mtbf_hours"]) == 1.5 and float(rows[0]["mttr_hours"]) == 48.0


def test_rates_and_fit(run):
    result = run("availability", "--failure-rate", "500 FIT", "--repair-rate", "0.25", "-f", "json")
    data = json.loads(result.stdout)
    assert data["mtbf_hours"] == pytest.approx(2e6)
    assert data["unavailability"] == pytest.approx(5e-7 / (5e-7 + 0.25), rel=1e-14)


def test_target_met_and_missed(run):
    met = run("availability", "--mtbf", "2000h", "--mttr", "4h", "--target", "99.5%", "-f", "json")
    assert met.exit_code == 0 and json.loads(met.stdout)["meets_target"] is True
    missed = run("availability", "--mtbf", "2000h", "--mttr", "4h", "--target", "99.9%", "-f", "json")
    assert missed.exit_code == 3
    assert json.loads(missed.stdout)["meets_target"] is False


def test_solve_mttr(run):
    result = run("availability", "--mtbf", "2000h", "--target", "99.99%", "-f", "json")
    data = json.loads(result.stdout)
    assert data["solved_for"] == "mttr"
    assert data["mttr_hours"] == pytest.approx(0.2 / 0.9999, rel=1e-14)


def test_solve_mtbf_from_nines(run):
    result = run("availability", "--mttr", "1h", "--target-nines", "4", "-f", "json")
    data = json.loads(result.stdout)
    assert data["solved_for"] == "mtbf"
    assert data["mtbf_hours"] == pytest.approx(9999.0, rel=1e-12)


def test_budget_alone(run):
    result = run("availability", "--target", "99.99%")
    assert result.exit_code == 0
    assert "52m 34s" in result.stdout
    julian = run("availability", "--target", "99.9%", "--year-days", "365.25", "-f", "json")
    assert json.loads(julian.stdout)["downtime_per_year_hours"] == pytest.approx(8.766)


def test_output_file_is_atomic_and_format_from_extension(run, tmp_path):
    out = tmp_path / "a.json"
    result = run("availability", "--mtbf", "2000h", "--mttr", "4h", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["mttr_hours"] == 4.0
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temporary left behind


def test_failed_run_leaves_no_file(run, tmp_path):
    out = tmp_path / "r.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("name,mtbf,mttr\na,1h,-2h\n")
    result = run("availability", "--csv", bad, "--on-error", "fail", "-o", out)
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == [bad]


def test_batch_sample(run):
    result = run("availability", "--csv", SAMPLES / "services.csv", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 15
    assert rows[0]["tier"] == "edge"  # extra columns pass through
    lb = rows[0]
    assert float(lb["unavailability"]) == pytest.approx(2 / 50002, rel=1e-14)


def test_batch_from_stdin_with_header_units(run):
    text = "name,mtbf_d,mttr_min\nx,10,30\n"
    result = run("availability", "--csv", "-", "-f", "json", input=text)
    assert result.exit_code == 0
    [row] = json.loads(result.stdout)
    assert row["mtbf_hours"] == 240.0 and row["mttr_hours"] == 0.5


def test_batch_bad_rows_are_reported_not_dropped(run):
    text = "name,mtbf,mttr\nok,2000h,4h\nneg,-1h,4h\nempty,,4h\nunit,5parsecs,1h\nok2,1000,1\n"
    result = run("availability", "--csv", "-", "-f", "csv", input=text)
    assert result.exit_code == 3
    names = [r["name"] for r in csv.DictReader(io.StringIO(result.stdout))]
    assert names == ["ok", "ok2"]
    for row in ("row 2:", "row 3:", "row 4:"):
        assert row in result.stderr
    assert "skipped 3 of 5 rows" in result.stderr


def test_batch_fail_writes_nothing(run):
    text = "name,mtbf,mttr\nok,2000h,4h\nneg,-1h,4h\n"
    result = run("availability", "--csv", "-", "-f", "csv", "--on-error", "fail", input=text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "row 2" in result.stderr


def test_batch_budgets_and_targets(run):
    text = "name,availability\nthree,99.9%\nfive,0.99999\n"
    result = run("availability", "--csv", "-", "-f", "json", "--target", "99.99%", input=text)
    rows = json.loads(result.stdout)
    assert rows[0]["unavailability"] == pytest.approx(1e-3, rel=1e-15)
    assert [r["meets_target"] for r in rows] == [False, True]
    assert result.exit_code == 3


def test_batch_blank_target_cell_means_no_target(run):
    # issue 12: an empty optional cell skipped its row ("row 1: target is empty", exit 3)
    text = "name,mtbf,mttr,target\nfree,1000h,1h,\nchecked,1000h,1h,99.95%\nloose,1000h,1h,99%\n"
    result = run("availability", "--csv", "-", "-f", "json", input=text)
    assert result.exit_code == 3  # "checked" misses its target; no row is skipped
    assert "skipped" not in result.stderr and "1 of 3 rows miss the target" in result.stderr
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["free", "checked", "loose"]
    # U = MTTR / (MTBF + MTTR) = 1/1001: over 99.95%'s 5e-4, under 99%'s 1e-2
    assert rows[0]["unavailability"] == pytest.approx(1 / 1001, rel=1e-15)
    assert [r["meets_target"] for r in rows] == [None, False, True]
    table = run("availability", "--csv", "-", input=text)
    assert [line.split()[-2] for line in table.stdout.splitlines() if line.split()[1:2] in (["free"], ["checked"])] == ["-", "MISS"]
    written = list(csv.DictReader(io.StringIO(run("availability", "--csv", "-", "-f", "csv", input=text).stdout)))
    assert [r["meets_target"] for r in written] == ["", "false", "true"]
    # --target fills the blank cell, as the options fill blank cells of capacity --csv
    filled = json.loads(run("availability", "--csv", "-", "-f", "json", "--target", "99.8%", input=text).stdout)
    assert [r["meets_target"] for r in filled] == [True, False, True]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--mtbf", "-5h", "--mttr", "4h"], "--mtbf must be positive"),
        (["--mtbf", "0", "--mttr", "4h"], "--mtbf must be positive"),
        (["--mtbf", "1e999", "--mttr", "4h"], "finite"),
        (["--mtbf", "2000parsec", "--mttr", "4h"], "unknown unit"),
        (["--target", "100%"], "strictly between 0 and 1"),
        (["--target", "1.5"], "strictly between 0 and 1"),
        (["--target", "99.9%", "--target-nines", "3"], "not both"),
        (["--mtbf", "1h", "--failure-rate", "1"], "not both"),
        (["--mtbf", "1h"], "give --mtbf and --mttr"),
        ([], "give --mtbf and --mttr"),
        (["--csv", "/nonexistent/x.csv"], "file not found"),
        (["--csv", "samples/services.csv", "--mtbf", "1h"], "--csv takes"),
        (["--mtbf", "1h", "--mttr", "1h", "--year-days", "360"], "365 or 365.25"),
        (["--mtbf", "1h", "--mttr", "1h", "-f", "xml"], "Invalid value"),
        (["--mtbf", "1h", "--mttr", "1h", "-o", "/nonexistent/dir/out.json"], "directory does not exist"),
        (["--nonsense"], "No such option"),
    ],
)
def test_bad_input_is_one_line_exit_2(run, args, fragment):
    result = run("availability", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("relcalc: error:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("name,mtbf,mttr\n", "no data rows"),
        ("name,uptime\nx,3\n", "need columns mtbf and mttr"),
        ('name,mtbf,mttr\n"x,1,2\n', "malformed CSV"),
        ("name,mtbf,mttr\nx,1,2,3,4\n", "malformed CSV"),
        ("name,mtbf_parsec,mttr\nx,1,2\n", "unknown unit"),
        ("name,mtbf,mttr,availability\nx,1,2,0.9\n", "ambiguous"),
        ("name,mtbf,mtbf_h,mttr\nx,1,2,3\n", "both give mtbf"),
    ],
)
def test_bad_csv_files(run, text, fragment):
    result = run("availability", "--csv", "-", input=text)
    assert result.exit_code == 2, result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def ragged_csv(rows: int, bad: int, rng) -> str:
    """A CSV of ``rows`` data rows, row ``bad`` (from 1) with one cell too many, laid out to mislead.

    Some names are quoted with line breaks inside (one row over several
    lines), blank and white-space lines fall between rows, and lines end in
    LF or CRLF: the row number is the count of data rows, whatever the lines.
    """
    out = ["name,mtbf,mttr"]
    for row in range(1, rows + 1):
        name = f'"svc {row}\nsecond line\nthird"' if rng.random() < 0.4 else f"svc-{row}"
        cells = [name, f"{row * 100}h", "1h"] + (["surplus"] if row == bad else [])
        out.append(",".join(cells))
        while rng.random() < 0.3:
            out.append(rng.choice(["", "   ", "\t"]))
    return rng.choice(["\n", "\r\n"]).join(out) + "\n"


def test_ragged_rows_are_named_by_their_data_row_number(run, tmp_path):
    # issue 12: pandas said "Error tokenizing data. C error: Expected 5 fields in line 8",
    # counting blank lines but not the breaks inside quoted cells. The reference row number is
    # the construction of the file: data rows counted from 1, the header not a row.
    rng = np.random.default_rng(12)
    for trial in range(24):
        rows = int(rng.integers(1, 9))
        bad = int(rng.integers(1, rows + 1))
        text = ragged_csv(rows, bad, rng)
        if trial % 2:  # from stdin, or from a file (bytes as written: CRLF stays CRLF)
            result = run("availability", "--csv", "-", input=text)
        else:
            path = tmp_path / f"ragged{trial}.csv"
            path.write_bytes(text.encode())
            result = run("availability", "--csv", path)
        assert result.exit_code == 2, (text, result.stderr)
        assert result.stderr.strip() == f"relcalc: error: --csv: malformed CSV: row {bad} has 4 cells; the header has 3", text


@pytest.mark.parametrize(
    "text, message",
    [
        ('name,mtbf,mttr\nok,1h,1h\n"open,1h,1h\nlast,1h,1h\n',
         "row 2: a quote opens a cell that is never closed (it runs to the end of the file)"),
        ('"name,mtbf,mttr\nok,1h,1h\n', "the header: a quote opens a cell that is never closed"),
        ("name,mtbf,mttr\nok,1h,1h\n\nx,1h,1h,\n", "row 2 has 4 cells; the header has 3 (the extra cells are empty: a trailing comma?)"),
        ('name,mtbf,mttr\n"a, b", 1h, 1h\n"c\nd", 1h, "1h", 9\n', "row 2 has 4 cells; the header has 3"),
    ],
)
def test_malformed_csv_in_relcalc_words(run, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    for source, given in ((path, None), ("-", text)):
        result = run("availability", "--csv", source, input=given)
        assert result.exit_code == 2
        assert result.stderr.startswith("relcalc: error: --csv: malformed CSV: " + message), result.stderr
        assert "tokenizing" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_csv_that_is_not_utf8_is_one_line(run, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,mtbf,mttr\nZ\u00fcrich,1h,1h\n".encode("latin-1"))
    result = run("availability", "--csv", path)
    assert result.exit_code == 2 and result.stderr.strip() == "relcalc: error: --csv: the file is not UTF-8 text; save it as UTF-8"


def test_subprocess_no_traceback_and_debug(tmp_path):
    plain = run_subprocess("availability", "--mtbf", "-1", "--mttr", "1")
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    debug = run_subprocess("--debug", "availability", "--mtbf", "-1", "--mttr", "1")
    assert debug.returncode == 2 and "Traceback" in debug.stderr
    env_debug = run_subprocess("availability", "--mtbf", "-1", "--mttr", "1", env={"RELCALC_DEBUG": "1"})
    assert "Traceback" in env_debug.stderr


def test_piped_table_is_plain_ascii_width(tmp_path):
    result = run_subprocess("availability", "--csv", "samples/services.csv")
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout  # no colour codes in a pipe
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "edge-load-balancer" in result.stdout


def test_main_command_in_readme_runs():
    # the README's first command runs exactly this
    result = run_subprocess("availability", "--csv", "samples/services.csv")
    assert result.returncode == 0, result.stderr
    assert os.path.exists(SAMPLES / "services.csv")
