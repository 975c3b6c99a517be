"""Speed of exact block-diagram evaluation on large diagrams.

Run by hand: python benchmarks/compose.py

Targets (issue 3): a series-parallel diagram of 10,000 components < 0.2 s;
k-of-n with n = 10,000 distinct components < 0.2 s; 100 bridge networks in
series (500 components, shared within each bridge) < 1 s. Each case prints
its time with and without importance measures, and the ratio against a
baseline measured in the same run: the closed form written directly in numpy
for that one diagram shape (what a hand calculation would do), which knows
nothing of general diagrams or sharing.
"""

from __future__ import annotations


import numpy as np
from timing import best_of

from relcalc.rbd import Component, KofN, Parallel, Series, System, Use, evaluate
from relcalc.rbd.evaluate import k_of_n


def components(n: int, rng) -> dict[str, Component]:
    mtbf = rng.uniform(1e3, 1e5, n)
    mttr = rng.uniform(0.5, 24, n)
    return {f"c{i}": Component.from_times(f"c{i}", mtbf[i], mttr[i]) for i in range(n)}


def series_parallel(rng):
    parts = components(10_000, rng)
    names = list(parts)
    root = Series(tuple(Parallel((Use(names[i]), Use(names[i + 1]))) for i in range(0, len(names), 2)))
    u = np.array([c.unavailability for c in parts.values()])

    def baseline():
        return -np.expm1(np.sum(np.log1p(-(u[0::2] * u[1::2]))))

    return "series of 5,000 parallel pairs", System(parts, root), baseline, 0.2


def large_k_of_n(k: int):
    def make(rng):
        parts = components(10_000, rng)
        root = KofN(k, tuple(Use(n) for n in parts))
        a = np.array([c.availability for c in parts.values()])
        u = 1 - a

        def baseline():  # the same dynamic programme on bare arrays
            return k_of_n(a, u, k)

        return f"{k:,}-of-10,000 distinct", System(parts, root), baseline, 0.2

    return make


def bridges(rng):
    parts = components(500, rng)
    names = list(parts)
    blocks = []
    for b in range(100):
        a, bb, c, d, e = (Use(names[5 * b + i]) for i in range(5))
        blocks.append(Parallel((Series((a, d)), Series((bb, e)), Series((a, c, e)), Series((bb, c, d)))))
    u = np.array([c.unavailability for c in parts.values()]).reshape(100, 5)
    av = 1 - u

    def baseline():  # the pivot-on-c closed form of each bridge
        ua, ub, uc, ud, ue = u.T
        aa, ab, ac, ad, ae = av.T
        ub_ = uc * (1 - aa * ad) * (1 - ab * ae) + ac * (1 - (1 - ua * ub) * (1 - ud * ue))
        return -np.expm1(np.sum(np.log1p(-ub_)))

    return "100 bridges in series", System(parts, Series(tuple(blocks))), baseline, 1.0


def main() -> None:
    rng = np.random.default_rng(2026)
    print(f"{'case':<32} {'target':>7} {'exact':>9} {'+importance':>12} {'closed form':>12} {'ratio':>8}")
    for make in (series_parallel, large_k_of_n(9_990), large_k_of_n(5_000), bridges):
        label, system, baseline, target = make(rng)
        plain = best_of(lambda: evaluate(system, importance=False))
        full = best_of(lambda: evaluate(system))
        base = best_of(baseline)
        verdict = "met" if full <= target else "MISSED"
        print(f"{label:<32} {target:>6.1f}s {plain:>8.3f}s {full:>11.3f}s {base:>11.4f}s {full / base:>7.0f}x  {verdict}")


if __name__ == "__main__":
    main()
