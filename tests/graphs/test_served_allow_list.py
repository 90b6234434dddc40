"""The served graph loads only the model ids its server allows (MAESTRO_ALLOWED_MODELS, by
default the shipped and scripted models): a caller naming a file on the server as a
`local:` model gets an `error` record whose reason names the id and nothing from the file,
and the file is never opened."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_SCENARIO
from tests.graphs.test_langgraph_entry import served_graph

SECRET = "TOP-SECRET-CONTENT 4242"


@dataclass
class Secret:
    path: Path
    opened: list[str]  # every time the file was opened or looked at


@pytest.fixture
def secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Secret:
    secret = Secret(tmp_path / "notes.gguf", [])
    secret.path.write_text(SECRET, encoding="utf-8")
    for name in ("open", "exists", "is_file", "stat"):
        real = getattr(Path, name)

        def spy(self: Path, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            if self.name == secret.path.name:
                secret.opened.append(str(self))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Path, name, spy)
    monkeypatch.delenv("MAESTRO_ALLOWED_MODELS", raising=False)
    monkeypatch.delenv("MAESTRO_MODEL", raising=False)
    return secret


def network_scenario(model: str | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE_SCENARIO)
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    if model:
        data["model"] = model
    return data


def assert_refused(record: dict[str, Any], model_id: str, secret_file: Secret) -> None:
    assert record["status"] == "error" and record["agreed"] is False
    assert record["enforcement"] is None and record["rounds"] == []
    assert f"model '{model_id}' is not allowed here" in record["reason"]
    assert record["reason"].startswith("model refused: ")
    assert SECRET not in json.dumps(record) and "4242" not in record["reason"]
    assert secret_file.opened == []
    assert record["llm"]["calls"] == 0


def test_a_file_path_in_the_scenario_is_refused_unread(secret_file: Secret) -> None:
    model_id = f"local:{secret_file.path}"
    record = served_graph().invoke({"scenario": network_scenario(model_id)})["record"]
    assert_refused(record, model_id, secret_file)


def test_a_file_path_in_the_context_or_an_agent_is_refused(secret_file: Secret) -> None:
    folder = secret_file.path.parent
    model_id = f"local:{folder}/../{folder.name}/{secret_file.path.name}"
    graph = served_graph()
    record = graph.invoke({"scenario": network_scenario()}, context={"model": model_id})["record"]
    assert_refused(record, model_id, secret_file)
    scenario = network_scenario()
    scenario["operators"][1]["model"] = model_id  # one agent's own model
    record = graph.invoke({"scenario": scenario})["record"]
    assert_refused(record, model_id, secret_file)


def test_the_server_sets_the_list(secret_file: Secret, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = served_graph()
    monkeypatch.setenv("MAESTRO_ALLOWED_MODELS", "scripted:optimizer")
    record = graph.invoke({"scenario": network_scenario("scripted:stubborn")})["record"]
    assert record["status"] == "error" and "scripted:stubborn" in record["reason"]
    record = graph.invoke({"scenario": network_scenario("scripted:optimizer")})["record"]
    assert record["status"] == "consensus" and record["enforcement"]["ok"]


def test_the_python_api_is_not_restricted(secret_file: Secret) -> None:
    """Locally the user names any model they can reach; a file that is no model is a
    one-line usage error that quotes nothing from the file."""
    import maestro

    with pytest.raises(maestro.UsageError, match="not a GGUF model file") as caught:
        maestro.negotiate(network_scenario(f"local:{secret_file.path}"))
    assert SECRET not in str(caught.value)
    assert secret_file.opened  # the spy sees a look at the file: the served runs made none


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MAESTRO_ALLOWED_MODELS", "nonsense-provider:x"), ("MAESTRO_SERVED_URLS", "not a url")],
)
def test_a_malformed_server_setting_ends_the_run_with_an_error_record(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """The server's own typo is not the caller's: the run ends `error`, naming the setting,
    instead of raising inside the server."""
    monkeypatch.setenv(variable, value)
    record = served_graph().invoke({"scenario": network_scenario("scripted:optimizer")})["record"]
    assert record["status"] == "error"
    assert "misconfigured" in record["reason"] and variable in record["reason"]
    assert record["enforcement"] is None or not record["enforcement"].get("ok")


def test_regulation_documents_in_a_served_scenario_are_refused_unread(secret_file: Secret) -> None:
    """A served caller may not name files for the regulatory unit to read, index and quote
    into prompts; the server's own corpus is what a served run uses."""
    scenario = network_scenario("scripted:optimizer")
    scenario["regulation"] = {"documents": [str(secret_file.path)], "k": 0}
    record = served_graph().invoke({"scenario": scenario})["record"]
    assert record["status"] == "error" and record["enforcement"] is None
    assert "regulation.documents is not allowed here" in record["reason"]
    assert SECRET not in json.dumps(record)
    assert secret_file.opened == []
