"""Golden-file tests: each format, built here, read into the exact records expected."""

import io
from datetime import date

import openpyxl
import pytest
from golden import assert_golden
from support import samples

from importers import checklist, ipa_5min, json_exchange, lists, scs_self_assessment, template
from importers.base import ImportContext, SourceFile, SourceFileError
from questionnaires.frameworks import shipped_profiles
from registry.services.templates import build_template

PROFILES = shipped_profiles()
CONTEXT = ImportContext(profiles=PROFILES)
MARKS = ["○", "◯", "〇", "△", "▲", "✖", "×", "✕", "x", "済", "未", "はい", "いいえ", None]


def test_scs_self_assessment_golden():
    marks = (MARKS * 20)[:153]
    data = samples.scs_self_assessment_workbook(supplier_id="S000001", answered_on="令和8年4月1日", marks=marks)
    batch = scs_self_assessment.parse(SourceFile("scs.xlsx", data), CONTEXT)
    sub = batch.submissions[0]
    assert (sub.framework_id, sub.catalogue_version, sub.level, sub.submitted_on) == (
        "scs",
        "2026-03-27",
        4,
        date(2026, 4, 1),
    )
    assert sub.supplier.supplier_id == "S000001"
    statuses = [a.status for a in sub.answers[:14]]
    assert statuses == ["met"] * 3 + ["partial"] * 2 + ["not_met"] * 4 + ["met", "not_met", "met", "not_met", "unknown"]
    assert sub.answers[0].location == "scs.xlsx: 自己評価!O3"
    assert_golden("scs_self_assessment", batch)


def test_scs_star3_sheet_and_draft_version_are_recognised():
    star3 = scs_self_assessment.parse(
        SourceFile("s3.xlsx", samples.scs_self_assessment_workbook(level=3, seed=2)), CONTEXT
    )
    assert (star3.submissions[0].level, len(star3.submissions[0].answers)) == (3, 81)
    draft = scs_self_assessment.parse(
        SourceFile("d.xlsx", samples.scs_self_assessment_workbook(version="2025-12", seed=2)), CONTEXT
    )
    assert draft.submissions[0].catalogue_version == "2025-12"
    assert any("draft" in w.message for w in draft.warnings)


def test_unmerged_official_layout_reads_the_same():
    merged = samples.scs_self_assessment_workbook(seed=4)
    plain = samples.scs_self_assessment_workbook(seed=4, merge=False)
    a = scs_self_assessment.parse(SourceFile("a.xlsx", merged), CONTEXT).submissions[0].answers
    b = scs_self_assessment.parse(SourceFile("a.xlsx", plain), CONTEXT).submissions[0].answers
    assert a == b


def test_our_template_round_trip_golden():
    blank = build_template("scs", "S000002", level=3, generated_on=date(2026, 11, 23))
    wb = openpyxl.load_workbook(io.BytesIO(blank))
    assert wb.sheetnames == ["記入方法", "回答", "再委託先", "_monosashi"]
    assert wb["_monosashi"].sheet_state == "hidden"
    answers = wb["回答"]
    assert answers.protection.sheet and answers["D6"].protection.locked and not answers["E6"].protection.locked
    assert answers.data_validations.dataValidation[0].formula1 == '"○,△,✖"'
    answers["B3"] = "2026-10-15"
    for row in range(6, 6 + 81):
        answers.cell(row, 5, ["○", "△", "✖"][row % 3])
    answers["F6"] = "規程第3条"
    subs = wb["再委託先"]
    subs["A2"], subs["B2"], subs["C2"], subs["D2"] = (
        "有限会社テスト加工",
        "７０００ ０１２０５０００２",
        "切削加工",
        "はい",
    )
    buf = io.BytesIO()
    wb.save(buf)
    source = SourceFile("filled.xlsx", buf.getvalue())
    assert template.sniff(source, CONTEXT) == 1.0
    batch = template.parse(source, CONTEXT)
    sub = batch.submissions[0]
    assert (sub.supplier.supplier_id, sub.framework_id, sub.level, sub.submitted_on) == (
        "S000002",
        "scs",
        3,
        date(2026, 10, 15),
    )
    assert len(sub.answers) == 81 and sub.answers[0].reason == "規程第3条"
    assert [(s.name, s.corporate_number, s.critical) for s in sub.subcontractors] == [
        ("有限会社テスト加工", "7000012050002", True)
    ]
    assert_golden("template_scs_star3", batch)


