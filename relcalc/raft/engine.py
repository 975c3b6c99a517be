"""Monte Carlo of a Raft cluster: chunks, seeds, workers, estimates with 95% intervals.

A run is a sequence of independent chunks of simulated time. Chunk i is
driven by a generator on the i-th child of ``numpy.random.SeedSequence(seed)``
(:func:`chunk_generator`), and the chunk plan (:func:`plan`) depends on the
model and the inputs only, so the numbers never depend on where the chunks
ran: this process, a local pool or a Dask cluster (:mod:`relcalc.execution`).
Tasks of several chunks are submitted a few ahead and their results read in
chunk order. Each chunk starts in the steady state
(:mod:`.kernel`: every node and zone in a phase with its long-run share of
time, and a warm-up where crews, shocks or restarts couple them), so short
chunks do not lean towards a freshly repaired cluster, whatever the laws.

Intervals (:mod:`.intervals`): t over the chunks for figures resting on 30
events or more, exact Poisson, binomial and order-statistic limits below,
and a marked bound when nothing was observed; each says how it was made.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from time import perf_counter  # a name in this module, so a test can stand in a clock
from typing import Callable, NamedTuple

import numpy as np

from ..availability import Calendar
from ..errors import InputError
from ..execution import Execution, call_compiled, current, interrupt_guard, open_execution, tasks_of
from ..results import Interval
from . import intervals, kernel
from .elections import longest_election_hours
from .exact import ExactQuorum, exact
from .histogram import HIST_BINS
from .model import Distribution, RaftModel, election_round_success
from .result import RaftResult

CHUNK_YEARS = 1000.0
WAVE = 32  # chunks per step of an adaptive run; fixed so results do not depend on workers
WARM_UP_CYCLES = 3.0  # node cycles (MTBF + the longest repair) to settle the ages of non-exponential nodes
#: Limits that keep every run bounded before it starts (documented in the README).
MAX_YEARS = 1e9  # simulated years per point
MAX_CHUNKS = 200_000  # chunks per point (their statistics are kept for the intervals: 37 MB at most)
MAX_RUN_SECONDS = 86_400.0  # estimated single-core time of a run without --max-time
#: Kernel work per second on one core, in units of :func:`event_cost` (about 8e6 events a second of a
#: 5-node cluster, as benchmarks/simulate.py measured on a busy machine; a quiet core does somewhat more).
COST_PER_SECOND = 1e8
CHUNK_SECONDS = 0.1  # estimated compute of a chunk at most, so an interrupt or a deadline is seen within it


def _kernel_law(dist: Distribution | None) -> np.ndarray:
    """A law as the kernel samples it: (kind code, parameter, shape); a placeholder for an absent law."""
    if dist is None:
        return np.array([3.0, 1.0, 1.0])
    return np.array([float(dist.code), dist.engine_parameter, dist.shape])


def _mean_time_left(dist: Distribution) -> float:
    """Mean time left of a phase caught at a random moment, E[X^2] / (2 E[X]), or the mean if larger.

    The squared coefficient of variation is 1 for an exponential law,
    Gamma(1 + 2/k) / Gamma(1 + 1/k)^2 - 1 for a Weibull, exp(sigma^2) - 1 for a
    lognormal and 0 for a fixed time.
    """
    if dist.kind == "weibull":
        cv2 = math.gamma(1 + 2 / dist.shape) / math.gamma(1 + 1 / dist.shape) ** 2 - 1
    elif dist.kind == "lognormal":
        cv2 = math.expm1(dist.shape**2)
    else:
        cv2 = 1.0 if dist.exponential else 0.0
    return dist.mean * max(1.0, (1.0 + cv2) / 2)


def outage_bound_hours(model: RaftModel) -> float:
    """A bound on the mean quorum outage for when none was observed: the longest mean time left of what ends one.

    An outage ends when a repair, a replacement, a zone's return or a restart
    brings a node back; caught under way, each has the mean time left of
    :func:`_mean_time_left`. It assumes no further failure lengthens the
    outage, which holds when failures are rare against repairs, as they are
    when no loss was seen.
    """
    ends = [_mean_time_left(model.ttr)]
    if model.permanent > 0:
        ends.append(model.replace_time)
    if model.zone_failures:
        ends.append(_mean_time_left(model.zone_ttr))
    if model.restart_every:
        ends.append(model.restart_duration)
    return max(ends)


def warm_up_hours(model: RaftModel, window_hours: float) -> float:
    """Hours simulated before a chunk's window: none when nothing couples the nodes (the start is exact).

    Crews, common-cause shocks and rolling restarts make the nodes depend on
    each other, so the independent steady state the chunk starts from is not
    the joint one. What is left to settle is the repair side (ten of the
    longest repair times) and, when times to failure are not exponential, the
    nodes' ages (:data:`WARM_UP_CYCLES` node cycles), plus one restart period;
    at most the window itself, so a chunk costs at most twice its events.
    """
    coupled = 0 < model.crews < model.nodes or model.common_cause > 0 or model.restart_every
    if not coupled:
        return 0.0
    down = max(model.ttr.mean, model.replace_time or 0.0, model.zone_ttr.mean if model.zone_ttr else 0.0)
    settle = 10.0 * down
    if not model.ttf.exponential:
        settle = max(settle, WARM_UP_CYCLES * (model.own_failure_mean + down))
    return min(settle + (model.restart_every or 0.0), window_hours)


def _chunk_inputs(model: RaftModel, hours: float, year_hours: float, stationary: bool = True) -> kernel.ChunkInputs:
    """The kernel's inputs for chunks of ``hours`` (the same for every chunk of a run; the generator differs)."""
    own = Distribution(model.ttf.kind, model.own_failure_mean, model.ttf.shape)
    return kernel.ChunkInputs(
        horizon_hours=float(hours),
        year_hours=float(year_hours),
        nodes=model.nodes,
        quorum=model.quorum,
        own_ttf=_kernel_law(own),
        ttr=_kernel_law(model.ttr),
        crews=model.crews,
        zone_of=np.array(model.zone_of, dtype=np.int64),
        zones=len(model.zones),
        zone_failures=model.zone_failures,
        zone_ttf=_kernel_law(model.zone_ttf),
        zone_ttr=_kernel_law(model.zone_ttr),
        election_timeout_low_hours=model.election_timeout[0],
        election_timeout_high_hours=model.election_timeout[1],
        rtt_hours=model.rtt,
        shock_mean_hours=float(model.shock_mean),
        shock_per_zone=bool(model.shock_per_zone),
        permanent=float(model.permanent),
        replace_mean_hours=float(model.replace_time or 1.0),
        restart_every_hours=float(model.restart_every or 0.0),
        restart_duration_hours=float(model.restart_duration or 0.0),
        trace_cap=0,
        stationary=bool(stationary),
        warm_up_hours=float(warm_up_hours(model, hours) if stationary else 0.0),
    )


