"""``relcalc report`` with ``from_incidents:``: figures from the history, a 90% interval beside every
availability figure, whose uncertainty dominates, and the Raft store drawn from its nodes' history.

The sample (samples/checkout-from-incidents.yaml) is reported once per module (the ``report`` fixture).
"""

import csv
import datetime as dt
import math
import shutil
from collections import defaultdict

import pytest

from conftest import SAMPLES

SAMPLE = SAMPLES / "checkout-from-incidents.yaml"
WINDOW_HOURS = 365 * 24.0  # from_incidents.window: 2025-01-01..2026-01-01
RUNS = {}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from relcalc.report import write_report

    out = tmp_path_factory.mktemp("reports") / "from-incidents"
    done = write_report(str(SAMPLE), str(out))
    RUNS["sample"] = done  # for the command-line test, which prints this run instead of building it again
    return out, done.analysis


@pytest.fixture(scope="module")
def core():
    """The uncertainty core called directly on the sample's mapping, as the estimate engineer documents it."""
    from relcalc.rbd.spec import load_spec_text
    from relcalc.uncertainty import report_uncertainty

    data = load_spec_text(SAMPLE.read_text(), SAMPLE.name)
    return report_uncertainty(data, base_dir=str(SAMPLES), seed=7)  # raft.seed of the sample


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _history():
    """Repair durations (hours) per component, read from the CSV with the standard library alone."""
    out = defaultdict(list)
    for row in read_csv(SAMPLES / "incidents.csv"):
        if row["started_at"]:
            start, end = (dt.datetime.fromisoformat(row[k]) for k in ("started_at", "resolved_at"))
            out[row["component"]].append((start, end))
    return out


def test_the_intervals_shown_are_the_cores(report, core):
    from relcalc.units import format_duration, format_percent

    out, a = report
    r = core.result
    assert a.uncertainty.result == r  # same draws: same seed, same history
    md = (out / "report.md").read_text()
    low, high = format_percent(r.availability_low, r.unavailability_high), format_percent(r.availability_high,
                                                                                           r.unavailability_low)
    assert f"availability {low} to {high}" in md
    assert (f"{format_duration(r.downtime_per_year_low_hours)} to {format_duration(r.downtime_per_year_high_hours)}"
            " of downtime a year") in md
    assert f"{r.nines_low:.2f} to {r.nines_high:.2f} nines" in md
    row = read_csv(out / "tables" / "summary.csv")[0]
    assert float(row["availability_p90_low"]) == r.availability_low
    assert float(row["availability_p90_high"]) == r.availability_high
    assert float(row["downtime_per_year_p90_high_hours"]) == pytest.approx(r.unavailability_high * 8760, rel=1e-12)
    assert float(row["nines_p90_low"]) == pytest.approx(-math.log10(r.unavailability_high), rel=1e-12)
    # the interval holds the core's point and the report's (whose store is the exact chain with elections)
    assert r.availability_low <= r.availability <= r.availability_high
    assert r.availability_low <= a.availability <= r.availability_high
    assert r.unavailability_low <= a.unavailability <= r.unavailability_high
    # the verdict shows it beside the figure, and warns: the point meets 99.95%, the interval's far end does not
    verdict = a.verdicts[0]
    assert f"(90%: {low} to {high})" in verdict.achieved
    assert a.unavailability <= 5e-4 < r.unavailability_high and verdict.state == "warn" and a.meets
    html = (out / "report.html").read_text()
    assert f"availability {low} to {high}" in html and "Uncertainty from the incident history" in html


def test_whose_uncertainty_dominates(report, core):
    out, a = report
    shares = read_csv(out / "tables" / "uncertainty.csv")
    assert [s["component"] for s in shares] == [s.name for s in core.result.shares]
    assert [float(s["variance_share"]) for s in shares] == [s.variance_share for s in core.result.shares]
    # lb never failed in the year: its MTBF is bounded below only (chi-square with 0 failures), so its doubt
    # is the largest; the summary names it
    assert core.result.dominant == "lb"
    share = next(s.variance_share for s in core.result.shares if s.name == "lb")
    assert f"lb ({share:.0%} of the variance) dominates the uncertainty" in (out / "report.md").read_text()


