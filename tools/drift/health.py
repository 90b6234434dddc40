"""Health and availability: from 3-ary states to service health, availability and intent health.

Following the intent-assurance paper: a resource's health is a policy (Kleene conjunction by
default) over its quantized KPIs; a sub-service's health combines its resource, software and
agent health; the service health in percent is the mean of the normalised sub-service states
(two collectors, one failed: 50 %). Availability uses redundancy, 1 - Π(1 - A_i), which is why
two 99.9 % collectors meet a 99.99 % intent, and the measured downtime against the yearly
budget (about 52.6 min at 99.99 %). The intent is healthy while the measured availability
meets its target.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict

from .policy import AggregatePolicy

__all__ = [
    "AgentHealth",
    "SECONDS_PER_YEAR",
    "agent_health",
    "aggregate",
    "availability_from_health",
    "composite_resource_health",
    "composite_service_health",
    "downtime_budget",
    "intent_health",
    "measured_availability",
    "normalize",
    "parallel_availability",
    "redundancy_needed",
    "resource_health",
    "service_health_pct",
    "sub_service_health",
]

SECONDS_PER_YEAR = 365 * 24 * 3600.0
_DEFAULT_NORMALIZE = {1: 1.0, 0: 1.0, -1: 0.0}

State = Literal[-1, 0, 1]


class AgentHealth(BaseModel):
    """One agent serving a sub-service (e.g. a device a collector gathers from)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    resource: State = 1
    software: State = 1
    net: State = 1  # connectivity between the sub-service's resource and this agent

    def state(self) -> int:
        return min(self.resource, self.software, self.net)


def _policy(policy: AggregatePolicy | str | None) -> AggregatePolicy:
    if policy is None:
        return AggregatePolicy()
    if isinstance(policy, str):
        return AggregatePolicy(policy=policy)
    return policy


def aggregate(states: ArrayLike, policy: AggregatePolicy | str | None = None) -> int:
    """Combine 3-ary states under a named policy (strict = Kleene conjunction = min)."""
    s = np.asarray(states, dtype=np.int8).ravel()
    if s.size == 0:
        raise ValueError("no states to combine")
    if s.min() < -1 or s.max() > 1:
        raise ValueError("3-ary states are -1, 0 and 1")
    p = _policy(policy)
    if p.policy == "strict":
        return int(s.min())
    if p.policy == "lenient":
        return int(s.max())
    if p.policy == "relative_average":
        # The paper's Q(sum_j h_j): the sum of the members' states is quantized, so the
        # thresholds count net healthy members (6 good and 1 bad agent sum to 5), not a mean.
        total = float(s.sum())
        if total >= p.normal_at:
            return 1
        return -1 if total < p.critical_below else 0
    good = int((s == 1).sum())
    bad = int((s == -1).sum())
    ok = good - bad >= p.k if p.mode == "margin" else good >= p.k
    return 1 if ok else -1


def resource_health(p3_states: ArrayLike, policy: AggregatePolicy | str | None = None) -> int:
    """h_r: a policy over one resource's quantized KPIs (CPU, RAM, storage, net, status)."""
    return aggregate(p3_states, policy)


def composite_resource_health(
    resource_states: ArrayLike, policy: AggregatePolicy | str | None = None
) -> int:
    """k_Hr: a policy over the health of every resource of the service."""
    return aggregate(resource_states, policy)


def composite_service_health(
    k_hr: int, k_hsw: int, k_hnet: int, policy: AggregatePolicy | str | None = None
) -> int:
    """k_Hs = f(k_Hr, k_Hsw, k_Hnet) (eq. 10); the paper's f is the minimum."""
    return aggregate([k_hr, k_hsw, k_hnet], policy)


def agent_health(
    agents: Iterable[AgentHealth | Mapping[str, int] | Sequence[int]],
    policy: AggregatePolicy | str | None = None,
) -> int:
    """h_a: each agent's own state is min(resource, software, net); the policy combines them.

    With no agents the sub-service depends on none, so agent health does not hold it back (1).
    """
    states = []
    for a in agents:
        if isinstance(a, AgentHealth):
            states.append(a.state())
        elif isinstance(a, Mapping):
            states.append(AgentHealth.model_validate(a).state())
        else:
            states.append(min(int(v) for v in a))
    return aggregate(states, policy) if states else 1


