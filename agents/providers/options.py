"""Settings every chat model provider understands, gathered in one typed object."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StructuredMethod = Literal["auto", "json_schema", "json_object", "function_calling"]


class ModelOptions(BaseModel):
    """Sampling and connection settings; the CLI and `maestro.settings` fill them in."""

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
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    # How a JSON schema reaches an OpenAI-compatible server: "auto" picks json_schema for
    # api.openai.com and a schema-carrying json_object (which llama.cpp's server turns into a
    # grammar) elsewhere.
    openai_structured: StructuredMethod = "auto"
