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

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from registry import clock
from registry.domain.actor import SUPPLIER_TABLES, Actor, action_allowed, suppliers_named, writes_raw_sql
from registry.domain.models import registration_key
from registry.errors import AccessDenied, DatabaseFileError, DatabaseLockedError, MonosashiError, SchemaTooNewError
from registry.messages import catalogue

__all__ = [
    "AUDIT_COLUMNS",
    "GENESIS_HASH",
    "PRIVATE_MODE",
    "RECORDED_AT",
    "Migration",
    "Params",
    "SharedHandle",
    "Store",
    "Transaction",
    "audit_line_hash",
    "file_problem",
    "keep_private",
    "memory_limit",
    "migrations",
    "private_files",
    "shared_handle",
]

Params = Sequence[Any] | Mapping[str, Any] | None

_WRITE_LOCKS: dict[Path, threading.RLock] = {}
_HANDLES: dict[Path, SharedHandle] = {}
_GUARD = threading.Lock()
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")
_STORAGE_VERSIONS = re.compile(r"storage version number (\d+).*?between (\d+) and (\d+)", re.DOTALL)


def file_problem(exc: BaseException) -> tuple[str, dict[str, object]]:
    """What a library error on opening, reading or writing a database file means to a person:
    ``not_duckdb``, ``duckdb_version`` (with the storage versions), ``no_permission``,
    ``no_space``, or ``other`` with the error's class name (its text is the library's, in
    English, and never shown)."""
    message = str(exc)
    if "not a valid DuckDB database file" in message:
        return "not_duckdb", {}
    if "version number" in message or "Trying to read a database file" in message:
        found = _STORAGE_VERSIONS.search(message)
        file_version, low, high = found.groups() if found else (None, None, None)
        return "duckdb_version", {"file_version": file_version, "low": low, "high": high}
    if isinstance(exc, PermissionError) or "Permission denied" in message:
        return "no_permission", {}
    if "No space left on device" in message:
        return "no_space", {}
    return "other", {"error": type(exc).__name__}


def _label(prefix: str, code: str) -> str:
    """The message key naming ``code`` (a role, an action, a table), or the code as written."""
    key = f"{prefix}.{code}"
    return key if key in catalogue() else code


def _who(actor: Actor) -> dict[str, object]:
    """An actor as the refusals name it: its name, and its role in the reader's language."""
    return {"actor": actor.name, "role_label": _label("role", actor.role)}


def memory_limit() -> str:
    """DuckDB's memory cap (it spills to disk beyond it); DuckDB's own default is 80 % of RAM,
    too greedy for an app that shares the machine. ``MONOSASHI_DUCKDB_MEMORY`` overrides it."""
    return os.environ.get("MONOSASHI_DUCKDB_MEMORY", "2GB")


class Migration:
    """A numbered schema migration kept as ``registry/store/migrations/NNNN_name.sql``."""

    def __init__(self, version: int, name: str, sql: str) -> None:
        self.version, self.name, self.sql = version, name, sql


def migrations() -> list[Migration]:
    """Every migration shipped, in order."""
    found = []
    for entry in resources.files("registry.store").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("migrations must be numbered 0001, 0002, … without gaps")
    return found


PRIVATE_MODE = 0o600  # the registry holds password hashes and suppliers' evidence: owner only


def keep_private(path: Path) -> None:
    """Make a file the registry wrote readable by its owner only (the database, its write-ahead
    log, backups, the copy a restore keeps)."""
    for each in (path, path.with_name(f"{path.name}.wal")):
        with suppress(OSError):
            if each.exists() and each.stat().st_mode & 0o077:
                os.chmod(each, PRIVATE_MODE)


def private_files() -> None:
    """From now on this process creates files for their owner only (umask 077), so that the
    write-ahead log DuckDB creates beside the registry is never readable by others. Called by the
    CLI and the app, the processes that own a registry."""
    os.umask(0o077)


