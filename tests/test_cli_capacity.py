"""``relcalc capacity`` and ``relcalc capacity fit`` end to end."""

import csv
import io
import json
import math
from fractions import Fraction

import pytest

from conftest import SAMPLES


def test_json_has_the_documented_keys(run):
    result = run("capacity", "--rate", "12k", "--service-time", "40ms", "--concurrency", "32", "--balancer",
                 "two-choices", "--sessions", "2000", "--target-utilization", "70%", "--zones", "3", "--latency",
                 "p99<=200ms", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("nodes", "binding_constraint", "capacity_c", "effective_capacity_q", "balance_factor",
                "offered_load_erlangs", "utilization", "utilization_after_failures", "probability_of_wait",
                "p99_response_seconds", "p50_response_seconds", "p95_response_seconds", "mean_wait_seconds",
                "nodes_for_throughput", "nodes_for_utilization", "nodes_for_redundancy", "nodes_for_latency"):
        assert key in data, key
    assert data["capacity_c"] == pytest.approx(12000 / (32 / 0.04), rel=1e-15)  # C = R / T, T = c / S
    assert data["offered_load_erlangs"] == pytest.approx(12000 * 0.04, rel=1e-15)  # a = R S
    assert data["nodes"] == max(data[f"nodes_for_{c}"] for c in ("throughput", "utilization", "redundancy", "latency"))
    assert data["nodes_for_" + data["binding_constraint"]] == data["nodes"]
    assert data["utilization"] <= 0.7 and data["utilization_after_failures"] <= 1.0
    assert data["p99_response_seconds"] <= 0.2
    assert data["latency_target"] == "p99<=200ms"


def test_table_names_the_binding_constraint(run):
    result = run("capacity", "--rate", "12000", "--node-throughput", "800", "--tolerate-failures", "3")
    assert result.exit_code == 0
    # N+3 with round robin: the survivors carry R at most 90% busy (the default survivor cap),
    # N - 3 >= R / (0.9 T) = 16.67; healthy at most 80%: N >= 18.75
    assert f"Answer: {math.ceil(Fraction(15) / Fraction(9, 10)) + 3} nodes (binding: redundancy)" in result.stdout
    assert "at most 90% busy" in result.stdout and "(default; --failover-utilization)" in result.stdout
    assert "Assumptions" in result.stdout


def test_current_nodes_and_growth(run):
    result = run("capacity", "-r", "12000", "--node-throughput", "800", "--nodes", "30", "--growth", "5%/month",
                 "--horizon", "2y", "--target-utilization", "100%", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["current"]["meets_targets"] is True
    # 30 nodes of 800/s serve just under 24,000/s (full load is never allowed; 1e-9 relative allowance)
    assert 24000 * (1 - 2e-9) < data["current"]["max_rate_per_second"] < 24000
    assert data["current"]["utilization"] == pytest.approx(12000 / (30 * 800), rel=1e-15)
    assert len(data["growth"]) == 25
    assert [m["nodes_needed"] for m in data["growth"]] == [math.floor(15 * Fraction(21, 20) ** m) + 1 for m in range(25)]
    assert data["runs_out_after_months"] == pytest.approx(math.log(2) / math.log(1.05), rel=1e-8)
    assert data["runs_out_month"] == math.ceil(math.log(2) / math.log(1.05))
    csv_out = run("capacity", "-r", "12000", "--node-throughput", "800", "--growth", "5%/month", "-f", "csv",
                  "--target-utilization", "1")
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert list(rows[0]) == ["month", "rate_per_second", "nodes_needed", "binding_constraint"]
    assert len(rows) == 13 and rows[12]["nodes_needed"] == str(math.ceil(15 * Fraction(21, 20) ** 12))


def test_too_few_current_nodes_exits_3(run):
    result = run("capacity", "-r", "12000", "--node-throughput", "800", "--nodes", "10", "-f", "json")
    assert result.exit_code == 3
    assert "10 nodes are not enough: 19 are needed" in result.stderr  # C / 0.8 = 18.75, the default healthy cap
    current = json.loads(result.stdout)["current"]
    assert current["meets_targets"] is False
    assert current["max_rate_per_second"] == pytest.approx(10 * 800 * 0.8, rel=1e-11)


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["-r", "0", "--node-throughput", "1"], "--rate"),
        (["-r", "-12k", "--node-throughput", "1"], "--rate"),
        (["-r", "12k"], "node throughput"),
        (["-r", "12k", "--node-throughput", "0"], "--node-throughput"),
        (["-r", "12k", "--node-throughput", "800", "--balance-factor", "0.9"], "--balance-factor"),
        (["-r", "12k", "--node-throughput", "800", "--target-utilization", "0"], "--target-utilization"),
        (["-r", "12k", "--node-throughput", "800", "--target-utilization", "120%"], "--target-utilization"),
        (["-r", "12k", "--node-throughput", "800", "--latency", "p99<=1s"], "service time"),
        (["-r", "12k", "--service-time", "100ms", "--concurrency", "4", "--latency", "p99<=200ms"], "service time alone"),
        (["-r", "12k", "--service-time", "1s", "--concurrency", "4", "--latency", "mean<=500ms"], "service time alone"),
        (["-r", "12k", "--node-throughput", "800", "--balancer", "random"], "--sessions"),
        (["-r", "12k", "--node-throughput", "800", "--balancer", "magic"], "--balancer"),
        (["-r", "12k", "--node-throughput", "800", "--zones", "1"], "--zones"),
        (["-r", "12k", "--node-throughput", "800", "--tolerate-failures", "-1"], "--tolerate-failures"),
        (["-r", "12k", "--node-throughput", "800", "--usl", "0.1"], "--usl"),
        (["-r", "20k", "--node-throughput", "1000", "--usl", "0.03,0.0005"], "USL"),
        (["-r", "12k", "--node-throughput", "800", "--growth", "fast"], "--growth"),
        (["-r", "12k", "--node-throughput", "800", "--growth", "5%/month", "--horizon", "0mo"], "--horizon"),
        (["-r", "12k", "--node-throughput", "800", "--nodes", "0"], "--nodes"),
        (["--node-throughput", "800"], "--rate"),
    ],
)
def test_bad_input_is_one_line_exit_2(run, args, fragment):
    result = run("capacity", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_batch_sample(run):
    result = run("capacity", "--csv", SAMPLES / "capacity.csv", "-f", "csv")
    assert result.exit_code == 3  # some services are short of nodes
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["name"] for r in rows] == ["edge-lb", "api", "search", "sessions", "cache", "auth"]
    search = rows[2]
    assert search["nodes"] == str(math.ceil(3000 / 150 / 0.8)) and search["enough_nodes"] == "false"
    assert "rows have fewer current_nodes" in result.stderr


