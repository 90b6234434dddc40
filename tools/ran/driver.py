"""The RAN driver interface: what the negotiation reads from a cell and what it enforces on it.

The negotiation never talks to a radio directly. It reads a `CellState` (observability) and
applies a `SlicePolicy` (enforcement) through a `RanDriver`, so the in-process emulator, the
HTTP client and a real RIC gateway are interchangeable. The helpers at the bottom are the two
calls the negotiation graph needs: `observe(driver)` and `enforce_throughput(driver, ...)`.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from .cell import CellConfig, InfeasibleRequest
from .slices import SlicePolicy, policy_for_throughput


class RanDriverError(RuntimeError):
    """The driver could not reach the cell or the cell answered with an error."""


class SliceState(BaseModel):
    """One slice in one scheduling step: PRBs granted and throughput carried."""

    slice_id: str
    prbs: int = Field(ge=0)
    mbps: float = Field(ge=0)
    demand_mbps: float = Field(ge=0)


class CellState(BaseModel):
    """A snapshot of the cell: radio conditions, capacity, load and the policy in force.

    `capacity_mbps` is what the whole cell could carry at the current CQI (0 when off);
    `demand_mbps` is the total load offered by all slices.
    """

    on: bool
    cqi: int = Field(ge=0, le=15)
    capacity_mbps: float = Field(ge=0)
    n_prb: int = Field(ge=0)
    prbs_used: int = Field(ge=0)
    demand_mbps: float = Field(ge=0)
    slices: dict[str, SliceState] = Field(default_factory=dict)
    policy: SlicePolicy | None = None
    t_s: float = 0.0
    cell: CellConfig = Field(default_factory=CellConfig)

    @property
    def throughput_mbps(self) -> float:
        """Total throughput carried by all slices in this step."""
        return sum(s.mbps for s in self.slices.values())


class PolicyOutcome(BaseModel):
    """The cell's answer to a policy: accepted or refused with a diagnostic (as FlexRIC does)."""

    ok: bool
    message: str
    state: CellState


@runtime_checkable
class RanDriver(Protocol):
    """Anything that can report a cell's state and enforce slice policies on it."""

    def cell_state(self) -> CellState: ...

    def apply_policy(self, policy: SlicePolicy) -> PolicyOutcome: ...

    def set_cell_on(self, on: bool) -> CellState: ...

    def set_demand(self, slice_id: str, mbps: float) -> None: ...

    def advance(self, seconds: float = 1.0) -> CellState: ...


# Above the peak rate of any NR carrier (TS 38.306: a few Gbps per carrier even at 400 MHz
# and 8 layers), so no real demand is refused, 64 slices at the cap still sum to a finite
# number, and every driver refuses a typo such as 1e308 the way the HTTP server does.
MAX_SLICE_MBPS = 100_000.0


def check_demand(slice_id: str, mbps: float) -> None:
    """Reject a bad offered load before it reaches any driver (same error everywhere)."""
    if not isinstance(slice_id, str) or not slice_id.strip():
        raise ValueError("slice_id: must be a non-empty string")
    if isinstance(mbps, bool) or not isinstance(mbps, int | float):
        raise ValueError(f"mbps: must be a number, got {mbps!r}")
    if not math.isfinite(mbps) or mbps < 0:
        raise ValueError(f"mbps: must be a finite number >= 0, got {mbps!r}")
    if mbps > MAX_SLICE_MBPS:
        raise ValueError(f"mbps: at most {MAX_SLICE_MBPS:g} per slice, got {mbps!r}")


def check_seconds(seconds: float) -> None:
    """The clock only moves forward, by a finite amount."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(f"seconds: must be a number, got {seconds!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"seconds: must be a finite number > 0, got {seconds!r}")


class RanObservation(BaseModel):
    """What the observability unit hands to every agent, from a driver or from Prometheus."""

    on: bool
    cqi: int
    capacity_mbps: float
    demand_mbps: float
    throughput_mbps: float
    prbs_used: int
    n_prb: int
    slice_throughput_mbps: dict[str, float] = Field(default_factory=dict)
    slice_demand_mbps: dict[str, float] = Field(default_factory=dict)
    source: str = "driver"

    @property
    def void_reason(self) -> str | None:
        """Why a negotiation over this cell's throughput has no object, or None if it has one."""
        if not self.on:
            return "the cell is switched off"
        if self.capacity_mbps <= 0:
            return f"the cell has no capacity (CQI {self.cqi})"
        return None


def observe(driver: RanDriver) -> RanObservation:
    """Read the cell once and reduce it to what the agents need."""
    state = driver.cell_state()
    return observation_from_state(state)


def observation_from_state(state: CellState) -> RanObservation:
    """Reduce a full `CellState` to the observation the agents see."""
    return RanObservation(
        on=state.on,
        cqi=state.cqi,
        capacity_mbps=state.capacity_mbps,
        demand_mbps=state.demand_mbps,
        throughput_mbps=state.throughput_mbps,
        prbs_used=state.prbs_used,
        n_prb=state.n_prb,
        slice_throughput_mbps={k: s.mbps for k, s in state.slices.items()},
        slice_demand_mbps={k: s.demand_mbps for k, s in state.slices.items()},
    )


def enforce_throughput(
    driver: RanDriver,
    demands_mbps: dict[str, float],
    offer_load: bool = True,
) -> PolicyOutcome:
    """Turn agreed throughputs (Mbps per slice) into a slice policy and apply it.

    The policy is sized for the cell's current CQI. With `offer_load` the agreed rate also
    becomes each slice's offered traffic, so the returned state shows the throughput the
    cell actually achieves under the policy. An infeasible agreement is refused (ok=False)
    with the reason, and nothing is changed on the cell.
    """
    for slice_id, mbps in demands_mbps.items():
        check_demand(slice_id, mbps)
    state = driver.cell_state()
    if not state.on:
        return PolicyOutcome(ok=False, message="cell is off: policy not applied", state=state)
    try:
        policy = policy_for_throughput(state.cell, state.cqi, dict(demands_mbps))
    except InfeasibleRequest as exc:
        return PolicyOutcome(ok=False, message=f"infeasible: {exc.reason}", state=state)
    outcome = driver.apply_policy(policy)
    if outcome.ok and offer_load:
        for slice_id, mbps in demands_mbps.items():
            driver.set_demand(slice_id, mbps)
        outcome = PolicyOutcome(ok=True, message=outcome.message, state=driver.cell_state())
    return outcome


__all__ = [
    "CellState",
    "PolicyOutcome",
    "RanDriver",
    "RanDriverError",
    "RanObservation",
    "SliceState",
    "MAX_SLICE_MBPS",
    "check_demand",
    "check_seconds",
    "enforce_throughput",
    "observation_from_state",
    "observe",
]
