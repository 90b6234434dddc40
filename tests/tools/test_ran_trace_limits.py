"""The trace loader refuses binary files, pipes, oversized files and runaway time spans."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import maestro.tools.ran.traces as traces
from maestro.tools.ran.traces import TraceFormatError, load_raca_trace

HEADER = (
    "Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,RSRQ,SNR,CQI,"
    "RSSI,DL_bitrate,UL_bitrate,State,PINGAVG,PINGMIN,PINGMAX,PINGSTDEV,PINGLOSS,CELLHEX,"
    "NODEHEX,LACHEX,RAWCELLID,NRxRSRP,NRxRSRQ"
)


def row(stamp: str, cqi: int = 10) -> str:
    return f"{stamp},-8.4,51.9,0,B,1,5G,-90,-10,5,{cqi},-60,50000,100,D,-,-,-,-,-,A,B,C,1,-,-"


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 4, b"\xff\xfe" + "Timestamp".encode("utf-16-le")],
)
def test_binary_files_are_a_trace_format_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "drive.csv"
    path.write_bytes(content)
    with pytest.raises(TraceFormatError) as info:
        load_raca_trace(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_a_binary_file_says_it_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "drive.csv"
    path.write_bytes(HEADER.encode() + b"\n\xff\xfe\xfd\n")
    with pytest.raises(TraceFormatError, match="not a CSV text trace"):
        load_raca_trace(path)


def test_a_pipe_or_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "drive.csv"
    os.mkfifo(fifo)
    with pytest.raises(TraceFormatError, match="not a regular file"):
        load_raca_trace(fifo)
    with pytest.raises(TraceFormatError, match="not a regular file"):
        load_raca_trace(tmp_path)


def test_timestamps_years_apart_are_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "drive.csv"
    rows = [row("2019.12.16_07.22.43"), row("2049.12.16_07.22.43")]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with pytest.raises(TraceFormatError, match="span .* more than the 604800 s"):
        load_raca_trace(path)


def test_an_oversized_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "drive.csv"
    path.write_text("\n".join([HEADER, row("2019.12.16_07.22.43")]) + "\n")
    assert len(load_raca_trace(path)) == 1
    monkeypatch.setattr(traces, "MAX_TRACE_BYTES", 64)
    with pytest.raises(TraceFormatError, match="bytes, more than"):
        load_raca_trace(path)
