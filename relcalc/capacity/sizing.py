"""Cluster sizing: how many nodes, and which constraint decides.

A cluster serves ``rate`` requests per second. One node serves
``node_throughput`` (T) at full load, or ``concurrency / service_time`` when
it is described as c servers of mean service time S. The work is
``C = R / T`` nodes' worth; the balancer sends the hottest node ``k`` times
the mean share, so N nodes deliver ``Q = N / k`` and sizing needs
``Q >= C``. Four constraints each give a smallest N:

throughput    the hottest node is not overloaded: ``k R / (N T) <= 1``
utilization   the hottest node stays under the cap u: ``k R / (N T) <= u``
redundancy    after f node failures, or the loss of the largest zone, the
              hottest survivor stays under ``failover_utilization``, with the
              imbalance of the post-failure layout
latency       the hottest node, an M/M/c queue (c = concurrency) at arrival
              rate ``k R / N``, meets the response-time target

With a Universal Scalability Law curve (sigma, kappa) a node of an N-node
cluster delivers ``T / (1 + sigma (N - 1) + kappa N (N - 1))`` and its service
time grows by the same factor.

Every input may be an array (one element per service) and every figure comes
back as an array, so a CSV of services is sized in one vectorised pass: each
constraint's smallest N is found by bisection over whole numbers, which is
right because each constraint only gets easier as N grows (up to the USL
peak, beyond which the search does not go).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .. import queueing
from ..errors import InputError
from .results import ClusterFigures, Growth, Sizing, counts
from .usl import best_whole_nodes, slowdown, usl_peak

BALANCERS = ("round-robin", "least-connections", "random", "two-choices", "ring")
#: Policies that place long-lived sessions (connections, clients, keys), whose
#: imbalance depends on how many there are.
SESSION_BALANCERS = ("least-connections", "random", "two-choices")
CONSTRAINTS = ("throughput", "utilization", "redundancy", "latency")
#: Largest cluster the search considers.
MAX_NODES = 2.0**40
_EULER_GAMMA = 0.5772156649015329


@dataclass(frozen=True)
class Cluster:
    """The inputs of a sizing; numbers may be scalars or equal-length arrays.

    NaN in an optional array field means "not given" for that element. Rates
    are per second and times in seconds.
    """

    rate: object
    node_throughput: object = np.nan
    service_time: object = np.nan
    concurrency: object = np.nan
    balance_factor: object = np.nan
    balancer: str = "round-robin"
    sessions: object = np.nan  # sticky sessions placed by the balancer (random, two-choices, least-connections)
    target_utilization: object = 1.0
    failover_utilization: object = 1.0
    tolerate_failures: object = 0
    zones: object = np.nan
    latency_quantile: object = np.nan  # 0.99 for p99; NaN with a latency limit means the mean
    latency_seconds: object = np.nan
    usl_sigma: object = 0.0
    usl_kappa: object = 0.0

    def arrays(self) -> "Cluster":
        """The same cluster with every number a float array of one shape."""
        names = [f.name for f in fields(self) if f.name != "balancer"]
        values = np.broadcast_arrays(*(np.atleast_1d(np.asarray(getattr(self, n), dtype=float)) for n in names))
        return Cluster(balancer=self.balancer, **{n: v.astype(float, copy=True) for n, v in zip(names, values)})


def check(cluster: Cluster) -> list[tuple[int, str]]:
    """Problems with the inputs, as (element index, message); empty when sound."""
    c = cluster.arrays()
    problems: list[tuple[int, str]] = []

    def flag(mask, message):
        problems.extend((int(i), message) for i in np.flatnonzero(mask))

    if c.balancer not in BALANCERS:
        flag(np.ones(c.rate.shape, bool), f"unknown balancer {c.balancer!r}; use one of {', '.join(BALANCERS)}")
        return problems

    def bad(values, allow_nan=True):
        return ~(values > 0) & ~(allow_nan & np.isnan(values)) | np.isinf(values)

    flag(bad(c.rate, False), "the request rate must be positive and finite")
    flag(bad(c.node_throughput), "the node throughput must be positive and finite")
    flag(bad(c.service_time), "the service time must be positive and finite")
    flag(bad(c.concurrency) | (c.concurrency != np.floor(c.concurrency)) & ~np.isnan(c.concurrency),
         "the concurrency must be a whole number >= 1")
    flag(np.isnan(c.node_throughput) & (np.isnan(c.service_time) | np.isnan(c.concurrency)),
         "give the node throughput, or the service time and the concurrency")
    flag(~(c.balance_factor >= 1) & ~np.isnan(c.balance_factor) | np.isinf(c.balance_factor),
         "the balance factor must be >= 1 (1 is perfect balance)")
    flag(~((c.target_utilization > 0) & (c.target_utilization <= 1)), "the target utilization must be in (0, 1]")
    flag(~((c.failover_utilization > 0) & (c.failover_utilization <= 1)),
         "the failover utilization must be in (0, 1]")
    flag(~(c.tolerate_failures >= 0) | (c.tolerate_failures != np.floor(c.tolerate_failures))
         | np.isinf(c.tolerate_failures),
         "the tolerated failures must be a whole number >= 0")
    flag(~np.isnan(c.zones) & ~((c.zones >= 2) & (c.zones == np.floor(c.zones)) & np.isfinite(c.zones)),
         "zones must be a whole number >= 2 to survive the loss of one")
    flag(~(c.usl_sigma >= 0) | ~(c.usl_kappa >= 0) | ~(c.usl_sigma < 1) | np.isinf(c.usl_kappa),
         "the USL needs 0 <= sigma < 1 and kappa >= 0")
    has_latency = ~np.isnan(c.latency_seconds)
    flag(has_latency & (np.isnan(c.service_time) | np.isnan(c.concurrency)) & np.isnan(c.node_throughput * c.service_time),
         "a latency target needs the service time and the concurrency")
    flag(has_latency & ~(c.latency_seconds > 0), "the latency limit must be positive")
    q = c.latency_quantile
    flag(~np.isnan(q) & ~((q > 0) & (q < 1)), "the latency percentile must be between 0 and 100")
    if c.balancer in SESSION_BALANCERS:
        flag(np.isnan(c.sessions) & np.isnan(c.balance_factor),
             f"--balancer {c.balancer} places sticky sessions: give their number (--sessions)")
    flag(~np.isnan(c.sessions) & ~((c.sessions >= 1) & (c.sessions == np.floor(c.sessions)) & np.isfinite(c.sessions)),
         "sessions must be a whole number >= 1")
    return problems


def _resolved(c: Cluster) -> Cluster:
    """Fill derived inputs: T from c / S, or c from T x S where it is whole."""
    T = np.where(np.isnan(c.node_throughput), c.concurrency / c.service_time, c.node_throughput)
    derived_c = np.round(c.node_throughput * c.service_time)
    conc = np.where(np.isnan(c.concurrency), np.where(derived_c >= 1, derived_c, 1.0), c.concurrency)
    return Cluster(**{**{f.name: getattr(c, f.name) for f in fields(c)}, "node_throughput": T, "concurrency": conc})


def balance_factor(n, balancer: str, sessions=np.nan, given=np.nan) -> np.ndarray:
    """The hottest node's share over the mean, for ``n`` nodes.

    ``given`` wins where it is a number. A balancer that routes every request
    on its own (round robin, or random per request) splits a Poisson stream
    into equal Poisson streams: k = 1, and the randomness is in each node's
    queue. Imbalance comes from placing ``m`` long-lived sessions
    (connections, clients, keys) that each carry an equal share of the
    traffic, ``x = m / n`` per node on average:

    round-robin        1
    least-connections  ceil(x) / x: each new session goes to the node with the
                       fewest, so no node is more than one session ahead
    random             1 + sqrt(2 ln(n) / x): the heavily loaded balls-into-bins
                       maximum, m/n + sqrt(2 (m/n) ln n) (Raab and Steger 1998;
                       an asymptote, good when m >> n ln n)
    two-choices        1 + (ln ln n / ln 2) / x: the power of two choices,
                       m/n + ln ln n / ln 2 + O(1) (Berenbrink, Czumaj, Steger
                       and Vocking 2000), the O(1) term dropped
    ring               H_n, the n-th harmonic number: a hash ring without
                       virtual nodes gives each node the arc before it, and the
                       longest of n random arcs is on average H_n / n of the ring
    """
    n = np.asarray(n, dtype=float)
    x = np.asarray(sessions, dtype=float) / np.maximum(n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if balancer == "round-robin":
            k = np.ones_like(n)
        elif balancer == "least-connections":
            k = np.ceil(x) / x
        elif balancer == "random":
            k = 1.0 + np.sqrt(2.0 * np.log(np.maximum(n, 1.0)) / x)
        elif balancer == "two-choices":
            k = 1.0 + np.maximum(np.log(np.log(np.maximum(n, 2.0))) / np.log(2.0), 0.0) / x
        elif balancer == "ring":
            from scipy.special import digamma

            k = digamma(n + 1.0) + _EULER_GAMMA
        else:
            raise InputError(f"unknown balancer {balancer!r}")
    k = np.where(n <= 1, 1.0, k)
    given = np.asarray(given, dtype=float)
    return np.where(np.isnan(given), k, given)


def _failed(n, c: Cluster) -> tuple[np.ndarray, np.ndarray]:
    """Nodes lost in the N+f scenario and in the zone-loss scenario (0 if not asked)."""
    zone = np.where(np.isnan(c.zones), 0.0, np.ceil(n / np.where(np.isnan(c.zones), 1.0, c.zones)))
    return c.tolerate_failures + 0.0 * n, zone


def _after_failures(n, c: Cluster, k_n) -> np.ndarray:
    """The hottest survivor's utilisation in the worse failure scenario (0 if none is asked)."""
    f_lost, zone_lost = _failed(n, c)
    return np.maximum(
        np.where(f_lost > 0, _failover_load(n, f_lost, f_lost, c, k_n), 0.0),
        np.where(zone_lost > 0, _failover_load(n, zone_lost, 1.0, c, k_n), 0.0),
    )


