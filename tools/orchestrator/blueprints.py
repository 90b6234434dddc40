"""Blueprint packages ("dry" configuration) and their hydration into deployment packages.

A blueprint is a kpt package: a Kptfile, KRM YAML whose parameterised fields carry kpt
setter comments, the setter values as the apply-setters ConfigMap (`setters.yaml`, which
also gives defaults) and a local SetterSchema with each setter's type. Hydration checks the
values against the schema, applies them with kpt's semantics, records the upstream in the
Kptfile (as `kpt pkg get` would) and checks the result as Kubernetes manifests.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PackageError
from .manifests import ManifestError, check_manifest
from .setters import (
    apply_setters,
    compile_template,
    dump_all,
    fill,
    load_cached,
    names_in_text,
    read_all,
    scalar_text,
)

SCHEMA_FILE = "schema.yaml"
SETTERS_FILE = "setters.yaml"
NAMESPACE_PACKAGE = "chain-namespace"


class SetterSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["string", "integer", "number", "boolean"] = "string"
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None


class BlueprintInfo(BaseModel):
    """What the catalogue advertises about one blueprint."""

    name: str
    kind: str = Field(description="cnf or infrastructure")
    description: str
    image: str | None = None
    setters: dict[str, SetterSpec]
    defaults: dict[str, Any]


class Blueprint:
    """One blueprint package read from the blueprint repository."""

    def __init__(self, name: str, files: dict[str, str]):
        self.name = name
        self.files = files
        if "Kptfile" not in files:
            raise PackageError(f"blueprint {name!r} has no Kptfile")
        try:
            schema = _plain(files[SCHEMA_FILE])["spec"] if SCHEMA_FILE in files else {}
            setters = {
                k: SetterSpec.model_validate(v) for k, v in (schema.get("setters") or {}).items()
            }
            raw_defaults = _defaults(files)
        except (KeyError, IndexError, TypeError, AttributeError, ValidationError) as exc:
            raise PackageError(f"blueprint {name!r}: invalid {SCHEMA_FILE}: {exc}") from exc
        if not schema:  # no schema: every setter the files use is a string
            for text in self.resource_files_of(files).values():
                for setter in names_in_text(text):
                    setters.setdefault(setter, SetterSpec())
        self.info = BlueprintInfo(
            name=name,
            kind=str(schema.get("kind", "cnf" if schema else "infrastructure")),
            description=str(schema.get("description", "")),
            image=schema.get("image"),
            setters=setters,
            defaults={k: coerce(v, setters[k]) for k, v in raw_defaults.items() if k in setters},
        )
        used: set[str] = set()
        for text in self.resource_files().values():
            used |= names_in_text(text)
        missing = used - set(setters)
        if missing:
            raise PackageError(f"blueprint {name!r}: setters {sorted(missing)} lack a type")

    def resource_files(self) -> dict[str, str]:
        """The files hydration rewrites: every YAML file but the schema and setter values."""
        return self.resource_files_of(self.files)

    @staticmethod
    def resource_files_of(files: dict[str, str]) -> dict[str, str]:
        return {
            p: t
            for p, t in files.items()
            if p.endswith((".yaml", ".yml")) and p not in (SCHEMA_FILE, SETTERS_FILE)
        }


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _plain(text: str) -> dict[str, Any]:
    """Files read for their data only (schema, defaults) skip the round-trip parser."""
    doc = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    return doc if isinstance(doc, dict) else {}


def _defaults(files: dict[str, str]) -> dict[str, Any]:
    """Setter defaults: the apply-setters ConfigMap file, or one inline in the Kptfile."""
    if SETTERS_FILE in files:
        return dict(_plain(files[SETTERS_FILE]).get("data") or {})
    kptfile = _plain(files["Kptfile"])
    for fn in (kptfile.get("pipeline") or {}).get("mutators") or []:
        if "apply-setters" in str(fn.get("image", "")) and fn.get("configMap"):
            return dict(fn["configMap"])
    return {}


def coerce(raw: Any, spec: SetterSpec) -> Any:
    """A ConfigMap default (always a string) read as the setter's type."""
    text = str(raw)
    try:
        if spec.type == "integer":
            return int(text)
        if spec.type == "number":
            return float(text)
        if spec.type == "boolean":
            return {"true": True, "false": False}[text]
    except (ValueError, KeyError):
        return text
    return text


