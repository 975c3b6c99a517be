"""Mean availability over a window [t1, t2] of a diagram: components, standby blocks and repair groups.

Notes
-----
The diagram's parts that change in time are independent: each repair group
(its FIFO queue chain, :func:`relcalc.rbd.repair.group_chain`), each standby
block (its chain, :mod:`relcalc.rbd.standby`) and each component with its own
crew (two states). At a time t the system's

    U(t) = sum_f prod_g p_g(f_g, t) U(diagram | failed sets f, others at t)

runs over the combinations f of the groups' failed sets, so its integral is
not a product of the groups' integrals: it is integrated as a function of t.
Every term is a finite sum of (possibly complex) exponentials e^(z t) with
Re z <= 0 and |z| at most the largest total rate s_max, so U(t) is analytic
and Gauss-Legendre rules converge fast on panels that grow with the time
since t1: ``[0, tau], [tau, 2 tau], [2 tau, 4 tau], ...`` with
``tau s_max <= 1/2`` and ``tau 2^J = t2 - t1``. On panel ``[w, 2w]`` a mode
with ``|z| w = a`` is at most e^(-a) of its size at t1, and the 20-point rule
integrates e^(-a x) on [0, 1] to a relative 1e-20 for a <= 20 (its error term
``(n!)^4 / ((2n+1) ((2n)!)^3) a^(2n)``, Davis & Rabinowitz, *Methods of
Numerical Integration*, 2nd ed., 1984, section 2.7). The 10-point rule on the
same panel is reported beside it: ``sum |G20 - G10|`` is the stated error
bound of the quadrature (it bounds G10's error, far larger than G20's).

The chains' distributions at the nodes come from ``expm(Q w x_k)`` for the
panel's nodes ``x_k``, squared from one panel to the next (``w`` doubles), so
each panel costs a few matrix products per chain rather than an exponential
per node.

Once the parts have settled the rest of the window is the steady state: the
total variation ``||p(t) - pi||_1`` of a Markov chain never grows with t, and
U is multilinear in the parts' distributions with coefficients in [0, 1], so
for every t >= T ``|U(t) - U_inf| <= Delta(T) = sum_parts ||p(T) - pi||_1 / 2``
(a two-state component's term is ``|u(T) - u_inf|``). When Delta(T) is below
1e-13 U_inf (or the noise floor of the chains' arithmetic), the rest is
``U_inf (t2 - T)`` and ``Delta(T) (t2 - T)`` joins the error bound.
Unavailability and availability are each integrated directly.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError

MAX_WINDOW_STATES = 400  #: states of one chain (a group's queue, a standby block) that --window follows
MAX_LEVELS = 1_100  #: panels: the window up to 2^1100 times the fastest time scale (any finite float)
MAX_EVALUATIONS = 200_000  #: diagram evaluations (nodes times combinations of failed sets)
MAX_FLOPS = 3e10  #: matrix-product work of the chains over all panels (seconds; a 5-member group near the top)
SETTLED = 1e-13  #: the tail is the steady state once Delta(T) is below this share of U_inf


def _rules():
    """Nodes on [0, 1] of the 20- and 10-point Gauss-Legendre rules, and each rule's weights on them."""
    x20, w20 = np.polynomial.legendre.leggauss(20)
    x10, w10 = np.polynomial.legendre.leggauss(10)
    nodes = np.concatenate([(x20 + 1) / 2, (x10 + 1) / 2])
    fine = np.concatenate([w20 / 2, np.zeros(10)])
    coarse = np.concatenate([np.zeros(20), w10 / 2])
    return nodes, fine, coarse


