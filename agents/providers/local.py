"""The embedded model: a LangChain chat model over llama.cpp, in this process.

Why it is shaped this way:
- One `LoadedModel` per (file, n_ctx, chat format) per process, and within it one `Llama`
  per agent (see `LoadedModel`): llama.cpp reuses the longest matching prompt prefix of the
  previous call on the same object, so each agent's fixed system text stays evaluated
  between its turns. Keep prompts prefix-stable (fixed system text first, the round's data
  last). Every object is built through llama-cpp-python's public constructor.
- llama.cpp objects are not thread-safe and LangGraph runs parallel `Send` branches in
  threads, so every call holds the file's lock.
- The seed is passed on every call: without it llama-cpp-python advances its own seed and
  two identical calls differ.
- A JSON schema with a fixed shape (an object of numbers, bounded strings, enums and nested
  objects) is written field by field (see fill_in): keys and constants are evaluated in
  batches and the model decodes only the values, one sentence per string. Other schemas
  reach llama.cpp as `response_format={"type": "json_object", "schema": ...}`,
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
import functools
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
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

from maestro.agents.providers import batch_copy, fill_in, prefix_store
from maestro.agents.providers.base import ProviderUnavailableError, UnknownModelError
from maestro.agents.providers.catalog import (
    SMOLLM2_Q8_ID,
    LocalModelSpec,
    cache_dir,
    resolve_local,
)
from maestro.agents.providers.options import ModelOptions

log = logging.getLogger(__name__)
LLAMA_PIP = "pip install llama-cpp-python"
CORES = os.cpu_count() or 1


class ContextOverflowError(ValueError):
    """The prompt does not fit the model's context window (n_ctx); nothing was generated."""


@dataclass
class CallStats:
    """Where a model's time went, summed over calls: llama.cpp's own counters."""

    calls: int = 0
    prompt_tokens: int = 0  # tokens in the prompts as sent
    evaluated_tokens: int = 0  # prompt tokens llama.cpp actually evaluated (not reused)
    prompt_eval_s: float = 0.0
    generated_tokens: int = 0
    generation_s: float = 0.0  # decoding and sampling, grammar included
    forced_tokens: int = 0  # JSON literals evaluated in batches, not generated (see fill_in)
    restored_tokens: int = 0  # prompt tokens loaded from the prefix store, not evaluated
    contexts_loaded: int = 0
    handovers: int = 0  # an agent took over another's object (capacity reached)


@dataclass
class AgentSlot:
    """One agent's llama.cpp object; a call at a time, never closed while a turn holds it."""

    llama: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


