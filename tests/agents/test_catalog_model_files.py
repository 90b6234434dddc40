"""Errors about model files name the path and the problem, never the file's content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from maestro.agents.providers import UnknownModelError, load_chat_model, resolve_local
from maestro.agents.providers.catalog import check_gguf

SECRET = b"root:$6$s3cr3t-hash:19000:0:99999:7:::\n"


def message(path: str) -> str:
    with pytest.raises(UnknownModelError) as info:
        resolve_local(path)
    return str(info.value)


def test_a_non_gguf_file_is_refused_without_quoting_its_bytes(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_bytes(SECRET)
    text = message(str(shadow))
    assert text == f"{shadow}: not a GGUF model file (llama.cpp needs GGUF)"
    shadow.write_bytes(b"GGUF\x03\x00\x00\x00")  # the magic is what makes it a model
    assert check_gguf(shadow) == shadow
    for fragment in ("root", "b'", "\\x", "s3cr3t"):
        assert fragment not in text.replace(str(shadow), "")


def test_the_same_through_a_model_id(tmp_path: Path) -> None:
    shadow = tmp_path / "passwd.gguf"
    shadow.write_bytes(SECRET)
    with pytest.raises(UnknownModelError) as info:
        load_chat_model(f"local:{shadow}")
    assert "root" not in str(info.value).replace(str(shadow), "")


def test_missing_directory_and_unreadable_files_say_so_in_one_line(tmp_path: Path) -> None:
    assert message(str(tmp_path / "none.gguf")).endswith(": model file not found")
    assert message(str(tmp_path)).endswith(": model path is not a file")
    locked = tmp_path / "locked.gguf"
    locked.write_bytes(SECRET)
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: permissions do not stop reads")
        assert message(str(locked)) == f"{locked}: model file not readable"
    finally:
        locked.chmod(0o600)


@pytest.mark.parametrize(
    "name",
    ["~no-such-user-xyz/model.gguf", "/tmp/" + "x" * 5000 + ".gguf", "/tmp/a\nb.gguf"],
)
def test_odd_paths_are_one_short_line_not_a_crash(name: str) -> None:
    text = message(name)
    assert "\n" not in text and len(text) < 400
    assert "not found" in text
