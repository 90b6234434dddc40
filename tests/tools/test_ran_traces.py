"""Radio traces: the three real Raca et al. drives, the loader's quirks, and synthetic mobility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from maestro.tools.ran.cell import CellConfig, throughput_array
from maestro.tools.ran.mobility import sinr_to_cqi, synthetic_trace
from maestro.tools.ran.traces import RadioTrace, TraceFormatError, load_raca_trace

HEADER = (
    "Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,RSRQ,SNR,CQI,"
    "RSSI,DL_bitrate,UL_bitrate,State,PINGAVG,PINGMIN,PINGMAX,PINGSTDEV,PINGLOSS,CELLHEX,"
    "NODEHEX,LACHEX,RAWCELLID,NRxRSRP,NRxRSRQ"
)
REAL_FILES = {
    "B_2019.12.16_07.22.43.csv": 2597,
    "B_2019.12.16_11.49.59.csv": 394,
    "B_2020.02.13_13.03.24.csv": 2668,
}


def _data_dir() -> Path | None:
    """The shared data folder: next to the repository (../shared/data/raca-5g), or at /work."""
    repo = Path(__file__).resolve().parents[2]
    for candidate in (repo.parent / "shared" / "data" / "raca-5g",
                      Path("/work/shared/data/raca-5g")):
        if candidate.is_dir():
            return candidate
    return None


DATA = _data_dir()
needs_data = pytest.mark.skipif(
    DATA is None,
    reason="Raca et al. traces not found at ../shared/data/raca-5g or /work/shared/data/raca-5g",
)


def _row(stamp: str, mode: str = "5G", cqi: str = "12", dl: str = "1000") -> str:
    return (
        f"2019.12.16_{stamp},-8.38,51.93,30,B,12,{mode},-98,-10,3.0,{cqi},-88,{dl},53,D,"
        "-,-,-,-,-,C,A81B,9CBA,11016972,-100.0,-15.0"
    )


def _write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "trace.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


# --- the real files ---------------------------------------------------------------------------


@needs_data
@pytest.mark.parametrize(("name", "seconds"), sorted(REAL_FILES.items()))
def test_real_traces_load_as_regular_1hz_series(name, seconds):
    assert DATA is not None
    trace = load_raca_trace(DATA / name)
    assert len(trace) == seconds
    assert trace.t_s.tolist() == list(range(seconds))
    assert trace.cqi.dtype == np.int64
    assert trace.cqi.min() >= 0 and trace.cqi.max() <= 15
    assert np.all(trace.dl_mbps >= 0) and np.all(np.isfinite(trace.dl_mbps))
    assert trace.measured is not None and len(trace.measured) == seconds
    assert trace.source.endswith(name)


@needs_data
def test_real_trace_values_kbits_repeats_and_modes():
    assert DATA is not None
    morning = load_raca_trace(DATA / "B_2019.12.16_07.22.43.csv")
    # Second 0 has two rows (222 and 8 kbit/s, CQI 12 both): averaged, in Mbps.
    assert morning.at(0) == (12, pytest.approx(0.115))
    # The busiest second of the drive: 532905 kbit/s is 532.905 Mbps at most.
    assert 100 < morning.dl_mbps.max() <= 532.905
    assert 10 < morning.cqi[morning.measured].mean() < 12
    # NR rows only: fewer measured seconds, and the long LTE stretches go to CQI 0.
    nr_only = load_raca_trace(DATA / "B_2019.12.16_07.22.43.csv", cqi_modes=("5G",))
    assert nr_only.measured is not None
    assert nr_only.measured.sum() < morning.measured.sum()
    assert (nr_only.cqi == 0).sum() > (morning.cqi == 0).sum()


@needs_data
def test_real_trace_on_3g_only_has_no_nr_service():
    assert DATA is not None
    hspa = load_raca_trace(DATA / "B_2019.12.16_11.49.59.csv")
    assert hspa.measured is not None and not hspa.measured.any()
    assert np.all(hspa.cqi == 0)
    assert hspa.dl_mbps.mean() > 1  # throughput was still measured on 3G
    # 11.49.59 has three rows (22, 22, 73 kbit/s); 11.50.00 is skipped and held.
    assert hspa.dl_mbps[0] == pytest.approx(0.039)
    assert hspa.dl_mbps[1] == pytest.approx(0.039)
    assert hspa.dl_mbps[2] == pytest.approx(0.072)


@needs_data
def test_real_trace_with_dashes_ends_in_3g():
    assert DATA is not None
    trace = load_raca_trace(DATA / "B_2020.02.13_13.03.24.csv")
    assert trace.measured is not None
    assert 0.5 < trace.measured.mean() < 0.8
    # The drive ends on HSPA+ ('-' CQI for minutes): the tail is out of NR/LTE range.
    assert np.all(trace.cqi[-300:] == 0)
    assert trace.cqi[:600].mean() > 8


# --- the quirks, one at a time ------------------------------------------------------------------


def test_repeated_seconds_are_averaged_and_cqi_rounded(tmp_path):
    path = _write(tmp_path, _row("07.00.00", cqi="11", dl="1000"),
                  _row("07.00.00", cqi="12", dl="3000"), _row("07.00.01", cqi="9", dl="500"))
    trace = load_raca_trace(path)
    assert trace.cqi.tolist() == [12, 9]  # 11.5 rounds half up
    assert trace.dl_mbps.tolist() == pytest.approx([2.0, 0.5])


def test_skipped_seconds_hold_then_fall_to_zero(tmp_path):
    path = _write(tmp_path, _row("07.00.00", cqi="10", dl="2000"),
                  _row("07.00.03", cqi="14", dl="4000"), _row("07.00.20", cqi="7", dl="1000"))
    trace = load_raca_trace(path, max_hold_s=5)
    assert len(trace) == 21
    assert trace.cqi[:4].tolist() == [10, 10, 10, 14]
    assert trace.cqi[8] == 14 and trace.cqi[9] == 0 and trace.cqi[19] == 0
    assert trace.dl_mbps[9] == 0 and trace.dl_mbps[20] == 1.0
    assert trace.measured is not None
    assert trace.measured.tolist()[:4] == [True, False, False, True]


def test_dashes_and_non_5g_rows(tmp_path):
    path = _write(
        tmp_path,
        _row("07.00.00", mode="HSPA+", cqi="-", dl="500"),
        _row("07.00.01", mode="5G", cqi="13", dl="-"),
        _row("07.00.02", mode="LTE", cqi="8", dl="900"),
        _row("07.00.03", mode="UMTS", cqi="-", dl="100"),
    )
    trace = load_raca_trace(path)
    # Second 0 has no CQI sample: the first one (13) covers it; throughput '-' is held.
    assert trace.cqi.tolist() == [13, 13, 8, 8]
    assert trace.dl_mbps.tolist() == pytest.approx([0.5, 0.5, 0.9, 0.1])
    nr = load_raca_trace(path, cqi_modes=("5G",), max_hold_s=0)
    assert nr.cqi.tolist() == [0, 13, 0, 0]
    every = load_raca_trace(path, cqi_modes=None)
    assert every.cqi.tolist() == [13, 13, 8, 8]


def test_rows_out_of_order_and_blank_lines(tmp_path):
    path = _write(tmp_path, _row("07.00.02", cqi="5"), "", _row("07.00.00", cqi="9"))
    assert load_raca_trace(path).cqi.tolist() == [9, 9, 5]


@pytest.mark.parametrize(
    ("rows", "header", "needle"),
    [
        ([], HEADER, "line 2: no data rows"),
        ([_row("07.00.00")], "Timestamp,CQI", "line 1: header lacks NetworkMode, DL_bitrate"),
        ([_row("07.00.00"), _row("7h00")], HEADER, "line 3: Timestamp"),
        ([_row("07.00.00", cqi="16")], HEADER, "line 2: CQI '16'"),
        ([_row("07.00.00", cqi="high")], HEADER, "line 2: CQI 'high' is not a number"),
        ([_row("07.00.00", dl="-5")], HEADER, "line 2: DL_bitrate -5 is negative"),
        ([_row("07.00.00") + ",extra"], HEADER, "line 2: 27 fields"),
    ],
)
def test_format_errors_name_file_and_line(tmp_path, rows, header, needle):
    path = _write(tmp_path, *rows, header=header)
    with pytest.raises(TraceFormatError) as info:
        load_raca_trace(path)
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(TraceFormatError, match="cannot open"):
        load_raca_trace(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TraceFormatError, match="line 1: empty file"):
        load_raca_trace(empty)
    with pytest.raises(ValueError, match="max_hold_s"):
        load_raca_trace(empty, max_hold_s=-1)


# --- RadioTrace -----------------------------------------------------------------------------------


def test_at_wraps_or_holds():
    trace = RadioTrace(t_s=np.arange(3), cqi=np.array([5, 9, 15]),
                       dl_mbps=np.array([1.0, 2.0, 3.0]), source="test")
    assert trace.at(1.7) == (9, 2.0)
    assert trace.at(4) == (9, 2.0)
    assert trace.at(4, wrap=False) == (15, 3.0)
    assert trace.duration_s == 3
    with pytest.raises(ValueError, match="t_s"):
        trace.at(-1)
    with pytest.raises(ValueError, match="t_s"):
        trace.at(float("inf"))
    with pytest.raises(ValueError):
        trace.cqi[0] = 1  # read-only


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"cqi": np.array([1, 16])}, "cqi"),
        ({"cqi": np.array([1.5, 2])}, "cqi"),
        ({"t_s": np.array([0, 2])}, "t_s"),
        ({"dl_mbps": np.array([1.0])}, "same length"),
        ({"dl_mbps": np.array([1.0, -1.0])}, "dl_mbps"),
    ],
)
def test_radio_trace_validates(kwargs, needle):
    base = {"t_s": np.arange(2), "cqi": np.array([1, 2]), "dl_mbps": np.array([1.0, 2.0]),
            "source": "x"}
    with pytest.raises(ValueError, match=needle):
        RadioTrace(**{**base, **kwargs})


# --- synthetic mobility ---------------------------------------------------------------------------


def test_synthetic_is_seeded():
    a, b, c = synthetic_trace(3), synthetic_trace(3), synthetic_trace(4)
    assert np.array_equal(a.cqi, b.cqi)
    assert not np.array_equal(a.cqi, c.cqi)
    assert len(a) == 600 and a.t_s[-1] == 599


@pytest.mark.parametrize("target", [4.0, 9.0, 12.0, 14.0])
def test_synthetic_mean_cqi_hits_target(target):
    trace = synthetic_trace(11, duration_s=1200, mean_cqi=target)
    assert trace.cqi.mean() == pytest.approx(target, abs=0.1)
    assert trace.cqi.min() >= 0 and trace.cqi.max() <= 15


def test_synthetic_fading_looks_like_a_drive():
    steps, spreads = [], []
    for seed in range(4):
        trace = synthetic_trace(seed, duration_s=1500, mean_cqi=11, speed_kmh=30)
        steps.append(np.abs(np.diff(trace.cqi)).mean())
        spreads.append(trace.cqi.std())
    # The real drives: sd about 3 CQI, mean step about 0.9 CQI per second.
    assert 2.0 < np.mean(spreads) < 3.5
    assert 0.5 < np.mean(steps) < 1.5


def test_synthetic_speed_changes_the_dynamics():
    def step(speed: float) -> float:
        return float(np.mean([
            np.abs(np.diff(synthetic_trace(s, 1500, 11, speed).cqi)).mean() for s in range(4)
        ]))

    assert step(0) == 0  # a parked UE sees a constant channel
    assert step(10) < step(120)


def test_synthetic_throughput_follows_the_cell_and_outages():
    cell = CellConfig(mcs_table=2)
    trace = synthetic_trace(5, 3600, 10, outages_per_hour=20, cell=cell)
    assert np.array_equal(trace.dl_mbps, throughput_array(cell, trace.cqi))
    assert (trace.cqi == 0).sum() > 20
    assert trace.measured is None
    assert "seed=5" in trace.source


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"seed": 1.5}, "seed"), ({"seed": 1, "duration_s": 0}, "duration_s"),
     ({"seed": 1, "mean_cqi": 16}, "mean_cqi"), ({"seed": 1, "speed_kmh": -3}, "speed_kmh"),
     ({"seed": 1, "decorrelation_m": 0}, "decorrelation_m"),
     ({"seed": 1, "shadow_sigma_db": float("nan")}, "shadow_sigma_db")],
)
def test_synthetic_rejects_bad_inputs(kwargs, field):
    with pytest.raises(ValueError, match=field):
        synthetic_trace(**kwargs)


def test_sinr_to_cqi_thresholds():
    got = sinr_to_cqi(np.array([-20.0, -5.0, 10.0, 20.0, 40.0]))
    assert got.tolist()[0] == 0 and got.tolist()[-1] == 15
    assert np.all(np.diff(got) >= 0)
