"""Backup and restore: a consistent snapshot while others write, a checked and atomic restore."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from conftest import ADMIN, BUYER, SYSTEM, lock_held_by_another_process, make_store
from test_concurrency import INVARIANTS, check_invariants, workbook_variants

from importers.base import SourceFile
from registry.cli import main
from registry.domain.actor import Actor
from registry.errors import DatabaseFileError, DatabaseLockedError, MonosashiError, SchemaTooNewError
from registry.services import intake
from registry.store import Store, backup, migrations
from registry.store import core as store_module

TODAY = date(2026, 11, 23)
LATEST = migrations()[-1].version


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def import_workbooks(store: Store, supplier_ids: list[str], actor: Actor = BUYER) -> None:
    files = workbook_variants(supplier_ids)
    reports = intake.analyse(store, [SourceFile(f"{i}.xlsx", data) for i, data in files.items()])
    reports = intake.commit(store, reports, mode="per_file", actor=actor, today=TODAY)
    assert {r.status for r in reports} == {"imported"}


def tables(path: Path) -> dict[str, object]:
    """Every table's rows (in a stable order) and the schema, read straight from the file."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out: dict[str, object] = {name: con.sql(f'SELECT * FROM "{name}" ORDER BY ALL').pl() for name in names}
        out["(columns)"] = con.execute(
            "SELECT table_name, column_index, column_name, data_type, column_default, is_nullable "
            "FROM duckdb_columns() ORDER BY ALL"
        ).fetchall()
        out["(constraints)"] = con.execute(
            "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
            "WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'NOT NULL') ORDER BY ALL"
        ).fetchall()
        out["(views)"] = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall()
        out["(sequences)"] = con.execute(
            "SELECT sequence_name, last_value FROM duckdb_sequences() ORDER BY 1"
        ).fetchall()
    return out


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def registry_bytes(tmp_path_factory) -> bytes:
    """A registry with a demo, imported files (history and kept bytes) and a rejected file."""
    store = make_store(tmp_path_factory.mktemp("registry") / "r.duckdb", suppliers=30, seed=7)
    import_workbooks(store, ["S000001", "S000002", "S000003"])
    reports = intake.analyse(store, [SourceFile("broken.xlsx", b"not a workbook")])
    intake.commit(store, reports, mode="per_file", actor=BUYER, today=TODAY)
    return store.path.read_bytes()


@pytest.fixture
def registry(tmp_path: Path, registry_bytes: bytes) -> Store:
    path = tmp_path / "r.duckdb"
    path.write_bytes(registry_bytes)
    return Store(path, lock_timeout=2.0)


# -- round trip -------------------------------------------------------------------------------


def test_backup_then_restore_into_a_new_path_gives_back_every_row(tmp_path: Path, registry: Store):
    copy = tmp_path / "backups" / "monday.duckdb"
    before = tables(registry.path)
    made = run("backup", "-o", str(copy), "--db", str(registry.path))
    assert made.exit_code == 0, made.output
    assert f"wrote {copy}" in made.output and f"schema version {LATEST}" in made.output
    assert "30 suppliers" in made.output
    assert not [p for p in copy.parent.iterdir() if p.name != copy.name]  # no temporary file left
    line = registry.frame("SELECT actor, entity_id, detail, sha256 FROM audit_log WHERE action = 'backup'")
    assert line.height == 1 and line["sha256"][0] == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert line["actor"][0].startswith("cli") and '"schema_version": ' in line["detail"][0]

    target = tmp_path / "restored" / "r.duckdb"
    restored = run("restore", str(copy), "--db", str(target))
    assert restored.exit_code == 0, restored.output
    assert f"restored {copy} into {target}: schema version {LATEST}, 30 suppliers" in restored.output
    assert "previous registry" not in restored.output  # there was none
    assert Store(target).check_schema() == LATEST

    after = tables(target)
    assert set(after) == set(before)
    for name, rows in before.items():
        if name in ("audit_log", "(sequences)"):
            continue
        same = after[name].equals(rows) if isinstance(rows, pl.DataFrame) else after[name] == rows
        assert same, name
    # The audit log is the backup's (which does not hold its own `backup` line) plus the restore.
    audit = after["audit_log"]
    assert audit.filter(audit["action"] != "restore").equals(before["audit_log"])
    assert audit.filter(audit["action"] == "restore")["actor"].to_list() == [audit["actor"][-1]]
    # Sequences go on where they were, so the restored registry takes new imports.
    assert dict(after["(sequences)"])["submission_seq"] >= dict(before["(sequences)"])["submission_seq"]
    import_workbooks(Store(target), ["S000004"])
    assert Store(target).scalar("SELECT count(*) FROM submission WHERE format <> 'demo'") == 4


