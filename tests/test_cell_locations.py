"""Locations name the cell a person sees, even when the sheet does not start at A1: the Excel
reader starts its table at the first filled row and column, and every location is shifted back."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from importers.base import Limits, SourceFile, SourceFileError, column_letter
from importers.container import sheet_origins
from registry.services import intake, yardstick
from tests.conftest import AS_OF, BUYER, make_store
from tests.support import samples
from tests.support.samples import OFFICIAL_HEADER

ANSWER = OFFICIAL_HEADER.index("自己評価")


def _shifted(data: bytes, rows: int, columns: int, bad: str | None = None) -> bytes:
    """The workbook with ``rows`` empty rows above and ``columns`` empty columns left of it; the
    first criterion's answer replaced by ``bad`` when given (before the shift: row 3)."""
    book = load_workbook(io.BytesIO(data))
    sheet = book["自己評価"]
    if bad is not None:
        sheet.cell(row=3, column=ANSWER + 1, value=bad)
    if columns:
        sheet.insert_cols(1, columns)
    if rows:
        sheet.insert_rows(1, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("rows", "columns"), [(0, 0), (0, 1), (1, 1), (3, 2)])
def test_a_refused_answer_names_its_own_cell(rows, columns, tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=3)
    data = _shifted(
        samples.scs_self_assessment_workbook(supplier_id="S000001", merge=False), rows, columns, bad="たぶん"
    )
    source = SourceFile("shifted.xlsx", data)
    assert sheet_origins(source, Limits())["自己評価"] == (rows, columns)
    (report,) = intake.analyse(store, [source], supplier_id=None, profile=None, limits=Limits(), today=AS_OF)
    expected = f"shifted.xlsx: 自己評価!{column_letter(ANSWER + columns)}{3 + rows}"
    assert report.status == "rejected"
    assert any(e.location == expected for e in report.errors), [e.model_dump() for e in report.errors]


def test_evidence_points_at_the_cell_the_supplier_filled(tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=3)
    data = _shifted(
        samples.scs_self_assessment_workbook(supplier_id="S000001", answered_on="2026-11-01", merge=False), 1, 1
    )
    reports = intake.analyse(
        store, [SourceFile("s.xlsx", data)], supplier_id=None, profile=None, limits=Limits(), today=AS_OF
    )
    intake.commit(store, reports, mode="per_file", actor=BUYER, today=AS_OF)
    statuses = yardstick.derive(store, AS_OF, "S000001")
    first = statuses.filter(kind="self_assessment").sort("criterion_id").row(0, named=True)
    pieces = yardstick.explain(store, AS_OF, "S000001", first["criterion_id"])
    # 1-1-1-1 is the first criterion (row 3, one row lower), its answer one column to the right
    assert first["criterion_id"] == "1-1-1-1"
    assert pieces[0]["location"] == f"s.xlsx: 自己評価!{column_letter(ANSWER + 1)}4"


def test_a_sheet_that_starts_at_a1_is_not_shifted():
    data = samples.scs_self_assessment_workbook(supplier_id="S000001")
    assert sheet_origins(SourceFile("a.xlsx", data), Limits())["自己評価"] == (0, 0)


def test_a_formatted_but_empty_cell_does_not_move_the_origin():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet["A1"].font = Font(bold=True)  # formatting only: the reader skips it
    sheet["C4"] = "x"
    out = io.BytesIO()
    book.save(out)
    assert sheet_origins(SourceFile("f.xlsx", out.getvalue()), Limits())[sheet.title] == (3, 2)


def test_the_official_catalogue_importer_names_the_shifted_cell():
    """IPA's criteria workbook with an empty column A and row 1: a duplicated criterion is named
    at its own cell (K8 and row 7 in the unshifted sheet)."""
    from importers import ipa_catalogue
    from questionnaires.catalogue import available_versions, load_catalogue
    from tests.test_ipa_catalogue_importer import official_workbook

    data = official_workbook(mutate=lambda rows: [*rows[:5], rows[4], *rows[5:]])
    book = load_workbook(io.BytesIO(data))
    sheet = book["要求事項・評価基準"]
    sheet.insert_cols(1)
    sheet.insert_rows(1)
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(SourceFileError) as err:
        ipa_catalogue.parse("bad.xlsx", out.getvalue(), [load_catalogue(v) for v in available_versions()])
    assert [f"{p.location} | {p.message}" for p in err.value.problems] == [
        "bad.xlsx: 要求事項・評価基準!L9 | criterion 1-2-1-2 appears twice (first on row 8)"
    ]
