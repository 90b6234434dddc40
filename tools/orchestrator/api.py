"""The domain manager's northbound API (CAMINO §III-F): the domain's only door.

    GET    /livez                          open: the process answers (nothing else)
    GET    /catalogue                      blueprints and the domain's total reserved room
    GET    /intents                        intents the caller may see
    POST   /intents[?dry_run=true]         admit a new deployment intent (409 if it exists)
    PUT    /intents/{name}[?dry_run=true]  create or change one
    GET    /intents/{name}                 the intent, its order, services, commits
    GET    /intents/{name}/status          per service: edge, workload state, commit applied
    GET    /intents/{name}/network         the mesh resources the network manager made
    DELETE /intents/{name}[?dry_run=true]  termination intent
    GET    /edges                          per edge: capacity, free, applied commit, workloads
    GET    /health                         the domain and each edge (observers: totals only)
    GET    /monitoring/aggregate           utilisation summed over the domain
    GET    /monitoring/query?query=PROMQL  PromQL passed through (non-admins: aggregates only)
    GET    /repositories                   admin: blueprint and deployment repositories
    POST   /repositories                   admin: register an edge and its repository
    PUT    /repositories/blueprints        admin: use another blueprint repository
    DELETE /repositories/{edge}            admin: deregister an edge (nothing may run there)
    GET    /openapi.json                   this API's OpenAPI document

Roles (see `auth`): admin does everything; a tenant reads the catalogue, the edges and the
domain's health, and reads and changes only the intents it owns (another tenant's are 404,
indistinguishable from absent ones); an observer gets the catalogue, health totals and
aggregated utilisation only. Errors are `{"error": "..."}`: 400 unreadable request or
credentials in the URL, 401 no or unknown token, 403 role, 404, 409 conflict or refused by
admission, 413 body too large, 422 invalid intent, 502/503 monitoring or a repository out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Query, Request, Security
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import registry
from .auth import AuthError, Principal, Role, TokenStore
from .errors import (
    AdmissionError,
    DependencyError,
    DomainError,
    IntentError,
    OrchestratorError,
    PackageError,
    RepositoryError,
)
from .gate import ApiError, Gate, Limits, parse_json
from .intent import NAME, DeploymentIntent, parse_intent
from .service import DomainService
from .tenancy import OwnerBook

log = logging.getLogger("maestro.orchestrator.api")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
IntentName = Annotated[str, PathParam(pattern=NAME, max_length=40, description="intent name")]
DryRun = Annotated[bool, Query(description="hydrate and check without committing")]
_bearer = HTTPBearer(auto_error=False, description="a token from the server's token file")
_STATUS_OF: list[tuple[type[OrchestratorError], int]] = [
    (IntentError, 422),
    (PackageError, 422),
    (AdmissionError, 409),
    (DependencyError, 409),
    (RepositoryError, 503),
    (DomainError, 503),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/json": {"example": {"error": "..."}}}}
    for code, text in [
        (400, "unreadable request, or credentials in the URL"),
        (401, "no token, or an unknown one"),
        (403, "this role may not do that"),
        (404, "no such intent (or not yours)"),
        (409, "conflict: exists, still used, or refused by admission"),
        (413, "body too large"),
        (422, "invalid intent or parameter"),
    ]
}


def caller(
    creds: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    request: Request,
) -> Principal:
    """The principal of the request's bearer token (401 when there is none or it is unknown)."""
    if creds is None and request.headers.get("authorization"):
        raise AuthError("authorization: expected 'Bearer <token>'")
    tokens: TokenStore = request.app.state.tokens
    return tokens.authenticate(creds.credentials if creds else None)


Caller = Annotated[Principal, Security(caller)]


def admin(who: Caller) -> Principal:
    """Admins only, refused before the body is even read."""
    who.require(Role.admin, what="repositories")
    return who


Admin = Annotated[Principal, Security(admin)]


