"""The one exception type for a caller's mistake.

`UsageError` (a ValueError) is what the Python API raises for anything the caller can fix —
a bad argument, scenario, model id or setting — with a one-line message; the command line
prints that line and exits with code 2. The finer types (`ScenarioError`, `UnknownModelError`,
`SettingsError`) derive from it, so `except maestro.UsageError` catches them all.
"""

from __future__ import annotations


class UsageError(ValueError):
    """A mistake the caller can fix; the message is one line that says what and where."""


__all__ = ["UsageError"]
