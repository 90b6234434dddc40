"""1,000 mutated scenario files through `maestro scenario validate`, in process.

Each file is either refused in one line with exit code 2 and no traceback, or accepted as a
scenario whose numbers are all finite and inside the documented limits. A sample of the
accepted ones is negotiated with the scripted optimizer model, which must end in a record.
The mutations are seeded, so a failure names a file that can be made again.
"""

from __future__ import annotations

import copy
import functools
import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
import yaml

import maestro
from maestro.cli import main
from maestro.graphs.record import Status
from maestro.graphs.scenario import (
    MAX_MAGNITUDE,
    MAX_OFFSET,
    MAX_OPERATORS,
    MAX_WEIGHT,
    TARGET_SPANS,
    Scenario,
    load_scenario,
)
from tests.conftest import BASE_SCENARIO, EXAMPLE

FILES = 1000
NEGOTIATED = 15
SEED = 20240501

TRACE_HEADER = (
    "Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,RSRQ,SNR,CQI,"
    "RSSI,DL_bitrate,UL_bitrate,State,PINGAVG,PINGMIN,PINGMAX,PINGSTDEV,PINGLOSS,CELLHEX,"
    "NODEHEX,LACHEX,RAWCELLID,NRxRSRP,NRxRSRQ"
)

ODD_VALUES: list[Any] = [
    True,
    False,
    None,
    "3",
    "",
    "x" * 3,
    [],
    {},
    0,
    -1,
    1.5,
    2**63,
    10**30,
    -(10**30),
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1e308,
    5e-324,
    -0.0,
    "1e308",
    "[/bold]",
    "\u202e\u0000",
    [1, [2, [3]]],
    {"kind": "log"},
    "local:/etc/shadow",
]
BIG_NUMBERS: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1e308,
    1e19,
    1e15,
    5e-324,
    0,
    -0.0,
    2**64,
    33,
    134.0001,
    1e-9,
    -5,
]


def seeds(tmp_path: Path) -> list[dict[str, Any]]:
    """Valid starting points: the example, the tests' scenario, and network variants."""
    rows = [
        f"2019.12.16_07.22.{s:02d},-8.4,51.9,0,B,1,5G,-90,-10,5,{8 + s % 7},-60,50000,100,D,"
        "-,-,-,-,-,A,B,C,1,-,-"
        for s in range(20)
    ]
    (tmp_path / "drive.csv").write_text("\n".join([TRACE_HEADER, *rows]) + "\n")
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 4)
    example = yaml.safe_load(EXAMPLE.read_text())
    base = copy.deepcopy(BASE_SCENARIO)
    logs = copy.deepcopy(base)
    logs["operators"][1]["utility"] = {"kind": "log", "weight": 40, "offset": 1}
    logs["operators"].append(
        base["operators"][0] | {"id": "lin", "utility": {"kind": "linear", "price": 0.5}}
    )
    net = copy.deepcopy(base) | {"network": {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 12}}
    traced = copy.deepcopy(base) | {"network": {"trace": "drive.csv"}}
    synthetic = copy.deepcopy(example) | {"network": {"trace": "synthetic", "layers": 2}}
    return [example, base, logs, net, traced, synthetic]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths(value, (*prefix, i))


def get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


def mutate_tree(rng: random.Random, doc: dict[str, Any]) -> Any:
    """One to three structural mutations of the parsed document."""
    for _ in range(rng.randint(1, 3)):
        candidates = list(paths(doc))
        path = rng.choice(candidates)
        target = get(doc, path)
        kind = rng.randrange(9)
        if kind == 0:
            doc = replace(doc, path, copy.deepcopy(rng.choice(ODD_VALUES)))
        elif kind == 1:
            numeric = [p for p in candidates if isinstance(get(doc, p), int | float)]
            if numeric:
                doc = replace(doc, rng.choice(numeric), rng.choice(BIG_NUMBERS))
        elif kind == 2 and path and isinstance(get(doc, path[:-1]), dict):
            del get(doc, path[:-1])[path[-1]]
        elif kind == 3 and isinstance(target, dict):
            target[rng.choice(["colour", "extra", "Model", "1", "rounds "])] = rng.choice(
                ODD_VALUES
            )
        elif kind == 4:
            nested: Any = rng.choice([1, "x"])
            for _ in range(rng.randint(3, 60)):
                nested = [nested] if rng.random() < 0.5 else {"k": nested}
            doc = replace(doc, path, nested)
        elif kind == 5:
            alphabet = "abc xyz\t\n[]{}:#&*!|>'\"%@`é😀\u200b\x00\x07\x7f"
            text = "".join(rng.choice(alphabet) for _ in range(rng.choice([5, 90, 500, 5000])))
            doc = replace(doc, path, text)
        elif kind == 6 and isinstance(doc, dict) and isinstance(doc.get("operators"), list):
            ops = doc["operators"]
            if ops:
                count = rng.choice([0, 1, MAX_OPERATORS, MAX_OPERATORS + 1, 60])
                doc["operators"] = [
                    copy.deepcopy(ops[i % len(ops)]) | {"id": f"op{i}"} for i in range(count)
                ]
        elif kind == 7 and isinstance(doc, dict):
            doc["network"] = rng.choice(
                [
                    {
                        "bandwidth_mhz": rng.choice([33, 40, 100, 5, 1e308]),
                        "scs_khz": rng.choice([15, 30, 60, 45]),
                    },
                    {
                        "trace": rng.choice(
                            ["junk.csv", "missing.csv", "drive.csv", "/etc/passwd", ""]
                        )
                    },
                    {
                        "driver_url": rng.choice(
                            ["not a url", "http://127.0.0.1:1", "ftp://x", "http://:80"]
                        )
                    },
                    {"prometheus_url": rng.choice(["http://[::1", "https://h:0", "http://h"])},
                ]
            )
        elif kind == 8 and isinstance(doc, dict):
            doc["epsilon"] = rng.choice([134, 1e9, 0.5, 1e-12, "1", True])
    return doc


