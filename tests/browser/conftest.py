"""Real-browser tests: the app served by ``streamlit run`` on a small demo registry, driven by
Playwright through Debian's ``chromium`` (headless).

They skip, saying why, when the ``playwright`` package or ``/usr/bin/chromium`` is missing
(``apt-get install chromium fonts-noto-cjk``; ``.ci/run`` installs both when it can).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "screenshots"
DEMO_SUPPLIERS = 60
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: end-to-end test in a real browser (playwright + /usr/bin/chromium)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Steps of one flow share one browser page: after a failed step the next ones are skipped
    (their failure would only echo the first one). A failed step leaves a screenshot of what the
    browser showed, and its report carries the end of the app's log."""
    report = yield
    if "browser" not in item.keywords or not report.failed:
        return report
    item.parent._failed_step = item.name  # type: ignore[union-attr]
    tab = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if tab is not None:
        try:
            tab.screenshot(path=SCREENSHOTS / f"failed-{item.name}.png", full_page=True)
        except Exception as exc:  # the browser may be what failed
            report.sections.append(("failure screenshot", f"not taken: {exc}"))
    app = item.funcargs.get("app") if hasattr(item, "funcargs") else None
    if app is not None and app.log.exists():
        report.sections.append(("streamlit log (end)", app.log.read_text(errors="replace")[-4000:]))
    return report


def pytest_runtest_setup(item: pytest.Item) -> None:
    failed = getattr(item.parent, "_failed_step", None)
    if "browser" in item.keywords and failed is not None:
        pytest.skip(f"an earlier step of this flow failed ({failed})")


@dataclass(frozen=True)
class RunningApp:
    url: str
    db: Path
    supplier_id: str  # a demo supplier with no evidence yet: the flow imports its self-assessment
    supplier_name: str
    demo_suppliers: int
    log: Path
    user: str = "buyer1"  # the buyer account the flow signs in with
    password: str = "browser-test-buyer-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with code {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"streamlit did not answer on {url}/_stcore/health within {timeout:.0f} s:\n{log.read_text()}")


def _prepare_registry(db: Path) -> tuple[str, str]:
    """Create the demo registry the app would create on its first start, and pick a supplier that
    has no evidence at all (so that the imported self-assessment is what the Supplier page shows)."""
    from registry import access
    from registry.domain.actor import Actor
    from registry.services import yardstick
    from registry.services.maintenance import ensure_ready
    from registry.store import Store
    from registry.store.suppliers import supplier_choices

    store = Store(db)
    ensure_ready(store, DEMO_SUPPLIERS, date.today())
    access.add_user(
        store, RunningApp.user, "buyer", Actor.person("browser-test", "admin"), password=RunningApp.password
    )
    for supplier_id, name in supplier_choices(store, "", limit=DEMO_SUPPLIERS).iter_rows():
        readiness = yardstick.supplier_view(store, date.today(), supplier_id).readiness
        if not readiness["star3"] and not readiness["star4"] and not readiness["star3_partial"]:
            return supplier_id, name
    pytest.fail("the demo has no supplier without evidence")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """``streamlit run app.py`` on a fresh registry of a small demo, stopped at the end."""
    folder = tmp_path_factory.mktemp("browser_app")
    db = folder / "registry.duckdb"
    supplier_id, supplier_name = _prepare_registry(db)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "streamlit.log"
    env = {**os.environ, "MONOSASHI_DEMO_SUPPLIERS": str(DEMO_SUPPLIERS), "MONOSASHI_DB": str(db)}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                # the tests must not rerun the app when someone edits a source file meanwhile
                "--server.fileWatcherType",
                "none",
                "--",
                "--db",
                str(db),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, server, log)
        yield RunningApp(
            url=url, db=db, supplier_id=supplier_id, supplier_name=supplier_name, demo_suppliers=DEMO_SUPPLIERS, log=log
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)")
    sync_playwright = sync_api.sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser, app: RunningApp) -> Iterator[object]:
    """One browser tab for the whole flow (the steps share the Streamlit session)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ja-JP", accept_downloads=True)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where each step leaves its screenshot (git-ignored), emptied of an earlier run's."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS


# --- Single-user servers (no sign-in), for the page linter and the import journey --------------


@dataclass(frozen=True)
class LocalApp:
    """``streamlit run app.py`` in single-user local mode (``monosashi serve --single-user``: no
    sign-in, whoever connects is the admin) on one registry file."""

    url: str
    db: Path
    log: Path
    server: subprocess.Popen

    def ready(self) -> LocalApp:
        _wait_healthy(self.url, self.server, self.log)
        return self


def monosashi(*args: str) -> subprocess.CompletedProcess:
    """Run the ``monosashi`` command line (``python -m registry``) and fail the test, with its
    output, when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "registry", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.fail(f"monosashi {' '.join(args)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="session")
def demo_registry_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo registry made once by ``monosashi demo``; tests that write copy it (``fresh_demo``)."""
    db = tmp_path_factory.mktemp("demo_registry") / "demo.duckdb"
    monosashi("demo", "--db", str(db), "--suppliers", str(DEMO_SUPPLIERS))
    return db


@pytest.fixture(scope="module")
def fresh_demo(demo_registry_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """A function that copies the demo registry to a new folder and returns the copy's path."""

    def copy() -> Path:
        target = tmp_path_factory.mktemp("registry") / "registry.duckdb"
        for source in (demo_registry_file, demo_registry_file.with_name(demo_registry_file.name + ".wal")):
            if source.exists():
                target.with_name(target.name + source.name.removeprefix(demo_registry_file.name)).write_bytes(
                    source.read_bytes()
                )
        return target

    return copy


@pytest.fixture(scope="module")
def serve_single_user() -> Iterator[object]:
    """A function that starts the app in single-user mode on a registry file and returns its
    ``LocalApp`` (call ``.ready()`` to wait for it: start several, then wait, to start them side by
    side). Every server started is stopped at the end of the module."""
    started: list[subprocess.Popen] = []

    def start(db: Path) -> LocalApp:
        port = _free_port()
        log = db.with_name("streamlit.log")
        env = {
            **os.environ,
            "MONOSASHI_SINGLE_USER": "1",
            # 0: an empty registry stays empty (the app fills only a first start's registry)
            "MONOSASHI_DEMO_SUPPLIERS": "0",
            "MONOSASHI_DB": str(db),
        }
        with log.open("wb") as out:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    "app.py",
                    "--server.headless",
                    "true",
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",  # single-user mode refuses any other address
                    "--browser.gatherUsageStats",
                    "false",
                    "--server.fileWatcherType",
                    "none",
                    "--",
                    "--db",
                    str(db),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(server)
        return LocalApp(url=f"http://127.0.0.1:{port}", db=db, log=log, server=server)

    try:
        yield start
    finally:
        for server in started:
            server.terminate()
        for server in started:
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
