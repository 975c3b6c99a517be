"""The exact chain against 60-digit arithmetic, where double-precision solves fail.

Independent references: each generator is written out here from the model's
description (state by state, not by relcalc.raft.ctmc) and solved with
mpmath at 60 digits: mean first passages by ``mpmath.lu_solve`` on the
transient states, steady states by ``lu_solve`` with the normalisation, the
chance of a loss within a year by ``mpmath.expm`` of the chain whose entries
into the lost states are absorbing, and outage percentiles by ``mpmath.expm``
of the phase-type generator and ``mpmath.findroot``. The issue's figure
(issue 12: n = 9, MTBF 100,000 h, MTTR 1 h gives an MTTF of 1.5874642936e22 h,
from the birth-death closed form and an 80-digit solve) is checked as quoted.
Tolerance: 1e-9 relative throughout, the precision the exact method promises.
"""

import itertools
import math

import mpmath as mp
import pytest

from relcalc.raft import Distribution, RaftModel, exact
from relcalc.raft.ctmc import build, solve
from relcalc.raft.exact import mttf_from_all_up
from relcalc.raft.methods import analyze

REL = 1e-9
YEAR = 8760.0


def exp(mean):
    return Distribution("exponential", mean)


@pytest.fixture(autouse=True)
def sixty_digits():
    with mp.workdps(60):
        yield


def solve_chain(states, moves, lost, start):
    """60-digit figures of a chain: states, moves(state) -> [(next, rate)], lost(state) -> bool."""
    index = {s: i for i, s in enumerate(states)}
    n = len(states)
    q = mp.zeros(n, n)
    for s in states:
        for t, rate in moves(s):
            if rate:
                q[index[s], index[t]] += mp.mpf(rate)
    for i in range(n):
        q[i, i] = -mp.fsum(q[i, j] for j in range(n) if j != i)
    # steady state: pi Q = 0 with one equation replaced by sum(pi) = 1
    a = q.T.copy()
    for j in range(n):
        a[n - 1, j] = 1
    pi = mp.lu_solve(a, mp.matrix([0] * (n - 1) + [1]))
    bad = [i for i, s in enumerate(states) if lost(s)]
    good = [i for i in range(n) if i not in bad]
    unavailable = mp.fsum(pi[i] for i in bad)
    losses = mp.fsum(pi[i] * q[i, j] for i in good for j in bad)
    # first passage from all up: -Q_GG m = 1 on the states with a quorum
    m = mp.lu_solve(-_sub(q, good, good), mp.matrix([1] * len(good)))
    mttf = m[good.index(index[start])]
    return dict(q=q, pi=pi, good=good, bad=bad, index=index, unavailable=unavailable, losses=losses, mttf=mttf)


def _sub(q, rows, cols):
    out = mp.zeros(len(rows), len(cols))
    for a, i in enumerate(rows):
        for b, j in enumerate(cols):
            out[a, b] = q[i, j]
    return out


def loss_within(ref, hours, start=None):
    """P(a loss begins within ``hours``): the entries into the lost states absorbed, by expm."""
    q, good, bad = ref["q"], ref["good"], ref["bad"]
    n = q.rows
    a = mp.zeros(n + 1, n + 1)
    for i in range(n):
        for j in range(n):
            if i != j:
                if i in good and j in bad:
                    a[i, n] += q[i, j]
                else:
                    a[i, j] = q[i, j]
        a[i, i] = -mp.fsum(a[i, j] for j in range(n + 1) if j != i)
    e = mp.expm(a * hours)
    if start is None:
        return mp.fsum(ref["pi"][i] * e[i, n] for i in range(n))
    return e[start, n]


def outage_quantile(ref, level):
    """Time by which a share ``level`` of outages has ended: alpha exp(Q_FF t) 1 = 1 - level."""
    q, good, bad, pi = ref["q"], ref["good"], ref["bad"], ref["pi"]
    entry = [mp.fsum(pi[i] * q[i, j] for i in good) for j in bad]
    alpha = mp.matrix([[e / mp.fsum(entry) for e in entry]])
    s = _sub(q, bad, bad)
    ones = mp.matrix([1] * len(bad))

    def tail(t):
        return (alpha * mp.expm(s * t) * ones)[0] - (1 - level)

    mean = ref["unavailable"] / ref["losses"]
    low, high = mp.mpf(0), mean
    while tail(high) > 0:
        low, high = high, 2 * high
    return mp.findroot(tail, (low, high), solver="anderson")


