"""One entry point for every way of answering: crude simulation, importance sampling, the exact chain.

``analyze(model, method=...)`` returns a :class:`~relcalc.raft.result.RaftResult`
whatever the method, so reports and sweeps need not care which ran.

- ``crude``: the Monte Carlo engine; any model.
- ``importance``: balanced failure biasing on the model's Markov chain; needs
  exponential times and no schedule. Quorum figures (and data loss) only;
  elections are added as their expected downtime.
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
from .engine import simulate
from .exact import SIDE_STATES, ExactQuorum, exact_with_chain
from .model import RaftModel
from .result import RaftResult

METHODS = ("auto", "crude", "importance", "exact")
#: What auto assumes crude sampling manages, events per second on one core (conservative).
CRUDE_EVENTS_PER_SECOND = 1e7


def mean_election_hours(model: RaftModel, voters: int) -> float:
    """Expected election time among ``voters`` serving nodes.

    Rounds repeat while the two earliest of ``voters`` uniform timeouts on
    [low, high] fire within one round trip; the earliest is low + w/(k+1) on
    average, the gap between the first two exceeds d with probability
    (1 - d/w)^k, and by Wald's identity the mean is the mean round over the
    chance a round succeeds.
    """
    low, high = model.election_timeout
    width = high - low
    round_time = low + width / (voters + 1) + model.rtt
    if voters <= 1:
        return round_time
    if width <= model.rtt:
        return math.inf
    return round_time / (1.0 - model.rtt / width) ** voters


def election_downtime_share(model: RaftModel) -> float:
    """Expected share of time without a leader: leader losses x mean election (an approximation).

    A leader stops serving when its node fails (1/MTBF, shocks included) or
    its zone does; the election then runs among the other n - 1 nodes.
    """
    rate = 1.0 / model.ttf.mean + (1.0 / model.zone_ttf.mean if model.zone_failures else 0.0)
    if model.restart_every:
        rate += 1.0 / model.restart_every
    return rate * mean_election_hours(model, max(model.nodes - 1, 1))


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


def analyze(model: RaftModel, *, method: str = "crude", years: float = 100_000.0, seed: int = 0, workers: int = 1,
            target_rel_error: float | None = None, max_seconds: float | None = None, progress=None,
            calendar: Calendar | None = None) -> RaftResult:
    """Answer for ``model`` by ``method`` (see the module text).

    ``years`` and every per-year figure are years of ``calendar`` (365 days by default).
    """
    from .ctmc import MAX_STATES

    calendar = calendar or Calendar()
    year = calendar.year_hours
    # the chain only informs a crude run; it is the answer for exact and importance
    truth, chain = exact_with_chain(model, year,
                                    MAX_STATES if method in ("exact", "importance") else SIDE_STATES)
    chosen = choose(model, method, target_rel_error, max_seconds, truth)
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
                    "exponential times; each interval is a t interval over independent simulated chunks")
            result = _with(result, notes=result.notes + (note,))
        return result
    if chosen == "importance" and chain is None:
        raise InputError("the Markov chain of this model is too large to build; use --method crude")
    if chosen == "exact" and truth.quorum_unavailability is None:
        raise InputError("the exact chain of this model is too large to solve exactly; use --method importance "
                         "or crude")
    elections = election_downtime_share(model)
    notes = [
        "write unavailability adds the expected election downtime, (leader failure rate) x (mean election time), "
        "an approximation",
    ]
    if chosen == "exact":
        return _exact_result(model, truth, elections, seed, notes, calendar)
    return _importance_result(model, chain, truth, elections, seed, target_rel_error, max_seconds, notes, method,
                              calendar)


def _exact_result(model, truth: ExactQuorum, elections: float, seed: int, notes: list[str],
                  calendar: Calendar) -> RaftResult:
    u = truth.quorum_unavailability
    year = calendar.year_hours
    percentiles = truth.outage_percentiles_hours or {}
    return RaftResult(
        model=model, seed=seed, chunks=0, simulated_years=None, events=None, wall_seconds=0.0,
        unavailability=Interval.exact(u + elections * (1 - u)),
        quorum_unavailability=Interval.exact(u),
        quorum_losses_per_year=Interval.exact(truth.losses_per_hour * year),
        quorum_losses_observed=None,
        probability_of_loss_within_year=Interval.exact(truth.loss_within_year),
        mean_outage_hours=Interval.exact(truth.mean_outage_hours),
        p50_outage_hours=percentiles.get("p50"),
        p95_outage_hours=percentiles.get("p95"),
        p99_outage_hours=percentiles.get("p99"),
        **_election_figures(model, elections, year),
        mttf_hours=Interval.exact(truth.mttf_hours),
        data_loss_per_year=Interval.exact(None if truth.data_loss_per_hour is None
                                          else truth.data_loss_per_hour * year),
        mttdl_hours=Interval.exact(truth.mttdl_hours),
        exact=truth,
        method="exact",
        stopped="exact",
        notes=tuple(notes),
        calendar=calendar,
    )


def _election_figures(model: RaftModel, elections: float, year_hours: float) -> dict[str, Interval]:
    """Elections per year and their downtime from the expected election share (exact and importance)."""
    return dict(
        elections_per_year=Interval.exact(elections / mean_election_hours(model, max(model.nodes - 1, 1)) * year_hours),
        election_downtime_per_year_hours=Interval.exact(elections * year_hours),
    )


def _importance_result(model, chain, truth, elections, seed, target_rel_error, max_seconds, notes,
                       asked, calendar: Calendar) -> RaftResult:
    from .importance import estimate, warm_up

    year = calendar.year_hours
    warm_up()
    rel = target_rel_error or 0.05
    quorum = estimate(chain, chain.lost, seed=seed, target_rel_error=rel, max_seconds=max_seconds)
    share = quorum.share
    freq = quorum.entries_per_hour.scaled(year)
    data = mttdl = Interval(None)
    seconds = quorum.seconds
    if model.permanent > 0 and chain.data_lost.any():
        lost_data = estimate(chain, chain.data_lost, seed=seed + 1, target_rel_error=rel, max_seconds=max_seconds)
        data = lost_data.entries_per_hour.scaled(year)
        mttdl = lost_data.mean_time_to
        seconds += lost_data.seconds
    outage = Interval(None)
    if share.value and freq.value:
        # the mean outage is the share over the frequency; its bounds pair the share's with the frequency's
        # opposite ones (an upper bound of infinity when the frequency's interval reaches 0)
        outage = Interval(share.value / freq.value * year,
                          share.low / freq.high * year if freq.high else None,
                          share.high / freq.low * year if freq.low else math.inf)
    within = Interval(None)
    if freq.value is not None:
        within = Interval(-math.expm1(-freq.value), -math.expm1(-freq.low), -math.expm1(-freq.high))
        notes.append("the chance of a loss within a year is 1 - exp(-losses per year), right for rare losses")
    if quorum.stopped != "target":
        notes.append(f"the target relative error {rel:g} was not reached ({quorum.stopped} ran out)")
    if asked == "auto":
        notes.append("auto chose importance sampling: crude sampling would need longer than the time budget")
    return RaftResult(
        model=model, seed=seed, chunks=quorum.cycles, simulated_years=None, events=None, wall_seconds=seconds,
        unavailability=Interval(share.value + elections, share.low + elections, share.high + elections),
        quorum_unavailability=share,
        quorum_losses_per_year=freq,
        quorum_losses_observed=None,
        probability_of_loss_within_year=within,
        mean_outage_hours=outage,
        p50_outage_hours=None,
        p95_outage_hours=None,
        p99_outage_hours=None,
        **_election_figures(model, elections, year),
        mttf_hours=quorum.mean_time_to,
        data_loss_per_year=data,
        mttdl_hours=mttdl,
        exact=truth,
        method="importance",
        stopped="time" if quorum.stopped == "time" else "target",
        notes=tuple(notes),
        variance_reduction=quorum.variance_reduction,
        cycles=quorum.cycles,
        calendar=calendar,
    )


def _with(result: RaftResult, **changes) -> RaftResult:
    from dataclasses import replace

    return replace(result, **changes)
