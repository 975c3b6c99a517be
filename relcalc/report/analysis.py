"""The analysis of one service, as a typed result a Python user can call without writing a report.

``analyze_service(spec)`` evaluates the block diagram, the Raft store (with
the cluster sizes around it and the worst of a few sampled years) and the
capacity plan, combines them, searches for improvements and gives each
target its verdict. It prints nothing, writes nothing and imports no
plotting or template code.

The Raft store, when there is one, is in series with the block diagram: the
service is up when the diagram is up and writes to the store succeed,
independently of each other, so ``U = Ud + Us - Ud Us`` (summed directly,
never as 1 - A).

Simulation budgets are work, never wall-clock time: crude sampling runs the
spec's ``years`` (in chunks, stopping early only at the precision target,
which is checked at the same chunk boundaries on every machine), importance
sampling a bounded number of cycles. The same spec and seed give the same
numbers on a slow machine and a fast one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..availability import Calendar
from ..errors import InputError
from .improvements import Improvement, search_improvements
from .single_points import single_points
from .spec import MAX_SEED, MAX_YEARS, ServiceSpec

#: Years of one simulated history the report picks its example year from (the worst of them is shown).
SAMPLE_YEARS = 1000
STATES = ("pass", "warn", "fail", "n/a")
#: Importance sampling's work budget per store analysis, in node-cycles: regenerative cycles times nodes
#: (a cycle of a larger store visits more states), 2,000,000 cycles for 5 nodes.
IMPORTANCE_WORK = 10_000_000


def importance_cycles(nodes: int) -> int:
    """Importance sampling's cycle budget for a store of ``nodes`` nodes."""
    return max(10_000, IMPORTANCE_WORK // max(1, nodes))


@dataclass(frozen=True)
class Verdict:
    """One target's verdict: ``state`` is pass, warn (holds today, not over the horizon), fail or n/a."""

    name: str  #: availability, latency, nodes, growth
    state: str
    achieved: str  #: for people: "99.9945%", "20 nodes today"
    target: str
    detail: str  #: one sentence that says why

    @property
    def failed(self) -> bool:
        return self.state == "fail"


@dataclass(frozen=True)
class StoreAnalysis:
    """The Raft store: its result, the cluster sizes around it, and the sample year shown."""

    result: Any  #: a RaftResult
    method: str  #: the method that ran (auto resolved)
    sizes: tuple  #: RaftResults for n - 2, n, n + 2 (those that exist)
    sample_year: Any  #: a Trace: the worst of SAMPLE_YEARS sampled years
    sample_year_seed: int
    sample_year_rank: str  #: how that year was picked, for the chart's subtitle
    years: float  #: the crude work budget per analysis

    @property
    def unavailability(self) -> float:
        return self.result.unavailability.value or 0.0


@dataclass(frozen=True)
class CapacityAnalysis:
    """The capacity plan: the answer, the figures with today's nodes, and the growth projection."""

    sizing: Any  #: capacity Sizing (one service)
    answer: Any  #: sizing.at(0)
    today: Any  #: ClusterFigures at today's nodes (None without ``capacity.nodes``)
    projection: Any  #: Growth (None without ``capacity.growth``)
    current_nodes: int | None
    latency_seconds: float | None  #: the latency target's bound (None without one)
    latency_quantile: float | None  #: 0.99 for p99; None for the mean


@dataclass(frozen=True)
class ServiceAnalysis:
    """Everything the report shows about one service; every figure a renderer needs is here."""

    spec: ServiceSpec
    diagram: Any  #: ComposeResult of the block diagram
    store: StoreAnalysis | None
    capacity: CapacityAnalysis | None
    availability: float
    unavailability: float
    unavailability_ci95: tuple  #: (low, high) from the store's 95% interval; (U, U) without sampling
    downtime_per_year_hours: float
    budget_per_year_hours: float
    failures_per_year: float  #: the service as one unit: diagram failures, quorum losses and elections
    elections_per_year: float
    improvements: tuple[Improvement, ...]
    verdicts: tuple[Verdict, ...]
    seed: int
    notes: tuple[str, ...] = field(default=())
    #: relcalc.uncertainty.ServiceUncertainty when components come from an incident history (from_incidents)
    uncertainty: Any = None
    #: the service's 90% interval of (availability, unavailability) from that history: ((A_low, U_high),
    #: (A_high, U_low)); None without from_incidents
    interval: Any = None
    #: failures that alone take the service down (relcalc.report.single_points.SinglePoint), diagram first
    single_points: tuple = ()

    @property
    def failed(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.failed)

    @property
    def meets(self) -> bool:
        """Every verdict passes (or warns): the summary is green and the command exits 0."""
        return not self.failed

    @property
    def nines(self) -> float:
        return -math.log10(self.unavailability) if self.unavailability > 0 else math.inf

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.spec.year_days)


