"""Git repositories through the git CLI: bare repositories on disk, work clones, commits.

Blueprint and deployment repositories are real git repositories. By default they are bare
repositories in the domain folder; any URL git can push to (ssh, https, a GitLab project)
works the same way. The domain manager keeps one work clone per repository; before it
writes, the clone must be clean and not diverged from its remote, so that it never builds
on a state nobody pushed nor overwrites a change it did not make.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .errors import RepositoryError

BRANCH = "main"
AUTHOR = ("maestro orchestrator", "orchestrator@maestro.invalid")
TIMEOUT = 30.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_TERMINAL_PROMPT="0",  # an unreachable https remote must fail, not ask
        GIT_AUTHOR_NAME=AUTHOR[0],
        GIT_AUTHOR_EMAIL=AUTHOR[1],
        GIT_COMMITTER_NAME=AUTHOR[0],
        GIT_COMMITTER_EMAIL=AUTHOR[1],
        GIT_CONFIG_NOSYSTEM="1",
        LC_ALL="C",
    )
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def git(*args: str, cwd: Path | None = None, check: bool = True, timeout: float = TIMEOUT) -> str:
    """Run git and return its stdout; a failure raises RepositoryError with git's message."""
    if shutil.which("git") is None:
        raise RepositoryError("git is not installed (the orchestrator needs the git CLI)")
    try:
        proc = subprocess.run(
            ["git", "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false", *args],
            cwd=cwd,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise RepositoryError(f"git {args[0]} timed out after {timeout:g} s") from exc
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        last = [m for m in msg if m.strip()]
        raise RepositoryError(f"git {args[0]} failed: {last[-1] if last else proc.returncode}")
    return proc.stdout


def is_url(location: str) -> bool:
    return "://" in location or re.match(r"^[\w.-]+@[\w.-]+:", location) is not None


def init_bare(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "--bare", "-b", BRANCH, str(path))


def remote_head(url: str, timeout: float = TIMEOUT) -> str | None:
    """The commit of `main` on the remote, None for an empty repository."""
    try:
        out = git("ls-remote", url, f"refs/heads/{BRANCH}", timeout=timeout)
    except RepositoryError as exc:
        raise RepositoryError(f"repository {url} is unreachable: {exc.message}") from exc
    return out.split()[0] if out.strip() else None


def repo_size(path: Path) -> int:
    """Bytes on disk of a (bare) repository: what each change costs in storage."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class WorkClone:
    """A work tree of one repository that the domain manager writes through."""

    def __init__(self, url: str, path: Path, name: str):
        self.url = url
        self.path = path
        self.name = name

    def sync(self) -> str | None:
        """Clone or fetch, refuse a dirty or diverged clone, fast-forward; return HEAD."""
        if not (self.path / ".git").is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                git("clone", "-q", "-b", BRANCH, self.url, str(self.path))
            except RepositoryError as exc:
                shutil.rmtree(self.path, ignore_errors=True)
                raise RepositoryError(
                    f"{self.name}: cannot clone {self.url}: {exc.message}"
                ) from exc
            return self.head()
        current = git("remote", "get-url", "origin", cwd=self.path, check=False).strip()
        if current != self.url:  # the domain now names another remote: follow it
            git("remote", "set-url", "origin", self.url, cwd=self.path)
        try:
            git("fetch", "-q", "origin", BRANCH, cwd=self.path)
        except RepositoryError as exc:
            raise RepositoryError(
                f"{self.name}: remote {self.url} is unreachable: {exc.message}"
            ) from exc
        if self.dirty():
            raise RepositoryError(
                f"{self.name}: work clone {self.path} has uncommitted changes; commit, push or "
                "discard them first"
            )
        ahead, behind = self.divergence()
        if ahead:
            state = "diverged from" if behind else "ahead of"
            raise RepositoryError(
                f"{self.name}: work clone {self.path} has {ahead} commit(s) not on {self.url} "
                f"({state} the remote); push or drop them first"
            )
        if behind:
            git("merge", "-q", "--ff-only", f"origin/{BRANCH}", cwd=self.path)
        return self.head()

    def dirty(self) -> bool:
        return bool(git("status", "--porcelain", cwd=self.path).strip())

    def divergence(self) -> tuple[int, int]:
        out = git("rev-list", "--left-right", "--count", f"HEAD...origin/{BRANCH}", cwd=self.path)
        ahead, behind = (int(x) for x in out.split())
        return ahead, behind

    def head(self) -> str | None:
        out = git("rev-parse", "--verify", "-q", "HEAD", cwd=self.path, check=False).strip()
        return out or None

    def commit(self, message: str) -> str | None:
        """Stage everything and commit; None when nothing changed."""
        git("add", "-A", ".", cwd=self.path)
        if not git("status", "--porcelain", cwd=self.path).strip():
            return None
        git("commit", "-q", "-m", message, cwd=self.path)
        return self.head()

    def push(self) -> None:
        try:
            git("push", "-q", "origin", f"HEAD:refs/heads/{BRANCH}", cwd=self.path)
        except RepositoryError as exc:
            raise RepositoryError(f"{self.name}: push to {self.url} failed: {exc.message}") from exc

    def drop_local(self) -> None:
        """Forget unpushed local commits and changes (after a refused or failed change)."""
        git("reset", "-q", "--hard", f"origin/{BRANCH}", cwd=self.path, check=False)
        git("clean", "-q", "-fdx", cwd=self.path, check=False)

    def revert_pushed(self, commit: str, message: str) -> None:
        """Undo a pushed commit with a new one (a push cannot be taken back atomically)."""
        git("revert", "--no-edit", commit, cwd=self.path)
        git("commit", "-q", "--amend", "-m", message, cwd=self.path)
        self.push()
