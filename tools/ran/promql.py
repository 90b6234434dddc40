"""Read metrics back from Prometheus with PromQL (the monitoring path at scale).

The observability unit can read the cell from the driver directly or, when a Prometheus URL is
set, from what Prometheus scraped off the RAN server's `/metrics`. `observe_prometheus` gives
the same `RanObservation` as `observe(driver)`, so the unit does not care which it used.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from .driver import RanObservation

Sample = tuple[dict[str, str], float]


class PromQLError(RuntimeError):
    """Prometheus could not be reached, or refused or failed the query."""


class PromQLClient:
    """A small client for the Prometheus HTTP API (`/api/v1/query`)."""

    def __init__(self, url: str, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"url: expected the Prometheus http:// or https:// URL, got {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._client = client or httpx.Client(base_url=self.url, timeout=timeout)

    def query(self, expr: str, time: float | None = None) -> list[Sample]:
        """Evaluate an instant query: one (labels, value) per series; a scalar has no labels."""
        if not isinstance(expr, str) or not expr.strip():
            raise ValueError("expr: must be a non-empty PromQL expression")
        params: dict[str, Any] = {"query": expr}
        if time is not None:
            params["time"] = time
        data = self._get("/api/v1/query", params, expr)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector" and isinstance(result, list):
            return [(dict(item.get("metric", {})), _number(item["value"][1])) for item in result]
        if kind == "scalar" and isinstance(result, list):
            return [({}, _number(result[1]))]
        raise PromQLError(
            f"Prometheus {self.url}: query {expr!r} gave a {kind} result; "
            "use an instant vector or scalar expression"
        )

    def scalar(self, expr: str) -> float | None:
        """The single value of `expr`, or None when no series matches (e.g. not scraped yet)."""
        samples = self.query(expr)
        if not samples:
            return None
        if len(samples) > 1:
            raise PromQLError(
                f"Prometheus {self.url}: query {expr!r} returned {len(samples)} series; "
                "narrow it with labels or aggregate it (e.g. sum(...))"
            )
        return samples[0][1]

    def ready(self) -> bool:
        """True when Prometheus answers its readiness probe."""
        try:
            return self._client.get("/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PromQLClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, Any], expr: str) -> dict[str, Any]:
        where = f"Prometheus {self.url}: query {expr!r}"
        try:
            response = self._client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise PromQLError(f"{where} timed out after {self.timeout} s") from exc
        except httpx.HTTPError as exc:
            raise PromQLError(f"{where} failed: {exc or type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise PromQLError(
                f"{where}: answered {response.status_code} with a non-JSON body"
            ) from exc
        if response.status_code != 200 or body.get("status") != "success":
            reason = body.get("error") or response.reason_phrase
            raise PromQLError(f"{where} failed ({body.get('errorType', 'error')}): {reason}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise PromQLError(f"{where}: answer has no data")
        return data


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError) as exc:
        raise PromQLError(f"Prometheus returned a non-numeric sample {text!r}") from exc


def _selector(labels: dict[str, str] | None) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def observe_prometheus(
    client: PromQLClient, labels: dict[str, str] | None = None
) -> RanObservation | None:
    """The cell as Prometheus last scraped it, or None if it has not scraped it yet.

    `labels` picks one RAN server when Prometheus scrapes several, e.g. {"job": "ran"}.
    """
    sel = _selector(labels)

    def one(name: str) -> float | None:
        value = client.scalar(f"{name}{sel}")
        return None if value is None or math.isnan(value) else value

    on = one("maestro_ran_cell_on")
    if on is None:
        return None

    def per_slice(name: str) -> dict[str, float]:
        return {
            lab["slice"]: value
            for lab, value in client.query(f"{name}{sel}")
            if "slice" in lab and not math.isnan(value)
        }

    return RanObservation(
        on=on >= 0.5,
        cqi=int(one("maestro_ran_cqi") or 0),
        capacity_mbps=one("maestro_ran_capacity_mbps") or 0.0,
        demand_mbps=one("maestro_ran_demand_mbps") or 0.0,
        throughput_mbps=one("maestro_ran_throughput_mbps") or 0.0,
        prbs_used=int(one("maestro_ran_prbs_used") or 0),
        n_prb=int(one("maestro_ran_prbs_total") or 0),
        slice_throughput_mbps=per_slice("maestro_ran_slice_throughput_mbps"),
        slice_demand_mbps=per_slice("maestro_ran_slice_demand_mbps"),
        source=f"prometheus {client.url}",
    )


__all__ = ["PromQLClient", "PromQLError", "Sample", "observe_prometheus"]
