"""Interval availability over a window with shared repair crews, against independently built chains."""

import json

import mpmath
import numpy as np
import pytest
from scipy.linalg import expm

from relcalc.errors import InputError
from relcalc.rbd import evaluate, load_spec_text, system_from_mapping
from relcalc.rbd.transient import availability_at, availability_over, component_window

# The standard worked case: two identical units, MTBF 1,000 h, MTTR 10 h (lambda = 1e-3/h, mu = 0.1/h)
LAM, MU = 1e-3, 0.1
PAIR_ONE_CREW = ("components: {unit: {mtbf: 1000h, mttr: 10h, count: 2}}\nsystem: {parallel: [unit]}\n"
                 "repair: {crews: 1, policy: fifo}\n")


def system(text):
    return system_from_mapping(load_spec_text(text))


def pair_chain_mean(t1, t2, start):
    """Mean P(both down) over [t1, t2] of the pair on one crew, built apart and integrated by mpmath quad.

    The birth-death chain on the number of units down (Rausand & Hoyland, System Reliability Theory,
    2nd ed., 2004, ch. 8): 0 -> 1 at 2 lambda, 1 -> 2 at lambda, each repair at mu (one crew). Its
    transient from its eigenvalues at 40 digits, integrated over the window by mpmath.quad.
    """
    with mpmath.workdps(40):
        lam, mu = mpmath.mpf(1) / 1000, mpmath.mpf(1) / 10
        q = mpmath.matrix([[-2 * lam, 2 * lam, 0], [mu, -(lam + mu), lam], [0, mu, -mu]])
        values, vectors = mpmath.eig(q)
        inverse = vectors**-1

        def both_down(t):
            return mpmath.re(sum(vectors[start, k] * mpmath.exp(values[k] * t) * inverse[k, 2] for k in range(3)))

        cuts = [t1] + [t for t in (t1 + 10, t1 + 100, t1 + 1000) if t < t2] + [t2]
        return float(mpmath.quad(both_down, cuts) / (t2 - t1))


@pytest.mark.parametrize("t1, t2, down, start", [
    (0.0, 24.0, [], 0), (5.0, 30.0, ["unit#1"], 1), (0.0, 48.0, ["unit"], 2), (100.0, 1e6, [], 0),
])
def test_parallel_pair_on_one_crew_matches_the_three_state_chain(t1, t2, down, start):
    result = availability_over(system(PAIR_ONE_CREW), t1, t2, down)
    expected = pair_chain_mean(t1, t2, start)
    assert result.unavailability == pytest.approx(expected, rel=1e-11)
    assert result.availability + result.unavailability == pytest.approx(1.0, abs=1e-15)
    # the stated bound holds (to the reference's rounding) and is small
    assert abs(result.unavailability - expected) <= result.error_bound + 1e-15 * expected
    assert result.error_bound < 1e-10 * expected


@pytest.mark.parametrize("t1, t2, down", [(10.0, 1e5, True), (3.0, 3.5, False)])
def test_a_group_of_one_is_the_two_state_closed_form(t1, t2, down):
    # one member on one crew is its own crew: the two-state interval availability (component_window,
    # itself checked against mpmath in test_rbd_transient), for the system and the member's row
    text = "components: {pump: {mtbf: 500h, mttr: 8h}, valve: {availability: 99.9%}}\n" \
           "system: {series: [pump, valve]}\nrepair: [{of: [pump], crews: 1}]\n"
    result = availability_over(system(text), t1, t2, ["pump"] if down else [])
    a, u = component_window(1 / 500, 1 / 8, t1, t2, down)
    rows = {row.name: row for row in result.components}
    assert rows["pump"].unavailability == pytest.approx(u, rel=1e-12)
    assert rows["pump"].availability == pytest.approx(a, rel=1e-12)
    assert result.availability == pytest.approx(a * 0.999, rel=1e-12)  # a series with a constant 99.9%


MIXED = """
components:
  a: {mtbf: 1000h, mttr: 10h, count: 2}
  b: {mtbf: 400h, mttr: 5h, count: 2}
  lb: {mtbf: 20000h, mttr: 2h}
  sb: {mtbf: 800h, mttr: 12h, count: 2}
system: {series: [lb, {parallel: [a]}, {k_of_n: {k: 1, of: [b]}}, {standby: {of: sb, active: 1, mode: warm, dormant_factor: 0.3}}]}
repair: [{of: [a], crews: 1}, {of: [b], crews: 1}]
"""