def _failover_load(n, lost, extra, c: Cluster, k_n):
    """Utilisation of the hottest survivor when ``lost`` of ``n`` nodes are down.

    Balancers that spread by count re-balance over the survivors. A hash ring
    without virtual nodes hands each lost arc to the next node: the hottest
    survivor keeps its own arc and takes ``extra`` average arcs more (``f``
    when f neighbours fail together, one when a zone placed round robin
    fails).
    """
    s = n - lost
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.balancer == "ring" and np.all(np.isnan(c.balance_factor)):
            hottest_share = (k_n + extra) / n
        else:
            k_s = balance_factor(s, c.balancer, c.sessions, c.balance_factor)
            hottest_share = k_s / s
        node_capacity = c.node_throughput / slowdown(s, c.usl_sigma, c.usl_kappa)
        load = c.rate * hottest_share / node_capacity
    return np.where(s >= 1, load, np.inf)


def _constraints(n, c: Cluster, names=CONSTRAINTS) -> dict[str, np.ndarray]:
    """For node counts ``n``: whether each named constraint holds (True where not asked)."""
    k = balance_factor(n, c.balancer, c.sessions, c.balance_factor)
    slow = slowdown(n, c.usl_sigma, c.usl_kappa)
    util = k * c.rate * slow / (n * c.node_throughput)
    out = {}
    if "throughput" in names:
        out["throughput"] = util <= 1.0
    if "utilization" in names:
        out["utilization"] = util <= c.target_utilization
    if "redundancy" in names:
        out["redundancy"] = _after_failures(n, c, k) <= c.failover_utilization
    if "latency" in names:
        asked = ~np.isnan(c.latency_seconds)
        out["latency"] = ~asked | _latency_ok(n, k, slow, c) if np.any(asked) else np.ones(n.shape, bool)
    return out


