"""★ requests (states from the data, bulk import, letters) and support (menus, gap reports)."""

import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from conftest import AS_OF, BUYER, SYSTEM, make_store
from golden import assert_golden
from openpyxl import load_workbook

from importers.base import ImportContext, SourceFile
from importers.lists import level_requests
from questionnaires.catalogue import available_versions, load_catalogue
from questionnaires.support import load_menus, load_remedies
from registry.cli import main
from registry.domain.actor import Actor
from registry.domain.models import LevelRequest, Supplier
from registry.errors import MonosashiError
from registry.services import documents, requests, support
from registry.store.suppliers import add_supplier


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(tmp_path / "r.duckdb")
    add_supplier(store, Supplier(supplier_id="A", name="株式会社A", employees=20, has_security_staff=False), BUYER)
    add_supplier(store, Supplier(supplier_id="B", name="株式会社B", corporate_number="7000012050002"), BUYER)
    return store


def ask(store, supplier="A", level=3, due=AS_OF + timedelta(days=100), requested=AS_OF - timedelta(days=200)):
    requests.save_request(
        store,
        LevelRequest(
            request_id=f"R-{supplier}",
            supplier_id=supplier,
            requested_level=level,
            requested_on=requested,
            due_on=due,
            holds_confidential_info=level == 4,
            outage_delays_buyer=False,
            reaches_buyer_network=False,
        ),
        Actor.person("buyer@example", "buyer"),
    )


def state_of(store, supplier="A", as_of=AS_OF) -> str:
    return requests.current_requests(store, as_of, [supplier])["state"][0]


def test_achieved_and_overdue_follow_from_the_data(store):
    ask(store, due=AS_OF - timedelta(days=1))
    assert state_of(store) == "draft"  # never sent: not overdue
    requests.set_request_state(store, ["R-A"], "sent", AS_OF - timedelta(days=150), BUYER)
    assert state_of(store) == "overdue"
    assert state_of(store, as_of=AS_OF - timedelta(days=2)) == "sent"
    with store.transaction(SYSTEM) as tx:
        tx.execute(
            "INSERT INTO certificate (certificate_id, supplier_id, scheme, issued_on, created_at) VALUES ('C', 'A', 'scs_star3', ?, TIMESTAMP '2026-11-23 12:00:00')",
            [AS_OF - timedelta(days=5)],
        )
    assert state_of(store) == "achieved"
    assert state_of(store, as_of=AS_OF - timedelta(days=6)) == "sent"


def test_request_steps_go_forward_only_and_are_audited(store):
    ask(store)
    with pytest.raises(MonosashiError, match="Cannot mark Acknowledged: R-A \\(Draft\\)"):
        requests.set_request_state(store, ["R-A"], "acknowledged", AS_OF, BUYER)
    requests.set_request_state(store, ["R-A"], "sent", AS_OF, BUYER)
    requests.set_request_state(store, ["R-A"], "acknowledged", AS_OF + timedelta(days=3), BUYER)
    row = requests.current_requests(store, AS_OF + timedelta(days=3), ["A"]).row(0, named=True)
    assert (row["sent_on"], row["acknowledged_on"], row["decided_by"]) == (
        AS_OF,
        AS_OF + timedelta(days=3),
        "buyer@example",
    )
    with pytest.raises(MonosashiError, match="follows from the data"):
        requests.set_request_state(store, ["R-A"], "achieved", AS_OF, BUYER)
    actions = store.frame("SELECT action FROM audit_log WHERE entity = 'level_request' ORDER BY audit_id")["action"]
    assert actions.to_list() == ["add_request", "request_sent", "request_acknowledged"]


def test_unknown_supplier_is_refused(store):
    with pytest.raises(MonosashiError, match="does not exist"):
        ask(store, supplier="ZZZ")


REQUEST_LIST = (
    "取引先ID,法人番号,要請レベル,要請日,期日,機密情報を扱う,停止で納入が遅れる,社内システムに接続,判断理由\r\n"
    "A,,★3,2026-04-01,2027-03-31,いいえ,いいえ,いいえ,\r\n"
    ",7000012050002,4,令和8年4月1日,2027-03-31,はい,いいえ,いいえ,\r\n"
)


