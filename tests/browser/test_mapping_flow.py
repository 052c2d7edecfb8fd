"""The mapping assistant in a real browser (issue 20), in Japanese, on a fresh demo registry served
in single-user mode (the person is the admin, who may save): on the Crosswalks page, drop a buyer
checklist no profile knows, see the layout read and the questions, have criteria proposed, accept
the confident ones in bulk, choose the supplier who answered, save the profile and import the
answers, and read the success, the import's result and the new crosswalk in the list; the
registry then holds the profile and the supplier's submission (``monosashi`` reads them).

Each step leaves a screenshot in the test's tmp_path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

from dashboards.i18n import t

from . import page_reading as reading
from .conftest import monosashi

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk; .ci/run does it when it can)",
        allow_module_level=True,
    )
expect = sync_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import LocalApp

pytestmark = pytest.mark.browser

WAIT = reading.WAIT
EVALUATION = Path(__file__).resolve().parents[1] / "data" / "mapping" / "evaluation.csv"
PROFILE = "minami-checklist"  # what the assistant suggests for the file's name


def ja(key: str, **values: object) -> str:
    """The app's Japanese text of ``key`` (as the page shows it)."""
    return t(key, "ja", **values)


def review_table(tab: Page) -> reading.Table:
    """The review editor, read as a person sees it (decisions and relationships in words)."""
    found = [table for table in reading.tables(tab) if ja("crosswalks.map.col.proposals") in table.titles]
    assert len(found) == 1, [table.titles for table in reading.tables(tab)]
    return found[0]


@pytest.fixture(scope="module")
def app(serve_single_user, fresh_demo) -> LocalApp:
    """The app on a fresh copy of the demo registry; it stands in for conftest's ``app`` so that
    conftest's ``page`` and its report hook (screenshot, the app's log) serve this flow too."""
    return serve_single_user(fresh_demo()).ready()


@pytest.fixture(scope="module")
def supplier(app: LocalApp) -> tuple[str, str]:
    """A demo supplier (read with the CLI before the browser opens anything)."""
    rows = json.loads(monosashi("status", "--json", "--db", str(app.db)).stdout)
    return rows[0]["supplier_id"], rows[0]["name"]


def test_map_an_unknown_checklist_and_import_its_answers(
    page: Page, app: LocalApp, supplier: tuple[str, str], tmp_path: Path
):
    from support.samples import unknown_checklist_workbook

    tab = page
    supplier_id, supplier_name = supplier
    questions = pl.read_csv(EVALUATION).filter(pl.col("lang") == "ja")["question"].head(24).to_list()
    checklist = tmp_path / f"{PROFILE}.xlsx"
    checklist.write_bytes(unknown_checklist_workbook(questions, answers=["はい", "いいえ", "一部"] * 8))

    # Open the Crosswalks page through the navigation.
    tab.goto(app.url)
    reading.settle(tab)
    before = reading.page_title(tab)
    tab.get_by_test_id("stSidebarNav").get_by_text(ja("nav.crosswalks"), exact=True).click()
    reading.settle(tab, heading_not=before)
    expect(tab.get_by_role("heading", name=ja("crosswalks.map.title"))).to_be_visible()

    # Drop the checklist: the layout read, and how many questions.
    uploader = tab.get_by_test_id("stFileUploader").filter(has_text=ja("crosswalks.map.file"))
    uploader.locator("input[type=file]").set_input_files(checklist)
    expect(tab.get_by_role("heading", name=ja("crosswalks.map.layout"))).to_be_visible(timeout=WAIT)
    reading.settle(tab)
    expect(tab.get_by_text(ja("crosswalks.map.count", n=len(questions), shown=10))).to_be_visible()
    expect(tab.get_by_role("combobox", name=ja("crosswalks.map.question"))).to_have_value("確認項目")
    reading.screenshot(tab, tmp_path / "01-layout.png")

    # Propose: the review table and its counts.
    tab.get_by_role("button", name=ja("crosswalks.map.propose")).click()
    expect(tab.get_by_role("heading", name=ja("crosswalks.map.review"))).to_be_visible(timeout=WAIT)
    reading.settle(tab)
    editors = tab.get_by_test_id("stDataFrame").filter(has=tab.locator("canvas"))
    expect(editors.first).to_be_visible()
    review = review_table(tab)
    assert review.rows == len(questions)
    decisions = review.column(ja("crosswalks.map.col.decision"))
    assert set(decisions) == {ja("crosswalks.map.decision.unreviewed")}, decisions
    reading.screenshot(tab, tmp_path / "02-proposed.png")

    # Accept in bulk at a confidence the proposals reach.
    threshold = tab.get_by_role("spinbutton", name=ja("crosswalks.map.accept_score"))
    threshold.fill("0.05")
    threshold.press("Enter")
    reading.settle(tab)
    tab.get_by_role("button", name=ja("crosswalks.map.accept")).click()
    accepted = tab.get_by_test_id("stAlertContentSuccess").filter(has_text=re.compile(r"問の提案を採用しました"))
    expect(accepted).to_be_visible(timeout=WAIT)
    reading.settle(tab)
    n = int(re.search(r"(\d+) 問", accepted.inner_text()).group(1))
    assert n > 0
    shown = review_table(tab).column(ja("crosswalks.map.col.decision"))
    assert shown.count(ja("crosswalks.map.decision.accepted")) == n, shown
    reading.screenshot(tab, tmp_path / "03-accepted.png")

    # Choose the supplier who answered, then save the profile and import the answers.
    search = tab.get_by_placeholder(ja("app.supplier_search"))
    search.fill(supplier_id)
    search.press("Enter")
    reading.settle(tab)
    expect(tab.get_by_role("combobox", name=ja("crosswalks.map.supplier"))).to_have_value(
        f"{supplier_id} {supplier_name}", timeout=WAIT
    )
    expect(tab.get_by_role("textbox", name=ja("crosswalks.map.name"))).to_have_value(PROFILE)
    tab.get_by_role("button", name=ja("crosswalks.map.save.button")).click()
    saved = tab.get_by_test_id("stAlertContentSuccess").filter(has_text=f"プロファイル「{PROFILE}」を保存しました")
    expect(saved).to_be_visible(timeout=WAIT)
    reading.settle(tab)
    expect(
        tab.get_by_test_id("stAlertContentSuccess").filter(has_text=ja("import.done", imported=1, total=1))
    ).to_be_visible()
    expect(tab.get_by_role("heading", name=ja("crosswalks.map.result"))).to_be_visible()
    result = [table for table in reading.tables(tab) if ja("col.file") in table.titles]
    assert result and result[0].column(ja("col.status")) == [ja("import.status.imported")], [t.cells for t in result]
    # the new profile is a crosswalk of the page's list, and is the one shown
    expect(tab.get_by_role("combobox", name=ja("crosswalks.choose"))).to_have_value(PROFILE)
    reading.screenshot(tab, tmp_path / "04-saved-and-imported.png")

    # The registry holds the profile and the supplier's answers read with it (the CLI reads them).
    profiles = json.loads(monosashi("profiles", "list", "--json", "--db", str(app.db)).stdout)
    assert [p["framework_id"] for p in profiles if p["name"] == PROFILE] == [f"profile.{PROFILE}"]
    history = json.loads(monosashi("history", "--json", "--db", str(app.db)).stdout)
    ours = [row for row in history if row["source_name"] == checklist.name]
    assert len(ours) == 1 and ours[0]["status"] == "imported", ours
    assert ours[0]["supplier_ids"] == supplier_id and ours[0]["framework_id"] == f"profile.{PROFILE}", ours
