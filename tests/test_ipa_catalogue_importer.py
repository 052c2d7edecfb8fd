"""The official-Excel importer, on workbooks built here in IPA's layout with placeholder texts."""

import io
from pathlib import Path

import openpyxl
import pytest
from conftest import ADMIN

from importers.base import SourceFileError
from importers.ipa_catalogue import parse, sniff
from questionnaires.catalogue import available_versions, load_catalogue
from registry.services.catalogue import import_official_texts
from registry.store.settings import official_texts

CATALOGUES = [load_catalogue(v) for v in available_versions()]
HEADER = [
    "大分類No.",
    "大分類",
    "中分類No.",
    "中分類",
    "要求事項No.",
    "★3",
    "★4",
    "要求事項名",
    "要求事項",
    "★3/★4",
    "評価基準No.",
    "評価基準",
    "NIST CSFにおける機能",
    "参照文献(太字は…)",
]


def official_workbook(version: str = "2026-03-27", *, mutate=None) -> bytes:
    """A workbook in IPA's layout: title row, header on row 2, merged requirement cells."""
    cat = load_catalogue(version)
    wb = openpyxl.Workbook()
    wb.active.title = "表紙"
    wb.active["A1"] = "サプライチェーン強化に向けたセキュリティ対策評価制度"
    ws = wb.create_sheet("要求事項・評価基準")
    ws.append(["要求事項及び評価基準一覧"])
    ws.append(HEADER)
    rows = []
    for crit in cat.criteria:
        rows.append(
            [
                crit.id.split("-")[0],
                "カテゴリ",
                "-".join(crit.id.split("-")[:2]),
                "サブ",
                crit.requirement_id,
                "",
                "",
                "題",
                f"要求事項 {crit.requirement_id} の文(仮)",
                f"★{crit.level}",
                crit.id,
                f"評価基準 {crit.id} の文(仮)",
                "統治(GV)",
            ]
        )
    if mutate:
        rows = mutate(rows)
    start = 3
    previous = None
    for offset, row in enumerate(rows):
        r = start + offset
        if row[4] == previous:  # merged requirement cells: only the first row holds values
            row = [None, None, None, None, None, *row[5:8], None, *row[9:]]
        previous = rows[offset][4]
        for col, value in enumerate(row, start=1):
            ws.cell(r, col, value)
    # merge the requirement columns of each requirement block, as IPA's sheet does
    first = start
    for offset in range(1, len(rows) + 1):
        if offset == len(rows) or rows[offset][4] != rows[offset - 1][4]:
            last = start + offset - 1
            if last > first:
                for col in ("A", "B", "C", "D", "E", "I"):
                    ws.merge_cells(f"{col}{first}:{col}{last}")
            first = last + 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_final_workbook_is_read_with_every_text():
    data = official_workbook()
    assert sniff("ipa.xlsx", data) == 1.0
    batch = parse("ipa.xlsx", data, CATALOGUES)
    assert batch.catalogue_version == "2026-03-27"
    assert batch.sheet == "要求事項・評価基準"
    assert len(batch.requirements) == 43 and len(batch.criteria) == 153
    assert batch.criteria["4-5-1-1"] == "評価基準 4-5-1-1 の文(仮)"
    assert batch.requirements["4-5-1"] == "要求事項 4-5-1 の文(仮)"  # filled down from merged cells
    assert len(batch.sha256) == 64


def test_draft_workbook_is_recognised_as_the_draft():
    batch = parse("draft.xlsx", official_workbook("2025-12"), CATALOGUES)
    assert batch.catalogue_version == "2025-12"
    assert len(batch.criteria) == 157 and "4-5-2-1" in batch.criteria


def test_columns_are_found_by_header_text_not_position():
    def shuffle(rows):
        return rows  # same rows; the header below is moved one column right

    data = official_workbook(mutate=shuffle)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["要求事項・評価基準"].insert_cols(1)
    buf = io.BytesIO()
    wb.save(buf)
    assert len(parse("moved.xlsx", buf.getvalue(), CATALOGUES).criteria) == 153


def _problems(data: bytes) -> list[str]:
    with pytest.raises(SourceFileError) as err:
        parse("bad.xlsx", data, CATALOGUES)
    return [f"{p.location} | {p.message}" for p in err.value.problems]


def test_duplicated_criterion_is_located():
    problems = _problems(official_workbook(mutate=lambda rows: [*rows[:5], rows[4], *rows[5:]]))
    assert problems == ["bad.xlsx: 要求事項・評価基準!K8 | criterion 1-2-1-2 appears twice (first on row 7)"]


def test_malformed_criterion_id_is_located():
    def break_id(rows):
        rows[10][10] = "4-1-x"
        return rows

    assert _problems(official_workbook(mutate=break_id)) == [
        "bad.xlsx: 要求事項・評価基準!K13 | expected a criterion ID like 4-1-2-3, found '4-1-x'"
    ]


def test_missing_criteria_do_not_match_a_version():
    problems = _problems(official_workbook(mutate=lambda rows: rows[:-3]))
    assert "do not match any catalogue version; closest is 2026-03-27" in problems[0]
    assert "missing from the sheet: 6-1-1-6, 7-1-1-1, 7-1-1-2" in problems[0]


def test_a_sheet_without_the_header_is_refused():
    wb = openpyxl.Workbook()
    wb.active.append(["No.", "質問", "回答"])
    buf = io.BytesIO()
    wb.save(buf)
    assert "no sheet has a header row with 評価基準No." in _problems(buf.getvalue())[0]


def test_a_file_that_is_not_a_workbook_is_refused():
    assert "not a readable Excel workbook" in _problems(b"%PDF-1.7 not really")[0]
    assert sniff("x.xlsx", b"%PDF") == 0.0


def test_import_stores_the_texts_in_one_transaction(empty_store, tmp_path: Path):
    batch = import_official_texts(empty_store, "ipa.xlsx", official_workbook(), actor=ADMIN)
    texts = official_texts(empty_store, "2026-03-27")
    assert texts.height == 43 + 153
    assert texts.filter(item_id="1-1-1-1")["text_ja"][0] == "評価基準 1-1-1-1 の文(仮)"
    audit = empty_store.frame("SELECT sha256 FROM audit_log WHERE action = 'import_official_texts'")
    assert audit["sha256"].to_list() == [batch.sha256]
    with pytest.raises(SourceFileError):
        import_official_texts(empty_store, "bad.xlsx", b"junk", actor=ADMIN)
    assert official_texts(empty_store, "2026-03-27").height == 43 + 153
