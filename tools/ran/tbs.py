"""Transport block size of a PDSCH, TS 38.214 section 5.1.3.2.

The TBS is what one slot actually carries, so capacity figures built on it match what a
real gNB schedules (the paper's 134 Mbps) rather than the looser 38.306 peak formula.
`transport_block_sizes` is the vectorised core (arrays of PRB counts and MCS indices);
`transport_block_size` is the checked scalar front end.
"""

from __future__ import annotations

import numpy as np

from .nr_tables import MCS_TABLES, TBS_SMALL

__all__ = ["transport_block_size", "transport_block_sizes", "MAX_LAYERS_PER_CODEWORD"]

MAX_LAYERS_PER_CODEWORD = 4


def _floor_log2(x: np.ndarray) -> np.ndarray:
    """Exact floor(log2(x)) for positive floats (frexp avoids log rounding at 2^k)."""
    _, exp = np.frexp(x)
    return exp.astype(np.int64) - 1


def _ceil_div(a: np.ndarray, b: np.ndarray | np.integer | int) -> np.ndarray:
    return -(-a // b)


def transport_block_sizes(
    n_prb: np.ndarray | int,
    mcs: np.ndarray | int,
    mcs_table: int = 1,
    n_symbols: int = 13,
    dmrs_re_per_prb: int = 12,
    layers: int = 1,
    overhead_re: int = 0,
) -> np.ndarray:
    """TBS in bits, broadcast over `n_prb` and `mcs`; MCS -1 or 0 PRB give 0.

    Inputs are trusted (the scalar front end and the cell code validate them).
    """
    prb = np.asarray(n_prb, dtype=np.int64)
    idx = np.asarray(mcs, dtype=np.int64)
    prb, idx = np.broadcast_arrays(prb, idx)
    table = MCS_TABLES[mcs_table]
    safe = np.clip(idx, 0, len(table) - 1)
    qm = table[safe, 0]
    rate_x1024 = table[safe, 1]

    # Step 1: resource elements available to the PDSCH.
    re_per_prb = min(156, 12 * n_symbols - dmrs_re_per_prb - overhead_re)
    n_re = re_per_prb * prb
    # Step 2: intermediate number of information bits (exact: rate is k/1024 or k.5/1024).
    n_info = n_re * rate_x1024 * qm * layers / 1024.0
    active = (idx >= 0) & (prb > 0) & (n_info > 0)
    n_info = np.where(active, n_info, 1.0)
    tbs = np.zeros(prb.shape, dtype=np.int64)

    # Step 3: small blocks are quantised, then looked up in Table 5.1.3.2-1.
    small = active & (n_info <= 3824)
    if np.any(small):
        ni = n_info[small]
        n = np.maximum(3, _floor_log2(ni) - 6)
        step = np.left_shift(1, n).astype(np.float64)
        quant = np.maximum(24, step * np.floor(ni / step)).astype(np.int64)
        tbs[small] = TBS_SMALL[np.searchsorted(TBS_SMALL, quant, side="left")]

    # Step 4: large blocks are quantised and sized for an integer number of code blocks.
    large = active & (n_info > 3824)
    if np.any(large):
        ni = n_info[large] - 24.0
        n = _floor_log2(ni) - 5
        step = np.left_shift(1, n).astype(np.float64)
        # The spec's round() sends halves up; np.round would send them to even.
        quant = np.maximum(3840, step * np.floor(ni / step + 0.5)).astype(np.int64)
        low_rate = (rate_x1024[large] / 1024.0) <= 0.25
        blocks = np.where(
            low_rate,
            _ceil_div(quant + 24, np.int64(3816)),
            np.where(quant > 8424, _ceil_div(quant + 24, np.int64(8424)), 1),
        )
        tbs[large] = 8 * blocks * _ceil_div(quant + 24, 8 * blocks) - 24
    return tbs


def transport_block_size(
    n_prb: int,
    mcs: int,
    mcs_table: int = 1,
    n_symbols: int = 13,
    dmrs_re_per_prb: int = 12,
    layers: int = 1,
    overhead_re: int = 0,
) -> int:
    """TBS in bits of one codeword on `n_prb` PRBs at `mcs`; ValueError names a bad field.

    Defaults are the paper's cell: 13 PDSCH symbols (one control symbol), one DMRS symbol
    of type 1 (12 REs per PRB), one layer, no extra overhead. 106 PRB at MCS 28 of table 1
    gives 83976 bits.
    """
    if mcs_table not in MCS_TABLES:
        raise ValueError(f"mcs_table must be 1 (64QAM) or 2 (256QAM), got {mcs_table}")
    _check_int("n_prb", n_prb, 0, 275)
    _check_int("mcs", mcs, 0, len(MCS_TABLES[mcs_table]) - 1)
    _check_int("n_symbols", n_symbols, 1, 14)
    _check_int("layers", layers, 1, MAX_LAYERS_PER_CODEWORD)
    _check_int("dmrs_re_per_prb", dmrs_re_per_prb, 0, 12 * n_symbols)
    _check_int("overhead_re", overhead_re, 0, 12 * n_symbols - dmrs_re_per_prb)
    return int(
        transport_block_sizes(
            n_prb, mcs, mcs_table, n_symbols, dmrs_re_per_prb, layers, overhead_re
        )[()]
    )


def _check_int(field: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{field} must be an integer, got {value!r}")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{field} must be in {lo}..{hi}, got {value}")
