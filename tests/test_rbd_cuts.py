"""Minimal cut sets, single points of failure and Fussell-Vesely by cut sets, against enumeration."""

import itertools
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcalc.errors import InputError
from relcalc.rbd import Component, KofN, Parallel, Series, System, Use, evaluate, load_spec_text, system_from_mapping
from relcalc.rbd.cuts import cut_sets

from conftest import SAMPLES
from test_rbd_network import instance_keys, label, networks, up


def comp(name, a, count=1):
    return Component(name, a, 1.0 - a, count=count)


def brute_force_cuts(system, order):
    """Every set of up to ``order`` instances whose failure alone fails the system, kept if minimal.

    The empty set is the one cut set of a system that is down with every component up.
    """
    keys = instance_keys(system)
    found = []
    for size in range(0, order + 1):
        for group in itertools.combinations(keys, size):
            if any(set(f) <= set(group) for f in found):
                continue
            state = {k: k not in group for k in keys}
            if not up(system.root, system, state)[0]:
                found.append(group)
    return {tuple(sorted(label(k, system) for k in g)) for g in found}


def test_the_bridge_has_its_four_published_minimal_cut_sets():
    # The bridge (samples/bridge.yaml): minimal cut sets {a,b}, {d,e}, {a,c,e}, {b,c,d}
    # (Rausand & Hoyland, System Reliability Theory, 2nd ed., 2004, example 4.3 / fig. 4.10)
    system = system_from_mapping(load_spec_text((SAMPLES / "bridge.yaml").read_text()))
    result = cut_sets(system, 3)
    assert {c.components for c in result.cut_sets} == {("a", "b"), ("d", "e"), ("a", "c", "e"), ("b", "c", "d")}
    assert result.single_points_of_failure == ()
    u = {name: c.unavailability for name, c in system.components.items()}
    total = evaluate(system).unavailability
    for c in result.cut_sets:
        assert c.probability == pytest.approx(math.prod(u[n] for n in c.components), rel=1e-15)
        assert c.share_of_unavailability == pytest.approx(c.probability / total, rel=1e-15)


def test_single_points_of_failure_come_first_then_by_probability():
    # web-service: power and lb in series are the single points of failure; then the db pairs of
    # the 2-of-3 (each u_db^2) before the three app instances together (u_app^3)
    system = system_from_mapping(load_spec_text((SAMPLES / "web-service.yaml").read_text()))
    result = cut_sets(system, 3)
    assert set(result.single_points_of_failure) == {"power", "lb"}
    orders = [c.order for c in result.cut_sets]
    assert orders == sorted(orders)
    assert [c.components for c in result.cut_sets[:2]] == [("lb",), ("power",)]  # lb's u (4e-5) > power's (1e-5)
    assert brute_force_cuts(system, 3) == {c.components for c in result.cut_sets}


def test_fussell_vesely_by_cut_sets_is_the_sum_over_the_cut_sets_containing_the_component():
    # 2-of-3 of a, b, c: minimal cut sets are the three pairs; FV_a = (u_a u_b + u_a u_c) / U
    # (Rausand & Hoyland 2004, eq. 10.38, rare-event form), and U = sum of pairs - 2 u_a u_b u_c exactly
    a = {"a": 0.99, "b": 0.98, "c": 0.97}
    system = System({n: comp(n, v) for n, v in a.items()}, KofN(2, (Use("a"), Use("b"), Use("c"))))
    u = {n: 1 - v for n, v in a.items()}
    total = u["a"] * u["b"] + u["a"] * u["c"] + u["b"] * u["c"] - 2 * u["a"] * u["b"] * u["c"]
    result = cut_sets(system, 3)
    fv = {c.name: c.fussell_vesely_cut_sets for c in result.importance}
    assert fv["a"] == pytest.approx((u["a"] * u["b"] + u["a"] * u["c"]) / total, rel=1e-12)
    # the cut-set form lies between criticality and the conditional form (Rausand & Hoyland 2004, 10.5)
    for item in evaluate(system).importance:
        assert item.criticality <= fv[item.name] * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(networks(), st.integers(1, 3))
def test_network_cut_sets_match_brute_force(system, order):
    result = cut_sets(system, order)
    assert {c.components for c in result.cut_sets} == brute_force_cuts(system, order)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**20))
