"""A diagram's availability graded by how many members of each repair group are down.

Notes
-----
Where a repair group's members share one repair rate mu, its FIFO chain has
a product form: the flow into each queue by its last failure balances the
repairs out of it, ``pi(c_1..c_k) = pi_0 prod_j lambda_(c_j) / (mu min(j,
c))``, the same for every order of one failed set, so

    P(failed set S) = h(|S|) prod_(i in S) r_i / Z,    r_i = lambda_i / mu,
    h(k) = k! / prod_(j <= k) min(j, c)

so the group's members are weighted as independent members whose "down"
weight is ``r_i z`` and "up" weight 1, and the power of ``z`` counts the
members down. Evaluating the diagram with these weights gives polynomials

    U(z) = sum_k z^k sum_(|S| = k) prod_(i in S) r_i U(S)

(and A(z) alike), from which ``U = sum_k h(k) U_k / sum_k h(k) (A_k + U_k)``
- every term non-negative, and polynomial work where the sets are 2^n. With
several groups each has its own ``z`` (one axis of the coefficient array).

Blocks of independent children combine by sums and products of non-negative
polynomials (series: ``A = A_1 A_2``, ``U = A_1 U_2 + U_1 T_2`` with ``T =
A + U``; parallel the mirror image; k-of-n by counting children down).
Blocks whose children share components are expanded on the shared ones
(Shannon), and networks on their group members, each case then evaluated
as in :mod:`relcalc.rbd.evaluate`. The derivative of A with respect to an
independent instance's availability (its Birnbaum importance, as a
polynomial) is carried beside A, as the scalar evaluator does.

References: Trivedi & Bobbio, *Reliability and Availability Engineering*
(2017), ch. 9 (machine repair with distinct machines); Rausand & Hoyland
(2004), ch. 4 (pivotal decomposition).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..errors import InputError

MAX_CASES = 1 << 14  #: member or shared-component cases one block may be expanded on
MAX_COEFFICIENTS = 20_000  #: coefficients of one polynomial (the product of group sizes + 1)
MAX_KOFN_WORK = 2_000_000  #: children times counts of a k-of-n block holding group members


def weights_h(size: int, crews: int) -> np.ndarray:
    """h(k) = k! / prod_(j <= k) min(j, c), k = 0..size: the product form's weight of k members down."""
    h = np.ones(size + 1)
    for k in range(1, size + 1):
        h[k] = h[k - 1] * k / min(k, crews)
    return h


