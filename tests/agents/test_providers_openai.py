"""The OpenAI-compatible provider against llama-cpp-python's own server on loopback.

A small recording proxy sits between the client and the server, so the tests see the exact
request body the server accepted; the same proxy answers fixed 429/500 errors on demand.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from maestro.agents.providers import (
    ModelOptions,
    ProviderUnavailableError,
    UnknownModelError,
    bind_json_schema,
    load_chat_model,
)
from maestro.agents.providers.catalog import smollm2_path
from maestro.agents.providers.openai_compat import (
    PLACEHOLDER_KEY,
    EndpointError,
    OpenAICompatChatModel,
    make_openai_model,
)
from tests.agents.llm_samples import PROMPT, SCHEMA, Proposal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proxy:
    """Loopback HTTP server: records each request, then forwards it or answers `fail_with`."""

    def __init__(self, upstream: str | None) -> None:
        self.upstream = upstream
        self.fail_with: int | None = None if upstream else 500
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.requests.append(json.loads(body or b"{}"))
                if proxy.fail_with is not None or proxy.upstream is None:
                    status = proxy.fail_with or 500
                    payload = json.dumps({"error": {"message": f"injected {status}"}}).encode()
                else:
                    reply = httpx.post(
                        proxy.upstream + self.path,
                        content=body,
                        headers={"Content-Type": "application/json"},
                        timeout=120,
                    )
                    status, payload = reply.status_code, reply.content
                proxy.statuses.append(status)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(smollm2_path()),
                "--model_alias",
                "local",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                "2",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not become ready in 90 s")
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def proxy(llama_server: str) -> Iterator[Proxy]:
    recorder = Proxy(llama_server)
    yield recorder
    recorder.close()


@pytest.fixture
def failing() -> Iterator[Proxy]:
    recorder = Proxy(None)
    yield recorder
    recorder.close()


def options(base_url: str, **extra: Any) -> ModelOptions:
    settings: dict[str, Any] = {
        "openai_base_url": base_url,
        "max_tokens": 96,
        "seed": 3,
        "temperature": 0.5,
        "max_retries": 0,
        "timeout_s": 120.0,
    }
    return ModelOptions(**(settings | extra))


# --- configuration (no server) ------------------------------------------------------------


def test_api_openai_com_without_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ProviderUnavailableError, match="OPENAI_API_KEY"):
        load_chat_model("openai:gpt-4o-mini")


def test_local_server_gets_a_placeholder_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    model = make_openai_model("local")
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == PLACEHOLDER_KEY
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.resolved_method() == "json_object"
    assert model.extra_body == {"max_tokens": ModelOptions().max_tokens}  # llama.cpp honours it
    assert model.max_tokens is None  # so no max_completion_tokens is sent


def test_openai_host_uses_json_schema_and_max_completion_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    settings = ModelOptions(openai_api_key="sk-test", seed=5, max_tokens=300, max_retries=4)
    model = make_openai_model("gpt-4o-mini", settings)
    assert model.resolved_method() == "json_schema"
    assert model.max_tokens == 300 and model.extra_body is None
    assert model.seed == 5 and model.max_retries == 4


def test_bad_base_url_names_the_setting() -> None:
    with pytest.raises(UnknownModelError, match="OPENAI_BASE_URL"):
        make_openai_model("x", ModelOptions(openai_base_url="localhost:8000"))


# --- against the real server --------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.llm
def test_json_object_method_sends_the_schema_and_plain_max_tokens(proxy: Proxy) -> None:
    model = load_chat_model("openai:local", options(proxy.url, openai_structured="json_object"))
    assert isinstance(model, OpenAICompatChatModel)
    runnable = bind_json_schema(model, SCHEMA, "proposal")
    for _ in range(3):
        Proposal.model_validate_json(str(runnable.invoke(PROMPT).content))
    request = proxy.requests[0]
    assert request["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert request["max_tokens"] == 96 and "max_completion_tokens" not in request
    assert request["model"] == "local" and request["seed"] == 3
    assert request["temperature"] == 0.5
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert proxy.statuses == [200, 200, 200]


@pytest.mark.integration
@pytest.mark.llm
def test_function_calling_method_returns_the_arguments_as_content(proxy: Proxy) -> None:
    model = load_chat_model(
        "openai:local", options(proxy.url, openai_structured="function_calling")
    )
    runnable = bind_json_schema(model, SCHEMA, "proposal")
    for _ in range(3):
        reply = runnable.invoke(PROMPT)
        Proposal.model_validate_json(str(reply.content))
        assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] > 0
    request = proxy.requests[0]
    assert request["tool_choice"] == {"type": "function", "function": {"name": "proposal"}}
    assert request["tools"][0]["function"]["parameters"] == SCHEMA
    assert "response_format" not in request
    assert proxy.statuses == [200, 200, 200]


@pytest.mark.integration
@pytest.mark.llm
def test_json_schema_method_is_refused_by_llama_cpp_server(proxy: Proxy) -> None:
    model = load_chat_model("openai:local", options(proxy.url, openai_structured="json_schema"))
    with pytest.raises(EndpointError) as info:
        bind_json_schema(model, SCHEMA, "proposal").invoke(PROMPT)
    assert info.value.status_code == 500
    assert proxy.requests[0]["response_format"]["json_schema"]["strict"] is False


def test_dead_endpoint_raises_endpoint_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there any more
    model = load_chat_model("openai:local", options(url, timeout_s=2.0))
    with pytest.raises(EndpointError) as info:
        model.invoke(PROMPT)
    assert info.value.status_code is None and info.value.kind == "unreachable"
    assert "Connection" in str(info.value) and url in str(info.value)


@pytest.mark.parametrize("status", [429, 500])
def test_http_errors_raise_endpoint_error_after_the_retries(failing: Proxy, status: int) -> None:
    failing.fail_with = status
    model = load_chat_model("openai:local", options(failing.url, max_retries=1, timeout_s=5.0))
    with pytest.raises(EndpointError) as info:
        bind_json_schema(model, SCHEMA, "proposal").invoke(PROMPT)
    assert info.value.status_code == status
    assert info.value.kind == {429: "rate_limited", 500: "server_error"}[status]
    assert len(failing.requests) == 2  # the first try and one retry
    assert isinstance(info.value.__cause__, Exception)


def test_timeout_raises_endpoint_error(tmp_path: Path) -> None:
    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        model = load_chat_model("openai:local", options(url, timeout_s=0.5))
        with pytest.raises(EndpointError, match="timed out") as info:
            model.invoke(PROMPT)
        assert info.value.kind == "timeout"
    finally:
        silent.close()