def test_a_sample_of_the_content_survives_unchanged(tmp_path: Path, registry: Store):
    copy = tmp_path / "b.duckdb"
    backup.backup(registry, copy, actor=ADMIN)
    target = Store(tmp_path / "new.duckdb")
    backup.restore(target, copy, actor=ADMIN)
    sample = """SELECT p.supplier_id, p.name, p.corporate_number, s.sha256, a.item_id, a.raw_answer, a.status, a.location
                FROM submission s JOIN answer a USING (submission_id) JOIN supplier p USING (supplier_id)
                WHERE s.supplier_id = 'S000002' ORDER BY ALL"""
    assert target.frame(sample).equals(registry.frame(sample)) and target.frame(sample).height >= 153
    blob = "SELECT sha256, data FROM file_blob ORDER BY sha256"
    assert target.frame(blob).equals(registry.frame(blob))  # kept files, byte for byte


# -- consistency while others write -----------------------------------------------------------


def test_a_backup_taken_while_a_session_imports_holds_whole_imports_only(tmp_path: Path):
    store = make_store(tmp_path / "r.duckdb", suppliers=30, seed=2)
    live = Store(store.path, lock_timeout=30)
    ids = [f"S{i:06d}" for i in range(1, 17)]
    files = workbook_variants(ids)
    reports = intake.analyse(live, [SourceFile(f"{i}.xlsx", files[i]) for i in ids])
    errors: list[str] = []
    done = threading.Event()

    def session() -> None:
        try:  # a person's uploads, two files at a time: each upload's files go in one transaction
            for first in range(0, len(reports), 2):
                intake.commit(live, reports[first : first + 2], mode="per_file", actor=BUYER, today=TODAY)
                time.sleep(0.05)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            done.set()

    writer = threading.Thread(target=session)
    writer.start()
    taken = []
    while not done.is_set() or len(taken) < 2:
        taken.append(backup.backup(live, tmp_path / f"b{len(taken)}.duckdb", actor=ADMIN))
    writer.join(timeout=60)
    assert not errors, errors
    taken.append(backup.backup(live, tmp_path / "final.duckdb", actor=ADMIN))
    seen = []
    for result in taken:
        copy = Store(result.path)
        row = copy.frame(INVARIANTS).row(0, named=True)
        assert check_invariants(row) == [], (result.path.name, row)
        demo = copy.scalar("SELECT count(*) FROM submission WHERE format = 'demo'")
        assert row["submissions"] == result.tables["submission"] - demo
        seen.append(row["submissions"])
    assert seen == sorted(seen) and seen[-1] == len(ids)
    assert len(set(seen)) > 2, f"the backups saw {seen}: too few overlapped the writes"
    assert live.scalar("SELECT count(*) FROM audit_log WHERE action = 'backup'") == len(taken)


# -- refusals ---------------------------------------------------------------------------------


@pytest.fixture
def holding(tmp_path: Path) -> Store:
    """The registry a restore would replace, holding data."""
    return make_store(tmp_path / "live" / "r.duckdb", suppliers=10, seed=3)


def assert_untouched(store: Store, before: dict[str, bytes]) -> None:
    assert files_in(store.path.parent) == before  # same bytes, no temporary or .wal file left


def test_a_backup_from_a_newer_monosashi_is_refused(tmp_path: Path, holding: Store):
    newer = make_store(tmp_path / "newer.duckdb")
    with newer.transaction(SYSTEM) as tx:
        tx.execute("INSERT INTO schema_migrations VALUES (?, 'future', now())", [LATEST + 1])
    source = newer.path.read_bytes()
    before = files_in(holding.path.parent)
    message = (
        f"{newer.path} was written by a newer Monosashi (schema {LATEST + 1}, this version knows up to {LATEST}); "
        "upgrade first"
    )
    with pytest.raises(SchemaTooNewError) as refused:
        backup.restore(holding, newer.path, force=True, actor=ADMIN)
    assert message in str(refused.value)
    assert_untouched(holding, before)
    assert newer.path.read_bytes() == source
    result = run("restore", str(newer.path), "--db", str(holding.path), "--force")
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert_untouched(holding, before)


