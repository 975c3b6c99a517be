"""Network blocks (two-terminal reliability by decision diagram) against enumeration and published values."""

import itertools
import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcalc.errors import InputError
from relcalc.rbd import Component, KofN, Parallel, Series, System, Use, evaluate, load_spec_text, system_from_mapping
from relcalc.rbd.model import Network, split_reference

from conftest import SAMPLES


def comp(name, a, count=1):
    return Component(name, a, 1.0 - a, count=count)


# --- a deliberately naive reference: every state of every instance, a graph search each -------


def instance_keys(system):
    return [(name, i) for name, c in system.components.items() for i in range(c.count)]


def chosen(system, reference):
    name, index = split_reference(reference)
    count = system.components[name].count
    return [(name, i) for i in range(count)] if index is None else [(name, index - 1)]


def connected(block, system, state):
    def works(reference):  # an edge or node works while any of its instances does
        return reference is None or any(state[key] for key in chosen(system, reference))

    nodes = dict(block.nodes)
    alive = {x: works(nodes.get(x)) for _, a, b in block.edges for x in (a, b)}
    links = {}
    for name, a, b in block.edges:
        if works(name) and alive[a] and alive[b]:
            links.setdefault(a, []).append(b)
            if not block.directed:
                links.setdefault(b, []).append(a)
    if not alive[block.source] or not alive[block.target]:
        return False
    seen, stack = {block.source}, [block.source]
    while stack:
        for y in links.get(stack.pop(), []):
            if y not in seen:
                seen.add(y)
                stack.append(y)
    return block.target in seen


def up(block, system, state):
    if isinstance(block, Network):
        return [connected(block, system, state)]
    if isinstance(block, Use):
        return [state[key] for key in chosen(system, block.name)]
    values = [v for child in block.children for v in up(child, system, state)]
    if isinstance(block, Series):
        return [all(values)]
    if isinstance(block, Parallel):
        return [any(values)]
    return [sum(values) >= block.k]


def enumerate_system(system):
    """(A, U, {instance: Birnbaum}) by summing over all 2^n states; U summed over the down states."""
    keys = instance_keys(system)
    avail = {k: system.components[k[0]].availability for k in keys}
    unavail = {k: system.components[k[0]].unavailability for k in keys}
    total_a = total_u = 0.0
    with_up = dict.fromkeys(keys, 0.0)
    with_down = dict.fromkeys(keys, 0.0)
    for bits in itertools.product((True, False), repeat=len(keys)):
        state = dict(zip(keys, bits))
        p = math.prod(avail[k] if s else unavail[k] for k, s in state.items())
        works = up(system.root, system, state)[0]
        if works:
            total_a += p
        else:
            total_u += p
        for k in keys:  # A(k up) - A(k down): the conditional sums
            if works:
                share = p / (avail[k] if state[k] else unavail[k])
                if state[k]:
                    with_up[k] += share
                else:
                    with_down[k] += share
    return total_a, total_u, {k: with_up[k] - with_down[k] for k in keys}


def label(key, system):
    name, i = key
    return name if system.components[name].count == 1 else f"{name}#{i + 1}"


def check_against_enumeration(system, tol=1e-12):
    result = evaluate(system)
    a, u, birnbaum = enumerate_system(system)
    assert result.availability == pytest.approx(a, abs=tol)
    assert result.unavailability == pytest.approx(u, rel=1e-9, abs=1e-300)
    measured = {m.name: m.birnbaum for m in result.importance}
    if u < 1e-300:  # no way down (a perfect link): the figures relative to U are not given (NaN)
        return result
    for key, value in birnbaum.items():
        assert measured.get(label(key, system), 0.0) == pytest.approx(value, abs=tol)  # unused: not listed
    return result


# --- published values and closed forms ---------------------------------------------------


BRIDGE_EDGES = (("e1", "s", "a"), ("e2", "s", "b"), ("e3", "a", "b"), ("e4", "a", "t"), ("e5", "b", "t"))


@pytest.mark.parametrize("p", [0.5, 0.9, 0.999])
def test_bridge_matches_the_published_polynomial(p):
    # Two-terminal reliability of the bridge, every edge up with probability p:
    # h(p) = 2p^2 + 2p^3 - 5p^4 + 2p^5 (Moore & Shannon, "Reliable circuits using less reliable
    # relays", J. Franklin Inst. 262, 1956; Colbourn, The Combinatorics of Network Reliability, 1987, ch. 1).
    # Its unavailability, from 1 - h(p) expanded in q = 1 - p: 2q^2 + 2q^3 - 5q^4 + 2q^5 (the same form by
    # the bridge's self-duality), here at 50 digits.
    system = System({f"e{i}": comp(f"e{i}", p) for i in range(1, 6)}, Network(BRIDGE_EDGES, "s", "t"))
    result = evaluate(system)
    mpmath.mp.dps = 50
    q = 1 - mpmath.mpf(p)
    expected_u = 2 * q**2 + 2 * q**3 - 5 * q**4 + 2 * q**5
    assert result.unavailability == pytest.approx(float(expected_u), rel=1e-12)
    h = 2 * p**2 + 2 * p**3 - 5 * p**4 + 2 * p**5
    assert result.availability == pytest.approx(h, abs=1e-15)


