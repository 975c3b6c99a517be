"""Importance sampling for highly reliable Markovian clusters.

The estimator is regenerative: cycles start and end in the all-up state, so

    U = E[time without quorum in a cycle] / E[cycle length]
    f = E[entries into the lost states in a cycle] / E[cycle length]
    MTTF = E[min(time to loss, cycle length)] / P(a cycle reaches a loss)

The numerators involve the rare event, so their cycles are simulated with
balanced failure biasing (Shahabuddin 1994): in every state with a failure
transition, each failure transition is equally likely whatever its rate, and
a failure is chosen with probability ``bias`` (0.5 here) where repairs are
possible too (with probability 1 where they are not, as in the all-up state);
repairs share the rest in proportion to their rates. Each jump multiplies the
likelihood ratio by (true probability / biased probability). Biasing stops at
the first entry into the rare set, and the rest of the cycle runs unbiased
with the ratio frozen. The denominators (cycle length, time to loss or
return) are not rare and come from separate unbiased cycles. Holding times
are replaced by their means (1/q(x)), which is unbiased for these
expectations and removes their variance.

The all-up state is biased too. Left at its true probabilities, a rare
first step (a common-cause shock, a failure that destroys data) keeps its
true chance, about 1e-3, while every later step is made likely: the cycles
that take it carry a likelihood ratio near 1 against about 1e-3 for the
rest, and the estimator becomes a crude count of a few dozen such cycles
(a per-cycle relative variance of 500 for 1% common cause, 1,400 for data
loss with 5% permanent failures, against 1 and 150 with the first step
balanced). Intervals then missed on one side three to four times as often as
on the other (over 1,000 seeds, 42 against 11 for the MTTF with common cause,
51 against 12 for the unavailability with permanent failures).

The run has two stages. A pilot (at least two batches, until it has seen
50 cycles reach the rare set) measures each figure's per-cycle variance and
plans the number of cycles that meets ``target_rel_error`` for all of them,
with a margin; the main stage then runs that many fresh cycles and the
figures come from the main stage alone. Stopping as soon as an interval
looked narrow enough made the number of cycles depend on the sample's own
variance estimate, which is small exactly when the sample missed its rare,
large terms: those intervals were too narrow. Should the main stage still
fall short, it is extended (rare).

Intervals: the delta method on the two independent samples for U and f.
The MTTF is the inverse of a rate (P(hit) / E[min(T, tau)]): its interval
inverts the rate's delta interval, which is asymmetric as the inverse is,
rather than a symmetric interval around the inverse (that one missed low
more often than high). The variance reduction is the crude per-cycle
variance of the unavailability numerator (estimated from the same biased
cycles, as E[L X^2] - m^2) over the biased one.

References: P. Shahabuddin, "Importance sampling for the simulation of highly
reliable Markovian systems", Management Science 40 (1994) 333-352;
P. W. Glynn, D. L. Iglehart, "Importance sampling for stochastic
simulations", Management Science 35 (1989) 1367-1392 (the regenerative
ratio estimator and its delta-method interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from time import perf_counter  # a name in this module, so a test can stand in a clock

import numpy as np
from numba import njit

from ..errors import InputError
from ..results import Interval
from .ctmc import Chain

BIAS = 0.5
BATCH = 20_000  # cycles per batch; fixed so results depend on the seed only
PILOT_HITS = 50  # cycles reaching the rare set before the pilot's variances are trusted for planning
MARGIN = 1.25  # the main stage plans this many times the cycles the pilot's variances ask for
Z95 = 1.959963984540054
#: the sums a batch of biased cycles returns: sum LX, sum (LX)^2, sum L X^2 for X = time in the rare set,
#: hit and entries, then the count of cycles that reached the rare set
N_BIASED = 10
#: Transitions per second assumed until a batch has measured the speed (a slow machine's figure,
#: so a first batch does not overrun --max-time by much), and the most one batch may take
#: (some seconds of work; a usual batch takes a thousandth of it) when there is no --max-time.
STEPS_PER_SECOND = 5e6
MAX_BATCH_STEPS = 2e8
#: A batch may always take this many (a fraction of a second; a usual batch needs 1e5), so a run
#: whose time is nearly out still finishes the batch it started.
MIN_BATCH_STEPS = 2e7


@njit(cache=True)
def _biased_cycles(rng, cycles, pointer, target, rate, failure, out, rare, start, bias, max_steps):
    """Sums over ``cycles`` biased cycles (see :data:`N_BIASED`) and the transitions taken.

    Stops after ``max_steps`` transitions (the count returned is then -1): a
    chain that almost never returns to all up has cycles of any length.
    """
    sums = np.zeros(N_BIASED)
    steps = 0
    for _ in range(cycles):
        x = start
        ratio = 1.0
        biased = True
        hit = 0.0
        entries = 0.0
        rare_time = 0.0
        while True:
            steps += 1
            if steps > max_steps:
                return sums, -1
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
            u = rng.random()
            chosen = hi - 1
            if biased and fail_count > 0:
                p_fail = bias if repair_rate > 0 else 1.0
                if u < p_fail:  # a failure, each equally likely
                    pick = int(u / p_fail * fail_count)
                    if pick >= fail_count:
                        pick = fail_count - 1
                    for e in range(lo, hi):
                        if failure[e]:
                            if pick == 0:
                                chosen = e
                                break
                            pick -= 1
                    ratio *= (rate[chosen] / total) / (p_fail / fail_count)
                else:  # a repair, in proportion to its rate
                    r = (u - p_fail) / (1.0 - p_fail) * repair_rate
                    acc = 0.0
                    for e in range(lo, hi):
                        if not failure[e]:
                            acc += rate[e]
                            chosen = e
                            if r < acc:
                                break
                    ratio *= repair_rate / (total * (1.0 - p_fail))
            else:
                r = u * total
                acc = 0.0
                for e in range(lo, hi):
                    acc += rate[e]
                    chosen = e
                    if r < acc:
                        break
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
        sums[9] += hit
    return sums, steps


@njit(cache=True)
def _plain_cycles(rng, cycles, pointer, target, rate, out, rare, start, max_steps):
    """Sums over unbiased cycles: [sum tau, sum tau^2, sum m, sum m^2] with m = min(time to rare, tau),
    and the transitions taken (-1 once over ``max_steps``)."""
    sums = np.zeros(4)
    steps = 0
    for _ in range(cycles):
        x = start
        tau = 0.0
        until = 0.0
        reached = False
        while True:
            steps += 1
            if steps > max_steps:
                return sums, -1
            hold = 1.0 / out[x]
            tau += hold
            if not reached:
                until += hold
            r = rng.random() * out[x]
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
    return sums, steps


@dataclass(frozen=True)
class RareEstimate:
    """Importance-sampling estimates for one rare set, with 95% intervals (hours).

    ``cycles`` are the main stage's, from which every figure comes;
    ``pilot_cycles`` only planned it.
    """

    share: Interval  # of time in the set
    entries_per_hour: Interval
    mean_time_to: Interval  # from all up (hours)
    variance_reduction: float
    cycles: int
    seconds: float
    stopped: str  # "target", "time" or "cycles"
    pilot_cycles: int = 0


@dataclass
class _Sums:
    """Running sums of biased and plain cycles (the same number of each)."""

    biased: np.ndarray
    plain: np.ndarray
    cycles: int = 0

    @classmethod
    def empty(cls) -> "_Sums":
        return cls(np.zeros(N_BIASED), np.zeros(4))

    def moments(self, total: float, squares: float) -> tuple[float, float]:
        """Mean and per-cycle variance of one quantity."""
        n = self.cycles
        mean = total / n
        return mean, max(squares / n - mean**2, 0.0) * n / max(n - 1, 1)

    def relative_variances(self) -> list[float]:
        """Per-cycle relative variance of each figure's ratio (share, entries, hit rate); inf without hits."""
        tau = self.moments(self.plain[0], self.plain[1])
        until = self.moments(self.plain[2], self.plain[3])
        out = []
        for numerator, denominator in ((0, tau), (6, tau), (3, until)):
            mean, var = self.moments(self.biased[numerator], self.biased[numerator + 1])
            out.append(math.inf if mean <= 0 else var / mean**2 + denominator[1] / denominator[0] ** 2)
        return out


