"""The one place that opens the DuckDB file, runs migrations and writes.

How the app and the CLI share the single-writer file: every unit of work (one page query, one
import, one CLI command) opens a connection, does its work and closes it, so the file lock is held
for milliseconds, not for the life of a process. Inside one process, DuckDB shares one database
instance between the connections that are open at the same time, so Streamlit's session threads
each get their own connection without conflicts. Between processes, a connection attempt that
meets another process's lock is retried for ``lock_timeout`` seconds and then fails with
:class:`DatabaseLockedError`, which names the holder and says what to do. Writes in a process are
serialised by one lock and each runs in one explicit transaction that either commits whole or is
rolled back whole.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from registry.errors import DatabaseFileError, DatabaseLockedError, MonosashiError, SchemaTooNewError

__all__ = ["Migration", "Store", "Transaction", "migrations"]

Params = Sequence[Any] | Mapping[str, Any] | None

_WRITE_LOCKS: dict[Path, threading.RLock] = {}
_HANDLES: dict[Path, _SharedHandle] = {}
_GUARD = threading.Lock()
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


def _memory_limit() -> str:
    """DuckDB's memory cap (it spills to disk beyond it); DuckDB's own default is 80 % of RAM,
    too greedy for an app that shares the machine. ``MONOSASHI_DUCKDB_MEMORY`` overrides it."""
    return os.environ.get("MONOSASHI_DUCKDB_MEMORY", "2GB")


class Migration:
    """A numbered schema migration kept as ``registry/migrations/NNNN_name.sql``."""

    def __init__(self, version: int, name: str, sql: str) -> None:
        self.version, self.name, self.sql = version, name, sql


def migrations() -> list[Migration]:
    """Every migration shipped, in order."""
    found = []
    for entry in resources.files("registry.migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("migrations must be numbered 0001, 0002, … without gaps")
    return found


def _write_lock(path: Path) -> threading.RLock:
    with _GUARD:
        return _WRITE_LOCKS.setdefault(path, threading.RLock())


# A process waiting for the file says so in a marker file beside it (refreshed at every retry).
# A process holding the file, busy, sees the marker when a new unit of work starts: it lets the
# units under way end, closes the file and leaves it alone for _GIVE_WAY seconds, so that the
# CLI or a backup gets its turn while the app is in use. Waiting processes retry at least every
# _RETRY_MAX seconds; a marker older than _MARKER_STALE seconds is from a process that gave up.
_MIN_HOLD = 0.5
_GIVE_WAY = 0.25
_RETRY_MAX = 0.1
_MARKER_STALE = 5.0


def _waiting_marker(path: Path) -> Path:
    return path.with_name(f".{path.name}.waiting")


def _someone_waits(path: Path) -> bool:
    try:
        return time.time() - _waiting_marker(path).stat().st_mtime < _MARKER_STALE
    except OSError:
        return False


class _SharedHandle:
    """The process's one open connection to a file, shared through cursors while in use."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.users = 0
        self.opened_at = 0.0
        self.draining = False
        self.holders: dict[int, int] = {}  # thread → connections it holds (re-entrant use never waits)


def _shared_handle(path: Path) -> _SharedHandle:
    # Opening the same file from two threads at once races inside DuckDB ("Unique file handle
    # conflict"), so each process opens a file once and hands out cursors.
    with _GUARD:
        return _HANDLES.setdefault(path, _SharedHandle())


