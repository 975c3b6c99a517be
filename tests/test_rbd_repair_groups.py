"""Repair groups beyond the 2^n sets: graded evaluation by members down, against brute force and closed forms."""

import functools
import itertools
import math

import numpy as np
import pytest

from relcalc.errors import InputError
from relcalc.rbd import evaluate, load_spec_text, system_from_mapping


def system(text):
    return system_from_mapping(load_spec_text(text))


def product_form(lam, mu, crews):
    """P(failed set) of a FIFO group with one repair rate, written out over every set (vectorised over 2^n).

    pi(S) proportional to |S|! prod_(i in S) lambda_i / prod_(j <= |S|) (mu min(j, c)): the machine-repair
    model with distinct machines (Trivedi & Bobbio, Reliability and Availability Engineering, 2017, ch. 9).
    Returns the probabilities indexed by the set's bit code (bit i: member i down).
    """
    n = len(lam)
    codes = np.arange(1 << n, dtype=np.int64)
    h = np.ones(n + 1)
    for k in range(1, n + 1):
        h[k] = h[k - 1] * k / (mu * min(k, crews))
    weight = h[np.bitwise_count(codes)]
    for i in range(n):
        weight = weight * np.where((codes >> i) & 1, lam[i], 1.0)
    return weight / weight.sum()


def fifo_chain(lam, mu, crews):
    """A separately written FIFO chain with c crews (states: orderings of the failed), solved directly."""
    return _fifo_chain(tuple(lam), tuple(mu), crews)


@functools.lru_cache(maxsize=8)  # the six-member chain (1,957 states) serves several tests
def _fifo_chain(lam, mu, crews):
    n = len(lam)
    states = [()]
    for k in range(1, n + 1):
        states += list(itertools.permutations(range(n), k))
    where = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for s in states:
        for i in set(range(n)) - set(s):
            q[where[s], where[s + (i,)]] += lam[i]
        for position in range(min(crews, len(s))):
            q[where[s], where[s[:position] + s[position + 1:]]] += mu[s[position]]
    np.fill_diagonal(q, -q.sum(axis=1))
    a = q.T.copy()
    a[-1] = 1.0  # one balance equation replaced by the normalisation
    b = np.zeros(len(states))
    b[-1] = 1.0
    return states, np.linalg.solve(a, b)


def brute_force(prob, lam, up):
    """U, failure frequency and each member's (P(down), U | down, U | up) from the sets' probabilities."""
    codes = np.arange(prob.size, dtype=np.int64)
    down = ~up(codes)
    u = float(prob[down].sum())
    f = 0.0
    members = []
    for i in range(len(lam)):
        has = ((codes >> i) & 1).astype(bool)
        f += lam[i] * float(prob[~has & ~down & ~up(codes | (1 << i))].sum())
        p_down = float(prob[has].sum())
        members.append((p_down, float(prob[has & down].sum()) / p_down, float(prob[~has & down].sum()) / (1 - p_down)))
    return u, f, members


def check(result, names, reference, rel=1e-9):
    u, f, members = reference
    assert result.unavailability == pytest.approx(u, rel=rel)
    assert result.failure_frequency_per_hour == pytest.approx(f, rel=rel)
    rows = {m.name: m for m in result.importance}
    for name, (p_down, u_down, u_up) in zip(names, members):
        assert rows[name].unavailability == pytest.approx(p_down, rel=rel)
        assert rows[name].birnbaum == pytest.approx(u_down - u_up, rel=1e-7, abs=1e-15)
        assert rows[name].risk_achievement_worth == pytest.approx(u_down / u, rel=rel)


