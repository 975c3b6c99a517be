"""Speed of carrying parameter uncertainty through a block diagram (relcalc.uncertainty).

Run by hand: python benchmarks/uncertainty.py

Target (issue 20): 10,000 draws of a 50-component diagram in under a second.
The diagram: a load balancer pair, then 12 services in series, each a
2-of-3 of its own instances in parallel with nothing shared, plus a bridge
of five components (shared components, so a Shannon expansion), 50
components in all, every one estimated from data. The baseline, measured in
the same run, is the scalar exact evaluator (relcalc.rbd.evaluate) called
once per draw, on 200 draws and scaled to 10,000: what one would write
without a vectorised evaluator.
"""

from __future__ import annotations

import math
import time

import numpy as np
from timing import best_of

from relcalc.estimate import RatePosterior
from relcalc.rbd import Component, KofN, Parallel, Series, System, Use, evaluate
from relcalc.uncertainty import propagate, system_samples

DRAWS = 10_000


def diagram(rng) -> tuple[System, dict]:
    comps, posts = {}, {}

    def add(name, count=1):
        failures = int(rng.integers(0, 12))
        up = float(rng.uniform(5_000, 20_000))
        repairs = tuple(float(x) for x in rng.lognormal(1.0, 0.7, size=max(failures, 3)))
        mtbf = up / failures if failures else up / math.log(2)  # as relcalc.estimate.posterior does
        mttr = float(np.mean(repairs))
        posts[name] = RatePosterior(name, failures, up, "lognormal", repairs, mtbf, mttr)
        comps[name] = Component.from_times(name, mtbf, mttr, count=count)
        return Use(name)

    blocks = [Parallel((add("lb1"), add("lb2")))]
    for i in range(14):
        blocks.append(KofN(2, (add(f"s{i}a"), add(f"s{i}b"), add(f"s{i}c"))))
    a, b, c, d, e = (add(x) for x in ("ba", "bb", "bc", "bd", "be"))
    blocks.append(Parallel((Series((a, d)), Series((b, e)), Series((a, c, e)), Series((b, c, d)))))
    blocks.append(add("dns"))
    return System(comps, Series(tuple(blocks))), posts


def main() -> None:
    rng = np.random.default_rng(1)
    system, posts = diagram(rng)
    print(f"diagram: {len(system.components)} components, all estimated; {DRAWS:,} draws")
    fast = best_of(lambda: propagate(system, posts, samples=DRAWS, seed=1), repeats=3)

    draws = {n: p.sample(200, np.random.default_rng(i)) for i, (n, p) in enumerate(posts.items())}

    def baseline():
        for i in range(200):
            changed = system
            for name, (lam, mu) in draws.items():
                # a drawn rate of 0 (a component that never failed) as a very long MTBF for the scalar evaluator
                changed = changed.with_component(Component.from_times(name, 1 / max(lam[i], 1e-12), 1 / mu[i]))
            evaluate(changed, importance=False)

    start = time.perf_counter()
    baseline()
    slow = (time.perf_counter() - start) * DRAWS / 200
    evaluator = best_of(lambda: system_samples(system, draws, 200), repeats=3)
    print(f"propagate (draws, exact evaluation, intervals, shares): {fast:.3f} s  (target < 1 s)")
    print(f"baseline, scalar evaluator per draw (200 draws, scaled): {slow:.2f} s  -> {slow / fast:.0f}x")
    print(f"vectorised evaluator alone on the same 200 draws: {evaluator * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
