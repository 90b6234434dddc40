"""Fixtures for session tests: a session store per test, on SQLite or a real PostgreSQL.

The PostgreSQL server is Debian's, started once per test session on a temporary directory
and a free loopback port (initdb + pg_ctl; as root, run as the `postgres` or `nobody` user).
Tests asking for `store_url` run against both back ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_user() -> tuple[list[str], int | None, int | None]:
    """PostgreSQL refuses to run as root: run its binaries as an unprivileged user."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", name, "--"], entry.pw_uid, entry.pw_gid
    pytest.skip("running as root with no unprivileged user for PostgreSQL")
    raise AssertionError  # unreachable


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    prefix, uid, gid = _as_user()
    root = Path(tempfile.mkdtemp(prefix="maestro-pg-"))
    data = root / "data"
    if uid is not None:
        os.chown(root, uid, gid or -1)
    port = free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "maestro", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        cwd=root,
    )
    log = root / "server.log"
    options = f"-k {root} -h 127.0.0.1 -p {port} -c fsync=off"
    started = subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
        capture_output=True,
        cwd=root,
    )
    if started.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {started.stderr!r} {log.read_text()[-2000:]}")
    try:
        yield f"postgresql://maestro@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            cwd=root,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(folder))
    monkeypatch.delenv("MAESTRO_DB_URL", raising=False)
    monkeypatch.delenv("MAESTRO_MODEL", raising=False)
    return folder


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(
    request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """MAESTRO_DB_URL for this test: a fresh SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'sessions.sqlite'}"
    else:
        import psycopg

        server = request.getfixturevalue("postgres_server")
        name = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = server.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("MAESTRO_DB_URL", url)
    return url
