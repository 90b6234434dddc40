"""What the RAN server lets in: who may change the cell, and what a request body may hold.

The server is shared by every negotiation that drives the cell, so one careless or hostile
request must not be able to switch the cell off, replace the policy or leave numbers in the
state that JSON cannot carry. Everything here runs before the driver is called: a request
that fails a check changes nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..jsonbody import BodyError, parse_json_body
from .driver import MAX_SLICE_MBPS
from .slices import SlicePolicy, from_nvs

TOKEN_ENV = "MAESTRO_RAN_TOKEN"
MIN_TOKEN_CHARS = 16
MAX_ADVANCE_S = 1_000_000.0  # about 11.6 days of trace in one call
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII: safe in an HTTP header
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Limits:
    """Bounds on one request and on the cell, so no client can make the server slow or stuck."""

    max_body_bytes: int = 64 * 1024
    max_depth: int = 32
    max_slices: int = 64


# -- tokens ----------------------------------------------------------------------------------


def check_token(token: str, where: str = "token") -> str:
    """A token must be long enough not to be guessed and travel unchanged in a header."""
    if not isinstance(token, str) or len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"{where}: must be at least {MIN_TOKEN_CHARS} characters")
    if not header_safe(token):
        raise ValueError(f"{where}: use visible ASCII characters only (no spaces)")
    return token


def header_safe(token: str) -> bool:
    """Visible ASCII only: the token travels unchanged in an HTTP header."""
    return isinstance(token, str) and _TOKEN_CHARS.match(token) is not None


def new_token() -> str:
    """A random token for a server started without one (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def token_from_env(var: str = TOKEN_ENV) -> str | None:
    """The token named by an environment variable, or None when it is unset or empty."""
    value = os.environ.get(var, "").strip()
    return value or None


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`; False for 0.0.0.0."""
    if address.strip("[]").lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def require_token(request: Request, token: str) -> None:
    """401 unless the request carries `Authorization: Bearer <token>` (constant-time check)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise HTTPException(
            401,
            f"authorization: this route needs 'Authorization: Bearer <token>' "
            f"(the server's {TOKEN_ENV})",
            headers={"WWW-Authenticate": 'Bearer realm="maestro-ran"'},
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPException(
            401,
            "authorization: wrong token",
            headers={"WWW-Authenticate": 'Bearer realm="maestro-ran", error="invalid_token"'},
        )


# -- bodies ----------------------------------------------------------------------------------


async def read_json(request: Request, limits: Limits) -> Any:
    """The body as JSON: 413 when too large, 400 when not JSON or nested too deep, 422 empty."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPException(400, "content-length: not a number")
        if int(declared) > limits.max_body_bytes:
            raise HTTPException(413, _too_large(limits))
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > limits.max_body_bytes:  # chunked bodies declare no length
            raise HTTPException(413, _too_large(limits))
    try:
        return parse_json_body(bytes(raw), limits.max_depth)
    except BodyError as exc:
        raise HTTPException(exc.status, str(exc)) from None


def _too_large(limits: Limits) -> str:
    return f"body: larger than the limit of {limits.max_body_bytes} bytes"


def _visible(value: str) -> str:
    if not value.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("must be a non-blank name without control characters")
    return value


# Strict: "10" and true are not numbers, NaN and Infinity are not finite, unknown keys are
# typos. Defaults fill only what the route documents as optional.
_STRICT = ConfigDict(strict=True, extra="forbid")
SliceId = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_visible)]


class DemandBody(BaseModel):
    model_config = _STRICT
    slice_id: SliceId
    mbps: float = Field(ge=0, le=MAX_SLICE_MBPS, allow_inf_nan=False)


class CellBody(BaseModel):
    model_config = _STRICT
    on: bool


class AdvanceBody(BaseModel):
    model_config = _STRICT
    seconds: float = Field(default=1.0, gt=0, le=MAX_ADVANCE_S, allow_inf_nan=False)


class CqiBody(BaseModel):
    model_config = _STRICT
    cqi: Annotated[int, Field(ge=0, le=15)] | None  # required; null returns to the trace


def parse_body(model: type[M], data: Any) -> M:
    """Validate a JSON object into `model`; 422 naming each bad field."""
    if not isinstance(data, dict):
        raise HTTPException(422, f"body: expected a JSON object, got {_json_type(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(422, validation_message(exc)) from None


def parse_policy(data: Any, limits: Limits) -> SlicePolicy:
    """A TS 28.541 policy object, or a list of FlexRIC NVS slices; 422 naming the field."""
    try:
        if isinstance(data, list):
            _check_nvs(data, limits)
            return from_nvs(data)
        if not isinstance(data, dict):
            raise ValueError(
                f"body: expected a policy object or a list of NVS slices, got {_json_type(data)}"
            )
        if "slices" not in data:
            # An empty object would clear the policy in force: that must be said explicitly.
            raise ValueError("slices: field required (send [] to clear the policy)")
        if isinstance(data["slices"], list) and len(data["slices"]) > limits.max_slices:
            raise ValueError(_too_many(len(data["slices"]), limits))
        return SlicePolicy.model_validate(data, strict=True)
    except ValidationError as exc:
        raise HTTPException(422, validation_message(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def _check_nvs(entries: list[Any], limits: Limits) -> None:
    """NVS entries are read loosely by `from_nvs`; names must still be names, not anything."""
    if len(entries) > limits.max_slices:
        raise ValueError(_too_many(len(entries), limits))
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"slices[{i}] must be an object, got {_json_type(entry)}")
        label, ident, kind = entry.get("label"), entry.get("id"), entry.get("type")
        if label is not None and not isinstance(label, str):
            raise ValueError(f"slices[{i}].label must be a string, got {_json_type(label)}")
        if ident is not None and (isinstance(ident, bool) or not isinstance(ident, int)):
            raise ValueError(f"slices[{i}].id must be an integer, got {_json_type(ident)}")
        if kind is not None and not isinstance(kind, str):
            raise ValueError(f"slices[{i}].type must be a string, got {_json_type(kind)}")


def _too_many(count: int, limits: Limits) -> str:
    return f"slices: {count} slices, more than the limit of {limits.max_slices}"


def check_slice_count(slice_ids: set[str], limits: Limits) -> None:
    """409 when the cell would schedule more slices than the limit (nothing is changed)."""
    if len(slice_ids) > limits.max_slices:
        raise HTTPException(
            409,
            f"slices: the cell would have {len(slice_ids)} slices, more than the limit of "
            f"{limits.max_slices}; set a slice's demand to 0 or drop it from the policy first",
        )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def validation_message(exc: ValidationError) -> str:
    """One part per bad field, `a.b: message`, the way users read pydantic errors."""
    parts = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


__all__ = [
    "MAX_ADVANCE_S",
    "MAX_SLICE_MBPS",
    "MIN_TOKEN_CHARS",
    "TOKEN_ENV",
    "AdvanceBody",
    "CellBody",
    "CqiBody",
    "DemandBody",
    "Limits",
    "check_slice_count",
    "check_token",
    "header_safe",
    "is_loopback",
    "new_token",
    "parse_body",
    "parse_policy",
    "read_json",
    "require_token",
    "token_from_env",
    "validation_message",
]
