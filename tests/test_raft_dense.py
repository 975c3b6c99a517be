"""Small chains solved densely (relcalc.raft.dense) against the sparse solver and closed forms.

Two independent implementations of every exact figure: the sparse one
(numba GTH factors in a minimum degree order, sparse or dense uniformisation
chosen by cost) and the dense numpy eliminations; they must agree to 1e-9
on chains with zones, crews, shocks and data loss. The identical-node chain
is also checked against the birth-death closed forms of relcalc.raft.exact
(product-form steady state; first passage as a sum of positive terms,
Karlin and Taylor 1975, ch. 4 sec. 7). A default crude run must not import
scipy.stats or scipy.sparse (they cost more than the run).
"""

import subprocess
import sys

import numpy as np
import pytest

from relcalc.raft import Distribution, RaftModel
from relcalc.raft.ctmc import build, solve
from relcalc.raft.exact import mttf_from_all_up, steady_state

REL = 1e-9


def exp(mean):
    return Distribution("exponential", mean)


MODELS = [
    RaftModel(nodes=5),
    RaftModel(nodes=7, crews=2, ttf=exp(5000.0), ttr=exp(24.0)),
    RaftModel(nodes=3, layout=(2, 1), zone_ttf=exp(8760.0), zone_ttr=exp(6.0), crews=1),
    RaftModel(nodes=3, common_cause=0.1, ttf=exp(1000.0), ttr=exp(10.0)),
    RaftModel(nodes=3, permanent=0.2, replace_time=48.0, ttf=exp(2000.0), ttr=exp(8.0)),
]


@pytest.mark.parametrize("model", MODELS, ids=range(len(MODELS)))
def test_dense_matches_sparse(model):
    chain = build(model)
    assert chain.size <= 400
    small, large = solve(chain, dense=True), solve(chain, dense=False)
    for field in ("quorum_unavailability", "losses_per_hour", "mttf_hours", "loss_within_year",
                  "loss_within_year_from_all_up", "data_loss_per_hour", "mttdl_hours"):
        a, b = getattr(small, field), getattr(large, field)
        assert (a is None) == (b is None), field
        if a is not None:
            assert a == pytest.approx(b, rel=REL, abs=0.0), field
    for name, value in large.outage_percentiles_hours.items():
        assert small.outage_percentiles_hours[name] == pytest.approx(value, rel=REL), name
    np.testing.assert_allclose(small.steady_state, large.steady_state, rtol=REL, atol=0)


@pytest.mark.parametrize("n, mtbf, mttr, crews", [(5, 2000.0, 4.0, 0), (9, 100_000.0, 1.0, 0), (7, 500.0, 24.0, 1)])
def test_dense_matches_birth_death(n, mtbf, mttr, crews):
    model = RaftModel(nodes=n, ttf=exp(mtbf), ttr=exp(mttr), crews=crews)
    sol = solve(build(model), dense=True)
    lost_at = n - model.quorum + 1
    pi = steady_state(n, 1 / mtbf, 1 / mttr, crews)
    assert sol.quorum_unavailability == pytest.approx(pi[lost_at:].sum(), rel=REL)
    assert sol.mttf_hours == pytest.approx(mttf_from_all_up(n, 1 / mtbf, 1 / mttr, crews, lost_at), rel=REL)


def test_a_default_crude_run_imports_no_scipy_stats_or_sparse():
    code = ("import sys; from relcalc.raft import RaftModel; from relcalc.raft.methods import analyze; "
            "r = analyze(RaftModel(nodes=5), years=2000, seed=1); "
            "assert r.exact_p99_outage_hours is not None and r.exact_mttf_hours is not None; "
            "print(sorted(m for m in ('scipy.stats', 'scipy.sparse') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("cached", [True, False])
def test_a_first_run_announces_the_compile_once(monkeypatch, cached):
    from relcalc.raft import methods

    asked = []
    monkeypatch.setattr(methods, "_cached", lambda module, name: asked.append((module, name)) or cached)
    heard = []
    methods.analyze(RaftModel(nodes=3), method="exact", notice=heard.append)  # a small chain: nothing to compile
    assert heard == [] and asked == []
    methods.analyze(RaftModel(nodes=3), years=200, seed=1, notice=heard.append)
    assert heard == ([] if cached else [methods.COMPILE_NOTE]) and ("kernel", "run_chunk") in asked


def test_the_cache_probe_sees_a_loaded_kernel():
    from relcalc.raft import methods
    from relcalc.raft.engine import warm_up

    warm_up()  # compiled or loaded: its machine code is now in the dispatcher
    assert methods._cached("kernel", "run_chunk") and not methods.compile_pending("crude")


def test_auto_choosing_importance_keeps_the_transient_exact_figures(monkeypatch):
    from relcalc.raft import dense, methods

    # a chain past the cheap size (lowered here to keep the test quick): crude runs leave the transient
    # figures out, importance shows them
    monkeypatch.setattr(dense, "CHEAP_TRANSIENT_STATES", 3)
    model = RaftModel(nodes=5)
    assert build(model).size > 3
    assert methods.analyze(model, years=200, seed=1).exact.loss_within_year is None
    monkeypatch.setattr(methods, "choose", lambda *a: "importance")
    monkeypatch.setattr(methods, "_importance_result", lambda model, chain, truth, *a: truth)
    truth = methods.analyze(model, method="auto")
    assert truth.loss_within_year is not None and truth.outage_percentiles_hours["p99"] is not None