def test_batch_bad_rows_are_reported_not_dropped(run, tmp_path):
    path = tmp_path / "svc.csv"
    path.write_text(
        "name,rate,node_throughput,balancer,latency\n"
        "ok,1000,100,,\n"
        "negative,-5,100,,\n"
        "policy,1000,100,magic,\n"
        "latency,1000,100,,p99<=1s\n"
        "units,720k/min,1k,,\n"
        "nan,nan,100,,\n"
    )
    result = run("capacity", "--csv", path, "-f", "json", "--target-utilization", "100%")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert [r["name"] for r in data] == ["ok", "units"]
    assert data[1]["nodes"] == 720_000 / 60 / 1_000 + 1  # 720k/min over 1k/s is 12 nodes at exactly full load
    for row in (2, 3, 4, 6):
        assert f"row {row}:" in result.stderr
    failed = run("capacity", "--csv", path, "--on-error", "fail", "-o", tmp_path / "out.csv")
    assert failed.exit_code == 2 and not (tmp_path / "out.csv").exists()


def test_batch_options_fill_absent_cells(run, tmp_path):
    path = tmp_path / "svc.csv"
    path.write_text("name,rate\na,1000\nb,2000\n")
    result = run("capacity", "--csv", path, "--node-throughput", "100", "--tolerate-failures", "1", "-f", "json")
    assert result.exit_code == 0, result.stderr
    # N+1 with round robin: N - 1 >= R / (0.9 T), the default survivor cap, and N >= R / (0.8 T) healthy
    assert [r["nodes"] for r in json.loads(result.stdout)] == [
        max(math.ceil(Fraction(r, 90)) + 1, math.ceil(Fraction(r, 80))) for r in (1000, 2000)]
    missing = run("capacity", "--csv", path)
    assert missing.exit_code == 3 and "node throughput" in missing.stderr


