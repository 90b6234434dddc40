"""The web front end: a Starlette app over the session store and the session graph.

    GET  /                              the chat page (static files, no build step)
    GET  /api/sessions                  the caller's sessions
    POST /api/sessions                  {scenario, seat, mode, approve_enforcement, model}
    GET  /api/sessions/{id}             the session as its seat holder may read it
    POST /api/sessions/{id}/messages    {text}: a message, an answer, /approve or /reject
    GET  /api/sessions/{id}/events      server-sent events while the session runs

With MAESTRO_API_TOKENS (`token=operator,token2=operator2`, or a JSON object) every request
needs `Authorization: Bearer <token>` (or `?token=` for the event stream, which a browser
cannot give headers): 401 without a known token, 403 for a session or seat that is not the
token's operator. Scenarios are the server's (by name, as for the served graph): a client
never sends one.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from maestro.agents.seat import MODES
from maestro.graphs.checkpoints import (
    SessionInfo,
    SessionStore,
    StoreError,
    new_session_id,
    open_store,
)
from maestro.web.live import Hub

STATIC = Path(__file__).with_name("static")
MAX_BODY = 64 * 1024


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def tokens_from_env() -> dict[str, str]:
    """MAESTRO_API_TOKENS as token -> operator id (empty: no authentication)."""
    raw = os.environ.get("MAESTRO_API_TOKENS", "").strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise StoreError(f"MAESTRO_API_TOKENS is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in data.items()
        ):
            raise StoreError("MAESTRO_API_TOKENS must map token strings to operator ids")
        return dict(data)
    pairs: dict[str, str] = {}
    for part in raw.split(","):
        token, sep, holder = part.strip().partition("=")
        if not sep or not token.strip() or not holder.strip():
            raise StoreError("MAESTRO_API_TOKENS must be 'token=operator,...' or a JSON object")
        pairs[token.strip()] = holder.strip()
    return pairs


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class WebApp:
    def __init__(self, store: SessionStore, tokens: dict[str, str]) -> None:
        self.store, self.tokens = store, tokens
        self.hub = Hub(store)

    # -- who is asking ---------------------------------------------------------------------
    def caller(self, request: Request) -> str | None:
        """The token's operator id, or None when the server has no tokens."""
        if not self.tokens:
            return None
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = token or request.query_params.get("token", "")
        if token not in self.tokens:
            raise HttpError(401, "a valid token is needed (Authorization: Bearer <token>)")
        return self.tokens[token]

    def session(self, request: Request) -> SessionInfo:
        who = self.caller(request)
        session_id = request.path_params["session_id"]
        info = self.store.find(session_id)
        if info is None:
            raise HttpError(404, f"no session {session_id[:80]!r}")
        if who is not None and info.owner != who:
            raise HttpError(403, f"session {session_id!r} is not {who}'s seat")
        return info

    # -- endpoints -------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def list_sessions(self, request: Request) -> Response:
        who = self.caller(request)
        rows = [info.summary() for info in self.store.list() if who is None or info.owner == who]
        return JSONResponse(rows)

    async def create(self, request: Request) -> Response:
        from maestro.agents.providers.allow import allowed_model_ids
        from maestro.graphs.context import prepare_run
        from maestro.graphs.session import session_context
        from maestro.graphs.session_served import served_scenario

        who = self.caller(request)
        body = await self.body(request)
        seat, mode = body.get("seat"), body.get("mode", "auto")
        if not isinstance(seat, str) or not seat:
            raise HttpError(400, "seat: name the operator whose seat you take, or mediator")
        if who is not None and seat != who:
            raise HttpError(403, f"the seat {seat!r} is not yours ({who})")
        if mode not in MODES:
            raise HttpError(400, f"mode: one of {', '.join(MODES)}")
        model = body.get("model")
        if model is not None and not isinstance(model, str):
            raise HttpError(400, "model: a model id string")
        try:
            data = served_scenario(body.get("scenario"))  # type: ignore[arg-type]
            run = prepare_run(data, model=model or None, allowed_models=allowed_model_ids())
            context = session_context(run, {seat: mode}, bool(body.get("approve_enforcement")))
        except (ValueError, StoreError) as exc:
            raise HttpError(400, str(exc).splitlines()[0][:300]) from None
        context.close()
        info = self.store.create(
            SessionInfo(
                id=new_session_id(context.scenario.name),
                kind="chat",
                scenario=context.scenario.model_dump(mode="json"),
                options={
                    "mode": mode,
                    "seats": {seat: mode},
                    "approve_enforcement": bool(body.get("approve_enforcement")),
                },
                owner=seat,
            )
        )
        live = await asyncio.to_thread(self.hub.get, info)
        return JSONResponse(live.view(), status_code=201)

    async def show(self, request: Request) -> Response:
        info = self.session(request)
        live = await asyncio.to_thread(self.hub.get, info)
        return JSONResponse(live.view())

    async def message(self, request: Request) -> Response:
        info = self.session(request)
        body = await self.body(request)
        text = body.get("text")
        if not isinstance(text, str):
            raise HttpError(400, "text: the message, as a string")
        live = await asyncio.to_thread(self.hub.get, info)
        how = live.say(text)
        return JSONResponse({"accepted": how}, status_code=202)

    async def events(self, request: Request) -> Response:
        info = self.session(request)
        live = await asyncio.to_thread(self.hub.get, info)
        try:
            seq = int(request.query_params.get("since", live.next_seq()))
        except ValueError:
            seq = live.next_seq()

        async def stream() -> AsyncIterator[str]:
            nonlocal seq
            yield f"event: state\ndata: {json.dumps(live.view())}\n\n"
            idle = 0.0
            while not await request.is_disconnected():
                fresh = live.since(seq)
                for event in fresh:
                    seq = event["seq"] + 1
                    yield f"data: {json.dumps(event, default=str)}\n\n"
                if fresh:
                    yield f"event: state\ndata: {json.dumps(live.view(), default=str)}\n\n"
                    idle = 0.0
                else:
                    idle += 0.2
                    if idle >= 15:  # keep proxies from closing a quiet stream
                        yield ": keep-alive\n\n"
                        idle = 0.0
                await asyncio.sleep(0.2)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def delete(self, request: Request) -> Response:
        info = self.session(request)
        self.hub.forget(info.id)
        self.store.delete(info.id)
        return JSONResponse({"deleted": info.id})

    # -- plumbing --------------------------------------------------------------------------
    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise HttpError(413, f"the request body is over {MAX_BODY // 1024} KiB")
        try:
            data = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            raise HttpError(400, "the body must be a JSON object (UTF-8)") from None
        if not isinstance(data, dict):
            raise HttpError(400, "the body must be a JSON object")
        return data


def create_app(
    store: SessionStore | None = None, tokens: dict[str, str] | None = None
) -> Starlette:
    """The web app over `store` (default: MAESTRO_DB_URL or the SQLite file)."""
    web = WebApp(store or open_store(), tokens_from_env() if tokens is None else tokens)

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except HttpError as exc:
                return _error(exc.status, str(exc))
            except StoreError as exc:  # a locked or unreachable database
                return _error(503, str(exc))

        return endpoint

    routes = [
        Route("/", guarded(web.index)),
        Route("/api/sessions", guarded(web.list_sessions), methods=["GET"]),
        Route("/api/sessions", guarded(web.create), methods=["POST"]),
        Route("/api/sessions/{session_id}", guarded(web.show), methods=["GET"]),
        Route("/api/sessions/{session_id}", guarded(web.delete), methods=["DELETE"]),
        Route("/api/sessions/{session_id}/messages", guarded(web.message), methods=["POST"]),
        Route("/api/sessions/{session_id}/events", guarded(web.events), methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.web = web
    return app
