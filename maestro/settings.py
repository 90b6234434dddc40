"""Settings from the environment, so a model is chosen the same way everywhere.

Precedence for the model id: explicit argument (CLI flag, Python argument, served graph's
context) > MAESTRO_MODEL > the scenario's `model` > "local". The variables are read with
pydantic-settings (`EnvSettings`); a bad value raises SettingsError naming the variable.
"""

from __future__ import annotations

from maestro.agents.providers.options import (
    EnvSettings,
    SettingsError,
    env_settings,
    model_from_env,
)
from maestro.agents.providers.options import options_from_env as model_options

__all__ = ["EnvSettings", "SettingsError", "env_settings", "model_from_env", "model_options"]
