"""What a search returns: one passage with its citation and its document's constraints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from maestro.knowledge.constraints import Constraint


class Passage(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # the document id (cite it with `source`)
    title: str
    source: str
    jurisdiction: str
    topics: list[str]
    text: str
    score: float  # cosine similarity, 1 is identical
    constraints: list[Constraint] = []

    def citation(self) -> str:
        return f"[{self.id}] {self.source}"
