"""Cluster sizing: how many nodes, and which constraint decides.

A cluster serves ``rate`` requests per second. One node serves
``node_throughput`` (T) at full load, or ``concurrency / service_time`` when
it is described as c slots of mean service time S. The work is ``C = R / T``
nodes' worth; the balancer sends the hottest node ``k`` times the mean share
(:mod:`.balance`), so N nodes deliver ``Q = N / k``. Each constraint gives a
smallest N:

throughput              the hottest node is below full load: ``k R / (N T) < 1``
utilization             and under the healthy cap u: ``k R / (N T) <= u``
redundancy              after f node failures, or the loss of the largest
                        zone, the hottest survivor stays under the survivor
                        cap, with the imbalance of the post-failure layout
latency                 the hottest node's response time meets the target
latency_after_failures  and so does the hottest survivor's, in the worse
                        failure scenario
wait, wait_after_failures  the same for the wait before service (``--wait``,
                        ``--service-level``)

The hottest node is one FCFS queue with c slots (:mod:`.queues`): exact
M/M/c, or the labelled Allen-Cunneen approximation for other variability.
With a Universal Scalability Law curve (sigma, kappa) a node of an N-node
cluster delivers ``T / (1 + sigma (N - 1) + kappa N (N - 1))`` and its
service time grows by the same factor.

Every input may be an array (one element per service), so a CSV of services
is sized in one vectorised pass: each constraint's smallest N is found by
bisection over whole numbers. Utilisation falls with N up to the USL peak,
so the utilisation constraints are monotone below it; a queue figure under
the USL is not (the service time grows with N), so its search first finds
the node count with the best figure (a ternary search, the figure taken to
fall then rise) and bisects below that.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

import numpy as np

from ..errors import InputError
from ..units import MAX_COUNT
from .balance import BALANCERS, SESSION_BALANCERS, balance_factor, session_limited
from .checks import DEFAULT_FAILOVER_UTILIZATION, DEFAULT_TARGET_UTILIZATION, Cluster, check, resolved
from .queues import FULL, NodeQueue, QueueFigures, service_only_response
from .results import ClusterFigures, Growth, Sizing, counts
from .usl import best_whole_nodes, slowdown, usl_peak

CONSTRAINTS = ("throughput", "utilization", "redundancy", "latency", "latency_after_failures", "wait",
               "wait_after_failures")
#: Largest cluster the search considers (the largest count any option takes).
MAX_NODES = float(MAX_COUNT)
#: The failure scenarios, by the code :func:`_survivors` gives them.
SCENARIOS = ("", "node_failures", "zone_loss")

__all__ = ["BALANCERS", "CONSTRAINTS", "Cluster", "DEFAULT_FAILOVER_UTILIZATION", "DEFAULT_TARGET_UTILIZATION",
           "MAX_NODES", "SESSION_BALANCERS", "balance_factor", "check", "figures_at", "max_rate", "project_growth",
           "size"]


def _hottest_share(n, c: Cluster) -> np.ndarray:
    return balance_factor(n, c.balancer, c.sessions, c.balance_factor) / n


def _survivors(n, c: Cluster):
    """The worse failure scenario at ``n`` nodes: (survivors, hottest survivor's share, scenario code).

    Balancers that spread by count re-balance over the survivors. A hash ring
    without virtual nodes hands each lost arc to the next node: the hottest
    survivor keeps its own arc and takes ``f`` average arcs more when f
    neighbours fail together, one more when a zone placed round robin fails.
    The worse scenario is the one whose hottest survivor is the busier; code
    0 where none is asked.
    """
    f_lost = c.tolerate_failures + 0.0 * n
    zone_lost = np.where(np.isnan(c.zones), 0.0, np.ceil(n / np.where(np.isnan(c.zones), 1.0, c.zones)))
    ring = c.balancer == "ring" and np.all(np.isnan(c.balance_factor))
    k_n = balance_factor(n, c.balancer, c.sessions, c.balance_factor)

    def scenario(lost, extra):
        s = n - lost
        with np.errstate(divide="ignore", invalid="ignore"):
            share = (k_n + extra) / n if ring else _hottest_share(np.maximum(s, 1.0), c)
            util = c.rate * share * slowdown(s, c.usl_sigma, c.usl_kappa) / c.node_throughput
        return s, share, np.where(s >= 1, util, np.inf)

    s_f, share_f, util_f = scenario(f_lost, f_lost)
    s_z, share_z, util_z = scenario(zone_lost, 1.0)
    zone_worse = (zone_lost > 0) & ((f_lost == 0) | (util_z >= util_f))
    code = np.where(zone_worse, 2, np.where(f_lost > 0, 1, 0))
    return (np.where(zone_worse, s_z, s_f), np.where(zone_worse, share_z, share_f),
            np.where(code > 0, np.where(zone_worse, util_z, util_f), 0.0), code)


def _node_queue(share, nodes, c: Cluster) -> NodeQueue:
    """The queue of a node taking ``share`` of the rate in a cluster of ``nodes``."""
    slow = slowdown(nodes, c.usl_sigma, c.usl_kappa)
    return NodeQueue.of(share * c.rate, c.service_time * slow, c.concurrency, c.arrival_scv, c.service_scv)


def _queue_shortfall(name: str, n, c: Cluster) -> np.ndarray:
    """The shortfall (<= 0: met) of a latency or wait constraint at ``n`` nodes."""
    kind, after = ("response" if name.startswith("latency") else "wait"), name.endswith("_after_failures")
    q, limit = (c.latency_quantile, c.latency_seconds) if kind == "response" else (c.wait_quantile, c.wait_seconds)
    if after:
        s, share, _, code = _survivors(n, c)
        short = _node_queue(share, np.maximum(s, 1.0), c).shortfall(kind, q, limit)
        short = np.where(code > 0, np.where(s >= 1, short, np.inf), -np.inf)
    else:
        short = _node_queue(_hottest_share(n, c), n, c).shortfall(kind, q, limit)
    return np.where(np.isnan(limit), -np.inf, short)


def _holds(name: str, n, c: Cluster) -> np.ndarray:
    """Whether one constraint holds at node counts ``n`` (True where not asked)."""
    if name in ("throughput", "utilization"):
        util = _hottest_share(n, c) * c.rate * slowdown(n, c.usl_sigma, c.usl_kappa) / c.node_throughput
        return (util < FULL) & ((name == "throughput") | (util <= c.target_utilization))
    if name in ("redundancy", "survivors_stable"):
        _, _, util, code = _survivors(n, c)
        cap = c.failover_utilization if name == "redundancy" else 1.0
        return (code == 0) | (util < FULL) & (util <= cap)
    return _queue_shortfall(name, n, c) <= 0


def _asked(name: str, c: Cluster) -> np.ndarray:
    failures = (c.tolerate_failures > 0) | ~np.isnan(c.zones)
    latency, wait = ~np.isnan(c.latency_seconds), ~np.isnan(c.wait_seconds)
    return {"throughput": np.ones(c.rate.shape, bool), "utilization": np.ones(c.rate.shape, bool),
            "redundancy": failures, "latency": latency, "latency_after_failures": latency & failures,
            "wait": wait, "wait_after_failures": wait & failures}[name]


def _smallest_nodes(holds, lo, hi) -> np.ndarray:
    """Smallest whole n in (lo, hi] with holds(n), by bisection (holds taken monotone there); NaN where none."""
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


def _least(score, lo, hi) -> np.ndarray:
    """The whole n in [lo, hi] with the least ``score(n)``, by ternary search (score falls, then rises)."""
    lo = np.asarray(lo, float).copy()
    hi = np.asarray(hi, float).copy()
    while np.any(hi - lo > 2):
        third = np.floor((hi - lo) / 3)
        m1, m2 = lo + third, hi - third
        left_better = score(m1) <= score(m2)
        hi = np.where(left_better, m2, hi)
        lo = np.where(left_better, lo, m1)
    grid = [np.minimum(lo + j, hi) for j in range(3)]
    scores = np.stack([score(g) for g in grid])
    return np.choose(np.argmin(scores, axis=0), grid)


def _ceiling(c: Cluster) -> np.ndarray:
    """The largest N worth considering: the USL peak (its better whole side), or MAX_NODES.

    Least-connections gives every node a session up to N = sessions, and no
    more nodes help; random and two-choices placements keep improving past
    that (towards one session on the hottest node) and are searched in full.
    """
    top = best_whole_nodes(c.usl_sigma, c.usl_kappa, MAX_NODES)
    limited = session_limited(c.balancer, c.balance_factor) & (c.balancer == "least-connections")
    return np.where(limited, np.minimum(top, np.fmax(c.sessions, 1.0)), top)


def _search(name: str, c: Cluster, floor, guess, ceiling) -> np.ndarray:
    """Smallest whole n in (floor, ceiling] where constraint ``name`` holds (taken monotone there); NaN where none.

    ``floor`` is a count known to fail and ``guess`` a first try: rows that
    hold there bisect down towards the floor, the others gallop up (the step
    doubling) until they hold, then bisect back. Only the rows still open are
    evaluated, so a good guess settles most services in one or two passes.
    """
    floor = np.asarray(floor, float)
    ceiling = np.asarray(ceiling, float)
    hi = np.full(floor.shape, np.nan)
    lo = floor.copy()
    live = np.isfinite(floor) & (floor < ceiling)
    idx = np.flatnonzero(live)
    if not idx.size:
        return hi
    g = np.clip(np.asarray(guess, float)[idx], floor[idx] + 1, ceiling[idx])
    g = np.where(np.isfinite(g), g, ceiling[idx])
    ok = _holds(name, g, c.take(idx))
    hi[idx[ok]] = g[ok]
    lo[idx[~ok]] = g[~ok]
    idx = idx[~ok]
    step = np.maximum(1.0, np.floor(lo[idx] / 16))
    while idx.size:
        trial = np.minimum(lo[idx] + step, ceiling[idx])
        ok = _holds(name, trial, c.take(idx))
        hi[idx[ok]] = trial[ok]
        lo[idx[~ok]] = trial[~ok]
        going = ~ok & (trial < ceiling[idx])  # at the ceiling and still failing: out of reach
        idx, step = idx[going], step[going] * 2
    idx = np.flatnonzero(np.isfinite(hi) & (hi - lo > 1))
    while idx.size:
        mid = np.floor((lo[idx] + hi[idx]) / 2)
        ok = _holds(name, mid, c.take(idx))
        hi[idx[ok]] = mid[ok]
        lo[idx[~ok]] = mid[~ok]
        idx = idx[hi[idx] - lo[idx] > 1]
    return hi


def _fixed_k_linear(c: Cluster) -> np.ndarray:
    """Where the balance factor does not depend on N and scaling is linear (closed forms hold)."""
    return ((c.balancer == "round-robin") | ~np.isnan(c.balance_factor)) & (c.usl_sigma == 0) & (c.usl_kappa == 0)


def _survivors_needed(c: Cluster, survivors) -> np.ndarray:
    """The smallest N whose worse failure scenario leaves at least ``survivors`` nodes.

    N+f leaves N - f; losing the largest of z zones leaves N - ceil(N / z) = floor(N (z - 1) / z),
    at least m from N = ceil(m z / (z - 1)) on (whole numbers throughout: no rounding).
    """
    by_f = np.where(c.tolerate_failures > 0, survivors + c.tolerate_failures, 0.0)
    z = np.where(np.isnan(c.zones), 2.0, c.zones)
    by_zone = np.where(np.isnan(c.zones), 0.0, np.ceil(survivors * z / (z - 1)))
    # ceil(m z / (z - 1)) in floats: check it and step back where one fewer also leaves m
    back = by_zone - 1
    by_zone = np.where((back - np.ceil(back / z) >= survivors) & ~np.isnan(c.zones), back, by_zone)
    return np.maximum(by_f, by_zone)


def _closed_floor(c: Cluster, guess, floor) -> np.ndarray:
    """A count known to fail where ``guess`` is the closed form (a fixed balance factor, no USL), else ``floor``.

    There the guess is :func:`_ceil` of the real bound x, so guess - 1 is
    below x by at least a relative 1e-12, far more than rounding, and fails.
    """
    simple = _fixed_k_linear(c) & np.isfinite(guess)
    return np.where(simple & ~np.isnan(floor), np.maximum(floor, guess - 1), floor)


def _ceil(x) -> np.ndarray:
    """The smallest whole number at least x less a relative 1e-12 (a bound that is whole up to rounding stays)."""
    return np.ceil(x * (1.0 - 1e-12))


def _survivor_guess(c: Cluster, cap, n_thr) -> np.ndarray:
    """The count whose survivors are within ``cap`` with a fixed balance factor and no USL (exact there).

    The survivors need m = k R / (T cap) nodes: N+f needs m + f, and losing
    the largest of z zones (ceil(N / z) nodes) needs N - ceil(N / z) =
    floor(N (z - 1) / z) >= m, so N = ceil(m z / (z - 1)).
    """
    k = np.where(np.isnan(c.balance_factor), 1.0, c.balance_factor)
    m = _ceil(k * c.rate / (c.node_throughput * cap))
    by_f = np.where(c.tolerate_failures > 0, m + c.tolerate_failures, 0.0)
    by_zone = np.where(np.isnan(c.zones), 0.0, _ceil(m * c.zones / np.where(np.isnan(c.zones), 2.0, c.zones - 1)))
    return np.maximum(np.maximum(by_f, by_zone), n_thr)


def _nodes_for(name: str, c: Cluster, ceiling: np.ndarray, found: dict[str, np.ndarray]) -> np.ndarray:
    """The smallest N of one constraint, bracketed by the constraints found before it (CONSTRAINTS order).

    Every other constraint implies the hottest node below full load (a
    survivor carries at least the share it had), so each starts above the
    throughput count; a queue target under the USL is searched below the
    node count with its best figure.
    """
    shape = c.rate.shape
    asked = _asked(name, c)
    if not np.any(asked):
        return np.full(shape, np.nan)
    if name == "throughput":
        work = c.rate / c.node_throughput  # k >= 1 and slowdown >= 1: no count up to R / T serves
        return _search(name, c, np.floor(work), np.floor(work) + 1, ceiling)
    n_thr = found["throughput"]
    floor = np.where(asked, n_thr - 1, np.nan)  # rows not asked are not searched
    hi = ceiling
    if name == "utilization":
        k = balance_factor(n_thr, c.balancer, c.sessions, c.balance_factor)
        guess = _ceil(k * c.rate * slowdown(n_thr, c.usl_sigma, c.usl_kappa) / (c.node_throughput
                                                                                * c.target_utilization))
        floor = _closed_floor(c, guess, floor)
    elif name == "redundancy":
        guess = _survivor_guess(c, c.failover_utilization, n_thr)
        floor = _closed_floor(c, guess, floor)
    elif name.endswith("_after_failures"):
        # the survivors' queue needs them below full load: start there (no queue maths to find it)
        if "survivors_stable" not in found:
            failures = _asked("redundancy", c)
            guess = _survivor_guess(c, 1.0, n_thr)
            found["survivors_stable"] = _search("survivors_stable", c, _closed_floor(
                c, guess, np.where(failures, n_thr - 1, np.nan)), guess, ceiling)
        floor = np.where(asked, found["survivors_stable"] - 1, np.nan)
        guess = found["survivors_stable"]
        # with a fixed balance factor and no USL the hottest survivor's queue at s survivors is the
        # healthy hottest node's at s nodes: the survivors must number the healthy count, exactly
        healthy = found[name.removesuffix("_after_failures")]
        exact = _fixed_k_linear(c) & np.isfinite(healthy) & ~np.isnan(floor)
        if np.any(exact):
            needed = _survivors_needed(c, healthy)
            guess = np.where(exact, needed, guess)
            floor = np.where(exact, np.maximum(floor, needed - 1), floor)
    else:
        guess = n_thr
    usl = (c.usl_sigma > 0) | (c.usl_kappa > 0)
    if name not in ("throughput", "utilization", "redundancy") and np.any(usl):
        # the queue's best node count lies between the first stable one and the ceiling
        rows = np.flatnonzero(usl & np.isfinite(n_thr))
        sub = c.take(rows)
        best = _least(lambda n: _queue_shortfall(name, n, sub), n_thr[rows], ceiling[rows])
        hi = ceiling.copy()
        hi[rows] = best
    return np.where(asked, _search(name, c, floor, np.minimum(guess, hi), hi), np.nan)


def size(cluster: Cluster) -> Sizing:
    """The smallest node count meeting every constraint, and the figures there.

    Raises InputError on inputs that :func:`check` reports, and on a
    response-time percentile target where the queue is not M/M/c (that needs
    the simulation).
    """
    _refuse_problems(cluster)
    c = resolved(cluster.arrays())
    _refuse_inexact_percentiles(c)
    if c.rate.size > 2 * _BLOCK:
        # services are independent: sized in blocks whose arrays stay in cache and reuse freed
        # memory (a 100,000-element temporary is fresh pages from the system every time)
        return _joined([_size_block(c.take(slice(i, i + _BLOCK))) for i in range(0, c.rate.size, _BLOCK)])
    return _size_block(c)


_BLOCK = 16384


def _joined(parts: list):
    """One result of the blocks' results, field by field (masked arrays kept masked)."""
    first = parts[0]
    values = {}
    for f in fields(first):
        items = [getattr(p, f.name) for p in parts]
        if is_dataclass(items[0]):
            values[f.name] = _joined(items)
        elif isinstance(items[0], np.ma.MaskedArray):  # data and mask apart: numpy.ma's own join is slow
            values[f.name] = np.ma.MaskedArray(np.concatenate([i.data for i in items]),
                                               mask=np.concatenate([np.ma.getmaskarray(i) for i in items]))
        else:
            values[f.name] = np.concatenate(items)
    return type(first)(**values)


def _size_block(c: Cluster) -> Sizing:
    shape = c.rate.shape
    ceiling = _ceiling(c)
    nodes_for: dict[str, np.ndarray] = {}
    for name in CONSTRAINTS:
        nodes_for[name] = _nodes_for(name, c, ceiling, nodes_for)
    nodes_for.pop("survivors_stable", None)
    reasons = np.full(shape, "", dtype=object)
    for name in CONSTRAINTS:
        missing = _asked(name, c) & np.isnan(nodes_for[name]) & (reasons == "")
        if np.any(missing):
            reasons[missing] = _unreachable_reason(name, c, ceiling)[missing]
    stacked = np.stack([np.where(_asked(n, c), nodes_for[n], 0.0) for n in CONSTRAINTS])
    nodes = np.where(reasons == "", stacked.max(axis=0), np.nan)
    # the largest of the individually smallest counts; where they do not all
    # hold together there (non-monotone USL figures), step up to where they do
    joint = np.ones(shape, bool)
    usl_rows = np.flatnonzero(((c.usl_sigma > 0) | (c.usl_kappa > 0)) & ~np.isnan(nodes))
    if usl_rows.size:
        joint[usl_rows] = _all_hold(nodes[usl_rows], c.take(usl_rows))
    if not np.all(joint | np.isnan(nodes)):
        lo = np.where(np.isnan(nodes), 0.0, nodes)
        later = _smallest_nodes(lambda n: _all_hold(n, c), lo, ceiling)
        fixed = np.where(joint | np.isnan(nodes), nodes, later)
        stuck = np.isnan(fixed) & ~np.isnan(nodes)
        reasons[stuck] = "no node count meets every target at once (the USL curve makes them pull apart)"
        nodes = fixed
    binding = np.array([CONSTRAINTS[i] for i in np.argmax(stacked, axis=0)], dtype=object)
    unreached = np.isnan(nodes)
    figures = _figures(c, np.where(unreached, 1.0, nodes))
    code = _survivors(np.where(unreached, 1.0, nodes), c)[3]
    for i in np.flatnonzero(np.isin(binding, ("latency_after_failures", "wait_after_failures"))):
        binding[i] = binding[i].replace("failures", SCENARIOS[code[i]])
    binding[unreached] = ""
    return Sizing(
        nodes=counts(nodes),
        binding_constraint=binding,
        **{f"nodes_for_{name}": counts(nodes_for[name]) for name in CONSTRAINTS},
        figures=_blanked(figures, unreached),
        unreachable=reasons,
    )


def _refuse_inexact_percentiles(c: Cluster) -> None:
    inexact = ~np.isnan(c.latency_seconds) & ~np.isnan(c.latency_quantile) & ((c.arrival_scv != 1) | (c.service_scv != 1))
    if np.any(inexact):
        raise InputError("a response-time percentile target with non-exponential service or bursty arrivals "
                         "has no closed form: use --method simulate (or auto), or a mean or --wait target")


def _blanked(figures: ClusterFigures, where: np.ndarray) -> ClusterFigures:
    """No cluster size to describe where the targets are out of reach: NaN (or masked) there."""
    changes = {}
    for f in fields(figures):
        if f.metadata.get("inputs_only"):
            continue
        value = getattr(figures, f.name)
        if isinstance(value, np.ma.MaskedArray):
            changes[f.name] = np.ma.MaskedArray(value.data, mask=np.ma.getmaskarray(value) | where)
        elif value.dtype == object:
            changes[f.name] = np.where(where, None, value)
        else:
            changes[f.name] = np.where(where, np.nan, value)
    return replace(figures, **changes)


def _all_hold(n, c: Cluster) -> np.ndarray:
    checks = [_holds(name, n, c) for name in CONSTRAINTS if np.any(_asked(name, c))]
    return np.logical_and.reduce(checks)


def _unreachable_reason(name: str, c: Cluster, ceiling) -> np.ndarray:
    shape = c.rate.shape
    out = np.full(shape, "", dtype=object)
    if name.startswith("latency"):
        # as N grows the queue empties and the response time tends to the service time alone
        alone = service_only_response(c.latency_quantile, c.service_time)
        for i in np.flatnonzero(alone >= c.latency_seconds):
            which = "mean" if np.isnan(c.latency_quantile[i]) else "that percentile (exponential service)"
            out[i] = (f"the latency target cannot be met at any size: the service time alone gives "
                      f"{alone[i] * 1000:.4g} ms at {which}, not under the {c.latency_seconds[i] * 1000:.4g} ms target")
    k = balance_factor(ceiling, c.balancer, c.sessions, c.balance_factor)
    top_rate = ceiling * c.node_throughput / (k * slowdown(ceiling, c.usl_sigma, c.usl_kappa))
    peak = usl_peak(c.usl_sigma, c.usl_kappa)
    amdahl = (c.usl_kappa == 0) & (c.usl_sigma > 0)
    # at the ceiling the hottest node holds one whole session: more nodes cannot help
    sessions = session_limited(c.balancer, c.balance_factor) & (k / ceiling <= (1 + 1e-9) / c.sessions)
    for i in np.flatnonzero(out == ""):
        if sessions[i]:
            out[i] = (f"the {name} target cannot be met at any size: each of the {c.sessions[i]:,.0f} sessions "
                      f"carries {c.rate[i] / c.sessions[i]:,.6g}/s and one node must take a whole session")
        elif np.isfinite(peak[i]):
            out[i] = (f"the {name} target cannot be met: by the USL the cluster peaks at {ceiling[i]:,.0f} nodes, "
                      f"serving about {top_rate[i]:,.0f}/s at the hottest node's full load, "
                      f"against {c.rate[i]:,.6g}/s asked")
        elif amdahl[i]:
            limit = c.node_throughput[i] / c.usl_sigma[i]
            out[i] = (f"the {name} target cannot be met: by Amdahl's law (kappa = 0) no number of nodes serves "
                      f"more than T/sigma = {limit:,.6g}/s at full load (only approached; less under the utilisation "
                      f"caps), and {c.rate[i]:,.6g}/s would need more than {MAX_NODES:,.0f} nodes")
        else:
            out[i] = f"the {name} target cannot be met with up to {MAX_NODES:,.0f} nodes"
    return out


def figures_at(cluster: Cluster, nodes) -> ClusterFigures:
    """The figures of ``cluster`` run on ``nodes`` nodes (broadcast against the services).

    Raises InputError on inputs that :func:`check` reports.
    """
    _refuse_problems(cluster)
    c = resolved(cluster.arrays())
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
    s, share, util_after, code = _survivors(n, c)
    scenario = code > 0
    has_queue = ~np.isnan(c.service_time)
    wait_limit = c.wait_seconds
    targets = (wait_limit, c.latency_quantile, c.latency_seconds)
    q_h = _node_queue(k / n, n, c).figures(*targets)
    after = _survivor_figures(scenario & (s >= 1), share, s, c)
    lost = np.where(code == 2, np.ceil(n / np.where(np.isnan(c.zones), 1.0, c.zones)), c.tolerate_failures)

    def none_without(values, where):
        return np.where(where, values, np.nan)

    def hq(values):
        return np.where(has_queue, values, np.nan)

    after_shown = scenario & has_queue & (s >= 1)
    return ClusterFigures(
        capacity_c=c.rate / c.node_throughput,
        effective_capacity_q=n / (k * slow),
        balance_factor=k,
        offered_load_erlangs=c.rate * c.service_time,
        utilization=util,
        utilization_after_failures=np.where(scenario, util_after, np.nan),
        nodes_lost_in_failure=counts(np.where(scenario, lost, np.nan)),
        failure_scenario=np.array([SCENARIOS[i] or None for i in np.ravel(code)], dtype=object).reshape(code.shape),
        stable=np.ma.MaskedArray(util < FULL, mask=~has_queue),
        probability_of_wait=hq(q_h.probability_of_wait),
        mean_wait_seconds=hq(q_h.mean_wait_seconds),
        p50_wait_seconds=hq(q_h.p50_wait_seconds),
        p95_wait_seconds=hq(q_h.p95_wait_seconds),
        p99_wait_seconds=hq(q_h.p99_wait_seconds),
        mean_queue_length=hq(q_h.mean_queue_length),
        service_level=hq(q_h.service_level),
        mean_response_seconds=hq(q_h.mean_response_seconds),
        p50_response_seconds=hq(q_h.p50_response_seconds),
        p95_response_seconds=hq(q_h.p95_response_seconds),
        p99_response_seconds=hq(q_h.p99_response_seconds),
        target_response_seconds=hq(q_h.target_response_seconds),
        survivor_probability_of_wait=none_without(after.probability_of_wait, after_shown),
        survivor_mean_wait_seconds=none_without(after.mean_wait_seconds, after_shown),
        survivor_p50_wait_seconds=none_without(after.p50_wait_seconds, after_shown),
        survivor_p95_wait_seconds=none_without(after.p95_wait_seconds, after_shown),
        survivor_p99_wait_seconds=none_without(after.p99_wait_seconds, after_shown),
        survivor_mean_queue_length=none_without(after.mean_queue_length, after_shown),
        survivor_service_level=none_without(after.service_level, after_shown),
        survivor_mean_response_seconds=none_without(after.mean_response_seconds, after_shown),
        survivor_p50_response_seconds=none_without(after.p50_response_seconds, after_shown),
        survivor_p95_response_seconds=none_without(after.p95_response_seconds, after_shown),
        survivor_p99_response_seconds=none_without(after.p99_response_seconds, after_shown),
        survivor_target_response_seconds=none_without(after.target_response_seconds, after_shown),
        node_throughput_per_second=c.node_throughput,
        exact_queue=np.ma.MaskedArray((c.arrival_scv == 1) & (c.service_scv == 1), mask=~has_queue),
        target_utilization=c.target_utilization,
        failover_utilization=c.failover_utilization,
    )



def _survivor_figures(rows_mask, share, survivors, c: Cluster) -> QueueFigures:
    """The hottest survivors' queue figures where a failure is asked (NaN elsewhere, not worked out)."""
    nan = np.full(rows_mask.shape, np.nan)
    rows = np.flatnonzero(rows_mask)
    if not rows.size:
        return QueueFigures(**{f.name: nan for f in fields(QueueFigures)})
    sub = c.take(rows)
    figs = _node_queue(share[rows], survivors[rows], sub).figures(sub.wait_seconds, sub.latency_quantile,
                                                                   sub.latency_seconds)
    out = {}
    for f in fields(QueueFigures):
        full = nan.copy()
        full[rows] = getattr(figs, f.name)
        out[f.name] = full
    return QueueFigures(**out)


def max_rate(cluster: Cluster, nodes) -> np.ndarray:
    """The largest request rate ``nodes`` nodes serve within every target (req/s).

    Every constraint only gets harder as the rate grows, so this bisects on
    the rate, in log space, between zero and ``nodes x T``. NaN where even a
    vanishing rate misses a target (a latency target below the service time).
    """
    _refuse_problems(cluster)
    c = resolved(cluster.arrays())
    _refuse_inexact_percentiles(c)
    n = np.broadcast_to(np.asarray(nodes, float), c.rate.shape).astype(float)

    def holds(rate):
        return _all_hold(n, c.replaced(rate=np.asarray(rate, float)))

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
    sizing = size(cluster.replaced(rate=rates))
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
