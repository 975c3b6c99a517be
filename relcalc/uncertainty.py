"""Carrying parameter uncertainty through an exact block diagram.

Notes
-----
Each component estimated from data has a distribution of its failure and
repair rates (:class:`relcalc.estimate.RatePosterior`). ``n`` draws of every
such component's rates give ``n`` diagrams; each is evaluated exactly, all
at once on numpy arrays (one array of ``n`` values per block), with the same
algebra as :mod:`relcalc.rbd.evaluate`:

    series:    A = prod(a_i),  U = -expm1(sum(log1p(-u_i)))
    parallel:  U = prod(u_i),  A = -expm1(sum(log1p(-a_i)))
    k-of-n:    U = P(more than n - k members down), a Poisson-binomial tail
               by dynamic programming over the number down
    shared components: Shannon expansion, P = sum_s P(s) P(block | s)

An instance's unavailability is ``lambda / (lambda + mu)``, computed
directly. Components with typed parameters stay fixed. The interval of a
system figure is the equal-tailed ``confidence`` interval of its ``n``
values. A failure rate is drawn so that its own interval is exactly its
chi-square interval (:mod:`relcalc.estimate.posterior`); with one estimated
component the system interval is therefore the classical one carried through
the diagram, and a component that never failed keeps all the doubt its
chi-square lower MTBF limit leaves.

Which component's uncertainty dominates: the first-order share of the
variance of the system unavailability explained by each component,
``Var(E[U | u_j]) / Var(U)`` (a first-order Sobol index; Saltelli et al.,
*Global Sensitivity Analysis: The Primer*, Wiley 2008, ch. 4), estimated
from the same draws by averaging U within equal-count bins of the
component's own unavailability ``u_j``. All instances of a component share
its drawn rates (one uncertain MTBF for the type), so U depends on the
component only through ``u_j``. Shares need not sum to 1 (interactions).

Standby blocks whose component is drawn are solved draw by draw (a small
chain each), which is slower than the rest.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .errors import InputError

MAX_SAMPLES = 1_000_000  #: more draws than this are refused (memory: a few arrays of this length per block)
MAX_SHARED = 16  #: shared components one block may be expanded on, vectorised (2^16 cases)


@dataclass(frozen=True)
class ComponentShare:
    """How much of the system's uncertainty one estimated component explains."""

    name: str
    variance_share: float
    unavailability_low: float
    unavailability_high: float


@dataclass(frozen=True)
class UncertaintyResult:
    """System figures at the point estimates and their intervals from the draws (``confidence``)."""

    samples: int
    confidence: float
    seed: int
    availability: float
    availability_low: float
    availability_high: float
    unavailability: float
    unavailability_low: float
    unavailability_high: float
    downtime_per_year_hours: float
    downtime_per_year_low_hours: float
    downtime_per_year_high_hours: float
    nines: float
    nines_low: float
    nines_high: float
    dominant: str | None
    shares: tuple[ComponentShare, ...]
    method: str
    notes: tuple[str, ...] = ()
    #: the drawn system unavailabilities, for charts (not in records, not compared)
    unavailability_draws: Any = field(default=None, compare=False, repr=False, metadata={"record": False})