class Graded:
    """Evaluates nodes of a compiled diagram to (A(z), U(z), {var: dA/da_var (z)}).

    ``members`` maps a group member's variable to (its group's axis, r_i).
    """

    def __init__(self, units, members: dict[int, tuple[int, float]], dims: tuple[int, ...]):
        if math.prod(dims) > MAX_COEFFICIENTS:
            raise InputError(f"repair: groups of sizes {', '.join(str(d - 1) for d in dims)} together need over "
                             f"{MAX_COEFFICIENTS:,} coefficients; use fewer or smaller groups with one repair rate")
        self.units, self.members, self.dims = units, members, dims
        self.origin = (0,) * len(dims)
        self.slices = tuple(slice(0, d) for d in dims)
        self._memo: dict = {}
        self._has: dict[int, bool] = {}

    # --- the algebra of truncated polynomials (arrays of shape dims) --------------------
    def const(self, x: float) -> np.ndarray:
        p = np.zeros(self.dims)
        p[self.origin] = x
        return p

    def mul(self, p, q):
        """The product truncated to dims; direct convolution, so every coefficient is a sum of non-negative terms."""
        if len(self.dims) == 1:
            return np.convolve(p, q)[: self.dims[0]]
        # several axes: Kronecker substitution, each inner axis padded to 2d - 1 so no degree spills into the next
        padded = (self.dims[0],) + tuple(2 * d - 1 for d in self.dims[1:])
        wide_p, wide_q = np.zeros(padded), np.zeros(padded)
        wide_p[self.slices], wide_q[self.slices] = p, q
        flat = np.convolve(wide_p.ravel(), wide_q.ravel())
        return flat[: wide_p.size].reshape(padded)[self.slices]

    def down_weight(self, var: int) -> np.ndarray:
        axis, r = self.members[var]
        p = np.zeros(self.dims)
        index = [0] * len(self.dims)
        index[axis] = 1
        p[tuple(index)] = r
        return p

    # --- evaluation ---------------------------------------------------------------------
    def has_members(self, node) -> bool:
        found = self._has.get(id(node))
        if found is None:
            found = self._has[id(node)] = any(v in self.members for v in node.variables)
        return found

    def evaluate(self, node, fixed: dict[int, int], want_grad: bool = False):
        """(A(z), U(z), grad) of ``node`` with ``fixed`` variables conditioned on (weight 1)."""
        if not want_grad:
            key = (id(node), tuple(sorted((v, b) for v, b in fixed.items() if v in node.variables)))
            found = self._memo.get(key)
            if found is None:
                found = self._memo[key] = self._evaluate(node, fixed, False)
            return found
        return self._evaluate(node, fixed, True)

    def _evaluate(self, node, fixed, want_grad):
        from .evaluate import NET, VAR, _evaluate

        if node.kind == VAR and node.var in fixed:
            return (self.const(1.0), self.const(0.0), {}) if fixed[node.var] else (self.const(0.0), self.const(1.0), {})
        if not self.has_members(node):
            a, u, _, g = _evaluate(node, self.units, fixed, want_grad)
            return self.const(a), self.const(u), {v: self.const(d) for v, d in g.items()}
        if node.kind == VAR:
            return self.const(1.0), self.down_weight(node.var), {}
        if node.kind == NET:
            return self._expanded(node, fixed, want_grad, on_members=True)
        if any(v not in fixed for v in node.shared):
            return self._expanded(node, fixed, want_grad, on_members=False)
        return self._combine(node, fixed, want_grad)

    def _expanded(self, node, fixed, want_grad, on_members: bool):
        """Shannon expansion on the free shared components (or, in a network, on its free group members)."""
        from .evaluate import _evaluate

        if on_members:
            free = [v for v in node.variables if v in self.members and v not in fixed]
        else:
            free = [v for v in node.shared if v not in fixed]
        if len(free) > 14 and not on_members:  # too many shared components: expand on the members instead
            free = [v for v in node.variables if v in self.members and v not in fixed]
            on_members = True
        if 1 << len(free) > MAX_CASES:
            raise InputError(f"{node.label}: {len(free)} repair-group members (or shared components) inside one "
                             f"network or shared block; exact evaluation would take 2^{len(free)} cases "
                             f"(limit 2^{MAX_CASES.bit_length() - 1}); give that block's components their own crews")
        total_a, total_u = self.const(0.0), self.const(0.0)
        grad: dict = {}
        for bits in itertools.product((1, 0), repeat=len(free)):
            weight = self.const(1.0)
            for v, b in zip(free, bits):
                if v in self.members:
                    if not b:
                        weight = self.mul(weight, self.down_weight(v))
                else:
                    weight = weight * (self.units.a[v] if b else self.units.u[v])
            cond = dict(fixed)
            cond.update(zip(free, bits))
            if on_members:  # the rest is free of members: the scalar evaluator does it (plans, networks)
                a, u, _, g = _evaluate(node, self.units, cond, want_grad)
                a, u = weight * a, weight * u
                g = {v: weight * d for v, d in g.items()}
            else:
                ca, cu, cg = self._combine(node, cond, want_grad)
                a, u = self.mul(weight, ca), self.mul(weight, cu)
                g = {v: self.mul(weight, d) for v, d in cg.items()}
            total_a = total_a + a
            total_u = total_u + u
            if want_grad:
                for v, d in g.items():
                    grad[v] = grad[v] + d if v in grad else d
                # a shared independent component's own derivative: A(up) - A(down) with the others' weights
                for j, (v, b) in enumerate(zip(free, bits)):
                    if v in self.members:
                        continue
                    own = self.units.a[v] if b else self.units.u[v]
                    if own > 0:
                        part = a / own * (1 if b else -1)
                        grad[v] = grad[v] + part if v in grad else part
                    elif own == 0:  # the case has weight 0; its derivative is the others' weight times the case
                        others = self.const(1.0)
                        for w, c in zip(free, bits):
                            if w == v:
                                continue
                            if w in self.members:
                                if not c:
                                    others = self.mul(others, self.down_weight(w))
                            else:
                                others = others * (self.units.a[w] if c else self.units.u[w])
                        ca = (self._combine(node, cond, False)[0] if not on_members else
                              self.const(_evaluate(node, self.units, cond, False)[0]))
                        part = self.mul(others, ca) * (1 if b else -1)
                        grad[v] = grad[v] + part if v in grad else part
        return total_a, total_u, grad

    def _combine(self, node, fixed, want_grad):
        from .evaluate import AND, KOFN

        results = [self.evaluate(child, fixed, want_grad) for child in node.children]
        if node.kind == KOFN:
            return self._k_of_n(node, results, want_grad)
        total = [a + u for a, u, _ in results]
        n = len(results)
        # series: the running (A, U) takes each child in turn: A' = A a, U' = A u + U t (t = a + u)
        # parallel: the mirror image, U' = U u, A' = U a + A t
        acc_a, acc_u = (self.const(1.0), self.const(0.0)) if node.kind == AND else (self.const(0.0), self.const(1.0))
        for (a, u, _), t in zip(results, total):
            if node.kind == AND:
                acc_a, acc_u = self.mul(acc_a, a), self.mul(acc_a, u) + self.mul(acc_u, t)
            else:
                acc_a, acc_u = self.mul(acc_u, a) + self.mul(acc_a, t), self.mul(acc_u, u)
        grad: dict = {}
        if want_grad:
            # dA/da_v for v in child j: the product of the other children's A (series) or U (parallel),
            # the other children's factors of T being constant in a_v
            factors = [r[0] if node.kind == AND else r[1] for r in results]
            prefix = [self.const(1.0)] * (n + 1)
            for j in range(n):
                prefix[j + 1] = self.mul(prefix[j], factors[j])
            suffix = self.const(1.0)
            for j in range(n - 1, -1, -1):
                child_grad = results[j][2]
                if child_grad:
                    others = self.mul(prefix[j], suffix)
                    for v, d in child_grad.items():
                        part = self.mul(others, d)
                        grad[v] = grad[v] + part if v in grad else part
                suffix = self.mul(suffix, factors[j])
        return acc_a, acc_u, grad

    def _k_of_n(self, node, results, want_grad):
        """Counting children down up to m = n - k + 1 (m or more: down).

        The children free of group members are counted first with plain
        numbers (their count distribution, a Poisson-binomial cut at m), the
        others then as polynomials on top of it.
        """
        n = len(results)
        m = n - node.k + 1  # children down at which the block is down
        free = [i for i, child in enumerate(node.children) if not self.has_members(child)]
        held = [i for i, child in enumerate(node.children) if self.has_members(child)]
        if len(held) * (m + 1) > MAX_KOFN_WORK or len(free) * m * m > 200 * MAX_KOFN_WORK:
            raise InputError(f"{node.label}: a k-of-n of {n:,} children holding repair-group members is too large "
                             "to grade by members down; give those members their own crews")
        o = self.origin
        free_a = [float(results[i][0][o]) for i in free]
        free_u = [float(results[i][1][o]) for i in free]

        def count(d, a, u):  # plain numbers: one more child, down with probability u
            out = d * a
            out[1:] += d[:-1] * u
            out[m] += d[m] * u
            return out

        def step(counts, a, u):  # polynomials
            t = a + u
            out = [None] * (m + 1)
            for j in range(m + 1):
                if j == m:
                    out[j] = self.mul(counts[m], t) + self.mul(counts[m - 1], u)
                elif j == 0:
                    out[j] = self.mul(counts[0], a)
                else:
                    out[j] = self.mul(counts[j], a) + self.mul(counts[j - 1], u)
            return out

        none_down = np.zeros(m + 1)
        none_down[0] = 1.0
        before = [none_down]
        for a, u in zip(free_a, free_u):
            before.append(count(before[-1], a, u))
        prefixes = [[self.const(x) for x in before[-1]]]
        for i in held:
            prefixes.append(step(prefixes[-1], results[i][0], results[i][1]))
        final = prefixes[-1]
        avail = sum(final[:m], self.const(0.0))
        grad: dict = {}
        if not want_grad:
            return avail, final[m], grad

        def add(v, part):
            grad[v] = grad[v] + part if v in grad else part

        # A(child up) - A(child down), the others weighted: the block is up with the child up and down with it
        # down exactly when the others have m - 1 down
        suffix = [self.const(1.0)] + [self.const(0.0)] * m
        for index in range(len(held) - 1, -1, -1):
            a, u, child_grad = results[held[index]]
            if child_grad:
                delta = self.const(0.0)
                for x in range(m):
                    delta = delta + self.mul(prefixes[index][x], suffix[m - 1 - x])
                for v, d in child_grad.items():
                    add(v, self.mul(delta, d))
            suffix = step(suffix, a, u)
        if any(results[i][2] for i in free):
            members_down = np.stack(suffix[:m])  # the held children's counts from none down: polynomials
            after = [none_down]
            for a, u in zip(reversed(free_a), reversed(free_u)):
                after.append(count(after[-1], a, u))
            after.reverse()  # after[j]: the free children past the j-th
            for j, i in enumerate(free):
                if results[i][2]:
                    others = np.convolve(before[j][:m], after[j + 1][:m])[:m]  # the other free children, < m down
                    delta = np.tensordot(others[::-1], members_down, axes=(0, 0))
                    for v, d in results[i][2].items():
                        add(v, delta * float(d[o]))
        return avail, final[m], grad
