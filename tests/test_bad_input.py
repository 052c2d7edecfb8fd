"""The bad-input corpus: every case gives a clear message with its location and writes nothing."""

import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import BUYER, make_store
from support import samples

from importers.base import SourceFile
from importers.container import Limits
from importers.normalise import parse_date
from registry.services import intake
from registry.services import profiles as profile_service
from registry.services.templates import build_template

TODAY = date(2026, 11, 23)


def analyse_one(store, name: str, data: bytes, limits: Limits | None = None, **options) -> intake.FileReport:
    reports = intake.analyse(
        store, intake.sources_from_uploads([(name, data)], limits or Limits()), limits=limits, **options
    )
    assert len(reports) == 1
    return reports[0]


def rejected(store, name: str, data: bytes, **options) -> list[str]:
    report = analyse_one(store, name, data, **options)
    assert report.status == "rejected", report
    return [f"{p.location} | {p.message}" for p in report.errors]


@pytest.fixture
def store(tmp_path: Path):
    return make_store(tmp_path / "r.duckdb", suppliers=20, seed=2)


def _edit(data: bytes, edit) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_unknown_answer_value_is_located(store):
    data = _edit(
        samples.scs_self_assessment_workbook(supplier_id="S000001", seed=1), lambda wb: wb["自己評価"].cell(37, 15, "◎")
    )
    assert rejected(store, "scs.xlsx", data) == [
        "scs.xlsx: 自己評価!O37 | unknown answer '◎' for 3-1-2-2: expected ○ (met), △ (partly), ✖ (not met) or blank"
    ]


def test_duplicated_criterion_is_located(store):
    data = _edit(
        samples.scs_self_assessment_workbook(supplier_id="S000001", seed=1),
        lambda wb: wb["自己評価"].cell(10, 11, "1-2-1-3"),
    )
    problems = rejected(store, "scs.xlsx", data)
    assert problems == ["scs.xlsx: 自己評価!K10 | criterion 1-2-1-3 appears twice (first on row 8)"]


def test_header_not_found(store):
    data = _edit(
        samples.scs_self_assessment_workbook(supplier_id="S000001"), lambda wb: wb["自己評価"].cell(2, 15, "評価")
    )
    assert "format not recognised" in rejected(store, "scs.xlsx", data)[0]


def test_missing_sheet_of_a_template(store):
    blank = build_template("scs", "S000001", level=3, generated_on=TODAY)
    data = _edit(blank, lambda wb: setattr(wb["回答"], "title", "answers"))
    assert rejected(store, "t.xlsx", data) == ["t.xlsx | the sheet 回答 is missing (was it renamed?)"]


def test_wrong_sheet_for_a_profile(store):
    profile = profile_service.mapping_profiles(store)["towa-motors-2025"]
    data = _edit(
        samples.checklist_workbook(profile, {"A-01": "はい"}), lambda wb: setattr(wb.active, "title", "別シート")
    )
    problems = rejected(store, "towa.xlsx", data, profile="towa-motors-2025", supplier_id="S000001")
    assert "no sheet has the header a mapping profile expects" in problems[0]


def test_another_file_type_renamed_to_xlsx(store):
    assert rejected(store, "report.xlsx", b"%PDF-1.7\n%binary") == [
        "report.xlsx | not an Excel workbook (.xlsx): the content is of another type"
    ]


def test_a_zip_that_is_not_a_workbook(store):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert rejected(store, "fake.xlsx", buf.getvalue()) == ["fake.xlsx | a zip file, but not an Excel workbook (.xlsx)"]


