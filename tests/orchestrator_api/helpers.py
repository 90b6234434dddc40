"""Tokens, intents and headers shared by the domain API tests."""

from __future__ import annotations

import copy
from typing import Any

ADMIN = "admin-secret-token-000000000001"
TENANT_A = "tenant-a-secret-token-00000002"
TENANT_B = "tenant-b-secret-token-00000003"
OBSERVER = "observer-secret-token-00000004"
ALL_TOKENS = (ADMIN, TENANT_A, TENANT_B, OBSERVER)
TOKENS = [
    {"tenant": "ops", "role": "admin", "token": ADMIN},
    {"tenant": "op-a", "role": "tenant", "token": TENANT_A},
    {"tenant": "op-b", "role": "tenant", "token": TENANT_B},
    {"tenant": "cdo", "role": "observer", "token": OBSERVER},
]

CHAIN: dict[str, Any] = {
    "name": "chain-a",
    "services": {
        "backend": {
            "package": "chain-backend",
            "edge": "edge-1",
            "resources": {"cpu": "100m", "memory": "64Mi"},
            "params": {"message": "hello"},
        },
        "frontend": {
            "package": "chain-frontend",
            "edge": "edge-2",
            "after": ["backend"],
            "resources": {"cpu": "100m", "memory": "64Mi"},
            "params": {"upstream": "${backend.url}"},
        },
    },
}


def chain(name: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(CHAIN)
    data["name"] = name
    data.update(changes)
    return data


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
