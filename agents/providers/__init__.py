"""Chat model providers behind one id: local (llama.cpp), openai (compatible), scripted."""

from maestro.agents.providers.base import (
    FACTS_KEY,
    ProviderUnavailableError,
    UnknownModelError,
    bind_json_schema,
    facts_of,
)
from maestro.agents.providers.options import ModelOptions
from maestro.agents.providers.registry import (
    DEFAULT_MODEL_ID,
    ModelId,
    load_chat_model,
    parse_model_id,
)
from maestro.agents.providers.scripted import ScriptedChatModel, replay, scripted_model

__all__ = [
    "DEFAULT_MODEL_ID",
    "FACTS_KEY",
    "ModelId",
    "ModelOptions",
    "ProviderUnavailableError",
    "ScriptedChatModel",
    "UnknownModelError",
    "bind_json_schema",
    "facts_of",
    "load_chat_model",
    "parse_model_id",
    "replay",
    "scripted_model",
]