def chunk_generator(seed: int, index: int) -> np.random.Generator:
    """Chunk ``index``'s generator: PCG64 on the index-th child of ``SeedSequence(seed)``.

    ``SeedSequence(seed, spawn_key=(i,))`` is exactly what
    ``SeedSequence(seed).spawn(i + 1)[i]`` returns, so any chunk's generator
    is made alone, wherever the chunk runs.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


class ChunkTask(NamedTuple):
    """A task: chunks ``first .. first + count - 1`` of a run, all with the same inputs (small, picklable)."""

    inputs: kernel.ChunkInputs
    seed: int
    first: int
    count: int


def run_chunks(task: ChunkTask) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each chunk's statistics (one row per chunk, in chunk order) and its outage histogram, sparse.

    The histograms come as the occupied bins and their counts of every chunk
    one after another, chunk j's at ``offsets[j]:offsets[j + 1]``, so a run
    that stops inside a task takes the outages of the chunks it keeps only.
    """
    table = np.empty((task.count, kernel.N_STATS))
    bins, counts = [], []
    offsets = np.zeros(task.count + 1, np.int64)
    for j in range(task.count):
        stats, hist = call_compiled(kernel.run_chunk, task.inputs, chunk_generator(task.seed, task.first + j))[:2]
        table[j] = stats
        occupied = np.flatnonzero(hist)
        bins.append(occupied)
        counts.append(hist[occupied])
        offsets[j + 1] = offsets[j] + occupied.size
    return table, np.concatenate(bins), np.concatenate(counts), offsets