def _queue(n, k, slow, c: Cluster):
    arrival = k * c.rate / n
    service_rate = 1.0 / (c.service_time * slow)
    return arrival, service_rate


def _latency_ok(n, k, slow, c: Cluster) -> np.ndarray:
    lam, mu = _queue(n, k, slow, c)
    conc = c.concurrency
    stable = lam < conc * mu
    lam_s = np.where(stable, lam, 0.5 * conc * mu)  # placeholder where unstable, masked below
    q = c.latency_quantile
    limit = np.where(np.isnan(c.latency_seconds), 1.0, c.latency_seconds)
    waits = queueing.mmc(lam_s, mu, conc)
    mean_ok = waits.mean_response <= limit
    tail_ok = queueing.response_survival(limit, lam_s, mu, conc, waits.probability_of_wait) <= 1.0 - q
    return stable & np.where(np.isnan(q), mean_ok, tail_ok)


def _smallest_nodes(holds, lo, hi) -> np.ndarray:
    """Smallest whole n in (lo, hi] with holds(n), by bisection; NaN where none."""
    lo = np.asarray(lo, float).copy()
    hi = np.asarray(hi, float).copy()
    reachable = holds(hi)
    while True:
        open_ = reachable & (hi - lo > 1)
        if not np.any(open_):
            break
        mid = np.where(open_, np.floor((lo + hi) / 2), hi)
        ok = holds(mid)
        hi = np.where(open_ & ok, mid, hi)
        lo = np.where(open_ & ~ok, mid, lo)
    return np.where(reachable, hi, np.nan)


