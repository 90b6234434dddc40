"""The negotiation's link to the network: the driver, the observer, topic checks, enforcement.

From the scenario's `network` section this builds a run's `NetworkLink`: the RAN driver (the
in-process emulator, or the HTTP client when `driver_url` is set) and the observer (the
driver, or Prometheus when `prometheus_url` is set). The cell is read once per round
(`observe_round`) and that one observation goes to every agent of the round: off, or unable
to carry what an operator must have, stops the negotiation with the reason; a capacity below
the topic's upper bound re-targets the bound. On an agreement the value is enforced as a
slice policy (`enforce_agreement`) and the record shows the policy and the throughput.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maestro.agents.domain import flag_record
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
        from maestro.tools.ran.mobility import synthetic_trace  # scipy.signal: only when asked

        return RanEmulator(cell=cell, trace=synthetic_trace(scenario.seed), seed=scenario.seed)
    path = Path(network.trace)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        return RanEmulator(cell=cell, trace=load_raca_trace(path), seed=scenario.seed)
    except (OSError, TraceFormatError) as exc:
        raise ScenarioError(f"network.trace: {exc}") from exc


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


@dataclass
class NetworkLink:
    """One run's link to the cell: the driver, how the cell is read, whether to enforce, and
    what this run opened (and so must close)."""

    driver: RanDriver
    observer: Observer
    enforce: bool
    owned: list[Any] = field(default_factory=list)
    # Enforcement through the orchestrator's API (agents.orchestrator_tools), when set.
    orchestrator: Any = None
    # The slice-policy rules checked before a policy is sent (graphs.slice_rules), when the
    # scenario has a `regulation:` section.
    rules: Any = None

    def close(self) -> None:
        for resource in self.owned:
            with contextlib.suppress(Exception):
                resource.close()
        self.owned.clear()


def network_link(
    scenario: Scenario, driver: RanDriver | None = None, base_dir: Path | None = None
) -> NetworkLink | None:
    """The link for a scenario with a `network` section (or a caller's driver), else None.

    A driver the caller passed stays the caller's; one built here is closed with the link.
    """
    if scenario.network is None and driver is None:
        return None
    owned: list[Any] = []
    if driver is None:
        driver = make_driver(scenario, base_dir)
        owned.append(driver)
    network = scenario.network or NetworkSpec()
    if network.prometheus_url:
        client = PromQLClient(network.prometheus_url)
        owned.append(client)
        observer: Observer = lambda: observe_prometheus(client)  # noqa: E731
    else:
        observer = lambda: observe(driver)  # noqa: E731
    enforce = bool(scenario.network and scenario.network.enforce)
    link = NetworkLink(driver=driver, observer=observer, enforce=enforce, owned=owned)
    if scenario.regulation is not None:
        from maestro.graphs.slice_rules import PolicyRules

        link.rules = PolicyRules(scenario.regulation)
    if network.orchestrator_url:
        from maestro.agents.orchestrator_tools import enforcer_for

        try:
            link.orchestrator = enforcer_for(
                network.orchestrator_url, network.orchestrator_intent, network.orchestrator_edge
            )
        except ValueError as exc:
            link.close()
            raise ScenarioError(f"network.orchestrator_url: {exc}") from None
        owned.append(link.orchestrator.client)
    return link


def observe_round(link: NetworkLink, scenario: Scenario, round_: int) -> dict[str, Any]:
    """Read the cell once for a round: the observation every agent of the round gets, or a
    halt when the topic is void, or a flag when monitoring is out (the round goes on)."""
    try:
        obs = link.observer()
    except Exception as exc:  # a monitoring outage: negotiate on, without the cell's numbers
        note = flag_record("monitoring_unavailable", "network", round_, str(exc))
        return {"flags": [note], "observation": None}
    if obs is None:
        return {"observation": None}
    observation = obs.model_dump(mode="json")
    if link.orchestrator is not None:  # the deployments and edges, read through the API
        observation["deployments"] = link.orchestrator.observe()
    reason = void_reason(scenario, obs)
    if reason:
        return {
            "status": "halted",
            "reason": f"topic void: {reason}",
            "observation": observation,
            "flags": [flag_record("topic_void", "network", round_, f"topic void: {reason}")],
        }
    return {"observation": observation}


def enforce_agreement(link: NetworkLink, value: float) -> dict[str, Any]:
    """Apply the agreed value as a slice policy; report what the cell did with it."""
    if link.orchestrator is not None:  # a network intent through the domain manager
        if link.rules is not None:  # checked under the same rules before it is submitted
            from maestro.graphs.slice_rules import enforce_via_orchestrator

            return enforce_via_orchestrator(link.orchestrator, value, link.rules)
        return dict(link.orchestrator.enforce(value))
    if link.rules is not None:  # the slice-policy rules are checked before anything is sent
        from maestro.graphs.slice_rules import enforce_under_rules

        try:
            return enforce_under_rules(link.driver, value, link.rules)
        except Exception as exc:
            return {"applied": False, "ok": False, "message": str(exc), "requested_mbps": value}
    try:
        outcome = enforce_throughput(link.driver, {SLA_SLICE: value})
    except Exception as exc:
        return {"applied": False, "ok": False, "message": str(exc), "requested_mbps": value}
    slice_state = outcome.state.slices.get(SLA_SLICE)
    policy = outcome.state.policy
    return {
        "applied": True,
        "ok": outcome.ok,
        "message": outcome.message,
        "requested_mbps": value,
        "policy": policy.model_dump(mode="json", by_alias=True) if policy else None,
        "achieved_mbps": slice_state.mbps if slice_state else None,
        "cqi": outcome.state.cqi,
        "capacity_mbps": outcome.state.capacity_mbps,
    }
