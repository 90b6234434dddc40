"""The intent pipeline's LLM stages: formaliser, classifier, policy generator, validator and
assurance LLM (the paper's §III-A and §V-A).

Each stage is a factory taking its chat model and returning a function of plain data; each
has one pydantic reply model that gives the grammar's JSON schema, the validation and the
retry message (as the negotiation's replies do, see :mod:`maestro.agents.replies`). A reply
that fails validation goes back to the model once per retry with what was wrong; after the
last retry the stage raises :class:`StageFailed` and the caller decides what that means —
nothing downstream ever acts on an unvalidated reply.

Numbers are the tools' (collectors from eq. 15, health, gradients, penalties): the stages
get them as facts in the prompt and the checks compare what the model says with them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from maestro.agents.central_llm import to_langchain
from maestro.agents.prompting import render
from maestro.agents.providers import ModelCallError, bind_json_schema, reads_facts
from maestro.agents.replies import ReplyError, describe, parse_reply, reply_schema
from maestro.tools.intent import CATALOGUE, CONDITIONS, INTENT_TYPES, IntentError, IntentSpec

__all__ = [
    "ActionChoice",
    "AssuranceReply",
    "ClassifierReply",
    "FormalizeReply",
    "GeneratorReply",
    "PolicyCall",
    "StageFailed",
    "StageResult",
    "ValidatorReply",
    "ask_json",
    "make_assurance_llm",
    "make_classifier",
    "make_formalizer",
    "make_policy_generator",
    "make_validator",
]

_Kind = Literal[INTENT_TYPES]  # type: ignore[valid-type]
_Cond = Literal[CONDITIONS]  # type: ignore[valid-type]


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Pair(_Reply):
    key: str = Field(min_length=1, max_length=40)
    value: str = Field(min_length=1, max_length=80)


class KpiItem(_Reply):
    name: str
    condition: _Cond
    value: list[float] = Field(min_length=1, max_length=2)
    unit: str


def _kpis_schema() -> dict[str, Any]:
    """The grammar's view of the KPI list: one object shape per catalogue KPI, with only the
    units that KPI can have, so constrained decoding cannot pair availability with 'ms'.
    Validation reads the same list as plain KpiItems and the catalogue check names what is
    wrong (ranges, conditions) in one sentence for the retry."""
    shapes = []
    for k in CATALOGUE.values():
        shapes.append(
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "condition", "value", "unit"],
                "properties": {
                    "name": {"type": "string", "enum": [k.name]},
                    "condition": {"type": "string", "enum": list(CONDITIONS)},
                    "value": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 1,
                        "maxItems": 2,
                    },
                    "unit": {"type": "string", "enum": list(dict.fromkeys([k.unit, *k.units, ""]))},
                },
            }
        )
    return {"type": "array", "maxItems": 8, "items": {"anyOf": shapes}}


class FormalizeReply(_Reply):
    intent_type: _Kind
    formal: list[Pair] = Field(max_length=12)
    kpis: Annotated[list[KpiItem], WithJsonSchema(_kpis_schema())] = Field(max_length=8)


class ClassifierReply(_Reply):
    intent_type: _Kind
    reason: str = Field(min_length=1, max_length=200)


class Arg(_Reply):
    name: str = Field(min_length=1, max_length=40)
    value: str | float | list[str]


class PolicyCall(_Reply):
    id: str = Field(min_length=1, max_length=12)  # M1, A1, E1 as in Table II
    api: str = Field(min_length=1, max_length=40)
    args: list[Arg] = Field(max_length=10)

    def arg_dict(self) -> dict[str, Any]:
        return {a.name: a.value for a in self.args}


class GeneratorReply(_Reply):
    done: bool
    policy: PolicyCall | None = None
    reasoning: str = Field(min_length=1, max_length=300)


class ValidatorReply(_Reply):
    ok: bool
    problems: list[str] = Field(max_length=5)


class ActionChoice(_Reply):
    action: str = Field(min_length=1, max_length=40)
    subservice: str = Field(min_length=1, max_length=64)
    penalty: float = Field(ge=0, allow_inf_nan=False)


class AssuranceReply(_Reply):
    actions: list[ActionChoice] = Field(min_length=1, max_length=3)
    reasoning: str = Field(min_length=1, max_length=400)


class StageFailed(RuntimeError):
    """A stage's model gave no acceptable reply within its retries (or could not be reached)."""

    def __init__(self, stage: str, message: str, calls: int = 0) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.calls = calls


