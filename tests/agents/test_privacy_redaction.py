"""redact_private: quotes of a private intent are caught, ordinary words are not."""

from __future__ import annotations

from typing import Any

import pytest

from maestro.agents.domain import Flag
from maestro.agents.privacy import (
    PRIVATE_TEXT_FLAG,
    REDACTED,
    find_private,
    private_texts_of,
    redact_private,
    redaction_flag,
)

INTENT = "Our premium video users need close to 100 Mbps to keep churn down."
OTHER = "Every extra Mbps raises our energy bill, so basic tier stays around 20 Mbps."


def redacted(text: str, *private: str) -> str:
    out, found = redact_private(text, private or (INTENT,))
    assert found == (out != text)
    return out


def test_exact_quote_is_replaced_and_the_rest_kept() -> None:
    text = f"I propose 90 Mbps. {INTENT} So I hold."
    out, found = redact_private(text, [INTENT])
    assert found
    assert out == f"I propose 90 Mbps. {REDACTED}. So I hold."


@pytest.mark.parametrize(
    "quote",
    [
        "OUR PREMIUM VIDEO USERS NEED CLOSE TO 100 MBPS TO KEEP CHURN DOWN",
        "our premium-video users need: close to 100 Mbps... to keep churn down!",
        "Our  premium\nvideo   users need close\tto 100 Mbps to keep churn down",
        "Öur prémium video users need close to 100 Mbps to keep churn down",
    ],
)
def test_case_spacing_punctuation_and_accents_do_not_hide_a_quote(quote: str) -> None:
    out = redacted(f"Reason: {quote}. Proposal follows.")
    assert "premium" not in out.lower() and "churn" not in out.lower()
    assert out.startswith("Reason: ") and out.endswith("Proposal follows.")


def test_partial_quote_of_five_words_is_redacted() -> None:
    out = redacted("As I said, premium video users need close to a target.")
    assert REDACTED in out
    assert "premium video users need close" not in out


def test_near_verbatim_quote_with_changed_and_added_words_is_redacted_whole() -> None:
    text = "Our premium film users really need close to 100 Mbps to keep the churn down."
    out = redacted(text)
    assert out == f"{REDACTED}."


def test_two_quotes_in_one_text_are_both_redacted() -> None:
    text = f"{INTENT} Meanwhile I ask for 95. Again: {INTENT.lower()}"
    out = redacted(text)
    assert out.count(REDACTED) == 2
    assert "Meanwhile I ask for 95" in out


def test_only_the_agents_own_private_texts_are_checked_all_of_them() -> None:
    text = "Every extra Mbps raises our energy bill, so I propose 40 Mbps."
    assert redact_private(text, [INTENT]) == (text, False)
    out, found = redact_private(text, [INTENT, OTHER])
    assert found and out.startswith(REDACTED)


@pytest.mark.parametrize(
    "text",
    [
        # A paraphrase shares words, not runs of them.
        "Customers who stream premium content want roughly a hundred megabits, or they leave.",
        # Short common phrases any operator writes.
        "I propose 100 Mbps for our users.",
        "Users need more than 100 Mbps; keep it close to that.",
        "We need to keep the cell close to the mediator's point.",
        "",
    ],
)
def test_paraphrase_and_ordinary_words_are_left_alone(text: str) -> None:
    assert redact_private(text, [INTENT]) == (text, False)


def test_filler_words_alone_never_count_as_a_quote() -> None:
    secret = "We cut costs in March because it is to be in the plan of the board."
    text = "I think it is to be in the range the mediator suggests."
    assert redact_private(text, [secret]) == (text, False)


def test_short_private_texts_match_only_whole() -> None:
    secret = "premium video tier"
    assert redact_private("a premium video offer", [secret])[1] is False
    assert redact_private("our Premium Video Tier matters", [secret]) == (
        f"our {REDACTED} matters",
        True,
    )
    # One or two words are too common to police.
    assert redact_private("premium users", ["premium"])[1] is False


def test_empty_and_missing_private_texts_are_ignored() -> None:
    missing: list[Any] = ["", None]
    assert redact_private(INTENT, missing) == (INTENT, False)


def test_spans_are_sorted_and_overlapping_ones_merged() -> None:
    text = f"{INTENT} {OTHER}"
    assert find_private(text, [OTHER, INTENT]) == [
        (0, len(INTENT) - 1),
        (len(INTENT) + 1, len(text) - 1),
    ]
    # One quote matched by two private texts sharing words is one span.
    assert len(find_private(INTENT, [INTENT, INTENT.upper()])) == 1


def test_flag_is_a_valid_record_flag_that_does_not_repeat_the_text() -> None:
    flag = redaction_flag("qos", 2)
    assert Flag.model_validate(flag).code == PRIVATE_TEXT_FLAG
    assert flag["agent"] == "qos" and flag["round"] == 2
    assert "premium" not in flag["message"]


def test_private_texts_of_reads_specs_and_dicts() -> None:
    from maestro.agents.roles import OperatorSpec

    spec = OperatorSpec(
        id="qos",
        display_name="QoS",
        objective="high throughput",
        business_intent=INTENT,
        utility={"kind": "quadratic", "target": 100},
    )
    assert private_texts_of(spec) == [INTENT]
    assert private_texts_of({"business_intent": ""}) == []
