"""A page linter in a real browser (issue 17): every page of the navigation, in Japanese and in
English, on a small demo registry (``monosashi demo``) and on an empty one (``monosashi init``),
served in single-user mode (no sign-in: the person is the admin, who opens every page but the
supplier portal, which only a supplier's invitation link opens: that test skips and says so).

Four browser sessions walk side by side, each on its own server and copy of the registry, since a
Streamlit server runs one script at a time: demo and empty, each in Japanese, and each opened in
Japanese and switched to English with the sidebar's language switch, the choice then following the
session from page to page. A page is read once Streamlit has settled: the script no longer runs
(``stApp``'s ``data-test-script-state``, what Streamlit's own browser tests wait for), no "Running…"
widget, no stale element, the new page's title up, its tables and charts drawn.

Then the test opens every expander, goes through every tab, and reads what a person sees: the
page's text (``document.body.innerText`` without the Material icons' ligature names), the values
and placeholders of its fields, the text of its charts (plotly draws SVG), and every column title
and cell of its tables. ``st.dataframe`` draws on a canvas (glide-data-grid), so its cells are not
in innerText; they are read from the grid itself, with its ``getCellContent`` for every row (what
the grid draws, the "None" Streamlit paints in a missing value's place included) or, should
Streamlit's internals move, from the accessibility table glide-data-grid keeps inside the canvas
(rows in view only: such a table is reported as not fully readable). tests/browser/page_reading.py
says how.

It fails on the list of every finding (registry, language, page, where, offending text, and the
page's screenshot: a full-page PNG per page, registry and language, in the test's tmp_path):

- ``None``, ``nan``, ``NaN``, ``null``, ``undefined`` as a word;
- Python's exceptions: ``Traceback``, an exception class name (``KeyError``, ``ValueError``…),
  and Streamlit's exception box;
- code words: snake_case tokens that are not part of a file name, path, e-mail or URL, and the
  known code values below;
- in the Japanese UI, English sentences: four or more English words in a row on one line;
- a page the navigation lacks, and a browser step that failed (a page that never settled).
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from . import page_reading as reading
from .conftest import monosashi

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk; .ci/run does it when it can)",
        allow_module_level=True,
    )

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import LocalApp

pytestmark = pytest.mark.browser

# --- the rules ---------------------------------------------------------------------------------

# A word is delimited by anything but an ASCII letter, digit or underscore: Japanese text runs
# into English words without spaces ("Noneです"), where \b would see no boundary.
_WORD_START, _WORD_END = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
EMPTY_WORDS = re.compile(_WORD_START + r"(?:None|nan|NaN|null|undefined)" + _WORD_END)
PYTHON_ERRORS = re.compile(r"Traceback|" + _WORD_START + r"[A-Z][A-Za-z]*(?:Error|Exception)" + _WORD_END)
# snake_case (the issue's \b[a-z]+_[a-z_]+\b, with digits allowed so that scs_star3 is one token)
SNAKE_CASE = re.compile(_WORD_START + r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+" + _WORD_END)
# Code values the registry stores, which a page must translate before showing them.
CODE_VALUES = re.compile(
    _WORD_START
    + r"(?:scs_star3|scs_star4|security_action|supplier_master|self_assessment|window_days|flag_raised"
    + r"|sign_in|intersect|not_met)"
    + _WORD_END
)
# The characters a file name, path, e-mail address or URL is made of: a code word inside such a
# run is part of it (gap_report.xlsx, /tmp/…/registry_app, someone@example.jp, https://…).
_ADDRESS_RUN = re.compile(r"[A-Za-z0-9_.\-@/:%+~?=&#]+")
# snake_case words a page may show as they are: what a person typed, names of files on disk.
ALLOWED_SNAKE_CASE: frozenset[str] = frozenset()

# Four or more English words of two letters or more in a row, on one line (separate elements are
# separate lines in innerText, so a row of buttons never makes a sentence).
ENGLISH_RUN = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?:[ \t\u00a0]+[A-Za-z]{2,}){3,}(?![A-Za-z])")
# English that may stand in the Japanese UI, each with its reason: a product or standard name of
# four words or more, a supplier's own name in Latin letters. None is needed today (SECURITY
# ACTION, ISO/IEC 27001, Cyber Essentials are shorter; the demo's suppliers have Japanese names).
ALLOWED_ENGLISH: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class Finding:
    registry: str
    lang: str
    page: str
    where: str
    rule: str
    found: str
    context: str
    screenshot: Path | None = None

    @property
    def group(self) -> tuple[str, ...]:
        """Findings reported as one: the same text on a page, or English sentences in one column."""
        place = re.sub(r", row \d+$", "", self.where)
        if self.rule.startswith("English") and place != self.where:
            return (self.registry, self.lang, self.page, self.rule, place)
        return (self.registry, self.lang, self.page, self.rule, self.found)

    def line(self, more: int) -> str:
        again = f" (and {more} more like it on this page)" if more else ""
        return (
            f"[{self.registry}] {self.lang} {self.page}: {self.rule} {self.found!r} in {self.where}: "
            f"{self.context!r}{again}\n    screenshot: {self.screenshot}"
        )


def _context(text: str, start: int, end: int, width: int = 70) -> str:
    text = text.replace("\n", " ⏎ ")
    if len(text) <= 2 * width + 20:
        return text
    left, right = max(0, start - width), min(len(text), end + width)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def _in_address(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is part of a file name, a path, an e-mail address or a URL."""
    for run in _ADDRESS_RUN.finditer(text):
        if run.start() <= start and end <= run.end():
            word = run.group().rstrip(".,:;?")
            return (
                "@" in word
                or "://" in word
                or word.startswith("www.")
                or "/" in word
                or re.search(r"\.[A-Za-z][A-Za-z0-9]{0,4}$", word) is not None
            )
    return False


