"""Prove the embedded models run on this CPU: each one is loaded in a child process.

A native crash (a llama.cpp build whose code this CPU cannot run, such as ggml's AMX matmul
on some Sapphire-Rapids machines) kills the process that loaded the model. Probing in a
child turns that into a verdict with the signal's name instead of a dead test run or a
negotiation that vanishes mid-round.

`python -m maestro.agents.providers.health MODEL_ID` is the child: it loads the model the
way a negotiation does, generates a few tokens under a JSON grammar, and prints one JSON line.
"""

from __future__ import annotations

import json
import platform
import signal
import subprocess
import sys
import sysconfig
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SHIPPED_MODELS = ("local", "local:gemma-3-270m")
PROBE_TIMEOUT_S = 180.0
# CPU features that decide which of ggml's kernels a native build compiles and runs.
CPU_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)
PROBE_SCHEMA = {
    "type": "object",
    "properties": {"value": {"type": "number"}},
    "required": ["value"],
}


class ModelVerdict(BaseModel):
    """What happened when one model was loaded and asked for a few tokens."""

    model: str
    ok: bool
    verdict: str  # "runs", "crashed (SIGSEGV)", "failed: ...", "timed out"
    load_s: float | None = None
    tokens: int | None = None
    tokens_per_s: float | None = None
    reply: str | None = None
    system_info: str | None = None


def cpu_report() -> dict[str, Any]:
    """The CPU's name and which of the features that matter to ggml it has."""
    name: str | None = None
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = (part.strip() for part in line.partition(":"))
            if key == "model name" and name is None:  # every core repeats it: take the first
                name = value
            elif key in ("flags", "Features") and not flags:
                flags = set(value.split())
    except OSError:
        pass
    name = name or platform.processor() or platform.machine()
    return {"name": name, "features": {flag: flag in flags for flag in CPU_FLAGS}}


def build_report() -> dict[str, Any]:
    """How the installed llama.cpp was built: `./dev` records it beside the environment."""
    record = Path(sysconfig.get_path("data")) / "share" / "maestro" / "llama-build.json"
    try:
        version: str | None = metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        version = None
    try:
        built = json.loads(record.read_text())
    except (OSError, ValueError):
        built = {"cmake_args": None, "note": "not built by ./dev: flags unknown"}
    return {"llama_cpp_python": version, **built}


def amx_compiled(system_info: str | None) -> bool:
    """True when llama.cpp reports its AMX kernels compiled in (the crashing configuration)."""
    return bool(system_info) and "AMX_INT8 = 1" in str(system_info)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def probe(
    model_id: str, timeout_s: float = PROBE_TIMEOUT_S, command: list[str] | None = None
) -> ModelVerdict:
    """Run the child for one model and judge by its exit, never by trusting it survived."""
    command = command or [sys.executable, "-m", "maestro.agents.providers.health", model_id]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return ModelVerdict(model=model_id, ok=False, verdict=f"timed out after {timeout_s:g} s")
    if done.returncode < 0:
        return ModelVerdict(
            model=model_id, ok=False, verdict=f"crashed ({_signal_name(done.returncode)})"
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return ModelVerdict(model=model_id, ok=False, verdict=f"failed: {detail}")
    return ModelVerdict.model_validate_json(lines[-1])


def _child(model_id: str) -> int:
    """Load, generate a few constrained tokens, print one JSON verdict line."""
    from langchain_core.messages import HumanMessage

    from maestro.agents.providers import ModelOptions
    from maestro.agents.providers.local import make_local_model

    started = time.perf_counter()
    model = make_local_model(model_id.partition(":")[2], ModelOptions(max_tokens=16))
    load_s = time.perf_counter() - started
    import llama_cpp

    system_info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
    started = time.perf_counter()
    reply = model.invoke(
        [HumanMessage(content='Reply with JSON like {"value": 7}.')],
        response_format={"type": "json_object", "schema": PROBE_SCHEMA},
    )
    gen_s = time.perf_counter() - started
    tokens = int(reply.usage_metadata["output_tokens"]) if reply.usage_metadata else 0
    verdict = ModelVerdict(
        model=model_id,
        ok=tokens > 0,
        verdict="runs" if tokens > 0 else "generated nothing",
        load_s=round(load_s, 3),
        tokens=tokens,
        tokens_per_s=round(tokens / gen_s, 1) if gen_s > 0 else None,
        reply=str(reply.content)[:80],
        system_info=system_info,
    )
    print(verdict.model_dump_json(), flush=True)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1] if len(sys.argv) > 1 else "local"))
