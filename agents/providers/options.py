"""Settings every chat model provider understands, and how the environment sets them.

`ModelOptions` is the typed object providers take. `EnvSettings` reads the same settings from
environment variables with pydantic-settings (names below); `options_from_env` turns them
into ModelOptions and reports a bad value as one line naming the variable.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from maestro.agents.deadline import DEFAULT_DEADLINE_S
from maestro.agents.errors import UsageError

StructuredMethod = Literal["auto", "json_schema", "json_object", "function_calling"]
# Seconds: finite and bounded, so that `inf` (or 1e308) never reaches a socket's timeout.
MAX_TIMEOUT_S = 86_400.0  # one day per HTTP try
MAX_DEADLINE_S = 7 * 86_400.0  # one week per run


class ModelOptions(BaseModel):
    """Sampling and connection settings; the CLI, the API and the served graph fill them in."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    max_tokens: int = Field(256, ge=16, le=8192)
    n_ctx: int = Field(2048, ge=512, le=131072)
    n_threads: int | None = Field(None, ge=1)
    n_batch: int = Field(512, ge=8)
    # llama.cpp contexts per loaded model, one per agent (1 = all agents share one KV cache)
    contexts_per_model: int = Field(12, ge=1, le=64)
    prompt_cache_mb: int = Field(0, ge=0)  # LlamaRAMCache of KV states; 0 disables
    # Evaluated prompt prefixes kept on disk between processes (see providers.prefix_store)
    prefix_store_mb: int = Field(256, ge=0, le=65536)  # 0 disables
    # JSON replies on llama.cpp written field by field, literals evaluated in batches (see
    # providers.fill_in); False decodes the whole reply under one grammar.
    field_by_field: bool = True
    timeout_s: float = Field(60.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    # The whole run: past it the run ends with status error (see maestro.agents.deadline).
    deadline_s: float = Field(DEFAULT_DEADLINE_S, gt=0, le=MAX_DEADLINE_S, allow_inf_nan=False)
    max_retries: int = Field(2, ge=0, le=10)
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    # How a JSON schema reaches an OpenAI-compatible server: "auto" picks json_schema for
    # api.openai.com and a schema-carrying json_object (which llama.cpp's server turns into a
    # grammar) elsewhere.
    openai_structured: StructuredMethod = "auto"


def _env(name: str) -> Any:
    return Field(None, validation_alias=AliasChoices(name))


class EnvSettings(BaseSettings):
    """The environment variables maestro reads; unset or empty ones keep the defaults."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    model: str | None = _env("MAESTRO_MODEL")
    temperature: float | None = _env("MAESTRO_TEMPERATURE")
    max_tokens: int | None = _env("MAESTRO_MAX_TOKENS")
    n_ctx: int | None = _env("MAESTRO_N_CTX")
    n_threads: int | None = _env("MAESTRO_THREADS")
    prompt_cache_mb: int | None = _env("MAESTRO_PROMPT_CACHE_MB")
    prefix_store_mb: int | None = _env("MAESTRO_PREFIX_STORE_MB")
    contexts_per_model: int | None = _env("MAESTRO_CONTEXTS")
    field_by_field: bool | None = _env("MAESTRO_FIELD_BY_FIELD")
    timeout_s: float | None = _env("MAESTRO_TIMEOUT")
    deadline_s: float | None = _env("MAESTRO_DEADLINE")
    max_retries: int | None = _env("MAESTRO_MAX_RETRIES")
    openai_structured: StructuredMethod | None = _env("MAESTRO_OPENAI_STRUCTURED")
    openai_base_url: str | None = _env("OPENAI_BASE_URL")
    openai_api_key: str | None = _env("OPENAI_API_KEY")


class SettingsError(UsageError):
    """An environment variable with a value maestro cannot use."""


def _describe(exc: ValidationError, fields: dict[str, Any]) -> str:
    err = exc.errors(include_url=False)[0]
    name = str(err["loc"][0]) if err["loc"] else ""
    alias = getattr(fields.get(name), "validation_alias", None)
    if isinstance(alias, AliasChoices):
        name = str(alias.choices[0])
    return f"environment variable {name}: {err['msg']}"


def env_settings() -> EnvSettings:
    """Read the settings from the process environment."""
    try:
        return EnvSettings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc, dict(EnvSettings.model_fields))) from exc


def options_from_env(seed: int = 0) -> ModelOptions:
    """ModelOptions from the environment, with the run's seed."""
    values = env_settings().model_dump(exclude={"model"}, exclude_none=True)
    try:
        return ModelOptions.model_validate({"seed": seed, **values})
    except ValidationError as exc:  # in range for the type, out of range for the option
        raise SettingsError(_describe(exc, dict(EnvSettings.model_fields))) from exc


def with_deadline(options: ModelOptions, seconds: float) -> ModelOptions:
    """The options with a run deadline given as an argument (`--deadline`, `deadline=`)."""
    try:
        return ModelOptions.model_validate(options.model_dump() | {"deadline_s": seconds})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise SettingsError(f"deadline {seconds!r}: {err['msg']} (seconds)") from None


def model_from_env() -> str | None:
    return env_settings().model
