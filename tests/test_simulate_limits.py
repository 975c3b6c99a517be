"""``simulate raft`` refuses, before any work, inputs that would run without bound.

Each case is one line naming the input and its limit, exit 2; the limits are the README's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from relcalc.errors import InputError
from relcalc.execution import MAX_LOCAL_WORKERS
from relcalc.raft.engine import MAX_YEARS, plan
from relcalc.raft.inputs import MAX_GRID_POINTS
from relcalc.raft.model import MAX_NODES, MIN_ELECTION_SUCCESS, RaftModel, election_round_success

GRID = ",".join(f"{h}h" for h in range(100, 400))


@pytest.mark.parametrize("args,named", [
    (("--years", "1e30"), "--years: at most 1e+09"),
    (("--nodes", "1000000"), "--nodes: at most 1,001"),
    (("--nodes", "1_000_000_000_000"), "--nodes: "),
    (("--nodes", "99999", "--method", "exact"), "--nodes: at most 1,001"),
    (("--nodes", "3,5,99999"), "--nodes: at most 1,001"),
    (("--workers", "1000"), f"--workers: at most {MAX_LOCAL_WORKERS}"),
    (("--mtbf", ",".join(f"{h}h" for h in range(100, 1100))), f"--mtbf: a sweep spans at most {MAX_GRID_POINTS}"),
    (("--mtbf", GRID, "--mttr", GRID, "--nodes", ",".join(str(n) for n in range(3, 603, 2))),
     f"a sweep spans at most {MAX_GRID_POINTS} points; 300 --nodes x 300 --mtbf x 300 --mttr make 27,000,000"),
    (("--election-timeout", "150ms..150ms", "--rtt", "150ms"), "a round ends the election only 0%"),
    (("--election-timeout", "150ms", "--rtt", "0"), "a round ends the election only 0%"),
    (("--nodes", "1001", "--election-timeout", "1s..100s", "--years", "1e9"), "the limit is 24 h"),
    (("--scheduler", "somewhere"), "--scheduler: expected local, dask-local:N"),
])
def test_unbounded_inputs_are_one_line_errors(run, args, named):
    result = run("simulate", "raft", "--seed", "1", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("relcalc: error: ") and result.stderr.count("\n") == 1
    assert named in result.stderr


def test_the_nodes_limit_holds_for_models_built_in_code():
    with pytest.raises(InputError, match="at most 1,001"):
        RaftModel(nodes=MAX_NODES + 1, election_timeout=(0.0, 1.0))
    assert RaftModel(nodes=MAX_NODES, election_timeout=(0.0, 1.0)).nodes == MAX_NODES


def test_election_round_success_is_the_chance_of_no_split_vote():
    # the gap between the two earliest of k uniform timeouts, against a direct count of simulated rounds
    rng = np.random.default_rng(5)
    for k, spread, rtt in ((5, 150.0, 1.0), (3, 10.0, 4.0), (40, 150.0, 1.0)):
        draws = np.sort(rng.uniform(0.0, spread, size=(200_000, k)), axis=1)
        seen = np.mean(draws[:, 1] - draws[:, 0] > rtt)
        expected = election_round_success(k, 0.0, spread, rtt)
        assert expected == pytest.approx((1 - rtt / spread) ** k, rel=1e-12)
        # binomial standard error of the count, 5 of them
        assert abs(seen - expected) < 5 * math.sqrt(expected * (1 - expected) / 200_000)
    assert election_round_success(1, 0.1, 0.1, 1.0) == 1.0  # one voter never splits
    assert election_round_success(2, 0.1, 0.1, 0.0) == 0.0  # a fixed timeout always ties
    with pytest.raises(InputError, match="elections would hardly ever end"):
        RaftModel(nodes=1000)  # the default 150 ms spread and 1 ms round trip: 0.13% per round
    assert election_round_success(5, 0.150, 0.300, 0.001) > MIN_ELECTION_SUCCESS


def test_a_run_is_cut_into_bounded_chunks_whatever_the_years():
    model = RaftModel()
    for years in (1e-3, 16.0, 1e5, MAX_YEARS):
        chunks = plan(model, years, 8760.0)
        assert chunks.count * chunks.chunk_years == pytest.approx(years, rel=1e-9) or \
            (chunks.count - 1) * chunks.chunk_years < years <= chunks.count * chunks.chunk_years
        assert chunks.count <= 200_000 and chunks.chunk_years <= 1000.0 or years / chunks.chunk_years <= 200_000
    big = RaftModel(nodes=301, election_timeout=(0.0, 10.0 / 3600))
    assert plan(big, 1e4, 8760.0).chunk_seconds <= 0.1 + 1e-12
    for years in (2e9, 1e30):
        with pytest.raises(InputError, match="--years: at most"):
            plan(model, years, 8760.0)
