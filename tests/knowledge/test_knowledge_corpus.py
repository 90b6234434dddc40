"""The shipped corpus parses, covers what the issue lists, and its constraints pin the standards."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from maestro.knowledge import (
    CONSTRAINT_KINDS,
    KnowledgeError,
    MissingFactError,
    check,
    constraints_for,
    load_documents,
    parse_document,
    shipped_documents,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def docs():
    return shipped_documents()


def test_import_is_light() -> None:
    # The unit imports maestro.knowledge on every run: the store's heavy stack loads lazily.
    code = "import sys, maestro.knowledge; print('chromadb' in sys.modules, 'torch' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_corpus_size_and_front_matter(docs) -> None:
    assert len(docs) >= 40
    assert len({d.id for d in docs}) == len(docs)
    for d in docs:
        assert Path(d.path).stem == d.id, d.path
        assert d.topics, d.id
        # A source names a document and a clause, table, section or article within it.
        assert any(
            w in d.source
            for w in (
                "clause",
                "Table",
                "section",
                "Article",
                "Annex",
                "paragraph",
                "Part",
                "chapter",
                "action",
                "96.",
            )
        ), d.id
    assert {d.jurisdiction for d in docs} >= {"global", "EU", "US", "UK", "DE"}


def test_corpus_covers_the_issue(docs) -> None:
    topics = {t for d in docs for t in d.topics}
    needed = {"n77", "n78", "n79", "n48", "n40", "n41", "prb", "peak_rate", "cqi", "mcs",
              "rrm_policy", "sst", "cbrs", "shared_access", "local_licence", "open_internet",
              "specialised_services", "priority", "emergency", "rf_exposure", "competition",
              "data_protection", "eprivacy"}  # fmt: skip
    assert needed <= topics, needed - topics


def _bounds(topic: str, docs, jurisdiction: str | None = None) -> dict[str, float]:
    found = constraints_for(topic, jurisdiction, docs)
    return {c.kind: c.constraint.value for c in found}  # type: ignore[union-attr]


def test_band_edges_pinned(docs) -> None:
    assert _bounds("n78_frequency_mhz", docs) == {"min_value": 3300, "max_value": 3800}
    assert _bounds("n77_frequency_mhz", docs) == {"min_value": 3300, "max_value": 4200}
    assert _bounds("n48_frequency_mhz", docs) == {"min_value": 3550, "max_value": 3700}
    assert _bounds("n41_frequency_mhz", docs) == {"min_value": 2496, "max_value": 2690}
    n78 = next(d for d in docs if d.id == "nr-band-n78")
    assert "TDD" in n78.title and "30 kHz SCS: 10, 15, 20, 40, 50, 60, 80 and 100 MHz" in n78.body


def test_prb_table_pinned(docs) -> None:
    body = next(d for d in docs if d.id == "ts38101-prb-15-30khz").body
    for pair in ("40 MHz: 106", "100 MHz: 273", "20 MHz: 106", "50 MHz: 270"):
        assert pair in body


def test_rrm_min_ratios_sum_at_most_100(docs) -> None:
    found = [c for c in constraints_for("prb_share", None, docs) if c.kind == "sum_at_most"]
    by_field = {c.constraint.field: c for c in found}  # type: ignore[union-attr]
    rule = by_field["rRMPolicyMinRatio"]
    assert rule.document == "ts28541-rrm-policy-ratio" and "28.541" in rule.source
    assert check(rule, 100.0) is None
    violation = check(rule, 30.0 + 45.0 + 40.0)
    assert violation is not None and violation.bound == 100
    assert "ts28541-rrm-policy-ratio" in violation.message and "28.541" in violation.source
    assert check(by_field["rRMPolicyDedicatedRatio"], 101) is not None


def test_throughput_bounded_by_named_facts(docs) -> None:
    rules = [c for c in constraints_for("cell_throughput", "DE", docs) if c.kind == "max_value"]
    sources = {c.constraint.value_from: c for c in rules}  # type: ignore[union-attr]
    assert set(sources) == {"peak_rate", "capacity_mbps"}
    facts = {"peak_rate": 134.36, "capacity_mbps": 95.0}
    assert check(sources["peak_rate"], 134.0, facts) is None
    v = check(sources["peak_rate"], 150.0, facts)
    assert v is not None and v.bound == pytest.approx(134.36) and v.document == "ts38306-peak-rate"
    assert check(sources["capacity_mbps"], 100.0, facts) is not None
    with pytest.raises(MissingFactError, match="capacity_mbps"):
        check(sources["capacity_mbps"], 100.0, {})


def test_priority_slice_min_share(docs) -> None:
    (rule,) = [c for c in constraints_for("prb_share", None, docs) if c.kind == "min_share"]
    assert rule.constraint.slice_sst == 2  # type: ignore[union-attr]
    assert check(rule, 0.15) is None
    assert check(rule, 0.05) is not None


def test_jurisdiction_filter(docs) -> None:
    us = constraints_for("cbsd_category_b_eirp_dbm_10mhz", "US", docs)
    assert [c.constraint.value for c in us] == [47]  # type: ignore[union-attr]
    assert constraints_for("cbsd_category_b_eirp_dbm_10mhz", "EU", docs) == []
    # Germany inherits EU rules, and global ones apply everywhere.
    assert constraints_for("breach_notification_hours", "DE", docs)
    assert constraints_for("de_local_bandwidth_mhz", "DE", docs)
    assert not constraints_for("de_local_bandwidth_mhz", "FR", docs)
    assert constraints_for("n78_frequency_mhz", "JP", docs)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """---
