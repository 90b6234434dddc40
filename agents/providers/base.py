"""The one contract between units and chat models: ask for JSON under a schema.

Every provider returns a LangChain chat model. Units never parse free text: they call
`bind_json_schema(model, schema, name)` and get a runnable whose AIMessage content is the
model's JSON text, which the unit then validates with pydantic. Providers that need another
route to a schema (function calling on some servers) implement `bind_json_schema` themselves.

Facts for scripted models ride along in `HumanMessage.additional_kwargs["maestro_facts"]`:
real providers send only the message text, so the facts never reach a real LLM, while the
scripted model can answer from the same numbers the prompt shows.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

FACTS_KEY = "maestro_facts"


class UnknownModelError(ValueError):
    """A model id that names no provider, or a file or package that is not there."""


class ProviderUnavailableError(RuntimeError):
    """The provider's SDK or model file is missing; the message says how to install it."""


def bind_json_schema(
    model: BaseChatModel, schema: dict[str, Any], name: str
) -> Runnable[list[BaseMessage], BaseMessage]:
    custom = getattr(model, "bind_json_schema", None)
    if callable(custom):
        return custom(schema, name)
    return model.bind(response_format={"type": "json_object", "schema": schema})


def facts_of(messages: list[BaseMessage]) -> dict[str, Any]:
    """Merge the scripted-model facts carried by the messages (later ones win)."""
    merged: dict[str, Any] = {}
    for message in messages:
        facts = message.additional_kwargs.get(FACTS_KEY)
        if isinstance(facts, dict):
            merged.update(facts)
    return merged
