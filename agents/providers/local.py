"""The embedded model: a LangChain chat model over llama.cpp, in this process.

Why it is shaped this way:
- One `Llama` per (file, n_ctx, chat format) per process, shared by every agent that names
  it: loading is cheap, but each object holds its own KV cache, and llama.cpp reuses the
  longest matching prompt prefix of the previous call on the same object for free. Keep
  prompts prefix-stable (fixed system text first, the round's data last).
- llama.cpp objects are not thread-safe and LangGraph runs parallel `Send` branches in
  threads, so every call on a shared `Llama` holds that object's lock.
- The seed is passed on every call: without it llama-cpp-python advances its own seed and
  two identical calls differ.
- A JSON schema reaches llama.cpp as `response_format={"type": "json_object", "schema": ...}`,
  which it compiles into a grammar (constrained decoding). OpenAI's `json_schema` form is
  translated, because llama.cpp ignores it in-process. Bound every free string in the schema
  (`maxLength` or `pattern`); number ranges are not enforced by the grammar.
- Gemma 3 270M is a base model without a chat template; its `gemma` format drops system
  messages, so their text is merged into the first user turn. Expect valid JSON under a
  schema but weak answers: it is there for plumbing, not judgement.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from maestro.agents.providers.base import ProviderUnavailableError, UnknownModelError
from maestro.agents.providers.catalog import LocalModelSpec, resolve_local
from maestro.agents.providers.llama_contexts import ContextPool
from maestro.agents.providers.options import ModelOptions

LLAMA_PIP = "pip install llama-cpp-python"


class ContextOverflowError(ValueError):
    """The prompt does not fit the model's context window (n_ctx); nothing was generated."""


@dataclass
class SharedLlama:
    """A loaded model and the lock that serialises calls on it."""

    llama: Any
    path: str
    n_ctx: int
    chat_format: str | None
    contexts: ContextPool
    lock: threading.Lock = field(default_factory=threading.Lock)


_loaded: dict[tuple[str, int, str | None], SharedLlama] = {}
_loaded_lock = threading.Lock()


def _llama_class() -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ProviderUnavailableError(
            f"local models need llama-cpp-python ({exc}): {LLAMA_PIP}"
        ) from exc
    return Llama


@contextlib.contextmanager
def _quiet_load() -> Iterator[None]:
    """Silence llama.cpp's load-time notices that pass its ERROR filter even with verbose=False.

    Gemma's sliding-window cache prints one at level NONE; llama-cpp-python resets its log
    level inside `Llama()`, so the reset is replaced for the duration of the (locked) load.
    """
    import llama_cpp._logger as llama_logger
    import llama_cpp.llama as llama_module

    original = getattr(llama_module, "set_verbose", None)
    if original is None:  # a future llama-cpp-python: keep its behaviour
        yield
        return
    previous = llama_logger.logger.level

    def quiet(verbose: bool) -> None:
        llama_logger.logger.setLevel(logging.DEBUG if verbose else logging.CRITICAL + 1)

    llama_module.set_verbose = quiet
    try:
        yield
    finally:
        llama_module.set_verbose = original
        llama_logger.logger.setLevel(max(previous, logging.ERROR))


def shared_llama(spec: LocalModelSpec, options: ModelOptions) -> SharedLlama:
    """Load the GGUF once per (path, n_ctx, chat_format); later callers get the same object.

    n_batch, n_threads and the construction seed come from the first caller's options.
    """
    key = (str(spec.path), options.n_ctx, spec.chat_format)
    with _loaded_lock:
        shared = _loaded.get(key)
        if shared is not None:
            return shared
        llama_class = _llama_class()
        try:
            with _quiet_load():
                llama = llama_class(
                    model_path=str(spec.path),
                    n_ctx=options.n_ctx,
                    n_batch=options.n_batch,
                    n_threads=options.n_threads,
                    seed=options.seed,
                    chat_format=spec.chat_format,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise UnknownModelError(f"llama.cpp could not load {spec.path}: {exc}") from exc
        if options.prompt_cache_mb > 0:
            # Agents alternate on one Llama, so the previous call's prefix rarely matches:
            # keep each prompt's KV state and restore the longest matching one (a SmolLM2
            # state is ~5 MB; restoring it beats re-prefilling a few hundred tokens).
            from llama_cpp import LlamaRAMCache

            llama.set_cache(LlamaRAMCache(capacity_bytes=options.prompt_cache_mb << 20))
        pool = ContextPool(llama, options.contexts_per_model)
        shared = SharedLlama(llama, str(spec.path), options.n_ctx, spec.chat_format, pool)
        _loaded[key] = shared
        return shared


@atexit.register
def _close_models() -> None:
    """Free llama.cpp objects before interpreter teardown: left to `__del__` at exit they
    run after their module globals are gone and print a spurious traceback."""
    with _loaded_lock:
        for shared in _loaded.values():
            with contextlib.suppress(Exception):
                shared.contexts.close()
                shared.llama.close()
        _loaded.clear()


def clear_model_cache() -> int:
    """Forget every loaded model (they are freed once no chat model holds them)."""
    with _loaded_lock:
        count = len(_loaded)
        _loaded.clear()
    return count


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ChatMessage) and message.role in ("system", "user", "assistant"):
        return message.role
    if isinstance(message, HumanMessage | ToolMessage | ChatMessage):
        return "user"
    return "user"


