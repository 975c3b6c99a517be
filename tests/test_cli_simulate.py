"""``relcalc simulate raft`` end to end."""

import csv
import io
import itertools
import json
import math

import numpy as np
import pytest

#: The JSON of one point, in order: a public contract (CSV columns follow it, and a sweep's rows add nothing else).
#: Every interval field x has x, x_ci95 and x_interval (how it was made); keys are only ever added.
KEYS = [
    "nodes", "quorum", "mtbf_hours", "mttr_hours", "ttf", "ttr", "repair_crews", "layout", "zone_mtbf_hours",
    "zone_mttr_hours", "election_timeout_seconds", "rtt_seconds", "common_cause", "shock_per_zone", "permanent",
    "replace_time_hours", "restart_every_hours", "restart_duration_hours",
    "availability", "unavailability", "unavailability_ci95", "unavailability_interval", "nines",
    "downtime_per_year_hours", "write_figures_are_bounds",
    "quorum_unavailability", "quorum_unavailability_ci95", "quorum_unavailability_interval",
    "exact_quorum_unavailability", "exact_covered",
    "quorum_losses_per_year", "quorum_losses_per_year_ci95", "quorum_losses_per_year_interval",
    "exact_quorum_losses_per_year", "quorum_losses_observed",
    "probability_of_loss_within_year", "probability_of_loss_within_year_ci95",
    "probability_of_loss_within_year_interval", "exact_probability_of_loss_within_year",
    "probability_of_loss_within_year_from_all_up", "probability_of_loss_within_year_from_all_up_ci95",
    "probability_of_loss_within_year_from_all_up_interval", "exact_probability_of_loss_within_year_from_all_up",
    "probability_of_loss_within_year_from_steady_state", "probability_of_loss_within_year_from_steady_state_ci95",
    "probability_of_loss_within_year_from_steady_state_interval",
    "exact_probability_of_loss_within_year_from_steady_state",
    "mean_outage_hours", "mean_outage_hours_ci95", "mean_outage_hours_interval", "exact_mean_outage_hours",
    "p50_outage_hours", "p50_outage_hours_ci95", "p50_outage_hours_interval", "exact_p50_outage_hours",
    "p95_outage_hours", "p95_outage_hours_ci95", "p95_outage_hours_interval", "exact_p95_outage_hours",
    "p99_outage_hours", "p99_outage_hours_ci95", "p99_outage_hours_interval", "exact_p99_outage_hours",
    "elections_per_year", "elections_per_year_ci95", "elections_per_year_interval",
    "election_downtime_per_year_hours", "election_downtime_per_year_hours_ci95",
    "election_downtime_per_year_hours_interval",
    "mttf_hours", "mttf_hours_ci95", "mttf_hours_interval", "exact_mttf_hours", "exact_mttf_covered",
    "data_loss_per_year", "data_loss_per_year_ci95", "data_loss_per_year_interval", "exact_data_loss_per_year",
    "data_losses_observed",
    "mttdl_hours", "mttdl_hours_ci95", "mttdl_hours_interval", "exact_mttdl_hours",
    "variance_reduction", "simulated_years", "events", "events_per_second", "cycles", "wall_seconds", "seed",
    "method", "stopped", "notes", "gain_over_fewer_nodes",
]