# A Jinja2 tag of the e-mail templates the admin edits in Settings: its names are the template's
# own language ({{ supplier_name }}), shown as written, like an e-mail address.
_TEMPLATE_TAG = re.compile(r"\{\{[^{}]*\}\}|\{%[^{}]*%\}")


def _in_template_tag(text: str, start: int, end: int) -> bool:
    return any(tag.start() <= start and end <= tag.end() for tag in _TEMPLATE_TAG.finditer(text))


def lint(text: str, lang: str) -> Iterable[tuple[str, str, str]]:
    """(rule, offending text, context) of every finding in one piece of visible text."""
    for match in EMPTY_WORDS.finditer(text):
        yield "empty value shown", match.group(), _context(text, match.start(), match.end())
    for match in PYTHON_ERRORS.finditer(text):
        yield "Python exception text", match.group(), _context(text, match.start(), match.end())
    for match in CODE_VALUES.finditer(text):
        if not _in_address(text, match.start(), match.end()):
            yield "code value", match.group(), _context(text, match.start(), match.end())
    for match in SNAKE_CASE.finditer(text):
        word = match.group()
        if CODE_VALUES.fullmatch(word) or word in ALLOWED_SNAKE_CASE:
            continue
        if not _in_address(text, match.start(), match.end()) and not _in_template_tag(text, match.start(), match.end()):
            yield "snake_case code word", word, _context(text, match.start(), match.end())
    if lang == "ja":  # one finding per line, naming its longest English run
        for line in text.splitlines():
            runs = [m for m in ENGLISH_RUN.finditer(line) if not any(a.search(m.group()) for a in ALLOWED_ENGLISH)]
            if runs:
                longest = max(runs, key=lambda m: len(m.group()))
                yield (
                    "English sentence in the Japanese UI",
                    longest.group(),
                    _context(line, longest.start(), longest.end()),
                )


# --- reading the pages -------------------------------------------------------------------------


