"""The simulated MTTF with repair (repair groups, standby blocks), against closed forms and the exact chain.

Each case is small enough for the exact chain; the chain's size limit is lowered to force the simulation,
with fewer runs than the command's 2,000 so the tests stay short. Over seeds 1-40 (300 runs each) the
95% intervals covered the exact figure 40, 36 and 37 times in 40 for the FIFO, two-crew and mixed cases
below, with mean ratios 0.992, 1.003 and 1.002 (the check run by hand when the simulation was written).
"""

import math
import json

import pytest

from relcalc.errors import InputError
from relcalc.rbd import load_spec_text, system_from_mapping
from relcalc.rbd import mttf
from relcalc.rbd.mttf import mttf_with_repair

# The standard worked case: two identical units, MTBF 1,000 h (lambda = 1e-3/h), MTTR 10 h (mu = 0.1/h).
LAM, MU = 1e-3, 0.1
PAIR = "components: {unit: {mtbf: 1000h, mttr: 10h, count: 2}}\n"

FIFO = """components:
  a: {mtbf: 100h, mttr: 10h}
  b: {mtbf: 150h, mttr: 25h}
  c: {mtbf: 80h, mttr: 5h}
  d: {mtbf: 120h, mttr: 15h}
system: {k_of_n: {k: 2, of: [a, b, c, d]}}
repair: {crews: 1}
"""
MIXED = """components:
  a: {mtbf: 100h, mttr: 10h}
  b: {mtbf: 150h, mttr: 25h}
  s: {mtbf: 60h, mttr: 10h, count: 3}
  x: {mtbf: 2000h, mttr: 3h}
  y: {mtbf: 70h, mttr: 6h, count: 2}
system: {series: [x, {parallel: [a, b]}, {standby: {of: s, active: 1, mode: warm, dormant_factor: 0.4, switch: 0.9, crews: 1}}, {parallel: [y]}]}
repair: [{of: [a, b], crews: 1}]
"""


def system(text):
    return system_from_mapping(load_spec_text(text))


@pytest.fixture
def simulated(monkeypatch):
    """mttf_with_repair with the simulation forced (chain limit 1) and ``runs`` runs."""
    def solve(text, seed, runs=300):
        monkeypatch.setattr(mttf, "MAX_CHAIN_STATES", 1)
        monkeypatch.setattr(mttf, "RUNS", runs)
        return mttf_with_repair(system(text), seed=seed)

    return solve


@pytest.mark.parametrize("seed", [1, 2])
def test_cold_standby_pair_on_one_crew_covers_102000_hours(simulated, seed):
    # MTTF = (2 lambda + mu) / lambda^2 = 102,000 h (Rausand & Hoyland, System Reliability Theory,
    # 2nd ed., 2004, section 8.8): the shared-crew worked case, simulated through the standby chain
    result = simulated(PAIR + "system: {standby: {of: unit, active: 1, mode: cold}}\nrepair: {crews: 1}\n", seed)
    assert result.chain_states == 0 and "simulation" in result.method and result.seed == seed
    assert result.mttf_hours.low <= (2 * LAM + MU) / LAM**2 <= result.mttf_hours.high


@pytest.mark.parametrize("seed", [1, 2])
def test_parallel_pair_on_one_shared_crew_covers_51500_hours(simulated, seed):
    # MTTF = (3 lambda + mu) / (2 lambda^2) = 51,500 h (Rausand & Hoyland 2004, section 8.8); the pair's
    # one crew is never queued for before the system fails, so the shared crew gives the same figure
    result = simulated(PAIR + "system: {parallel: [unit]}\nrepair: {crews: 1, policy: fifo}\n", seed)
    assert result.mttf_hours.low <= (3 * LAM + MU) / (2 * LAM**2) <= result.mttf_hours.high


@pytest.mark.parametrize("text, seed", [(FIFO, 1), (FIFO, 2), (MIXED, 2), (MIXED, 3)])
def test_queued_repairs_and_a_warm_standby_cover_the_exact_chain(simulated, text, seed):
    # FIFO: four distinct members on one crew, 2-of-4, so repairs queue before the system fails; MIXED: a
    # shared-crew pair, a warm standby of 3 with failed switch-overs and one crew, own-crew components.
    # The reference is the exact chain of the whole diagram (relcalc.rbd.mttf, checked against the textbook
    # figures in test_rbd_repair), built from group_chain and standby_rates.
    exact = mttf_with_repair(system(text)).mttf_hours.value
    result = simulated(text, seed)
    assert result.mttf_hours.low <= exact <= result.mttf_hours.high