def _ratio(num_mean, num_var, den_mean, den_var, n) -> Interval:
    """num/den from two independent samples of ``n`` cycles, with a delta-method interval."""
    if num_mean <= 0:
        return Interval(0.0, 0.0, 0.0, "delta")
    if den_mean <= 0:
        return Interval(None)
    value = num_mean / den_mean
    half = Z95 * value * math.sqrt(max(num_var / num_mean**2 + den_var / den_mean**2, 0.0) / n)
    return Interval(value, max(value - half, 0.0), value + half, "delta")


def _inverse_ratio(until_mean, until_var, hit_mean, hit_var, n) -> Interval:
    """MTTF = E[min(T, tau)] / P(hit): the inverse of the rate P(hit) / E[min(T, tau)] and of its interval."""
    if hit_mean <= 0:
        return Interval(math.inf, math.inf, math.inf, "delta-inverse")
    rate = _ratio(hit_mean, hit_var, until_mean, until_var, n)
    return Interval(1.0 / rate.value, 1.0 / rate.high, 1.0 / rate.low if rate.low > 0 else math.inf, "delta-inverse")


def _summary(sums: _Sums):
    n = sums.cycles
    tau_mean, tau_var = sums.moments(sums.plain[0], sums.plain[1])
    until_mean, until_var = sums.moments(sums.plain[2], sums.plain[3])
    time_mean, time_var = sums.moments(sums.biased[0], sums.biased[1])
    hit_mean, hit_var = sums.moments(sums.biased[3], sums.biased[4])
    entry_mean, entry_var = sums.moments(sums.biased[6], sums.biased[7])
    share = _ratio(time_mean, time_var, tau_mean, tau_var, n)
    entries = _ratio(entry_mean, entry_var, tau_mean, tau_var, n)
    mttf = _inverse_ratio(until_mean, until_var, hit_mean, hit_var, n)
    crude_var = sums.biased[2] / n - time_mean**2
    vr = crude_var / time_var if time_var > 0 else math.inf
    return share, entries, mttf, vr