def create_app(
    service: DomainService,
    tokens: TokenStore,
    *,
    owners: OwnerBook | None = None,
    limits: Limits | None = None,
) -> Gate:
    """The ASGI app: the routes behind the gate (URL credentials, body size)."""
    limits = limits or Limits()
    owners = owners or OwnerBook()
    writing = threading.Lock()  # one change at a time: repositories move commit by commit
    app = FastAPI(
        title="maestro domain manager",
        version="1",
        description=__doc__,
        docs_url=None,
        redoc_url=None,
        responses=ERRORS,
    )

    async def blocking(fn: Callable[..., T], *args: Any, write: bool = False) -> T:
        def run() -> T:
            if not write:
                return fn(*args)
            with writing:
                return fn(*args)

        return await run_in_threadpool(run)

    def visible(who: Principal, name: str) -> None:
        """404 for an intent the caller may not see, exactly as for one that is absent."""
        if not who.may_see(owners.owner(name)) or not service.exists(name):
            raise ApiError(404, f"intent {name!r}: not found")

    def check_refs(who: Principal, intent: DeploymentIntent) -> None:
        """A tenant's intent may follow or use only its own intents' services."""
        if who.is_admin:
            return
        for other in sorted(service.foreign_intents(intent)):
            if owners.owner(other) != who.tenant:
                raise ApiError(
                    422, f"intent {intent.name!r}: refers to intent {other!r}, which is not yours"
                )

    async def read_intent(request: Request, name: str | None = None) -> DeploymentIntent:
        data = parse_json(await request.body(), limits)
        if name is not None and isinstance(data, dict) and "name" not in data:
            data["name"] = name
        intent = parse_intent(data, source="body")
        if name is not None and intent.name != name:
            raise ApiError(422, f"name: the body says {intent.name!r}, the URL {name!r}")
        return intent

    async def read_body(request: Request, model: type[M]) -> M:
        data = parse_json(await request.body(), limits)
        if not isinstance(data, dict):
            raise ApiError(422, "body: expected a JSON object")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ApiError(422, _validation_message(exc.errors(include_url=False))) from None

    async def admit(
        who: Principal, intent: DeploymentIntent, dry_run: bool, create: bool
    ) -> JSONResponse:
        who.require(Role.admin, Role.tenant, what="intents")

        def checked_apply() -> tuple[dict[str, Any], bool]:
            # Under the write lock: two tenants racing for a new name cannot both pass.
            owner = owners.owner(intent.name)
            exists = service.exists(intent.name)
            if exists and not who.is_admin and owner != who.tenant:
                raise ApiError(409, f"intent {intent.name!r}: the name is taken")
            if exists and create:
                raise ApiError(
                    409, f"intent {intent.name!r}: exists; PUT /intents/{intent.name} changes it"
                )
            check_refs(who, intent)
            result = service.apply(intent, dry_run)
            if not dry_run and not exists:
                owners.claim(intent.name, who.tenant)
            return result, exists

        result, existed = await blocking(checked_apply, write=True)
        status = 200 if dry_run or existed else 201
        return JSONResponse(result, status_code=status)

    @app.get("/livez", tags=["health"])
    async def livez() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/catalogue", tags=["catalogue"])
    async def catalogue(who: Caller) -> dict[str, Any]:
        return await blocking(service.catalogue)

    @app.get("/intents", tags=["intents"])
    async def list_intents(who: Caller) -> dict[str, Any]:
        who.require(Role.admin, Role.tenant, what="intents")
        names = await blocking(service.intent_names)
        mine = [n for n in names if who.may_see(owners.owner(n))]
        return {"intents": [{"name": n, "owner": owners.owner(n)} for n in mine]}

    @app.post(
        "/intents", tags=["intents"], status_code=201, openapi_extra=_body("DeploymentIntent")
    )
    async def create_intent(request: Request, who: Caller, dry_run: DryRun = False) -> JSONResponse:
        who.require(Role.admin, Role.tenant, what="intents")
        return await admit(who, await read_intent(request), dry_run, create=True)

    @app.put("/intents/{name}", tags=["intents"], openapi_extra=_body("DeploymentIntent"))
    async def put_intent(
        request: Request, who: Caller, name: IntentName, dry_run: DryRun = False
    ) -> JSONResponse:
        who.require(Role.admin, Role.tenant, what="intents")
        return await admit(who, await read_intent(request, name), dry_run, create=False)

    @app.get("/intents/{name}", tags=["intents"])
    async def get_intent(who: Caller, name: IntentName) -> dict[str, Any]:
        who.require(Role.admin, Role.tenant, what="intents")
        visible(who, name)
        return await blocking(service.record, name)

    @app.get("/intents/{name}/status", tags=["intents"])
    async def intent_status(who: Caller, name: IntentName) -> dict[str, Any]:
        who.require(Role.admin, Role.tenant, what="intents")
        visible(who, name)
        return await blocking(service.intent_status, name)

    @app.get("/intents/{name}/network", tags=["intents"])
    async def intent_network(who: Caller, name: IntentName) -> dict[str, Any]:
        who.require(Role.admin, Role.tenant, what="intents")
        visible(who, name)
        return await blocking(service.network, name)

    @app.delete("/intents/{name}", tags=["intents"])
    async def delete_intent(
        who: Caller, name: IntentName, dry_run: DryRun = False
    ) -> dict[str, Any]:
        who.require(Role.admin, Role.tenant, what="intents")
        visible(who, name)
        result = await blocking(service.delete, name, dry_run, write=True)
        if not dry_run:
            owners.release(name)
        return result

    @app.get("/edges", tags=["domain"])
    async def edges(who: Caller) -> dict[str, Any]:
        who.require(Role.admin, Role.tenant, what="edges")
        return await blocking(service.edges)

    @app.get("/health", tags=["health"])
    async def health(who: Caller) -> dict[str, Any]:
        report = await blocking(service.health)
        if who.role is Role.observer:
            return {k: report[k] for k in ("domain", "status", "edges_total", "edges_ready")}
        return report

    @app.get("/monitoring/aggregate", tags=["monitoring"])
    async def aggregate(who: Caller) -> dict[str, Any]:
        return await blocking(service.aggregate)

    @app.get("/monitoring/query", tags=["monitoring"])
    async def promql(
        who: Caller, query: Annotated[str, Query(min_length=1, max_length=2000)]
    ) -> dict[str, Any]:
        return await blocking(service.promql, query, who.is_admin)

    @app.get("/repositories", tags=["repositories"])
    async def list_repositories(who: Admin) -> dict[str, Any]:
        return registry.repositories(service.manager)

    @app.post(
        "/repositories",
        tags=["repositories"],
        status_code=201,
        openapi_extra=_body("EdgeRepository"),
    )
    async def add_repository(who: Admin, request: Request) -> dict[str, Any]:
        """Register an edge with its deployment repository."""
        body = await read_body(request, registry.EdgeRepository)
        return await blocking(registry.register_edge, service.manager, body, write=True)

    @app.put(
        "/repositories/blueprints",
        tags=["repositories"],
        openapi_extra=_body("BlueprintRepository"),
    )
    async def set_blueprints(who: Admin, request: Request) -> dict[str, Any]:
        """Point the domain at another blueprint repository."""
        body = await read_body(request, registry.BlueprintRepository)
        return await blocking(registry.set_blueprints, service.manager, body, write=True)

    @app.delete("/repositories/{edge}", tags=["repositories"])
    async def remove_repository(
        who: Admin, edge: Annotated[str, PathParam(pattern=NAME, max_length=40)]
    ) -> dict[str, Any]:
        """Deregister an edge and its deployment repository (nothing may run there)."""
        return await blocking(registry.deregister_edge, service.manager, edge, write=True)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="maestro-domain"'} if exc.status == 401 else {}
        return _error(exc.status, str(exc), headers)

    @app.exception_handler(OrchestratorError)
    async def orchestrator_error(request: Request, exc: OrchestratorError) -> JSONResponse:
        status = next((code for kind, code in _STATUS_OF if isinstance(exc, kind)), 422)
        return _error(status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "body: not valid JSON")
        return _error(422, _validation_message(errors))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        where = f"{request.method} {request.url.path}"
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"{where}: no such route"
        elif exc.status_code == 405:
            message = f"{where}: method not allowed"
        return _error(exc.status_code, message, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server's log, never to the caller.
        log.error("internal error in %s %s", request.method, request.url.path, exc_info=exc)
        return _error(500, f"internal error in {request.method} {request.url.path}")

    app.openapi = _with_body_schemas(app)  # type: ignore[method-assign]
    app.state.service = service
    app.state.tokens = tokens
    app.state.owners = owners
    return Gate(app, tokens, limits)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def _validation_message(errors: Any) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "path", "query")]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts)


BODIES: dict[str, type[BaseModel]] = {
    "DeploymentIntent": DeploymentIntent,
    "EdgeRepository": registry.EdgeRepository,
    "BlueprintRepository": registry.BlueprintRepository,
}


def _body(model: str) -> dict[str, Any]:
    """A request body in the OpenAPI document (the routes read bodies themselves, to answer
    400/413/422 as documented, so FastAPI does not see them)."""
    ref = {"$ref": f"#/components/schemas/{model}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def _with_body_schemas(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            for name, model in BODIES.items():
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[name] = schema
            app.openapi_schema = doc
        return app.openapi_schema

    return openapi


def owner_file(domain: Path) -> Path:
    return domain / "api" / "owners.json"


__all__ = ["ERRORS", "create_app", "owner_file"]
