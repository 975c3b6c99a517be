"""``relcalc compose`` end to end."""

import csv
import io
import json
import math

import mpmath
import pytest

from conftest import SAMPLES
from test_rbd import binomial_upper_tail


def test_web_service_sample(run):
    result = run("compose", SAMPLES / "web-service.yaml", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # closed form: power * lb * (1 - u_app^3) * (3 a_db^2 - 2 a_db^3)
    u_app, a_db = 4 / 2004, 8000 / 8008
    a = 0.99999 * (50000 / 50002) * (1 - u_app**3) * (3 * a_db**2 - 2 * a_db**3)
    assert data["availability"] == pytest.approx(a, rel=1e-13)
    assert data["importance"][0]["name"] == "lb"
    lb = data["importance"][0]
    assert set(lb) == {
        "name", "unavailability", "birnbaum", "criticality", "fussell_vesely", "risk_achievement_worth",
        "improvement_potential",
    }
    assert lb["unavailability"] == pytest.approx(2 / 50002, rel=1e-15)  # MTTR / (MTBF + MTTR) of lb
    # lb is in series with everything: Birnbaum = A_system / A_lb
    assert lb["birnbaum"] == pytest.approx(a / (50000 / 50002), rel=1e-13)
    for key in ("unavailability", "nines", "failure_frequency_per_hour", "mtbf_hours", "mttr_hours", "downtime_per_year_hours"):
        assert key in data
    assert data["frequency_excludes"] == ["power"]


def test_table_has_tree_and_assumptions(run):
    result = run("compose", SAMPLES / "bridge.yaml")
    assert result.exit_code == 0
    assert "What to fix first" in result.stdout
    assert "Assumptions" in result.stdout
    assert "parallel" in result.stdout


def test_inline_expression_matches_yaml(run):
    inline = run(
        "compose", "power * lb * 3x app * 2/3 db",
        "-c", "power=0.99999", "-c", "lb=50000h/2h", "-c", "app=2000h/4h", "-c", "db=8000h/8h", "-f", "json",
    )
    spec = run("compose", SAMPLES / "web-service.yaml", "-f", "json")
    assert inline.exit_code == 0, inline.stderr
    assert json.loads(inline.stdout)["unavailability"] == pytest.approx(json.loads(spec.stdout)["unavailability"], rel=1e-14)


def test_components_csv_and_set(run, tmp_path):
    structure = tmp_path / "s.yaml"
    structure.write_text("components: {app: , db: }\nsystem: {series: [{parallel: [app]}, {k_of_n: {k: 2, of: [db]}}]}\n")
    table = tmp_path / "c.csv"
    table.write_text("name,mtbf,mttr,count\napp,2000h,4h,3\ndb,8000h,8h,3\n")
    base = run("compose", structure, "--components", table, "-f", "json")
    assert base.exit_code == 0, base.stderr
    what_if = run("compose", structure, "--components", table, "--set", "db.mttr=1h", "-f", "json")
    assert json.loads(what_if.stdout)["unavailability"] < json.loads(base.stdout)["unavailability"]
    # a misspelt name in the CSV is an error, as an unused -c is, not figures silently dropped
    table.write_text("name,mtbf,mttr,count\napp,2000h,4h,3\ndb,8000h,8h,3\ndbs,1h,100h,1\n")
    typo = run("compose", structure, "--components", table)
    assert typo.exit_code == 2 and "'dbs' is not used" in typo.stderr


def test_target_solve_mttr_and_count(run):
    result = run(
        "compose", SAMPLES / "web-service.yaml", "--target", "99.99%", "--solve-mttr", "lb", "--solve-count", "app", "-f", "json"
    )
    data = json.loads(result.stdout)
    assert data["meets_target"] is True
    mttr, count = data["solutions"]
    assert mttr["value"] > 2.0 and count["value"] == 2.0
    check = run("compose", SAMPLES / "web-service.yaml", "--set", f"lb.mttr={mttr['value'] * 1.001}h", "-f", "json")
    assert json.loads(check.stdout)["unavailability"] > 1e-4  # just past the answer misses the target


def test_target_missed_exit_3(run):
    result = run("compose", SAMPLES / "web-service.yaml", "--target", "99.999%")
    assert result.exit_code == 3


def test_csv_output(run):
    result = run("compose", SAMPLES / "bridge.yaml", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["name"] == "SYSTEM" and len(rows) == 6
    assert {row["name"] for row in rows[1:]} == set("abcde")
    c = next(row for row in rows if row["name"] == "c")
    assert float(c["unavailability"]) == pytest.approx(10 / 2010, rel=1e-15)
    assert rows[0]["birnbaum"] == ""  # the system row has no importance


def _bridge_reliability(t: float) -> float:
    """R(t) of the sample bridge by brute force over its 32 component states (paths ad, be, ace, bcd)."""
    import itertools
    import math

    r = {"a": math.exp(-t / 1000), "b": math.exp(-t / 1000), "c": math.exp(-t / 2000),
         "d": math.exp(-t / 1000), "e": math.exp(-t / 1000)}
    paths = ("ad", "be", "ace", "bcd")
    total = 0.0
    for states in itertools.product((True, False), repeat=5):
        up = dict(zip("abcde", states))
        if any(all(up[x] for x in path) for path in paths):
            total += math.prod(r[x] if up[x] else 1 - r[x] for x in "abcde")
    return total


def test_mission_time(run):
    from scipy.integrate import quad

    result = run("compose", SAMPLES / "bridge.yaml", "--mission-time", "100h", "-f", "json")
    assert result.exit_code == 0, result.stderr
    mission = json.loads(result.stdout)["mission"]
    assert mission["reliability"] == pytest.approx(_bridge_reliability(100.0), rel=1e-12)
    assert mission["unreliability"] == pytest.approx(1 - _bridge_reliability(100.0), rel=1e-9)
    # MTTF = integral of R(t): the brute-force polynomial integrated numerically
    mttf = quad(_bridge_reliability, 0, 60_000, epsabs=0, epsrel=1e-12, limit=200)[0]
    assert mission["mttf_hours"] == pytest.approx(mttf, rel=1e-9)


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("components: {a: {availability: 0.9}}\nsystem: {series: [b]}", "unknown component 'b'"),
        ("components: {a: {availability: 0.9}}\nsystem: {k_of_n: {k: 0, of: [a]}}", "k must be between"),
        ("components: {a: {availability: 0.9}}\nsystem: {k_of_n: {k: 2, of: [a]}}", "k must be between"),
        ("components: {a: {availability: 0.9}}\nsystem: {series: []}", "empty block"),
        ("components: {a: {mtbf: 1h, mttr: 1h, availability: 0.9}}\nsystem: a", "contradictory"),
        ("components: {a: {availability: 0.9}}\ncomponents: {b: {availability: 0.9}}\nsystem: a", "duplicate"),
        ("- a\n- b\n", "must be a mapping"),
        ("components: {a: {availability: 0.9}}\nsystem: {loop: [a]}", "unknown block"),
        ("components: {a: {availability: 1.5}}\nsystem: a", "strictly between"),
        ("components: {a: {mtbf: -1h, mttr: 1h}}\nsystem: a", "must be positive"),
        ("components: {a: {availability: 0.9, count: 0}}\nsystem: a", "count"),
        ("components: [a]\nsystem: a", "components: expected a mapping"),
        ("system: [a", "not valid YAML"),
        ("", "empty"),
    ],
)
def test_bad_specs(run, spec, fragment):
    result = run("compose", "-", input=spec)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_alias_cycle_is_clean(run):
    spec = "components: {a: {availability: 0.9}}\nsystem: &x {series: [a, *x]}\n"
    result = run("compose", "-", input=spec)
    assert result.exit_code == 2 and "cycle" in result.stderr
    assert len(result.stderr) < 300


