"""Simulated queues behind real balancers, and sizing by simulation where no closed form applies.

The kernel (:mod:`.queue_kernel`, numba, imported on first use) runs N nodes
of c FCFS slots behind a balancer: ``random`` and ``round-robin`` route each
request on its own, ``two-choices`` sends it to the shorter of two nodes
drawn at random (the power of two choices), ``least-connections`` to the
node holding fewest requests (join the shortest queue), and ``ring`` hashes
sticky sessions (``--sessions``, else 65,536 keys) onto a ring of one point
per node, each session served by the next node clockwise.

A run is ``replications`` independent replications of ``customers``
requests each after a warm-up of a tenth as many; each replication gets its
own stream from ``SeedSequence(seed).spawn``, so the figures are the same
for any number of workers (threads, the kernel releases the GIL) and on a
Dask cluster (``--scheduler``: the execution made current by
:func:`relcalc.execution.use`; rows are read back in replication order). The
figures are over all requests the cluster serves; each comes with a 95%
interval from the spread of the replications (Student's t).

Failures are simulated on the survivors: N+f loses f nodes adjacent on the
ring (the worst case there, any f for the other balancers), a zone loss the
nodes of one zone (every z-th node).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InputError
from ..execution import InlineExecution, current
from ..results import Interval
from .service import ServiceTime

BALANCER_CODES = {"random": 0, "round-robin": 1, "two-choices": 2, "least-connections": 3, "ring": 4}
LAW_CODES = {"exponential": 0, "lognormal": 1, "gamma": 2, "fixed": 3, "empirical": 4}
RING_KEYS = 65_536  #: keys hashed onto the ring when no session count is given
MAX_SIMULATED_NODES = 2_000  #: beyond this a run needs too many requests to warm every node up
MAX_SLOTS_HELD = 20_000_000  #: nodes x (slots + backlog) the kernel's arrays may hold (160 MB)
MAX_LEAST_CONNECTIONS_NODES = 500  #: least-connections scans every node per request
REQUESTS_PER_NODE = 100  #: each replication runs at least this many requests per node
_DEPTH = 4096  #: the backlog per node past which a length-aware balancer's run counts as unstable


@dataclass(frozen=True)
class SimulatedQueue:
    """What the requests of a simulated cluster see; times in seconds, with 95% intervals.

    ``unstable`` when some node is at or above full load (its backlog grows
    without bound): every figure is then None.
    """

    nodes: int  #: nodes serving
    unstable: bool
    probability_of_wait: Interval
    mean_wait_seconds: Interval
    p50_wait_seconds: Interval
    p95_wait_seconds: Interval
    p99_wait_seconds: Interval
    mean_response_seconds: Interval
    p50_response_seconds: Interval
    p95_response_seconds: Interval
    p99_response_seconds: Interval
    requests_simulated: int
    other_quantiles: dict = field(default_factory=dict, metadata={"record": False})  #: name -> Interval

    def figure(self, kind: str, quantile: float | None) -> float | None:
        """The response (``kind="response"``) or wait at a quantile (None: the mean), any quantile."""
        name = f"{'mean' if quantile is None else _pname(quantile)}_{kind}_seconds"
        value = getattr(self, name, None) or self.other_quantiles.get(name)
        return None if value is None else value.value


def _pname(quantile: float) -> str:
    return f"p{quantile * 100:g}".replace(".", "_")


_FIGURES = ("probability_of_wait", "mean_wait_seconds", "p50_wait_seconds", "p95_wait_seconds", "p99_wait_seconds",
            "mean_response_seconds", "p50_response_seconds", "p95_response_seconds", "p99_response_seconds")


@dataclass(frozen=True)
class Scenario:
    """One cluster state to simulate: every node, or the survivors of a failure."""

    nodes: int
    lost: str = ""  #: "", "node_failures" or "zone_loss"
    count: int = 0  #: f for node failures, z (zones) for a zone loss


def simulate(scenario: Scenario, rate: float, slots: int, balancer: str, service: ServiceTime,
             arrival_scv: float = 1.0, sessions: float = math.nan, seed: int = 0, replications: int = 8,
             customers: int = 50_000, workers: int = 1, extra_quantiles=()) -> SimulatedQueue:
    """Simulate one cluster state; see the module notes."""
    if balancer not in BALANCER_CODES:
        raise InputError(f"--balancer: the simulation knows {', '.join(BALANCER_CODES)}, not {balancer!r}")
    if not 1 <= scenario.nodes <= MAX_SIMULATED_NODES:
        raise InputError(f"the simulation takes 1 to {MAX_SIMULATED_NODES:,} nodes, got {scenario.nodes:,}: "
                         "use --method analytic")
    if replications < 2 or customers < 100:
        raise InputError("the simulation needs at least 2 replications of 100 requests for an interval")
    if balancer == "least-connections" and scenario.nodes > MAX_LEAST_CONNECTIONS_NODES:
        raise InputError(f"the least-connections simulation takes up to {MAX_LEAST_CONNECTIONS_NODES:,} nodes (it "
                         f"scans them all per request), got {scenario.nodes:,}: use --method analytic")
    tracked = balancer in ("two-choices", "least-connections")
    # the slots free times, and for a length-aware balancer each node's departures (slots and backlog)
    depth = int(min(_DEPTH, MAX_SLOTS_HELD // scenario.nodes - 2 * slots)) if tracked else 1
    if scenario.nodes * slots > MAX_SLOTS_HELD or (tracked and depth < 64):
        raise InputError(f"{scenario.nodes:,} nodes of {slots:,.0f} slots are too many to simulate "
                         f"(at most {MAX_SLOTS_HELD:,} slots and backlog in all): use --method analytic")
    customers = max(customers, REQUESTS_PER_NODE * scenario.nodes)
    children = np.random.SeedSequence(seed).spawn(replications)
    slots_i = int(slots)
    shape = math.inf if arrival_scv == 0 else 1.0 / arrival_scv
    quantiles = (0.5, 0.95, 0.99, *extra_quantiles)

    task = _Replication(scenario, float(rate), slots_i, balancer, service, float(shape), float(sessions), customers,
                        depth, quantiles, None)
    tasks = [replace(task, child=child) for child in children]
    execution = current()
    if execution is not None and not isinstance(execution, InlineExecution):
        rows = execution.map(_replicate, tasks)  # --scheduler: read back in replication order
    elif workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_replicate, tasks))
    else:
        rows = [_replicate(t) for t in tasks]
    serving = scenario.nodes - _lost_count(scenario)
    if any(r is None for r in rows):
        none = Interval(None)
        return SimulatedQueue(serving, True, *(none for _ in _FIGURES), requests_simulated=0)
    table = np.array(rows)
    intervals = [_t_interval(table[:, j], 1.0 if j == 0 else math.inf) for j in range(table.shape[1])]
    extra = {}
    for i, q in enumerate(quantiles[3:]):  # any other quantile a target asks for, read by figure()
        extra[f"{_pname(q)}_wait_seconds"] = intervals[9 + 2 * i]
        extra[f"{_pname(q)}_response_seconds"] = intervals[10 + 2 * i]
    return SimulatedQueue(serving, False, *intervals[:9], requests_simulated=customers * replications,
                          other_quantiles=extra)


@dataclass(frozen=True)
class _Replication:
    """One replication as a small picklable task (a Dask worker runs it as well as a thread here)."""

    scenario: Scenario
    rate: float
    slots: int
    balancer: str
    service: ServiceTime
    arrival_shape: float
    sessions: float
    customers: int
    depth: int
    quantiles: tuple
    child: np.random.SeedSequence | None  #: this replication's stream, from SeedSequence(seed).spawn


def _replicate(task: _Replication) -> list[float] | None:
    """One replication's figures (None when some node never drains): a pure function of ``task``."""
    from . import queue_kernel as kernel

    scenario, service, slots_i, customers = task.scenario, task.service, task.slots, task.customers
    layout_seed, run_seed = task.child.spawn(2)
    alive, owner = _layout(scenario, task.balancer, task.sessions, np.random.default_rng(layout_seed))
    if alive.size == 0:
        return None
    # a node whose own share is at or above its slots never drains: refuse before running
    share = (np.bincount(owner, minlength=scenario.nodes).max() / owner.size if task.balancer == "ring"
             else 1.0 / alive.size)
    if share * task.rate * service.mean_seconds / slots_i >= 1.0 - 1e-9:
        return None
    wait = np.empty(customers)
    response = np.empty(customers)
    node = np.empty(customers, np.int64)
    done = kernel.run_queue(np.random.Generator(np.random.PCG64(run_seed)), alive, slots_i, BALANCER_CODES[task.balancer],
                            owner, task.rate, task.arrival_shape, LAW_CODES[service.law], float(service.p1),
                            float(service.p2), service.samples, customers, customers // 10,
                            max(task.depth, 1) + slots_i, wait, response, node)
    if done < customers:
        return None
    row = [float(np.mean(wait > 0)), float(wait.mean())]
    row += [float(v) for v in np.quantile(wait, (0.5, 0.95, 0.99))]
    row.append(float(response.mean()))
    row += [float(v) for v in np.quantile(response, (0.5, 0.95, 0.99))]
    row += [float(v) for q in task.quantiles[3:] for v in (np.quantile(wait, q), np.quantile(response, q))]
    return row


