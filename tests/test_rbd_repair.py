"""Shared repair crews and MTTF with repair, against textbook closed forms and a separately built chain."""

import json

import numpy as np
import pytest

from relcalc.errors import InputError
from relcalc.rbd import evaluate, load_spec_text, system_from_mapping
from relcalc.rbd.mttf import mttf_with_repair

from test_rbd_repair_groups import fifo_chain as fifo_chain_with_crews

# The standard worked case: two identical units, MTBF 1,000 h (lambda = 1e-3/h), MTTR 10 h (mu = 0.1/h).
LAM, MU = 1e-3, 0.1
PAIR = "components: {unit: {mtbf: 1000h, mttr: 10h, count: 2}}\n"


def system(text):
    return system_from_mapping(load_spec_text(text))


def test_cold_standby_pair_mttf_with_repair_is_102000_hours():
    # Cold standby pair with repair, perfect switching: MTTF = (2 lambda + mu) / lambda^2 = 102,000 h
    # (Rausand & Hoyland, System Reliability Theory, 2nd ed., 2004, section 8.8; one unit can be down
    # before the system fails, so one crew or two give the same figure)
    for crews in ("", "repair: {crews: 1}\n"):
        s = system(PAIR + "system: {standby: {of: unit, active: 1, mode: cold}}\n" + crews)
        assert mttf_with_repair(s).mttf_hours.value == pytest.approx((2 * LAM + MU) / LAM**2, rel=1e-12)


def test_cold_standby_pair_unavailability_with_one_crew_and_with_two():
    # Birth-death chain on the number down: pi_1 = (lambda/mu) pi_0, pi_2 = lambda/(c mu) pi_1 with c crews at
    # work in state 2 (Trivedi & Bobbio 2017, ch. 9): U = r^2/c / (1 + r + r^2/c), r = lambda/mu
    r = LAM / MU
    own = system(PAIR + "system: {standby: {of: unit, active: 1, mode: cold}}\n")
    shared = system(PAIR + "system: {standby: {of: unit, active: 1, mode: cold}}\nrepair: [{of: unit, crews: 1}]\n")
    assert evaluate(own).unavailability == pytest.approx((r**2 / 2) / (1 + r + r**2 / 2), rel=1e-12)  # 4.95e-5
    assert evaluate(shared).unavailability == pytest.approx(r**2 / (1 + r + r**2), rel=1e-12)  # 9.90e-5


def test_parallel_pair_with_repair_mttf_is_51500_hours():
    # Two units in parallel with repair: MTTF = (3 lambda + mu) / (2 lambda^2) = 51,500 h
    # (Rausand & Hoyland 2004, section 8.8, the parallel structure of two identical components)
    s = system(PAIR + "system: {parallel: [unit]}\n")
    assert mttf_with_repair(s).mttf_hours.value == pytest.approx((3 * LAM + MU) / (2 * LAM**2), rel=1e-12)


def test_parallel_pair_sharing_one_crew():
    # states: both up, one down (two orders), both down; pi_1 = 2 r pi_0, pi_2 = r pi_1 with one crew:
    # U = 2 r^2 / (1 + 2 r + 2 r^2), and f = lambda pi_1 (the only way down is the second failure)
    r = LAM / MU
    result = evaluate(system(PAIR + "system: {parallel: [unit]}\nrepair: {crews: 1, policy: fifo}\n"))
    denominator = 1 + 2 * r + 2 * r**2
    assert result.unavailability == pytest.approx(2 * r**2 / denominator, rel=1e-12)
    assert result.failure_frequency_per_hour == pytest.approx(LAM * 2 * r / denominator, rel=1e-12)


def test_enough_crews_is_the_same_as_a_crew_each():
    text = """
components:
  a: {mtbf: 900h, mttr: 7h}
  b: {mtbf: 1500h, mttr: 20h}
  c: {mtbf: 400h, mttr: 3h}
system: {k_of_n: {k: 2, of: [a, b, c]}}
"""
    own = evaluate(system(text))
    shared = evaluate(system(text + "repair: [{of: [a, b, c], crews: 3}]\n"))
    assert shared.unavailability == pytest.approx(own.unavailability, rel=1e-12)
    assert shared.failure_frequency_per_hour == pytest.approx(own.failure_frequency_per_hour, rel=1e-12)