def test_a_foreign_duckdb_file_is_refused(tmp_path: Path, holding: Store):
    foreign = tmp_path / "invoices.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE invoices (id INT)")
    before = files_in(holding.path.parent)
    with pytest.raises(DatabaseFileError, match="is a DuckDB database but not a Monosashi registry"):
        backup.restore(holding, foreign, force=True, actor=ADMIN)
    result = run("restore", str(foreign), "--db", str(holding.path), "--force")
    assert result.exit_code == 1 and "not a Monosashi registry (it has tables invoices)" in result.output
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(DatabaseFileError, match="not a Monosashi registry \\(it is empty\\)"):
        backup.restore(holding, empty, force=True, actor=ADMIN)
    assert_untouched(holding, before)


def _damaged(good: bytes) -> bytes:
    """Bytes flipped in the middle of the file, where the data blocks are."""
    data = bytearray(good)
    for k in range(2, 8):
        data[len(data) * k // 9] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "spoil", "message"),
    [
        ("random", lambda good: bytes(range(256)) * 64, "is not a DuckDB database file"),
        ("damaged", _damaged, "is damaged and cannot be restored"),
        ("truncated", lambda good: good[: len(good) // 2], "is damaged and cannot be restored"),
        ("header only", lambda good: good[:4096], "cannot be read as a Monosashi backup"),
    ],
)
def test_a_corrupt_file_is_refused_and_the_registry_left_as_it_was(
    tmp_path: Path, registry: Store, holding: Store, name, spoil, message
):
    good = tmp_path / "good.duckdb"
    backup.backup(registry, good, actor=ADMIN)
    bad = tmp_path / f"{name}.duckdb"
    bad.write_bytes(spoil(good.read_bytes()))
    source = bad.read_bytes()
    before = files_in(holding.path.parent)
    with pytest.raises(DatabaseFileError, match=message) as refused:
        backup.restore(holding, bad, force=True, actor=ADMIN)
    assert "nothing was changed" in str(refused.value)
    assert_untouched(holding, before)
    assert bad.read_bytes() == source  # the given file is only read
    result = run("restore", str(bad), "--db", str(holding.path), "--force")
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert_untouched(holding, before)


def test_restoring_over_a_registry_with_data_needs_force_and_keeps_the_old_file(tmp_path: Path, registry: Store):
    copy = tmp_path / "b.duckdb"
    backup.backup(registry, copy, actor=ADMIN)
    live = make_store(tmp_path / "live" / "r.duckdb", suppliers=12, seed=9)
    old = live.path.read_bytes()
    result = run("restore", str(copy), "--db", str(live.path))
    assert result.exit_code == 1 and "holds 12 suppliers" in result.output and "--force" in result.output
    assert files_in(live.path.parent) == {"r.duckdb": old}

    done = backup.restore(live, copy, force=True, actor=Actor.person("admin-test", "admin"))
    assert done.previous is not None and done.previous.name.startswith("r.duckdb.before-restore-")
    assert done.previous.read_bytes() == old  # the replaced registry, kept as it was
    assert sorted(files_in(live.path.parent)) == sorted(["r.duckdb", done.previous.name])
    assert live.scalar("SELECT count(*) FROM supplier") == 30
    line = live.frame("SELECT actor, detail, sha256 FROM audit_log WHERE action = 'restore'").row(0, named=True)
    assert line["actor"] == "admin-test" and line["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert str(done.previous) in line["detail"] and '"supplier": 12' in line["detail"]
    assert Store(done.previous).scalar("SELECT count(*) FROM supplier") == 12


def test_an_empty_registry_is_replaced_without_force(tmp_path: Path, registry: Store):
    copy = tmp_path / "b.duckdb"
    backup.backup(registry, copy, actor=ADMIN)
    fresh = make_store(tmp_path / "fresh" / "r.duckdb")  # initialised, nothing in it
    done = backup.restore(fresh, copy, actor=ADMIN)
    assert done.previous is not None and fresh.scalar("SELECT count(*) FROM supplier") == 30


def test_an_older_backup_is_migrated(tmp_path: Path, monkeypatch):
    shipped = migrations()
    monkeypatch.setattr(store_module, "migrations", lambda: shipped[:3])
    old = Store(tmp_path / "old.duckdb")
    old.migrate(SYSTEM)
    with old.transaction(SYSTEM) as tx:
        tx.execute(
            "INSERT INTO supplier (supplier_id, name, name_key, created_at) VALUES ('OLD1', '株式会社旧版', 'OLD1', TIMESTAMP '2026-11-23 12:00:00')"
        )
        tx.audit("replace_registry", entity="supplier", entity_id="OLD1")
    monkeypatch.undo()
    target = Store(tmp_path / "r.duckdb")
    done = backup.restore(target, old.path, actor=ADMIN)
    assert (done.schema_version_in_file, done.schema_version) == (3, LATEST)
    assert done.migrated == list(range(4, LATEST + 1))
    assert target.check_schema() == LATEST
    assert target.scalar("SELECT name FROM supplier WHERE supplier_id = 'OLD1'") == "株式会社旧版"
    migrated = target.frame("SELECT entity_id FROM audit_log WHERE action = 'migrate' ORDER BY audit_id")
    assert migrated["entity_id"].to_list() == [str(v) for v in range(1, LATEST + 1)]
    assert Store(tmp_path / "old.duckdb").scalar("SELECT max(version) FROM schema_migrations") == 3  # untouched


def test_cli_backup_refusals_exit_1_with_one_line(tmp_path: Path, registry: Store):
    copy = tmp_path / "b.duckdb"
    assert run("backup", "-o", str(copy), "--db", str(registry.path)).exit_code == 0
    first = copy.read_bytes()
    again = run("backup", "--output", str(copy), "--db", str(registry.path))
    assert again.exit_code == 1 and "already exists" in again.output and "--force" in again.output
    assert copy.read_bytes() == first
    forced = run("backup", "-o", str(copy), "--db", str(registry.path), "--force")
    assert forced.exit_code == 0 and copy.read_bytes() != first  # the new snapshot holds the first backup's line
    itself = run("backup", "-o", str(registry.path), "--db", str(registry.path), "--force")
    assert itself.exit_code == 1 and "is the registry itself" in itself.output
    missing = run("backup", "-o", str(tmp_path / "x.duckdb"), "--db", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 1 and "no registry at" in missing.output
    assert not (tmp_path / "none.duckdb").exists() and not (tmp_path / "x.duckdb").exists()
    assert run("restore", str(tmp_path / "nothing.duckdb"), "--db", str(registry.path)).exit_code == 2
    for result in (again, itself, missing):
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_backup_and_restore_wait_for_another_process_then_say_who_holds_the_file(tmp_path: Path, registry: Store):
    copy = tmp_path / "b.duckdb"
    backup.backup(registry, copy, actor=ADMIN)
    busy = Store(registry.path, lock_timeout=0.5)
    before = files_in(registry.path.parent)
    with lock_held_by_another_process(registry.path) as holder:
        with pytest.raises(DatabaseLockedError, match=f"PID {holder.pid}"):
            backup.backup(busy, tmp_path / "other.duckdb", actor=ADMIN)
        with pytest.raises(DatabaseLockedError, match=f"PID {holder.pid}"):
            backup.restore(busy, copy, force=True, actor=ADMIN)
    assert not (tmp_path / "other.duckdb").exists()
    assert {k: v for k, v in files_in(registry.path.parent).items() if k != "b.duckdb"} == {
        k: v for k, v in before.items() if k != "b.duckdb"
    }


def test_restore_refuses_the_registry_itself_and_a_registry_open_in_this_process(tmp_path: Path, registry: Store):
    with pytest.raises(MonosashiError, match="is the registry itself"):
        backup.restore(registry, registry.path, force=True, actor=ADMIN)
    copy = tmp_path / "b.duckdb"
    backup.backup(registry, copy, actor=ADMIN)
    with registry.connect(), pytest.raises(MonosashiError, match="is open in this process"):
        backup.restore(registry, copy, force=True, actor=ADMIN)


def test_while_the_restore_swaps_the_file_other_processes_wait(registry: Store):
    """The swap holds the lock DuckDB itself takes, so the app cannot open the old file meanwhile."""
    probe = "import sys; from registry.store import Store; Store(sys.argv[1], lock_timeout=0.3).scalar('SELECT 1')"
    with backup._exclusive(registry) as content:
        assert content is not None and content["supplier"] == 30
        other = subprocess.run([sys.executable, "-c", probe, str(registry.path)], capture_output=True, text=True)
    assert other.returncode == 1 and f"is in use by PID {os.getpid()}" in other.stderr
    assert subprocess.run([sys.executable, "-c", probe, str(registry.path)]).returncode == 0  # free again