class _Chain:
    """A part with its own Markov chain: generator, start distribution, stationary distribution."""

    def __init__(self, q: np.ndarray, start: np.ndarray, pi: np.ndarray, where: str):
        self.q, self.start, self.pi, self.where = q, start, pi, where
        self.rate = float(np.max(-np.diag(q))) if len(q) else 0.0

    def at(self, t: float) -> np.ndarray:
        """The distribution at t >= 0 from the start, by squaring ``expm(Q h)``, ``h = t / 2^K``, ``h rate <= 1/2``."""
        from scipy.linalg import expm

        if t <= 0 or self.rate == 0:
            return self.start.copy()
        k = max(0, math.ceil(math.log2(t) + math.log2(self.rate) + 1))
        step = expm(self.q * math.ldexp(t, -k))
        p = self.start.copy()
        # p @ step^(2^k): the binary digits of 2^k are one 1 at the top, so square k times, then apply
        floor = _noise(len(self.q))
        for _ in range(k):
            step = step @ step
            if np.abs(step - self.pi).sum(axis=1).max() <= floor:  # every row settled: step^(2^more) too
                break
        p = p @ step
        return np.clip(p, 0.0, None) / max(p.clip(0.0).sum(), 1e-300)

    def distance(self, p: np.ndarray) -> float:
        """Half the total variation between p and the stationary distribution."""
        return 0.5 * float(np.abs(p - self.pi).sum())


def _noise(size: int) -> float:
    return 64 * np.finfo(float).eps * max(size, 1)


def window_availability(system, t1: float, t2: float, down: set):
    """(mean A, mean U, (bound on A, bound on U), {var: (mean A, mean U)}, compiled) over [t1, t2] (see the notes)."""
    from .evaluate import compile_system
    from .model import Standby
    from .repair import _group_members, group_chain, stationary
    from .standby import standby_rates

    kinds = []

    def record(component, which):
        kinds.append((component, which))
        return component.availability, component.unavailability

    compiled = compile_system(system, unit_values=record)
    by_component: dict[str, list[int]] = {}
    for var, unit in enumerate(compiled.units):
        by_component.setdefault(unit.component, []).append(var)

    def is_down(name, i):
        return (name, None) in down or (name, i + 1) in down

    groups = []  # (chain, members (vars), sets: list of frozensets of vars, aggregation matrix states -> sets)
    grouped = set()
    for group, members, comps in _group_members(system, compiled, system.repair, by_component):
        starting = tuple(i for i, v in enumerate(members)
                         if is_down(compiled.units[v].component, by_component[compiled.units[v].component].index(v)))
        if len({(c.failure_rate, c.repair_rate) for c in comps}) == 1 and len(starting) in (0, len(members)):
            groups.append(_identical_group(comps[0], members, group, len(starting), stationary))
            grouped.update(members)
            continue
        states, rates = group_chain([c.failure_rate for c in comps], [c.repair_rate for c in comps], group.crews,
                                    group.where)
        _check_size(len(states), group.where)
        chain = _chain_of(len(states), rates, states.index(starting), group.where, stationary)
        sets, where = [], {}
        columns = []
        for s, state in enumerate(states):
            key = frozenset(members[i] for i in state)
            if key not in where:
                where[key] = len(sets)
                sets.append(key)
                columns.append([])
            columns[where[key]].append(s)
        aggregate = np.zeros((len(states), len(sets)))
        for c, rows in enumerate(columns):
            aggregate[rows, c] = 1.0
        groups.append((chain, members, sets, aggregate))
        grouped.update(members)

    standbys = []  # (var, chain, last up state)
    comps = []  # (var, lambda, mu, down at 0)
    for var, (component, which) in enumerate(kinds):
        if var in grouped:
            continue
        if isinstance(which, Standby):
            n, r = component.count, which.active
            q = standby_rates(n, r, component.failure_rate, component.repair_rate, which.dormant_factor, which.switch,
                              which.crews)
            _check_size(n + 1, which.where or which.label)
            rates = {(i, j): float(q[i, j]) for i, j in zip(*np.nonzero(q))}
            started = sum(is_down(component.name, i) for i in range(n))
            standbys.append((var, _chain_of(n + 1, rates, started, which.label, stationary), n - r))
        elif component.failure_rate is not None:
            comps.append((var, component.failure_rate, component.repair_rate, is_down(component.name, which)))
    model = _Model(compiled, groups, standbys, comps)
    mean_a, mean_u, bound, chain_means = model.integrate(t1, t2)
    members = {}
    for (chain, vars_, sets, aggregate), mean in zip(groups, chain_means[:len(groups)]):
        by_set = mean @ aggregate
        for v in vars_:
            members[v] = (float(sum(q for f, q in zip(sets, by_set) if v not in f)),
                          float(sum(q for f, q in zip(sets, by_set) if v in f)))
    for (var, _, last_up), mean in zip(standbys, chain_means[len(groups):]):
        members[var] = (float(mean[:last_up + 1].sum()), float(mean[last_up + 1:].sum()))
    return mean_a, mean_u, bound, members, compiled


