"""The operators' side of eq. 1: one step per round with the mediator's collective term."""

from __future__ import annotations

import pytest

from maestro.agents.domain import Topic
from maestro.agents.optimizer import local_proposal
from maestro.tools.consensus import ConsensusProblem, paper_rounds

TOPIC = Topic(name="cell_throughput", unit="Mbps", lower=0, upper=134)


def test_the_agreement_term_has_the_same_factor_as_the_mediators_u0() -> None:
    # U_0 = b * sum (x_j - mean)^2 pulls operator i with 2b (x_i - mean). With b = 1 and no
    # price, the operator's view (x - 20)^2 + (x - 60)^2 has its minimiser at 40; the old
    # (b/2)(x - m)^2 term gave 100/3.
    value = local_proposal({"kind": "quadratic", "target": 20}, TOPIC, 60.0, 0.0, 1.0)
    assert value == pytest.approx(40.0, abs=1e-6)
    p = ConsensusProblem([{"kind": "quadratic", "target": 20}] * 2, 0, 134, agreement_weight=1)
    assert p.agreement_gradient(p.as_vector([50.0, 30.0]))[0] == pytest.approx(2 * 1 * 10)


def test_an_operator_takes_one_eq1_step_not_a_best_response() -> None:
    # A log cost is curved: one step from far away does not reach the minimiser of the view,
    # the next round's step goes further (the old code iterated to the minimiser at once).
    utility = {"kind": "log", "weight": 400.0, "offset": 1.0}
    first = local_proposal(utility, TOPIC, 60.0, 0.0, 1.0, start=5.0)
    second = local_proposal(utility, TOPIC, 60.0, 0.0, 1.0, start=first)
    third = local_proposal(utility, TOPIC, 60.0, 0.0, 1.0, start=second)
    assert 5.0 < first < second < third
    assert third - second < second - first  # converging, not jumping


def test_paper_rounds_send_the_collective_gradient_each_round() -> None:
    specs = [{"kind": "quadratic", "target": 20, "weight": 2}, {"kind": "quadratic", "target": 100}]
    run = paper_rounds(specs, 0, 134, [20, 100], 4, agreement_weight=10)
    assert run.rounds == 4 and run.trace.shape == (5, 2)
    assert run.reference == pytest.approx((2 * 20 + 100) / 3)  # the closed-form optimum
    assert run.spread < 80  # the collective term pulls the two together
    assert run.messages() == 2 * 2 * 4  # n proposals and n feedbacks per round
    # Row k+1 is exactly eq. 1 from row k with the soft problem's gradient.
    p = ConsensusProblem(specs, 0, 134, agreement_weight=10)
    x = run.trace[1]
    expected = p.project(x - run.eta * p.gradient(x.copy()))
    assert run.trace[2] == pytest.approx(expected)
    with pytest.raises(ValueError, match="rounds"):
        paper_rounds(specs, 0, 134, [20, 100], -1)
