"""Monte Carlo of a Raft cluster: chunks, seeds, workers, estimates with 95% intervals.

A run is a sequence of independent chunks of simulated time. Chunk i is
driven by the i-th child of ``numpy.random.SeedSequence(seed)``, so the
numbers depend only on the seed and the chunk plan, never on how many
worker processes ran the chunks. Each chunk starts from all nodes up with a
leader; chunks are long (up to 1,000 simulated years) against any repair
time, so the start-up transient is negligible.

Intervals: a time share (unavailability) or a rate (losses per year) is a
mean over equal chunks, with a t interval over the chunk values. The mean
outage and the MTTF are ratios of sums over chunks, with a delta-method
interval. With few events an interval is wide or degenerate, and the result
says how many events it rests on.
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
from . import kernel
from .exact import ExactQuorum, exact
from .histogram import HIST_BINS, bin_centre_hours
from .model import Distribution, RaftModel
from .result import RaftResult

CHUNK_YEARS = 1000.0
WAVE = 32  # chunks per step of an adaptive run; fixed so results do not depend on workers


def _kernel_law(dist: Distribution | None) -> np.ndarray:
    """A law as the kernel samples it: (kind code, parameter, shape); a placeholder for an absent law."""
    if dist is None:
        return np.array([3.0, 1.0, 1.0])
    return np.array([float(dist.code), dist.engine_parameter, dist.shape])


def _chunk_inputs(model: RaftModel, seed: int, hours: float, year_hours: float) -> kernel.ChunkInputs:
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
    inputs = _chunk_inputs(model, chunk_seeds(seed, 1)[0], hours, year)._replace(trace_cap=cap)
    _, _, times, masks, leaders = kernel.run_chunk(inputs)
    bits = ((masks[:, None] >> np.arange(model.nodes)) & 1).astype(bool)
    return Trace(times, bits, leaders, model.quorum, hours)


def _t95(dof: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, max(dof, 1)))


def _mean_interval(values: np.ndarray) -> Interval:
    """The mean of per-chunk values, with a t interval over the chunks."""
    m = float(values.mean())
    if values.size < 2:
        return Interval(m)
    half = _t95(values.size - 1) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return Interval(m, max(m - half, 0.0), m + half)


def _ratio_interval(num: np.ndarray, den: np.ndarray) -> Interval:
    """sum(num) / sum(den) over chunks, with a delta-method interval; none when den sums to 0."""
    total = float(den.sum())
    if total <= 0:
        return Interval(None)
    r = float(num.sum()) / total
    if num.size < 2:
        return Interval(r)
    residual = num - r * den
    half = _t95(num.size - 1) * float(residual.std(ddof=1)) * math.sqrt(num.size) / total
    return Interval(r, max(r - half, 0.0), r + half)


def _percentiles(hist: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """p50, p95 and p99 of the outage durations (hours, bin centres); None without outages."""
    total = int(hist.sum())
    if total == 0:
        return None, None, None
    cumulative = np.cumsum(hist)
    return tuple(float(bin_centre_hours(int(np.searchsorted(cumulative, q * total, side="left"))))
                 for q in (0.5, 0.95, 0.99))


def chunk_seeds(seed: int, count: int, start: int = 0) -> list[int]:
    """Seeds of chunks ``start .. start + count - 1`` of a run (independent of the split)."""
    children = np.random.SeedSequence(seed).spawn(start + count)[start:]
    return [int(c.generate_state(1, np.uint32)[0]) for c in children]


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
            if target_rel_error is not None:
                table = np.array(stats)
                est = _mean_interval(table[:, kernel.QUORUM_DOWN] / table[:, kernel.HOURS])
                if done >= 2 * WAVE and est.half_width_ratio() <= target_rel_error:
                    stopped = "target"
                    break
            if max_seconds is not None and perf_counter() - start > max_seconds and done < planned:
                stopped = "time"
                break
    finally:
        if pool is not None:
            pool.shutdown()
    wall = perf_counter() - start
    table = np.array(stats)
    hours = table[:, kernel.HOURS]
    per_year = year / hours
    quorum = _mean_interval(table[:, kernel.QUORUM_DOWN] / hours)
    write = _mean_interval((table[:, kernel.QUORUM_DOWN] + table[:, kernel.NO_LEADER]) / hours)
    losses_observed = int(table[:, kernel.LOSSES].sum())
    notes = []
    if losses_observed < 10:
        notes.append(
            f"only {losses_observed} quorum losses were observed: the quorum figures rest on few events; "
            "simulate longer (--years) or use the exact values"
        )
    if target_rel_error is not None and stopped != "target":
        notes.append(f"the target relative error {target_rel_error:g} was not reached ({stopped} ran out)")
    mttf = _ratio_interval(table[:, kernel.ARMED_TIME], table[:, kernel.ARMED_LOSSES])
    if not model.ttf.exponential:
        notes.append("MTTF treats each return to all-up as a fresh start, exact only for exponential time to failure")
    p50, p95, p99 = _percentiles(hist)
    return RaftResult(
        model=model,
        seed=seed,
        chunks=len(stats),
        simulated_years=float(hours.sum() / year),
        events=int(table[:, kernel.EVENTS].sum()),
        wall_seconds=wall,
        unavailability=write,
        quorum_unavailability=quorum,
        quorum_losses_per_year=_mean_interval(table[:, kernel.LOSSES] * per_year),
        quorum_losses_observed=losses_observed,
        probability_of_loss_within_year=_ratio_interval(table[:, kernel.YEARS_WITH_LOSS], hours / year),
        mean_outage_hours=_ratio_interval(table[:, kernel.OUTAGE_SUM], table[:, kernel.OUTAGES]),
        p50_outage_hours=p50,
        p95_outage_hours=p95,
        p99_outage_hours=p99,
        elections_per_year=_mean_interval(table[:, kernel.ELECTIONS] * per_year),
        election_downtime_per_year_hours=_mean_interval(table[:, kernel.NO_LEADER] * per_year),
        mttf_hours=mttf,
        data_loss_per_year=(_mean_interval(table[:, kernel.DATA_LOSSES] * per_year) if model.permanent > 0
                            else Interval(None)),
        mttdl_hours=(_ratio_interval(table[:, kernel.DL_ARMED_TIME], table[:, kernel.DL_ARMED_LOSSES])
                     if model.permanent > 0 else Interval(None)),
        exact=truth if truth is not None else exact(model, year),
        calendar=calendar,
        method="crude",
        stopped=stopped,
        notes=tuple(notes),
        outage_histogram=hist,
    )


def warm_up() -> None:
    """Compile (or load from cache) the kernel before timing anything."""
    _run_many([_chunk_inputs(RaftModel(nodes=3), 1, 100.0, Calendar().year_hours)])