@dataclass(frozen=True)
class Trace:
    """A sample history: at each change (``hours`` from the start), which nodes serve and who leads."""

    hours: np.ndarray
    serving: np.ndarray  # (events, nodes) bool
    leader: np.ndarray  # -1 for none
    quorum: int
    horizon_hours: float


def trace(model: RaftModel, *, hours: float | None = None, seed: int = 0, cap: int = 200_000,
          calendar: Calendar | None = None) -> Trace:
    """Simulate ``hours`` (by default a year of ``calendar``) from all up and record every change (for timelines).

    The serving nodes are kept as a 64-bit mask, so a trace covers up to 62 nodes.
    """
    year = (calendar or Calendar()).year_hours
    if model.nodes > 62:
        raise InputError(f"a sample timeline draws up to 62 nodes; this cluster has {model.nodes}")
    hours = year if hours is None else hours
    inputs = _chunk_inputs(model, hours, year, stationary=False)._replace(trace_cap=cap)
    with interrupt_guard():
        _, _, times, masks, leaders = call_compiled(kernel.run_chunk, inputs, chunk_generator(seed, 0))
    bits = ((masks[:, None] >> np.arange(model.nodes)) & 1).astype(bool)
    return Trace(times, bits, leaders, model.quorum, hours)


def _quorum_share(table: np.ndarray, model: RaftModel, level: float = intervals.LEVEL) -> Interval:
    hours = table[:, kernel.HOURS]
    return intervals.share(int(table[:, kernel.LOSSES].sum()), float(table[:, kernel.OUTAGE_SUM].sum()),
                           float(hours.sum()), table[:, kernel.QUORUM_DOWN], hours, outage_bound_hours(model), level)


def _election_share(table: np.ndarray, model: RaftModel, level: float = intervals.LEVEL) -> Interval:
    hours = table[:, kernel.HOURS]
    no_leader = table[:, kernel.NO_LEADER]
    return intervals.share(int(table[:, kernel.ELECTIONS].sum()), float(no_leader.sum()), float(hours.sum()),
                           no_leader, hours, longest_election_hours(model), level)


def _write_share(table: np.ndarray, model: RaftModel) -> Interval:
    """Time without quorum or leader: t over the chunks when both rest on many events, else the two parts'
    intervals (each at 97.5%, so both hold with 95%) added."""
    hours = table[:, kernel.HOURS]
    few = min(table[:, kernel.LOSSES].sum(), table[:, kernel.ELECTIONS].sum()) < intervals.SMALL
    if not few:
        return intervals.chunk_ratio(table[:, kernel.QUORUM_DOWN] + table[:, kernel.NO_LEADER], hours)
    quorum, election = _quorum_share(table, model, 0.975), _election_share(table, model, 0.975)
    method = quorum.method if quorum.method == election.method else f"{quorum.method}+{election.method}"
    high = min(1.0, quorum.high + election.high)
    if "upper-bound" in method:  # a part never seen: the figure is the sum's 95% upper bound, as for that part
        return Interval(high, quorum.low + election.low, high, method)
    value = _quorum_share(table, model).value + _election_share(table, model).value
    return Interval(value, quorum.low + election.low, high, method)


