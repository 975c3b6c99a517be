"""The compiled event loop of the queue simulation (numba): N nodes of c slots behind a balancer.

Imported only by :mod:`relcalc.capacity.simulation` when a simulation runs,
so numba stays out of start-up.

Each node serves its requests first come, first served on ``c`` slots. A
FCFS node needs no event list: the next request in arrival order starts on
the slot that frees first, at ``max(arrival, earliest free time)``
(Kiefer and Wolfowitz 1955), so each node keeps a min-heap of its slots'
free times. Balancers that look at queue lengths (two-choices,
least-connections) also keep a min-heap of each node's departure times and
drop the ones already past to count what a node holds at an arrival.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# balancer codes
RANDOM, ROUND_ROBIN, TWO_CHOICES, LEAST_CONNECTIONS, RING = 0, 1, 2, 3, 4
# service-time laws
EXPONENTIAL, LOGNORMAL, GAMMA, FIXED, EMPIRICAL = 0, 1, 2, 3, 4


@njit(cache=True, inline="always")
def _sift_down(heap, row, size, start):
    i = start
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        smallest = left
        right = left + 1
        if right < size and heap[row, right] < heap[row, left]:
            smallest = right
        if heap[row, smallest] < heap[row, i]:
            heap[row, i], heap[row, smallest] = heap[row, smallest], heap[row, i]
            i = smallest
        else:
            return


@njit(cache=True, inline="always")
def _push(heap, row, size, value):
    i = size
    heap[row, i] = value
    while i > 0:
        parent = (i - 1) // 2
        if heap[row, i] < heap[row, parent]:
            heap[row, i], heap[row, parent] = heap[row, parent], heap[row, i]
            i = parent
        else:
            break


@njit(cache=True)
def _held(departures, counts, node, now):
    """Requests at ``node`` (waiting or in service) at time ``now``: past departures dropped."""
    size = counts[node]
    while size > 0 and departures[node, 0] <= now:
        size -= 1
        departures[node, 0] = departures[node, size]
        _sift_down(departures, node, size, 0)
    counts[node] = size
    return size


@njit(cache=True)
def _service(rng, law, p1, p2, samples):
    if law == EXPONENTIAL:
        return rng.exponential(p1)
    if law == LOGNORMAL:
        return np.exp(rng.normal(p1, p2))
    if law == GAMMA:
        return rng.gamma(p1, p2)
    if law == FIXED:
        return p1
    return samples[rng.integers(0, samples.shape[0])]


@njit(cache=True, nogil=True)
def run_queue(rng, alive, slots, balancer, owner, rate, arrival_shape, law, p1, p2, samples, customers, warm_up,
              depth, wait_out, response_out, node_out):
    """Simulate ``warm_up + customers`` arrivals; write the last ``customers`` waits, responses and nodes.

    ``alive`` lists the node numbers that serve; ``owner`` maps each sticky
    session to its node (ring). Interarrival times are gamma of shape
    ``arrival_shape`` (1: Poisson arrivals; inf: evenly spaced). Returns the
    number written: fewer than ``customers`` when a node's backlog passed
    ``depth`` requests (tracked for two-choices and least-connections; the
    caller refuses the other balancers' overloaded nodes before running).
    """
    n_alive = alive.shape[0]
    n_nodes = 0
    for i in range(n_alive):
        n_nodes = max(n_nodes, alive[i] + 1)
    free = np.zeros((n_nodes, slots))
    track = balancer == TWO_CHOICES or balancer == LEAST_CONNECTIONS
    departures = np.zeros((n_nodes if track else 1, depth if track else 1))
    counts = np.zeros(n_nodes, np.int64)
    mean_gap = 1.0 / rate
    now = 0.0
    turn = 0
    written = 0
    total = warm_up + customers
    for k in range(total):
        if arrival_shape == np.inf:
            now += mean_gap
        elif arrival_shape == 1.0:
            now += rng.exponential(mean_gap)
        else:
            now += rng.gamma(arrival_shape, mean_gap / arrival_shape)
        if balancer == RANDOM:
            node = alive[rng.integers(0, n_alive)]
        elif balancer == ROUND_ROBIN:
            node = alive[turn]
            turn = turn + 1 if turn + 1 < n_alive else 0
        elif balancer == TWO_CHOICES:
            a = alive[rng.integers(0, n_alive)]
            b = alive[rng.integers(0, n_alive)]
            node = a if _held(departures, counts, a, now) <= _held(departures, counts, b, now) else b
        elif balancer == LEAST_CONNECTIONS:
            node = alive[0]
            best = _held(departures, counts, node, now)
            for j in range(1, n_alive):
                held = _held(departures, counts, alive[j], now)
                if held < best:
                    best = held
                    node = alive[j]
        else:
            node = owner[rng.integers(0, owner.shape[0])]
        start = free[node, 0]
        if start < now:
            start = now
        service = _service(rng, law, p1, p2, samples)
        free[node, 0] = start + service
        _sift_down(free, node, slots, 0)
        if track:
            if counts[node] >= depth:
                return written
            _push(departures, node, counts[node], start + service)
            counts[node] += 1
        if k >= warm_up:
            wait_out[written] = start - now
            response_out[written] = start - now + service
            node_out[written] = node
            written += 1
    return written