def fifo_chain(lam, mu):
    """The separately written FIFO chain of test_rbd_repair_groups with one crew: (states, index, pi)."""
    states, pi = fifo_chain_with_crews(lam, mu, 1)
    return states, {s: i for i, s in enumerate(states)}, pi


#: 2-of-3 with one FIFO crew for the three (rates per hour as the spec gives them)
THREE_ON_ONE_CREW = """
components:
  a: {mtbf: 900h, mttr: 7h}
  b: {mtbf: 1500h, mttr: 20h}
  c: {mtbf: 400h, mttr: 3h}
system: {k_of_n: {k: 2, of: [a, b, c]}}
repair: [{of: [a, b, c], crews: 1}]
"""
THREE_RATES = ([1 / 900, 1 / 1500, 1 / 400], [1 / 7, 1 / 20, 1 / 3])


def reference_chain(lam, mu, up):
    """A separately written FIFO one-crew chain: states are orderings of the failed; solved by least squares."""
    states, where, pi = fifo_chain(lam, mu)
    down = [not up(set(s)) for s in states]
    u = sum(p for p, d in zip(pi, down) if d)
    f = sum(pi[where[s]] * lam[i] for s in states if not down[where[s]]
            for i in set(range(len(lam))) - set(s) if down[where[s + (i,)]])
    return u, f


def test_a_group_of_three_with_one_crew_matches_a_separately_built_chain():
    lam, mu = THREE_RATES
    result = evaluate(system(THREE_ON_ONE_CREW))
    u, f = reference_chain(lam, mu, lambda failed: len(failed) <= 1)
    assert result.unavailability == pytest.approx(u, rel=1e-9)
    assert result.failure_frequency_per_hour == pytest.approx(f, rel=1e-9)


def test_mttf_of_a_series_pair_is_one_over_the_sum_of_rates():
    s = system("components: {a: {mtbf: 1000h, mttr: 5h}, b: {mtbf: 3000h, mttr: 1h}}\nsystem: {series: [a, b]}\n")
    assert mttf_with_repair(s).mttf_hours.value == pytest.approx(1 / (1 / 1000 + 1 / 3000), rel=1e-12)


@pytest.mark.parametrize("repair, message", [
    ("repair: [{of: [x], crews: 1}]", "unknown component 'x'"),
    ("repair: [{of: [p], crews: 1}]", "only an availability"),
    ("repair: {crews: 1, policy: lifo}", "only fifo"),
    ("repair: [{of: [a], crews: 1}, {of: [a, b], crews: 1}]", "already in repair[0]"),
    ("repair: [{crews: 1}]", "needs 'of'"),
    ("repair: {crews: 0}", "crews"),
    ("repair: {crews: 1, when: now}", "expected"),
    ("repair: [{of: [], crews: 1}]", "an empty group"),
])
def test_bad_repair_groups_are_refused(repair, message):
    text = """
components:
  a: {mtbf: 900h, mttr: 7h}
  b: {mtbf: 1500h, mttr: 20h}
  p: {availability: 0.999}
system: {series: [p, {parallel: [a, b]}]}
"""
    with pytest.raises(InputError, match="repair") as caught:
        system(text + repair + "\n")
    assert message in str(caught.value)


def test_a_group_too_large_for_its_chain_is_refused_with_the_limit():
    text = ("components: {n: {mtbf: 1000h, mttr: 5h, count: 15}, m: {mtbf: 900h, mttr: 6h, count: 10}}\n"
            "system: {k_of_n: {k: 5, of: [n, m]}}\nrepair: {crews: 1}\n")  # 25 members, two repair rates
    with pytest.raises(InputError, match="give at most 24 per group"):
        evaluate(system(text))
    same = "components: {n: {mtbf: 1000h, mttr: 5h, count: 65}}\nsystem: {k_of_n: {k: 5, of: [n]}}\nrepair: {crews: 1}\n"
    with pytest.raises(InputError, match="give at most 64 components per group"):
        evaluate(system(same))


