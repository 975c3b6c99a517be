"""Importance sampling for highly reliable Markovian clusters.

The estimator is regenerative: cycles start and end in the all-up state, so

    U = E[time without quorum in a cycle] / E[cycle length]
    f = E[entries into the lost states in a cycle] / E[cycle length]
    MTTF = E[min(time to loss, cycle length)] / P(a cycle reaches a loss)

The numerators involve the rare event, so their cycles are simulated with
balanced failure biasing (Shahabuddin 1994): in every state with both
failure and repair transitions, a failure is chosen with probability
``bias`` (0.5 here) and, given that, each failure transition is equally likely
(balanced), whatever its rate; repairs share the rest in proportion to their
rates. Each jump multiplies the likelihood ratio by (true probability /
biased probability). Biasing stops at the first entry into the lost states,
and the rest of the cycle runs unbiased with the ratio frozen. The
denominators (cycle length, time to loss or return) are not rare and come from
separate unbiased cycles. Holding times are replaced by their means (1/q(x)),
which is unbiased for these expectations and removes their variance.

With balanced biasing the relative error stays bounded as failure rates
shrink (for balanced systems), so 1e-11 costs about what 1e-5 does.
Intervals use the delta method on the two independent samples. The variance
reduction is the crude per-cycle variance of the unavailability numerator
(estimated from the same biased cycles, as E[L X^2] - m^2) over the biased
one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from time import perf_counter  # a name in this module, so a test can stand in a clock

import numpy as np
from numba import njit

from ..results import Interval
from .ctmc import Chain

BIAS = 0.5
BATCH = 20_000  # cycles per batch; fixed so results depend on the seed only


@njit(cache=True)
def _biased_cycles(seed, cycles, pointer, target, rate, failure, out, rare, start, bias):
    """Sums over ``cycles`` biased cycles: [sum LX, sum (LX)^2, sum L X^2] for X = time in rare,
    hit and entries (9 numbers)."""
    np.random.seed(seed)
    sums = np.zeros(9)
    for _ in range(cycles):
        x = start
        ratio = 1.0
        biased = True
        hit = 0.0
        entries = 0.0
        rare_time = 0.0
        first = True
        while True:
            lo = pointer[x]
            hi = pointer[x + 1]
            total = out[x]
            fail_rate = 0.0
            fail_count = 0
            for e in range(lo, hi):
                if failure[e]:
                    fail_rate += rate[e]
                    fail_count += 1
            repair_rate = total - fail_rate
            u = np.random.random()
            chosen = hi - 1
            if biased and not first and fail_count > 0 and repair_rate > 0:
                if u < bias:  # a failure, each equally likely
                    pick = int(u / bias * fail_count)
                    if pick >= fail_count:
                        pick = fail_count - 1
                    for e in range(lo, hi):
                        if failure[e]:
                            if pick == 0:
                                chosen = e
                                break
                            pick -= 1
                    ratio *= (rate[chosen] / total) / (bias / fail_count)
                else:  # a repair, in proportion to its rate
                    r = (u - bias) / (1.0 - bias) * repair_rate
                    acc = 0.0
                    for e in range(lo, hi):
                        if not failure[e]:
                            acc += rate[e]
                            chosen = e
                            if r < acc:
                                break
                    ratio *= (rate[chosen] / total) / ((1.0 - bias) * rate[chosen] / repair_rate)
            else:
                r = u * total
                acc = 0.0
                for e in range(lo, hi):
                    acc += rate[e]
                    chosen = e
                    if r < acc:
                        break
            first = False
            y = target[chosen]
            if rare[y]:
                if not rare[x]:
                    entries += 1.0
                    if hit == 0.0:
                        hit = 1.0
                        biased = False
                rare_time += 1.0 / out[y]
            x = y
            if x == start:
                break
        for k, value in enumerate((rare_time, hit, entries)):
            lv = ratio * value
            sums[3 * k] += lv
            sums[3 * k + 1] += lv * lv
            sums[3 * k + 2] += ratio * value * value
    return sums


@njit(cache=True)
def _plain_cycles(seed, cycles, pointer, target, rate, out, rare, start):
    """Sums over unbiased cycles: [sum tau, sum tau^2, sum m, sum m^2] with m = min(time to rare, tau)."""
    np.random.seed(seed)
    sums = np.zeros(4)
    for _ in range(cycles):
        x = start
        tau = 0.0
        until = 0.0
        reached = False
        while True:
            hold = 1.0 / out[x]
            tau += hold
            if not reached:
                until += hold
            r = np.random.random() * out[x]
            acc = 0.0
            chosen = pointer[x + 1] - 1
            for e in range(pointer[x], pointer[x + 1]):
                acc += rate[e]
                chosen = e
                if r < acc:
                    break
            x = target[chosen]
            if rare[x]:
                reached = True
            if x == start:
                break
        sums[0] += tau
        sums[1] += tau * tau
        sums[2] += until
        sums[3] += until * until
    return sums


@dataclass(frozen=True)
class RareEstimate:
    """Importance-sampling estimates for one rare set, with 95% intervals (hours)."""

    share: Interval  # of time in the set
    entries_per_hour: Interval
    mean_time_to: Interval  # from all up (hours)
    variance_reduction: float
    cycles: int
    seconds: float
    stopped: str


def _ratio(num_mean, num_var, num_n, den_mean, den_var, den_n) -> Interval:
    """num/den with a delta-method interval; none when the denominator is empty."""
    if num_mean <= 0:
        return Interval(0.0, 0.0, 0.0)
    if den_mean <= 0:
        return Interval(None)
    value = num_mean / den_mean
    rel_var = num_var / (num_n * num_mean**2) + den_var / (den_n * den_mean**2)
    half = 1.959963984540054 * value * math.sqrt(max(rel_var, 0.0))
    return Interval(value, max(value - half, 0.0), value + half)


def _inverse_ratio(num_mean, num_var, num_n, den_mean, den_var, den_n) -> Interval:
    """MTTF = E[min(T, tau)] / P(hit): num from plain cycles, den from biased ones; infinite if no cycle hit."""
    if den_mean <= 0:
        return Interval(math.inf, math.inf, math.inf)
    return _ratio(num_mean, num_var, num_n, den_mean, den_var, den_n)


def estimate(chain: Chain, rare: np.ndarray, *, seed: int, target_rel_error: float = 0.05,
             max_seconds: float | None = 60.0, max_cycles: int = 50_000_000) -> RareEstimate:
    """Run batches of biased and unbiased cycles until the time share's interval is tight enough."""
    pointer, target, rate, failure = chain.csr()
    out = chain.generator()[1]
    rare = np.asarray(rare, dtype=np.bool_)
    if not rare.any() or rare[chain.start]:
        raise ValueError("the rare set must be reachable and exclude the all-up state")
    biased = np.zeros(9)
    plain = np.zeros(4)
    done = 0
    batch = 0
    begin = perf_counter()
    root = np.random.SeedSequence(seed)
    stopped = "cycles"
    while done < max_cycles:
        # each batch takes the next two children: the sequence depends on the seed only
        s1, s2 = (int(c.generate_state(1, np.uint32)[0]) for c in root.spawn(2))
        biased += _biased_cycles(s1, BATCH, pointer, target, rate, failure, out, rare, chain.start, BIAS)
        plain += _plain_cycles(s2, BATCH, pointer, target, rate, out, rare, chain.start)
        done += BATCH
        batch += 1
        share = _summary(biased, plain, done)[0]
        if batch >= 2 and share.value and (share.high - share.low) / 2 <= target_rel_error * share.value:
            stopped = "target"
            break
        if max_seconds is not None and perf_counter() - begin > max_seconds:
            stopped = "time"
            break
    share, entries, mttf, vr = _summary(biased, plain, done)
    return RareEstimate(share, entries, mttf, vr, done, perf_counter() - begin, stopped)


