"""Many nines and correlated failures: importance sampling, the exact chain, shocks, data loss, restarts.

Independent references, built by hand here rather than by relcalc.raft.ctmc:
small generators written out state by state (numpy), the birth-death product
form, and first-passage equations solved with numpy.linalg.
"""

import math

import numpy as np
import pytest

from relcalc.errors import InputError
from relcalc.raft import Distribution, RaftModel, exact
from relcalc.raft.ctmc import build, solve
from relcalc.raft.engine import simulate
from relcalc.raft.methods import analyze, choose, mean_election_hours


def exp(mean):
    return Distribution("exponential", mean)


def birth_death_u(n, lam, mu, crews=0):
    w = [1.0]
    for k in range(1, n + 1):
        w.append(w[-1] * (n - k + 1) * lam / (min(k, crews or n) * mu))
    pi = np.array(w) / sum(w)
    return float(pi[n - (n // 2 + 1) + 1 :].sum())


@pytest.mark.parametrize(
    "mtbf,mttr,crews,level",
    [(10_000.0, 1.0, 0, 1e-11), (10_000.0, 1.0, 1, 6e-11), (2_000.0, 1.0, 0, 1.3e-9)],
)
def test_importance_sampling_matches_the_exact_chain(mtbf, mttr, crews, level):
    model = RaftModel(nodes=5, ttf=exp(mtbf), ttr=exp(mttr), crews=crews)
    truth = birth_death_u(5, 1 / mtbf, 1 / mttr, crews)
    assert truth == pytest.approx(level, rel=0.1)
    assert exact(model).quorum_unavailability == pytest.approx(truth, rel=1e-12)
    result = analyze(model, method="importance", seed=2, target_rel_error=0.05)
    est = result.quorum_unavailability
    assert est.low <= truth <= est.high
    assert (est.high - est.low) / 2 <= 0.05 * est.value
    assert result.variance_reduction > 1e3
    assert result.mttf_hours.covers(exact(model).mttf_hours)
    assert result.quorum_losses_per_year.covers(exact(model).losses_per_hour * 8760)


def test_importance_sampling_with_zones_matches_the_chain():
    model = RaftModel(nodes=5, ttf=exp(10_000.0), ttr=exp(1.0), crews=1, layout=(2, 2, 1),
                      zone_ttf=exp(100_000.0), zone_ttr=exp(1.0))
    result = analyze(model, method="importance", seed=3, target_rel_error=0.05)
    assert result.quorum_unavailability.covers(result.exact.quorum_unavailability)
    assert result.method == "importance"


def shock_chain_n3(lam_own, shock, mu):
    """n = 3, unlimited repair, beta-factor shocks: states = number failed (0..3)."""
    q = np.zeros((4, 4))
    for k in range(4):
        if k < 3:
            q[k, k + 1] += (3 - k) * lam_own
            if k < 3:
                q[k, 3] += shock if k < 2 else 0.0  # a shock fails every up node
        if k == 2:
            q[k, 3] += shock
        if k > 0:
            q[k, k - 1] += k * mu
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(q, -q.sum(axis=1))
    a = np.vstack([q.T, np.ones(4)])
    pi = np.linalg.lstsq(a, np.r_[np.zeros(4), 1.0], rcond=None)[0]
    return pi


def test_common_cause_against_a_hand_built_chain_and_the_simulation():
    mtbf, mttr, beta = 100.0, 10.0, 0.05
    model = RaftModel(nodes=3, ttf=exp(mtbf), ttr=exp(mttr), common_cause=beta)
    pi = shock_chain_n3((1 - beta) / mtbf, beta / mtbf, 1 / mttr)
    truth = pi[2] + pi[3]
    assert exact(model).quorum_unavailability == pytest.approx(truth, rel=1e-10)
    assert simulate(model, years=3000, seed=5).quorum_unavailability.covers(truth)
    # correlated failures dominate a large, reliable cluster: 5 nodes at 1% are
    # hundreds of times worse than without, and 7 nodes barely help
    base = dict(ttf=exp(2000.0), ttr=exp(4.0))
    free = exact(RaftModel(nodes=5, **base)).quorum_unavailability
    shocked = exact(RaftModel(nodes=5, common_cause=0.01, **base)).quorum_unavailability
    seven = exact(RaftModel(nodes=7, common_cause=0.01, **base)).quorum_unavailability
    assert shocked > 100 * free
    assert 0.8 < shocked / seven < 1.5


def test_shock_per_zone_only_takes_its_zone():
    # nodes that never fail on their own: zone shocks alone, 3 zones of one node
    # each: exactly three independent two-state units with rate beta/MTBF
    mtbf, beta, mttr = 1e3, 0.5, 10.0
    model = RaftModel(nodes=3, ttf=exp(mtbf), ttr=exp(mttr), layout=(1, 1, 1), common_cause=beta, shock_per_zone=True)
    # each node: own rate (1-beta)/MTBF plus its zone's shock beta/MTBF = 1/MTBF in all
    u = mttr / (mtbf + mttr)
    assert exact(model).quorum_unavailability == pytest.approx(3 * u**2 * (1 - u) + u**3, rel=1e-9)


def mttdl_by_hand(own, p, mu, nu):
    """n = 3, unlimited crews: states (R, P) failed counts; data loss at P >= 2."""
    states = [(r, d) for r in range(4) for d in range(2) if r + d <= 3]
    index = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    absorb = np.zeros(len(states))
    for (r, d), i in index.items():
        up = 3 - r - d
        moves = [((r + 1, d), up * own * (1 - p)), ((r, d + 1), up * own * p), ((r - 1, d), r * mu), ((r, d - 1), d * nu)]
        for (r2, d2), rate in moves:
            if rate <= 0:
                continue
            if d2 >= 2:
                absorb[i] += rate
            else:
                q[i, index[(r2, d2)]] += rate
        q[i, i] = -(q[i].sum() + absorb[i])
    m = np.linalg.solve(-q, np.ones(len(states)))
    return m[index[(0, 0)]]


def test_mttdl_against_a_hand_built_absorbing_chain_and_the_simulation():
    mtbf, mttr, p, replace = 50.0, 5.0, 0.3, 20.0
    model = RaftModel(nodes=3, ttf=exp(mtbf), ttr=exp(mttr), permanent=p, replace_time=replace)
    truth = mttdl_by_hand(1 / mtbf, p, 1 / mttr, 1 / replace)
    assert exact(model).mttdl_hours == pytest.approx(truth, rel=1e-9)
    result = simulate(model, years=3000, seed=7)
    assert result.mttdl_hours.covers(truth)
    assert result.data_loss_per_year.covers(exact(model).data_loss_per_hour * 8760)
    rare = analyze(model.with_(ttf=exp(5000.0)), method="importance", seed=1, target_rel_error=0.05)
    slow = mttdl_by_hand(1 / 5000.0, p, 1 / mttr, 1 / replace)
    assert rare.mttdl_hours.covers(slow)


def test_rolling_restarts():
    # one node that never fails: the restart is its only outage, d out of every period
    one = RaftModel(nodes=1, ttf=exp(1e12), ttr=exp(1.0), restart_every=24.0, restart_duration=0.05)
    result = simulate(one, years=100, seed=1)
    assert result.quorum_unavailability.value == pytest.approx(0.05 / 24.0, rel=1e-3)  # schedule, not chance
    # three nodes: one down at a time never costs the quorum, but every restart of
    # the leader costs an election. Elections per round, exactly: the leader is
    # restarted once, and if the new leader (uniform over the two others) comes
    # later in the round, once more.
    three = RaftModel(nodes=3, ttf=exp(1e12), ttr=exp(1.0), restart_every=24.0, restart_duration=0.05)
    run = simulate(three, years=200, seed=2)
    assert run.quorum_unavailability.value == 0.0
    per_round = _elections_per_round(3)
    assert run.elections_per_year.covers(per_round * 365)


def _elections_per_round(n):
    # leader position distribution at the start of a round, iterated to its steady state
    start = np.full(n, 1.0 / n)
    for _ in range(200):
        end = np.zeros(n)
        count = 0.0
        for leader, p_leader in enumerate(start):
            # walk the round: nodes 0..n-1 restart in turn
            dist = {leader: 1.0}
            for i in range(n):
                nxt = {}
                for cur, p in dist.items():
                    if cur == i:
                        count += p_leader * p
                        for j in range(n):
                            if j != i:
                                nxt[j] = nxt.get(j, 0.0) + p / (n - 1)
                    else:
                        nxt[cur] = nxt.get(cur, 0.0) + p
                dist = nxt
            for cur, p in dist.items():
                end[cur] += p_leader * p
        start = end
    return count


def test_auto_picks_importance_for_many_nines_and_crude_otherwise():
    reliable = RaftModel(nodes=5, ttf=exp(10_000.0), ttr=exp(1.0))
    assert choose(reliable, "auto", 0.05, 30.0, exact(reliable)) == "importance"
    loose = RaftModel(nodes=3, ttf=exp(100.0), ttr=exp(10.0))
    assert choose(loose, "auto", 0.05, 30.0, exact(loose)) == "crude"
    lognormal = RaftModel(nodes=5, ttr=Distribution("lognormal", 4.0, 1.0))
    assert choose(lognormal, "auto", 0.05, 30.0, exact(lognormal)) == "crude"
    with pytest.raises(InputError, match="lognormal"):
        choose(lognormal, "importance", None, None, None)


def test_exact_method_outage_percentiles_for_one_node():
    # one node: an outage is its repair, exponential: p-quantile = -ln(1-p) MTTR
    result = analyze(RaftModel(nodes=1, ttr=exp(4.0)), method="exact")
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        assert getattr(result, f"{name}_outage_hours") == pytest.approx(-math.log(1 - q) * 4.0, rel=1e-7)


def test_mean_election_time_formula():
    model = RaftModel(nodes=5)
    low, high, rtt = 0.150, 0.300, 0.001
    expected = (low + (high - low) / 5 + rtt) / (1 - rtt / (high - low)) ** 4
    assert mean_election_hours(model, 4) * 3600 == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "build_model",
    [
        lambda: RaftModel(common_cause=1.5),
        lambda: RaftModel(common_cause=-0.1),
        lambda: RaftModel(permanent=0.05),
        lambda: RaftModel(permanent=0.05, replace_time=0.0),
        lambda: RaftModel(nodes=5, restart_every=1.0, restart_duration=0.5),
        lambda: RaftModel(restart_every=24.0),
    ],
)
def test_bad_failure_modes(build_model):
    with pytest.raises(InputError):
        build_model()


def test_chain_size_and_solution_shapes():
    chain = build(RaftModel(nodes=5, crews=1, layout=(2, 2, 1), zone_ttf=exp(1e5), zone_ttr=exp(1.0)))
    assert chain.size > 100 and chain.lost.any() and not chain.lost[chain.start]
    sol = solve(chain)
    assert sol.steady_state.sum() == pytest.approx(1.0)
    assert sol.mttdl_hours is None and sol.data_loss_per_hour == 0.0