def test_figures_come_from_the_history(report):
    """MLE of an exponential MTBF: up time / failures (time-truncated), up time per instance = window - downtime."""
    out, a = report
    history = _history()
    rows = {r["component"]: r for r in read_csv(out / "tables" / "from-incidents.csv")}
    for name, instances in (("cache", 2), ("orders-raft", 5)):
        spans = sorted(history[name])
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))  # no overlaps: nothing merged
        down = [(e - s).total_seconds() / 3600 for s, e in spans]
        mtbf = instances * (WINDOW_HOURS - sum(down)) / len(down)
        mttr = sum(down) / len(down)
        if name == "cache":
            assert float(rows[name]["mtbf_hours"]) == pytest.approx(mtbf, rel=1e-9)
            assert float(rows[name]["mttr_hours"]) == pytest.approx(mttr, rel=1e-9)
        else:  # the store's nodes: the Raft model the report simulates has them
            assert a.spec.raft.ttf.mean == pytest.approx(mtbf, rel=1e-9)
            assert a.spec.raft.ttr.mean == pytest.approx(mttr, rel=1e-9)


def test_the_store_from_history_is_the_birth_death_chain(report):
    """5 nodes, one crew: pi_k ~ prod_{i<=k} (5 - i + 1) lambda / mu; the quorum of 3 is lost with 3+ down."""
    out, a = report
    lam, mu = 1 / a.spec.raft.ttf.mean, 1 / a.spec.raft.ttr.mean
    weights = [1.0]
    for k in range(1, 6):
        weights.append(weights[-1] * (5 - k + 1) * lam / mu)
    quorum_lost = sum(weights[3:]) / sum(weights)
    row = {r["figure"]: r for r in read_csv(out / "tables" / "raft.csv")}["quorum_unavailability"]
    assert float(row["exact"]) == pytest.approx(quorum_lost, rel=1e-9)
    r = a.uncertainty.result
    u_d = a.diagram.unavailability
    assert r.unavailability == pytest.approx(u_d + quorum_lost - u_d * quorum_lost, rel=1e-9)  # in series
    assert any(s.name == "raft store (orders-raft)" for s in r.shares)


def test_typed_store_is_carried_through_the_series_formula():
    """With the store's figures typed, the service's U = Ud + Us - Ud Us rises with Ud: its quantiles are Ud's."""
    from types import SimpleNamespace

    from relcalc.report.analysis import history_interval

    result = SimpleNamespace(availability_low=0.99, unavailability_high=0.01, availability_high=0.999,
                             unavailability_low=0.001)
    (a_low, u_high), (a_high, u_low) = history_interval(SimpleNamespace(result=result, store_nodes=None), 0.002)
    assert u_high == pytest.approx(0.01 + 0.002 - 0.01 * 0.002, rel=1e-15)
    assert u_low == pytest.approx(0.001 + 0.002 - 0.001 * 0.002, rel=1e-15)
    assert a_low == pytest.approx(0.99 * 0.998, rel=1e-15) and a_high == pytest.approx(0.999 * 0.998, rel=1e-15)


def test_seed_redraws(core):
    from relcalc.report import analyze_service, load_service

    spec = load_service(SAMPLE.read_text(), SAMPLE.name, str(SAMPLES))
    assert spec.uncertainty.result == core.result
    other = analyze_service(spec, seed=8).uncertainty.result
    assert other.seed == 8 and other.availability_low != core.result.availability_low
    assert other.availability == core.result.availability  # the point does not depend on the draws


def test_no_history_no_interval(tmp_path, run):
    spec = tmp_path / "s.yaml"
    spec.write_text("service: s\ntargets: {availability: 99%}\ncomponents: {a: {mtbf: 100h, mttr: 1h}}\nsystem: a\n")
    assert run("report", spec, "-o", tmp_path / "o").exit_code == 0
    row = read_csv(tmp_path / "o" / "tables" / "summary.csv")[0]
    assert row["availability_p90_low"] == "" and row["nines_p90_high"] == ""
    md = (tmp_path / "o" / "report.md").read_text()
    assert "incident history" not in md and "90%" not in md


