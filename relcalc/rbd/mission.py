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
R(t) alone is not a safe place to stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, excerpt
from .evaluate import compile_system, evaluate_compiled
from .model import Component, Standby, System
from .standby import standby_reliability


@dataclass(frozen=True)
class MissionResult:
    mission_hours: float
    reliability: float
    unreliability: float
    mttf_hours: float


def _instance_reliability(t: float):
    def values(component: Component, which) -> tuple[float, float]:
        if component.failure_rate is None:
            raise InputError(f"component {excerpt(component.name)} has only an availability; mission reliability needs its MTBF")
        if isinstance(which, Standby):
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

    return values


def _lognormal(mean_hours: float, sigma: float, t: float) -> tuple[float, float]:
    """(R(t), 1 - R(t)) of a lognormal time to failure with mean ``mean_hours``: both tails from ndtr, no 1 - R."""
    from scipy.special import ndtr

    if t <= 0:
        return 1.0, 0.0
    mu = math.log(mean_hours) - 0.5 * sigma * sigma  # E[T] = exp(mu + sigma^2 / 2) = MTBF
    z = (math.log(t) - mu) / sigma
    return float(ndtr(-z)), float(ndtr(z))


def system_reliability(system: System, t_hours: float) -> tuple[float, float]:
    """(R(t), 1 - R(t)) of the system at mission time ``t_hours``."""
    r, q, _ = evaluate_compiled(compile_system(system, unit_values=_instance_reliability(t_hours)))
    return r, q


def mission(system: System, t_hours: float) -> MissionResult:
    """R(t) at the mission time and the MTTF of the system without repair."""
    from scipy.integrate import quad

    if not (math.isfinite(t_hours) and t_hours > 0):
        raise InputError(f"--mission-time must be positive, got {t_hours}")
    r, q = system_reliability(system, t_hours)
    scale = min(c.mtbf_hours for c in system.components.values() if c.failure_rate is not None)
    total, edge = 0.0, 0.0
    # integrate piecewise over doubling windows until what is left is provably negligible (see the notes)
    for _ in range(400):
        upper = scale if edge == 0.0 else edge * 2.0
        piece, _err = quad(lambda t: system_reliability(system, t)[0], edge, upper, limit=200)
        total += piece
        edge = upper
        if system_reliability(system, edge)[0] < 1e-12 and _tail_bound(system, edge) <= 1e-10 * total:
            break
    else:
        raise InputError("--mission-time: the MTTF integral did not settle within 2^400 mean lives; check the MTBFs")
    return MissionResult(t_hours, r, q, total)


def _tail_bound(system: System, a: float) -> float:
    """An upper bound on ``integral_a^inf R(t) dt``: the sum of every unit's own (see the notes)."""
    from scipy.special import gammaincc, ndtr

    bound = 0.0

    def values(component: Component, which) -> tuple[float, float]:
        nonlocal bound
        if isinstance(which, Standby):
            shape, rate = component.count - which.active + 1, which.active * component.failure_rate
            bound += shape / rate * float(gammaincc(shape + 1, rate * a))  # E[G; G > a] of a gamma(shape, rate)
        elif component.lognormal_sigma is not None:
            sigma = component.lognormal_sigma
            mu = math.log(component.mtbf_hours) - 0.5 * sigma * sigma
            bound += component.mtbf_hours * float(ndtr((mu + sigma * sigma - math.log(a)) / sigma))
        else:
            beta = component.weibull_shape
            log_x = beta * (math.log(a) - math.log(component.mtbf_hours) + math.lgamma(1.0 + 1.0 / beta))
            if log_x < 709.0:
                bound += component.mtbf_hours * float(gammaincc(1.0 / beta, math.exp(log_x)))
        return 1.0, 0.0

    compile_system(system, unit_values=values)
    return bound
