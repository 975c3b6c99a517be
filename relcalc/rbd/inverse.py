"""Inverse questions on a diagram: the largest MTTR, the smallest redundancy."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, excerpt
from .evaluate import evaluate
from .model import System, TooFewInstances, TooManyInstances

MAX_COUNT = 1000


@dataclass(frozen=True)
class Solution:
    """``value`` is None when no value reaches the target, inf when every value does."""

    RECORD_PROPERTIES = ("reachable",)

    solve: str  #: what was solved for: "mttr_hours" or "count"
    components: tuple[str, ...]
    value: float | int | None  #: hours for "mttr_hours", a whole number for "count"
    unavailability_at_value: float | None

    @property
    def reachable(self) -> bool:
        return self.value is not None


def _unavailability(system: System) -> float:
    return evaluate(system, importance=False).unavailability


def _with_mttr(system: System, names, mttr: float) -> System:
    for name in names:
        system = system.with_component(system.components[name].with_mttr(mttr))
    return system


def largest_mttr(system: System, names: list[str] | str, target_unavailability: float) -> Solution:
    """The largest MTTR, common to ``names`` (or ``"all"`` repairable components), meeting the target.

    System unavailability grows with every component's MTTR, so the answer is
    found by bisection on log(MTTR) to a relative precision of 1e-9.
    """
    if names == "all":
        names = [n for n, c in system.components.items() if c.failure_rate is not None]
    for name in names:
        if name not in system.components:
            raise InputError(f"--solve-mttr: unknown component {excerpt(name)}")
        if system.components[name].failure_rate is None:
            raise InputError(f"--solve-mttr: {excerpt(name)} has only an availability, no MTTR")
    if not names:
        raise InputError("--solve-mttr: no component has an MTTR")
    low, high = 1e-9, 1e9  # hours
    if _unavailability(_with_mttr(system, names, low)) > target_unavailability:
        return Solution("mttr_hours", tuple(names), None, None)
    if _unavailability(_with_mttr(system, names, high)) <= target_unavailability:
        return Solution("mttr_hours", tuple(names), math.inf, None)
    lo, hi = math.log(low), math.log(high)
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        if _unavailability(_with_mttr(system, names, math.exp(mid))) <= target_unavailability:
            lo = mid
        else:
            hi = mid
    best = math.exp(lo)
    return Solution("mttr_hours", tuple(names), best, _unavailability(_with_mttr(system, names, best)))


#: Cases of the exact (Shannon) expansion one trial of --solve-count may cost; a few seconds of work
MAX_TRIAL_CASES = 1 << 21


def expansion_cases(system: System) -> int:
    """An upper bound on the conditioned sub-evaluations an exact evaluation of ``system`` costs.

    A block whose children share ``s`` variables is evaluated once per
    assignment of them (2^s times), each time evaluating all its children.
    """
    from .evaluate import compile_system

    def cost(node) -> int:
        below = sum(cost(child) for child in node.children) or 1
        return (1 << min(len(node.shared), 62)) * below

    return cost(compile_system(system).root)


def smallest_count(system: System, name: str, target_unavailability: float) -> Solution:
    """The smallest number of instances of ``name`` meeting the target (k of k-of-n blocks kept).

    Counts are tried upwards; where ``name`` is shared between branches each
    instance doubles the exact evaluation's work, so the search stops (no
    answer) once one trial would cost more than :data:`MAX_TRIAL_CASES` cases.
    It also stops (no answer) once one more instance does not lower the
    unavailability: the name is used in series, so more instances only hurt.
    Only the errors of a count too small for a block are skipped; any other
    error in the spec is the user's to see, not an "unreachable" target.
    """
    from dataclasses import replace

    if name not in system.components:
        raise InputError(f"--solve-count: unknown component {excerpt(name)}")
    component = system.components[name]
    pinned = _instances_named(system.root, name)
    if pinned:  # a network names its instances one by one (border#2): they are wired, not a count to vary
        raise InputError(f"--solve-count: the instances of {excerpt(name)} are named one by one in a network "
                         f"({excerpt(pinned)}), so its count cannot be varied; change the network instead")
    previous = math.inf
    for count in range(1, MAX_COUNT + 1):
        trial = system.with_component(replace(component, count=count))
        try:
            trial.validate()
        except TooFewInstances:
            continue  # fewer instances than a k-of-n's k or a standby's active units: try more
        except TooManyInstances:
            break  # a limit of the model: no larger count can be evaluated
        if expansion_cases(trial) > MAX_TRIAL_CASES:
            raise InputError(
                f"--solve-count: {count} instances of {excerpt(name)} would need over {MAX_TRIAL_CASES:,} cases of exact "
                f"evaluation ({excerpt(name)} is shared between branches); no count up to {count - 1} meets the target"
            )
        u = _unavailability(trial)
        if u <= target_unavailability:
            return Solution("count", (name,), count, u)
        if u >= previous:
            break  # another instance did not help (the name is in series, or the gain is below rounding)
        previous = u
    return Solution("count", (name,), None, None)


def _instances_named(block, name: str) -> str | None:
    """A reference such as ``name#2`` that a network in ``block`` makes to one instance of ``name``, else None."""
    from .model import Network, split_reference

    if isinstance(block, Network):
        return next((r for r in block.references if split_reference(r)[0] == name
                     and split_reference(r)[1] is not None), None)
    for child in getattr(block, "children", ()):
        found = _instances_named(child, name)
        if found is not None:
            return found
    return None
