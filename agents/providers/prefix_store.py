"""Evaluated prompt prefixes of the embedded model, kept on disk between processes.

Every new process pays for each agent's fixed prompt (system text, scenario, stable unit
lines) once: about 2.5 s of a cold two-operator run on 2 cores. llama.cpp can export a
sequence's KV cache (`llama_state_seq_get_data`) in tens of milliseconds, so the first call
of an agent object looks for the stored state whose tokens share the longest prefix with its
prompt, loads it, and evaluates only the rest. A call that evaluated a long prompt from
scratch stores its state for the next process.

Entries are keyed by the model file (path, size, mtime), llama-cpp-python's version and the
context settings, each one a token file and a state file written atomically; a state that
llama.cpp refuses or a file that does not parse is deleted and ignored, never fatal. The
folder is pruned to a byte budget, oldest first.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MIN_GAIN = 48  # tokens: below this, loading a state is not worth a file read
MIN_SAVE = 96  # tokens evaluated from scratch before a call's state is worth storing


def default_folder() -> Path:
    from maestro.knowledge.documents import data_dir

    return data_dir() / "cache" / "prefixes"


def model_key(path: Path, n_ctx: int, n_batch: int) -> str:
    """What a stored state depends on: the weights, the runtime and the context settings."""
    import llama_cpp

    stat = path.stat()
    ident = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{llama_cpp.__version__}"
    return hashlib.sha256(f"{ident}|{n_ctx}|{n_batch}".encode()).hexdigest()[:16]


def shared_prefix(a: Any, b: Any) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    diff = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
    return int(diff[0]) if diff.size else n


class PrefixStore:
    def __init__(self, folder: Path, key: str, max_bytes: int) -> None:
        self.folder, self.key, self.max_bytes = folder, key, max_bytes
        self._lock = threading.Lock()  # agents of one model restore and save side by side
        self.restored_tokens = 0  # diagnostics for the benchmark and tests
        self.saved = 0

    def _entries(self) -> list[Path]:
        return sorted(self.folder.glob(f"{self.key}-*.tokens.npy"))

    def restore(self, llama: Any, tokens: list[int], cached: int) -> int:
        """Load the stored state sharing the longest prefix with `tokens`, when it beats the
        `cached` tokens the object already shares with them by MIN_GAIN. Returns the tokens
        restored (0: none)."""
        best, best_len = None, cached + MIN_GAIN - 1
        with self._lock:
            for entry in self._entries():
                try:
                    stored = np.load(entry, allow_pickle=False)
                except (OSError, ValueError):
                    self._drop(entry)
                    continue
                length = shared_prefix(stored, tokens)
                if length > best_len:
                    best, best_len = (entry, stored), length
            if best is None:
                return 0
            entry, stored = best
            if not self._load(llama, entry, stored):
                self._drop(entry)
                return 0
            with contextlib.suppress(OSError):
                os.utime(entry)  # recently useful: pruned last
        self.restored_tokens += best_len
        return best_len

    def _load(self, llama: Any, entry: Path, stored: np.ndarray) -> bool:
        import llama_cpp

        try:
            data = _state_of(entry).read_bytes()
        except OSError:
            return False
        memory = llama_cpp.llama_get_memory(llama.ctx)
        llama_cpp.llama_memory_seq_rm(memory, 0, -1, -1)
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if len(data) == 0 or llama_cpp.llama_state_seq_set_data(
            llama.ctx, buffer, len(data), 0
        ) != len(data):
            llama_cpp.llama_memory_seq_rm(memory, 0, -1, -1)
            llama.n_tokens = 0
            log.warning("prefix store: llama.cpp refused %s; dropped", entry.name)
            return False
        llama.input_ids[: stored.size] = stored
        llama.n_tokens = int(stored.size)
        return True

    def save(self, llama: Any) -> None:
        """Store the object's evaluated tokens, unless a stored entry already covers them."""
        import llama_cpp

        tokens = np.array(llama.input_ids[: llama.n_tokens], dtype=np.int32)
        digest = hashlib.sha256(tokens.tobytes()).hexdigest()[:20]
        with self._lock:
            for entry in self._entries():
                with contextlib.suppress(OSError, ValueError):
                    stored = np.load(entry, allow_pickle=False)
                    if shared_prefix(stored, tokens) == tokens.size:
                        return
            size = llama_cpp.llama_state_seq_get_size(llama.ctx, 0)
            buffer = (ctypes.c_uint8 * size)()
            written = llama_cpp.llama_state_seq_get_data(llama.ctx, buffer, size, 0)
            if written <= 0:
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            base = self.folder / f"{self.key}-{digest}"
            # The state first, the tokens last: an entry is visible only once complete.
            _atomic_write(base.with_suffix(".state"), bytes(buffer)[:written])
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".npy", delete=False) as f:
                np.save(f, tokens, allow_pickle=False)
            os.replace(f.name, base.with_suffix(".tokens.npy"))
            self.saved += 1
            self._prune()

    def _prune(self) -> None:
        sizes: dict[Path, int] = {}
        for entry in self._entries():
            with contextlib.suppress(OSError):  # another process may prune at the same time
                sizes[entry] = entry.stat().st_size + _state_of(entry).stat().st_size
        entries = sorted(sizes, key=lambda p: p.stat().st_mtime if p.exists() else 0.0)
        total = sum(sizes.values())
        while entries and total > self.max_bytes:
            oldest = entries.pop(0)
            total -= sizes[oldest]
            self._drop(oldest)

    def _drop(self, entry: Path) -> None:
        for path in (entry, _state_of(entry)):
            with contextlib.suppress(OSError):
                path.unlink()


def _state_of(entry: Path) -> Path:
    return entry.with_name(entry.name.replace(".tokens.npy", ".state"))


def _atomic_write(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as f:
        f.write(data)
    os.replace(f.name, path)