@dataclass
class StageResult:
    reply: Any
    calls: int = 0
    llm_s: float = 0.0
    errors: list[str] = field(default_factory=list)  # rejected attempts, in order


Check = Callable[[Any], None]  # raises ReplyError / IntentError when the reply is wrong


def ask_json(
    stage: str,
    model: BaseChatModel,
    reply_cls: type[BaseModel],
    messages: list[dict[str, str]],
    facts: Mapping[str, Any] | None = None,
    check: Check | None = None,
    retries: int = 2,
) -> StageResult:
    """Ask under the reply's JSON schema; validate, run ``check``, retry with the error."""
    runnable = bind_json_schema(model, reply_schema(reply_cls), f"{stage}_reply")
    extra = {"facts": {"stage": stage, **(facts or {})}} if reads_facts(model) else {}
    result = StageResult(reply=None)
    convo = list(messages)
    for _ in range(retries + 1):
        started = time.perf_counter()
        try:
            answer = runnable.invoke(to_langchain(convo), None, **extra)
        except Exception as exc:  # no reply at all: retrying the same prompt will not help
            kind = exc.kind if isinstance(exc, ModelCallError) else "failed"
            raise StageFailed(stage, f"model call failed ({kind}): {exc}", result.calls) from exc
        finally:
            result.calls += 1
            result.llm_s += time.perf_counter() - started
        text = answer.content if isinstance(answer.content, str) else json.dumps(answer.content)
        try:
            reply = parse_reply(reply_cls, text)
            if check is not None:
                check(reply)
        except (ReplyError, IntentError, ValueError) as exc:
            msg = describe(exc) if isinstance(exc, ValidationError) else str(exc)
            result.errors.append(msg)
            convo += [
                {"role": "assistant", "content": text},
                {"role": "user", "content": render("retry.txt", error=msg)},
            ]
            if extra:
                extra["facts"] = {**extra["facts"], "retry_error": msg}
            continue
        result.reply = reply
        return result
    raise StageFailed(
        stage, f"no valid reply after {retries + 1} attempts: {result.errors[-1]}", result.calls
    )