def propagate(system, posteriors: dict, *, samples: int = 10_000, confidence: float = 0.90, seed: int = 1,
              calendar=None, store=None) -> UncertaintyResult:
    """Intervals on the availability of ``system`` from its components' rate distributions.

    ``posteriors`` maps component names to :class:`~relcalc.estimate.RatePosterior`
    (rates per instance); other components keep their parameters. ``seed``
    feeds one :class:`numpy.random.SeedSequence`, spawned in the order of
    the sorted names (the store last), so a component's draws do not depend
    on the others. ``store`` (a :class:`StoreHistory`) adds a Raft store in
    series, its quorum unavailability drawn from its nodes' history.
    """
    from .availability import Calendar
    from .rbd.evaluate import evaluate

    calendar = calendar or Calendar()
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
        raise InputError(f"--samples must be a whole number from 1 to {MAX_SAMPLES:,}, got {samples!r}")
    if not 0.5 <= confidence < 1.0:
        raise InputError(f"confidence must be at least 0.5 and below 1, got {confidence}")
    posteriors, changed = _still_estimated(system, posteriors)
    if not posteriors and store is None:
        if changed:
            raise InputError(f"uncertainty: every estimated component was changed after estimation (by --set: "
                             f"{', '.join(sorted(changed))}), so no uncertainty is left to carry")
        raise InputError("uncertainty: no component is estimated from data, so there is no uncertainty to carry")
    names = sorted(posteriors)
    streams = np.random.SeedSequence(seed).spawn(len(names) + 1)
    draws = {}
    for name, stream in zip(names, streams):
        draws[name] = posteriors[name].sample(samples, np.random.default_rng(stream))
    avail, unavail = system_samples(system, draws, samples)
    point = evaluate(system, calendar=calendar, importance=False)
    point_a, point_u = point.availability, point.unavailability
    explain = {name: draws[name][0] / (draws[name][0] + draws[name][1]) for name in names}
    notes = [f"{name}: {posteriors[name].note}" for name in names if posteriors[name].note]
    notes += [f"{name}: its figures were changed after estimation; kept fixed" for name in changed]
    if store is not None:
        store_u = store.quorum_unavailability_draws(samples, np.random.default_rng(streams[-1]))
        # the store in series with the diagram: U = U_d + U_s - U_d U_s, a sum of non-negative terms
        unavail = unavail + store_u * avail
        avail = avail * (1.0 - store_u)
        s_point = store.point_unavailability()
        point_u = point_u + s_point * point_a
        point_a = point_a * (1.0 - s_point)
        explain[store.label] = store_u
        notes.append(f"{store.label}: {store.method}")
    return replace(_summary(avail, unavail, point_a, point_u, explain, samples, confidence, seed, calendar,
                            tuple(notes)), unavailability_draws=unavail)


def _summary(avail, unavail, point_a, point_u, explain, samples, confidence, seed, calendar, notes):
    lo_q, hi_q = (1 - confidence) / 2, (1 + confidence) / 2
    u_low, u_high = (float(v) for v in np.quantile(unavail, [lo_q, hi_q]))
    a_low, a_high = (float(v) for v in np.quantile(avail, [lo_q, hi_q]))
    shares = []
    for name, u_j in explain.items():
        low, high = (float(v) for v in np.quantile(u_j, [lo_q, hi_q]))
        shares.append(ComponentShare(name, first_order_share(u_j, unavail), low, high))
    shares.sort(key=lambda s: (-s.variance_share, s.name))
    year = calendar.year_hours
    return UncertaintyResult(
        samples=samples,
        confidence=confidence,
        seed=seed,
        availability=point_a,
        availability_low=a_low,
        availability_high=a_high,
        unavailability=point_u,
        unavailability_low=u_low,
        unavailability_high=u_high,
        downtime_per_year_hours=point_u * year,
        downtime_per_year_low_hours=u_low * year,
        downtime_per_year_high_hours=u_high * year,
        nines=_nines(point_u),
        nines_low=_nines(u_high),
        nines_high=_nines(u_low),
        dominant=shares[0].name if shares else None,
        shares=tuple(shares),
        method=f"{samples:,} draws of the estimated components' rates (failure rates spread as their chi-square "
               f"limits, MTTR from the fitted repair law's posterior), each diagram evaluated exactly",
        notes=notes,
    )