@pytest.mark.parametrize(
    "framework",
    ["ipa_5min", "profile.towa-motors-2025", "profile.minato-semiconductor-2026", "profile.jama-japia-v2-3"],
)
def test_templates_of_every_framework_import_back(framework):
    blank = build_template(framework, "S000003", generated_on=date(2026, 11, 23))
    wb = openpyxl.load_workbook(io.BytesIO(blank))
    ws = wb["回答"]
    allowed = ws.data_validations.dataValidation[0].formula1.strip('"').split(",")
    row = 6
    while ws.cell(row, 1).value is not None:
        ws.cell(row, 5, allowed[row % len(allowed)])
        row += 1
    buf = io.BytesIO()
    wb.save(buf)
    batch = template.parse(SourceFile("t.xlsx", buf.getvalue()), CONTEXT)
    assert batch.submissions[0].framework_id == framework
    assert len(batch.submissions[0].answers) == row - 6
    if framework == "ipa_5min":
        assert batch.submissions[0].score is not None and batch.submissions[0].band


def test_ipa_5min_csv_golden_with_total_and_band():
    answers = ["実施している"] * 15 + ["一部実施している"] * 5 + ["実施していない"] * 3 + ["わからない"] * 2
    batch = ipa_5min.parse(SourceFile("ipa.csv", samples.ipa_5min_csv(answers, supplier_id="S000004")), CONTEXT)
    sub = batch.submissions[0]
    assert (sub.score, sub.band) == (15 * 4 + 5 * 2 + 0 - 2, "50〜69点: 改善が必要")
    assert sub.supplier.supplier_id == "S000004"
    assert_golden("ipa_5min", batch)


def test_ipa_5min_scores_instead_of_labels():
    data = samples.ipa_5min_csv(["4"] * 25).decode().replace("\r\n", "\n").encode("cp932")
    sub = ipa_5min.parse(SourceFile("scores.csv", data), ImportContext(supplier_id="S1")).submissions[0]
    assert (sub.score, sub.band) == (100, "100点: 優良")


def test_towa_checklist_profile_golden():
    profile = PROFILES["towa-motors-2025"]
    answers = {i.id: ["はい", "一部", "いいえ", "該当なし", None][n % 5] for n, i in enumerate(profile.items)}
    data = samples.checklist_workbook(
        profile, answers, supplier_label_values={"取引先コード": "S000005", "記入日": "2026/9/30"}
    )
    source = SourceFile("towa.xlsx", data)
    assert checklist.sniff(source, CONTEXT) > 0
    batch = checklist.parse(source, CONTEXT)
    sub = batch.submissions[0]
    assert (sub.framework_id, sub.submitted_on, len(sub.answers)) == ("profile.towa-motors-2025", date(2026, 9, 30), 20)
    assert [a.status for a in sub.answers[:5]] == ["met", "partial", "not_met", "not_applicable", "unknown"]
    assert_golden("checklist_towa", batch)


def test_minato_checklist_with_numeric_scores():
    profile = PROFILES["minato-semiconductor-2026"]
    data = samples.checklist_workbook(
        profile,
        {"Q1.1": "3", "Q1.2": "1", "Q2.1": "0", "Q3.1": "N/A"},
        supplier_label_values={"法人番号": "7000012050002"},
    )
    sub = checklist.parse(SourceFile("m.xlsx", data), CONTEXT).submissions[0]
    assert [a.status for a in sub.answers] == ["met", "partial", "not_met", "not_applicable"]
    assert sub.supplier.corporate_number == "7000012050002"


