"""Seeded synthetic mobility traces, for scenarios without a recorded drive.

The channel is built the way link budgets are: a mean SINR, log-normal shadowing that
decorrelates with distance travelled (Gudmundson's exponential model, so faster cars see
faster swings), and the residue of multipath fading left after the UE averages its
measurement over a short window (fewer independent fades at low speed, so slow UEs see
larger second-to-second jitter). SINR maps to CQI through an attenuated Shannon bound
(3GPP TR 36.942 A.2, alpha = 0.6) against the CQI table's efficiencies, and the mean SINR
is solved so that the series' mean CQI hits `mean_cqi`.
"""

from __future__ import annotations

import math

import numpy as np

from .cell import CellConfig, throughput_array
from .nr_tables import CQI_TABLES
from .traces import RadioTrace

__all__ = ["synthetic_trace", "sinr_to_cqi"]

_SPEED_OF_LIGHT = 299_792_458.0
_SHANNON_ALPHA = 0.6


def sinr_to_cqi(sinr_db: np.ndarray, table: int = 1, alpha: float = _SHANNON_ALPHA) -> np.ndarray:
    """Highest CQI whose efficiency fits alpha * log2(1 + SINR); 0 when none does."""
    eff = alpha * np.log2(1.0 + 10.0 ** (np.asarray(sinr_db, dtype=np.float64) / 10.0))
    cqi_eff = CQI_TABLES[table][1:, 0] * CQI_TABLES[table][1:, 1] / 1024.0
    return np.searchsorted(cqi_eff, eff, side="right").astype(np.int64)


def _check(name: str, value: float, lo: float, hi: float, *, lo_open: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value > hi or value < lo or (lo_open and value == lo):
        bound = f"({lo:g}, {hi:g}]" if lo_open else f"[{lo:g}, {hi:g}]"
        raise ValueError(f"{name} must be a number in {bound}, got {value!r}")
    return float(value)


def synthetic_trace(
    seed: int,
    duration_s: int = 600,
    mean_cqi: float = 12,
    speed_kmh: float = 30,
    *,
    shadow_sigma_db: float = 8.0,
    decorrelation_m: float = 100.0,
    carrier_ghz: float = 3.5,
    averaging_window_s: float = 0.1,
    outages_per_hour: float = 0.0,
    mean_outage_s: float = 8.0,
    cell: CellConfig | None = None,
) -> RadioTrace:
    """A reproducible 1 Hz CQI series with realistic fading; same seed, same trace.

    `dl_mbps` is what the cell (default: the testbed cell) carries at each second's CQI on
    all its PRBs, i.e. what one UE alone on the cell would measure. Optional outages
    (Poisson arrivals, exponential durations) drop the CQI to 0 to model coverage holes.
    The defaults (8 dB shadowing, 100 m decorrelation, 0.1 s averaging) give a CQI spread
    and second-to-second change close to the Raca et al. drives (sd about 3, mean step
    about 0.9 CQI at 30 km/h).
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if isinstance(duration_s, bool) or not isinstance(duration_s, int) or duration_s < 1:
        raise ValueError(f"duration_s must be an integer >= 1, got {duration_s!r}")
    _check("mean_cqi", mean_cqi, 0, 15)
    speed = _check("speed_kmh", speed_kmh, 0, 500)
    sigma = _check("shadow_sigma_db", shadow_sigma_db, 0, 30)
    d_corr = _check("decorrelation_m", decorrelation_m, 0, 10_000, lo_open=True)
    f_c = _check("carrier_ghz", carrier_ghz, 0, 100, lo_open=True) * 1e9
    window = _check("averaging_window_s", averaging_window_s, 0, 1, lo_open=True)
    outages = _check("outages_per_hour", outages_per_hour, 0, 3600)
    outage_len = _check("mean_outage_s", mean_outage_s, 0, 3600, lo_open=True)
    cell = cell or CellConfig.oai_band78()
    rng = np.random.default_rng(int(seed))
    n = duration_s

    # Shadowing: AR(1) with correlation exp(-distance / decorrelation) between seconds.
    v = speed / 3.6
    rho = math.exp(-v / d_corr)
    innovations = rng.standard_normal(n)
    first = sigma * innovations[0]
    from scipy.signal import lfilter  # about 0.8 s to import: only when a trace is made

    shadow = lfilter([sigma * math.sqrt(1 - rho * rho)], [1.0, -rho], innovations[1:],
                     zi=[rho * first])[0]
    shadow = np.concatenate([[first], shadow])

    # Multipath residue: mean of N independent Rayleigh power fades over the window,
    # N = 1 + 2 f_D T_w; a static UE (f_D -> 0) keeps its fade, so its jitter vanishes.
    doppler = v * f_c / _SPEED_OF_LIGHT
    fades = 1.0 + 2.0 * doppler * window
    fast_db = 10.0 * np.log10(rng.gamma(fades, 1.0 / fades, size=n))
    fast_db *= min(1.0, doppler)  # below ~1 Hz Doppler the channel barely changes in 1 s

    variation = shadow + fast_db
    table = cell.mcs_table
    offset = _solve_offset(variation, float(mean_cqi), table)
    cqi = sinr_to_cqi(offset + variation, table)

    if outages > 0:
        cqi = _apply_outages(cqi, rng, outages / 3600.0, outage_len)

    return RadioTrace(
        t_s=np.arange(n, dtype=np.float64),
        cqi=cqi,
        dl_mbps=throughput_array(cell, cqi),
        source=(
            f"synthetic(seed={int(seed)}, mean_cqi={mean_cqi:g}, speed_kmh={speed:g}, "
            f"shadow_sigma_db={sigma:g})"
        ),
    )


def _solve_offset(variation: np.ndarray, target: float, table: int) -> float:
    """Mean SINR (dB) whose CQI series averages `target`; mean CQI rises with the offset."""
    lo, hi = -40.0, 80.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if sinr_to_cqi(mid + variation, table).mean() < target:
            lo = mid
        else:
            hi = mid
    # Pick whichever side of the step lands closer to the target.
    below = sinr_to_cqi(lo + variation, table).mean()
    above = sinr_to_cqi(hi + variation, table).mean()
    return lo if abs(below - target) < abs(above - target) else hi


def _apply_outages(
    cqi: np.ndarray, rng: np.random.Generator, rate_per_s: float, mean_len: float
) -> np.ndarray:
    out = cqi.copy()
    t = rng.exponential(1.0 / rate_per_s)
    while t < len(out):
        length = max(1, int(round(rng.exponential(mean_len))))
        out[int(t) : int(t) + length] = 0
        t += length + rng.exponential(1.0 / rate_per_s)
    return out
