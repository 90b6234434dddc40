"""The testbed's 134.36 Mbps counts the TDD special slot as a full downlink slot; the other
countings are one option away, and each agreement's slice exports its own S-NSSAI."""

from __future__ import annotations

import json

import pytest

from maestro.cli import main
from maestro.tools.ran import CellConfig, policy_for_throughput, throughput_mbps
from maestro.tools.ran.cell import TddPattern


@pytest.mark.parametrize(
    ("counting", "mbps"), [("full", 134.36), ("partial", 123.20), ("none", 117.57)]
)
def test_peak_by_special_slot_counting(counting: str, mbps: float) -> None:
    tdd = TddPattern.oai_band78().model_copy(update={"mixed_slot": counting})
    assert throughput_mbps(CellConfig(tdd=tdd), 15) == pytest.approx(mbps, abs=0.005)


@pytest.mark.parametrize(
    ("counting", "mbps"), [("full", 134.36), ("partial", 123.20), ("none", 117.57)]
)
def test_cli_capacity_says_how_the_special_slot_counts(
    counting: str, mbps: float, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ran", "capacity", "--special-slot", counting]) == 0
    out = capsys.readouterr().out
    assert f"{mbps:.2f} Mbps" in out and "special slot" in out
    dest = tmp_path / "cap.json"
    assert main(["ran", "capacity", "--special-slot", counting, "--json", str(dest)]) == 0
    record = json.loads(dest.read_text())
    assert record["mbps"] == pytest.approx(mbps, abs=0.005) and record["special_slot"] == counting


def test_cli_refuses_an_unknown_counting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ran", "capacity", "--special-slot", "half"]) == 2
    assert "--special-slot" in capsys.readouterr().err


def test_each_agreements_slice_has_its_own_snssai() -> None:
    policy = policy_for_throughput(CellConfig.oai_band78(), 15, {"cost": 20.0, "qos": 40.0})
    exported = policy.to_28541()
    members = [p["rRMPolicyMemberList"][0]["snssai"] for p in exported]
    assert members == [{"sst": 1, "sd": "000001"}, {"sst": 1, "sd": "000002"}]
    assert [p["id"] for p in exported] == ["cost", "qos"]  # which operator's slice it is
