"""Speed of exact block-diagram evaluation, and relcalc beside RePyability.

Run by hand: python benchmarks/compose.py   (RePyability from the bench extra)

Part 1 times relcalc on large diagrams against a closed form written
directly in numpy for that one shape (what a hand calculation would do):
a series of 5,000 parallel pairs, k-of-n blocks of 10,000 and of 100,000
distinct members, and of 100,000 instances of one component (k = n/2 at
n = 100,000: issue 15's target, under 0.5 s), and 100 bridges in series.

Part 2 evaluates the same structures in relcalc and in RePyability in this
run, from structure to long-run unavailability (each library builds its
decision diagram every time: relcalc's shape cache is cleared, a new
RePyability RBD is made), and prints the time ratio and the number of
digits on which the two unavailabilities agree:

- a 10x10 and a 20x20 grid of components, corner to corner, links right and
  down (the 10x10 has 48,620 minimal path sets); relcalc sweeps these in
  arrays (relcalc.rbd.sweep), RePyability builds a decision diagram;
- a k = 8 fat tree (Al-Fares et al., SIGCOMM 2008) from a host in the first
  pod to a host in the last, with up-down routing: up from the host to a
  core switch, then down; every switch and every link can fail;
- the same fat trees undirected (links usable both ways, so paths may turn
  down through another pod and back up), k = 4 and k = 8, between hosts in
  other pods, in the same pod and on the same edge switch. RePyability takes
  only acyclic diagrams and refuses these; relcalc works out k = 4 and the
  same edge switch at k = 8, and refuses the rest of k = 8 (see the note
  printed below the table);
- 100 bridges in series (500 components).

A structure either library refuses as too meshed is printed as refused.
"""

from __future__ import annotations

import math
import time

import numpy as np
from timing import best_cpu, best_of

from relcalc.rbd import Component, KofN, Parallel, Series, System, Use, evaluate
from relcalc.rbd import plans
from relcalc.rbd.model import Network
from relcalc.rbd.tails import k_of_n
from relcalc.errors import InputError


def components(names, rng) -> dict[str, Component]:
    mtbf = rng.uniform(1e3, 1e5, len(names))
    mttr = rng.uniform(0.5, 24, len(names))
    return {name: Component.from_times(name, mtbf[i], mttr[i]) for i, name in enumerate(names)}


# --- part 1: relcalc against closed forms -------------------------------------------------


def series_parallel(rng):
    parts = components([f"c{i}" for i in range(10_000)], rng)
    names = list(parts)
    root = Series(tuple(Parallel((Use(names[i]), Use(names[i + 1]))) for i in range(0, len(names), 2)))
    u = np.array([c.unavailability for c in parts.values()])

    def baseline():
        return -np.expm1(np.sum(np.log1p(-(u[0::2] * u[1::2]))))

    return "series of 5,000 parallel pairs", System(parts, root), baseline, 0.2


def large_k_of_n(k: int, n: int, target: float):
    def make(rng):
        parts = components([f"c{i}" for i in range(n)], rng)
        root = KofN(k, tuple(Use(name) for name in parts))
        a = np.array([c.availability for c in parts.values()])
        u = np.array([c.unavailability for c in parts.values()])

        def baseline():  # the same tail on bare arrays, without the diagram around it
            return k_of_n(a, u, k)

        return f"{k:,}-of-{n:,} distinct", System(parts, root), baseline, target

    return make


def identical_k_of_n(k: int, n: int, target: float):
    """k-of-n over one component with count n (the spec's `count:`), against the distinct case's tail on arrays."""
    def make(rng):
        one = components(["x"], rng)["x"]
        comp = Component(one.name, one.availability, one.unavailability, one.failure_rate, one.repair_rate, count=n)
        root = KofN(k, (Use("x"),))
        a, u = np.full(n, one.availability), np.full(n, one.unavailability)

        def baseline():  # the general tail (product tree) on bare arrays
            return k_of_n(a, u, k)

        return f"{k:,}-of-{n:,} one component", System({"x": comp}, root), baseline, target

    return make