def test_request_list_golden():
    source = SourceFile("requests.csv", REQUEST_LIST.encode("utf-8-sig"))
    assert level_requests.sniff(source, ImportContext()) > 0.5
    assert_golden("level_requests", level_requests.parse(source, ImportContext()))


def test_request_list_imports_in_bulk_with_clear_rejections(store, tmp_path):
    good = tmp_path / "requests.csv"
    good.write_text(REQUEST_LIST, encoding="utf-8-sig")
    runner = CliRunner()
    result = runner.invoke(main, ["requests", "import", str(good), "--db", str(store.path), "--json"])
    assert result.exit_code == 0, result.output
    current = requests.current_requests(store, AS_OF).sort("supplier_id")
    assert current.select("supplier_id", "requested_level", "recommended_level").rows() == [("A", 3, 3), ("B", 4, 4)]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "取引先ID,要請レベル,要請日,期日,機密情報を扱う\r\nA,★5,2026-04-01,2027-03-31,はい\r\nB,★3,2026-04-01,2027-03-31,はい\r\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["requests", "import", str(bad), "--db", str(store.path), "--json"])
    assert result.exit_code == 1
    errors = json.loads(result.stdout)[0]["errors"]
    assert {e["message"] for e in errors} == {
        "expected ★3 or ★4, found ★5",
        "the three questions recommend ★4; a request for ★3 needs a reason",
    }
    assert all("bad.csv line " in e["location"] for e in errors)
    assert requests.current_requests(store, AS_OF).height == 2  # nothing of the bad file was written


def test_request_letter_is_a_clear_japanese_document(store):
    ask(store, level=4)
    data = documents.request_letter_xlsx(store, AS_OF, "A", buyer_name="架空自動車株式会社 調達部", contact="担当 佐藤")
    sheet = load_workbook(io.BytesIO(data)).active
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    for expected in (
        "株式会社A　御中",
        "架空自動車株式会社 調達部",
        "★4",
        "令和9年3月3日",
        "価格協議",
        "下請法",
        "独占禁止法",
        "はい（弊社の重要な機密情報",
    ):
        assert expected in text, expected
    with pytest.raises(MonosashiError, match="no ★ request"):
        documents.request_letter_xlsx(store, AS_OF, "B", buyer_name="x", contact="")


def _letter_text(store, issued_on):
    data = documents.request_letter_xlsx(
        store,
        AS_OF,
        "A",
        buyer_name="架空自動車株式会社 調達部",
        contact="調達部 佐藤 03-0000-0000",
        issued_on=issued_on,
    )
    sheet = load_workbook(io.BytesIO(data)).active
    return "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)


def test_the_letter_commits_to_price_talks_and_says_what_a_star_is(store):
    """The buyer opens the price talks itself, names the contact, and quotes the scheme: a ★ is
    not a rating and guarantees nothing after its issue or renewal."""
    ask(store, level=4)
    text = _letter_text(store, AS_OF)
    assert "弊社から積極的に価格協議の場を設けます" in text and "調達部 佐藤 03-0000-0000" in text
    assert "お申し出があった場合" not in text  # no longer only "if the supplier asks"
    assert "「格付け」ではなく" in text and "保証するものではありません" in text
    assert "実証段階" in text  # お助け隊 (new type) is a planned service, in its pilot


def test_a_letter_written_before_the_scheme_starts_says_it_is_planned(store):
    ask(store, level=4)
    assert "令和9年3月31日頃に開始される予定" in _letter_text(store, AS_OF)  # the default start: 2027-03-31
    assert "開始される予定" not in _letter_text(store, date(2027, 4, 1))


# -- support -----------------------------------------------------------------------------------------


def test_every_requirement_has_a_remedy_and_the_menus_are_complete():
    remedies = load_remedies()
    for version in available_versions():
        assert {r.id for r in load_catalogue(version).requirements} <= set(remedies.requirements)
    kinds = {remedies.themes[t].kind for t in remedies.requirements.values()}
    assert kinds == {"tool", "organisational"}
    for theme in (
        "monitoring",
        "malware",
        "backup",
        "patching",
        "policy",
        "rules",
        "procedures",
        "education",
        "incident_plan",
    ):
        assert theme in remedies.themes
    assert [m.label for m in load_menus().menus] == ["SCS★3", "SCS★3+", "SCS★4", "SCS★4+"]