def _summary(biased: np.ndarray, plain: np.ndarray, n: int):
    def stats(total, squares):
        mean = total / n
        return mean, max(squares / n - mean**2, 0.0) * n / max(n - 1, 1)

    tau_mean, tau_var = stats(plain[0], plain[1])
    until_mean, until_var = stats(plain[2], plain[3])
    time_mean, time_var = stats(biased[0], biased[1])
    hit_mean, hit_var = stats(biased[3], biased[4])
    entry_mean, entry_var = stats(biased[6], biased[7])
    share = _ratio(time_mean, time_var, n, tau_mean, tau_var, n)
    entries = _ratio(entry_mean, entry_var, n, tau_mean, tau_var, n)
    mttf = _inverse_ratio(until_mean, until_var, n, hit_mean, hit_var, n)
    crude_var = biased[2] / n - time_mean**2
    vr = crude_var / time_var if time_var > 0 else math.inf
    return share, entries, mttf, vr


def warm_up() -> None:
    from .ctmc import build
    from .model import RaftModel

    chain = build(RaftModel(nodes=3))
    pointer, target, rate, failure = chain.csr()
    out = chain.generator()[1]
    _biased_cycles(1, 10, pointer, target, rate, failure, out, chain.lost, 0, BIAS)
    _plain_cycles(1, 10, pointer, target, rate, out, chain.lost, 0)
