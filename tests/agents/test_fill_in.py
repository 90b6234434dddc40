"""JSON replies written field by field on llama.cpp (maestro.agents.providers.fill_in)."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from maestro.agents.providers import ModelOptions, make_local_model
from maestro.agents.providers.fill_in import Field, Literal, plan, prompt_tokens
from maestro.agents.providers.local import LocalChatModel, to_llama_messages
from maestro.agents.replies import mediator_reply_model, operator_reply_model, reply_schema

OPERATOR = reply_schema(operator_reply_model("Mbps", 0, 134))
MEDIATOR = reply_schema(mediator_reply_model(("cost", "qos")))
PROMPT = [
    SystemMessage(
        'You negotiate the cell throughput for an operator. Reply format: {"value": <number '
        'in Mbps>, "unit": "Mbps", "reasoning": "<one short sentence>"}'
    ),
    HumanMessage("Round 2. The other operator proposed 60 Mbps. Recommended value: 70 Mbps."),
]


def literals(steps: list[Field | Literal]) -> str:
    return "".join(s.text if isinstance(s, Literal) else "<>" for s in steps)


# --- the plan (no model) ------------------------------------------------------------------


def test_keys_and_constants_are_literals_and_values_are_fields() -> None:
    steps = plan(OPERATOR)
    assert steps is not None
    # The number's grammar writes the comma after it, so the literal starts without one.
    assert literals(steps) == '{ "value":<> "unit": "Mbps", "reasoning":<> }'
    nested = plan(MEDIATOR)
    assert nested is not None
    assert literals(nested) == '{ "summary":<>, "feedback":{ "cost":<>, "qos":<> } }'


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"xs": {"type": "array"}}, "required": ["xs"]},
        {"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]},
        {"type": "object", "properties": {"s": {"type": "string", "maxLength": 9}}},
        {
            "type": "object",
            "properties": {"s": {"type": "string", "pattern": "^a+$", "maxLength": 5}},
            "required": ["s"],
        },
        {"type": "string", "maxLength": 5},
        None,
    ],
    ids=["array", "unbounded-string", "optional-key", "pattern", "not-an-object", "none"],
)
def test_schemas_outside_the_plan_keep_the_whole_reply_grammar(schema: object) -> None:
    assert plan(schema) is None  # type: ignore[arg-type]


def test_a_string_ends_at_the_first_sentence_only_when_asked() -> None:
    (field,) = [s for s in plan(OPERATOR, one_sentence=True) or [] if isinstance(s, Field)][1:]
    assert field.finish(' "Costs rise. Users') == ' "Costs rise."'
    assert field.finish(' "Capacity is 134.4 Mbps') is None  # a decimal point is no sentence end
    assert field.finish(' "Done."') == ' "Done."'  # closed by the model itself
    # A loop is cut after its first round.
    assert field.finish(' "Offer 100 Mbps, 100 Mbps, 100 Mbps, ') == ' "Offer 100 Mbps"'
    (free,) = [s for s in plan(OPERATOR) or [] if isinstance(s, Field)][1:]
    assert free.finish(' "Costs rise. Users') is None


def test_a_number_ends_with_the_character_json_puts_after_it() -> None:
    number = next(s for s in plan(OPERATOR) or [] if isinstance(s, Field))
    assert number.consumes == ","
    assert number.finish(" 60") is None and number.finish(" 60,") == " 60,"


def test_a_number_before_the_closing_brace_is_not_ended_by_its_leading_space() -> None:
    schema = {
        "type": "object",
        "properties": {
            "evidence": {"type": "string", "maxLength": 40},
            "confidence": {"type": "number"},
        },
        "required": ["evidence", "confidence"],
        "additionalProperties": False,
    }
    steps = plan(schema)
    assert steps is not None
    number = steps[-2]
    assert isinstance(number, Field) and number.consumes == " "
    assert number.finish(" ") is None  # the optional space is no number
    assert number.finish(" 0.85 ") == " 0.85 " and number.finish("1 ") == "1 "


# --- on the shipped model -----------------------------------------------------------------


@pytest.fixture(scope="module")
def models() -> tuple[LocalChatModel, LocalChatModel]:
    base = ModelOptions(n_ctx=2048, max_tokens=200, temperature=0.2, seed=3)
    grammar = ModelOptions.model_validate(base.model_dump() | {"field_by_field": False})
    return make_local_model("", base), make_local_model("", grammar)


@pytest.mark.integration
@pytest.mark.llm
def test_the_prompt_is_tokenized_as_create_chat_completion_does(
    models: tuple[LocalChatModel, LocalChatModel],
) -> None:
    fast, slow = models
    chat = to_llama_messages(PROMPT, merge_system=False)
    ids = prompt_tokens(fast.llama, chat)
    reply = slow.invoke(PROMPT, response_format={"type": "json_object", "schema": OPERATOR})
    assert ids is not None and reply.usage_metadata is not None
    assert len(ids) == reply.usage_metadata["input_tokens"]


@pytest.mark.integration
@pytest.mark.llm
def test_replies_validate_and_cost_fewer_decode_steps_than_one_grammar(
    models: tuple[LocalChatModel, LocalChatModel],
) -> None:
    fast, slow = models
    model = operator_reply_model("Mbps", 0, 134)
    fmt = {"type": "json_object", "schema": OPERATOR}
    fast_steps = slow_steps = 0
    for seed in range(4):
        a = fast.invoke(PROMPT, response_format=fmt, seed=seed)
        b = slow.invoke(PROMPT, response_format=fmt, seed=seed)
        reply = model.model_validate_json(str(a.content))
        assert reply.unit == "Mbps" and 0 <= reply.value <= 134
        assert a.response_metadata["forced_tokens"] > 10  # keys and "Mbps" were not decoded
        assert a.usage_metadata is not None and b.usage_metadata is not None
        fast_steps += a.usage_metadata["output_tokens"]
        slow_steps += b.usage_metadata["output_tokens"]
    assert fast_steps < slow_steps


@pytest.mark.integration
@pytest.mark.llm
def test_nested_mediator_reply_is_valid_json_with_every_operator(
    models: tuple[LocalChatModel, LocalChatModel],
) -> None:
    fast, _ = models
    reply = fast.invoke(
        [
            SystemMessage("You mediate between the operators cost and qos."),
            HumanMessage("cost proposed 20 Mbps, qos 100 Mbps. Steer both to 60 Mbps."),
        ],
        response_format={"type": "json_object", "schema": MEDIATOR},
    )
    data = json.loads(str(reply.content))
    assert set(data["feedback"]) == {"cost", "qos"} and data["summary"].strip()
    mediator_reply_model(("cost", "qos")).model_validate(data)


@pytest.mark.integration
@pytest.mark.llm
def test_the_arbitral_classifier_reply_ends_with_a_real_number(
    models: tuple[LocalChatModel, LocalChatModel],
) -> None:
    from maestro.agents.arbitral import ArbitralReply, build_messages
    from maestro.agents.arbitral_rules import assess
    from maestro.agents.central_llm import to_langchain

    fast, _ = models
    rules = assess("Let's both keep our bids at 70 and quietly split what is left between us.")
    reply = fast.invoke(
        to_langchain(build_messages(rules)),
        response_format={"type": "json_object", "schema": reply_schema(ArbitralReply)},
    )
    parsed = ArbitralReply.model_validate_json(str(reply.content))  # was `"confidence": }`
    assert 0.0 <= parsed.confidence <= 1.0
