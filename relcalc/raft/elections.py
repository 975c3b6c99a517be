"""Elections and the write unavailability built on the quorum figures, where the chain does not model them.

The exact chain and importance sampling follow the nodes, not the leader.
Writes need a quorum and a leader, so the write unavailability is defined,
in one place, as

    W = u + ((1 - u) lambda_L - f' / q) E[n - 1] + f E[q]

with u the quorum unavailability (share of time), f the quorum losses per
hour, q the quorum, lambda_L the rate at which a serving leader stops serving
(its own failures, the shocks of its zone, its zone's failures) and E[k] the
mean election among k voters (:func:`mean_election_hours`). Two kinds of
election cost writes: one among the other n - 1 nodes after the leader is
lost while a quorum remains, and one among the q nodes serving when a lost
quorum comes back (every outage ends with one). A leader failure that takes
the quorum with it is a quorum loss, not a leader loss: the leader is one of
the q serving nodes at the edge, so f' / q of the leader's failures are
already in f and are taken out, f' being the losses not caused by a shock
of the whole cluster (those, (beta / MTBF)(1 - u), fail every serving node
and are no leader's doing). Elections per hour are
(1 - u) lambda_L - f' / q + f.

It is an approximation, included rather than bounded: it counts a leader's
failure at the edge as 1/q of the losses (a zone's failure or shock as a
node's), takes n - 1 and q voters whatever else is down, and counts
elections cut short by a further failure whole. For n = 3, MTBF 100 h,
MTTR 10 h (39 losses a year) it gives 105.3 elections a year against
105.1 +/- 0.3 simulated; leaving out the elections after a loss would give
85.6, and counting every leader failure 125. With zones failing (n = 5,
zones 2/2/1 failing every 1,000 h) its downtime is 1.2% under the
simulation's, the elections after a zone's loss having fewer voters.
Crude sampling simulates every election and needs none of it.
"""

from __future__ import annotations

import math

from ..results import Interval
from .model import RaftModel


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


def longest_election_hours(model: RaftModel) -> float:
    """The longest mean election among any number of voters the cluster can hold (a bound)."""
    return max(mean_election_hours(model, k) for k in range(1, model.nodes + 1))


def leader_loss_rate(model: RaftModel) -> float:
    """Per hour: a serving leader stops serving while a quorum remains (own failure, its zone's shock or failure).

    A shock of the whole cluster fails every node at once, a quorum loss,
    so it is not counted here but in f.
    """
    rate = (1.0 - model.common_cause) / model.ttf.mean
    if model.common_cause and model.shock_per_zone:
        rate += model.common_cause / model.ttf.mean
    if model.zone_failures:
        rate += 1.0 / model.zone_ttf.mean
    if model.restart_every:
        rate += 1.0 / model.restart_every
    return rate


def write_figures(model: RaftModel, quorum_unavailability: Interval, losses_per_hour: Interval,
                  year_hours: float, method: str) -> dict[str, Interval]:
    """Write unavailability, elections per year and their downtime from the quorum figures (module text).

    Each figure is monotone in u and in f, so its interval comes from the
    ends of the quorum figures' intervals (the lowest and highest of the four
    pairs); the approximation itself adds no width.
    """
    leader = leader_loss_rate(model)
    after_leader = mean_election_hours(model, max(model.nodes - 1, 1))
    after_quorum = mean_election_hours(model, model.quorum)

    # shocks of the whole cluster take every serving node: the losses they cause are not the leader's doing
    cluster_shocks = model.common_cause / model.ttf.mean if model.common_cause and not model.shock_per_zone else 0.0

    def leader_at_edge(u, f):  # losses per hour that the leader's own failure caused: 1/q of the others
        return max(f - cluster_shocks * (1.0 - u), 0.0) / model.quorum

    def downtime(u, f):
        return ((1.0 - u) * leader - leader_at_edge(u, f)) * after_leader + f * after_quorum

    def elections(u, f):
        return (1.0 - u) * leader - leader_at_edge(u, f) + f

    u, f = quorum_unavailability, losses_per_hour

    def interval(func, scale=1.0):
        value = func(u.value, f.value) * scale
        if u.bounds is None or f.bounds is None:
            return Interval(value, method=method)
        ends = [func(a, b) * scale for a in (u.low, u.high) for b in (f.low, f.high)]
        return Interval(value, min(ends), max(ends), method)

    return dict(
        unavailability=interval(lambda a, b: a + downtime(a, b)),
        elections_per_year=interval(elections, year_hours),
        election_downtime_per_year_hours=interval(downtime, year_hours),
    )
