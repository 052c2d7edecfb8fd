"""The import journey in a real browser (issue 17), in Japanese, on a fresh demo registry served in
single-user mode: choose a supplier on the Import page by typing its ID, drop its SCS
self-assessment (IPA's layout) with a supplier list in CP932 whose one row has a bad 法人番号 check
digit, see the refused row with its line and reason and download the refused rows, import,
read "取り込みで変わったこと" with the supplier's readiness before → after, follow the link to the
Supplier page, and check its ★3/★4 readiness against ``monosashi status --json``, and the list's
rows against ``monosashi suppliers list --json``.

Each step leaves a screenshot in the test's tmp_path.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

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
# The supplier list: two good rows and, between them, one whose 法人番号 fails its check digit.
LIST_ROWS = [
    {"supplier_id": "S900001", "name": "株式会社ブラウザ試験精機", "corporate_number": "8000012050001"},
    {"supplier_id": "S900002", "name": "誤番号試験工業株式会社", "corporate_number": "1000012050001"},
    {"supplier_id": "S900003", "name": "ブラウザ試験電装合同会社", "corporate_number": "7000012050002"},
]
BAD_ROW = LIST_ROWS[1]
BAD_LINE = 3  # the header is line 1
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def ja(key: str, **values: object) -> str:
    """The app's Japanese text of ``key`` (dashboards/strings.toml, as the page shows it)."""
    return t(key, "ja", **values)


def status(db: Path, supplier_id: str) -> dict:
    """``monosashi status --json`` of one supplier.

    The CLI runs while the server is up: the app opens the DuckDB file for one unit of work (a
    page run, an import) and closes it right after (docs/architecture.md, "Sharing the
    single-writer DuckDB file"), and the CLI retries for up to 10 s when it meets the lock. The
    journey calls it only once the page has settled, when no script run holds the file, so the
    server need not be stopped, and the readiness the CLI reads is the one the page just showed.
    """
    rows = json.loads(monosashi("status", "--json", "--supplier", supplier_id, "--db", str(db)).stdout)
    assert len(rows) == 1, rows
    return rows[0]


def shown_percent(share: float) -> re.Pattern[str]:
    """A gauge's number for ``share`` (0–1): "45 %" (JS and Python round halves differently)."""
    value = 100 * share
    shown = {f"{int(value)} %", f"{round(value)} %", f"{int(value + 0.5)} %"}
    return re.compile("^(" + "|".join(map(re.escape, shown)) + ")$")


@pytest.fixture(scope="module")
def app(serve_single_user, fresh_demo) -> LocalApp:
    """The app on a fresh copy of the demo registry (``monosashi demo``). It stands in for
    conftest's ``app`` in this module, so that conftest's ``page`` (a tab on it) and its report
    hook (a screenshot and the app's log when the test fails) serve this journey too."""
    return serve_single_user(fresh_demo()).ready()


@pytest.fixture(scope="module")
def supplier(app: LocalApp) -> tuple[str, str]:
    """A demo supplier with no evidence at all, so that the readiness the import gives it is the
    self-assessment's (read with the CLI before the browser opens anything)."""
    rows = json.loads(monosashi("status", "--json", "--db", str(app.db)).stdout)
    for row in rows:
        if row["held_level"] == "none" and all(c["status"] == "unknown" for c in row["criteria"]):
            return row["supplier_id"], row["name"]
    pytest.fail("the demo has no supplier without evidence")


