"""``relcalc simulate raft`` end to end."""

import csv
import io
import json

import pytest

from conftest import run_subprocess


def test_json_keys_and_exact_values(run):
    result = run("simulate", "raft", "--nodes", "3", "--mtbf", "100h", "--mttr", "10h", "--years", "2000",
                 "--seed", "4", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("availability", "unavailability", "unavailability_ci95", "quorum_unavailability",
                "quorum_unavailability_ci95", "exact_quorum_unavailability", "quorum_losses_per_year",
                "mean_outage_hours", "elections_per_year", "mttf_hours", "mttf_hours_ci95", "exact_mttf_hours",
                "simulated_years", "events", "seed", "method", "p50_outage_hours", "p99_outage_hours",
                "probability_of_loss_within_year", "election_downtime_per_year_hours", "nines",
                "downtime_per_year_hours"):
        assert key in data, key
    u = 10 / 110
    assert data["exact_quorum_unavailability"] == pytest.approx(3 * u**2 * (1 - u) + u**3, rel=1e-12)
    lam, mu = 1 / 100, 1 / 10
    assert data["exact_mttf_hours"] == pytest.approx((5 * lam + mu) / (6 * lam**2), rel=1e-12)
    assert data["seed"] == 4 and data["method"] == "crude"
    assert data["simulated_years"] == pytest.approx(2000)
    low, high = data["unavailability_ci95"]
    assert low <= data["unavailability"] <= high
    assert "seed 4" in result.stderr


def test_sweep_gives_one_row_per_point(run):
    result = run("simulate", "raft", "--nodes", "3,5", "--mttr", "4h,24h", "--mtbf", "500h", "--years", "500",
                 "--seed", "1", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["nodes"], r["mttr_hours"]) for r in rows] == [("3", "4.0"), ("3", "24.0"), ("5", "4.0"), ("5", "24.0")]
    table = run("simulate", "raft", "--nodes", "3,5", "--repair-crews", "1", "--years", "500", "--seed", "1")
    assert table.exit_code == 0 and "2 points" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80


def test_single_table(run):
    result = run("simulate", "raft", "--zones", "3", "--zone-mtbf", "1y", "--zone-mttr", "2h", "--ttr",
                 "lognormal:1.0", "--repair-crews", "1", "--years", "1000", "--seed", "2")
    assert result.exit_code == 0, result.stderr
    assert "zones 2/2/1" in result.stdout and "quorum unavailability" in result.stdout
    assert "Assumptions" in result.stdout


def test_seed_is_the_same_across_workers_through_the_cli():
    args = ["simulate", "raft", "--nodes", "5", "--mtbf", "300h", "--years", "800", "--seed", "9", "-f", "json"]
    one = json.loads(run_subprocess(*args, "--workers", "1").stdout)
    two = json.loads(run_subprocess(*args, "--workers", "2").stdout)
    for key in ("events_per_second", "wall_seconds"):
        one.pop(key), two.pop(key)
    assert one == two


def test_max_time_before_the_budget_exits_3(run):
    result = run("simulate", "raft", "--years", "1e9", "--max-time", "1s", "--seed", "1", "-f", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["stopped"] == "time" and 0 < data["simulated_years"] < 1e9


def test_max_time_before_target_exits_3(run):
    result = run("simulate", "raft", "--mtbf", "10000h", "--mttr", "1h", "--target-rel-error", "0.01",
                 "--max-time", "1s", "--years", "1e9", "--seed", "1", "-f", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["stopped"] == "time"


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--nodes", "0"], "--nodes"),
        (["--nodes", "3,x"], "--nodes"),
        (["--mtbf", "0h"], "--mtbf"),
        (["--mttr", "-4h"], "--mttr"),
        (["--ttr", "gamma:2"], "--ttr"),
        (["--ttf", "weibull"], "--ttf"),
        (["--zones", "7"], "more zones"),
        (["--layout", "2,2"], "--layout"),
        (["--layout", "2,2,1", "--zones", "3"], "not both"),
        (["--election-timeout", "300ms..150ms"], "upside down"),
        (["--zone-mtbf", "1y"], "--zone-mttr"),
        (["--years", "0"], "--years"),
        (["--target-rel-error", "2"], "--target-rel-error"),
        (["--seed", "-1"], "--seed"),
        (["--common-cause", "150%"], "--common-cause"),
        (["--common-cause", "-1%"], "--common-cause"),
        (["--permanent", "5%"], "--replace-time"),
        (["--permanent", "5%", "--replace-time", "0h"], "--replace-time"),
        (["--permanent", "101%", "--replace-time", "2h"], "--permanent"),
        (["--restart-every", "10min", "--restart-duration", "3min"], "longer than"),
        (["--restart-every", "1d"], "--restart-duration"),
        (["--method", "importance", "--ttr", "lognormal:1.0"], "lognormal"),
        (["--method", "exact", "--restart-every", "1d", "--restart-duration", "1min"], "schedule"),
        (["--method", "magic"], "--method"),
    ],
)
def test_bad_input_is_one_line_exit_2(run, args, fragment):
    result = run("simulate", "raft", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_importance_at_eleven_nines(run):
    result = run("simulate", "raft", "--mtbf", "10000h", "--mttr", "1h", "--method", "importance",
                 "--target-rel-error", "0.1", "--seed", "1", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["method"] == "importance" and data["variance_reduction"] > 1e3
    low, high = data["quorum_unavailability_ci95"]
    assert low <= data["exact_quorum_unavailability"] <= high
    assert (high - low) / 2 <= 0.1 * data["quorum_unavailability"]
    assert data["simulated_years"] is None and data["cycles"] > 0


def test_exact_sweep_shows_where_nodes_stop_helping(run):
    result = run("simulate", "raft", "--nodes", "3,5,7", "--common-cause", "0,1%", "--method", "exact", "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    gains = {(r["nodes"], r["common_cause"]): r["gain_over_fewer_nodes"] for r in rows}
    assert gains[(5, 0.0)] > 100 and gains[(7, 0.0)] > 100  # independent failures: each 2 nodes buy a lot
    assert gains[(5, 0.01)] < 2 and gains[(7, 0.01)] < 2  # with shocks they do not
    table = run("simulate", "raft", "--nodes", "3,5,7", "--common-cause", "0,1%", "--method", "exact")
    assert "gain" in table.stdout and max(len(line) for line in table.stdout.splitlines()) <= 80


def test_data_loss_keys(run):
    result = run("simulate", "raft", "--mtbf", "500h", "--permanent", "20%", "--replace-time", "24h",
                 "--method", "exact", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["data_loss_per_year"] > 0 and data["mttdl_hours"] > 0
    assert data["data_loss_per_year"] == data["exact_data_loss_per_year"]
