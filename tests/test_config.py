"""Defaults from relcalc.toml, the user's config.toml and RELCALC_* variables; the command line wins."""

import json

import pytest


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A working directory and a config home of our own, with no RELCALC_* variables."""
    import os

    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    (home / "relcalc").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("RELCALC_"):
            monkeypatch.delenv(name)
    return work, home / "relcalc" / "config.toml"


def _settings(run):
    result = run("config", "-f", "json")
    assert result.exit_code == 0, result.stderr
    return {row["key"]: (row["value"], row["source"]) for row in json.loads(result.stdout)["settings"]}


def test_sources_in_order_of_strength(run, place, monkeypatch):
    work, user = place
    assert _settings(run)["year_days"] == ("365", "default")
    user.write_text('year_days = 365.25\nmethod = "importance"\nworkers = 2\n')
    (work / "relcalc.toml").write_text('method = "exact"\n')
    monkeypatch.setenv("RELCALC_WORKERS", "3")
    found = _settings(run)
    assert found["year_days"] == ("365.25", str(user))
    assert found["method"] == ("exact", "relcalc.toml")  # the project's file over the user's
    assert found["workers"] == ("3", "env RELCALC_WORKERS")  # the environment over both
    assert found["format"] == ("table", "default")


def test_the_command_line_wins_and_the_settings_reach_the_commands(run, place, monkeypatch):
    work, _ = place
    (work / "relcalc.toml").write_text("year_days = 365.25\nmonth_days = 30\n")
    # 99.9% of a 30-day month: 0.001 x 720 h = 43m 12s; of a twelfth of 365.25 days: 0.001 x 730.5 h = 43m 50s
    out = run("availability", "--target", "99.9%").stdout
    assert "year = 365.25 days" in out and "43m 12s" in out
    out = run("availability", "--target", "99.9%", "--year-days", "365", "--month-days", "30.4375").stdout
    assert "year = 365 days" in out and "month = 30.4375 days" in out
    monkeypatch.setenv("RELCALC_FORMAT", "json")
    assert json.loads(run("availability", "--target", "99.9%").stdout)["year_days"] == 365.25
    assert run("availability", "--target", "99.9%", "-f", "table").stdout.startswith("Availability")
    assert run("availability", "--target", "99.9%", "-o", "-", "-f", "csv").stdout.startswith("availability,")


@pytest.mark.parametrize("text, words", [("year_days = \n", "not valid TOML"), ("colour = 1\n", "unknown key 'colour'"),
                                         ("method = [1]\n", "number or text")])
def test_a_bad_file_is_a_one_line_error_naming_it(run, place, text, words):
    work, _ = place
    (work / "relcalc.toml").write_text(text)
    result = run("availability", "--target", "99.9%")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("relcalc: error: relcalc.toml:") and words in result.stderr


@pytest.mark.parametrize("name, value, words", [("RELCALC_YEAR_DAYS", "1_0", "underscores"),
                                                ("RELCALC_YEAR_DAYS", "360", "365 or 365.25"),
                                                ("RELCALC_MONTH_DAYS", "45", "from 28 to 31"),
                                                ("RELCALC_WORKERS", "0", ">= 1"),
                                                ("RELCALC_METHOD", "guess", "crude, importance"),
                                                ("RELCALC_FORMAT", "xml", "table, json, csv")])
def test_a_bad_value_is_refused_naming_where_it_was_set(run, place, monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    result = run("availability", "--target", "99.9%")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f"(from env {name})" in result.stderr and words in result.stderr


def test_a_bad_value_in_a_file_is_named_with_the_file(run, place):
    work, _ = place
    (work / "relcalc.toml").write_text("year_days = 360\n")
    result = run("config")
    assert result.exit_code == 2 and "year_days (from relcalc.toml) must be 365 or 365.25" in result.stderr


@pytest.mark.parametrize("where", ["work", "user"])
def test_a_file_that_cannot_be_read_is_refused_not_skipped(run, place, where):
    work, user = place
    path = work / "relcalc.toml" if where == "work" else user
    path.mkdir()  # a directory where the file should be
    result = run("availability", "--target", "99.9%")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "a directory" in result.stderr
    path.rmdir()
    path.write_bytes(b"\xff\xfe year_days = 365\n")  # not UTF-8: TOML is UTF-8 by definition
    result = run("config")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "not UTF-8" in result.stderr


def test_an_unreadable_file_is_a_one_line_error(run, place, monkeypatch):
    import builtins

    work, _ = place
    (work / "relcalc.toml").write_text("year_days = 365\n")
    real_open = builtins.open

    def refuse(file, *args, **kwargs):  # chmod 000 does not stop root, so refuse as the OS would
        if str(file).endswith("relcalc.toml"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    result = run("config")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "relcalc.toml: cannot read: Permission denied" in result.stderr


def test_a_word_in_any_case_reaches_the_command_as_the_command_takes_it(run, place, monkeypatch):
    work, _ = place
    (work / "relcalc.toml").write_text('method = " Exact"\n')
    monkeypatch.setenv("RELCALC_FORMAT", "JSON")
    found = _settings(run)
    assert found["method"] == ("exact", "relcalc.toml") and found["format"] == ("json", "env RELCALC_FORMAT")
    # exact method on a 3-node cluster: the birth-death chain, no sampling, so no --years budget matters
    result = run("simulate", "raft", "--nodes", "3", "--years", "1", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["method"] == "exact"


def test_every_bad_value_is_named_at_once_on_one_line(run, place, monkeypatch):
    work, _ = place
    (work / "relcalc.toml").write_text('year_days = "abc"\nmethod = "magic"\n')
    monkeypatch.setenv("RELCALC_WORKERS", "0")
    result = run("config")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    for part in ("year_days (from relcalc.toml)", "method (from relcalc.toml)", "workers (from env RELCALC_WORKERS)"):
        assert part in result.stderr, part
