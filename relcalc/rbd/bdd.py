"""A compact reduced ordered binary decision diagram for structure functions.

Notes
-----
A node is ``(level, lo, hi)``: the function is ``hi`` where the variable at
``level`` is up and ``lo`` where it is down; ids 0 and 1 are the constant
functions (system down, system up). Nodes are hash-consed (one id per
distinct triple, and ``lo == hi`` is never stored), so the diagram is
reduced, and every node's children have smaller ids than the node: one pass
in id order evaluates the diagram bottom-up, one in reverse order top-down.

For independent two-state components with availabilities ``a_v`` and
unavailabilities ``u_v``, the probability that the system is up and that it
is down are both sums of non-negative products:

    A(node) = a_v A(hi) + u_v A(lo)        U(node) = a_v U(hi) + u_v U(lo)

so U is computed directly, never as 1 - A. The Birnbaum importance of ``v``
is ``sum over nodes of v of P(reach node) (A(hi) - A(lo))``, and for a
coherent system ``A(hi) - A(lo) = U(lo) - U(hi)``; of the two differences the
one between the smaller numbers is taken, so it keeps its digits.

A variable that a path skips does not matter on that path (its derivative
there is 0), which is what the skip means.

Why our own diagram rather than the ``dd`` package: relcalc needs two
operations ``dd`` does not give - building a diagram from a network's
frontier states level by level (:mod:`relcalc.rbd.network`) and evaluating
probabilities, derivatives and logarithms of tiny unavailabilities over the
nodes in one array pass - and the conversion into and out of ``dd`` costs
more than building these small diagrams directly (measured in
``benchmarks/compose.py``).

References: Bryant, "Graph-based algorithms for Boolean function
manipulation", IEEE Trans. Computers C-35 (1986); Rauzy, "New algorithms for
fault trees analysis", Reliability Engineering & System Safety 40 (1993)
(minimal cut sets from a diagram).
"""

from __future__ import annotations

import math

from ..errors import InputError

#: Largest diagram built (nodes); above it the evaluation is refused with a clear error
MAX_NODES = 600_000

FALSE, TRUE = 0, 1
BOTTOM = 1 << 40  #: the level of the terminals, below every variable


class TooLarge(Exception):
    """A diagram grew past the limit its builder set (the caller then takes another way)."""


class Diagram:
    """A store of shared BDD nodes over levels ``0 .. n_levels - 1`` (level ``i`` is ``variables[i]``)."""

    def __init__(self, variables=(), where: str = "diagram", limit: int = MAX_NODES):
        self.variables = list(variables)  # level -> variable id (of the caller)
        self.level_of = {v: i for i, v in enumerate(self.variables)}
        self.level = [BOTTOM, BOTTOM]  # terminals sit below every level
        self.limit = limit
        self.lo = [0, 1]
        self.hi = [0, 1]
        self.unique: dict[tuple[int, int, int], int] = {}
        self.where = where
        self._memo: dict = {}

    def __len__(self) -> int:
        return len(self.level)

    def node(self, level: int, lo: int, hi: int) -> int:
        if lo == hi:
            return lo
        key = (level, lo, hi)
        found = self.unique.get(key)
        if found is not None:
            return found
        if len(self.level) >= self.limit:
            if self.limit < MAX_NODES:
                raise TooLarge(self.where)
            raise InputError(
                f"{self.where}: the exact decision diagram would exceed {MAX_NODES:,} nodes; "
                "split the network into blocks or give fewer shared components"
            )
        self.level.append(level)
        self.lo.append(lo)
        self.hi.append(hi)
        self.unique[key] = len(self.level) - 1
        return len(self.level) - 1

    def var(self, variable) -> int:
        return self.node(self.add_variable(variable), FALSE, TRUE)

    def add_variable(self, variable) -> int:
        """The level of ``variable``, appended below the others if new."""
        level = self.level_of.get(variable)
        if level is None:
            level = self.level_of[variable] = len(self.variables)
            self.variables.append(variable)
        return level

    # --- building by operations -----------------------------------------------------

    def apply(self, op: str, f: int, g: int) -> int:
        """``f and g`` (op "and") or ``f or g`` (op "or")."""
        if op == "and":
            if f == FALSE or g == FALSE:
                return FALSE
            if f == TRUE:
                return g
            if g == TRUE or f == g:
                return f
        else:
            if f == TRUE or g == TRUE:
                return TRUE
            if f == FALSE:
                return g
            if g == FALSE or f == g:
                return f
        if f > g:
            f, g = g, f
        key = (op, f, g)
        found = self._memo.get(key)
        if found is not None:
            return found
        lf, lg = self.level[f], self.level[g]
        top = min(lf, lg)
        f0, f1 = (self.lo[f], self.hi[f]) if lf == top else (f, f)
        g0, g1 = (self.lo[g], self.hi[g]) if lg == top else (g, g)
        result = self.node(top, self.apply(op, f0, g0), self.apply(op, f1, g1))
        self._memo[key] = result
        return result

    def conjunction(self, items: list[int]) -> int:
        return self._balanced("and", items)

    def disjunction(self, items: list[int]) -> int:
        return self._balanced("or", items)

    def _balanced(self, op: str, items: list[int]) -> int:
        items = list(items)
        if not items:
            return TRUE if op == "and" else FALSE
        while len(items) > 1:  # pairwise, so intermediate diagrams stay small
            items = [self.apply(op, items[i], items[i + 1]) if i + 1 < len(items) else items[i]
                     for i in range(0, len(items), 2)]
        return items[0]

    def at_least(self, k: int, items: list[int]) -> int:
        """At least ``k`` of ``items`` true: the threshold function built by counting, O(n k) operations."""
        # row[j] = "at least j of the items seen so far are true", j = 0..k
        row = [TRUE] + [FALSE] * k
        for item in items:
            row = [TRUE] + [self.apply("or", row[j], self.apply("and", item, row[j - 1])) for j in range(1, k + 1)]
        return row[k]

    def restrict(self, root: int, level: int, value: int) -> int:
        """The function with the variable at ``level`` fixed to ``value``."""
        memo: dict[int, int] = {}

        def go(f: int) -> int:
            if f < 2 or self.level[f] > level:
                return f
            if self.level[f] == level:
                return self.hi[f] if value else self.lo[f]
            if f not in memo:
                memo[f] = self.node(self.level[f], go(self.lo[f]), go(self.hi[f]))
            return memo[f]

        return go(root)

    def reachable(self, root: int) -> list[int]:
        """The ids of the nodes below ``root`` (terminals excluded), in increasing order (kept per root)."""
        cache = self.__dict__.setdefault("_reachable", {})
        if root in cache and cache[root][0] == len(self.level):
            return cache[root][1]
        seen, stack = set(), [root]
        while stack:
            f = stack.pop()
            if f < 2 or f in seen:
                continue
            seen.add(f)
            stack.append(self.lo[f])
            stack.append(self.hi[f])
        cache[root] = (len(self.level), sorted(seen))
        return cache[root][1]


