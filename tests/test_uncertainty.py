"""relcalc.uncertainty: the vectorised exact evaluator, the intervals and the variance shares.

References: the scalar exact evaluator relcalc.rbd.evaluate (itself checked against brute-force
enumeration in test_rbd.py) draw by draw; gamma quantiles from scipy.stats for a one-component
system, where U is a monotone function of the failure rate; the variance of a gamma variable for
the shares of a series of two rare-failure components (U ~ u1 + u2).
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from relcalc.errors import InputError
from relcalc.rbd.evaluate import evaluate
from relcalc.rbd.model import Component, KofN, Parallel, Series, System, Use
from relcalc.rbd.spec import load_spec_text, system_from_mapping
from relcalc.uncertainty import first_order_share, propagate, system_samples

from conftest import SAMPLES


def spec(text):
    return system_from_mapping(load_spec_text(text))


SPECS = [
    (SAMPLES / "web-service.yaml").read_text(),  # series, parallel of instances, 2-of-3
    (SAMPLES / "bridge.yaml").read_text(),  # shared components: Shannon expansion
    """
components:
  a: {mtbf: 900h, mttr: 9h, count: 4}
  b: {mtbf: 500h, mttr: 20h}
  c: {mtbf: 3000h, mttr: 5h, count: 3}
system:
  parallel:
    - series: [b, {k_of_n: {k: 3, of: [a]}}]
    - series: [b, {standby: {of: c, active: 1, mode: warm, dormant_factor: 0.2}}]
