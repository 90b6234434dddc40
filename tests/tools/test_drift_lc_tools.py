"""The LangChain structured tools the agents call."""

import pytest

from maestro.tools.drift import make_drift_tools


@pytest.fixture(scope="module")
def tools() -> dict:
    return {t.name: t for t in make_drift_tools()}


def test_tool_names_and_schemas(tools: dict) -> None:
    assert set(tools) == {"quantize_kpi", "intent_drift", "assess_service", "availability_check"}
    schema = tools["quantize_kpi"].args
    assert {"kpi", "value", "target"} <= set(schema)


def test_quantize_kpi(tools: dict) -> None:
    out = tools["quantize_kpi"].invoke({"kpi": "cpu", "value": 90,
                                        "target": {"min": 40, "max": 70}})
    assert out["p9"] == 4 and out["p3"] == -1
    assert out["gradient"] == pytest.approx(0.571, abs=5e-4)


def test_intent_drift(tools: dict) -> None:
    out = tools["intent_drift"].invoke({
        "targets": {"cpu": {"min": 40, "max": 70}, "storage": {"min": 40, "max": 70},
                    "status": {"equals": 100}},
        "operational": {"cpu": [70, 90], "storage": 80, "status": 100},
    })
    assert out["drift_vector"]["cpu"] == pytest.approx(0.571, abs=5e-4)
    assert out["drift_vector"]["storage"] == pytest.approx(0.286, abs=5e-4)
    assert out["distance"] == pytest.approx(500 ** 0.5)
    assert out["delta_change"]["cpu"] == 20


def test_assess_service_table_iii(tools: dict) -> None:
    kpis = {"cpu": {"range": [40, 70]}, "status": {"equals": 100}}
    out = tools["assess_service"].invoke({
        "targets": {"service": "netflow", "kpis": kpis,
                    "subservices": ["collector1", "collector2"]},
        "operational": {"subservices": {"collector1": {"cpu": 60, "status": 100},
                                        "collector2": {"cpu": 0, "status": 0}},
                        "downtime": {"planned_days": 30, "down_minutes": 2}},
    })
    assert out["service_health_pct"] == 50 and out["availability"]["met"]
    assert out["actions"][0]["action"] == "restart"


def test_availability_check(tools: dict) -> None:
    out = tools["availability_check"].invoke({"target": 0.9999, "per_resource": 0.999,
                                              "resources": 2, "planned_s": 2592000,
                                              "down_s": 120})
    assert out["redundancy_needed"] == 2 and out["redundancy_met"]
    assert out["yearly_budget_min"] == pytest.approx(52.56, abs=0.01)
    assert out["intent_health"] == 1


def test_user_mistakes_come_back_as_messages(tools: dict) -> None:
    out = tools["quantize_kpi"].invoke({"kpi": "cpu", "value": 1,
                                        "target": {"min": 70, "max": 40}})
    assert isinstance(out, str) and "KPI 'cpu'" in out and "inverted" in out
    out = tools["intent_drift"].invoke({"targets": {"cpu": {"max": 1}},
                                        "operational": {"ram": 3}})
    assert isinstance(out, str) and "KPI 'ram'" in out