@pytest.mark.parametrize("crews", [1, 2])
def test_one_repair_rate_product_form_matches_the_queue_chain(monkeypatch, crews):
    # four members with their own failure rates and one repair rate: the sets' closed form against the
    # FIFO queue chain solved by GTH (65 ordered states)
    from relcalc.rbd import repair

    text = f"""
components:
  a: {{mtbf: 900h, mttr: 8h}}
  b: {{mtbf: 1500h, mttr: 8h}}
  c: {{mtbf: 400h, mttr: 8h}}
  d: {{mtbf: 2500h, mttr: 8h}}
system: {{series: [{{parallel: [a, b]}}, {{k_of_n: {{k: 1, of: [b, c, d]}}}}]}}
repair: {{crews: {crews}}}
"""
    closed = evaluate(system(text))
    monkeypatch.setattr(repair, "MAX_PRODUCT_FORM", 0)
    chain = evaluate(system(text))
    assert closed.unavailability == pytest.approx(chain.unavailability, rel=1e-11)
    assert closed.failure_frequency_per_hour == pytest.approx(chain.failure_frequency_per_hour, rel=1e-11)


def test_a_group_of_ten_identical_units_matches_the_birth_death_chain():
    # 10 identical units, 2 crews, the system needs 7: the number down is a birth-death chain,
    # pi_(k+1) = pi_k (10 - k) lambda / (min(k + 1, 2) mu) (Trivedi & Bobbio 2017, ch. 9, machine repair);
    # 10 members is beyond the queue chain's 7
    lam, mu = 1 / 1000, 1 / 24
    pi = [1.0]
    for k in range(10):
        pi.append(pi[-1] * (10 - k) * lam / (min(k + 1, 2) * mu))
    u = sum(pi[4:]) / sum(pi)
    text = "components: {n: {mtbf: 1000h, mttr: 24h, count: 10}}\nsystem: {k_of_n: {k: 7, of: [n]}}\nrepair: {crews: 2}\n"
    assert evaluate(system(text)).unavailability == pytest.approx(u, rel=1e-11)


def test_beyond_the_chain_the_first_failure_is_simulated_with_an_interval():
    # 17-of-17 components (a series written as a k-of-n, which the series shortcut does not take): 2^17 chain
    # states, so simulated; the first failure is the first component failure, exponential with rate sum(lambda):
    # MTTF = 1 / sum(lambda) exactly
    parts = ", ".join(f"c{i}: {{mtbf: {1000 + 100 * i}h, mttr: 5h}}" for i in range(17))
    members = ", ".join(f"c{i}" for i in range(17))
    s = system("components: {" + parts + "}\nsystem: {k_of_n: {k: 17, of: [" + members + "]}}\n")
    result = mttf_with_repair(s, seed=3)  # each run its own stream now: seeds 1-20 covered 18 times, mean ratio 1.0001
    exact = 1 / sum(1 / (1000 + 100 * i) for i in range(17))
    assert result.chain_states == 0 and result.runs > 0 and "simulation" in result.method
    assert result.mttf_hours.low <= exact <= result.mttf_hours.high
    assert mttf_with_repair(s, seed=3).mttf_hours == result.mttf_hours  # the same seed, the same figure


def test_simulated_parallel_pair_covers_51500_hours(monkeypatch):
    from relcalc.rbd import mttf

    monkeypatch.setattr(mttf, "MAX_CHAIN_STATES", 1)  # force the simulation on the worked case
    monkeypatch.setattr(mttf, "RUNS", 300)
    result = mttf_with_repair(system(PAIR + "system: {parallel: [unit]}\n"), seed=3)
    assert result.mttf_hours.low <= (3 * LAM + MU) / (2 * LAM**2) <= result.mttf_hours.high


def test_too_large_with_repair_groups_is_refused():
    text = ("components: {n: {mtbf: 1000h, mttr: 5h, count: 6}, m: {mtbf: 1000h, mttr: 5h, count: 14}}\n"
            "system: {series: [{k_of_n: {k: 3, of: [n]}}, {k_of_n: {k: 7, of: [m]}}]}\nrepair: [{of: [n], crews: 1}]\n")
    with pytest.raises(InputError, match="--mttf-with-repair: the simulation would need about"):  # too reliable
        mttf_with_repair(system(text))


