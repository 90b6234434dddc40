"""A tiny run of the regulatory eval: recall figures, and the answer-fact path with a scripted model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from maestro.agents.providers import ScriptedChatModel
from maestro.evals.regulatory import (
    EvalInputError,
    answer_eval,
    load_questions,
    main,
    retrieval_eval,
)

pytestmark = pytest.mark.integration


def test_question_file_is_large_and_valid(kb: Any) -> None:
    questions = load_questions()
    assert len(questions) >= 40
    ids = {d.id for d in kb.documents}
    assert {q.doc for q in questions} <= ids
    # Worded differently from the documents: no question is a document title.
    titles = {d.title.lower() for d in kb.documents}
    assert not any(q.q.lower() in titles for q in questions)


def test_tiny_retrieval_run(kb: Any) -> None:
    report = retrieval_eval(kb, load_questions()[:6], k=3)
    assert report["n"] == 6 and report["recall@3"] >= report["recall@1"] >= 0.5


def _quote_first_passage(messages: list[BaseMessage], facts: dict[str, Any]) -> str:
    # Answers with the text of the first passage: holds the fact when retrieval was right.
    prompt = str(messages[-1].content)
    first = prompt.split("\n\n", 1)[0] + "\n" + prompt.split("\n", 2)[2][:280]
    return json.dumps({"answer": first})


def _say_nothing(messages: list[BaseMessage], facts: dict[str, Any]) -> str:
    return json.dumps({"answer": "I do not know."})


def test_answer_fact_rate_counts_hits(kb: Any) -> None:
    questions = [q for q in load_questions() if q.doc == "us-cbrs-power-limits"][:1]
    quoting = ScriptedChatModel(name="quote", script=_quote_first_passage)
    assert answer_eval(kb, questions, quoting)["answer_fact_hit_rate"] == 1.0
    silent = ScriptedChatModel(name="silent", script=_say_nothing)
    assert answer_eval(kb, questions, silent)["answer_fact_hit_rate"] == 0.0


def test_bad_questions_file(kb: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "q.yaml"
    bad.write_text("questions:\n  - {q: 'Which band?', doc: no-such-doc, fact: x}\n")
    with pytest.raises(EvalInputError, match="no-such-doc"):
        retrieval_eval(kb, load_questions(bad))
    assert main(["--questions", str(bad)]) == 2
    assert "no-such-doc" in capsys.readouterr().err