def planned_cycles(relative_variances: list[float], target_rel_error: float, batch: int = BATCH) -> int:
    """Cycles for every 95% half-width to be within ``target_rel_error``: (z/target)^2 x the largest
    per-cycle relative variance, with :data:`MARGIN`, in whole batches, at least two."""
    worst = max(relative_variances)
    need = MARGIN * (Z95 / target_rel_error) ** 2 * worst
    return batch * max(2, math.ceil(need / batch))


def estimate(chain: Chain, rare: np.ndarray, *, seed: int, target_rel_error: float = 0.05,
             max_seconds: float | None = 60.0, max_cycles: int = 50_000_000, batch: int = BATCH) -> RareEstimate:
    """A pilot plans the cycles that reach ``target_rel_error``; a fresh main stage of that many gives the figures.

    ``max_seconds`` and ``max_cycles`` bound the whole run; when either runs
    out before the main stage starts, the pilot's figures are reported.
    """
    pointer, target, rate, failure = chain.csr()
    out = chain.generator()[1]
    rare = np.asarray(rare, dtype=np.bool_)
    if not rare.any() or rare[chain.start]:
        raise ValueError("the rare set must be reachable and exclude the all-up state")
    begin = perf_counter()
    root = np.random.SeedSequence(seed)

    speed = {"steps": 0, "seconds": 0.0}

    def step_budget() -> float:
        """Transitions a batch may take: what the time left allows at the speed seen so far."""
        if max_seconds is None:
            return MAX_BATCH_STEPS
        per_second = speed["steps"] / speed["seconds"] if speed["steps"] > 10_000 else STEPS_PER_SECOND
        left = max(max_seconds - (perf_counter() - begin), 0.0)
        return min(MAX_BATCH_STEPS, max(left * per_second, MIN_BATCH_STEPS))

    def add_batch(sums: _Sums) -> bool:
        """One batch into ``sums``; False (``sums`` untouched) if it would overrun the time or step budget."""
        # each batch takes the next two children: the sequence depends on the seed only
        s1, s2 = (np.random.Generator(np.random.PCG64(c)) for c in root.spawn(2))
        budget = int(step_budget())
        started = perf_counter()
        biased, used_biased = _biased_cycles(s1, batch, pointer, target, rate, failure, out, rare, chain.start, BIAS,
                                             budget)
        if used_biased < 0:
            return False
        plain, used_plain = _plain_cycles(s2, batch, pointer, target, rate, out, rare, chain.start,
                                          max(budget - used_biased, 0))
        if used_plain < 0:
            return False
        speed["steps"] += used_biased + used_plain
        speed["seconds"] += perf_counter() - started
        sums.biased += biased
        sums.plain += plain
        sums.cycles += batch
        return True

    def out_of(used: int) -> str | None:
        if max_seconds is not None and perf_counter() - begin > max_seconds:
            return "time"
        return "cycles" if used >= max_cycles else None

    pilot = _Sums.empty()
    stopped = None
    while stopped is None and (pilot.cycles < 2 * batch or pilot.biased[9] < PILOT_HITS):
        if not add_batch(pilot):
            stopped = "time"
            break
        stopped = out_of(pilot.cycles)
    if pilot.cycles == 0:
        limit = (f"--max-time {max_seconds:g}s" if max_seconds is not None and step_budget() < MAX_BATCH_STEPS
                 else f"{MAX_BATCH_STEPS:.0e} transitions")
        raise InputError(
            f"importance sampling: not one batch of {batch:,} regeneration cycles fits in {limit} (the chain "
            "almost never returns to all nodes up: repairs far slower than failures?); use --method exact"
        )
    if stopped is not None:
        share, entries, mttf, vr = _summary(pilot)
        return RareEstimate(share, entries, mttf, vr, pilot.cycles, perf_counter() - begin, stopped, 0)
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is what is checked
        pilot_variances = pilot.relative_variances()
    if not all(math.isfinite(v) for v in pilot_variances):
        # cycle times whose squares overflow (or no variance at all): nothing to plan from
        raise InputError("importance sampling: the chain's times are too far apart to estimate (an MTBF or MTTR "
                         "near 1e300 hours?); check the units, or use --method exact")
    main = _Sums.empty()
    known = pilot
    while stopped is None:
        goal = planned_cycles(known.relative_variances(), target_rel_error, batch)
        if main.cycles:
            goal = max(goal, main.cycles + batch)
        while main.cycles < goal and stopped is None:
            if not add_batch(main):
                stopped = "time"
                break
            stopped = out_of(pilot.cycles + main.cycles)
        if not main.cycles:  # the time ran out before the main stage's first batch: the pilot's figures
            share, entries, mttf, vr = _summary(pilot)
            return RareEstimate(share, entries, mttf, vr, pilot.cycles, perf_counter() - begin, stopped, 0)
        figures = _summary(main)
        if all(f.half_width_ratio() <= target_rel_error for f in figures[:3]):
            stopped = "target"
        # short of the target (the pilot's variances were low): plan again from everything seen
        known = _Sums(pilot.biased + main.biased, pilot.plain + main.plain, pilot.cycles + main.cycles)
    share, entries, mttf, vr = _summary(main)
    return RareEstimate(share, entries, mttf, vr, main.cycles, perf_counter() - begin, stopped, pilot.cycles)


def warm_up() -> None:
    from .ctmc import build
    from .model import RaftModel

    chain = build(RaftModel(nodes=3))
    pointer, target, rate, failure = chain.csr()
    out = chain.generator()[1]
    rng = np.random.default_rng(1)
    _biased_cycles(rng, 10, pointer, target, rate, failure, out, chain.lost, 0, BIAS, int(MAX_BATCH_STEPS))
    _plain_cycles(rng, 10, pointer, target, rate, out, chain.lost, 0, int(MAX_BATCH_STEPS))