@dataclass
class PageReading:
    """Everything one page showed, as (where, text) pieces, and what went wrong reading it."""

    pieces: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    partial_tables: list[str] = field(default_factory=list)

    def read(self, tab: Page, label: str) -> None:
        for line in reading.visible_text(tab).splitlines():
            if line.strip():
                self.pieces.append((f"{label}text", line))
        for number, chart in enumerate(reading.chart_texts(tab), start=1):
            for text in chart:
                self.pieces.append((f"{label}chart {number}", text))
        for table in reading.tables(tab):
            name = f"{label}table {table.index + 1}"
            if table.via != "getCellContent":
                self.partial_tables.append(f"{name}: read through the {table.via}")
            if table.rows > reading.MAX_TABLE_ROWS:
                self.partial_tables.append(f"{name}: first {reading.MAX_TABLE_ROWS} of {table.rows} rows read")
            for column, title in enumerate(table.titles):
                self.pieces.append((f"{name}, title of column {column + 1}", title))
            for row, column, text in table.cells:
                self.pieces.append((f"{name}, column 「{table.title_of(column)}」, row {row + 1}", text))
        boxes = tab.get_by_test_id("stException")
        for index in range(boxes.count()):
            if boxes.nth(index).is_visible() and (said := boxes.nth(index).inner_text()[:300]) not in self.exceptions:
                self.exceptions.append(said)


def read_page(tab: Page) -> PageReading:
    """Read the page with its expanders open, then each of its other tabs (clicks in the browser:
    no script run), and come back to the first tab."""
    page = PageReading()
    reading.open_expanders(tab)
    page.read(tab, "")
    tab_lists = tab.locator('[data-testid="stMain"] [data-testid="stTabs"]')
    for list_index in range(tab_lists.count()):
        tabs = tab_lists.nth(list_index).get_by_test_id("stTab")
        for index in range(1, tabs.count()):
            name = tabs.nth(index).inner_text().strip()
            tabs.nth(index).click()
            reading.drawn(tab)
            reading.open_expanders(tab)
            page.read(tab, f"tab 「{name}」, ")
        if tabs.count() > 1:
            tabs.first.click()
            reading.drawn(tab)
    return page


