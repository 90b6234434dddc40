"""Intents in TS 28.312 and TMF921: round trips, the deterministic parser and the catalogue."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from maestro.tools.intent import (
    IntentError,
    IntentSpec,
    detect_format,
    from_28312,
    from_tmf921,
    load_intent,
    to_28312,
    to_tmf921,
    validate_target,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "intents" / "netflow-west.yaml"


def paper() -> IntentSpec:
    return load_intent(yaml.safe_load(EXAMPLE.read_text()))


def test_paper_intent_formal_pairs_and_kpi_vector() -> None:
    intent = paper()
    assert intent.formal == {
        "Domain": "West",
        "Task": "Create collectors",
        "Data Type": "Netflow",
        "Availability": "99.99%",
    }
    assert intent.kpi_vector() == {"availability": 0.9999}  # 99.99 % as a fraction
    assert intent.kpi_targets() == {
        "availability": {
            "targetCondition": "IS_EQUAL_TO_OR_GREATER_THAN",
            "targetValueRange": [0.9999],
        }
    }


def test_28312_shape_uses_the_standard_field_names() -> None:
    doc = to_28312(paper())["Intent"]
    assert {"userLabel", "intentExpectations", "intentContexts", "intentFulfilmentInfo"} <= set(doc)
    exp = doc["intentExpectations"][0]
    assert exp["expectationVerb"] == "DELIVER"
    assert exp["expectationObjects"][0]["objectType"] == "collector"
    target = exp["expectationTargets"][0]
    assert target == {
        "targetName": "availability",
        "targetCondition": "IS_EQUAL_TO_OR_GREATER_THAN",
        "targetValueRange": [0.9999],
        "targetContexts": [],
    }
    assert doc["intentFulfilmentInfo"] == {"fulfilStatus": "NOT_FULFILLED"}


def test_round_trips_28312_and_tmf921() -> None:
    intent = paper()
    assert from_28312(to_28312(intent)) == intent
    assert from_tmf921(to_tmf921(intent)) == intent
    doc = to_tmf921(intent)
    assert doc["href"] == "/tmf-api/intent/v4/intent/netflow-west"
    assert doc["description"] == intent.text
    # standard -> ours -> standard gives the same document back
    assert to_tmf921(from_tmf921(copy.deepcopy(doc))) == doc
    d28 = to_28312(intent)
    assert to_28312(from_28312(copy.deepcopy(d28))) == d28
    # and across: 28312 -> tmf921 -> 28312
    assert to_28312(from_tmf921(to_tmf921(from_28312(d28)))) == d28


def test_detect_format() -> None:
    intent = paper()
    assert detect_format(to_28312(intent)) == "28312"
    assert detect_format(to_tmf921(intent)) == "tmf921"
    assert detect_format(intent.model_dump()) == "maestro"
    with pytest.raises(IntentError, match="not an intent"):
        detect_format({"foo": 1})


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("bandwidthz", None, [5]), "unknown KPI 'bandwidthz'"),
        (("availability", None, [150], "%"), "outside 0..1"),
        (("DlLatency", None, [10], "Mbps"), "unit 'Mbps' does not fit"),
        (("cpu", "IS_WITHIN_RANGE", [40]), "needs 2 value"),
        (("cpu", "IS_WITHIN_RANGE", [70, 40]), "exceeds"),
        (("cpu", "IS_ABOUT", [40]), "unknown condition"),
        (("jitter", None, ["fast"]), "not a number"),
    ],
)
def test_catalogue_refuses_with_the_kpi_named(args: tuple, needle: str) -> None:
    with pytest.raises(IntentError, match=needle):
        validate_target(*args)


def test_catalogue_converts_units_and_aliases() -> None:
    assert validate_target("latency", None, [0.02], "s") == (
        "DlLatency",
        "IS_EQUAL_TO_OR_LESS_THAN",
        [20.0],
    )
    assert validate_target("Downlink throughput", None, [1], "Gbps")[2] == [1000.0]
    assert validate_target("Availability", None, ["99.9%"])[2] == [0.999]


def test_bad_standard_documents_name_the_part() -> None:
    d28 = to_28312(paper())
    d28["Intent"]["intentExpectations"][0]["expectationTargets"][0]["targetName"] = "zorp"
    with pytest.raises(IntentError, match="unknown KPI 'zorp'"):
        from_28312(d28)
    tmf = to_tmf921(paper())
    tmf["expression"]["expressionLanguage"] = "Turtle"
    with pytest.raises(IntentError, match="expressionLanguage"):
        from_tmf921(tmf)
    with pytest.raises(IntentError, match="exactly one expectation"):
        from_28312({"Intent": {"intentExpectations": []}})
