"""Typed errors of the orchestrator, each naming the intent and the service it concerns.

Every one is a mistake the caller can fix (or a state they must look at: a dirty repository,
an unreachable remote, a full edge), so the CLI prints the one line and exits 2. They derive
from ValueError so that callers which treat bad arguments generically still catch them.
"""

from __future__ import annotations


class OrchestratorError(ValueError):
    """Base class: `intent` and `service` say which request and which part of it failed."""

    kind = "error"

    def __init__(self, message: str, *, intent: str | None = None, service: str | None = None):
        self.message = message
        self.intent = intent
        self.service = service
        super().__init__(self._line())

    def _line(self) -> str:
        where = []
        if self.intent:
            where.append(f"intent {self.intent!r}")
        if self.service:
            where.append(f"service {self.service!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class IntentError(OrchestratorError):
    """The intent itself is malformed: schema, names, `after` cycles or dangling labels."""

    kind = "intent"


class PackageError(OrchestratorError):
    """A blueprint is unknown, a setter is missing or has a value of the wrong type, or the
    hydrated package is not a valid set of Kubernetes manifests."""

    kind = "package"


class AdmissionError(OrchestratorError):
    """The edge has no room for the service (CPU or memory), or monitoring cannot tell."""

    kind = "admission"


class RepositoryError(OrchestratorError):
    """A git repository is unreachable, dirty or diverged, or a push failed."""

    kind = "repository"


class DependencyError(OrchestratorError):
    """A termination would remove something that another deployed service still uses."""

    kind = "dependency"


class DomainError(OrchestratorError):
    """The domain folder or its configuration is missing or invalid."""

    kind = "domain"
