"""Every page under AppTest, on the demo registry and on an empty one."""

import json
from pathlib import Path

import pytest
from conftest import SYSTEM, lock_held_by_another_process, make_store
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_app(monkeypatch, db: Path, demo_suppliers: int = 0, single_user: bool = True) -> AppTest:
    """The app on ``db``; in single-user local mode unless asked not to (tests/test_access.py
    signs in for real)."""
    monkeypatch.setenv("MONOSASHI_DB", str(db))
    monkeypatch.setenv("MONOSASHI_DEMO_SUPPLIERS", str(demo_suppliers))
    if single_user:
        monkeypatch.setenv("MONOSASHI_SINGLE_USER", "1")
    else:
        monkeypatch.delenv("MONOSASHI_SINGLE_USER", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_first_start_fills_the_demo_and_overview_shows_real_figures(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "first.duckdb", demo_suppliers=120)
    assert at.title[0].value == "概要"
    shown = metrics(at)
    assert shown["取引先数"] == "120"
    assert {"要請★を満たす", "90日以内に期限切れ", "重大のフラグ"} <= set(shown)
    assert "SCSカタログ 2026-03-27" in at.caption[0].value.replace("\\", "")  # values are escaped for Markdown
    assert len(at.get("plotly_chart")) == 4  # ★ held by tier, requested vs held, readiness, category heat map


def test_overview_figures_match_the_database(monkeypatch, tmp_path):
    from datetime import date, timedelta

    from registry.services import dashboard, flags

    store = make_store(tmp_path / "r.duckdb", suppliers=300, seed=8, as_of=date.today())
    flags.replay(store, date.today(), months=2, actor=SYSTEM)
    at = open_app(monkeypatch, store.path)
    now = dashboard.kpis(store, date.today())
    before = dashboard.kpis(store, date.today() - timedelta(days=30))
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown["90日以内に期限切れ"][0] == f"{now.expiring:,}"
    assert shown["要請★を満たす"][0] == f"{now.share_meeting_request:.0%}"
    critical = shown["重大のフラグ"]
    assert critical[0] == f"{now.open_flags['critical']:,}"
    expected = now.open_flags["critical"] - before.open_flags["critical"]
    assert critical[1] == (f"{expected:+,}" if expected else None)
    assert shown["取引先数"][1] == f"{now.suppliers - before.suppliers:+,}"  # the demo registers some each month
    links = [link.proto.page for link in at.get("page_link")]
    assert any("suppliers" in page for page in links)


def test_overview_links_lead_to_the_filtered_list(monkeypatch, tmp_path):
    from datetime import date

    from registry.services import directory

    store = make_store(tmp_path / "r.duckdb", suppliers=200, seed=8, as_of=date.today())
    at = open_app(monkeypatch, store.path)
    link = next(link for link in at.get("page_link") if link.proto.label == "要請★に届いていない取引先")
    params = dict(p.split("=") for p in link.proto.query_string.split("&")) if link.proto.query_string else {}
    assert params.get("below_request") == "1"
    at.query_params.update(params)
    at.switch_page("dashboards/pages/suppliers.py").run()
    assert not at.exception
    query, _ = directory.query_from_params(params)
    expected = directory.directory(store, date.today(), query)
    assert at.checkbox(key="dir_below").value is True
    assert f"該当 {expected.total} 社" in at.caption[0].value
    assert at.dataframe[0].value.shape[0] == min(50, expected.total)


def test_language_switch_changes_every_text(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "r.duckdb", demo_suppliers=50)
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "Suppliers" in metrics(at)
    at.switch_page("dashboards/pages/catalogue.py").run()
    assert at.title[0].value == "SCS catalogue"  # the choice is kept for the session
    at.radio(key="catalogue_level.en").set_value("★3 criteria").run()
    at.sidebar.radio(key="lang").set_value("ja").run()
    assert at.radio(key="catalogue_level.ja").value == "★3 の評価基準"  # the filter survives a language switch
    assert at.dataframe[0].value.shape[0] == 81


def test_as_of_date_changes_the_figures(monkeypatch, tmp_path):
    from datetime import date, timedelta

    make_store(tmp_path / "r.duckdb", suppliers=300, seed=8, as_of=date.today())
    at = open_app(monkeypatch, tmp_path / "r.duckdb")
    today = metrics(at)["要請★を満たす"]
    at.sidebar.date_input(key="as_of").set_value(date.today() + timedelta(days=800)).run()
    assert not at.exception
    assert metrics(at)["要請★を満たす"] != today


def test_empty_registry_says_what_to_do_and_can_load_the_demo(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "empty.duckdb", demo_suppliers=0)
    assert "デモデータを読み込む" in [b.label for b in at.button]
    assert any("monosashi suppliers add" in i.value for i in at.info)
    at.button[0].click().run()
    assert not at.exception
    assert metrics(at)["取引先数"] == "500"


def test_catalogue_page_filters_and_details(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "r.duckdb", demo_suppliers=20)
    at.switch_page("dashboards/pages/catalogue.py").run()
    assert not at.exception
    assert "要求事項 43" in at.caption[0].value and "評価基準 153" in at.caption[0].value
    assert at.dataframe[0].value.shape[0] == 153
    at.radio(key="catalogue_level.ja").set_value("★3 の評価基準").run()
    assert at.dataframe[0].value.shape[0] == 81
    at.multiselect(key="catalogue_categories.ja").set_value(["7 インシデントからの復旧"]).run()
    assert at.dataframe[0].value.shape[0] == 1
    at.radio(key="catalogue_level.ja").set_value("★4 の評価基準（★3を含む）").run()
    assert at.dataframe[0].value.shape[0] == 2
    details = " ".join(m.value.replace("\\", "") for m in at.markdown)  # data is escaped for Markdown
    assert "7-1-1-1" in details
    assert "A.5.30" in details
    at.sidebar.selectbox(key="catalogue_version").set_value("2025-12").run()
    at.radio(key="catalogue_level.ja").set_value("すべて").run()
    at.multiselect(key="catalogue_categories.ja").set_value([]).run()
    assert at.dataframe[0].value.shape[0] == 157


@pytest.mark.parametrize("content", [b"\x00not a database" * 40])
def test_a_broken_database_shows_an_error_box(monkeypatch, tmp_path, content):
    db = tmp_path / "broken.duckdb"
    db.write_bytes(content)
    at = open_app(monkeypatch, db)
    assert at.error and "DuckDB のデータベースファイルではありません" in at.error[0].value
    assert db.read_bytes() == content


def test_a_broken_catalogue_file_shows_an_error_box(monkeypatch, tmp_path):
    import shutil

    from questionnaires import catalogue

    target = tmp_path / "scs"
    shutil.copytree(catalogue.DATA_DIR, target)
    (target / "2025-12" / "catalogue.json").write_text('{"framework": "scs"}', encoding="utf-8")
    at = open_app(monkeypatch, tmp_path / "r.duckdb", demo_suppliers=10)
    monkeypatch.setattr(catalogue, "DATA_DIR", target)
    catalogue._load.cache_clear()
    try:
        at.switch_page("dashboards/pages/catalogue.py").run()
        at.sidebar.selectbox(key="catalogue_version").set_value("2025-12").run()
    finally:
        catalogue._load.cache_clear()
    assert not at.exception
    assert at.error and "does not match the catalogue schema" in at.error[0].value


def test_a_locked_database_shows_an_error_box(monkeypatch, tmp_path):
    from registry.store import core as store_module

    db = tmp_path / "r.duckdb"
    make_store(db, suppliers=10)
    at = open_app(monkeypatch, db)
    original = store_module.Store.connect

    def impatient(self):  # the app waits 10 s for a lock; the test need not
        self.lock_timeout = 0.3
        return original(self)

    monkeypatch.setattr(store_module.Store, "connect", impatient)
    with lock_held_by_another_process(db):
        at.run()
    assert not at.exception
    assert at.error and "使用中です" in at.error[0].value


def test_import_page_checks_first_then_writes_on_the_button(monkeypatch, tmp_path):
    from support import samples

    store = make_store(tmp_path / "r.duckdb", suppliers=20, seed=4)
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/imports.py").run()
    assert not at.exception
    assert any("まだファイルを受け取っていません" in i.value for i in at.info)
    good = samples.scs_self_assessment_workbook(supplier_id="S000003", answered_on="2026-10-01")
    at.file_uploader[0].upload("s3.xlsx", good, "application/octet-stream")
    at.file_uploader[0].upload("bad.xlsx", b"%PDF-1.4", "application/octet-stream").run()
    assert not at.exception
    summary = at.dataframe[0].value
    assert summary["status"].to_list() == ["取り込み可", "不受理"]
    assert any("Excel ブック" in e.value and "ではありません" in e.value for e in at.error)
    preview = at.dataframe[1]  # the answers read, with their statuses in words and labelled columns
    assert set(preview.value["status"]) <= {"充足", "一部", "未充足", "不明", "該当なし"}
    labels = {name: config["label"] for name, config in json.loads(preview.proto.columns).items() if "label" in config}
    assert labels["item_id"] == "設問・基準" and labels["raw_answer"] == "回答（原文）"
    assert (
        store.scalar("SELECT count(*) FROM submission WHERE format <> 'demo'") == 0
    )  # nothing written before the button
    at.run()  # a rerun with the same upload writes nothing either
    assert store.scalar("SELECT count(*) FROM submission WHERE format <> 'demo'") == 0
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert at.success and "2 件中 1 件を取り込みました" in at.success[0].value
    assert store.scalar("SELECT count(*) FROM submission WHERE format <> 'demo'") == 1
    history = at.dataframe[-1].value
    assert sorted(history["status"].to_list()) == ["不受理", "取り込み済み"]
    assert "scs_self_assessment" not in set(history["format"]) and "SCS自己評価（IPA様式）" in set(history["format"])
    assert not any(str(e).startswith("[") for e in history["errors"])  # problems as lines, not JSON


def test_templates_page_offers_a_download(monkeypatch, tmp_path):
    make_store(tmp_path / "r.duckdb", suppliers=20, seed=4)
    at = open_app(monkeypatch, tmp_path / "r.duckdb")
    at.switch_page("dashboards/pages/templates.py").run()
    assert not at.exception
    at.text_input(key="template_supplier.search").set_value("S000007").run()
    assert not at.exception
    assert len(at.get("download_button")) == 1
    at.text_input(key="template_supplier.search").set_value("no such company").run()
    assert len(at.get("download_button")) == 0
    assert at.info or at.caption


@pytest.mark.parametrize("page", ["readiness", "supplier", "crosswalks"])
def test_yardstick_pages_on_the_demo_and_on_an_empty_registry(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "demo.duckdb", demo_suppliers=80)
    at.switch_page(f"dashboards/pages/{page}.py").run()
    assert not at.exception
    assert at.get("plotly_chart")
    empty = open_app(monkeypatch, tmp_path / "empty.duckdb", demo_suppliers=0)
    empty.switch_page(f"dashboards/pages/{page}.py").run()
    assert not empty.exception
    assert empty.info or empty.get("plotly_chart")


def test_supplier_page_shows_readiness_and_evidence(monkeypatch, tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=40, seed=2)
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/supplier.py").run()
    at.text_input(key="supplier_page.search").set_value("S000003").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4  # two gauges, the history and the requirement matrix (+ sub-network)

    def criteria_rows() -> int:  # the criteria table, in its tab
        return next(d.value for d in at.tabs[1].dataframe if "criterion_id" in d.value.columns).shape[0]

    before = criteria_rows()
    at.radio(key="supplier_level.ja").set_value("★4 の評価基準（★3を含む）").run()
    assert criteria_rows() >= before
    assert not at.exception


@pytest.mark.parametrize("page", ["requests", "flags", "support"])
def test_request_flag_and_support_pages_on_the_demo_and_on_an_empty_registry(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "demo.duckdb", demo_suppliers=120)
    at.switch_page(f"dashboards/pages/{page}.py").run()
    assert not at.exception
    assert at.dataframe and at.metric
    empty = open_app(monkeypatch, tmp_path / "empty.duckdb", demo_suppliers=0)
    empty.switch_page(f"dashboards/pages/{page}.py").run()
    assert not empty.exception
    assert empty.info


def test_requests_page_records_a_request_with_the_three_questions(monkeypatch, tmp_path):
    from datetime import date

    from registry.services.requests import current_requests

    store = make_store(tmp_path / "r.duckdb", suppliers=60, seed=3, as_of=date.today())
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/requests.py").run()
    at.text_input(key="request_supplier.search").set_value("S000055").run()
    at.radio(key="rq_outage_delays_buyer.ja").set_value("はい").run()
    assert "★4" in at.info[0].value  # any yes recommends ★4
    at.radio(key="rq_level").set_value("3").run()
    at.button(key="rq_save").click().run()
    assert "理由が必要です" in at.error[0].value  # choosing otherwise needs a reason
    at.text_input(key="rq_reason").set_value("代替調達先あり").run()
    at.button(key="rq_save").click().run()
    assert not at.exception and at.success
    row = current_requests(store, date.today(), ["S000055"]).row(0, named=True)
    assert (row["requested_level"], row["recommended_level"], row["reason"], row["state"]) == (
        3,
        4,
        "代替調達先あり",
        "draft",
    )
    at.radio(key="rq_step.ja").set_value("送付済み").run()
    at.multiselect(key="rq_progress_sent").set_value([row["request_id"]]).run()
    at.button(key="rq_mark").click().run()
    assert current_requests(store, date.today(), ["S000055"])["state"][0] == "sent"


def test_flags_page_acknowledges_in_bulk_and_filters(monkeypatch, tmp_path):
    from datetime import date

    from registry.services import flags

    store = make_store(tmp_path / "r.duckdb", suppliers=120, seed=3, as_of=date.today())
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/flags.py").run()
    assert not at.exception
    total = at.dataframe[0].value.shape[0]
    critical = flags.flags(store, severities=["critical"], states=["open"]).height
    at.multiselect(key="flag_severities.ja").set_value(["重大"]).run()
    assert at.dataframe[0].value.shape[0] == critical < total
    at.checkbox(key="flag_all_shown").check().run()
    at.button(key="flag_apply").click().run()  # the default action: acknowledge
    assert not at.exception and at.success
    assert flags.flags(store, severities=["critical"], states=["acknowledged"]).height == critical
    at.radio(key="flag_action.ja").set_value("対象外にする（理由が必要）").run()
    at.button(key="flag_apply").click().run()
    assert "理由を書いてください" in at.error[0].value


def test_support_page_ranks_suppliers_and_offers_gap_reports(monkeypatch, tmp_path):
    from datetime import date

    from registry.services import support

    store = make_store(tmp_path / "r.duckdb", suppliers=120, seed=3, as_of=date.today())
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/support.py").run()
    assert not at.exception
    ranked = support.candidates(store, date.today())
    assert at.dataframe[0].value.shape[0] == ranked.height
    assert at.selectbox(key="support_supplier").value == ranked["supplier_id"][0]
    labels = [b.label for b in at.get("download_button")]
    assert "ギャップレポート (Excel)" in labels
    at.number_input(key="support_n").set_value(3).run()
    at.button(key="support_prepare").click().run()
    assert not at.exception
    assert "ギャップレポートをダウンロード（zip）" in [b.label for b in at.get("download_button")]


def test_supplier_page_offers_the_gap_report_and_shows_requests_and_flags(monkeypatch, tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=60, seed=2)
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/supplier.py").run()
    at.text_input(key="supplier_page.search").set_value("S000001").run()
    assert not at.exception
    assert "ギャップレポート (Excel)" in [b.label for b in at.get("download_button")]
    assert "★の要請" in [s.value for s in at.subheader]


def _pages():
    """The page names of app.py's PAGES (read as text: importing app.py would run it)."""
    source = Path(APP).read_text(encoding="utf-8")
    return [line.split('"')[1] for line in source.split("PAGES = (")[1].split(")\n\n")[0].splitlines() if '("' in line]


@pytest.mark.parametrize("page", [p for p in _pages() if p != "portal"])  # the portal: tests/test_access.py
def test_every_page_renders_on_the_demo_and_on_an_empty_registry(monkeypatch, tmp_path, page):
    for db, suppliers in (("demo.duckdb", 80), ("empty.duckdb", 0)):
        at = open_app(monkeypatch, tmp_path / db, demo_suppliers=suppliers)
        at.switch_page(f"dashboards/pages/{page}.py").run()
        assert not at.exception, (page, db, at.exception)
        assert at.title, page
        for table in at.dataframe:  # a missing text is shown as "—", never as "None" (editors aside)
            if table.proto.editing_mode:
                continue
            shown = table.value.select_dtypes(exclude="float")  # a missing share may stay empty
            assert not shown.isna().any().any(), (page, [c for c in shown if shown[c].isna().any()])
        if suppliers == 0 and page not in (
            "catalogue",
            "templates",
            "crosswalks",
            "imports",
            "settings",
            "users",
            "audit",
        ):
            assert at.info, f"{page} on an empty registry should say what to do"


def test_suppliers_directory_filters_sorts_and_pages(monkeypatch, tmp_path):
    from datetime import date

    from registry.services import directory

    store = make_store(tmp_path / "r.duckdb", suppliers=300, seed=8, as_of=date.today())
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/suppliers.py").run()
    assert not at.exception
    assert at.dataframe[0].value.shape[0] == 50 and "該当 300 社" in at.caption[0].value
    at.multiselect(key="dir_tiers.ja").set_value(["第1次"]).run()
    tier1 = directory.directory(store, date.today(), directory.DirectoryQuery(tiers=[1])).total
    assert f"該当 {tier1} 社" in at.caption[0].value
    at.selectbox(key="dir_sort").set_value("readiness").run()
    shown = at.dataframe[0].value["readiness"].tolist()
    assert shown == sorted(shown)
    at.multiselect(key="dir_tiers.ja").set_value([]).run()
    at.number_input(key="dir_page").set_value(6).run()  # past the end: the last page
    assert "6 / 6" in at.caption[0].value and at.dataframe[0].value.shape[0] == 50
    at.text_input(key="dir_search").set_value("S000007").run()
    assert at.dataframe[0].value.shape[0] == 1
    assert {b.label for b in at.get("download_button")} >= {"Excelで書き出す", "CSVで書き出す（UTF-8 BOM付き）"}


def test_supplier_page_opens_from_a_link(monkeypatch, tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=60, seed=2)
    at = open_app(monkeypatch, store.path)
    at.query_params["id"] = "S000009"
    at.switch_page("dashboards/pages/supplier.py").run()
    assert not at.exception
    assert any("S000009" in h.value for h in at.subheader)


def test_supplier_page_shows_certified_and_currently_declared_side_by_side(monkeypatch, tmp_path):
    """A ★4 holder that declared 4-5-1-x not met after its ★: the page warns, says what a ★ means,
    and lists the certified result beside the current declaration."""
    from datetime import date

    import polars as pl
    from conftest import ADMIN

    from importers.base import SourceFile
    from questionnaires.catalogue import load_catalogue
    from registry.domain.models import Supplier
    from registry.services import intake
    from registry.services.suppliers import add_supplier
    from tests.support import samples

    store = make_store(tmp_path / "r.duckdb")
    add_supplier(store, Supplier(supplier_id="A", name="株式会社A"), ADMIN)
    with store.transaction(SYSTEM) as tx:
        tx.insert_frame(
            "certificate",
            pl.DataFrame(
                {
                    "certificate_id": ["C4"],
                    "supplier_id": ["A"],
                    "scheme": ["scs_star4"],
                    "issued_on": [date(2026, 1, 10)],
                    "registration_no": ["SCS4-1"],
                }
            ),
        )
    marks = ["✖" if c.id.startswith("4-5-1-") else "○" for c in load_catalogue().criteria]
    data = samples.scs_self_assessment_workbook(supplier_id="A", answered_on="2026-10-01", marks=marks)
    reports = intake.analyse(store, [SourceFile("after.xlsx", data)], supplier_id="A")
    intake.commit(store, reports, mode="per_file", actor=ADMIN, today=date(2026, 11, 23))
    at = open_app(monkeypatch, store.path)
    at.query_params["id"] = "A"
    at.switch_page("dashboards/pages/supplier.py").run()
    assert not at.exception
    assert any("未達と申告" in w.value for w in at.warning)
    assert any("格付けではなく" in c.value for c in at.caption)
    table = next(d.value for d in at.dataframe if "declared_status" in d.value.columns)
    assert {"未充足", "充足"} <= set(table["declared_status"]) and set(table["status"]) == {"充足"}


def test_navigation_is_in_sections_and_import_is_one_click_away(monkeypatch, tmp_path):
    """Every page is listed under a section (no "View more"), and the Overview and the Supplier
    page link to the Import page; from the Supplier page the supplier comes along."""
    source = Path(APP).read_text(encoding="utf-8")
    assert "expanded=True" in (Path(APP).parent / "dashboards" / "ui" / "session.py").read_text(encoding="utf-8")
    assert all(
        section in source
        for section in ("nav.section.daily", "nav.section.suppliers", "nav.section.intake", "nav.section.admin")
    )
    make_store(tmp_path / "r.duckdb", suppliers=30, seed=2)
    at = open_app(monkeypatch, tmp_path / "r.duckdb")
    assert any(link.label == "取り込みページでファイルを取り込む" for link in at.get("page_link"))
    at.query_params["id"] = "S000004"
    at.switch_page("dashboards/pages/supplier.py").run()
    assert not at.exception
    links = [link for link in at.get("page_link") if link.label == "この取引先のファイルを取り込む"]
    assert links and "supplier=S000004" in links[0].proto.query_string


def test_the_import_picker_chooses_what_was_typed(monkeypatch, tmp_path):
    """Typing an ID, a corporate number or a name and pressing Enter chooses that supplier."""
    store = make_store(tmp_path / "r.duckdb", suppliers=30, seed=2)
    from registry.services.suppliers import supplier_details

    details = supplier_details(store, "S000007")
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/imports.py").run()
    for typed in ("S000007", details["corporate_number"], details["name"].replace("株式会社", "")):
        at.text_input(key="import_supplier.search").set_value(typed).run()
        assert not at.exception
        chosen = [s for s in at.selectbox if s.key and s.key.startswith("import_supplier.")]
        assert chosen and chosen[0].value == "S000007", typed


def test_the_audit_page_speaks_words_not_codes(monkeypatch, tmp_path):
    from registry.domain.actor import PERMISSIONS

    make_store(tmp_path / "r.duckdb", suppliers=20, seed=3)
    at = open_app(monkeypatch, tmp_path / "r.duckdb")
    at.switch_page("dashboards/pages/audit.py").run()
    assert not at.exception
    entries = at.dataframe[0].value
    assert not set(entries["action"]) & set(PERMISSIONS)  # every action in words
    assert not any(str(d).startswith("{") for d in entries["detail"])


def test_rejected_files_reach_the_history_from_the_page_as_from_the_cli(monkeypatch, tmp_path):
    store = make_store(tmp_path / "r.duckdb", suppliers=10, seed=4)
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/imports.py").run()
    at.file_uploader[0].upload("bad.xlsx", b"%PDF-1.4", "application/octet-stream").run()
    button = at.button(key="import_confirm")
    assert not button.disabled and "不受理の 1 件を履歴に記録する" in button.label
    button.click().run()
    assert not at.exception
    assert store.scalar("SELECT count(*) FROM import_file WHERE status = 'rejected' AND source_name = 'bad.xlsx'") == 1


def test_a_file_imported_before_names_the_supplier_it_went_to(monkeypatch, tmp_path):
    from datetime import date

    from support import samples

    from importers.base import Limits, SourceFile
    from registry.services import intake

    store = make_store(tmp_path / "r.duckdb", suppliers=10, seed=4)
    data = samples.scs_self_assessment_workbook(supplier_id="S000003", answered_on="2026-10-01")
    first = intake.analyse(store, [SourceFile("s3.xlsx", data)], limits=Limits())
    from conftest import ADMIN

    intake.commit(store, first, mode="per_file", actor=ADMIN, today=date(2026, 11, 23))
    (again,) = intake.analyse(store, [SourceFile("copy.xlsx", data)], supplier_id="S000004", limits=Limits())
    assert again.status == "duplicate"
    assert "S000003" in again.warnings[0].message and "2026-11-23" in again.warnings[0].message
    assert "S000003" in again.warnings[0].text("ja") and "取り込み済み" in again.warnings[0].text("ja")


def test_the_import_page_imports_a_lists_valid_rows_and_says_what_changed(monkeypatch, tmp_path):
    """Issue 17.2/17.3/17.5 on the page: one bad row is refused alone and handed back as a file,
    the import says per supplier what changed, and a file seen before may go to another supplier."""
    from support import samples

    store = make_store(tmp_path / "r.duckdb", suppliers=10, seed=4)
    at = open_app(monkeypatch, store.path)
    at.switch_page("dashboards/pages/imports.py").run()
    rows = "取引先ID,会社名,法人番号\r\nN-001,甲山精機,8000012050001\r\nN-002,乙川工業,1000012050001\r\n"
    at.file_uploader[0].upload("取引先.csv", rows.encode("cp932"), "text/csv").run()
    assert not at.exception
    assert any("取り込めない行: 1 行" in m.value for m in at.markdown)
    refused = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert refused["location"].to_list() == ["取引先.csv 3 行目"]
    assert "チェックデジット" in refused["reason"][0]
    assert not any("fails its check digit" in str(d.value) for d in at.dataframe)  # no English in the Japanese UI
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert any("一覧のうち 1 行は取り込んでいません" in w.value for w in at.warning)
    assert store.scalar("SELECT count(*) FROM supplier WHERE supplier_id IN ('N-001', 'N-002')") == 1

    # answers for one supplier, then the same file for another: the person decides
    workbook = samples.scs_self_assessment_workbook(answered_on="2026-10-01")
    at.text_input(key="import_supplier.search").set_value("S000003").run()
    at.file_uploader[0].upload("answers.xlsx", workbook, "application/octet-stream").run()
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert any(h.value == "取り込みで変わったこと" for h in at.subheader)
    changes = next(d.value for d in at.dataframe if "star3_change" in d.value.columns)
    assert changes["supplier_id"].to_list() == ["S000003"] and " → " in changes["star3_change"][0]
    assert any(link.label.startswith("S000003") or "（S000003）" in link.label for link in at.get("page_link"))

    at.text_input(key="import_supplier.search").set_value("S000004").run()
    at.file_uploader[0].upload("answers.xlsx", workbook, "application/octet-stream").run()
    assert any("S000003" in w.value and "取り込み済み" in w.value for w in at.warning)
    again = next(c for c in at.checkbox if c.key and c.key.startswith("import_again_"))
    assert "S000004" in again.label
    again.check().run()
    assert not at.exception
    assert at.dataframe[0].value["status"].to_list() == ["取り込み可"]
    at.button(key="import_confirm").click().run()
    owners = store.frame("SELECT DISTINCT supplier_id FROM submission WHERE source_name = 'answers.xlsx' ORDER BY 1")
    assert owners["supplier_id"].to_list() == ["S000003", "S000004"]
