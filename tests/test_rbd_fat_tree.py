"""Series-parallel reductions, the numpy frontier level and the undirected fat tree, against closed forms and enumeration."""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings

import relcalc.rbd.frontier as frontier_search
from relcalc.rbd import plans

from relcalc.rbd import Component, System, evaluate
from relcalc.rbd.bdd import FALSE, TRUE
from relcalc.rbd.model import Network
from relcalc.rbd.plans import network_diagram

from test_rbd_network import check_against_enumeration, networks


def comp(name, a):
    return Component(name, a, 1.0 - a)


# --- series and parallel stretches -------------------------------------------------------------


@pytest.mark.parametrize("directed", [False, True])
def test_many_parallel_paths_have_the_parallel_of_series_closed_form(directed):
    # 24 disjoint three-link paths between s and t: U = prod_i (1 - a_i1 a_i2 a_i3), each factor the
    # non-negative sum u1 + a1 u2 + a1 a2 u3 (Rausand & Hoyland 2004, ch. 4.2). Before the reductions the
    # frontier search refused this (2^24 connection states): it is a series-parallel network.
    rng = random.Random(7)
    parts, edges, factors = {}, [], []
    for i in range(24):
        a = [rng.uniform(0.9, 0.999) for _ in range(3)]
        for j, (x, y) in enumerate((("s", f"m{i}"), (f"m{i}", f"n{i}"), (f"n{i}", "t"))):
            parts[f"l{i}_{j}"] = comp(f"l{i}_{j}", a[j])
            edges.append((f"l{i}_{j}", x, y))
        factors.append((1 - a[0]) + a[0] * (1 - a[1]) + a[0] * a[1] * (1 - a[2]))
    result = evaluate(System(parts, Network(tuple(edges), "s", "t", directed=directed)))
    assert result.unavailability == pytest.approx(math.prod(factors), rel=1e-12)
    # Birnbaum of the first link of path 0: (a2 a3) prod_{i > 0} (1 - a_i1 a_i2 a_i3)
    a1 = [parts[f"l0_{j}"].availability for j in range(3)]
    birnbaum = {m.name: m.birnbaum for m in result.importance}
    assert birnbaum["l0_0"] == pytest.approx(a1[1] * a1[2] * math.prod(factors[1:]), rel=1e-10)


def test_a_long_ladder_follows_its_recursion():
    # s - u1 - u2 - ... - u_n along links c_k, and a rung e_k from each u_k to t: the reductions take one rung
    # per round, so they stop early and the search does the rest (no deep nesting). From the far end,
    # U_n = u(e_n) and U_k = u(e_k) (u(c_{k+1}) + a(c_{k+1}) U_{k+1}): u_k reaches t over its rung or on
    # along the chain, through disjoint links; the system's U = u(c_1) + a(c_1) U_1.
    n = 2000
    rng = random.Random(3)
    parts, edges = {}, []
    for k in range(1, n + 1):
        for name, a, b in ((f"c{k}", "s" if k == 1 else f"u{k - 1}", f"u{k}"), (f"e{k}", f"u{k}", "t")):
            parts[name] = comp(name, rng.uniform(0.5, 0.99))
            edges.append((name, a, b))
    u_far = parts[f"e{n}"].unavailability
    for k in range(n - 1, 0, -1):
        c = parts[f"c{k + 1}"]
        u_far = parts[f"e{k}"].unavailability * (c.unavailability + c.availability * u_far)
    expected = parts["c1"].unavailability + parts["c1"].availability * u_far
    result = evaluate(System(parts, Network(tuple(edges), "s", "t")), importance=False)
    assert result.unavailability == pytest.approx(expected, rel=1e-12)


def test_a_chain_through_nodes_with_components_and_a_repeated_link():
    # s - x - y - t in series with node components on x and y, in parallel with the direct link d, and the
    # same physical link `d` again between x and t: a repeated component must stay one variable.
    # By conditioning on d: d up -> s-t works through d; d down -> the chain s-x-y-t (or s-x then d: down).
    # A = a_d + u_d * a_sx a_x a_xy a_y a_yt
    a = {"sx": 0.9, "x": 0.95, "xy": 0.8, "y": 0.97, "yt": 0.85, "d": 0.6}
    parts = {name: comp(name, v) for name, v in a.items()}
    edges = (("sx", "s", "x"), ("xy", "x", "y"), ("yt", "y", "t"), ("d", "s", "t"), ("d", "x", "t"))
    result = evaluate(System(parts, Network(edges, "s", "t", nodes=(("x", "x"), ("y", "y")))))
    chain = a["sx"] * a["x"] * a["xy"] * a["y"] * a["yt"]
    assert result.availability == pytest.approx(a["d"] + (1 - a["d"]) * chain, abs=1e-15)
    assert result.unavailability == pytest.approx((1 - a["d"]) * (1 - chain), rel=1e-13)


