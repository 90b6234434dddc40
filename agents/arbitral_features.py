"""Sentence cues the learned arbitral stage adds to its n-grams.

Why: n-grams see words only next to each other. Some notions matter when they meet in one
sentence wherever the words stand (a rival operator and a data noun; money and an agreement
word; coordinated bidding; an addressed reader and an imperative): each cue found in a
sentence is a token of its own, and each listed pair found together is one too. Measured by
leave-one-file-out cross-validation: precision 0.928 -> 0.933 pooled, one firm bargaining
message in 20 -> one in 25 condemned, privacy F1 0.90 -> 0.91, recall unchanged. (Glosses
of German, Spanish, French and Italian words into English tokens were tried as well and
changed nothing: the character n-grams already carry the cognates.)

Written from the categories' definitions, not from any labelled message.
"""

from __future__ import annotations

import re

# (cue name, pattern), matched per sentence of the lower-cased text
_CUES: tuple[tuple[str, str], ...] = (
    (
        "coord",
        r"\b(?:we all|all of us|both of us|we both|you and (?:we|us)|let's (?:all|both)|"
        r"each of us|nobody breaks|break(?:s|ing)? ranks|take turns|rotate|same (?:number|price|"
        r"bid|value)|in lockstep|together we)\b",
    ),
    (
        "emergency",
        r"\b(?:emergenc\w*|hospitals?|lives|life-saving|requisition\w*|national "
        r"(?:alert|emergency)|disaster|public safety|first responders)\b",
    ),
    (
        "reader",
        r"\b(?:mediator|whoever|the model|assistant|ai|system|agent|bot|llm|reader|"
        r"parser)\b",
    ),
    (
        "rival",
        r"\b(?:operator [a-z]\b|other operators?|rivals?|competitors?|the others|other "
        r"part(?:y|ies)|each party|every party)",
    ),
    (
        "data",
        r"\b(?:costs?|margins?|targets?|reservation|utility|budgets?|subscribers?|"
        r"customers?|contracts?|fallback|plans?|planning|strateg\w*|forecasts?|config\w*|notes|"
        r"weights?|bottom line|floor|"
        r"minimum|walk-?away|private|confidential|internal)\b",
    ),
    (
        "ask",
        r"\b(?:could you|can you|would you|tell us|let us know|share|reveal|what (?:is|are|"
        r"was|were)|how much|roughly|hypothetically|ballpark|off the record)\b",
    ),
    (
        "money",
        r"(?:[$€£]|\b(?:euros?|dollars?|pay\w*|cash|fees?|kickbacks?|compensat\w*|"
        r"credits?|free|discount\w*|rebates?|bonus|gifts?|reward\w*)\b)",
    ),
    (
        "agree",
        r"\b(?:support\w*|back\w*|vote|agree\w*|accept\w*|in return|in exchange|if you|"
        r"favou?rs?|deal|side|arrangement|quid pro quo)\b",
    ),
    (
        "imperative",
        r"(?:\byou (?:must|should|will|have to|need to|are (?:required|instructed|"
        r"now))\b|(?:^|:)\s*(?:ignore|forget|disregard|propose|set|output|print|reveal|tell|send|share|"
        r"give|accept|lower|drop|respond|reply|answer|treat|consider|act)\b)",
    ),
    (
        "harm",
        r"\b(?:jam\w*|sabotag\w*|leak\w*|expose\w*|press|journalists?|lawyers?|regret|"
        r"consequences|shame if|accidents?|outages?|make sure|hurt|pay for this|remember this)\b",
    ),
    (
        "secret",
        r"\b(?:secret\w*|off the record|between us|privately|quietly|no one needs to "
        r"know|nobody needs to know|under the table|unofficial\w*)\b",
    ),
)
CUES = tuple((name, re.compile(p)) for name, p in _CUES)
PAIRS = (
    ("rival", "data"),
    ("ask", "rival"),
    ("ask", "data"),
    ("reader", "data"),
    ("money", "agree"),
    ("coord", "agree"),
    ("reader", "imperative"),
    ("secret", "agree"),
    ("money", "reader"),
)
_SENTENCE = re.compile(r"[^.!?;\n]+")


def cue_tokens(norm: str) -> list[str]:
    """`h:` tokens: each cue found in a sentence, and each pair found in the same one."""
    out: list[str] = []
    for sentence in _SENTENCE.findall(norm):
        found = {name for name, pattern in CUES if pattern.search(sentence)}
        out += [f"h:{name}" for name in sorted(found)]
        out += [f"h:{a}&{b}" for a, b in PAIRS if a in found and b in found]
    return out


__all__ = ["CUES", "PAIRS", "cue_tokens"]