def test_batch_blank_optional_cells_take_the_defaults_not_an_error(run, tmp_path):
    # issue 12 (the availability batch skipped rows with an empty optional cell): here every
    # optional column's blank cell takes the option's value, or none, and the row is sized
    path = tmp_path / "svc.csv"
    path.write_text("name,rate,node_throughput,current_nodes,latency,balancer,zones,usl_sigma\n"
                    "bare,1000,100,,,,,\nfull,1000,100,13,,round-robin,,0\n")
    result = run("capacity", "--csv", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    bare, full = json.loads(result.stdout)
    assert bare["nodes"] == full["nodes"] == math.ceil(Fraction(1000, 80))  # N = R / (0.8 T) = 12.5 -> 13, the default cap
    assert bare["current_nodes"] is None and bare["enough_nodes"] is None
    assert full["current_nodes"] == 13 and full["enough_nodes"] is True


def test_batch_unreachable_row_is_kept_with_a_note(run, tmp_path):
    path = tmp_path / "svc.csv"
    path.write_text("name,rate,service_time,concurrency,latency\nfast,100,10ms,4,p99<=100ms\nslow,100,1s,4,p99<=1s\n")
    result = run("capacity", "--csv", path, "-f", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data[1]["nodes"] is None and "service time alone" in data[1]["note"]
    # p99 of an exponential service alone is ln(100) S = 4.6 s, over the 1 s target
    assert f"{math.log(100) * 1000:.4g} ms" in data[1]["note"]
    # one node (a = R S = 1 Erlang on 4 servers) already meets p99 <= 100 ms: the smallest size there is
    assert data[0]["nodes"] == 1 and data[0]["p99_response_seconds"] <= 0.1


def test_fit_sample(run):
    result = run("capacity", "fit", "--csv", SAMPLES / "usl-measurements.csv", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["law", "sigma", "kappa", "r_squared", "points", "peak_nodes", "node_throughput_per_second",
                          "rmse_per_second", "throughput_ceiling_per_second", "best_whole_nodes",
                          "throughput_at_best_whole_nodes_per_second", "usl_option"]
    assert data["law"] == "usl"
    assert 0 < data["sigma"] < 0.1 and 0 < data["kappa"] < 0.01 and data["r_squared"] > 0.99
    assert data["peak_nodes"] == pytest.approx(math.sqrt((1 - data["sigma"]) / data["kappa"]), rel=1e-15)
    lam = data["node_throughput_per_second"]

    def curve(n):
        return lam * n / (1 + data["sigma"] * (n - 1) + data["kappa"] * n * (n - 1))

    # the ceiling is X(N*), the real maximum; beside it the best whole N, by brute force over 1..1000
    assert data["throughput_ceiling_per_second"] == pytest.approx(curve(data["peak_nodes"]), rel=1e-15)
    assert data["best_whole_nodes"] == max(range(1, 1001), key=curve)
    assert data["throughput_at_best_whole_nodes_per_second"] == pytest.approx(curve(data["best_whole_nodes"]), rel=1e-15)
    assert data["throughput_at_best_whole_nodes_per_second"] <= data["throughput_ceiling_per_second"]
    sized = run("capacity", "-r", "10000", "--node-throughput", str(lam), "--usl", data["usl_option"], "-f", "json",
                "--target-utilization", "100%")
    assert sized.exit_code == 0, sized.stderr
    # the smallest N whose USL throughput reaches the rate, by brute force on the curve sized with
    sigma, kappa = (float(v) for v in data["usl_option"].split(","))
    brute = next(n for n in range(1, 1000) if lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1)) > 10000)
    assert json.loads(sized.stdout)["nodes"] == brute


@pytest.mark.parametrize("sigma", [0.05, 0.2])
def test_fit_of_amdahl_data_reports_the_ceiling_not_a_peak(run, tmp_path, sigma):
    # issue 12: Amdahl-like data came out with kappa ~ 1e-30 and "Peak N = 774550262042109.6".
    # Noise-free data from Amdahl's law, X(N) = lambda N / (1 + sigma (N - 1)) (the USL with
    # kappa = 0 exactly), rise towards lambda / sigma as N grows and have no peak (Gunther,
    # Guerrilla Capacity Planning, 2007, section 4.4; Amdahl, AFIPS 1967).
    lam = 1000.0
    rows = "".join(f"{n},{lam * n / (1 + sigma * (n - 1))!r}\n" for n in (1, 2, 4, 8, 16, 32, 64))
    path = tmp_path / "amdahl.csv"
    path.write_text("nodes,throughput\n" + rows)
    result = run("capacity", "fit", "--csv", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["law"] == "amdahl" and data["kappa"] == 0.0
    assert data["peak_nodes"] is None and data["best_whole_nodes"] is None
    assert data["throughput_at_best_whole_nodes_per_second"] is None
    assert data["sigma"] == pytest.approx(sigma, rel=1e-12)
    assert data["throughput_ceiling_per_second"] == pytest.approx(lam / sigma, rel=1e-12)
    table = run("capacity", "fit", "--csv", path)
    assert table.exit_code == 0
    assert "none (Amdahl's law" in table.stdout and f"lambda/sigma = {lam / sigma:,.6g}/s" in table.stdout
    assert "N* =" not in table.stdout
    chart = run("capacity", "fit", "--csv", path, "--chart", tmp_path / "amdahl.png")
    assert chart.exit_code == 0 and (tmp_path / "amdahl.png").stat().st_size > 0


def test_fit_of_linear_data_has_neither_peak_nor_ceiling(run, tmp_path):
    path = tmp_path / "linear.csv"
    path.write_text("nodes,throughput\n1,250\n2,500\n3,750\n5,1250\n")
    data = json.loads(run("capacity", "fit", "--csv", path, "-f", "json").stdout)
    assert data["law"] == "linear" and data["sigma"] == 0.0 and data["kappa"] == 0.0
    assert data["node_throughput_per_second"] == pytest.approx(250, rel=1e-12)
    assert data["peak_nodes"] is None and data["throughput_ceiling_per_second"] is None


@pytest.mark.parametrize(
    "text,fragment",
    [("nodes,throughput\n1,100\n2,190\n", "at least 3"), ("n,x\n1,2\n", "need columns"),
     ("nodes,throughput\n1,100\n2,abc\n4,300\n", "row 2"), ("nodes,throughput\n", "no data rows")],
)
def test_fit_bad_input(run, tmp_path, text, fragment):
    path = tmp_path / "m.csv"
    path.write_text(text)
    result = run("capacity", "fit", "--csv", path)
    assert result.exit_code == 2 and fragment in result.stderr
