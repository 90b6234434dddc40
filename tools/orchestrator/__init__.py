"""CAMINO orchestrator: deployment intents, configuration as data, admission, reconciliation.

The Python API: `DomainManager(root)` with `apply(intent, dry_run)`, `delete(name)`,
`status()` and `catalogue()` returning pydantic models; `init_domain(dir)` makes a domain;
`EdgeReconciler` runs one edge. Every refusal is an `OrchestratorError` subclass naming the
intent and the service.
"""

from .admission import EdgeRoom
from .blueprints import Blueprint, BlueprintInfo, SetterSpec, hydrate, load_catalogue
from .domain import DomainConfig, EdgeConfig, init_domain, load_domain
from .errors import (
    AdmissionError,
    DependencyError,
    DomainError,
    IntentError,
    OrchestratorError,
    PackageError,
    RepositoryError,
)
from .intent import (
    DeploymentIntent,
    ServiceSpec,
    TerminationIntent,
    deployment_order,
    intent_schema,
    load_intent,
    parse_intent,
)
from .manager import DomainManager
from .models import (
    ApplyResult,
    DeleteResult,
    DomainStatus,
    EdgeStatus,
    IntentRecord,
    PackageVariant,
    PackageVariantSet,
    ServiceResult,
    WorkloadStatus,
)
from .reconciler import EdgeReconciler
from .setters import apply_setters

__all__ = [
    "AdmissionError",
    "ApplyResult",
    "Blueprint",
    "BlueprintInfo",
    "DeleteResult",
    "DependencyError",
    "DeploymentIntent",
    "DomainConfig",
    "DomainError",
    "DomainManager",
    "DomainStatus",
    "EdgeConfig",
    "EdgeReconciler",
    "EdgeRoom",
    "EdgeStatus",
    "IntentError",
    "IntentRecord",
    "OrchestratorError",
    "PackageError",
    "PackageVariant",
    "PackageVariantSet",
    "RepositoryError",
    "ServiceResult",
    "ServiceSpec",
    "SetterSpec",
    "TerminationIntent",
    "WorkloadStatus",
    "apply_setters",
    "deployment_order",
    "hydrate",
    "init_domain",
    "intent_schema",
    "load_catalogue",
    "load_domain",
    "load_intent",
    "parse_intent",
]
