"""Cell configuration and what the cell can carry: peak rate, throughput per CQI, PRBs needed.

Capacity follows the transport-block route (CQI -> MCS -> TBS per slot x downlink slots per
second), because that is what the MAESTRO testbed's 134 Mbps comes from; the TS 38.306
peak formula is kept alongside as the standard's upper bound.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .nr_tables import cqi_to_mcs_array, frequency_range, max_nrb, numerology
from .tbs import MAX_LAYERS_PER_CODEWORD, transport_block_sizes

__all__ = [
    "TddPattern",
    "CellConfig",
    "InfeasibleRequest",
    "peak_rate_mbps",
    "throughput_mbps",
    "throughput_array",
    "capacity_table",
    "prbs_for_throughput",
    "prbs_for_demand",
]

_TDD_PERIODS_MS = (0.5, 0.625, 1.0, 1.25, 2.0, 2.5, 3.0, 4.0, 5.0, 10.0)
# TS 38.306 4.1.2 overhead OH per frequency range and direction.
_OVERHEAD = {("FR1", "DL"): 0.14, ("FR1", "UL"): 0.08, ("FR2", "DL"): 0.18, ("FR2", "UL"): 0.10}
_EPS = 1e-9


class InfeasibleRequest(ValueError):
    """A throughput or share the cell cannot provide; `reason` says why, for the record."""

    def __init__(
        self,
        reason: str,
        *,
        requested_mbps: float | None = None,
        available_mbps: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.requested_mbps = requested_mbps
        self.available_mbps = available_mbps


class TddPattern(BaseModel):
    """A TDD UL/DL pattern (TS 38.331 TDD-UL-DL-Pattern), one period.

    `mixed_slot` says how capacity counts the special slot's downlink symbols: "full"
    counts it as a whole downlink slot (the accounting behind the testbed's 134 Mbps,
    8 downlink transport blocks per 5 ms), "partial" gives it a transport block sized to its
    own downlink symbols, "none" ignores it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    period_ms: float = 5.0
    dl_slots: int = Field(default=7, ge=0)
    dl_symbols_mixed: int = Field(default=6, ge=0, le=14)
    ul_slots: int = Field(default=2, ge=0)
    ul_symbols_mixed: int = Field(default=4, ge=0, le=14)
    mixed_slot: Literal["full", "partial", "none"] = "full"

    @field_validator("period_ms")
    @classmethod
    def _known_period(cls, value: float) -> float:
        if not any(math.isclose(value, p) for p in _TDD_PERIODS_MS):
            allowed = ", ".join(f"{p:g}" for p in _TDD_PERIODS_MS)
            raise ValueError(f"period_ms must be one of {allowed} (TS 38.331), got {value:g}")
        return value

    @model_validator(mode="after")
    def _symbols_fit(self) -> TddPattern:
        if self.dl_symbols_mixed + self.ul_symbols_mixed > 14:
            raise ValueError(
                "dl_symbols_mixed + ul_symbols_mixed must be at most 14 (one slot), got "
                f"{self.dl_symbols_mixed} + {self.ul_symbols_mixed}"
            )
        return self

    @classmethod
    def oai_band78(cls) -> TddPattern:
        """OAI's default band-78 pattern: 5 ms, 7 DL slots, 6+4 mixed symbols, 2 UL slots."""
        return cls(period_ms=5.0, dl_slots=7, dl_symbols_mixed=6, ul_slots=2, ul_symbols_mixed=4)


