"""Factories shared by the tests: a registry store in a known shape, fixed dates."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path

import polars as pl
import pytest
import time_machine

from registry.domain.actor import Actor
from registry.services import profiles as profile_service
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.content import RegistryData, initialise, replace_demo, replace_registry

AS_OF = date(2026, 11, 23)
# Who writes in tests: the system builds registries; people act with their roles.
SYSTEM = Actor.system("demo")
ADMIN = Actor.person("tester", "admin")
BUYER = Actor.person("buyer", "buyer")


@pytest.fixture(autouse=True)
def messages_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's messages follow the machine's locale; tests read them in English unless a test
    asks for another language (``--lang`` or ``MONOSASHI_LANG``)."""
    monkeypatch.setenv("MONOSASHI_LANG", "en")


@pytest.fixture(autouse=True)
def today_is_as_of(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test runs on AS_OF (noon UTC, the same calendar day in Tokyo), whatever the wall
    clock says; the clock still ticks, so timeouts and durations behave. Real-browser tests talk
    to a server in another process, whose clock no test can move: both sides read the real one.
    A test that needs another day travels itself (``time_machine.travel``)."""
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("real_clock"):
        yield
        return
    with time_machine.travel(datetime.combine(AS_OF, time(12), tzinfo=UTC), tick=True):
        yield


def make_store(path: Path, suppliers: int = 0, seed: int = 1, as_of: date = AS_OF) -> Store:
    """A migrated registry at ``path``, with a demo of ``suppliers`` suppliers if asked."""
    store = Store(path, lock_timeout=2.0)
    initialise(store, SYSTEM)
    if suppliers:
        replace_demo(store, generate_demo(suppliers, seed, as_of), SYSTEM, seed=seed)
    return store


def registry_data(
    suppliers: list[str],
    links: list[tuple[str, str]],
    certificates: list[tuple[str, str, date, date | None]] = (),
    requests: list[tuple[str, int, date]] = (),
) -> RegistryData:
    """Hand-made registry content: supplier IDs, (parent, child) links, (supplier, scheme,
    issued, expires) certificates and (supplier, level, requested_on) requests."""
    return RegistryData(
        suppliers=pl.DataFrame(
            {"supplier_id": suppliers, "name": [f"テスト{s}株式会社" for s in suppliers], "name_key": suppliers}
        ),
        links=pl.DataFrame(
            {"parent_id": [p for p, _ in links], "child_id": [c for _, c in links], "source": ["import"] * len(links)},
            schema={"parent_id": pl.String, "child_id": pl.String, "source": pl.String},
        ),
        certificates=pl.DataFrame(
            {
                "certificate_id": [f"C{i}" for i in range(len(certificates))],
                "supplier_id": [c[0] for c in certificates],
                "scheme": [c[1] for c in certificates],
                "issued_on": [c[2] for c in certificates],
                "expires_on": [c[3] for c in certificates],
            },
            schema={
                "certificate_id": pl.String,
                "supplier_id": pl.String,
                "scheme": pl.String,
                "issued_on": pl.Date,
                "expires_on": pl.Date,
            },
        ),
        requests=pl.DataFrame(
            {
                "request_id": [f"R{i}" for i in range(len(requests))],
                "supplier_id": [r[0] for r in requests],
                "requested_level": [r[1] for r in requests],
                "requested_on": [r[2] for r in requests],
                "due_on": [r[2] for r in requests],
                "state": ["sent"] * len(requests),
            },
            schema={
                "request_id": pl.String,
                "supplier_id": pl.String,
                "requested_level": pl.Int32,
                "requested_on": pl.Date,
                "due_on": pl.Date,
                "state": pl.String,
            },
        ),
    )


def store_with(path: Path, data: RegistryData) -> Store:
    store = make_store(path)
    replace_registry(store, data, SYSTEM, reason="test")
    return store


@pytest.fixture
def demo_store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "demo.duckdb", suppliers=200, seed=5)


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "empty.duckdb")


@contextmanager
def lock_held_by_another_process(path: Path) -> Iterator[subprocess.Popen]:
    """Another process holds the DuckDB file open (as the app or a CLI command would)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def two_profiles_on_one_criterion(store: Store) -> None:
    """Two checklist profiles whose item 1 maps onto 4-4-2-1 with the same weight: answering them
    differently is a conflict of equal evidence."""

    folder = profile_service.profiles_folder(store)
    folder.mkdir()
    for name in ("p-one", "p-two"):
        (folder / f"{name}.yaml").write_text(
            f"name: {name}\ntitle_ja: {name}\ntitle_en: {name}\nframework_id: profile.{name}\nversion: '1'\n"
            f"fingerprint: [{name}番号, {name}回答]\ncolumns: {{item_id: {name}番号, answer: {name}回答}}\n"
            "answers: [{label: Y, status: met}, {label: N, status: not_met}]\n"
            "items: [{id: '1', maps: [{criterion: 4-4-2-1, relationship: equal, strength: 0.8, rationale: same}]}]\n"
            "date_labels: [回答日]\n",
            encoding="utf-8",
        )
