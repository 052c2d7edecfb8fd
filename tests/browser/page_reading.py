"""Reading a Streamlit page the way a person sees it, for the browser tests: wait until the script
run has settled, the page's visible text, the cells of its tables and the text of its charts, and
a screenshot of the whole page.

Tables: ``st.dataframe`` draws its cells on a canvas (glide-data-grid), so they are not in
``document.body.innerText``. Streamlit 1.67's grid offers two ways in, both used here:

- the grid component's own ``getCellContent([column, row])`` and ``columns`` (found from the
  canvas through React's fiber, a few levels up): every cell of every row, scrolled into view or
  not, with what the grid draws — ``displayData`` for text and numbers, the option's label for a
  selectbox column, ``copyData`` for dates and other custom cells, and the word "None" the grid
  paints in a missing value's place (``isMissingValue``: Streamlit's placeholder for null in every
  column kind but checkbox, chart and progress);
- should React's internals move in a later version, the accessibility table glide-data-grid
  keeps inside the canvas (``<table role="grid">``, cells ``glide-cell-<col>-<row>``), which holds
  only the rows and columns scrolled into view, and not the "None" of a missing value.

Each table says which way it was read (``via``), so that a test can tell when the full reading is
lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

WAIT = 30_000  # ms: one script run of a page, with room for a slow CI machine
MAX_TABLE_ROWS = 1_000  # rows read per table (the demo's longest list, the catalogue, is shorter)

# Done: the app is connected and its script is not running (the state Streamlit's own browser
# tests wait for, on stApp), no "Running…" widget, no element left stale by the previous run, and
# the page has drawn its title (or an error box, when that is all it drew).
_SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  return !!app && !!main && app.dataset.testConnectionState === 'CONNECTED'
    && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && !!main.querySelector('h1, [data-testid="stException"], [data-testid="stAlert"]');
}"""

# The same, on a page just opened from another: its title is no longer the one of the page left.
_SETTLED_ELSEWHERE = (
    "(previous) => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
    f" return ({_SETTLED})() && (!h || h.innerText.trim() !== previous); }}"
)

# Every visible table has drawn its grid (a canvas), and every visible chart its SVG.
_DRAWN = """() => [...document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stDataEditor"]')]
    .filter(e => e.checkVisibility()).every(e => e.querySelector('canvas[data-testid="data-grid-canvas"]'))
  && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(e => e.checkVisibility()).every(e => e.querySelector('.js-plotly-plot svg'))"""

_TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"

# innerText without what only looks like text in the DOM: Material icons are ligatures
# ("upload_file" draws an icon) and the "Skip to main content" link is off screen until focused.
_VISIBLE_TEXT = """() => {
  const style = document.createElement('style');
  style.textContent = '[data-testid="stIconMaterial"], a[href="#stMain"] { display: none !important; }';
  document.head.appendChild(style);
  try { return document.body.innerText; } finally { style.remove(); }
}"""

# What fields show that innerText leaves out: the value of a visible text field (a selectbox
# shows its choice in one) and the placeholder of an empty one.
_FIELDS = """() => [...document.querySelectorAll('input, textarea')]
  .filter(e => e.checkVisibility() && !['hidden', 'file', 'checkbox', 'radio', 'range'].includes(e.type))
  .map(e => e.value || e.placeholder || '').filter(Boolean)"""

