"""The one contract between units and chat models: ask for JSON under a schema.

Every provider returns a LangChain chat model. Units never parse free text: they call
`bind_json_schema(model, schema, name)` and get a runnable whose AIMessage content is the
model's JSON text, which the unit then validates with pydantic. Providers that need another
route to a schema (function calling on some servers) implement `bind_json_schema` themselves.

Scripted models answer from the units' numbers rather than from the prompt's words. They say
so with a class attribute `reads_facts = True` and receive the numbers as a `facts=` call
argument; every other model gets only the messages, so the numbers cannot ride along to a
real endpoint in a serialised message.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from maestro.agents.errors import UsageError


class UnknownModelError(UsageError):
    """A model id that names no provider, or a file or package that is not there."""


class ProviderUnavailableError(RuntimeError):
    """The provider's SDK or model file is missing; the message says how to install it."""


class ModelCallError(RuntimeError):
    """A model call failed in a way another attempt at the same prompt cannot fix.

    `kind` says why: "unreachable", "timeout", "auth", "unknown_model", "context_overflow",
    "rate_limited", "server_error", "bad_request" or "failed". Transient faults (timeouts,
    429, 5xx) have already been retried by the provider's client when this is raised. A
    negotiation that meets one ends with status `error`: a reply that never came is not a
    bad reply to fall back from.
    """

    def __init__(self, message: str, kind: str = "failed", status_code: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.status_code = status_code
        self.agent: str | None = None  # set by the unit that made the call
        self.round: int | None = None


def bind_json_schema(
    model: BaseChatModel, schema: dict[str, Any], name: str
) -> Runnable[list[BaseMessage], BaseMessage]:
    custom = getattr(model, "bind_json_schema", None)
    if callable(custom):
        return custom(schema, name)
    return model.bind(response_format={"type": "json_object", "schema": schema})


def reads_facts(model: BaseChatModel) -> bool:
    """Whether the model takes the units' facts as a `facts=` argument (scripted models)."""
    return getattr(type(model), "reads_facts", False) is True
