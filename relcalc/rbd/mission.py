"""Mission reliability without repair: R(t) of the system and its MTTF.

Notes
-----
Each instance fails once, with a Weibull time to failure of shape ``beta``
(1 = exponential) scaled so its mean is the component's MTBF:
``eta = MTBF / Gamma(1 + 1/beta)``, ``R_i(t) = exp(-(t/eta)^beta)``; or,
with ``lognormal_sigma``, a lognormal time to failure of that mean:
``mu = ln MTBF - sigma^2/2``, ``R_i(t) = Phi(-(ln t - mu)/sigma)`` and
``1 - R_i(t) = Phi((ln t - mu)/sigma)``, each from its own tail. The
system's R(t) is the structure function evaluated at the R_i(t) (exact, shared
components included), and ``MTTF = integral_0^inf R(t) dt``.

The integral runs over doubling windows until the rest of it is provably
negligible. A system that is up has some unit up (the diagram is coherent
and down when everything is down), so ``R(t) <= sum_i R_i(t)`` and the rest
beyond ``a`` is at most ``sum_i integral_a^inf R_i(t) dt``: for a Weibull
unit ``MTBF Q(1/beta, (a/eta)^beta)`` (Q the regularised upper incomplete
gamma function), for a lognormal one at most ``E[T; T > a] = MTBF
Phi((mu + sigma^2 - ln a) / sigma)``, and for a standby block of ``n`` units
needing ``r`` at most ``E[G; G > a]`` of a gamma variable of shape
``n - r + 1`` and rate ``r lambda`` (each step towards failure takes at least
that rate). A lognormal with a large sigma keeps most of its mean far out
(at sigma = 10 beyond ``e^100`` MTBFs), long after R(t) itself is tiny, so
R(t) alone is not a safe place to stop. Below the shortest MTBF the windows
shrink 16-fold until what is left (at most its length) is negligible: the
same law keeps R(t) of a series near 1 only up to ``e^mu``, 1e-19 h at
sigma = 10, which a window from 0 to the MTBF would step over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, excerpt
from .binomial import identical_k_of_n
from .tails import complementary
from .evaluate import Compiled, _evaluate_root, _identical_members, compile_system
from .model import Component, Standby, System
from .standby import standby_reliability


#: Instance evaluations the MTTF integral may spend (instances times points of R(t)): a few seconds' work
MAX_MTTF_WORK = 300_000


@dataclass(frozen=True)
class MissionResult:
    mission_hours: float
    reliability: float
    unreliability: float
    mttf_hours: float | None  #: None when the integral would cost more than MAX_MTTF_WORK (mttf_note says why)
    mttf_note: str | None = None
    #: log10 of the unreliability, kept when it is below the smallest float (then ``unreliability`` is 0)
    unreliability_log10: float | None = None


class _OverBudget(Exception):
    """The MTTF integral has spent its work budget."""


def _unit_reliability(component: Component, which, t: float) -> tuple[float, float]:
    """(R(t), 1 - R(t)) of one instance of a component, or of a whole standby block."""
    if component.failure_rate is None:
        raise InputError(f"component {excerpt(component.name)} has only an availability; mission reliability needs its MTBF")
    if isinstance(which, Standby):
        if component.lognormal_sigma is not None or component.weibull_shape != 1.0:
            law = "lognormal_sigma" if component.lognormal_sigma is not None else "weibull_shape"
            raise InputError(f"--mission-time: the standby block of {excerpt(component.name)} is a Markov chain "
                             f"of exponential lives; its {law} cannot be followed there (give its units "
                             "exponential lives, or model them as a parallel block)")
        return standby_reliability(component, which, t)
    if component.lognormal_sigma is not None:
        return _lognormal(component.mtbf_hours, component.lognormal_sigma, t)
    beta = component.weibull_shape
    # in logarithms: Gamma(1 + 1/beta) and (t/eta)^beta overflow a float for extreme shapes
    log_eta = math.log(component.mtbf_hours) - math.lgamma(1.0 + 1.0 / beta)
    log_hazard = beta * (math.log(t) - log_eta)
    if log_hazard > 709.0:  # exp(-hazard) is below the smallest float: certainly failed
        return 0.0, 1.0
    hazard = math.exp(log_hazard)
    return math.exp(-hazard), -math.expm1(-hazard)


def _lognormal(mean_hours: float, sigma: float, t: float) -> tuple[float, float]:
    """(R(t), 1 - R(t)) of a lognormal time to failure with mean ``mean_hours``: both tails from ndtr, no 1 - R."""
    from scipy.special import ndtr

    if t <= 0:
        return 1.0, 0.0
    mu = math.log(mean_hours) - 0.5 * sigma * sigma  # E[T] = exp(mu + sigma^2 / 2) = MTBF
    z = (math.log(t) - mu) / sigma
    return float(ndtr(-z)), float(ndtr(z))


class _Structure:
    """A diagram compiled once, evaluated at many times: only the instances' values change with t."""

    def __init__(self, system: System):
        self.identical = _identical_members(system)
        self.compiled: Compiled | None = None
        self.units: list = []  # (component, instance index or standby block) of each variable
        if self.identical is None:
            def record(component: Component, which) -> tuple[float, float]:
                self.units.append((component, which))
                return 1.0, 0.0
            self.compiled = compile_system(system, unit_values=record)
            # the laws, each once: a component's instances share theirs
            self.laws = {(c.name, w if isinstance(w, Standby) else None): (c, w) for c, w in self.units}
        else:
            comp, _ = self.identical
            self.units = [(comp, None)]
            self.laws = {(comp.name, None): (comp, 0)}

    @property
    def instances(self) -> int:
        return 1 if self.identical is not None else len(self.units)

    def at(self, t: float) -> tuple[float, float, float]:
        """(R(t), 1 - R(t), ln(1 - R(t))) of the system."""
        values = {key: _unit_reliability(c, w, t) for key, (c, w) in self.laws.items()}
        if self.identical is not None:
            comp, k = self.identical
            r_i, q_i = values[(comp.name, None)]
            if q_i == 0.0 or r_i == 0.0:  # every instance up (or down) for certain
                return (1.0, 0.0, -math.inf) if q_i == 0.0 else (0.0, 1.0, 0.0)
            log_r, log_q, _ = identical_k_of_n(comp.count, k, r_i, q_i)
            r, q = complementary(math.exp(log_r), math.exp(log_q))
            return r, q, log_q
        units = [unit._replace(availability=r_u, unavailability=q_u)
                 for unit, (c, w) in zip(self.compiled.units, self.units)
                 for r_u, q_u in (values[(c.name, w if isinstance(w, Standby) else None)],)]
        r, q, log_q, _ = _evaluate_root(Compiled(self.compiled.root, units), False)
        return r, q, log_q

    def tail_bound(self, a: float) -> float:
        """An upper bound on ``integral_a^inf R(t) dt``: the sum of every unit's own (see the notes)."""
        from scipy.special import gammaincc, ndtr

        bound = 0.0
        for component, which in self.units:
            many = component.count if self.identical is not None else 1
            if isinstance(which, Standby):
                shape, rate = component.count - which.active + 1, which.active * component.failure_rate
                bound += shape / rate * float(gammaincc(shape + 1, rate * a))  # E[G; G > a] of a gamma(shape, rate)
            elif component.lognormal_sigma is not None:
                sigma = component.lognormal_sigma
                mu = math.log(component.mtbf_hours) - 0.5 * sigma * sigma
                bound += many * component.mtbf_hours * float(ndtr((mu + sigma * sigma - math.log(a)) / sigma))
            else:
                beta = component.weibull_shape
                log_x = beta * (math.log(a) - math.log(component.mtbf_hours) + math.lgamma(1.0 + 1.0 / beta))
                if log_x < 709.0:
                    bound += many * component.mtbf_hours * float(gammaincc(1.0 / beta, math.exp(log_x)))
        return bound