def _still_estimated(system, posteriors: dict) -> tuple[dict, list[str]]:
    """The posteriors whose component still has the estimated figures (a --set what-if fixes them)."""
    kept, changed = {}, []
    for name, post in posteriors.items():
        comp = system.components.get(name)
        same = (comp is not None and comp.failure_rate is not None
                and math.isclose(comp.mtbf_hours, post.mtbf_hours, rel_tol=1e-12)
                and math.isclose(comp.mttr_hours, post.mttr_hours, rel_tol=1e-12))
        if same:
            kept[name] = post
        elif comp is not None:
            changed.append(name)
    unknown = sorted(set(posteriors) - set(system.components))
    if unknown:
        raise InputError(f"uncertainty: {unknown[0]!r} is not a component of the diagram")
    return kept, changed


def _nines(u: float) -> float:
    return math.inf if u <= 0 else -math.log10(u)


def first_order_share(x: np.ndarray, y: np.ndarray, bins: int | None = None) -> float:
    """Var(E[y | x]) / Var(y) from equal-count bins of ``x`` (0 when y does not vary)."""
    n = len(y)
    total = float(np.var(y))
    if n < 4 or total <= 0:
        return 0.0
    bins = bins or max(2, int(math.sqrt(n)))
    order = np.argsort(x, kind="stable")
    groups = np.array_split(y[order], bins)
    means = np.array([g.mean() for g in groups])
    sizes = np.array([len(g) for g in groups])
    between = float(np.sum(sizes * (means - y.mean()) ** 2) / n)
    # the bin means carry sampling noise of about within-variance / bin size; take it off (never below 0)
    within = float(np.sum([np.var(g) * len(g) for g in groups]) / n)
    corrected = between - within * bins / n
    return min(1.0, max(0.0, corrected / total))


# --- the vectorised exact evaluator ------------------------------------------------------------