def pairs_in_series(n):
    """n members with their own failure rates and one repair rate: n / 2 parallel pairs in series."""
    mtbfs = [1000 + 37 * i for i in range(n)]
    text = ("components:\n" + "".join(f"  c{i}: {{mtbf: {m}h, mttr: 30h}}\n" for i, m in enumerate(mtbfs))
            + "system: {series: [" + ", ".join(f"{{parallel: [c{2 * i}, c{2 * i + 1}]}}" for i in range(n // 2)) + "]}\n")
    return [1 / m for m in mtbfs], text


@pytest.mark.parametrize("n, crews", [(20, 3), (16, 1)])
def test_members_with_one_repair_rate_match_every_one_of_the_two_to_the_n_sets(n, crews):
    # beyond the former limit of 14: the graded evaluation against brute force over all 2^n failed sets
    lam, text = pairs_in_series(n)
    prob = product_form(lam, 1 / 30, crews)
    pairs = sum(1 << (2 * i) for i in range(n // 2))  # a pair is down when both its bits are
    reference = brute_force(prob, lam, lambda codes: (codes & (codes >> 1) & pairs) == 0)
    result = evaluate(system(text + f"repair: {{crews: {crews}}}\n"))
    check(result, [f"c{i}" for i in range(n)], reference)


@pytest.mark.parametrize("crews", [1, 2])
def test_the_product_form_is_the_fifo_chain(crews):
    # five members, one repair rate: the graded product form against a separately built FIFO queue chain
    # (326 ordered states), a 3-of-5 block
    lam, mu = [1 / 300, 1 / 500, 1 / 700, 1 / 900, 1 / 1100], 1 / 20
    states, pi = fifo_chain(lam, [mu] * 5, crews)
    prob = np.zeros(32)
    for s, p in zip(states, pi):
        prob[sum(1 << i for i in s)] += p
    text = ("components:\n" + "".join(f"  m{i}: {{mtbf: {int(round(1 / x))}h, mttr: 20h}}\n" for i, x in enumerate(lam))
            + "system: {k_of_n: {k: 3, of: [m0, m1, m2, m3, m4]}}\n" + f"repair: {{crews: {crews}}}\n")
    check(evaluate(system(text)), [f"m{i}" for i in range(5)],
          brute_force(prob, lam, lambda codes: np.bitwise_count(codes) <= 2), rel=1e-8)


def test_twenty_identical_units_match_the_machine_repair_birth_death_chain():
    # 20 identical units, 3 crews, the system needs 16: pi_(k+1) = pi_k (20 - k) lambda / (min(k + 1, 3) mu)
    # (Trivedi & Bobbio 2017, ch. 9, the machine-repair model); beyond the former limit of 14
    lam, mu = 1 / 1000, 1 / 24
    pi = [1.0]
    for k in range(20):
        pi.append(pi[-1] * (20 - k) * lam / (min(k + 1, 3) * mu))
    u = math.fsum(pi[5:]) / math.fsum(pi)
    f = pi[4] * 16 * lam / math.fsum(pi)  # the fifth failure takes it down
    text = "components: {n: {mtbf: 1000h, mttr: 24h, count: 20}}\nsystem: {k_of_n: {k: 16, of: [n]}}\nrepair: {crews: 3}\n"
    result = evaluate(system(text))
    assert result.unavailability == pytest.approx(u, rel=1e-11)
    assert result.failure_frequency_per_hour == pytest.approx(f, rel=1e-11)


def test_two_groups_and_independent_components_match_enumeration_of_every_state():
    # group A (a0..a3, one crew), group B (b0..b4, two crews), z and w with their own crews; the diagram
    # is 2-of-4 A in series with (3-of-5 B in parallel with z) and w. Reference: every joint state.
    text = """
components:
  a: {mtbf: 600h, mttr: 10h, count: 4}
  b: {mtbf: 900h, mttr: 5h, count: 5}
  z: {mtbf: 400h, mttr: 2h}
  w: {mtbf: 5000h, mttr: 3h}
system: {series: [w, {k_of_n: {k: 2, of: [a]}}, {parallel: [z, {k_of_n: {k: 3, of: [b]}}]}]}
repair: [{of: [a], crews: 1}, {of: [b], crews: 2}]
"""
    p_a = product_form([1 / 600] * 4, 1 / 10, 1)
    p_b = product_form([1 / 900] * 5, 1 / 5, 2)
    bits_a = ((np.arange(16)[:, None] >> np.arange(4)) & 1).astype(bool)
    bits_b = ((np.arange(32)[:, None] >> np.arange(5)) & 1).astype(bool)
    indep = {"z": (1 / 400, 1 / 2), "w": (1 / 5000, 1 / 3)}
    u = f = 0.0
    for (ia, sa), (ib, sb), z_up, w_up in itertools.product(enumerate(bits_a), enumerate(bits_b), (1, 0), (1, 0)):
        pz = (indep["z"][1] if z_up else indep["z"][0]) / sum(indep["z"])
        pw = (indep["w"][1] if w_up else indep["w"][0]) / sum(indep["w"])
        p = p_a[ia] * p_b[ib] * pz * pw

        def up(sa, sb, z_up, w_up):
            return w_up and sa.sum() <= 2 and (z_up or sb.sum() <= 2)

        if not up(sa, sb, z_up, w_up):
            u += p
            continue
        for i in range(4):  # each way down from this up state, at its rate
            if not sa[i]:
                after = sa.copy()
                after[i] = True
                f += p * (1 / 600) * (not up(after, sb, z_up, w_up))
        for i in range(5):
            if not sb[i]:
                after = sb.copy()
                after[i] = True
                f += p * (1 / 900) * (not up(sa, after, z_up, w_up))
        f += p * indep["z"][0] * (z_up and not up(sa, sb, 0, w_up))
        f += p * indep["w"][0] * (w_up and not up(sa, sb, z_up, 0))
    result = evaluate(system(text))
    assert result.unavailability == pytest.approx(u, rel=1e-10)
    assert result.failure_frequency_per_hour == pytest.approx(f, rel=1e-10)


def test_a_network_and_a_shared_block_with_group_members_match_enumeration():
    # the bridge network on five edges of one group (one crew), and an edge f with its own crew
    text = """
components:
  e: {mtbf: 900h, mttr: 8h, count: 5}
  f: {mtbf: 700h, mttr: 3h}
system: {network: {edges: [[e#1, s, a], [e#2, s, b], [e#3, a, b], [e#4, a, t], [e#5, b, t], [f, s, t]], source: s, target: t}}
repair: [{of: [e], crews: 1}]
"""
    p = product_form([1 / 900] * 5, 1 / 8, 1)
    bits = ((np.arange(32)[:, None] >> np.arange(5)) & 1).astype(bool)

    def bridge_up(b, f_up):  # minimal paths 14, 25, 135, 234 (edges e1..e5 as columns 0..4), or f
        e = ~b
        return f_up | (e[:, 0] & e[:, 3]) | (e[:, 1] & e[:, 4]) | (e[:, 0] & e[:, 2] & e[:, 4]) | (e[:, 1] & e[:, 2] & e[:, 3])

    a_f = 700 / 703
    u = float(p[~bridge_up(bits, False)].sum()) * (1 - a_f)
    result = evaluate(system(text))
    assert result.unavailability == pytest.approx(u, rel=1e-12)


def test_groups_above_the_limits_are_refused_in_one_line():
    big = "components: {n: {mtbf: 1000h, mttr: 5h, count: 65}}\nsystem: {k_of_n: {k: 60, of: [n]}}\nrepair: {crews: 1}\n"
    with pytest.raises(InputError, match="at most 64 components"):
        evaluate(system(big))
    edges = ", ".join(f"[e#{i + 1}, n{i}, n{i + 1}]" for i in range(15)) + ", [e#16, n0, n15]"
    net = ("components: {e: {mtbf: 900h, mttr: 8h, count: 16}}\n"
           f"system: {{network: {{edges: [{edges}], source: n0, target: n15}}}}\nrepair: {{crews: 1}}\n")
    with pytest.raises(InputError, match="2\\^16 cases"):
        evaluate(system(net))


# --- several repair rates: the chain truncated at a depth, with bounds ---------------------------------

SIX_MIXED = """
components:
  a: {mtbf: 900h, mttr: 7h, count: 2}
  b: {mtbf: 1500h, mttr: 10h, count: 2}
  c: {mtbf: 600h, mttr: 3h, count: 2}
  x: {mtbf: 3000h, mttr: 2h}
system: {series: [x, {k_of_n: {k: 4, of: [a, b, c]}}]}
"""
SIX_RATES = ([1 / 900] * 2 + [1 / 1500] * 2 + [1 / 600] * 2, [1 / 7] * 2 + [1 / 10] * 2 + [1 / 3] * 2)


@pytest.mark.parametrize("crews, epsilon", [(1, 1e-6), (2, 1e-7)])  # both truncated at 4 down
def test_the_truncated_chain_brackets_the_whole_chain(monkeypatch, crews, epsilon):
    # six members with three repair rates, truncated short of six down (forced: the whole chain has 1,957
    # states); the whole FIFO chain, built separately, must lie in the bounds, and the estimate near it
    from relcalc.rbd import repair, truncated

    lam, mu = SIX_RATES
    states, pi = fifo_chain(lam, mu, crews)
    group_down = sum(p for s, p in zip(states, pi) if len(s) >= 3)  # 4-of-6 down with 3 members down
    x_u = 2 / 3002
    exact = x_u + (1 - x_u) * group_down
    monkeypatch.setattr(repair, "MAX_GROUP_STATES", 10)
    monkeypatch.setattr(truncated, "EPSILON", epsilon)
    result = evaluate(system(SIX_MIXED + f"repair: [{{of: [a, b, c], crews: {crews}}}]\n"))
    assert "truncated at 4" in result.repair_chain and result.unavailability_low < result.unavailability_high
    assert result.unavailability_low <= exact <= result.unavailability_high
    assert result.unavailability == pytest.approx(exact, rel=1e-2)


def test_the_tail_bound_holds_and_is_the_machine_repair_tail_for_identical_members():
    from relcalc.rbd.truncated import tail_bound

    lam, mu = SIX_RATES[0][:5], SIX_RATES[1][:5]
    for crews in (1, 2, 3):
        states, pi = fifo_chain(lam, mu, crews)
        for depth in range(5):
            assert sum(p for s, p in zip(states, pi) if len(s) > depth) <= tail_bound(lam, mu, crews, depth)[0] * (1 + 1e-9)
    # identical members: the dominating chain is the machine-repair chain itself (Trivedi & Bobbio 2017, ch. 9)
    n, lam1, mu1, crews = 8, 1 / 100, 1 / 5, 2
    weights = [1.0]
    for k in range(n):
        weights.append(weights[-1] * (n - k) * lam1 / (min(k + 1, crews) * mu1))
    for depth in range(n):
        assert tail_bound([lam1] * n, [mu1] * n, crews, depth)[0] == pytest.approx(
            math.fsum(weights[depth + 1:]) / math.fsum(weights), rel=1e-12)


def test_the_truncated_chain_of_identical_members_is_the_truncated_machine_repair_chain():
    # with one failure and one repair rate the number down in the blocked chain is the birth-death chain
    # cut at the depth: pi_k ~ prod (n - j) lambda / (min(j + 1, c) mu), k <= depth
    from relcalc.rbd.truncated import Solved, build

    n, lam, mu, crews, depth = 9, 1 / 100, 1 / 5, 2, 4
    solved = Solved(build([lam] * n, [mu] * n, crews, depth))
    weights = [1.0]
    for k in range(depth):
        weights.append(weights[-1] * (n - k) * lam / (min(k + 1, crews) * mu))
    by_depth = np.bincount(solved.chain.depths, weights=solved.pi)
    assert by_depth == pytest.approx(np.array(weights) / math.fsum(weights), rel=1e-10)


def test_the_point_transient_of_a_truncated_group_is_the_whole_chain_within_its_lost_mass(monkeypatch):
    # five members, a 3-of-5 block: P(3 or more down at t = 20 h from all up) by the separately built FIFO
    # chain (one crew, 326 states) and scipy's expm, against the chain truncated at 4 down
    from scipy.linalg import expm

    from relcalc.rbd import repair, truncated
    from relcalc.rbd.transient import availability_at

    lam, mu = SIX_RATES[0][:5], SIX_RATES[1][:5]
    n = 5
    states = [()] + [s for k in range(1, n + 1) for s in itertools.permutations(range(n), k)]
    where = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for s in states:
        for i in set(range(n)) - set(s):
            q[where[s], where[s + (i,)]] += lam[i]
        if s:
            q[where[s], where[s[1:]]] += mu[s[0]]
    np.fill_diagonal(q, -q.sum(axis=1))
    t = 20.0
    p = expm(q * t)[0]
    exact = sum(x for s, x in zip(states, p) if len(s) >= 3)
    text = ("components:\n  a: {mtbf: 900h, mttr: 7h, count: 2}\n  b: {mtbf: 1500h, mttr: 10h, count: 2}\n"
            "  c: {mtbf: 600h, mttr: 3h}\nsystem: {k_of_n: {k: 3, of: [a, b, c]}}\nrepair: {crews: 1}\n")
    monkeypatch.setattr(repair, "MAX_GROUP_STATES", 10)
    monkeypatch.setattr(truncated, "EPSILON", 1e-7)
    assert truncated.choose_depth(lam, mu, 1, "repair") == 4
    result = availability_at(system(text), t)
    assert result.unavailability == pytest.approx(exact, rel=1e-4)
    assert result.unavailability <= exact * (1 + 1e-12)  # a lower bound: what the truncation loses is never counted


def test_beyond_the_limits_of_the_truncated_chain_one_line_refusals(monkeypatch):
    # ten members in parallel: down only with all ten down, far beyond the depth the chain keeps
    from relcalc.rbd import truncated

    monkeypatch.setattr(truncated, "MAX_STATES", 2_000)  # the same refusal, sooner
    parts = ", ".join(f"m{i}: {{mtbf: {500 + 10 * i}h, mttr: {2 + i}h}}" for i in range(10))
    text = "components: {" + parts + "}\nsystem: {parallel: [" + ", ".join(f"m{i}" for i in range(10)) + "]}\n"
    with pytest.raises(InputError, match="bounds U only to"):
        evaluate(system(text + "repair: {crews: 1}\n"))
    parts = ", ".join(f"m{i}: {{mtbf: {500 + 10 * i}h, mttr: {2 + i}h}}" for i in range(25))
    text = "components: {" + parts + "}\nsystem: {k_of_n: {k: 20, of: [" + ", ".join(f"m{i}" for i in range(25)) + "]}}\n"
    with pytest.raises(InputError, match="give at most 24 per group"):
        evaluate(system(text + "repair: {crews: 1}\n"))


def test_cli_shows_a_truncated_chains_bounds_and_refuses_in_one_line(run, tmp_path, monkeypatch):
    import json

    from relcalc.rbd import repair, truncated

    lam, mu = SIX_RATES
    states, pi = fifo_chain(lam, mu, 1)
    x_u = 2 / 3002
    exact = x_u + (1 - x_u) * sum(p for s, p in zip(states, pi) if len(s) >= 3)  # as above, one crew
    monkeypatch.setattr(repair, "MAX_GROUP_STATES", 10)
    monkeypatch.setattr(truncated, "EPSILON", 1e-6)
    spec = tmp_path / "six.yaml"
    spec.write_text(SIX_MIXED + "repair: [{of: [a, b, c], crews: 1}]\n")
    result = run("compose", spec, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["unavailability_low"] <= exact <= data["unavailability_high"]
    assert "truncated at 4" in data["repair_chain"]
    assert "U lies within" in run("compose", spec).stdout
    # a target between the estimate and the upper bound is not met: the bound, not the estimate, decides
    target_u = (data["unavailability"] + data["unavailability_high"]) / 2
    judged = json.loads(run("compose", spec, "-f", "json", "--target", f"{1 - target_u:.15f}").stdout)
    assert data["unavailability"] < judged["target_unavailability"] < data["unavailability_high"]
    assert judged["meets_target"] is False
    spec.write_text(SIX_MIXED.replace("series: [x, {k_of_n: {k: 4, of: [a, b, c]}}]", "parallel: [a, b, c]")
                    + "repair: [{of: [a, b, c], crews: 1}]\n")  # down only with all six down, beyond the depth
    refused = run("compose", spec)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr.startswith("relcalc: error: repair: 6 components") and refused.stderr.count("\n") == 1


@pytest.mark.parametrize("spec, message", [
    ("components: {n: {mtbf: 1h, mttr: 100000h, count: 64}}\nsystem: {k_of_n: {k: 3, of: [n]}}\n", "overflow"),
    ("components: {n: {mtbf: 1e9h, mttr: 1s, count: 64}}\nsystem: {parallel: [n]}\n", "underflow"),
])
def test_weights_beyond_floating_point_are_refused(spec, message):
    # 64 members at lambda / mu = 1e5: 64! 1e320 overflows; at 2.8e-13 the product of 64 underflows to 0
    with pytest.raises(InputError, match=message):
        evaluate(system(spec + "repair: {crews: 2}\n"))


def test_a_block_whose_branches_share_members_and_components_matches_enumeration():
    # s, c and a appear in two branches each (Shannon expansion on them, group members among them);
    # reference: every joint state of the five members (one crew, one repair rate) and of s and t
    text = """
components:
  a: {mtbf: 900h, mttr: 8h, count: 2}
  b: {mtbf: 1500h, mttr: 8h, count: 2}
  c: {mtbf: 400h, mttr: 8h}
  s: {mtbf: 3000h, mttr: 4h}
  t: {mtbf: 2000h, mttr: 3h}
system: {parallel: [{series: [s, a, c]}, {series: [s, b]}, {series: [t, c, a]}]}
repair: [{of: [a, b, c], crews: 1}]
"""
    lam = [1 / 900] * 2 + [1 / 1500] * 2 + [1 / 400]
    prob = product_form(lam, 1 / 8, 1)
    u = f = 0.0
    a_s, a_t = 3000 / 3004, 2000 / 2003

    def up(code, s_up, t_up):
        ok = [not (code >> i) & 1 for i in range(5)]  # a#1, a#2, b#1, b#2, c
        return (s_up and ok[0] and ok[1] and ok[4]) or (s_up and ok[2] and ok[3]) or (t_up and ok[4] and ok[0] and ok[1])

    for code, s_up, t_up in itertools.product(range(32), (1, 0), (1, 0)):
        p = prob[code] * (a_s if s_up else 1 - a_s) * (a_t if t_up else 1 - a_t)
        if not up(code, s_up, t_up):
            u += p
            continue
        f += p * sum(lam[i] for i in range(5) if not (code >> i) & 1 and not up(code | 1 << i, s_up, t_up))
        f += p * (s_up and not up(code, 0, t_up)) / 3000 + p * (t_up and not up(code, s_up, 0)) / 2000
    result = evaluate(system(text))
    assert result.unavailability == pytest.approx(u, rel=1e-11)
    assert result.failure_frequency_per_hour == pytest.approx(f, rel=1e-11)


def test_a_k_of_n_of_members_and_independent_components_matches_enumeration():
    # 4-of-7: four members of one group (one crew) and three components with their own crews; U, the
    # frequency and an independent component's Birnbaum figure over every joint state
    text = ("components: {n: {mtbf: 800h, mttr: 10h, count: 4}, k: {mtbf: 500h, mttr: 4h, count: 3}}\n"
            "system: {k_of_n: {k: 4, of: [n, k]}}\nrepair: [{of: [n], crews: 1}]\n")
    prob = product_form([1 / 800] * 4, 1 / 10, 1)
    a_k = 500 / 504
    u = f = 0.0
    u_k1 = [0.0, 0.0]  # P(system down and k#1 down), P(system down and k#1 up)
    for code, ks in itertools.product(range(16), itertools.product((1, 0), repeat=3)):
        p = prob[code] * math.prod(a_k if x else 1 - a_k for x in ks)
        down_count = bin(code).count("1") + ks.count(0)
        if down_count > 3:
            u += p
            u_k1[0 if ks[0] == 0 else 1] += p
        elif down_count == 3:  # any further failure takes it down
            f += p * (bin(code ^ 15).count("1") / 800 + ks.count(1) / 500)
    result = evaluate(system(text))
    assert result.unavailability == pytest.approx(u, rel=1e-12)
    assert result.failure_frequency_per_hour == pytest.approx(f, rel=1e-12)
    k1 = next(m for m in result.importance if m.name == "k#1")
    assert k1.birnbaum == pytest.approx(u_k1[0] / (1 - a_k) - u_k1[1] / a_k, rel=1e-10)