MAX_IDENTICAL_MEMBERS = 12  #: identical members of one group followed over a window (2^12 failed sets)


def _identical_group(comp, members, group, started: int, stationary):
    """A group of identical members started all up (or all down), by the number of members down.

    Identical members are exchangeable, and so is the start, so the FIFO
    queue lumps exactly to the birth-death chain on the number down k
    (failures at (n - k) lambda, repairs at min(k, c) mu: the machine-repair
    model, Trivedi & Bobbio 2017, ch. 9), and each set of k members down has
    probability P(k) / C(n, k).
    """
    import itertools

    n = len(members)
    if n > MAX_IDENTICAL_MEMBERS:
        raise InputError(f"--window: {group.where} has {n} members; over a window at most {MAX_IDENTICAL_MEMBERS} "
                         "identical members per group are followed; use --at at chosen times")
    rates = {}
    for k in range(n + 1):
        if k < n:
            rates[(k, k + 1)] = (n - k) * comp.failure_rate
        if k:
            rates[(k, k - 1)] = min(k, group.crews) * comp.repair_rate
    chain = _chain_of(n + 1, rates, started, group.where, stationary)
    sets = [frozenset(members[i] for i in chosen) for k in range(n + 1) for chosen in itertools.combinations(range(n), k)]
    aggregate = np.zeros((n + 1, len(sets)))
    for column, failed in enumerate(sets):
        aggregate[len(failed), column] = 1.0 / math.comb(n, len(failed))
    return chain, members, sets, aggregate


def _check_size(size: int, where: str) -> None:
    if size > MAX_WINDOW_STATES:
        raise InputError(f"--window: {where} has {size:,} chain states; over a window at most {MAX_WINDOW_STATES} are "
                         f"followed (a group of 5 members, or {MAX_IDENTICAL_MEMBERS} identical ones started all up); "
                         "use --at at chosen times, or smaller groups")


def _chain_of(size: int, rates: dict, start_index: int, where: str, stationary) -> _Chain:
    q = np.zeros((size, size))
    for (i, j), r in rates.items():
        q[i, j] += r
    q -= np.diag(q.sum(axis=1))
    start = np.zeros(size)
    start[start_index] = 1.0
    return _Chain(q, start, stationary(size, rates), where)


