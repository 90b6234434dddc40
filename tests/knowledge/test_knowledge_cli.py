"""`maestro knowledge ...` in-process: search output, listing, adding, and bad input (exit 2)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from maestro.cli import main

pytestmark = pytest.mark.integration


def one_line_error(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    return err


def test_search_json(kb: object, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["knowledge", "search", "how many PRBs does a 40 MHz carrier at 30 kHz have",
                 "--k", "2", "--json", "-"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 2 and hits[0]["id"] == "ts38101-prb-15-30khz"
    assert {"id", "title", "source", "text", "score"} <= set(hits[0])
    assert hits[0]["score"] >= hits[1]["score"]


def test_search_text_and_filters(kb: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["knowledge", "search", "power limit", "--jurisdiction", "US", "--topic", "cbrs"]) == 0
    )
    out = capsys.readouterr().out
    assert "us-cbrs-power-limits" in out and "source: 47 CFR" in out


def test_list_json(kb_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "list", "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 40 and {"id", "source", "jurisdiction", "constraints"} <= set(rows[0])


GOOD = """---
id: site-order
title: Site order for the harbour campus
source: Harbour authority order 12, clause 3
jurisdiction: DE
topics: [cell_throughput]
constraints:
  - {kind: max_value, topic: cell_throughput, value: 90}
---
# Order
The campus cell carries at most 90 Mbps.
"""


def test_add_then_list(
    own_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    md = tmp_path / "order.md"
    md.write_text(GOOD, encoding="utf-8")
    txt = tmp_path / "Notes On Power.txt"
    txt.write_text("Power notes\n\nKeep EIRP low near the school.", encoding="utf-8")
    assert main(["knowledge", "add", str(md), str(txt), "--topic", "rf_exposure"]) == 0
    stored = sorted(p.name for p in (own_data_dir / "knowledge" / "corpus").iterdir())
    assert stored == ["notes-on-power.md", "site-order.md"]
    capsys.readouterr()
    assert main(["knowledge", "list", "--json", "-"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["site-order"]["topics"] == ["rf_exposure"]  # --topic overrides
    assert rows["notes-on-power"]["title"] == "Power notes"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (GOOD.replace("max_value", "limit_to"), "unknown constraint kind 'limit_to'"),
        (GOOD.replace("jurisdiction: DE\n", ""), "jurisdiction"),
        ("---\nid: [\n---\nbody", "not valid YAML"),
        ("   \n", "empty"),
    ],
)
def test_add_bad_document(
    own_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    good = tmp_path / "good.md"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_text(text, encoding="utf-8")
    err = one_line_error(capsys, ["knowledge", "add", str(good), str(bad)])
    assert str(bad) in err and needle in err
    assert not (own_data_dir / "knowledge" / "corpus").exists()  # the good one was not written


def test_add_missing_and_shipped_id(
    own_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = one_line_error(capsys, ["knowledge", "add", str(tmp_path / "nope.md")])
    assert "nope.md" in err
    clash = tmp_path / "n78.md"
    clash.write_text(GOOD.replace("id: site-order", "id: nr-band-n78"), encoding="utf-8")
    assert "shipped" in one_line_error(capsys, ["knowledge", "add", str(clash)])


def test_unreachable_server(own_data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("MAESTRO_CHROMA_URL", url)
    assert url in one_line_error(capsys, ["knowledge", "search", "n78"])
    monkeypatch.setenv("MAESTRO_CHROMA_URL", "ftp://example")
    assert "MAESTRO_CHROMA_URL" in one_line_error(capsys, ["knowledge", "rebuild"])


def test_corrupted_store(own_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = own_data_dir / "knowledge" / "chroma"
    store.mkdir(parents=True)
    (store / "chroma.sqlite3").write_bytes(b"garbage" * 500)
    err = one_line_error(capsys, ["knowledge", "search", "n78"])
    assert str(store) in err


def test_bad_k_and_bad_user_corpus(own_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "--k" in one_line_error(capsys, ["knowledge", "search", "x", "--k", "0"])
    corpus = own_data_dir / "knowledge" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "broken.md").write_text("---\nid: ok-id\n---\ntext", encoding="utf-8")
    assert "broken.md" in one_line_error(capsys, ["knowledge", "list"])
