"""Who may call the domain manager's API: bearer tokens mapped to a tenant and a role.

CAMINO's domain manager is the only door into the domain, so it decides who is who. Three
roles: `admin` (the domain's operator: everything, every tenant), `tenant` (a business
operator: the catalogue, and its own intents only) and `observer` (an external consumer
such as a cross-domain orchestrator: the catalogue and aggregated utilisation, nothing per
edge and nothing per tenant).

Tokens live in a file the server reads at start (YAML or JSON):

    tokens:
      - {tenant: ops, role: admin, sha256: 9f86d0...}   # preferred: only the digest on disk
      - {tenant: op-a, role: tenant, token: "a-long-random-secret"}

Only SHA-256 digests are kept in memory; no message, repr or log line here ever holds a
token, and a bad entry is named by its position, not by its secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

TOKEN_ENV = "MAESTRO_ORCHESTRATOR_TOKEN"
TOKENS_ENV = "MAESTRO_ORCHESTRATOR_TOKENS"
MIN_TOKEN_CHARS = 16
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII: travels unchanged in a header
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
TENANT_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"  # a DNS label: also a namespace


class Role(StrEnum):
    admin = "admin"
    tenant = "tenant"
    observer = "observer"


class AuthError(Exception):
    """Refused: `status` is 401 (who are you?) or 403 (not for you)."""

    status = 401


class Unauthenticated(AuthError):
    status = 401


class Forbidden(AuthError):
    status = 403


class TokenConfigError(ValueError):
    """The token file is unusable; the message names the entry, never its secret."""


class Principal(BaseModel):
    """The caller a token stands for."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def may_see(self, owner: str | None) -> bool:
        """Admin sees every intent; a tenant only those it owns; an observer none."""
        if self.role is Role.admin:
            return True
        return self.role is Role.tenant and owner == self.tenant

    def require(self, *roles: Role, what: str) -> None:
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise Forbidden(f"{what}: needs role {allowed} (this token is {self.role.value})")


class TokenEntry(BaseModel):
    """One line of the token file: a tenant, a role and the token or its SHA-256 digest."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(pattern=TENANT_PATTERN)
    role: Role
    token: SecretStr | None = None
    sha256: str | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> TokenEntry:
        if (self.token is None) == (self.sha256 is None):
            raise ValueError("give exactly one of 'token' and 'sha256'")
        if self.token is not None:
            check_token(self.token.get_secret_value())
        if self.sha256 is not None and not _HEX64.match(self.sha256):
            raise ValueError("sha256: must be 64 lowercase hex digits")
        return self

    def digest(self) -> str:
        if self.sha256 is not None:
            return self.sha256
        assert self.token is not None
        return hash_token(self.token.get_secret_value())


def check_token(token: str, where: str = "token") -> str:
    """Long enough not to be guessed, and safe in an HTTP header."""
    if not isinstance(token, str) or len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"{where}: must be at least {MIN_TOKEN_CHARS} characters")
    if not _TOKEN_CHARS.match(token):
        raise ValueError(f"{where}: use visible ASCII characters only (no spaces)")
    return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A random token (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


class TokenStore:
    """Digest -> principal. `authenticate` compares digests in constant time."""

    def __init__(self, entries: Iterable[TokenEntry]) -> None:
        self._by_digest: dict[str, Principal] = {}
        for i, entry in enumerate(entries):
            digest = entry.digest()
            if digest in self._by_digest:
                raise TokenConfigError(f"tokens[{i}]: the same token is listed twice")
            self._by_digest[digest] = Principal(tenant=entry.tenant, role=entry.role)
        if not self._by_digest:
            raise TokenConfigError("tokens: the list is empty; nobody could call the API")

    @classmethod
    def from_data(cls, data: Any) -> TokenStore:
        if isinstance(data, dict) and set(data) == {"tokens"}:
            data = data["tokens"]
        if not isinstance(data, list):
            raise TokenConfigError("tokens: expected a list of {tenant, role, token|sha256}")
        entries = []
        for i, item in enumerate(data):
            try:
                entries.append(TokenEntry.model_validate(item))
            except ValidationError as exc:
                raise TokenConfigError(f"tokens[{i}]: {_first_error(exc)}") from None
        return cls(entries)

    @classmethod
    def load(cls, path: str | Path) -> TokenStore:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenConfigError(f"token file {p}: cannot read it ({exc})") from None
        try:
            data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError):
            raise TokenConfigError(f"token file {p}: not valid YAML/JSON") from None
        try:
            return cls.from_data(data)
        except TokenConfigError as exc:
            raise TokenConfigError(f"token file {p}: {exc}") from None

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated("authorization: this route needs 'Authorization: Bearer <token>'")
        given = hash_token(token)
        found: Principal | None = None
        for digest, principal in self._by_digest.items():  # every entry: no early exit
            if hmac.compare_digest(digest, given):
                found = principal
        if found is None:
            raise Unauthenticated("authorization: unknown token")
        return found

    def is_token(self, text: str) -> bool:
        """Whether `text` is one of the tokens (to refuse it where it must not travel)."""
        given = hash_token(text)
        return any(hmac.compare_digest(d, given) for d in self._by_digest)

    def __len__(self) -> int:
        return len(self._by_digest)

    def __repr__(self) -> str:
        return f"TokenStore({len(self)} tokens)"


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {msg}" if where else msg


__all__ = [
    "MIN_TOKEN_CHARS",
    "TENANT_PATTERN",
    "TOKENS_ENV",
    "TOKEN_ENV",
    "AuthError",
    "Forbidden",
    "Principal",
    "Role",
    "TokenConfigError",
    "TokenEntry",
    "TokenStore",
    "Unauthenticated",
    "bearer",
    "check_token",
    "hash_token",
    "new_token",
]
