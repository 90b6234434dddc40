"""Machine-checkable rules carried by corpus documents, and a pure checker for them.

A document's front-matter lists `constraints:`; each is one of the kinds below, chosen by
`kind`. They are data, not prose, so the validation unit can enforce them without an LLM and
without the vector index (constraints_for works on parsed documents alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from maestro.knowledge.errors import MissingFactError

if TYPE_CHECKING:
    from maestro.knowledge.documents import Document

# Small floating-point slack so that 100.0000000001 % from a float sum is not a violation.
_EPS = 1e-9

# Jurisdictions that sit inside a wider one: an EU rule applies in Germany too.
PARENT_JURISDICTION = {
    "DE": "EU", "FR": "EU", "IT": "EU", "ES": "EU", "NL": "EU", "BE": "EU", "AT": "EU",
    "IE": "EU", "PL": "EU", "SE": "EU", "FI": "EU", "DK": "EU", "PT": "EU", "GR": "EU",
}  # fmt: skip


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str | None = Field(None, max_length=300, description="why the rule exists, short")


class _Bounded(_Rule):
    topic: str = Field(min_length=1, max_length=64)
    value: float | None = Field(None, allow_inf_nan=False)
    value_from: str | None = Field(
        None, min_length=1, max_length=64, description="a named fact, e.g. peak_rate"
    )
    unit: str | None = Field(None, max_length=16)

    @model_validator(mode="after")
    def _one_bound(self) -> _Bounded:
        if (self.value is None) == (self.value_from is None):
            raise ValueError("give exactly one of 'value' and 'value_from'")
        return self

    def bound(self, facts: dict[str, float]) -> float:
        if self.value is not None:
            return self.value
        assert self.value_from is not None
        if self.value_from not in facts:
            raise MissingFactError(
                f"constraint on {self.topic} needs the fact '{self.value_from}', which was not given"
            )
        return float(facts[self.value_from])


class MaxValue(_Bounded):
    """The negotiated value must not exceed a number or a named fact."""

    kind: Literal["max_value"] = "max_value"


class MinValue(_Bounded):
    """The negotiated value must not fall below a number or a named fact."""

    kind: Literal["min_value"] = "min_value"


class SumAtMost(_Rule):
    """Summed over all slices, a field must stay at or below a bound (e.g. min ratios <= 100)."""

    kind: Literal["sum_at_most"] = "sum_at_most"
    field: str = Field(min_length=1, max_length=64)
    value: float = Field(allow_inf_nan=False)
    topic: str | None = Field(None, max_length=64)


class MinShare(_Rule):
    """A slice of the given SST must keep at least this share (0..1) of the resource."""

    kind: Literal["min_share"] = "min_share"
    slice_sst: int = Field(ge=0, le=255)
    value: float = Field(ge=0, le=1)
    topic: str | None = Field(None, max_length=64)


Constraint = Annotated[MaxValue | MinValue | SumAtMost | MinShare, Field(discriminator="kind")]
CONSTRAINT_KINDS = ("max_value", "min_value", "sum_at_most", "min_share")
constraint_adapter: TypeAdapter[Constraint] = TypeAdapter(Constraint)


class AppliedConstraint(BaseModel):
    """A constraint together with where it comes from, so a violation can cite it."""

    model_config = ConfigDict(frozen=True)

    constraint: Constraint
    document: str
    source: str
    jurisdiction: str

    @property
    def kind(self) -> str:
        return self.constraint.kind


class Violation(BaseModel):
    """A value outside a constraint, with the citation the record and the flag need."""

    model_config = ConfigDict(frozen=True)

    kind: str
    document: str
    source: str
    bound: float
    value: float
    message: str


def _describe(c: Constraint) -> str:
    if isinstance(c, MaxValue | MinValue):
        return c.topic
    if isinstance(c, SumAtMost):
        return f"sum of {c.field}"
    return f"share of the SST {c.slice_sst} slice"


def check(
    constraint: AppliedConstraint | Constraint, value: float, facts: dict[str, float] | None = None
) -> Violation | None:
    """None when `value` respects the constraint, else a Violation citing its document.

    `value` is the negotiated number for max/min_value, the sum over slices for sum_at_most
    and the slice's share (0..1) for min_share. Raises MissingFactError when the bound is a
    fact absent from `facts`.
    """
    facts = facts or {}
    if isinstance(constraint, AppliedConstraint):
        rule, doc, source = constraint.constraint, constraint.document, constraint.source
    else:
        rule, doc, source = constraint, "", ""
    if isinstance(rule, MaxValue):
        bound = rule.bound(facts)
        broken, word = value > bound + _EPS, "above the maximum"
    elif isinstance(rule, MinValue):
        bound = rule.bound(facts)
        broken, word = value < bound - _EPS, "below the minimum"
    elif isinstance(rule, SumAtMost):
        bound = rule.value
        broken, word = value > bound + _EPS, "above the allowed total"
    else:
        bound = rule.value
        broken, word = value < bound - _EPS, "below the reserved share"
    if not broken:
        return None
    cite = f" ({doc}: {source})" if doc else ""
    return Violation(
        kind=rule.kind,
        document=doc,
        source=source,
        bound=bound,
        value=value,
        message=f"{_describe(rule)} {value:g} is {word} {bound:g}{cite}",
    )


def normalise_jurisdiction(jurisdiction: str) -> str:
    """'global' in lower case, every code (EU, US, DE...) in upper case."""
    j = jurisdiction.strip()
    return "global" if j.lower() == "global" else j.upper()


def applicable_jurisdictions(jurisdiction: str | None) -> list[str] | None:
    """The jurisdictions whose rules hold in `jurisdiction`: itself, its parents, global.

    None means no filter (every jurisdiction).
    """
    if jurisdiction is None:
        return None
    chain = [normalise_jurisdiction(jurisdiction)]
    while chain[-1] in PARENT_JURISDICTION:
        chain.append(PARENT_JURISDICTION[chain[-1]])
    if "global" not in chain:
        chain.append("global")
    return chain


def _matches(rule: Constraint, topic: str, doc_topics: Sequence[str]) -> bool:
    own = getattr(rule, "topic", None)
    if own is not None:
        return bool(own == topic)
    return topic in doc_topics


def constraints_for(
    topic: str, jurisdiction: str | None, documents: Iterable[Document]
) -> list[AppliedConstraint]:
    """The constraints of `documents` that bear on `topic` in `jurisdiction` (None: any).

    A constraint with its own `topic` applies to that topic; one without applies to every
    topic its document lists. Works from the front-matter alone: no index is needed.
    """
    allowed = applicable_jurisdictions(jurisdiction)
    found: list[AppliedConstraint] = []
    for doc in documents:
        if allowed is not None and doc.jurisdiction not in allowed:
            continue
        for rule in doc.constraints:
            if _matches(rule, topic, doc.topics):
                found.append(
                    AppliedConstraint(
                        constraint=rule,
                        document=doc.id,
                        source=doc.source,
                        jurisdiction=doc.jurisdiction,
                    )
                )
    return found
