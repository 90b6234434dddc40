"""Durable runs: `maestro negotiate --thread ID` killed mid-round and resumed, on SQLite and on
a real PostgreSQL; `maestro sessions list | show | export | delete`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT

CHILD = Path(__file__).with_name("counting_cli.py")


def maestro(args: list[str], log: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COUNT_LOG": str(log), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, str(CHILD), *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
    )


def calls(log: Path) -> list[tuple[str, str]]:
    if not log.exists():
        return []
    return [tuple(line.split()) for line in log.read_text().splitlines()]  # type: ignore[misc]


def rounds_of(record: dict) -> list[dict[str, float]]:
    return [{op: p["value"] for op, p in r["proposals"].items()} for r in record["rounds"]]


def test_killed_run_resumes_without_losing_or_repeating(
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys.path.insert(0, str(CHILD.parent))
    import counting_cli

    monkeypatch.setitem(
        counting_cli.scripted.NAMED_SCRIPTS, "counting", lambda: counting_cli.counting
    )
    run = ["negotiate", str(EXAMPLE), "-m", "scripted:counting", "-q"]
    # The reference: the same run, never interrupted (in this process).
    ref_log = tmp_path / "reference.log"
    monkeypatch.setenv("COUNT_LOG", str(ref_log))
    code, _, err = cli(capsys, *run, "--thread", "reference", "--json", str(tmp_path / "ref.json"))
    assert code == 0, err
    reference = json.loads((tmp_path / "ref.json").read_text())

    log = tmp_path / "calls.log"
    killed = maestro(
        [*run, "--thread", "crash"], log, KILL_AT="qos:2", THREAD="crash", OTHER="cost"
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    labels = [label for label, _ in calls(log)]
    assert "cost:2" in labels and "qos:2" not in labels  # killed mid-round 2

    resumed = maestro([*run, "--thread", "crash", "--json", str(tmp_path / "out.json")], log)
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads((tmp_path / "out.json").read_text())
    after = calls(log)

    # No LLM call made twice: every prompt was answered once, cost's round 2 included.
    assert not [d for d, n in Counter(d for _, d in after).items() if n > 1]
    assert Counter(label for label, _ in after)["cost:2"] == 1
    # No round lost or repeated: the same calls and rounds as the run never interrupted.
    assert sorted(label for label, _ in after) == sorted(label for label, _ in calls(ref_log))
    assert rounds_of(record) == rounds_of(reference)
    assert [r["round"] for r in record["rounds"]] == list(range(1, len(record["rounds"]) + 1))
    assert record["status"] == reference["status"]
    assert record["llm"]["calls"] == reference["llm"]["calls"]

    # A finished thread is not run again, and says where to look.
    monkeypatch.setenv("COUNT_LOG", str(log))
    code, _, err = cli(capsys, *run, "--thread", "crash")
    assert code == 2 and "already finished" in err
    assert calls(log) == after


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from maestro.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sessions_commands(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(
        capsys, "negotiate", str(EXAMPLE), "-m", "scripted:concede", "-q", "--thread", "s-1"
    )
    assert code == 0, err
    code, out, _ = cli(capsys, "sessions", "list", "--json", "-")
    rows = json.loads(out)
    assert [(r["id"], r["kind"], r["status"]) for r in rows] == [
        ("s-1", "negotiation", "round_cap")
    ]
    assert "business_intent" not in out  # a listing shows no scenario body
    code, _, err = cli(capsys, "sessions", "show", "s-1")
    assert code == 0 and "round 5" in err
    code, out, _ = cli(capsys, "sessions", "export", "s-1", "--json", "-")
    assert [r["round"] for r in json.loads(out)["rounds"]] == [1, 2, 3, 4, 5]
    code, _, err = cli(capsys, "sessions", "resume", "s-1")
    assert code == 2 and "already finished" in err
    assert cli(capsys, "sessions", "delete", "s-1")[0] == 0
    for args in (["show", "s-1"], ["delete", "s-1"], ["resume", "nope"], ["export", "x y"]):
        code, _, err = cli(capsys, "sessions", *args)
        assert code == 2, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert json.loads(cli(capsys, "sessions", "list", "--json", "-")[1]) == []


def test_unreachable_or_locked_store_is_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from maestro.graphs.checkpoints import open_store

    monkeypatch.setenv("MAESTRO_DB_URL", "postgresql://nobody:pw@127.0.0.1:1/none")
    code, _, err = cli(capsys, "sessions", "list")
    assert code == 2 and "cannot reach the session database" in err and "pw" not in err
    monkeypatch.setenv("MAESTRO_DB_URL", "mysql://x")
    code, _, err = cli(capsys, "sessions", "list")
    assert code == 2 and "MAESTRO_DB_URL must be" in err
    monkeypatch.delenv("MAESTRO_DB_URL")
    # A store another process holds locked: a clear line, and the store intact afterwards.
    monkeypatch.setattr("maestro.graphs.checkpoints.SQLITE_TIMEOUT_S", 0.2)
    open_store().close()
    holder = sqlite3.connect(str(data_dir / "sessions.sqlite"))
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = cli(
            capsys, "negotiate", str(EXAMPLE), "-m", "scripted:concede", "-q", "--thread", "x"
        )
    finally:
        holder.rollback()
        holder.close()
    assert code == 2 and "locked" in err and "Traceback" not in err
    code, out, _ = cli(capsys, "sessions", "list", "--json", "-")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize("thread", ["../x", "", "a" * 65])
def test_bad_thread_id(thread: str, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(
        capsys, "negotiate", str(EXAMPLE), "-m", "scripted:concede", "--thread", thread
    )
    assert code == 2 and "session id" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "nobody"], "no such seat"),
        (["--as", "cost", "--mode", "often"], "--mode 'often'"),
        (["--as", "cost", "--session", "bad id"], "session id"),
    ],
)
def test_chat_mistakes_are_one_line(
    args: list[str], message: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "chat", str(EXAMPLE), "-m", "scripted:optimizer", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
