"""Private text must not leave an agent, even when its own model quotes it.

The framework never puts an operator's `business_intent` into another agent's prompt, but a
model that repeats its own private intent in its reasoning would carry it to the mediator and
the rivals. `redact_private` finds exact and near-verbatim copies of private texts in a text
about to leave the agent and replaces them with "[redacted]".

How a copy is recognised: both texts are cut into normalised words (case, accents and
punctuation ignored). Runs of at least two consecutive words shared with a private text are
chained when they follow the private text's order with at most `MAX_GAP` words inserted or
dropped between them, so a quote with a word changed or added still forms one chain. A chain
counts as a copy when it covers at least `MIN_WORDS` shared words (or the whole private text
when that is shorter), holds a run of three or more, and is not made of filler words only. A
paraphrase shares words but rarely runs of them, so it is left alone; so are short phrases
any operator would write ("100 Mbps", "the cell").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from maestro.agents.domain import flag_record

REDACTED = "[redacted]"
PRIVATE_TEXT_FLAG = "private_text_redacted"
MIN_WORDS = 5  # shared words a chain needs before it counts as a quote
MIN_PRIVATE_WORDS = 3  # shorter private texts are not checked: too common to tell apart
MAX_GAP = 3  # words a quote may insert or drop between two shared runs

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words that carry no private meaning on their own: a chain of them alone is not a quote.
_FILLER = frozenset(
    "a an and are as at be but by for from has have i in is it its of on or our so that the "  # noqa: SIM905
    "their them they this to us was we were will with you your".split()
)


@dataclass(frozen=True)
class _Word:
    norm: str
    start: int
    end: int


@dataclass(frozen=True)
class _Run:
    """Words text[a:b] equal private[c:d]."""

    a: int
    b: int
    c: int
    d: int

    @property
    def size(self) -> int:
        return self.b - self.a


def _fold(text: str) -> str:
    # NFKD then dropping combining marks: "Café" and "cafe" are the same word.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _words(text: str) -> list[_Word]:
    return [_Word(_fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def _runs(text: list[str], private: list[str]) -> list[_Run]:
    """Maximal runs of two or more consecutive words the two texts share."""
    where: dict[str, list[int]] = {}
    for i, word in enumerate(private):
        where.setdefault(word, []).append(i)
    runs = []
    for j, word in enumerate(text):
        for i in where.get(word, ()):
            if j and i and text[j - 1] == private[i - 1]:
                continue  # not the start of a maximal run
            k = 1
            while j + k < len(text) and i + k < len(private) and text[j + k] == private[i + k]:
                k += 1
            if k >= 2:
                runs.append(_Run(j, j + k, i, i + k))
    return runs


def _chains(runs: list[_Run]) -> list[list[_Run]]:
    """Runs chained in both texts' order with small gaps; longest runs claim words first."""
    taken: list[_Run] = []
    for run in sorted(runs, key=lambda r: (-r.size, r.a)):
        if all(run.b <= t.a or run.a >= t.b for t in taken):
            taken.append(run)
    taken.sort(key=lambda r: r.a)
    chains: list[list[_Run]] = []
    for run in taken:
        last = chains[-1][-1] if chains else None
        if last is not None and 0 <= run.a - last.b <= MAX_GAP and 0 <= run.c - last.d <= MAX_GAP:
            chains[-1].append(run)
        else:
            chains.append([run])
    return chains


def _is_quote(chain: list[_Run], private: list[str], needed: int) -> bool:
    shared = [w for r in chain for w in private[r.c : r.d]]
    if len(shared) < needed or max(r.size for r in chain) < min(3, needed):
        return False
    return sum(w not in _FILLER for w in shared) >= 2


def find_private(text: str, private_texts: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans of `text` that copy one of `private_texts`, merged and sorted."""
    words = _words(text)
    norms = [w.norm for w in words]
    spans: list[tuple[int, int]] = []
    for secret in private_texts:
        private = [w.norm for w in _words(secret or "")]
        if len(private) < MIN_PRIVATE_WORDS:
            continue
        needed = min(MIN_WORDS, len(private))
        for chain in _chains(_runs(norms, private)):
            if _is_quote(chain, private, needed):
                spans.append((words[chain[0].a].start, words[chain[-1].b - 1].end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact_private(text: str, private_texts: Iterable[str]) -> tuple[str, bool]:
    """`text` with every copy of a private text replaced by "[redacted]", and whether any was."""
    spans = find_private(text, list(private_texts))
    if not spans:
        return text, False
    out, pos = [], 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(REDACTED)
        pos = end
    out.append(text[pos:])
    return "".join(out), True


def redaction_flag(agent: str, round_: int, field: str = "reasoning") -> dict[str, Any]:
    """The record's note that an agent's outgoing text quoted its private intent.

    The message names the field only: repeating what was redacted would defeat the purpose.
    """
    return flag_record(
        PRIVATE_TEXT_FLAG,
        agent,
        round_,
        f"{agent}'s {field} quoted its private business intent; the quote was redacted "
        "before the text left the agent",
    )


def private_texts_of(operator: Any) -> list[str]:
    """The fields of an operator spec that only its own agent may see."""
    intent = getattr(operator, "business_intent", None)
    if intent is None and isinstance(operator, dict):
        intent = operator.get("business_intent")
    return [intent] if intent else []


__all__ = [
    "PRIVATE_TEXT_FLAG",
    "REDACTED",
    "find_private",
    "private_texts_of",
    "redact_private",
    "redaction_flag",
]
