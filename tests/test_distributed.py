"""Simulations on a Dask cluster: the same numbers as the local pool, bit for bit, and no chunk lost.

One LocalCluster of two worker processes serves the module; the CLI reaches it by its address, as it
would a remote scheduler. The reference in every comparison is the same run in this process or the
local pool, whose own figures tests/test_raft.py checks against the exact chains.
"""

from __future__ import annotations

import json
import logging
import os
import signal

import pytest

distributed = pytest.importorskip("distributed")

from relcalc.errors import InputError  # noqa: E402
from relcalc.execution import DaskExecution, open_execution  # noqa: E402
from relcalc.raft.engine import simulate  # noqa: E402
from relcalc.raft.model import Distribution, RaftModel  # noqa: E402
from relcalc.results import record  # noqa: E402

TIMED = ("wall_seconds", "events_per_second")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.CRITICAL) as local:
        yield local


def _figures(data):
    """A run's JSON without the wall-clock figures (one record, or each point of a sweep)."""
    if isinstance(data, list):
        return [_figures(point) for point in data]
    return {key: value for key, value in data.items() if key not in TIMED}


# (a plain crude run is compared in test_a_worker_killed_mid_run_costs_only_its_tasks)
@pytest.mark.parametrize("args", [
    ("--nodes", "3,5", "--mttr", "2h,8h", "--years", "2000", "--ttr", "lognormal:1.0", "--repair-crews", "1"),
    ("--nodes", "3", "--mtbf", "1000h", "--mttr", "100h", "--target-rel-error", "0.05", "--years", "1e6"),
], ids=["sweep", "target"])
def test_a_cluster_gives_the_local_numbers_bit_for_bit(cluster, run, monkeypatch, args):
    local = run("simulate", "raft", "--seed", "5", "--workers", "2", "-f", "json", *args)
    assert local.exit_code == 0, local.stderr
    monkeypatch.setenv("RELCALC_SCHEDULER", cluster.scheduler_address)  # as a user would set it
    remote = run("simulate", "raft", "--seed", "5", "-f", "json", *args)
    assert remote.exit_code == 0, remote.stderr
    assert _figures(json.loads(remote.stdout)) == _figures(json.loads(local.stdout))


def test_a_worker_killed_mid_run_costs_only_its_tasks(cluster):
    model = RaftModel(nodes=5, ttf=Distribution("exponential", 200.0), ttr=Distribution("lognormal", 8.0, 1.0),
                      crews=1)
    reference = record(simulate(model, years=12_000, seed=9))
    with DaskExecution(cluster.scheduler_address) as execution:
        pids = execution.client.run(os.getpid)
        victim = sorted(pids.values())[0]
        killed = []

        def kill_once(done, total):
            if not killed:  # tasks are in flight on both workers now
                os.kill(victim, signal.SIGKILL)
                killed.append(done)

        result = simulate(model, years=12_000, seed=9, execution=execution, progress=kill_once)
    assert killed and killed[0] < result.chunks
    figures = record(result)
    notes = figures.pop("notes")
    assert any("ran again after their worker was lost" in note for note in notes), notes
    reference.pop("notes")
    for key in TIMED:
        figures.pop(key), reference.pop(key)
    assert figures == reference


def test_a_scheduler_that_does_not_answer_is_one_line_exit_2(run):
    result = run("simulate", "raft", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2
    assert result.stderr.startswith("relcalc: error: --scheduler tcp://127.0.0.1:1: no Dask scheduler answered")
    assert result.stderr.count("\n") == 1


def test_workers_of_another_relcalc_version_are_refused(cluster, monkeypatch):
    import relcalc

    monkeypatch.setattr(relcalc, "__version__", "0.0.0-elsewhere")  # this side only: the workers keep theirs
    with pytest.raises(InputError, match="runs relcalc .*install the same versions on every worker"):
        open_execution(cluster.scheduler_address)


def test_without_dask_installed_the_error_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'relcalc\[distributed\]'"):
        open_execution("dask-local:2")


# --- the capacity queue simulation and the report on the same cluster (issue 19) ---
# The references are this process and local threads, whose figures tests/test_queue_sim.py checks against
# Erlang C, Pollaczek-Khinchine and Mitzenmacher's two-choices figure.

def test_the_queue_simulation_gives_the_local_numbers_on_a_cluster(cluster):
    from relcalc.capacity.service import service_time
    from relcalc.capacity.simulation import Scenario, simulate
    from relcalc.execution import use

    lognormal = service_time("lognormal", 0.04, 0.25, None, None)
    args = (Scenario(6, "node_failures", 1), 900.0, 8, "two-choices", lognormal)
    kwargs = dict(seed=4, replications=4, customers=2_000, extra_quantiles=(0.9,))
    alone = simulate(*args, **kwargs)
    threads = simulate(*args, workers=3, **kwargs)
    with use(DaskExecution(cluster.scheduler_address)):
        remote = simulate(*args, **kwargs)
    assert not alone.unstable and alone.probability_of_wait.value > 0  # a queue that waits, not a trivial zero
    assert remote == alone and threads == alone
    assert remote.other_quantiles == alone.other_quantiles  # (not compared by ==)


def test_capacity_simulate_takes_a_scheduler(cluster, run):
    args = ("capacity", "-r", "400", "--service-time", "40ms", "--service-time-cv", "2", "--concurrency", "4",
            "--latency", "p99<=400ms", "--method", "simulate", "--seed", "3", "-f", "json")
    local = run(*args, "--workers", "2")
    assert local.exit_code == 0, local.stderr
    remote = run(*args, "--scheduler", cluster.scheduler_address)
    assert remote.exit_code == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    bad = run(*args, "--scheduler", "tcp://127.0.0.1:1")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1, bad.stderr


SMALL_SERVICE = """\
service: small
targets: {availability: 99.9%}
components:
  app: {mtbf: 2000h, mttr: 4h, count: 2}
system:
  parallel: [app]
raft: {nodes: 3, mtbf: 1000h, mttr: 100h, method: crude, years: 3000, seed: 11}
"""


def test_a_reports_store_figures_are_the_same_on_a_cluster(cluster, run, tmp_path, monkeypatch):
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL_SERVICE)
    local = run("report", spec, "-o", tmp_path / "local")
    assert local.exit_code in (0, 3), local.stderr
    monkeypatch.setenv("RELCALC_SCHEDULER", cluster.scheduler_address)
    remote = run("report", spec, "-o", tmp_path / "remote")
    assert remote.exit_code == local.exit_code, remote.stderr
    for table in ("raft.csv", "raft-sizes.csv"):
        ours, theirs = (tmp_path / where / "tables" / table for where in ("local", "remote"))
        assert theirs.read_text() == ours.read_text(), table
