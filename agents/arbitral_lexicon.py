"""The arbitral rules' phrase lexicon: what instruction-like, threatening, prying and
colluding text looks like, with a weight per rule.

Weights are evidence, not verdicts: at 0.8 or more one rule settles a message on its own;
below 0.5 a rule only raises suspicion (it needs a second signal, or the LLM, to condemn).
Firm bargaining ("we will not go below 90", "this is our final offer", "we will walk away
and file with the regulator") matches nothing here by design. Patterns run on lower-cased,
NFKC-folded text; `[^.!?\\n]{0,N}` keeps a rule inside one sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    weight: float
    pattern: re.Pattern[str]


def _rule(name: str, category: str, weight: float, pattern: str) -> Rule:
    return Rule(name, category, weight, re.compile(pattern))


_S = r"[^.!?\n]"  # any character that stays in the sentence
_YOU = r"(?:you|your|yours|them|their|they|its|the other operators?|competitors?|rivals?)"

INJECTION = (
    _rule(
        "ignore_instructions",
        "injection",
        0.95,
        r"\b(?:ignore|disregard|forget|override|overriding|bypass|skip|drop|discard|"
        r"regardless of|notwithstanding|in spite of|despite)\b" + _S + r"{0,40}"
        r"\b(?:instructions?|rules?|prompts?|guidelines|directives?|constraints?|programming|"
        r"system message|context|orders|everything (?:above|before|else))\b",
    ),
    _rule(
        "new_instructions",
        "injection",
        0.85,
        r"\b(?:new|updated|revised|real|actual|true|secret|hidden|priority) "
        r"(?:instructions?|orders|directives?|task|rules|system prompt)\b",
    ),
    _rule(
        "from_now_on",
        "injection",
        0.6,
        r"\bfrom now on\b|\bhenceforth\b|\bfrom (?:this|here) (?:point )?on\b|\bstarting now\b",
    ),
    _rule(
        "instructions_void",
        "injection",
        0.9,
        r"\b(?:prior|previous|earlier|all|your|above|old|whatever|any)\b" + _S + r"{0,25}"
        r"\b(?:guidance|instructions?|rules|directives|prompts?|constraints|orders)\b"
        + _S
        + r"{0,25}\b(?:void|cancel+ed|revoked|suspended|obsolete|superseded|no longer "
        r"(?:apply|applies|valid|in force|matter|count))\b",
    ),
    _rule(
        "addresses_the_model",
        "injection",
        0.75,
        r"\b(?:to|dear|attention|hey|note to|message to|instruction to)\b,? (?:the |any )?"
        r"(?:ai|model|llm|assistant|language model|bot|chatbot|gpt|whoever reads this)\b",
    ),
    _rule(
        "invalidate_others",
        "injection",
        0.7,
        r"\btreat\b" + _S + r"{0,40}\bas (?:invalid|void|zero|null|malicious|spam|noise)\b",
    ),
    _rule(
        "you_are_now",
        "injection",
        0.85,
        r"\b(?:you are|you're|you will be|mediator,? you are) (?:now|no longer|hereby)\b",
    ),
    _rule(
        "role_play",
        "injection",
        0.8,
        r"\b(?:pretend (?:to be|you are|that)|role-?play|act as (?:if|though|the|an?)|"
        r"simulate (?:being|the)|imagine you are|behave as (?:the|an?))\b",
    ),
    _rule(
        "role_marker",
        "injection",
        0.95,
        r"(?:^|[\s\[<(#*>\"'])(?:system|assistant|developer|admin)\s*(?::|\]|>|\|)|"
        r"\[/?inst\]|<\|[a-z_]+\|>|<</?sys>>|###\s*(?:system|instruction)",
    ),
    _rule(
        "system_words",
        "injection",
        0.6,
        r"\b(?:system|developer|admin|administrator|root) "
        r"(?:prompt|message|override|mode|instruction|note|notice|command)s?\b",
    ),
    _rule(
        "impersonation",
        "injection",
        0.85,
        r"\b(?:i am|i'm|this is|speaking as|message from|note from|notice from|on behalf of) "
        r"(?:the|your) (?:mediator|system|administrator|admin|developer|arbitral unit|"
        r"orchestrator|framework|operator of this system)\b|\bas (?:the|your) (?:system "
        r"administrator|system admin|administrator|admin|developer|system operator)\b",
    ),
    _rule(
        "command_to_agents",
        "injection",
        0.45,
        r"\b(?:mediator|model|assistant|ai|llm|agents?|everyone|all parties|all operators|"
        r"other operators?)\b" + _S + r"{0,20}\b(?:must|shall|is instructed to|are instructed to|"
        r"is required to|are required to|has to|have to)\b" + _S + r"{0,30}\b(?:set|output|reply|"
        r"respond|print|declare|announce|adopt|approve|answer|assign|allocate|accept|propose)\b",
    ),
    _rule(
        "output_format_order",
        "injection",
        0.75,
        r"\b(?:output|print|respond with|reply with|answer with|return|write)\b"
        + _S
        + r"{0,20}\b(?:only|exactly|just|nothing but|verbatim)\b",
    ),
    _rule(
        "set_outcome",
        "injection",
        0.7,
        r"\b(?:set|change|force|fix|make|declare|record)\b" + _S + r"{0,15}\b(?:the )?"
        r"(?:consensus|agreement|final value|outcome|allocation|result|everyone's (?:value|"
        r"proposal))\b" + _S + r"{0,15}\b(?:to|at|=)\s*\d",
    ),
    _rule(
        "conceal_order",
        "injection",
        0.6,
        r"\b(?:do not|don't|never|must not) (?:mention|reveal|flag|warn|report|log|disclose) "
        r"(?:this|these|that|it|the)\b",
    ),
    _rule(
        "jailbreak",
        "injection",
        0.95,
        r"\b(?:jailbreak|dan mode|developer mode|god mode|prompt injection|unrestricted mode)\b",
    ),
    _rule(
        "end_of_input",
        "injection",
        0.7,
        r"\b(?:end of (?:message|input|proposal|reasoning|user input)|begin (?:new )?"
        r"(?:system|instructions?)|</?(?:reasoning|message|data|proposal)>)",
    ),
    _rule(
        "embedded_json",
        "injection",
        0.8,
        r"\{\s*\"?(?:value|reasoning|summary|feedback|malicious|category)\"?\s*:",
    ),
    _rule("spaced_letters", "injection", 0.5, r"(?:\b[a-z] ){6,}[a-z]\b"),
    _rule("encoded_blob", "injection", 0.45, r"[a-z0-9+/]{48,}={0,2}"),
    _rule(
        "foreign_injection",
        "injection",
        0.9,
        r"ignor(?:ez|iere|a|ar)\b" + _S + r"{0,30}(?:instructions|anweisungen|instrucciones|"
        r"istruzioni|instruções|consignes)|忽略|无视|系统提示|игнорируй|инструкции",
    ),
)

DECEPTION = (
    _rule(
        "claims_others_agreed",
        "deception",
        0.55,
        r"\b(?:all|the other|every|both|other)\b" + _S + r"{0,20}\b(?:operators?|parties|agents|"
        r"participants|sides)\b" + _S + r"{0,20}\b(?:already|have|has)\b" + _S + r"{0,10}"
        r"\b(?:agreed|accepted|approved|signed|conceded)\b",
    ),
    _rule(
        "already_decided",
        "deception",
        0.35,
        r"\b(?:already|officially) (?:been )?(?:approved|agreed|accepted|decided|settled|"
        r"confirmed|signed)\b|\bso (?:this|it) is (?:settled|decided|final)\b",
    ),
    _rule(
        "claims_authority",
        "deception",
        0.45,
        r"\b(?:mediator|regulator|ofcom|fcc|arcep|bnetza|ministry|authority|3gpp|etsi|itu)\b"
        + _S
        + r"{0,25}\b(?:has|have)\b"
        + _S
        + r"{0,10}\b(?:approved|ordered|mandated|"
        r"confirmed|guaranteed|promised|decided|ruled|granted|awarded)\b",
    ),
    _rule(
        "private_promise_claim",
        "deception",
        0.5,
        r"\b(?:privately|secretly|in private|behind the scenes)\b" + _S + r"{0,30}"
        r"\b(?:agreed|promised|told us|confirmed|assured)\b",
    ),
)

THREAT = (
    _rule(
        "threat_phrase",
        "threat",
        0.9,
        r"\b(?:or else|you will regret|you'll regret|we will make you|we'll make you|"
        r"watch your back|you have been warned|final warning|last warning|you will be sorry|"
        r"you'll be sorry|we know where|we will come after|we'll come after)\b",
    ),
    _rule(
        "harm_to_others",
        "threat",
        0.9,
        r"\b(?:destroy|ruin|crush|sabotage|jam|jamming|flood|attack|ddos|hack|interfere with|"
        r"disrupt|degrade|cripple|cut off|take down|knock out|punish|bury|expose|smear|"
        r"blacklist|retaliate against|make life hard for)\b" + _S + r"{0,25}\b" + _YOU + r"\b",
    ),
    _rule(
        "insult",
        "threat",
        0.85,
        r"\b(?:idiots?|stupid|morons?|moronic|incompetent|clowns?|pathetic|fools?|imbeciles?|"
        r"losers?|worthless|shut up|dumb|scum|parasites?|clueless|brainless|cretins?|"
        r"amateurs?|liars?|thieves|leeches|bunch of crooks|crooks)\b",
    ),
    _rule(
        "make_sure_harm",
        "threat",
        0.85,
        r"\bmake sure (?:that )?(?:you|your)\b"
        + _S
        + r"{0,30}\b(?:lose|suffer|regret|pay for|fail|"
        r"outages?|go dark|never)\b",
    ),
    _rule(
        "consequences",
        "threat",
        0.6,
        r"\b(?:face|suffer|there will be|serious|severe|dire|painful) (?:the )?consequences\b",
    ),
)

PRIVACY = (
    _rule(
        "asks_private_data",
        "privacy",
        0.85,
        r"\b(?:share|reveal|disclose|tell|send|give|show|provide|forward|leak|paste|print|repeat|"
        r"list|hand over|pass on|let us see|quote|what (?:is|are|was|were)|what's)\b"
        + _S
        + r"{0,40}\b(?:private|secret|"
        r"confidential|internal|business intents?|system prompts?|prompts?|instructions|"
        r"credentials?|passwords?|api keys?|subscriber (?:data|lists?|counts?|numbers)|"
        r"customer (?:data|lists?|records|base)|user data|imsis?|locations? of|traffic logs|"
        r"utility (?:functions?|weights?|parameters)|reservation (?:price|value)|walk-?away|"
        r"bottom line|cost (?:structure|figures|data)|revenue figures|pricing data)\b",
    ),
    _rule(
        "asks_others_targets",
        "privacy",
        0.45,
        r"\b(?:what (?:is|are|was|were)|tell us|share|reveal|disclose)\b" + _S + r"{0,25}"
        r"\b(?:the other operators?'?s?|competitors?'?|rivals?'?|their|each operator'?s|"
        r"everyone'?s|operator [a-z0-9]+'?s?)(?!\w)"
        + _S
        + r"{0,25}\b(?:targets?|budgets?|minimums?|costs?|plans?|"
        r"strategy|strategies|objectives?|weights?|limits?|offers?)\b",
    ),
    _rule(
        "forward_to_us",
        "privacy",
        0.5,
        r"\b(?:forward|pass|send|relay|leak)\b" + _S + r"{0,30}\b(?:to us|to me)\b",
    ),
    _rule(
        "mediator_pass_data",
        "privacy",
        0.6,
        r"\b(?:mediator|you)\b"
        + _S
        + r"{0,30}\b(?:forward|pass|send|relay|leak)\b"
        + _S
        + r"{0,30}\b(?:to us|to me|us their|me their|us the other)\b",
    ),
)

COLLUSION = (
    _rule(
        "bribe_words",
        "collusion",
        0.9,
        r"\b(?:bribe|bribes|kickbacks?|backhanders?|under the table|off the books|"
        r"off the record|hush money|sweeteners?|side payments?|side deals?|side agreements?|"
        r"secret deals?|private deals?|quid pro quo|back-?room deals?|cartel)\b",
    ),
    _rule(
        "cover_costs",
        "collusion",
        0.8,
        r"\b(?:cover|pay|waive|absorb|refund|forgive)\b"
        + _S
        + r"{0,10}\b(?:your|their)\b"
        + _S
        + r"{0,25}\b(?:fees?|costs?|bills?|charges|lease|licen[cs]es?|invoices?|debts?)\b",
    ),
    _rule(
        "on_us",
        "collusion",
        0.7,
        r"\b(?:is|are|will be) on us\b|\bour treat\b",
    ),
    _rule(
        "tacit_pact",
        "collusion",
        0.85,
        r"\b(?:quiet|secret|private|tacit|informal|silent|hidden) (?:understanding|arrangement|"
        r"agreement|pact|deal|alliance)\b",
    ),
    _rule(
        "payment_offer",
        "collusion",
        0.85,
        r"\b(?:we|i)(?:'ll| will| would| can| could| are willing to| are ready to| shall| offer to)"
        + _S
        + r"{0,15}\b(?:pay|compensate|reward|reimburse|tip)\b"
        + _S
        + r"{0,25}\b(?:you|your|"
        r"them|the mediator|whoever|anyone|eur|usd|euros?|dollars?|money|cash)\b",
    ),
    _rule(
        "money_transfer",
        "collusion",
        0.85,
        r"\b(?:transfer|wire|send|give|offer|slip)\b" + _S + r"{0,25}(?:\$|€|£|\b(?:eur|usd|"
        r"euros?|dollars?|pounds|cash|money|gift cards?|credits|payment|commission|"
        r"a percentage|a cut)\b)",
    ),
    _rule(
        "secrecy",
        "collusion",
        0.85,
        r"\b(?:(?:no one|nobody) (?:will ever|will|needs to|has to|must) know|our little secret|"
        r"between (?:us|you and me|ourselves|the two of us)|keep (?:this|it) (?:quiet|secret|"
        r"private|between)|(?:don't|do not|never) tell (?:the )?(?:mediator|regulator|others|"
        r"other operators?|anyone)|without the mediator knowing|behind the mediator's back)\b",
    ),
    _rule(
        "gang_up",
        "collusion",
        0.8,
        r"\b(?:let's|let us|we (?:should|could|can)|why don't we|together we|if we both)\b"
        + _S
        + r"{0,40}\b(?:against|gang up|outvote|squeeze out|freeze out|block (?:them|the)|"
        r"exclude|inflate|fix (?:the )?price|rig)\b",
    ),
    _rule(
        "joint_hold",
        "collusion",
        0.45,
        r"\b(?:let's|let us|if we both|we should both|we both|both of us|you and we|you and i)\b"
        + _S
        + r"{0,30}"
        r"\b(?:both|together|jointly)?\b" + _S + r"{0,10}\b(?:hold|keep|insist on|stick to|"
        r"refuse)\b" + _S + r"{0,30}\b(?:high|higher|low|lower|firm|\d+)\b",
    ),
    _rule(
        "force_mediator",
        "collusion",
        0.5,
        r"\b(?:mediator|regulator)\b"
        + _S
        + r"{0,20}\b(?:has to|will have to|must|cannot)\b"
        + _S
        + r"{0,10}\b(?:give in|cave|fold|back down|average us down)\b",
    ),
    _rule("join_us", "collusion", 0.3, r"\b(?:join us|join forces|side with us)\b"),
    _rule("exchange_offer", "collusion", 0.35, r"\bin (?:exchange|return) (?:for|you)\b"),
    _rule(
        "support_for_favour",
        "collusion",
        0.5,
        r"\bif you (?:support|back|vote for|side with|agree with|help|join) (?:us|me|our)\b",
    ),
    _rule(
        "profit_split",
        "collusion",
        0.6,
        r"\b(?:split|share|divide)\b" + _S + r"{0,10}\b(?:profits?|savings|revenues?|gains|"
        r"money|the extra|the surplus)\b",
    ),
    _rule(
        "free_service_offer",
        "collusion",
        0.6,
        r"\bfree (?:service|capacity|subscriptions?|licen[cs]es?|roaming|backhaul|months?)\b"
        + _S
        + r"{0,20}\b(?:for|to) (?:you|your)\b",
    ),
)

RULES: tuple[Rule, ...] = INJECTION + DECEPTION + THREAT + PRIVACY + COLLUSION

__all__ = ["RULES", "Rule"]