@pytest.mark.parametrize("t1, t2, down", [(0.0, 20.0, []), (2.0, 30.0, ["b#2", "lb"])])
def test_two_groups_a_component_and_a_standby_block_match_the_point_availability_averaged(t1, t2, down):
    # the system's U(t) at a point (availability_at: each group's chain by expm, checked in
    # test_rbd_repair against a separately built chain) averaged over the window by a 30-point
    # Gauss-Legendre rule: U(t) is a sum of exponentials with rates |z| <= 0.6/h, and the rule's error
    # term (n!)^4 (b-a)^(2n+1) / ((2n+1) ((2n)!)^3) max|f^(2n)| (Davis & Rabinowitz 1984, 2.7) is below 1e-30 here
    s = system(MIXED)
    result = availability_over(s, t1, t2, down)
    x, w = np.polynomial.legendre.leggauss(30)
    times = t1 + (t2 - t1) * (x + 1) / 2
    mean = sum(wk * availability_at(s, t, down).unavailability for t, wk in zip(times, w)) / 2
    assert result.unavailability == pytest.approx(mean, rel=1e-11)
    assert result.error_bound < 1e-10 * result.unavailability


CROSSED = """
components:
  a: {mtbf: 1000h, mttr: 10h}
  b: {mtbf: 400h, mttr: 5h}
  c: {mtbf: 700h, mttr: 8h}
  d: {mtbf: 300h, mttr: 4h}
  e: {mtbf: 5000h, mttr: 2h}
system: {series: [e, {parallel: [{series: [a, b]}, {series: [c, d]}]}]}
repair: [{of: [a, c], crews: 1}, {of: [b, d], crews: 1}]
"""


def test_groups_that_cross_each_others_blocks_are_summed_over_all_combinations():
    # each group has a member in both branches: no block of its own, so every combination of the two
    # groups' failed sets is evaluated; against --at averaged by a 30-point Gauss-Legendre rule
    s = system(CROSSED)
    t1, t2 = 1.0, 9.0
    result = availability_over(s, t1, t2, ["a"])
    x, w = np.polynomial.legendre.leggauss(30)
    mean = sum(wk * availability_at(s, t, ["a"]).unavailability for t, wk in zip(t1 + (t2 - t1) * (x + 1) / 2, w)) / 2
    assert result.unavailability == pytest.approx(mean, rel=1e-11)


def test_each_members_mean_is_its_groups_chain_integrated_by_van_loan():
    # a group's members depend only on their own group's chain: its mean over the window is the
    # distribution at t1 times int_0^D e^(Q s) ds, the upper-right block of expm([[Q, I], [0, 0]] D)
    # (Van Loan, IEEE Trans. Automatic Control 23, 1978), here the pair's birth-death chain built apart
    # (a window short enough for scipy's expm of the augmented matrix to keep its digits)
    s = system(MIXED)
    t1, t2 = 4.0, 40.0
    result = availability_over(s, t1, t2, ["a#1"])
    q = np.array([[-2 * LAM, 2 * LAM, 0], [MU, -(LAM + MU), LAM], [0, MU, -MU]])
    augmented = np.zeros((6, 6))
    augmented[:3, :3], augmented[:3, 3:] = q, np.eye(3)
    mean = np.eye(3)[1] @ expm(q * t1) @ expm(augmented * (t2 - t1))[:3, 3:] / (t2 - t1)
    rows = {row.name: row for row in result.components}
    # a#1 started down and is repaired first; in state 1 the one down is a#1 or a#2 by the order of events,
    # so the pair's rows sum to the chain's expected number down
    assert rows["a#1"].unavailability + rows["a#2"].unavailability == pytest.approx(mean[1] + 2 * mean[2], rel=1e-10)


def test_long_windows_tend_to_the_steady_state():
    s = system(MIXED)
    steady = evaluate(s).unavailability
    assert availability_over(s, 0.0, 1e300).unavailability == pytest.approx(steady, rel=1e-12)
    assert availability_over(s, 1e12, 2e12).unavailability == pytest.approx(steady, rel=1e-12)
    # over 1e6 h the start's transient (about a hundred hours' worth) still shows, at about 1e-4 of U
    early = availability_over(s, 0.0, 1e6).unavailability
    assert steady * (1 - 1e-3) < early < steady


def test_a_group_too_large_to_follow_over_a_window_is_refused():
    # six members with one started down: the whole queue chain (1,957 states) would be needed
    text = "components: {n: {mtbf: 1000h, mttr: 5h, count: 6}}\nsystem: {k_of_n: {k: 3, of: [n]}}\n" \
           "repair: {crews: 2}\n"
    with pytest.raises(InputError, match="--window: repair has 1,957 chain states"):
        availability_over(system(text), 0.0, 24.0, ["n#1"])


def birth_death_window_mean(n, lam, mu, crews, failed_at, t1, t2):
    """Mean P(at least ``failed_at`` of n identical units down) over [t1, t2] from all up, built here.

    The machine-repair birth-death chain (failures (n - k) lambda, repairs min(k, crews) mu; Trivedi &
    Bobbio 2017, ch. 9), integrated by Van Loan's augmented exponential (IEEE TAC 23, 1978).
    """
    q = np.zeros((n + 1, n + 1))
    for k in range(n + 1):
        if k < n:
            q[k, k + 1] = (n - k) * lam
        if k:
            q[k, k - 1] = min(k, crews) * mu
    q -= np.diag(q.sum(axis=1))
    augmented = np.zeros((2 * n + 2, 2 * n + 2))
    augmented[:n + 1, :n + 1], augmented[:n + 1, n + 1:] = q, np.eye(n + 1)
    mean = expm(q * t1)[0] @ expm(augmented * (t2 - t1))[:n + 1, n + 1:] / (t2 - t1)
    return mean[failed_at:].sum()


