"""One year, passed through: the unit ``y`` and every per-year figure follow --year-days / year_days."""

import json

import pytest

from relcalc.raft.inputs import model_grid
from relcalc.report.spec import load_service

JULIAN = 365.25 * 24  # hours in a year of 365.25 days


def test_raft_durations_in_years_follow_the_calendar():
    [model] = model_grid({"mtbf": "1y", "replace_time": "0.5y", "permanent": "10%"}, lambda k: k, year_days=365.25)
    assert model.ttf.mean == JULIAN
    assert model.replace_time == JULIAN / 2
    [common] = model_grid({"mtbf": "1y"}, lambda k: k)
    assert common.ttf.mean == 8760.0


def test_report_spec_reads_years_in_its_own_calendar():
    text = ("service: s\nyear_days: 365.25\ntargets: {availability: 99%}\n"
            "components: {a: {mtbf: 2y, mttr: 1h}}\nsystem: a\nraft: {nodes: 3, mtbf: 1y, mttr: 1h}\n")
    spec = load_service(text)
    assert spec.system.components["a"].mtbf_hours == 2 * JULIAN
    assert spec.raft.ttf.mean == JULIAN


def test_simulate_raft_year_days_changes_the_unit_and_the_per_year_figures(run):
    common = ["simulate", "raft", "--nodes", "3", "--mtbf", "1y", "--mttr", "10h", "--method", "exact", "-f", "json"]
    julian = json.loads(run(*common, "--year-days", "365.25").stdout)
    plain = json.loads(run(*common).stdout)
    assert julian["mtbf_hours"] == JULIAN and plain["mtbf_hours"] == 8760.0
    # independent check of the per-year scaling: quorum losses per hour for n = 3, quorum 2, one crew per node
    # (birth-death flow from 1 to 2 failed: pi_1 * 2 lambda), times the year's hours
    lam, mu = 1 / JULIAN, 1 / 10
    weights = [1.0, 3 * lam / mu, 3 * lam / mu * 2 * lam / (2 * mu), 3 * lam / mu * 2 * lam / (2 * mu) * lam / (3 * mu)]
    pi1 = weights[1] / sum(weights)
    assert julian["exact_quorum_losses_per_year"] == pytest.approx(pi1 * 2 * lam * JULIAN, rel=1e-9)