@dataclass
class LoadedModel:
    """One GGUF file and a llama.cpp object per agent, all loaded from the same mapped file.

    llama.cpp reuses a prompt prefix only against the previous call on the same object, and
    agents take turns: with one object per agent (known by its system prompt), each agent's
    fixed prefix stays evaluated between its turns. The weights are memory-mapped, so the
    extra objects cost their KV cache, not another copy of the model. Up to `capacity`
    objects are kept; past that, a new agent takes over the least recently used idle one
    (capacity 1 is the old behaviour: every agent shares one KV cache).

    Agents whose turns overlap (the operators of a round) compute in parallel, one core each:
    a small model's decode is too short to spread over cores, so two single-threaded calls
    beat two two-threaded calls in a row. A call that runs alone evaluates its prompt on
    every core. With `n_threads` set, every call uses that many and fewer run at once.
    """

    spec: LocalModelSpec
    options: ModelOptions
    capacity: int
    lock: threading.Lock = field(default_factory=threading.Lock)  # guards the table, not compute
    prefill_lock: threading.Lock = field(default_factory=threading.Lock)  # a wide prompt chunk
    stats: CallStats = field(default_factory=CallStats)
    _agents: OrderedDict[str, AgentSlot] = field(default_factory=OrderedDict)
    _active: int = 0  # calls in a turn

    def __post_init__(self) -> None:
        self._compute = threading.Semaphore(max(1, CORES // (self.options.n_threads or 1)))
        self.prefixes: prefix_store.PrefixStore | None = None
        if self.options.prefix_store_mb > 0 and self.spec.path.is_file():
            try:
                key = prefix_store.model_key(
                    self.spec.path, self.options.n_ctx, self.options.n_batch
                )
            except (ImportError, OSError):  # `load` says what is missing
                return
            self.prefixes = prefix_store.PrefixStore(
                prefix_store.default_folder(), key, self.options.prefix_store_mb << 20
            )

    def load(self) -> Any:
        """A fresh llama.cpp object on this file."""
        llama_class = _llama_class()
        try:
            with _quiet_load():
                llama = llama_class(
                    model_path=str(self.spec.path),
                    n_ctx=self.options.n_ctx,
                    n_batch=self.options.n_batch,
                    n_threads=self.options.n_threads or 1,
                    n_threads_batch=self.options.n_threads or CORES,
                    seed=self.options.seed,
                    chat_format=self.spec.chat_format,
                    verbose=True,  # see _quiet_load: quiet without redirecting fds
                )
                llama.verbose = False
        except (ValueError, RuntimeError, OSError) as exc:
            raise UnknownModelError(f"llama.cpp could not load {self.spec.path}: {exc}") from exc
        if self.options.prompt_cache_mb > 0:
            from llama_cpp import LlamaRAMCache

            llama.set_cache(LlamaRAMCache(capacity_bytes=self.options.prompt_cache_mb << 20))
        self.stats.contexts_loaded += 1
        return llama

    def _slot(self, key: str) -> AgentSlot:
        """This agent's slot, loaded on first use (callers hold `lock`)."""
        if key in self._agents:
            self._agents.move_to_end(key)
            return self._agents[key]
        if len(self._agents) >= self.capacity:
            # Hand the least recently used idle object over: its KV cache is lost (the next
            # prompt re-evaluates), but nothing is loaded again. All busy: exceed for a while.
            idle = next((k for k, slot in self._agents.items() if slot.users == 0), None)
            if idle is not None:
                slot = self._agents.pop(idle)
                self._agents[key] = slot
                self.stats.handovers += 1
                return slot
        slot = AgentSlot(self.load())
        self._agents[key] = slot
        return slot

    def for_agent(self, key: str) -> Any:
        """The llama.cpp object that holds this agent's KV cache."""
        with self.lock:
            return self._slot(key).llama

    @contextlib.contextmanager
    def turn(self, key: str) -> Iterator[Any]:
        """Hold this agent's object for one call, with threads for the calls running now."""
        with self.lock:
            slot = self._slot(key)
            slot.users += 1
        try:
            with slot.lock, self._compute:
                with self.lock:
                    self._active += 1
                    active = self._active
                self._set_threads(slot.llama, active)
                try:
                    yield slot.llama
                finally:
                    with self.lock:
                        self._active -= 1
        finally:
            with self.lock:
                slot.users -= 1

    @contextlib.contextmanager
    def prefill(self, llama: Any) -> Iterator[None]:
        """Evaluate one chunk of a prompt (see top_first.evaluate_from_cache) on the cores no
        other agent in a turn holds. Never more threads than free cores: llama.cpp's threads
        spin at every layer's barrier, and one of them sharing a core with another agent's
        work made a 100-token prompt take seconds instead of a fraction of one. Agents whose
        turns overlap evaluate side by side on one core each (two single-threaded prompts ran
        as fast as one alone here); an agent alone takes every core, re-decided at each chunk,
        so the others that join get a core within one chunk. A chunk on several cores holds
        `prefill_lock`, which a single-threaded chunk waits for before it starts."""
        self.prefill_lock.acquire()
        held = True
        try:
            with self.lock:
                others = self._active - 1
            free = max(1, CORES - others - runnable_elsewhere(1 + others))
            threads = self.options.n_threads or free
            if threads <= 1:
                self.prefill_lock.release()
                held = False
            self._set_threads(llama, self._active, batch=threads)
            yield
        finally:
            self._set_threads(llama, self._active)
            if held:
                self.prefill_lock.release()

    def _set_threads(self, llama: Any, active: int, batch: int | None = None) -> None:
        fixed = self.options.n_threads
        ctx = _native_context(llama)
        if ctx is not None:
            import llama_cpp

            share = fixed or max(1, CORES // max(active, 1))
            llama_cpp.llama_set_n_threads(ctx, fixed or 1, batch or share)

    def record(
        self,
        prompt: int,
        evaluated: int,
        prompt_s: float,
        gen: int,
        gen_s: float,
        forced: int,
        restored: int = 0,
    ) -> None:
        with self.lock:
            self.stats.forced_tokens += forced
            self.stats.restored_tokens += restored
            self.stats.calls += 1
            self.stats.prompt_tokens += prompt
            self.stats.evaluated_tokens += evaluated
            self.stats.prompt_eval_s += prompt_s
            self.stats.generated_tokens += gen
            self.stats.generation_s += gen_s

    @property
    def agents(self) -> int:
        return len(self._agents)

    def close(self, wait_s: float = 120.0) -> None:
        """Free every object. One still in a turn (a call abandoned at a run's deadline keeps
        decoding in its thread) is freed once that call ends: freeing it under a running
        decode, or exiting the process during one, crashes. The wait is outside `lock`,
        which the ending turn needs."""
        with self.lock:
            slots = list(self._agents.values())
            self._agents.clear()
        for slot in slots:
            if slot.lock.acquire(timeout=wait_s):
                try:
                    with contextlib.suppress(Exception):
                        slot.llama.close()
                finally:
                    slot.lock.release()


_loaded: dict[tuple[str, int, str | None], LoadedModel] = {}
_loaded_lock = threading.Lock()


def _llama_class() -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ProviderUnavailableError(
            f"local models need llama-cpp-python ({exc}): {LLAMA_PIP}"
        ) from exc
    return Llama


_load_lock = threading.Lock()


def _silent_print(*args: Any, **kwargs: Any) -> None:
    """Stands in for `print` inside llama-cpp-python's module while a model loads."""


@contextlib.contextmanager
def _quiet_load() -> Iterator[None]:
    """Load quietly without touching the process's file descriptors.

    `Llama(verbose=False)` silences loading by pointing file descriptors 1 and 2 at
    /dev/null while it runs, which swallows whatever other threads print meanwhile (an agent
    loading while the CLI printed the record lost the record) and, with two loads at once,
    can leave them pointing there. So models load with `verbose=True` (callers then reset
    `llama.verbose`), the module's own prints are shadowed, and llama.cpp's log, which
    llama-cpp-python routes through a Python logger, is silenced: that also covers notices
    printed below its ERROR filter, like Gemma's sliding-window one at level NONE. One
    load at a time, since this swaps module globals.
    """
    import llama_cpp._logger as llama_logger
    import llama_cpp.llama as llama_module

    with _load_lock:
        original = llama_module.set_verbose
        previous = llama_logger.logger.level

        def quiet(verbose: bool) -> None:
            llama_logger.logger.setLevel(logging.CRITICAL + 1)

        llama_module.set_verbose = quiet
        llama_module.print = _silent_print  # type: ignore[attr-defined]
        try:
            yield
        finally:
            llama_module.set_verbose = original
            del llama_module.print  # type: ignore[attr-defined]
            llama_logger.logger.setLevel(max(previous, logging.ERROR))


def loaded_model(spec: LocalModelSpec, options: ModelOptions) -> LoadedModel:
    """The per-process entry for (path, n_ctx, chat_format); the first one loads the file.

    n_batch, n_threads, the construction seed and the capacity come from the first caller.
    Loading once up front turns a missing or broken file into an error before any turn.
    """
    key = (str(spec.path), options.n_ctx, spec.chat_format)
    with _loaded_lock:
        entry = _loaded.get(key)
        if entry is None:
            entry = LoadedModel(spec, options, options.contexts_per_model)
            entry.for_agent("")
            _loaded[key] = entry
        return entry


def model_counters() -> dict[str, float]:
    """llama.cpp's counters (CallStats) summed over every model loaded in this process."""
    total: dict[str, float] = {}
    with _loaded_lock:
        entries = list(_loaded.values())
    for entry in entries:
        for key, value in asdict(entry.stats).items():
            total[key] = total.get(key, 0) + value
    return total


def clear_model_cache() -> int:
    """Forget every loaded model (they are freed once no chat model holds them)."""
    with _loaded_lock:
        count = len(_loaded)
        _loaded.clear()
    return count


def agent_key(messages: list[BaseMessage]) -> str:
    """Which agent is speaking: its system prompt, fixed for the agent during a run.

    Taken before Gemma's system text is folded into the user turn, so a round's text never
    makes a new key.
    """
    system = "\n".join(_text(m) for m in messages if _role(m) == "system")
    return hashlib.sha1(system.encode("utf-8")).hexdigest() if system else ""


@atexit.register
def _close_models() -> None:
    """Free llama.cpp objects before interpreter teardown: left to `__del__` at exit they
    run after their module globals are gone and print a spurious traceback."""
    with _loaded_lock:
        for entry in _loaded.values():
            entry.close()
        _loaded.clear()


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
    # Write JSON replies field by field (see fill_in); False: one grammar for the whole reply.
    field_by_field: bool = True
    _model: LoadedModel = PrivateAttr()

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
    def loaded(self) -> LoadedModel:
        """The file's shared entry: one per (file, n_ctx, chat format) per process."""
        return self._model

    @property
    def llama(self) -> Any:
        """The `llama_cpp.Llama` used for prompts without a system message (tokenizer etc.)."""
        return self._model.for_agent("")

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
        entry = self._model
        steps = (
            fill_in.plan((response_format or {}).get("schema"), one_sentence=True)
            if self.field_by_field
            else None
        )
        forced = 0
        with entry.turn(agent_key(messages)) as llama:
            # Timed inside the turn: waiting for another agent's turn is not model time.
            started = time.perf_counter()
            perf_reset(llama)
            prompt_ids = fill_in.prompt_tokens(llama, chat) if steps else None
            try:
                if steps and prompt_ids is not None:
                    result, forced = self._fill(llama, prompt_ids, steps, params)
                else:
                    result = llama.create_chat_completion(messages=chat, **params)
            except ValueError as exc:
                if "exceed context window" not in str(exc):
                    raise
                raise ContextOverflowError(
                    f"{self.model_id}: the prompt does not fit the context window ({exc}); "
                    "shorten the prompt or raise n_ctx"
                ) from exc
            compute_s = time.perf_counter() - started
            perf = perf_read(llama)
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens", 0))
        completion_tokens = int(usage.get("completion_tokens", 0))
        restored = int(result.get("restored_tokens", 0))
        entry.record(
            prompt_tokens,
            perf["evaluated_tokens"],
            perf["prompt_eval_s"],
            completion_tokens,
            max(compute_s - perf["prompt_eval_s"], 0.0),
            forced,
            restored,
        )
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
                "reused_tokens": prompt_tokens + forced - perf["evaluated_tokens"],
                "prompt_eval_s": perf["prompt_eval_s"],
                "forced_tokens": forced,
                "restored_tokens": restored,
            },
        )
        return ChatResult(
            generations=[ChatGeneration(message=message)],
            llm_output={"model_name": self.model_id},
        )

    def _fill(
        self, llama: Any, prompt_ids: list[int], steps: list[fill_in.Step], params: dict[str, Any]
    ) -> tuple[dict[str, Any], int]:
        """The reply written field by field (see fill_in), shaped like a chat completion."""
        room = llama.n_ctx() - len(prompt_ids)
        if room <= 0:  # the same words as llama.cpp's own check, which the caller matches
            raise ValueError(
                f"Requested tokens ({len(prompt_ids)}) exceed context window of {llama.n_ctx()}"
            )
        if params["seed"] is not None:
            llama.set_seed(params["seed"])
        sample = {"temp": params["temperature"], "top_k": 40, "top_p": 0.95, "min_p": 0.05}
        budget = min(params["max_tokens"], room)
        prefill = functools.partial(self._model.prefill, llama)
        store = self._model.prefixes
        cached = prefix_store.shared_prefix(llama.input_ids[: llama.n_tokens], prompt_ids)
        restored = _restore(store, llama, prompt_ids, cached)
        out = fill_in.fill(
            llama, prompt_ids, steps, _grammar, sample, budget, prefill, params["seed"]
        )
        fresh = len(prompt_ids) - max(cached, restored)
        if store is not None and cached < len(prompt_ids) // 2 and fresh >= prefix_store.MIN_SAVE:
            _save(store, llama)  # an agent's first turn in this process: keep it for the next
        result = {
            "choices": [
                {
                    "message": {"role": "assistant", "content": out.text},
                    "finish_reason": "stop" if out.finished else "length",
                }
            ],
            "usage": {"prompt_tokens": len(prompt_ids), "completion_tokens": out.generated_tokens},
            "restored_tokens": restored,
        }
        return result, out.forced_tokens


def _restore(
    store: prefix_store.PrefixStore | None, llama: Any, prompt_ids: list[int], cached: int
) -> int:
    if store is None or not fill_in.top_first.supported(llama):
        return 0
    try:
        return store.restore(llama, prompt_ids, cached)
    except OSError as exc:  # a cache, never a reason to fail a call
        log.warning("prefix store unreadable (%s); evaluating the prompt", exc)
        return 0


def _save(store: prefix_store.PrefixStore, llama: Any) -> None:
    try:
        store.save(llama)
    except OSError as exc:
        log.warning("prefix store not written (%s)", exc)


def runnable_elsewhere(ours: int) -> int:
    """Threads ready to run right now besides our `ours` computing ones: other programs,
    the test suite's servers. Linux counts them in /proc/loadavg's fourth field ("3/812");
    elsewhere nothing is known and 0 is assumed."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return 0
    return max(0, running - ours)


def _native_context(llama: Any) -> Any:
    """The llama.cpp context pointer, only for a real `Llama` (never hand NULL to C)."""
    import llama_cpp

    return llama.ctx if isinstance(llama, llama_cpp.Llama) and llama.ctx else None


def perf_reset(llama: Any) -> None:
    with contextlib.suppress(Exception):  # counters are diagnostics, never a reason to fail
        import llama_cpp

        ctx = _native_context(llama)
        if ctx is not None:
            llama_cpp.llama_perf_context_reset(ctx)


def perf_read(llama: Any) -> dict[str, Any]:
    """Prompt tokens llama.cpp evaluated in batches since the reset, and the time it took.

    The prompt's first decode is a batch; generation decodes one token at a time, counted
    apart (n_eval), so n_p_eval is the part of the prompt that was not reused.
    """
    try:
        import llama_cpp

        ctx = _native_context(llama)
        if ctx is None:
            return {"evaluated_tokens": 0, "prompt_eval_s": 0.0}
        data = llama_cpp.llama_perf_context(ctx)
        return {"evaluated_tokens": int(data.n_p_eval), "prompt_eval_s": data.t_p_eval_ms / 1000}
    except Exception:
        return {"evaluated_tokens": 0, "prompt_eval_s": 0.0}


def make_local_model(name: str, options: ModelOptions | None = None) -> LocalChatModel:
    """The chat model for `local` / `local:<alias or path.gguf>`; loads the file once."""
    options = options or ModelOptions()
    spec = _runnable(resolve_local(name))
    entry = loaded_model(spec, options)
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
        field_by_field=options.field_by_field,
    )
    model._model = entry
    return model


def _runnable(spec: LocalModelSpec) -> LocalModelSpec:
    """`local:smollm2-135m-q8` runs from the shipped file's Q8_0 copy (see batch_copy)."""
    if spec.id != f"local:{SMOLLM2_Q8_ID}":
        return spec
    return spec.model_copy(update={"path": batch_copy.q8_copy(spec.path, cache_dir())})


@functools.lru_cache(maxsize=64)
def _grammar(gbnf: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)