def test_shared_block_cut_sets_match_brute_force(seed):
    import random

    rng = random.Random(seed)
    names = [f"x{i}" for i in range(6)]
    parts = {n: comp(n, rng.uniform(0.5, 0.99)) for n in names}

    def block(depth):
        if depth == 0 or rng.random() < 0.3:
            return Use(rng.choice(names))
        children = tuple(block(depth - 1) for _ in range(rng.randint(2, 3)))
        kind = rng.choice(["s", "p", "k"])
        if kind == "s":
            return Series(children)
        if kind == "p":
            return Parallel(children)
        return KofN(rng.randint(1, len(children)), children)

    system = System(parts, block(3))
    for order in (1, 2, 4):
        assert {c.components for c in cut_sets(system, order).cut_sets} == brute_force_cuts(system, order)


def test_a_huge_k_of_n_is_refused_in_bounded_time():
    parts = {"n": comp("n", 0.99, count=1000)}
    system = System(parts, KofN(998, (Use("n"),)))  # 3 down of 1,000: 166 million ways
    with pytest.raises(InputError, match="ways to fail 3 of 1000"):
        cut_sets(system, 3)
    assert cut_sets(system, 2).cut_sets == ()  # no cut of 2 or fewer


@pytest.mark.parametrize("order", [0, 7, -1])
def test_orders_out_of_range_are_refused(order):
    system = System({"a": comp("a", 0.9)}, Use("a"))
    with pytest.raises(InputError, match="--cut-sets"):
        cut_sets(system, order)


def test_cli_lists_single_points_of_failure_in_json_and_table(run):
    path = SAMPLES / "web-service.yaml"
    result = run("compose", path, "--cut-sets", "2", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert sorted(data["single_points_of_failure"]) == ["lb", "power"]
    assert data["cut_sets"]["max_order"] == 2
    assert all(c["order"] <= 2 for c in data["cut_sets"]["cut_sets"])
    table = run("compose", path, "--cut-sets", "3")
    assert table.exit_code == 0
    assert "Single points of failure: lb, power" in table.stdout
    assert "F-V cut" in table.stdout


@pytest.mark.parametrize("bad", ["0", "-1", "7", "nan", "1.5", ""])
def test_cli_refuses_bad_orders_in_one_line(run, bad):
    result = run("compose", SAMPLES / "web-service.yaml", "--cut-sets", bad)
    assert result.exit_code == 2
    assert result.stderr.startswith("relcalc: error:") and "--cut-sets" in result.stderr


@pytest.mark.parametrize("args", [["--cut-sets"], ["--cut-sets", "--top", "3"]])
def test_a_bare_cut_sets_takes_order_three(run, args):
    result = run("compose", SAMPLES / "web-service.yaml", *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cut_sets"]["max_order"] == 3


@pytest.mark.parametrize("mttrs", [("10h", "10h", "10h"), ("10h", "5h", "20h")])
def test_cut_sets_inside_a_repair_group_use_the_groups_joint_probability(mttrs):
    # 2-of-3 on one crew. With one repair rate the machine-repair chain (j down: failures (3-j) lambda, repairs mu;
    # Trivedi & Bobbio 2017, ch. 9) gives pi_j = pi_0 3!/(3-j)! rho^j, and a pair is down in a third of the
    # two-down states plus the three-down one: P = (2 rho^2 + 6 rho^3) pi_0, not the own-crew u^2. With three repair
    # rates there is no closed form: the three pairs' probabilities are then checked to add up, with the triple, to
    # U + 2 P(all three down) (inclusion-exclusion of the three pair events, each pair with the triple inside)
    spec = ("components:\n" + "".join(f"  a{i}: {{mtbf: 1000h, mttr: {m}}}\n" for i, m in enumerate(mttrs))
            + "system: {k_of_n: {k: 2, of: [a0, a1, a2]}}\nrepair: {crews: 1, policy: fifo}\n")
    system = system_from_mapping(load_spec_text(spec))
    result = cut_sets(system, 3)
    u = evaluate(system, importance=False).unavailability
    pairs = [c.probability for c in result.cut_sets]
    assert [c.order for c in result.cut_sets] == [2, 2, 2]
    if len(set(mttrs)) == 1:
        rho = 10 / 1000
        pi0 = 1 / (1 + 3 * rho + 6 * rho**2 + 6 * rho**3)
        for p in pairs:
            assert p == pytest.approx((2 * rho**2 + 6 * rho**3) * pi0, rel=1e-12)
        assert u == pytest.approx((6 * rho**2 + 6 * rho**3) * pi0, rel=1e-12)
    else:
        all_three = system_from_mapping(load_spec_text(spec.replace("k: 2", "k: 1")))
        triple = evaluate(all_three, importance=False).unavailability
        assert math.fsum(pairs) == pytest.approx(u + 2 * triple, rel=1e-12)
    assert all(c.share_of_unavailability == pytest.approx(c.probability / u) for c in result.cut_sets)
