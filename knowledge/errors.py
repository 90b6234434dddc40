"""The one error the knowledge layer raises for anything a user can fix or must know about."""

from __future__ import annotations


class KnowledgeError(Exception):
    """One clear line naming the file, folder or URL at fault; the CLI maps it to exit 2."""


class MissingFactError(KnowledgeError):
    """A constraint's bound comes from a fact (peak_rate, capacity_mbps...) the caller did not give.

    Raised rather than passing silently: a constraint that could not be checked is not met.
    """