def _search_ceiling(c: Cluster) -> np.ndarray:
    """The largest N worth considering: the USL peak (the better side of it), or MAX_NODES."""
    return best_whole_nodes(c.usl_sigma, c.usl_kappa, MAX_NODES)


def size(cluster: Cluster) -> Sizing:
    """The smallest node count meeting every constraint, and the figures there.

    Raises InputError on inputs that :func:`check` reports.
    """
    _refuse_problems(cluster)
    c = _resolved(cluster.arrays())
    shape = c.rate.shape
    ceiling = _search_ceiling(c)
    nodes_for: dict[str, np.ndarray] = {}
    for name in CONSTRAINTS:
        if name == "redundancy" and np.all((c.tolerate_failures == 0) & np.isnan(c.zones)):
            nodes_for[name] = np.full(shape, np.nan)
            continue
        if name == "latency" and np.all(np.isnan(c.latency_seconds)):
            nodes_for[name] = np.full(shape, np.nan)
            continue
        found = _smallest_nodes(lambda n, name=name: _constraints(n, c, (name,))[name], np.zeros(shape), ceiling)
        if name == "redundancy":
            found = np.where((c.tolerate_failures == 0) & np.isnan(c.zones), np.nan, found)
        if name == "latency":
            found = np.where(np.isnan(c.latency_seconds), np.nan, found)
        nodes_for[name] = found
    # a constraint that cannot be met anywhere below the ceiling makes the answer NaN
    reasons = np.full(shape, "", dtype=object)
    asked = {
        "throughput": np.ones(shape, bool),
        "utilization": np.ones(shape, bool),
        "redundancy": (c.tolerate_failures > 0) | ~np.isnan(c.zones),
        "latency": ~np.isnan(c.latency_seconds),
    }
    for name in CONSTRAINTS:
        missing = asked[name] & np.isnan(nodes_for[name]) & (reasons == "")
        if np.any(missing):
            reasons[missing] = _unreachable_reason(name, c)[missing]
    stacked = np.stack([np.where(asked[n], nodes_for[n], 0.0) for n in CONSTRAINTS])
    nodes = np.where(reasons == "", stacked.max(axis=0), np.nan)
    # constraints are combined by taking the largest N; if the individually
    # smallest counts do not jointly hold (they do for monotone constraints),
    # step up until they do
    joint = _all_hold(np.where(np.isnan(nodes), 1.0, nodes), c)
    if not np.all(joint | np.isnan(nodes)):
        nodes = np.where(joint | np.isnan(nodes), nodes, _smallest_nodes(lambda n: _all_hold(n, c), nodes, ceiling))
    binding = np.array([CONSTRAINTS[i] for i in np.argmax(stacked, axis=0)], dtype=object)
    binding[np.isnan(nodes)] = ""
    unreached = np.isnan(nodes)
    figures = _figures(c, np.where(unreached, 1.0, nodes))
    return Sizing(
        nodes=counts(nodes),
        binding_constraint=binding,
        nodes_for_throughput=counts(nodes_for["throughput"]),
        nodes_for_utilization=counts(nodes_for["utilization"]),
        nodes_for_redundancy=counts(nodes_for["redundancy"]),
        nodes_for_latency=counts(nodes_for["latency"]),
        figures=_blanked(figures, unreached),
        unreachable=reasons,
    )


def _blanked(figures: ClusterFigures, where: np.ndarray) -> ClusterFigures:
    """No cluster size to describe where the targets are out of reach: NaN (or masked) there."""
    changes = {}
    for f in fields(figures):
        if f.metadata.get("inputs_only"):
            continue
        value = getattr(figures, f.name)
        if isinstance(value, np.ma.MaskedArray):
            changes[f.name] = np.ma.MaskedArray(value.data, mask=np.ma.getmaskarray(value) | where)
        else:
            changes[f.name] = np.where(where, np.nan, value)
    return replace(figures, **changes)


