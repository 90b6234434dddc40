"""Trust scores and consequences of arbitral verdicts, and the scenario's `arbitral:` policy."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from maestro.agents.arbitral import Verdict
from maestro.agents.trust import (
    ArbitralPolicy,
    TrustLedger,
    consequences,
    is_offence,
    update_trust,
)

POLICY = ArbitralPolicy()
BAD = Verdict(malicious=True, category="injection", confidence=1.0, evidence="ignore")
WEAK = Verdict(malicious=True, category="threat", confidence=0.3)
CLEAN = Verdict(malicious=False, confidence=1.0)


def test_policy_defaults_and_strictness() -> None:
    assert POLICY.enabled and POLICY.model is None and not POLICY.rules_only
    assert POLICY.penalty_after < (POLICY.exclude_after or 0)
    custom = ArbitralPolicy.model_validate(
        {"model": "scripted:optimizer", "penalty": "both", "penalty_after": 1, "exclude_after": 3}
    )
    assert custom.penalty == "both"
    for bad in (
        {"unknown": 1},
        {"warn_threshold": 1.5},
        {"penalty_after": "2"},  # strict: no string for a number
        {"penalty": "fine"},
        {"penalty_after": 3, "exclude_after": 2},
        {"weight_factor": -0.1},
    ):
        with pytest.raises(ValidationError):
            ArbitralPolicy.model_validate(bad)


def test_trust_falls_with_offences_and_recovers_with_cooperation() -> None:
    score = update_trust(1.0, BAD, cooperative=False, policy=POLICY)
    assert score == pytest.approx(1.0 - POLICY.trust_loss)
    assert update_trust(score, CLEAN, cooperative=True, policy=POLICY) == pytest.approx(
        score + POLICY.recovery
    )
    assert update_trust(score, CLEAN, cooperative=False, policy=POLICY) == score
    assert update_trust(score, None, cooperative=True, policy=POLICY) > score
    assert update_trust(0.1, BAD, False, POLICY) == 0.0
    assert update_trust(0.99, CLEAN, True, POLICY) == 1.0
    # a verdict below the warning threshold is no offence
    assert not is_offence(WEAK, POLICY) and update_trust(0.5, WEAK, False, POLICY) == 0.5


def test_consequences_escalate_warn_penalise_exclude() -> None:
    assert consequences(0, 1.0, POLICY).action == "none"
    warn = consequences(1, 0.75, POLICY)
    assert warn.action == "warn" and warn.weight_factor == 1.0
    penalty = consequences(2, 0.5, POLICY)
    assert penalty.action == "penalise" and penalty.weight_factor == POLICY.weight_factor
    assert penalty.price_factor == 1.0
    priced = consequences(2, 0.5, ArbitralPolicy(penalty="price"))
    assert priced.weight_factor == 1.0 and priced.price_factor == 1.5
    assert consequences(4, 0.9, POLICY).action == "exclude"
    low = consequences(1, 0.1, POLICY)
    assert low.action == "exclude" and "trust" in low.reason
    assert consequences(3, 0.85, POLICY).action == "none"  # trust restored above 0.8
    assert consequences(5, 0.0, ArbitralPolicy(enabled=False)).action == "none"
    assert consequences(9, 0.3, ArbitralPolicy(exclude_after=None)).action == "penalise"


def test_ledger_over_rounds() -> None:
    ledger = TrustLedger()
    actions = [
        ledger.observe(v, c, POLICY).action
        for v, c in [
            (CLEAN, True),
            (BAD, False),
            (CLEAN, True),
            (BAD, False),
            (CLEAN, True),
        ]
    ]
    assert actions == ["none", "warn", "none", "penalise", "penalise"]
    assert ledger.offences == 2 and ledger.score == pytest.approx(0.6)
    for _ in range(6):  # cooperation restores trust gradually; the penalty lifts at 0.8
        last = ledger.observe(CLEAN, True, POLICY)
    assert ledger.score >= POLICY.restore_above and last.action == "none"
    ledger.observe(BAD, False, POLICY)
    assert ledger.observe(BAD, False, POLICY).action == "exclude" and ledger.excluded
    # exclusion is final for the run, however well it behaves afterwards
    assert ledger.observe(CLEAN, True, POLICY).action == "exclude"
    assert TrustLedger.model_validate(ledger.model_dump()) == ledger