def check_value(name: str, value: Any, spec: SetterSpec) -> None:
    """Raise ValueError when a setter value does not have the setter's type or range."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[spec.type]
    if not ok:
        raise ValueError(
            f"setter {name!r} must be {'an' if spec.type == 'integer' else 'a'} {spec.type}, got {value!r}"
        )
    if spec.type in ("integer", "number"):
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(f"setter {name!r} must be >= {spec.minimum:g}, got {value}")
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(f"setter {name!r} must be <= {spec.maximum:g}, got {value}")
    if spec.pattern and isinstance(value, str) and not re.search(spec.pattern, value):
        raise ValueError(f"setter {name!r} must match {spec.pattern!r}, got {value!r}")


def _setter_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def hydrate(
    blueprint: Blueprint,
    values: dict[str, Any],
    *,
    package: str,
    namespace: str | None,
    upstream: dict[str, str] | None = None,
    intent: str | None = None,
    service: str | None = None,
) -> dict[str, str]:
    """The deployment package's files for these setter values (checked, not yet written)."""
    full = {**blueprint.info.defaults, **values}
    for key, value in values.items():
        spec = blueprint.info.setters.get(key)
        if spec is None:
            known = ", ".join(sorted(blueprint.info.setters))
            raise PackageError(
                f"blueprint {blueprint.name!r} has no setter {key!r} (setters: {known})",
                intent=intent,
                service=service,
            )
        try:
            check_value(key, value, spec)
        except ValueError as exc:
            raise PackageError(str(exc), intent=intent, service=service) from exc
    out: dict[str, str] = {}
    for path, text in sorted(blueprint.resource_files().items()):
        template = compile_template(text)
        if template is not None:
            out[path] = fill(template, full)
        else:  # a file the compiler declined: the plain round trip
            docs = load_cached(text)
            apply_setters(docs, full)
            out[path] = dump_all(docs)
        try:
            for doc in read_all(out[path]):
                check_manifest(doc, namespace=namespace, path=f"{package}/{path}")
        except ManifestError as exc:
            raise PackageError(str(exc), intent=intent, service=service) from exc
    out["Kptfile"] = _kptfile(blueprint, package, upstream)
    if SETTERS_FILE in blueprint.files:
        out[SETTERS_FILE] = _setters_file(blueprint.files[SETTERS_FILE], full)
    return out


def _kptfile(blueprint: Blueprint, package: str, upstream: dict[str, str] | None) -> str:
    """The blueprint's Kptfile named for the deployment package, with its upstream recorded
    the way `kpt pkg get` records it (so kpt can later update the variant from upstream)."""
    key = (blueprint.files["Kptfile"], blueprint.name, tuple(sorted((upstream or {}).items())))
    text = _KPTFILES.get(key)
    if text is None:  # one round trip per blueprint and upstream; the name is filled in
        doc = load_cached(blueprint.files["Kptfile"])[0]
        doc["metadata"]["name"] = _NAME_SLOT
        if upstream:
            git = {"repo": upstream["repo"], "directory": f"/{blueprint.name}", "ref": "main"}
            doc["upstream"] = {"type": "git", "git": git, "updateStrategy": "resource-merge"}
            doc["upstreamLock"] = {"type": "git", "git": {**git, "commit": upstream["commit"]}}
        text = _KPTFILES[key] = dump_all([doc])
    return text.replace(_NAME_SLOT, scalar_text(package.replace("/", "-")), 1)


_NAME_SLOT = "kptpackagenamex"
_KPTFILES: dict[tuple[Any, ...], str] = {}
_SETTERS_HEAD: dict[str, str] = {}


def _setters_file(source: str, values: dict[str, Any]) -> str:
    """The apply-setters ConfigMap with the values used (strings, as a ConfigMap holds)."""
    head = _SETTERS_HEAD.get(source)
    if head is None:
        doc = load_cached(source)[0]
        doc.pop("data", None)
        head = _SETTERS_HEAD[source] = dump_all([doc])
    lines = "".join(
        f"  {scalar_text(k)}: {scalar_text(_setter_text(v))}\n" for k, v in sorted(values.items())
    )
    return head + ("data:\n" + lines if lines else "data: {}\n")


def read_tree(root: Path) -> dict[str, dict[str, str]]:
    """Blueprint folders under `root`: package name -> relative path -> text."""
    out: dict[str, dict[str, str]] = {}
    for pkg in sorted(p for p in root.iterdir() if p.is_dir() and (p / "Kptfile").is_file()):
        out[pkg.name] = {
            str(f.relative_to(pkg)): f.read_text(encoding="utf-8")
            for f in sorted(pkg.rglob("*"))
            if f.is_file()
        }
    return out


def shipped_blueprints() -> dict[str, dict[str, str]]:
    """The catalogue shipped with the package, used to seed a new blueprint repository."""
    root = resources.files("maestro.tools.orchestrator") / "blueprints"
    return read_tree(Path(str(root)))


def load_catalogue(root: Path) -> dict[str, Blueprint]:
    return {name: Blueprint(name, files) for name, files in read_tree(root).items()}
