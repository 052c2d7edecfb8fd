import contextlib
import time
from pathlib import Path

import pytest
from conftest import BUYER, SYSTEM, lock_held_by_another_process

from registry.domain.models import Supplier
from registry.errors import DatabaseFileError, DatabaseLockedError, MonosashiError, SchemaTooNewError
from registry.store import Store, migrations
from registry.store.content import initialise
from registry.store.suppliers import DuplicateSupplierError, add_supplier


def test_init_creates_the_schema_and_is_idempotent(tmp_path: Path):
    store = Store(tmp_path / "sub" / "r.duckdb")
    assert initialise(store, SYSTEM) == [m.version for m in migrations()]
    assert initialise(store, SYSTEM) == []
    assert store.schema_version() == migrations()[-1].version
    assert store.frame("SELECT count(*) AS n FROM schema_migrations")["n"][0] == len(migrations())
    assert store.setting("catalogue_version") == "2026-03-27"
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'migrate'") == len(migrations())


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path):
    store = Store(tmp_path / "r.duckdb")
    initialise(store, SYSTEM)
    with store.transaction(SYSTEM) as tx:
        tx.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    before = (tmp_path / "r.duckdb").read_bytes()
    with pytest.raises(SchemaTooNewError, match="schema version 999"):
        store.check_schema()
    with pytest.raises(SchemaTooNewError):
        initialise(store, SYSTEM)
    assert (tmp_path / "r.duckdb").read_bytes() == before


def test_a_corrupt_file_is_refused_and_unchanged(tmp_path: Path):
    path = tmp_path / "r.duckdb"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a database" * 50)
    before = path.read_bytes()
    with pytest.raises(DatabaseFileError, match="not a DuckDB database file"):
        initialise(Store(path), SYSTEM)
    assert path.read_bytes() == before


def test_a_foreign_duckdb_file_is_refused(tmp_path: Path):
    import duckdb

    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE invoices (id INT)")
    with pytest.raises(DatabaseFileError, match="not a Monosashi registry"):
        initialise(Store(path), SYSTEM)


def test_a_file_locked_by_another_process_gives_a_clear_message(tmp_path: Path):
    path = tmp_path / "r.duckdb"
    initialise(Store(path), SYSTEM)
    with lock_held_by_another_process(path) as holder:
        started = time.monotonic()
        with pytest.raises(DatabaseLockedError) as err:
            Store(path, lock_timeout=0.5).schema_version()
        assert time.monotonic() - started < 5
        assert f"PID {holder.pid}" in str(err.value) and "stop the other program" in str(err.value)
    assert Store(path).schema_version() >= 1  # usable again once the other process is gone


def test_a_failed_write_leaves_the_database_as_it_was(empty_store: Store):
    add_supplier(empty_store, Supplier(supplier_id="S1", name="株式会社一"), BUYER)
    with pytest.raises(RuntimeError), empty_store.transaction(SYSTEM) as tx:
        tx.execute(
            "INSERT INTO supplier (supplier_id, name, name_key, created_at) VALUES ('S2', 'x', 'x', TIMESTAMP '2026-11-23 12:00:00')"
        )
        raise RuntimeError("crash in the middle")
    assert empty_store.frame("SELECT supplier_id FROM supplier")["supplier_id"].to_list() == ["S1"]


def test_a_swallowed_statement_error_still_rolls_back(empty_store: Store):
    with pytest.raises(MonosashiError, match="rolled back"), empty_store.transaction(SYSTEM) as tx:
        tx.execute(
            "INSERT INTO supplier (supplier_id, name, name_key, created_at) VALUES ('S2', 'x', 'x', TIMESTAMP '2026-11-23 12:00:00')"
        )
        with contextlib.suppress(Exception):  # a caller that ignores the error must not get half a write
            tx.execute(
                "INSERT INTO supplier (supplier_id, name, name_key, created_at) VALUES ('S2', 'x', 'x', TIMESTAMP '2026-11-23 12:00:00')"
            )
    assert empty_store.scalar("SELECT count(*) FROM supplier") == 0


def test_duplicates_are_refused_with_the_clash_named(empty_store: Store):
    add_supplier(empty_store, Supplier(supplier_id="S1", name="株式会社一", corporate_number="7000012050002"), BUYER)
    with pytest.raises(DuplicateSupplierError, match="ID S1"):
        add_supplier(empty_store, Supplier(supplier_id="S1", name="別会社"), BUYER)
    with pytest.raises(DuplicateSupplierError, match="7000012050002 is already registered for S1"):
        add_supplier(empty_store, Supplier(supplier_id="S2", name="別会社", corporate_number="7000012050002"), BUYER)
    audit = empty_store.frame("SELECT action, entity_id FROM audit_log WHERE action = 'add_supplier'")
    assert audit["entity_id"].to_list() == ["S1"]


def test_many_threads_read_and_write_one_file_without_errors(demo_store: Store):
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> int:
        if i % 4 == 0:  # 10 writers per round among 30 readers
            add_supplier(demo_store, Supplier(supplier_id=f"T{i}", name=f"株式会社スレッド{i}"), BUYER)
        return demo_store.scalar("SELECT count(*) FROM supplier")

    for round_ in range(3):  # the file is closed between rounds, so each round opens it afresh
        with ThreadPoolExecutor(8) as pool:
            counts = list(pool.map(work, range(round_ * 40, round_ * 40 + 40)))
        assert min(counts) >= 200
    assert demo_store.scalar("SELECT count(*) FROM supplier WHERE supplier_id LIKE 'T%'") == 30