BASE = ("service: s\ntargets: {availability: 99%}\ncomponents: {cache: {count: 2}, x: {mtbf: 100h, mttr: 1h}}\n"
        "system: {series: [x, {parallel: [cache]}]}\n")


@pytest.mark.parametrize("extra, words", [
    ("from_incidents: nowhere.csv\n", "nowhere.csv"),
    ("from_incidents: 5\n", "from_incidents"),
    ("from_incidents: ''\n", "from_incidents"),
    ("from_incidents: {file: incidents.csv, window: 2026-01-01..2025-01-01}\n", "window"),
    ("from_incidents: {file: incidents.csv, window: 2025-01-01..2026-01-01, tz: Mars/Olympus}\n", "tz"),
    ("from_incidents: {file: incidents.csv, window: 2025-01-01..2026-01-01, raft: nothing}\n", "nothing"),
    ("from_incidents: {file: incidents.csv, window: 2025-01-01..2026-01-01, raft: orders-raft}\n", "raft"),
    ("from_incidents: {file: incidents.csv, window: 2025-01-01..2026-01-01, raft: orders-raft}\n"
     "raft: {nodes: 3, mtbf: 100h}\n", "raft.mtbf"),
    ("from_incidents: {file: incidents.csv, window: 2025-01-01..2026-01-01, color: red}\n", "from_incidents"),
    ("from_incidents: {window: 2025-01-01..2026-01-01}\n", "from_incidents"),
])
def test_bad_histories_are_one_line_errors(extra, words, tmp_path, run):
    shutil.copy(SAMPLES / "incidents.csv", tmp_path / "incidents.csv")
    spec = tmp_path / "s.yaml"
    spec.write_text(BASE + extra)
    result = run("report", spec, "-o", tmp_path / "o")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert words in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_the_command_line_shows_the_interval_and_exits_0_on_a_warning(run, tmp_path, core, report, monkeypatch):
    import relcalc.report
    from relcalc.units import format_percent

    r = core.result
    monkeypatch.setattr(relcalc.report, "write_report", lambda *args, **kwargs: RUNS["sample"])
    result = run("report", SAMPLE, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr  # availability warns: not a failure
    assert (f"(90%: {format_percent(r.availability_low, r.unavailability_high)} to "
            f"{format_percent(r.availability_high, r.unavailability_low)})") in result.stdout
    assert "availability warn" in result.stdout


def test_validate_reads_the_history_beside_the_file(run, tmp_path):
    assert run("validate", SAMPLE).exit_code == 0
    spec = tmp_path / "s.yaml"
    spec.write_text(BASE + "from_incidents: {file: incidents.csv, window: 2025-01-01..2026-01-01}\n")
    missing = run("validate", spec)
    assert missing.exit_code == 2 and "incidents.csv" in missing.stderr
    shutil.copy(SAMPLES / "incidents.csv", tmp_path / "incidents.csv")
    assert run("validate", spec).exit_code == 0



def test_a_typed_store_beside_a_history(tmp_path):
    """The history gives the cache; the store keeps its typed figures and joins the interval in series."""
    from relcalc.rbd.spec import load_spec_text
    from relcalc.report import analyze_service, load_service
    from relcalc.uncertainty import report_uncertainty

    shutil.copy(SAMPLES / "incidents.csv", tmp_path / "incidents.csv")
    text = (BASE + "from_incidents: {file: incidents.csv, window: 2025-01-01..2026-01-01}\n"
            "raft: {nodes: 3, mtbf: 1000h, mttr: 10h, method: exact}\n")
    a = analyze_service(load_service(text, "s.yaml", str(tmp_path)))
    diagram = report_uncertainty(load_spec_text(text, "s.yaml"), base_dir=str(tmp_path), seed=1).result
    u_s = a.store.unavailability
    (a_low, u_high), (a_high, u_low) = a.interval
    assert u_high == pytest.approx(diagram.unavailability_high + u_s - diagram.unavailability_high * u_s, rel=1e-12)
    assert u_low == pytest.approx(diagram.unavailability_low + u_s - diagram.unavailability_low * u_s, rel=1e-12)
    assert u_low <= a.unavailability <= u_high and a_low <= a.availability <= a_high
    assert [s.name for s in a.uncertainty.result.shares] == ["cache"]  # the typed store carries no doubt
