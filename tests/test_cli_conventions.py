"""Conventions every command keeps: numbers read by one grammar, -q/-v, output for people and for pipes."""

import pytest


@pytest.mark.parametrize(
    "option, value",
    [("--years", "1_0"), ("--seed", "1_0"), ("--workers", "1_0"), ("--target-rel-error", "0_1"),
     ("--year-days", "36_5"), ("--workers", "0"), ("--seed", "-1"), ("--seed", "2.5"), ("--years", "nan"),
     ("--target-rel-error", "５")],
)
def test_simulate_raft_numbers_follow_the_units_grammar(run, option, value):
    result = run("simulate", "raft", "--method", "exact", option, value)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"relcalc: error: {option}") and result.stderr.count("\n") == 1


def test_capacity_fit_reads_cells_with_the_units_grammar(run):
    result = run("capacity", "fit", "--csv", "-", input="nodes,throughput\n1,100\n2,1_90\n4,300\n")
    assert result.exit_code == 2 and "row 2: throughput" in result.stderr and "underscores" in result.stderr
    result = run("capacity", "fit", "--csv", "-", input="nodes,throughput\n1,100\n2,\n4,300\n")
    assert result.exit_code == 2 and "row 2: throughput is empty" in result.stderr


TABLES = [
    ("availability", "--mtbf", "2000h", "--mttr", "4h", "--target", "99.95%"),
    ("compose", "samples/web-service.yaml", "--target", "99.999%"),
    ("capacity", "--csv", "samples/capacity.csv"),
    ("simulate", "raft", "--nodes", "3,5", "--method", "exact"),
]


def _invoke(args, env):
    from typer.testing import CliRunner

    from relcalc.cli import app

    return CliRunner().invoke(app, list(args), env={"NO_COLOR": None, "FORCE_COLOR": None, "TERM": "xterm", **env})


@pytest.mark.parametrize("args", TABLES, ids=lambda a: a[0])
@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, {"TERM": "dumb", "FORCE_COLOR": "1"}])
def test_tables_for_pipes_are_plain_ascii_without_trailing_spaces(args, env, monkeypatch):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    done = _invoke(args, env)  # stdout is not a terminal here
    assert done.exit_code in (0, 3), done.stderr
    assert done.stdout.isascii() and "\x1b" not in done.stdout
    assert all(line == line.rstrip() for line in done.stdout.splitlines())
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


def test_force_color_colours_the_verdicts_that_matter(monkeypatch):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    done = _invoke(("availability", "--mtbf", "2000h", "--mttr", "4h", "--target", "99.95%"), {"FORCE_COLOR": "1"})
    assert done.exit_code == 3
    assert "\x1b[31mNO\x1b[39m" in done.stdout
    done = _invoke(("capacity", "--csv", "samples/capacity.csv"), {"FORCE_COLOR": "1"})
    assert "\x1b[31mSHORT\x1b[39m" in done.stdout


def test_progress_goes_to_a_terminal_stderr_never_stdout(monkeypatch):
    import io
    import sys

    from relcalc.cli import output

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = output.progress_bar()
    try:
        assert bar is not None and bar.console.file is terminal
    finally:
        bar.stop()
    monkeypatch.setattr(output, "VERBOSITY", -1)  # -q: none
    assert output.progress_bar() is None
    monkeypatch.setattr(output, "VERBOSITY", 0)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # piped: none
    assert output.progress_bar() is None


def test_csv_quotes_only_where_needed_alike_in_batch_and_single_results(run):
    import csv
    import io
    import json

    rows = 'name,mtbf,mttr,target\n"api, eu",2000h,4h,99.9%\nweb,1000h,1h,99.99%\n'
    batch = run("availability", "--csv", "-", "-f", "csv", input=rows)
    assert batch.exit_code == 3  # web misses its target
    lines = batch.stdout.splitlines()
    assert '"' not in lines[0] and lines[1].startswith('"api, eu",') and lines[2].startswith("web,")
    assert lines[1].count('"') == 2 and '"' not in lines[2]
    as_json = json.loads(run("availability", "--csv", "-", "-f", "json", input=rows).stdout)
    for record, cells in zip(as_json, csv.DictReader(io.StringIO(batch.stdout))):
        for key, value in record.items():
            if isinstance(value, bool):
                assert cells[key] == str(value).lower()
            elif isinstance(value, float):
                assert float(cells[key]) == value  # every digit: the same double
    single = run("availability", "--mtbf", "2000h", "--mttr", "4h", "--target", "99.95%", "-f", "csv").stdout
    record = json.loads(run("availability", "--mtbf", "2000h", "--mttr", "4h", "--target", "99.95%",
                            "-f", "json").stdout)
    header, values = single.splitlines()
    assert '"' not in single
    assert values.split(",") == [json.dumps(v) for v in record.values()]  # numbers exactly as JSON writes them


