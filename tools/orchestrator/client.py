"""`OrchestratorClient`: the domain manager's API over HTTP, for the CLI and the agents.

Every failure — refused, unreachable, timed out, an answer that is not JSON — is one
`OrchestratorApiError` with the HTTP status (0 when no answer came) and the server's own
one-line reason, never the token. The token comes from the constructor or from
MAESTRO_ORCHESTRATOR_TOKEN and travels only in the Authorization header.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from .auth import TOKEN_ENV, check_token

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class OrchestratorApiError(Exception):
    """The API refused or could not be reached; `status` 0 means no HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def refused_by_admission(self) -> bool:
        return self.status == 409


class OrchestratorClient:
    """Thin: one method per route, JSON in and out. Close it (or use `with`)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"url: expected an http:// or https:// URL, got {url!r}")
        if "?" in url or "#" in url:
            raise ValueError("url: give the server's base URL, without a query or fragment")
        token = token if token is not None else (os.environ.get(TOKEN_ENV, "").strip() or None)
        if token is None:
            raise ValueError(f"token: none given and {TOKEN_ENV} is not set")
        check_token(token, "token")
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    # -- plumbing ------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        content = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            res = self._http.request(method, path, content=content, params=params, headers=headers)
        except httpx.TimeoutException:
            raise OrchestratorApiError(0, f"{method} {self.url}{path}: timed out") from None
        except httpx.HTTPError as exc:
            raise OrchestratorApiError(
                0,
                f"{method} {self.url}{path}: cannot reach the domain manager ({type(exc).__name__})",
            ) from None
        try:
            data = res.json()
        except ValueError:
            raise OrchestratorApiError(
                res.status_code, f"{method} {path}: HTTP {res.status_code}, not a JSON answer"
            ) from None
        if res.status_code >= 400:
            reason = data.get("error") if isinstance(data, dict) else None
            raise OrchestratorApiError(res.status_code, str(reason or f"HTTP {res.status_code}"))
        return data

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OrchestratorClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- routes --------------------------------------------------------------------------

    def catalogue(self) -> dict[str, Any]:
        return dict(self._call("GET", "/catalogue"))

    def intents(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/intents")["intents"])

    def create(self, intent: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        return dict(self._call("POST", "/intents", body=intent, params=_dry(dry_run)))

    def apply(self, intent: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        """Create or change (PUT): what `maestro orchestrator intent apply` does."""
        name = intent.get("name") if isinstance(intent, dict) else None
        if not isinstance(name, str) or not name:
            raise ValueError("intent: needs a 'name'")
        return dict(self._call("PUT", f"/intents/{_seg(name)}", body=intent, params=_dry(dry_run)))

    def apply_file(self, path: str | Path, dry_run: bool = False) -> dict[str, Any]:
        import yaml

        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an intent mapping")
        return self.apply(data, dry_run)

    def get(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/intents/{_seg(name)}"))

    def status(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/intents/{_seg(name)}/status"))

    def network(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/intents/{_seg(name)}/network"))

    def delete(self, name: str, dry_run: bool = False) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/intents/{_seg(name)}", params=_dry(dry_run)))

    def edges(self) -> dict[str, Any]:
        return dict(self._call("GET", "/edges"))

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def aggregate(self) -> dict[str, Any]:
        return dict(self._call("GET", "/monitoring/aggregate"))

    def query(self, promql: str) -> dict[str, Any]:
        return dict(self._call("GET", "/monitoring/query", params={"query": promql}))


def _dry(dry_run: bool) -> dict[str, str] | None:
    return {"dry_run": "true"} if dry_run else None


def _seg(name: str) -> str:
    """A path segment: names are DNS labels; anything else is refused before it is sent."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"intent name: not a DNS label: {name!r}")
    return name


__all__ = ["OrchestratorApiError", "OrchestratorClient"]
