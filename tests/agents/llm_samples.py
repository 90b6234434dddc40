"""A small structured-output request shared by the provider tests (local and OpenAI)."""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field


class Proposal(BaseModel):
    value: float
    reasoning: str = Field(max_length=160)


SCHEMA = {
    "type": "object",
    "properties": {
        "value": {"type": "number"},
        "reasoning": {"type": "string", "pattern": "^[A-Za-z0-9 ,.%'()-]{1,160}$"},
    },
    "required": ["value", "reasoning"],
}

PROMPT = [
    SystemMessage("You negotiate the cell throughput in Mbps, between 0 and 134, for an operator."),
    HumanMessage("The other operator proposed 60 Mbps. Reply with your proposal as JSON."),
]