def test_quiet_keeps_only_errors_and_verbose_says_what_was_done(run):
    noisy = run("simulate", "raft", "--years", "200", "--seed", "3")
    assert "seed 3" in noisy.stderr
    quiet = run("simulate", "raft", "--years", "200", "--seed", "3", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    same = [line for line in noisy.stdout.splitlines() if "events/s" not in line]  # the speed varies
    assert [line for line in quiet.stdout.splitlines() if "events/s" not in line] == same
    again = run("simulate", "raft", "--years", "200", "--seed", "3")  # -q held for that run only
    assert "seed 3" in again.stderr
    loud = run("simulate", "raft", "--years", "200", "--seed", "3", "--verbose")
    assert "crude:" in loud.stderr and "chunks" in loud.stderr and "events" in loud.stderr and "took" in loud.stderr
    bad = run("availability", "--mtbf", "-5h", "--mttr", "4h", "-q")
    assert bad.exit_code == 2 and bad.stderr.startswith("relcalc: error: --mtbf")


@pytest.mark.parametrize("output", ["-", "out.csv"])
def test_quiet_still_gives_the_reasons_for_exit_3(run, tmp_path, monkeypatch, output):
    # README, "Quiet and verbose": -q keeps errors and the reasons for exit 3 (skipped rows, missed targets)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.csv").write_text("name,mtbf,mttr,target\na,100h,1h,99.99%\nb,-1h,1h,99%\n")
    result = run("availability", "--csv", "rows.csv", "-q", "-o", output, "-f", "csv")
    assert result.exit_code == 3
    assert "skipped: row 2:" in result.stderr and "skipped 1 of 2 rows" in result.stderr  # rows count from the first data row
    assert "1 of 1 rows miss the target" in result.stderr


@pytest.mark.parametrize("value, text", [(2e6, "2,000,000"), (2000.0, "2,000"), (956.4741, "956.474"), (0.5, "0.5"),
                                         (999_999.7, "1,000,000"), (1.5e20, "1.5e+20"), (-2500.5, "-2,500.5")])
def test_numbers_for_people_have_grouped_digits_and_no_needless_exponent(value, text):
    from relcalc.units import format_number

    assert format_number(value) == text


@pytest.mark.parametrize("hours, text", [(8760.0, "1 y"), (8766.0, "365.25 d"), (48.0, "2 d"), (1.5, "1.5 h"),
                                         (0.05, "3 min"), (21900.0, "2.5 y"), (8760.0 + 1 / 7, "365d 0h 8m")])
def test_periods_read_as_they_were_written(hours, text):
    from relcalc.units import format_period

    assert format_period(hours) == text


def test_fit_mtbf_and_mission_label_in_human_units(run):
    # 500 FIT = 500 failures per 1e9 h, so MTBF = 1e9 / 500 = 2,000,000 h
    out = run("availability", "--failure-rate", "500 FIT", "--repair-rate", "0.25").stdout
    assert "2,000,000 h" in out and "e+06" not in out
    out = run("compose", "samples/bridge.yaml", "--mission-time", "1y").stdout
    assert "R(1 y)" in out and "365d" not in out


def test_thirty_day_months(run):
    import json

    # 99.9% over a 30-day month: 0.001 x 720 h = 0.72 h = 43m 12s (the figure of 30-day SLA tables)
    out = run("availability", "--target", "99.9%", "--month-days", "30")
    assert out.exit_code == 0 and "43m 12s" in out.stdout and "month = 30 days" in out.stdout
    record = json.loads(run("availability", "--target", "99.9%", "--month-days", "30", "-f", "json").stdout)
    assert record["downtime_per_month_hours"] == pytest.approx(0.72, rel=1e-12) and record["month_days"] == 30
    # the default stays a twelfth of a 365-day year: 0.001 x 730 h = 43m 48s
    assert "43m 48s" in run("availability", "--target", "99.9%").stdout
    for bad in ("45", "0", "-30", "nan", "30d", ""):
        result = run("availability", "--target", "99.9%", "--month-days", bad)
        assert result.exit_code == 2 and result.stderr.startswith("relcalc: error: --month-days"), bad


def test_a_name_repeated_in_one_block_is_pointed_out(run):
    result = run("compose", "2/3 (db, db, db)", "-c", "db=8000h/8h")
    assert result.exit_code == 0
    assert "db appears 3 times in one block" in result.stderr and "'2/3 db' with count 3" in result.stderr
    assert "appears" not in run("compose", "2/3 db", "-c", "db=8000h/8h").stderr
    assert run("compose", "2/3 (db, db, db)", "-c", "db=8000h/8h", "-q").stderr == ""


def test_readme_examples_write_only_under_directories_kept_out_of_git():
    """Outputs the README's commands write go under out/ (which they create) or report/, both in .gitignore."""
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "/out/" in ignored and "/report/" in ignored
    commands = [line for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S) for line in block.splitlines()]
    written = [m[1] for line in commands for m in re.finditer(r"(?:-o|--output|--chart)\s+(\S+)", line)]
    assert written, "no README example writes a file"
    for path in written:
        assert path == "-" or path.startswith(("out/", "report/")), path
    for line in commands:
        if re.search(r"(?:-o|--output|--chart)\s+out/", line):
            assert line.startswith("mkdir -p out && "), line