class _Model:
    """The system's A(t) and U(t) at many times from its parts, and their integral over a window."""

    def __init__(self, compiled, groups, standbys, comps):
        import itertools

        from .evaluate import _evaluate, _Units

        self.compiled, self.groups, self.standbys = compiled, groups, standbys
        self.chains = [g[0] for g in groups] + [s[1] for s in standbys]
        self.comp_vars = np.array([c[0] for c in comps], dtype=np.intp)
        self.lam = np.array([c[1] for c in comps], dtype=float)
        self.mu = np.array([c[2] for c in comps], dtype=float)
        self.started_down = np.array([c[3] for c in comps], dtype=bool)
        self.evaluate, self.units_of = _evaluate, _Units
        count = 1
        for _, _, sets, _ in groups:
            count *= len(sets)
            if count > 100_000:
                raise InputError("--window: the repair groups together have over 100,000 combinations of failed "
                                 "members; use fewer groups")
        self.combos = list(itertools.product(*[range(len(g[2])) for g in groups]))
        grouped = [v for g in groups for v in g[1]]
        self.fixed = []
        for combo in self.combos:
            failed = set().union(*[g[2][i] for g, i in zip(groups, combo)]) if groups else set()
            self.fixed.append({v: (0 if v in failed else 1) for v in grouped})
        self.base_a = np.array([float(u.availability) for u in compiled.units])
        self.base_u = np.array([float(u.unavailability) for u in compiled.units])
        self.static = not len(comps) and not standbys  # the diagram's values given each combination do not move
        self.static_values = None
        self.evaluations = 0
        moving = set(self.comp_vars.tolist()) | {s[0] for s in standbys}
        self.modules = (_modules(compiled.root, [set(g[1]) for g in groups], moving, len(compiled.units))
                        if len(groups) > 1 else None)
        if self.modules is not None:
            self.module_cache = [None] * len(groups)
            self.module_fixed = [[{v: (0 if v in failed else 1) for v in g[1]} for failed in g[2]] for g in groups]

    # -- the parts at given times ------------------------------------------------------

    def _components(self, times: np.ndarray):
        """(A, U) of the own-crew components at the times (rows) from their closed forms (relcalc.rbd.transient)."""
        s = self.lam + self.mu
        st = np.outer(times, s)
        decay = np.exp(-st)
        grown = -np.expm1(-st)
        down = self.started_down
        a = np.where(down, self.mu * grown / s, (self.mu + self.lam * decay) / s)
        u = np.where(down, (self.lam + self.mu * decay) / s, self.lam * grown / s)
        return a, u

    def _combo_values(self, a_row: np.ndarray, u_row: np.ndarray):
        """(A, U) of the diagram given each combination of failed sets, the other units at these values."""
        units = self._units(a_row, u_row)
        self._count(len(self.combos))
        out = np.array([self.evaluate(self.compiled.root, units, fixed, False)[:2] for fixed in self.fixed])
        return out[:, 0], out[:, 1]

    def _unit_rows(self, times, dists, components):
        """Every unit's (A, U) at each time (rows): own-crew components and standby blocks move."""
        comp_a, comp_u = self._components(times) if components is None else components
        a = np.tile(self.base_a, (len(times), 1))
        u = np.tile(self.base_u, (len(times), 1))
        a[:, self.comp_vars], u[:, self.comp_vars] = comp_a, comp_u
        for (var, _, last_up), dist in zip(self.standbys, dists[len(self.groups):]):
            a[:, var], u[:, var] = dist[:, :last_up + 1].sum(axis=1), dist[:, last_up + 1:].sum(axis=1)
        return a, u

    def _units(self, a_row: np.ndarray, u_row: np.ndarray):
        with np.errstate(divide="ignore"):  # log 0 = -inf, as log_or_inf
            return self.units_of(a_row.tolist(), u_row.tolist(), np.log(a_row).tolist(), np.log(u_row).tolist())

    def _count(self, evaluations: int) -> None:
        self.evaluations += evaluations
        if self.evaluations > MAX_EVALUATIONS:
            raise InputError(f"--window: over {MAX_EVALUATIONS:,} evaluations of the diagram (combinations of the "
                             "groups' failed members at each time); use fewer or smaller groups, or --at at chosen times")

    def _modular_values(self, times, dists, components):
        """(A, U) at each time where each group lies in a block of its own (a module, see :func:`_modules`).

        A module's (A, U) is its own group's sum over failed sets; the rest
        of the diagram then sees each module as one independent unit, so the
        groups' sets are summed one group at a time, not over all their
        combinations.
        """
        a_rows, u_rows = self._unit_rows(times, dists, components)
        count = len(times)
        module_a = np.empty((count, len(self.groups)))
        module_u = np.empty((count, len(self.groups)))
        for g, ((node, static), (_, _, _, aggregate), dist) in enumerate(zip(self.modules[0], self.groups, dists)):
            by_set = dist @ aggregate
            fixed_sets = self.module_fixed[g]
            if static and self.module_cache[g] is None:
                units = self._units(self.base_a, self.base_u)
                self._count(len(fixed_sets))
                self.module_cache[g] = np.array([self.evaluate(node, units, f, False)[:2] for f in fixed_sets])
            if static:
                values = self.module_cache[g]
                module_a[:, g], module_u[:, g] = by_set @ values[:, 0], by_set @ values[:, 1]
                continue
            self._count(count * len(fixed_sets))
            for row in range(count):
                units = self._units(a_rows[row], u_rows[row])
                values = np.array([self.evaluate(node, units, f, False)[:2] for f in fixed_sets])
                module_a[row, g], module_u[row, g] = by_set[row] @ values[:, 0], by_set[row] @ values[:, 1]
        root = self.modules[1]
        self._count(count)
        out = np.array([self.evaluate(root, self._units(np.concatenate([a_rows[row], module_a[row]]),
                                                        np.concatenate([u_rows[row], module_u[row]])), {}, False)[:2]
                        for row in range(count)])
        return out[:, 0], out[:, 1]

    def values(self, times: np.ndarray, dists: list[np.ndarray], components=None):
        """(A, U) of the system at each time, given each chain's distribution there (rows).

        ``components`` overrides the own-crew components' (A, U) rows (their steady state).
        """
        if self.modules is not None:
            return self._modular_values(times, dists, components)
        weights = np.ones((len(times), len(self.combos)))
        for (_, _, _, aggregate), dist, position in zip(self.groups, dists, range(len(self.groups))):
            by_set = dist @ aggregate
            index = np.array([c[position] for c in self.combos], dtype=np.intp)
            weights *= by_set[:, index]
        if self.static:
            if self.static_values is None:
                self.static_values = self._combo_values(self.base_a, self.base_u)
            ca, cu = self.static_values
            return weights @ ca, weights @ cu
        a_rows, u_rows = self._unit_rows(times, dists, components)
        out_a = np.empty(len(times))
        out_u = np.empty(len(times))
        for row in range(len(times)):
            ca, cu = self._combo_values(a_rows[row], u_rows[row])
            out_a[row], out_u[row] = weights[row] @ ca, weights[row] @ cu
        return out_a, out_u

    def steady(self):
        """(A_inf, U_inf) from the chains' stationary distributions and the components' steady states."""
        s = self.lam + self.mu
        a, u = self.values(np.array([math.inf]), [c.pi[None, :] for c in self.chains],
                           ((self.mu / s)[None, :], (self.lam / s)[None, :]))
        return float(a[0]), float(u[0])

    def distance(self, offset_time: float, dists: list[np.ndarray]) -> float:
        """Delta(T): how far the parts are from their steady state at T (bounds |U(t) - U_inf| for all t >= T)."""
        total = sum(chain.distance(p) for chain, p in zip(self.chains, dists))
        if len(self.lam):
            _, u = self._components(np.array([offset_time]))
            total += float(np.abs(u[0] - self.lam / (self.lam + self.mu)).sum())
        return total

    # -- the integral ------------------------------------------------------------------

    def integrate(self, t1: float, t2: float):
        """(mean A, mean U, (error bound on A, on U), [mean distribution of each chain]) over [t1, t2]."""
        from scipy.linalg import expm

        nodes, fine, coarse = _rules()
        width = t2 - t1
        rates = [c.rate for c in self.chains] + list(self.lam + self.mu)
        s_max = max(rates)
        levels = max(0, math.ceil(math.log2(width) + math.log2(s_max) + 1))  # tau s_max <= 1/2
        if levels > MAX_LEVELS:
            raise InputError(f"--window: the window is over 2^{MAX_LEVELS} times the fastest repair or failure time; "
                             "give a shorter window")
        tau = math.ldexp(width, -levels)
        flops_per_level = sum(len(c.q) ** 3 for c in self.chains) * (len(nodes) + 1) * 2
        a_inf, u_inf = self.steady()
        tolerance = max(SETTLED * min(a_inf, u_inf), sum(_noise(len(c.q)) for c in self.chains)
                        + _noise(len(self.lam)))
        starts = [c.at(t1) for c in self.chains]
        sum_a = sum_u = error_a = error_u = 0.0
        chain_sums = [np.zeros(len(c.q)) for c in self.chains]
        # the step to the next panel's start and the node patterns, for the current panel width
        steps = [expm(np.concatenate([(c.q * tau)[None], c.q[None] * (tau * nodes)[:, None, None]])) for c in self.chains]
        offset, panel_width, flops = 0.0, tau, 0.0
        # sums are kept as shares of the window (each panel's width over the window's), so a window of
        # 1e-300 h does not underflow to a mean of 0
        for level in range(levels + 1):
            if self.distance(t1 + offset, starts) <= tolerance:
                rest = (width - offset) / width
                sum_a += a_inf * rest
                sum_u += u_inf * rest
                error_a += self.distance(t1 + offset, starts) * rest
                error_u += self.distance(t1 + offset, starts) * rest
                for total, chain in zip(chain_sums, self.chains):
                    total += chain.pi * rest
                break
            if level >= 2:  # the width doubles: square the step and the patterns
                flops += flops_per_level
                if flops > MAX_FLOPS:
                    raise InputError("--window: the repair chains are too large to follow over this window; use "
                                     "smaller groups or --at at chosen times")
                steps = [m @ m for m in steps]
            dists = [np.clip(p @ m[1:], 0.0, None) for p, m in zip(starts, steps)]
            a, u = self.values(t1 + offset + panel_width * nodes, dists)
            share = panel_width / width
            sum_a += share * float(fine @ a)
            sum_u += share * float(fine @ u)
            error_a += share * abs(float((fine - coarse) @ a))
            error_u += share * abs(float((fine - coarse) @ u))
            for total, dist in zip(chain_sums, dists):
                total += share * (fine @ dist)
            starts = [p @ m[0] for p, m in zip(starts, steps)]
            offset += panel_width
            if level >= 1:
                panel_width *= 2
        return sum_a, sum_u, (error_a, error_u), chain_sums


