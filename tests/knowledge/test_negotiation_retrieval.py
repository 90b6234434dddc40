"""The regulatory unit on the real index: a negotiation retrieves from the shipped corpus
(Chroma + MiniLM, built once per session by the knowledge fixtures) and cites what it found.

The graph tests replace the index with a fake; this one proves the two halves meet.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import maestro
from maestro.agents.providers import ScriptedChatModel
from maestro.agents.providers.scripted import follow_optimizer
from maestro.agents.regulatory import short_source
from maestro.knowledge import shipped_documents
from tests.conftest import deps_with

CITATION = re.compile(r"^- \[([a-z0-9][a-z0-9-]*), ([^\]]+)\] ", re.MULTILINE)


def test_a_negotiation_cites_passages_retrieved_from_the_shipped_corpus(
    kb: Any, kb_data_dir: Path, scenario_dict: dict[str, Any]
) -> None:
    seen: list[str] = []

    def script(messages: list[Any], facts: dict[str, Any]) -> str:
        seen.append("\n".join(str(m.content) for m in messages))
        return str(follow_optimizer(messages, facts))

    scenario_dict["regulation"] = {"jurisdiction": "EU", "k": 2}
    scenario_dict["model"] = "scripted:custom"
    result = maestro.negotiate(scenario_dict, deps=deps_with(ScriptedChatModel(script=script)))

    assert result.regulation is not None and result.regulation["retrieval"] == "ok"
    shipped = {doc.id: doc for doc in shipped_documents()}
    passages = result.regulation["passages"]
    assert passages and all(p["id"] in shipped for p in passages)
    # Each passage the record lists is cited in a prompt with its document's own clause
    # (without the clause's gloss, which the record keeps).
    cited = {m for prompt in seen for m in CITATION.findall(prompt)}
    assert cited, "no prompt carried a citation"
    for doc_id, source in cited:
        assert short_source(shipped[doc_id].source) == source
    # EU runs see EU and global rules only.
    assert all(shipped[i].jurisdiction in {"EU", "global"} for i, _ in cited)
