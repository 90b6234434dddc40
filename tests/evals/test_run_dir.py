"""Run directories: one line per game, resume without repeats, refusals, broken lines, disk full."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest

from maestro.evals import EvalConfig, EvalError, run_suite, write_report
from maestro.evals import store as store_module
from maestro.evals.store import GAMES


def _lines(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / GAMES).read_text().splitlines() if x.strip()]


def test_every_game_is_one_line_with_its_record(personality_run) -> None:
    folder, config = personality_run
    lines = _lines(folder)
    # 2 games on each of 2 pairs, plus one optimizer-only baseline game per pair.
    assert sorted(ln["key"] for ln in lines) == sorted(
        ["llm/N-N/0", "llm/N-N/1", "llm/T-T/0", "llm/T-T/1", "baseline/N-N", "baseline/T-T"]
    )
    first = next(ln for ln in lines if ln["key"] == "llm/N-N/1")
    assert first["suite"] == "personality" and first["config"] == config.hash
    assert first["model"] == "scripted:concede" and first["seed"] == 1 and first["index"] == 1
    assert first["record"]["model"] == "scripted:concede" and first["record"]["seed"] == 1
    assert set(first["result"]["final"]) == {"cost", "qos"}
    base = next(ln for ln in lines if ln["key"] == "baseline/N-N")
    assert base["model"] == "scripted:optimizer" and base["variant"] == "baseline"


def test_summary_markdown_and_plot(personality_run) -> None:
    folder, _ = personality_run
    summary = json.loads((folder / "summary.json").read_text())
    nn = summary["pairs"]["N-N"]
    assert nn["games"] == 2 and nn["decisions"]["n"] == 4
    assert nn["paper"]["mean"] == 55.0 and summary["pairs"]["T-T"]["paper"]["mean"] is None
    assert nn["baseline"]["mean"] == pytest.approx(50.0)  # the optimizer's fair middle
    md = (folder / "summary.md").read_text()
    assert "| N-N | 2 |" in md and "no agreement" in md
    assert (folder / "personality.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_plays_only_the_missing_games(personality_run, tmp_path: Path) -> None:
    folder, config = personality_run
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    lines = (copy / GAMES).read_text().splitlines()
    (copy / GAMES).write_text("\n".join(lines[:-2]) + "\n")  # as if killed two games early
    played: list[str] = []
    outcome = run_suite(config, copy, on_line=lambda ln: played.append(ln["key"]))
    assert outcome.played == 2 and outcome.skipped == 4 and len(played) == 2
    assert sorted(ln["key"] for ln in _lines(copy)) == sorted(ln["key"] for ln in _lines(folder))
    again = run_suite(config, copy)
    assert again.played == 0


def test_another_configuration_is_refused(personality_run, tmp_path: Path) -> None:
    folder, config = personality_run
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    other = EvalConfig(
        "personality", model="scripted:concede", games=3, pairs=config.pairs, rounds=3
    )
    with pytest.raises(EvalError, match="another configuration.*games 2 there, 3 now"):
        run_suite(other, copy)
    assert len(_lines(copy)) == 6  # nothing touched


def test_a_corrupted_line_is_skipped_with_a_warning(personality_run, tmp_path: Path) -> None:
    folder, config = personality_run
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    lines = (copy / GAMES).read_text().splitlines()
    broken = lines[0][: len(lines[0]) // 2]  # cut short, as by a crash
    (copy / GAMES).write_text("\n".join([broken, *lines[1:]]))  # and no final newline
    warnings: list[str] = []
    summary = write_report(copy, warn=warnings.append)
    assert summary["games"] == 5 and len(warnings) == 1 and ":1: skipped" in warnings[0]
    # Resuming replays the lost game on a line of its own; the broken line stays skipped.
    outcome = run_suite(config, copy, warn=warnings.append)
    assert outcome.played == 1
    assert write_report(copy)["games"] == 6


def test_disk_full_is_one_clear_error_and_keeps_what_finished(
    personality_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, config = personality_run
    real = store_module._write
    calls = {"n": 0}

    def full_after_two(handle, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 2:
            handle.write(data[:10])  # a partial write, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(handle, data)

    monkeypatch.setattr(store_module, "_write", full_after_two)
    target = tmp_path / "full"
    with pytest.raises(EvalError, match="disk full.*already written are kept"):
        run_suite(config, target)
    monkeypatch.setattr(store_module, "_write", real)
    assert len(_lines(target)) == 2  # whole lines only: the half line was taken back
    assert run_suite(config, target).played == 4


def test_parallel_workers_give_the_same_games(personality_run, tmp_path: Path) -> None:
    folder, config = personality_run
    serial = run_suite(config, tmp_path / "serial", workers=1)
    assert serial.played == 6

    def finals(path: Path) -> dict[str, dict]:
        return {ln["key"]: ln["result"]["final"] for ln in _lines(path)}

    assert finals(tmp_path / "serial") == finals(folder)  # the fixture ran with 2 workers
