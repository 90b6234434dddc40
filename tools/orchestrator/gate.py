"""What the domain manager's API lets in before any route runs, and how it says no.

A pure ASGI middleware refuses, before authentication or routing:
- credentials in the URL (a `token=`-like parameter, or any query value that is a known
  token): URLs end up in proxies' and browsers' logs, so a token there counts as leaked;
- bodies over the limit (413), whether declared by Content-Length or streamed in chunks.

Every refusal, here and in the routes, is JSON `{"error": "<what>: <why>"}` with its status,
and never carries a traceback, a token or the Authorization header.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from ..jsonbody import BodyError, parse_json_body
from .auth import TokenStore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Parameter names that only ever carry a credential.
CREDENTIAL_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "bearer",
        "auth",
        "authorization",
        "api_key",
        "apikey",
        "key",
        "secret",
        "password",
        "id_token",
    }
)


@dataclass(frozen=True)
class Limits:
    """Bounds on one request, so that no client can make the server slow or stuck."""

    max_body_bytes: int = 256 * 1024
    max_depth: int = 32


class ApiError(Exception):
    """A refusal with its HTTP status; the message is shown to the caller as is."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode("utf-8")


async def send_error(send: Send, status: int, message: str) -> None:
    body = error_body(message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Gate:
    """ASGI middleware: URL credentials -> 400, oversized bodies -> 413 (bodies are buffered
    up to the limit and replayed to the app, so the routes read them as usual)."""

    def __init__(self, app: ASGIApp, tokens: TokenStore, limits: Limits) -> None:
        self.app = app
        self.tokens = tokens
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._url_problem(scope)
        if problem:
            await send_error(send, 400, problem)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_error(send, 400, "content-length: not a number")
                return
            if int(declared) > self.limits.max_body_bytes:
                await send_error(send, 413, self._too_large())
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > self.limits.max_body_bytes:  # chunked bodies declare no length
                await send_error(send, 413, self._too_large())
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    def _url_problem(self, scope: Scope) -> str | None:
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name.lower() in CREDENTIAL_PARAMS or (value and self.tokens.is_token(value)):
                return (
                    "credentials in the URL are refused (URLs get logged): send "
                    "'Authorization: Bearer <token>' instead, and replace the token now"
                )
        return None

    def _too_large(self) -> str:
        return f"body: larger than the limit of {self.limits.max_body_bytes} bytes"


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the client's disconnect, as usual

    return replayed


def parse_json(raw: bytes, limits: Limits) -> Any:
    """The body as JSON: 422 when empty, 400 when not JSON (or NaN, or nested too deep)."""
    try:
        return parse_json_body(raw, limits.max_depth)
    except BodyError as exc:
        raise ApiError(exc.status, str(exc)) from None


__all__ = [
    "CREDENTIAL_PARAMS",
    "ApiError",
    "Gate",
    "Limits",
    "error_body",
    "parse_json",
    "send_error",
]
