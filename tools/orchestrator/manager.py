"""The domain manager: deployment and termination intents to commits in edge repositories.

`apply` orders the services (graphlib), places them on edges, resolves the values earlier
services produce (`${ran.url}`), hydrates each blueprint into a deployment package, runs
admission (manifests, capacity), and only then writes: one commit per edge repository
naming the intent. Any refusal leaves every repository as it was; a push that fails after
others succeeded is undone with a revert commit on those (git has no multi-repository
transaction), and reported.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .admission import EdgeRoom, edge_room, refuse
from .blueprints import NAMESPACE_PACKAGE, Blueprint, BlueprintInfo, hydrate, load_catalogue
from .domain import DomainConfig, EdgeConfig, load_domain, resolve, status_path
from .errors import AdmissionError, DependencyError, IntentError, PackageError, RepositoryError
from .gitrepo import WorkClone, remote_head
from .intent import (
    REF_RE,
    DeploymentIntent,
    ServiceSpec,
    dependencies,
    deployment_order,
    parse_intent,
)
from .models import (
    ApplyResult,
    DeleteResult,
    DomainStatus,
    Downstream,
    EdgeChange,
    EdgeStatus,
    IntentRecord,
    PackageVariant,
    PackageVariantSet,
    ServiceResult,
    Upstream,
    WorkloadStatus,
)
from .quantity import format_cpu, format_memory

STALE_AFTER = 30.0  # seconds without a reconciler report before status calls it stale


class _Timer:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.spent[phase] = self.spent.get(phase, 0.0) + time.perf_counter() - start


class DomainManager:
    """The domain's single point of contact: catalogue, apply, delete, status."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.config: DomainConfig = load_domain(self.root)
        self._catalogue: tuple[str | None, dict[str, Blueprint]] | None = None

    # -- repositories ---------------------------------------------------------------------
    def _edge_clone(self, edge: EdgeConfig) -> WorkClone:
        url = resolve(self.root, edge.repo)
        return WorkClone(url, self.root / "work" / edge.id, f"edge {edge.id} repository")

    def _blueprint_clone(self) -> WorkClone:
        url = resolve(self.root, self.config.blueprints)
        return WorkClone(url, self.root / "work" / "_blueprints", "blueprint repository")

    def blueprints(self) -> tuple[dict[str, Blueprint], str | None]:
        """The blueprint repository's packages at its current commit."""
        clone = self._blueprint_clone()
        commit = clone.sync()
        if self._catalogue is None or self._catalogue[0] != commit:
            self._catalogue = (commit, load_catalogue(clone.path))
        return self._catalogue[1], commit

    def catalogue(self) -> list[BlueprintInfo]:
        """What this domain can deploy (CAMINO: advertised to trusted consumers)."""
        packages, _ = self.blueprints()
        return [b.info for b in packages.values()]

    # -- records --------------------------------------------------------------------------
    def _records_dir(self) -> Path:
        return self.root / "state" / "intents"

    def records(self) -> dict[str, IntentRecord]:
        out = {}
        folder = self._records_dir()
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            out[path.stem] = IntentRecord.model_validate_json(path.read_text(encoding="utf-8"))
        return out

    def _save_record(self, record: IntentRecord) -> None:
        folder = self._records_dir()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{record.intent.name}.json.tmp"
        tmp.write_text(record.model_dump_json(indent=2), encoding="utf-8")
        os.replace(tmp, folder / f"{record.intent.name}.json")

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One change at a time per domain (two CLI calls must not interleave commits)."""
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- apply ----------------------------------------------------------------------------
    def apply(
        self, intent: DeploymentIntent | Mapping[str, Any], dry_run: bool = False
    ) -> ApplyResult:
        """Deploy or change an intent; all-or-nothing over every edge repository."""
        timer = _Timer()
        with timer("ordering"):
            if not isinstance(intent, DeploymentIntent):
                intent = parse_intent(dict(intent) if isinstance(intent, Mapping) else intent)
            order = deployment_order(intent)
        with self._lock():
            records = self.records()
            previous = records.get(intent.name)
            with timer("ordering"):
                external = self._external_deps(intent, records)
            with timer("git"):
                packages, bp_commit = self.blueprints()
                clones = {e.id: self._edge_clone(e) for e in self.config.edges}
                for clone in clones.values():
                    clone.sync()
            with timer("admission"):
                rooms = {
                    e.id: edge_room(e, clones[e.id].path, self.config.monitoring, intent.name)
                    for e in self.config.edges
                }
            results: dict[str, ServiceResult] = {}
            files: dict[str, dict[str, str]] = {}  # edge -> path in repo -> text
            variants: list[PackageVariant] = []
            used_ports = self._ports_in_use(records, intent.name)
            for name in order:
                spec = intent.services[name]
                blueprint = self._blueprint(packages, intent.name, name, spec)
                cpu, mem = spec.resources.millicpu, spec.resources.bytes
                with timer("admission"):
                    edge = self._place(intent, name, spec, rooms, cpu, mem)
                    rooms[edge.id].take(cpu, mem)
                port = self._port(previous, name, edge.id, used_ports)
                used_ports.add(port)
                outputs = self._outputs(intent.name, name, edge, port)
                with timer("hydration"):
                    params = self._resolve(intent.name, name, spec, results, records)
                    values = {
                        **{k: v for k, v in edge.values.items() if k in blueprint.info.setters},
                        "name": name,
                        "namespace": intent.name,
                        "intent": intent.name,
                        "edge": edge.id,
                        "port": port,
                        "cpu": format_cpu(cpu),
                        "memory": format_memory(mem),
                        **({"version": spec.version} if spec.version else {}),
                        **params,
                    }
                    values = {k: v for k, v in values.items() if k in blueprint.info.setters}
                    for key in params:
                        if key not in blueprint.info.setters:
                            values[key] = params[key]  # hydrate names the unknown setter
                    package = f"{intent.name}/{name}"
                    upstream = {
                        "repo": resolve(self.root, self.config.blueprints),
                        "commit": bp_commit or "",
                    }
                    hydrated = hydrate(
                        blueprint,
                        values,
                        package=package,
                        namespace=intent.name,
                        upstream=upstream,
                        intent=intent.name,
                        service=name,
                    )
                for rel, text in hydrated.items():
                    files.setdefault(edge.id, {})[f"{package}/{rel}"] = text
                variants.append(
                    PackageVariant(
                        upstream=Upstream(
                            repo="blueprints", package=spec.package, revision=bp_commit or ""
                        ),
                        downstream=Downstream(repo=edge.id, package=package),
                        packageContext={"data": {k: str(v) for k, v in sorted(values.items())}},
                    )
                )
                results[name] = ServiceResult(
                    name=name,
                    package=spec.package,
                    edge=edge.id,
                    port=port,
                    cpu=format_cpu(cpu),
                    memory=format_memory(mem),
                    outputs=outputs,
                    depends_on=sorted(external.get(name, set())),
                )
            with timer("hydration"):
                self._namespaces(intent.name, files, packages, bp_commit)
            self._check_removals(intent, previous, records)
            iesd = PackageVariantSet(name=intent.name, variants=variants)
            touched = set(files) | (set(previous.commits) if previous else set())
            if dry_run:
                changes = [
                    EdgeChange(
                        edge=e,
                        commit=None,
                        packages=_packages(files.get(e, {})),
                        files=files.get(e, {}),
                    )
                    for e in sorted(touched)
                ]
            else:
                with timer("git"):
                    commits = self._write(intent, order, files, touched, clones)
                changes = [
                    EdgeChange(edge=e, commit=commits.get(e), packages=_packages(files.get(e, {})))
                    for e in sorted(touched)
                ]
                heads = {e: c for e, c in commits.items() if c}
                if files:
                    self._save_record(
                        IntentRecord(
                            intent=intent,
                            order=order,
                            services=results,
                            commits={**(previous.commits if previous else {}), **heads},
                            iesd=iesd,
                            applied_at=time.time(),
                        )
                    )
        return ApplyResult(
            intent=intent.name,
            dry_run=dry_run,
            order=order,
            services=list(results.values()),
            edges=changes,
            iesd=iesd,
            timings={k: round(v, 6) for k, v in timer.spent.items()},
        )

    def _external_deps(
        self, intent: DeploymentIntent, records: dict[str, IntentRecord]
    ) -> dict[str, set[str]]:
        """Services of other deployed intents this intent uses; each must exist."""
        out: dict[str, set[str]] = {}
        for name, spec in intent.services.items():
            if spec.domain and spec.domain != self.config.name:
                raise IntentError(
                    f"targets domain {spec.domain!r}; this domain manager runs "
                    f"{self.config.name!r} (a cross-domain orchestrator must forward it)",
                    intent=intent.name,
                    service=name,
                )
            _local, ext = dependencies(name, spec)
            for ref in sorted(ext):
                other, svc = ref.split("/", 1)
                record = records.get(other)
                if other == intent.name or record is None or svc not in record.services:
                    raise IntentError(
                        f"'after' or a reference names {ref!r}, which is not a deployed service "
                        f"of another intent",
                        intent=intent.name,
                        service=name,
                    )
                out.setdefault(name, set()).add(ref)
        if intent.domain and intent.domain != self.config.name:
            raise IntentError(
                f"targets domain {intent.domain!r}; this is {self.config.name!r}",
                intent=intent.name,
            )
        return out

    def _blueprint(
        self, packages: dict[str, Blueprint], intent: str, name: str, spec: ServiceSpec
    ) -> Blueprint:
        blueprint = packages.get(spec.package)
        deployable = sorted(n for n, b in packages.items() if b.info.kind == "cnf")
        if blueprint is None or blueprint.info.kind != "cnf":
            raise PackageError(
                f"unknown package {spec.package!r} (the blueprint repository has: "
                f"{', '.join(deployable)})",
                intent=intent,
                service=name,
            )
        return blueprint

    def _place(
        self,
        intent: DeploymentIntent,
        name: str,
        spec: ServiceSpec,
        rooms: dict[str, EdgeRoom],
        cpu: int,
        mem: int,
    ) -> EdgeConfig:
        """The service's edge: the one it names, else the allowed edge with most free CPU."""
        known = [e.id for e in self.config.edges]
        if spec.edge:
            edge = self.config.edge(spec.edge)
            if edge is None:
                raise IntentError(
                    f"unknown edge {spec.edge!r} (edges: {', '.join(known)})",
                    intent=intent.name,
                    service=name,
                )
            if not rooms[edge.id].fits(cpu, mem):
                raise refuse(rooms[edge.id], cpu, mem, intent=intent.name, service=name)
            return edge
        allowed = spec.placement.edges if spec.placement and spec.placement.edges else known
        for e in allowed:
            if e not in known:
                raise IntentError(
                    f"placement names unknown edge {e!r} (edges: {', '.join(known)})",
                    intent=intent.name,
                    service=name,
                )
        fitting = [e for e in allowed if rooms[e].fits(cpu, mem)]
        if not fitting:
            rooms_text = "; ".join(f"{e}: {rooms[e].describe()}" for e in allowed)
            raise AdmissionError(
                f"no edge has room for {format_cpu(cpu)} CPU and {format_memory(mem)} "
                f"({rooms_text})",
                intent=intent.name,
                service=name,
            )
        best = max(fitting, key=lambda e: (rooms[e].free_cpu, -known.index(e)))
        edge = self.config.edge(best)
        assert edge is not None
        return edge

    def _ports_in_use(self, records: dict[str, IntentRecord], skip: str) -> set[int]:
        return {s.port for name, r in records.items() if name != skip for s in r.services.values()}

    def _port(self, previous: IntentRecord | None, name: str, edge: str, used: set[int]) -> int:
        """Keep a service's port across changes; else the first free one in the range."""
        if previous and name in previous.services:
            old = previous.services[name]
            if old.edge == edge and old.port not in used:
                return old.port
        for port in range(self.config.ports.first, self.config.ports.last + 1):
            if port not in used and _bindable(port):
                return port
        raise AdmissionError(
            f"no free port left in {self.config.ports.first}..{self.config.ports.last}"
        )

    def _outputs(self, intent: str, name: str, edge: EdgeConfig, port: int) -> dict[str, str | int]:
        """What a deployed service offers to later ones: its Service name, FQDN and URL."""
        return {
            "name": name,
            "namespace": intent,
            "fqdn": f"{name}.{intent}.svc.cluster.local",
            "host": edge.address,
            "port": port,
            "hostport": f"{edge.address}:{port}",
            "url": f"http://{edge.address}:{port}",
            "edge": edge.id,
        }

    def _resolve(
        self,
        intent: str,
        name: str,
        spec: ServiceSpec,
        results: dict[str, ServiceResult],
        records: dict[str, IntentRecord],
    ) -> dict[str, Any]:
        """Parameters with ${service.key} replaced by what earlier services produced."""

        def value(m: Any) -> str:
            other, svc, key = m.group(1), m.group(2), m.group(3)
            source = records[other].services[svc] if other else results.get(svc)
            if source is None:  # ordering guarantees it; kept as a clear error regardless
                raise IntentError(
                    f"uses ${{{svc}.{key}}} before {svc!r} is placed", intent=intent, service=name
                )
            return str(source.outputs[key])

        out: dict[str, Any] = {}
        for key, raw in spec.params.items():
            if isinstance(raw, str) and REF_RE.search(raw):
                whole = REF_RE.fullmatch(raw)
                text = REF_RE.sub(value, raw)
                # A whole ${x.port} keeps its type: an integer setter gets an integer.
                out[key] = int(text) if whole and whole.group(3) == "port" else text
            else:
                out[key] = raw
        return out

    def _namespaces(
        self,
        intent: str,
        files: dict[str, dict[str, str]],
        packages: dict[str, Blueprint],
        bp_commit: str | None,
    ) -> None:
        """Each edge hosting part of the chain gets the chain's Namespace and policy."""
        blueprint = packages.get(NAMESPACE_PACKAGE)
        if blueprint is None:
            return
        for edge in list(files):
            package = f"{intent}/namespace"
            hydrated = hydrate(
                blueprint,
                {"namespace": intent, "intent": intent, "edge": edge},
                package=package,
                namespace=intent,
                upstream={
                    "repo": resolve(self.root, self.config.blueprints),
                    "commit": bp_commit or "",
                },
                intent=intent,
            )
            for rel, text in hydrated.items():
                files[edge][f"{package}/{rel}"] = text

    def _check_removals(
        self,
        intent: DeploymentIntent,
        previous: IntentRecord | None,
        records: dict[str, IntentRecord],
    ) -> None:
        """A change that drops a service must not strand another intent that uses it."""
        if previous is None:
            return
        dropped = set(previous.services) - set(intent.services)
        _refuse_dependents(intent.name, dropped, records)

    def _write(
        self,
        intent: DeploymentIntent,
        order: list[str],
        files: dict[str, dict[str, str]],
        touched: set[str],
        clones: dict[str, WorkClone],
    ) -> dict[str, str | None]:
        """Replace the intent's folder in each touched repository, commit, push; undo on
        failure so that no repository keeps part of the change."""
        commits: dict[str, str | None] = {}
        try:
            for edge in sorted(touched):
                clone = clones[edge]
                _replace_folder(clone.path / intent.name, files.get(edge, {}), clone.path)
                here = [s for s in order if f"{intent.name}/{s}/Kptfile" in files.get(edge, {})]
                verb = f"apply {', '.join(here)}" if here else "remove its services"
                message = (
                    f"intent {intent.name}: {verb} on {edge}\n\n"
                    f"Deployment order of the intent: {' -> '.join(order)}.\n"
                )
                commits[edge] = clone.commit(message)
        except BaseException:
            for clone in clones.values():
                clone.drop_local()
            raise
        _push_all(intent.name, commits, clones)
        return commits

    # -- delete ---------------------------------------------------------------------------
    def delete(
        self, name: str, services: list[str] | None = None, dry_run: bool = False
    ) -> DeleteResult:
        """A termination intent: remove the intent's packages (or some services) after
        checking that nothing still depends on them."""
        with self._lock():
            records = self.records()
            record = records.get(name)
            if record is None:
                known = ", ".join(records) or "none"
                raise IntentError(
                    f"no deployed intent of that name (deployed: {known})", intent=name
                )
            removing = list(services) if services else list(record.order)
            for svc in removing:
                if svc not in record.services:
                    raise IntentError("not a service of this intent", intent=name, service=svc)
            _refuse_dependents(name, set(removing), records)
            keep = [s for s in record.order if s not in removing]
            for svc in keep:
                local, _ext = dependencies(svc, record.intent.services[svc])
                clash = sorted(local & set(removing))
                if clash:
                    raise DependencyError(
                        f"still depends on {', '.join(clash)}; terminate it too or first",
                        intent=name,
                        service=svc,
                    )
            edges = sorted({record.services[s].edge for s in removing})
            if dry_run:
                return DeleteResult(
                    intent=name,
                    dry_run=True,
                    removed=removing,
                    edges=[EdgeChange(edge=e, commit=None) for e in edges],
                )
            clones = {
                e.id: self._edge_clone(e) for e in self.config.edges if e.id in record.commits
            }
            for clone in clones.values():
                clone.sync()
            commits: dict[str, str | None] = {}
            try:
                for edge_id, clone in clones.items():
                    folder = clone.path / name
                    remaining = [s for s in keep if record.services[s].edge == edge_id]
                    targets = [s for s in removing if record.services[s].edge == edge_id]
                    for svc in targets:
                        shutil.rmtree(folder / svc, ignore_errors=True)
                    if not remaining:
                        shutil.rmtree(folder, ignore_errors=True)
                    if targets or not remaining:
                        what = ", ".join(targets) if targets else "its namespace"
                        commits[edge_id] = clone.commit(
                            f"intent {name}: terminate {what} on {edge_id}\n"
                        )
            except BaseException:
                for clone in clones.values():
                    clone.drop_local()
                raise
            _push_all(name, commits, clones)
            if keep:
                kept_intent = record.intent.model_copy(
                    update={"services": {s: record.intent.services[s] for s in keep}}
                )
                self._save_record(
                    record.model_copy(
                        update={
                            "intent": kept_intent,
                            "order": keep,
                            "services": {s: record.services[s] for s in keep},
                        }
                    )
                )
            else:
                (self._records_dir() / f"{name}.json").unlink(missing_ok=True)
        return DeleteResult(
            intent=name,
            dry_run=False,
            removed=removing,
            edges=[EdgeChange(edge=e, commit=c) for e, c in sorted(commits.items())],
        )

    # -- status ---------------------------------------------------------------------------
    def status(self) -> DomainStatus:
        """Each edge: repository head, what its reconciler applied, workloads and room."""
        records = self.records()
        edges = []
        for edge in self.config.edges:
            url = resolve(self.root, edge.repo)
            errors: list[str] = []
            try:
                head = remote_head(url, timeout=10)
            except RepositoryError as exc:
                head, errors = None, [exc.message]
            report = _read_status(status_path(self.root, edge))
            requested_cpu = requested_mem = 0
            for r in records.values():
                for s in r.services.values():
                    if s.edge == edge.id:
                        from .quantity import cpu_millis, memory_bytes

                        requested_cpu += cpu_millis(s.cpu)
                        requested_mem += memory_bytes(s.memory)
            free_cpu = edge.capacity.millicpu - edge.reserved.millicpu - requested_cpu
            free_mem = edge.capacity.bytes - edge.reserved.bytes - requested_mem
            seen = report.get("updated_at")
            age = time.time() - seen if isinstance(seen, int | float) else None
            if age is not None and age > STALE_AFTER:
                errors.append(f"reconciler silent for {age:.0f} s")
            errors.extend(report.get("errors", []))
            edges.append(
                EdgeStatus(
                    id=edge.id,
                    repo=url,
                    head=head,
                    applied=report.get("applied"),
                    in_sync=head is not None and report.get("applied") == head,
                    reconciler_seen=None if age is None else round(age, 1),
                    capacity={
                        "cpu": format_cpu(edge.capacity.millicpu),
                        "memory": format_memory(edge.capacity.bytes),
                    },
                    requested={
                        "cpu": format_cpu(requested_cpu),
                        "memory": format_memory(requested_mem),
                    },
                    free={
                        "cpu": format_cpu(max(free_cpu, 0)),
                        "memory": format_memory(max(free_mem, 0)),
                    },
                    workloads=[
                        WorkloadStatus.model_validate(w) for w in report.get("workloads", [])
                    ],
                    errors=errors,
                )
            )
        intents = {
            n: {
                "order": r.order,
                "services": {s: v.edge for s, v in r.services.items()},
                "commits": r.commits,
            }
            for n, r in records.items()
        }
        return DomainStatus(domain=self.config.name, edges=edges, intents=intents)


