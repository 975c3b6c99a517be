"""A(t), mean availability over a window, and lognormal mission laws, against independent solutions."""

import json
import math

import mpmath
import numpy as np
import pytest
from scipy.linalg import expm

from relcalc.errors import InputError
from relcalc.rbd import evaluate, load_spec_text, mission, system_from_mapping
from relcalc.rbd.transient import availability_at, availability_over, component_at, component_window, parse_window

from conftest import SAMPLES

LAM, MU = 1 / 1000, 1 / 10


def chain_at(lam, mu, t, down):
    """P(down at t) of the two-state chain, by the matrix exponential (independent of the closed form)."""
    q = np.array([[-lam, lam], [mu, -mu]])
    return expm(q * t)[1 if down else 0][1]


@pytest.mark.parametrize("t", [0.0, 0.5, 10.0, 100.0, 5000.0])
@pytest.mark.parametrize("down", [False, True])
def test_one_component_follows_its_chain(t, down):
    a, u = component_at(LAM, MU, t, down)
    assert u == pytest.approx(chain_at(LAM, MU, t, down), rel=1e-12, abs=1e-300)
    assert a + u == pytest.approx(1.0, abs=1e-15)


def test_just_after_a_repair_u_keeps_its_digits():
    # U(t) = lambda/s (1 - e^(-s t)) ~ lambda t for tiny t: 1e-12 h gives 1e-15, at 50 digits in mpmath
    t = 1e-12
    with mpmath.workdps(50):
        lam, mu = mpmath.mpf(LAM), mpmath.mpf(MU)
        expected = lam / (lam + mu) * (1 - mpmath.exp(-(lam + mu) * t))
    assert component_at(LAM, MU, t, False)[1] == pytest.approx(float(expected), rel=1e-14)


@pytest.mark.parametrize("t1, t2", [(0.0, 24.0), (0.0, 1e-6), (100.0, 100.001), (10.0, 1e5)])
@pytest.mark.parametrize("down", [False, True])
def test_window_mean_of_one_component_is_the_integral_of_its_chain(t1, t2, down):
    # the mean of P(down at t) over [t1, t2], integrated in mpmath from the chain's solution at 40 digits
    with mpmath.workdps(40):
        lam, mu = mpmath.mpf(LAM), mpmath.mpf(MU)
        s = lam + mu
        start = 1 if down else 0

        def u(t):
            return (lam + (mu if start else -lam) * mpmath.exp(-s * t)) / s if start else lam / s * (1 - mpmath.exp(-s * t))

        expected = mpmath.quad(u, [t1, t2]) / (t2 - t1)
    a, mean_u = component_window(LAM, MU, t1, t2, down)
    assert mean_u == pytest.approx(float(expected), rel=1e-11)
    assert a + mean_u == pytest.approx(1.0, abs=1e-15)


def spec(text):
    return system_from_mapping(load_spec_text(text))


PAIR = "components: {a: {mtbf: 1000h, mttr: 10h}, b: {mtbf: 500h, mttr: 4h}}\n"


def test_series_pair_at_a_time_is_the_product_of_its_components():
    system = spec(PAIR + "system: {series: [a, b]}\n")
    result = availability_at(system, 7.0)
    a1 = component_at(1 / 1000, 1 / 10, 7.0, False)[0]
    a2 = component_at(1 / 500, 1 / 4, 7.0, False)[0]
    assert result.availability == pytest.approx(a1 * a2, rel=1e-14)
    assert [c.name for c in result.components] == ["a", "b"]


def test_parallel_pair_over_a_window_is_the_integral_of_the_product():
    # U(t) = U_a(t) U_b(t) for a parallel pair from all up; its mean over [0, 48] h in closed form:
    # c_a c_b [D - (1 - e^{-s_a D})/s_a - (1 - e^{-s_b D})/s_b + (1 - e^{-(s_a+s_b) D})/(s_a+s_b)] / D
    system = spec(PAIR + "system: {parallel: [a, b]}\n")
    result = availability_over(system, 0.0, 48.0)
    with mpmath.workdps(40):
        la, ma, lb, mb = (mpmath.mpf(x) for x in (1 / 1000, 1 / 10, 1 / 500, 1 / 4))
        sa, sb, d = la + ma, lb + mb, mpmath.mpf(48)
        ca, cb = la / sa, lb / sb
        integral = ca * cb * (d - (1 - mpmath.exp(-sa * d)) / sa - (1 - mpmath.exp(-sb * d)) / sb
                              + (1 - mpmath.exp(-(sa + sb) * d)) / (sa + sb))
    assert result.unavailability == pytest.approx(float(integral / d), rel=1e-9)


