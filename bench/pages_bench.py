"""Every page in a real browser at 100,000 suppliers (issue 18): how long until each page has settled.

    python bench/pages_bench.py [--suppliers 100000] [--db PATH] [--repeat 3] [--pages all]

Serves a demo registry of ``--suppliers`` suppliers (``--db``: reuse that registry file when it
exists, else build it there with ``monosashi demo``; without ``--db`` it is built in a temporary
folder; the build time is printed) with ``streamlit run app.py`` in single-user mode, as the
browser tests do (tests/browser/conftest.py: no sign-in, no file watcher, 127.0.0.1 on a free
port), and opens each page of the navigation in headless Debian ``chromium`` through Playwright:
Overview, Suppliers, the Supplier page of one real supplier (the tier-1 supplier with the most
direct subcontractors, by ``?id=``), Renewals, Flags, Readiness, Supply chain and every other page
the navigation lists (``--pages``: a comma-separated list of their URL names instead of all).

What is measured, per page load: a new browser context (a new Streamlit session, nothing kept
from an earlier load but the server's caches) navigates to the page's URL, and the time runs from
the document's navigation start (``performance.timeOrigin``, read in the browser) until the page
has settled by the browser tests' definition (tests/browser/page_reading.py): connected, the
script not running, no "Running…" widget, no stale element, the page's title (or an error box)
drawn in the main area, every visible table and chart drawn. The state must still hold 150 ms
later (a run may start another); if it does not, the time is taken when it settles again. Each
time is also split at the moment Streamlit's websocket connected ("booted": the HTML, scripts and
front end loaded, the same for every page) and the rest (the script run, sending, drawing).

``--repeat`` rounds (default 3) go through all pages in turn; nothing is discarded: the first
round meets the server's caches cold (the Overview's board, readiness, coverage… are computed
once per registry revision), the later ones warm, and every load's time is printed with the min,
median and max per page. Pages whose median is above the 1.5 s target are marked. Printed for
scale in the same run: the load average and core count at the start, the first load after the
server starts (it opens the registry: migration check, the day's derivation) and a floor: the
Overview of an EMPTY registry served the same way, timed the same way.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import _support  # noqa: F401  (puts tests/ on sys.path: the browser tests' settings and waits)
import duckdb
from browser import page_reading
from browser.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5  # seconds: a page settled within this
HOLD_MS = 150  # the settled state must still hold this much later (page_reading.settle)
VIEWPORT = {"width": 1440, "height": 900}

# Settled (the tests' definition) and drawn, as one predicate polled every frame; when it holds,
# it answers the time since the document's navigation start.
_SETTLED_AND_DRAWN = f"() => (({page_reading._SETTLED})() && ({page_reading._DRAWN})()) ? performance.now() : false"
# Installed in every new document: when Streamlit's websocket first connected (the front end has
# loaded and booted), to split the settled time into booting and the rest (script run, drawing).
_MARK_CONNECTED = """(() => {
  const marks = (window.__pagesBench = {});
  const tick = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && app.dataset.testConnectionState === 'CONNECTED') marks.connected = performance.now();
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()"""
_ERROR_BOX = '() => !!document.querySelector(\'[data-testid="stMain"] [data-testid="stException"]\')'


def machine() -> str:
    load = os.getloadavg()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min); {os.cpu_count()} cores ({usable} usable)"
    )


# --- the registry and the server -------------------------------------------------------------------


def monosashi(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "registry", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"monosashi {' '.join(args)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")


def registry_file(db: Path | None, suppliers: int, folder: Path) -> Path:
    if db is not None and db.exists():
        print(f"registry: reusing {db} ({db.stat().st_size / 1e9:.2f} GB)")
        return db
    target = db or folder / "registry.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    monosashi("demo", "--db", str(target), "--suppliers", str(suppliers))
    size = sum(f.stat().st_size for f in target.parent.glob(target.name + "*"))
    print(
        f"registry: built {target} with {suppliers:,} suppliers in {time.perf_counter() - started:.1f} s ({size / 1e9:.2f} GB)"
    )
    return target


def pick_supplier(db: Path) -> tuple[str, int, int]:
    """The tier-1 supplier with the most direct subcontractors (read before the server opens the file)."""
    with duckdb.connect(str(db), read_only=True) as con:
        total = con.execute("SELECT count(*) FROM supplier").fetchone()[0]
        row = con.execute(
            """SELECT t1.child_id, count(sub.child_id) AS n FROM supplier_link t1
               LEFT JOIN supplier_link sub ON sub.parent_id = t1.child_id
               WHERE t1.parent_id = '@buyer' GROUP BY t1.child_id ORDER BY n DESC, t1.child_id LIMIT 1"""
        ).fetchone()
        if row is None:
            row = (con.execute("SELECT min(supplier_id) FROM supplier").fetchone()[0], 0)
    return row[0], row[1], total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(db: Path, log: Path) -> Iterator[str]:
    """``streamlit run app.py`` in single-user mode on ``db``, as the browser tests start it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MONOSASHI_SINGLE_USER": "1", "MONOSASHI_DEMO_SUPPLIERS": "0", "MONOSASHI_DB": str(db)}
    command = [
        *(sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"),
        *("--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"),
        *("--server.fileWatcherType", "none", "--", "--db", str(db)),
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                sys.exit(f"streamlit exited with code {server.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                sys.exit(f"streamlit did not answer on {url}/_stcore/health:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- one page load ---------------------------------------------------------------------------------


@dataclass
class Load:
    seconds: float  # navigation start → settled
    connected: float  # navigation start → Streamlit's websocket connected (the front end booted)
    reran: bool  # the settled state did not hold 150 ms: the time is that of the second settling
    error: bool  # the page settled on Streamlit's exception box


def load(browser, url: str, timeout_ms: int, nav: list[str] | None = None) -> Load:  # type: ignore[no-untyped-def]
    """Open ``url`` in a new browser context and time it until settled; ``nav`` gets the
    navigation's links when given."""
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    context.set_default_timeout(timeout_ms)
    context.add_init_script(_MARK_CONNECTED)
    try:
        tab = context.new_page()
        tab.goto(url, wait_until="commit")
        settled = tab.wait_for_function(_SETTLED_AND_DRAWN, polling="raf", timeout=timeout_ms).json_value()
        tab.wait_for_timeout(HOLD_MS)
        reran = not tab.evaluate(_SETTLED_AND_DRAWN)
        if reran:
            settled = tab.wait_for_function(_SETTLED_AND_DRAWN, polling="raf", timeout=timeout_ms).json_value()
        connected = tab.evaluate("() => window.__pagesBench.connected ?? NaN")
        error = tab.evaluate(_ERROR_BOX)
        if nav is not None:
            nav.extend(links(tab, url))
        return Load(settled / 1000, connected / 1000, reran, error)
    finally:
        context.close()


def links(tab, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The URL names of the pages in the sidebar's navigation, in order (the default page, whose
    link is the app's root, by the name its own URL redirects there from: overview)."""
    sidebar_nav = tab.get_by_test_id("stSidebarNav")
    more = sidebar_nav.get_by_test_id("stSidebarNavViewButton")
    if more.count():
        more.first.click()
    anchors = sidebar_nav.locator('a[data-testid="stSidebarNavLink"]')
    hrefs = [anchors.nth(i).get_attribute("href") or "" for i in range(anchors.count())]
    base = "/".join(url.split("/", 3)[:3])  # scheme://host:port
    return [href.removeprefix(base).strip("/").split("?")[0] or "overview" for href in hrefs]


@dataclass
class Timings:
    name: str
    loads: list[Load] = field(default_factory=list)

    def line(self) -> str:
        seconds = [each.seconds for each in self.loads]
        median = statistics.median(seconds)
        booted = statistics.median(each.connected for each in self.loads)
        after = statistics.median(each.seconds - each.connected for each in self.loads)
        mark = "  ✗ over 1.5 s" if median > TARGET else ("  (max over 1.5 s)" if max(seconds) > TARGET else "")
        runs = " ".join(
            f"{each.seconds:5.2f}{'r' if each.reran else ''}{'!' if each.error else ''}" for each in self.loads
        )
        return (
            f"{self.name:22} {min(seconds):6.2f} {median:6.2f} {max(seconds):6.2f}   {booted:7.2f} {after:7.2f}"
            f"   [{runs}]{mark}"
        )


def table(rows: list[Timings]) -> None:
    print(f"{'page':22} {'min':>6} {'median':>6} {'max':>6}   {'booted':>7} {'rest':>7}   [each load, in order]")
    for row in rows:
        print(row.line())


# --- the run ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="registry file: reused if present, else built there")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", default="all", help="comma-separated URL names (overview,suppliers,…) or all")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a page may take to settle")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)")
    print(f"start: {machine()}")
    timeout_ms = int(args.timeout * 1000)
    with tempfile.TemporaryDirectory(prefix="pages_bench_") as tmp:
        folder = Path(tmp)
        db = registry_file(args.db.resolve() if args.db else None, args.suppliers, folder)
        supplier_id, subcontractors, total = pick_supplier(db)
        print(
            f"registry: {total:,} suppliers; Supplier page for {supplier_id} ({subcontractors} direct subcontractors)"
        )
        empty = folder / "empty.duckdb"
        monosashi("init", "--db", str(empty))

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                # The floor: the Overview of an empty registry, the same server, browser and waits.
                with served(empty, folder / "empty.log") as url:
                    floor = Timings("overview (EMPTY)")
                    load(browser, f"{url}/catalogue", timeout_ms)  # the server's first run, not counted
                    floor.loads = [load(browser, f"{url}/overview", timeout_ms) for _ in range(args.repeat)]

                with served(db, folder / "streamlit.log") as url:
                    nav: list[str] = []
                    first = load(browser, f"{url}/catalogue", timeout_ms, nav)
                    print(f"first load after the server started (Catalogue; opens the registry): {first.seconds:.2f} s")
                    names = [name for name in nav if name] or ["overview"]
                    if args.pages != "all":
                        wanted = [name.strip() for name in args.pages.split(",") if name.strip()]
                        unknown = sorted(set(wanted) - set(names))
                        if unknown:
                            sys.exit(f"not in the navigation: {', '.join(unknown)} (it has {', '.join(names)})")
                        names = wanted
                    print(f"pages: {', '.join(names)}")
                    print(f"timing from here: {machine()}")
                    rows = [Timings(f"supplier ?id={supplier_id}" if n == "supplier" else n) for n in names]
                    started = time.perf_counter()
                    for round_ in range(args.repeat):
                        for name, row in zip(names, rows, strict=True):
                            query = f"?id={supplier_id}" if name == "supplier" else ""
                            row.loads.append(load(browser, f"{url}/{name}{query}", timeout_ms))
                        print(f"  round {round_ + 1}/{args.repeat} done ({time.perf_counter() - started:.0f} s)")
            finally:
                browser.close()

        print()
        print(f"Time from navigation start to settled, new browser context per load, {total:,} suppliers:")
        table(rows)
        print("baseline (floor):")
        table([floor])
        print(
            "seconds from navigation start to settled; booted: median time to Streamlit's websocket connected"
            " (page, scripts, front end up); rest: median of settled − booted (script run, sending, drawing)."
        )
        print("r: did not stay settled 150 ms (a second run); timed at the second settling. !: exception box.")
        print(f"end: {machine()}")


if __name__ == "__main__":
    main()
