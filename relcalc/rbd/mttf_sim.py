"""Simulated mean time to the first system failure with repair, where the exact chain is too large.

Notes
-----
The same model as the exact chain of :mod:`relcalc.rbd.mttf`, run as events:

- a component instance outside any group alternates exponential up times
  (rate lambda) and repairs by its own crew (rate mu);
- a repair group's members fail at their own rates; a failed member joins
  the group's queue, and the first ``crews`` members of the queue are under
  repair at their own rates, the rest wait in order of failure (FIFO), as in
  :func:`relcalc.rbd.repair.group_chain`;
- a standby block moves between its numbers of failed units with the rates
  of :func:`relcalc.rbd.standby.standby_rates` (active and dormant failures,
  failed switch-overs, repairs by its crews): the very chain the exact
  solution and the steady state use.

Every holding time is exponential, so the next event is drawn as in
Gillespie's method: the time from the total rate, the event with probability
proportional to its rate. The diagram is checked after each failure (a
repair cannot take it down); the run ends at the first system failure. Each
run draws from its own stream (``SeedSequence(seed).spawn``), so the figures
for a seed do not depend on how the runs are split. The interval is the
normal one on the runs' mean (the first failure times are independent).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError


class _Events:
    """The diagram's event slots (each with its current rate) and what firing each one does."""

    def __init__(self, system, compiled, standby_blocks):
        from .standby import standby_rates

        self.system, self.compiled = system, compiled
        n_units = len(compiled.units)
        self.fixed_all_up = dict.fromkeys(range(n_units), 1)
        by_component: dict[str, list[int]] = {}
        for var, unit in enumerate(compiled.units):
            by_component.setdefault(unit.component, []).append(var)
        slots = []  # ("own", var, lam, mu) | ("member", group, var, lam, mu) | ("standby", block)
        grouped = set()
        self.groups = []  # per group: crews
        for group in system.repair:
            members = [v for name in group.members for v in by_component.get(name, [])]
            if not members:
                continue
            index = len(self.groups)
            self.groups.append(group.crews)
            for v in members:
                comp = system.components[compiled.units[v].component]
                slots.append(("member", index, v, comp.failure_rate, comp.repair_rate))
            grouped.update(members)
        self.standbys = []  # (var, rate matrix, last up state)
        for var, unit in enumerate(compiled.units):
            if var in grouped:
                continue
            comp = system.components[unit.component]
            block = standby_blocks.get(unit.name)
            if comp.failure_rate is None:
                raise InputError(f"--mttf-with-repair: {comp.name!r} has only an availability; the chain needs "
                                 "MTBF and MTTR")
            if block is not None:
                q = standby_rates(comp.count, block.active, comp.failure_rate, comp.repair_rate,
                                  block.dormant_factor, block.switch, block.crews)
                self.standbys.append((var, q, comp.count - block.active))
            else:
                slots.append(("own", var, comp.failure_rate, comp.repair_rate))
        self.slots = slots
        # standby blocks take three slots each: one failure step, two failures (a failed switch-over), a repair
        self.size = len(slots) + 3 * len(self.standbys)

    def run(self, rng, units, budget: list) -> float:
        """One first failure time from all up; ``budget`` is [events left] shared by the runs."""
        from bisect import bisect_right
        from itertools import accumulate

        slots = self.slots
        k = len(slots)
        rates = [slot[-2] for slot in slots] + [0.0] * (3 * len(self.standbys))  # all up: failure rates
        queues = [[] for _ in self.groups]  # failed members of each group in order of failure (slot indices)
        standby_state = [0] * len(self.standbys)
        for b, (_, q, _) in enumerate(self.standbys):
            self._standby_rates(rates, k + 3 * b, q, 0)
        fixed = dict(self.fixed_all_up)
        now = 0.0
        uniforms, used = rng.random(1024), 0
        while True:
            budget[0] -= 1
            if budget[0] < 0:
                raise _OverBudget
            if used == 1024:
                uniforms, used = rng.random(1024), 0
            cumulative = list(accumulate(rates))
            total = cumulative[-1]
            now -= math.log1p(-uniforms[used]) / total  # an exponential holding time at the total rate
            chosen = min(bisect_right(cumulative, uniforms[used + 1] * total), len(rates) - 1)
            used += 2
            while rates[chosen] == 0.0:  # rounding at the end of the cumulative sum
                chosen -= 1
            failed = False
            if chosen < k:
                slot = slots[chosen]
                if slot[0] == "own":
                    var = slot[1]
                    if fixed[var]:
                        fixed[var], rates[chosen], failed = 0, slot[3], True
                    else:
                        fixed[var], rates[chosen] = 1, slot[2]
                else:
                    _, group, var, lam, mu = slot
                    queue = queues[group]
                    crews = self.groups[group]
                    if fixed[var]:  # a failure: into the queue, under repair at once if a crew is free
                        fixed[var], failed = 0, True
                        queue.append(chosen)
                        rates[chosen] = mu if len(queue) <= crews else 0.0
                    else:  # a repair: the next member waiting (if any) is taken up
                        fixed[var] = 1
                        rates[chosen] = lam
                        queue.remove(chosen)
                        if len(queue) >= crews:
                            waiting = queue[crews - 1]
                            rates[waiting] = slots[waiting][4]
            else:
                b, step = divmod(chosen - k, 3)
                var, q, last_up = self.standbys[b]
                j = standby_state[b]
                target = j + 1 if step == 0 else j + 2 if step == 1 else j - 1
                standby_state[b] = target
                self._standby_rates(rates, k + 3 * b, q, target)
                fixed[var] = int(target <= last_up)
                failed = target > j
            if failed and not _is_up(self.compiled.root, fixed, units):
                return now

    @staticmethod
    def _standby_rates(rates, at: int, q, j: int) -> None:
        n = len(q) - 1
        rates[at] = float(q[j, j + 1]) if j + 1 <= n else 0.0
        rates[at + 1] = float(q[j, j + 2]) if j + 2 <= n else 0.0
        rates[at + 2] = float(q[j, j - 1]) if j >= 1 else 0.0