id: my-rule
title: My local rule
source: Local order 7, clause 2
jurisdiction: FR
topics: [cell_throughput]
constraints:
  - {kind: max_value, topic: cell_throughput, value: 80}
---
# Rule
Keep throughput at or below 80 Mbps.
"""


def test_user_document_constraints_apply(tmp_path: Path) -> None:
    docs = load_documents([_write(tmp_path, "a.md", GOOD)])
    (rule,) = constraints_for("cell_throughput", "FR", docs)
    assert check(rule, 90).message.startswith("cell_throughput 90 is above the maximum 80")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (GOOD.replace("max_value", "max_speed"), "unknown constraint kind 'max_speed'"),
        (GOOD.replace("value: 80", "value: 80, value_from: peak_rate"), "exactly one of"),
        (GOOD.replace("title: My local rule\n", ""), "title"),
        (GOOD.replace("topics: [cell_throughput]", "topics: [cell_throughput"), "not valid YAML"),
        ("---\nid: x\n", "never ends"),
        (GOOD.split("# Rule")[0], "empty"),
        ("", "empty"),
        (GOOD.replace("id: my-rule", "id: My Rule!"), "id"),
    ],
)
def test_bad_documents_name_the_file(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, "bad.md", text)
    with pytest.raises(KnowledgeError) as info:
        parse_document(path)
    message = str(info.value)
    assert str(path) in message and needle in message and "\n" not in message
    assert all(
        k in CONSTRAINT_KINDS for k in ("max_value", "min_value", "sum_at_most", "min_share")
    )


def test_duplicate_ids_and_binary_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", GOOD)
    _write(tmp_path, "b.md", GOOD)
    with pytest.raises(KnowledgeError, match="already used"):
        load_documents([tmp_path])
    binary = tmp_path / "c.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(KnowledgeError, match="not UTF-8"):
        parse_document(binary)


def test_plain_text_gets_defaults(tmp_path: Path) -> None:
    doc = parse_document(_write(tmp_path, "Site Rules.txt", "Site rules\n\nNo transmit after 22h."))
    assert (doc.id, doc.jurisdiction, doc.title) == ("site-rules", "global", "Site rules")


def test_jurisdiction_case_is_normalised(tmp_path: Path) -> None:
    docs = load_documents(
        [_write(tmp_path, "a.md", GOOD.replace("jurisdiction: FR", "jurisdiction: fr"))]
    )
    assert docs[0].jurisdiction == "FR"
    assert constraints_for("cell_throughput", "fr", docs)


def test_pdf_problems_are_one_line(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    blank = tmp_path / "blank.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with blank.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(KnowledgeError, match="empty") as info:
        parse_document(blank)
    assert str(blank) in str(info.value)
    fake = _write(tmp_path, "fake.pdf", "not a pdf at all")
    with pytest.raises(KnowledgeError, match="cannot read PDF") as info:
        parse_document(fake)
    assert "\n" not in str(info.value)
