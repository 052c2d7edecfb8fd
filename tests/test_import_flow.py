"""The import flow a clerk goes through (issue 17): a list's bad rows are refused alone and handed
back to correct, all or nothing stays a choice, a file seen before may go to another supplier when
the person says so, and the import says what changed per supplier."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from conftest import BUYER, make_store
from support import samples

from importers.base import SourceFile
from registry.cli import main
from registry.services import intake
from registry.store import submissions

TODAY = date(2026, 11, 23)
GOOD_NUMBER = "8000012050001"  # a valid 法人番号 (check digit 8)
BAD_NUMBER = "1000012050001"  # the same base with a wrong check digit


@pytest.fixture
def store(tmp_path: Path):
    return make_store(tmp_path / "r.duckdb", suppliers=30, seed=3)


def supplier_list(*rows: tuple[str, str, str]) -> bytes:
    """A supplier master in CP932, as Japanese Excel saves a CSV."""
    lines = ["取引先ID,会社名,法人番号", *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def analyse(store, files, **options) -> list[intake.FileReport]:
    return intake.analyse(store, [SourceFile(n, d) for n, d in files], today=TODAY, **options)


def commit(store, reports, mode="per_file") -> list[intake.FileReport]:
    return intake.commit(store, reports, mode=mode, actor=BUYER, today=TODAY)


def imported_suppliers(store, ids) -> set[str]:
    return set(
        store.frame("SELECT supplier_id FROM supplier WHERE supplier_id IN (SELECT unnest($i))", {"i": ids})[
            "supplier_id"
        ]
    )


def test_a_bad_row_is_refused_alone_and_the_valid_rows_are_imported(store):
    data = supplier_list(
        ("N-001", "甲山精機", GOOD_NUMBER), ("N-002", "乙川工業", BAD_NUMBER), ("N-003", "丙野製作所", "")
    )
    [report] = analyse(store, [("取引先.csv", data)])
    assert report.status == "ready" and report.rows == 2
    [refused] = report.refused
    assert refused.location == "取引先.csv line 3"
    assert refused.problems[0].key == "corporate_number.check_digit"
    assert "チェックデジット" in refused.problems[0].text("ja")
    [done] = commit(store, [report])
    assert done.status == "imported"
    assert imported_suppliers(store, ["N-001", "N-002", "N-003"]) == {"N-001", "N-003"}
    # the history keeps the refused row with its line, with the warnings
    history = submissions.import_history(store).row(0, named=True)
    assert history["status"] == "imported"
    assert "取引先.csv line 3" in intake.problems_said(history["warnings"], "en")


def test_the_refused_rows_come_back_as_a_file_to_correct_and_import_again(store):
    data = supplier_list(("N-001", "甲山精機", GOOD_NUMBER), ("N-002", "乙川工業", BAD_NUMBER))
    [report] = analyse(store, [("取引先.csv", data)])
    csv = intake.refused_rows_csv(report, "ja")
    assert csv is not None and csv.startswith(b"\xef\xbb\xbf")
    frame = pl.read_csv(io.BytesIO(csv[3:]), infer_schema=False)
    assert frame.columns == ["取引先ID", "会社名", "法人番号", "取り込めなかった理由"]
    assert frame.row(0)[:3] == ("N-002", "乙川工業", BAD_NUMBER)
    assert "チェックデジット" in frame.row(0)[3]
    commit(store, [report])
    # corrected and sent back: the extra column is ignored, the row goes in
    fixed = frame.with_columns(pl.lit("7000012050002").alias("法人番号"))
    [again] = analyse(store, [("取引先-refused.csv", _csv(fixed))])
    assert again.status == "ready" and not again.refused, [p.message for p in again.errors]
    commit(store, [again])
    assert imported_suppliers(store, ["N-002"]) == {"N-002"}


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def test_all_or_nothing_refuses_the_list_with_one_bad_row(store):
    data = supplier_list(("N-001", "甲山精機", GOOD_NUMBER), ("N-002", "乙川工業", BAD_NUMBER))
    [report] = analyse(store, [("取引先.csv", data)], whole_lists=True)
    assert report.status == "rejected" and not report.refused
    assert [p.key for p in report.errors] == ["corporate_number.check_digit"]
    commit(store, [report], mode="batch")
    assert not imported_suppliers(store, ["N-001", "N-002"])


def test_a_list_with_no_good_row_is_rejected_with_every_reason(store):
    data = supplier_list(("N-001", "甲山精機", BAD_NUMBER), ("", "乙川工業", ""))
    [report] = analyse(store, [("取引先.csv", data)])
    assert report.status == "rejected"
    assert len(report.errors) == 2


def test_rows_the_registry_refuses_are_refused_alone_too(store):
    known = store.frame(
        "SELECT supplier_id, corporate_number FROM supplier WHERE corporate_number IS NOT NULL LIMIT 1"
    ).row(0)
    links = "親取引先ID,子取引先ID,供給品目\r\n自社,S000001,部品\r\n自社,NOPE-1,部品\r\n".encode("cp932")
    # a supplier row with a number another supplier holds, and a link to an unknown supplier
    rows = supplier_list(("N-010", "丁谷化成", known[1]), ("N-011", "戊田電子", ""))
    reports = analyse(store, [("links.csv", links), ("master.csv", rows)])
    by_name = {r.name: r for r in reports}
    assert by_name["links.csv"].status == "ready"
    assert [p.key for r in by_name["links.csv"].refused for p in r.problems] == ["intake.link_end_unknown"]
    assert by_name["links.csv"].refused[0].location == "links.csv line 3"
    assert [p.key for r in by_name["master.csv"].refused for p in r.problems] == ["intake.number_taken"]
    commit(store, reports)
    assert imported_suppliers(store, ["N-010", "N-011"]) == {"N-011"}
    assert store.scalar("SELECT count(*) FROM supplier_link WHERE child_id = 'NOPE-1'") == 0


def test_a_file_imported_for_one_supplier_may_go_to_another_when_the_person_says_so(store):
    workbook = samples.scs_self_assessment_workbook(answered_on="2026-10-01")
    commit(store, analyse(store, [("answers.xlsx", workbook)], supplier_id="S000001"))
    [seen] = analyse(store, [("answers.xlsx", workbook)], supplier_id="S000002")
    assert seen.status == "duplicate" and seen.previous_suppliers == ["S000001"]
    assert "S000001" in seen.warnings[0].text("ja")
    assert intake.may_import_again(seen, "S000002") and not intake.may_import_again(seen, "S000001")
    [chosen] = analyse(store, [("answers.xlsx", workbook)], supplier_id="S000002", again=[seen.sha256])
    assert chosen.status == "ready" and chosen.again
    [done] = commit(store, [chosen])
    assert done.status == "imported"
    owners = store.frame("SELECT DISTINCT supplier_id FROM submission WHERE sha256 = ? ORDER BY 1", [seen.sha256])
    assert owners["supplier_id"].to_list() == ["S000001", "S000002"]


def test_the_import_says_what_changed_per_supplier(store):
    workbook = samples.scs_self_assessment_workbook(answered_on="2026-10-01")
    reports = analyse(store, [("answers.xlsx", workbook)], supplier_id="S000005")
    before = intake.standing(store, TODAY, intake.touched(reports))
    done = commit(store, reports)
    after = intake.standing(store, TODAY, intake.touched(done))
    changes = intake.changes(before, after, done, "ja")
    row = changes.row(0, named=True)
    assert row["supplier_id"] == "S000005" and row["name"]
    assert row["star3_after"] is not None
    assert row["star3_after"] != row["star3_before"]
    assert row["new_flags"] == len(row["new_flag_reasons"] or [])


def test_the_cli_imports_the_valid_rows_and_writes_the_refused_ones(store, tmp_path: Path):
    data = supplier_list(("N-001", "甲山精機", GOOD_NUMBER), ("N-002", "乙川工業", BAD_NUMBER))
    path = tmp_path / "取引先.csv"
    path.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    runner = CliRunner()
    result = runner.invoke(
        main, ["--lang", "ja", "import", str(path), "--refused-dir", str(out), "--db", str(store.path)]
    )
    assert result.exit_code == 0, result.output
    assert "取り込み済" in result.output and "チェックデジット" in result.output
    refused = out / "取引先-refused.csv"
    assert refused.exists() and "N-002" in refused.read_text(encoding="utf-8-sig")
    assert imported_suppliers(store, ["N-001", "N-002"]) == {"N-001"}
    # all or nothing: the same kind of list with a bad row writes nothing
    path.write_bytes(supplier_list(("N-003", "丙野製作所", ""), ("N-004", "乙川工業", BAD_NUMBER)))
    strict = runner.invoke(main, ["import", str(path), "--all-or-nothing", "--json", "--db", str(store.path)])
    assert strict.exit_code == 1
    [report] = json.loads(strict.stdout)
    assert report["status"] == "rejected" and report["errors"][0]["key"] == "corporate_number.check_digit"
    assert not imported_suppliers(store, ["N-003"])