def test_two_bridges_in_series_with_a_mesh_hanging_off_the_node_between():
    # s -bridge- m -bridge- t, a complete graph K4 hanging off m, and a component on m: every s-t path
    # runs through both bridges and m, none through the K4 (it meets the rest only at m). So
    # A = a_m h(p)^2 with the bridge's h(p) = 2p^2 + 2p^3 - 5p^4 + 2p^5 (Moore & Shannon 1956), and the
    # K4's links have Birnbaum 0.
    p, a_m = 0.9, 0.97
    edges, parts = [], {"m": comp("m", a_m)}
    for tag, x, y in (("l", "s", "m"), ("r", "m", "t")):
        for i, (a, b) in enumerate(((x, f"{tag}1"), (x, f"{tag}2"), (f"{tag}1", f"{tag}2"), (f"{tag}1", y), (f"{tag}2", y))):
            parts[f"{tag}{i}"] = comp(f"{tag}{i}", p)
            edges.append((f"{tag}{i}", a, b))
    mesh = ["m", "k1", "k2", "k3"]
    for i, a in enumerate(mesh):
        for b in mesh[i + 1:]:
            parts[f"k_{a}{b}"] = comp(f"k_{a}{b}", 0.5)
            edges.append((f"k_{a}{b}", a, b))
    result = evaluate(System(parts, Network(tuple(edges), "s", "t", nodes=(("m", "m"),))))
    h = 2 * p**2 + 2 * p**3 - 5 * p**4 + 2 * p**5
    assert result.availability == pytest.approx(a_m * h * h, abs=1e-15)
    for m in result.importance:
        if m.name.startswith("k_"):
            assert m.birnbaum == 0.0


@settings(max_examples=40, deadline=None)
@given(networks())
def test_the_numpy_level_gives_what_enumeration_gives_on_random_networks(system):
    # every level of the undirected search through relcalc.rbd.frontier, even with one state on it
    # (normally only levels of 256 states or more go there)
    saved = frontier_search.BATCH
    frontier_search.BATCH = 1
    plans._TEMPLATES.clear()
    try:
        check_against_enumeration(system)
    finally:
        frontier_search.BATCH = saved
        plans._TEMPLATES.clear()


# --- the k = 4 fat tree (Al-Fares, Loukissas & Vahdat, SIGCOMM 2008) -------------------------------


def fat_tree(k, source_edge, target_edge, links_fail=True, other_edges_fail=True):
    """Undirected k-ary fat tree: (components, Network). Hosts hs, ht on the named edge switches.

    Every switch can fail, and every link unless ``links_fail`` is false; edge switches other than the
    hosts' are perfect where ``other_edges_fail`` is false (fewer states to enumerate, the same paths).
    """
    half = k // 2
    parts, edges, nodes = {}, [], []

    def part(name):
        parts[name] = None
        return name

    for c in range(half * half):
        nodes.append((f"core{c}", part(f"core{c}")))
    for p in range(k):
        for i in range(half):
            nodes.append((f"agg{p}_{i}", part(f"agg{p}_{i}")))
            if other_edges_fail or f"edge{p}_{i}" in (source_edge, target_edge):
                nodes.append((f"edge{p}_{i}", part(f"edge{p}_{i}")))
            for j in range(half):
                down = part(f"d{p}_{i}_{j}") if links_fail else None
                up = part(f"u{p}_{i}_{j}") if links_fail else None
                edges += [(down, f"edge{p}_{i}", f"agg{p}_{j}"), (up, f"agg{p}_{i}", f"core{i * half + j}")]
    edges += [(part("hs") if links_fail else None, "hs", source_edge), (part("ht") if links_fail else None, "ht", target_edge)]
    rng = random.Random(2008)
    components = {name: comp(name, rng.uniform(0.9, 0.999)) for name in parts}
    return components, Network(tuple(edges), "hs", "ht", nodes=tuple(nodes))


