"""Checks that hydrated packages are Kubernetes manifests a real cluster would accept.

Admission runs these on every hydrated package before anything is committed, so that a
misconfiguration never reaches a deployment repository (CAMINO §III-E). Only the kinds
the blueprints use are allowed; each is checked for the fields a cluster would refuse.
"""

from __future__ import annotations

import re
from typing import Any

from .quantity import cpu_millis, memory_bytes

LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
UNSET = re.compile(r"\$\{[^}]*\}")

KINDS = {
    ("kpt.dev/v1", "Kptfile"): "local",
    ("v1", "ConfigMap"): "namespaced",
    ("v1", "Service"): "namespaced",
    ("v1", "Namespace"): "cluster",
    ("apps/v1", "Deployment"): "namespaced",
    ("networking.k8s.io/v1", "NetworkPolicy"): "namespaced",
    ("orchestrator.maestro.dev/v1alpha1", "SetterSchema"): "local",
}


class ManifestError(ValueError):
    """One reason a manifest would be refused, with the object it concerns."""


def _port(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ManifestError(f"{where}: port must be an integer 1..65535, got {value!r}")


def _labels(labels: Any, where: str) -> dict[str, str]:
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise ManifestError(f"{where}: labels must be a mapping")
    for k, v in labels.items():
        if not isinstance(v, str) or not LABEL_VALUE.match(v):
            raise ManifestError(f"{where}: label {k}={v!r} is not a valid label value")
    return dict(labels)


def _unset(node: Any, where: str) -> None:
    """A ${name} left in a value means a setter without a value reached the manifest."""
    if isinstance(node, dict):
        for k, v in node.items():
            _unset(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _unset(v, f"{where}[{i}]")
    elif isinstance(node, str) and (found := UNSET.search(node)):
        raise ManifestError(f"{where}: setter {found.group(0)} has no value")


def _deployment(doc: dict[str, Any], where: str) -> None:
    spec = doc.get("spec") or {}
    replicas = spec.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ManifestError(f"{where}: spec.replicas must be an integer >= 0")
    match = ((spec.get("selector") or {}).get("matchLabels")) or {}
    template = spec.get("template") or {}
    labels = _labels((template.get("metadata") or {}).get("labels"), where)
    if not match or any(labels.get(k) != v for k, v in match.items()):
        raise ManifestError(f"{where}: spec.selector.matchLabels must match the pod labels")
    containers = (template.get("spec") or {}).get("containers")
    if not isinstance(containers, list) or not containers:
        raise ManifestError(f"{where}: needs at least one container")
    for c in containers:
        name = c.get("name")
        if not isinstance(name, str) or not LABEL.match(name):
            raise ManifestError(f"{where}: container name {name!r} is not a DNS label")
        if not isinstance(c.get("image"), str) or not c["image"].strip():
            raise ManifestError(f"{where}: container {name} has no image")
        for p in c.get("ports") or []:
            _port(p.get("containerPort"), f"{where}: container {name}")
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            for key, value in (res.get(part) or {}).items():
                try:
                    (cpu_millis if key == "cpu" else memory_bytes)(value)
                except ValueError as exc:
                    raise ManifestError(f"{where}: resources.{part}.{key}: {exc}") from exc


def _service(doc: dict[str, Any], where: str) -> None:
    ports = (doc.get("spec") or {}).get("ports")
    if not isinstance(ports, list) or not ports:
        raise ManifestError(f"{where}: a Service needs spec.ports")
    for p in ports:
        _port(p.get("port"), where)
        target = p.get("targetPort", p.get("port"))
        if not isinstance(target, str):
            _port(target, where)


def check_manifest(doc: Any, *, namespace: str | None, path: str) -> None:
    """Raise ManifestError if `doc` is not an object a cluster (or kpt) would accept."""
    if not isinstance(doc, dict):
        raise ManifestError(f"{path}: not a mapping")
    api, kind = doc.get("apiVersion"), doc.get("kind")
    scope = KINDS.get((str(api), str(kind)))
    if scope is None:
        raise ManifestError(f"{path}: unsupported kind {api}/{kind}")
    meta = doc.get("metadata") or {}
    name = meta.get("name")
    where = f"{path}: {kind} {name}"
    pattern = LABEL if kind in ("Service", "Namespace") else SUBDOMAIN
    if not isinstance(name, str) or not pattern.match(name):
        raise ManifestError(f"{where}: metadata.name is not a valid Kubernetes name")
    _labels(meta.get("labels"), where)
    _unset(doc, where)
    if scope == "namespaced" and namespace and meta.get("namespace") != namespace:
        raise ManifestError(f"{where}: must be in namespace {namespace}")
    if kind == "Deployment":
        _deployment(doc, where)
    elif kind == "Service":
        _service(doc, where)
    elif kind == "ConfigMap":
        data = doc.get("data") or {}
        if not all(isinstance(v, str) for v in data.values()):
            raise ManifestError(f"{where}: ConfigMap data values must be strings")