def test_bridge_as_a_network_equals_the_bridge_as_path_sets():
    spec = load_spec_text((SAMPLES / "bridge.yaml").read_text())
    as_paths = system_from_mapping(spec)
    names = list(as_paths.components)
    assert len(names) == 5
    # samples/bridge.yaml: paths a-d, b-e, a-c-e, b-c-d, i.e. edges a: s-x, b: s-y, c: x-y, d: x-t, e: y-t
    edges = (("a", "s", "x"), ("b", "s", "y"), ("c", "x", "y"), ("d", "x", "t"), ("e", "y", "t"))
    as_network = System(as_paths.components, Network(edges, "s", "t"))
    r1, r2 = evaluate(as_paths), evaluate(as_network)
    assert r2.unavailability == pytest.approx(r1.unavailability, rel=1e-13)
    assert r2.failure_frequency_per_hour == pytest.approx(r1.failure_frequency_per_hour, rel=1e-12)


def test_two_disjoint_paths_are_a_parallel_of_series():
    # closed form: U = (1 - a1 a2)(1 - a3 a4), with each 1 - a1 a2 = u1 + a1 u2 as non-negative terms
    a = [0.99, 0.95, 0.9, 0.97]
    parts = {f"x{i}": comp(f"x{i}", a[i]) for i in range(4)}
    edges = (("x0", "s", "m"), ("x1", "m", "t"), ("x2", "s", "n"), ("x3", "n", "t"))
    result = evaluate(System(parts, Network(edges, "s", "t", directed=True)))
    u = [1 - x for x in a]
    assert result.unavailability == pytest.approx((u[0] + a[0] * u[1]) * (u[2] + a[2] * u[3]), rel=1e-14)


def test_tiny_unavailability_keeps_its_size_through_the_logarithm():
    # three parallel links each down with probability 1e-120: U = 1e-360, below the float range
    parts = {f"l{i}": Component(f"l{i}", 1.0, 1e-120) for i in range(3)}
    edges = tuple((f"l{i}", "a", "b") for i in range(3))
    result = evaluate(System(parts, Network(edges, "a", "b")))
    assert result.unavailability_log10 == pytest.approx(-360.0, abs=1e-9)


def test_failure_frequency_and_mean_times_follow_the_birnbaum_sum():
    # f = sum_i I_B(i) / (MTBF_i + MTTR_i) (Singh & Billinton 1977), with I_B from enumeration
    parts = {f"e{i}": Component.from_times(f"e{i}", 1000.0 * i, 2.0 * i) for i in range(1, 6)}
    system = System(parts, Network(BRIDGE_EDGES, "s", "t"))
    result = check_against_enumeration(system)
    _, _, birnbaum = enumerate_system(system)
    f = sum(b / (parts[k[0]].mtbf_hours + parts[k[0]].mttr_hours) for k, b in birnbaum.items())
    assert result.failure_frequency_per_hour == pytest.approx(f, rel=1e-12)
    assert result.mttr_hours == pytest.approx(result.unavailability / f, rel=1e-12)


# --- random graphs against enumeration ---------------------------------------------------------


@st.composite
def networks(draw):
    n_nodes = draw(st.integers(2, 6))
    n_edges = draw(st.integers(1, 12))
    n_components = draw(st.integers(1, min(n_edges, 9)))
    names = [f"c{i}" for i in range(n_components)]
    parts = {name: comp(name, draw(st.floats(0.05, 0.999))) for name in names}
    nodes = list(range(n_nodes))
    edges = []
    for _ in range(n_edges):
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        if a != b:
            edges.append((draw(st.sampled_from(names + [None])), a, b))
    if not edges:
        edges = [(names[0], 0, 1)]
    on_edges = sorted({x for _, a, b in edges for x in (a, b)})
    source, target = on_edges[0], on_edges[-1]
    node_parts = []
    for x in on_edges:
        if len(parts) < 10 and draw(st.booleans()) and draw(st.booleans()):
            name = f"n{x}"
            parts[name] = comp(name, draw(st.floats(0.05, 0.999)))
            node_parts.append((x, name))
    directed = draw(st.booleans())
    if directed and draw(st.booleans()):  # both directions of a link are one component: a cyclic network
        edges += [(name, b, a) for name, a, b in edges]
    return System(parts, Network(tuple(edges), source, target, directed, tuple(node_parts)))


@settings(max_examples=40, deadline=None)
@given(networks())
def test_random_networks_match_enumeration(system):
    check_against_enumeration(system)