def up_down(network):
    """The same fat tree with valley-free (up-down) routing: hs -> edge -> agg -> core -> agg -> edge -> ht."""
    by_ends = {}
    for name, a, b in network.edges:
        by_ends[(a, b)] = name
    source_edge = next(b for (a, b) in by_ends if a == "hs")
    target_edge = next(b for (a, b) in by_ends if a == "ht")
    arcs = [(by_ends[("hs", source_edge)], "hs", source_edge)]
    for (a, b), name in by_ends.items():
        if a == source_edge and b.startswith("agg"):
            arcs.append((name, a, b))  # up from the source's edge switch
        if a == target_edge and b.startswith("agg"):
            arcs.append((name, b, a))  # down into the target's edge switch
    up_aggs = {b for _, a, b in arcs if a == source_edge}
    down_aggs = {a for _, a, b in arcs if b == target_edge}
    for (a, b), name in by_ends.items():
        if b.startswith("core"):
            if a in up_aggs:
                arcs.append((name, a, b))
            if a in down_aggs:
                arcs.append((name, b, a))
    arcs.append((by_ends[("ht", target_edge)], target_edge, "ht"))
    return Network(tuple(arcs), "hs", "ht", directed=True, nodes=network.nodes)


def enumerate_switches(components, network, directed=False):
    """(A, U, {switch: Birnbaum}) over all 2^n up/down states of the node components (links perfect).

    Every state at once in numpy: bit v of the state index is switch v; reachability by bitmasks
    widened until nothing changes.
    """
    names = [name for _, name in network.nodes]
    index = {x: i for i, (x, _) in enumerate(network.nodes)}
    for _, a, b in network.edges:  # perfect switches: always in the alive mask below
        for x in (a, b):
            index.setdefault(x, len(index))
    ends = {x: index[x] for x in ("hs", "ht")}
    neighbours = [0] * len(index)
    for _, a, b in network.edges:
        neighbours[index[a]] |= 1 << index[b]
        if not directed:
            neighbours[index[b]] |= 1 << index[a]
    n = len(names)
    states = np.arange(2**n, dtype=np.int64)
    perfect = sum(1 << i for i in range(n, len(index)))
    alive = states | perfect
    reached = np.full(2**n, 1 << ends["hs"], dtype=np.int64)
    while True:
        grown = reached.copy()
        for v in range(len(index)):
            grown |= np.where((reached >> v) & 1 == 1, neighbours[v], 0)
        grown &= alive
        if np.array_equal(grown, reached):
            break
        reached = grown
    works = (reached >> ends["ht"]) & 1 == 1
    probability = np.ones(2**n)
    for i, name in enumerate(names):
        c = components[name]
        probability *= np.where((states >> i) & 1 == 1, c.availability, c.unavailability)
    birnbaum = {}
    for i, name in enumerate(names):
        c = components[name]
        bit = (states >> i) & 1 == 1
        # A(i up) - A(i down), each conditional sum taken over the states where i is up (down)
        birnbaum[name] = (probability[works & bit].sum() / c.availability
                          - probability[works & ~bit].sum() / c.unavailability)
    return float(probability[works].sum()), float(probability[~works].sum()), birnbaum


@pytest.mark.parametrize("target_edge", ["edge3_0", "edge0_1"], ids=["other pod", "same pod"])
def test_k4_fat_tree_of_failing_switches_matches_enumeration(target_edge):
    # the core and aggregation switches and the hosts' edge switches can fail (14, 2^14 states), links and
    # the other edge switches are perfect (paths may still turn down through them): exact sums by enumeration
    components, network = fat_tree(4, "edge0_0", target_edge, links_fail=False, other_edges_fail=False)
    result = evaluate(System(components, network))
    a, u, birnbaum = enumerate_switches(components, network)
    assert result.unavailability == pytest.approx(u, rel=1e-10)
    assert result.availability == pytest.approx(a, abs=1e-14)
    measured = {m.name: m.birnbaum for m in result.importance}
    for name, value in birnbaum.items():
        assert measured.get(name, 0.0) == pytest.approx(value, abs=1e-12)


def test_k4_fat_tree_undirected_is_at_least_as_available_as_up_down_routing():
    # up-down (valley-free) routing uses a subset of the paths the undirected fabric offers, so
    # U(undirected) <= U(up-down); they differ by the states where only a path turning down through
    # another pod (or another edge switch of the two end pods) and back up connects the hosts. Both exact
    # values and their difference from enumeration of the 2^14 switch states (as above).
    components, network = fat_tree(4, "edge0_0", "edge3_0", links_fail=False, other_edges_fail=False)
    directed = up_down(network)
    undirected_u = evaluate(System(components, network)).unavailability
    directed_u = evaluate(System(components, directed)).unavailability
    _, u_any, _ = enumerate_switches(components, network)
    _, u_valley_free, _ = enumerate_switches(components, directed, directed=True)
    assert directed_u == pytest.approx(u_valley_free, rel=1e-10)
    assert undirected_u < directed_u
    assert directed_u - undirected_u == pytest.approx(u_valley_free - u_any, rel=1e-6)