def simulate(
    model: RaftModel,
    *,
    years: float = 100_000.0,
    seed: int = 0,
    workers: int = 1,
    target_rel_error: float | None = None,
    max_seconds: float | None = None,
    progress: Callable[[float, float], None] | None = None,
    truth: ExactQuorum | None = None,
    calendar: Calendar | None = None,
    execution: Execution | None = None,
) -> RaftResult:
    """Simulate ``model`` for ``years`` (or until ``target_rel_error`` on quorum unavailability).

    ``truth``, the exact values to show beside the estimates, is worked out
    here unless the caller already has it. ``years`` and every per-year
    figure are years of ``calendar`` (365 days by default).

    The chunks run on ``execution``, else the current one
    (:func:`relcalc.execution.use`), else this process (``workers`` 1) or a
    local pool of ``workers`` processes; the numbers are the same on each.
    With a target, the run goes in waves of chunks (:func:`plan`) until the
    interval's half-width is within ``target_rel_error`` of the estimate, or
    ``years`` (then the budget) or ``max_seconds`` runs out.
    """
    calendar = calendar or Calendar()
    year = calendar.year_hours
    chunks = plan(model, years, year, max_seconds=max_seconds, target_rel_error=target_rel_error)
    own = None
    if execution is None:
        execution = current()
    if execution is None:
        own = execution = open_execution("local", workers)
    with interrupt_guard():  # numba's loading runs callbacks a Ctrl-C must not land in: held until it is done
        warm_up()  # compile or load the kernel outside the timed part, here and on every worker
    execution.prepare(warm_up)
    inputs = _chunk_inputs(model, chunks.chunk_years * year, year)
    per_task = tasks_of(chunks.count, chunks.chunk_seconds, execution)
    if max_seconds is not None:  # a task no longer than a quarter of the time allowed, so the limit holds
        per_task = min(per_task, max(1, int(max_seconds / 4 / max(chunks.chunk_seconds, 1e-12))))
    window = max(2, 4 * execution.workers)  # tasks in flight: enough to keep every worker busy
    table = np.empty((chunks.count, kernel.N_STATS))
    hist = np.zeros(HIST_BINS, np.int64)
    start = perf_counter()
    stopped = "budget"
    done = 0
    reruns_before = execution.rerun_total()
    stopped_early = False
    in_flight: deque = deque()
    submitted = 0
    try:
        with interrupt_guard():
            while done < chunks.count:
                while len(in_flight) < window and submitted < chunks.count:
                    # a task never straddles the end of a wave, where the run may stop
                    count = min(per_task, chunks.count - submitted)
                    task = ChunkTask(inputs, seed, submitted, count)
                    in_flight.append((task, execution.submit(run_chunks, task)))
                    submitted += count
                task, handle = in_flight.popleft()
                rows, bins, counts, offsets = execution.result(handle)
                execution.finished(handle)
                kept = 0
                while kept < task.count and not stopped_early:
                    # the task's chunks up to the next wave's end, where the run may stop
                    upto = min(task.count, kept + chunks.wave - (task.first + kept) % chunks.wave)
                    table[done:done + upto - kept] = rows[kept:upto]
                    np.add.at(hist, bins[offsets[kept]:offsets[upto]], counts[offsets[kept]:offsets[upto]])
                    done += upto - kept
                    kept = upto
                    if done % chunks.wave == 0 and done < chunks.count:
                        # the clock is read at the task's last wave end: the waves it holds are paid for
                        last = task.first + task.count - done < chunks.wave
                        stop = _stop_reason(table[:done], model, done, chunks, target_rel_error,
                                            max_seconds if last else None, start)
                        if stop:
                            stopped, stopped_early = stop, True
                if progress is not None:
                    progress(done, chunks.count)
                if stopped_early:
                    break
    except BaseException:
        execution.cancel([h for _, h in in_flight])
        if own is not None:
            own.close(abort=True)
        raise
    execution.cancel([h for _, h in in_flight])
    if own is not None:
        own.close()
    retried = execution.rerun_total() - reruns_before
    wall = perf_counter() - start
    table = table[:done]
    if target_rel_error is not None and stopped == "budget":
        # the whole run may have met the target at its very end
        if _quorum_share(table, model).half_width_ratio() <= target_rel_error:
            stopped = "target"
    return _result(model, table, hist, seed=seed, wall=wall, stopped=stopped, target_rel_error=target_rel_error,
                   truth=truth if truth is not None else exact(model, year), calendar=calendar, retried=retried)


def _stop_reason(table: np.ndarray, model: RaftModel, done: int, chunks: "ChunkPlan", target_rel_error: float | None,
                 max_seconds: float | None, start: float) -> str | None:
    """Why the run stops at the end of a wave ("target", "time"), or None to go on."""
    if target_rel_error is not None and done >= 2 * chunks.wave:
        if _quorum_share(table, model).half_width_ratio() <= target_rel_error:
            return "target"
    if max_seconds is not None and perf_counter() - start > max_seconds:
        return "time"
    return None


@dataclass(frozen=True)
class ChunkPlan:
    """How a run is cut: ``count`` chunks of ``chunk_years``, checked every ``wave`` chunks.

    It depends on the model and the inputs only, never on the workers, so the
    numbers (and where a run with a target stops) are the same however the
    chunks are spread. ``chunk_seconds`` is the estimated compute of a chunk
    on one core, for sizing tasks.
    """

    chunk_years: float
    count: int
    wave: int
    chunk_seconds: float


