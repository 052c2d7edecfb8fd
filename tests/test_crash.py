"""A process killed (SIGKILL) in the middle of a big write leaves a registry that opens cleanly and
holds the write either whole or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import AS_OF, BUYER, make_store
from test_concurrency import workbook_variants

from registry.domain.models import Supplier
from registry.services.demo import generate_demo
from registry.store import Store
from registry.store.suppliers import add_supplier

pytestmark = pytest.mark.skipif(
    os.name != "posix" or not hasattr(signal, "SIGKILL"),
    reason="kills a child process with SIGKILL, which only POSIX systems have",
)

ROOT = Path(__file__).resolve().parent.parent
SMALL, BIG = 40, 6_000  # suppliers before, and in the big replacement (about 410,000 answers)
WORKBOOKS = 200  # SCS ★4 self-assessments in the big all-or-nothing import (30,600 answers)

# The child writes in one transaction and says where it is on stdout. Kill points:
#   mid            inside the transaction, half the tables written (then it waits to be killed)
#   before_commit  after the last statement, before COMMIT (waits)
#   during_commit  the same marker, but it goes on: the kill lands in COMMIT (as soon as the
#                  write-ahead log grows), or a few milliseconds later
#   after_commit   committed, file still open, so the write is only in the write-ahead log (waits)
#   in_checkpoint  committed; the kill lands while closing the file writes the checkpoint
CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    from pathlib import Path

    from importers.base import Limits
    from registry.services import intake
    from registry.store import content
    from registry.domain.actor import Actor
    from registry.store import Store, Transaction

    db, what, point, table, source = sys.argv[1:6]
    store = Store(db, lock_timeout=30)

    def marker(text):
        print(text, flush=True)

    if point == "mid":
        insert_frame = Transaction.insert_frame

        def insert_and_stop(self, name, frame):
            rows = insert_frame(self, name, frame)
            if name == table:
                marker("KILL in transaction")
                time.sleep(120)
            return rows

        Transaction.insert_frame = insert_and_stop
    elif point in ("before_commit", "during_commit"):
        method = "audit" if what == "replace" else "audit_many"
        last = getattr(Transaction, method)

        def last_statement(self, *args, **kwargs):
            last(self, *args, **kwargs)
            marker("KILL before commit")
            if point == "before_commit":
                time.sleep(120)

        setattr(Transaction, method, last_statement)

    with store.held_open():
        if what == "replace":
            from registry.services.demo import generate_demo

            data = generate_demo(int(source), 2, date(2026, 11, 23))
            content.replace_registry(store, data, Actor.system("demo"), reason="crash test")
        else:
            reports = intake.analyse(store, intake.collect([Path(source)], Limits()))
            assert all(r.status == "ready" for r in reports), [r.errors for r in reports if r.errors]
            intake.commit(store, reports, mode="batch", actor=Actor.person("crash-test", "buyer"), today=date(2026, 11, 23))
        marker("KILL committed")
        if point == "after_commit":
            time.sleep(120)
    marker("closed")
    """
)

MARKERS = {
    "mid": "KILL in transaction",
    "before_commit": "KILL before commit",
    "during_commit": "KILL before commit",
    "after_commit": "KILL committed",
    "in_checkpoint": "KILL committed",
}


def kill_at(path: Path, what: str, point: str, source: str, *, table: str = "", delay: float | str = 0.0) -> dict:
    """Run the child until its marker, SIGKILL it and say how big the files were then. ``delay``:
    seconds to wait after the marker, or ``"wal"``: kill as soon as the commit starts writing the
    write-ahead log (a torn commit)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), what, point, table, source],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            seen.append(line.strip())
            if line.strip() == MARKERS[point]:
                break
        else:
            pytest.fail(f"the child did not reach {point} in time; it printed {seen}")
        assert seen and seen[-1] == MARKERS[point], f"the child ended early: {seen} {child.stderr.read()}"
        wal = path.with_name(path.name + ".wal")
        if delay == "wal":
            polling = time.monotonic() + 30
            while not (wal.exists() and wal.stat().st_size > 0) and time.monotonic() < polling:
                pass  # busy: the commit writes its log within milliseconds
        elif delay:
            time.sleep(delay)
        at_kill = {"file": path.stat().st_size, "wal": wal.stat().st_size if wal.exists() else 0}
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, f"the child was not killed but ended with {child.returncode}"
    return at_kill


def reopen(path: Path) -> Store:
    """The registry after the crash: it must open cleanly, and keep working."""
    store = Store(path, lock_timeout=5)
    store.check_schema()
    return store


def _row(store: Store, sql: str) -> tuple[int, ...]:
    with store.connect() as con:
        return tuple(con.execute(sql).fetchone())


def still_writable(store: Store) -> None:
    add_supplier(store, Supplier(supplier_id="AFTER-CRASH", name="株式会社復旧確認"), BUYER)
    assert store.scalar("SELECT count(*) FROM supplier WHERE supplier_id = 'AFTER-CRASH'") == 1
    reopen(store.path)  # and opens again once the write-ahead log was replayed


REPLACE_COUNTS = """
SELECT (SELECT count(*) FROM supplier), (SELECT count(*) FROM supplier_link), (SELECT count(*) FROM certificate),
       (SELECT count(*) FROM level_request), (SELECT count(*) FROM submission), (SELECT count(*) FROM answer),
       (SELECT count(*) FROM answer WHERE submission_id NOT IN (SELECT submission_id FROM submission)),
       (SELECT count(*) FROM audit_log WHERE action = 'replace_registry')