def test_truncated_workbook_and_zip(store):
    data = samples.scs_self_assessment_workbook(supplier_id="S000001")
    assert "damaged or truncated" in rejected(store, "cut.xlsx", data[: len(data) // 2])[0]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.csv", "取引先ID,会社名\nZ1,株式会社ゼット\n" * 50)
    assert "damaged or truncated" in rejected(store, "cut.zip", buf.getvalue()[:-30])[0]


def test_password_protected_workbook(store):
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert "password-protected (encrypted)" in rejected(store, "secret.xlsx", encrypted)[0]


def test_xlsm_values_are_read_and_macros_never_run(store):
    report = analyse_one(store, "macro.xlsm", samples.scs_self_assessment_workbook(supplier_id="S000001"))
    assert report.status == "ready"
    assert any("macros were not run" in w.message for w in report.warnings)


def test_zip_bomb_is_refused_before_unpacking(store):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.csv", b"0" * (30 * 1024 * 1024))
    problems = rejected(store, "bomb.zip", buf.getvalue())
    assert "refused as a possible zip bomb" in problems[0]


def test_workbook_whose_xml_expands_beyond_the_limit(store):
    data = samples.scs_self_assessment_workbook(supplier_id="S000001")
    limits = Limits(max_unzipped_bytes=50_000)
    report = analyse_one(store, "huge.xlsx", data, limits=limits)
    assert report.status == "rejected" and "possible zip bomb" in report.errors[0].message


def test_zip_members_leaving_the_archive_are_refused_and_kept(store):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../etc/cron.d/evil.csv", "x")
        zf.writestr("/abs.csv", "y")
        zf.writestr("ok/suppliers.csv", samples.supplier_master_csv([{"supplier_id": "Z1", "name": "株式会社ゼット"}]))
    reports = intake.analyse(store, intake.sources_from_uploads([("upload.zip", buf.getvalue())], Limits()))
    by_name = {r.name: r for r in reports}
    assert by_name["upload.zip/../../etc/cron.d/evil.csv"].status == "rejected"
    assert "leaves the archive" in by_name["upload.zip/../../etc/cron.d/evil.csv"].errors[0].message
    assert by_name["upload.zip//abs.csv"].status == "rejected"
    assert by_name["upload.zip/ok/suppliers.csv"].status == "ready"
    assert by_name["upload.zip/../../etc/cron.d/evil.csv"].data == b"x"  # kept for quarantine, never written to disk


def test_file_over_the_size_limit_is_refused_unread(store):
    limits = Limits(max_file_bytes=1000)
    report = analyse_one(store, "big.csv", b"a" * 5000, limits=limits)
    assert report.status == "rejected" and "the limit is 1,000; not read" in report.errors[0].message
    assert report.data is None


def test_csv_in_an_unknown_encoding(store):
    problems = rejected(store, "x.csv", b"\xff\xfe\xfd\xfc,\x80\x81\n")
    assert problems[0].startswith("x.csv position ")
    assert problems[0].endswith("| unknown text encoding: expected UTF-8 (with or without BOM) or Shift_JIS/CP932")


def test_supplier_that_does_not_exist(store):
    data = samples.scs_self_assessment_workbook(supplier_id="NOPE-1")
    assert rejected(store, "scs.xlsx", data) == [
        "scs.xlsx: 自己評価!N1 | supplier NOPE-1 does not exist in the registry; add it first (or import a supplier list with it)"
    ]


def test_supplier_not_named_anywhere(store):
    assert "choose the supplier" in rejected(store, "scs.xlsx", samples.scs_self_assessment_workbook())[0]


def test_bad_rows_of_lists(store):
    bad_number = samples.supplier_master_csv(
        [{"supplier_id": "B1", "name": "株式会社ビー", "corporate_number": "1234567890123"}]
    )
    assert rejected(store, "s.csv", bad_number) == [
        "s.csv line 2, column 3 | corporate number 1234567890123 fails its check digit (expected 9, found 1)"
    ]
    self_link = samples.supplier_links_csv([("S000001", "S000001", None, False)])
    assert "cannot be linked to itself" in rejected(store, "l.csv", self_link)[0]
    unknown = samples.supplier_links_csv([("S000001", "GHOST", None, False)])
    assert "supplier GHOST does not exist" in rejected(store, "l.csv", unknown)[0]
    bad_date = samples.security_action_csv([("S000001", "二つ星", "1", "令和1年4月30日")])
    assert rejected(store, "sa.csv", bad_date) == [
        "sa.csv line 2, column 4 | '令和1年4月30日' is before the start of that era (2019-05-01)"
    ]


def test_corporate_number_clash_with_the_registry(store):
    existing = store.frame("SELECT corporate_number FROM supplier WHERE supplier_id = 'S000001'")["corporate_number"][0]
    data = samples.supplier_master_csv([{"supplier_id": "NEW1", "name": "株式会社新規", "corporate_number": existing}])
    assert f"corporate number {existing} already belongs to supplier S000001" in rejected(store, "s.csv", data)[0]


def test_duplicate_registration_numbers_for_different_suppliers(store):
    first = samples.security_action_csv([("S000001", "二つ星", "555", "2025-04-01")])
    reports = intake.analyse(store, [SourceFile("a.csv", first)])
    intake.commit(store, reports, mode="per_file", actor=BUYER, today=TODAY)
    second = samples.security_action_csv([("S000002", "一つ星", "555", "2025-05-01")])
    assert "registration number 555 is already recorded for supplier S000001" in rejected(store, "b.csv", second)[0]


def test_invalid_json_documents_are_located(store):
    assert "not valid UTF-8 JSON" in rejected(store, "x.json", b'{"format": "monosashi.exchange", ')[0]
    doc = b'{"format": "monosashi.exchange", "version": 1, "suppliers": [{"supplier_id": "J 1", "name": ""}]}'
    problems = rejected(store, "x.json", doc)
    assert problems[0].startswith("x.json: suppliers/0/supplier_id |")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和7年4月1日", date(2025, 4, 1)),
        ("R7.4.1", date(2025, 4, 1)),
        ("r7/4/1", date(2025, 4, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("２０２６年４月１日", date(2026, 4, 1)),
        ("2026/4/1", date(2026, 4, 1)),
        ("2026-04-01 00:00:00", date(2026, 4, 1)),
        ("46113", date(2026, 4, 1)),
        (46113.0, date(2026, 4, 1)),
    ],
)
def test_dates_in_every_usual_form(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-30", "not a real calendar date"),
        ("来週", "expected a date"),
        ("令和1年4月30日", "before the start"),
        ("123", "expected a date"),
    ],
)
def test_bad_dates(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)