def _all_hold(n, c: Cluster) -> np.ndarray:
    checks = _constraints(n, c)
    return np.logical_and.reduce([checks[name] for name in CONSTRAINTS])


def _unreachable_reason(name: str, c: Cluster) -> np.ndarray:
    shape = c.rate.shape
    out = np.full(shape, "", dtype=object)
    peak = usl_peak(c.usl_sigma, c.usl_kappa)
    limited = np.isfinite(peak)
    if name == "latency":
        # as N grows the queue empties and the response time tends to the
        # exponential service time alone
        service_only = np.where(
            np.isnan(c.latency_quantile), c.service_time, -np.log1p(-np.nan_to_num(c.latency_quantile)) * c.service_time
        )
        alone = service_only > c.latency_seconds
        for i in np.flatnonzero(alone):
            out[i] = (
                f"the latency target cannot be met: the service time alone gives "
                f"{service_only[i] * 1000:.4g} ms at that percentile (exponential service), over the "
                f"{c.latency_seconds[i] * 1000:.4g} ms target"
            )
    best = _search_ceiling(c)
    k = balance_factor(best, c.balancer, c.sessions, c.balance_factor)
    top_rate = best * c.node_throughput / (k * slowdown(best, c.usl_sigma, c.usl_kappa))
    for i in np.flatnonzero(out == ""):
        if limited[i]:
            out[i] = (
                f"the {name} target cannot be met: by the USL the cluster peaks at {best[i]:.0f} nodes, "
                f"serving about {top_rate[i]:,.0f}/s at the hottest node's full load, "
                f"against {c.rate[i]:,.6g}/s asked"
            )
        elif c.balancer in SESSION_BALANCERS and np.isnan(c.balance_factor[i]):
            out[i] = (
                f"the {name} target cannot be met at any size: each of the {c.sessions[i]:.0f} sessions "
                f"carries {c.rate[i] / c.sessions[i]:,.6g}/s and one node must take a whole session"
            )
        else:
            out[i] = f"the {name} target cannot be met with up to {MAX_NODES:.0f} nodes"
    return out


def figures_at(cluster: Cluster, nodes) -> ClusterFigures:
    """The figures of ``cluster`` run on ``nodes`` nodes (broadcast against the services).

    Raises InputError on inputs that :func:`check` reports.
    """
    _refuse_problems(cluster)
    c = _resolved(cluster.arrays())
    n = np.asarray(nodes, float)
    shape = np.broadcast_shapes(c.rate.shape, n.shape)
    if shape != c.rate.shape:
        c = Cluster(balancer=c.balancer, **{f.name: np.broadcast_to(getattr(c, f.name), shape)
                                            for f in fields(c) if f.name != "balancer"})
    return _figures(c, np.broadcast_to(n, shape).astype(float))


def _refuse_problems(cluster: Cluster) -> None:
    problems = check(cluster)
    if problems:
        raise InputError(problems[0][1])


def _figures(c: Cluster, n) -> ClusterFigures:
    k = balance_factor(n, c.balancer, c.sessions, c.balance_factor)
    slow = slowdown(n, c.usl_sigma, c.usl_kappa)
    util = k * c.rate * slow / (n * c.node_throughput)
    f_lost, zone_lost = _failed(n, c)
    scenario = (f_lost > 0) | (zone_lost > 0)
    lam, mu = _queue(n, k, slow, c)
    has_queue = ~np.isnan(c.service_time)
    stable = has_queue & (lam < c.concurrency * mu)
    lam_s = np.where(stable, lam, 0.5 * np.nan_to_num(c.concurrency * mu, nan=1.0))
    mu_s = np.where(has_queue, mu, 1.0)
    conc = np.where(has_queue, c.concurrency, 1.0)
    q = queueing.mmc(lam_s, mu_s, conc)
    hide = ~stable

    def percentile(quantile):
        return queueing.response_percentile(quantile, lam_s, mu_s, conc, q.probability_of_wait)

    target = np.full(n.shape, np.nan)
    if np.any(~np.isnan(c.latency_seconds)):
        at_target = percentile(np.where(np.isnan(c.latency_quantile), 0.5, c.latency_quantile))
        target = np.where(hide | np.isnan(c.latency_seconds), np.nan,
                          np.where(np.isnan(c.latency_quantile), q.mean_response, at_target))
    return ClusterFigures(
        capacity_c=c.rate / c.node_throughput,
        effective_capacity_q=n / (k * slow),
        balance_factor=k,
        offered_load_erlangs=c.rate * c.service_time,
        utilization=util,
        utilization_after_failures=np.where(scenario, _after_failures(n, c, k), np.nan),
        nodes_lost_in_failure=counts(np.where(scenario, np.fmax(f_lost, zone_lost), np.nan)),
        stable=np.ma.MaskedArray(stable, mask=~has_queue),
        probability_of_wait=np.where(hide, np.nan, q.probability_of_wait),
        mean_wait_seconds=np.where(hide, np.nan, q.mean_wait),
        mean_response_seconds=np.where(hide, np.nan, q.mean_response),
        p50_response_seconds=np.where(hide, np.nan, percentile(0.5)),
        p95_response_seconds=np.where(hide, np.nan, percentile(0.95)),
        p99_response_seconds=np.where(hide, np.nan, percentile(0.99)),
        target_response_seconds=target,
        node_throughput_per_second=c.node_throughput,
    )


