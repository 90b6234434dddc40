"""`HttpRanDriver`: the `RanDriver` interface over HTTP, against `maestro ran serve`.

It validates inputs locally with the same checks as the emulator (so a caller sees the same
ValueError either way) and turns every network failure or error status into one
`RanDriverError` saying which server, which call and why.

The server's token comes from the constructor or from `MAESTRO_RAN_TOKEN`, never from a
scenario file, and travels as `Authorization: Bearer <token>` on every request.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .driver import (
    CellState,
    PolicyOutcome,
    RanDriverError,
    check_demand,
    check_seconds,
)
from .guard import MAX_ADVANCE_S, TOKEN_ENV, header_safe
from .slices import SlicePolicy

M = TypeVar("M", bound=BaseModel)


class HttpRanDriver:
    """A RAN driver whose cell lives in another process (or behind a RIC gateway).

    `token` defaults to the environment variable MAESTRO_RAN_TOKEN; without one the reads
    still work on a loopback server, and changes are refused (401). Close it when done (or use
    it as a context manager): it holds a connection pool.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
        *,
        token: str | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url: expected an http:// or https:// URL, got {base_url!r}")
        if token is None:
            token = os.environ.get(TOKEN_ENV, "").strip() or None
        if token is not None and not header_safe(token):
            raise ValueError("token: must be visible ASCII characters without spaces")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._has_token = token is not None
        self._owns_client = client is None
        self._client = client or httpx.Client(base_url=self.base_url, timeout=timeout)
        self._closed = False

    # -- RanDriver -------------------------------------------------------------------------

    def cell_state(self) -> CellState:
        return self._call("GET", "/state", None, CellState)

    def apply_policy(self, policy: SlicePolicy) -> PolicyOutcome:
        if not isinstance(policy, SlicePolicy):
            raise ValueError(f"policy: expected a SlicePolicy, got {type(policy).__name__}")
        body = policy.model_dump(mode="json", by_alias=True)
        return self._call("POST", "/policy", body, PolicyOutcome)

    def set_cell_on(self, on: bool) -> CellState:
        if not isinstance(on, bool):
            raise ValueError(f"on: must be true or false, got {on!r}")
        return self._call("POST", "/cell", {"on": on}, CellState)

    def set_demand(self, slice_id: str, mbps: float) -> None:
        check_demand(slice_id, mbps)
        self._call("POST", "/demand", {"slice_id": slice_id, "mbps": float(mbps)}, CellState)

    def advance(self, seconds: float = 1.0) -> CellState:
        check_seconds(seconds)
        if seconds > MAX_ADVANCE_S:
            raise ValueError(f"seconds: at most {MAX_ADVANCE_S:g} per call, got {seconds!r}")
        return self._call("POST", "/advance", {"seconds": float(seconds)}, CellState)

    # -- extras ------------------------------------------------------------------------------

    def set_cqi(self, cqi: int | None) -> CellState:
        """Pin the served emulator's CQI (None returns it to its trace)."""
        return self._call("POST", "/cqi", {"cqi": cqi}, CellState)

    def metrics_text(self) -> str:
        """The raw Prometheus exposition the server publishes."""
        return self._request("GET", "/metrics", None).text

    def close(self) -> None:
        """Release the connection pool (idempotent); a client passed in stays its owner's."""
        if not self._closed and self._owns_client:
            self._client.close()
        self._closed = True

    def __enter__(self) -> HttpRanDriver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpRanDriver({self.base_url!r})"

    # -- plumbing ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any) -> httpx.Response:
        where = f"RAN server {self.base_url}: {method} {path}"
        if self._closed:
            raise RanDriverError(f"{where}: this HttpRanDriver is closed")
        try:
            response = self._client.request(method, path, json=body, headers=self._headers)
        except httpx.TimeoutException as exc:
            raise RanDriverError(f"{where} timed out after {self.timeout} s") from exc
        except httpx.HTTPError as exc:
            raise RanDriverError(f"{where} failed: {exc or type(exc).__name__}") from exc
        if response.status_code >= 300:
            hint = ""
            if response.status_code == 401 and not self._has_token:
                hint = f" (no token given: set {TOKEN_ENV} to the server's token)"
            raise RanDriverError(
                f"{where} answered {response.status_code}: {_detail(response)}{hint}"
            )
        return response

    def _call(self, method: str, path: str, body: Any, model: type[M]) -> M:
        response = self._request(method, path, body)
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise RanDriverError(
                f"RAN server {self.base_url}: {method} {path} sent an unexpected answer: {exc}"
            ) from exc


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(data, dict) and "error" in data:
        return str(data["error"])
    return str(data)[:200]


__all__ = ["HttpRanDriver", "RanDriverError"]
