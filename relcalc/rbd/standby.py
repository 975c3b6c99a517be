"""Repairable standby redundancy: the small Markov chain behind a standby block.

Notes
-----
``n`` identical units, ``r`` of them needed (active), the rest spares; each
unit has failure rate lambda and its own repair crew (rate mu), or the block
has ``crews`` crews for all its units (repairs at ``min(j, crews) mu``). State ``j`` is
the number of failed units; the block is up while ``n - j >= r``.

From an up state ``j``: an active unit fails at ``r lambda``; if a spare is
there it takes over with probability ``s`` (state ``j+1``), and a failed
switch-over leaves that spare unusable too (state ``j+2``). Each spare fails
while dormant at ``phi lambda`` (cold: phi = 0, hot: phi = 1). From a down
state the ``n - j`` remaining units keep running and fail at ``lambda`` each.
Repairs take ``j -> j-1`` at ``j mu`` (``min(j, crews) mu`` with shared crews).

Because repairs only step down by one, the balance of flow across the cut
between ``{0..j}`` and ``{j+1..n}`` gives ``pi_{j+1}`` from ``pi_0..pi_j`` as a
sum of non-negative terms, so small probabilities keep their digits.

With ``s = 1`` and cold spares this is the textbook cold-standby chain
(Trivedi & Bobbio, *Reliability and Availability Engineering*, 2017, ch. 10).
"""

from __future__ import annotations

import numpy as np

from .model import Component, Standby


def standby_rates(n: int, active: int, lam: float, mu: float, phi: float, switch: float, crews: int = 0) -> np.ndarray:
    """The rate matrix ``Q[i, j]`` (off-diagonal) of the standby chain."""
    rates = np.zeros((n + 1, n + 1))
    for j in range(n + 1):
        working = n - j
        if working >= active:
            spares = working - active
            if spares:
                rates[j, j + 1] += active * lam * switch + spares * phi * lam
                rates[j, j + 2] += active * lam * (1.0 - switch)
            else:
                rates[j, j + 1] += active * lam
        elif working:
            rates[j, j + 1] += working * lam
        if j:
            rates[j, j - 1] += (min(j, crews) if crews else j) * mu  # crews: 0 is one per unit
    return rates


def standby_stationary(rates: np.ndarray) -> np.ndarray:
    """The chain's stationary distribution, by the cut balance of the notes (non-negative terms only)."""
    n = len(rates) - 1
    pi = np.zeros(n + 1)
    pi[0] = 1.0
    for j in range(n):
        # flow up across the cut {0..j} | {j+1..n} equals the repair flow down
        up_flow = sum(pi[i] * rates[i, j + 1 :].sum() for i in range(j + 1))
        pi[j + 1] = up_flow / rates[j + 1, j]
    return pi / pi.sum()


def standby_steady_state(component: Component, block: Standby) -> tuple[float, float, float]:
    """(availability, unavailability, failures per hour) of a standby block."""
    n, r = component.count, block.active
    rates = standby_rates(n, r, component.failure_rate, component.repair_rate, block.dormant_factor, block.switch,
                          block.crews)
    pi = standby_stationary(rates)
    last_up = n - r
    unavailability = float(pi[last_up + 1 :].sum())
    availability = float(pi[: last_up + 1].sum())
    frequency = float(sum(pi[j] * rates[j, last_up + 1 :].sum() for j in range(last_up + 1)))
    return availability, unavailability, frequency


def standby_reliability(component: Component, block: Standby, t_hours: float) -> tuple[float, float]:
    """(R(t), 1 - R(t)) of the block without repair, from the chain's transient solution."""
    from scipy.linalg import expm

    n, r = component.count, block.active
    rates = standby_rates(n, r, component.failure_rate, 0.0, block.dormant_factor, block.switch)
    generator = rates - np.diag(rates.sum(axis=1))
    p = expm(generator * t_hours)[0]
    last_up = n - r
    return float(p[: last_up + 1].sum()), float(p[last_up + 1 :].sum())