def combine(u_diagram: float, u_store: float) -> tuple[float, float]:
    """Series of two independent parts: (availability, unavailability), U summed without cancellation."""
    return (1.0 - u_diagram) * (1.0 - u_store), u_diagram + u_store - u_diagram * u_store


def with_overrides(spec: ServiceSpec, *, seed: int | None = None, years: float | None = None,
                   method: str | None = None) -> ServiceSpec:
    """``spec`` with the command line's ``--seed``, ``--years`` and ``--method`` in place of its own."""
    from ..raft.methods import METHODS

    changes: dict[str, Any] = {}
    if seed is not None:
        if not 0 <= seed <= MAX_SEED:
            raise InputError(f"--seed must be a whole number from 0 to {MAX_SEED}, got {seed}")
        changes["seed"] = int(seed)
    if years is not None:
        if not (math.isfinite(years) and 1.0 <= years <= MAX_YEARS):
            raise InputError(f"--years must be from 1 to {MAX_YEARS:,.0f}, got {years:g}")
        changes["raft_years"] = float(years)
    if method is not None:
        if method not in METHODS:
            raise InputError(f"--method: unknown method {method!r}; use {', '.join(METHODS)}")
        changes["raft_method"] = method
    if spec.raft is None and (years is not None or method is not None):
        raise InputError("--years and --method set the Raft store's simulation, but the service has no 'raft' "
                         "section")
    return dataclasses.replace(spec, **changes)


def resolve_method(spec: ServiceSpec, model) -> str:
    """The method ``auto`` stands for, decided from the model alone (never from a clock)."""
    from ..raft.exact import SIDE_STATES, exact_with_chain
    from ..raft.methods import choose

    if spec.raft_method != "auto":
        return spec.raft_method
    if model.why_not_markovian():
        return "crude"
    truth, _ = exact_with_chain(model, Calendar(spec.year_days).year_hours, SIDE_STATES)
    # choose() estimates the crude run's length from the exact loss rate and its events per second: a
    # figure of the model, not a measurement, so every machine makes the same choice
    return choose(model, "auto", spec.raft_rel_error, 60.0, truth)


class StoreRunner:
    """Analyses store models the way the spec asks, each distinct model once (the n + 2 store is shared)."""

    def __init__(self, spec: ServiceSpec, progress: Callable[[str], None] | None = None):
        self.spec = spec
        self.progress = progress
        self.calendar = Calendar(spec.year_days)
        self.method = resolve_method(spec, spec.raft)
        self._done: dict[Any, Any] = {}

    def __call__(self, model):
        from ..raft.methods import analyze

        key = repr(model)
        if key not in self._done:
            if self.progress is not None:
                self.progress(f"analysing the Raft store with {model.nodes} nodes ({self.method}, "
                              f"{len(self._done) + 1} of up to 5)")
            # a method the model cannot take (exact on lognormal repairs) is the user's error, said by analyze()
            self._done[key] = analyze(model, method=self.method, years=self.spec.raft_years, seed=self.spec.seed,
                                      target_rel_error=self.spec.raft_rel_error, max_seconds=None,
                                      max_cycles=importance_cycles(model.nodes), calendar=self.calendar,
                                      notice=self.progress)
        return self._done[key]


def resized(model, nodes: int):
    """The same store with ``nodes`` nodes, dealt round robin over as many of its zones as they fill."""
    from ..raft.model import round_robin_layout

    zones = len(model.zones)
    return model.with_(nodes=nodes, layout=round_robin_layout(nodes, min(zones, nodes)) if zones > 1 else None)


