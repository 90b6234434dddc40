"""Arbitral unit library: judge an operator's message, and keep what it says inert.

Three stages. `assess` (rules, `arbitral_rules`) runs first and settles the clear offences;
`learned_stage` (a linear model over the shipped labelled messages, `arbitral_learned`)
judges everything else, with its probability as confidence; `classify` asks an LLM for a
structured verdict where the learned stage is unsure and a model is configured; `judge`
chains them (`learned=False` gives the older rules-then-LLM chain). Input the LLM should
not read (empty, not UTF-8, cut at the analysis limit, another language) is judged by the
rules alone and flagged. An LLM reply that is not the expected JSON leaves the
deterministic verdict standing, flagged `classifier_reply_invalid`; an evidence quote that
is not in the message is dropped (`evidence_not_in_text`).

`contain` is how any text reaches another agent's prompt: as a quoted, one-line, bounded
datum, with the spans of a malicious verdict replaced by a marker.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from maestro.agents.arbitral_learned import Labelled, LinearModel, learned_proba, shipped_model
from maestro.agents.arbitral_rules import (
    BAD_INPUT_FLAGS,
    CATEGORIES,
    DECIDE,
    EVIDENCE_MAX,
    SETTLE_BENIGN,
    SETTLE_MALICIOUS,
    RuleAssessment,
    Verdict,
    assess,
    merge_spans,
    sentence_of,
)
from maestro.agents.central_llm import to_langchain
from maestro.agents.deadline import DeadlineExceeded
from maestro.agents.prompting import fmt, template
from maestro.agents.providers import bind_json_schema, load_chat_model, reads_facts
from maestro.agents.replies import ReplyError, parse_reply, reply_schema
from maestro.agents.trust import (
    ArbitralPolicy,
    Consequence,
    TrustLedger,
    consequences,
    is_offence,
    update_trust,
)

CONTAIN_LIMIT = 400  # characters of another agent's text shown in a prompt
CLASSIFY_LIMIT = 1200  # characters of the message the classifier reads
# The learned stage condemns at this probability of "malicious": chosen by leave-one-file-out
# cross-validation over the eight shipped files as the lowest threshold whose precision,
# both macro-averaged over the files and pooled, is 0.92 or more (at 0.7: 0.94 and 0.93,
# recall 0.97 and 0.95, one firm bargaining message in 25 condemned; at 0.65 pooled precision
# falls to 0.91 and twice as many firm messages are condemned). `python -m
# maestro.evals.arbitral --cross-validate` prints the table.
LEARNED_DECIDE = 0.7
# A rules' lean (a score of at least DECIDE, short of settling) stands when the learned stage
# gives the message at least this probability: two readers half-sure of the same offence.
RULES_CONFIRM = 0.3
# Where the learned stage is unsure enough for a configured LLM to read the message: below
# LEARNED_DECIDE only, so the LLM can raise a doubtful clearance but never overturn a
# condemnation. With the band reaching 0.9, the embedded 135M classifier called most of what
# it read benign: on arbitral_train4 (held out from the model that judged it) recall fell
# from 0.88 to 0.74; with this band precision / recall were 0.92 / 0.90.
LLM_BAND = (0.4, LEARNED_DECIDE)
_LABELS = {
    "injection": "instruction-like text",
    "deception": "contradicted claim",
    "threat": "threat or insult",
    "privacy": "request for private data",
    "collusion": "side-deal offer",
    "none": "flagged text",
}
# Everything that could end the quote, start a new line or hide characters.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff«»]")


class ArbitralReply(BaseModel):
    """The classifier's reply: its schema is the grammar, its validation the check."""

    model_config = ConfigDict(extra="forbid")

    malicious: bool
    category: Literal["none", "injection", "deception", "threat", "privacy", "collusion"]
    evidence: Annotated[str, StringConstraints(max_length=160)]
    confidence: float = Field(allow_inf_nan=False)


