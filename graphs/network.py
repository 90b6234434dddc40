"""The negotiation's link to the network: the driver, the observer, topic checks, enforcement.

From the scenario's `network` section this builds the RAN driver (the in-process emulator, or
the HTTP client when `driver_url` is set) and the observer (the driver, or Prometheus when
`prometheus_url` is set). Before every round the topic is checked against the cell: off, or
unable to carry what an operator must have, stops the negotiation with the reason; a capacity
below the topic's upper bound re-targets the bound. On consensus the value is enforced as a
slice policy and the record shows the policy and the throughput achieved.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from maestro.agents.domain import flag_record
from maestro.agents.model_pool import ModelPool
from maestro.graphs.negotiation import NegotiationDeps, NegotiationState
from maestro.graphs.scenario import NetworkSpec, Scenario, ScenarioError
from maestro.tools.ran import (
    CellConfig,
    HttpRanDriver,
    PromQLClient,
    RanDriver,
    RanEmulator,
    RanObservation,
    TraceFormatError,
    enforce_throughput,
    load_raca_trace,
    observe,
    observe_prometheus,
    synthetic_trace,
    throughput_mbps,
)

SLA_SLICE = "sla"
Observer = Callable[[], RanObservation | None]


def cell_of(network: NetworkSpec) -> CellConfig:
    # Validated, not model_copy'd: a bandwidth/SCS pair the NR tables lack must fail here.
    try:
        return CellConfig.model_validate(
            CellConfig.oai_band78().model_dump()
            | {
                "bandwidth_mhz": network.bandwidth_mhz,
                "scs_khz": network.scs_khz,
                "layers": network.layers,
            }
        )
    except ValueError as exc:
        raise ScenarioError(f"network: {exc}") from exc


def scenario_capacity(scenario: Scenario) -> float | None:
    """The cell's capacity at the scenario's CQI, without building a driver."""
    if scenario.network is None:
        return None
    cell = cell_of(scenario.network)
    try:
        return throughput_mbps(cell, scenario.network.cqi)
    except ValueError as exc:
        raise ScenarioError(f"network: {exc}") from exc


def make_driver(scenario: Scenario, base_dir: Path | None = None) -> RanDriver:
    network = scenario.network or NetworkSpec()
    if network.driver_url:
        return HttpRanDriver(network.driver_url)
    cell = cell_of(network)
    if network.trace is None:
        return RanEmulator(cell=cell, cqi=network.cqi, seed=scenario.seed)
    if network.trace == "synthetic":
        return RanEmulator(cell=cell, trace=synthetic_trace(scenario.seed), seed=scenario.seed)
    path = Path(network.trace)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        return RanEmulator(cell=cell, trace=load_raca_trace(path), seed=scenario.seed)
    except (OSError, TraceFormatError) as exc:
        raise ScenarioError(f"network.trace: {exc}") from exc


def make_observer(scenario: Scenario, driver: RanDriver) -> Observer:
    network = scenario.network or NetworkSpec()
    if network.prometheus_url:
        client = PromQLClient(network.prometheus_url)
        return lambda: observe_prometheus(client)
    return lambda: observe(driver)


def void_reason(scenario: Scenario, obs: RanObservation) -> str | None:
    reason = obs.void_reason
    if reason:
        return reason
    needs = [(op.id, op.minimum) for op in scenario.operators if op.minimum is not None]
    short = [(op, need) for op, need in needs if need > obs.capacity_mbps]
    if short:
        op, need = max(short, key=lambda item: item[1])
        return (
            f"the cell carries at most {obs.capacity_mbps:.4g} {scenario.topic.unit} but "
            f"operator {op} cannot accept less than {need:g}"
        )
    if obs.capacity_mbps < scenario.topic.lower:
        return f"capacity {obs.capacity_mbps:.4g} is below the topic's lower bound {scenario.topic.lower:g}"
    return None


def network_deps(
    scenario: Scenario,
    pool: ModelPool,
    driver: RanDriver | None = None,
    base_dir: Path | None = None,
) -> tuple[NegotiationDeps, RanDriver]:
    """Deps whose units observe the cell and whose hooks check the topic and enforce the result."""
    driver = driver or make_driver(scenario, base_dir)
    observer = make_observer(scenario, driver)

    def before_round(sc: Scenario, state: NegotiationState) -> dict[str, Any]:
        try:
            obs = observer()
        except Exception as exc:  # a monitoring outage: negotiate on, without the cell's numbers
            note = flag_record("monitoring_unavailable", "network", state.get("round", 0), f"{exc}")
            return {"flags": [note], "extras": {"observation": None}}
        if obs is None:
            return {}
        observation = obs.model_dump(mode="json")
        reason = void_reason(sc, obs)
        if reason:
            return {
                "status": "halted",
                "reason": f"topic void: {reason}",
                "extras": {"observation": observation},
                "flags": [_flag(state, f"topic void: {reason}")],
            }
        return {"extras": {"observation": observation}}

    def on_finish(sc: Scenario, state: NegotiationState) -> dict[str, Any]:
        if state.get("status") != "consensus" or not (sc.network and sc.network.enforce):
            return {}
        value = float(state["consensus"])
        try:
            outcome = enforce_throughput(driver, {SLA_SLICE: value})
        except Exception as exc:
            return {"extras": {"enforcement": {"ok": False, "message": str(exc)}}}
        slice_state = outcome.state.slices.get(SLA_SLICE)
        policy = outcome.state.policy
        return {
            "extras": {
                "enforcement": {
                    "ok": outcome.ok,
                    "message": outcome.message,
                    "requested_mbps": value,
                    "policy": policy.model_dump(mode="json", by_alias=True) if policy else None,
                    "achieved_mbps": slice_state.mbps if slice_state else None,
                    "cqi": outcome.state.cqi,
                    "capacity_mbps": outcome.state.capacity_mbps,
                }
            }
        }

    deps = NegotiationDeps(
        pool=pool,
        before_round=before_round,
        on_finish=on_finish,
    )
    return deps, driver


def _flag(state: NegotiationState, message: str) -> dict[str, Any]:
    return flag_record("topic_void", "network", state.get("round", 0), message)
