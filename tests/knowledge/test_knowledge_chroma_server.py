"""The same retrieval against a real `chroma run` server on loopback, via MAESTRO_CHROMA_URL."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from maestro.knowledge import KnowledgeError, open_knowledge
from tests.knowledge.test_knowledge_store import assert_retrieves

pytestmark = pytest.mark.integration


def _chroma_exe() -> str:
    local = Path(sys.executable).with_name("chroma")
    return str(local) if local.exists() else (shutil.which("chroma") or "chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            _chroma_exe(),
            "run",
            "--path",
            str(folder / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"chroma run did not start: {(folder / 'server.log').read_text()[-500:]}"
                )
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_server_retrieval(chroma_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path))  # nothing may land on disk locally
    monkeypatch.setenv("MAESTRO_CHROMA_URL", chroma_url)
    kb = open_knowledge(include_user=False)
    assert kb.location == chroma_url and not kb.ready()
    assert_retrieves(kb)
    assert kb.built and kb.ready()
    assert not (tmp_path / "knowledge" / "chroma").exists()
    hits = kb.search("CBRS category B power", k=2, jurisdiction="US")
    assert hits[0].id == "us-cbrs-power-limits"


def test_unreachable_server_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(KnowledgeError) as info:
        open_knowledge(url=url, include_user=False)
    message = str(info.value)
    assert url in message and "unreachable" in message and "\n" not in message
