"""Deployment intents: validation, order from `after` labels, cycles, dangling names."""

from __future__ import annotations

import json

import pytest

from maestro.cli import main
from maestro.tools.orchestrator import (
    DeploymentIntent,
    IntentError,
    deployment_order,
    intent_schema,
    load_intent,
    parse_intent,
)

from .helpers import EXAMPLES, chain


def test_order_follows_after_labels_not_listing_order() -> None:
    intent = parse_intent(
        {
            "name": "x",
            "services": {
                "c": {"package": "p", "after": ["b"]},
                "a": {"package": "p"},
                "b": {"package": "p", "after": ["a"]},
            },
        }
    )
    assert deployment_order(intent) == ["a", "b", "c"]


def test_a_reference_to_a_service_value_orders_it_first() -> None:
    intent = parse_intent(
        {
            "name": "x",
            "services": {
                "probe": {"package": "p", "params": {"target": "${ran.url}/healthz"}},
                "ran": {"package": "p"},
            },
        }
    )
    assert deployment_order(intent) == ["ran", "probe"]


def test_ties_keep_the_listing_order() -> None:
    intent = parse_intent({"name": "x", "services": {n: {"package": "p"} for n in "zyx"}})
    assert deployment_order(intent) == ["z", "y", "x"]


def test_a_cycle_is_refused_naming_it() -> None:
    intent = parse_intent(
        {
            "name": "loop",
            "services": {
                "a": {"package": "p", "after": ["c"]},
                "b": {"package": "p", "after": ["a"]},
                "c": {"package": "p", "after": ["b"]},
            },
        }
    )
    with pytest.raises(IntentError) as err:
        deployment_order(intent)
    text = str(err.value)
    assert "intent 'loop'" in text and "cycle" in text
    assert all(n in text for n in "abc")


def test_a_dangling_after_is_refused_naming_it() -> None:
    intent = parse_intent({"name": "x", "services": {"a": {"package": "p", "after": ["ghost"]}}})
    with pytest.raises(IntentError, match="'ghost'") as err:
        deployment_order(intent)
    assert err.value.service == "a" and err.value.intent == "x"


def test_unknown_output_key_is_refused() -> None:
    intent = parse_intent(
        {
            "name": "x",
            "services": {
                "a": {"package": "p"},
                "b": {"package": "p", "params": {"t": "${a.colour}"}},
            },
        }
    )
    with pytest.raises(IntentError, match="unknown output 'colour'"):
        deployment_order(intent)


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"name": "x", "services": {}}, "services"),
        ({"name": "Bad_Name", "services": {"a": {"package": "p"}}}, "name"),
        ({"name": "x", "services": {"a": {"package": "p", "resources": {"cpu": "lots"}}}}, "CPU"),
        ({"name": "x", "services": {"a": {"package": "p", "colour": 1}}}, "colour"),
        ({"name": "x", "services": {"a": {"package": "p", "params": {"k": [1]}}}}, "params"),
        (["not", "a", "mapping"], "mapping"),
    ],
)
def test_malformed_intents_are_one_intent_error(doc: object, needle: str) -> None:
    with pytest.raises(IntentError, match=needle):
        parse_intent(doc)


def test_the_example_intent_loads(tmp_path) -> None:
    intent = load_intent(EXAMPLES / "chain.yaml")
    assert deployment_order(intent) == ["backend", "frontend", "probe"]
    as_json = tmp_path / "chain.json"
    as_json.write_text(json.dumps(chain()))
    assert load_intent(as_json).name == "demo"


def test_schema_command_prints_the_published_schema(capsys) -> None:
    assert main(["orchestrator", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(intent_schema()))
    assert schema["title"] == "DeploymentIntent"
    assert "services" in schema["required"]
    assert "after" in json.dumps(schema)
    DeploymentIntent.model_validate(chain())  # the schema's model accepts the fixture