def test_cli_reports_mttf_with_repair(run, tmp_path):
    spec = tmp_path / "pair.yaml"
    spec.write_text(PAIR + "system: {parallel: [unit]}\n")
    result = run("compose", spec, "--mttf-with-repair", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mttf_with_repair"]["mttf_hours"] == pytest.approx(51_500, rel=1e-12)
    table = run("compose", spec, "--mttf-with-repair")
    assert "MTTF (with repair)" in table.stdout and "51,500 h" in table.stdout


def reference_member_measures(lam, mu, up, member):
    """P(member down), P(system down | member down) and | member up, from the separately built chain."""
    states, where, pi = fifo_chain(lam, mu)
    p_down = sum(p for p, s in zip(pi, states) if member in s)
    u_down = sum(p for p, s in zip(pi, states) if member in s and not up(set(s))) / p_down
    u_up = sum(p for p, s in zip(pi, states) if member not in s and not up(set(s))) / (1 - p_down)
    return p_down, u_down, u_up


def test_group_members_get_conditional_importance_from_the_joint_chain():
    # the members are dependent through the crew: P(down) and the conditional Birnbaum
    # U(system | a down) - U(system | a up) are read off a separately built FIFO chain
    lam, mu = THREE_RATES
    result = evaluate(system(THREE_ON_ONE_CREW))
    rows = {m.name: m for m in result.importance}
    for index, name in enumerate("abc"):
        p_down, u_down, u_up = reference_member_measures(lam, mu, lambda failed: len(failed) <= 1, index)
        assert rows[name].unavailability == pytest.approx(p_down, rel=1e-9)
        assert rows[name].birnbaum == pytest.approx(u_down - u_up, rel=1e-8)
        assert rows[name].risk_achievement_worth == pytest.approx(u_down / result.unavailability, rel=1e-8)
        assert rows[name].fussell_vesely == pytest.approx(p_down * u_down / result.unavailability, rel=1e-8)


def test_with_a_crew_each_member_importance_is_the_independent_one():
    text = """
components:
  a: {mtbf: 900h, mttr: 7h}
  b: {mtbf: 1500h, mttr: 20h}
  c: {mtbf: 400h, mttr: 3h}
system: {k_of_n: {k: 2, of: [a, b, c]}}
"""
    own = {m.name: m for m in evaluate(system(text)).importance}
    shared = {m.name: m for m in evaluate(system(text + "repair: [{of: [a, b, c], crews: 3}]\n")).importance}
    for name in "abc":
        for field in ("unavailability", "birnbaum", "criticality", "fussell_vesely", "risk_achievement_worth",
                      "improvement_potential"):
            assert getattr(shared[name], field) == pytest.approx(getattr(own[name], field), rel=1e-9)


@pytest.mark.parametrize("t, down", [(5.0, []), (30.0, ["unit#1"]), (0.0, ["unit#1"])])
def test_availability_at_a_time_with_one_crew_is_the_chains_transient(t, down):
    # parallel pair, one crew: the textbook 3-state birth-death chain on the number down (both identical),
    # 0 -> 1 at 2 lambda, 1 -> 2 at lambda, repairs at mu (one crew); P(2 down at t) by scipy's expm
    from scipy.linalg import expm

    from relcalc.rbd.transient import availability_at

    q = np.array([[-2 * LAM, 2 * LAM, 0], [MU, -(LAM + MU), LAM], [0, MU, -MU]])
    start = np.eye(3)[len(down)]
    p = start @ expm(q * t)
    result = availability_at(system(PAIR + "system: {parallel: [unit]}\nrepair: {crews: 1}\n"), t, down)
    assert result.unavailability == pytest.approx(p[2], rel=1e-9, abs=1e-300)
    assert result.availability == pytest.approx(p[0] + p[1], rel=1e-12)
    # each unit: down with probability p1 / 2 + p2 by symmetry (the first of the pair from its own start)
    if not down:
        for row in result.components:
            assert row.unavailability == pytest.approx(p[1] / 2 + p[2], rel=1e-9)
