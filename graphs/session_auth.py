"""LangGraph Server authentication for sessions (langgraph.json "auth").

Without MAESTRO_API_TOKENS everything is open, as before. With it (`token=operator,...` or a
JSON object), every request needs `Authorization: Bearer <token>` (401 otherwise) and acts
as that token's operator:
- threads and assistants are stamped with their owner and only the owner sees them;
- an assistant or a run that names a seat (`context.seat`) must name the caller's own
  (403 otherwise), so nobody takes another operator's seat;
- the session graph itself refuses a run without a seat, so the graph's default assistant
  cannot be used to slip into one.
"""

from __future__ import annotations

from typing import Any

from langgraph_sdk import Auth

auth = Auth()
ANONYMOUS = "anonymous"


def _tokens() -> dict[str, str]:
    from maestro.web.app import tokens_from_env

    return tokens_from_env()


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    tokens = _tokens()
    if not tokens:
        return {"identity": ANONYMOUS, "is_authenticated": True}
    scheme, _, token = (authorization or "").partition(" ")
    holder = tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if holder is None:
        raise Auth.exceptions.HTTPException(
            status_code=401, detail="a valid token is needed (Authorization: Bearer <token>)"
        )
    return {"identity": holder, "is_authenticated": True}


def _owned(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str] | None:
    if ctx.user.identity == ANONYMOUS and not _tokens():
        return None
    owner = {"owner": ctx.user.identity}
    if value.get("metadata") is None:
        value["metadata"] = {}
    if isinstance(value["metadata"], dict):  # stamped in place: the server keeps this object
        value["metadata"].update(owner)
    return owner


def _check_seat(ctx: Auth.types.AuthContext, context: Any) -> None:
    if not _tokens() or not isinstance(context, dict) or "seat" not in context:
        return
    if context["seat"] != ctx.user.identity:
        raise Auth.exceptions.HTTPException(
            status_code=403,
            detail=f"the seat {str(context['seat'])[:60]!r} is not yours ({ctx.user.identity})",
        )


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> Any:
    return _owned(ctx, value) if isinstance(value, dict) else None


@auth.on.assistants.create
async def own_seat_assistant(ctx: Auth.types.AuthContext, value: Any) -> Any:
    _check_seat(ctx, value.get("context"))
    return _owned(ctx, value)


@auth.on.assistants.update
async def own_seat_assistant_update(ctx: Auth.types.AuthContext, value: Any) -> Any:
    _check_seat(ctx, value.get("context"))
    return _owned(ctx, value)


@auth.on.threads.create_run
async def own_seat_run(ctx: Auth.types.AuthContext, value: Any) -> Any:
    kwargs = value.get("kwargs") or {}
    _check_seat(ctx, kwargs.get("context"))
    _check_seat(ctx, (kwargs.get("config") or {}).get("configurable"))
    return _owned(ctx, value)