def test_k4_fat_tree_with_everything_failing_agrees_with_a_graph_search_state_by_state():
    # switches and links all fail (58 components): too many states to enumerate, so the compiled
    # structure function is read at sampled states and compared with a breadth-first search there
    components, network = fat_tree(4, "edge0_0", "edge3_1")
    names = list(components)
    ids = {name: i for i, name in enumerate(names)}
    edges = tuple((ids[name], a, b) for name, a, b in network.edges)
    nodes = tuple((x, (ids[name],)) for x, name in network.nodes)
    diagram, root = network_diagram((edges, nodes, "hs", "ht", False), "fat tree")
    rng = random.Random(16)
    node_of = dict(network.nodes)
    outcomes = set()
    for _ in range(400):
        p_up = rng.choice([0.5, 0.7, 0.9])
        up = {name: rng.random() < p_up for name in names}
        f = root
        while f not in (FALSE, TRUE):
            var = diagram.variables[diagram.level[f]]
            f = diagram.hi[f] if up[names[var]] else diagram.lo[f]
        links = {}
        for name, a, b in network.edges:
            if up[name] and all(up.get(node_of.get(x), True) for x in (a, b)):
                links.setdefault(a, []).append(b)
                links.setdefault(b, []).append(a)
        seen, stack = {"hs"}, ["hs"]
        while stack:
            for y in links.get(stack.pop(), []):
                if y not in seen:
                    seen.add(y)
                    stack.append(y)
        assert (f == TRUE) == ("ht" in seen)
        outcomes.add(f)
    assert outcomes == {FALSE, TRUE}  # both answers were met


def test_k8_hosts_on_one_edge_switch_are_the_series_of_their_links_and_the_switch():
    # hs and ht on edge0_0: every path runs hs - edge0_0 - ht, whatever else works (the rest of the
    # fabric lies on no simple path between them): A = a_hs a_edge a_ht, every other Birnbaum 0
    components, network = fat_tree(8, "edge0_0", "edge0_0")
    result = evaluate(System(components, network))
    a = [components[n].availability for n in ("hs", "edge0_0", "ht")]
    u_series = (1 - a[0]) + a[0] * (1 - a[1]) + a[0] * a[1] * (1 - a[2])
    assert result.unavailability == pytest.approx(u_series, rel=1e-13)
    for m in result.importance:
        if m.name not in ("hs", "edge0_0", "ht"):
            assert m.birnbaum == 0.0


def test_the_sample_fat_tree_has_the_cut_sets_worked_out_by_hand():
    # samples/fat-tree.yaml (k = 4, h1 on edge0_0 = edge#1, h2 on edge3_0 = edge#7). Single points: each
    # host's access link and edge switch. Order 2: edge0_0 reaches the fabric only over downlink#1 then
    # agg#1 or downlink#2 then agg#2 (pod 3 likewise: downlink#13/agg#7, downlink#14/agg#8), so one member
    # of each of the two routes - 4 pairs at each end; past the aggregation switches every node has three
    # ways on (two core switches and the pod's other edge switch), so no other pair cuts.
    from relcalc.rbd import load_spec_text, system_from_mapping
    from relcalc.rbd.cuts import cut_sets

    from conftest import SAMPLES

    system = system_from_mapping(load_spec_text((SAMPLES / "fat-tree.yaml").read_text()))
    result = cut_sets(system, 2)
    assert set(result.single_points_of_failure) == {"access#1", "access#2", "edge#1", "edge#7"}
    pairs = set()
    for first, second in (("downlink#1", "agg#1"), ("downlink#13", "agg#7")):
        other = {"downlink#1": ("downlink#2", "agg#2"), "downlink#13": ("downlink#14", "agg#8")}[first]
        pairs |= {tuple(sorted((x, y))) for x in (first, second) for y in other}
    assert {c.components for c in result.cut_sets if c.order == 2} == pairs


def test_k8_hosts_in_different_pods_are_refused_with_the_directed_way_out():
    # the 16 core switches can be joined in up to Bell(16) ~ 1e10 ways; the search stops at its state
    # limit with one error naming the block and pointing at up-down routing (a directed network)
    from relcalc.errors import InputError

    components, network = fat_tree(8, "edge0_0", "edge7_0")
    with pytest.raises(InputError, match=r"network: too meshed to work out exactly .* make it directed"):
        evaluate(System(components, network))