def birth_death(n, mtbf, mttr, crews=0):
    lam, mu = 1 / mp.mpf(mtbf), 1 / mp.mpf(mttr)
    lost_at = n - (n // 2 + 1) + 1

    def moves(k):
        return [(k + 1, (n - k) * lam if k < n else 0), (k - 1, min(k, crews or n) * mu if k > 0 else 0)]

    return solve_chain(list(range(n + 1)), moves, lambda k: k >= lost_at, 0)


def close(value, reference, rel=REL):
    return value == pytest.approx(float(reference), rel=rel)


def test_the_issue_figure_n9_mtbf_100000h_mttr_1h():
    model = RaftModel(nodes=9, ttf=exp(100_000.0), ttr=exp(1.0))
    truth = exact(model)
    ref = birth_death(9, 100_000.0, 1.0)
    assert close(ref["mttf"], 1.5874642936e22, rel=1e-10)  # issue 12, quoted to 11 digits
    assert close(truth.mttf_hours, ref["mttf"])
    assert close(mttf_from_all_up(9, 1e-5, 1.0, 0, 5), ref["mttf"])  # the closed form agrees too
    assert close(truth.quorum_unavailability, ref["unavailable"])
    assert close(truth.losses_per_hour, ref["losses"])
    # the chance of a loss within a year, about 5.5e-19, from the steady state and from all up
    assert close(truth.loss_within_year, loss_within(ref, YEAR))
    assert close(truth.loss_within_year_from_all_up, loss_within(ref, YEAR, start=0))


def test_the_issue_figure_as_data_loss():
    # --permanent 100% --replace-time 1h: every failure destroys data, a replacement
    # takes 1 h, and a quorum of 5 destroyed nodes is data loss: the same birth-death chain
    model = RaftModel(nodes=9, ttf=exp(100_000.0), ttr=exp(1.0), permanent=1.0, replace_time=1.0)
    truth = exact(model)
    ref = birth_death(9, 100_000.0, 1.0)
    assert close(truth.mttdl_hours, ref["mttf"])
    assert close(truth.data_loss_per_hour, ref["losses"])


@pytest.mark.parametrize("crews", [1, 2])
def test_crews_at_many_nines(crews):
    model = RaftModel(nodes=7, ttf=exp(1e6), ttr=exp(2.0), crews=crews)
    truth = exact(model)
    ref = birth_death(7, 1e6, 2.0, crews)
    assert close(truth.mttf_hours, ref["mttf"])
    assert close(truth.quorum_unavailability, ref["unavailable"])
    assert close(truth.losses_per_hour, ref["losses"])
    assert close(truth.loss_within_year_from_all_up, loss_within(ref, YEAR, start=0))


def test_zones_enumerated_node_by_node():
    # three zones of one node; a state is (node failed?, zone down?) for each;
    # unlimited repair, nodes fail whether or not their zone is up
    mtbf, mttr, zone_mtbf, zone_mttr = 1e5, 1.0, 2e5, 3.0
    states = list(itertools.product((0, 1), repeat=6))

    def moves(s):
        out = []
        for i in range(6):
            t = s[:i] + (1 - s[i],) + s[i + 1:]
            node = i < 3
            rate = (1 / mp.mpf(mtbf) if node else 1 / mp.mpf(zone_mtbf)) if s[i] == 0 else \
                (1 / mp.mpf(mttr) if node else 1 / mp.mpf(zone_mttr))
            out.append((t, rate))
        return out

    def lost(s):
        return sum(1 for z in range(3) if not s[z] and not s[3 + z]) < 2

    ref = solve_chain(states, moves, lost, (0,) * 6)
    model = RaftModel(nodes=3, ttf=exp(mtbf), ttr=exp(mttr), layout=(1, 1, 1), zone_ttf=exp(zone_mtbf),
                      zone_ttr=exp(zone_mttr))
    truth = exact(model)
    assert close(truth.quorum_unavailability, ref["unavailable"])
    assert close(truth.losses_per_hour, ref["losses"])
    assert close(truth.mttf_hours, ref["mttf"])
    # the steady state itself, state by state: (zones up, failed labels) against the node-by-node chain
    chain = build(model)
    pi = solve(chain).steady_state
    assert pi.sum() == pytest.approx(1.0, rel=1e-14)
    assert close(float(pi.max()), max(ref["pi"]))
    assert close(float(pi.min()), min(ref["pi"]))


def test_common_cause_shocks():
    # n = 3, beta-factor: own failures (1 - beta)/MTBF per up node, a shock at
    # beta/MTBF fails every up node; unlimited repair; states = number failed
    mtbf, mttr, beta = 1e6, 1.0, 1e-3
    own, shock, mu = (1 - mp.mpf(beta)) / mtbf, mp.mpf(beta) / mtbf, 1 / mp.mpf(mttr)

    def moves(k):
        out = [(k - 1, k * mu if k else 0), (k + 1, (3 - k) * own if k < 3 else 0)]
        if k < 3:
            out.append((3, shock))
        return out

    ref = solve_chain([0, 1, 2, 3], moves, lambda k: k >= 2, 0)
    truth = exact(RaftModel(nodes=3, ttf=exp(mtbf), ttr=exp(mttr), common_cause=beta))
    assert close(truth.mttf_hours, ref["mttf"])
    assert close(truth.quorum_unavailability, ref["unavailable"])
    assert close(truth.loss_within_year, loss_within(ref, YEAR))
    assert close(truth.loss_within_year_from_all_up, loss_within(ref, YEAR, start=0))


def test_outage_percentiles_of_a_birth_death_chain():
    truth = exact(RaftModel(nodes=5, ttf=exp(50.0), ttr=exp(5.0)))
    ref = birth_death(5, 50.0, 5.0)
    for name, level in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        assert close(truth.outage_percentiles_hours[name], outage_quantile(ref, level))


def test_a_stiff_chain_is_exact_and_quick():
    # issue 13's stiff case: node repairs in 3.6 ms, one zone failing yearly for an hour;
    # states (zone down?, nodes failed)
    mtbf, mttr, zone_mtbf, zone_mttr = 2000.0, 1e-6, YEAR, 1.0

    def moves(s):
        down, k = s
        return [((down, k + 1), (5 - k) / mp.mpf(mtbf) if k < 5 else 0),
                ((down, k - 1), k / mp.mpf(mttr) if k else 0),
                ((1 - down, k), 1 / mp.mpf(zone_mttr) if down else 1 / mp.mpf(zone_mtbf))]

    states = [(d, k) for d in (0, 1) for k in range(6)]
    ref = solve_chain(states, moves, lambda s: s[0] == 1 or s[1] >= 3, (0, 0))
    model = RaftModel(nodes=5, ttf=exp(mtbf), ttr=exp(mttr), zone_ttf=exp(zone_mtbf), zone_ttr=exp(zone_mttr))
    truth = exact(model)
    assert close(truth.mttf_hours, ref["mttf"])
    assert close(truth.quorum_unavailability, ref["unavailable"])
    assert close(truth.loss_within_year, loss_within(ref, YEAR))
    for name, level in (("p50", 0.5), ("p99", 0.99)):
        assert close(truth.outage_percentiles_hours[name], outage_quantile(ref, level))


def test_importance_sampling_covers_the_corrected_exact_mttf():
    # the interval was right all along; the exact value it was said to miss was not
    model = RaftModel(nodes=9, ttf=exp(100_000.0), ttr=exp(1.0))
    result = analyze(model, method="importance", seed=1, target_rel_error=0.05)
    assert result.exact.mttf_hours == pytest.approx(1.5874642936e22, rel=1e-10)
    assert result.mttf_hours.covers(result.exact.mttf_hours)
    assert math.isfinite(result.mttf_hours.value)