def contain(
    text: str | bytes | None, verdict: Verdict | None = None, limit: int = CONTAIN_LIMIT
) -> str:
    """`text` as data for another agent's prompt: flagged spans of a malicious verdict
    replaced by a marker, control and format characters and quote marks removed, one line,
    at most `limit` characters, inside «...»."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    text = (text or "").encode("utf-8", errors="replace").decode("utf-8")
    if verdict is not None and verdict.malicious:
        marker = f"[removed: {_LABELS.get(verdict.category, 'flagged text')}]"
        spans = merge_spans([(max(0, s), min(len(text), e)) for s, e in verdict.spans if e > s])
        if not spans and verdict.category == "injection":
            spans = [(0, len(text))]  # an instruction we cannot locate goes as a whole
        for start, end in reversed(spans):
            text = text[:start] + marker + text[end:]
    flat = " ".join(_UNSAFE.sub(" ", text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return f"«{flat}»"


def _facts_line(rules: RuleAssessment) -> str:
    obs = rules.observations
    parts = []
    if "capacity_mbps" in obs:
        parts.append(f"capacity {fmt(float(obs['capacity_mbps']))} Mbps")
    if "cqi" in obs:
        parts.append(f"CQI {fmt(float(obs['cqi']))}")
    if "demand_mbps" in obs:
        parts.append(f"demand {fmt(float(obs['demand_mbps']))} Mbps")
    if "cell_on" in obs:
        parts.append("cell on" if obs["cell_on"] else "cell off")
    if "proposal" in obs:
        parts.append(f"this message proposes {fmt(float(obs['proposal']))}")
    return ", ".join(parts) or "not given"


def _history_line(rules: RuleAssessment) -> str:
    values = [fmt(h["value"]) for h in rules.history if h["value"] is not None]
    return ", ".join(values[-8:]) or "none"


@cache
def _prompt_parts() -> tuple[str, str]:
    system, _, user = template("arbitral.txt").template.partition("=== message ===")
    return system.strip(), user.strip()


def _exemplar_lines(exemplars: list[Labelled] | None) -> str:
    if not exemplars:
        return "none"
    return "\n".join(
        f"{contain(e.text, None, 200)} -> {e.label if e.label != 'none' else 'not malicious'}"
        for e in exemplars
    )


def build_messages(
    rules: RuleAssessment, exemplars: list[Labelled] | None = None
) -> list[dict[str, str]]:
    """The classifier's prompt: fixed instructions first (prefix cache), then the labelled
    messages nearest to this one (retrieved, so the small model sees how similar wordings
    were judged), the message last, quoted, so it is read as data."""
    system, user = _prompt_parts()
    filled = (
        user.replace("$exemplars", _exemplar_lines(exemplars))
        .replace("$observations", _facts_line(rules))
        .replace("$history", _history_line(rules))
        .replace("$message", contain(rules.text, None, CLASSIFY_LIMIT))
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": filled}]


def _locate(evidence: str, text: str) -> tuple[int, int] | None:
    quote = evidence.strip().strip("\"'«»").strip()
    if len(quote) < 3:
        return None
    at = text.find(quote)
    if at < 0:
        at = text.lower().find(quote.lower())
    return None if at < 0 else (at, at + len(quote))


def _fallback(rules: RuleAssessment, flag: str) -> Verdict:
    return rules.verdict.model_copy(update={"flags": [*rules.verdict.flags, flag]})


def classify(
    text: str,
    rules: RuleAssessment,
    model: BaseChatModel,
    exemplars: list[Labelled] | None = None,
) -> Verdict:
    """The LLM stage: one structured call; any failure leaves the rules' verdict, flagged."""
    del text  # the rules' decoded, bounded copy is what the model reads
    runnable = bind_json_schema(model, reply_schema(ArbitralReply), "arbitral_reply")
    extra: dict[str, Any] = {}
    if reads_facts(model):  # scripted models answer from the rules' findings
        extra["facts"] = {
            "role": "arbitral",
            "rules": rules.verdict.model_dump(),
            "scores": rules.scores,
            "text": rules.text,
        }
    try:
        reply = runnable.invoke(to_langchain(build_messages(rules, exemplars)), None, **extra)
    except DeadlineExceeded:
        raise
    except Exception:  # an unreachable classifier is reported, not fatal
        return _fallback(rules, "classifier_call_failed")
    content = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
    try:
        parsed = parse_reply(ArbitralReply, content)
    except ReplyError:
        return _fallback(rules, "classifier_reply_invalid")
    assert isinstance(parsed, ArbitralReply)
    flags = list(rules.verdict.flags)
    malicious = parsed.malicious and parsed.category != "none"
    if parsed.malicious != malicious or (not parsed.malicious and parsed.category != "none"):
        flags.append("classifier_reply_inconsistent")
    span = _locate(parsed.evidence, rules.text) if parsed.evidence.strip() else None
    if parsed.evidence.strip() and span is None:
        flags.append("evidence_not_in_text")
    spans = list(rules.suspect_spans) if malicious else []
    if malicious and span is not None:
        spans.append(span)
    return Verdict(
        malicious=malicious,
        category=parsed.category if malicious else "none",
        confidence=round(min(1.0, max(0.0, parsed.confidence)), 3),
        evidence=rules.text[span[0] : span[1]][:EVIDENCE_MAX] if span else "",
        stage="llm",
        features=dict(rules.verdict.features),
        spans=merge_spans(spans),
        flags=flags,
    )