""",
]


@pytest.mark.parametrize("text", SPECS)
def test_vectorised_evaluator_matches_the_scalar_one_draw_by_draw(text):
    system = spec(text)
    rng = np.random.default_rng(7)
    n = 6
    named = [name for name, comp in system.components.items() if comp.failure_rate is not None]
    draws = {name: (rng.uniform(1e-4, 5e-2, n), rng.uniform(0.02, 1.0, n)) for name in named}
    avail, unavail = system_samples(system, draws, n)
    for i in range(n):
        changed = system
        for name, (lam, mu) in draws.items():
            comp = system.components[name]
            changed = changed.with_component(Component.from_times(name, 1 / lam[i], 1 / mu[i], count=comp.count))
        exact = evaluate(changed, importance=False)
        assert unavail[i] == pytest.approx(exact.unavailability, rel=1e-12)
        assert avail[i] == pytest.approx(exact.availability, rel=1e-12)


@dataclass(frozen=True)
class GammaRate:
    """A failure rate Gamma(shape, rate T) and a fixed repair rate: U = lam / (lam + mu) is monotone in lam."""

    shape: float
    up_hours: float
    repair_rate: float
    mtbf_hours: float
    mttr_hours: float
    note: str = ""

    def sample(self, n, rng):
        return rng.gamma(self.shape, 1 / self.up_hours, size=n), np.full(n, self.repair_rate)


def test_one_component_interval_matches_gamma_quantiles():
    shape, T, mu = 3.5, 8760.0, 0.25
    system = spec("components: {db: {mtbf: 2920h, mttr: 4h}}\nsystem: db")
    post = GammaRate(shape, T, mu, 2920.0, 4.0)
    n, conf = 20_000, 0.90
    result = propagate(system, {"db": post}, samples=n, confidence=conf, seed=3)

    def u_at(q):
        lam = stats.gamma.ppf(q, shape, scale=1 / T)
        return lam / (lam + mu)

    # a sample quantile at q lies within a few binomial standard errors of q (order statistics)
    for q, got in ((0.05, result.unavailability_low), (0.95, result.unavailability_high)):
        d = 4 * math.sqrt(q * (1 - q) / n)
        assert u_at(q - d) <= got <= u_at(q + d)
    assert result.unavailability == pytest.approx(4 / 2924)  # the point estimate: the typed figures
    assert result.nines_low == pytest.approx(-math.log10(result.unavailability_high))
    assert result.downtime_per_year_high_hours == pytest.approx(result.unavailability_high * 8760)
    assert result.shares[0].name == "db" and result.shares[0].variance_share > 0.95


def test_variance_shares_of_a_rare_failure_series():
    # U ~ u1 + u2 with u_i ~ lam_i / mu, so the share of component 1 is Var(lam1) / (Var(lam1) + Var(lam2)),
    # with Var(Gamma(k, rate T)) = k / T^2
    system = spec("components: {a: {mtbf: 1000h, mttr: 1h}, b: {mtbf: 1000h, mttr: 1h}}\nsystem: {series: [a, b]}")
    a = GammaRate(2.0, 2000.0, 1.0, 1000.0, 1.0)
    b = GammaRate(8.0, 8000.0, 1.0, 1000.0, 1.0)
    result = propagate(system, {"a": a, "b": b}, samples=40_000, seed=11)
    var_a, var_b = 2.0 / 2000.0**2, 8.0 / 8000.0**2
    shares = {s.name: s.variance_share for s in result.shares}
    assert shares["a"] == pytest.approx(var_a / (var_a + var_b), abs=0.03)
    assert shares["b"] == pytest.approx(var_b / (var_a + var_b), abs=0.03)
    assert result.dominant == "a"


def test_first_order_share_of_a_sum_of_normals():
    # y = x + e with x, e independent N(0, 1): Var(E[y|x]) / Var(y) = 1/2
    rng = np.random.default_rng(2)
    x, e = rng.normal(size=(2, 40_000))
    assert first_order_share(x, x + e) == pytest.approx(0.5, abs=0.02)
    assert first_order_share(x, e) == pytest.approx(0.0, abs=0.01)


def test_same_seed_same_numbers_whatever_the_order_of_components():
    system = spec((SAMPLES / "web-service.yaml").read_text())
    posts = {n: GammaRate(2.5, 9000.0, 0.3, system.components[n].mtbf_hours, system.components[n].mttr_hours)
             for n in ("lb", "app", "db")}
    one = propagate(system, posts, samples=2000, seed=5)
    other = propagate(system, dict(reversed(list(posts.items()))), samples=2000, seed=5)
    assert one == other
    assert propagate(system, posts, samples=2000, seed=6).unavailability_high != one.unavailability_high


def test_refusals_and_what_if_changes():
    system = spec("components: {db: {mtbf: 2920h, mttr: 4h}, web: {mtbf: 100h, mttr: 1h}}\nsystem: {series: [db, web]}")
    post = GammaRate(3.5, 8760.0, 0.25, 2920.0, 4.0)
    with pytest.raises(InputError, match="samples"):
        propagate(system, {"db": post}, samples=0)
    with pytest.raises(InputError, match="not a component"):
        propagate(system, {"nope": post})
    changed = system.with_component(Component.from_times("db", 2920.0, 1.0))  # a --set what-if on db
    with pytest.raises(InputError, match="changed after estimation"):
        propagate(changed, {"db": post})
    with pytest.raises(InputError, match="no component is estimated"):
        propagate(system, {})


def test_rate_posterior_draws_follow_their_laws():
    from relcalc.estimate import RatePosterior

    repairs = (0.5, 1.0, 2.5, 4.0)  # fewer than 10: the exponential form of the mean repair time
    post = RatePosterior("db", 3, 8000.0, "lognormal", repairs, 8000 / 3, 2.0)
    n = 40_000
    lam, mu = post.sample(n, np.random.default_rng(9))
    for q in (0.05, 0.25, 0.75, 0.95):
        d = 4 * math.sqrt(q * (1 - q) / n)
        # the time-truncated chi-square limits of a Poisson rate (MIL-HDBK-781A 5.9): chi2(q; 2r) / 2T below
        # the median, chi2(q; 2r + 2) / 2T above it, recomputed with scipy.stats here
        dof = 6 if q < 0.5 else 8
        got = np.quantile(lam, q)
        assert stats.chi2.ppf(q - d, dof) / 16000 <= got <= stats.chi2.ppf(q + d, dof) / 16000
        # exponential repairs, prior 1/mu: the repair rate is Gamma(k, rate sum), the mean is inverse gamma
        got = np.quantile(1 / mu, q)
        assert stats.invgamma.ppf(q - d, 4, scale=8.0) <= got <= stats.invgamma.ppf(q + d, 4, scale=8.0)


def test_a_component_that_never_failed_keeps_its_chi_square_doubt():
    # r = 0 in T: the one-sided upper limit of the rate at 95% is chi2(0.95; 2) / 2T = ln(20) / T (= 3.00 / T);
    # the draws' 95% quantile must reach it (the Jeffreys posterior stopped at 1.92 / T), and the lower
    # limits are all 0: half the draws are a component that does not fail
    from relcalc.estimate import RatePosterior

    T = 8760.0
    post = RatePosterior("lb", 0, T, "exponential", (1.0, 2.0), T / math.log(2), 1.5)
    n = 40_000
    lam, _ = post.sample(n, np.random.default_rng(3))
    d = 4 * math.sqrt(0.05 * 0.95 / n)
    assert -math.log(0.05 + d) / T <= np.quantile(lam, 0.95) <= -math.log(0.05 - d) / T
    assert abs(np.mean(lam == 0.0) - 0.5) <= 4 * math.sqrt(0.25 / n)
    # carried through a one-component diagram the upper end of U is the chi-square one mapped through
    system = spec(f"components: {{lb: {{mtbf: {T / math.log(2)}h, mttr: 1.5h}}}}\nsystem: lb")
    fixed = RatePosterior("lb", 0, T, "exponential", tuple([1.5] * 100_000), T / math.log(2), 1.5)
    result = propagate(system, {"lb": fixed}, samples=20_000, seed=2)
    lam95 = stats.chi2.ppf(0.95, 2) / (2 * T)
    assert result.unavailability_high == pytest.approx(lam95 * 1.5 / (1 + lam95 * 1.5), rel=0.03)
    assert result.unavailability_low == 0.0 and result.nines_high == math.inf


def test_a_component_without_repairs_borrows_single_repairs_not_their_mean():
    # lb never failed: its mean repair time is unknown, so each draw is one repair of the history at random;
    # the draws' 5% and 95% quantiles are those of the pooled repairs (a bootstrap of size one), far wider
    # than the pooled mean's exponential posterior (Gamma(k) quantiles of 1/mu, which the old draws used)
    from relcalc.estimate import estimate, posterior, read_history
    from relcalc.estimate.timestamps import parse_window

    cols = ["component", "start", "duration"]
    durations = ["10min", "20min", "1h", "2h", "4h", "8h", "12h", "30min", "45min", "3h", "6h", "90min"]
    records = [dict(zip(cols, ("db", f"2025-{m:02d}-03T00:00Z", d))) for m, d in enumerate(durations, start=1)]
    records.append(dict(zip(cols, ("lb", None, None))))
    result = estimate(read_history(records, cols, window=parse_window("2025-01-01..2026-01-01")), rng=1)
    post = posterior(result, "lb")
    assert "each draw one of those repairs" in post.note
    pooled = np.array(result.component("db").repair_hours)
    _, mu = post.sample(40_000, np.random.default_rng(5))
    assert set(np.round(1 / mu, 9)) <= set(np.round(pooled, 9))
    lo, hi = np.quantile(1 / mu, [0.05, 0.95])
    assert lo <= np.quantile(pooled, 0.05) + 1e-9 and hi >= np.quantile(pooled, 0.95) - 1e-9
    k, total = len(pooled), pooled.sum()
    assert hi - lo > 2 * (total / stats.gamma.ppf(0.05, k) - total / stats.gamma.ppf(0.95, k))


def test_lognormal_mean_posterior_never_overflows():
    from relcalc.estimate import RatePosterior

    repairs = tuple(np.random.default_rng(4).lognormal(0.0, 2.5, size=10))
    post = RatePosterior("db", 10, 8000.0, "lognormal", repairs, 800.0, float(np.mean(repairs)))
    lam, mu = post.sample(20_000, np.random.default_rng(1))
    assert np.all(np.isfinite(mu)) and np.all(mu > 0) and np.all(np.isfinite(lam))


@pytest.mark.parametrize("nodes, crews", [(3, 0), (5, 0), (5, 1), (7, 2)])
def test_store_quorum_draws_match_the_exact_chain(nodes, crews):
    from relcalc.raft.exact import steady_state
    from relcalc.uncertainty import quorum_unavailability

    rng = np.random.default_rng(nodes + crews)
    lam, mu = rng.uniform(1e-5, 1e-2, 5), rng.uniform(0.05, 1.0, 5)
    got = quorum_unavailability(nodes, crews, lam, mu)
    lost = nodes - (nodes // 2 + 1) + 1
    for i in range(5):
        pi = steady_state(nodes, lam[i], mu[i], crews)  # relcalc.raft.exact's product form, one draw at a time
        assert got[i] == pytest.approx(pi[lost:].sum(), rel=1e-10)


SERVICE = """
service: checkout
targets: {{availability: 99.95%}}
from_incidents: {{file: {file}, window: 2025-01-01..2026-01-01{store}}}
components:
  power: {{availability: 0.99999}}
  lb:    {{}}
  app:   {{count: 3}}