def _t_interval(values: np.ndarray, top: float = math.inf) -> Interval:
    """Mean of the replications with its Student-t 95% interval, kept within [0, top] (times, probabilities)."""
    from scipy.special import stdtrit

    r = values.size
    mean = float(values.mean())
    half = float(stdtrit(r - 1, 0.975) * values.std(ddof=1) / math.sqrt(r))
    return Interval(mean, max(mean - half, 0.0), min(mean + half, top), f"t over {r} replications")


def _lost_count(scenario: Scenario) -> int:
    if scenario.lost == "node_failures":
        return scenario.count
    if scenario.lost == "zone_loss":
        return math.ceil(scenario.nodes / scenario.count)
    return 0


def _layout(scenario: Scenario, balancer: str, sessions: float, rng: np.random.Generator):
    """The serving node numbers and, for the ring, each session's node."""
    n = scenario.nodes
    points = rng.random(n)  # the ring: one point per node
    order = np.argsort(points)
    down = np.zeros(n, bool)
    if scenario.lost == "node_failures":
        start = rng.integers(n)
        down[order[(start + np.arange(scenario.count)) % n]] = True  # neighbours on the ring
    elif scenario.lost == "zone_loss":
        down[::scenario.count] = True  # round-robin placement: nodes 0, z, 2z, ... share a zone
    alive = np.flatnonzero(~down).astype(np.int64)
    if balancer != "ring":
        return alive, np.zeros(1, np.int64)
    keys = RING_KEYS if math.isnan(sessions) else int(sessions)
    ring = np.sort(points[alive])
    owners = alive[np.argsort(points[alive])]
    where = np.searchsorted(ring, rng.random(keys)) % alive.size  # the next node clockwise
    return alive, owners[where].astype(np.int64)


def scenarios_at(nodes: int, tolerate_failures: float, zones: float) -> list[Scenario]:
    """The healthy cluster and each failure scenario asked at ``nodes`` nodes."""
    out = [Scenario(nodes)]
    if tolerate_failures > 0:
        out.append(Scenario(nodes, "node_failures", int(tolerate_failures)))
    if not math.isnan(zones):
        out.append(Scenario(nodes, "zone_loss", int(zones)))
    return [s for s in out if _lost_count(s) < s.nodes]