def test_import_journey(page: Page, app: LocalApp, supplier: tuple[str, str], tmp_path: Path):
    from support.samples import scs_self_assessment_workbook, supplier_master_csv

    tab = page  # conftest's tab on this module's app (see the app fixture)
    supplier_id, supplier_name = supplier
    workbook = tmp_path / "scs_self_assessment.xlsx"  # no supplier in the file: the picker says whose it is
    workbook.write_bytes(scs_self_assessment_workbook(answered_on=date.today().isoformat(), level=4, seed=11))
    supplier_list = tmp_path / "取引先一覧.csv"
    supplier_list.write_bytes(supplier_master_csv(LIST_ROWS, encoding="cp932"))

    # Open the app, in Japanese, and go to the Import page through the navigation.
    tab.goto(app.url)
    reading.settle(tab)
    before = reading.page_title(tab)
    tab.get_by_test_id("stSidebarNav").get_by_text(ja("nav.import"), exact=True).click()
    reading.settle(tab, heading_not=before)
    expect(tab.get_by_role("heading", name=ja("import.title"), exact=True, level=1)).to_be_visible()

    # Type the supplier's ID in the picker and press Enter: the best match is chosen.
    search = tab.get_by_placeholder(ja("app.supplier_search"))
    expect(search).to_have_count(1)
    search.fill(supplier_id)
    search.press("Enter")
    reading.settle(tab)
    chosen = tab.get_by_role("combobox", name=ja("import.supplier"))
    expect(chosen).to_have_value(f"{supplier_id} {supplier_name}", timeout=WAIT)
    reading.screenshot(tab, tmp_path / "01-supplier-chosen.png")

    # Drop the self-assessment and the supplier list together.
    uploader = tab.get_by_test_id("stFileUploader").filter(has_text=ja("import.files"))
    uploader.locator("input[type=file]").set_input_files([workbook, supplier_list])
    expect(uploader.get_by_text(supplier_list.name)).to_be_visible(timeout=WAIT)
    expect(tab.get_by_role("heading", name=ja("import.recognised"))).to_be_visible(timeout=WAIT)
    reading.settle(tab)
    expect(chosen).to_have_value(f"{supplier_id} {supplier_name}")  # the upload kept the choice

    # The list's refused row: how many, its line, a Japanese reason, and the download to correct it.
    list_box = tab.get_by_test_id("stExpander").filter(has_text=supplier_list.name)
    expect(list_box.get_by_text(re.compile(r"取り込めない行: 1 行"))).to_be_visible(timeout=WAIT)
    refused = [
        table
        for table in reading.tables(tab)
        if ja("col.location") in table.titles and ja("col.reason") in table.titles
    ]
    assert len(refused) == 1, f"one table of refused rows expected, found {[t.titles for t in refused]}"
    locations, reasons = refused[0].column(ja("col.location")), refused[0].column(ja("col.reason"))
    assert locations == [f"{supplier_list.name} {BAD_LINE} 行目"], locations
    assert len(reasons) == 1 and JAPANESE.search(reasons[0]), f"the reason should be in Japanese: {reasons}"
    assert BAD_ROW["corporate_number"] in reasons[0] or "法人番号" in reasons[0], reasons
    download = list_box.get_by_test_id("stDownloadButton").filter(has_text=ja("import.refused.download"))
    expect(download).to_be_visible()
    reading.screenshot(tab, tmp_path / "02-refused-row.png")
    with tab.expect_download(timeout=WAIT) as info:
        download.get_by_role("button").click()
    header, *refused_rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    assert len(refused_rows) == 1, refused_rows
    assert refused_rows[0][:3] == [BAD_ROW["supplier_id"], BAD_ROW["name"], BAD_ROW["corporate_number"]], refused_rows
    assert JAPANESE.search(header[-1]) and JAPANESE.search(refused_rows[0][-1]), (header, refused_rows)
    reading.settle(tab)

    # Import both files.
    confirm = tab.get_by_role("button", name=ja("import.confirm", n=2))
    expect(confirm).to_be_enabled(timeout=WAIT)
    confirm.click()
    expect(tab.get_by_test_id("stAlertContentSuccess")).to_have_text(
        ja("import.done", imported=2, total=2), timeout=WAIT
    )
    reading.settle(tab)
    expect(
        tab.get_by_test_id("stAlertContentWarning").filter(has_text=ja("import.done.refused_rows", n=1))
    ).to_be_visible()

    # 「取り込みで変わったこと」: the supplier's readiness before → after, and a link to its page.
    expect(tab.get_by_role("heading", name=ja("import.changes.title"))).to_be_visible()
    after = status(app.db, supplier_id)
    changes = [t for t in reading.tables(tab) if ja("col.star3_change") in t.titles]
    assert len(changes) == 1, [t.titles for t in reading.tables(tab)]
    rows: dict[int, dict[str, str]] = {}
    for row, column, text in changes[0].cells:
        rows.setdefault(row, {})[changes[0].title_of(column)] = text
    ours = [row for row in rows.values() if row.get(ja("col.supplier_id")) == supplier_id]
    assert len(ours) == 1, rows
    for level in (3, 4):
        change = ours[0][ja(f"col.star{level}_change")]
        expected_after = f"{after['readiness'][f'star{level}']:.0%}"
        assert change == f"0% → {expected_after}", f"★{level}: {change!r}, expected 0% → {expected_after}"
    assert after["readiness"]["star3"] > 0, "the self-assessment should meet some ★3 criteria"
    reading.screenshot(tab, tmp_path / "03-import-done.png")

    link = tab.get_by_test_id("stPageLink").get_by_text(f"{supplier_name}（{supplier_id}）", exact=True)
    expect(link).to_be_visible()
    before = reading.page_title(tab)
    link.click()

    # The Supplier page opens on that supplier, with the readiness the CLI reads.
    reading.settle(tab, heading_not=before)
    expect(tab).to_have_url(re.compile(rf"/supplier\?id={supplier_id}$"))
    expect(tab.get_by_role("heading", name=ja("supplier.title"), exact=True, level=1)).to_be_visible()
    expect(tab.get_by_role("heading", name=f"{supplier_name}（{supplier_id}）")).to_be_visible(timeout=WAIT)
    gauges = tab.locator(".js-plotly-plot").filter(has=tab.locator("text.number"))
    for level in (3, 4):
        gauge = gauges.filter(has_text=ja("supplier.readiness", level=level))
        expect(gauge).to_have_count(1, timeout=WAIT)
        expect(gauge.locator("text.number")).to_have_text(shown_percent(after["readiness"][f"star{level}"]))
    assert status(app.db, supplier_id)["readiness"] == after["readiness"], "the page view changed the registry"
    reading.screenshot(tab, tmp_path / "04-supplier.png")

    # The list's two good rows are in the registry, the one with the bad check digit is not.
    listed = {
        row["supplier_id"]: row
        for row in json.loads(monosashi("suppliers", "list", "--json", "--db", str(app.db)).stdout)
    }
    for row in (LIST_ROWS[0], LIST_ROWS[2]):
        assert row["supplier_id"] in listed, f"{row['supplier_id']} should have been imported"
        assert listed[row["supplier_id"]]["corporate_number"] == row["corporate_number"]
        assert listed[row["supplier_id"]]["name"] == row["name"]
    assert BAD_ROW["supplier_id"] not in listed, "the row with a bad 法人番号 check digit was imported"
    assert not [r for r in listed.values() if r["corporate_number"] == BAD_ROW["corporate_number"]]
