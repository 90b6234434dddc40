"""The agents' tool calls into the orchestrator, through the domain manager's API only.

Observability: `deployment_view` reads what the caller's token may see — each edge's free
CPU and memory and whether it runs what git says, and the state of the tenant's intents —
and turns it into prompt lines and facts, as the cell observation is.

Enforcement (MAESTRO Fig. 4 on CAMINO): `OrchestratorEnforcer.enforce(value)` turns the agreed
value into a network intent — the `network-ran-slice` package (the RAN emulator CNF) with
the slice policy as its `slice`/`mbps` parameters — and submits it with PUT. The domain
manager admits, hydrates and commits it; the edge's reconciler rolls the workload because git
changed; the enforcer waits until the edge reports that commit applied and the cell shows the
policy, and returns a record with the intent, the commit and the reconciled state. A refusal
(admission, a full edge, a bad value) is `admitted: False` with the reason: not enforced, and
`refusal_note` says it to the operators in their next round.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from maestro.agents.domain import Feedback, flag_record
from maestro.tools.orchestrator.client import OrchestratorApiError, OrchestratorClient

RAN_PACKAGE = "network-ran-slice"
RAN_SERVICE = "ran"


def deployment_view(client: OrchestratorClient) -> dict[str, Any]:
    """Edges (room, sync) and the caller's intents (state); prompt lines included."""
    edges = client.edges()["edges"]
    lines = []
    facts: dict[str, Any] = {"edges": {}, "intents": {}}
    for edge in edges:
        state = "in sync" if edge["in_sync"] else "catching up"
        lines.append(
            f"Edge {edge['id']}: {edge['free']['cpu']} CPU and {edge['free']['memory']} free, "
            f"{len(edge['workloads'])} workload(s), {state}."
        )
        facts["edges"][edge["id"]] = {"free": edge["free"], "in_sync": edge["in_sync"]}
    for item in client.intents():
        status = client.status(item["name"])
        facts["intents"][item["name"]] = status["state"]
        lines.append(f"Deployment {item['name']}: {status['state']}.")
    return {"lines": lines, "facts": facts}


