"""The regulatory unit in the negotiation: cited passages, constraints enforced, failures.

The vector index is replaced by a fake (or made to fail) so these tests stay fast; the
constraints come from a document the test writes, read from its front-matter as in a run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import maestro
from maestro.agents.providers import ScriptedChatModel
from maestro.agents.providers.scripted import follow_optimizer, stubborn
from maestro.graphs.scenario import ScenarioError, load_scenario, scenario_from_dict
from maestro.knowledge import store as knowledge_store
from maestro.knowledge.errors import KnowledgeError
from maestro.knowledge.passage import Passage
from tests.conftest import ROOT, deps_with

RULE = """\
---
id: test-cap-rule
title: Test cap on the shared cell
source: Test Regulation Art. 7(2)
jurisdiction: EU
topics: [cell_throughput]
constraints:
  - {kind: max_value, topic: cell_throughput, value: 50, unit: Mbps}
---
# Cap
Operators sharing one cell must not run it above 50 Mbps.
"""


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "cap.md"
    path.write_text(RULE, encoding="utf-8")
    return path


def _regulated(scenario: dict[str, Any], rule: Path, **section: Any) -> dict[str, Any]:
    scenario["regulation"] = {"jurisdiction": "DE", "documents": [str(rule)], "k": 0} | section
    scenario["model"] = "scripted:custom"
    return scenario


class Prompts:
    def __init__(self, script: Any = stubborn) -> None:
        self.script = script
        self.seen: list[str] = []

    def __call__(self, messages: list[Any], facts: dict[str, Any]) -> str:
        self.seen.append("\n".join(str(m.content) for m in messages))
        return str(self.script(messages, facts))


def _run(scenario: dict[str, Any], prompts: Prompts) -> Any:
    return maestro.negotiate(scenario, deps=deps_with(ScriptedChatModel(script=prompts)))


def test_a_value_above_a_rule_is_retried_then_clamped(
    scenario_dict: dict[str, Any], rule_file: Path
) -> None:
    prompts = Prompts(stubborn)  # qos insists on 100 although the rule says 50
    result = _run(_regulated(scenario_dict, rule_file, k=0), prompts)
    qos = result.rounds[0].proposals["qos"]
    assert qos.value == 50 and qos.source == "regulation" and qos.llm_value == 100
    notes = [f for f in qos.flags if f["code"] == "constraint_violation"]
    assert len(notes) == 2  # asked again once, then clamped
    assert "test-cap-rule" in notes[-1]["message"] and "Art. 7(2)" in notes[-1]["message"]
    assert "clamped to 50" in notes[-1]["message"]
    # The retry told the model which rule it broke.
    retries = [p for p in prompts.seen if "Your previous answer was rejected" in p]
    assert retries and "Test Regulation Art. 7(2)" in retries[0]
    # The rule is in the prompt, with its citation, and in the record with its source.
    assert any("[test-cap-rule, Test Regulation Art. 7(2)]" in p for p in prompts.seen)
    assert qos.regulation is not None and qos.regulation["violations"][0]["bound"] == 50
    assert result.regulation is not None
    cited = {(c["document"], c["source"]) for c in result.regulation["constraints"]}
    assert ("test-cap-rule", "Test Regulation Art. 7(2)") in cited
    assert result.regulation["retrieval"] == "off"
    # The cost operator's 20 was inside the rule: no flag, no change.
    cost = result.rounds[0].proposals["cost"]
    assert cost.value == 20 and cost.source == "llm"


def test_enforce_false_flags_but_keeps_the_value(
    scenario_dict: dict[str, Any], rule_file: Path
) -> None:
    result = _run(_regulated(scenario_dict, rule_file, enforce=False), Prompts(stubborn))
    qos = result.rounds[0].proposals["qos"]
    assert qos.value == 100 and qos.source == "llm_retry"
    assert "kept (enforce: false)" in qos.flags[-1]["message"]


def test_the_mediators_point_respects_the_rules(
    scenario_dict: dict[str, Any], rule_file: Path
) -> None:
    scenario = _regulated(scenario_dict, rule_file)
    scenario["mediator"] = {"guidance": "soft"}  # the optimizer's consensus over 20 and 100: 60
    result = _run(scenario, Prompts(follow_optimizer))
    mediator = result.rounds[0].mediator
    assert mediator is not None and mediator.mediator_value == pytest.approx(50.0)
    assert mediator.regulation is not None and mediator.regulation["constraints"]
    assert result.consensus is not None and result.consensus <= 50 + 1e-9


def test_no_regulation_section_adds_nothing(scenario_dict: dict[str, Any]) -> None:
    scenario_dict["model"] = "scripted:custom"
    prompts = Prompts(stubborn)
    result = _run(scenario_dict, prompts)
    assert result.regulation is None
    assert result.rounds[0].proposals["qos"].value == 100
    assert not any("Rule [" in p for p in prompts.seen)


class FakeBase:
    def __init__(self) -> None:
        self.queries: list[dict[str, Any]] = []

    def search(self, query: str, k: int = 3, **filters: Any) -> list[Passage]:
        self.queries.append({"query": query, "k": k, **filters})
        text = "Operators sharing one cell must not run it above 50 Mbps. " * 8
        return [
            Passage(
                id="test-cap-rule",
                title="Test cap",
                source="Test Regulation Art. 7(2)",
                jurisdiction="EU",
                topics=["cell_throughput"],
                text=text,
                score=0.71,
            )
        ]


def test_retrieved_passages_are_cited_in_the_prompt(
    scenario_dict: dict[str, Any], rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = FakeBase()
    opened: list[Any] = []

    def fake_open(extra_paths: Any = (), url: Any = None, **_: Any) -> FakeBase:
        opened.append(list(extra_paths))
        return base

    monkeypatch.setattr(knowledge_store, "open_knowledge", fake_open)
    prompts = Prompts(follow_optimizer)
    result = _run(_regulated(scenario_dict, rule_file, k=2), prompts)
    assert len(opened) == 1  # once per run, shared by every agent's turn
    assert opened[0] == [str(rule_file.resolve())]
    assert base.queries and all(q["jurisdiction"] == "DE" and q["k"] == 2 for q in base.queries)
    # One search per distinct question: the operators' (asked ahead, at the run's start, and
    # shared by both operators and both rounds) and the mediator's.
    assert len(base.queries) == 2, base.queries
    assert "cell throughput" in base.queries[0]["query"] and "DE" in base.queries[0]["query"]
    operator_prompts = [p for p in prompts.seen if "You negotiate for" in p]
    assert operator_prompts and all(
        "- [test-cap-rule, Test Regulation Art. 7(2)] Operators sharing" in p
        for p in operator_prompts
    )
    assert result.regulation is not None and result.regulation["retrieval"] == "ok"
    assert result.regulation["passages"] == [
        {"id": "test-cap-rule", "source": "Test Regulation Art. 7(2)"}
    ]


def test_retrieval_failure_flags_and_keeps_the_constraints(
    scenario_dict: dict[str, Any], rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}

    def unreachable(*_: Any, **__: Any) -> Any:
        calls["n"] += 1
        raise KnowledgeError("Chroma server at http://127.0.0.1:9 is unreachable")

    monkeypatch.setattr(knowledge_store, "open_knowledge", unreachable)
    result = _run(_regulated(scenario_dict, rule_file, k=3), Prompts(stubborn))
    assert result.status != "error", result.reason
    assert calls["n"] == 1  # tried once, not on every turn
    notes = [f for f in result.flags if f["code"] == "regulation_unavailable"]
    assert notes and "127.0.0.1:9" in notes[0]["message"]
    assert result.rounds[0].proposals["qos"].value == 50  # the front-matter rule still holds
    assert result.regulation is not None and result.regulation["retrieval"] == "unavailable"


def test_a_search_that_fails_mid_run_does_not_crash(
    scenario_dict: dict[str, Any], rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def search(self, *_: Any, **__: Any) -> Any:
            raise RuntimeError("the index went away")

    monkeypatch.setattr(knowledge_store, "open_knowledge", lambda *a, **k: Broken())
    result = _run(_regulated(scenario_dict, rule_file, k=3), Prompts(follow_optimizer))
    assert result.status == "consensus"
    assert any("the index went away" in f["message"] for f in result.flags)


def test_constraints_only_runs_do_not_import_the_index(tmp_path: Path, rule_file: Path) -> None:
    scenario = json.loads(json.dumps(_base(rule_file)))
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    code = textwrap.dedent(
        f"""
        import json, sys
        import maestro
        result = maestro.negotiate(json.load(open({str(path)!r})))
        assert result.rounds[0].proposals["qos"].value <= 50, result.rounds[0].proposals
        heavy = sorted(m for m in ("torch", "chromadb", "sentence_transformers") if m in sys.modules)
        print(json.dumps(heavy))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def _base(rule: Path) -> dict[str, Any]:
    from tests.conftest import BASE_SCENARIO

    data = json.loads(json.dumps(BASE_SCENARIO))
    data["model"] = "scripted:stubborn"
    data["regulation"] = {"documents": [str(rule)], "k": 0}
    return data


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"k": 11}, "regulation.k"),
        ({"k": -1}, "regulation.k"),
        ({"enforce": "yes"}, "regulation.enforce"),
        ({"jurisdictions": "EU"}, "regulation.jurisdictions"),
        ({"documents": ["missing.md"]}, "missing.md"),
        ({"documents": "cap.md"}, "regulation.documents"),
    ],
)
def test_regulation_section_mistakes_are_one_line(
    scenario_dict: dict[str, Any], section: dict[str, Any], expected: str
) -> None:
    scenario_dict["regulation"] = section
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(scenario_dict)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_a_document_with_bad_front_matter_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text(
        RULE.replace("kind: max_value", "kind: max_speed"), encoding="utf-8"
    )
    scenario = (ROOT / "examples" / "two-operators.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(scenario + "regulation:\n  documents: [bad.md]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "bad.md" in message and "max_speed" in message and f"{path}:" in message


def test_documents_are_found_next_to_the_scenario(tmp_path: Path, rule_file: Path) -> None:
    scenario = (ROOT / "examples" / "two-operators.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(scenario + "regulation:\n  documents: [cap.md]\n  k: 0\n", encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.regulation is not None
    assert loaded.regulation.documents == [str(rule_file.resolve())]


def test_a_broken_document_in_the_users_corpus_is_a_usage_error(
    scenario_dict: dict[str, Any], rule_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maestro.agents.errors import UsageError
    from maestro.graphs.context import prepare_run

    corpus = tmp_path / "data" / "knowledge" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "empty.md").write_text("---\nid: empty-doc\n---\n", encoding="utf-8")
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(UsageError) as err:
        prepare_run(_regulated(scenario_dict, rule_file), model="scripted:optimizer")
    assert "empty.md" in str(err.value) and "\n" not in str(err.value)