def mutate_text(rng: random.Random, text: str) -> str | bytes:
    """Byte-level damage: truncation, junk, binary, anchors, odd YAML."""
    kind = rng.randrange(6)
    if kind == 0:
        return text[: rng.randrange(len(text))]
    if kind == 1:
        at = rng.randrange(len(text))
        return text[:at] + "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(8)) + text[at:]
    if kind == 2:
        return bytes(rng.randrange(256) for _ in range(rng.choice([4, 200, 3000])))
    if kind == 3:
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 7)]
        return text + "\n".join(lines) + "\n"
    if kind == 4:
        return (
            text.replace(": ", ": !!binary ", 1)
            if rng.random() < 0.5
            else "---\n" + text + "\n---\nx: 1\n"
        )
    lines = text.splitlines()
    rng.shuffle(lines)
    return "\n".join(lines)


def documents(tmp_path: Path) -> Iterator[tuple[int, str | bytes]]:
    rng = random.Random(SEED)
    starts = seeds(tmp_path)
    for i in range(FILES):
        doc = copy.deepcopy(rng.choice(starts))
        if rng.random() < 0.8:
            doc = mutate_tree(rng, doc)
            try:
                text: str | bytes = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
            except yaml.YAMLError:
                text = yaml.safe_dump(doc, sort_keys=False)
        else:
            text = mutate_text(rng, yaml.safe_dump(doc, sort_keys=False))
        yield i, text


def numbers_within_limits(scenario: Scenario) -> list[str]:
    """Every number finite; the ranges the solver relies on hold."""
    problems: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}.{i}")
        elif isinstance(node, float) and not math.isfinite(node):
            problems.append(f"{where} = {node}")

    walk(scenario.model_dump(), "")
    topic = scenario.topic
    span = topic.upper - topic.lower
    if max(abs(topic.lower), abs(topic.upper)) > MAX_MAGNITUDE or scenario.epsilon >= span:
        problems.append("topic bounds or epsilon")
    if len(scenario.operators) > MAX_OPERATORS:
        problems.append("operators")
    if scenario.mediator.agreement_weight > MAX_WEIGHT:
        problems.append("agreement weight")
    for op in scenario.operators:
        u = op.utility
        weight = getattr(u, "weight", 1.0)
        target = getattr(u, "target", topic.lower)
        if not 0 < weight <= MAX_WEIGHT or abs(getattr(u, "price", 0.0)) > MAX_WEIGHT:
            problems.append(f"{op.id} weight/price")
        if not topic.lower - TARGET_SPANS * span <= target <= topic.upper + TARGET_SPANS * span:
            problems.append(f"{op.id} target")
        if u.kind == "log" and (u.offset + topic.lower <= 0 or abs(u.offset) > MAX_OFFSET):
            problems.append(f"{op.id} log offset")
    return problems


def test_fuzz_scenario_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `main` rebuilds the click command from the Typer app on every call (60 ms); the same
    # command built once keeps 1,000 runs of the real entry point fast.
    monkeypatch.setattr(typer.main, "get_command", functools.cache(typer.main.get_command))
    counts = {"files": 0, "valid": 0, "refused": 0, "negotiated": 0}
    crashes: list[str] = []
    negotiable: list[Path] = []
    for i, text in documents(tmp_path):
        path = tmp_path / f"fuzz-{i:04d}.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        counts["files"] += 1
        try:
            code = main(["scenario", "validate", str(path)])
        except BaseException as exc:  # noqa: BLE001 - any escape is the finding
            crashes.append(f"{path.name}: {type(exc).__name__}: {exc}"[:300])
            continue
        out, err = capsys.readouterr()
        if code == 2:
            counts["refused"] += 1
            lines = err.strip().splitlines()
            if len(lines) != 1 or "Traceback" in err or not err.startswith("error:"):
                crashes.append(f"{path.name}: refusal not one line: {err[:300]!r}")
            continue
        if code != 0:
            crashes.append(f"{path.name}: exit code {code}: {err[:300]!r}")
            continue
        counts["valid"] += 1
        problems = numbers_within_limits(load_scenario(path))
        if problems:
            crashes.append(f"{path.name}: accepted with {problems}")
        network = load_scenario(path).network
        remote = network is not None and (network.driver_url or network.prometheus_url)
        if not remote:
            negotiable.append(path)
    for path in random.Random(SEED).sample(negotiable, min(NEGOTIATED, len(negotiable))):
        try:
            result = maestro.negotiate(path, model="scripted:optimizer", rounds=3)
        except Exception as exc:  # noqa: BLE001
            crashes.append(f"{path.name}: negotiate raised {type(exc).__name__}: {exc}"[:300])
            continue
        if result.status not in get_args(Status):
            crashes.append(f"{path.name}: record status {result.status!r}")
        counts["negotiated"] += 1
    with capsys.disabled():
        print(
            f"\nfuzz: {counts['files']} files, {counts['valid']} valid, "
            f"{counts['refused']} refused (exit 2, one line), {len(crashes)} failures; "
            f"{counts['negotiated']} valid ones negotiated to a record"
        )
    assert counts["files"] == FILES
    assert counts["valid"] >= 50 and counts["refused"] >= 300  # the mutations bite both ways
    assert not crashes, "\n".join(crashes[:20])