# --- probabilities ----------------------------------------------------------------------


def probability(diagram: Diagram, root: int, a, u, log_a, log_u, want_grad: bool = False, tiny: float = 1e-280):
    """(A, U, log U, {variable: dA/da}) of the function at ``root``.

    ``a``, ``u``, ``log_a``, ``log_u`` are indexed by the caller's variable ids
    (a fixed variable has a = 1, u = 0 or the reverse). Where U is below
    ``tiny`` its logarithm is found by a second pass on logarithms.
    """
    if root < 2:
        return (1.0, 0.0, -math.inf, {}) if root == TRUE else (0.0, 1.0, 0.0, {})
    nodes = diagram.reachable(root)
    level, lo, hi, variables = diagram.level, diagram.lo, diagram.hi, diagram.variables
    size = len(level)
    # indexed by node id (lists: faster than dicts over a few thousand nodes)
    up = [0.0] * size
    down = [0.0] * size
    up[TRUE] = 1.0
    down[FALSE] = 1.0
    for f in nodes:
        v = variables[level[f]]
        av, uv, f0, f1 = a[v], u[v], lo[f], hi[f]
        up[f] = av * up[f1] + uv * up[f0]
        down[f] = av * down[f1] + uv * down[f0]
    avail, unavail = up[root], down[root]
    if unavail <= avail:
        avail = 1.0 - unavail
    else:
        unavail = 1.0 - avail
    if unavail >= tiny:
        log_unavail = math.log(unavail)
    else:  # the same sums on logarithms: the products underflow
        logs = {FALSE: 0.0, TRUE: -math.inf}
        for f in nodes:
            v = variables[level[f]]
            logs[f] = _log_add(log_a[v] + logs[hi[f]], log_u[v] + logs[lo[f]])
        log_unavail = logs[root]
    grad: dict = {}
    if want_grad:
        reach = [0.0] * size
        reach[root] = 1.0
        for f in reversed(nodes):
            r = reach[f]
            if r == 0.0:
                continue
            v = variables[level[f]]
            f0, f1 = lo[f], hi[f]
            reach[f1] += a[v] * r
            reach[f0] += u[v] * r
            # A(hi) - A(lo) = U(lo) - U(hi): the difference of the smaller pair keeps its digits
            gain = down[f0] - down[f1] if down[f0] <= up[f0] else up[f1] - up[f0]
            grad[v] = grad.get(v, 0.0) + r * gain
    return float(avail), float(unavail), float(log_unavail), grad


def _log_add(x: float, y: float) -> float:
    if x < y:
        x, y = y, x
    return x if y == -math.inf else x + math.log1p(math.exp(y - x))


# --- minimal cut sets -------------------------------------------------------------------


def minimal_cut_sets(diagram: Diagram, root: int, max_order: int) -> list[tuple[int, ...]]:
    """The minimal cut sets of a coherent function up to ``max_order`` variables (caller's ids).

    A cut set is a set of variables whose failure (all others up) fails the
    system. Recursively on ``f = v ? hi : lo``: the minimal cuts without ``v``
    are those of ``hi``; with ``v`` they are ``{v} + C`` for the minimal cuts
    ``C`` of ``lo`` that contain no minimal cut of ``hi`` (Rauzy 1993). Only
    sets of at most ``max_order`` variables are kept, which bounds the work.
    """
    memo: dict[tuple[int, int], frozenset] = {}
    level, lo, hi, variables = diagram.level, diagram.lo, diagram.hi, diagram.variables

    def cuts(f: int, budget: int) -> frozenset:
        if f == FALSE:
            return frozenset([frozenset()])
        if f == TRUE or budget == 0:
            return frozenset()
        key = (f, budget)
        if key in memo:
            return memo[key]
        v = variables[level[f]]
        without = cuts(hi[f], budget)
        with_v = [c for c in cuts(lo[f], budget - 1) if not any(k <= c for k in without)]
        result = without | frozenset(c | {v} for c in with_v)
        memo[key] = result
        return result

    found = cuts(root, max_order)
    return sorted((tuple(sorted(c)) for c in found), key=lambda c: (len(c), c))