def to_llama_messages(messages: list[BaseMessage], merge_system: bool) -> list[dict[str, str]]:
    """LangChain messages -> llama.cpp dicts; with merge_system, system text joins the user."""
    converted = [{"role": _role(m), "content": _text(m)} for m in messages]
    if not merge_system:
        return converted
    system = "\n\n".join(m["content"] for m in converted if m["role"] == "system" and m["content"])
    rest = [m for m in converted if m["role"] != "system"]
    if not system:
        return rest
    for message in rest:
        if message["role"] == "user":
            message["content"] = f"{system}\n\n{message['content']}"
            return rest
    return [{"role": "user", "content": system}, *rest]


def llama_response_format(response_format: Any) -> dict[str, Any] | None:
    """The form llama.cpp compiles into a grammar; OpenAI's json_schema form is translated."""
    if response_format is None:
        return None
    if not isinstance(response_format, dict) or "type" not in response_format:
        raise ValueError(f"response_format must be a dict with a 'type', got {response_format!r}")
    kind = response_format["type"]
    if kind == "text":
        return None
    if kind == "json_object":
        return response_format
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return {"type": "json_object", **({"schema": schema} if schema else {})}
    raise ValueError(f"response_format type '{kind}' is not supported by llama.cpp")


class LocalChatModel(BaseChatModel):
    """A chat model over a shared in-process llama.cpp model (see the module docstring)."""

    model_id: str
    model_path: str
    chat_format: str | None = None
    merge_system: bool = False
    n_ctx: int = 4096
    seed: int = 0
    temperature: float = 0.2
    max_tokens: int = 256
    note: str = ""
    _shared: SharedLlama = PrivateAttr()

    @property
    def _llm_type(self) -> str:
        return "maestro-llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "chat_format": self.chat_format,
        }

    @property
    def llama(self) -> Any:
        """The shared `llama_cpp.Llama` object (the same one for every model on this file)."""
        return self._shared.llama

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        params: dict[str, Any] = {
            "temperature": kwargs.get("temperature", self.temperature),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "seed": kwargs.get("seed", self.seed),
            "stop": list(stop or []),
        }
        response_format = llama_response_format(kwargs.get("response_format"))
        if response_format is not None:
            params["response_format"] = response_format
        chat = to_llama_messages(messages, self.merge_system)
        shared = self._shared
        with shared.lock:
            started = (
                time.perf_counter()
            )  # inside the lock: waiting for another agent is not model time
            # Each agent (known by its system prompt) gets its own KV cache on the shared model.
            llama = shared.contexts.get(chat[0]["content"] if chat else "")
            try:
                result = llama.create_chat_completion(messages=chat, **params)
            except ValueError as exc:
                if "exceed context window" not in str(exc):
                    raise
                raise ContextOverflowError(
                    f"{self.model_id}: the prompt does not fit the context window ({exc}); "
                    "shorten the prompt or raise n_ctx"
                ) from exc
            compute_s = time.perf_counter() - started
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens", 0))
        completion_tokens = int(usage.get("completion_tokens", 0))
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata={
                "input_tokens": prompt_tokens,
                "output_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            response_metadata={
                "model_name": self.model_id,
                "model_path": self.model_path,
                "finish_reason": choice.get("finish_reason"),
                "compute_s": compute_s,
            },
        )
        return ChatResult(
            generations=[ChatGeneration(message=message)],
            llm_output={"model_name": self.model_id},
        )


def make_local_model(name: str, options: ModelOptions | None = None) -> LocalChatModel:
    """The chat model for `local` / `local:<alias or path.gguf>`; loads the file once."""
    options = options or ModelOptions()
    spec = resolve_local(name)
    shared = shared_llama(spec, options)
    model = LocalChatModel(
        model_id=spec.id,
        model_path=str(spec.path),
        chat_format=spec.chat_format,
        merge_system=spec.merge_system,
        n_ctx=options.n_ctx,
        seed=options.seed,
        temperature=options.temperature,
        max_tokens=options.max_tokens,
        note=spec.note,
    )
    model._shared = shared
    return model
