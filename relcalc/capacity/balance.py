"""How unevenly a balancer spreads the load: the hottest node's share of the request rate.

A balancer that routes every request on its own (round robin, or random per
request) splits a Poisson stream into equal Poisson streams: k = 1, and the
randomness is in each node's queue. Imbalance comes from placing ``m``
long-lived sessions (connections, clients, keys) that each carry an equal
share of the traffic, ``x = m / n`` per node on average:

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

Whatever the formula, a node that holds a session carries all of it: the
hottest node's share is never below ``1 / m`` (:func:`hottest_share`), so
more nodes than sessions leave nodes idle and help nobody.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

BALANCERS = ("round-robin", "least-connections", "random", "two-choices", "ring")
#: Policies that place long-lived sessions (connections, clients, keys), whose
#: imbalance depends on how many there are.
SESSION_BALANCERS = ("least-connections", "random", "two-choices")
_EULER_GAMMA = 0.5772156649015329


def balance_factor(n, balancer: str, sessions=np.nan, given=np.nan) -> np.ndarray:
    """The hottest node's share over the mean, for ``n`` nodes (see the module notes).

    ``given`` wins where it is a number.
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
        if balancer in SESSION_BALANCERS:
            # one whole session at least: k / n >= 1 / m
            k = np.maximum(k, np.where(np.isnan(x), 0.0, 1.0 / x))
    k = np.where(n <= 1, 1.0, k)
    given = np.asarray(given, dtype=float)
    return np.where(np.isnan(given), k, given)


def session_limited(balancer: str, balance_factor_given) -> np.ndarray:
    """Where the hottest node's share is floored at one whole session (a session policy, no k given)."""
    return np.isnan(np.asarray(balance_factor_given, float)) & (balancer in SESSION_BALANCERS)
