"""Settings from the environment, so a model is chosen the same way everywhere.

Precedence for the model id: explicit argument (CLI flag, Python argument) > MAESTRO_MODEL >
the scenario's `model` > "local".
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import ValidationError

from maestro.agents.providers import ModelOptions

ENV_OPTIONS = {
    "MAESTRO_TEMPERATURE": "temperature",
    "MAESTRO_MAX_TOKENS": "max_tokens",
    "MAESTRO_N_CTX": "n_ctx",
    "MAESTRO_THREADS": "n_threads",
    "MAESTRO_PROMPT_CACHE_MB": "prompt_cache_mb",
    "MAESTRO_CONTEXTS": "contexts_per_model",
    "MAESTRO_TIMEOUT": "timeout_s",
    "MAESTRO_MAX_RETRIES": "max_retries",
    "MAESTRO_OPENAI_STRUCTURED": "openai_structured",
    "OPENAI_BASE_URL": "openai_base_url",
    "OPENAI_API_KEY": "openai_api_key",
}


class SettingsError(ValueError):
    """An environment variable with a value maestro cannot use."""


def model_from_env(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    return env.get("MAESTRO_MODEL") or None


def model_options(seed: int = 0, env: Mapping[str, str] | None = None) -> ModelOptions:
    env = os.environ if env is None else env
    values: dict[str, object] = {"seed": seed}
    for var, field in ENV_OPTIONS.items():
        if env.get(var):
            values[field] = env[var]
    try:
        return ModelOptions.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0])
        var = next((v for v, f in ENV_OPTIONS.items() if f == field), field)
        raise SettingsError(f"environment variable {var}: {err['msg']}") from exc
