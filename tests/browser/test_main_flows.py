"""The main flows in a real browser, step by step on one Streamlit session: Overview → Import an SCS
self-assessment → the supplier's readiness → its gap report → English.

Each step leaves a full-page screenshot in tests/screenshots/ (git-ignored) to look at.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dashboards.i18n import t
from questionnaires.catalogue import CURRENT_VERSION

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk; .ci/run does it when it can)",
        allow_module_level=True,
    )
expect = sync_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from .conftest import RunningApp

pytestmark = pytest.mark.browser


def ja(key: str, **values: object) -> str:
    """The app's Japanese text of ``key`` (from dashboards/strings.toml, as the page shows it)."""
    return t(key, "ja", **values)


def en(key: str, **values: object) -> str:
    return t(key, "en", **values)


# The Supplier page's download button 「ギャップレポート (Excel)」 / "Gap report (Excel)"
GAP_REPORT = re.compile(r"ギャップレポート|Gap report", re.IGNORECASE)
WAIT = 30_000  # ms: one script run of a page, with room for a slow CI machine


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run (its "Running..." widget is gone)."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def screenshot(page: Page, folder: Path, name: str) -> None:
    """A screenshot of the whole page. Streamlit scrolls its main block inside the viewport, so the
    window is made as tall as the content for the shot (a plain full-page shot shows one screen)."""
    settle(page)
    height = page.evaluate(
        """() => Math.max(900, ...[...document.querySelectorAll('[data-testid="stMain"], section')]
              .map(e => e.scrollHeight))"""
    )
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 40, 8000)})
    try:
        settle(page)
        page.screenshot(path=folder / f"{name}.png", full_page=True)
    finally:
        page.set_viewport_size(viewport)


def nav(page: Page, title: str, heading_text: str | None = None) -> None:
    """Open a page through the sidebar navigation (the session, its language included, is kept)."""
    sidebar_nav = page.get_by_test_id("stSidebarNav")
    expect(sidebar_nav).to_be_visible(timeout=WAIT)
    link = sidebar_nav.get_by_text(title, exact=True)
    more = sidebar_nav.get_by_test_id("stSidebarNavViewButton")  # "View N more" when the list is long
    if not link.is_visible() and more.is_visible():
        more.click()
    link.click()
    expect(heading(page, heading_text or title)).to_be_visible(timeout=WAIT)


def heading(page: Page, text: str) -> Locator:
    return page.get_by_role("heading", name=text, exact=True, level=1)


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )


def test_00_sign_in(page: Page, app: RunningApp, screenshots: Path):
    page.goto(app.url)
    expect(heading(page, ja("signin.title"))).to_be_visible(timeout=WAIT)
    page.get_by_label(ja("signin.user")).fill(app.user)
    page.get_by_label(ja("signin.password")).fill(app.password)
    screenshot(page, screenshots, "00-sign-in")
    page.get_by_role("button", name=ja("signin.submit")).click()
    expect(heading(page, ja("overview.title"))).to_be_visible(timeout=WAIT)


def test_01_overview_shows_the_demo_figures(page: Page, app: RunningApp, screenshots: Path):
    expect(heading(page, ja("overview.title"))).to_be_visible(timeout=WAIT)
    expect(metric(page, ja("overview.suppliers")).get_by_test_id("stMetricValue")).to_have_text(
        str(app.demo_suppliers), timeout=WAIT
    )
    before = (date.today() - timedelta(days=30)).isoformat()
    caption = ja("overview.caption.compare", as_of=date.today().isoformat(), version=CURRENT_VERSION, before=before)
    expect(page.get_by_text(caption, exact=True)).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(4, timeout=WAIT)
    screenshot(page, screenshots, "01-overview")

    # the link under a chart opens the list behind it
    page.get_by_test_id("stPageLink").get_by_text(ja("overview.link.below_request"), exact=True).click()
    expect(heading(page, ja("suppliers.title"))).to_be_visible(timeout=WAIT)
    expect(
        page.get_by_test_id("stCheckbox").filter(has_text=ja("suppliers.below_request")).locator("input")
    ).to_be_checked(timeout=WAIT)
    expect(page.get_by_text(re.compile("^該当 \\d+ 社"))).to_be_visible(timeout=WAIT)
    screenshot(page, screenshots, "01b-suppliers-below-request")


