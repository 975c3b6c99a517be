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
    # integrate piecewise over growing windows until R(t) is negligible
    for _ in range(200):
        upper = scale if edge == 0.0 else edge * 2.0
        piece, _err = quad(lambda t: system_reliability(system, t)[0], edge, upper, limit=200)
        total += piece
        edge = upper
        if system_reliability(system, edge)[0] < 1e-12:
            break
    else:
        raise InputError("--mission-time: the MTTF integral did not settle within 2^200 mean lives; check the MTBFs")
    return MissionResult(t_hours, r, q, total)