def _worst_year(model, seed: int, calendar: Calendar):
    """The worst year of a SAMPLE_YEARS-year history: the most time without quorum, then the most elections.

    One trace from all up covers every year (a single kernel call); the year
    shown is cut from it, starting in the state the history was in.
    """
    from ..raft.engine import Trace, trace

    year = calendar.year_hours
    cap = 400_000
    t = trace(model, hours=SAMPLE_YEARS * year, seed=seed, calendar=calendar, cap=cap)
    # a history that filled the recording buffer is complete only up to its last recorded change
    covered = SAMPLE_YEARS if len(t.hours) < cap else max(1, int(t.hours[-1] // year))
    lost_flag = t.serving.sum(axis=1) < t.quorum
    spans = np.diff(np.append(t.hours, t.horizon_hours))
    # time without quorum up to each change, then up to each year's end (the state holds between changes)
    before = np.concatenate([[0.0], np.cumsum(np.where(lost_flag, spans, 0.0))])
    edges = np.arange(covered + 1) * year
    at = np.clip(np.searchsorted(t.hours, edges, side="right") - 1, 0, len(t.hours) - 1)
    upto = before[at] + np.where(lost_flag[at], edges - t.hours[at], 0.0)
    lost_by_year = np.diff(upto)
    new_leader = np.zeros(len(t.hours), bool)
    new_leader[1:] = (np.diff(t.leader) != 0) & (t.leader[1:] >= 0)
    years_of = (t.hours[new_leader] // year).astype(np.int64)
    elections_by_year = np.bincount(years_of[years_of < covered], minlength=covered)
    # the most time without quorum, then the most elections; the earliest such year on ties
    k = int(np.lexsort((-elections_by_year, -lost_by_year))[0])
    best = ((float(lost_by_year[k]), int(elections_by_year[k])), k)
    (lost, elections), k = best
    lo, hi = k * year, (k + 1) * year
    first = max(0, int(np.searchsorted(t.hours, lo, side="right")) - 1)  # the state at the year's start
    last = int(np.searchsorted(t.hours, hi, side="left"))
    hours = np.maximum(t.hours[first:last] - lo, 0.0)
    shown = Trace(hours, t.serving[first:last], t.leader[first:last], t.quorum, year)
    rank = (f"year {k + 1}, the worst of {covered:,} simulated (seed {seed}): {lost * 60:,.0f} min without quorum, "
            f"{elections} elections" if lost > 0 else
            f"year {k + 1}, the one with the most elections of {covered:,} simulated (seed {seed}; none lost its "
            "quorum)")
    return shown, seed, rank


def analyze_store(spec: ServiceSpec, runner: StoreRunner | None = None) -> StoreAnalysis:
    """The store, the sizes n - 2, n, n + 2 (same method, budget and seed) and its worst sampled year."""
    runner = runner or StoreRunner(spec)
    model = spec.raft
    result = runner(model)
    sizes = tuple(runner(model if n == model.nodes else resized(model, n))
                  for n in sorted({max(1, model.nodes - 2), model.nodes, model.nodes + 2}))
    year, year_seed, rank = (None, 0, "")
    if model.nodes <= 62:
        year, year_seed, rank = _worst_year(model, spec.seed, runner.calendar)
    return StoreAnalysis(result, result.method, sizes, year, year_seed, rank, spec.raft_years)


def analyze_capacity(spec: ServiceSpec) -> CapacityAnalysis:
    from ..capacity import figures_at, project_growth, size

    cluster = spec.cluster
    sizing = size(cluster)
    if not sizing.reachable[0]:
        raise InputError(f"capacity: {sizing.unreachable[0]}")
    today = None if spec.current_nodes is None else figures_at(cluster, spec.current_nodes).at(0)
    projection = None
    if spec.growth is not None:
        projection = project_growth(cluster, spec.growth, spec.horizon_months, spec.current_nodes)
    limit = float(np.asarray(cluster.latency_seconds).reshape(-1)[0])
    quantile = float(np.asarray(cluster.latency_quantile).reshape(-1)[0])
    return CapacityAnalysis(sizing, sizing.at(0), today, projection, spec.current_nodes,
                            limit if math.isfinite(limit) else None, quantile if math.isfinite(quantile) else None)


def failure_in_words(figures) -> str:
    """The worse failure scenario checked at ``figures`` (ClusterFigures of one size), for people."""
    lost = figures.nodes_lost_in_failure
    if figures.failure_scenario == "zone_loss":
        return f"losing the largest zone ({lost} node{'s' if lost != 1 else ''})"
    return f"{lost} node failure{'s' if lost != 1 else ''}"


def binding_in_words(name: str, figures) -> str:
    """What a ``binding_constraint`` (sizing.CONSTRAINTS, failure ones by scenario) asks, in words."""
    after = (f" on the survivors after {failure_in_words(figures)}" if figures.failure_scenario is not None
             else " on the survivors")
    words = {
        "throughput": "raw throughput (the hottest node below 100% busy)",
        "utilization": f"the healthy utilisation cap (hottest node at most {figures.target_utilization * 100:g}% busy)",
        "redundancy": f"the survivor utilisation cap (hottest survivor at most {figures.failover_utilization * 100:g}%"
                      f" busy{after.replace(' on the survivors', '')})",
        "latency": "the latency target on the healthy cluster",
        "wait": "the wait target on the healthy cluster",
    }
    base = name.split("_after_")[0]
    if "_after_" in name and base in ("latency", "wait"):
        return f"the {base} target{after}"
    return words.get(name, name or "nothing (no size meets every target)")


def _survivor_check(at, latency_seconds: float | None, cluster) -> tuple[bool, str]:
    """Whether the survivors at ``at`` (ClusterFigures) hold within their cap, the latency and wait targets, and why."""
    if at.failure_scenario is None:
        return True, "no failure asked (capacity.tolerate_failures or capacity.zones), so no survivor check"
    cap, util = at.failover_utilization, at.utilization_after_failures
    where = f"after {failure_in_words(at)}"
    if util is None or util >= 1:
        return False, f"{where} the hottest survivor is overloaded (at or above 100% busy): its queue is unstable"
    ok = util <= cap * (1 + 1e-12)
    text = f"{where} the hottest survivor is {util * 100:.1f}% busy (cap {cap * 100:g}%)"
    response = at.survivor_target_response_seconds
    if latency_seconds is not None and response is not None:
        ok = ok and response <= latency_seconds
        text += f", response {response * 1000:,.4g} ms against {latency_seconds * 1000:g} ms"
    limit = float(np.asarray(cluster.wait_seconds, float).reshape(-1)[0])
    quantile = float(np.asarray(cluster.wait_quantile, float).reshape(-1)[0])
    if math.isfinite(limit):
        if math.isnan(quantile):  # a mean wait target
            wait = at.survivor_mean_wait_seconds
            if wait is not None:
                ok = ok and wait <= limit
                text += f", mean wait {wait * 1000:,.4g} ms against {limit * 1000:g} ms"
        elif at.survivor_service_level is not None:
            ok = ok and at.survivor_service_level >= quantile
            text += (f", {at.survivor_service_level * 100:.1f}% wait {limit * 1000:g} ms or less against "
                     f"{quantile * 100:g}%")
    return ok, text


def _verdicts(spec: ServiceSpec, unavailability: float, availability: float, capacity: CapacityAnalysis | None,
              year_hours: float, high: float | None = None,
              interval=None) -> tuple[Verdict, ...]:
    from ..units import format_duration, format_percent

    target_a, target_u = spec.target
    meets = unavailability <= target_u
    detail = (f"{format_duration(unavailability * year_hours)} of downtime a year against a budget of "
              f"{format_duration(target_u * year_hours)}")
    state = "pass" if meets else "fail"
    if meets and high is not None and high > target_u:
        # the estimate meets the target, the data cannot say it surely does: not a pass
        state = "warn"
        detail += (f", but the store's 95% interval reaches {format_duration(high * year_hours)}, past the "
                   "budget: simulate longer (--years) to decide")
    history_high = None if interval is None else interval[0][1]
    if meets and history_high is not None and history_high > target_u:
        # the figures from the incident history meet the target, their 90% interval does not surely
        state = "warn"
        detail += (f"; the 90% interval from the incident history reaches "
                   f"{format_duration(history_high * year_hours)}, past the budget")
    achieved = format_percent(availability, unavailability)
    if interval is not None:
        (a_low, u_high), (a_high, u_low) = interval
        achieved += f" (90%: {format_percent(a_low, u_high)} to {format_percent(a_high, u_low)})"
    out = [Verdict("availability", state, achieved,
                   format_percent(target_a, target_u), detail)]
    if capacity is None:
        return tuple(out)
    answer = capacity.answer
    if capacity.latency_seconds is not None:
        name = "mean" if capacity.latency_quantile is None else f"p{capacity.latency_quantile * 100:g}"
        at, nodes = (capacity.today, capacity.current_nodes) if capacity.today is not None else (
            answer.figures, answer.nodes)
        response = at.target_response_seconds
        after = at.survivor_target_response_seconds if at.failure_scenario is not None else None
        where = f"with {nodes} nodes" + (" today" if capacity.today is not None else " (the answer)")
        survivors = "" if at.failure_scenario is None else f" and after {failure_in_words(at)}"
        if response is None or (at.failure_scenario is not None and after is None):
            unstable = at.utilization >= 1 or (at.failure_scenario is not None and
                                               (at.utilization_after_failures or 1) >= 1)
            out.append(Verdict("latency", "fail" if unstable else "n/a",
                               f"unstable {where}" if unstable else f"{name} not computed",
                               spec.latency, (f"the hottest node's queue is unstable {where}{survivors}: "
                                              "no response time is met") if unstable else
                               f"the {name} response needs an exact queue (M/M/c); this service's is approximate"))
        else:
            ok = response <= capacity.latency_seconds and (after is None or after <= capacity.latency_seconds)
            shown = f"{name} {response * 1000:,.4g} ms" + ("" if after is None else f", {after * 1000:,.4g} ms "
                                                                                   "after failures")
            out.append(Verdict("latency", "pass" if ok else "fail", f"{shown} {where}",
                               spec.latency, f"{name} response {response * 1000:,.4g} ms {where}"
                               + ("" if after is None else f", {after * 1000:,.4g} ms after {failure_in_words(at)}")
                               + f" against {capacity.latency_seconds * 1000:g} ms"))
    current = capacity.current_nodes
    bound = binding_in_words(answer.binding_constraint, answer.figures)
    if current is None:
        out.append(Verdict("nodes", "n/a", f"{answer.nodes} needed", "-",
                           f"{answer.nodes} nodes needed (bound by {bound}); "
                           "capacity.nodes not given, so nothing to compare"))
    else:
        short = answer.nodes - current
        held, why = _survivor_check(capacity.today, capacity.latency_seconds, spec.cluster)
        out.append(Verdict("nodes", "pass" if short <= 0 and held else "fail", f"{current} today",
                           f"{answer.nodes} needed", (f"short by {short} nodes today, bound by {bound}; {why}"
                                                      if short > 0 else
                                                      f"{-short} nodes of headroom over the {answer.nodes} needed; "
                                                      f"{why}")))
    growth = capacity.projection
    if growth is not None:
        months = spec.horizon_months
        if current is None:
            last = growth.by_month()[-1]
            out.append(Verdict("growth", "n/a", f"{last.nodes_needed} needed in month {last.month}", "-",
                               "capacity.nodes not given: no date by which the cluster runs out"))
        elif answer.nodes > current:
            last = growth.by_month()[-1]
            out.append(Verdict("growth", "fail", "short already", f"enough for {months} months",
                               f"already short today: {answer.nodes} nodes needed now"
                               + ("" if last.nodes_needed is None else
                                  f", {last.nodes_needed} by month {last.month}")))
        elif growth.runs_out_month is not None:
            after = growth.runs_out_after_months
            when = f"after {after:.1f} months" if after is not None else f"in month {growth.runs_out_month}"
            out.append(Verdict("growth", "warn", f"runs out {when}", f"enough for {months} months",
                               f"enough today, but growth at {spec.growth_text} runs the cluster out {when}"))
        else:
            out.append(Verdict("growth", "pass", f"enough for {months} months", f"enough for {months} months",
                               f"growth at {spec.growth_text} stays within {current} nodes for {months} months"))
    return tuple(out)


def analyze_service(spec: ServiceSpec, *, seed: int | None = None, years: float | None = None,
                    method: str | None = None, runner: Callable | None = None,
                    progress: Callable[[str], None] | None = None) -> ServiceAnalysis:
    """Analyse ``spec`` (with optional overrides of its seed, simulated years and method).

    ``progress``, when given, is called with a line of text before each store analysis.
    """
    from ..rbd import evaluate
    from ..rbd.evaluate import refuse_if_it_cannot_fail

    new_seed = seed is not None and spec.uncertainty is not None and int(seed) != spec.seed
    spec = with_overrides(spec, seed=seed, years=years, method=method)
    if new_seed:  # the draws follow --seed as the simulations do
        from .spec import service_uncertainty

        data, base_dir = spec.incidents_input
        spec = dataclasses.replace(spec, uncertainty=service_uncertainty(data, base_dir, spec.year_days, spec.seed))
    calendar = Calendar(spec.year_days)
    year = calendar.year_hours
    diagram = refuse_if_it_cannot_fail(evaluate(spec.system, calendar=calendar))
    store = None
    notes: list[str] = []
    store_runner = None
    if spec.raft is not None:
        store_runner = runner or StoreRunner(spec, progress)
        store = analyze_store(spec, store_runner)
        if spec.raft_method == "auto":
            notes.append(f"auto chose {store.method} for the Raft store")
    u_store = store.unavailability if store else 0.0
    availability, unavailability = combine(diagram.unavailability, u_store)
    low = high = unavailability
    if store is not None and store.result.unavailability.bounds:
        # the diagram is exact, so the service's interval is the store's carried through the series formula
        s_low, s_high = store.result.unavailability.bounds
        low = combine(diagram.unavailability, s_low)[1]
        high = combine(diagram.unavailability, s_high)[1] if math.isfinite(s_high) else math.inf
    interval = None
    if spec.uncertainty is not None:
        interval = history_interval(spec.uncertainty, u_store)
    capacity = analyze_capacity(spec) if spec.cluster is not None else None
    improvements = search_improvements(spec, diagram, u_store, store_runner, resized)
    elections = 0.0
    frequency = (diagram.failure_frequency_per_hour or 0.0) * year
    if store:
        elections = store.result.elections_per_year.value or 0.0
        frequency += (store.result.quorum_losses_per_year.value or 0.0) + elections
    return ServiceAnalysis(
        spec=spec, diagram=diagram, store=store, capacity=capacity, availability=availability,
        unavailability=unavailability, unavailability_ci95=(low, high), downtime_per_year_hours=unavailability * year,
        budget_per_year_hours=spec.target[1] * year, failures_per_year=frequency, elections_per_year=elections,
        improvements=improvements, verdicts=_verdicts(spec, unavailability, availability, capacity, year, high,
                                                                     interval),
        seed=spec.seed, notes=tuple(notes), uncertainty=spec.uncertainty, interval=interval,
        single_points=single_points(spec.system, spec.raft, year))


def history_interval(su, u_store: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The service's interval ((A_low, U_high), (A_high, U_low)) from the history's draws.

    When the history gave the store too, its draws include it and the interval
    is theirs. Otherwise the store (typed figures) is a fixed part in series:
    the service's U is increasing in the diagram's, so the quantiles of the
    diagram's draws carried through the series formula are the service's.
    """
    r = su.result
    if su.store_nodes is not None or u_store == 0.0:
        return (r.availability_low, r.unavailability_high), (r.availability_high, r.unavailability_low)
    return combine(r.unavailability_high, u_store), combine(r.unavailability_low, u_store)


__all__ = ["CapacityAnalysis", "ServiceAnalysis", "StoreAnalysis", "Verdict", "analyze_service", "binding_in_words",
           "combine", "failure_in_words", "with_overrides"]