def _messages(system: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": render(system)}, {"role": "user", "content": user}]


def formal_to_intent(reply: FormalizeReply, text: str, **extra: Any) -> IntentSpec:
    """The reply as an intent; raises IntentError naming a KPI the catalogue refuses."""
    formal = {p.key: p.value for p in reply.formal}
    contexts = {k: v for k, v in formal.items() if k.lower() in ("domain", "zone")}
    try:
        return IntentSpec.model_validate(
            {
                "text": text,
                "intent_type": reply.intent_type,
                "formal": formal,
                "contexts": contexts,
                "kpis": [k.model_dump() for k in reply.kpis],
                **extra,
            }
        )
    except ValidationError as exc:
        raise IntentError(describe(exc).removeprefix("Value error, ")) from None


def make_formalizer(model: BaseChatModel, retries: int = 2) -> Callable[[str], StageResult]:
    """Text -> IntentSpec (reply in ``StageResult.reply``), KPIs checked against the catalogue."""

    def formalize(text: str) -> StageResult:
        if not isinstance(text, str) or not text.strip():
            raise IntentError("the intent text is empty")
        built: dict[str, IntentSpec] = {}

        def check(reply: FormalizeReply) -> None:
            built["intent"] = formal_to_intent(reply, text)

        msgs = _messages(
            "intent_formalize_system.txt", render("intent_formalize_user.txt", text=text)
        )
        result = ask_json("formalizer", model, FormalizeReply, msgs, {"text": text}, check, retries)
        result.reply = built["intent"]
        return result

    return formalize


def make_classifier(model: BaseChatModel, retries: int = 2) -> Callable[[IntentSpec], StageResult]:
    def classify(intent: IntentSpec) -> StageResult:
        msgs = _messages(
            "assurance_classifier_system.txt",
            render(
                "assurance_classifier_user.txt",
                text=intent.text or intent.name,
                formal=json.dumps(intent.formal),
            ),
        )
        return ask_json(
            "classifier",
            model,
            ClassifierReply,
            msgs,
            {"intent": intent.model_dump(mode="json")},
            None,
            retries,
        )

    return classify


def make_policy_generator(model: BaseChatModel, retries: int = 2) -> Callable[..., StageResult]:
    """One policy at a time, given the intent, its type and every earlier policy's feedback."""

    def generate(
        intent: IntentSpec,
        intent_type: str,
        phase: str,
        history: list[dict[str, Any]],
        facts: dict[str, Any],
        problem: str | None = None,
    ) -> StageResult:
        lines = [
            f"{h['id']} = ({h['api']}, {json.dumps(h['args'])}) -> "
            f"{h['success']}, {json.dumps(h['state'])}"
            for h in history
        ]
        user = render(
            "assurance_generator_user.txt",
            phase=phase,
            intent_type=intent_type,
            text=intent.text or intent.name,
            kpis=json.dumps(intent.kpi_vector()),
            history="\n".join(lines) or "(none yet)",
            facts=json.dumps(facts),
            problem=f"The validator rejected your last policy: {problem}" if problem else "",
        )
        msgs = _messages("assurance_generator_system.txt", user)
        return ask_json(
            "generator",
            model,
            GeneratorReply,
            msgs,
            {
                "phase": phase,
                "history": history,
                "tool_facts": facts,
                "problem": problem,
                "intent": intent.model_dump(mode="json"),
            },
            None,
            retries,
        )

    return generate


def make_validator(model: BaseChatModel, retries: int = 1) -> Callable[..., StageResult]:
    def validate(
        intent: IntentSpec,
        policy: dict[str, Any],
        history: list[dict[str, Any]],
        tool_problems: list[str],
    ) -> StageResult:
        user = render(
            "assurance_validator_user.txt",
            text=intent.text or intent.name,
            policy=json.dumps(policy),
            history=json.dumps(
                [{k: h[k] for k in ("id", "api", "args", "success")} for h in history]
            ),
            tool_problems="; ".join(tool_problems) or "none",
        )
        msgs = _messages("assurance_validator_system.txt", user)
        return ask_json(
            "validator",
            model,
            ValidatorReply,
            msgs,
            {"policy": policy, "tool_problems": tool_problems},
            None,
            retries,
        )

    return validate


def make_assurance_llm(model: BaseChatModel, retries: int = 2) -> Callable[..., StageResult]:
    """Pick corrective actions from the drift report; the choice must be one the tools
    offered, with the tools' penalty."""

    def assure(report: dict[str, Any], targets: dict[str, Any], failed: list[str]) -> StageResult:
        offered = {(a["action"], a["sub-service"]): a for a in report.get("actions", [])}

        def check(reply: AssuranceReply) -> None:
            for choice in reply.actions:
                cand = offered.get((choice.action, choice.subservice))
                if cand is None:
                    raise ReplyError(
                        f"{choice.action} on {choice.subservice} is not among the "
                        f"offered actions {sorted(offered)}"
                    )
                if abs(cand["penalty"] - choice.penalty) > 1e-6:
                    raise ReplyError(
                        f"penalty of {choice.action} on {choice.subservice} is "
                        f"{cand['penalty']:g} by the drift tools, not "
                        f"{choice.penalty:g}"
                    )

        summary = {
            "service_health_pct": report["service_health_pct"],
            "composite_health": report["composite_health"],
            "availability": {
                k: report["availability"][k] for k in ("target", "measured", "current", "met")
            },
            "drift_gradients": report["drift"]["subservice_gradients"],
            "actions": [
                {
                    k: a[k]
                    for k in (
                        "rank",
                        "action",
                        "sub-service",
                        "penalty",
                        "restores_intent",
                        "downtime_s",
                    )
                }
                for a in report.get("actions", [])
            ],
        }
        user = render(
            "assurance_llm_user.txt",
            targets=json.dumps(targets),
            report=json.dumps(summary),
            failed=", ".join(failed) or "none",
        )
        msgs = _messages("assurance_llm_system.txt", user)
        return ask_json(
            "assurance",
            model,
            AssuranceReply,
            msgs,
            {"report": report, "failed": failed},
            check,
            retries,
        )

    return assure
