"""Every mistake in what a caller hands `maestro.negotiate` is one `maestro.UsageError` line
naming the argument, raised before anything runs: no raw pydantic error, no AttributeError or
TypeError from deep inside, no run that starts and then reports something unrelated."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import maestro
from maestro.agents.providers import UnknownModelError
from maestro.settings import SettingsError
from maestro.tools.ran import RanEmulator


def test_one_documented_exception_type() -> None:
    assert issubclass(maestro.UsageError, ValueError)
    assert issubclass(UnknownModelError, maestro.UsageError)
    assert issubclass(SettingsError, maestro.UsageError)
    assert issubclass(maestro.ScenarioError, maestro.UsageError)
    assert "UsageError" in maestro.__all__


BAD_ARGUMENTS: list[tuple[dict[str, Any], str]] = [
    ({"scenario": None}, "scenario must be a Scenario, a mapping or the path"),
    ({"scenario": 42}, "scenario must be"),
    ({"scenario": "no/such/file.yaml"}, "scenario file not found"),
    ({"scenario": {"name": "x"}}, "topic"),
    ({"rounds": 0}, "rounds=0: Input should be greater than or equal to 1"),
    ({"rounds": "3"}, "rounds must be a whole number, not str '3'"),
    ({"rounds": True}, "rounds must be a whole number"),
    ({"rounds": 2.5}, "rounds must be a whole number"),
    ({"seed": -1}, "seed=-1: Input should be greater than or equal to 0"),
    ({"model": 123}, "model must be a model id"),
    ({"model": ""}, "empty model id"),
    ({"model": "gpt-4"}, "unknown model id 'gpt-4'"),
    ({"model": "scripted:nobody"}, "unknown scripted model 'nobody'"),
    ({"options": {"temperature": 5}}, "options.temperature: Input should be less than"),
    ({"options": {"colour": "red"}}, "options.colour: Extra inputs are not permitted"),
    ({"options": "fast"}, "options must be ModelOptions or a mapping, not str"),
    ({"driver": object()}, "driver must be a RAN driver"),
    ({"deps": "mine"}, "deps must be NegotiationDeps"),
    ({"on_event": "print"}, "on_event must be a function"),
    ({"enforce_fallback": "yes"}, "enforce_fallback must be True or False"),
    ({"deadline": "10"}, "deadline must be a number of seconds"),
    ({"deadline": float("inf")}, "deadline inf: Input should be a finite number"),
    ({"deadline": 0}, "deadline 0.0: Input should be greater than 0"),
]


@pytest.mark.parametrize(("arguments", "words"), BAD_ARGUMENTS, ids=lambda v: str(v)[:40])
def test_a_bad_argument_is_one_usage_error_line(
    arguments: dict[str, Any], words: str, scenario_dict: dict[str, Any]
) -> None:
    call = {"scenario": scenario_dict} | arguments
    with pytest.raises(maestro.UsageError) as caught:
        maestro.negotiate(**call)
    message = str(caught.value)
    assert words in message and "\n" not in message, message
    with pytest.raises(maestro.UsageError):  # the async twin checks the same way
        asyncio.run(maestro.anegotiate(**call))


def test_a_bad_model_in_the_environment_is_refused_before_the_run(
    scenario_dict: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAESTRO_MODEL", "chatgpt")
    with pytest.raises(maestro.UsageError, match="unknown model id 'chatgpt'"):
        maestro.negotiate(scenario_dict)


def test_good_arguments_of_every_kind_still_run(scenario_dict: dict[str, Any]) -> None:
    from types import MappingProxyType

    events: list[dict[str, Any]] = []
    scenario_dict["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    result = maestro.negotiate(
        MappingProxyType(scenario_dict),
        model="scripted:optimizer",
        rounds=3,
        seed=4,
        options={"temperature": 0.5},
        driver=RanEmulator(),
        on_event=events.append,
        enforce_fallback=False,
        deadline=60,
    )
    assert result.agreed and result.seed == 4 and result.settings["temperature"] == 0.5
    assert result.enforcement and result.enforcement["ok"] and events