@cache
def _model_by_id(model_id: str) -> BaseChatModel:
    return load_chat_model(model_id)


def _sentences(text: str) -> list[tuple[int, int]]:
    out, at = [], 0
    while at < len(text):
        start, end = sentence_of(text, at, at)
        if text[start:end].strip():
            out.append((start, end))
        at = max(end, at) + 1
    return out


def learned_stage(
    rules: RuleAssessment, linear: LinearModel | None = None, decide: float = LEARNED_DECIDE
) -> Verdict:
    """The learned stage's verdict on the text the rules read (`linear`: another model than
    the shipped one, e.g. one cross-validation fold's; `decide`: its threshold). A rules'
    lean it gives at least RULES_CONFIRM stands, in the rules' category. Its evidence is the
    rules' quote when they lean the same way, else the sentence the model finds most telling."""
    proba = learned_proba(rules.text, linear)
    if rules.checked and rules.scores.get("deception", 0.0) < DECIDE:
        # The model cannot see the facts: a claim they check and do not contradict is honest.
        proba = proba | {"none": proba["none"] + proba["deception"], "deception": 0.0}
    p = 1.0 - proba["none"]
    category = max(CATEGORIES, key=lambda c: proba[c])
    malicious, sure = p >= decide, p
    if not malicious and rules.score >= DECIDE and p >= RULES_CONFIRM:
        malicious, category, sure = True, rules.suspect_category, rules.score
    features = dict(rules.verdict.features)
    features["learned_p_malicious"] = round(p, 3)
    features[f"learned_{category}"] = round(proba[category], 3)  # its strongest category
    evidence, spans = "", []
    if malicious and rules.suspect_category == category and rules.suspect_evidence:
        evidence, spans = rules.suspect_evidence, list(rules.suspect_spans)
    elif malicious:
        sentences = _sentences(rules.text)[:12] or [(0, len(rules.text))]
        best = max(
            sentences, key=lambda s: learned_proba(rules.text[s[0] : s[1]], linear)[category]
        )
        evidence, spans = rules.text[best[0] : best[1]].strip(), [best]
    return Verdict(
        malicious=malicious,
        category=category if malicious else "none",
        confidence=round(sure if malicious else 1.0 - p, 3),
        evidence=evidence[:EVIDENCE_MAX],
        stage="learned",
        features=features,
        spans=merge_spans(spans),
        flags=list(rules.verdict.flags),
    )


def deterministic(
    rules: RuleAssessment,
    learned: bool = True,
    linear: LinearModel | None = None,
    decide: float = LEARNED_DECIDE,
) -> tuple[Verdict, bool]:
    """The verdict without an LLM, and whether an LLM should still read the message: the
    rules settle bad input and clear offences, the learned stage the rest. Text in another
    language is bad input for the LLM only: the learned stage reads it (its character
    n-grams carry the cognates: médiateur, instrucciones), the LLM never does."""
    if set(rules.verdict.flags) & (BAD_INPUT_FLAGS - {"text_not_english"}):
        return rules.verdict, False
    if not learned or rules.score >= SETTLE_MALICIOUS:
        return rules.verdict, not rules.settled and not rules.bad_input
    verdict = learned_stage(rules, linear, decide)
    p = float(verdict.features["learned_p_malicious"])
    return verdict, not rules.bad_input and LLM_BAND[0] <= p < LLM_BAND[1]