def system_samples(system, draws: dict[str, tuple[np.ndarray, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, U) of ``system`` for each of ``n`` draws of the named components' (failure, repair) rates."""
    from .rbd.evaluate import compile_system

    kinds: list[tuple[str, Any]] = []

    def record(component, which):
        kinds.append((component.name, which))  # called once per variable, in the order they are made
        if isinstance(which, int):
            return component.availability, component.unavailability
        from .rbd.standby import standby_steady_state

        a, u, _ = standby_steady_state(component, which)
        return a, u

    compiled = compile_system(system, unit_values=record)
    a_vars, u_vars = [], []
    for (name, which), unit in zip(kinds, compiled.units):
        if name not in draws:
            a_vars.append(np.full(n, unit.availability))
            u_vars.append(np.full(n, unit.unavailability))
        elif isinstance(which, int):
            lam, mu = draws[name]
            a_vars.append(mu / (lam + mu))
            u_vars.append(lam / (lam + mu))
        else:
            a, u = _standby_draws(system.components[name], which, *draws[name])
            a_vars.append(a)
            u_vars.append(u)
    ones, zeros = np.ones(n), np.zeros(n)
    return _node(compiled.root, a_vars, u_vars, {}, ones, zeros)


def _standby_draws(component, block, lam, mu):
    from .rbd.model import Component
    from .rbd.standby import standby_steady_state

    a = np.empty(len(lam))
    u = np.empty(len(lam))
    for i, (l, m) in enumerate(zip(lam, mu)):
        comp = Component.from_times(component.name, 1.0 / l, 1.0 / m, count=component.count)
        a[i], u[i], _ = standby_steady_state(comp, block)
    return a, u


def _node(node, a_vars, u_vars, fixed, ones, zeros):
    from .rbd.evaluate import VAR

    if node.kind == VAR:
        if node.var in fixed:
            return (ones, zeros) if fixed[node.var] else (zeros, ones)
        return a_vars[node.var], u_vars[node.var]
    free = [v for v in node.shared if v not in fixed]
    if not free:
        return _combine(node, a_vars, u_vars, fixed, ones, zeros)
    if len(free) > MAX_SHARED:
        raise InputError(f"{node.label}: {len(free)} shared components in one block; uncertainty is limited to "
                         f"{MAX_SHARED} (2^{MAX_SHARED} cases per draw)")
    total_a = np.zeros_like(ones)
    total_u = np.zeros_like(ones)
    for bits in itertools.product((1, 0), repeat=len(free)):
        weight = ones.copy()
        for v, b in zip(free, bits):
            weight = weight * (a_vars[v] if b else u_vars[v])
        cond = dict(fixed)
        cond.update(zip(free, bits))
        case_a, case_u = _combine(node, a_vars, u_vars, cond, ones, zeros)
        total_a += weight * case_a
        total_u += weight * case_u
    return _consistent(total_a, total_u)


def _combine(node, a_vars, u_vars, fixed, ones, zeros):
    from .rbd.evaluate import AND, KOFN

    parts = [_node(child, a_vars, u_vars, fixed, ones, zeros) for child in node.children]
    ca = np.stack([p[0] for p in parts])
    cu = np.stack([p[1] for p in parts])
    if node.kind == KOFN:
        return _k_of_n(ca, cu, node.k)
    with np.errstate(divide="ignore"):
        if node.kind == AND:
            return _consistent(np.prod(ca, axis=0), -np.expm1(np.sum(np.log1p(-cu), axis=0)))
        return _consistent(-np.expm1(np.sum(np.log1p(-ca), axis=0)), np.prod(cu, axis=0))


def _k_of_n(ca: np.ndarray, cu: np.ndarray, k: int):
    """A k-of-n block of independent members, per draw: the distribution of the number down, truncated."""
    members = ca.shape[0]
    allowed = members - k  # the block is up with at most this many members down
    # dist[j] = P(j members down so far), for j = 0..allowed; ``over`` = P(more than allowed down)
    dist = np.zeros((allowed + 1, ca.shape[1]))
    dist[0] = 1.0
    over = np.zeros(ca.shape[1])
    for a, u in zip(ca, cu):
        over = over + dist[allowed] * u  # from exactly ``allowed`` down to one more: the block fails
        shifted = np.vstack([np.zeros((1, ca.shape[1])), dist[:-1]])
        dist = dist * a + shifted * u
        # over stays over whatever the member does (a + u = 1)
    return _consistent(dist.sum(axis=0), over)


def _consistent(avail: np.ndarray, unavail: np.ndarray):
    """The smaller of A and U as computed, the larger as its complement (as the scalar evaluator does)."""
    small_u = unavail <= avail
    return np.where(small_u, 1.0 - unavail, avail), np.where(small_u, unavail, 1.0 - avail)


def with_instances(posterior, count: int):
    """A component's posterior per instance, when its incidents are those of ``count`` instances."""
    if count == 1:
        return posterior
    return replace(posterior, up_hours=posterior.up_hours * count, mtbf_hours=posterior.mtbf_hours * count)


# --- a Raft store whose nodes' history is known ------------------------------------------------------


@dataclass(frozen=True)
class StoreHistory:
    """A Raft store of ``nodes`` identical nodes (``crews`` repair crews, 0 = one per node) and their history.

    The quorum is lost with ``nodes - quorum + 1`` nodes down; the number
    down is the birth-death chain of :mod:`relcalc.raft.exact` (from k down:
    failures at (n - k) lambda, repairs at min(k, crews) mu), solved here in
    product form for every draw at once, in logarithms.
    """

    posterior: Any  #: RatePosterior per node
    nodes: int
    crews: int = 0
    label: str = "raft store"

    @property
    def quorum(self) -> int:
        return self.nodes // 2 + 1

    @property
    def method(self) -> str:
        crews = ("a crew per node" if self.crews in (0, self.nodes)
                 else "one repair crew" if self.crews == 1 else f"{self.crews} repair crews")
        return (f"{self.nodes} nodes, quorum {self.quorum}, {crews}: quorum unavailability from the exact "
                f"birth-death chain of node failures (no zones, elections or shocks), for each draw")

    def point_unavailability(self) -> float:
        from .raft.exact import steady_state

        pi = steady_state(self.nodes, 1.0 / self.posterior.mtbf_hours, 1.0 / self.posterior.mttr_hours, self.crews)
        return float(pi[self.nodes - self.quorum + 1:].sum())

    def quorum_unavailability_draws(self, n: int, rng) -> np.ndarray:
        lam, mu = self.posterior.sample(n, rng)
        return quorum_unavailability(self.nodes, self.crews, lam, mu)


def quorum_unavailability(nodes: int, crews: int, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """P(at least nodes - quorum + 1 nodes down) for each (lambda, mu), by the product form in logarithms."""
    from scipy.special import logsumexp

    quorum = nodes // 2 + 1
    servers = crews if crews > 0 else nodes
    logs = np.zeros((nodes + 1, len(lam)))
    with np.errstate(divide="ignore"):  # a drawn rate of 0 (no failures seen): log 0 = -inf, no node ever down
        log_lam, log_mu = np.log(lam), np.log(mu)
    for k in range(1, nodes + 1):
        logs[k] = logs[k - 1] + math.log(nodes - k + 1) + log_lam - math.log(min(k, servers)) - log_mu
    lost = nodes - quorum + 1
    return np.exp(logsumexp(logs[lost:], axis=0) - logsumexp(logs, axis=0))


# --- for the report ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceUncertainty:
    """What a service file's ``from_incidents:`` gives the report."""

    system: Any  #: the diagram, with the history's figures in place
    found: Any  #: relcalc.estimate.hooks.FromIncidents: components taken, notes, source
    result: UncertaintyResult  #: intervals of the diagram (with the Raft store in series when it has a history)
    store_nodes: int | None = None


def report_uncertainty(service: dict, *, base_dir: str, year_days: float = 365.0, seed: int = 1,
                       samples: int = 10_000, confidence: float = 0.90) -> ServiceUncertainty | None:
    """Intervals for a service file with a ``from_incidents:`` key; None without one.

    ``service`` is the file's mapping as loaded (``components``, ``system``,
    ``from_incidents``, optionally ``raft`` with ``nodes`` and
    ``repair_crews``); ``base_dir`` is the file's directory, against which
    the history's path is read. With ``from_incidents: {..., raft: NAME}``
    the Raft store's node MTBF/MTTR are drawn from the history of NAME too
    (its incidents being those of any of the ``raft.nodes`` nodes) and the
    store is put in series with the diagram.
    """
    from .availability import Calendar
    from .estimate.hooks import resolve_spec, store_history
    from .rbd.spec import system_from_mapping
    from .units import parse_count

    if service.get("from_incidents") is None:
        return None
    part = {k: service[k] for k in ("from_incidents", "components", "system") if k in service}
    data, found = resolve_spec(part, base_dir=base_dir, year_days=year_days)
    system = system_from_mapping(data, extra_components=found.components, year_days=year_days)
    store, nodes = None, None
    if found.store_component is not None:
        raft = service.get("raft")
        if not isinstance(raft, dict) or "nodes" not in raft:
            raise InputError("from_incidents.raft: the service has no raft section with nodes")
        nodes = parse_count(raft["nodes"], "raft.nodes")
        crews = parse_count(raft.get("repair_crews", 0), "raft.repair_crews", low=0)
        store = store_history(found, nodes, crews)
    posteriors = dict(found.posteriors)
    result = propagate(system, posteriors, samples=samples, confidence=confidence, seed=seed,
                       calendar=Calendar(year_days), store=store)
    return ServiceUncertainty(system, found, result, nodes)


def interval_text(result: UncertaintyResult) -> str:
    """``99.975% [99.905%, 99.9989%]``: an availability with its interval, for tables and reports."""
    from .units import format_percent

    return (f"{format_percent(result.availability, result.unavailability)} "
            f"[{format_percent(result.availability_low, result.unavailability_high)}, "
            f"{format_percent(result.availability_high, result.unavailability_low)}]")
