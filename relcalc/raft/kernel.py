"""The compiled event loop of the Raft simulation (numba).

One call simulates one chunk: a window of ``horizon`` hours, driven by the
``numpy.random.Generator`` it is handed (the engine gives chunk i the i-th
child of the run's ``SeedSequence``; nothing here touches numpy's global
state). Chunks are independent, so a run is a list of chunks whose results
are summed; the same chunk generators give the same numbers however the
chunks are spread over processes or machines.

A chunk starts in the steady state, not all new: each node is up, under
repair or being replaced with its long-run share of time, with the time left
drawn from the equilibrium (length-biased) law of that phase, and each zone
likewise. Nodes and zones that nothing couples are then exactly stationary
from the first hour, whatever their laws. Where crews, common-cause shocks
or rolling restarts couple them, the chunk first runs ``warm_up_hours``
unrecorded. (A timeline instead starts all up, ``stationary=False``.)

The loop keeps, per node, the time of its next transition (failure if up,
end of repair if under repair, infinity while it waits for a crew), per zone
the same, and the end of the election in progress. Each step takes the
earliest, adds the time since the last step to the state's totals, applies
the transition, and then re-derives the quorum and leader state. A quorum
outage that began in the window and is still open at its end runs on past
it, so its full length is recorded (the window's totals stay the window's).

Statistics (indices into the returned vector) are sums over the chunk, so
chunks add up.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import sys

import numpy as np
from numba import njit

from .histogram import HIST_BINS, HIST_LO, HIST_STEP


class _BlasCheck:
    """numba's ``_HAVE_BLAS`` flag, worked out when first read rather than when numba loads its array maths."""

    def __bool__(self) -> bool:
        from numba.np.arraymath import _check_blas

        return _check_blas()


def _defer_blas_check() -> None:
    """Load numba's array maths without the scipy.linalg import its BLAS check makes there.

    Loading any cached kernel loads numba.np.arraymath, whose import imports
    scipy.linalg (about 0.15-0.25 s CPU, a fifth of a default ``simulate
    raft``) only to set a flag that numba reads when it compiles a dot product
    of 1-d arrays, which nothing here does. The import runs with scipy
    hidden and the flag becomes a check made when it is first read, so numba
    behaves as before for any later compile in the process. Only a process
    with one thread does this: another thread importing scipy meanwhile would
    find it hidden.
    """
    import threading

    if "numba.np.arraymath" in sys.modules or threading.active_count() > 1:
        return
    hidden = next((name for name in ("scipy", "scipy.linalg", "scipy.linalg.cython_blas")
                   if name not in sys.modules), None)
    if hidden is not None:
        sys.modules[hidden] = None  # an import of it raises ImportError at once
    try:
        import numba.np.arraymath as arraymath
    finally:
        if hidden is not None and sys.modules.get(hidden, 0) is None:
            del sys.modules[hidden]
    arraymath._HAVE_BLAS = _BlasCheck()


_defer_blas_check()

QUORUM_DOWN = 0  # hours without a quorum
NO_LEADER = 1  # hours with a quorum but no leader (elections)
LOSSES = 2  # quorum losses (transitions from quorum to none)
ELECTIONS = 3  # elections started
EVENTS = 4  # node and zone transitions and election ends
ARMED_TIME = 5  # hours since the last all-up moment, until the next loss
ARMED_LOSSES = 6  # losses that ended such a stretch
OUTAGE_SUM = 7  # hours of the quorum outages that began in the window, each to its end
OUTAGES = 8  # those outages (every loss of the window)
YEARS_WITH_LOSS = 9  # complete calendar years of the window in which a loss began
NODE_FAILURES = 10
HOURS = 11
ZONE_FAILURES = 12
LEADER_LOSSES = 13  # the leader stopped serving while a quorum remained
DATA_LOSSES = 14  # a quorum of nodes with destroyed data at once
DL_ARMED_TIME = 15  # hours since the last all-up moment, until the next data loss
DL_ARMED_LOSSES = 16
RESTARTS = 17
SHOCKS = 18
YEARS = 19  # complete calendar years in the window
TRIALS = 20  # years watched from an all-up moment (each ends at a loss or after a year)
TRIAL_LOSSES = 21  # of those, the ones a loss ended
OUTAGE_SQUARES = 22  # sum of the squares of the OUTAGE_SUM lengths
N_STATS = 23

