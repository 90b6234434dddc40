"""The closed loop on the paper's use case: fulfil, detect a killed collector, restart it."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from maestro.agents.assurance_scripts import scripted_models
from maestro.graphs.assurance_live import LiveServer, LiveView
from maestro.graphs.assurance_run import run_assurance
from maestro.graphs.executor import InProcessExecutor
from maestro.tools.intent import IntentSpec

MODELS = scripted_models()


def _run(
    intent: IntentSpec,
    ex: InProcessExecutor,
    settings: Any,
    model: str = "scripted:assurance",
    kill: dict[int, str] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    def on_period(p: int) -> None:
        if kill and p in kill:
            ex.kill(kill[p])

    return run_assurance(
        intent, MODELS[model], model, ex, settings=settings, on_period=on_period, **kw
    )


def _events(record: dict[str, Any]) -> list[str]:
    return [e["event"] for e in record["timeline"]]


def test_fulfilment_follows_table_ii_with_eq15_count(
    paper_intent: IntentSpec, executor: InProcessExecutor, fast: Callable[..., Any]
) -> None:
    rec = _run(paper_intent, executor, fast(periods=2))
    apis = [p["api"] for p in rec["policies"]]
    assert apis == ["get_domain", "compliance", "avail", "create", "validate", "start", "schedule"]
    create = rec["policies"][3]
    assert create["args"]["count"] == 2 and create["args"]["names"] == ["collector1", "collector2"]
    # each policy's result was fed back: compliance said 2 from eq. 15
    assert rec["policies"][1]["state"] == {"type": "vm", "count": 2}
    assert rec["status"] == "fulfilled" and rec["reason"] is None
    assert rec["service_health_pct"] == 100 and rec["corrected"] == 0
    assert "drift" not in _events(rec)


def test_killed_collector_is_detected_restarted_and_health_returns_to_100(
    paper_intent: IntentSpec, executor: InProcessExecutor, fast: Callable[..., Any]
) -> None:
    rec = _run(
        paper_intent, executor, fast(periods=6, stop_when_recovered=True), kill={2: "collector2"}
    )
    events = _events(rec)
    assert events.index("drift") < events.index("assurance_decision") < events.index("recovered")
    drift = next(e for e in rec["timeline"] if e["event"] == "drift")
    assert drift["service_health_pct"] == 50 and drift["period"] == 2
    health2 = next(e for e in rec["timeline"] if e["event"] == "health" and e["period"] == 2)
    assert health2["composite"] == {"resource": -1, "software": 0, "network": 0, "service": -1}
    decision = next(e for e in rec["timeline"] if e["event"] == "assurance_decision")
    assert decision["actions"] == ["restart collector2 (penalty 4)"]  # not recreate (8)
    repairs = [(p["api"], p["args"]) for p in rec["policies"] if p["phase"] == "assure"]
    assert repairs[0] == ("restart", {"name": "collector2"})
    assert all(api != "recreate" for api, _ in repairs)
    assert rec["status"] == "assured" and rec["service_health_pct"] == 100
    assert rec["availability"]["met"] is True  # collector1 kept the service up
    table = rec["table_iv"]
    assert table["fulfil"]["policies"] == 7 and table["assure"]["policies"] == 3
    assert table["fulfil"]["paper"]["total_s"] == 393


def test_validator_corrections_and_nothing_unvalidated_runs(
    paper_intent: IntentSpec, executor: InProcessExecutor, fast: Callable[..., Any]
) -> None:
    rec = _run(paper_intent, executor, fast(periods=1), model="scripted:assurance-faulty")
    assert rec["corrected"] == 2
    rejected = [e for e in rec["timeline"] if e["event"] == "rejected"]
    assert "unknown API 'lookup_domain'" in rejected[0]["problems"][0]
    assert "disagrees with eq. 15" in rejected[1]["problems"][0]
    called = [api for api, _ in executor.calls]
    assert "lookup_domain" not in called
    assert [a["count"] for api, a in executor.calls if api == "create"] == [2.0]
    assert rec["status"] == "fulfilled"


def test_a_model_that_never_proposes_a_valid_policy_fails_without_executing(
    paper_intent: IntentSpec, executor: InProcessExecutor, fast: Callable[..., Any]
) -> None:
    rec = _run(paper_intent, executor, fast(), model="scripted:assurance-broken")
    assert rec["status"] == "failed"
    assert "unknown API 'teleport'" in rec["reason"]
    assert executor.calls == [] and rec["policies"] == []


def test_failing_action_backs_off_and_the_next_ranked_action_repairs(
    paper_intent: IntentSpec, fast: Callable[..., Any]
) -> None:
    ex = InProcessExecutor(fail_apis={"restart"})
    try:
        rec = _run(
            paper_intent, ex, fast(periods=8, stop_when_recovered=True), kill={2: "collector2"}
        )
    finally:
        ex.close()
    executed = [(p["api"], p["success"]) for p in rec["policies"] if p["phase"] == "assure"]
    assert executed[0] == ("restart", False)
    assert ("recreate", True) in executed
    decisions = [e["actions"] for e in rec["timeline"] if e["event"] == "assurance_decision"]
    assert decisions[0] == ["restart collector2 (penalty 4)"]
    assert decisions[1] == ["recreate collector2 (penalty 8)"]
    assert rec["status"] == "assured"


def test_monitoring_down_is_reported_and_retried(
    paper_intent: IntentSpec, fast: Callable[..., Any]
) -> None:
    ex = InProcessExecutor(monitoring_failures=2)
    try:
        rec = _run(paper_intent, ex, fast(periods=2))
    finally:
        ex.close()
    assert _events(rec).count("monitoring_down") == 2
    assert rec["status"] == "fulfilled" and rec["service_health_pct"] == 100
    ex = InProcessExecutor(monitoring_failures=10)
    try:
        rec = _run(paper_intent, ex, fast(periods=2, max_monitor_failures=2))
    finally:
        ex.close()
    assert rec["status"] == "failed" and "monitoring down 3 times" in rec["reason"]


def test_assurance_graph_served_live(
    paper_intent: IntentSpec, executor: InProcessExecutor, fast: Callable[..., Any]
) -> None:
    view = LiveView(paper_intent.id)
    server = LiveServer(view).start()
    seen: dict[str, Any] = {}

    def on_event(ev: dict[str, Any]) -> None:
        if ev["event"] == "drift":  # read the endpoint while the loop runs
            url = f"http://127.0.0.1:{server.port}/assurance-graph"
            with urllib.request.urlopen(url, timeout=5) as resp:
                seen.update(json.loads(resp.read()))

    try:
        _run(
            paper_intent,
            executor,
            fast(periods=4, stop_when_recovered=True),
            kill={2: "collector2"},
            live=view,
            on_event=on_event,
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/timeline", timeout=5) as resp:
            timeline = json.loads(resp.read())["timeline"]
    finally:
        server.stop()
    graph = seen["assurance-graph"]
    assert seen["period"] == 2 and graph["service"]["health-score"] == 50
    c2 = next(n for n in graph["subservices"] if n["id"] == "collector2")
    assert c2["health-score"] == 0 and c2["symptoms"]
    assert all(s["health-score-weight"] > 0 for s in c2["symptoms"])
    assert "recovered" in [e["event"] for e in timeline]


@pytest.mark.parametrize("bad", ["", "   "])
def test_unparseable_intent_text_is_refused(bad: str) -> None:
    from maestro.agents.assurance import make_formalizer
    from maestro.tools.intent import IntentError

    with pytest.raises(IntentError):
        make_formalizer(MODELS["scripted:intent"])(bad)


def test_a_tree_declared_done_with_omissions_is_sent_back_then_failed(
    paper_intent: IntentSpec, executor: InProcessExecutor, fast: Callable[..., Any]
) -> None:
    from maestro.agents.providers import ScriptedChatModel

    def lazy(messages: Any, facts: dict[str, Any]) -> str:
        if facts["stage"] == "classifier":
            return json.dumps({"intent_type": "create_resource", "reason": "r"})
        return json.dumps({"done": True, "policy": None, "reasoning": "nothing to do"})

    model = ScriptedChatModel(name="lazy", script=lazy)
    rec = run_assurance(
        paper_intent, model, "scripted:lazy", executor, settings=fast(max_rejections=2)
    )
    rejected = [e for e in rec["timeline"] if e["event"] == "rejected"]
    assert rejected and rejected[0]["problems"] == ["compliance", "create", "validate", "start"]
    assert rec["status"] == "failed" and "omits compliance" in rec["reason"]
    assert executor.calls == []
