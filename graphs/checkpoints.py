"""Where sessions live: a LangGraph checkpointer and a small index of sessions beside it.

Embedded default: one SQLite file in the user's data directory (MAESTRO_DATA_DIR, else
$XDG_DATA_HOME/maestro, else ~/.local/share/maestro). For a team: PostgreSQL, with
MAESTRO_DB_URL=postgresql://... . Both hold the checkpoints of every thread (LangGraph's
tables) and one row per session in `maestro_sessions`: what a thread is (a plain negotiation
or a chat), the scenario and options it was started with (what resuming needs, since the
run context is not part of the state), who holds the seat, and its last known status.

Every failure to open or use the store is a `StoreError` with one line that says what to do
(a locked file, a server that does not answer, a URL that is not PostgreSQL's).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maestro.agents.errors import UsageError

DB_FILE = "sessions.sqlite"
SQLITE_TIMEOUT_S = 5.0  # how long a write waits for another process's lock
_COLUMNS = ("id", "kind", "scenario", "options", "owner", "status", "created", "updated")


class StoreError(UsageError):
    """The session store cannot be opened or used (one line, exit code 2)."""


class SessionNotFound(StoreError):
    """No session with that id."""


def data_dir() -> Path:
    """The user's data directory for maestro (created on demand, not here)."""
    explicit = os.environ.get("MAESTRO_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "maestro"


def store_url(url: str | None = None) -> str:
    """The store to use: the argument, else MAESTRO_DB_URL, else the SQLite file."""
    chosen = url or os.environ.get("MAESTRO_DB_URL") or ""
    return chosen.strip() or f"sqlite:///{data_dir() / DB_FILE}"


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


@dataclass
class SessionInfo:
    id: str
    kind: str  # "negotiation" or "chat"
    scenario: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None  # the seat's holder (an operator id or "mediator")
    status: str = "running"
    created: float = 0.0
    updated: float = 0.0

    def summary(self) -> dict[str, Any]:
        """What a listing shows: no scenario body (it holds private business intents)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "scenario": self.scenario.get("name", ""),
            "owner": self.owner,
            "mode": self.options.get("mode"),
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
        }


class SessionStore:
    """The checkpointer (`saver`) and the session index over one connection."""

    def __init__(self, url: str | None = None) -> None:
        self.url = store_url(url)
        self.kind = "postgres" if self.url.startswith(("postgres://", "postgresql://")) else ""
        if self.kind:
            self.saver, self.conn = self._open_postgres()
            self.mark = "%s"
        elif self.url.startswith("sqlite:///"):
            self.kind = "sqlite"
            self.saver, self.conn = self._open_sqlite(Path(self.url.removeprefix("sqlite:///")))
            self.mark = "?"
        else:
            raise StoreError(
                f"MAESTRO_DB_URL must be postgresql://... or sqlite:///PATH, got {_redacted(self.url)!r}"
            )

    # -- opening ---------------------------------------------------------------------------
    def _open_sqlite(self, path: Path) -> tuple[Any, Any]:
        from langgraph.checkpoint.sqlite import SqliteSaver

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), check_same_thread=False, timeout=SQLITE_TIMEOUT_S)
            saver = SqliteSaver(conn)
            with self._guard():
                saver.setup()
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS maestro_sessions (id TEXT PRIMARY KEY, kind TEXT,"
                    " scenario TEXT, options TEXT, owner TEXT, status TEXT, created REAL,"
                    " updated REAL)"
                )
                conn.commit()
        except StoreError:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the session store {path}: {exc}") from None
        return saver, conn

    def _open_postgres(self) -> tuple[Any, Any]:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                prepare_threshold=0,
                row_factory=dict_row,
                connect_timeout=5,
            )
        except psycopg.Error as exc:
            line = " ".join(str(exc).split())[:300] or "no answer"
            raise StoreError(
                f"cannot reach the session database {_redacted(self.url)}: {line}"
            ) from None
        saver = PostgresSaver(conn)
        with self._guard():
            saver.setup()
            conn.execute(
                "CREATE TABLE IF NOT EXISTS maestro_sessions (id TEXT PRIMARY KEY, kind TEXT,"
                " scenario TEXT, options TEXT, owner TEXT, status TEXT, created DOUBLE PRECISION,"
                " updated DOUBLE PRECISION)"
            )
        return saver, conn

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """One line for a database that is locked or gone, whatever the driver says."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            hint = " (another maestro process holds it; try again)" if "locked" in str(exc) else ""
            raise StoreError(f"session store {self.url}: {exc}{hint}") from None
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg"):
                line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise StoreError(f"session database {_redacted(self.url)}: {line}") from None
            raise

    # -- the index -------------------------------------------------------------------------
    def _sql(self, text: str) -> str:
        return text.replace("?", self.mark)

    def _rows(self, query: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        # The saver's own lock: the connection is shared with its checkpoint writes.
        with self._guard(), self.saver.lock:
            cur = self.conn.execute(self._sql(query), args)
            rows = cur.fetchall()
        return [r if isinstance(r, dict) else dict(zip(_COLUMNS, r, strict=False)) for r in rows]

    def _write(self, query: str, args: tuple[Any, ...]) -> None:
        with self._guard(), self.saver.lock:
            self.conn.execute(self._sql(query), args)
            if self.kind == "sqlite":
                self.conn.commit()

    @staticmethod
    def _info(row: dict[str, Any]) -> SessionInfo:
        return SessionInfo(
            id=row["id"],
            kind=row["kind"],
            scenario=json.loads(row["scenario"] or "{}"),
            options=json.loads(row["options"] or "{}"),
            owner=row["owner"],
            status=row["status"] or "running",
            created=float(row["created"] or 0.0),
            updated=float(row["updated"] or 0.0),
        )

    def create(self, info: SessionInfo) -> SessionInfo:
        now = time.time()
        info.created = info.created or now
        info.updated = now
        self._write(
            "INSERT INTO maestro_sessions (id, kind, scenario, options, owner, status, created,"
            " updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                info.id,
                info.kind,
                json.dumps(info.scenario),
                json.dumps(info.options),
                info.owner,
                info.status,
                info.created,
                info.updated,
            ),
        )
        return info

    def find(self, session_id: str) -> SessionInfo | None:
        rows = self._rows(
            f"SELECT {', '.join(_COLUMNS)} FROM maestro_sessions WHERE id = ?", (session_id,)
        )
        return self._info(rows[0]) if rows else None

    def get(self, session_id: str) -> SessionInfo:
        info = self.find(session_id)
        if info is None:
            raise SessionNotFound(f"no session {session_id!r} (see `maestro sessions list`)")
        return info

    def list(self) -> list[SessionInfo]:
        rows = self._rows(f"SELECT {', '.join(_COLUMNS)} FROM maestro_sessions ORDER BY updated")
        return [self._info(r) for r in rows]

    def set_status(self, session_id: str, status: str) -> None:
        self._write(
            "UPDATE maestro_sessions SET status = ?, updated = ? WHERE id = ?",
            (status, time.time(), session_id),
        )

    def delete(self, session_id: str) -> None:
        self.get(session_id)
        with self._guard():
            self.saver.delete_thread(session_id)
        self._write("DELETE FROM maestro_sessions WHERE id = ?", (session_id,))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str | None = None) -> SessionStore:
    """The session store for `url`, MAESTRO_DB_URL or the default SQLite file."""
    return SessionStore(url)


def new_session_id(name: str) -> str:
    """A fresh session id from a scenario's name: readable, and unique enough to type."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:40].strip("-.") or "session"
    return f"{stem}-{uuid.uuid4().hex[:6]}"


def thread_config(session_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": session_id}}
