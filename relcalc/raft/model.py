"""The Raft cluster model: nodes, their time-to-failure and repair laws, zones, crews, elections.

Times are hours throughout, as elsewhere in relcalc. A :class:`RaftModel` is a
frozen description; engines (the Monte Carlo engine in :mod:`.engine`, the
exact chains in :mod:`.exact`) read it and never change it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from ..errors import InputError
from ..units import parse_count, parse_duration, parse_number

#: Distribution kinds, in the order the engine numbers them.
KINDS = ("exponential", "weibull", "lognormal", "fixed")
#: The largest cluster modelled: far beyond any Raft deployment, and small enough that an event
#: (the kernel scans every node) stays cheap.
MAX_NODES = 1001
#: An election round must end the election at least this often (no split vote), else elections
#: among n nodes would run for ever (a fixed timeout, or a round trip as long as the timeout spread).
MIN_ELECTION_SUCCESS = 0.01


def election_round_success(nodes: int, low: float, high: float, rtt: float) -> float:
    """Chance that an election round among ``nodes`` ends it: no second timeout within ``rtt`` of the first.

    For k timeouts uniform on [low, high] the gap between the two earliest is
    distributed as the earliest of k uniforms on [0, high - low] (spacings are
    exchangeable), so P(gap > rtt) = (1 - rtt / (high - low))^k; 1 for a
    single voter (uniform spacings are exchangeable: H. A. David and H. N. Nagaraja, Order Statistics).
    """
    if nodes <= 1:
        return 1.0
    spread = high - low
    if spread <= rtt:
        return 0.0
    return (1.0 - rtt / spread) ** nodes


@dataclass(frozen=True)
class Distribution:
    """A positive random duration given by its mean (hours) and a shape.

    ``shape`` is the Weibull shape k or the lognormal sigma (of the log);
    exponential and fixed take none. The mean is kept whatever the shape.
    """

    kind: str
    mean: float
    shape: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"unknown distribution {self.kind!r}; use {', '.join(KINDS)}")
        if not (self.mean > 0) or math.isnan(self.mean):
            raise InputError(f"a distribution's mean must be positive, got {self.mean}")
        if self.kind in ("weibull", "lognormal") and not (0 < self.shape < math.inf):
            what = "shape" if self.kind == "weibull" else "sigma"
            raise InputError(f"{self.kind} needs a positive, finite {what}, got {self.shape}")
        if self.kind == "weibull" and self.shape < 0.05:
            raise InputError(f"weibull shape {self.shape} is too small to sample reliably; use 0.05 or more")
        if self.kind == "lognormal" and self.shape > 5:
            raise InputError(f"lognormal sigma {self.shape} is too large to sample reliably; use 5 or less")

    @property
    def code(self) -> int:
        return KINDS.index(self.kind)

    @property
    def exponential(self) -> bool:
        return self.kind == "exponential"

    @property
    def engine_parameter(self) -> float:
        """What the sampler needs beside the kind: the Weibull scale, the lognormal mu."""
        if self.kind == "weibull":
            return self.mean / math.gamma(1.0 + 1.0 / self.shape)
        if self.kind == "lognormal":
            return math.log(self.mean) - 0.5 * self.shape**2
        return self.mean

    def describe(self) -> str:
        if self.kind == "weibull":
            return f"weibull(shape {self.shape:g})"
        if self.kind == "lognormal":
            return f"lognormal(sigma {self.shape:g})"
        return self.kind


def parse_distribution(text: str | None, mean: float, name: str) -> Distribution:
    """``exponential``, ``weibull:1.5``, ``lognormal:1.0`` or ``fixed``, with the given mean."""
    if text is None or not str(text).strip():
        return Distribution("exponential", mean)
    raw = str(text).strip().lower()
    kind, _, param = raw.partition(":")
    kind = {"exp": "exponential", "det": "fixed", "deterministic": "fixed", "constant": "fixed"}.get(kind, kind)
    if kind not in KINDS:
        raise InputError(f"{name}: unknown distribution {text!r}; use exponential, weibull:SHAPE, lognormal:SIGMA or fixed")
    if kind in ("weibull", "lognormal"):
        if not param:
            raise InputError(f"{name}: {kind} needs a {'shape' if kind == 'weibull' else 'sigma'}, e.g. {kind}:1.5")
        shape = parse_number(param, f"{name} {kind} {'shape' if kind == 'weibull' else 'sigma'}")
        try:
            return Distribution(kind, mean, shape)
        except InputError as exc:
            raise InputError(f"{name}: {exc}") from None
    if param:
        raise InputError(f"{name}: {kind} takes no parameter, got {text!r}")
    return Distribution(kind, mean)


def parse_timeout_range(text: str, name: str = "--election-timeout") -> tuple[float, float]:
    """``150ms..300ms`` as (low, high) hours; a single value means a fixed timeout; plain numbers are ms."""
    parts = re.split(r"\s*\.\.\s*", str(text).strip())
    if len(parts) > 2 or not all(parts):
        raise InputError(f"{name}: write a range such as 150ms..300ms, got {text!r}")
    low, high = (parse_duration(part, name, plain_unit="ms") for part in (parts[0], parts[-1]))
    if high < low:
        raise InputError(f"{name}: the range {text!r} is upside down (low above high)")
    return low, high


def round_robin_layout(nodes: int, zones: int) -> tuple[int, ...]:
    """Zone sizes when ``nodes`` are dealt round robin over ``zones``."""
    return tuple(nodes // zones + (1 if z < nodes % zones else 0) for z in range(zones))


def parse_layout(text: str, nodes: int, name: str = "--layout") -> tuple[int, ...]:
    """``2,2,1``: nodes per zone, summing to ``nodes``."""
    sizes = tuple(parse_count(p.strip(), f"{name} (nodes per zone, such as 2,2,1)") for p in str(text).split(","))
    if sum(sizes) != nodes:
        raise InputError(f"{name}: {text!r} places {sum(sizes)} nodes, but the cluster has {nodes}")
    return sizes


@dataclass(frozen=True)
class RaftModel:
    """A Raft cluster under failure and repair.

    ``layout`` gives the nodes per zone (nodes are numbered zone by zone). A
    zone fails as a whole at ``zone_ttf`` (None: zones never fail) and comes
    back after ``zone_ttr``; its nodes keep their own state meanwhile but do
    not serve. ``crews`` repair failed nodes one at a time each, first come
    first served (0 means unlimited: every failed node is under repair at
    once). Writes need a quorum (a majority of all nodes serving) and a leader.
    """

    nodes: int = 5
    ttf: Distribution = field(default_factory=lambda: Distribution("exponential", 2000.0))
    ttr: Distribution = field(default_factory=lambda: Distribution("exponential", 4.0))
    crews: int = 0
    layout: tuple[int, ...] | None = None
    zone_ttf: Distribution | None = None
    zone_ttr: Distribution | None = None
    election_timeout: tuple[float, float] = (0.150 / 3600, 0.300 / 3600)
    rtt: float = 0.001 / 3600
    #: beta-factor common cause: a share beta of each node's failure rate is a
    #: shock at rate beta/MTBF that fails every serving node at once (per zone
    #: when ``shock_per_zone``). The node's own rate is (1 - beta)/MTBF.
    common_cause: float = 0.0
    shock_per_zone: bool = False
    #: a share of independent failures destroys the node's data: it needs a
    #: replacement (exponential, mean ``replace_time`` hours, a crew like a
    #: repair). A quorum of destroyed nodes at once is data loss.
    permanent: float = 0.0
    replace_time: float | None = None
    #: rolling restarts: every ``restart_every`` hours the nodes restart one
    #: after another, each out of service for ``restart_duration`` hours.
    restart_every: float | None = None
    restart_duration: float | None = None

    def __post_init__(self) -> None:
        for name in ("common_cause", "permanent"):
            share = getattr(self, name)
            if not (0.0 <= share <= 1.0):
                raise InputError(f"{name.replace('_', ' ')} must be a share in [0, 100%], got {share}")
        if self.common_cause >= 1.0:
            raise InputError("common cause must be below 100%: the nodes would never fail on their own")
        if self.permanent > 0:
            if self.replace_time is None or not (0 < self.replace_time < math.inf):
                raise InputError("permanent node loss needs a positive replacement time")
        elif self.replace_time is not None and not (0 < self.replace_time < math.inf):
            raise InputError(f"the replacement time must be positive, got {self.replace_time}")
        if (self.restart_every is None) != (self.restart_duration is None):
            raise InputError("rolling restarts need both a period and a restart duration")
        if self.restart_every is not None:
            if not (0 < self.restart_every < math.inf) or not (0 < self.restart_duration < math.inf):
                raise InputError("the restart period and duration must be positive")
            if self.nodes * self.restart_duration > self.restart_every:
                raise InputError(
                    f"a rolling restart of {self.nodes} nodes takes {self.nodes * self.restart_duration:g} h, "
                    f"longer than the {self.restart_every:g} h period"
                )
        if self.nodes < 1:
            raise InputError(f"a cluster needs at least one node, got {self.nodes}")
        if self.nodes > MAX_NODES:
            raise InputError(f"nodes: at most {MAX_NODES:,} are modelled, got {self.nodes:,}")
        if self.crews < 0:
            raise InputError(f"repair crews must be >= 0 (0 = unlimited), got {self.crews}")
        layout = self.layout or (self.nodes,)
        if sum(layout) != self.nodes or any(s < 1 for s in layout):
            raise InputError(f"layout {layout} does not place {self.nodes} nodes, each zone holding at least one")
        if len(layout) > self.nodes:
            raise InputError(f"more zones ({len(layout)}) than nodes ({self.nodes})")
        if (self.zone_ttf is None) != (self.zone_ttr is None):
            raise InputError("zone failures need both a zone MTBF and a zone MTTR")
        low, high = self.election_timeout
        if not (0 <= low <= high) or not math.isfinite(high):
            raise InputError(f"the election timeout range {self.election_timeout} must be 0 <= low <= high")
        if not (self.rtt >= 0) or not math.isfinite(self.rtt):
            raise InputError(f"the round trip must be >= 0, got {self.rtt}")
        success = election_round_success(self.nodes, low, high, self.rtt)
        if success < MIN_ELECTION_SUCCESS:
            ms = 3_600_000
            raise InputError(
                f"election timeout {low * ms:g}..{high * ms:g} ms with a round trip of {self.rtt * ms:g} ms: "
                f"among {self.nodes} nodes a round ends the election only {100 * success:.2g}% of the time (a second "
                f"timeout fires within the round trip), below the {MIN_ELECTION_SUCCESS:.0%} limit, so elections "
                "would hardly ever end; widen the timeout range to well over nodes x round trip, or shorten "
                "the round trip"
            )

    @property
    def quorum(self) -> int:
        return self.nodes // 2 + 1

    @property
    def zones(self) -> tuple[int, ...]:
        return self.layout or (self.nodes,)

    @property
    def zone_of(self) -> list[int]:
        return [z for z, size in enumerate(self.zones) for _ in range(size)]

    @property
    def zone_failures(self) -> bool:
        return self.zone_ttf is not None

    @property
    def markovian(self) -> bool:
        """Every failure and repair time exponential and no schedule (elections aside)."""
        dists = [self.ttf, self.ttr] + ([self.zone_ttf, self.zone_ttr] if self.zone_failures else [])
        return all(d.exponential for d in dists) and self.restart_every is None

    def why_not_markovian(self) -> str | None:
        """Why the model is not a continuous-time Markov chain, or None if it is."""
        named = [("--ttf", self.ttf), ("--ttr", self.ttr)]
        bad = [f"{name} is {d.describe()}" for name, d in named if not d.exponential]
        if self.restart_every is not None:
            bad.append("rolling restarts run on a fixed schedule")
        return "; ".join(bad) or None

    @property
    def own_failure_mean(self) -> float:
        """Mean of a node's own time to failure: MTBF / (1 - beta)."""
        return self.ttf.mean / (1.0 - self.common_cause)

    @property
    def shock_mean(self) -> float:
        """Mean time between common-cause shocks (inf without them)."""
        return self.ttf.mean / self.common_cause if self.common_cause > 0 else math.inf

    def with_(self, **changes) -> "RaftModel":
        return replace(self, **changes)

    def describe(self) -> "ModelDescription":
        """The inputs as results report them beside their figures (units in the names)."""
        return ModelDescription(
            nodes=self.nodes,
            quorum=self.quorum,
            mtbf_hours=self.ttf.mean,
            mttr_hours=self.ttr.mean,
            ttf=self.ttf.describe(),
            ttr=self.ttr.describe(),
            repair_crews=self.crews or None,
            layout=self.zones,
            zone_mtbf_hours=self.zone_ttf.mean if self.zone_ttf else None,
            zone_mttr_hours=self.zone_ttr.mean if self.zone_ttr else None,
            election_timeout_seconds=(self.election_timeout[0] * 3600, self.election_timeout[1] * 3600),
            rtt_seconds=self.rtt * 3600,
            common_cause=self.common_cause,
            shock_per_zone=self.shock_per_zone,
            permanent=self.permanent,
            replace_time_hours=self.replace_time,
            restart_every_hours=self.restart_every,
            restart_duration_hours=self.restart_duration,
        )


@dataclass(frozen=True)
class ModelDescription:
    """A :class:`RaftModel` as it is reported: plain numbers with units in their names.

    ``ttf`` and ``ttr`` name the laws (``exponential``, ``weibull(shape 1.5)``);
    ``repair_crews`` is None for unlimited repair; ``layout`` is the nodes per
    zone (one zone holding every node when there are no zones).
    """

    nodes: int
    quorum: int
    mtbf_hours: float
    mttr_hours: float
    ttf: str
    ttr: str
    repair_crews: int | None
    layout: tuple[int, ...]
    zone_mtbf_hours: float | None
    zone_mttr_hours: float | None
    election_timeout_seconds: tuple[float, float]
    rtt_seconds: float
    common_cause: float
    shock_per_zone: bool
    permanent: float
    replace_time_hours: float | None
    restart_every_hours: float | None
    restart_duration_hours: float | None

    @property
    def zones(self) -> int:
        """How many zones the nodes are spread over."""
        return len(self.layout)