"""


def _expected(suppliers: int, seed: int, replacements: int) -> tuple[int, ...]:
    data = generate_demo(suppliers, seed, AS_OF)
    return (
        data.suppliers.height,
        data.links.height,
        data.certificates.height,
        data.requests.height,
        data.submissions.height,
        data.answers.height,
        0,
        replacements,
    )


@pytest.fixture(scope="module")
def replace_states() -> dict[str, tuple[int, ...]]:
    return {"before": _expected(SMALL, 1, 1), "after": _expected(BIG, 2, 2)}


@pytest.mark.parametrize(
    ("point", "table", "delay", "outcomes"),
    [
        ("mid", "certificate", 0, {"before"}),  # suppliers, links, certificates written; answers not
        ("mid", "answer", 0, {"before"}),  # every row written, uncommitted, much of it on disk already
        ("before_commit", "", 0, {"before"}),
        ("during_commit", "", "wal", {"before", "after"}),  # the log half written
        ("after_commit", "", 0, {"after"}),  # only in the log
        ("in_checkpoint", "", 0.01, {"after"}),  # the log half copied into the file
    ],
)
def test_a_killed_registry_replacement_is_all_or_nothing(
    tmp_path: Path, replace_states, point: str, table: str, delay: float, outcomes: set[str]
):
    path = tmp_path / "r.duckdb"
    make_store(path, suppliers=SMALL, seed=1)
    at_kill = kill_at(path, "replace", point, str(BIG), table=table, delay=delay)
    store = reopen(path)
    found = _row(store, REPLACE_COUNTS)
    states = {name for name, counts in replace_states.items() if counts == found}
    assert states, f"killed at {point} ({at_kill}): a partial registry {found}; expected one of {replace_states}"
    assert states <= outcomes, f"killed at {point}: found the registry {states}, expected {outcomes}"
    still_writable(store)


INTAKE_COUNTS = """
SELECT (SELECT count(*) FROM submission WHERE format <> 'demo'),
       (SELECT count(*) FROM answer JOIN submission USING (submission_id) WHERE format <> 'demo'),
       (SELECT count(*) FROM import_file WHERE status = 'imported'),
       (SELECT count(*) FROM file_blob f JOIN import_file i USING (sha256)),
       (SELECT count(*) FROM audit_log WHERE action = 'import_file'),
       (SELECT count(*) FROM answer WHERE submission_id NOT IN (SELECT submission_id FROM submission))
"""


@pytest.fixture(scope="module")
def workbook_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("workbooks")
    for supplier_id, data in workbook_variants([f"S{i:06d}" for i in range(1, WORKBOOKS + 1)]).items():
        (folder / f"{supplier_id}.xlsx").write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def intake_registry(tmp_path_factory) -> bytes:
    """A registry of as many demo suppliers as workbooks, made once and copied for each kill."""
    path = tmp_path_factory.mktemp("registry") / "r.duckdb"
    make_store(path, suppliers=WORKBOOKS, seed=1)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("point", "table", "delay", "outcomes"),
    [
        ("mid", "submission", 0, {"before"}),  # submissions written, their answers not yet
        ("during_commit", "", "wal", {"before", "after"}),
        ("after_commit", "", 0, {"after"}),
    ],
)
def test_a_killed_all_or_nothing_import_is_all_or_nothing(
    tmp_path: Path, workbook_folder: Path, intake_registry: bytes, point, table, delay, outcomes
):
    path = tmp_path / "r.duckdb"
    path.write_bytes(intake_registry)
    at_kill = kill_at(path, "intake", point, str(workbook_folder), table=table, delay=delay)
    store = reopen(path)
    found = _row(store, INTAKE_COUNTS)
    n = WORKBOOKS
    states = {"before": (0, 0, 0, 0, 0, 0), "after": (n, n * 153, n, n, n, 0)}
    matching = {name for name, counts in states.items() if counts == found}
    assert matching, f"killed at {point} ({at_kill}): a partial import {found}; expected one of {states}"
    assert matching <= outcomes, f"killed at {point}: found the import {matching}, expected {outcomes}"
    still_writable(store)
