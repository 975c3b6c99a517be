"""Monte Carlo of a Raft cluster: chunks, seeds, workers, estimates with 95% intervals.

A run is a sequence of independent chunks of simulated time. Chunk i is
driven by the i-th child of ``numpy.random.SeedSequence(seed)``, so the
numbers depend only on the seed and the chunk plan, never on how many
worker processes ran the chunks. Each chunk starts in the steady state
(:mod:`.kernel`: every node and zone in a phase with its long-run share of
time, and a warm-up where crews, shocks or restarts couple them), so short
chunks do not lean towards a freshly repaired cluster, whatever the laws.

Intervals (:mod:`.intervals`): t over the chunks for figures resting on 30
events or more, exact Poisson, binomial and order-statistic limits below,
and a marked bound when nothing was observed; each says how it was made.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from time import perf_counter  # a name in this module, so a test can stand in a clock
from typing import Callable

import numpy as np

from ..availability import Calendar
from ..errors import InputError
from ..results import Interval
from . import intervals, kernel
from .elections import longest_election_hours
from .exact import ExactQuorum, exact
from .histogram import HIST_BINS
from .model import Distribution, RaftModel
from .result import RaftResult

CHUNK_YEARS = 1000.0
WAVE = 32  # chunks per step of an adaptive run; fixed so results do not depend on workers
WARM_UP_CYCLES = 3.0  # node cycles (MTBF + the longest repair) to settle the ages of non-exponential nodes


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


def _chunk_inputs(model: RaftModel, seed: int, hours: float, year_hours: float,
                  stationary: bool = True) -> kernel.ChunkInputs:
    own = Distribution(model.ttf.kind, model.own_failure_mean, model.ttf.shape)
    return kernel.ChunkInputs(
        seed=int(seed),
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


def _run_many(inputs: list[kernel.ChunkInputs]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [kernel.run_chunk(chunk)[:2] for chunk in inputs]


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
    inputs = _chunk_inputs(model, chunk_seeds(seed, 1)[0], hours, year, stationary=False)._replace(trace_cap=cap)
    _, _, times, masks, leaders = kernel.run_chunk(inputs)
    bits = ((masks[:, None] >> np.arange(model.nodes)) & 1).astype(bool)
    return Trace(times, bits, leaders, model.quorum, hours)


def chunk_seeds(seed: int, count: int, start: int = 0) -> list[int]:
    """Seeds of chunks ``start .. start + count - 1`` of a run (independent of the split)."""
    children = np.random.SeedSequence(seed).spawn(start + count)[start:]
    return [int(c.generate_state(1, np.uint32)[0]) for c in children]


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
    value = _quorum_share(table, model).value + _election_share(table, model).value
    method = quorum.method if quorum.method == election.method else f"{quorum.method}+{election.method}"
    return Interval(value, quorum.low + election.low, quorum.high + election.high, method)


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
) -> RaftResult:
    """Simulate ``model`` for ``years`` (or until ``target_rel_error`` on quorum unavailability).

    ``truth``, the exact values to show beside the estimates, is worked out
    here unless the caller already has it. ``years`` and every per-year
    figure are years of ``calendar`` (365 days by default).

    With a target, chunks of up to 1,000 years run in waves of 32 until the
    interval's half-width is within ``target_rel_error`` of the estimate, or
    ``years`` (then the budget) or ``max_seconds`` runs out.
    """
    if not (years > 0) or not math.isfinite(years):
        raise InputError(f"years must be positive, got {years}")
    calendar = calendar or Calendar()
    year = calendar.year_hours
    chunk_years = min(CHUNK_YEARS, years / 16)
    planned = int(math.ceil(years / chunk_years - 1e-9))
    warm_up()  # compile or load the kernel outside the timed part
    start = perf_counter()
    stats: list[np.ndarray] = []
    hist = np.zeros(HIST_BINS, np.int64)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    stopped = "budget"
    try:
        done = 0
        while done < planned:
            count = min(WAVE, planned - done)
            seeds = chunk_seeds(seed, count, done)
            chunks = [_chunk_inputs(model, s, chunk_years * year, year) for s in seeds]
            if pool is None:
                results = _run_many(chunks)
            else:
                per = max(1, math.ceil(len(chunks) / (workers * 4)))
                batches = [chunks[i : i + per] for i in range(0, len(chunks), per)]
                results = [r for batch in pool.map(_run_many, batches) for r in batch]
            for s, h in results:
                stats.append(s)
                hist += h
            done += count
            if progress is not None:
                progress(done, planned)
            if target_rel_error is not None and done >= 2 * WAVE:
                if _quorum_share(np.array(stats), model).half_width_ratio() <= target_rel_error:
                    stopped = "target"
                    break
            if max_seconds is not None and perf_counter() - start > max_seconds and done < planned:
                stopped = "time"
                break
    finally:
        if pool is not None:
            pool.shutdown()
    wall = perf_counter() - start
    if target_rel_error is not None and stopped == "budget" and done < 2 * WAVE:
        # too few chunks to have checked along the way: the whole run may still have met the target
        if _quorum_share(np.array(stats), model).half_width_ratio() <= target_rel_error:
            stopped = "target"
    return _result(model, np.array(stats), hist, seed=seed, wall=wall, stopped=stopped,
                   target_rel_error=target_rel_error, truth=truth if truth is not None else exact(model, year),
                   calendar=calendar)


def _result(model: RaftModel, table: np.ndarray, hist: np.ndarray, *, seed: int, wall: float, stopped: str,
            target_rel_error: float | None, truth: ExactQuorum, calendar: Calendar) -> RaftResult:
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
    _run_many([_chunk_inputs(RaftModel(nodes=3), 1, 100.0, Calendar().year_hours)])