def system_reliability(system: System, t_hours: float) -> tuple[float, float]:
    """(R(t), 1 - R(t)) of the system at mission time ``t_hours``."""
    r, q, _ = _Structure(system).at(t_hours)
    return r, q


def mission(system: System, t_hours: float) -> MissionResult:
    """R(t) at the mission time and the MTTF of the system without repair."""
    from scipy.integrate import quad

    if not (math.isfinite(t_hours) and t_hours > 0):
        raise InputError(f"--mission-time must be positive, got {t_hours}")
    structure = _Structure(system)
    r, q, log_q = structure.at(t_hours)
    r, q = r + 0.0, q + 0.0  # never -0.0 in the output
    log10_q = log_q / math.log(10.0) if q == 0.0 and math.isfinite(log_q) else None
    scale = min(c.mtbf_hours for c in system.components.values() if c.failure_rate is not None)
    points = MAX_MTTF_WORK // structure.instances

    def reliability(t: float) -> float:
        nonlocal points
        points -= 1
        if points < 0:
            raise _OverBudget
        return structure.at(t)[0]

    total, edge = 0.0, scale
    try:
        # below the shortest MTBF, windows shrinking 16-fold until what is left (at most its length, R <= 1) is
        # negligible: a lognormal of large sigma keeps R(t) near 1 only up to e^mu, far below the MTBF (1e-19 h at
        # sigma 10), and one window from 0 would step over it
        for _ in range(400):
            piece, _err = quad(reliability, edge / 16.0, edge, limit=200)
            total += piece
            edge /= 16.0
            if edge <= 1e-10 * total:
                break
        total += quad(reliability, 0.0, edge, limit=200)[0]
        edge = scale
        # above it, doubling windows until what is left is provably negligible (see the notes)
        for _ in range(400):
            piece, _err = quad(reliability, edge, edge * 2.0, limit=200)
            total += piece
            edge *= 2.0
            if reliability(edge) < 1e-12 and structure.tail_bound(edge) <= 1e-10 * total:
                break
        else:
            raise InputError("--mission-time: the MTTF integral did not settle within 2^400 mean lives; "
                             "is there a part that never fails?")
    except _OverBudget:
        note = (f"not worked out: integrating R(t) over the diagram's {structure.instances:,} instances would take "
                f"more than {MAX_MTTF_WORK // structure.instances:,} evaluations (R at the mission time is exact)")
        return MissionResult(t_hours, r, q, None, note, log10_q)
    return MissionResult(t_hours, r, q, total, None, log10_q)