def bridge_blocks(names):
    blocks = []
    for b in range(len(names) // 5):
        a, bb, c, d, e = (Use(names[5 * b + i]) for i in range(5))
        blocks.append(Parallel((Series((a, d)), Series((bb, e)), Series((a, c, e)), Series((bb, c, d)))))
    return Series(tuple(blocks))


def bridges(rng):
    parts = components([f"{x}{b}" for b in range(100) for x in "abcde"], rng)
    u = np.array([c.unavailability for c in parts.values()]).reshape(100, 5)
    av = 1 - u

    def baseline():  # the pivot-on-c closed form of each bridge
        ua, ub, uc, ud, ue = u.T
        aa, ab, ac, ad, ae = av.T
        ub_ = uc * (1 - aa * ad) * (1 - ab * ae) + ac * (1 - (1 - ua * ub) * (1 - ud * ue))
        return -np.expm1(np.sum(np.log1p(-ub_)))

    return "100 bridges in series", System(parts, bridge_blocks(list(parts))), baseline, 1.0




def part_one(rng) -> None:
    print(f"{'case':<32} {'target':>7} {'exact':>9} {'(CPU)':>8} {'+importance':>12} {'closed form':>12} "
          f"{'ratio':>8}")
    for make in (series_parallel, large_k_of_n(9_990, 10_000, 0.2), large_k_of_n(5_000, 10_000, 0.2),
                 large_k_of_n(50_000, 100_000, 0.5), identical_k_of_n(50_000, 100_000, 0.5), bridges):
        label, system, baseline, target = make(rng)
        plain = best_of(lambda: evaluate(system, importance=False))
        plain_cpu = best_cpu(lambda: evaluate(system, importance=False))
        full = best_of(lambda: evaluate(system))
        base = best_of(baseline)
        verdict = "met" if plain <= target else "MISSED"
        print(f"{label:<32} {target:>6.1f}s {plain:>8.3f}s {plain_cpu:>7.3f}s {full:>11.3f}s {base:>11.4f}s "
              f"{plain / base:>7.3g}x  {verdict}")
    print("exact: least wall time of three evaluations without importance rows (the failure frequency still needs\n"
          "every member's Birnbaum importance); (CPU): their least CPU time, which a loaded machine inflates less")


# --- part 2: the same structures in relcalc and RePyability --------------------------------


def grid(n):
    """Arcs between named cells (r, c) -> right and down; components on the cells."""
    cell = [f"n{r}_{c}" for r in range(n) for c in range(n)]
    arcs = []
    for r in range(n):
        for c in range(n):
            if c + 1 < n:
                arcs.append((f"n{r}_{c}", f"n{r}_{c + 1}"))
            if r + 1 < n:
                arcs.append((f"n{r}_{c}", f"n{r + 1}_{c}"))
    return cell, arcs, "n0_0", f"n{n - 1}_{n - 1}"


def fat_tree_up_down(k=8):
    """Host h0 (pod 0) to host h1 (pod k-1): host -> edge -> aggregation -> core -> aggregation -> edge -> host.

    Switches and links are all components (a link is a vertex of its own in
    the middle of its arc, so both libraries see the same components).
    """
    half = k // 2
    cores = [f"core{i}" for i in range(half * half)]
    up_aggs = [f"agg0_{i}" for i in range(half)]
    down_aggs = [f"agg{k - 1}_{i}" for i in range(half)]
    switches = cores + up_aggs + down_aggs + ["edge0", f"edge{k - 1}"]
    arcs = []  # (link name, from, to)
    arcs.append(("link_h0", "h0", "edge0"))
    for i, agg in enumerate(up_aggs):
        arcs.append((f"link_e0_{i}", "edge0", agg))
        for j in range(half):
            arcs.append((f"link_a0_{i}_{j}", agg, cores[i * half + j]))
    for i, agg in enumerate(down_aggs):
        for j in range(half):
            arcs.append((f"link_a{k - 1}_{i}_{j}", cores[i * half + j], agg))
        arcs.append((f"link_e{k - 1}_{i}", agg, f"edge{k - 1}"))
    arcs.append(("link_h1", f"edge{k - 1}", "h1"))
    return switches, arcs


def fat_tree_undirected(k, source_edge, target_edge):
    """Every switch-to-switch link of a k-ary fat tree, both ways, hosts h0 and h1 on the named edge switches."""
    half = k // 2
    switches = [f"core{c}" for c in range(half * half)]
    links = []
    for p in range(k):
        for i in range(half):
            switches += [f"agg{p}_{i}", f"edge{p}_{i}"]
            for j in range(half):
                links.append((f"link_e{p}_{i}_{j}", f"edge{p}_{i}", f"agg{p}_{j}"))
                links.append((f"link_a{p}_{i}_{j}", f"agg{p}_{i}", f"core{i * half + j}"))
    links += [("link_h0", "h0", source_edge), ("link_h1", "h1", target_edge)]
    return switches, links


def structures(rng):
    """(label, relcalc System, RePyability edges, {node: (mtbf, mttr)})."""
    out = []
    for n in (10, 20):
        cells, arcs, first, last = grid(n)
        parts = components(cells, rng)
        block = Network(tuple((None, a, b) for a, b in arcs), first, last, directed=True,
                        nodes=tuple((c, c) for c in cells))
        edges = [("s", first)] + arcs + [(last, "t")]
        out.append((f"{n}x{n} grid", System(parts, block), edges, parts))
    switches, links = fat_tree_up_down(8)
    parts = components(switches + [name for name, _, _ in links], rng)
    block = Network(tuple(links), "h0", "h1", directed=True, nodes=tuple((s, s) for s in switches))
    edges = []
    for name, a, b in links:  # RePyability: components on vertices, so each link is a vertex
        edges += [(a if a != "h0" else "s", name), (name, b if b != "h1" else "t")]
    out.append(("fat tree k=8, host to host", System(parts, block), edges, parts))
    names = [f"{x}{b}" for b in range(100) for x in "abcde"]
    parts = components(names, rng)
    edges, before = [], "s"
    for b in range(100):
        a, b_, c, d, e = (f"{x}{b}" for x in "abcde")
        after = f"j{b}" if b < 99 else "t"
        edges += [(before, a), (before, b_), (a, c), (b_, c), (a, d), (b_, e), (c, d), (c, e), (d, after), (e, after)]
        before = after
    out.append(("100 bridges in series", System(parts, bridge_blocks(names)), edges, parts))
    for k, where, source_edge, target_edge in ((4, "other pod", "edge0_0", "edge3_0"),
                                               (4, "same pod", "edge0_0", "edge0_1"),
                                               (8, "same edge", "edge0_0", "edge0_0"),
                                               (8, "same pod", "edge0_0", "edge0_1"),
                                               (8, "other pod", "edge0_0", "edge7_0")):
        switches, links = fat_tree_undirected(k, source_edge, target_edge)
        parts = components(switches + [name for name, _, _ in links], rng)
        block = Network(tuple(links), "h0", "h1", directed=False, nodes=tuple((x, x) for x in switches))
        edges = None  # not run at k = 8: RePyability's check of the diagram had not finished after 5 minutes
        if k == 4:
            edges = []
            for name, a, b in links:  # each link a vertex of its own, passable both ways between switches
                if a == "h0":
                    edges += [("s", name), (name, b)]
                elif a == "h1":
                    edges += [(b, name), (name, "t")]
                else:
                    edges += [(a, name), (name, b), (b, name), (name, a)]
        out.append((f"fat tree k={k} undir., {where}", System(parts, block), edges, parts))
    return out


def repyability_unavailability(edges, parts):
    import surpyval as surv
    from repyability import PerfectReliability, RepairableRBD

    spec = {name: {"reliability": surv.Exponential.from_params([1.0 / c.mtbf_hours]),
                   "repairability": surv.Exponential.from_params([1.0 / c.mttr_hours])}
            for name, c in parts.items()}
    for a, b in edges:  # junctions between blocks never fail
        for x in (a, b):
            if x not in spec and x not in ("s", "t"):
                spec[x] = PerfectReliability
    return RepairableRBD(edges, spec).mean_unavailability()


def best_value(fn, repeats: int = 3):
    """(value, shortest time) of ``repeats`` calls; a refusal on the first call is not repeated."""
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - start
        best = (value, elapsed) if best is None or elapsed < best[1] else best
    return best


def part_two() -> None:
    try:
        import repyability  # noqa: F401 - only whether it is installed
    except ImportError:
        print("RePyability is not installed (pip install -e '.[bench]'): part 2 skipped")
        return
    rng = np.random.default_rng(2027)
    print()
    print(f"{'structure':<30} {'relcalc':>10} {'RePyability':>12} {'ratio':>8} {'digits':>7}")
    for label, system, edges, parts in structures(rng):
        def ours():
            plans._TEMPLATES.clear()
            return evaluate(system, importance=False).unavailability

        start = time.perf_counter()
        try:
            u_ours, t_ours = best_value(ours)
        except InputError as exc:
            u_ours, t_ours = None, None
            print(f"  relcalc: {str(exc)[:110]} (refused after {time.perf_counter() - start:.1f} s)")
        if edges is None:  # not run (the undirected k = 8 fat trees)
            u_theirs, t_theirs = None, None
        else:
            try:
                u_theirs, t_theirs = best_value(lambda: repyability_unavailability(edges, parts))
            except (NotImplementedError, ValueError) as exc:  # ValueError: a cycle
                u_theirs, t_theirs = None, None
                print(f"  RePyability: {' '.join(str(exc).split())[:110]}")
        ours_text = "refused" if t_ours is None else f"{t_ours:.4f}s"
        theirs_text = "not run" if edges is None else "refused" if t_theirs is None else f"{t_theirs:.4f}s"
        ratio = digits = "-"
        if t_ours is not None and t_theirs is not None:
            ratio = f"{t_theirs / t_ours:.2f}x"
            gap = abs(u_ours - u_theirs) / u_theirs
            digits = ">16" if gap == 0 else f"{-math.log10(gap):.1f}"
        print(f"{label:<30} {ours_text:>10} {theirs_text:>12} {ratio:>8} {digits:>7}")
    print("ratio: RePyability's time over relcalc's (above 1: relcalc faster); digits: agreeing digits of U")
    print("undirected k = 8 between pods or edge switches: every exact method that carries which of the 16 core\n"
          "switches are joined so far (frontier search, decision diagram) meets up to Bell(16) = 1.0e10 patterns;\n"
          "up-down routing (the directed rows above) is what ECMP forwarding uses and is exact and fast")


def main() -> None:
    part_one(np.random.default_rng(2026))
    part_two()


if __name__ == "__main__":
    main()
