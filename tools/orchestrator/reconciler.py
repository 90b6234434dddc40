"""The edge reconciler: makes the edge's runtime match its deployment repository.

It polls the repository with `git ls-remote` (sleeping between polls, longer while nothing
changes, so an idle edge costs next to no CPU), checks out a new commit, and converges:
starts missing workloads, rolls changed ones (stop, then start with the new spec), stops
removed ones, and restarts crashed ones with a growing back-off. It reports the applied
commit and each workload's health to a status file the domain manager reads.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

from .errors import RepositoryError
from .gitrepo import git, remote_head
from .runtime import ProcessRuntime, WorkloadSpec, desired_workloads, image_catalogue

MAX_BACKOFF = 30.0


class EdgeReconciler:
    def __init__(
        self,
        edge: str,
        repo: str,
        state_dir: Path,
        status_file: Path | None = None,
        *,
        interval: float = 0.5,
        max_interval: float = 5.0,
        probe_every: float = 5.0,
        images: dict[str, dict[str, Any]] | None = None,
    ):
        self.edge = edge
        self.repo = repo
        self.state_dir = Path(state_dir)
        self.status_file = Path(status_file) if status_file else self.state_dir / "status.json"
        self.interval = interval
        self.max_interval = max_interval
        self.probe_every = probe_every
        self.images = images if images is not None else image_catalogue()
        self.runtime = ProcessRuntime(self.state_dir / "runtime")
        self.checkout = self.state_dir / "checkout"
        self.applied: str | None = None
        self.desired: dict[str, WorkloadSpec] = {}
        self.health: dict[str, tuple[float, bool]] = {}
        self.errors: list[str] = []
        self.events: list[str] = []
        self._stop = False
        self.synced = False  # until the repository was read once, nothing is stopped
        self.failed: dict[str, tuple[str, float, str]] = {}  # key -> digest, retry at, why
        self._last_status = ""
        self._last_write = 0.0

    # -- startup ------------------------------------------------------------------------
    def adopt(self) -> None:
        """After a restart: keep the recorded processes that still run, kill strays."""
        self.runtime.load()
        for key in list(self.runtime.records):
            if not self.runtime.alive(key):
                del self.runtime.records[key]
        self.runtime.save()
        for what in self.runtime.kill_orphans():
            self._event(f"killed orphan {what}")
        self.applied = None  # read the repository again; adoption compares spec digests

    # -- one pass -----------------------------------------------------------------------
    def sync_repo(self) -> bool:
        """Fetch and check out the repository's head if it moved; True when it did."""
        head = remote_head(self.repo, timeout=15)
        if head is None or head == self.applied:
            return False
        if not (self.checkout / ".git").is_dir():
            git("init", "-q", str(self.checkout))
        git("fetch", "-q", "--depth", "1", self.repo, "refs/heads/main", cwd=self.checkout)
        git("checkout", "-q", "-f", "--detach", "FETCH_HEAD", cwd=self.checkout)
        git("clean", "-q", "-fdx", cwd=self.checkout)
        head = git("rev-parse", "HEAD", cwd=self.checkout).strip()  # it may have moved on
        try:
            self.desired = desired_workloads(self.checkout, self.images)
        except Exception as exc:  # a broken repository must not kill the edge
            self.errors = [f"cannot read commit {head[:12]}: {exc}"]
            self.applied = head
            return True  # keeps the last good desired state
        self.errors = [f"{k}: {w.error}" for k, w in self.desired.items() if w.error]
        self.applied = head
        self.synced = True
        self._event(f"applied {head[:12]}")
        return True

    def converge(self) -> None:
        if not self.synced:
            return
        rt = self.runtime
        for key in list(rt.records):
            if key not in self.desired:
                rt.stop(key)
                self.health.pop(key, None)
                self.failed.pop(key, None)
                self._event(f"stopped {key}")
        now = time.time()
        for key, spec in self.desired.items():
            if spec.error:
                continue
            failed = self.failed.get(key)
            if failed and failed[0] == spec.digest and now < failed[1]:
                continue  # its command could not start; try again later or when it changes
            try:
                self._converge_one(key, spec, now)
                self.failed.pop(key, None)
            except OSError as exc:  # e.g. the image's program is not installed
                self.failed[key] = (spec.digest, now + MAX_BACKOFF, f"cannot start: {exc}")
                self._event(f"{key}: cannot start: {exc}")

    def _converge_one(self, key: str, spec: WorkloadSpec, now: float) -> None:
        rt = self.runtime
        rec = rt.records.get(key)
        if rec is not None and rec.digest != spec.digest:
            rt.stop(key)
            self.health.pop(key, None)
            rt.start(spec)
            self._event(f"rolled {key}")
        elif rec is None:
            rt.start(spec)
            self._event(f"started {key}")
        elif not rt.alive(key):
            if rec.last_exit is None:
                rec.last_exit = now
                delay = min(MAX_BACKOFF, 0.5 * 2 ** min(rec.restarts, 8))
                if now - rec.started_at > 60:  # it ran for a while: not a crash loop
                    delay = 0.5
                rec.backoff_until = now + delay
                self.health.pop(key, None)
                self._event(f"{key} exited; restart in {delay:g} s")
            if now >= rec.backoff_until:
                rt.start(spec, restarts=rec.restarts + 1)
                self._event(f"restarted {key}")

    def probe(self, force: bool = False) -> None:
        """Readiness: an HTTP GET on the probe path (a workload without one is ready while it
        runs); until first ready, probe every pass, then every `probe_every` seconds."""
        now = time.time()
        for key, spec in self.desired.items():
            if key not in self.runtime.records:
                continue
            last = self.health.get(key)
            if last and last[1] and not force and now - last[0] < self.probe_every:
                continue
            ok = self.runtime.alive(key)
            if ok and spec.probe_path and spec.port:
                try:
                    url = f"http://127.0.0.1:{spec.port}{spec.probe_path}"
                    with urllib.request.urlopen(url, timeout=0.5) as resp:  # noqa: S310
                        ok = 200 <= resp.status < 300
                except OSError:
                    ok = False
            self.health[key] = (now, ok)

    def report(self) -> None:
        workloads = []
        for key, spec in sorted(self.desired.items()):
            rec = self.runtime.records.get(key)
            alive = rec is not None and self.runtime.alive(key)
            healthy = alive and self.health.get(key, (0, False))[1]
            failure = self.failed.get(key)
            message = spec.error or (failure[2] if failure else None)
            state = (
                "error"
                if message
                else "running"
                if healthy
                else "starting"
                if alive
                else "crashed"
                if rec is not None
                else "pending"
            )
            workloads.append(
                {
                    "key": key,
                    "state": state,
                    "healthy": healthy,
                    "pid": rec.pid if rec and alive else None,
                    "restarts": rec.restarts if rec else 0,
                    "port": spec.port,
                    "image": spec.image,
                    "message": message,
                }
            )
        body: dict[str, Any] = {
            "edge": self.edge,
            "repo": self.repo,
            "applied": self.applied,
            "reconciler_pid": os.getpid(),
            "workloads": workloads,
            "errors": self.errors,
            "events": self.events[-20:],
        }
        text = json.dumps(body, sort_keys=True)
        now = time.time()
        if text == self._last_status and now - self._last_write < 5.0:
            return  # unchanged: a heartbeat every 5 s is enough
        body["updated_at"] = now
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.status_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=1))
        os.replace(tmp, self.status_file)
        self._last_status, self._last_write = text, now

    def _event(self, text: str) -> None:
        self.events.append(f"{time.strftime('%H:%M:%S')} {text}")
        del self.events[:-50]

    # -- loop ---------------------------------------------------------------------------
    def run_once(self) -> None:
        try:
            self.sync_repo()
        except RepositoryError as exc:
            self.errors = [exc.message]
        self.converge()
        self.probe()
        self.report()

    def run(self, stop_workloads: bool = True, max_seconds: float | None = None) -> None:
        """Poll until SIGTERM/SIGINT; then stop the workloads (unless told to keep them)."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.adopt()
        poll_wait = self.interval
        next_poll = 0.0
        started = time.monotonic()
        while not self._stop:
            now = time.monotonic()
            if now >= next_poll:
                try:
                    moved = self.sync_repo()
                except RepositoryError as exc:
                    moved = False
                    self.errors = [exc.message]
                # Back off while the repository is quiet; come back fast after a change.
                poll_wait = self.interval if moved else min(self.max_interval, poll_wait * 2)
                next_poll = now + poll_wait
            self.converge()
            self.probe()
            self.report()
            if max_seconds is not None and now - started > max_seconds:
                break
            time.sleep(self.interval)
        if stop_workloads:
            for key in list(self.runtime.records):
                self.runtime.stop(key)
            self._event("stopped all workloads")
            self.report_stopped()

    def report_stopped(self) -> None:
        body = {
            "edge": self.edge,
            "repo": self.repo,
            "applied": self.applied,
            "reconciler_pid": None,
            "workloads": [],
            "errors": ["reconciler stopped"],
            "events": self.events[-20:],
            "updated_at": time.time(),
        }
        self.status_file.write_text(json.dumps(body, indent=1))

    def _on_signal(self, *_: Any) -> None:
        self._stop = True
