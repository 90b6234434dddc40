"""The regulatory unit's context entry: short passages in `stable_lines`, the same every round.

The central LLM unit places `stable_lines` in the prompt's stable prefix (llama.cpp reuses
its evaluated tokens), so the passages must not change between rounds: the query carries no
number of the round, each passage is cut to its fact sentences within PASSAGE_WORDS words,
and the round's bounds stay in `lines`. Tested on the entry, not on the final prompt.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from maestro.agents.regulatory import PASSAGE_WORDS, gist, make_regulatory_unit
from maestro.graphs.regulation_access import RegulationAccess
from maestro.graphs.scenario import RegulationSpec, scenario_from_dict
from maestro.knowledge.passage import Passage
from tests.conftest import BASE_SCENARIO

LONG = (
    "# Cell capacity\n\nThis document explains background at length. "
    + "Some history of the working group and its many meetings over the years. " * 6
    + "A shared cell must not run above 50 Mbps for all operators together. "
    + "Further remarks follow without facts. " * 6
)


class CountingAccess(RegulationAccess):
    """The real access (documents, constraints, per-query cache) over a fake index."""

    def __init__(self, spec: RegulationSpec, fail: bool = False) -> None:
        super().__init__(spec)
        self.queries: list[str] = []
        self.fail = fail

    def base(self) -> tuple[Any, str | None]:
        if self.fail:
            return None, "Chroma server at http://127.0.0.1:9 is unreachable"
        access = self

        class Base:
            def search(self, query: str, k: int = 3, **_: Any) -> list[Passage]:
                access.queries.append(query)
                return [
                    Passage(
                        id=f"doc-{i}",
                        title="t",
                        source=f"Reg {i} Art. 1",
                        jurisdiction="EU",
                        topics=["cell_throughput"],
                        text=LONG,
                        score=0.5,
                    )
                    for i in range(k)
                ]

        return Base(), None


def _turn(round_: int, capacity: float) -> dict[str, Any]:
    return {
        "agent": "qos",
        "role": "operator",
        "round": round_,
        "topic": BASE_SCENARIO["topic"],
        "observation": {"capacity_mbps": capacity, "cqi": 15 if round_ == 1 else 9},
        "context": {},
    }


def _entry(access: RegulationAccess, turn: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    scenario = scenario_from_dict(
        BASE_SCENARIO | {"network": {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}}
    )
    runtime = SimpleNamespace(context=SimpleNamespace(regulation=access, scenario=scenario))
    out = make_regulatory_unit().node(turn, runtime)
    return out["context"]["regulatory"], out["flags"]


def test_passages_are_short_stable_lines_and_the_same_every_round() -> None:
    access = CountingAccess(RegulationSpec(jurisdiction="DE"))
    first, _ = _entry(access, _turn(1, 134.0))
    later, _ = _entry(access, _turn(2, 80.5))
    assert access.queries and len(set(access.queries)) == 1  # one question for every round
    assert "134" not in access.queries[0] and "80.5" not in access.queries[0]
    stable = first["stable_lines"]
    passages = [line for line in stable if line.startswith("- [")]
    assert passages == [line for line in later["stable_lines"] if line.startswith("- [")]
    assert len(passages) == 2  # k defaults to 2
    for line in passages:
        text = line.split("] ", 1)[1]
        assert len(text.split()) <= PASSAGE_WORDS
        assert "50 Mbps" in text  # the fact sentence, not the history
    assert not any(line.startswith("- [") for line in first["lines"])  # only in the prefix


def test_bounds_are_stable_lines_and_compact() -> None:
    # The bounds change only with the cell: in the reused prefix, not re-evaluated each round.
    access = CountingAccess(RegulationSpec(jurisdiction="DE", k=0))
    entry, _ = _entry(access, _turn(1, 134.0))
    assert not access.queries and not entry["lines"]
    rules = [line for line in entry["stable_lines"] if line.startswith("Rule [")]
    assert rules and all(len(line.split()) <= 25 for line in rules)
    assert any("ts38306-peak-rate" in line and "<=" in line for line in rules)


def test_retrieval_failure_keeps_the_constraints_and_flags() -> None:
    access = CountingAccess(RegulationSpec(jurisdiction="DE"), fail=True)
    entry, flags = _entry(access, _turn(1, 134.0))
    assert [f["code"] for f in flags] == ["regulation_unavailable"]
    assert "127.0.0.1:9" in flags[0]["message"]
    assert not any(line.startswith("- [") for line in entry["stable_lines"])  # no passages
    assert entry["facts"]["constraints"] and any(
        line.startswith("Rule [") for line in entry["stable_lines"]
    )


def test_gist_keeps_the_sentences_with_the_facts_in_their_order() -> None:
    text = "Intro words here. The cap is 50 Mbps per cell. More words. Power stays under 20 W."
    assert (
        gist(text, "cell cap", words=12) == "The cap is 50 Mbps per cell. Power stays under 20 W."
    )
    assert len(gist("word " * 200, "x").split()) <= PASSAGE_WORDS + 1


def test_gist_drops_the_heading_and_keeps_list_items_apart() -> None:
    text = "Rules linking them\n- Each ratio is 0 to 100\n- Minimum ratios sum to 100 at most\n"
    assert gist(text, "minimum ratios sum") == (
        "Each ratio is 0 to 100. Minimum ratios sum to 100 at most."
    )


def test_citations_in_the_prompt_keep_the_clause_not_its_gloss() -> None:
    from maestro.agents.regulatory import short_source

    assert short_source("3GPP TS 28.541 clause 4.3.36 (RRMPolicyRatio class)") == (
        "3GPP TS 28.541 clause 4.3.36"
    )
    assert short_source("Test Regulation Art. 7(2)") == "Test Regulation Art. 7(2)"
    assert short_source("MAESTRO project policy (default), after TS 22.261") == (
        "MAESTRO project policy"
    )
