"""One entry point for every way of answering: crude simulation, importance sampling, the exact chain.

``analyze(model, method=...)`` returns a :class:`~relcalc.raft.result.RaftResult`
whatever the method, so reports and sweeps need not care which ran.

- ``crude``: the Monte Carlo engine; any model.
- ``importance``: balanced failure biasing on the model's Markov chain; needs
  exponential times and no schedule. Quorum figures (and data loss) only;
  elections and the write unavailability follow from them
  (:mod:`.elections`).
- ``exact``: the chain solved; same conditions, no interval.
- ``auto``: ``crude`` unless the model is Markovian and crude sampling would
  need longer than the time budget to reach the requested precision (judged
  from the exact loss frequency), then ``importance``.
"""

from __future__ import annotations

import math

from ..availability import Calendar
from ..errors import InputError
from ..results import Interval
from .elections import mean_election_hours, write_figures
from .engine import simulate
from .exact import SIDE_STATES, ExactQuorum, exact_with_chain
from .model import RaftModel
from .result import RaftResult

METHODS = ("auto", "crude", "importance", "exact")
#: What auto assumes crude sampling manages, events per second on one core (conservative).
CRUDE_EVENTS_PER_SECOND = 1e7
ELECTION_NOTE = ("write unavailability adds to the quorum unavailability u the elections after a leader is lost "
                 "((1 - u) x its failure rate, less the losses its failure caused) and after every quorum loss, "
                 "each times its mean length (relcalc/raft/elections.py): an approximation, whose error no "
                 "interval includes")


def _losses_needed(rel: float) -> float:
    """Losses a crude run should see for its 95% interval to be within ``rel``: (1.96/rel)^2, doubled for margin."""
    return 2.0 * (1.96 / rel) ** 2


def choose(model: RaftModel, method: str, target_rel_error: float | None, max_seconds: float | None,
           truth: ExactQuorum | None) -> str:
    """The method ``auto`` stands for (others are returned as they are, once checked)."""
    if method not in METHODS:
        raise InputError(f"--method: unknown method {method!r}; use {', '.join(METHODS)}")
    why = model.why_not_markovian()
    if method in ("importance", "exact"):
        if why:
            raise InputError(
                f"--method {method} needs a Markov chain (exponential times, no schedule), but {why}; "
                "use --method crude, whose intervals hold for any laws"
            )
        return method
    if method == "crude" or why or truth is None or not truth.losses_per_hour:
        return "crude"
    rarest = truth.losses_per_hour
    if model.permanent > 0 and truth.data_loss_per_hour:
        rarest = min(rarest, truth.data_loss_per_hour)  # data loss must be estimated too
    hours = _losses_needed(target_rel_error or 0.1) / rarest  # simulated time that holds enough losses
    events = 2.0 * model.nodes * hours / model.ttf.mean  # a failure and a repair per node and MTBF
    seconds = events / CRUDE_EVENTS_PER_SECOND
    return "importance" if seconds > (max_seconds or 60.0) else "crude"


#: What a first run says while numba compiles the compiled loops it has no cached machine code for.
COMPILE_NOTE = ("compiling the simulation code (numba) on first use: this run takes a few seconds longer; "
                "later runs load it from the cache")


def _cached(module: str, name: str) -> bool:
    """Whether numba's on-disk cache holds machine code for ``module.name`` that matches its source."""
    from importlib import import_module

    try:
        dispatcher = getattr(import_module(f"relcalc.raft.{module}"), name)
        return bool(dispatcher.signatures) or bool(dispatcher._cache._cache_file._load_index())
    except Exception:  # a numba without these internals: say nothing rather than something wrong
        return True


def compile_pending(method: str, chain_is_small: bool = True) -> bool:
    """Whether answering by ``method`` is about to compile code numba has not cached (a first run)."""
    needed = [("kernel", "run_chunk")] if method == "crude" else []
    if method == "importance":
        needed += [("importance", "_biased_cycles")]
    if not chain_is_small:
        needed += [("gth", "_factor")]
    return not all(_cached(module, name) for module, name in needed)


