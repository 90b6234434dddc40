"""Scenario validation checks what the run will need: types, ranges, the cell, URLs, traces."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from maestro.agents.optimizer import local_proposal, theoretical_consensus
from maestro.agents.roles import preferred_value
from maestro.cli import main
from maestro.graphs.scenario import (
    MAX_MAGNITUDE,
    MAX_OFFSET,
    MAX_WEIGHT,
    MIN_LOG_MARGIN,
    MIN_RANGE,
    TARGET_SPANS,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
)
from tests.conftest import BASE_SCENARIO

TRACE_HEADER = (
    "Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,RSRQ,SNR,CQI,"
    "RSSI,DL_bitrate,UL_bitrate,State,PINGAVG,PINGMIN,PINGMAX,PINGSTDEV,PINGLOSS,CELLHEX,"
    "NODEHEX,LACHEX,RAWCELLID,NRxRSRP,NRxRSRQ"
)
TRACE_ROW = "2019.12.16_07.22.{s:02d},-8.4,51.9,0,B,1,5G,-90,-10,5,{cqi},-60,50000,100,D,-,-,-,-,-,A,B,C,1,-,-"


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE_SCENARIO)


def write(tmp_path: Path, data: Any, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, data: Any, capsys: pytest.CaptureFixture[str]) -> str:
    """Run `maestro scenario validate` on the data: exit 2, one line, no traceback."""
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert main(["scenario", "validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def set_in(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    *parents, last = dotted.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return data


# -- the cases from the issue, each accepted by the old validation -------------------------
@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("operators.0.utility.weight", 1e308, "operators.0.utility.weight"),
        ("operators.0.utility.target", 1e308, "operators.0.utility.target"),
        ("mediator.agreement_weight", math.inf, "mediator.agreement_weight"),
        ("mediator.agreement_weight", 1e300, "mediator.agreement_weight"),
        ("rounds", True, "rounds"),
        ("rounds", "3", "rounds"),
        ("seed", 1.0, "seed"),
        ("epsilon", 134, "epsilon"),
        ("epsilon", "1", "epsilon"),
        ("topic.upper", 1e15, "topic.upper"),
        ("operators.1.minimum", 500, "operators.1.minimum"),
    ],
)
def test_numbers_the_solver_cannot_use_are_refused_with_field_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: Any, fragment: str
) -> None:
    message = refused(tmp_path, set_in(base(), field, value), capsys)
    assert f": {fragment}: " in message
    path = tmp_path / "s.yaml"
    last = field.split(".")[-1]
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if f"{last}:" in t)
    if field.startswith("operators.1"):  # the second operator's field, not the first's
        line = [i for i, t in enumerate(path.read_text().splitlines(), 1) if f"{last}:" in t][-1]
    assert message.startswith(f"{path}:{line}: "), message


def test_a_log_utility_undefined_at_the_lower_bound_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = set_in(base(), "operators.0.utility", {"kind": "log", "weight": 1, "offset": 0})
    message = refused(tmp_path, data, capsys)
    assert "operators.0.utility.offset" in message and "log" in message
    data["topic"]["lower"] = 10  # log(0 + x) is defined on [10, 134]
    assert scenario_from_dict(data).operators[0].utility.offset == 0


def test_a_bandwidth_the_nr_tables_lack_is_one_line_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = base() | {"network": {"bandwidth_mhz": 33, "scs_khz": 30}}
    message = refused(tmp_path, data, capsys)
    assert "network.bandwidth_mhz" in message and "allowed: 5, 10" in message
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 45}
    assert "network.scs_khz" in refused(tmp_path, data, capsys)
    # 15 kHz slots cannot hold band n78's TDD pattern: known now, not in the run.
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 15}
    assert "network.scs_khz" in refused(tmp_path, data, capsys)


@pytest.mark.parametrize(
    "url",
    ["not a url", "ftp://host/x", "http://", "http://host:99999", "//host:80", "http://u:p@h:1"],
)
def test_urls_must_be_usable_http_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    for field in ("driver_url", "prometheus_url"):
        message = refused(tmp_path, base() | {"network": {field: url}}, capsys)
        assert f"network.{field}" in message
        good = scenario_from_dict(base() | {"network": {field: "http://127.0.0.1:8081/"}})
        assert good.network is not None


# -- trace files ------------------------------------------------------------------------------
def test_a_binary_trace_is_refused_at_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "drive.csv").write_bytes(bytes(range(256)) * 8)
    message = refused(tmp_path, base() | {"network": {"trace": "drive.csv"}}, capsys)
    assert "network.trace" in message and "not a CSV text trace" in message


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "cannot open trace (no such file)"),
        ("a,b\n1,2\n", "header lacks"),
        (f"{TRACE_HEADER}\n", "no data rows"),
        (f"{TRACE_HEADER}\n" + TRACE_ROW.format(s=1, cqi=99) + "\n", "CQI"),
        (b"Timestamp,CQI\n\xff\xfe\n", "not a CSV text trace (not UTF-8 text)"),
    ],
)
def test_an_unreadable_trace_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, fragment: str
) -> None:
    if isinstance(content, bytes):
        (tmp_path / "drive.csv").write_bytes(content)
    elif content is not None:
        (tmp_path / "drive.csv").write_text(content, encoding="utf-8")
    message = refused(tmp_path, base() | {"network": {"trace": "drive.csv"}}, capsys)
    assert "network.trace" in message and fragment in message


def test_a_trace_is_found_next_to_the_scenario_and_kept_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    rows = [TRACE_ROW.format(s=s, cqi=10) for s in range(5)]
    (folder / "drive.csv").write_text("\n".join([TRACE_HEADER, *rows]) + "\n", encoding="utf-8")
    path = write(folder, base() | {"network": {"trace": "drive.csv"}})
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    scenario = load_scenario(path)
    assert scenario.network is not None
    assert scenario.network.trace == str((folder / "drive.csv").resolve())


# -- types --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("network.layers", True),
        ("network.cqi", "15"),
        ("network.enforce", "yes"),
        ("operators.0.utility.weight", "2"),
        ("operators.0.utility.target", False),
        ("topic.upper", "134"),
    ],
)
def test_text_and_booleans_are_not_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: Any
) -> None:
    data = base() | {"network": {"bandwidth_mhz": 40}}
    assert field in refused(tmp_path, set_in(copy.deepcopy(data), field, value), capsys)
    # An integer is a fine number: 2 for a weight, 134 for a bound.
    if not isinstance(value, bool) and field != "network.enforce":
        number = int(value)
        assert scenario_from_dict(set_in(data, field, number)) is not None


def test_model_ids_are_checked_with_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = refused(tmp_path, set_in(base(), "operators.1.model", "gpt4"), capsys)
    assert "operators.1.model" in message and "unknown model id" in message


# -- the accepted ranges are ones the solver handles ------------------------------------------
def extreme_utilities(lower: float, upper: float) -> list[dict[str, Any]]:
    """Utilities at the edges of what validation accepts for a topic [lower, upper]."""
    reach = TARGET_SPANS * (upper - lower)
    out: list[dict[str, Any]] = []
    for w in (MAX_WEIGHT, 1e-300):
        out.append({"kind": "quadratic", "target": lower - reach, "weight": w})
        out.append({"kind": "quadratic", "target": upper + reach, "weight": w})
        out.append({"kind": "log", "weight": w, "offset": 2 * MIN_LOG_MARGIN - lower})
        out.append({"kind": "log", "weight": w, "offset": MAX_OFFSET})
    out += [{"kind": "linear", "price": p} for p in (MAX_WEIGHT, -MAX_WEIGHT, 0.0)]
    return out


@pytest.mark.parametrize(
    "lower, upper", [(-MAX_MAGNITUDE, MAX_MAGNITUDE), (0.0, MIN_RANGE), (0.0, 134.0)]
)
def test_numbers_at_the_limits_keep_the_solver_finite(lower: float, upper: float) -> None:
    data = base()
    data["topic"] |= {"lower": lower, "upper": upper}
    data["epsilon"] = (upper - lower) / 2
    data["mediator"]["agreement_weight"] = MAX_WEIGHT
    specs = extreme_utilities(lower, upper)
    for group in (specs[i : i + 3] for i in range(0, len(specs), 3)):
        data["operators"] = [
            {"id": f"op{j}", "display_name": "x", "objective": "y", "utility": spec}
            for j, spec in enumerate(group)
        ]
        scenario = scenario_from_dict(json.loads(json.dumps(data)))
        utilities = [op.utility.model_dump() for op in scenario.operators]
        reference = theoretical_consensus(utilities, scenario.topic)
        assert math.isfinite(reference["consensus"])
        assert lower - 1e-6 <= reference["consensus"] <= upper + 1e-6
        for op in scenario.operators:
            for point in (None, lower, upper):
                value = local_proposal(
                    op.utility.model_dump(), scenario.topic, point, 1.0, MAX_WEIGHT
                )
                assert np.isfinite(value) and lower - 1e-6 <= value <= upper + 1e-6
            assert math.isfinite(preferred_value(op, scenario.topic))
    # One step past each limit is refused.
    reach = TARGET_SPANS * (upper - lower)
    beyond = [
        {"kind": "quadratic", "target": upper + 1.01 * reach},
        {"kind": "quadratic", "target": lower - 1.01 * reach},
        {"kind": "quadratic", "target": upper, "weight": 2 * MAX_WEIGHT},
        {"kind": "linear", "price": -2 * MAX_WEIGHT},
        {"kind": "log", "offset": MIN_LOG_MARGIN / 4 - lower},
        {"kind": "log", "offset": 2 * MAX_OFFSET},
    ]
    for spec in beyond:
        data["operators"] = [{"id": "a", "display_name": "x", "objective": "y", "utility": spec}]
        with pytest.raises(ScenarioError, match="operators.0.utility"):
            scenario_from_dict(data)
    data["mediator"]["agreement_weight"] = 2 * MAX_WEIGHT
    with pytest.raises(ScenarioError, match="agreement_weight"):
        scenario_from_dict(data)


def test_python_constructed_scenarios_get_the_same_range_checks() -> None:
    data = set_in(base(), "operators.0.utility.weight", 1e308)
    with pytest.raises(
        ValueError, match=re.escape(f"operators.0.utility.weight: 1e+308 is above {MAX_WEIGHT:g}")
    ):
        Scenario.model_validate(data)