def test_the_queue_matters_in_the_fifo_case():
    # so the case above checks the crews: with a crew each the exact MTTF is over 15% longer
    own = mttf_with_repair(system(FIFO.replace("repair: {crews: 1}\n", ""))).mttf_hours.value
    shared = mttf_with_repair(system(FIFO)).mttf_hours.value
    assert own > 1.15 * shared


def test_the_same_seed_gives_the_same_figure(simulated):
    first = simulated(MIXED, 5, runs=50).mttf_hours
    assert simulated(MIXED, 5, runs=50).mttf_hours == first
    assert simulated(MIXED, 6, runs=50).mttf_hours != first


def test_too_reliable_to_simulate_is_refused_at_once(simulated):
    # 3-of-8 units (8 components alike: not the count-down chain of one component's instances) on one crew,
    # MTTR 1 h: a first failure takes about 1e12 h, far beyond the event budget
    names = [f"n{i}" for i in range(8)]
    text = ("components: {" + ", ".join(f"{x}: {{mtbf: 1000h, mttr: 1h}}" for x in names) + "}\n"
            "system: {k_of_n: {k: 3, of: [" + ", ".join(names) + "]}}\nrepair: {crews: 1}\n")
    with pytest.raises(InputError, match="--mttf-with-repair: the simulation would need about"):
        simulated(text, 1)