def _modules(root, groups: list[set], moving: set, first: int):
    """([(module node, static)] per group, the diagram with each module as one more unit), or None.

    A group's module is the smallest block holding all its members, none of
    another group's, and no component used outside it (so it is independent
    of the rest); network blocks are taken whole. ``static``: no unit inside
    moves in time apart from the group's own members; the modules become units
    ``first``, ``first + 1``, ... None where some group
    has no module (its members spread among other groups' blocks).
    """
    from collections import Counter

    from .evaluate import NET, VAR, Leaf, _node

    def leaves(node, counter):
        stack = [node]
        while stack:
            current = stack.pop()
            if current.kind == VAR:
                counter[current.var] += 1
            else:
                stack.extend(current.children)
        return counter

    everywhere = leaves(root, Counter())
    others_of = [set().union(*(h for j, h in enumerate(groups) if j != i)) for i in range(len(groups))]
    found = []
    for members, others in zip(groups, others_of):
        node = root
        while node.kind not in (VAR, NET):
            inner = [c for c in node.children if members <= set(c.variables)]
            if not inner:
                break
            node = inner[0]
        inside = leaves(node, Counter())
        if others & set(inside) or any(everywhere[v] != n for v, n in inside.items()):
            return None
        found.append((node, not (moving & set(inside))))
    if len({id(node) for node, _ in found}) != len(found):
        return None
    targets = {id(node): first + g for g, (node, _) in enumerate(found)}

    def rebuild(node):
        if id(node) in targets:
            return Leaf(targets[id(node)], node.label or "module")
        if node.kind in (VAR, NET):
            return node
        children = [rebuild(c) for c in node.children]
        if all(new is old for new, old in zip(children, node.children)):
            return node
        return _node(node.kind, children, node.k, node.label)

    return found, rebuild(root)
