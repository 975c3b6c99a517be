"""``relcalc estimate``: the sample export end to end, formats, row errors and hostile inputs."""

import csv
import json
import math
from datetime import datetime

import pytest

from conftest import SAMPLES

SAMPLE = SAMPLES / "incidents.csv"
WINDOW = "2025-01-01..2026-01-01"


def independent_outages():
    """Failures and downtime per component read with the csv module and datetime, merging by hand."""
    spans = {}
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["started_at"]:
                spans.setdefault(row["component"], [])
                continue
            start = datetime.fromisoformat(row["started_at"]).timestamp() / 3600
            end = datetime.fromisoformat(row["resolved_at"]).timestamp() / 3600
            spans.setdefault(row["component"], []).append((start, end))
    out = {}
    for name, items in spans.items():
        merged = []
        for start, end in sorted(items):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out[name] = (len(merged), sum(e - s for s, e in merged))
    return out


def test_sample_json_matches_an_independent_reading(run):
    result = run("estimate", SAMPLE, "--window", WINDOW, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    got = {c["name"]: (c["failures"], c["downtime_hours"]) for c in data["components"]}
    expected = independent_outages()
    assert set(got) == set(expected)
    for name, (failures, downtime) in expected.items():
        assert got[name][0] == failures
        assert got[name][1] == pytest.approx(downtime, abs=1e-6)
    assert len(data["merged"]) == 2 and "merged: app" in result.stderr  # the two re-fired pages
    assert data["confidence"] == 0.9


def test_table_and_csv(run, tmp_path):
    table = run("estimate", SAMPLE, "--window", WINDOW)
    assert table.exit_code == 0
    assert "app" in table.stdout and "90% confidence" in table.stdout and "trend:" in table.stdout
    out = tmp_path / "est.csv"
    result = run("estimate", SAMPLE, "--window", WINDOW, "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.DictReader(out.open()))
    assert {r["name"] for r in rows} == {"app", "cache", "orders-raft", "lb"}


def test_row_errors_skip_or_fail(run, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "component,start,end\n"
        "db,2025-02-01T00:00:00Z,2025-02-01T01:00:00Z\n"
        "db,2025-02-03T00:00:00Z,2025-02-02T01:00:00Z\n"
        "db,not a time,2025-02-02T01:00:00Z\n"
    )
    skipped = run("estimate", bad, "--window", WINDOW, "-f", "json")
    assert skipped.exit_code == 3
    assert "row 2:" in skipped.stderr and "row 3:" in skipped.stderr
    assert json.loads(skipped.stdout)["components"][0]["failures"] == 1
    out = tmp_path / "out.json"
    failed = run("estimate", bad, "--window", WINDOW, "--on-error", "fail", "-o", out)
    assert failed.exit_code == 2 and not out.exists()
    assert "relcalc: error: INCIDENTS: 2 of 3 rows have errors" in failed.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        ([SAMPLE], "no observation window"),
        ([SAMPLE, "--window", "2026-01-01..2025-01-01"], "must come after"),
        ([SAMPLE, "--window", "soon"], "START..END"),
        ([SAMPLE, "--window", WINDOW, "--tz", "Nowhere/City"], "unknown time zone"),
        ([SAMPLE, "--window", WINDOW, "--confidence", "120%"], "--confidence"),
        ([SAMPLE, "--window", WINDOW, "--confidence", "nan"], "--confidence"),
        ([SAMPLE, "--window", WINDOW, "--significance", "0"], "--significance"),
        ([SAMPLE, "--window", WINDOW, "--chart", "x.gif"], "--chart"),
        (["/no/such/file.csv", "--window", WINDOW], "file not found"),
        ([SAMPLE, "--window", WINDOW, "-o", "/no/such/dir/out.json"], "directory"),
        ([SAMPLE, "--window", WINDOW, "--seed", "-1"], "--seed"),
        ([SAMPLE, "--window", WINDOW, "--year-days", "0"], "--year-days"),
        ([SAMPLE, "--window", "nan..nan"], "--window start"),
    ],
)
def test_hostile_inputs_are_one_line_errors(run, args, message):
    result = run("estimate", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("relcalc: error:") and message in last
    assert "Traceback" not in result.stderr


def test_names_are_printed_as_written_not_as_rich_markup(run, tmp_path):
    # rich reads "[/]" as a closing tag (MarkupError, exit 1) and "[bold]" as a style (the name vanishes)
    bad = tmp_path / "markup.csv"
    bad.write_text("component,start,duration\n[/],2025-03-04T12:00Z,2h\n[bold]db,2025-03-05T12:00Z,2h\n")
    result = run("estimate", bad, "--window", WINDOW)
    assert result.exit_code == 0, result.stderr
    assert "[/]" in result.stdout and "[bold]db" in result.stdout


def test_output_over_the_input_is_refused(run, tmp_path):
    history = tmp_path / "inc.csv"
    text = "component,start,duration\ndb,2025-03-04T12:00Z,2h\n"
    history.write_text(text)
    result = run("estimate", history, "--window", WINDOW, "-f", "csv", "-o", history)
    assert result.exit_code == 2 and "the incident file itself" in result.stderr
    assert history.read_text() == text  # the user's export is untouched


def test_csv_names_cannot_run_as_spreadsheet_formulas(run, tmp_path):
    # OWASP "CSV Injection": a cell starting with = + - @ is run as a formula by spreadsheets
    bad = tmp_path / "inj.csv"
    bad.write_text("component,start,duration\n=HYPERLINK(1),2025-03-04T12:00Z,2h\n@db,2025-03-05T12:00Z,2h\n")
    result = run("estimate", bad, "--window", WINDOW, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    names = [row["name"] for row in csv.DictReader(result.stdout.splitlines())]
    assert names == ["'=HYPERLINK(1)", "'@db"]


def test_empty_and_header_only_files(run, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header.csv"
    header.write_text("component,start,end\n")
    for path in (empty, header):
        result = run("estimate", path, "--window", WINDOW)
        assert result.exit_code == 2 and "relcalc: error:" in result.stderr


def test_charts_draw_every_component_with_failures(run, tmp_path):
    from relcalc.charts.estimate import cumulative_failures, repair_times
    from relcalc.estimate import estimate, read_history
    from relcalc.estimate.timestamps import parse_window

    path = tmp_path / "history.svg"
    result = run("estimate", SAMPLE, "--window", WINDOW, "--chart", path, "-f", "json")
    assert result.exit_code == 0
    assert path.exists() and (tmp_path / "history-repairs.svg").exists()
    records = list(csv.DictReader(SAMPLE.open()))
    history = read_history(records, list(records[0]), window=parse_window(WINDOW))
    est = estimate(history, goodness_of_fit=False)
    fig = cumulative_failures(est)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    # a step line per component with failures (app, orders-raft, cache) and a trend curve per tested one
    assert sum("(" in label for label in labels) == 3
    steps = {line.get_label(): line.get_ydata()[-1] for line in fig.axes[0].get_lines() if "(" in line.get_label()}
    assert steps["app (16)"] == independent_outages()["app"][0]
    assert len(repair_times(est).axes[0].get_lines()) >= 3


# --- compose with components from the incident history -------------------------------------------------

SPEC = """
from_incidents:
  file: {file}
  window: {window}
components:
  power: {{availability: 0.99999}}
  lb:    {{}}
  app:   {{count: 3}}
  cache: {{count: 2}}
system:
  series: [power, lb, {{parallel: [app]}}, {{parallel: [cache]}}]
"""


def write_spec(tmp_path, **kw):
    path = tmp_path / "service.yaml"
    values = {"file": SAMPLE, "window": WINDOW}
    values.update(kw)
    path.write_text(SPEC.format(**values))
    return path


def test_compose_takes_rates_from_the_history_per_instance(run, tmp_path):
    result = run("compose", write_spec(tmp_path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["from_incidents"]["components"] == ["app", "cache", "lb"]
    failures, downtime = independent_outages()["app"]
    # app's 16 failures are spread over 3 instances watched for the year: per instance MTBF = 3 (T - D) / r,
    # MTTR = D / r; an app instance's unavailability is then MTTR / (MTBF + MTTR)
    mtbf = 3 * (8760 - downtime) / failures
    mttr = downtime / failures
    app = next(i for i in data["importance"] if i["name"] == "app#1")
    assert app["unavailability"] == pytest.approx(mttr / (mtbf + mttr), rel=1e-9)
    assert "uncertainty" not in data


def test_compose_uncertainty_intervals(run, tmp_path):
    spec = write_spec(tmp_path)
    result = run("compose", spec, "--uncertainty", "-f", "json")
    assert result.exit_code == 0, result.stderr
    spread = json.loads(result.stdout)["uncertainty"]
    assert spread["samples"] == 10_000 and spread["confidence"] == 0.9
    assert spread["unavailability_low"] < spread["unavailability_high"]
    assert spread["availability_low"] < spread["availability_high"]
    assert spread["nines_low"] == pytest.approx(-math.log10(spread["unavailability_high"]))
    # lb had no failure in the year: its rate is the least known and dominates
    assert spread["dominant"] == "lb"
    again = run("compose", spec, "--uncertainty", "-f", "json")
    assert json.loads(again.stdout)["uncertainty"] == spread  # the same seed, the same draws
    table = run("compose", spec, "--uncertainty")
    assert "90% interval" in table.stdout and "Uncertainty from" in table.stdout


def test_compose_uncertainty_csv_gives_the_intervals(run):
    args = ("compose", "lb * 2x cache * db", "--component", "db=99.99%", "--components-from-incidents", SAMPLE,
            "--incidents-window", WINDOW, "--uncertainty")
    data = json.loads(run(*args, "-f", "json").stdout)["uncertainty"]
    result = run(*args, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in csv.DictReader(result.stdout.splitlines())}
    # the CSV carries the same interval as the JSON, and each estimated instance its component's
    assert float(rows["SYSTEM"]["unavailability_low"]) == data["unavailability_low"]
    assert float(rows["SYSTEM"]["unavailability_high"]) == data["unavailability_high"]
    shares = {s["name"]: s for s in data["shares"]}
    assert float(rows["cache#2"]["unavailability_high"]) == shares["cache"]["unavailability_high"]
    assert float(rows["lb"]["variance_share"]) == shares["lb"]["variance_share"]
    assert rows["db"]["unavailability_low"] == ""  # typed, so fixed
    # lb never failed: the chi-square lower limit of a rate with r = 0 is 0, so its interval starts at 0
    assert float(rows["lb"]["unavailability_low"]) == 0.0


def test_compose_inline_expression_from_the_history(run):
    result = run("compose", "3x app * 2x cache", "--components-from-incidents", SAMPLE,
                 "--incidents-window", WINDOW, "--uncertainty", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert sorted(data["from_incidents"]["components"]) == ["app", "cache"]
    assert data["uncertainty"]["unavailability_low"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["lb * app", "--component", "lb=5000h/1h", "--component", "app=100h/1h", "--uncertainty"], "--uncertainty needs"),
        (["lb * app", "--incidents-window", WINDOW], "--incidents-window goes with"),
        (["3x app", "--components-from-incidents", "/no/such.csv", "--incidents-window", WINDOW], "file not found"),
        (["3x app", "--components-from-incidents", SAMPLE], "no observation window"),
        (["3x nosuch", "--components-from-incidents", SAMPLE, "--incidents-window", WINDOW],
         "--from-incidents: no incidents or window for component 'nosuch'"),
    ],
)
def test_compose_hook_errors(run, args, message):
    result = run("compose", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert message in result.stderr and "Traceback" not in result.stderr


def test_spec_key_errors(run, tmp_path):
    bad = write_spec(tmp_path, window="2026-01-01..2025-01-01")
    result = run("compose", bad)
    assert result.exit_code == 2 and "must come after" in result.stderr
    path = tmp_path / "odd.yaml"
    path.write_text("from_incidents: {path: x.csv}\ncomponents: {a: {}}\nsystem: a\n")
    result = run("compose", path)
    assert result.exit_code == 2 and "from_incidents: expected a path" in result.stderr


def test_compose_uncertainty_chart(run, tmp_path):
    from relcalc.charts.estimate import uncertainty

    path = tmp_path / "svc.png"
    result = run("compose", write_spec(tmp_path), "--uncertainty", "--chart", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "svc-uncertainty.png").exists()
    from relcalc.estimate.hooks import load_estimates, propagate_found, take_components
    from relcalc.rbd.spec import parse_expression
    from relcalc.rbd.model import System
    from relcalc.availability import Calendar

    root, counts = parse_expression("lb * 3x app")
    taken = take_components(load_estimates(str(SAMPLE), window=WINDOW), counts, "test")
    spread = propagate_found(System(taken.components, root), [taken], 1, Calendar(), samples=2000)
    fig = uncertainty(spread)
    drawn = sum(p.get_height() for p in fig.axes[0].patches if p.get_height() > 0 and p.get_width() > 0
                and p.get_facecolor()[3] > 0.5)
    assert drawn == int((spread.unavailability_draws > 0).sum())  # every positive draw is in the histogram
    # lb alone never failed, so about half the draws have no downtime at all (its rate's chi-square lower
    # limits are 0); the chart says how many it leaves off the log axis
    lb = take_components(load_estimates(str(SAMPLE), window=WINDOW), {"lb": 1}, "test")
    alone = propagate_found(System(lb.components, parse_expression("lb")[0]), [lb], 1, Calendar(), samples=2000)
    zero = int((alone.unavailability_draws == 0).sum())
    assert 0.4 < zero / 2000 < 0.6 and f"{zero:,} draws" in uncertainty(alone).axes[0].get_xlabel()


def test_the_sample_is_what_its_script_generates(tmp_path):
    # samples/incidents.csv is generated, not typed: the documented script with its fixed seed gives it again
    import runpy

    script = SAMPLES.parent / "scripts" / "make_incidents.py"
    out = tmp_path / "incidents.csv"
    module = runpy.run_path(str(script), run_name="make_incidents")
    module["main"](str(out))
    assert out.read_bytes() == SAMPLE.read_bytes()


def test_compose_says_when_a_component_rate_is_changing(run, tmp_path):
    # eight failures all in the last 40 days of the year: the Laplace statistic is far above 0 (Cox & Lewis
    # 1966, 3.3), so the MTBF compose takes is only the year's average and the output must say so
    history = tmp_path / "late.csv"
    lines = ["component,start,duration"] + [f"db,2025-12-{day:02d}T12:00Z,1h" for day in range(1, 25, 3)]
    lines.append("web,2025-06-01T00:00Z,1h")
    history.write_text("\n".join(lines) + "\n")
    result = run("compose", "db * web", "--components-from-incidents", history, "--incidents-window", WINDOW,
                 "-f", "json")
    assert result.exit_code == 0, result.stderr
    notes = json.loads(result.stdout)["from_incidents"]["notes"]
    assert any(n.startswith("db: failures are becoming more frequent") for n in notes)
    assert not any(n.startswith("web:") and "frequent" in n for n in notes)
