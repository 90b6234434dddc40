"""NR lookup tables from 3GPP: CQI, MCS, transport-block sizes and channel bandwidths.

Values are restated from TS 38.214 (Tables 5.2.2.1-2/-3, 5.1.3.1-1/-2, 5.1.3.2-1) and
TS 38.101-1/-2 (maximum transmission bandwidth configuration). Every table is a read-only
numpy array so that the capacity code can index it vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "CQI_TABLES",
    "MCS_TABLES",
    "TBS_SMALL",
    "MAX_NRB",
    "FR2_BANDS",
    "cqi_entry",
    "mcs_entry",
    "cqi_to_mcs",
    "cqi_to_mcs_array",
    "frequency_range",
    "max_nrb",
    "numerology",
]


def _frozen(rows: Sequence[tuple[float, float]]) -> np.ndarray:
    """Stack (Qm, rate x 1024) rows into a read-only float array."""
    arr = np.array(rows, dtype=np.float64)
    arr.setflags(write=False)
    return arr


# CQI tables: row index = CQI (0..15); columns (modulation order Qm, code rate x 1024).
# CQI 0 means "out of range": no transmission, encoded as Qm 0, rate 0.
_CQI_TABLE_1 = _frozen([
    (0, 0), (2, 78), (2, 120), (2, 193), (2, 308), (2, 449), (2, 602), (4, 378),
    (4, 490), (4, 616), (6, 466), (6, 567), (6, 666), (6, 772), (6, 873), (6, 948),
])
_CQI_TABLE_2 = _frozen([
    (0, 0), (2, 78), (2, 193), (2, 449), (4, 378), (4, 490), (4, 616), (6, 466),
    (6, 567), (6, 666), (6, 772), (6, 873), (8, 711), (8, 797), (8, 885), (8, 948),
])

# MCS tables for PDSCH: row index = MCS; columns (Qm, code rate x 1024).
# Table 1 (64QAM) has 29 data rows (MCS 0..28), table 2 (256QAM) has 28 (MCS 0..27);
# the remaining indices are reserved for retransmissions and are not listed.
_MCS_TABLE_1 = _frozen(
    [(2, r) for r in (120, 157, 193, 251, 308, 379, 449, 526, 602, 679)]
    + [(4, r) for r in (340, 378, 434, 490, 553, 616, 658)]
    + [(6, r) for r in (438, 466, 517, 567, 616, 666, 719, 772, 822, 873, 910, 948)]
)
_MCS_TABLE_2 = _frozen(
    [(2, r) for r in (120, 193, 308, 449, 602)]
    + [(4, r) for r in (378, 434, 490, 553, 616, 658)]
    + [(6, r) for r in (466, 517, 567, 616, 666, 719, 772, 822, 873)]
    + [(8, r) for r in (682.5, 711, 754, 797, 841, 885, 916.5, 948)]
)

CQI_TABLES: dict[int, np.ndarray] = {1: _CQI_TABLE_1, 2: _CQI_TABLE_2}
MCS_TABLES: dict[int, np.ndarray] = {1: _MCS_TABLE_1, 2: _MCS_TABLE_2}

# TS 38.214 Table 5.1.3.2-1: TBS for N_info <= 3824.
TBS_SMALL = np.array(
    [
        24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 136, 144, 152, 160,
        168, 176, 184, 192, 208, 224, 240, 256, 272, 288, 304, 320, 336, 352, 368, 384,
        408, 432, 456, 480, 504, 528, 552, 576, 608, 640, 672, 704, 736, 768, 808, 848,
        888, 928, 984, 1032, 1064, 1128, 1160, 1192, 1224, 1256, 1288, 1320, 1352, 1416,
        1480, 1544, 1608, 1672, 1736, 1800, 1864, 1928, 2024, 2088, 2152, 2216, 2280,
        2408, 2472, 2536, 2600, 2664, 2728, 2792, 2856, 2976, 3104, 3240, 3368, 3496,
        3624, 3752, 3824,
    ],
    dtype=np.int64,
)
TBS_SMALL.setflags(write=False)

# Maximum transmission bandwidth configuration N_RB, keyed by SCS (kHz) then channel
# bandwidth (MHz). FR1 from TS 38.101-1 Table 5.3.2-1, FR2 from TS 38.101-2 Table 5.3.2-1.
MAX_NRB: dict[str, dict[int, dict[float, int]]] = {
    "FR1": {
        15: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 35: 188, 40: 216, 45: 242,
             50: 270},
        30: {5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 35: 92, 40: 106, 45: 119,
             50: 133, 60: 162, 70: 189, 80: 217, 90: 245, 100: 273},
        60: {10: 11, 15: 18, 20: 24, 25: 31, 30: 38, 35: 44, 40: 51, 45: 58, 50: 65, 60: 79,
             70: 93, 80: 107, 90: 121, 100: 135},
    },
    "FR2": {
        60: {50: 66, 100: 132, 200: 264},
        120: {50: 32, 100: 66, 200: 132, 400: 264},
    },
}

# Operating bands in FR2 (TS 38.101-2); every other "n<number>" band is taken as FR1.
FR2_BANDS = frozenset({"n257", "n258", "n259", "n260", "n261", "n262", "n263"})


def cqi_entry(cqi: int, table: int = 1) -> tuple[int, float]:
    """(Qm, code rate x 1024) of a CQI index; CQI 0 gives (0, 0)."""
    _check_table(table, "cqi table")
    if not 0 <= int(cqi) <= 15:
        raise ValueError(f"cqi must be an integer 0..15, got {cqi}")
    qm, rate = CQI_TABLES[table][int(cqi)]
    return int(qm), float(rate)


def mcs_entry(mcs: int, table: int = 1) -> tuple[int, float]:
    """(Qm, code rate x 1024) of an MCS index of PDSCH MCS table 1 or 2."""
    _check_table(table, "mcs_table")
    rows = MCS_TABLES[table]
    if not 0 <= int(mcs) < len(rows):
        raise ValueError(
            f"mcs must be 0..{len(rows) - 1} for MCS table {table} "
            f"(higher indices are reserved), got {mcs}"
        )
    qm, rate = rows[int(mcs)]
    return int(qm), float(rate)


def _build_cqi_to_mcs(table: int) -> np.ndarray:
    """Per CQI, the MCS with the same modulation and code rate, else the best one below.

    In both table pairs every CQI from 2 up has an MCS with exactly its modulation and code
    rate; CQI 1 (rate 78, below every MCS) falls back to MCS 0, the most robust scheme; CQI 0
    maps to -1, meaning "do not transmit". The "best one below" is the highest spectral
    efficiency not above the CQI's (efficiency is not monotone in the MCS index at the
    modulation switch points, so this is not a plain search).
    """
    cqis, mcss = CQI_TABLES[table], MCS_TABLES[table]
    mcs_eff = mcss[:, 0] * mcss[:, 1]
    out = np.full(len(cqis), -1, dtype=np.int64)
    for cqi in range(1, len(cqis)):
        qm, rate = cqis[cqi]
        exact = np.flatnonzero((mcss[:, 0] == qm) & (mcss[:, 1] == rate))
        if exact.size:
            out[cqi] = exact[0]
            continue
        below = np.flatnonzero(mcs_eff <= qm * rate)
        out[cqi] = below[np.argmax(mcs_eff[below])] if below.size else 0
    out.setflags(write=False)
    return out


# CQI -> MCS maps, indexed by CQI; -1 for CQI 0.
_CQI_TO_MCS: dict[int, np.ndarray] = {t: _build_cqi_to_mcs(t) for t in (1, 2)}


def cqi_to_mcs(cqi: int, table: int = 1) -> int:
    """MCS used for a reported CQI (CQI table t pairs with MCS table t); -1 for CQI 0.

    The rule is "same modulation and code rate": CQI 7 -> MCS 11, 10 -> 18, 12 -> 22,
    15 -> 28 on table 1, which reproduces the throughputs the testbed reports
    (36.06 / 67.23 / 95.09 / 134.36 Mbps on 106 PRB).
    """
    _check_table(table, "mcs_table")
    if not 0 <= int(cqi) <= 15:
        raise ValueError(f"cqi must be an integer 0..15, got {cqi}")
    return int(_CQI_TO_MCS[table][int(cqi)])


def cqi_to_mcs_array(cqi: np.ndarray, table: int = 1) -> np.ndarray:
    """Vectorised `cqi_to_mcs` (no range check beyond numpy indexing)."""
    return _CQI_TO_MCS[table][np.asarray(cqi, dtype=np.int64)]


def frequency_range(band: str) -> str:
    """'FR1' or 'FR2' for an NR operating band name such as 'n78'."""
    return "FR2" if band.lower() in FR2_BANDS else "FR1"


def max_nrb(bandwidth_mhz: float, scs_khz: int, fr: str = "FR1") -> int:
    """N_RB of a channel bandwidth and SCS; ValueError naming the bad field otherwise."""
    by_scs = MAX_NRB[fr]
    if scs_khz not in by_scs:
        raise ValueError(
            f"scs_khz {scs_khz} is not an {fr} subcarrier spacing "
            f"(allowed: {', '.join(str(s) for s in sorted(by_scs))})"
        )
    by_bw = by_scs[scs_khz]
    key = float(bandwidth_mhz)
    if key not in by_bw:
        allowed = ", ".join(f"{b:g}" for b in sorted(by_bw))
        raise ValueError(
            f"bandwidth_mhz {bandwidth_mhz:g} is not defined for {scs_khz} kHz SCS in {fr} "
            f"(allowed: {allowed})"
        )
    return by_bw[key]


def numerology(scs_khz: int) -> int:
    """mu such that SCS = 15 * 2^mu kHz."""
    mu = {15: 0, 30: 1, 60: 2, 120: 3, 240: 4}.get(int(scs_khz))
    if mu is None:
        raise ValueError(f"scs_khz must be one of 15, 30, 60, 120, 240, got {scs_khz}")
    return mu


def _check_table(table: int, field: str) -> None:
    if table not in (1, 2):
        raise ValueError(f"{field} must be 1 (64QAM) or 2 (256QAM), got {table}")
