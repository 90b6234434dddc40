"""The shipped SmolLM2 re-encoded as Q8_0, the form llama.cpp evaluates prompts fastest in.

The package ships SmolLM2 as Q4_1, which llama.cpp's CPU backend multiplies row by row: a
100-token prompt took about as long as 60 single-token decodes (0.95 s on one core). Q8_0
has a tiled matrix kernel and holds a Q4_1 weight almost exactly (8 bits against 4 per
value, one scale per 32 values in both), so the copy evaluates prompts 1.7 times faster;
decoding is about 10 % slower (twice the bytes). It is close to the original, not equal:
97 % of next-token choices and a mean KL divergence of 0.003 over 1,500 tokens of
negotiation prompts. In the two-operator example that was enough to flip a knife-edge
choice (qos kept 100 Mbps in round 2 on 5 of 8 seeds, where the shipped file follows the
optimizer's 60 on every seed), so the copy is opt-in: `local:smollm2-135m-q8`.

The copy is made once with llama.cpp's own quantizer (about 0.5 s) into the model cache and
keyed by the source file, so a changed package makes a new one. Any failure runs the
original file and says so in the log.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)
_lock = threading.Lock()


def copy_path(source: Path, folder: Path) -> Path:
    import llama_cpp

    stat = source.stat()
    ident = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{llama_cpp.__version__}"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:12]
    return folder / f"{source.stem}.Q8_0-{digest}.gguf"


def q8_copy(source: Path, folder: Path) -> Path:
    """The Q8_0 copy of `source` in `folder`, made on first use; `source` if it cannot be."""
    try:
        target = copy_path(source, folder)
    except (OSError, ImportError) as exc:
        log.warning("running %s as shipped: %s", source.name, exc)
        return source
    with _lock:
        if target.is_file():
            return target
        temp = target.with_name(f"{target.name}.part-{os.getpid()}-{threading.get_ident()}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _quantize(source, temp)
            os.replace(temp, target)  # only a finished copy ever has the final name
        except (OSError, RuntimeError) as exc:
            log.warning("running %s as shipped: no Q8_0 copy in %s (%s)", source.name, folder, exc)
            return source
        finally:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
    return target


def _quantize(source: Path, target: Path) -> None:
    import llama_cpp
    import llama_cpp._logger as llama_logger  # llama.cpp's log, routed to Python

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True  # the source is already quantized
    params.nthread = os.cpu_count() or 1
    previous = llama_logger.logger.level
    llama_logger.logger.setLevel(logging.CRITICAL + 1)  # a line per tensor otherwise
    try:
        code = llama_cpp.llama_model_quantize(
            str(source).encode(), str(target).encode(), ctypes.byref(params)
        )
    finally:
        llama_logger.logger.setLevel(previous)
    if code != 0 or not target.is_file():
        raise RuntimeError(f"llama.cpp's quantizer returned {code}")
