"""What a served scenario may reach on the server: trace files and network endpoints.

On the command line and in the Python API the scenario is the user's own, so its `network`
section may name any trace file and any driver or Prometheus URL. A served scenario comes from
whoever calls the server: a trace path would make the server open that file, and a URL would
make it send requests wherever the caller likes. So a served run checks the caller's mapping,
before it is validated (validation already reads the trace), against the operator's settings:

- `MAESTRO_SERVED_TRACE_DIR`: the folder trace files may be read from. Unset, only
  `trace: synthetic` is allowed. Set, a trace path (relative ones start in that folder) must
  resolve, symlinks and `..` followed, to a file inside it.
- `MAESTRO_SERVED_URLS`: comma-separated origins (`http://127.0.0.1:8081`) a `driver_url` or
  `prometheus_url` may point at. Unset, none is allowed.

A refusal names the field only: never the caller's value's target, never anything read.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from maestro.agents.errors import UsageError
from maestro.agents.providers.options import SettingsError

TRACE_DIR_ENV = "MAESTRO_SERVED_TRACE_DIR"
URLS_ENV = "MAESTRO_SERVED_URLS"
URL_FIELDS = ("driver_url", "prometheus_url", "orchestrator_url")
REFUSABLE = ("trace", *URL_FIELDS)
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class NetworkNotAllowedError(UsageError):
    """A served scenario's trace, URL or file the server's settings do not allow."""

    def __init__(self, field: str, why: str, section: str = "network") -> None:
        super().__init__(f"{section}.{field} is not allowed here ({why})")
        self.field = field


@dataclass(frozen=True)
class ServedNetworkPolicy:
    trace_dir: Path | None = None  # resolved; None: only the synthetic trace
    origins: frozenset[Origin] = frozenset()


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL without credentials, else None.

    Two parsers must agree, so that a URL spelled to read one way here and another way in
    the HTTP client (backslashes, odd `@`s) is refused rather than trusted.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
        parsed = httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None:
        return None
    found = (scheme, host, port or DEFAULT_PORTS[scheme])
    theirs = (parsed.scheme, parsed.host.lower(), parsed.port or DEFAULT_PORTS.get(parsed.scheme))
    if theirs != found or parsed.userinfo:
        return None
    return found


def _origin_entry(entry: str) -> Origin:
    origin = origin_of(entry)
    parts = urlsplit(entry)
    if origin is None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingsError(
            f"environment variable {URLS_ENV}: '{entry[:120]}' is not an origin such as "
            "http://127.0.0.1:8081 (scheme, host and port only)"
        )
    return origin


def policy_from_env(environ: Mapping[str, str] | None = None) -> ServedNetworkPolicy:
    """The operator's settings; SettingsError for a value that cannot be used."""
    env = os.environ if environ is None else environ
    folder: Path | None = None
    raw_dir = env.get(TRACE_DIR_ENV, "").strip()
    if raw_dir:
        folder = Path(raw_dir).expanduser().resolve()
        if not folder.is_dir():
            raise SettingsError(f"environment variable {TRACE_DIR_ENV}: {folder} is not a folder")
    entries = [e.strip() for e in env.get(URLS_ENV, "").split(",") if e.strip()]
    return ServedNetworkPolicy(folder, frozenset(_origin_entry(e) for e in entries))


def allowed_trace(value: str, policy: ServedNetworkPolicy) -> str:
    """`synthetic`, or the resolved path inside the allowed folder (nothing is opened)."""
    if value == "synthetic":
        return value
    folder = policy.trace_dir
    if folder is None:
        raise NetworkNotAllowedError(
            "trace",
            f"only 'synthetic'; the server's {TRACE_DIR_ENV} "
            "sets a folder trace files may be read from",
        )
    path = Path(value)
    if not path.is_absolute():
        path = folder / path
    try:
        # Symlinks and `..` followed (lstat and readlink only: not even a stat of the file).
        resolved = Path(os.path.realpath(path))
    except (OSError, ValueError):
        resolved = None
    if resolved is None or not resolved.is_relative_to(folder):
        raise NetworkNotAllowedError(
            "trace", f"outside the folder the server's {TRACE_DIR_ENV} sets"
        )
    return str(resolved)


def check_url(field: str, value: str, policy: ServedNetworkPolicy) -> None:
    if origin_of(value) not in policy.origins:
        raise NetworkNotAllowedError(field, f"its origin is not on the server's {URLS_ENV}")


def check_served_network(scenario: Any, policy: ServedNetworkPolicy) -> dict[str, Any]:
    """The scenario to run: a copy with an allowed trace's path resolved.

    NetworkNotAllowedError for the first field the policy refuses. Values of the wrong type
    are left to the scenario's validation, which refuses them before anything is read.
    """
    if not isinstance(scenario, Mapping):
        # A string would be read as the path of a scenario file on the server.
        raise UsageError("scenario: a served run takes the scenario as a mapping, not a path")
    data = copy.deepcopy(dict(scenario))
    regulation = data.get("regulation")
    if isinstance(regulation, Mapping) and regulation.get("documents"):
        # They would be read, indexed and quoted into prompts: any file the server can read.
        raise NetworkNotAllowedError(
            "documents",
            "a served run uses the server's own corpus; add documents there with "
            "`maestro knowledge add`",
            section="regulation",
        )
    network = data.get("network")
    if not isinstance(network, Mapping):
        return data
    network = dict(network)
    trace = network.get("trace")
    if isinstance(trace, str):
        network["trace"] = allowed_trace(trace, policy)
    for field in URL_FIELDS:
        value = network.get(field)
        if isinstance(value, str):
            check_url(field, value, policy)
    data["network"] = network
    return data


def without_refusable(scenario: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The scenario with no trace path, URL or document path in it (safe to prepare: nothing
    is opened or requested), and the network's values as given, for the record to show what
    was asked."""
    data = copy.deepcopy(dict(scenario))
    regulation = data.get("regulation")
    if isinstance(regulation, Mapping):
        data["regulation"] = {k: v for k, v in regulation.items() if k != "documents"}
    network = data.get("network")
    if not isinstance(network, Mapping):
        return data, {}
    network = dict(network)
    removed = {k: network.pop(k) for k in REFUSABLE if k in network}
    data["network"] = network
    return data, {k: v for k, v in removed.items() if isinstance(v, str)}


__all__ = [
    "TRACE_DIR_ENV",
    "URLS_ENV",
    "NetworkNotAllowedError",
    "ServedNetworkPolicy",
    "allowed_trace",
    "check_served_network",
    "check_url",
    "origin_of",
    "policy_from_env",
    "without_refusable",
]
