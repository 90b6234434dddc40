"""Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp's server) as a chat model.

What differs between servers, and how it is handled:
- Token limit: ChatOpenAI sends `max_tokens` as `max_completion_tokens`, which llama.cpp's
  server ignores (a call could then run until the context is full). Away from api.openai.com
  the limit goes in the body as plain `max_tokens` (`extra_body`).
- Structured output (`ModelOptions.openai_structured`): "json_object" sends
  `{"type": "json_object", "schema": ...}` (llama.cpp's server turns it into a grammar);
  "json_schema" sends OpenAI's structured-output form (llama.cpp's server answers HTTP 500);
  "function_calling" forces a call to one tool whose parameters are the schema and turns the
  call's arguments into the reply text; "auto" picks json_schema for api.openai.com and
  json_object elsewhere. Whichever route, the reply is an AIMessage whose content is the JSON.
- Keys: a local server needs no real key, so a placeholder is sent when none is set; only
  api.openai.com without a key is refused up front.

Failures: the openai client retries timeouts, lost connections, HTTP 408/409/429 (after the
server's Retry-After) and 5xx with exponential backoff, `ModelOptions.max_retries` times.
What is left raises `EndpointError` (a `ModelCallError`) whose `kind` names the cause —
unreachable, timeout, auth (401/403), unknown_model (404), context_overflow, rate_limited,
server_error, bad_request — and whose `status_code` is the HTTP status or None; the original
`openai.APIError` is its cause.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import Runnable, RunnableLambda

from maestro.agents.deadline import call_time_left
from maestro.agents.providers.base import (
    ModelCallError,
    ProviderUnavailableError,
)
from maestro.agents.providers.catalog import is_openai_host
from maestro.agents.providers.options import ModelOptions, StructuredMethod
from maestro.agents.providers.registry import openai_endpoint

try:
    import openai
    from langchain_openai import ChatOpenAI
except ImportError as _exc:  # pragma: no cover - langchain-openai is a hard dependency
    raise ProviderUnavailableError(
        f"openai:<model> needs langchain-openai ({_exc}): pip install langchain-openai"
    ) from _exc

PLACEHOLDER_KEY = "sk-no-key-required"


class EndpointError(ModelCallError):
    """The endpoint failed (unreachable, refused the key, unknown model, ...) after retries."""


_CONTEXT_WORDS = re.compile(r"context (length|window|size)|too many tokens|maximum context", re.I)


def _kind(exc: openai.APIError) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "unreachable"
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "unknown_model"
    if status == 429:
        return "rate_limited"
    if isinstance(status, int) and status >= 500:
        return "server_error"
    if _CONTEXT_WORDS.search(str(exc)) or getattr(exc, "code", None) == "context_length_exceeded":
        return "context_overflow"
    return "bad_request" if status == 400 else "failed"


_KIND_TEXT = {
    "timeout": "timed out",
    "unreachable": "cannot be reached",
    "auth": "refused the API key",
    "unknown_model": "does not serve this model (or the base URL lacks its /v1 path)",
    "rate_limited": "kept rate-limiting",
    "server_error": "kept failing with a server error",
    "context_overflow": "says the prompt exceeds the model's context",
    "bad_request": "rejected the request",
    "failed": "failed",
}


def _endpoint_error(exc: openai.APIError, base_url: str | None, model: str) -> EndpointError:
    status = getattr(exc, "status_code", None)
    kind = _kind(exc)
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    where = base_url or "the endpoint"
    http = f" (HTTP {status})" if status else ""
    return EndpointError(
        f"{where} {_KIND_TEXT[kind]}{http} for model '{model}': {detail}",
        kind=kind,
        status_code=status,
    )


def _schema_name(name: str) -> str:
    """OpenAI names allow letters, digits, '_' and '-', up to 64 characters."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")
    return (cleaned or "reply")[:64]


def tool_call_as_content(message: BaseMessage) -> AIMessage:
    """Turn a forced tool call into an AIMessage whose content is the arguments' JSON."""
    if not isinstance(message, AIMessage):
        return AIMessage(content=str(message.content))
    if message.tool_calls:
        content = json.dumps(message.tool_calls[0]["args"])
    elif message.invalid_tool_calls:
        content = message.invalid_tool_calls[0].get("args") or ""
    else:
        content = message.content if isinstance(message.content, str) else ""
    return AIMessage(
        content=content,
        id=message.id,
        usage_metadata=message.usage_metadata,
        response_metadata=dict(message.response_metadata),
    )


class OpenAICompatChatModel(ChatOpenAI):
    """ChatOpenAI that picks the structured-output route per endpoint and wraps failures."""

    structured_method: StructuredMethod = "auto"

    def resolved_method(self) -> str:
        if self.structured_method != "auto":
            return self.structured_method
        return "json_schema" if is_openai_host(self.openai_api_base or "") else "json_object"

    def bind_json_schema(
        self, schema: dict[str, Any], name: str
    ) -> Runnable[list[BaseMessage], BaseMessage]:
        """A runnable whose AIMessage content is JSON text under `schema` (see module doc)."""
        method = self.resolved_method()
        label = _schema_name(name)
        if method == "json_object":
            return self.bind(response_format={"type": "json_object", "schema": schema})
        if method == "json_schema":
            return self.bind(
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": label, "schema": schema, "strict": False},
                }
            )
        tool = {
            "type": "function",
            "function": {
                "name": label,
                "description": f"Return the {name} as the function's arguments.",
                "parameters": schema,
            },
        }
        bound = self.bind_tools([tool], tool_choice=label)
        return bound | RunnableLambda(tool_call_as_content)

    def _bounded(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Within a run's deadline, each HTTP try gets at most the time left (the openai
        client takes `timeout` per request)."""
        configured = self.request_timeout
        default = float(configured) if isinstance(configured, int | float) else None
        left = call_time_left(default)
        return kwargs if left is None or left == default else {**kwargs, "timeout": left}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        kwargs = self._bounded(kwargs)
        try:
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except openai.APIError as exc:
            raise _endpoint_error(exc, self.openai_api_base, self.model_name) from exc

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        kwargs = self._bounded(kwargs)
        try:
            return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except openai.APIError as exc:
            raise _endpoint_error(exc, self.openai_api_base, self.model_name) from exc


def make_openai_model(
    model_name: str, options: ModelOptions | None = None
) -> OpenAICompatChatModel:
    """The chat model for `openai:<model_name>`, configured from options or OPENAI_* vars."""
    options = options or ModelOptions()
    base_url, key = openai_endpoint(model_name, options)
    on_openai = is_openai_host(base_url)
    key = key or PLACEHOLDER_KEY
    limit: dict[str, Any] = (
        {"max_tokens": options.max_tokens}
        if on_openai
        else {"extra_body": {"max_tokens": options.max_tokens}, "use_responses_api": False}
    )
    return OpenAICompatChatModel(
        model=model_name.strip(),
        base_url=base_url,
        api_key=key,
        timeout=options.timeout_s,
        max_retries=options.max_retries,
        temperature=options.temperature,
        seed=options.seed,
        structured_method=options.openai_structured,
        **limit,
    )
