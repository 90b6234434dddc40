"""NL intent -> formal intent through an LLM stage: schema, catalogue checks, retries."""

from __future__ import annotations

import json

import pytest

from maestro.agents.assurance import StageFailed, make_formalizer
from maestro.agents.assurance_scripts import scripted_models
from maestro.agents.providers import ScriptedChatModel, replay
from maestro.tools.intent import IntentError

PAPER = (
    "Create collectors in Domain West for gathering Netflow data in the domain, such "
    "that the collectors have 99.99% availability"
)


def _reply(kpis: list[dict]) -> str:
    return json.dumps(
        {
            "intent_type": "create_resource",
            "formal": [{"key": "Domain", "value": "West"}],
            "kpis": kpis,
        }
    )


def test_scripted_formalizer_reads_the_paper_intent() -> None:
    result = make_formalizer(scripted_models()["scripted:intent"])(PAPER)
    intent = result.reply
    assert intent.intent_type == "create_resource"
    assert intent.kpi_vector() == {"availability": 0.9999}
    assert intent.formal["Domain"] == "West" and intent.contexts == {"Domain": "West"}
    assert result.calls == 1 and result.errors == []


def test_a_kpi_the_catalogue_refuses_is_sent_back_and_corrected() -> None:
    bad_name = _reply(
        [{"name": "uptimeness", "condition": "IS_GREATER_THAN", "value": [99.99], "unit": "%"}]
    )
    bad_range = _reply(
        [{"name": "availability", "condition": "IS_GREATER_THAN", "value": [9999], "unit": "%"}]
    )
    good = _reply(
        [
            {
                "name": "availability",
                "condition": "IS_EQUAL_TO_OR_GREATER_THAN",
                "value": [99.99],
                "unit": "%",
            }
        ]
    )
    model = ScriptedChatModel(name="t", script=replay([bad_name, bad_range, good], cycle=False))
    result = make_formalizer(model, retries=2)(PAPER)
    assert result.calls == 3
    assert "unknown KPI 'uptimeness'" in result.errors[0]
    assert "outside 0..1" in result.errors[1]
    assert result.reply.kpi_vector() == {"availability": 0.9999}


def test_a_unit_that_does_not_fit_the_kpi_is_sent_back() -> None:
    wrong_unit = _reply(
        [{"name": "availability", "condition": "IS_GREATER_THAN", "value": [99.99], "unit": "ms"}]
    )
    good = _reply(
        [{"name": "availability", "condition": "IS_GREATER_THAN", "value": [99.99], "unit": "%"}]
    )
    model = ScriptedChatModel(name="t", script=replay([wrong_unit, good], cycle=False))
    result = make_formalizer(model)(PAPER)
    assert "unit 'ms' does not fit" in result.errors[0]
    assert result.reply.kpis[0].value == [0.9999]


def test_a_model_that_never_gets_it_right_fails_the_stage() -> None:
    model = ScriptedChatModel(name="t", script=replay(["not json at all"]))
    with pytest.raises(StageFailed, match="no valid reply after 2 attempts") as info:
        make_formalizer(model, retries=1)(PAPER)
    assert info.value.calls == 2


def test_empty_text_is_a_user_error() -> None:
    with pytest.raises(IntentError, match="empty"):
        make_formalizer(scripted_models()["scripted:intent"])("   ")


def test_the_grammar_pairs_each_kpi_with_its_own_units() -> None:
    from maestro.agents.assurance import FormalizeReply
    from maestro.agents.replies import reply_schema

    shapes = reply_schema(FormalizeReply)["properties"]["kpis"]["items"]["anyOf"]
    units = {s["properties"]["name"]["enum"][0]: s["properties"]["unit"]["enum"] for s in shapes}
    assert "ms" not in units["availability"] and "%" in units["availability"]
    assert units["DlLatency"] == ["ms", "s", "us", ""]
    assert set(units) == {
        "availability",
        "service_health",
        "DlThptPerUE",
        "UlThptPerUE",
        "AveDLRANUEThpt",
        "DlLatency",
        "UlLatency",
        "jitter",
        "packet_loss",
        "cpu",
        "ram",
        "storage",
    }
