"""Intents in the standard shapes (3GPP TS 28.312, TM Forum TMF921) and their target KPIs.

:class:`IntentSpec` is the project's form (type, key:value pairs, KPI vector); :mod:`.shapes`
converts it to and from the two standards without an LLM; :mod:`.catalogue` says which KPIs,
units and ranges are valid; :func:`rule_formalize` is the rule-based reading of a text.
"""

from .catalogue import CATALOGUE, CONDITIONS, IntentError, KpiDef, canonical_name, validate_target
from .model import INTENT_TYPES, IntentSpec, KpiTargetSpec
from .rules import rule_formalize
from .shapes import (
    TMF921_BASE,
    TMF921_LANGUAGE,
    detect_format,
    from_28312,
    from_tmf921,
    load_intent,
    to_28312,
    to_tmf921,
)

__all__ = [
    "CATALOGUE",
    "CONDITIONS",
    "INTENT_TYPES",
    "TMF921_BASE",
    "TMF921_LANGUAGE",
    "IntentError",
    "IntentSpec",
    "KpiDef",
    "KpiTargetSpec",
    "canonical_name",
    "detect_format",
    "from_28312",
    "from_tmf921",
    "load_intent",
    "rule_formalize",
    "to_28312",
    "to_tmf921",
    "validate_target",
]