class CellConfig(BaseModel):
    """One NR carrier. `tdd=None` means FDD (every slot carries downlink)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bandwidth_mhz: float = 40
    scs_khz: int = 30
    layers: int = Field(default=1, ge=1, le=8)
    mcs_table: Literal[1, 2] = 1
    tdd: TddPattern | None = Field(default_factory=TddPattern.oai_band78)
    band: str = "n78"
    pdsch_symbols: int = Field(default=13, ge=1, le=14)
    dmrs_re_per_prb: int = Field(default=12, ge=0, le=48)
    overhead_re: int = Field(default=0, ge=0, le=18)

    @field_validator("band")
    @classmethod
    def _band_name(cls, value: str) -> str:
        if not re.fullmatch(r"n\d{1,3}", value.strip().lower()):
            raise ValueError(f"band must be an NR band name such as 'n78', got {value!r}")
        return value.strip().lower()

    @model_validator(mode="after")
    def _consistent(self) -> CellConfig:
        fr = frequency_range(self.band)
        max_nrb(self.bandwidth_mhz, self.scs_khz, fr)  # raises naming bandwidth_mhz / scs_khz
        if 12 * self.pdsch_symbols - self.dmrs_re_per_prb - self.overhead_re <= 0:
            raise ValueError(
                "dmrs_re_per_prb + overhead_re leave no data REs in pdsch_symbols symbols"
            )
        if self.tdd is not None:
            slots = self.tdd.period_ms * 2 ** numerology(self.scs_khz)
            if not math.isclose(slots, round(slots)):
                raise ValueError(
                    f"tdd.period_ms {self.tdd.period_ms:g} is not a whole number of "
                    f"{self.scs_khz} kHz slots"
                )
            mixed = 1 if self.tdd.dl_symbols_mixed or self.tdd.ul_symbols_mixed else 0
            used = self.tdd.dl_slots + self.tdd.ul_slots + mixed
            if used > round(slots):
                raise ValueError(
                    f"tdd: {self.tdd.dl_slots} DL + {self.tdd.ul_slots} UL + {mixed} mixed "
                    f"slots exceed the {round(slots)} slots of a {self.tdd.period_ms:g} ms period"
                )
        return self

    @classmethod
    def oai_band78(cls) -> CellConfig:
        """The MAESTRO testbed cell: n78, 40 MHz, 30 kHz, 1 layer, 64QAM, OAI TDD pattern."""
        return cls(
            bandwidth_mhz=40, scs_khz=30, layers=1, mcs_table=1,
            tdd=TddPattern.oai_band78(), band="n78",
        )

    @property
    def frequency_range(self) -> str:
        return frequency_range(self.band)

    @property
    def numerology(self) -> int:
        return numerology(self.scs_khz)

    @property
    def n_prb(self) -> int:
        """Maximum transmission bandwidth configuration (TS 38.101-1/-2); 40 MHz @ 30 kHz: 106."""
        return max_nrb(self.bandwidth_mhz, self.scs_khz, self.frequency_range)

    def dl_slot_rates(self) -> list[tuple[int, float]]:
        """(PDSCH symbols, slots per second) for each kind of slot that carries downlink."""
        slots_per_s = 1000.0 * 2**self.numerology
        if self.tdd is None:
            return [(self.pdsch_symbols, slots_per_s)]
        periods_per_s = 1000.0 / self.tdd.period_ms
        full = self.tdd.dl_slots
        rates: list[tuple[int, float]] = []
        if self.tdd.dl_symbols_mixed > 0 and self.tdd.mixed_slot == "full":
            full += 1
        elif self.tdd.dl_symbols_mixed > 0 and self.tdd.mixed_slot == "partial":
            control = 14 - self.pdsch_symbols
            symbols = self.tdd.dl_symbols_mixed - control
            if 12 * symbols - self.dmrs_re_per_prb - self.overhead_re > 0:
                rates.append((symbols, periods_per_s))
        if full:
            rates.insert(0, (self.pdsch_symbols, full * periods_per_s))
        return rates

    @property
    def dl_slots_per_s(self) -> float:
        """Downlink transport blocks per second (1600 for the OAI pattern, mixed slot full)."""
        return sum(rate for _, rate in self.dl_slot_rates())


def _codeword_layers(layers: int) -> list[int]:
    """Layers per codeword: one codeword up to 4 layers, then floor/ceil split (TS 38.211)."""
    if layers <= MAX_LAYERS_PER_CODEWORD:
        return [layers]
    return [layers // 2, layers - layers // 2]


def peak_rate_mbps(
    cell: CellConfig, modulation_order: int, scaling: float = 1.0, *, uplink: bool = False
) -> float:
    """TS 38.306 4.1.2 approximate peak data rate of one carrier, in Mbps.

    It ignores the TDD split and the TBS granularity, so it is an upper bound: 170.14 Mbps
    at 64QAM and 226.85 at 256QAM for 40 MHz, 30 kHz, one layer.
    """
    if modulation_order not in (1, 2, 4, 6, 8, 10):
        raise ValueError(
            f"modulation_order must be 1, 2, 4, 6, 8 or 10, got {modulation_order}"
        )
    if not 0 < scaling <= 1:
        raise ValueError(
            f"scaling must be in (0, 1] (38.306 uses 1, 0.8, 0.75, 0.4), got {scaling}"
        )
    mu = cell.numerology
    symbol_s = 1e-3 / (14 * 2**mu)
    overhead = _OVERHEAD[(cell.frequency_range, "UL" if uplink else "DL")]
    rate = (
        cell.layers * modulation_order * scaling * (948 / 1024)
        * (cell.n_prb * 12 / symbol_s) * (1 - overhead)
    )
    return rate * 1e-6


@lru_cache(maxsize=256)
def capacity_table(cell: CellConfig) -> np.ndarray:
    """Mbps for every (CQI 0..15, PRB count 0..n_prb): row = CQI, column = PRBs.

    Each downlink slot kind contributes TBS x slots/s, summed over codewords. Cached per
    cell (configs are frozen), so repeated lookups cost one index.
    """
    mcs = cqi_to_mcs_array(np.arange(16), cell.mcs_table)[:, None]
    prbs = np.arange(cell.n_prb + 1)[None, :]
    bits_per_s = np.zeros((16, cell.n_prb + 1), dtype=np.float64)
    for symbols, slots_per_s in cell.dl_slot_rates():
        for cw_layers in _codeword_layers(cell.layers):
            tbs = transport_block_sizes(
                prbs, mcs, cell.mcs_table, symbols, cell.dmrs_re_per_prb, cw_layers,
                cell.overhead_re,
            )
            bits_per_s += tbs * slots_per_s
    table = bits_per_s * 1e-6
    table.setflags(write=False)
    return table


def _check_cqi(cqi: object) -> int:
    if isinstance(cqi, bool) or not isinstance(cqi, int | np.integer) or not 0 <= cqi <= 15:
        raise ValueError(f"cqi must be an integer 0..15, got {cqi!r}")
    return int(cqi)


def throughput_mbps(cell: CellConfig, cqi: int, prbs: int | None = None) -> float:
    """Downlink throughput at a CQI on `prbs` PRBs (None = the whole carrier); CQI 0 -> 0.

    CQI -> MCS keeps the CQI's modulation and code rate (CQI 7/10/12/15 -> MCS 11/18/22/28
    of table 1), so on the testbed cell CQI 7/10/12/15 give 36.06/67.23/95.09/134.36 Mbps.
    """
    c = _check_cqi(cqi)
    n = cell.n_prb if prbs is None else prbs
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 0 <= n <= cell.n_prb:
        raise ValueError(f"prbs must be an integer 0..{cell.n_prb} for this cell, got {prbs!r}")
    return float(capacity_table(cell)[c, n])


def throughput_array(
    cell: CellConfig, cqi: np.ndarray, prbs: np.ndarray | None = None
) -> np.ndarray:
    """Vectorised `throughput_mbps` over arrays of CQIs (and PRB counts); values clipped."""
    c = np.clip(np.asarray(cqi, dtype=np.int64), 0, 15)
    p = (
        np.full(c.shape, cell.n_prb, dtype=np.int64)
        if prbs is None
        else np.clip(np.asarray(prbs, dtype=np.int64), 0, cell.n_prb)
    )
    return capacity_table(cell)[c, p]


def prbs_for_throughput(cell: CellConfig, cqi: int, mbps: float) -> int:
    """Smallest PRB count whose throughput at `cqi` reaches `mbps`; 0 for no demand.

    Raises InfeasibleRequest (with the reason) when even the whole carrier falls short.
    """
    c = _check_cqi(cqi)
    if not isinstance(mbps, int | float | np.number) or not math.isfinite(mbps) or mbps < 0:
        raise ValueError(f"mbps must be a finite number >= 0, got {mbps!r}")
    if mbps <= 0:
        return 0
    curve = capacity_table(cell)[c]
    best = float(curve[-1])
    if best + _EPS < mbps:
        why = (
            "CQI 0: the channel is out of range, the cell carries nothing"
            if c == 0
            else f"{mbps:g} Mbps exceeds the cell's {best:.2f} Mbps at CQI {c} "
            f"({cell.n_prb} PRB)"
        )
        raise InfeasibleRequest(why, requested_mbps=float(mbps), available_mbps=best)
    return int(np.argmax(curve + _EPS >= mbps))


def prbs_for_demand(cell: CellConfig, cqi: int, mbps: float) -> int:
    """Like `prbs_for_throughput` but saturating at the whole carrier instead of raising.

    What a scheduler asks for: a slice that wants more than the cell carries asks for all.
    """
    try:
        return prbs_for_throughput(cell, cqi, mbps)
    except InfeasibleRequest:
        return cell.n_prb if cqi > 0 else 0
