"""Conventions every command keeps: numbers read by one grammar, -q/-v, output for people and for pipes."""

import pytest


@pytest.mark.parametrize(
    "option, value",
    [("--years", "1_0"), ("--seed", "1_0"), ("--workers", "1_0"), ("--target-rel-error", "0_1"),
     ("--year-days", "36_5"), ("--workers", "0"), ("--seed", "-1"), ("--seed", "2.5"), ("--years", "nan"),
     ("--target-rel-error", "５")],
)
def test_simulate_raft_numbers_follow_the_units_grammar(run, option, value):
    result = run("simulate", "raft", "--method", "exact", option, value)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"relcalc: error: {option}") and result.stderr.count("\n") == 1


def test_capacity_fit_reads_cells_with_the_units_grammar(run):
    result = run("capacity", "fit", "--csv", "-", input="nodes,throughput\n1,100\n2,1_90\n4,300\n")
    assert result.exit_code == 2 and "row 2: throughput" in result.stderr and "underscores" in result.stderr
    result = run("capacity", "fit", "--csv", "-", input="nodes,throughput\n1,100\n2,\n4,300\n")
    assert result.exit_code == 2 and "row 2: throughput is empty" in result.stderr
