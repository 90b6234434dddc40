"""The in-process RAN emulator: the embedded default behind the `RanDriver` interface.

It stands in for the MAESTRO testbed (OAI gNB + FlexRIC): the radio conditions come from a
CQI trace (a real drive test, a synthetic mobility series or a fixed CQI), the cell capacity
from the NR tables, and every step the slice scheduler shares the PRBs among the slices'
offered loads according to the policy in force (TS 28.541 ratios). The clock moves only when
asked: manually with `advance()`, or by a background replay in real time or accelerated.
"""

from __future__ import annotations

import math
import threading
import time
from types import TracebackType

from .cell import CellConfig, prbs_for_demand, throughput_mbps
from .driver import (
    CellState,
    PolicyOutcome,
    SliceState,
    check_demand,
    check_seconds,
)
from .mobility import synthetic_trace
from .slices import SlicePolicy, allocate_prbs
from .traces import RadioTrace

DOWNLINK_TYPES = ("PRB", "PRB_DL")


class RanEmulator:
    """A cell, its slices and a radio trace, thread-safe and driven by a simulated clock.

    With neither `trace` nor `cqi`, a seeded synthetic mobility trace is used; `cqi` pins the
    radio conditions to one value (handy for tests and what-if runs) until `set_cqi(None)`.
    """

    def __init__(
        self,
        cell: CellConfig | None = None,
        trace: RadioTrace | None = None,
        seed: int = 0,
        cqi: int | None = None,
    ) -> None:
        self._cell = cell if cell is not None else CellConfig.oai_band78()
        if cqi is not None:
            _check_cqi(cqi)
        if trace is None and cqi is None:
            trace = synthetic_trace(seed)
        self._trace = trace
        self._cqi_override = cqi
        self._lock = threading.RLock()
        self._on = True
        self._t = 0.0
        self._policy: SlicePolicy | None = None
        self._demands: dict[str, float] = {}
        self._state = self._schedule()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._speed = 1.0

    # -- RanDriver -------------------------------------------------------------------------

    def cell_state(self) -> CellState:
        with self._lock:
            return self._state.model_copy(deep=True)

    def apply_policy(self, policy: SlicePolicy) -> PolicyOutcome:
        """Enforce a policy from the next scheduling step on; refused while the cell is off."""
        if not isinstance(policy, SlicePolicy):
            raise ValueError(f"policy: expected a SlicePolicy, got {type(policy).__name__}")
        with self._lock:
            if not self._on:
                return PolicyOutcome(
                    ok=False, message="cell is off: policy not applied", state=self.cell_state()
                )
            if policy.resource_type not in DOWNLINK_TYPES:
                return PolicyOutcome(
                    ok=False,
                    message=(
                        f"resource_type {policy.resource_type!r} not supported: the emulator "
                        f"schedules downlink PRBs ({', '.join(DOWNLINK_TYPES)})"
                    ),
                    state=self.cell_state(),
                )
            self._policy = policy.model_copy(deep=True)
            self._state = self._schedule()
            names = ", ".join(s.slice_id for s in policy.slices) or "no slices"
            return PolicyOutcome(
                ok=True, message=f"policy applied ({names})", state=self.cell_state()
            )

    def set_cell_on(self, on: bool) -> CellState:
        if not isinstance(on, bool):
            raise ValueError(f"on: must be true or false, got {on!r}")
        with self._lock:
            self._on = on
            self._state = self._schedule()
            return self.cell_state()

    def set_demand(self, slice_id: str, mbps: float) -> None:
        """Set the traffic a slice offers; 0 removes a slice that has no policy entry."""
        check_demand(slice_id, mbps)
        with self._lock:
            if mbps > 0:
                self._demands[slice_id] = float(mbps)
            else:  # forget it: a zero load schedules nothing, and ids must not pile up
                self._demands.pop(slice_id, None)
            self._state = self._schedule()

    def advance(self, seconds: float = 1.0) -> CellState:
        check_seconds(seconds)
        with self._lock:
            self._t += float(seconds)
            self._state = self._schedule()
            return self.cell_state()

    # -- extras beyond the protocol ----------------------------------------------------------

    @property
    def cell(self) -> CellConfig:
        return self._cell

    @property
    def trace(self) -> RadioTrace | None:
        return self._trace

    def set_cqi(self, cqi: int | None) -> CellState:
        """Pin the CQI (a what-if or a scripted degradation); None returns to the trace."""
        if cqi is not None:
            _check_cqi(cqi)
        with self._lock:
            if cqi is None and self._trace is None:
                raise ValueError("cqi: no trace to return to; give a CQI 0..15")
            self._cqi_override = cqi
            self._state = self._schedule()
            return self.cell_state()

    # -- replay ------------------------------------------------------------------------------

    def start(self, speed: float = 1.0, step_s: float = 1.0) -> None:
        """Replay in a background thread: `step_s` simulated seconds every `step_s / speed`."""
        if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed: must be a finite number > 0, got {speed!r}")
        check_seconds(step_s)
        if self.running:
            raise RuntimeError("replay already running; stop() it first")
        self._speed = float(speed)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(float(step_s) / self._speed, float(step_s)),
            name="ran-emulator-replay", daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the replay thread (idempotent) and wait for it to finish."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> RanEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, wall_step: float, sim_step: float) -> None:
        # Deadline pacing: the simulated clock does not drift from the wall clock over time.
        deadline = time.monotonic()
        while True:
            deadline += wall_step
            delay = deadline - time.monotonic()
            if delay > 0:
                if self._stop.wait(delay):
                    return
            elif self._stop.is_set():
                return
            self.advance(sim_step)

    # -- scheduling --------------------------------------------------------------------------

    def _current_cqi(self) -> int:
        if self._cqi_override is not None:
            return self._cqi_override
        assert self._trace is not None
        cqi, _ = self._trace.at(self._t)
        return int(cqi)

    def _schedule(self) -> CellState:
        n_prb = self._cell.n_prb
        policy_ids = [s.slice_id for s in self._policy.slices] if self._policy else []
        slice_ids = policy_ids + [
            sid for sid, mbps in self._demands.items() if sid not in policy_ids and mbps > 0
        ]
        cqi = self._current_cqi() if self._on else 0
        capacity = throughput_mbps(self._cell, cqi) if cqi > 0 else 0.0
        grants: dict[str, int] = dict.fromkeys(slice_ids, 0)
        if capacity > 0 and slice_ids:
            wanted = {
                sid: prbs_for_demand(self._cell, cqi, self._demands.get(sid, 0.0))
                for sid in slice_ids
            }
            # Slices outside the policy compete for the shared pool only (min 0, max 100).
            allocated = allocate_prbs(self._policy or SlicePolicy(), n_prb, wanted)
            grants.update({sid: int(allocated.get(sid, 0)) for sid in slice_ids})
        carried: dict[str, float] = {}
        for sid in slice_ids:
            prbs = grants[sid]
            rate = throughput_mbps(self._cell, cqi, prbs) if prbs > 0 else 0.0
            carried[sid] = min(self._demands.get(sid, 0.0), rate)
        # One transport block per slice rounds up a little more than one over the whole
        # carrier; a saturated cell must not report more than its capacity.
        total = sum(carried.values())
        scale = capacity / total if total > capacity > 0 else 1.0
        slices = {
            sid: SliceState(
                slice_id=sid,
                prbs=grants[sid],
                mbps=carried[sid] * scale,
                demand_mbps=self._demands.get(sid, 0.0),
            )
            for sid in slice_ids
        }
        return CellState(
            on=self._on,
            cqi=cqi,
            capacity_mbps=capacity,
            n_prb=n_prb,
            prbs_used=sum(s.prbs for s in slices.values()),
            demand_mbps=sum(self._demands.values()),
            slices=slices,
            policy=self._policy,
            t_s=self._t,
            cell=self._cell,
        )


def _check_cqi(cqi: int) -> None:
    if isinstance(cqi, bool) or not isinstance(cqi, int) or not 0 <= cqi <= 15:
        raise ValueError(f"cqi: must be an integer 0..15, got {cqi!r}")


__all__ = ["RanEmulator"]
