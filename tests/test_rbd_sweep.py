"""The array sweep of acyclic directed networks (relcalc.rbd.sweep) against enumeration and the decision diagram.

The sweep carries state probabilities in arrays instead of building a
diagram; each figure is checked against a brute-force sum over all 2^n
component states (the naive reference of test_rbd_network) or against the
independently built decision diagram of relcalc.rbd.dag (Hardy, Lucet &
Limnios 2007 construction), with the Birnbaum importance as the adjoint.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcalc.rbd import System, evaluate
from relcalc.rbd import plans, sweep as sweep_module
from relcalc.rbd.bdd import probability
from relcalc.rbd.dag import compile_dag, vertex_order
from relcalc.rbd.model import Network
from relcalc.rbd.sweep import sweep, sweep_program

from test_rbd_network import check_against_enumeration, comp


def grid_network(n):
    cells = [f"n{r}_{c}" for r in range(n) for c in range(n)]
    arcs = []
    for r in range(n):
        for c in range(n):
            if c + 1 < n:
                arcs.append((None, f"n{r}_{c}", f"n{r}_{c + 1}"))
            if r + 1 < n:
                arcs.append((None, f"n{r}_{c}", f"n{r + 1}_{c}"))
    return cells, Network(tuple(arcs), "n0_0", f"n{n - 1}_{n - 1}", True, tuple((x, x) for x in cells))


def swept(system):
    """Whether the system's network block is evaluated by the sweep."""
    from relcalc.rbd.evaluate import compile_system

    plan = plans.plan_of(compile_system(system).root)
    return plan is not None and plan.template.sweep is not None


@st.composite
def dags(draw):
    """Acyclic directed networks (arcs from lower to higher node), every component on one arc or node."""
    n_nodes = draw(st.integers(2, 6))
    pairs = [(a, b) for a in range(n_nodes) for b in range(a + 1, n_nodes)]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=9, unique=True))
    parts, edges, node_parts = {}, [], []
    for i, (a, b) in enumerate(chosen):
        if draw(st.booleans()) or len(parts) >= 11:
            edges.append((None, a, b))
        else:
            parts[f"e{i}"] = comp(f"e{i}", draw(st.floats(0.05, 0.999)))
            edges.append((f"e{i}", a, b))
    for x in sorted({x for _, a, b in edges for x in (a, b)}):
        if len(parts) < 12 and draw(st.booleans()):
            parts[f"n{x}"] = comp(f"n{x}", draw(st.floats(0.05, 0.999)))
            node_parts.append((x, f"n{x}"))
    if not parts:
        parts["e"] = comp("e", 0.9)
        edges[0] = ("e",) + edges[0][1:]
    source, target = min(edges, key=lambda e: e[1])[1], max(edges, key=lambda e: e[2])[2]
    return System(parts, Network(tuple(edges), source, target, True, tuple(node_parts)))


@settings(max_examples=40, deadline=None)
@given(dags())
def test_random_acyclic_networks_match_enumeration(system):
    plans._TEMPLATES.clear()
    check_against_enumeration(system)


def test_a_4x4_grid_is_swept_and_matches_enumeration():
    cells, block = grid_network(4)
    rng = np.random.default_rng(4)
    system = System({x: comp(x, float(rng.uniform(0.5, 0.99))) for x in cells}, block)
    assert swept(system)
    check_against_enumeration(system)


def test_a_12x12_grid_agrees_with_the_decision_diagram():
    # the diagram of relcalc.rbd.dag is built by a different construction (hash-consed nodes)
    cells, block = grid_network(12)
    rng = np.random.default_rng(12)
    a = {i: float(x) for i, x in enumerate(rng.uniform(0.6, 0.999, len(cells)))}
    u = {i: 1.0 - a[i] for i in a}
    nodes = {x: [i] for i, x in enumerate(cells)}
    program = sweep_program(*_order(block, nodes))
    avail, unavail, grad = sweep(program, a, u, True)
    diagram, root = compile_dag(list(block.edges), nodes, block.source, block.target, "grid")
    logs_a = {k: math.log(v) for k, v in a.items()}
    logs_u = {k: math.log(v) for k, v in u.items()}
    avail2, unavail2, _, grad2 = probability(diagram, root, a, u, logs_a, logs_u, True)
    assert unavail == pytest.approx(unavail2, rel=1e-12)
    assert avail == pytest.approx(avail2, rel=1e-12)
    for v, d in grad2.items():
        assert grad[v] == pytest.approx(d, rel=1e-9, abs=1e-15)


def _order(block, nodes):
    sequence, variables, successors, _, source, target = vertex_order(list(block.edges), nodes, block.source,
                                                                      block.target)
    return sequence, variables, successors, source, target


def test_checkpoints_give_the_same_importance_as_keeping_every_array(monkeypatch):
    cells, block = grid_network(6)
    rng = np.random.default_rng(6)
    a = {i: float(x) for i, x in enumerate(rng.uniform(0.6, 0.999, len(cells)))}
    u = {i: 1.0 - a[i] for i in a}
    program = sweep_program(*_order(block, {x: [i] for i, x in enumerate(cells)}))
    whole = sweep(program, a, u, True)
    monkeypatch.setattr(sweep_module, "KEEP_BYTES", 256)
    monkeypatch.setattr(sweep_module, "STRETCH_BYTES", 64)
    stretched = sweep(program, a, u, True)
    assert stretched[:2] == whole[:2]
    assert stretched[2].keys() == whole[2].keys()
    for v in whole[2]:
        assert stretched[2][v] == pytest.approx(whole[2][v], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("u", [1e-150, 1e-290])
def test_a_grid_of_near_perfect_cells_keeps_its_tiny_unavailability(u):
    # the two corners are each a single point of failure and every other cut needs two cells,
    # so U = 2u + O(u^2) (Rausand & Hoyland 2004, ch. 4: minimal cut sets); at 1e-290 U is
    # below the arrays' range and the diagram's logarithmic pass gives it
    from relcalc.rbd import Component

    plans._TEMPLATES.clear()
    cells, block = grid_network(3)
    result = evaluate(System({x: Component(x, 1.0, u) for x in cells}, block))
    assert result.unavailability_log10 == pytest.approx(math.log10(2) + math.log10(u), abs=1e-9)