def test_02_import_an_scs_self_assessment(page: Page, app: RunningApp, screenshots: Path, tmp_path):
    from support.samples import scs_self_assessment_workbook

    workbook = tmp_path / f"scs_{app.supplier_id}.xlsx"
    workbook.write_bytes(scs_self_assessment_workbook(supplier_id=app.supplier_id, level=4, seed=7))

    nav(page, ja("nav.import"))
    expect(heading(page, ja("import.title"))).to_be_visible(timeout=WAIT)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text=ja("import.files"))
    uploader.locator("input[type=file]").set_input_files(workbook)
    expect(uploader.get_by_text(workbook.name)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name=ja("import.recognised"))).to_be_visible(timeout=WAIT)
    confirm = page.get_by_role("button", name=ja("import.confirm", n=1))
    expect(confirm).to_be_enabled(timeout=WAIT)
    screenshot(page, screenshots, "02-import")

    confirm.click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
        ja("import.done", imported=1, total=1), timeout=WAIT
    )
    screenshot(page, screenshots, "03-import-done")


def test_03_supplier_page_shows_the_readiness(page: Page, app: RunningApp, screenshots: Path):
    from registry.services import yardstick
    from registry.store import Store

    readiness = yardstick.supplier_view(Store(app.db), date.today(), app.supplier_id).readiness
    assert readiness["star3"], "the imported self-assessment should meet some ★3 criteria"

    nav(page, ja("nav.supplier"))
    expect(heading(page, ja("supplier.title"))).to_be_visible(timeout=WAIT)
    search = page.get_by_placeholder(ja("app.supplier_search"))
    search.fill(app.supplier_id)
    search.press("Enter")
    expect(page.get_by_role("heading", name=f"{app.supplier_name}（{app.supplier_id}）")).to_be_visible(timeout=WAIT)
    gauges = page.locator(".js-plotly-plot").filter(
        has_text=re.compile(ja("supplier.readiness", level="[34]")), has=page.locator("text.number")
    )
    expect(gauges).to_have_count(2, timeout=WAIT)
    for index, level in enumerate((3, 4)):
        gauge = gauges.nth(index)
        expect(gauge).to_contain_text(ja("supplier.readiness", level=level))
        share = 100 * readiness[f"star{level}"]
        shown = {f"{int(share)} %", f"{round(share)} %", f"{int(share + 0.5)} %"}  # JS and Python round differently
        expect(gauge.locator("text.number")).to_have_text(re.compile("|".join(map(re.escape, shown))))
    screenshot(page, screenshots, "04-supplier-readiness")


def test_04_download_the_gap_report(page: Page, app: RunningApp, screenshots: Path, tmp_path):
    from openpyxl import load_workbook

    expect(page.get_by_role("heading", name=f"{app.supplier_name}（{app.supplier_id}）")).to_be_visible(timeout=WAIT)
    page.get_by_role("tab", name=ja("supplier.tab.criteria")).click()  # the criteria and their evidence
    expect(page.get_by_test_id("stSelectbox").filter(has_text=ja("supplier.explain"))).to_be_visible(timeout=WAIT)
    settle(page)
    button = page.get_by_test_id("stDownloadButton").filter(has_text=GAP_REPORT)
    expect(button).to_have_count(1, timeout=WAIT)
    with page.expect_download(timeout=WAIT) as info:
        button.get_by_role("button").click()
    download = info.value
    target = tmp_path / (download.suggested_filename or "gap_report.xlsx")
    download.save_as(target)
    assert target.suffix == ".xlsx", download.suggested_filename
    workbook = load_workbook(target, read_only=True)
    assert workbook.sheetnames == ["概要", "未充足項目", "支援の進め方"]
    settle(page)
    screenshot(page, screenshots, "05-gap-report")


def test_05_switch_to_english(page: Page, app: RunningApp, screenshots: Path):
    page.get_by_test_id("stSidebar").get_by_test_id("stRadio").get_by_text("English", exact=True).click()
    expect(heading(page, en("supplier.title"))).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name=f"{app.supplier_name}（{app.supplier_id}）")).to_be_visible(timeout=WAIT)
    expect(page.locator(".js-plotly-plot").filter(has_text=en("supplier.readiness", level=3)).first).to_be_visible(
        timeout=WAIT
    )
    screenshot(page, screenshots, "06-supplier-english")

    nav(page, en("nav.overview"))
    expect(heading(page, en("overview.title"))).to_be_visible(timeout=WAIT)
    expect(metric(page, en("overview.suppliers")).get_by_test_id("stMetricValue")).to_have_text(
        str(app.demo_suppliers), timeout=WAIT
    )
    screenshot(page, screenshots, "07-overview-english")


def test_06_flags_and_support_pages(page: Page, app: RunningApp, screenshots: Path):
    nav(page, en("nav.flags"))
    expect(heading(page, en("flags.title"))).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=WAIT)
    screenshot(page, screenshots, "08-flags-english")
    nav(page, en("nav.support"), en("support.title"))
    expect(page.get_by_test_id("stDownloadButton").filter(has_text=GAP_REPORT)).to_have_count(1, timeout=WAIT)
    screenshot(page, screenshots, "09-support-english")
