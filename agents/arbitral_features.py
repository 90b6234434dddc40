"""Features the learned arbitral stage adds to its n-grams: glosses and sentence cues.

Why: n-grams only know the words of the training messages, and only next to each other.
Two cheap additions widen what a few hundred messages teach:

- glosses: a handful of words an operator writing German, Spanish, French, Italian or
  Portuguese would use for the notions that matter here (ignore, instructions, mediator,
  costs, in return, press, ...) add the English word's token, so what the model learned from
  English messages applies to them too;
- cues: notions that matter when they meet in one sentence, wherever the words stand (a
  rival operator and a data noun; money and an agreement word; coordinated bidding; an
  addressed reader and an imperative), each a token of its own and each pair a token.

Written from general knowledge of the languages and of the categories, not from any message.
"""

from __future__ import annotations

import re

# (foreign word pattern, the English word whose token it adds)
_GLOSSES: tuple[tuple[str, str], ...] = (
    (
        r"ignorier\w*|vergiss\w*|vergessen|ignora\w*|olvid\w*|ignorez|ignorer|oubli\w*|"
        r"dimentic\w*|esque[cç]\w*",
        "ignore",
    ),
    (
        r"anweisung\w*|instruktion\w*|instruccion\w*|consignes?|istruzion\w*|instru[cç][oõ]es",
        "instructions",
    ),
    (r"vorherig\w*|bisherig\w*|anterior\w*|pr[ée]c[ée]dent\w*|precedent\w*", "previous"),
    (r"vermittler\w*|mediador\w*|m[ée]diateur\w*|mediatore|mediatrice", "mediator"),
    (r"betreiber\w*|operador\w*|op[ée]rateur\w*|operatore|operatori", "operator"),
    (r"modell|modelo|mod[èe]le|modello|sistema|syst[èe]me", "model"),
    (r"kunden|clientes|clients|clienti|abonnenten|abonados|abonn[ée]s|abbonati", "customers"),
    (r"kosten|costes|costos|co[ûu]ts?|costi|custos", "costs"),
    (r"marge|margen|marges|margine|margem", "margin"),
    (r"kostenlos\w*|gratis|gratuit\w*", "free"),
    (r"gefallen|favor|faveur|favore", "favour"),
    (r"im gegenzug|a cambio|en [ée]change|in cambio|em troca|en retour", "return"),
    (r"zahl\w*|bezahl\w*|pag[aoue]\w*|pay[eé]\w*", "pay"),
    (r"bereu\w*|lamentar\w*|regrett\w*|pentir\w*|arrepent\w*", "regret"),
    (r"ausf[äa]ll\w*|ca[íi]das|pannes?|guasti|interrupci\w*", "outages"),
    (r"presse|prensa|stampa|imprensa|journalist\w*|periodist\w*|giornalist\w*", "press"),
    (r"anw[äa]lt\w*|abogad\w*|avocats?|avvocat\w*|advogad\w*", "lawyers"),
    (
        r"geheim\w*|secret[oa]s?|segret\w*|confidencial\w*|vertraulich\w*|confidentiel\w*|"
        r"riservat\w*",
        "secret",
    ),
    (r"gemeinsam|juntos|ensemble|insieme", "together"),
    (r"sabota\w*", "sabotage"),
    (r"daten|datos|donn[ée]es|dati|dados", "data"),
    (r"preis\w*|precios?|prix|prezz\w*|pre[çc]os?", "price"),
    (r"unterst[üu]tz\w*|apoy\w*|souten\w*|soutien\w*|sosten\w*|appoggi\w*", "support"),
    (r"wenn ihr nicht|wenn sie nicht|sonst|de lo contrario|sinon|altrimenti", "otherwise"),
    (r"st[öo]ren|st[öo]rung\w*|interf[ée]r\w*", "interfere"),
    (r"sagen sie uns|sagt uns|d[íi]ganos|dites-nous|diteci|nous dire|decirnos|dirci", "tell"),
    (r"potreste|k[öo]nnten sie|k[öo]nntet ihr|podr[íi]an|pourriez", "could"),
    (r"beide|ambos|ambas|entrambi|tous les deux|nous deux", "both"),
    (r"gegen|contra|contre|contro", "against"),
    (r"si no|si vous ne|si vous refusez|se non|falls ihr nicht|wenn nicht", "if"),
    (
        r"ver[öo]ffentlich\w*|publicar\w*|publierons|publier|pubblic\w*|enth[üu]ll\w*|"
        r"revelar\w*|r[ée]v[ée]ler\w*|rivel\w*",
        "publish",
    ),
    (r"saturar|saturer|saturare|lahm\w*|[üu]berlast\w*|inondar|inonder", "flood"),
    (r"m[íi]nimo|minimale?|mindest\w*|untergrenze", "minimum"),
    (r"reparti\w*|teilen|partager|dividir|dividere|spartire", "split"),
    (r"vorrang|prioridad|priorit[ée]|priorit[àa]", "priority"),
    (
        r"notfall\w*|emergencia\w*|urgence\w*|emergenza\w*|krankenhaus|h[ôo]pital|"
        r"ospedale",
        "emergency",
    ),
    (r"kapazit[äa]t|capacidad|capacit[ée]|capacit[àa]", "capacity"),
    (r"droht?|drohen|amenaz\w*|menac\w*|minacc\w*", "threaten"),
)
# One pattern with a group per gloss: a single scan of the text (27 scans took 0.13 ms).
GLOSSES = re.compile("|".join(rf"\b({p})\b" for p, _ in _GLOSSES))
_WORDS = tuple(word for _, word in _GLOSSES)

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


def glosses(norm: str) -> list[str]:
    """The English words for the foreign words of `norm` (lower case), once per occurrence."""
    return [_WORDS[m.lastindex - 1] for m in GLOSSES.finditer(norm) if m.lastindex]


def cue_tokens(norm: str) -> list[str]:
    """`h:` tokens: each cue found in a sentence, and each pair found in the same one."""
    out: list[str] = []
    for sentence in _SENTENCE.findall(norm):
        found = {name for name, pattern in CUES if pattern.search(sentence)}
        out += [f"h:{name}" for name in sorted(found)]
        out += [f"h:{a}&{b}" for a, b in PAIRS if a in found and b in found]
    return out


__all__ = ["CUES", "GLOSSES", "PAIRS", "cue_tokens", "glosses"]