system:
  series: [power, lb, {{parallel: [app]}}]
{raft}
"""


def test_report_uncertainty_with_a_raft_store(tmp_path):
    from relcalc.rbd.spec import load_spec_text
    from relcalc.uncertainty import interval_text, report_uncertainty

    incidents = SAMPLES / "incidents.csv"
    plain = load_spec_text(SERVICE.format(file=incidents, store="", raft=""))
    without = report_uncertainty(plain, base_dir=str(tmp_path), samples=2000)
    assert without.found.store_component is None and {s.name for s in without.result.shares} == {"lb", "app"}
    with_store = load_spec_text(SERVICE.format(file=incidents, store=", raft: orders-raft",
                                               raft="raft: {nodes: 5, repair_crews: 1}"))
    result = report_uncertainty(with_store, base_dir=str(tmp_path), samples=2000)
    names = {s.name for s in result.result.shares}
    assert "raft store (orders-raft)" in names
    # the store is in series: U = U_d + A_d U_s, with U_s from relcalc.raft.exact's chain for 5 nodes, one crew,
    # each node's MTBF = 5 (T - D) / r and MTTR = D / r from the 8 merged orders-raft incidents (read with csv)
    from relcalc.raft.exact import steady_state

    import csv as _csv
    from datetime import datetime

    spans = [(datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["resolved_at"]))
             for r in _csv.DictReader(incidents.open()) if r["component"] == "orders-raft"]
    down = sum((e - s).total_seconds() for s, e in spans) / 3600
    r = len(spans)
    u_s = steady_state(5, r / (5 * (8760 - down)), r / down, 1)[3:].sum()
    u_d = without.result.unavailability
    assert result.result.unavailability == pytest.approx(u_d + (1 - u_d) * u_s, rel=1e-9)
    assert interval_text(result.result).count("%") == 3
    assert report_uncertainty({"components": {}, "system": "a"}, base_dir=".") is None
    no_raft = load_spec_text(SERVICE.format(file=incidents, store=", raft: orders-raft", raft=""))
    with pytest.raises(InputError, match="no raft section"):
        report_uncertainty(no_raft, base_dir=str(tmp_path))
    wrong = load_spec_text(SERVICE.format(file=incidents, store=", raft: nosuch", raft=""))
    with pytest.raises(InputError, match="nosuch"):
        report_uncertainty(wrong, base_dir=str(tmp_path))


# --- any diagram: the vectorised evaluator against brute-force enumeration --------------------------------

NAMES = ("a", "b", "c", "d", "e")


def trees():
    leaves = st.sampled_from(NAMES).map(Use)

    def grow(children):
        lists = st.lists(children, min_size=1, max_size=3)
        return st.one_of(
            lists.map(lambda xs: Series(tuple(xs))),
            lists.map(lambda xs: Parallel(tuple(xs))),
            st.lists(children, min_size=2, max_size=3).flatmap(
                lambda xs: st.integers(1, len(xs)).map(lambda k: KofN(k, tuple(xs)))),
        )

    return st.recursive(leaves, grow, max_leaves=7)


def up(block, state):
    """Whether ``block`` works with the components up in ``state`` (names used in two places are one component)."""
    if isinstance(block, Use):
        return state[block.name]
    values = [up(child, state) for child in block.children]
    if isinstance(block, Series):
        return all(values)
    if isinstance(block, Parallel):
        return any(values)
    return sum(values) >= block.k


@settings(max_examples=60, deadline=None)
@given(root=trees(), seed=st.integers(0, 2**32 - 1))
def test_vectorised_evaluator_equals_enumeration_on_any_diagram(root, seed):
    parts = {n: Component.from_times(n, 100.0, 1.0) for n in NAMES}
    system = System(parts, root)
    rng = np.random.default_rng(seed)
    n = 3
    draws = {name: (rng.uniform(1e-3, 0.5, n), rng.uniform(0.05, 2.0, n)) for name in NAMES}
    _, unavail = system_samples(system, draws, n)
    for i in range(n):
        u = {name: lam[i] / (lam[i] + mu[i]) for name, (lam, mu) in draws.items()}
        down = 0.0
        for bits in itertools.product((True, False), repeat=len(NAMES)):
            state = dict(zip(NAMES, bits))
            if not up(root, state):
                down += math.prod((1 - u[k]) if state[k] else u[k] for k in NAMES)
        assert unavail[i] == pytest.approx(down, rel=1e-10, abs=1e-300)


def test_system_interval_covers_the_true_unavailability_as_claimed():
    # repeated histories of one component (true MTBF 500 h, exponential repairs of mean 4 h, a window of
    # 5,000 h): the 90% interval on U should hold the true U = 4 / 504 about 90% of the time
    from relcalc.estimate import RatePosterior

    system = spec("components: {db: {mtbf: 500h, mttr: 4h}}\nsystem: db")
    rng = np.random.default_rng(21)
    truth, reps, covered = 4 / 504, 200, 0
    for rep in range(reps):
        failures = int(rng.poisson(5000 / 500))
        repairs = tuple(rng.exponential(4.0, size=max(failures, 1)))
        up = 5000 - sum(repairs[:failures])
        post = RatePosterior("db", failures, up, "exponential", repairs, up / max(failures, 0.5), float(np.mean(repairs)))
        changed = system.with_component(Component.from_times("db", post.mtbf_hours, post.mttr_hours))
        result = propagate(changed, {"db": post}, samples=2000, seed=rep)
        covered += result.unavailability_low <= truth <= result.unavailability_high
    slack = 4 * math.sqrt(0.9 * 0.1 / reps)
    assert 0.9 - slack <= covered / reps <= 0.9 + slack