def sub_service_health(
    h_r: int, h_sw: int = 1, h_a: int = 1, policy: AggregatePolicy | str | None = None
) -> int:
    """h_s = f(P(h_r), h_sw, h_a); the paper's f is the minimum."""
    return aggregate([h_r, h_sw, h_a], policy)


def normalize(state: int, mapping: Mapping[int, float] | None = None) -> float:
    """1 for normal or warning, 0 for critical (the paper's normalisation)."""
    m = _DEFAULT_NORMALIZE if mapping is None else mapping
    if state not in m:
        raise ValueError(f"not a 3-ary state: {state!r}")
    return float(m[state])


def service_health_pct(states: Iterable[int], mapping: Mapping[int, float] | None = None) -> float:
    """k_Hs(%) = mean over sub-services of normalize(h_s) x 100."""
    values = [normalize(int(s), mapping) for s in states]
    if not values:
        raise ValueError("a service needs at least one sub-service")
    return 100.0 * sum(values) / len(values)


def availability_from_health(state: int) -> float:
    """A sub-service counts as available (1.0) when normal or warning, else 0.0."""
    return 1.0 if state >= 0 else 0.0


def _fraction(name: str, value: float, *, closed: bool = True) -> float:
    ok = 0 <= value <= 1 if closed else 0 < value < 1
    if not math.isfinite(value) or not ok:
        span = "[0, 1]" if closed else "(0, 1)"
        raise ValueError(f"{name} must be a fraction in {span} (e.g. 0.999), got {value!r}")
    return float(value)


def parallel_availability(availabilities: Iterable[float]) -> float:
    """A = 1 - Π(1 - A_i) for independent redundant resources."""
    a = np.array([_fraction("availability", x) for x in availabilities], dtype=np.float64)
    if a.size == 0:
        raise ValueError("at least one resource is needed")
    return float(1.0 - np.prod(1.0 - a))


def redundancy_needed(target: float, per_resource: float) -> int:
    """n = ceil(log(1 - A) / log(1 - A_r)): 2 collectors of 99.9 % for 99.99 %."""
    t = _fraction("target availability", target, closed=False)
    r = _fraction("resource availability", per_resource, closed=False)
    n = math.log1p(-t) / math.log1p(-r)
    # log(1e-4)/log(1e-3) is 4/3, which rounds up to 2 collectors. The round() guards ratios
    # that are whole numbers in exact arithmetic (log(1e-6)/log(1e-3) = 2.0000000000000004)
    # from being rounded up to one resource too many.
    return max(1, math.ceil(round(n, 9)))


def measured_availability(t_planned: float, t_down: float) -> float:
    """A_s = (t_planned - t_down) / t_planned, both in the same unit."""
    if not math.isfinite(t_planned) or t_planned <= 0:
        raise ValueError(f"planned time must be positive, got {t_planned!r}")
    if not math.isfinite(t_down) or t_down < 0:
        raise ValueError(f"downtime must be zero or positive, got {t_down!r}")
    if t_down > t_planned:
        raise ValueError(f"downtime {t_down:g} exceeds the planned time {t_planned:g}")
    return (t_planned - t_down) / t_planned


def downtime_budget(target: float, period_s: float = SECONDS_PER_YEAR) -> float:
    """Downtime allowed over a period, in seconds (99.99 % over a year: about 52.6 min)."""
    t = _fraction("target availability", target)
    if not math.isfinite(period_s) or period_s <= 0:
        raise ValueError(f"period must be positive, got {period_s!r}")
    return (1.0 - t) * period_s


def intent_health(availability: float, target: float, tolerance: float = 1e-12) -> int:
    """1 while the measured availability meets the intent's target, else 0."""
    return 1 if availability + tolerance >= target else 0