class Walk:
    """One browser session going through every page of the navigation, in one language, on one
    registry: ``start`` and ``open`` it, then for each page ``click`` its link and ``read`` it.
    Several walks run side by side (walk_side_by_side), so that their servers work at once."""

    def __init__(self, browser, app: LocalApp, registry: str, lang: str, folder: Path) -> None:
        self.context = browser.new_context(
            viewport={"width": 1440, "height": 900}, locale="ja-JP", reduced_motion="reduce"
        )
        self.context.set_default_timeout(reading.WAIT)
        self.tab: Page = self.context.new_page()
        self.app, self.registry, self.lang, self.folder = app, registry, lang, folder
        self.findings: list[Finding] = []
        self.visited: list[str] = []
        self._left = ""  # the title of the page the last click left

    def start(self) -> None:
        """Load the app (its first page then runs on the server)."""
        self.tab.goto(self.app.url)

    def open(self) -> None:
        """The app's first page, in Japanese; the English walk then switches in the sidebar."""
        reading.settle(self.tab)
        switch = self.tab.get_by_test_id("stSidebar").get_by_test_id("stRadio")
        sync_api.expect(switch.get_by_role("radio", name="日本語")).to_be_checked()  # the app opens in Japanese
        if self.lang == "en":
            before = reading.page_title(self.tab)
            switch.get_by_text("English", exact=True).click()
            reading.settle(self.tab, heading_not=before)
            sync_api.expect(switch.get_by_role("radio", name="English")).to_be_checked()

    def links(self) -> list[str]:
        sidebar_nav = self.tab.get_by_test_id("stSidebarNav")
        more = sidebar_nav.get_by_test_id("stSidebarNavViewButton")  # "View N more" when the list is long
        if more.count() and more.is_visible():
            more.click()
        anchors = sidebar_nav.locator('a[data-testid="stSidebarNavLink"]')
        return [anchors.nth(i).get_attribute("href") or "" for i in range(anchors.count())]

    def click(self, href: str) -> None:
        """Open the page of the navigation link ``href`` (without waiting for it)."""
        self._left = ""
        if _slug(href, self.app.url) != _slug(self.tab.url, self.app.url):
            self._left = reading.page_title(self.tab)
            self.tab.get_by_test_id("stSidebarNav").locator(f'a[href="{href}"]').click()

    def read(self, href: str) -> None:
        """Wait for the page opened by ``click``, take its screenshot and lint what it shows."""
        if self._left:
            self.tab.wait_for_url(href, timeout=reading.WAIT)
            reading.settle(self.tab, heading_not=self._left)
        slug = _slug(href, self.app.url)
        name = f"{reading.page_title(self.tab) or '(no title)'} (/{slug})"
        shot = reading.screenshot(self.tab, self.folder / f"{self.registry}-{self.lang}-{slug or 'overview'}.png")
        self.visited.append(slug or "overview")
        seen = read_page(self.tab)
        found = [
            Finding(self.registry, self.lang, name, "the page", "Streamlit exception box", text, text, shot)
            for text in seen.exceptions
        ]
        found += [
            Finding(self.registry, self.lang, name, note, "table not fully readable", "", "", shot)
            for note in seen.partial_tables
        ]
        unique: set[tuple[str, str, str, str]] = set()
        for where, text in seen.pieces:
            for rule, offending, context in lint(text, self.lang):
                place = where.split(", ", 1)[-1] if where.startswith("tab ") else where
                if (place, rule, offending, context) not in unique:  # the sidebar, read again on each tab
                    unique.add((place, rule, offending, context))
                    found.append(Finding(self.registry, self.lang, name, where, rule, offending, context, shot))
        self.findings += found

    def attempt(self, what: str, action, *args: str) -> bool:
        """Run one step; a browser error (a timeout: the page never settled) becomes a finding."""
        try:
            action(*args)
        except (sync_api.Error, AssertionError) as exc:  # expect() fails with AssertionError
            self.broken(what, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            return False
        return True

    def broken(self, what: str, error: str) -> None:
        shot: Path | None = self.folder / f"{self.registry}-{self.lang}-error-{len(self.findings)}.png"
        try:
            reading.screenshot(self.tab, shot)
            name = f"{reading.page_title(self.tab) or '(no title)'} ({self.tab.url})"
        except sync_api.Error:
            shot, name = None, self.tab.url
        self.findings.append(Finding(self.registry, self.lang, name, what, "browser step failed", error, error, shot))

    def close(self) -> None:
        self.context.close()


def _slug(url: str, base: str) -> str:
    return url.removeprefix(base).strip("/").split("?")[0]


def walk_side_by_side(walks: list[Walk]) -> float:
    """Every walk through every page of its navigation, the walks side by side; the seconds taken.
    A page that fails in the browser (it never settles, say) is a finding, and the walk goes on."""
    started = time.monotonic()
    links: list[list[str]] = []
    loaded = [each.attempt("loading the app", each.start) for each in walks]
    for each, ok in zip(walks, loaded, strict=True):
        hrefs: list[str] = []
        if ok and each.attempt("opening the app", each.open):
            hrefs = each.links()
            if not hrefs:
                each.broken("the navigation", "no page in the navigation")
        links.append(hrefs)
    # Each walk opens its next page as soon as it has read the current one, so that its server
    # works on it while the other walks are read.
    clicked = [
        bool(hrefs) and each.attempt(f"opening {hrefs[0]}", each.click, hrefs[0])
        for each, hrefs in zip(walks, links, strict=True)
    ]
    for step in range(max(map(len, links))):
        for index, (each, hrefs) in enumerate(zip(walks, links, strict=True)):
            if step >= len(hrefs):
                continue
            if clicked[index]:
                each.attempt(f"reading {hrefs[step]}", each.read, hrefs[step])
            if step + 1 < len(hrefs):
                clicked[index] = each.attempt(f"opening {hrefs[step + 1]}", each.click, hrefs[step + 1])
    return time.monotonic() - started


# --- the tests ---------------------------------------------------------------------------------

LANGUAGES = ("ja", "en")  # Japanese first: the app opens in it; English through the sidebar's switch
# Who single-user mode runs as (dashboards/ui/session.py, actor()): the pages the walk must find.
SINGLE_USER_ROLE = "admin"


def _single_user_pages() -> tuple[list[str], list[str]]:
    """The pages single-user mode may open and those it may not (registry/access/pages.py)."""
    from registry import access
    from registry.domain.actor import Actor

    local = Actor.person("local", SINGLE_USER_ROLE, via="single-user")
    pages = list(access.PAGE_ROLES)
    return [p for p in pages if access.page_allowed(local, p)], [p for p in pages if not access.page_allowed(local, p)]


def test_supplier_portal_in_single_user_mode():
    """The portal is linted with the other pages when single-user mode can open it."""
    reachable, _ = _single_user_pages()
    if "portal" not in reachable:
        pytest.skip(
            "the supplier portal is not reachable in single-user mode: it opens only for a supplier signed in "
            "through an invitation link (registry/access/pages.py gives it the role 'supplier', which single-user "
            "mode's admin does not have, and single-user mode ignores invitation links), so the linter skips it"
        )


@pytest.fixture(scope="module")
def apps(serve_single_user, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A server per registry and language, each on its own copy of the registry: an empty registry
    (``monosashi init``) and the demo (``monosashi demo``). A Streamlit server runs one session's
    script at a time, so a server per walk lets the walks go at once. The empty registry's servers
    start first and boot while the demo is made."""
    empty = tmp_path_factory.mktemp("empty_registry") / "registry.duckdb"
    monosashi("init", "--db", str(empty))

    def empty_copy() -> Path:
        target = tmp_path_factory.mktemp("empty_registry") / "registry.duckdb"
        shutil.copyfile(empty, target)
        return target

    started: dict[tuple[str, str], LocalApp] = {("empty", lang): serve_single_user(empty_copy()) for lang in LANGUAGES}
    fresh_demo = request.getfixturevalue("fresh_demo")
    started |= {("demo", lang): serve_single_user(fresh_demo()) for lang in LANGUAGES}
    order = sorted(started, key=lambda key: (key[0], LANGUAGES.index(key[1])))  # demo, empty; ja, en
    return {key: started[key].ready() for key in order}


def test_every_page_reads_clean_in_both_languages(browser, apps: dict[tuple[str, str], LocalApp], tmp_path: Path):
    """Four sessions side by side: each registry in Japanese, and in English after the switch."""
    expected, _ = _single_user_pages()
    walks = [Walk(browser, app, registry, lang, tmp_path) for (registry, lang), app in apps.items()]
    try:
        seconds = walk_side_by_side(walks)
    finally:
        for each in walks:
            each.close()

    findings: list[Finding] = []
    for each in walks:
        findings += [
            Finding(
                each.registry, each.lang, f"/{name}", "the navigation", "page missing from the navigation", name, ""
            )
            for name in expected
            if name not in each.visited
        ]
        findings += each.findings
    pages = sum(len(each.visited) for each in walks)
    print(
        f"\npage linter: {pages} pages ({len(walks)} walks side by side) in {seconds:.0f} s; screenshots in {tmp_path}"
    )
    if findings:
        groups: dict[tuple[str, ...], list[Finding]] = {}
        for finding in findings:
            groups.setdefault(finding.group, []).append(finding)
        lines = [group[0].line(len(group) - 1) for group in groups.values()]
        pytest.fail(
            f"{len(groups)} findings ({len(findings)} occurrences) on {pages} pages:\n" + "\n".join(lines),
            pytrace=False,
        )
