"""Radio traces: a regular 1 Hz CQI and throughput series, and the loader for real drives.

The real files (Raca et al., MMSys 2020, 5G production dataset) log about once a second
but repeat and skip seconds, write `-` for missing values, switch between radio
technologies, and give throughput in kbit/s. `load_raca_trace` turns that into one value
per second so the emulator can replay it with a plain index.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MAX_TRACE_BYTES",
    "MAX_TRACE_SECONDS",
    "RACA_COLUMNS",
    "RadioTrace",
    "TraceFormatError",
    "load_raca_trace",
]

# fmt: off
RACA_COLUMNS = (
    "Timestamp", "Longitude", "Latitude", "Speed", "Operatorname", "CellID", "NetworkMode",
    "RSRP", "RSRQ", "SNR", "CQI", "RSSI", "DL_bitrate", "UL_bitrate", "State", "PINGAVG",
    "PINGMIN", "PINGMAX", "PINGSTDEV", "PINGLOSS", "CELLHEX", "NODEHEX", "LACHEX",
    "RAWCELLID", "NRxRSRP", "NRxRSRQ",
)
# fmt: on
_NEEDED = ("Timestamp", "NetworkMode", "CQI", "DL_bitrate")
_TIME_FORMAT = "%Y.%m.%d_%H.%M.%S"
_MISSING = {"-", ""}
# Limits a replayable drive stays within: the real files are a few hundred kB and a few
# hours long; a file or span far beyond that is a mistake that would cost memory, not data.
MAX_TRACE_BYTES = 64 << 20
MAX_TRACE_SECONDS = 7 * 24 * 3600


class TraceFormatError(ValueError):
    """A trace file that cannot be read; the message names the file and the line."""


def _readonly(values: np.ndarray, dtype: type) -> np.ndarray:
    arr: np.ndarray = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class RadioTrace:
    """CQI (0..15) and downlink Mbps per second, t_s = 0, 1, 2, ...

    `measured` marks the seconds whose CQI came from a sample in that very second (the
    others were filled); None when every second was measured or generated.
    """

    t_s: np.ndarray
    cqi: np.ndarray
    dl_mbps: np.ndarray
    source: str
    measured: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        n = len(self.cqi)
        if n == 0:
            raise ValueError("a RadioTrace needs at least one second")
        t = _readonly(self.t_s, np.float64)
        cqi = np.asarray(self.cqi)
        if not np.all(np.isfinite(cqi)) or np.any(cqi != np.round(cqi)):
            raise ValueError("cqi must hold integers 0..15")
        cqi = _readonly(cqi, np.int64)
        mbps = _readonly(self.dl_mbps, np.float64)
        if len(t) != n or len(mbps) != n:
            raise ValueError(
                f"t_s, cqi and dl_mbps must have the same length ({len(t)}, {n}, {len(mbps)})"
            )
        if not np.array_equal(t, np.arange(n)):
            raise ValueError("t_s must be 0, 1, 2, ... (one sample per second)")
        if cqi.min() < 0 or cqi.max() > 15:
            raise ValueError(f"cqi must hold integers 0..15, got {cqi.min()}..{cqi.max()}")
        if not np.all(np.isfinite(mbps)) or mbps.min() < 0:
            raise ValueError("dl_mbps must hold finite values >= 0")
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "cqi", cqi)
        object.__setattr__(self, "dl_mbps", mbps)
        if self.measured is not None:
            mask = _readonly(self.measured, bool)
            if len(mask) != n:
                raise ValueError(f"measured must have {n} entries, got {len(mask)}")
            object.__setattr__(self, "measured", mask)

    def __len__(self) -> int:
        return len(self.cqi)

    def __repr__(self) -> str:
        return (
            f"RadioTrace(source={self.source!r}, seconds={len(self)}, "
            f"mean_cqi={self.cqi.mean():.2f}, mean_dl_mbps={self.dl_mbps.mean():.2f})"
        )

    @property
    def duration_s(self) -> int:
        return len(self)

    def index(self, t_s: float, *, wrap: bool = True) -> int:
        """Sample index for a time: the second it falls in, wrapped or held at the end."""
        if not isinstance(t_s, int | float | np.number) or not math.isfinite(t_s) or t_s < 0:
            raise ValueError(f"t_s must be a finite time >= 0 in seconds, got {t_s!r}")
        i = int(math.floor(t_s))
        return i % len(self) if wrap else min(i, len(self) - 1)

    def at(self, t_s: float, *, wrap: bool = True) -> tuple[int, float]:
        """CQI and Mbps at a time; past the end the trace wraps (default) or holds its last."""
        i = self.index(t_s, wrap=wrap)
        return int(self.cqi[i]), float(self.dl_mbps[i])


def _parse_number(text: str, what: str, where: str) -> float | None:
    if text.strip() in _MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise TraceFormatError(f"{where}: {what} {text!r} is not a number or '-'") from None
    if not math.isfinite(value):
        raise TraceFormatError(f"{where}: {what} {text!r} is not finite")
    return value


def _fill(
    values: np.ndarray, max_hold_s: int, missing_value: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaN seconds from the nearest earlier sample at most `max_hold_s` old (the first
    sample also covers up to `max_hold_s` seconds before it); the rest get `missing_value`.
    """
    n = len(values)
    have = ~np.isnan(values)
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(have, idx, -1))
    held = (last >= 0) & (idx - last <= max_hold_s)
    out = np.full(n, missing_value, dtype=np.float64)
    out[held] = values[last[held]]
    if have.any():
        first = int(np.argmax(have))
        lead = (idx < first) & (first - idx <= max_hold_s)
        out[lead] = values[first]
    return out, have