def events_per_hour(model: RaftModel) -> float:
    """Expected kernel events per simulated hour (a failure and a repair per node cycle, zones, shocks, restarts)."""
    rate = 2.0 * model.nodes / (model.own_failure_mean + model.ttr.mean)
    if model.zone_failures:
        rate += 2.0 * len(model.zones) / (model.zone_ttf.mean + model.zone_ttr.mean)
    if model.common_cause > 0:
        rate += (1.0 + model.nodes) / model.shock_mean
    if model.restart_every:
        rate += 2.0 * model.nodes / model.restart_every
    return rate + rate / max(model.nodes, 1)  # elections follow a share of the failures


def event_cost(model: RaftModel) -> float:
    """Relative cost of one event: the kernel scans every node and zone, and an election draws a timeout per
    voter per round (rounds: 1 / the chance a round ends it)."""
    success = election_round_success(model.nodes, *model.election_timeout, model.rtt)
    return model.nodes + 2.0 * len(model.zones) + 4.0 + 1.0 / max(success, 1e-9)


def plan(model: RaftModel, years: float, year_hours: float, *, max_seconds: float | None = None,
         target_rel_error: float | None = None, name: str = "--years") -> ChunkPlan:
    """The chunks of a run of ``years``; refuses a run that would not end within :data:`MAX_RUN_SECONDS`.

    Chunks are at most 1,000 years and a sixteenth of the run, short enough
    that one takes about :data:`CHUNK_SECONDS` at most (so an interrupt or a
    deadline is seen within that), and no more than :data:`MAX_CHUNKS` of them.
    """
    if not (years > 0) or not math.isfinite(years):
        raise InputError(f"{name} must be positive, got {years}")
    if years > MAX_YEARS:
        if max_seconds is None:
            raise InputError(f"{name}: at most {MAX_YEARS:.0e} simulated years per point, got {years:.3g}")
        years = MAX_YEARS  # a budget worked out for a run the clock bounds anyway (--method auto)
    cost_per_year = events_per_hour(model) * year_hours * event_cost(model) / COST_PER_SECOND
    seconds = years * cost_per_year
    if max_seconds is None and seconds > MAX_RUN_SECONDS:
        raise InputError(
            f"{name} {years:.6g} with {model.nodes} nodes would take about {seconds / 3600:,.0f} h on one core "
            f"(the limit is {MAX_RUN_SECONDS / 3600:.0f} h): simulate fewer years, give --max-time, or use "
            "--method importance for a Markovian model")
    chunk_years = min(CHUNK_YEARS, years / 16, CHUNK_SECONDS / cost_per_year if cost_per_year > 0 else CHUNK_YEARS)
    chunk_years = max(chunk_years, years / MAX_CHUNKS)
    count = int(math.ceil(years / chunk_years - 1e-9))
    return ChunkPlan(chunk_years, count, min(WAVE, count), chunk_years * cost_per_year)