def _packages(files: dict[str, str]) -> list[str]:
    return sorted({p.rsplit("/", 1)[0] for p in files if p.endswith("/Kptfile")})


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _replace_folder(folder: Path, files: dict[str, str], repo: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for rel, text in files.items():
        dest = repo / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")


def _push_all(intent: str, commits: dict[str, str | None], clones: dict[str, WorkClone]) -> None:
    pushed: list[str] = []
    for edge, commit in sorted(commits.items()):
        if commit is None:
            continue
        try:
            clones[edge].push()
        except RepositoryError as exc:
            undone = []
            for done in pushed:
                try:
                    clones[done].revert_pushed(
                        commits[done] or "",
                        f"intent {intent}: undo (the change could not reach {edge})",
                    )
                    undone.append(done)
                except RepositoryError:
                    pass
            for clone in clones.values():
                clone.drop_local()
            note = f"; reverted on {', '.join(undone)}" if undone else ""
            raise RepositoryError(f"{exc.message}{note}", intent=intent) from exc
        pushed.append(edge)


def _refuse_dependents(name: str, removing: set[str], records: dict[str, IntentRecord]) -> None:
    for other, record in records.items():
        if other == name:
            continue
        for svc, result in record.services.items():
            for dep in result.depends_on:
                dep_intent, dep_service = dep.split("/", 1)
                if dep_intent == name and dep_service in removing:
                    raise DependencyError(
                        f"service {svc!r} of intent {other!r} still uses {dep}; "
                        f"terminate or change {other!r} first",
                        intent=name,
                        service=dep_service,
                    )


def _read_status(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