def test_jama_checklist_items_come_from_the_official_citations():
    profile = PROFILES["jama-japia-v2-3"]
    items = {i.id: i for i in profile.resolved_items()}
    assert {m.criterion for m in items["9"].maps} == {"1-1-1-1", "1-1-1-3"}
    assert items["9"].level == "Lv1"
    data = samples.checklist_workbook(profile, {"9": "達成", "10": "一部達成", "999": "未達成"})
    with pytest.raises(SourceFileError) as err:
        checklist.parse(SourceFile("j.xlsx", data), ImportContext(profiles=PROFILES, supplier_id="S1"))
    assert (
        "item '999' is not in profile jama-japia-v2-3" in str(err.value.problems)
        or "999" in err.value.problems[0].message
    )


def test_supplier_master_golden_with_duplicate_warning():
    data = samples.supplier_master_csv(
        [
            {
                "supplier_id": "A1",
                "name": "株式会社アルファ",
                "corporate_number": "７０００ ０１２０ ５０００２",
                "employees": 120,
                "has_security_staff": "有",
            },
            {"supplier_id": "A2", "name": "アルファ（株）", "employees": "15"},
        ]
    )
    source = SourceFile("suppliers.csv", data)
    batch = lists.supplier_master.parse(source, CONTEXT)
    assert [s.supplier_id for s in batch.suppliers] == ["A1", "A2"]
    assert batch.suppliers[0].corporate_number == "7000012050002" and batch.suppliers[0].has_security_staff is True
    assert "looks like the same company as row 2" in batch.warnings[0].message
    assert_golden("supplier_master", batch)


def test_supplier_master_with_contacts_and_owner_golden():
    """One contact per row: a row repeating a supplier with the same (or empty) supplier columns
    adds a contact; a bad e-mail, a half contact, an unknown language or a row that says another
    name for the supplier is refused at its cell."""
    data = (
        "取引先ID,会社名,法人番号,担当者名,メールアドレス,言語,社内担当\n"
        "C1,株式会社シー,7000012050002,田中 一郎,tanaka@c.example.jp,,hanako\n"
        "C1,株式会社シー,7000012050002,Jane Smith,jane@c.example.com,English,\n"
        "C1,,,Ken Ito,ito@c.example.jp,en,hanako\n"
        "C2,株式会社ディー,,佐藤 花子,sato@d.example.jp,日本語,\n"
        "C2,株式会社ディー,,佐藤,not-an-address,,\n"
        "C2,株式会社ディー,,,suzuki@d.example.jp,,\n"
        "C2,株式会社ディー,,SATO,SATO@d.example.jp,,\n"
        "C2,株式会社デー,,鈴木,suzuki@d.example.jp,,\n"
        "C3,株式会社イー,,高橋,takahashi@e.example.jp,フランス語,\n"
        "C4,株式会社エフ,,,,,taro@buyer.example.jp\n"
    ).encode()
    batch = lists.supplier_master.parse(SourceFile("contacts.csv", data), CONTEXT)
    assert [s.supplier_id for s in batch.suppliers] == ["C1", "C2", "C4"]
    assert [(c.contact.supplier_id, c.contact.email, c.contact.language) for c in batch.contacts] == [
        ("C1", "tanaka@c.example.jp", "ja"),
        ("C1", "jane@c.example.com", "en"),
        ("C1", "ito@c.example.jp", "en"),
        ("C2", "sato@d.example.jp", "ja"),
    ]
    assert [(o.supplier_id, o.owner, o.location) for o in batch.owners] == [
        ("C1", "hanako", "contacts.csv line 2, column 7"),
        ("C4", "taro@buyer.example.jp", "contacts.csv line 11, column 7"),
    ]
    refused = {r.location: [(p.location, p.key) for p in r.problems] for r in batch.refused_rows}
    assert refused == {
        "contacts.csv line 6": [("contacts.csv line 6, column 5", "email.invalid")],
        "contacts.csv line 7": [("contacts.csv line 7, column 4", "list.contact_name_missing")],
        "contacts.csv line 8": [("contacts.csv line 8, column 5", "list.contact_repeats")],
        "contacts.csv line 9": [("contacts.csv line 9, column 2", "list.contact_row_differs")],
        "contacts.csv line 10": [("contacts.csv line 10, column 6", "list.contact_language")],
    }
    assert_golden("supplier_master_contacts", batch)