UP, REPAIR, REPLACE, RESTART = 0, 1, 2, 3

try:
    # numba's samplers on a Generator's bit generator: exactly what Generator's methods call, without the
    # reference counting a method call does on the Generator (atomic, about 9% of the loop's time)
    from numba.np.random.distributions import random_exponential, random_gamma, random_lognormal, random_weibull
    from numba.np.random.generator_core import next_double
except ImportError:  # pragma: no cover - another numba: the Generator's own methods, same numbers
    random_exponential = random_gamma = random_lognormal = random_weibull = next_double = None

if next_double is not None:
    @njit(cache=True, inline="always")
    def _source(generator):
        return generator.bit_generator

    @njit(cache=True, inline="always")
    def _uniform(source):
        return next_double(source)

    @njit(cache=True, inline="always")
    def _exponential(source, scale):
        return random_exponential(source, scale)

    @njit(cache=True, inline="always")
    def _lognormal(source, mean, sigma):
        return random_lognormal(source, mean, sigma)

    @njit(cache=True, inline="always")
    def _weibull(source, shape):
        return random_weibull(source, shape)

    @njit(cache=True, inline="always")
    def _gamma(source, shape, scale):
        return random_gamma(source, shape, scale)
else:  # pragma: no cover
    @njit(cache=True, inline="always")
    def _source(generator):
        return generator

    @njit(cache=True, inline="always")
    def _uniform(source):
        return source.random()

    @njit(cache=True, inline="always")
    def _exponential(source, scale):
        return source.exponential(scale)

    @njit(cache=True, inline="always")
    def _lognormal(source, mean, sigma):
        return source.lognormal(mean, sigma)

    @njit(cache=True, inline="always")
    def _weibull(source, shape):
        return source.weibull(shape)

    @njit(cache=True, inline="always")
    def _gamma(source, shape, scale):
        return source.gamma(shape, scale)
MAX_ELECTION_ROUNDS = 100_000


class ChunkInputs(NamedTuple):
    """Everything one chunk needs, by name; numba compiles it as a typed tuple, read as cheaply as arguments.

    Times are hours. A law (``own_ttf``, ``ttr``, ``zone_ttf``, ``zone_ttr``)
    is a float array (kind code, parameter, shape) as
    :attr:`Distribution.engine_parameter` gives it; ``own_ttf`` is a node's
    own failure law (the common-cause share taken out). Keep every field's
    type fixed (ints as int, floats as float): another type compiles the
    kernel again.
    """

    horizon_hours: float  # the chunk's window
    year_hours: float  # for counting the calendar years with a loss
    nodes: int
    quorum: int
    own_ttf: np.ndarray
    ttr: np.ndarray
    crews: int  # 0: unlimited
    zone_of: np.ndarray  # int64, each node's zone
    zones: int
    zone_failures: bool
    zone_ttf: np.ndarray
    zone_ttr: np.ndarray
    election_timeout_low_hours: float
    election_timeout_high_hours: float
    rtt_hours: float
    shock_mean_hours: float  # inf: no common-cause shocks
    shock_per_zone: bool
    permanent: float  # share of own failures that destroy the node's data
    replace_mean_hours: float
    restart_every_hours: float  # 0: no rolling restarts
    restart_duration_hours: float
    trace_cap: int  # changes to record for a timeline (0: none)
    stationary: bool  # start in the steady state (False: all up, all new)
    warm_up_hours: float  # simulated, not recorded, before the window


@njit(cache=True, inline="always")
def _draw(rng, kind, parameter, shape):
    if kind == 0:
        return _exponential(rng, parameter)
    if kind == 1:
        return parameter * _weibull(rng, shape)
    if kind == 2:
        return _lognormal(rng, parameter, shape)
    return parameter


@njit(cache=True, inline="always")
def _mean(law):
    kind, parameter, shape = int(law[0]), law[1], law[2]
    if kind == 1:
        return parameter * math.gamma(1.0 + 1.0 / shape)
    if kind == 2:
        return math.exp(parameter + 0.5 * shape * shape)
    return parameter