def test_absurd_depth_is_clean(run):
    spec = "components: {a: {availability: 0.9}}\nsystem: " + "{series: [" * 10000 + "a" + "]}" * 10000
    result = run("compose", "-", input=spec)
    assert result.exit_code == 2 and "nesting" in result.stderr


@pytest.mark.parametrize("cell", ["abc", "2.5", "0"])
def test_components_csv_bad_count(run, tmp_path, cell):
    table = tmp_path / "c.csv"
    table.write_text(f"name,mtbf,mttr,count\napp,2000h,4h,{cell}\n")
    result = run("compose", "app", "--components", table)
    assert result.exit_code == 2, result.stderr
    assert "count" in result.stderr and "row 1" in result.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["a * b", "-c", "a=1h/1h"], "has no parameters"),
        (["a", "-c", "a=1h/1h", "-c", "b=0.9"], "not used"),
        (["a", "-c", "a"], "expected NAME="),
        (["missing.yaml"], "file not found"),
        (["a", "-c", "a=1h/1h", "--solve-mttr", "a"], "need a --target"),
    ],
)
def test_bad_cli_input(run, args, fragment):
    result = run("compose", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr


def test_solve_count_stops_before_the_exact_expansion_explodes(run, monkeypatch, tmp_path):
    """Each instance of a component shared between paths doubles the exact evaluation: the search is bounded."""
    from relcalc.rbd import load_spec_text, system_from_mapping
    from relcalc.rbd import inverse

    bridge = system_from_mapping(load_spec_text((SAMPLES / "bridge.yaml").read_text()))
    # the root's four paths share all five components: 2^5 assignments, each evaluating leaves 2 + 2 + 3 + 3
    assert inverse.expansion_cases(bridge) == 2**5 * (2 + 2 + 3 + 3)
    # In the bridge each use of a puts all its instances in series, so more of them only hurt: the search
    # stops at two (issue 13: it used to go on until the expansion bound). Here a sits in a parallel
    # block inside both branches: each instance helps a little (the floor is b and c) and doubles the work.
    shared = tmp_path / "shared.yaml"
    shared.write_text(
        "components:\n  a: {mtbf: 1000h, mttr: 10h}\n  b: {mtbf: 1000h, mttr: 10h}\n  c: {mtbf: 1000h, mttr: 10h}\n"
        "system:\n  parallel:\n    - series: [b, {parallel: [a]}]\n    - series: [c, {parallel: [a]}]\n"
    )
    monkeypatch.setattr(inverse, "MAX_TRIAL_CASES", 1000)
    result = run("compose", shared, "--target", "99.999%", "--solve-count", "a")
    assert result.exit_code == 2
    # cases per trial: count 6 costs 2^6 x (leaves 1 + 6 + 1 + 6) = 896, count 7 costs 2^7 x 16 = 2048
    assert "7 instances of 'a' would need over 1,000 cases" in result.stderr
    bridge_run = run("compose", SAMPLES / "bridge.yaml", "--target", "99.9999%", "--solve-count", "a", "-f", "json")
    assert bridge_run.exit_code == 3 and '"reachable": false' in bridge_run.stdout


def test_underflowing_k_of_n_is_below_1e_300_not_zero(run):
    # issue 12: 5001-of-10000 gave U = 0 and nines null. The binomial tail
    # U = sum_{m > 4999} C(10000, m) q^m (1 - q)^(10000 - m) with q = 1/1001, summed
    # with mpmath at 50 digits (tests/test_rbd.py, binomial_upper_tail), is
    # 10^-11996.138454524579934 = 7.27e-11997.
    data = json.loads(run("compose", "5001/10000 x", "-c", "x=1000h/1h", "-f", "json").stdout)
    assert data["unavailability"] is None and data["unavailability_below"] == 1e-300
    assert data["unavailability_log10"] == pytest.approx(-11996.138454524579934, rel=1e-13)
    assert data["nines"] == pytest.approx(11996.138454524579934, rel=1e-13)
    assert data["availability"] == 1.0  # and A + U = 1
    assert data["downtime_per_year_hours"] is None
    assert all(item["criticality"] is None for item in data["importance"])
    # the table and CSV of a smaller one, 301-of-600 of q = 0.001
    log10 = float(mpmath.log10(binomial_upper_tail(600, 301, 0.001)))
    args = ("compose", "301/600 x", "-c", "x=99.9%")
    table = run(*args, "--top", "2").stdout
    assert f"< 1e-300 (about {10 ** (log10 - math.floor(log10)):.3g}e{math.floor(log10)})" in table
    assert f"{-log10:.2f}" in table and "Unavailability     0" not in table
    rows = list(csv.reader(io.StringIO(run(*args, "-f", "csv").stdout)))
    assert rows[0][-1] == "unavailability_log10" and rows[1][:2] == ["SYSTEM", ""]
    assert float(rows[1][-1]) == pytest.approx(log10, rel=1e-13)


def test_representable_unavailability_keeps_its_number(run):
    # 2-of-3 of q = 0.001: U = 3 q^2 (1 - q) + q^3 (binomial), no "below" flag
    data = json.loads(run("compose", "2/3 x", "-c", "x=99.9%", "-f", "json").stdout)
    q = 0.001
    assert data["unavailability"] == pytest.approx(3 * q**2 * (1 - q) + q**3, rel=1e-13)
    assert data["unavailability_below"] is None
    assert abs(data["availability"] + data["unavailability"] - 1) <= 1e-15


def test_a_meshed_network_spec_runs_and_names_its_block(run):
    from relcalc.rbd import evaluate, load_spec_text, system_from_mapping

    path = SAMPLES / "wan-mesh.yaml"
    result = run("compose", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    library = evaluate(system_from_mapping(load_spec_text(path.read_text())))
    assert data["unavailability"] == library.unavailability  # the CLI passes the library's figure through
    table = run("compose", path)
    assert "network dc-east -- dc-west (10 edges)" in table.stdout


@pytest.mark.parametrize("option", [["--cut-sets"], ["--at", "5h"], ["--window", "0h..5h"], ["--mission-time", "10h"],
                                    ["--target", "99.99%"], ["--mttf-with-repair"]])
def test_csv_refuses_figures_it_cannot_carry(run, option):
    # compose's CSV is a row per instance: the extra figures would be dropped without a word, so they are refused
    result = run("compose", SAMPLES / "web-service.yaml", "-f", "csv", *option)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "use -f json" in result.stderr


def test_solve_count_of_instances_wired_into_a_network_says_so(run):
    # wan-mesh's network names border#1 and border#2: a count to vary would leave a named instance without a unit
    result = run("compose", SAMPLES / "wan-mesh.yaml", "--target", "99.99%", "--solve-count", "border")
    assert result.exit_code == 2 and "named one by one in a network ('border#1')" in result.stderr


@pytest.mark.parametrize("order", ["0", "7", "1e9", "99999999999999999999999", "2.5", "-1"])
def test_a_cut_set_order_out_of_range_has_one_message(run, order):
    result = run("compose", SAMPLES / "web-service.yaml", "--cut-sets", order)
    assert result.exit_code == 2 and result.stderr.startswith("relcalc: error: --cut-sets must be a whole number")