def test_supplier_master_contact_columns_in_english_and_a_name_without_an_email():
    data = "supplier_id,name,contact_name,contact_email,language,owner\nE1,Eee Ltd,Ann,,en,\nE2,Fff Ltd,,,,\n"
    batch = lists.supplier_master.parse(SourceFile("e.csv", data.encode()), CONTEXT)
    assert [s.supplier_id for s in batch.suppliers] == ["E2"] and not batch.contacts
    (problem,) = batch.refused_rows[0].problems
    assert (problem.location, problem.key) == ("e.csv line 2, column 4", "list.contact_email_missing")
    assert problem.said("ja").startswith("連絡先 Ann のメールアドレスが空欄です")


def test_a_repeated_supplier_without_a_contact_is_still_refused():
    data = "取引先ID,会社名,メールアドレス,担当者名\nR1,株式会社アール,,\nR1,株式会社アール,,\n"
    batch = lists.supplier_master.parse(SourceFile("r.csv", data.encode()), CONTEXT)
    assert [s.supplier_id for s in batch.suppliers] == ["R1"]
    assert batch.refused_rows[0].problems[0].key == "list.supplier_id_repeats"


def test_links_golden():
    data = samples.supplier_links_csv(
        [("自社", "A1", "ブレーキ部品", True), ("A1", "A2", None, False), ("A1", "A2", None, False)]
    )
    batch = lists.supplier_links.parse(SourceFile("links.csv", data), CONTEXT)
    assert [(link.parent_id, link.child_id, link.critical) for link in batch.links] == [
        ("@buyer", "A1", True),
        ("A1", "A2", False),
    ]
    assert "repeats row 3; kept once" in batch.warnings[0].message
    assert_golden("supplier_links", batch)


def test_security_action_list_in_shift_jis_golden():
    data = samples.security_action_csv(
        [("A1", "二つ星", "123456789", "R7.4.1"), ("A2", "★1", "223456789", "2025/06/30")]
    )
    batch = lists.security_action.parse(SourceFile("sa.csv", data), CONTEXT)
    assert [(c.scheme, c.issued_on) for c in batch.certificates] == [
        ("security_action_star2", date(2025, 4, 1)),
        ("security_action_star1", date(2025, 6, 30)),
    ]
    assert_golden("security_action", batch)


def test_json_exchange_golden():
    data = samples.exchange_json(
        suppliers=[{"supplier_id": "J1", "name": "株式会社ジェイ", "corporate_number": "7000012050002"}],
        submissions=[
            {
                "supplier_id": "J1",
                "framework_id": "scs",
                "framework_version": "2026-03-27",
                "catalogue_version": "2026-03-27",
                "level": 3,
                "submitted_on": "2026-05-01",
                "answers": [{"item_id": "1-2-1-1", "status": "met", "raw_answer": "○"}],
            }
        ],
    )
    batch = json_exchange.parse(SourceFile("x.json", data), CONTEXT)
    assert batch.submissions[0].answers[0].status == "met"
    assert_golden("json_exchange", batch)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings_are_detected(encoding):
    data = samples.supplier_master_csv([{"supplier_id": "E1", "name": "株式会社エンコード"}], encoding=encoding)
    assert lists.supplier_master.parse(SourceFile("e.csv", data), CONTEXT).suppliers[0].name == "株式会社エンコード"


def test_tsv_is_read():
    data = "取引先ID\t会社名\nT1\t株式会社タブ\n".encode()
    assert lists.supplier_master.parse(SourceFile("t.tsv", data), CONTEXT).suppliers[0].supplier_id == "T1"
