"""The embedded runtime: Deployments of a deployment repository as local processes.

Each Deployment becomes one process started from the image catalogue (image name ->
command), with the container's args and env (values, ConfigMap keys, the pod IP), the
ConfigMap volumes written to files, and `$(VAR)` expanded in args as Kubernetes does.
Processes run in their own session with 127.0.0.1 as their pod IP. A state file records
every pid with its start time, so a restarted reconciler adopts what still runs and kills
what it must not keep (including a process started just before a crash, found by the
marker in its environment).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .setters import read_all

POD_IP = "127.0.0.1"
MARK_STATE = "MAESTRO_RUNTIME_STATE"
MARK_WORKLOAD = "MAESTRO_WORKLOAD"
VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
WORKLOADS = str(Path(__file__).with_name("workloads.py"))
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")


def image_catalogue(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Image name (no tag) -> {command, description}."""
    if path is None:
        text = (
            resources.files("maestro.tools.orchestrator") / "images" / "catalogue.yaml"
        ).read_text()
    else:
        text = path.read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["images"])


@dataclass
class WorkloadSpec:
    key: str  # namespace/name
    image: str
    command: list[str]
    env: dict[str, str]
    files: dict[str, str]  # path relative to the workload folder -> content
    port: int | None
    probe_path: str | None
    error: str | None = None
    digest: str = ""

    def __post_init__(self) -> None:
        blob = json.dumps([self.image, self.command, self.env, self.files], sort_keys=True)
        self.digest = hashlib.sha256(blob.encode()).hexdigest()[:16]


def _expand(text: str, env: dict[str, str]) -> str:
    return VAR.sub(lambda m: env.get(m.group(1), m.group(0)), text)


def desired_workloads(tree: Path, images: dict[str, dict[str, Any]]) -> dict[str, WorkloadSpec]:
    """Every Deployment in a checked-out deployment repository, as a workload to run."""
    docs: list[dict[str, Any]] = []
    for path in sorted(tree.rglob("*.yaml")):
        if ".git" in path.parts:
            continue
        for doc in read_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict):
                docs.append(doc)
    configmaps = {
        (d["metadata"].get("namespace"), d["metadata"]["name"]): dict(d.get("data") or {})
        for d in docs
        if d.get("kind") == "ConfigMap" and d.get("apiVersion") == "v1"
    }
    out = {}
    for d in docs:
        if d.get("kind") != "Deployment":
            continue
        meta = d["metadata"]
        ns = meta.get("namespace") or "default"
        key = f"{ns}/{meta['name']}"
        spec = d.get("spec") or {}
        if int(spec.get("replicas", 1) or 0) == 0:
            continue
        pod = (spec.get("template") or {}).get("spec") or {}
        out[key] = _workload(key, ns, pod, configmaps, images)
    return out


def _workload(
    key: str,
    ns: str,
    pod: dict[str, Any],
    configmaps: dict[Any, dict[str, str]],
    images: dict[str, dict[str, Any]],
) -> WorkloadSpec:
    c = (pod.get("containers") or [{}])[0]
    image = str(c.get("image", ""))
    name = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    env: dict[str, str] = {}
    error = None
    for e in c.get("env") or []:
        if "value" in e:
            env[e["name"]] = str(e["value"])
            continue
        src = e.get("valueFrom") or {}
        if (src.get("fieldRef") or {}).get("fieldPath") == "status.podIP":
            env[e["name"]] = POD_IP
        elif "configMapKeyRef" in src:
            ref = src["configMapKeyRef"]
            data = configmaps.get((ns, ref.get("name")))
            if data is None or ref.get("key") not in data:
                error = f"env {e['name']}: ConfigMap {ref.get('name')} key {ref.get('key')} missing"
            else:
                env[e["name"]] = data[ref["key"]]
    files: dict[str, str] = {}
    mounts: dict[str, str] = {}
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    for m in c.get("volumeMounts") or []:
        vol = volumes.get(m.get("name")) or {}
        local = f"volumes/{m.get('name')}"
        mounts[str(m.get("mountPath"))] = local
        if "configMap" in vol:
            data = configmaps.get((ns, vol["configMap"].get("name")))
            if data is None:
                error = f"volume {m.get('name')}: ConfigMap {vol['configMap'].get('name')} missing"
                continue
            for k, v in data.items():
                files[f"{local}/{k}"] = v
        else:
            files[f"{local}/.keep"] = ""
    entry = images.get(name)
    command: list[str] = []
    if entry is None:
        error = f"image {image!r} is not in the runtime's image catalogue"
    else:
        command = [
            str(p).replace("{python}", sys.executable).replace("{workloads}", WORKLOADS)
            for p in entry["command"]
        ]
        # A path inside a volume (the whole arg, or after "=") points at the local files.
        paths = sorted(mounts, key=len, reverse=True)
        inside = re.compile(r"(^|=)(" + "|".join(map(re.escape, paths)) + r")(?=/|$)")
        for arg in c.get("args") or []:
            text = _expand(str(arg), env)
            if paths:
                text = inside.sub(lambda m: m.group(1) + "{workdir}/" + mounts[m.group(2)], text)
            command.append(text)
    ports = c.get("ports") or []
    probe = (c.get("readinessProbe") or {}).get("httpGet") or {}
    return WorkloadSpec(
        key=key,
        image=image,
        command=command,
        env=env,
        files=files,
        port=int(ports[0]["containerPort"]) if ports else None,
        probe_path=probe.get("path"),
        error=error,
    )