# Chart texts: titles, axes, ticks and legends of every visible plotly chart.
_CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(e => e.checkVisibility())
  .map(chart => [...chart.querySelectorAll('svg text')].map(t => t.textContent.trim()).filter(Boolean))"""

_TABLES = """(maxRows) => {
  const labelOf = (options, value) => {
    const option = (options ?? []).find(o => o !== null && (o === value || o.value === value));
    return option && typeof option === 'object' ? String(option.label ?? option.value) : String(value);
  };
  const shown = (cell, placeholder) => {
    const inner = cell.data && typeof cell.data === 'object' ? cell.data.kind : undefined;
    if (cell.isMissingValue && cell.kind !== 'boolean' && !['sparkline-cell', 'range-cell'].includes(inner)) {
      // what Streamlit paints for a missing value: the element's placeholder, else "None"
      return placeholder ?? 'None';
    }
    if (inner === 'dropdown-cell') return labelOf(cell.data.allowedValues, cell.data.value);
    if (inner === 'multi-select-cell') return (cell.data.values ?? []).map(v => labelOf(cell.data.options, v)).join(', ');
    if (inner === 'markdown-cell') return String(cell.data.displayValue ?? '');
    if (typeof cell.displayData === 'string') return cell.displayData;
    if (typeof cell.copyData === 'string') return cell.copyData;
    if (typeof cell.data === 'string' || typeof cell.data === 'number') return String(cell.data);
    return '';
  };
  const tables = [];
  const frames = document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stDataEditor"]');
  [...frames].forEach((frame, index) => {
    if (!frame.checkVisibility()) return;
    const table = {index, via: 'not drawn', rows: 0, titles: [], cells: []};
    tables.push(table);
    const canvas = frame.querySelector('canvas[data-testid="data-grid-canvas"]');
    if (!canvas) return;
    const key = Object.keys(canvas).find(k => k.startsWith('__reactFiber$'));
    let fiber = key ? canvas[key] : null;
    let grid = null;
    for (let depth = 0; fiber && depth < 12; depth++, fiber = fiber.return) {
      const p = fiber.memoizedProps;
      if (p && typeof p.getCellContent === 'function' && Array.isArray(p.columns) && typeof p.rows === 'number') {
        grid = p;
        break;
      }
    }
    // The element's own settings (its proto) sit further up: a placeholder for missing values.
    let placeholder;
    for (let up = fiber, depth = 0; up && depth < 40; depth++, up = up.return) {
      const p = up.memoizedProps;
      const element = p && (p.element ?? p.node?.element);
      if (element && typeof element.placeholder === 'string' && element.placeholder) {
        placeholder = element.placeholder;
        break;
      }
    }
    if (grid) {
      table.via = 'getCellContent';
      table.rows = grid.rows;
      table.titles = grid.columns.map(c => String(c.title ?? ''));
      for (let r = 0; r < Math.min(grid.rows, maxRows); r++) {
        for (let c = 0; c < grid.columns.length; c++) {
          const text = shown(grid.getCellContent([c, r]), placeholder);
          if (text) table.cells.push([r, c, text]);
        }
      }
      return;
    }
    table.via = 'accessibility table (rows in view only)';
    table.titles = [...canvas.querySelectorAll('th')].map(th => th.textContent);
    table.rows = Number(canvas.querySelector('table')?.getAttribute('aria-rowcount') ?? 1) - 1;
    canvas.querySelectorAll('td').forEach(td => {
      const m = /glide-cell-(\\d+)-(\\d+)/.exec(td.id);
      if (m && td.textContent) table.cells.push([Number(m[2]), Number(m[1]), td.textContent]);
    });
  });
  return tables;
}"""


@dataclass(frozen=True)
class Table:
    """One st.dataframe as read: its column titles and its non-empty cells (row, column, text)."""

    index: int
    via: str
    rows: int
    titles: list[str]
    cells: list[tuple[int, int, str]]

    def title_of(self, column: int) -> str:
        return self.titles[column] if column < len(self.titles) else f"#{column + 1}"

    def column(self, title: str) -> list[str]:
        """The texts of one column, row by row (empty cells are left out)."""
        wanted = self.titles.index(title)
        return [text for _, column, text in sorted(self.cells) if column == wanted]


def settle(tab: Page, *, heading_not: str | None = None) -> None:
    """Wait until Streamlit has finished the current script run and drawn its tables and charts.
    After a click that opens another page, ``heading_not`` is the title of the page left: the new
    page has settled only once its own title is up. The state must still hold 150 ms later, since a
    run may start another (``st.rerun``)."""
    condition = _SETTLED if heading_not is None else _SETTLED_ELSEWHERE
    tab.wait_for_function(condition, arg=heading_not, timeout=WAIT, polling=50)
    drawn(tab)
    tab.wait_for_timeout(150)
    tab.wait_for_function(condition, arg=heading_not, timeout=WAIT, polling=50)
    drawn(tab)


def drawn(tab: Page) -> None:
    """Wait until every visible table and chart is drawn (after a click that runs no script: a
    tab, an expander), and two frames more."""
    tab.wait_for_function(_DRAWN, timeout=WAIT, polling="raf")
    tab.evaluate(_TWO_FRAMES)


def page_title(tab: Page) -> str:
    """The page's title (its h1), or "" when it has none."""
    return tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"] h1')?.innerText.trim() ?? ''")


def visible_text(tab: Page) -> str:
    """What the page shows as text: innerText (sidebar included) and the fields' values."""
    return "\n".join([tab.evaluate(_VISIBLE_TEXT), *tab.evaluate(_FIELDS)])


def chart_texts(tab: Page) -> list[list[str]]:
    """The texts drawn in each visible plotly chart (SVG, not in innerText)."""
    return tab.evaluate(_CHARTS)


def tables(tab: Page) -> list[Table]:
    """Every visible st.dataframe, its cells read as the module docstring says."""
    return [
        Table(t["index"], t["via"], t["rows"], t["titles"], [tuple(c) for c in t["cells"]])
        for t in tab.evaluate(_TABLES, MAX_TABLE_ROWS)
    ]


def open_expanders(tab: Page) -> int:
    """Open every closed expander of the page (a click in the browser only: no script run)."""
    closed = tab.locator('[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary')
    count = closed.count()
    for _ in range(count):
        closed.first.click()
    if count:
        drawn(tab)
    return count


def screenshot(tab: Page, path: Path) -> Path:
    """A screenshot of the whole page (PNG or JPEG, by ``path``'s suffix). Streamlit scrolls its
    main block inside the viewport, so a window shorter than the content is made as tall as the
    content for the shot (a plain full-page shot shows one screen)."""
    options = {"type": "jpeg", "quality": 70} if path.suffix in (".jpg", ".jpeg") else {}
    height = tab.evaluate(
        """() => Math.max(0, ...[...document.querySelectorAll('[data-testid="stMain"], section')]
              .map(e => e.scrollHeight))"""
    )
    viewport = tab.viewport_size
    if height + 40 <= viewport["height"]:
        tab.screenshot(path=path, full_page=True, **options)
        return path
    tab.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 40, 12_000)})
    try:
        drawn(tab)
        tab.screenshot(path=path, full_page=True, **options)
    finally:
        tab.set_viewport_size(viewport)
    return path