def load_raca_trace(
    path: str | Path,
    *,
    cqi_modes: Collection[str] | None = ("5G", "LTE"),
    max_hold_s: int = 10,
) -> RadioTrace:
    """Load a Raca et al. driving trace as a regular 1 Hz series.

    - repeated seconds: rows of one second are averaged (CQI rounded half up);
    - skipped seconds and `-` values: the last value is held for up to `max_hold_s`
      seconds; longer gaps give CQI 0 (TS 38.214: out of range) and 0 Mbps;
    - technology: CQI is taken only from rows whose NetworkMode is in `cqi_modes` (None =
      any). The default keeps 5G and LTE, whose 4-bit CQI tables share their efficiencies;
      3G rows carry no CQI, so a drive on HSPA becomes CQI 0, i.e. no NR service. Pass
      `("5G",)` to keep NR rows only. Throughput is the phone's own measurement and is
      kept from every row;
    - DL_bitrate is converted from kbit/s to Mbps.
    Raises TraceFormatError naming the file and line for anything it cannot read.
    """
    p = Path(path)
    name = str(p)
    if isinstance(max_hold_s, bool) or not isinstance(max_hold_s, int) or max_hold_s < 0:
        raise ValueError(f"max_hold_s must be an integer >= 0, got {max_hold_s!r}")
    modes = None if cqi_modes is None else {m.strip().upper() for m in cqi_modes}
    try:
        if not p.is_file():  # a folder or a pipe; opening a pipe would wait for ever
            what = "not a regular file" if p.exists() else "no such file"
            raise TraceFormatError(f"{name}: cannot open trace ({what})")
        size = p.stat().st_size
        handle = p.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise TraceFormatError(f"{name}: cannot open trace ({exc.strerror or exc})") from None
    if size > MAX_TRACE_BYTES:
        handle.close()
        raise TraceFormatError(
            f"{name}: {size} bytes, more than the {MAX_TRACE_BYTES >> 20} MiB a trace may have"
        )
    with handle:
        reader = csv.reader(handle)
        try:
            times, cqis, rates = _read_rows(reader, name, modes)
        except (UnicodeDecodeError, csv.Error) as exc:
            # A binary file, NUL bytes or a runaway quoted field: not a CSV text trace.
            what = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise TraceFormatError(
                f"{name}: line {reader.line_num + 1}: not a CSV text trace ({what})"
            ) from None
    if not times:
        raise TraceFormatError(f"{name}: line 2: no data rows after the header")
    t = np.asarray(times, dtype=np.int64)
    t -= t.min()  # rows may be out of order; the earliest second is t = 0
    if t.max() >= MAX_TRACE_SECONDS:
        raise TraceFormatError(
            f"{name}: the timestamps span {int(t.max()) + 1} s, more than the "
            f"{MAX_TRACE_SECONDS} s (7 days) a trace may cover"
        )
    cqi_s = _per_second_mean(t, np.asarray(cqis))
    rate_s = _per_second_mean(t, np.asarray(rates))
    cqi_filled, measured = _fill(cqi_s, max_hold_s, 0.0)
    rate_filled, _ = _fill(rate_s, max_hold_s, 0.0)
    return RadioTrace(
        t_s=np.arange(len(cqi_filled), dtype=np.float64),
        cqi=np.floor(cqi_filled + 0.5).astype(np.int64),
        dl_mbps=rate_filled,
        source=name,
        measured=measured,
    )


def _read_rows(
    reader: Any, name: str, modes: set[str] | None
) -> tuple[list[int], list[float], list[float]]:
    """Seconds since the first row, CQI and Mbps per row (NaN where missing)."""
    times: list[int] = []
    cqis: list[float] = []
    rates: list[float] = []
    header = next(reader, None)
    if header is None:
        raise TraceFormatError(f"{name}: line 1: empty file, expected a header row")
    header = [h.strip() for h in header]
    absent = [c for c in _NEEDED if c not in header]
    if absent:
        raise TraceFormatError(
            f"{name}: line 1: header lacks {', '.join(absent)} "
            f"(expected the Raca et al. columns: {','.join(RACA_COLUMNS[:8])},...)"
        )
    col = {c: header.index(c) for c in _NEEDED}
    start: datetime | None = None
    for row in reader:
        line = reader.line_num
        where = f"{name}: line {line}"
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise TraceFormatError(f"{where}: {len(row)} fields, the header has {len(header)}")
        stamp = row[col["Timestamp"]].strip()
        try:
            moment = datetime.strptime(stamp, _TIME_FORMAT)
        except ValueError:
            raise TraceFormatError(
                f"{where}: Timestamp {stamp!r} is not like 2019.12.16_07.22.43"
            ) from None
        start = moment if start is None else start
        cqi = _parse_number(row[col["CQI"]], "CQI", where)
        if cqi is not None and (cqi != int(cqi) or not 0 <= cqi <= 15):
            raise TraceFormatError(f"{where}: CQI {row[col['CQI']]!r} is not an integer 0..15")
        mode = row[col["NetworkMode"]].strip().upper()
        if modes is not None and mode not in modes:
            cqi = None
        rate = _parse_number(row[col["DL_bitrate"]], "DL_bitrate", where)
        if rate is not None and rate < 0:
            raise TraceFormatError(f"{where}: DL_bitrate {rate:g} is negative")
        times.append(int((moment - start).total_seconds()))
        cqis.append(math.nan if cqi is None else cqi)
        rates.append(math.nan if rate is None else rate / 1000.0)
    return times, cqis, rates


def _per_second_mean(t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of the non-missing values of each second 0..max(t); NaN where none."""
    n = int(t.max()) + 1
    ok = ~np.isnan(values)
    sums = np.bincount(t[ok], weights=values[ok], minlength=n)
    counts = np.bincount(t[ok], minlength=n)
    out = np.full(n, np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out