@dataclass
class Record:
    pid: int
    start: str  # /proc start time: a reused pid is not our process
    digest: str
    started_at: float
    restarts: int = 0
    last_exit: float | None = None
    backoff_until: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def proc_start(pid: int) -> str | None:
    """The process's start time in clock ticks, None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _leader(pid: int) -> bool:
    """Workloads lead their own process group; their children (same marker) do not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[2] == str(pid)


class ProcessRuntime:
    """Starts, watches and stops workload processes; remembers them in a state file."""

    def __init__(self, state_dir: Path, grace: float = 5.0):
        self.state_dir = state_dir
        self.grace = grace
        self.state_file = state_dir / "workloads.json"
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.records: dict[str, Record] = {}
        state_dir.mkdir(parents=True, exist_ok=True)

    # -- persistence --------------------------------------------------------------------
    def load(self) -> None:
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        self.records = {k: Record(**v) for k, v in raw.items()}

    def save(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: asdict(r) for k, r in self.records.items()}, indent=1))
        os.replace(tmp, self.state_file)

    # -- processes ----------------------------------------------------------------------
    def alive(self, key: str) -> bool:
        rec = self.records.get(key)
        if rec is None:
            return False
        child = self.children.get(rec.pid)
        if child is not None and child.poll() is not None:
            del self.children[rec.pid]
            return False
        return proc_start(rec.pid) == rec.start

    def start(self, spec: WorkloadSpec, restarts: int = 0) -> Record:
        workdir = self.state_dir / "workloads" / spec.key.replace("/", "__")
        workdir.mkdir(parents=True, exist_ok=True)
        for rel, content in spec.files.items():
            dest = workdir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(content, encoding="utf-8")
        env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
        env.update(spec.env)
        env[MARK_STATE] = str(self.state_dir.resolve())
        env[MARK_WORKLOAD] = spec.key
        command = [a.replace("{workdir}", str(workdir)) for a in spec.command]
        with open(workdir / "log.txt", "ab") as log:
            proc = subprocess.Popen(
                command,
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.children[proc.pid] = proc
        rec = Record(
            pid=proc.pid,
            start=proc_start(proc.pid) or "",
            digest=spec.digest,
            started_at=time.time(),
            restarts=restarts,
        )
        self.records[spec.key] = rec
        self.save()
        return rec

    def stop(self, key: str) -> None:
        """SIGTERM to the workload's process group, SIGKILL after the grace period."""
        rec = self.records.pop(key, None)
        if rec is not None:
            self._terminate(rec.pid, rec.start)
            self.save()

    def _terminate(self, pid: int, start: str | None) -> None:
        if start is not None and proc_start(pid) != start:
            return
        for sig, wait in ((signal.SIGTERM, self.grace), (signal.SIGKILL, 2.0)):
            try:
                os.killpg(pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                child = self.children.get(pid)
                if child is not None:
                    if child.poll() is not None:
                        break
                elif proc_start(pid) is None:
                    break
                time.sleep(0.05)
            else:
                continue
            break
        child = self.children.pop(pid, None)
        if child is not None:
            child.poll()

    def orphans(self) -> list[tuple[int, str]]:
        """Processes carrying this runtime's marker that no record owns."""
        mine = str(self.state_dir.resolve())
        owned = {r.pid for r in self.records.values()}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in owned:
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"{MARK_STATE}={mine}".encode() in environ and _leader(int(entry.name)):
                key = next(
                    (
                        e.decode().split("=", 1)[1]
                        for e in environ
                        if e.startswith(f"{MARK_WORKLOAD}=".encode())
                    ),
                    "?",
                )
                found.append((int(entry.name), key))
        return found

    def kill_orphans(self) -> list[str]:
        killed = []
        for pid, key in self.orphans():
            self._terminate(pid, proc_start(pid))
            killed.append(f"{key} (pid {pid})")
        return killed