def analyze(model: RaftModel, *, method: str = "crude", years: float = 100_000.0, seed: int = 0, workers: int = 1,
            target_rel_error: float | None = None, max_seconds: float | None = None, progress=None,
            calendar: Calendar | None = None, notice=None, max_cycles: int | None = None) -> RaftResult:
    """Answer for ``model`` by ``method`` (see the module text).

    ``years`` and every per-year figure are years of ``calendar`` (365 days by
    default). ``notice(text)``, if given, hears once that a first run is
    compiling (:data:`COMPILE_NOTE`), before the wait. ``max_cycles`` bounds
    importance sampling's regenerative cycles (a budget in work, for
    reproducible runs).

    A crude run shows the exact figures beside its estimates where they are
    cheap: the steady state, the loss frequency and the MTTF of any chain up
    to :data:`~relcalc.raft.exact.SIDE_STATES` states, and the chance of a
    loss within a year and the outage percentiles only when the chain is
    small enough for them to take milliseconds (:mod:`.dense`); ``--method
    exact`` gives them all.
    """
    from .ctmc import MAX_STATES

    calendar = calendar or Calendar()
    year = calendar.year_hours
    # the chain only informs a crude run; it is the answer for exact and importance
    answer = method in ("exact", "importance")
    from .transient import time_limit

    with time_limit(max_seconds):  # the chain's outage percentiles and loss-within-a-year honour --max-time too
        truth, chain = exact_with_chain(model, year, MAX_STATES if answer else SIDE_STATES,
                                        transient=True if answer else None)
    chosen = choose(model, method, target_rel_error, max_seconds, truth)
    if chosen != "crude" and not answer and chain is not None:
        from .ctmc import cheap_transient

        if not cheap_transient(chain):  # auto chose importance: its result shows every exact figure
            with time_limit(max_seconds):
                truth, chain = exact_with_chain(model, year, SIDE_STATES, transient=True)
    if notice is not None:
        from .dense import DENSE_STATES

        if compile_pending(chosen, chain is None or chain.size <= DENSE_STATES):
            notice(COMPILE_NOTE)
    if chosen == "crude":
        if method == "auto":
            # run to the precision auto promised, within the time budget
            rel = target_rel_error or 0.1
            budget = years
            if truth.losses_per_hour:
                budget = max(years, 4.0 * _losses_needed(rel) / (truth.losses_per_hour * year))
            result = simulate(model, years=budget, seed=seed, workers=workers, target_rel_error=rel,
                              max_seconds=max_seconds or 60.0, progress=progress, truth=truth, calendar=calendar)
            return _with(result, notes=result.notes + ("auto chose crude sampling",))
        result = simulate(model, years=years, seed=seed, workers=workers, target_rel_error=target_rel_error,
                          max_seconds=max_seconds, progress=progress, truth=truth, calendar=calendar)
        why = model.why_not_markovian()
        if why:
            note = (f"only crude sampling applies ({why}): importance sampling and the exact chain need "
                    "exponential times; the crude intervals hold for any laws")
            result = _with(result, notes=result.notes + (note,))
        return result
    if chosen == "importance" and chain is None:
        raise InputError("the Markov chain of this model is too large to build; use --method crude")
    if chosen == "exact" and truth.quorum_unavailability is None:
        raise InputError("the exact chain of this model is too large to solve exactly; use --method importance "
                         "or crude")
    if chosen == "exact":
        return _exact_result(model, truth, seed, calendar)
    return _importance_result(model, chain, truth, seed, target_rel_error, max_seconds, method, calendar,
                              max_cycles)


def _solved(value: float | None) -> Interval:
    return Interval(value, method="exact" if value is not None else "none")


def _exact_result(model, truth: ExactQuorum, seed: int, calendar: Calendar) -> RaftResult:
    year = calendar.year_hours
    percentiles = truth.outage_percentiles_hours or {}
    notes = [ELECTION_NOTE]
    if truth.loss_within_year_from_all_up is None or truth.loss_within_year is None:
        notes.append("the chance of a loss within a year was left out: the chain is too stiff for the work budget")
    return RaftResult(
        model=model, seed=seed, chunks=0, simulated_years=None, events=None, wall_seconds=0.0,
        **write_figures(model, _solved(truth.quorum_unavailability), _solved(truth.losses_per_hour), year, "exact"),
        quorum_unavailability=_solved(truth.quorum_unavailability),
        quorum_losses_per_year=_solved(truth.losses_per_hour * year),
        quorum_losses_observed=None,
        probability_of_loss_within_year=_solved(truth.loss_within_year),
        probability_of_loss_within_year_from_all_up=_solved(truth.loss_within_year_from_all_up),
        probability_of_loss_within_year_from_steady_state=_solved(truth.loss_within_year),
        mean_outage_hours=_solved(truth.mean_outage_hours),
        p50_outage_hours=_solved(percentiles.get("p50")),
        p95_outage_hours=_solved(percentiles.get("p95")),
        p99_outage_hours=_solved(percentiles.get("p99")),
        mttf_hours=_solved(truth.mttf_hours),
        data_loss_per_year=_solved(None if truth.data_loss_per_hour is None else truth.data_loss_per_hour * year),
        mttdl_hours=_solved(truth.mttdl_hours),
        exact=truth,
        method="exact",
        stopped="exact",
        notes=tuple(notes),
        calendar=calendar,
    )


