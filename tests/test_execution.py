"""The local executions: results in submission order, a lost worker's task run again, limits named."""

from __future__ import annotations

import os
import signal
import time

import pytest

from relcalc.errors import InputError
from relcalc.execution import InlineExecution, PoolExecution, open_execution, tasks_of


def _late_square(x: int) -> int:
    time.sleep(0.02 * (5 - x))  # the first submitted finish last
    return x * x


def _die_once(marker: str) -> str:
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies mid-task, once
    return "done"


def test_results_come_back_in_submission_order_whatever_finishes_first():
    with PoolExecution(2) as pool:
        assert pool.map(_late_square, list(range(5))) == [0, 1, 4, 9, 16]
    assert InlineExecution().map(_late_square, [3, 4]) == [9, 16]


def test_a_worker_that_dies_costs_its_task_which_runs_again(tmp_path):
    with PoolExecution(2) as pool:
        assert pool.map(_die_once, [str(tmp_path / "marker")]) == ["done"]
        assert pool.rerun_total() == 1


def test_open_execution_chooses_and_refuses():
    assert isinstance(open_execution("local", 1), InlineExecution)
    assert isinstance(open_execution(None, 3), PoolExecution)
    for address, words in (("dask-local:0", "from 1 to 64"), ("nowhere", "expected local"),
                           ("local", "at most 64 local workers")):
        with pytest.raises(InputError, match=words):
            open_execution(address, 65 if address == "local" else 1)


def test_tasks_hold_enough_work_but_spread_over_the_workers():
    pool = PoolExecution(2)  # 20 ms of estimated compute a task
    assert tasks_of(1000, 0.001, pool) == 20  # 20 chunks of 1 ms
    assert tasks_of(8, 0.001, pool) == 2  # a short run still gives each worker two tasks
    assert tasks_of(1000, 1.0, pool) == 1
    assert tasks_of(1000, 0.001, InlineExecution()) == 1
