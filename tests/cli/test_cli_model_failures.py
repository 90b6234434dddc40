"""`maestro negotiate --model openai:...` against endpoints that fail, on loopback.

A model that cannot be used ends the run with status `error` and exit code 3, and nothing is
enforced; transient faults (429 with Retry-After, 500) are retried by the client first; an
agreement resting on fallbacks is `degraded`, exit code 4, and enforced only on request.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from maestro.cli import main
from tests.agents.test_providers_openai import free_port
from tests.conftest import BASE_SCENARIO


class FakeOpenAI:
    """A chat-completions endpoint: answers from `script` (a list of (status, headers, body)
    consumed in order, then `then`), and records every request."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.then = "agree"  # "agree": valid replies at 60; "junk": operators reply non-JSON
        self.delay_s = 0.0  # how long each answer takes
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                fake.requests.append(body)
                status, headers, payload = fake.answer(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.script:
            return self.script.pop(0)
        schema = (body.get("response_format") or {}).get("schema") or {}
        props = schema.get("properties", {})
        if "feedback" in props:
            ids = props["feedback"]["required"]
            content = json.dumps({"summary": "Meet at 60.", "feedback": dict.fromkeys(ids, "ok")})
        elif self.then == "junk":
            content = "I cannot say."
        else:
            content = json.dumps({"value": 60, "unit": "Mbps", "reasoning": "fair share"})
        return 200, {}, completion(body.get("model", "m"), content)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def error(status: int, message: str, code: str | None = None) -> tuple[int, dict, dict]:
    return status, {}, {"error": {"message": message, "type": "error", "code": code}}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MAESTRO_MODEL", raising=False)
    yield fake
    fake.close()


@pytest.fixture
def scenario_file(tmp_path: Path) -> str:
    data = copy.deepcopy(BASE_SCENARIO)
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    for spec in [*data["operators"], data["mediator"]]:
        spec["guidance"] = "soft"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def negotiate(
    scenario: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any], str]:
    code = main(["negotiate", scenario, "--model", "openai:x", "--json", "-", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_a_closed_port_ends_the_run_as_an_error(
    scenario_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    code, record, err = negotiate(scenario_file, capsys)
    assert code == 3
    assert record["status"] == "error" and record["agreed"] is False
    assert record["consensus"] is None and record["enforcement"] is None
    assert "cannot be reached" in record["reason"] and "Traceback" not in err
    # Nobody decided anything: every source (llm, fallback, person, regulation, ...) counts 0.
    assert {"llm", "fallback", "hard_guidance"} <= set(record["decisions"])
    assert set(record["decisions"].values()) == {0}
    assert [f["code"] for f in record["flags"]] == ["model_error"]


@pytest.mark.parametrize(
    "failure, words",
    [
        (error(401, "Incorrect API key provided"), "refused the API key"),
        (error(404, "The model `x` does not exist", "model_not_found"), "does not serve"),
        (
            error(
                400, "This model's maximum context length is 2048 tokens", "context_length_exceeded"
            ),
            "exceeds the model's context",
        ),
    ],
)
def test_an_endpoint_that_cannot_be_used_ends_the_run(
    endpoint: FakeOpenAI,
    scenario_file: str,
    capsys: pytest.CaptureFixture[str],
    failure: tuple[int, dict, dict],
    words: str,
) -> None:
    endpoint.script = [failure] * 8
    code, record, _ = negotiate(scenario_file, capsys)
    assert code == 3 and record["status"] == "error" and words in record["reason"]
    assert record["enforcement"] is None and record["rounds"] == []
    assert len(endpoint.requests) <= 2  # not retried: another try cannot fix it


@pytest.mark.parametrize(
    "fault",
    [
        (429, {"Retry-After": "1"}, {"error": {"message": "slow down"}}),
        (500, {}, {"error": {"message": "overloaded"}}),
    ],
)
def test_transient_faults_are_retried_by_the_client(
    endpoint: FakeOpenAI,
    scenario_file: str,
    capsys: pytest.CaptureFixture[str],
    fault: tuple[int, dict, dict],
) -> None:
    endpoint.script = [fault]
    code, record, _ = negotiate(scenario_file, capsys)
    assert code == 0 and record["status"] == "consensus" and record["agreed"]
    assert record["enforcement"]["ok"] and record["decisions"]["fallback"] == 0
    assert record["decisions"]["llm"] == 2  # both operators agreed at once
    # The failed request was sent again: one more request than model calls.
    assert len(endpoint.requests) == record["llm"]["calls"] + 1


def test_an_agreement_of_fallbacks_is_degraded_and_not_enforced(
    endpoint: FakeOpenAI, scenario_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.then = "junk"
    code, record, err = negotiate(scenario_file, capsys)
    assert code == 4 and record["status"] == "degraded" and record["agreed"] is False
    assert record["enforcement"]["applied"] is False and "not enforced" in err
    assert record["decisions"]["fallback"] == 4 and record["decisions"]["llm"] == 1
    assert all(
        p["source"] == "optimizer" for r in record["rounds"] for p in r["proposals"].values()
    )


def test_enforce_fallback_applies_a_degraded_agreement(
    endpoint: FakeOpenAI, scenario_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.then = "junk"
    code, record, _ = negotiate(scenario_file, capsys, "--enforce-fallback")
    assert code == 0 and record["status"] == "degraded"
    assert record["enforcement"]["applied"] and record["enforcement"]["ok"]


def test_the_summary_says_who_decided(
    endpoint: FakeOpenAI, scenario_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.then = "junk"
    assert main(["negotiate", scenario_file, "--model", "openai:x"]) == 4
    err = capsys.readouterr().err
    assert "1 by the LLM, 4 by fallbacks" in err and "degraded" in err