def test_menu_follows_the_target_and_the_need_for_on_site_help():
    frame = pl.DataFrame(
        {
            "target_level": [3, 3, 4, 4, 4],
            "has_security_staff": [True, False, True, None, True],
            "far_from_it_support": [False, False, None, True, True],
        }
    )
    chosen = support.menu_choice(frame, "en")
    assert chosen["menu"].to_list() == ["SCS★3", "SCS★3+", "SCS★4", "SCS★4+", "SCS★4+"]
    assert chosen["menu_reason"][1] == "target ★3; no security staff: on-site help added"
    assert chosen["menu_reason"][2] == "target ★4"
    assert "IT支援拠点から遠い" in support.menu_choice(frame, "ja")["menu_reason"][3]


def answer(store, supplier: str, marks: dict[str, str]) -> None:
    from support import samples

    from registry.services import intake

    chosen = [marks.get(c.id, "○") for c in load_catalogue().criteria]
    data = samples.scs_self_assessment_workbook(supplier_id=supplier, answered_on="2026-11-01", marks=chosen)
    reports = intake.analyse(store, [SourceFile(f"{supplier}.xlsx", data)], supplier_id=supplier)
    intake.commit(store, reports, mode="per_file", actor=BUYER, today=AS_OF)


def test_gap_report_lists_every_gap_with_evidence_and_next_step(store):
    ask(store, level=3)
    criteria = [c for c in load_catalogue().criteria if c.level == 3]
    marks = {criteria[0].id: "✖", criteria[1].id: "△", criteria[2].id: ""}
    marks[next(c.id for c in load_catalogue().criteria if c.id.startswith("4-4-5"))] = "✖"  # malware: a tool
    answer(store, "A", marks)
    report = support.gap(store, AS_OF, "A")
    assert report.target_level == 3 and report.menu == "SCS★3+"  # small, no security staff
    assert set(report.gaps["criterion_id"]) == set(marks)
    assert report.readiness == pytest.approx((81 - 4) / 81)
    book = load_workbook(io.BytesIO(documents.gap_report_xlsx(report, "ja")))
    assert book.sheetnames == ["概要", "未充足項目", "支援の進め方"]
    gaps = book["未充足項目"]
    header = [c.value for c in gaps[1]]
    assert header == [
        "基準ID",
        "★",
        "状態",
        "要求事項",
        "概要（当社作成）",
        "対策の種類",
        "対策",
        "保有している根拠",
        "次にすること",
    ]
    rows = {r[0]: r for r in gaps.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(marks)
    malware = rows[next(k for k in marks if k.startswith("4-4-5"))]
    assert (malware[2], malware[5], malware[6]) == ("未充足", "ツール・サービス", "マルウェア対策")
    assert "SCS 自己評価 A.xlsx" in malware[7] and "マルウェア対策ソフト" in malware[8]
    summary = {r[0]: r[1] for r in book["概要"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert summary["目標の★"] == "★3" and summary["推奨するお助け隊メニュー"].startswith("SCS★3+")
    plan = [r for r in book["支援の進め方"].iter_rows(min_row=2, values_only=True)]
    assert sum(r[2] for r in plan) == 4 and plan[0][0] == "ツール・サービス"
    english = load_workbook(io.BytesIO(documents.gap_report_xlsx(support.gap(store, AS_OF, "A", lang="en"), "en")))
    assert english.sheetnames == ["Summary", "Gaps", "Support plan"]


def test_gap_report_neutralises_supplier_text(store):
    with store.transaction(SYSTEM) as tx:
        tx.execute("UPDATE supplier SET name = '=HYPERLINK(\"http://x\")' WHERE supplier_id = 'B'")
    book = load_workbook(io.BytesIO(documents.gap_report_xlsx(support.gap(store, AS_OF, "B"), "ja")))
    assert book["概要"]["B3"].value.startswith("'=HYPERLINK")
    assert book["概要"]["B3"].data_type == "s"


def test_gap_reports_in_bulk_and_from_the_cli(store, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(documents.gap_reports_zip(store, AS_OF, ["A", "B"])))
    assert archive.namelist() == ["gap-A.xlsx", "gap-B.xlsx"]
    out = tmp_path / "gap.xlsx"
    result = CliRunner().invoke(main, ["gap-report", "A", "-o", str(out), "--level", "4", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out)["未充足項目"].max_row == 153 + 1  # nothing known: every ★4 criterion
    result = CliRunner().invoke(main, ["gap-report", "NOPE", "-o", str(out), "--db", str(store.path)])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_support_candidates_rank_the_most_in_need_first(store):
    from registry.services import flags

    ask(store, "A", level=3)
    ask(store, "B", level=4)
    answer(store, "A", {c.id: "✖" for c in load_catalogue().criteria})
    answer(store, "B", {c.id: "✖" for c in load_catalogue().criteria if c.id[0] in "126"})
    flags.refresh(store, AS_OF, actor=BUYER)
    ranked = support.candidates(store, AS_OF, "en")
    assert ranked["supplier_id"].to_list() == ["A", "B"]  # A: low readiness, weak categories, no staff
    assert ranked.row(0, named=True)["menu"] == "SCS★3+" and ranked.row(1, named=True)["menu"] == "SCS★4"
    assert "Readiness for ★3 is 0%" in ranked["reasons"][0]


def test_cli_flags_json_has_the_documented_fields(store):
    ask(store, "A", level=3, due=AS_OF - timedelta(days=3))
    requests.set_request_state(store, ["R-A"], "sent", AS_OF - timedelta(days=100), BUYER)
    runner = CliRunner()
    result = runner.invoke(main, ["flags", "--as-of", str(AS_OF), "--json", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    below = next(r for r in rows if r["kind"] == "below_request")
    assert {"supplier_id", "kind", "severity", "reason", "state"} <= set(below)
    assert (below["supplier_id"], below["severity"], below["state"]) == ("A", "critical", "open")
    result = runner.invoke(
        main, ["flags", "set", str(below["flag_id"]), "--state", "dismissed", "--db", str(store.path)]
    )
    assert result.exit_code == 1 and "needs a reason" in result.output
    runner.invoke(main, ["flags", "set", str(below["flag_id"]), "--state", "acknowledged", "--db", str(store.path)])
    again = json.loads(runner.invoke(main, ["flags", "--as-of", str(AS_OF), "--json", "--db", str(store.path)]).stdout)
    assert next(r for r in again if r["flag_id"] == below["flag_id"])["state"] == "acknowledged"
    only = json.loads(
        runner.invoke(main, ["flags", "--no-derive", "--kind", "stale", "--json", "--db", str(store.path)]).stdout
    )
    assert {r["kind"] for r in only} <= {"stale"}


def test_demo_has_requests_in_every_state_and_flags(tmp_path):
    from registry.services import flags
    from registry.services.maintenance import ensure_ready
    from registry.store import Store

    store = Store(tmp_path / "demo.duckdb")
    assert ensure_ready(store, 300, date(2026, 11, 23))
    # Before SCS ★3/★4 start (2027-03-31 by default) no request can be due nor met: the demo
    # follows the scheme's timeline.
    before = requests.current_requests(store, date(2026, 11, 23))
    assert set(before["state"]) == {"draft", "sent", "acknowledged"}
    assert (before["due_on"] > date(2027, 3, 31)).all()
    assert set(flags.flags(store)["kind"]) >= {"renewal", "needs_support", "stale", "coverage_hole"}
    later = date(2028, 6, 1)
    assert {"achieved", "overdue"} <= set(requests.current_requests(store, later)["state"])
    flags.refresh(store, later, actor=SYSTEM)
    assert "below_request" in set(flags.flags(store)["kind"])


def test_the_new_otasuketai_type_is_recommended_as_a_planned_service_in_its_pilot(store):
    """The お助け隊 new type is piloted (令和8年8月〜令和9年9月): a recommendation says so."""
    ask(store, level=3)
    japanese = support.gap(store, AS_OF, "A", lang="ja")
    english = support.gap(store, AS_OF, "A", lang="en")
    assert "計画中のサービス" in japanese.menu_description and "令和8年8月〜令和9年9月" in japanese.menu_description
    assert "planned service (pilot" in english.menu_description