@dataclass
class OrchestratorEnforcer:
    """Enforces agreements as a package parameter change of the RAN slice CNF."""

    client: OrchestratorClient
    intent: str = "maestro-sla"
    edge: str | None = None
    slice_id: str = "sla"
    cqi: int = 12
    seed: int = 0
    cpu: str = "100m"
    memory: str = "96Mi"
    timeout_s: float = 60.0
    poll_s: float = 0.2
    extra: dict[str, Any] = field(default_factory=dict)

    def observe(self) -> dict[str, Any]:
        """The deployment view for this round's observation; an outage is said, not hidden."""
        try:
            return deployment_view(self.client)
        except OrchestratorApiError as exc:
            return {"lines": [f"Orchestrator unavailable: {exc.message}."], "facts": {}}

    def network_intent(self, value: float, policy: Any = None) -> dict[str, Any]:
        """The intent for `value`; with `policy` (a SlicePolicy checked under the slice rules,
        graphs.slice_rules) the package carries that whole policy instead of one slice."""
        service: dict[str, Any] = {
            "package": RAN_PACKAGE,
            "resources": {"cpu": self.cpu, "memory": self.memory},
            "params": {
                "slice": self.slice_id,
                "mbps": round(float(value), 6),
                "cqi": self.cqi,
                "seed": self.seed,
                **self.extra,
            },
        }
        if policy is not None:
            from maestro.tools.orchestrator.ran_slice import encode_policy

            service["params"]["policy"] = encode_policy(policy)
        if self.edge:
            service["edge"] = self.edge
        return {
            "name": self.intent,
            "description": f"slice {self.slice_id} at the agreed {value:g} Mbps (MAESTRO)",
            "services": {RAN_SERVICE: service},
        }

    def enforce(self, value: float, policy: Any = None) -> dict[str, Any]:
        started = time.monotonic()
        record: dict[str, Any] = {
            "path": "orchestrator",
            "intent": self.intent,
            "requested_mbps": value,
            "applied": False,
            "ok": False,
            "admitted": False,
        }
        try:
            result = self.client.apply(self.network_intent(value, policy))
        except OrchestratorApiError as exc:
            record["message"] = f"not admitted (HTTP {exc.status}): {exc.message}"
            record["seconds"] = round(time.monotonic() - started, 3)
            return record
        record["admitted"] = True
        record["submit_seconds"] = round(time.monotonic() - started, 3)
        changes = {e["edge"]: e["commit"] for e in result["edges"]}
        placed = next(s for s in result["services"] if s["name"] == RAN_SERVICE)
        record["edge"] = placed["edge"]
        record["commit"] = changes.get(placed["edge"])
        return self._wait(record, value, placed["outputs"]["url"], started)

    def _wait(
        self, record: dict[str, Any], value: float, url: str, started: float
    ) -> dict[str, Any]:
        """Until the edge has applied the commit and the cell shows the agreed slice."""
        deadline = started + self.timeout_s
        status: dict[str, Any] = {}
        cell: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            try:
                status = self.client.status(self.intent)
            except OrchestratorApiError as exc:
                record["message"] = f"status unavailable: {exc.message}"
                break
            edge = status["edges"].get(record["edge"], {})
            if edge.get("reconciled") and status["services"][RAN_SERVICE]["healthy"]:
                cell = _cell_state(url)
                if cell is not None and _shows(cell, self.slice_id, value):
                    break
            time.sleep(self.poll_s)
        else:
            record["message"] = (
                f"not reconciled within {self.timeout_s:g} s (state "
                f"{status.get('state', 'unknown')}, workload "
                f"{(status.get('services', {}).get(RAN_SERVICE) or {}).get('message') or 'no report'})"
            )
        edge = (status.get("edges") or {}).get(record.get("edge", ""), {})
        record["reconciled"] = bool(edge.get("reconciled"))
        record["applied_commit"] = edge.get("applied")
        record["state"] = status.get("state")
        record["seconds"] = round(time.monotonic() - started, 3)
        if cell is not None and _shows(cell, self.slice_id, value):
            slice_state = cell["slices"][self.slice_id]
            record.update(
                applied=True,
                ok=True,
                message=f"slice {self.slice_id} policy in force at commit {record['commit'][:12]}",
                policy=cell.get("policy"),
                achieved_mbps=slice_state.get("mbps"),
                cqi=cell.get("cqi"),
                capacity_mbps=cell.get("capacity_mbps"),
            )
        return record


def _cell_state(url: str) -> dict[str, Any] | None:
    try:
        res = httpx.get(f"{url}/state", timeout=2.0)
        return dict(res.json()) if res.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def _shows(cell: dict[str, Any], slice_id: str, value: float) -> bool:
    slice_state = (cell.get("slices") or {}).get(slice_id) or {}
    return abs(float(slice_state.get("demand_mbps", -1.0)) - value) < 1e-6 and bool(
        cell.get("policy")
    )


def enforcer_for(url: str, intent: str, edge: str | None) -> OrchestratorEnforcer:
    """The enforcer a scenario's `network.orchestrator_url` asks for (token from the
    environment); ValueError with the reason when it cannot be made."""
    return OrchestratorEnforcer(OrchestratorClient(url), intent=intent, edge=edge)


def refusal_round(record: dict[str, Any], operators: list[str], round_: int) -> dict[str, Any]:
    """The negotiation goes on: every operator hears why the network did not take the
    agreement, and the run's flags say so."""
    note = refusal_note(record) or "The orchestrator did not enforce the agreement."
    feedback = {op: Feedback(message=note[:600], direction="hold").model_dump() for op in operators}
    return {
        "feedback": feedback,
        "round": round_ + 1,
        "flags": [flag_record("enforcement_refused", "orchestrator", round_, note)],
    }


def refusal_note(record: dict[str, Any] | None) -> str | None:
    """What the operators are told next round when the network did not take the agreement."""
    if not record or record.get("path") != "orchestrator" or record.get("applied"):
        return None
    return (
        f"The orchestrator did not enforce the agreed {record.get('requested_mbps'):g} Mbps: "
        f"{record.get('message')}. Propose a value the network can admit."
    )


__all__ = [
    "RAN_PACKAGE",
    "RAN_SERVICE",
    "OrchestratorEnforcer",
    "deployment_view",
    "enforcer_for",
    "refusal_note",
    "refusal_round",
]