def _within_a_year(per_year: Interval) -> Interval:
    """1 - exp(-x) of a rate per year and of its interval (a rising function, so the ends map to ends)."""
    if per_year.value is None:
        return Interval(None, method="none")

    def chance(x):
        return None if x is None else -math.expm1(-x)

    return Interval(chance(per_year.value), chance(per_year.low), chance(per_year.high), per_year.method)


def _importance_result(model, chain, truth, seed, target_rel_error, max_seconds, asked,
                       calendar: Calendar, max_cycles: int | None = None) -> RaftResult:
    from .importance import estimate, warm_up

    year = calendar.year_hours
    warm_up()
    rel = target_rel_error or 0.05
    notes = [ELECTION_NOTE]
    cycles = {} if max_cycles is None else {"max_cycles": max_cycles}
    quorum = estimate(chain, chain.lost, seed=seed, target_rel_error=rel, max_seconds=max_seconds, **cycles)
    share = quorum.share
    freq = quorum.entries_per_hour.scaled(year)
    data = mttdl = Interval(None, method="none")
    seconds = quorum.seconds
    stopped = quorum.stopped
    if model.permanent > 0 and chain.data_lost.any():
        lost_data = estimate(chain, chain.data_lost, seed=seed + 1, target_rel_error=rel, max_seconds=max_seconds,
                             **cycles)
        data = lost_data.entries_per_hour.scaled(year)
        mttdl = lost_data.mean_time_to
        seconds += lost_data.seconds
        if lost_data.stopped != "target":
            stopped = lost_data.stopped
    outage = Interval(None, method="none")
    if share.value and freq.value:
        # the mean outage is the share over the frequency; its bounds pair the share's with the frequency's
        # opposite ones (an upper bound of infinity when the frequency's interval reaches 0)
        outage = Interval(share.value / freq.value * year,
                          share.low / freq.high * year if freq.high else None,
                          share.high / freq.low * year if freq.low else math.inf, "delta-paired")
    from_all_up = Interval(None, method="none")
    if quorum.mean_time_to.value is not None:
        mttf = quorum.mean_time_to
        # losses per year from all up, 1 / MTTF: the rate whose delta interval the MTTF's inverts
        from_all_up = _within_a_year(Interval(year / mttf.value, year / mttf.high if mttf.high else 0.0,
                                              year / mttf.low if mttf.low else math.inf, "delta"))
    if freq.value is not None:
        notes.append("the chance of a loss within a year is 1 - exp(-losses per year) from the steady state and "
                     "1 - exp(-1 year / MTTF) from all up, right for rare losses")
    if stopped != "target":
        notes.append(f"the target relative error {rel:g} was not reached ({stopped} ran out)")
    if asked == "auto":
        notes.append("auto chose importance sampling: crude sampling would need longer than the time budget")
    percentiles = truth.outage_percentiles_hours or {}
    return RaftResult(
        model=model, seed=seed, chunks=quorum.cycles, simulated_years=None, events=None, wall_seconds=seconds,
        **write_figures(model, share, quorum.entries_per_hour, year, share.method),
        quorum_unavailability=share,
        quorum_losses_per_year=freq,
        quorum_losses_observed=None,
        probability_of_loss_within_year=_within_a_year(freq),
        probability_of_loss_within_year_from_all_up=from_all_up,
        probability_of_loss_within_year_from_steady_state=_within_a_year(freq),
        mean_outage_hours=outage,
        # the chain gives the percentiles exactly where it could be solved; sampling adds nothing to them
        p50_outage_hours=_solved(percentiles.get("p50")),
        p95_outage_hours=_solved(percentiles.get("p95")),
        p99_outage_hours=_solved(percentiles.get("p99")),
        mttf_hours=quorum.mean_time_to,
        data_loss_per_year=data,
        mttdl_hours=mttdl,
        exact=truth,
        method="importance",
        stopped=stopped,
        notes=tuple(notes),
        variance_reduction=quorum.variance_reduction,
        cycles=quorum.cycles,
        calendar=calendar,
    )


def _with(result: RaftResult, **changes) -> RaftResult:
    from dataclasses import replace

    return replace(result, **changes)


__all__ = ["COMPILE_NOTE", "METHODS", "analyze", "choose", "compile_pending", "mean_election_hours"]