@njit(cache=True, inline="always")
def _draw_residual(rng, law):
    """Time left of a phase caught at a random moment: uniform over a length-biased draw.

    Length-biased laws (density x f(x) / mean): an exponential's is gamma(2)
    (so the time left is exponential again), a Weibull(k, scale s)'s is
    s G^(1/k) with G gamma(1 + 1/k), a lognormal(mu, sigma)'s is
    lognormal(mu + sigma^2, sigma), a fixed d's is d.
    """
    kind, parameter, shape = int(law[0]), law[1], law[2]
    if kind == 0:
        return _exponential(rng, parameter)
    if kind == 1:
        length = parameter * _gamma(rng, 1.0 + 1.0 / shape, 1.0) ** (1.0 / shape)
    elif kind == 2:
        length = _lognormal(rng, parameter + shape * shape, shape)
    else:
        length = parameter
    return length * _uniform(rng)


@njit(cache=True, inline="always")
def _election_time(rng, serving, low, high, rtt):
    """Duration of an election among ``serving`` nodes: rounds until no split vote.

    Each round every serving node draws a timeout in [low, high]; the first to
    fire asks for votes and wins after one round trip, unless a second node's
    timeout fires within that round trip (a split vote), which costs the
    round and starts another. :class:`~.model.RaftModel` refuses timeouts
    and round trips that let a round end the election less than 1% of the
    time; the round limit only guards the loop against a model built around
    that check.
    """
    total = 0.0
    for _ in range(MAX_ELECTION_ROUNDS):
        first = np.inf
        second = np.inf
        for _ in range(serving):
            x = low + (high - low) * _uniform(rng)
            if x < first:
                second = first
                first = x
            elif x < second:
                second = x
        total += first + rtt
        if serving == 1 or second - first > rtt:
            return total
    return total


@njit(cache=True, inline="always")
def _start_repair(rng, who, t, status, node_next, ttr, replace_mean):
    if status[who] == REPLACE:
        node_next[who] = t + _exponential(rng, replace_mean)
    else:
        node_next[who] = t + _draw(rng, int(ttr[0]), ttr[1], ttr[2])


@njit(cache=True, inline="always")
def _serving(status, zone_up, zone_of):
    """(nodes serving, whether every node and zone is up); inlined into the loop, so it costs no call."""
    serving = 0
    all_up = True
    for i in range(status.size):
        if status[i] == UP and zone_up[zone_of[i]]:
            serving += 1
        else:
            all_up = False
    for z in range(zone_up.size):
        if not zone_up[z]:
            all_up = False
    return serving, all_up


@njit(cache=True, inline="always")
def _nth_serving(status, zone_up, zone_of, pick):
    """The ``pick``-th serving node (from 0), in node order."""
    for i in range(status.size):
        if status[i] == UP and zone_up[zone_of[i]]:
            if pick == 0:
                return i
            pick -= 1
    return -1


@njit(cache=True, inline="always")
def _flush(stats, quorum_down, no_leader, armed_time, dl_armed_time, events):
    stats[QUORUM_DOWN] += quorum_down
    stats[NO_LEADER] += no_leader
    stats[ARMED_TIME] += armed_time
    stats[DL_ARMED_TIME] += dl_armed_time
    stats[EVENTS] += events