class Transaction:
    """A write transaction; any failed statement dooms it, so it can never commit half."""

    def __init__(self, con: duckdb.DuckDBPyConnection, actor: str) -> None:
        self.con = con
        self.actor = actor
        self.failed: BaseException | None = None
        self._registered: list[str] = []
        self.audited = False

    def execute(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one statement and return all its rows (results are always drained). Named
        parameters the statement does not use are left out, so statements can share one dict."""
        if isinstance(params, Mapping):
            params = {k: v for k, v in params.items() if f"${k}" in sql}
        try:
            return self.con.execute(sql, params).fetchall()
        except BaseException as exc:
            self.failed = exc
            raise

    def execute_with(self, sql: str, frame: pl.DataFrame) -> list[tuple[Any, ...]]:
        """Run a statement that reads a polars frame, named ``{incoming}`` in the SQL text."""
        name = f"_incoming_{threading.get_ident()}"
        self.con.register(name, frame.to_arrow())
        try:
            return self.execute(sql.format(incoming=f'"{name}"'))
        finally:
            self.con.unregister(name)

    def register(self, name: str, frame: pl.DataFrame) -> str:
        """Make a polars frame readable by the SQL of this transaction, under the returned name
        (unique per thread, dropped when the transaction ends)."""
        registered = f"_{name}_{threading.get_ident()}"
        self.con.register(registered, frame.to_arrow())
        self._registered.append(registered)
        return f'"{registered}"'

    def _unregister(self) -> None:
        for name in self._registered:
            with suppress(duckdb.Error):
                self.con.unregister(name)
        self._registered.clear()

    def insert_frame(self, table: str, frame: pl.DataFrame) -> int:
        """Insert a whole polars frame set-wise; its column names must be the table's."""
        if frame.is_empty():
            return 0
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        self.execute_with(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {{incoming}}', frame)
        return frame.height

    def _audit_row(self, at: datetime, entry: Mapping[str, Any]) -> list[Any]:
        detail = entry.get("detail")
        return [
            at,
            self.actor,
            entry["action"],
            entry.get("entity"),
            entry.get("entity_id"),
            json.dumps(detail, ensure_ascii=False, default=str) if detail is not None else None,
            entry.get("sha256"),
        ]

    def _allow(self, action: str, detail: Mapping[str, Any] | None) -> None:
        """The one place writes are checked: a person's write must be allowed to their role
        (registry/access.py); refusing dooms the transaction."""
        from registry.access import check  # access builds on the store

        try:
            check(self.actor, action, detail)
        except BaseException as exc:
            self.failed = exc
            raise
        self.audited = True

    def audit_many(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append many audit lines in one statement (keys: action, entity, entity_id, detail, sha256)."""
        for entry in entries:
            self._allow(entry["action"], entry.get("detail"))
        if not entries:
            return
        at = datetime.now(UTC).replace(tzinfo=None)
        columns = ["logged_at", "actor", "action", "entity", "entity_id", "detail", "sha256"]
        rows = [self._audit_row(at, e) for e in entries]
        self.insert_frame(
            "audit_log",
            pl.DataFrame(
                rows, schema={c: pl.Datetime if c == "logged_at" else pl.String for c in columns}, orient="row"
            ),
        )

    def audit(
        self,
        action: str,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
        sha256: str | None = None,
    ) -> None:
        """Append one line to the audit log, inside this same transaction."""
        self._allow(action, detail)
        entry = {"action": action, "entity": entity, "entity_id": entity_id, "detail": detail, "sha256": sha256}
        self.execute(
            "INSERT INTO audit_log (logged_at, actor, action, entity, entity_id, detail, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
            self._audit_row(datetime.now(UTC).replace(tzinfo=None), entry),
        )


class Store:
    """Access to one registry file. Cheap to create; holds no connection between calls."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._resolved = self.path.resolve()
        self._write_lock = _write_lock(self._resolved)

    # -- connections -------------------------------------------------------------------------
    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work (a cursor on the process's shared database handle).

        The first user in the process opens the file, waiting briefly for another process's
        lock; the last one closes it, which releases the file for other processes.
        """
        shared = _shared_handle(self._resolved)
        me = threading.get_ident()
        with shared.lock:
            if not shared.holders.get(me):  # a new unit of work (not one nested in a held one)
                self._take_turn(shared)
            if shared.con is None:
                shared.con = self._open()
                shared.opened_at = time.monotonic()
            shared.users += 1
            shared.holders[me] = shared.holders.get(me, 0) + 1
            cursor = shared.con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with shared.lock:
                shared.users -= 1
                shared.holders[me] -= 1
                if not shared.holders[me]:
                    del shared.holders[me]
                if shared.users == 0 and shared.con is not None:
                    shared.con.close()
                    shared.con = None
                shared.lock.notify_all()

    def _take_turn(self, shared: _SharedHandle) -> None:
        """Called with ``shared.lock`` held. When this process has held the file for long, wait
        for the units of work under way to end, close the file and leave it to other processes
        for a moment before opening it again."""
        while shared.draining:
            shared.lock.wait()
        if shared.con is None or time.monotonic() - shared.opened_at < _MIN_HOLD or not _someone_waits(self._resolved):
            return
        shared.draining = True
        try:
            while shared.users:
                shared.lock.wait()
            if shared.con is not None:
                shared.con.close()
                shared.con = None
            shared.lock.release()
            try:
                time.sleep(_GIVE_WAY)
            finally:
                shared.lock.acquire()
        finally:
            shared.draining = False
            shared.lock.notify_all()

    @contextmanager
    def held_open(self) -> Iterator[None]:
        """Keep the file open across several units of work (a batch of per-file transactions).

        Closing the last connection checkpoints the write-ahead log into the file, which costs
        far more than a small transaction; a batch pays it once. Other processes wait meanwhile.
        """
        with self.connect():
            yield

    def _open(self) -> duckdb.DuckDBPyConnection:
        started = time.monotonic()
        delay = 0.02
        marker = _waiting_marker(self._resolved)
        waiting = False
        try:
            while True:
                try:
                    return duckdb.connect(str(self.path), config={"memory_limit": _memory_limit()})
                except duckdb.IOException as exc:
                    message = str(exc)
                    holder = _LOCK_HOLDER.search(message)
                    if holder is None:
                        raise self._file_error(message) from None
                    waited = time.monotonic() - started
                    if waited >= self.lock_timeout:
                        who = f"PID {holder.group(2)} ({Path(holder.group(1)).name})"
                        raise DatabaseLockedError(self.path, who, waited) from None
                    with suppress(OSError):  # ask the holder for a turn
                        marker.touch()
                        waiting = True
                    time.sleep(delay)
                    delay = min(delay * 2, _RETRY_MAX)
                except duckdb.Error as exc:
                    raise self._file_error(str(exc)) from None
        finally:
            if waiting:
                with suppress(OSError):
                    marker.unlink()

    def _file_error(self, message: str) -> MonosashiError:
        if "not a valid DuckDB database file" in message:
            return DatabaseFileError(
                f"{self.path} is not a DuckDB database file; nothing was changed. Point --db or MONOSASHI_DB at a Monosashi registry, or at a new path to create one."
            )
        if "version number" in message or "Trying to read a database file" in message:
            return DatabaseFileError(
                f"{self.path} was written by a DuckDB version this one cannot read ({message.splitlines()[0]})."
            )
        return DatabaseFileError(f"Cannot open {self.path}: {message.splitlines()[0]}")

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        """Run a read query and return its rows as a polars frame (through Arrow)."""
        with self.connect() as con:
            return con.sql(sql, params=params).pl()

    def frames(self, queries: Mapping[str, tuple[str, Params]]) -> dict[str, pl.DataFrame]:
        """Several reads on one connection (one open for a whole page)."""
        with self.connect() as con:
            return {name: con.sql(sql, params=params).pl() for name, (sql, params) in queries.items()}

    def frame_with(self, sql: str, params: Params = None, **frames: pl.DataFrame) -> pl.DataFrame:
        """A read query that also reads polars frames, registered under the given names."""
        with self.connect() as con:
            for name, frame in frames.items():
                con.register(name, frame.to_arrow())
            try:
                return con.sql(sql, params=params).pl()
            finally:
                for name in frames:
                    con.unregister(name)

    def scalar(self, sql: str, params: Params = None) -> Any:
        with self.connect() as con:
            row = con.execute(sql, params).fetchone()
            return None if row is None else row[0]

    @contextmanager
    def transaction(self, actor: str = "system") -> Iterator[Transaction]:
        """One write transaction: committed when the block ends, rolled back whole on any error."""
        with self._write_lock, self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            tx = Transaction(con, actor)
            try:
                yield tx
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                tx._unregister()
            if tx.failed is not None:
                con.execute("ROLLBACK")
                raise MonosashiError(f"the write was rolled back because a statement failed: {tx.failed}")
            if not tx.audited and type(actor) is not str:  # a person's write that left no audit line
                con.execute("ROLLBACK")
                raise MonosashiError(f"a write by {actor} must be recorded in the audit log; nothing was written")
            try:
                con.execute("COMMIT")
            except duckdb.Error as exc:
                with suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise MonosashiError(f"the write could not be committed and was rolled back: {exc}") from None

    # -- schema ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def schema_version(self) -> int:
        """Highest migration applied (0 for a new, empty file). Refuses foreign databases."""
        with self.connect() as con:
            return self._schema_version(con)

    def _schema_version(self, con: duckdb.DuckDBPyConnection) -> int:
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        }
        if "schema_migrations" not in tables:
            if tables:
                listed = ", ".join(sorted(tables)[:5])
                raise DatabaseFileError(
                    f"{self.path} is a DuckDB database but not a Monosashi registry (it has tables {listed}); nothing was changed."
                )
            return 0
        row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def check_schema(self) -> int:
        """Fail clearly on a file from a newer Monosashi or one that needs ``init``."""
        version = self.schema_version()
        latest = migrations()[-1].version
        if version > latest:
            raise SchemaTooNewError(
                f"{self.path} has schema version {version}, newer than this Monosashi knows ({latest}). "
                "Upgrade Monosashi; the file was not changed."
            )
        if version < latest:
            raise MonosashiError(
                f"{self.path} has schema version {version}; run `monosashi init --db {self.path}` to migrate it to {latest}."
            )
        return version

    def migrate(self, actor: str = "system") -> list[int]:
        """Create or upgrade the schema; returns the versions applied (empty when up to date)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        applied: list[int] = []
        with self._write_lock:
            current = self.schema_version()
            shipped = migrations()
            if current > shipped[-1].version:
                raise SchemaTooNewError(
                    f"{self.path} has schema version {current}, newer than this Monosashi knows ({shipped[-1].version}). "
                    "Upgrade Monosashi; the file was not changed."
                )
            for migration in shipped:
                if migration.version <= current:
                    continue
                with self.transaction(actor) as tx:
                    if migration.version == 1:
                        tx.execute(
                            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                        )
                    tx.con.execute(migration.sql)
                    tx.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)],
                    )
                    tx.audit(
                        "migrate", entity="schema", entity_id=str(migration.version), detail={"name": migration.name}
                    )
                applied.append(migration.version)
        return applied

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM setting WHERE key = ?", [key])
        return default if value is None else str(value)

    def set_setting(self, tx: Transaction, key: str, value: str) -> None:
        tx.execute("INSERT OR REPLACE INTO setting VALUES (?, ?)", [key, value])