def max_rate(cluster: Cluster, nodes) -> np.ndarray:
    """The largest request rate ``nodes`` nodes serve within every target (req/s).

    Every constraint only gets harder as the rate grows, so this bisects on
    the rate, in log space, between zero and ``nodes x T``. NaN where even a
    vanishing rate misses a target (a latency target below the service time).
    """
    _refuse_problems(cluster)
    c = _resolved(cluster.arrays())
    n = np.broadcast_to(np.asarray(nodes, float), c.rate.shape).astype(float)

    def holds(rate):
        return _all_hold(n, _with_rate(c, rate))

    hi = n * c.node_throughput  # no cluster serves more than every node flat out
    lo = hi * 1e-12
    feasible = holds(lo)
    for _ in range(64):
        mid = np.sqrt(lo * hi)
        ok = holds(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
        if np.all(hi / lo - 1.0 <= 1e-12):
            break
    return np.where(feasible, lo, np.nan)


def _with_rate(c: Cluster, rate) -> Cluster:
    return Cluster(**{**{f.name: getattr(c, f.name) for f in fields(c)}, "rate": np.asarray(rate, float)})


def project_growth(cluster: Cluster, monthly_factor: float, horizon_months: int, current_nodes=None) -> Growth:
    """Nodes needed each month as the rate grows by ``monthly_factor`` a month.

    ``cluster`` is one service (scalar inputs).
    """
    if not (monthly_factor > 0) or not np.isfinite(monthly_factor):
        raise InputError("the monthly growth factor must be positive")
    months = np.arange(horizon_months + 1)
    base = float(np.asarray(cluster.rate, float).reshape(-1)[0])
    with np.errstate(over="ignore"):
        rates = base * monthly_factor ** months.astype(float)
    if not np.all(np.isfinite(rates)):  # issue 13: was a ValueError (or an error about the rate) from deeper down
        raise InputError(f"growth: {monthly_factor - 1:.3g} a month takes the request rate past 1e308 per second "
                         f"within {horizon_months} months; check the growth and the horizon")
    sizing = size(_with_rate(cluster, rates))
    limit = runs_out = after = None
    if current_nodes is not None:
        current_nodes = int(current_nodes)
        limit = float(max_rate(cluster, current_nodes)[0])
        short = np.flatnonzero(~(sizing.nodes <= current_nodes).filled(False))
        runs_out = int(months[short[0]]) if short.size else None
        if not np.isfinite(limit) or limit < base:
            after = 0.0
        elif monthly_factor > 1:
            after = float(np.log(limit / base) / np.log(monthly_factor))
        limit = limit if np.isfinite(limit) else None
    return Growth(
        growth_per_month=monthly_factor - 1.0,
        months=months,
        rate_per_second=rates,
        nodes_needed=sizing.nodes,
        binding_constraint=sizing.binding_constraint,
        current_nodes=current_nodes,
        max_rate_per_second=limit,
        runs_out_month=runs_out,
        runs_out_after_months=after,
    )


#: The former name of :func:`figures_at`, kept for callers of relcalc 0.1 (``relcalc.rbd.evaluate`` is the diagram one).
evaluate = figures_at
