"""Chat model providers behind one id: local (llama.cpp), openai (compatible), scripted.

The OpenAI-compatible names (`EndpointError`, `OpenAICompatChatModel`, `make_openai_model`)
are imported on first use: langchain-openai takes about a second to import.
"""

from typing import Any

from maestro.agents.providers.base import (
    ModelCallError,
    ProviderUnavailableError,
    UnknownModelError,
    bind_json_schema,
    reads_facts,
)
from maestro.agents.providers.catalog import (
    LocalModelSpec,
    ModelEntry,
    cache_dir,
    list_models,
    resolve_local,
)
from maestro.agents.providers.local import (
    ContextOverflowError,
    LocalChatModel,
    clear_model_cache,
    make_local_model,
)
from maestro.agents.providers.options import ModelOptions
from maestro.agents.providers.registry import (
    DEFAULT_MODEL_ID,
    ModelId,
    load_chat_model,
    parse_model_id,
)
from maestro.agents.providers.scripted import ScriptedChatModel, replay, scripted_model

_LAZY = {"EndpointError", "OpenAICompatChatModel", "make_openai_model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from maestro.agents.providers import openai_compat

        return getattr(openai_compat, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MODEL_ID",
    "ContextOverflowError",
    "EndpointError",
    "LocalChatModel",
    "LocalModelSpec",
    "ModelEntry",
    "OpenAICompatChatModel",
    "cache_dir",
    "clear_model_cache",
    "list_models",
    "make_local_model",
    "make_openai_model",
    "resolve_local",
    "ModelCallError",
    "ModelId",
    "ModelOptions",
    "ProviderUnavailableError",
    "ScriptedChatModel",
    "UnknownModelError",
    "bind_json_schema",
    "reads_facts",
    "load_chat_model",
    "parse_model_id",
    "replay",
    "scripted_model",
]