def _result(model: RaftModel, table: np.ndarray, hist: np.ndarray, *, seed: int, wall: float, stopped: str,
            target_rel_error: float | None, truth: ExactQuorum, calendar: Calendar, retried: int = 0) -> RaftResult:
    """The figures of a crude run from its chunks' statistics (:mod:`.kernel`) and outage histogram."""
    year = calendar.year_hours
    column = {name: table[:, getattr(kernel, name)] for name in (
        "HOURS", "LOSSES", "OUTAGE_SUM", "OUTAGE_SQUARES", "OUTAGES", "ELECTIONS", "NO_LEADER", "ARMED_TIME", "ARMED_LOSSES",
        "YEARS", "YEARS_WITH_LOSS", "TRIALS", "TRIAL_LOSSES", "DATA_LOSSES", "DL_ARMED_TIME", "DL_ARMED_LOSSES",
        "EVENTS")}
    hours = column["HOURS"]
    exposure = float(hours.sum())
    years_of = hours / year

    def count(name: str) -> int:
        return int(column[name].sum())

    losses = count("LOSSES")
    elections = intervals.share(count("ELECTIONS"), float(column["NO_LEADER"].sum()), exposure,
                                column["NO_LEADER"], hours, longest_election_hours(model))
    steady = intervals.proportion(count("YEARS_WITH_LOSS"), count("YEARS"), column["YEARS_WITH_LOSS"],
                                  column["YEARS"])
    notes = _notes(model, losses, exposure / year, stopped, target_rel_error, count("YEARS"),
                   count("DATA_LOSSES") if model.permanent > 0 else None)
    if retried:
        notes += (f"{retried} task(s) ran again after their worker was lost; chunks are pure functions of their "
                  "seeds, so the figures are those of an undisturbed run",)
    return RaftResult(
        model=model,
        seed=seed,
        chunks=len(table),
        simulated_years=exposure / year,
        events=count("EVENTS"),
        wall_seconds=wall,
        unavailability=_write_share(table, model),
        quorum_unavailability=_quorum_share(table, model),
        quorum_losses_per_year=intervals.rate(losses, exposure / year, column["LOSSES"], years_of),
        quorum_losses_observed=losses,
        probability_of_loss_within_year=steady,
        probability_of_loss_within_year_from_all_up=intervals.proportion(
            count("TRIAL_LOSSES"), count("TRIALS"), column["TRIAL_LOSSES"], column["TRIALS"]),
        probability_of_loss_within_year_from_steady_state=steady,
        mean_outage_hours=intervals.mean_length(count("OUTAGES"), float(column["OUTAGE_SUM"].sum()),
                                                float(column["OUTAGE_SQUARES"].sum())),
        p50_outage_hours=intervals.quantile(hist, 0.50),
        p95_outage_hours=intervals.quantile(hist, 0.95),
        p99_outage_hours=intervals.quantile(hist, 0.99),
        elections_per_year=intervals.rate(count("ELECTIONS"), exposure / year, column["ELECTIONS"], years_of),
        election_downtime_per_year_hours=elections.scaled(year),
        mttf_hours=intervals.time_to_event(count("ARMED_LOSSES"), float(column["ARMED_TIME"].sum()),
                                           column["ARMED_LOSSES"], column["ARMED_TIME"]),
        data_loss_per_year=(intervals.rate(count("DATA_LOSSES"), exposure / year, column["DATA_LOSSES"], years_of)
                            if model.permanent > 0 else Interval(None, method="none")),
        data_losses_observed=count("DATA_LOSSES") if model.permanent > 0 else None,
        mttdl_hours=(intervals.time_to_event(count("DL_ARMED_LOSSES"), float(column["DL_ARMED_TIME"].sum()),
                                             column["DL_ARMED_LOSSES"], column["DL_ARMED_TIME"])
                     if model.permanent > 0 else Interval(None, method="none")),
        exact=truth,
        calendar=calendar,
        method="crude",
        stopped=stopped,
        notes=notes,
        outage_histogram=hist,
    )


def _notes(model: RaftModel, losses: int, years: float, stopped: str, target_rel_error: float | None,
           full_years: int, data_losses: int | None) -> tuple[str, ...]:
    notes = []
    if losses == 0:
        notes.append(
            f"no quorum loss in {years:,.6g} simulated years: the quorum figures are 95% bounds (Garwood, two-sided "
            f"convention: 3.689 losses over the simulated time), the unavailability's taking a mean outage of at "
            f"most {outage_bound_hours(model):.4g} h (the longest mean time left of what ends one); simulate longer "
            "(--years) or use the exact values"
        )
    elif losses < intervals.SMALL:
        notes.append(
            f"only {losses} quorum losses were observed: the quorum figures use exact Poisson (Garwood) limits, "
            "the unavailability's times those of the mean outage for exponential outage lengths (each at 97.5%), "
            "and the outage percentiles rest on few outages"
        )
    if data_losses == 0:
        notes.append("no data loss was observed: data losses per year are a 95% upper bound, the MTTDL a lower bound")
    if full_years == 0:
        notes.append("chunks shorter than a year hold no whole year: the chance of a loss within a year needs "
                     "--years 16 or more")
    if target_rel_error is not None and stopped != "target":
        notes.append(f"the target relative error {target_rel_error:g} was not reached ({stopped} ran out)")
    if not model.ttf.exponential:
        notes.append("MTTF and the chance of a loss within a year from all up treat each return to all up as a "
                     "fresh start, exact only for exponential time to failure")
    return tuple(notes)


def warm_up() -> None:
    """Compile (or load from cache) the kernel before timing anything."""
    run_chunks(ChunkTask(_chunk_inputs(RaftModel(nodes=3), 100.0, Calendar().year_hours), 1, 0, 1))