def test_cli_labels_the_simulated_figure(run, tmp_path, monkeypatch):
    monkeypatch.setattr(mttf, "MAX_CHAIN_STATES", 1)
    monkeypatch.setattr(mttf, "RUNS", 100)
    spec = tmp_path / "mixed.yaml"
    spec.write_text(MIXED)
    result = run("compose", spec, "--mttf-with-repair", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["mttf_with_repair"]
    assert data["chain_states"] == 0 and data["runs"] == 100 and "simulation" in data["method"]
    low, high = data["mttf_hours_ci95"]
    assert low < data["mttf_hours"] < high
    table = run("compose", spec, "--mttf-with-repair")
    assert "simulated, 95%" in table.stdout


def birth_death_mttf(n, failed_at, lam, mu, crews):
    """Mean time from all up to ``failed_at`` units down: n identical units, ``crews`` crews (built here).

    From i down: a failure at (n - i) lambda, a repair at min(i, crews) mu; the mean first-passage times
    m_i solve (b_i + d_i) m_i - b_i m_(i+1) - d_i m_(i-1) = 1 with m_failed_at = 0 (Trivedi & Bobbio,
    Reliability and Availability Engineering, 2017, ch. 9).
    """
    import numpy as np

    a = np.zeros((failed_at, failed_at))
    for i in range(failed_at):
        birth, death = (n - i) * lam, min(i, crews) * mu
        a[i, i] = birth + death
        if i + 1 < failed_at:
            a[i, i + 1] = -birth
        if i:
            a[i, i - 1] = -death
    return float(np.linalg.solve(a, np.ones(failed_at))[0])


@pytest.mark.parametrize("seed", [1, 2])
def test_a_group_beyond_its_chains_limit_is_simulated(seed):
    # 8 units alike, written as 8 components, on one crew (109,601 queue states, over the chain's limit: simulated
    # without forcing); units alike make the queue a birth-death chain on the number down, 5-of-8 fails at 4 down
    names = [f"n{i}" for i in range(8)]
    text = ("components: {" + ", ".join(f"{x}: {{mtbf: 100h, mttr: 20h}}" for x in names) + "}\n"
            "system: {k_of_n: {k: 5, of: [" + ", ".join(names) + "]}}\nrepair: {crews: 1}\n")
    result = mttf_with_repair(system(text), seed=seed)
    exact = birth_death_mttf(8, 4, 1 / 100, 1 / 20, 1)
    assert result.chain_states == 0 and result.runs == mttf.RUNS
    assert result.mttf_hours.low <= exact <= result.mttf_hours.high
    # written as 8 instances of one component, the count-down chain gives it exactly
    one = "components: {n: {mtbf: 100h, mttr: 20h, count: 8}}\nsystem: {k_of_n: {k: 5, of: [n]}}\nrepair: {crews: 1}\n"
    assert mttf_with_repair(system(one)).mttf_hours.value == pytest.approx(exact, rel=1e-12)


def test_cli_seed_reaches_the_simulation(run, tmp_path, monkeypatch):
    monkeypatch.setattr(mttf, "MAX_CHAIN_STATES", 1)
    monkeypatch.setattr(mttf, "RUNS", 50)
    spec = tmp_path / "mixed.yaml"
    spec.write_text(MIXED)
    figures = [json.loads(run("compose", spec, "--mttf-with-repair", "--seed", seed, "-f", "json").stdout)
               ["mttf_with_repair"] for seed in ("4", "4", "9")]
    assert figures[0]["seed"] == 4 and figures[0]["mttf_hours"] == figures[1]["mttf_hours"]
    assert figures[2]["seed"] == 9 and figures[2]["mttf_hours"] != figures[0]["mttf_hours"]


@pytest.mark.parametrize("seed", ["-1", "nan", "1e30", "abc", ""])
def test_cli_bad_seeds_are_one_line_errors(run, tmp_path, seed):
    spec = tmp_path / "mixed.yaml"
    spec.write_text(MIXED)
    result = run("compose", spec, "--mttf-with-repair", "--seed", seed)
    assert result.exit_code == 2 and result.stderr.startswith("relcalc: error: --seed")


@pytest.mark.parametrize("n, k", [(64, 63), (64, 62), (100, 50), (10, 2), (8, 1)])  # below 64: distinct components
def test_many_identical_members_mttf_by_their_birth_death_chain(n, k, monkeypatch):
    # k-of-n identical members with own crews: the count down is a birth-death chain; against an mpmath solve of
    # the absorbing chain's first-passage equations (-Q_UU m = 1, Rausand & Hoyland 8.8), built here state by state
    import importlib

    import mpmath

    from relcalc.rbd import load_spec_text, system_from_mapping

    mttf_module = importlib.import_module("relcalc.rbd.mttf")
    if n >= 64:  # one component's instances: the count-down chain
        text = f"components: {{a: {{mtbf: 1000h, mttr: 10h, count: {n}}}}}\nsystem: {{k_of_n: {{k: {k}, of: [a]}}}}\n"
    else:  # the same units as distinct components: the whole diagram's 2^n chain
        text = ("components: {" + ", ".join(f"c{i}: {{mtbf: 1000h, mttr: 10h}}" for i in range(n)) + "}\n"
                f"system: {{k_of_n: {{k: {k}, of: [" + ", ".join(f"c{i}" for i in range(n)) + "]}}\n")
    found = mttf_module.mttf_with_repair(system_from_mapping(load_spec_text(text)))
    m = n - k + 1
    with mpmath.workdps(250):  # -Q_UU is as ill-conditioned as the MTTF is large (5e72 h at 50-of-100)
        lam, mu = mpmath.mpf(1) / 1000, mpmath.mpf(1) / 10
        q = mpmath.zeros(m, m)
        for j in range(m):
            q[j, j] = -((n - j) * lam + j * mu)
            if j + 1 < m:
                q[j, j + 1] = (n - j) * lam
            if j:
                q[j, j - 1] = j * mu
        times = mpmath.lu_solve(-q, mpmath.ones(m, 1))
        assert found.mttf_hours.value == pytest.approx(float(times[0]), rel=1e-12)
    assert found.mttf_hours.bounds is None
    # written as instances, the count-down chain; as distinct components, the whole 2^n chain, eliminated without
    # subtraction (a plain LU gave 1.03e17 h for 2-of-10, 16% under the exact 1.23e17 h)
    assert ("birth-death" in found.method) == (n >= 64)


def test_a_law_the_chain_does_not_follow_is_named():
    # the chain runs on rates: a Weibull pair gets the exponential pair's (3 lambda + mu) / (2 lambda^2) = 51,500 h
    # (lambda = 1/1000, mu = 1/10), and says that it took the law as exponential
    from relcalc.rbd import load_spec_text, system_from_mapping
    from relcalc.rbd.mttf import mttf_with_repair

    text = "components: {a: {mtbf: 1000h, mttr: 10h, count: 2, LAW}}\nsystem: {parallel: [a]}\n"
    shaped = mttf_with_repair(system_from_mapping(load_spec_text(text.replace("LAW", "weibull_shape: 2"))))
    plain = mttf_with_repair(system_from_mapping(load_spec_text(text.replace(", LAW", ""))))
    assert shaped.mttf_hours.value == pytest.approx(51_500.0, rel=1e-12) == plain.mttf_hours.value
    assert "taken as exponential" in shaped.note and plain.note is None


def test_a_series_of_any_size_has_the_exact_mttf_of_its_first_failure():
    # 40 components in series, own crews: from all up the system fails with the first of 40 independent exponential
    # lives, whose mean is 1 / sum(lambda_i) (the chain would have 2^40 states, the simulation a wide interval)
    from relcalc.rbd import load_spec_text, system_from_mapping
    from relcalc.rbd.mttf import mttf_with_repair

    text = ("components:\n" + "".join(f"  c{i}: {{mtbf: {1000 + 10 * i}h, mttr: 10h}}\n" for i in range(40))
            + "system: {series: [" + ", ".join(f"c{i}" for i in range(40)) + "]}\n")
    found = mttf_with_repair(system_from_mapping(load_spec_text(text)))
    assert found.mttf_hours.value == pytest.approx(1 / math.fsum(1 / (1000 + 10 * i) for i in range(40)), rel=1e-14)
    assert found.mttf_hours.bounds is None


def test_few_identical_instances_take_the_count_down_chain_too():
    # 2-of-12 instances of one unit: 2^12 chain states (4,083 up, over the elimination's limit) would have gone to
    # the simulation and been refused as too reliable; the count-down chain gives the exact 8.55e20 h, here checked
    # by the same first-step recursion summed in fractions (tau_j = (1 + j mu tau_{j-1}) / ((n - j) lambda))
    from fractions import Fraction

    from relcalc.rbd import load_spec_text, system_from_mapping
    from relcalc.rbd.mttf import mttf_with_repair

    found = mttf_with_repair(system_from_mapping(load_spec_text(
        "components: {a: {mtbf: 1000h, mttr: 10h, count: 12}}\nsystem: {k_of_n: {k: 2, of: [a]}}\n")))
    lam, mu, tau, total = Fraction(1, 1000), Fraction(1, 10), Fraction(0), Fraction(0)
    for j in range(11):
        tau = (1 + j * mu * tau) / ((12 - j) * lam)
        total += tau
    assert found.mttf_hours.value == pytest.approx(float(total), rel=1e-13)


@pytest.mark.parametrize("n, k, crews", [(12, 10, 1), (8, 3, 2)])
def test_identical_instances_on_shared_crews_take_the_count_down_chain(n, k, crews):
    # interchangeable members on c FIFO crews: j down repair at min(j, c) mu whatever the queue's order; against an
    # mpmath solve of the absorbing chain's first-passage equations built here (10-of-12 on one crew: 9,516.67 h,
    # where the simulation gave 9,309 h [8,899, 9,718])
    import mpmath

    from relcalc.rbd import load_spec_text, system_from_mapping
    from relcalc.rbd.mttf import mttf_with_repair

    found = mttf_with_repair(system_from_mapping(load_spec_text(
        f"components: {{a: {{mtbf: 1000h, mttr: 10h, count: {n}}}}}\nsystem: {{k_of_n: {{k: {k}, of: [a]}}}}\n"
        f"repair: {{crews: {crews}, policy: fifo}}\n")))
    m = n - k + 1
    with mpmath.workdps(60):
        lam, mu = mpmath.mpf(1) / 1000, mpmath.mpf(1) / 10
        q = mpmath.zeros(m, m)
        for j in range(m):
            q[j, j] = -((n - j) * lam + min(j, crews) * mu)
            if j + 1 < m:
                q[j, j + 1] = (n - j) * lam
            if j:
                q[j, j - 1] = min(j, crews) * mu
        assert found.mttf_hours.value == pytest.approx(float(mpmath.lu_solve(-q, mpmath.ones(m, 1))[0]), rel=1e-12)
    assert found.mttf_hours.bounds is None and "birth-death" in found.method