@njit(cache=True)
def run_chunk(inputs, generator):
    """Simulate one chunk of :class:`ChunkInputs` with the generator ``rng``; returns (stats vector, outage histogram, trace times, masks, leaders).

    Shocks come every ``shock_mean_hours`` on average (exponential), for the
    whole cluster or each zone; a share ``permanent`` of own failures destroys
    the node's data and needs an exponential replacement. Rolling restarts
    take the nodes out one after another, once a period.
    """
    rng = _source(generator)  # what the samplers below draw from (the generator's bit generator, if numba allows)
    # short local names for the loop below
    horizon, year = inputs.horizon_hours, inputs.year_hours
    n, quorum, crews = inputs.nodes, inputs.quorum, inputs.crews
    ttf, ttr, zttf, zttr = inputs.own_ttf, inputs.ttr, inputs.zone_ttf, inputs.zone_ttr
    zone_of, zones, zone_fail = inputs.zone_of, inputs.zones, inputs.zone_failures
    low, high, rtt = inputs.election_timeout_low_hours, inputs.election_timeout_high_hours, inputs.rtt_hours
    shock_mean, shock_per_zone = inputs.shock_mean_hours, inputs.shock_per_zone
    permanent, replace_mean = inputs.permanent, inputs.replace_mean_hours
    restart_every, restart_duration = inputs.restart_every_hours, inputs.restart_duration_hours
    trace_cap, stationary, warm = inputs.trace_cap, inputs.stationary, inputs.warm_up_hours
    stats = np.zeros(N_STATS)
    hist = np.zeros(HIST_BINS, np.int64)
    trace_t = np.zeros(trace_cap)
    trace_mask = np.zeros(trace_cap, np.int64)
    trace_leader = np.zeros(trace_cap, np.int64)
    traced = 0
    if trace_cap > 0:
        trace_mask[0] = (1 << n) - 1
        traced = 1
    status = np.zeros(n, np.int64)
    # every pending transition's time in one array, so finding the earliest is one loop: the nodes',
    # the zones', the rolling restart's and the shocks' (views into it); the loop stops before the
    # parts that stay infinite in this model (zones that never fail, no restarts, no shocks)
    when = np.full(n + 2 * zones + 1, np.inf)
    restart_slot = n + zones
    pending = n
    if zone_fail:
        pending = n + zones
    if restart_every > 0:
        pending = restart_slot + 1
    if shock_mean < np.inf:
        pending = n + 2 * zones + 1
    node_next = when[:n]
    remaining = np.zeros(n)  # time to failure left when a restart began
    queue = np.empty(n, np.int64)  # nodes waiting for a crew, a ring buffer
    q_head = 0
    q_len = 0
    busy = 0
    destroyed = 0
    zone_up = np.ones(zones, np.bool_)
    zone_next = when[n:n + zones]
    if stationary:
        # each node in a phase with its long-run share of time, the time left drawn from the phase's
        # equilibrium law; the nodes found down take the crews in random order
        share_up = _mean(ttf)
        share_repair = (1.0 - permanent) * _mean(ttr)
        share_all = share_up + share_repair + permanent * replace_mean
        for i in generator.permutation(n):
            x = _uniform(rng) * share_all
            if x < share_up:
                node_next[i] = _draw_residual(rng, ttf)
                continue
            status[i] = REPAIR if x < share_up + share_repair else REPLACE
            if status[i] == REPLACE:
                destroyed += 1
            if crews == 0 or busy < crews:
                busy += 1
                node_next[i] = _draw_residual(rng, ttr) if status[i] == REPAIR else _exponential(rng, replace_mean)
            else:
                queue[(q_head + q_len) % n] = i
                q_len += 1
                node_next[i] = np.inf
        if zone_fail:
            zone_share_up = _mean(zttf)
            for z in range(zones):
                if _uniform(rng) * (zone_share_up + _mean(zttr)) < zone_share_up:
                    zone_next[z] = _draw_residual(rng, zttf)
                else:
                    zone_up[z] = False
                    zone_next[z] = _draw_residual(rng, zttr)
    else:
        for i in range(n):
            node_next[i] = _draw(rng, int(ttf[0]), ttf[1], ttf[2])
        if zone_fail:
            for z in range(zones):
                zone_next[z] = _draw(rng, int(zttf[0]), zttf[1], zttf[2])
    shock_next = when[restart_slot + 1:]
    if shock_mean < np.inf:
        for z in range(zones if shock_per_zone else 1):
            shock_next[z] = _exponential(rng, shock_mean)
    restart_next = np.inf
    if restart_every > 0:
        restart_next = restart_every * _uniform(rng) if stationary else restart_every
    round_start = restart_next
    restart_node = 0
    serving, all_up = _serving(status, zone_up, zone_of)
    # kept up to date at each transition below rather than re-counted after every event
    nodes_down = 0
    for i in range(n):
        if status[i] != UP:
            nodes_down += 1
    zones_down = 0
    for z in range(zones):
        if not zone_up[z]:
            zones_down += 1
    have_quorum = serving >= quorum
    leader = -1
    if have_quorum:  # a leader among the serving nodes (node 0 when all are new)
        leader = _nth_serving(status, zone_up, zone_of, int(_uniform(rng) * serving) if stationary else 0)
    election_end = np.inf
    data_lost = destroyed >= quorum
    armed = all_up
    dl_armed = all_up
    outage_start = 0.0
    outage_counted = False  # whether the outage under way began in the window
    last_loss_year = -1
    # the window is [opens, closes]; before it, the warm-up
    opens = warm
    closes = warm + horizon
    recording = not (warm > 0)
    stop = closes if recording else opens
    full_years = int(horizon / year)
    last_trial_start = closes - year  # a year watched from an all-up moment ends in the window
    trial_open = recording and all_up and 0.0 <= last_trial_start
    trial_end = year
    overtime = False
    saved = stats
    t = 0.0
    # the sums touched at every event live in locals (registers), written to ``stats`` when the window ends
    quorum_down = no_leader = armed_time = dl_armed_time = 0.0
    events = 0
    while True:
        # the earliest transition
        when[restart_slot] = restart_next
        earliest = -1
        t_next = election_end
        for j in range(pending):
            if when[j] < t_next:
                t_next = when[j]
                earliest = j
        if earliest < 0:
            kind = 0
            who = -1
        elif earliest < n:
            kind = 1
            who = earliest
        elif earliest < restart_slot:
            kind = 2
            who = earliest - n
        elif earliest == restart_slot:
            kind = 4
            who = -1
        else:
            kind = 3
            who = earliest - restart_slot - 1
        end = min(t_next, stop)
        dt = end - t
        if not have_quorum:
            quorum_down += dt
        elif leader < 0:
            no_leader += dt
        if armed:
            armed_time += dt
        if dl_armed:
            dl_armed_time += dt
        if t_next > stop:
            if not recording:  # the window opens: what came before was warm-up
                stats[:] = 0.0
                quorum_down = no_leader = armed_time = dl_armed_time = 0.0
                events = 0
                hist[:] = 0
                recording = True
                t = stop
                stop = closes
                outage_counted = False
                last_loss_year = -1
                if all_up and t <= last_trial_start:
                    trial_open = True
                    trial_end = t + year
                continue
            if trial_open:  # its year ended in the window without a loss
                stats[TRIALS] += 1
                trial_open = False
            _flush(stats, quorum_down, no_leader, armed_time, dl_armed_time, events)
            if have_quorum or not outage_counted or trace_cap > 0:
                break
            # an outage of the window is still open: follow it to its end; the window's totals are kept aside
            # (the running sums go on, but only the outage's figures are taken from what follows)
            saved = stats.copy()
            overtime = True
            stop = np.inf
            continue
        t = t_next
        events += 1
        if trial_open and t > trial_end:  # a year from an all-up moment passed without a loss
            stats[TRIALS] += 1
            trial_open = False

        if kind == 0:  # an election ends: one of the serving nodes leads
            election_end = np.inf
            leader = _nth_serving(status, zone_up, zone_of, int(_uniform(rng) * serving))
        elif kind == 1 and status[who] == UP:  # a node fails on its own
            stats[NODE_FAILURES] += 1
            nodes_down += 1
            if zone_up[zone_of[who]]:
                serving -= 1
            if permanent > 0 and _uniform(rng) < permanent:
                status[who] = REPLACE
                destroyed += 1
            else:
                status[who] = REPAIR
            # to a free crew or the queue; written out again for shocks below, because a helper
            # returning (busy, queue length) cost a quarter of the events per second
            if crews == 0 or busy < crews:
                busy += 1
                _start_repair(rng, who, t, status, node_next, ttr, replace_mean)
            else:
                queue[(q_head + q_len) % n] = who
                q_len += 1
                node_next[who] = np.inf
        elif kind == 1 and status[who] == RESTART:  # a restart ends
            status[who] = UP
            nodes_down -= 1
            if zone_up[zone_of[who]]:
                serving += 1
            node_next[who] = t + remaining[who]
        elif kind == 1:  # a repair or replacement ends; the crew takes the next in line
            if status[who] == REPLACE:
                destroyed -= 1
            status[who] = UP
            nodes_down -= 1
            if zone_up[zone_of[who]]:
                serving += 1
            node_next[who] = t + _draw(rng, int(ttf[0]), ttf[1], ttf[2])
            busy -= 1
            if q_len > 0:
                nxt = queue[q_head]
                q_head = (q_head + 1) % n
                q_len -= 1
                busy += 1
                _start_repair(rng, nxt, t, status, node_next, ttr, replace_mean)
        elif kind == 2 and zone_up[who]:  # a zone fails
            zone_up[who] = False
            zones_down += 1
            for i in range(n):
                if zone_of[i] == who and status[i] == UP:
                    serving -= 1
            stats[ZONE_FAILURES] += 1
            zone_next[who] = t + _draw(rng, int(zttr[0]), zttr[1], zttr[2])
        elif kind == 2:  # a zone comes back
            zone_up[who] = True
            zones_down -= 1
            for i in range(n):
                if zone_of[i] == who and status[i] == UP:
                    serving += 1
            zone_next[who] = t + _draw(rng, int(zttf[0]), zttf[1], zttf[2])
        elif kind == 3:  # a common-cause shock fails every up node (of the zone)
            stats[SHOCKS] += 1
            shock_next[who] = t + _exponential(rng, shock_mean)
            for i in range(n):
                if status[i] == UP and (not shock_per_zone or zone_of[i] == who):
                    status[i] = REPAIR
                    nodes_down += 1
                    if zone_up[zone_of[i]]:
                        serving -= 1
                    if crews == 0 or busy < crews:
                        busy += 1
                        _start_repair(rng, i, t, status, node_next, ttr, replace_mean)
                    else:
                        queue[(q_head + q_len) % n] = i
                        q_len += 1
                        node_next[i] = np.inf
        else:  # the rolling restart reaches its next node
            if status[restart_node] == UP:
                stats[RESTARTS] += 1
                status[restart_node] = RESTART
                nodes_down += 1
                if zone_up[zone_of[restart_node]]:
                    serving -= 1
                remaining[restart_node] = node_next[restart_node] - t
                node_next[restart_node] = t + restart_duration
            restart_node += 1
            if restart_node == n:
                restart_node = 0
                round_start += restart_every
                restart_next = round_start
            else:
                restart_next = t + restart_duration
        # re-derive quorum, leader and data loss
        all_up = nodes_down == 0 and zones_down == 0
        quorum_now = serving >= quorum
        if leader >= 0 and not (status[leader] == UP and zone_up[zone_of[leader]]):
            leader = -1
            if quorum_now:
                stats[LEADER_LOSSES] += 1
        if have_quorum and not quorum_now:
            stats[LOSSES] += 1
            outage_start = t
            outage_counted = True
            election_end = np.inf
            leader = -1  # a leader cut off from its majority steps down
            y = int((t - opens) / year)
            if y < full_years and y != last_loss_year:
                stats[YEARS_WITH_LOSS] += 1
                last_loss_year = y
            if armed:
                stats[ARMED_LOSSES] += 1
                armed = False
            if trial_open:  # a loss within a year of an all-up moment
                stats[TRIALS] += 1
                stats[TRIAL_LOSSES] += 1
                trial_open = False
        elif quorum_now and not have_quorum:
            if outage_counted:
                length = t - outage_start
                stats[OUTAGE_SUM] += length
                stats[OUTAGE_SQUARES] += length * length
                stats[OUTAGES] += 1
                b = int((np.log10(max(length, 1e-300)) - HIST_LO) / HIST_STEP)
                hist[min(max(b, 0), HIST_BINS - 1)] += 1
            if overtime:  # the window's outage has ended: back to the window's totals, with it
                saved[OUTAGE_SUM] = stats[OUTAGE_SUM]
                saved[OUTAGE_SQUARES] = stats[OUTAGE_SQUARES]
                saved[OUTAGES] = stats[OUTAGES]
                stats = saved
                break
        have_quorum = quorum_now

        lost_data_now = destroyed >= quorum
        if lost_data_now and not data_lost:
            stats[DATA_LOSSES] += 1
            if dl_armed:
                stats[DL_ARMED_LOSSES] += 1
                dl_armed = False
        data_lost = lost_data_now
        if quorum_now and leader < 0 and election_end == np.inf:
            stats[ELECTIONS] += 1
            election_end = t + _election_time(rng, serving, low, high, rtt)
        if all_up:
            armed = True
            dl_armed = True
            if not trial_open and recording and t <= last_trial_start:
                trial_open = True
                trial_end = t + year
        if traced < trace_cap:
            mask = 0
            for i in range(n):
                if status[i] == UP and zone_up[zone_of[i]]:
                    mask |= 1 << i
            trace_t[traced] = t
            trace_mask[traced] = mask
            trace_leader[traced] = leader
            traced += 1
    stats[HOURS] = horizon
    stats[YEARS] = full_years
    return stats, hist, trace_t[:traced], trace_mask[:traced], trace_leader[:traced]
