"""Speed of repair groups (shared crews): graded product form and truncated chains.

Run by hand: python benchmarks/repair_groups.py

The baseline, measured in the same run, is what relcalc did before for a
group with one repair rate: the diagram evaluated on each of the 2^n failed
sets, weighted by the product form. It is written out here (the evaluator's
own pass per set) for n = 12 and 14 and set against the graded evaluation
of the same spec; then the graded evaluation alone at 20 and 64 members, and
groups with several repair rates (the truncated chain) at 12 and 20 members,
with the depth and the bounds they reached. CPU seconds (time.process_time)
as well as wall seconds, the machine being shared.
"""

from __future__ import annotations

import itertools
import math
import time

from relcalc.rbd import evaluate, load_spec_text, system_from_mapping


def pairs_spec(n: int, one_rate: bool) -> str:
    mttr = lambda i: 6 if one_rate else 2 + i % 4  # noqa: E731
    return ("components:\n" + "".join(f"  c{i}: {{mtbf: {1000 + 37 * i}h, mttr: {mttr(i)}h}}\n" for i in range(n))
            + "  w: {mtbf: 9000h, mttr: 1h, count: 20}\n"
            + "system: {series: [w, " + ", ".join(f"{{parallel: [c{2 * i}, c{2 * i + 1}]}}" for i in range(n // 2))
            + "]}\nrepair: [{of: [" + ", ".join(f"c{i}" for i in range(n)) + "], crews: 1}]\n")


def by_sets(system) -> float:
    """U by the 2^n failed sets of the group (the former method), the diagram's own pass per set."""
    from relcalc.rbd.evaluate import _evaluate, _Units, compile_system

    compiled = compile_system(system)
    units = _Units.of(compiled)
    group = system.repair[0]
    members = [v for v, u in enumerate(compiled.units) if u.component in group.members]
    comps = [system.components[compiled.units[v].component] for v in members]
    mu = comps[0].repair_rate
    total = weight_sum = 0.0
    for k in range(len(members) + 1):
        scale = math.factorial(k) / math.prod(mu * min(j, group.crews) for j in range(1, k + 1))
        for chosen in itertools.combinations(range(len(members)), k):
            w = scale * math.prod(comps[i].failure_rate for i in chosen)
            down = {members[i] for i in chosen}
            u = _evaluate(compiled.root, units, {v: 0 if v in down else 1 for v in members}, False)[1]
            total += w * u
            weight_sum += w
    return total / weight_sum


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    print("one repair rate: graded evaluation against the 2^n sets (U only for the sets; every figure graded)")
    for n in (12, 14):
        system = system_from_mapping(load_spec_text(pairs_spec(n, True)))
        u_sets, wall_sets, cpu_sets = timed(lambda: by_sets(system))
        result, wall, cpu = timed(lambda: evaluate(system))
        digits = -math.log10(abs(result.unavailability / u_sets - 1) or 1e-17)
        print(f"  n = {n}: sets {cpu_sets:.2f} s CPU ({wall_sets:.2f} wall), graded {cpu:.3f} s CPU ({wall:.3f} wall), "
              f"{cpu_sets / cpu:.0f}x; U agrees to {digits:.1f} digits")
    for n in (20, 64):
        _, wall, cpu = timed(lambda: evaluate(system_from_mapping(load_spec_text(pairs_spec(n, True)))))
        print(f"  n = {n}: graded {cpu:.3f} s CPU ({wall:.3f} wall)")
    print("several repair rates: the chain truncated at a depth, U bounded")
    for n in (12, 20):
        result, wall, cpu = timed(lambda: evaluate(system_from_mapping(load_spec_text(pairs_spec(n, False)))))
        print(f"  n = {n}: {cpu:.2f} s CPU ({wall:.2f} wall); U {result.unavailability:.6g} in "
              f"[{result.unavailability_low:.6g}, {result.unavailability_high:.6g}]; {result.repair_chain}")


if __name__ == "__main__":
    main()