def test_json_keys_and_exact_values(run):
    result = run("simulate", "raft", "--nodes", "3", "--mtbf", "100h", "--mttr", "10h", "--years", "2000",
                 "--seed", "4", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == KEYS
    # n = 3, each node down u = MTTR/(MTBF+MTTR): the binomial; MTTF = (5 lambda + mu)/(6 lambda^2) by first passage
    u = 10 / 110
    assert data["exact_quorum_unavailability"] == pytest.approx(3 * u**2 * (1 - u) + u**3, rel=1e-12)
    lam, mu = 1 / 100, 1 / 10
    assert data["exact_mttf_hours"] == pytest.approx((5 * lam + mu) / (6 * lam**2), rel=1e-12)
    assert data["seed"] == 4 and data["method"] == "crude"
    assert data["simulated_years"] == pytest.approx(2000)
    low, high = data["unavailability_ci95"]
    assert low <= data["unavailability"] <= high
    assert data["downtime_per_year_hours"] == data["unavailability"] * 8760
    assert data["availability"] == 1 - data["unavailability"]
    assert "seed 4" in result.stderr


def test_year_days_sets_the_year_of_the_per_year_figures(run):
    # a per-year figure of the exact chain is its rate per hour times 8,760 or 8,766 hours
    args = ["simulate", "raft", "--nodes", "3", "--mtbf", "100h", "--mttr", "10h", "--method", "exact", "--seed", "1",
            "-f", "json"]
    common = json.loads(run(*args).stdout)
    julian = json.loads(run(*args, "--year-days", "365.25").stdout)
    u = 10 / 110
    losses_per_hour = 3 * u * (1 - u) ** 2 * 2 / 100  # from one node down, either other fails
    assert common["quorum_losses_per_year"] == pytest.approx(losses_per_hour * 8760, rel=1e-12)
    assert julian["quorum_losses_per_year"] == pytest.approx(losses_per_hour * 8766, rel=1e-12)
    for key in ("exact_quorum_losses_per_year", "elections_per_year", "election_downtime_per_year_hours",
                "downtime_per_year_hours"):
        assert julian[key] == pytest.approx(common[key] * 365.25 / 365, rel=1e-14), key
    for key in ("unavailability", "quorum_unavailability", "mean_outage_hours", "mttf_hours"):
        assert julian[key] == common[key], key
    table = run(*args[:-2], "--year-days", "365.25")
    assert "A year is 365.25 days" in table.stdout
    bad = run("simulate", "raft", "--year-days", "360")
    assert bad.exit_code == 2 and "--year-days" in bad.stderr


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


def test_seed_is_the_same_across_workers_through_the_cli(run):
    args = ["simulate", "raft", "--nodes", "5", "--mtbf", "300h", "--years", "800", "--seed", "9", "-f", "json"]
    one = json.loads(run(*args, "--workers", "1").stdout)
    two = json.loads(run(*args, "--workers", "2").stdout)
    for key in ("events_per_second", "wall_seconds"):
        one.pop(key), two.pop(key)
    assert one == two


@pytest.fixture
def slow_clock(monkeypatch):
    """A clock that moves 10 s at every reading, so --max-time runs out after the first wave, whatever the machine."""
    from relcalc.raft import engine, importance

    ticks = itertools.count(0.0, 10.0)
    for module in (engine, importance):
        monkeypatch.setattr(module, "perf_counter", lambda: next(ticks))


def test_max_time_before_the_budget_exits_3(run, slow_clock):
    result = run("simulate", "raft", "--years", "1e8", "--max-time", "1s", "--seed", "1", "-f", "json")
    assert result.exit_code == 3
    assert "--max-time ran out" in result.stderr
    data = json.loads(result.stdout)
    # chunks of 1,000 years in waves of 32: the first wave is all the clock allowed
    assert data["stopped"] == "time" and data["simulated_years"] == pytest.approx(32_000, rel=1e-12)


def test_max_time_before_target_exits_3(run, slow_clock):
    crude = run("simulate", "raft", "--mtbf", "10000h", "--mttr", "1h", "--target-rel-error", "0.01",
                "--max-time", "1s", "--years", "1e9", "--seed", "1", "-f", "json")
    assert crude.exit_code == 3
    assert json.loads(crude.stdout)["stopped"] == "time"
    importance = run("simulate", "raft", "--mtbf", "10000h", "--mttr", "1h", "--target-rel-error", "0.01",
                     "--max-time", "1s", "--method", "importance", "--seed", "1", "-f", "json")
    assert importance.exit_code == 3
    data = json.loads(importance.stdout)
    assert data["stopped"] == "time" and data["cycles"] == 20_000  # one batch of cycles


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


def data_loss_per_hour_independent_nodes(n, own, p, mu, nu):
    """Data losses per hour when every node is under repair at once: nodes are independent.

    Each node alone is up, under repair (entered at own (1 - p), left at mu)
    or being replaced (entered at own p, left at nu), with steady state
    proportional to (1, own (1 - p)/mu, own p/nu). A data loss begins when an up
    node is destroyed while q - 1 others are being replaced (q = quorum): with
    m = n - q + 1 nodes not being replaced, each up or under repair,
    C(n, q-1) replace^(q-1) x m up (up + repair)^(m-1) x own p.
    """
    w = np.array([1.0, own * (1 - p) / mu, own * p / nu])
    up, repair, replace = w / w.sum()
    q = n // 2 + 1
    m = n - q + 1
    return math.comb(n, q - 1) * replace ** (q - 1) * m * up * (up + repair) ** (m - 1) * own * p


def test_data_loss_against_independent_nodes(run):
    result = run("simulate", "raft", "--mtbf", "500h", "--permanent", "20%", "--replace-time", "24h",
                 "--method", "exact", "--seed", "1", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    truth = data_loss_per_hour_independent_nodes(5, 1 / 500, 0.2, 1 / 4, 1 / 24) * 8760  # --mttr 4h by default
    assert data["data_loss_per_year"] == pytest.approx(truth, rel=1e-9)
    assert data["exact_data_loss_per_year"] == pytest.approx(truth, rel=1e-9)
    assert data["mttdl_hours"] > 0 and data["data_loss_per_year_ci95"] is None  # solved, not sampled


def test_years_running_out_before_the_target_exits_3(run):
    # 3,200 years of MTBF 500 h cannot give 1% precision: like --max-time, running out of --years is partial
    result = run("simulate", "raft", "--mtbf", "500h", "--target-rel-error", "0.01", "--years", "3200", "--seed", "7",
                 "-f", "json")
    assert result.exit_code == 3
    assert "--years ran out before --target-rel-error was reached" in result.stderr
    data = json.loads(result.stdout)
    assert data["stopped"] == "budget" and data["quorum_unavailability"] is not None
    reached = run("simulate", "raft", "--mtbf", "500h", "--target-rel-error", "0.5", "--years", "3200", "--seed", "7",
                  "-f", "json")
    assert reached.exit_code == 0 and json.loads(reached.stdout)["stopped"] == "target"


def test_the_exact_method_says_no_seed(run):
    exact = run("simulate", "raft", "--nodes", "3", "--method", "exact")
    assert exact.exit_code == 0 and "seed" not in exact.stderr and "seed" not in exact.stdout
    sweep = run("simulate", "raft", "--nodes", "3,5", "--method", "exact")
    assert "seed" not in sweep.stdout + sweep.stderr


def test_a_sweep_under_auto_names_each_rows_method(run):
    # at MTBF 10,000 h, MTTR 1 h, n = 3 is crude sampling's (a loss every 2,000 years); n = 5 (1e-11) importance's
    args = ["simulate", "raft", "--nodes", "3,5", "--mtbf", "10000h", "--mttr", "1h", "--method", "auto",
            "--target-rel-error", "0.2", "--seed", "1"]
    rows = json.loads(run(*args, "-f", "json").stdout)
    assert [r["method"] for r in rows] == ["crude", "importance"]
    table = run(*args)
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "crude and importance by row" in lines[0]
    assert any(line.split()[:2] == ["3", "crude"] for line in lines)
    assert any(line.split()[:2] == ["5", "importance"] for line in lines)


def test_no_loss_seen_is_an_upper_bound_in_json_and_table(run):
    args = ["simulate", "raft", "--nodes", "7", "--mttr", "1h", "--years", "10000", "--seed", "1"]
    data = json.loads(run(*args, "-f", "json").stdout)
    assert data["quorum_losses_observed"] == 0
    for key in ("quorum_unavailability", "quorum_losses_per_year"):
        assert data[f"{key}_interval"] == "garwood-upper-bound"
        assert data[f"{key}_ci95"] == [0.0, data[key]]
    assert data["exact_covered"] is True
    assert data["mttf_hours_interval"] == "garwood-lower-bound" and data["mttf_hours_ci95"][1] is None
    table = run(*args).stdout
    assert "<" in table and "95% upper bound (Garwood, none observed)" in table.replace("\n", " ")
    assert "OUTSIDE" not in table


def test_nothing_seen_gives_bounds_said_as_bounds_and_no_share_above_one(run):
    # 1e-9 years (32 ms) sees no event: every share's 95% upper limit is capped at 1 (a share of time), the write
    # figure is that bound, marked, and the summary says 'at least' / 'at most'; the exact value stays inside
    result = run("simulate", "raft", "--nodes", "3", "--years", "1e-9", "--seed", "1", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["write_figures_are_bounds"] is True
    assert data["unavailability"] == data["unavailability_ci95"][1] == 1.0
    assert data["quorum_unavailability_ci95"] == [0.0, 1.0] and data["availability"] == 0.0
    u = 4 / 2004  # each node down MTTR / (MTBF + MTTR); 2-of-3 quorum lost with two or three down
    assert data["exact_quorum_unavailability"] == pytest.approx(3 * u**2 * (1 - u) + u**3, rel=1e-12)
    table = run("simulate", "raft", "--nodes", "3", "--years", "1e-9", "--seed", "1").stdout
    assert "availability at least 0%" in table and "downtime at most" in table and "| write unavailability" in table
    assert "<1 " in table.split("| write unavailability")[1].split("\n")[0]
    seen = json.loads(run("simulate", "raft", "--nodes", "3", "--mtbf", "100h", "--mttr", "10h", "--years", "2000",
                          "--seed", "4", "-f", "json").stdout)
    assert seen["write_figures_are_bounds"] is False