def _write_lock(path: Path) -> threading.RLock:
    with _GUARD:
        return _WRITE_LOCKS.setdefault(path, threading.RLock())


# A process waiting for the file says so in a marker file beside it (refreshed at every retry).
# A process holding the file, busy, sees the marker when a new unit of work starts: it lets the
# units under way end, closes the file and leaves it alone for _GIVE_WAY seconds, so that the
# CLI or a backup gets its turn while the app is in use. Waiting processes retry at least every
# _RETRY_MAX seconds; a marker naming a process that has ended is ignored.
_MIN_HOLD = 0.5
_GIVE_WAY = 0.25
_RETRY_MAX = 0.1


def _waiting_marker(path: Path) -> Path:
    return path.with_name(f".{path.name}.waiting")


def _someone_waits(path: Path) -> bool:
    """Whether another live process waits for the file. The marker holds the waiter's PID: a
    clock-free test, so that processes whose clocks differ (a test's moved clock) agree."""
    try:
        pid = int(_waiting_marker(path).read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


class SharedHandle:
    """The process's one open connection to a file, shared through cursors while in use."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.users = 0
        self.opened_at = 0.0
        self.draining = False
        self.holders: dict[int, int] = {}  # thread → connections it holds (re-entrant use never waits)
        # Transactions this process committed on the file (but those that only derived flags): with
        # the audit log's revision, the key of what is kept per evidence (registry/services/kept.py),
        # so that a write the audit log does not show (the system's own) is seen as well.
        self.writes = 0


def shared_handle(path: Path) -> SharedHandle:
    # Opening the same file from two threads at once races inside DuckDB ("Unique file handle
    # conflict"), so each process opens a file once and hands out cursors.
    with _GUARD:
        return _HANDLES.setdefault(path, SharedHandle())


# Tables whose rows record when they were written: the store fills the column from the one clock
# (registry/clock.py) when a writer leaves it out, so that DuckDB's own clock never decides.
RECORDED_AT: dict[str, str] = {
    "supplier": "created_at",
    "supplier_link": "created_at",
    "submission": "imported_at",
    "certificate": "created_at",
    "level_request": "created_at",
    "flag": "raised_at",
    "official_text": "imported_at",
    "file_blob": "first_seen_at",
    "mapping_profile": "added_at",
    "subcontractor_proposal": "proposed_at",
    "yearly_check": "recorded_at",
    "supplier_contact": "created_at",
    "reminder": "created_at",
}
AUDIT_COLUMNS = ("audit_id", "logged_at", "actor", "action", "entity", "entity_id", "detail", "sha256")
GENESIS_HASH = "0" * 64


def audit_line_hash(prev_hash: str, line: Sequence[Any]) -> str:
    """The hash of one audit line (its :data:`AUDIT_COLUMNS` values, in order), chained to the
    line before: editing, deleting or reordering any line breaks every hash after it."""
    values = [v.isoformat(timespec="microseconds") if isinstance(v, datetime) else v for v in line]
    canonical = json.dumps([prev_hash, *values], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Transaction:
    """A write transaction; any failed statement dooms it, so it can never commit half.

    Rows written through :meth:`insert_frame`, :meth:`insert_new` and :meth:`delete_rows` are kept
    in a ledger; before the commit, the actor's permissions are checked against every one of them
    (a supplier may write only rows of its own supplier, in the tables it may write at all). Free
    SQL statements that change data are refused to actors whose rows must be checked that way.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        if not isinstance(actor, Actor):
            raise TypeError(
                f"a write needs an Actor (a signed-in person or Actor.system()), not {type(actor).__name__}"
            )
        self.con = con
        self.actor = actor
        self.failed: BaseException | None = None
        self._registered: list[str] = []
        self.audited = False
        self.derived_only = False  # set by a derivation that writes only flags and readiness history
        self.ledger: list[tuple[str, str, pl.DataFrame]] = []  # (table, "insert" | "delete", rows)
        self._last_hash: str | None = None
        self._has_chain: bool | None = None

    def _doom(self, exc: BaseException) -> BaseException:
        self.failed = exc
        return exc

    def _guard_raw(self, sql: str) -> None:
        """Refuse a free statement that changes data when the actor's rows must be checked one by one."""
        if writes_raw_sql(self.actor):
            return
        try:
            kinds = {statement.type for statement in duckdb.extract_statements(sql)}
        except duckdb.Error as exc:
            raise self._doom(exc) from None
        if kinds - {duckdb.StatementType.SELECT}:
            key = "access.viewer_writes_nothing" if self.actor.role == "viewer" else "access.change_denied"
            raise self._doom(AccessDenied(key, **_who(self.actor)))

    def execute(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one statement and return all its rows (results are always drained). Named
        parameters the statement does not use are left out, so statements can share one dict."""
        self._guard_raw(sql)
        return self._run(sql, params)

    def _run(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        if isinstance(params, Mapping):
            params = {k: v for k, v in params.items() if f"${k}" in sql}
        try:
            return self.con.execute(sql, params).fetchall()
        except BaseException as exc:
            self.failed = exc
            raise

    def execute_with(self, sql: str, frame: pl.DataFrame, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a statement that reads a polars frame, named ``{incoming}`` in the SQL text."""
        self._guard_raw(sql.format(incoming="incoming"))
        return self._run_with(sql, frame, params)

    def _run_with(self, sql: str, frame: pl.DataFrame, params: Params = None) -> list[tuple[Any, ...]]:
        name = f"_incoming_{threading.get_ident()}"
        self.con.register(name, frame.to_arrow())
        try:
            return self._run(sql.format(incoming=f'"{name}"'), params)
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

    def _stamped(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame with what the store fills itself: the time column, a certificate's folded
        registration number."""
        column = RECORDED_AT.get(table)
        if column and column not in frame.columns:
            frame = frame.with_columns(pl.lit(clock.now(), dtype=pl.Datetime("us")).alias(column))
        if table == "certificate" and "registration_no" in frame.columns and "registration_key" not in frame.columns:
            frame = frame.with_columns(registration_key=registration_key(pl.col("registration_no")))
        return frame

    def insert_frame(self, table: str, frame: pl.DataFrame) -> int:
        """Insert a whole polars frame set-wise; its column names must be the table's."""
        if frame.is_empty():
            return 0
        frame = self._stamped(table, frame)
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        self.ledger.append((table, "insert", frame))
        self._run_with(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {{incoming}}', frame)
        return frame.height

    def insert_new(self, table: str, frame: pl.DataFrame, key: Sequence[str]) -> int:
        """Insert the rows of ``frame`` whose ``key`` is not in the table yet; returns how many."""
        if frame.is_empty():
            return 0
        frame = self._stamped(table, frame.unique(list(key), keep="first", maintain_order=True))
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        match = " AND ".join(f't."{k}" = n."{k}"' for k in key)
        added = self._run_with(
            f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {{incoming}} n '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" t WHERE {match}) RETURNING 1',
            frame,
        )
        self.ledger.append((table, "insert", frame))
        return len(added)

    def delete_rows(self, table: str, keys: pl.DataFrame) -> int:
        """Delete the rows whose key columns (the frame's columns) match a row of ``keys``; the
        deleted rows join the ledger, so that their owners are checked like new rows."""
        if keys.is_empty():
            return 0
        match = " AND ".join(f't."{k}" IS NOT DISTINCT FROM k."{k}"' for k in keys.columns)
        gone = self._run_with(
            f'DELETE FROM "{table}" t USING {{incoming}} k WHERE {match} RETURNING t.*',
            keys,
        )
        if gone:
            columns = [d[0] for d in self.con.description] if self.con.description else []
            frame = pl.DataFrame(gone, schema=columns, orient="row", infer_schema_length=None)
            self.ledger.append((table, "delete", frame))
        return len(gone)

    # -- the audit log: append-only and hash-chained ---------------------------------------------
    def _chained(self) -> bool:
        """Whether this registry's audit log has its hash chain yet (a registry being migrated
        from before version 8 does not, until the migration that adds it)."""
        if self._has_chain is None:
            self._has_chain = bool(
                self._run("SELECT 1 FROM duckdb_columns() WHERE table_name = 'audit_log' AND column_name = 'line_hash'")
            )
        return self._has_chain

    def _previous_hash(self) -> str:
        if self._last_hash is None:
            row = self._run("SELECT line_hash FROM audit_log ORDER BY audit_id DESC LIMIT 1")
            self._last_hash = (row[0][0] if row and row[0][0] else None) or GENESIS_HASH
        return self._last_hash

    def _allow(self, action: str, detail: Mapping[str, Any] | None) -> None:
        """An audited action must be allowed to the actor's role (registry/actor.py)."""
        if not action_allowed(self.actor, action):
            raise self._doom(
                AccessDenied("access.action_denied", **_who(self.actor), action_label=_label("audit.action", action))
            )
        if self.actor.role == "supplier":
            others = suppliers_named(detail) - {self.actor.supplier_id}
            if others:  # the suppliers the write itself names: nothing the supplier did not say
                raise self._doom(
                    AccessDenied(
                        "access.other_supplier",
                        actor=self.actor.name,
                        supplier_id=self.actor.supplier_id,
                        others=sorted(others),
                    )
                )
        self.audited = True

    def audit_many(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append many audit lines in one statement (keys: action, entity, entity_id, detail, sha256)."""
        for entry in entries:
            self._allow(entry["action"], entry.get("detail"))
        if not entries:
            return
        at = clock.now()
        ids = [r[0] for r in self._run("SELECT nextval('audit_seq') FROM range(?)", [len(entries)])]
        rows = []
        chained = self._chained()
        previous = self._previous_hash() if chained else GENESIS_HASH
        for audit_id, entry in zip(ids, entries, strict=True):
            detail = entry.get("detail")
            line = [
                audit_id,
                at,
                self.actor.name,
                entry["action"],
                entry.get("entity"),
                entry.get("entity_id"),
                json.dumps(detail, ensure_ascii=False, default=str) if detail is not None else None,
                entry.get("sha256"),
            ]
            line_hash = audit_line_hash(previous, line)
            rows.append([*line, previous, line_hash])
            previous = line_hash
        frame = pl.DataFrame(
            rows,
            schema={
                **{c: pl.String for c in AUDIT_COLUMNS},
                "audit_id": pl.Int64,
                "logged_at": pl.Datetime("us"),
                "prev_hash": pl.String,
                "line_hash": pl.String,
            },
            orient="row",
        )
        if not chained:
            frame = frame.drop("prev_hash", "line_hash")
        cols = ", ".join(frame.columns)
        self._run_with(f"INSERT INTO audit_log ({cols}) SELECT {cols} FROM {{incoming}}", frame)
        self._last_hash = previous if chained else None

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
        self.audit_many(
            [{"action": action, "entity": entity, "entity_id": entity_id, "detail": detail, "sha256": sha256}]
        )

    # -- the check before the commit -------------------------------------------------------------
    def check_rows(self) -> None:
        """Refuse the whole write unless the actor may write every row it wrote (or deleted).

        Admins, buyers and the system write any table (their actions were checked line by line);
        a viewer writes no row at all; a supplier writes only the tables of
        :data:`registry.actor.SUPPLIER_TABLES`, and only rows of its own supplier.
        """
        if writes_raw_sql(self.actor):
            return
        for table, _, rows in self.ledger:
            if self.actor.role != "supplier" or table not in SUPPLIER_TABLES:
                raise self._doom(
                    AccessDenied("access.table_denied", **_who(self.actor), table_label=_label("audit.entity", table))
                )
            owners = self._owners(table, rows)
            others = owners - {self.actor.supplier_id}
            if not others:
                continue
            if table in _OWNED_THROUGH_PARENT or None in others:
                # whose the parent record is comes from the registry, not from the supplier: it is
                # not told (a guessed certificate ID must not reveal which supplier holds it)
                raise self._doom(
                    AccessDenied("access.not_own_record", actor=self.actor.name, supplier_id=self.actor.supplier_id)
                )
            raise self._doom(
                AccessDenied(
                    "access.other_supplier",
                    actor=self.actor.name,
                    supplier_id=self.actor.supplier_id,
                    others=sorted(str(o) for o in others),
                )
            )

    def _owners(self, table: str, rows: pl.DataFrame) -> set[str | None]:
        """The suppliers the rows belong to (through their parent for :data:`_OWNED_THROUGH_PARENT`)."""
        column = SUPPLIER_TABLES[table]
        if column is None:
            return set()
        if column not in rows.columns:
            return {None}  # a row that does not say whose it is belongs to nobody a supplier may write
        if table == "answer":
            found = self._run_with(
                "SELECT DISTINCT s.supplier_id FROM (SELECT DISTINCT submission_id FROM {incoming}) a "
                "LEFT JOIN submission s USING (submission_id)",
                rows.select("submission_id"),
            )
            return {r[0] for r in found}
        if table == "certificate_file":
            found = self._run_with(
                "SELECT DISTINCT c.supplier_id FROM (SELECT DISTINCT certificate_id FROM {incoming}) f "
                "LEFT JOIN certificate c USING (certificate_id)",
                rows.select("certificate_id"),
            )
            return {r[0] for r in found}
        values = rows[column]
        if values.dtype == pl.List(pl.String):
            values = values.explode()
        return set(values.unique().to_list())


def _rolled_back(failed: BaseException) -> MonosashiError:
    """Why a transaction was rolled back after a statement failed (and a caller swallowed it)."""
    if isinstance(failed, MonosashiError) and failed.key in catalogue():
        return MonosashiError("database.rolled_back_because", **failed.params, reason_key=failed.key)
    if isinstance(failed, duckdb.ConstraintException):  # a duplicate key, a missing value
        return MonosashiError("database.rolled_back_constraint")
    return MonosashiError("database.rolled_back", error=type(failed).__name__)


# Tables whose rows say whose they are only through their parent record.
_OWNED_THROUGH_PARENT = frozenset({"answer", "certificate_file"})
_AUDIT_CHAIN_VERSION = 8  # the migration that added the audit log's hash chain
_REGISTRATION_KEY_VERSION = 9  # the migration that added certificates' folded registration numbers


def _fill_registration_keys(tx: Transaction) -> None:
    """Fold the registration numbers of the certificates recorded before the key existed."""
    numbers = pl.from_arrow(
        tx.con.sql(
            "SELECT certificate_id, registration_no FROM certificate WHERE registration_no IS NOT NULL"
        ).to_arrow_table()
    )
    if numbers.height:
        keys = numbers.with_columns(registration_key=registration_key(pl.col("registration_no"))).drop(
            "registration_no"
        )
        tx._run_with(
            "UPDATE certificate SET registration_key = n.registration_key FROM {incoming} n "
            "WHERE certificate.certificate_id = n.certificate_id",
            keys,
        )


def _chain_existing_audit(tx: Transaction) -> None:
    """Hash the audit lines written before the chain existed, in their order, once."""
    columns = ", ".join(AUDIT_COLUMNS)
    lines = tx.con.sql(f"SELECT {columns} FROM audit_log ORDER BY audit_id").fetchall()
    previous = GENESIS_HASH
    chained = []
    for line in lines:
        line_hash = audit_line_hash(previous, line)
        chained.append((line[0], previous, line_hash))
        previous = line_hash
    if chained:
        frame = pl.DataFrame(chained, schema=["audit_id", "prev_hash", "line_hash"], orient="row")
        tx._run_with(
            "UPDATE audit_log SET prev_hash = n.prev_hash, line_hash = n.line_hash FROM {incoming} n "
            "WHERE audit_log.audit_id = n.audit_id",
            frame,
        )


class Store:
    """Access to one registry file. Cheap to create; holds no connection between calls."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._resolved = self.path.resolve()
        self.write_lock = _write_lock(self._resolved)

    # -- connections -------------------------------------------------------------------------
    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work (a cursor on the process's shared database handle).

        The first user in the process opens the file, waiting briefly for another process's
        lock; the last one closes it, which releases the file for other processes.
        """
        shared = shared_handle(self._resolved)
        me = threading.get_ident()
        with shared.lock:
            if not shared.holders.get(me):  # a new unit of work (not one nested in a held one)
                self._take_turn(shared)
            if shared.con is None:
                shared.con = self.open_connection()
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

    def _take_turn(self, shared: SharedHandle) -> None:
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

    def wrote(self) -> None:
        """Count a write of this process on the file (a commit; a restore replacing it)."""
        shared = shared_handle(self._resolved)
        with shared.lock:
            shared.writes += 1

    def writes_here(self) -> int:
        """How many writes this process made on the file (:meth:`wrote`)."""
        return shared_handle(self._resolved).writes

    @contextmanager
    def held_open(self) -> Iterator[None]:
        """Keep the file open across several units of work (a batch of per-file transactions).

        Closing the last connection checkpoints the write-ahead log into the file, which costs
        far more than a small transaction; a batch pays it once. Other processes wait meanwhile.
        """
        with self.connect():
            yield

    def open_connection(self) -> duckdb.DuckDBPyConnection:
        """A new connection of its own to the registry file, waiting for other processes' turns
        (backup and restore need one outside the shared handle)."""
        started = time.monotonic()
        delay = 0.02
        marker = _waiting_marker(self._resolved)
        waiting = False
        try:
            while True:
                try:
                    con = duckdb.connect(str(self.path), config={"memory_limit": memory_limit()})
                    keep_private(self.path)
                    return con
                except duckdb.IOException as exc:
                    message = str(exc)
                    holder = _LOCK_HOLDER.search(message)
                    if holder is None:
                        raise self._file_error(exc) from None
                    waited = time.monotonic() - started
                    if waited >= self.lock_timeout:
                        who = f"PID {holder.group(2)} ({Path(holder.group(1)).name})"
                        raise DatabaseLockedError(self.path, who, waited) from None
                    with suppress(OSError):  # ask the holder for a turn
                        marker.write_text(str(os.getpid()), encoding="ascii")
                        waiting = True
                    time.sleep(delay)
                    delay = min(delay * 2, _RETRY_MAX)
                except duckdb.Error as exc:
                    raise self._file_error(exc) from None
        finally:
            if waiting:
                with suppress(OSError):
                    marker.unlink()

    def _file_error(self, exc: BaseException) -> MonosashiError:
        kind, params = file_problem(exc)
        path = str(self.path)
        if kind == "not_duckdb":
            return DatabaseFileError("database.not_duckdb", path=path)
        if kind == "duckdb_version":
            return DatabaseFileError("database.duckdb_version", path=path, **params)
        if kind == "no_permission":
            return DatabaseFileError("database.no_permission", path=path)
        return DatabaseFileError("database.cannot_open", path=path, error=type(exc).__name__)

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
    def transaction(self, actor: Actor) -> Iterator[Transaction]:
        """One write transaction by ``actor``: committed when the block ends, rolled back whole on
        any error, and refused whole unless the actor may write every row it wrote."""
        if not isinstance(actor, Actor):
            raise TypeError(
                f"a write needs an Actor (a signed-in person or Actor.system()), not {type(actor).__name__}"
            )
        # The connection first, then the write lock: waiting for the file (while this process gives
        # it to another for a moment) must never happen while holding the write lock, or a session
        # that holds the file open and waits for the lock closes a circle.
        with self.connect() as con, self.write_lock:
            con.execute("BEGIN TRANSACTION")
            tx = Transaction(con, actor)
            try:
                yield tx
                if tx.failed is None:
                    tx.check_rows()
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                tx._unregister()
            if tx.failed is not None:
                con.execute("ROLLBACK")
                if isinstance(tx.failed, AccessDenied):
                    raise tx.failed
                raise _rolled_back(tx.failed) from tx.failed
            if not tx.audited and not actor.is_system:  # a person's write that left no audit line
                con.execute("ROLLBACK")
                raise MonosashiError("database.not_audited", actor=actor.name)
            try:
                con.execute("COMMIT")
                if not tx.derived_only:
                    self.wrote()
            except duckdb.Error as exc:
                with suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                if isinstance(exc, duckdb.TransactionException):  # another write changed the same rows
                    raise MonosashiError("database.commit_conflict") from None
                raise MonosashiError("database.commit_failed", error=type(exc).__name__) from None

    # -- schema ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def schema_version(self) -> int:
        """Highest migration applied (0 for a new, empty file). Refuses foreign databases."""
        with self.connect() as con:
            return self.schema_version_on(con)

    def schema_version_on(self, con: duckdb.DuckDBPyConnection) -> int:
        """Highest migration applied, read on an open connection (refuses foreign databases)."""
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        }
        if "schema_migrations" not in tables:
            if tables:
                raise DatabaseFileError("database.foreign", path=str(self.path), tables=sorted(tables)[:5])
            return 0
        row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def check_schema(self) -> int:
        """Fail clearly on a file from a newer Monosashi or one that needs ``init``."""
        version = self.schema_version()
        latest = migrations()[-1].version
        if version > latest:
            raise SchemaTooNewError("database.schema_too_new", path=str(self.path), version=version, latest=latest)
        if version < latest:  # only the CLI checks without migrating: its message names the command
            raise MonosashiError("database.needs_migration", path=str(self.path), version=version, latest=latest)
        return version

    def migrate(self, actor: Actor) -> list[int]:
        """Create or upgrade the schema; returns the versions applied (empty when up to date)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        applied: list[int] = []
        with self.connect(), self.write_lock:
            current = self.schema_version()
            shipped = migrations()
            if current > shipped[-1].version:
                raise SchemaTooNewError(
                    "database.schema_too_new", path=str(self.path), version=current, latest=shipped[-1].version
                )
            pending = [m for m in shipped if m.version > current]
            if not pending:
                return applied
            # One transaction for the whole upgrade: the file is either at the new version or untouched.
            with self.transaction(actor) as tx:
                for migration in pending:
                    if migration.version == 1:
                        tx.execute(
                            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                        )
                    tx.con.execute(migration.sql)
                    tx.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [migration.version, migration.name, clock.now()],
                    )
                    applied.append(migration.version)
                if current and current < _REGISTRATION_KEY_VERSION:
                    _fill_registration_keys(tx)
                if current and current < _AUDIT_CHAIN_VERSION:
                    _chain_existing_audit(tx)
                tx.audit_many(
                    [
                        {
                            "action": "migrate",
                            "entity": "schema",
                            "entity_id": str(m.version),
                            "detail": {"name": m.name},
                        }
                        for m in pending
                    ]
                )
        return applied

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM setting WHERE key = ?", [key])
        return default if value is None else str(value)

    def set_setting(self, tx: Transaction, key: str, value: str) -> None:
        tx.execute("INSERT OR REPLACE INTO setting VALUES (?, ?)", [key, value])