@pytest.mark.parametrize("n, k, crews", [(4, 2, 2), (9, 5, 1)])
def test_identical_members_started_up_follow_the_birth_death_chain(n, k, crews):
    # identical members are exchangeable: the queue lumps to the number down (9 members are beyond the
    # queue chain's own limit of 7); the system k-of-n is down with n - k + 1 or more down
    text = f"components: {{n: {{mtbf: 200h, mttr: 20h, count: {n}}}}}\nsystem: {{k_of_n: {{k: {k}, of: [n]}}}}\n" \
           f"repair: {{crews: {crews}}}\n"
    result = availability_over(system(text), 3.0, 40.0)
    expected = birth_death_window_mean(n, 1 / 200, 1 / 20, crews, n - k + 1, 3.0, 40.0)
    assert result.unavailability == pytest.approx(expected, rel=1e-10)


def test_cli_window_with_repair_groups(run, tmp_path):
    spec = tmp_path / "pair.yaml"
    spec.write_text(PAIR_ONE_CREW)
    result = run("compose", spec, "--window", "1d..2d", "--initially-down", "unit#2", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["window"]
    assert data["unavailability"] == pytest.approx(pair_chain_mean(24.0, 48.0, 1), rel=1e-11)
    assert data["error_bound"] < 1e-10 * data["unavailability"]
    table = run("compose", spec, "--window", "0h..24h")
    assert table.exit_code == 0 and "Mean A over" in table.stdout


@pytest.mark.parametrize("window, extra", [
    ("", []), ("24h..0h", []), ("nan..5h", []), ("0h..inf", []), ("0h..1e400h", []), ("0 kg..5 kg", []),
    ("0h..24h", ["--initially-down", "pump"]), ("0h..24h", ["--initially-down", "unit#3"]), ("-5h..2h", []),
    ("0h..24h..48h", []), ("5h..5h", []),
])
def test_cli_hostile_windows_with_groups_are_one_line_errors(run, tmp_path, window, extra):
    spec = tmp_path / "pair.yaml"
    spec.write_text(PAIR_ONE_CREW)
    result = run("compose", spec, "--window", window, *extra)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("relcalc: error:") and result.stderr.count("\n") == 1


def test_cli_huge_windows_with_groups_are_answered(run, tmp_path):
    spec = tmp_path / "pair.yaml"
    spec.write_text(PAIR_ONE_CREW)
    steady = 2 * (LAM / MU) ** 2 / (1 + 2 * LAM / MU + 2 * (LAM / MU) ** 2)  # test_rbd_repair's closed form
    for window in ("0h..1e300h", "1e300h..1e301h"):
        result = run("compose", spec, "--window", window, "-f", "json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["window"]["unavailability"] == pytest.approx(steady, rel=1e-12)


@pytest.mark.parametrize("t1, t2", [(0.0, 1e-300), (1e-300, 3e-300), (0.0, 1e-3)])
def test_tiny_windows_keep_their_digits(t1, t2):
    # mean U ~ lambda (t1 + t2) / 2 just after the start: 1e-303, not an underflow to 0 (the two-state
    # closed form by its series, component_window)
    s = system("components: {pump: {mtbf: 500h, mttr: 8h}}\nsystem: pump\nrepair: [{of: [pump], crews: 1}]\n")
    result = availability_over(s, t1, t2)
    expected = component_window(1 / 500, 1 / 8, t1, t2, False)[1]
    assert expected > 0
    assert result.unavailability == pytest.approx(expected, rel=1e-12)
    assert result.error_bound <= 1e-12 * expected


def test_identical_members_lumped_agree_with_the_whole_queue_chain():
    # the lumped chain against --at, which follows the whole FIFO queue chain (65 states for 4 members),
    # averaged by a 30-point Gauss-Legendre rule: the system's and each member's mean U
    text = "components: {n: {mtbf: 200h, mttr: 20h, count: 4}, x: {mtbf: 900h, mttr: 3h}}\n" \
           "system: {series: [x, {k_of_n: {k: 2, of: [n]}}]}\nrepair: [{of: [n], crews: 1}]\n"
    s = system(text)
    t1, t2 = 0.0, 30.0
    result = availability_over(s, t1, t2)
    x, w = np.polynomial.legendre.leggauss(30)
    points = [availability_at(s, t) for t in t1 + (t2 - t1) * (x + 1) / 2]
    assert result.unavailability == pytest.approx(sum(wk * p.unavailability for wk, p in zip(w, points)) / 2, rel=1e-11)
    for index, row in enumerate(result.components):
        expected = sum(wk * p.components[index].unavailability for wk, p in zip(w, points)) / 2
        assert row.name == points[0].components[index].name
        assert row.unavailability == pytest.approx(expected, rel=1e-10)
