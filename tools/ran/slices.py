"""Slice PRB shares: TS 28.541 RRMPolicyRatio policies, FlexRIC NVS form, one scheduling step.

A negotiated throughput becomes a policy here (`policy_for_throughput`); the emulator then
runs `allocate_prbs` every step, which is where the ratios' meaning is decided: dedicated
PRBs are reserved even when idle, minimum PRBs are guaranteed when demanded and lent out
otherwise, and nothing exceeds its maximum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from .cell import CellConfig, InfeasibleRequest, prbs_for_throughput, throughput_mbps

__all__ = [
    "SliceRatio",
    "SlicePolicy",
    "policy_for_throughput",
    "min_ratios",
    "mbps_at_ratio",
    "to_nvs",
    "from_nvs",
    "allocate_prbs",
    "slice_throughputs",
]

# Fields read either their Python name or the TS 28.541 attribute name, and write the latter.
_ALIASES = ConfigDict(serialize_by_alias=True, extra="forbid", frozen=True)


class SliceRatio(BaseModel):
    """One slice's PRB shares in percent, serialised with the TS 28.541 attribute names."""

    model_config = _ALIASES

    slice_id: str = Field(min_length=1, max_length=64)
    sst: int = Field(default=1, ge=0, le=255)
    sd: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{6}$")
    min_ratio: int = Field(
        ge=0,
        le=100,
        validation_alias=AliasChoices("min_ratio", "rRMPolicyMinRatio"),
        serialization_alias="rRMPolicyMinRatio",
    )
    max_ratio: int = Field(
        ge=0,
        le=100,
        validation_alias=AliasChoices("max_ratio", "rRMPolicyMaxRatio"),
        serialization_alias="rRMPolicyMaxRatio",
    )
    dedicated_ratio: int = Field(
        default=0,
        ge=0,
        le=100,
        validation_alias=AliasChoices("dedicated_ratio", "rRMPolicyDedicatedRatio"),
        serialization_alias="rRMPolicyDedicatedRatio",
    )

    @model_validator(mode="after")
    def _ordered(self) -> SliceRatio:
        if self.dedicated_ratio > self.min_ratio:
            raise ValueError(
                f"slice {self.slice_id!r}: dedicated_ratio ({self.dedicated_ratio}) must be "
                f"<= min_ratio ({self.min_ratio})"
            )
        if self.min_ratio > self.max_ratio:
            raise ValueError(
                f"slice {self.slice_id!r}: min_ratio ({self.min_ratio}) must be "
                f"<= max_ratio ({self.max_ratio})"
            )
        return self

    def to_28541(self, plmn_id: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The slice as a 28.541 RRMPolicyRatio (its `id` is the slice id) with its
        rRMPolicyMemberList: the S-NSSAI that tells this slice's traffic from the others'."""
        snssai: dict[str, Any] = {"sst": self.sst}
        if self.sd is not None:
            snssai["sd"] = self.sd
        member: dict[str, Any] = {"snssai": snssai}
        if plmn_id is not None:
            member["plmnId"] = dict(plmn_id)
        return {
            "id": self.slice_id,
            "rRMPolicyMemberList": [member],
            "rRMPolicyMinRatio": self.min_ratio,
            "rRMPolicyMaxRatio": self.max_ratio,
            "rRMPolicyDedicatedRatio": self.dedicated_ratio,
        }


class SlicePolicy(BaseModel):
    """All slices of one cell; the 28.541 constraints hold or the model does not exist."""

    model_config = _ALIASES

    slices: list[SliceRatio] = Field(default_factory=list)
    resource_type: Literal["PRB", "PRB_DL", "PRB_UL"] = Field(
        default="PRB_DL",
        validation_alias=AliasChoices("resource_type", "resourceType"),
        serialization_alias="resourceType",
    )

    @field_validator("slices")
    @classmethod
    def _shares_fit(cls, slices: list[SliceRatio]) -> list[SliceRatio]:
        seen: set[str] = set()
        for s in slices:
            if s.slice_id in seen:
                raise ValueError(f"slice_id {s.slice_id!r} appears more than once")
            seen.add(s.slice_id)
        total = sum(s.min_ratio for s in slices)
        if total > 100:
            parts = ", ".join(f"{s.slice_id}: {s.min_ratio}" for s in slices)
            raise ValueError(f"the sum of min_ratio must be <= 100, got {total} ({parts})")
        return slices

    @property
    def slice_ids(self) -> list[str]:
        return [s.slice_id for s in self.slices]

    def get(self, slice_id: str) -> SliceRatio | None:
        return next((s for s in self.slices if s.slice_id == slice_id), None)

    def to_28541(self, plmn_id: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every slice as an RRMPolicyRatio, with this policy's resourceType."""
        return [{"resourceType": self.resource_type, **s.to_28541(plmn_id)} for s in self.slices]


def _ceil_ratio(prbs: int, n_prb: int) -> int:
    """Smallest whole percent whose floor(ratio * n_prb / 100) still covers `prbs`."""
    return -(-100 * prbs // n_prb)


def policy_for_throughput(
    cell: CellConfig,
    cqi: int,
    demands_mbps: Mapping[str, float],
    *,
    share_leftover: bool = True,
    dedicated: bool = False,
    sst: int = 1,
) -> SlicePolicy:
    """Turn agreed throughputs per slice into a policy whose minimum guarantees them.

    Every slice gets its own S-NSSAI: `sst` (1 = eMBB) and a slice differentiator `sd`
    numbered in the order of `demands_mbps` (000001, 000002, ...), so that two operators'
    policies stay distinguishable once exported (TS 28.541 identifies the member slice by
    its S-NSSAI, not by our slice id).

    min_ratio is the smallest percentage of PRBs carrying the slice's Mbps at `cqi`; max is
    100 (idle PRBs may be borrowed) unless `share_leftover` is False (hard cap at the
    minimum); `dedicated` reserves the minimum even when idle. Raises InfeasibleRequest
    naming the slice or the total when the cell cannot carry it.
    """
    full = throughput_mbps(cell, cqi)  # also validates cqi
    ratios = min_ratios(cell, cqi, demands_mbps)
    total = sum(ratios.values())
    if total > 100:
        parts = ", ".join(f"{sid} {demands_mbps[sid]:g} Mbps = {r}%" for sid, r in ratios.items())
        raise InfeasibleRequest(
            f"the slices need {total}% of the PRBs together at CQI {cqi} ({parts}); "
            f"the cell carries {full:.2f} Mbps in total",
            requested_mbps=float(sum(demands_mbps.values())),
            available_mbps=full,
        )
    return SlicePolicy(
        slices=[
            SliceRatio(
                slice_id=sid,
                sst=sst,
                sd=f"{number:06X}",
                min_ratio=r,
                max_ratio=100 if share_leftover else r,
                dedicated_ratio=r if dedicated else 0,
            )
            for number, (sid, r) in enumerate(ratios.items(), start=1)
        ]
    )


def min_ratios(cell: CellConfig, cqi: int, demands_mbps: Mapping[str, float]) -> dict[str, int]:
    """Each slice's smallest whole-percent minimum ratio carrying its Mbps at `cqi`, each
    on its own (the total is the caller's to check: enforcement checks it against the
    rules). Raises InfeasibleRequest naming a slice the whole cell cannot carry."""
    n_prb = cell.n_prb
    needs: dict[str, int] = {}
    for slice_id, mbps in demands_mbps.items():
        if not isinstance(mbps, int | float | np.number) or not math.isfinite(mbps) or mbps < 0:
            raise ValueError(
                f"demands_mbps[{slice_id!r}] must be a finite number >= 0, got {mbps!r}"
            )
        try:
            needs[slice_id] = prbs_for_throughput(cell, cqi, float(mbps))
        except InfeasibleRequest as exc:
            raise InfeasibleRequest(
                f"slice {slice_id!r}: {exc.reason}",
                requested_mbps=exc.requested_mbps,
                available_mbps=exc.available_mbps,
            ) from None
    return {sid: _ceil_ratio(p, n_prb) for sid, p in needs.items()}


def mbps_at_ratio(cell: CellConfig, cqi: int, ratio: int) -> float:
    """The Mbps a minimum ratio of `ratio` percent guarantees at `cqi` (its PRBs are
    floor(ratio x n_prb / 100), as the scheduler counts them)."""
    return throughput_mbps(cell, cqi, max(0, min(100, int(ratio))) * cell.n_prb // 100)


_NVS_CAPACITY = "SLICE_SM_NVS_V0_CAPACITY"
_NVS_RATE = "SLICE_SM_NVS_V0_RATE"


def to_nvs(
    policy: SlicePolicy, cell: CellConfig | None = None, *, cqi: int = 15
) -> list[dict[str, Any]]:
    """FlexRIC NVS slices: capacity shares (`pct_reserved`, 0..1) without a cell, rate
    slices (`mbps_required` of `mbps_reference`, the carrier at `cqi`) with one.

    NVS has no maximum or dedicated share: it reserves the minimum and lends the rest, so
    only min_ratio travels.
    """
    out: list[dict[str, Any]] = []
    reference = throughput_mbps(cell, cqi) if cell is not None else None
    for index, s in enumerate(policy.slices):
        entry: dict[str, Any] = {"id": index, "label": s.slice_id, "ue_sched_algo": "PF"}
        if reference is None:
            entry.update(type=_NVS_CAPACITY, pct_reserved=s.min_ratio / 100)
        else:
            entry.update(
                type=_NVS_RATE,
                mbps_required=reference * s.min_ratio / 100,
                mbps_reference=reference,
            )
        out.append(entry)
    return out


def _nvs_number(entry: Mapping[str, Any], index: int, *keys: str) -> float | None:
    for key in keys:
        if key in entry:
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"slices[{index}].{key} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"slices[{index}].{key} must be finite and >= 0, got {value!r}")
            return float(value)
    return None


def from_nvs(slices: Sequence[Mapping[str, Any]]) -> SlicePolicy:
    """Read FlexRIC NVS slices (capacity or rate) back into a policy (max 100, dedicated 0).

    Accepts both the C field names (`pct_reserved`, `mbps_required`, `mbps_reference`) and
    the short JSON ones FlexRIC's examples use (`pct_rsvd`, `mbps_rsvd`, `mbps_ref`).
    """
    if isinstance(slices, Mapping) or not isinstance(slices, Sequence):
        raise ValueError("slices must be a list of NVS slice objects")
    ratios: list[SliceRatio] = []
    for i, entry in enumerate(slices):
        if not isinstance(entry, Mapping):
            raise ValueError(f"slices[{i}] must be an object, got {type(entry).__name__}")
        label = entry.get("label", entry.get("id"))
        if label is None or str(label) == "":
            raise ValueError(f"slices[{i}] needs a label or an id")
        kind = str(entry.get("type", ""))
        pct = _nvs_number(entry, i, "pct_reserved", "pct_rsvd")
        required = _nvs_number(entry, i, "mbps_required", "mbps_rsvd")
        reference = _nvs_number(entry, i, "mbps_reference", "mbps_ref")
        if (kind == _NVS_CAPACITY or (not kind and pct is not None)) and pct is not None:
            if pct > 1:
                raise ValueError(f"slices[{i}].pct_reserved must be a fraction 0..1, got {pct:g}")
            share = pct
        elif (kind == _NVS_RATE or not kind) and required is not None and reference is not None:
            if reference <= 0:
                raise ValueError(f"slices[{i}].mbps_reference must be > 0, got {reference:g}")
            share = required / reference
            if share > 1 + 1e-9:
                raise ValueError(
                    f"slices[{i}].mbps_required ({required:g}) exceeds mbps_reference "
                    f"({reference:g})"
                )
        else:
            raise ValueError(
                f"slices[{i}] is neither an NVS capacity slice (pct_reserved) nor a rate "
                f"slice (mbps_required and mbps_reference); type was {kind or 'absent'}"
            )
        minimum = min(100, math.ceil(share * 100 - 1e-6))
        ratios.append(SliceRatio(slice_id=str(label), min_ratio=minimum, max_ratio=100))
    return SlicePolicy(slices=ratios)


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def allocate_prbs(
    policy: SlicePolicy, n_prb: int, demand_prbs: Mapping[str, int]
) -> dict[str, int]:
    """One scheduling step: PRBs granted per slice for the PRBs each one asks for.

    Order of service: every slice first gets its demand up to its minimum (dedicated is
    part of the minimum); dedicated PRBs it leaves idle stay reserved; all other PRBs form
    a pool shared max-min fairly among slices still wanting more, each capped at its
    maximum. Slices the policy does not name (traffic outside any RRMPolicyRatio) compete
    for the pool only, as 28.541 intends for shared resources. Ratios become PRBs by
    floor(ratio x n_prb / 100).
    """
    n = _check_count("n_prb", n_prb)
    ids = policy.slice_ids + [sid for sid in demand_prbs if policy.get(sid) is None]
    demand = np.array(
        [min(_check_count(f"demand_prbs[{sid!r}]", demand_prbs.get(sid, 0)), n) for sid in ids],
        dtype=np.int64,
    )
    known = len(policy.slices)
    pct = np.zeros((len(ids), 3), dtype=np.int64)  # min, max, dedicated
    pct[:, 1] = 100
    for i, s in enumerate(policy.slices):
        pct[i] = (s.min_ratio, s.max_ratio, s.dedicated_ratio)
    floor_prbs = pct * n // 100
    minimum, cap, dedicated = floor_prbs[:, 0], floor_prbs[:, 1], floor_prbs[:, 2]
    if known < len(ids):
        minimum[known:] = 0

    grant = np.minimum(demand, minimum)
    idle_reserved = np.maximum(dedicated - grant, 0)
    pool = int(n - grant.sum() - idle_reserved.sum())
    want = np.minimum(demand, cap) - grant
    while pool > 0 and np.any(want > 0):
        wanting = np.flatnonzero(want > 0)
        share = pool // len(wanting)
        if share == 0:
            # Fewer PRBs than claimants: one each, in policy order, until none are left.
            chosen = wanting[:pool]
            grant[chosen] += 1
            want[chosen] -= 1
            break
        give = np.minimum(want[wanting], share)
        grant[wanting] += give
        want[wanting] -= give
        pool -= int(give.sum())
    return {sid: int(g) for sid, g in zip(ids, grant, strict=True)}


def slice_throughputs(
    cell: CellConfig, cqi: int, allocation: Mapping[str, int]
) -> dict[str, float]:
    """Mbps each slice carries on its granted PRBs at `cqi` (each slice its own blocks)."""
    return {sid: throughput_mbps(cell, cqi, int(p)) for sid, p in allocation.items()}