def test_long_after_the_start_the_system_is_in_its_steady_state():
    system = spec((SAMPLES / "web-service.yaml").read_text())
    assert availability_at(system, 1e7).unavailability == pytest.approx(evaluate(system).unavailability, rel=1e-12)


def test_a_component_down_at_the_start_raises_the_early_unavailability():
    system = spec(PAIR + "system: {parallel: [a, b]}\n")
    result = availability_at(system, 3.0, ["a"])
    ua = component_at(1 / 1000, 1 / 10, 3.0, True)[1]
    ub = component_at(1 / 500, 1 / 4, 3.0, False)[1]
    assert result.unavailability == pytest.approx(ua * ub, rel=1e-13)


def test_lognormal_mission_reliability_matches_scipy_and_keeps_the_mean():
    # R(t) of a lognormal time to failure with mean 1000 h and sigma 0.8 (scipy.stats.lognorm), MTTF = mean
    from scipy import stats

    system = spec("components: {a: {mtbf: 1000h, mttr: 5h, lognormal_sigma: 0.8}}\nsystem: {series: [a]}\n")
    result = mission(system, 500.0)
    law = stats.lognorm(s=0.8, scale=math.exp(math.log(1000.0) - 0.32))
    assert result.reliability == pytest.approx(law.sf(500.0), rel=1e-12)
    assert result.unreliability == pytest.approx(law.cdf(500.0), rel=1e-12)
    assert result.mttf_hours == pytest.approx(1000.0, rel=1e-8)


@pytest.mark.parametrize("law", ["lognormal_sigma: 4", "lognormal_sigma: 8", "lognormal_sigma: 10", "weibull_shape: 0.1"])
def test_mission_mttf_keeps_the_mean_of_heavy_tailed_laws(law):
    # E[T] = MTBF by construction (lognormal: exp(mu + sigma^2/2); Weibull: eta Gamma(1 + 1/beta)), although at
    # sigma = 10 R(t) is below 1e-12 long before the mean's mass (near e^100 MTBFs) is reached; and for two
    # independent lives max + min = T1 + T2, so E[parallel] + E[series] = 2 MTBF whatever the tail
    one = spec(f"components: {{a: {{mtbf: 1000h, mttr: 5h, {law}}}}}\nsystem: a\n")
    assert mission(one, 100.0).mttf_hours == pytest.approx(1000.0, rel=1e-8)
    pair = f"components: {{a: {{mtbf: 1000h, mttr: 5h, count: 2, {law}}}}}\nsystem: {{KIND: [a]}}\n"
    longest = mission(spec(pair.replace("KIND", "parallel")), 100.0).mttf_hours
    shortest = mission(spec(pair.replace("KIND", "series")), 100.0).mttf_hours
    assert longest + shortest == pytest.approx(2000.0, rel=1e-8)
    assert shortest < 1000.0 < longest
    if law.startswith("lognormal"):
        # the shorter life on its own (1.5e-9 h at sigma 10, far below the MTBF, so the sum above cannot see it):
        # E[min] = integral R(t)^2 dt, taken by mpmath in x = ln t around mu = ln 1000 - sigma^2 / 2
        sigma = float(law.split(":")[1])
        with mpmath.workdps(30):
            mu = mpmath.log(1000) - sigma**2 / 2
            both_up = lambda x: mpmath.ncdf(-(x - mu) / sigma) ** 2 * mpmath.exp(x)  # noqa: E731
            cuts = [-mpmath.inf] + [mu + k * sigma for k in (-10, -3, 0, 3, 10)] + [mpmath.inf]
            assert shortest == pytest.approx(float(mpmath.quad(both_up, cuts)), rel=1e-7)


@pytest.mark.parametrize("text, message", [
    ("components: {a: {mtbf: 1000h, mttr: 5h, lognormal_sigma: 0}}\nsystem: a\n", "lognormal_sigma"),
    ("components: {a: {mtbf: 1000h, mttr: 5h, lognormal_sigma: nan}}\nsystem: a\n", "lognormal_sigma"),
    ("components: {a: {mtbf: 1000h, mttr: 5h, lognormal_sigma: 1, weibull_shape: 2}}\nsystem: a\n", "not both"),
])
def test_bad_lognormal_laws_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        spec(text)