def judge(
    text: str | bytes | None,
    observations: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    model: BaseChatModel | str | None = None,
    rules_only: bool = False,
    learned: bool = True,
    linear: LinearModel | None = None,
    decide: float = LEARNED_DECIDE,
) -> Verdict:
    """Rules, then the learned stage, then the LLM (a chat model or a model id) only where
    the deterministic stages are unsure and the input is fit for it."""
    rules = assess(text, observations, history)
    if rules_only:
        return rules.verdict
    verdict, open_ = deterministic(rules, learned, linear, decide)
    if model is None or not open_:
        return verdict
    chat = _model_by_id(model) if isinstance(model, str) else model
    exemplars = (linear or shipped_model()).nearest(rules.text) if learned else None
    llm = classify(rules.text, rules, chat, exemplars)
    if llm.stage != "llm":  # the classifier failed: the deterministic verdict, flagged
        return verdict.model_copy(update={"flags": llm.flags})
    if verdict.stage == "learned":
        return combine_learned(verdict, llm, decide)
    return combine(rules, llm)


def combine_learned(learned: Verdict, llm: Verdict, decide: float = LEARNED_DECIDE) -> Verdict:
    """The learned stage's and the classifier's probabilities count equally, against the
    learned stage's threshold. The category stays the learned stage's (cross-validated
    right nine times in ten; a small model tends to call everything a threat), the evidence
    the classifier's when it names the same category."""
    p_learned = float(learned.features["learned_p_malicious"])
    p_llm = llm.confidence if llm.malicious else 1.0 - llm.confidence
    p = (p_learned + p_llm) / 2
    malicious = p >= decide
    leaning = [c for c in CATEGORIES if f"learned_{c}" in learned.features]
    category = learned.category if learned.malicious else (leaning[0] if leaning else llm.category)
    same = llm.malicious and llm.category == category and llm.evidence
    evidence = (llm.evidence if same else learned.evidence) if malicious else ""
    spans = [*llm.spans] if same else [*learned.spans]
    return learned.model_copy(
        update={
            "malicious": malicious,
            "category": category if malicious else "none",
            "confidence": round(p if malicious else 1.0 - p, 3),
            "evidence": evidence,
            "spans": merge_spans(spans) if malicious else [],
            "stage": "learned+llm",
            "flags": llm.flags,
        }
    )


def combine(rules: RuleAssessment, llm: Verdict) -> Verdict:
    """Where the rules were unsure, their score and the classifier's probability count
    equally: a confident classifier decides, an unsure one leaves the rules' lean. A message
    left open only for its risk cues has no rules' lean: the rules count as undecided (0.5),
    or a classifier could never condemn what no phrase rule saw."""
    p_llm = llm.confidence if llm.malicious else 1.0 - llm.confidence
    prior = 0.5 if rules.cues and rules.score < SETTLE_BENIGN else rules.score
    p = (prior + p_llm) / 2
    malicious = p >= DECIDE
    category = llm.category if llm.malicious else rules.suspect_category
    if malicious and category == "none":
        category = "injection"  # unreachable in practice: a rules score needs a category
    spans = merge_spans([*llm.spans, *(rules.suspect_spans if malicious else [])])
    return llm.model_copy(
        update={
            "malicious": malicious,
            "category": category if malicious else "none",
            "confidence": round(p if malicious else 1.0 - p, 3),
            "evidence": (llm.evidence or rules.suspect_evidence) if malicious else "",
            "spans": spans if malicious else [],
            "stage": "rules+llm",
        }
    )


__all__ = [
    "CATEGORIES",
    "ArbitralPolicy",
    "ArbitralReply",
    "Consequence",
    "RuleAssessment",
    "TrustLedger",
    "Verdict",
    "assess",
    "build_messages",
    "classify",
    "combine",
    "combine_learned",
    "consequences",
    "deterministic",
    "contain",
    "is_offence",
    "judge",
    "learned_stage",
    "update_trust",
]
