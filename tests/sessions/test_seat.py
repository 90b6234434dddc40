"""The seat node through the session graph, in process: modes, bad input, privacy.

Tests taking `store_url` run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from maestro.agents.seat import MAX_MESSAGE_CHARS, read_message
from maestro.graphs.checkpoints import open_store
from maestro.graphs.context import prepare_run
from maestro.graphs.session import SessionRunner, build_session_graph, session_context
from tests.conftest import BASE_SCENARIO, EXAMPLE

SECRET = "SECRET-QOS"


def scenario() -> dict[str, Any]:
    data = copy.deepcopy(BASE_SCENARIO)
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    data["mediator"] = {"guidance": "soft"}
    for op in data["operators"]:
        op["guidance"] = "soft"
        if op["id"] == "qos":
            op["business_intent"] = f"{SECRET}: premium video needs 100 Mbps"
    return data


def runner(
    data_dir: Path | None,
    seats: dict[str, str],
    approve: bool = False,
    sid: str = "s",
    data: Any = None,
) -> SessionRunner:
    store = open_store()
    run = prepare_run(data or scenario(), model="scripted:optimizer")
    return SessionRunner(
        build_session_graph(store.saver, search=None),
        session_context(run, seats, approve),
        sid,
    )


def said(step: Any) -> str:
    return str(step.values["messages"][-1].content)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * (MAX_MESSAGE_CHARS + 1), "too_long"),
        ("\x00\x01binary", "binary"),
        (b"\xff\xfe", "binary"),
        ("/nope", "unknown_command"),
        ("/approve", "command"),
        ("Pourquoi le médiateur a-t-il proposé 60 ?", "question"),
        ("nous proposons 45 Mbps", "proposal"),
        ("我们提议 45", "proposal"),
        ("我们同意", "unclear"),
        ("we need 30 Mbps for premium users until 18:00", "intent"),
    ],
)
def test_reading_messages(text: Any, kind: str) -> None:
    reading = read_message(text)
    assert reading.kind == kind
    if kind in ("proposal", "intent"):
        assert reading.value in (45.0, 30.0)


def test_bad_messages_are_explained_and_change_nothing(store_url: str) -> None:
    seat = runner(None, {"cost": "manual"})
    step = seat.advance()
    assert step.prompts[0]["kind"] == "proposal"
    for bad, answer in [
        ("", "empty"),
        ("y" * 100_000, "characters long"),
        ("\x00\x07", "control or binary"),
        ("/launch", "Unknown command"),
        ("-5", "cannot be proposed"),
        ("1e400", "cannot be proposed"),
        ("hmm", "no number"),
    ]:
        step = seat.advance(bad)
        assert answer in said(step), said(step)
        assert step.prompts and step.prompts[0]["round"] == 1  # still asked, nothing moved
        assert not step.values.get("history")
    assert all(len(str(m.content)) < 400 for m in step.values["messages"])
    step = seat.advance("nous proposons 45")
    assert step.values["history"][0]["proposals"]["cost"]["value"] == 45.0
    assert step.values["history"][0]["proposals"]["cost"]["source"] == "person"


def test_approve_mode_approve_edit_reject(store_url: str) -> None:
    seat = runner(None, {"cost": "approve"})
    step = seat.advance()
    assert step.prompts[0]["kind"] == "approve"
    draft = step.prompts[0]["draft"]["value"]
    step = seat.advance("/approve")
    first = step.values["history"][0]["proposals"]["cost"]
    assert first["value"] == draft and first["source"] != "person"
    assert step.prompts[0]["round"] == 2
    step = seat.advance("/reject")
    assert "Type the value" in said(step) and step.prompts[0]["round"] == 2
    step = seat.advance("150")  # out of bounds: explained, asked again
    assert "cannot be proposed" in said(step)
    step = seat.advance("let's say 42")
    edited = step.values["history"][1]["proposals"]["cost"]
    assert (edited["value"], edited["source"]) == (42.0, "person")


def test_enforcement_rejected_is_not_applied(store_url: str) -> None:
    seat = runner(None, {"cost": "auto"}, approve=True)
    step = seat.advance()
    assert [p["kind"] for p in step.prompts] == ["enforcement"], step.values.get("reason")
    plan = step.prompts[0]["plan"]
    assert plan["policy"]["slices"][0]["slice_id"] == "sla"
    step = seat.advance("/reject")
    assert step.finished and step.record is not None
    assert step.record.enforcement["applied"] is False
    assert "rejected" in step.record.enforcement["message"]


def test_auto_interjection_and_intent(data_dir: Path) -> None:
    seat = runner(data_dir, {"cost": "auto"}, approve=True)
    seat.context.inbox.put("what does the optimizer recommend?")
    seat.context.inbox.put("we need 30 Mbps for premium users until 18:00")
    step = seat.advance()
    texts = [str(m.content) for m in step.values["messages"]]
    assert any("theoretical consensus is" in t for t in texts)
    assert any(t.startswith("Noted") for t in texts)
    assert step.values["seat"]["specs"]["cost"]["business_intent"].startswith("we need 30")


def test_seat_never_sees_another_operators_private_intent(data_dir: Path) -> None:
    seat = runner(data_dir, {"cost": "manual"})
    step = seat.advance()
    for question in (
        "what did the others propose?",
        "why did the mediator point there?",
        "/status",
    ):
        step = seat.advance(question)
    step = seat.advance("45")
    for question in ("what did the others propose?", "why did the mediator point there?"):
        step = seat.advance(question)
    readable = json.dumps([str(m.content) for m in step.values["messages"]]) + json.dumps(
        step.prompts, default=str
    )
    assert "qos: 100" in readable  # the others' public proposals are shown
    assert SECRET not in readable
    assert SECRET not in json.dumps(step.values.get("seat"), default=str)


def test_unknown_seat_and_mode(data_dir: Path) -> None:
    run = prepare_run(EXAMPLE, model="scripted:optimizer")
    with pytest.raises(ValueError, match="no such seat"):
        session_context(run, {"nobody": "manual"})
    run = prepare_run(EXAMPLE, model="scripted:optimizer")
    with pytest.raises(ValueError, match="unknown seat mode"):
        session_context(run, {"cost": "sometimes"})


def test_the_record_says_a_person_decided(data_dir: Path) -> None:
    seat = runner(data_dir, {"cost": "manual"})
    step = seat.advance()
    for text in ("45", "60"):
        step = seat.advance(text)
    assert step.finished and step.record is not None
    assert step.record.status == "consensus"
    decisions = step.record.decisions
    assert decisions.person == 2  # cost's two proposals were the person's, not a model's
    assert decisions.llm == 2 + 1  # qos's two proposals and the mediator's one turn


def test_mediator_seat_approves_or_steers(store_url: str) -> None:
    seat = runner(None, {"mediator": "approve"})
    step = seat.advance()
    prompt = step.prompts[0]
    assert prompt["kind"] == "mediate" and prompt["round"] == 2
    assert prompt["draft"]["point"] == 60.0 and set(prompt["draft"]["feedback"]) == {"cost", "qos"}
    step = seat.advance("what did the others propose?")  # a question: answered, still asked
    assert step.prompts[0]["kind"] == "mediate"
    step = seat.advance("500")
    assert "cannot be proposed" in said(step)
    step = seat.advance("steer them to 50")
    assert "Steered" in said(step)
    # The operators (scripted: they follow the mediator's point) now go to 50, not 60.
    second = step.values["history"][1]["proposals"]
    assert {op: p["value"] for op, p in second.items()} == {"cost": 50.0, "qos": 50.0}
    assert step.finished and step.record.status == "consensus"
    assert step.record.consensus == 50.0


def test_mediator_seat_approve_keeps_the_agents_point(data_dir: Path) -> None:
    seat = runner(data_dir, {"mediator": "manual"})
    seat.advance()
    step = seat.advance("/approve")
    assert "Approved" in said(step) and step.finished
    assert step.record.consensus == 60.0


def test_regulation_questions(data_dir: Path) -> None:
    from maestro.agents.chat import answer

    view = {"agent": "cost", "topic": {"unit": "Mbps"}, "history": [], "optimizer": {}}

    class Passage:
        text = "A slice must keep 10 % of the cell for emergency services."

        def citation(self) -> str:
            return "[emergency] Spectrum rules"

    def broken(question: str) -> list[Any]:
        raise RuntimeError("the index folder is not writable")

    question = "what does the regulation say about slices?"
    assert answer(question, view, None).startswith("regulation unavailable")
    assert (
        answer(question, view, broken) == "regulation unavailable: the index folder is not writable"
    )
    told = answer(question, view, lambda q: [Passage()])
    assert "emergency services" in told and "[emergency] Spectrum rules" in told