class _OverBudget(Exception):
    pass


def _is_up(node, fixed: dict, units) -> bool:
    """The structure function with every variable fixed: series all, parallel any, k-of-n at least k up.

    A plain boolean walk, far cheaper than the probability evaluator; a
    network block is handed to that evaluator (its result is then 0 or 1).
    """
    from .evaluate import AND, KOFN, OR, VAR, _evaluate

    kind = node.kind
    if kind == VAR:
        return fixed[node.var] == 1
    if kind == AND:
        return all(_is_up(child, fixed, units) for child in node.children)
    if kind == OR:
        return any(_is_up(child, fixed, units) for child in node.children)
    if kind == KOFN:
        needed, left = node.k, len(node.children)
        for child in node.children:
            if _is_up(child, fixed, units):
                needed -= 1
                if needed <= 0:
                    return True
            left -= 1
            if left < needed:
                return False
        return needed <= 0
    return _evaluate(node, units, fixed, False)[0] >= 0.5


def simulate_first_failures(system, compiled, units, standby_blocks, seed: int, runs: int, max_events: int):
    """(mean, low, high) of the first failure time from all up by ``runs`` simulated histories."""
    events = _Events(system, compiled, standby_blocks)
    budget = [max_events * 20 // max(events.size, 20)]  # each event costs O(slots): a budget of work
    first = budget[0]
    expected = _expected_events(system, runs)
    if expected > 3 * first:  # refused at once rather than after the budget's seconds of work
        raise InputError(
            f"--mttf-with-repair: the simulation would need about {_count(expected)} failures and repairs for {runs:,} "
            f"first failures (over {first:,} are not drawn); the diagram is too reliable (or too large) to simulate here"
        )
    streams = np.random.SeedSequence(seed).spawn(runs)
    times = np.empty(runs)
    for i, stream in enumerate(streams):
        try:
            times[i] = events.run(np.random.default_rng(stream), units, budget)
        except _OverBudget:
            raise InputError(
                f"--mttf-with-repair: the simulation needed over {first:,} failures and repairs for {i:,} first "
                "failures; the diagram is too reliable (or too large) to simulate here"
            ) from None
    mean = float(times.mean())
    half = 1.96 * float(times.std(ddof=1)) / math.sqrt(runs)
    return mean, mean - half, mean + half


def _expected_events(system, runs: int) -> float:
    """About how many events ``runs`` first failures take: runs x (events per hour) / (system failures per hour).

    The system's steady failure frequency f gives MTTF ~ 1/f for an available
    system (the parallel pair's 1/f is 51,000 h against its 51,500 h); each
    instance has about 2 lambda mu / (lambda + mu) failures and repairs an
    hour. Only a guide for refusing early (the budget is what bounds the work);
    0 where the steady state cannot say.
    """
    from .evaluate import evaluate

    try:
        f = evaluate(system, importance=False).failure_frequency_per_hour
    except InputError:
        return 0.0
    if not f:
        return 0.0
    per_hour = math.fsum(2 * c.count * c.failure_rate * c.repair_rate / (c.failure_rate + c.repair_rate)
                         for c in system.components.values() if c.failure_rate is not None)
    return runs * per_hour / f


def _count(value: float) -> str:
    """A count for people: digits grouped up to a trillion, then as 2.1e+54."""
    return f"{value:,.0f}" if value < 1e12 else f"{value:.2g}"