@settings(max_examples=25, deadline=None)
@given(networks(), st.floats(0.5, 0.99))
def test_a_network_sharing_a_component_with_the_rest_of_the_diagram(system, a_extra):
    # the network's first component also sits in series with a parallel pair outside it
    first = next(iter(system.components))
    parts = dict(system.components)
    parts["z"] = comp("z", a_extra)
    root = Series((system.root, Parallel((Use(first), Use("z")))))
    check_against_enumeration(System(parts, root))


def test_instances_of_one_component_on_several_edges():
    # line (count 3): line#1..#3 are three physical lines; plain `line` is all three in parallel
    parts = {"line": comp("line", 0.9, count=3), "hub": comp("hub", 0.99, count=2)}
    edges = (("line#1", "a", "b"), ("line#2", "b", "c"), ("line#3", "a", "c"), ("line", "c", "d"))
    block = Network(edges, "a", "d", nodes=(("c", "hub"),))
    check_against_enumeration(System(parts, block))


def test_a_network_inside_a_k_of_n():
    parts = {f"e{i}": comp(f"e{i}", 0.8 + 0.03 * i) for i in range(1, 6)}
    parts["x"] = comp("x", 0.9)
    parts["y"] = comp("y", 0.7)
    root = KofN(2, (Network(BRIDGE_EDGES, "s", "t"), Use("x"), Use("y")))
    check_against_enumeration(System(parts, root))


# --- the spec ---------------------------------------------------------------------------------


def spec(network):
    return {"components": {"l": {"availability": 0.99, "count": 2}, "r": {"mtbf": "1000h", "mttr": "2h"}},
            "system": {"network": network}}


def test_the_spec_form_reads_edges_nodes_and_direction():
    system = system_from_mapping(spec({"edges": [["l#1", "a", "b"], ["l#2", "b", "c"], [None, "a", "c"]],
                                       "source": "a", "target": "c", "nodes": {"b": "r"}, "directed": True}))
    assert isinstance(system.root, Network)
    assert system.root.directed and system.root.nodes == (("b", "r"),)
    check_against_enumeration(system)


@pytest.mark.parametrize("network, message", [
    ({"edges": [], "source": "a", "target": "b"}, "non-empty list"),
    ({"edges": [["l", "a"]], "source": "a", "target": "b"}, "[component, from, to]"),
    ({"edges": [["l", "a", "a"]], "source": "a", "target": "a"}, "to itself"),
    ({"edges": [["nope", "a", "b"]], "source": "a", "target": "b"}, "unknown component 'nope'"),
    ({"edges": [["l#3", "a", "b"]], "source": "a", "target": "b"}, "instance 3"),
    ({"edges": [["l", "a", "b"]], "source": "a", "target": "z"}, "target: node 'z' is on no edge"),
    ({"edges": [["l", "a", "b"]], "source": "a"}, "missing 'target'"),
    ({"edges": [["l", "a", "b"]], "source": "a", "target": "b", "directed": "yes"}, "true or false"),
    ({"edges": [["l", "a", "b"]], "source": "a", "target": "b", "weights": 1}, "unknown key 'weights'"),
    ({"edges": [["l", "a", "b"]], "source": "a", "target": "b", "nodes": {"q": "r"}}, "node 'q' is on no edge"),
    ({"edges": [["l", [1], "b"]], "source": "a", "target": "b"}, "a node is a name or a whole number"),
])
def test_bad_networks_are_refused_naming_the_place(network, message):
    with pytest.raises(InputError, match="system.network") as caught:
        system_from_mapping(spec(network))
    assert message in str(caught.value)


def test_a_node_written_as_a_number_or_as_text_is_one_node():
    # [a, s, 1] then [b, "1", t]: one path s-1-t through a and b in series, U = 1 - (1 - u)^2 with u = 10/1010
    text = ("components: {a: {mtbf: 1000h, mttr: 10h}, b: {mtbf: 1000h, mttr: 10h}}\n"
            "system: {network: {source: s, target: t, edges: [[a, s, 1], [b, '1', t]]}}\n")
    u = 10 / 1010
    assert evaluate(system_from_mapping(load_spec_text(text))).unavailability == pytest.approx(u * (2 - u), rel=1e-12)
    twice = text.replace("'1', t]]}}", "'1', t]], nodes: {1: a, '1': b}}}")
    with pytest.raises(InputError, match="given twice"):
        system_from_mapping(load_spec_text(twice))


@pytest.mark.parametrize("edges, directed", [("[[a, s, x], [b, y, t]]", "false"), ("[[a, t, s]]", "true")])
def test_a_network_whose_target_cannot_be_reached_even_all_up_is_refused(edges, directed):
    text = ("components: {a: {mtbf: 1000h, mttr: 10h}, b: {mtbf: 1000h, mttr: 10h}}\n"
            f"system: {{network: {{source: s, target: t, directed: {directed}, edges: {edges}}}}}\n")
    with pytest.raises(InputError, match="no path .*from 's' to 't' even with everything up"):
        system_from_mapping(load_spec_text(text))
