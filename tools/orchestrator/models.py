"""What the domain manager returns and records: plain pydantic models, JSON-ready."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .intent import DeploymentIntent


class Upstream(BaseModel):
    repo: str
    package: str
    revision: str


class Downstream(BaseModel):
    repo: str
    package: str


class PackageVariant(BaseModel):
    """One blueprint to one edge with its setter values (porch's PackageVariant shape)."""

    upstream: Upstream
    downstream: Downstream
    packageContext: dict[str, dict[str, str]] = Field(default_factory=dict)  # noqa: N815


class PackageVariantSet(BaseModel):
    """The intent's IESD: every variant it fans out, grouped under the intent's name."""

    name: str
    variants: list[PackageVariant]


class ServiceResult(BaseModel):
    name: str
    package: str
    edge: str
    port: int
    cpu: str
    memory: str
    outputs: dict[str, str | int]
    depends_on: list[str] = Field(default_factory=list)


class EdgeChange(BaseModel):
    edge: str
    commit: str | None = Field(description="new commit pushed; None when nothing changed")
    packages: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict, description="dry run: hydrated files")


class ApplyResult(BaseModel):
    intent: str
    dry_run: bool
    order: list[str]
    services: list[ServiceResult]
    edges: list[EdgeChange]
    iesd: PackageVariantSet
    timings: dict[str, float] = Field(description="seconds per phase")


class DeleteResult(BaseModel):
    intent: str
    dry_run: bool
    removed: list[str]
    edges: list[EdgeChange]


class IntentRecord(BaseModel):
    """What the domain manager keeps about a deployed intent (its order, where, outputs)."""

    intent: DeploymentIntent
    order: list[str]
    services: dict[str, ServiceResult]
    commits: dict[str, str]
    iesd: PackageVariantSet
    applied_at: float


class WorkloadStatus(BaseModel):
    key: str
    state: str
    healthy: bool
    pid: int | None = None
    restarts: int = 0
    port: int | None = None
    image: str | None = None
    message: str | None = None


class EdgeStatus(BaseModel):
    id: str
    repo: str
    head: str | None
    applied: str | None = Field(description="commit the reconciler last applied")
    in_sync: bool
    reconciler_seen: float | None = Field(description="seconds since its last report")
    capacity: dict[str, str]
    requested: dict[str, str]
    free: dict[str, str]
    workloads: list[WorkloadStatus]
    errors: list[str] = Field(default_factory=list)


class DomainStatus(BaseModel):
    domain: str
    edges: list[EdgeStatus]
    intents: dict[str, dict[str, Any]]
