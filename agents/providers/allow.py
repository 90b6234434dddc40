"""Which model ids a shared entry point may load: an allow-list from MAESTRO_ALLOWED_MODELS.

On the command line and in the Python API the user names any model they can reach. A served
graph takes its model id from whoever calls it, and `local:<path>` would let a caller make the
server open any file; so the server checks ids against an allow-list first. The variable holds
comma-separated entries, each a model id (`local`, `openai:gpt-4o-mini`) or a prefix ending in
`*` (`scripted:*`, `local:/srv/models/*`, or `*` for everything). Ids are compared in canonical
form: `local`, `local:smollm2` and `local:smollm2-135m` are one model, and a path is normalised
so that `..` cannot climb out of an allowed folder.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping

from maestro.agents.providers.base import UnknownModelError
from maestro.agents.providers.catalog import ALIASES, SMOLLM2_ID
from maestro.agents.providers.registry import PROVIDERS, parse_model_id

ALLOWED_MODELS_ENV = "MAESTRO_ALLOWED_MODELS"
# What a served graph allows unless configured: the shipped models and the scripted ones.
SERVED_DEFAULT: tuple[str, ...] = ("local", "local:gemma-3-270m", "scripted:*")


class ModelNotAllowedError(UnknownModelError):
    """A well-formed model id that this entry point is not configured to load."""


def canonical_model_id(model_id: str) -> str:
    """One spelling per model: aliases resolved, local paths normalised (no file access)."""
    parsed = parse_model_id(model_id)
    name = parsed.name.strip()
    if parsed.provider != "local":
        return f"{parsed.provider}:{name}"
    alias = ALIASES.get(name.lower())
    if alias is not None:
        return "local" if alias == SMOLLM2_ID else f"local:{alias}"
    return f"local:{posixpath.normpath(name)}"


def _check_entry(entry: str) -> str:
    if entry == "*":
        return entry
    if entry.endswith("*"):
        provider = entry.partition(":")[0].rstrip("*")
        if provider and not any(p.startswith(provider) for p in PROVIDERS):
            raise UnknownModelError(
                f"{ALLOWED_MODELS_ENV}: '{entry}' does not start like a model id "
                f"({', '.join(PROVIDERS)})"
            )
        return entry
    try:
        return canonical_model_id(entry)
    except UnknownModelError as exc:
        raise UnknownModelError(f"{ALLOWED_MODELS_ENV}: {exc}") from None


def allowed_model_ids(
    default: Iterable[str] = SERVED_DEFAULT, environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The allow-list: MAESTRO_ALLOWED_MODELS when set and not blank, else `default`."""
    env = os.environ if environ is None else environ
    raw = env.get(ALLOWED_MODELS_ENV, "")
    entries = [e.strip() for e in raw.split(",") if e.strip()] or list(default)
    return tuple(_check_entry(e) for e in entries)


def is_model_allowed(model_id: str, allow: Iterable[str]) -> bool:
    """True when the id matches an entry exactly (canonically) or starts with a `*` prefix."""
    wanted = canonical_model_id(model_id)
    for entry in allow:
        if entry.endswith("*"):
            if wanted.startswith(entry[:-1]):  # `wanted` is normalised: no ".." left in it
                return True
        elif wanted == _check_entry(entry):
            return True
    return False


def check_model_allowed(model_id: str, allow: Iterable[str] | None = None) -> str:
    """The canonical id when allowed; ModelNotAllowedError (a one-line message) otherwise.

    `allow` defaults to `allowed_model_ids()`, i.e. the environment or SERVED_DEFAULT.
    """
    entries = tuple(allowed_model_ids() if allow is None else allow)
    if not is_model_allowed(model_id, entries):
        shown = model_id if len(model_id) <= 120 else f"{model_id[:120]}..."
        raise ModelNotAllowedError(
            f"model '{shown}' is not allowed here (allowed: {', '.join(entries)}; "
            f"the server's {ALLOWED_MODELS_ENV} sets the list)"
        )
    return canonical_model_id(model_id)


__all__ = [
    "ALLOWED_MODELS_ENV",
    "SERVED_DEFAULT",
    "ModelNotAllowedError",
    "allowed_model_ids",
    "canonical_model_id",
    "check_model_allowed",
    "is_model_allowed",
]
