"""The standard shapes of an intent: 3GPP TS 28.312 and TM Forum TMF921, both ways.

TS 28.312 (``Intent{userLabel, intentExpectations[], intentContexts[],
intentFulfilmentInfo}``): one expectation carries the verb, the object (type, instance,
its contexts: where the intent applies, e.g. Domain = West), one target per KPI and the
remaining key:value pairs as expectation contexts. The intent type and the natural-language
text travel as intent contexts (``intentType``, ``intentText``), the only place the
standard leaves for them.

TMF921 (``/tmf-api/intent/v4/intent``): an Intent resource whose ``expression`` holds the
TS 28.312 document (``expressionLanguage: "3GPP-TS28.312-JSON"``), with the text in
``description``. So both shapes carry the same content and convert without loss:
``to_tmf921(from_28312(doc))`` and back gives the document again.

The parsers are deterministic: no LLM reads a standard document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .catalogue import IntentError
from .model import IntentSpec

__all__ = [
    "TMF921_BASE",
    "TMF921_LANGUAGE",
    "detect_format",
    "from_28312",
    "from_tmf921",
    "load_intent",
    "to_28312",
    "to_tmf921",
]

TMF921_BASE = "/tmf-api/intent/v4/intent"
TMF921_LANGUAGE = "3GPP-TS28.312-JSON"
_INTENT_CTX = {"intentType": "intent_type", "intentText": "text"}


def _ctx(attr: str, value: str) -> dict[str, Any]:
    return {
        "contextAttribute": attr,
        "contextCondition": "IS_EQUAL_TO",
        "contextValueRange": [value],
    }


def to_28312(intent: IntentSpec) -> dict[str, Any]:
    """The intent as a TS 28.312 ``Intent`` document."""
    kpi_keys = {k.lower() for k in intent.formal} & {k.name.lower() for k in intent.kpis}
    expectation: dict[str, Any] = {
        "expectationId": "1",
        "expectationVerb": intent.verb,
        "expectationObjects": [
            {
                "objectType": intent.object_type,
                **({"objectInstance": intent.object_instance} if intent.object_instance else {}),
                "objectContexts": [_ctx(k, v) for k, v in intent.contexts.items()],
            }
        ],
        "expectationTargets": [
            {
                "targetName": k.name,
                "targetCondition": k.condition,
                "targetValueRange": list(k.value),
                "targetContexts": [],
            }
            for k in intent.kpis
        ],
        "expectationContexts": [
            _ctx(k, v) for k, v in intent.formal.items() if k.lower() not in kpi_keys
        ],
    }
    contexts = [_ctx("intentType", intent.intent_type)]
    if intent.text:
        contexts.append(_ctx("intentText", intent.text))
    kpi_formal = {k: v for k, v in intent.formal.items() if k.lower() in kpi_keys}
    for k, v in kpi_formal.items():
        contexts.append(_ctx(f"formal:{k}", v))
    return {
        "Intent": {
            "id": intent.id,
            "userLabel": intent.name,
            "intentExpectations": [expectation],
            "intentContexts": contexts,
            "intentFulfilmentInfo": {"fulfilStatus": "NOT_FULFILLED"},
        }
    }


def _mapping(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise IntentError(f"{where}: must be a mapping, got {type(value).__name__}")
    return value


def _list(where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise IntentError(f"{where}: must be a list, got {type(value).__name__}")
    return value


def _context_pairs(where: str, items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, c in enumerate(_list(where, items)):
        c = _mapping(f"{where}[{i}]", c)
        attr = c.get("contextAttribute")
        values = _list(f"{where}[{i}].contextValueRange", c.get("contextValueRange"))
        if not isinstance(attr, str) or not attr or len(values) != 1:
            raise IntentError(
                f"{where}[{i}]: needs a contextAttribute and one value in contextValueRange"
            )
        out[attr] = str(values[0])
    return out


def from_28312(doc: Any) -> IntentSpec:
    """Read a TS 28.312 document (``{"Intent": {...}}`` or the bare Intent)."""
    doc = _mapping("document", doc)
    body = _mapping("Intent", doc["Intent"]) if "Intent" in doc else doc
    expectations = _list("Intent.intentExpectations", body.get("intentExpectations"))
    if len(expectations) != 1:
        raise IntentError(
            "Intent.intentExpectations: maestro reads exactly one expectation, "
            f"got {len(expectations)}"
        )
    exp = _mapping("intentExpectations[0]", expectations[0])
    objects = _list("expectationObjects", exp.get("expectationObjects"))
    obj = _mapping("expectationObjects[0]", objects[0]) if objects else {}
    contexts = _context_pairs("intentContexts", body.get("intentContexts"))
    formal = _context_pairs("expectationContexts", exp.get("expectationContexts"))
    formal |= {k.removeprefix("formal:"): v for k, v in contexts.items() if k.startswith("formal:")}
    kpis = []
    for i, t in enumerate(_list("expectationTargets", exp.get("expectationTargets"))):
        t = _mapping(f"expectationTargets[{i}]", t)
        kpis.append(
            {
                "name": t.get("targetName", ""),
                "condition": t.get("targetCondition"),
                "value": t.get("targetValueRange"),
                "unit": t.get("unit"),
            }
        )
    data = {
        "id": str(body.get("id") or "intent-1"),
        "name": str(body.get("userLabel") or body.get("id") or "intent"),
        "verb": exp.get("expectationVerb", "DELIVER"),
        "object_type": obj.get("objectType", "service"),
        "object_instance": obj.get("objectInstance"),
        "contexts": _context_pairs("objectContexts", obj.get("objectContexts")),
        "formal": formal,
        "kpis": kpis,
        **{_INTENT_CTX[k]: v for k, v in contexts.items() if k in _INTENT_CTX},
    }
    return _validated(data, "TS 28.312 document")


def to_tmf921(intent: IntentSpec) -> dict[str, Any]:
    """The intent as a TMF921 Intent resource wrapping its TS 28.312 expression."""
    out: dict[str, Any] = {
        "id": intent.id,
        "href": f"{TMF921_BASE}/{intent.id}",
        "name": intent.name,
        "version": "1",
        "lifecycleStatus": "created",
        "expression": {"expressionLanguage": TMF921_LANGUAGE, "expressionValue": to_28312(intent)},
        "@type": "Intent",
    }
    if intent.text:
        out["description"] = intent.text
    if intent.created:
        out["creationDate"] = intent.created
    return out


def from_tmf921(doc: Any) -> IntentSpec:
    """Read a TMF921 Intent resource whose expression is a TS 28.312 document."""
    doc = _mapping("document", doc)
    expr = _mapping("expression", doc.get("expression"))
    lang = expr.get("expressionLanguage")
    if lang != TMF921_LANGUAGE:
        raise IntentError(
            f"expression.expressionLanguage: maestro reads {TMF921_LANGUAGE!r}, got {lang!r}"
        )
    inner = from_28312(expr.get("expressionValue"))
    data = inner.model_dump()
    data["id"] = str(doc.get("id") or inner.id)
    data["name"] = str(doc.get("name") or inner.name)
    if doc.get("description"):
        data["text"] = str(doc["description"])
    if doc.get("creationDate"):
        data["created"] = str(doc["creationDate"])
    return _validated(data, "TMF921 intent")


def _validated(data: dict[str, Any], what: str) -> IntentSpec:
    try:
        return IntentSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or what
        raise IntentError(
            f"{what}: {where}: {str(err['msg']).removeprefix('Value error, ')}"
        ) from None


def detect_format(doc: Any) -> str:
    """'28312', 'tmf921' or 'maestro' (the project's own form), from the document's keys."""
    if isinstance(doc, Mapping):
        if "Intent" in doc or "intentExpectations" in doc:
            return "28312"
        if "expression" in doc:
            return "tmf921"
        if "kpis" in doc or "formal" in doc or "intent_type" in doc:
            return "maestro"
    raise IntentError(
        "not an intent document: expected a TS 28.312 Intent, a TMF921 intent "
        "(with 'expression') or maestro's form (with 'kpis')"
    )


def load_intent(doc: Any, fmt: str | None = None) -> IntentSpec:
    """Any of the three forms, detected when ``fmt`` is None."""
    kind = fmt or detect_format(doc)
    if kind == "28312":
        return from_28312(doc)
    if kind == "tmf921":
        return from_tmf921(doc)
    if kind == "maestro":
        return _validated(dict(_mapping("document", doc)), "intent")
    raise IntentError(f"unknown intent format {kind!r} (use 28312, tmf921 or maestro)")