@pytest.mark.parametrize("text", ["24h", "0..", "..5h", "5h..1h", "3h..3h", "-1h..2h", "0h..nan", "x..y", "0h...24h"])
def test_bad_windows_are_refused(text):
    with pytest.raises(InputError, match="--window"):
        parse_window(text)


def test_cli_at_and_window(run):
    path = SAMPLES / "web-service.yaml"
    result = run("compose", path, "--at", "2h", "--window", "0h..24h", "--initially-down", "db#1", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    system = spec(path.read_text())
    assert data["at"]["unavailability"] == availability_at(system, 2.0, ["db#1"]).unavailability
    assert data["window"]["start_hours"] == 0 and data["window"]["end_hours"] == 24


@pytest.mark.parametrize("args", [["--at", "-1h"], ["--at", "soon"], ["--window", "1h"], ["--initially-down", "db"],
                                  ["--at", "1h", "--initially-down", "nope"], ["--at", "1h", "--initially-down", ","]])
def test_cli_refuses_bad_times_in_one_line(run, args):
    result = run("compose", SAMPLES / "web-service.yaml", *args)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("relcalc: error:")


@pytest.mark.parametrize("t1, t2", [(0.0, 48.0), (5.0, 30.0)])
def test_hot_standby_over_a_window_is_the_parallel_pairs_integral(t1, t2):
    # hot standby of 2 (1 needed, one crew per unit) is a parallel pair of independent units; its mean U
    # over [t1, t2] is the integral of c^2 (1 - e^{-s t})^2, in closed form at 40 digits (mpmath)
    from relcalc.rbd import Component, Standby, System

    system = System({"x": Component.from_times("x", 1000.0, 10.0, count=2)}, Standby("x", 1, "hot", 1.0))
    result = availability_over(system, t1, t2)
    with mpmath.workdps(40):
        lam, mu = mpmath.mpf(1) / 1000, mpmath.mpf(1) / 10
        s, c = lam + mu, lam / (lam + mu)

        def primitive(t):  # of (1 - e^{-s t})^2
            return t + 2 * mpmath.exp(-s * t) / s - mpmath.exp(-2 * s * t) / (2 * s)

        expected = c**2 * (primitive(t2) - primitive(t1)) / (t2 - t1)
    assert result.unavailability == pytest.approx(float(expected), rel=1e-9)
    block = result.components[0]
    assert block.unavailability == pytest.approx(float(expected), rel=1e-10)
    assert block.availability + block.unavailability == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("n", [1_000, 100_000])
def test_mission_of_many_identical_instances_matches_order_statistics(n):
    # a k-of-n of n identical exponential lives fails at the (n - k + 1)-th failure: MTTF = sum_{j=k}^{n} 1/(j lambda)
    # (the exponential order statistics, Renyi 1953); its unreliability at 1 h, far below the smallest float, is
    # the binomial tail P(Bin(n, 1 - e^{-t/MTBF}) > n - k) summed in mpmath
    k = n // 2
    system = spec(f"components: {{a: {{mtbf: 1000h, mttr: 10h, count: {n}}}}}\nsystem: {{k_of_n: {{k: {k}, of: [a]}}}}\n")
    result = mission(system, 1.0)
    assert result.mttf_hours == pytest.approx(1000.0 * math.fsum(1.0 / j for j in range(k, n + 1)), rel=1e-8)
    assert result.unreliability == 0.0 and result.reliability == 1.0
    if n == 1_000:
        with mpmath.workdps(50):
            q = -mpmath.expm1(mpmath.mpf(-1) / 1000)
            tail = mpmath.fsum(mpmath.binomial(n, j) * q**j * (1 - q) ** (n - j) for j in range(n - k + 1, n + 1))
            assert result.unreliability_log10 == pytest.approx(float(mpmath.log10(tail)), rel=1e-10)


def test_mission_mttf_too_costly_is_said_not_guessed(monkeypatch):
    # with the work budget below what the integral needs, R(t) is still exact and the MTTF is None with the reason
    import importlib

    mission_module = importlib.import_module("relcalc.rbd.mission")  # the package's 'mission' is the function
    monkeypatch.setattr(mission_module, "MAX_MTTF_WORK", 60)
    result = mission(spec(PAIR + "system: {parallel: [a, b]}\n"), 100.0)
    lives = [math.exp(-100.0 / 1000.0), math.exp(-100.0 / 500.0)]
    assert result.reliability == pytest.approx(1 - (1 - lives[0]) * (1 - lives[1]), rel=1e-12)
    assert result.mttf_hours is None and "2 instances" in result.mttf_note


@pytest.mark.parametrize("down", [["x#2"], ["x"]])
def test_a_standby_block_with_units_down_at_the_start_follows_its_chain_from_there(down):
    # cold standby of 2 units (1 active), a crew each: 0 -> 1 at lambda, 1 -> 2 at lambda, repairs 1 -> 0 at
    # mu and 2 -> 1 at 2 mu (Trivedi & Bobbio 2017, ch. 10), built here; started with 1 or 2 units down
    from relcalc.rbd import Component, Standby, System

    system = System({"x": Component.from_times("x", 1000.0, 10.0, count=2)}, Standby("x", 1, "cold"))
    q = np.array([[-LAM, LAM, 0], [MU, -(LAM + MU), LAM], [0, 2 * MU, -2 * MU]])
    start = np.eye(3)[len(down) if down != ["x"] else 2]
    assert availability_at(system, 6.0, down).unavailability == pytest.approx((start @ expm(q * 6.0))[2], rel=1e-9)
    augmented = np.zeros((6, 6))
    augmented[:3, :3], augmented[:3, 3:] = q, np.eye(3)
    mean = start @ expm(q * 2.0) @ expm(augmented * 20.0)[:3, 3:] / 20.0  # Van Loan 1978, over [2, 22] h
    assert availability_over(system, 2.0, 22.0, down).unavailability == pytest.approx(mean[2], rel=1e-9)


@pytest.mark.parametrize("t2", [48.0, 1e6, 1e9])
@pytest.mark.parametrize("down", [[], ["a"], ["a", "b"]])
def test_parallel_pair_over_long_windows_keeps_the_starts_transient(t2, down):
    # U_i(t) = c_i + d_i e^(-s_i t), c_i = lambda_i / s_i, d_i = mu_i / s_i from down or -c_i from up;
    # the pair's U = U_a U_b integrates term by term with E(s) = (1 - e^(-s D)) / s (40 digits, mpmath).
    # (scipy's adaptive quad, used before, missed the first hours of a 1e6 h window: 4% off)
    system = spec(PAIR + "system: {parallel: [a, b]}\n")
    result = availability_over(system, 0.0, t2, down)
    with mpmath.workdps(40):
        total = mpmath.mpf(0)
        terms = []
        for name, lam, mu in (("a", mpmath.mpf(1) / 1000, mpmath.mpf(1) / 10), ("b", mpmath.mpf(1) / 500, mpmath.mpf(1) / 4)):
            s = lam + mu
            terms.append((lam / s, mu / s if name in down else -lam / s, s))
        (ca, da, sa), (cb, db, sb) = terms
        d = mpmath.mpf(t2)

        def e(rate):
            return -mpmath.expm1(-rate * d) / rate

        total = ca * cb * d + ca * db * e(sb) + da * cb * e(sa) + da * db * e(sa + sb)
    assert result.unavailability == pytest.approx(float(total / d), rel=1e-11)
    assert abs(result.unavailability - float(total / d)) <= result.error_bound + 1e-15 * result.unavailability


@pytest.mark.parametrize("t", [1e14, 1e20, 1e300])
def test_standby_point_availability_far_ahead_is_the_steady_state(t):
    # cold standby of two units, own crews: the birth-death chain 0 -> 1 -> 2 at lambda, back at mu and 2 mu, so
    # U_inf = pi_2 = (lambda^2 / 2 mu^2) / (1 + lambda/mu + lambda^2 / 2 mu^2); expm(Q t) in one step gave 4e167
    system = spec("components: {u: {mtbf: 1000h, mttr: 10h, count: 2}}\nsystem: {standby: {of: u, active: 1, mode: cold}}\n")
    lam, mu = 1e-3, 0.1
    steady = (lam**2 / (2 * mu**2)) / (1 + lam / mu + lam**2 / (2 * mu**2))
    assert availability_at(system, t).unavailability == pytest.approx(steady, rel=1e-9)


@pytest.mark.parametrize("law", ["lognormal_sigma: 1", "weibull_shape: 2"])
def test_mission_of_a_standby_block_with_a_non_exponential_law_is_refused(law):
    # the standby chain has exponential lives: R(1000 h) = e^-1 (1 + 1) = 0.7358 for the cold pair whatever the law,
    # where a lognormal (sigma 1) pair gives 0.702 and a Weibull (shape 2) one 0.924; so it is refused, not wrong
    system = spec(f"components: {{u: {{mtbf: 1000h, mttr: 10h, count: 2, {law}}}}}\n"
                  "system: {standby: {of: u, active: 1, mode: cold}}\n")
    with pytest.raises(InputError, match="exponential lives"):
        mission(system, 1000.0)
    exponential = spec("components: {u: {mtbf: 1000h, mttr: 10h, count: 2}}\n"
                       "system: {standby: {of: u, active: 1, mode: cold}}\n")
    assert mission(exponential, 1000.0).reliability == pytest.approx(2 * math.exp(-1.0), rel=1e-12)


@pytest.mark.parametrize("t", [1e20, 1e300])
def test_a_repair_group_far_ahead_is_in_its_steady_state(t):
    # a pair on one crew: pi_2 = 2 l^2 / (mu^2 + 2 l mu + 2 l^2) (the machine-repair chain, Trivedi & Bobbio ch. 9);
    # expm(Q t) in one step overflowed from about 1e20 h and the time was refused
    system = spec("components: {a: {mtbf: 1000h, mttr: 10h, count: 2}}\nsystem: {parallel: [a]}\n"
                  "repair: {crews: 1, policy: fifo}\n")
    lam, mu = 1e-3, 0.1
    assert availability_at(system, t).unavailability == pytest.approx(
        2 * lam**2 / (mu**2 + 2 * lam * mu + 2 * lam**2), rel=1e-9)


def test_a_truncated_repair_chain_over_time_says_how_far_short_it_may_be():
    # 8 members of several repair rates on 8 crews: each is repaired at once, so they are independent and
    # u_i(t) = l_i / (l_i + m_i) (1 - e^{-(l_i + m_i) t}) from up; the 7-of-8 block is down with two or more down,
    # summed over all 2^8 states. The truncated chain's U(t) is a lower bound short by at most lost_bound.
    import itertools

    lams = [1 / (1000 + 10 * i) for i in range(8)]
    mus = [1 / (10 + i) for i in range(8)]
    text = ("components: {" + ", ".join(f"c{i}: {{mtbf: {1000 + 10 * i}h, mttr: {10 + i}h}}" for i in range(8))
            + "}\nsystem: {k_of_n: {k: 7, of: [" + ", ".join(f"c{i}" for i in range(8)) + "]}}\n"
            + "repair: {crews: 8, policy: fifo}\n")
    point = availability_at(spec(text), 50.0)
    u = [lam / (lam + mu) * -math.expm1(-(lam + mu) * 50.0) for lam, mu in zip(lams, mus)]
    exact = math.fsum(math.prod(u[i] if d else 1 - u[i] for i, d in enumerate(state))
                      for state in itertools.product((0, 1), repeat=8) if sum(state) >= 2)
    assert point.lost_bound is not None
    assert point.unavailability <= exact * (1 + 1e-9) and exact <= point.unavailability + point.lost_bound + 1e-15


def test_mission_mttf_of_many_heavy_tailed_instances_finds_their_early_step():
    # 500-of-1000 lognormal lives (sigma 4, mean 1000 h): R(t) = P(Binom(1000, F(t)) <= 500) steps down near the
    # median e^mu = 0.34 h, far below the MTBF; the MTTF is its integral, here by scipy in x = ln t (it was 2.4e-13)
    from scipy import integrate, stats

    system = spec("components: {a: {mtbf: 1000h, mttr: 10h, count: 1000, lognormal_sigma: 4}}\n"
                  "system: {k_of_n: {k: 500, of: [a]}}\n")
    mu = math.log(1000.0) - 8.0
    survive = lambda x: stats.binom.cdf(500, 1000, stats.norm.cdf((x - mu) / 4.0)) * math.exp(x)  # noqa: E731
    exact = integrate.quad(survive, mu - 6, mu + 6, points=[mu], limit=200, epsabs=0, epsrel=1e-12)[0]
    exact += integrate.quad(survive, -80, mu - 6, limit=200)[0]
    assert mission(system, 1.0).mttf_hours == pytest.approx(exact, rel=1e-7)
