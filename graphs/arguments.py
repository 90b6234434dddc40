"""What a caller hands to a run, checked before anything runs.

`maestro.negotiate(...)`, the command line and the served graph pass their arguments through
here, so every mistake — a scenario of the wrong kind, `rounds=0`, `model=123`, options that
are not options, a driver that is no driver — is one `UsageError` line naming the argument,
never a raw pydantic error, an AttributeError later in the run, or a run that starts and then
reports something unrelated.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from maestro.agents.errors import UsageError
from maestro.agents.providers import ModelOptions, parse_model_id
from maestro.graphs.scenario import Scenario

# What the negotiation asks of a driver: read the cell, apply a policy, set a slice's demand
# (see maestro.tools.ran.RanDriver).
DRIVER_METHODS = ("cell_state", "apply_policy", "set_demand")


def _kind(value: Any) -> str:
    text = repr(value)
    shown = text if len(text) <= 40 else f"{text[:37]}..."
    return f"{type(value).__name__} {shown}"


def first_error(exc: ValidationError, prefix: str = "") -> str:
    """One line from pydantic's errors: where, and what is wrong."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"])
    name = f"{prefix}.{where}" if prefix and where else prefix or where
    more = exc.error_count() - 1
    return f"{name}: {err['msg']}" + (f" (and {more} more)" if more > 0 else "")


def check_scenario_argument(scenario: Any) -> Any:
    if isinstance(scenario, Mapping) and not isinstance(scenario, dict):
        return dict(scenario)
    if isinstance(scenario, Scenario | dict | str | os.PathLike):
        return scenario
    raise UsageError(
        f"scenario must be a Scenario, a mapping or the path of a YAML file, not {_kind(scenario)}"
    )


def check_model(model: Any) -> str | None:
    if model is None:
        return None
    if not isinstance(model, str):
        raise UsageError(
            f"model must be a model id such as 'local', 'openai:<model>' or "
            f"'scripted:optimizer', not {_kind(model)}"
        )
    parse_model_id(model)  # UnknownModelError, a UsageError, for an id no provider has
    return model


def check_whole(name: str, value: Any) -> int | None:
    """A whole number (not a bool, not a float); its range is the scenario's to check."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be a whole number, not {_kind(value)}")
    return value


def check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, not {_kind(value)}")
    return value


def check_seconds(name: str, value: Any) -> float | None:
    """A number of seconds; finite and in range is the options' to check."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{name} must be a number of seconds, not {_kind(value)}")
    return float(value)


def check_options(options: Any) -> ModelOptions | None:
    """ModelOptions, or a mapping of its fields, validated."""
    if options is None or isinstance(options, ModelOptions):
        return options
    if not isinstance(options, Mapping):
        raise UsageError(f"options must be ModelOptions or a mapping, not {_kind(options)}")
    try:
        return ModelOptions.model_validate(dict(options))
    except ValidationError as exc:
        raise UsageError(first_error(exc, "options")) from None


def check_driver(driver: Any) -> Any:
    if driver is None:
        return None
    missing = [m for m in DRIVER_METHODS if not callable(getattr(driver, m, None))]
    if missing:
        raise UsageError(
            f"driver must be a RAN driver (RanEmulator, HttpRanDriver or one with "
            f"{', '.join(DRIVER_METHODS)}); {type(driver).__name__} lacks {', '.join(missing)}"
        )
    return driver


def check_callback(name: str, value: Any) -> Callable[..., Any] | None:
    if value is None or callable(value):
        return value
    raise UsageError(f"{name} must be a function (or None), not {_kind(value)}")


def check_instance(name: str, value: Any, kind: type) -> Any:
    if value is None or isinstance(value, kind):
        return value
    raise UsageError(f"{name} must be {kind.__name__} (or None), not {_kind(value)}")


def base_dir_of(scenario: Any) -> Path | None:
    """The folder a scenario file's relative paths (a trace) are read from."""
    return Path(scenario).parent if isinstance(scenario, str | os.PathLike) else None


__all__ = [
    "check_callback",
    "check_driver",
    "check_flag",
    "check_instance",
    "check_model",
    "check_options",
    "check_scenario_argument",
    "check_seconds",
    "check_whole",
    "first_error",
]
