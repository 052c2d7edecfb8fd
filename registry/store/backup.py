"""Backup and restore of a registry file.

A backup is one short unit of work on the registry (the file is opened once, as any command
does): a new DuckDB file is attached and ``COPY FROM DATABASE`` fills it inside one read
transaction, so it holds exactly what was committed when that transaction began — never half of
a write that commits meanwhile, even while the app keeps writing. The copy goes to a temporary
file beside the target, is checked (rows per table, against the registry in the same snapshot)
and renamed into place only when complete.

A restore never opens the given file for writing: it is attached read-only and copied into a new
file beside the registry, which reads every block (DuckDB's checksums catch a damaged file). The
copy is checked (a Monosashi registry, not from a newer Monosashi), migrated when older, given
its ``restore`` audit line, and only then swapped in with ``os.replace``; the previous registry
is kept as ``<db>.before-restore-<time>``. During the swap the registry file is locked the way
DuckDB locks it, so no other process is using the old file while it is replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from registry import clock
from registry.domain.actor import Actor, action_allowed
from registry.errors import AccessDenied, DatabaseFileError, DatabaseLockedError, MonosashiError, SchemaTooNewError
from registry.messages import catalogue
from registry.store.content import initialise
from registry.store.core import Store, file_problem, keep_private, memory_limit, migrations, shared_handle

try:  # POSIX: lock the registry file the way DuckDB does (fcntl record lock) during the swap
    import fcntl
except ImportError:  # pragma: no cover - Windows: os.replace of an open file fails there anyway
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "BackupResult",
    "RestoreResult",
    "backup",
    "describe_content",
    "registry_content",
    "restore",
]

# Bookkeeping tables: rows there do not make a registry "hold data".
_BOOKKEEPING = frozenset({"schema_migrations", "setting", "audit_log"})
# How the content is named to people, in this order; other tables follow by name.
_LABELS = {
    "supplier": "suppliers",
    "submission": "submissions",
    "answer": "answers",
    "certificate": "certificates",
    "level_request": "★ requests",
    "supplier_link": "links",
    "import_file": "files in the import history",
    "flag": "flags",
    "certificate_file": "certificate files",
    "file_blob": "stored files",
    "readiness_history": "readiness history rows",
}


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote."""

    path: Path
    size_bytes: int
    sha256: str
    schema_version: int
    tables: dict[str, int]
    seconds: float

    @property
    def suppliers(self) -> int:
        return self.tables.get("supplier", 0)


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    path: Path
    source: Path
    source_sha256: str
    schema_version_in_file: int
    schema_version: int
    migrated: list[int]
    previous: Path | None
    tables: dict[str, int]
    replaced: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def suppliers(self) -> int:
        return self.tables.get("supplier", 0)


# -- helpers ------------------------------------------------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_label(table: str) -> str:
    """The message key naming a table's content, or its name as written."""
    key = f"audit.entity.{table}"
    return key if key in catalogue() else table


def _write_failed(exc: BaseException, target: Path) -> MonosashiError:
    """A backup that failed on the file system or in DuckDB, said without the library's text."""
    kind, _ = file_problem(exc)
    if kind == "no_space":
        return MonosashiError("backup.disk_full", target=str(target))
    if kind == "no_permission":
        return MonosashiError("backup.no_permission", target=str(target))
    return MonosashiError("backup.failed", target=str(target), error=type(exc).__name__)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):  # a directory cannot be opened for fsync on every platform
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' ORDER BY table_name",
        [database],
    ).fetchall()
    return [r[0] for r in rows]


def _counts(con: duckdb.DuckDBPyConnection, database: str, tables: list[str]) -> dict[str, int]:
    if not tables:
        return {}
    sql = " UNION ALL ".join(
        f"SELECT {i} AS i, count(*) AS n FROM {_ident(database)}.main.{_ident(t)}" for i, t in enumerate(tables)
    )
    found = dict(con.execute(sql).fetchall())
    return {t: int(found[i]) for i, t in enumerate(tables)}


def _schema_version(con: duckdb.DuckDBPyConnection, database: str) -> int:
    row = con.execute(f"SELECT coalesce(max(version), 0) FROM {_ident(database)}.main.schema_migrations").fetchone()
    return int(row[0]) if row else 0


def _held(counts: dict[str, int]) -> list[str]:
    """The non-empty content tables, in the order :func:`describe_content` names them."""
    held = [t for t, n in counts.items() if n and t not in _BOOKKEEPING]
    return [t for t in _LABELS if t in held] + sorted(t for t in held if t not in _LABELS)


def describe_content(counts: dict[str, int]) -> str:
    """``500 suppliers, 462 submissions, …``: the non-empty content tables, for messages."""
    held = {t: n for t, n in counts.items() if n and t not in _BOOKKEEPING}
    parts = [f"{held.pop(t):,} {label}" for t, label in _LABELS.items() if t in held]
    parts += [f"{n:,} rows in {t}" for t, n in sorted(held.items())]
    return ", ".join(parts) if parts else "no data"


def registry_content(store: Store) -> dict[str, int]:
    """Rows per table of an existing registry (refuses a foreign or damaged file)."""
    with store.connect() as con:
        store.schema_version_on(con)
        database = con.execute("SELECT current_database()").fetchone()[0]
        return _counts(con, database, _tables(con, database))


# -- backup -------------------------------------------------------------------------------------


def _detach(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Detach the backup copy, which checkpoints it into its file. Another session's statement
    running on the shared database can make DETACH fail for a moment: retry briefly, so that the
    copy is closed cleanly instead of refused as damaged."""
    for attempt in range(50):
        try:
            con.execute(f"FORCE CHECKPOINT {alias}")  # the copy has no other user: write it whole now
            con.execute(f"DETACH {alias}")
            return
        except duckdb.Error:
            if attempt == 49:
                return  # the caller finds the file not closed cleanly and says so
            time.sleep(0.05)


def backup(store: Store, target: str | Path, *, force: bool = False, actor: Actor) -> BackupResult:
    """Write a consistent snapshot of the registry to ``target`` and record it in the audit log.

    Refuses to replace an existing file unless ``force``. Safe while other sessions (threads of
    this process, or other processes taking turns on the file) are writing.
    """
    if not action_allowed(actor, "backup"):  # before a byte is copied: a backup holds everything
        raise AccessDenied(
            "access.action_denied",
            actor=actor.name,
            role_label=f"role.{actor.role}",
            action_label="audit.action.backup",
        )
    started = time.monotonic()
    target = Path(target)
    if not store.exists():
        raise MonosashiError("backup.no_registry", path=str(store.path))
    if target.is_dir():
        raise MonosashiError("backup.target_is_folder", target=str(target), example=str(target / "monosashi.duckdb"))
    if target.resolve() in {store.path.resolve(), _wal(store.path).resolve()}:
        raise MonosashiError("backup.target_is_registry", target=str(target))
    if target.exists() and not force:
        raise MonosashiError("backup.target_exists", target=str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_failed(exc, target) from None
    token = uuid.uuid4().hex[:12]
    tmp = target.with_name(f".{target.name}.{token}.tmp")
    alias = f"monosashi_backup_{token}"
    try:
        with store.connect() as con:
            if store.schema_version_on(con) == 0:  # also refuses a foreign DuckDB file
                raise MonosashiError("backup.not_initialised", path=str(store.path))
            source = con.execute("SELECT current_database()").fetchone()[0]
            con.execute(f"ATTACH ? AS {alias}", [str(tmp)])
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    # One transaction: the copy and the checks below read one snapshot.
                    con.execute(f"COPY FROM DATABASE {_ident(source)} TO {alias}")
                    tables = _tables(con, source)
                    written = _counts(con, alias, _tables(con, alias))
                    expected = _counts(con, source, tables)
                    version = _schema_version(con, alias)
                    con.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(duckdb.Error):
                        con.execute("ROLLBACK")
                    raise
            finally:
                _detach(con, alias)
            if written != expected:
                differ = sorted(t for t in set(written) | set(expected) if written.get(t) != expected.get(t))
                raise MonosashiError("backup.copy_mismatch", tables_label=[_table_label(t) for t in differ])
            if _wal(tmp).exists():
                raise MonosashiError("backup.not_closed", path=str(tmp))
            keep_private(tmp)
            _fsync(tmp)
            _place(tmp, target, force)
            _fsync(target.parent)
            size, digest = target.stat().st_size, _sha256(target)
            with store.transaction(actor) as tx:
                tx.audit(
                    "backup",
                    entity="backup",
                    entity_id=target.name,
                    detail={
                        "file": str(target.resolve()),
                        "size_bytes": size,
                        "schema_version": version,
                        "tables": written,
                    },
                    sha256=digest,
                )
    except (duckdb.Error, OSError) as exc:
        raise _write_failed(exc, target) from None
    finally:
        _remove(tmp, _wal(tmp))
    return BackupResult(target, size, digest, version, written, time.monotonic() - started)


def _place(tmp: Path, target: Path, force: bool) -> None:
    """Move the finished file to its name; without ``force`` never over an existing file."""
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # atomic, and fails if the target appeared meanwhile
    except FileExistsError:
        raise MonosashiError("backup.target_exists", target=str(target)) from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise MonosashiError("backup.target_exists", target=str(target)) from None
        os.replace(tmp, target)


# -- restore ------------------------------------------------------------------------------------


def restore(
    store: Store,
    source: str | Path,
    *,
    force: bool = False,
    actor: Actor,
    now: datetime | None = None,
) -> RestoreResult:
    """Replace the registry with the backup ``source`` (checked, migrated if older), atomically.

    Refuses a file that is not a Monosashi registry, one from a newer Monosashi, a damaged one,
    and (unless ``force``) to replace a registry that holds data. The previous registry is kept
    as ``<db>.before-restore-<time>``. Nothing is changed when it refuses.
    """

    started = time.monotonic()
    source = Path(source)
    if not source.is_file():
        raise MonosashiError("backup.source_missing", source=str(source))
    if source.resolve() == store.path.resolve():
        raise MonosashiError("backup.source_is_registry", source=str(source))
    if store.exists() and not force:  # fail fast; checked again when the file is swapped
        _refuse_if_holding_data(store, _current_content(store))
    store.path.parent.mkdir(parents=True, exist_ok=True)
    staged_path = store.path.with_name(f".{store.path.name}.restore-{uuid.uuid4().hex[:12]}.tmp")
    previous = _previous_name(store.path, now or clock.now())
    try:
        found_version = _stage(source, staged_path)
        staged = Store(staged_path, lock_timeout=store.lock_timeout)
        applied = initialise(staged, actor)
        digest = _sha256(source)
        version = staged.schema_version()
        tables = registry_content(staged)
        replaced = _swap(store, staged_path, previous, force, actor, source, digest, found_version, applied, tables)
    finally:
        _remove(staged_path, _wal(staged_path))
    kept = previous if previous.exists() else None
    return RestoreResult(
        path=store.path,
        source=source,
        source_sha256=digest,
        schema_version_in_file=found_version,
        schema_version=version,
        migrated=applied,
        previous=kept,
        tables=tables,
        replaced=replaced,
        seconds=time.monotonic() - started,
    )


def _previous_name(path: Path, now: datetime) -> Path:
    base = path.with_name(f"{path.name}.before-restore-{now:%Y%m%d-%H%M%S}")
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _stage(source: Path, staged_path: Path) -> int:
    """Copy the backup into a new file, reading every block; returns its schema version."""
    latest = migrations()[-1].version
    con = duckdb.connect(config={"memory_limit": memory_limit()})
    try:
        try:
            con.execute("ATTACH ? AS backup_source (READ_ONLY)", [str(source)])
        except duckdb.Error as exc:
            kind, params = file_problem(exc)
            if kind == "not_duckdb":
                raise DatabaseFileError("backup.source_not_duckdb", source=str(source)) from None
            if kind == "duckdb_version":
                raise DatabaseFileError("backup.source_duckdb_version", source=str(source), **params) from None
            raise DatabaseFileError("backup.source_unreadable", source=str(source), error=type(exc).__name__) from None
        try:
            tables = _tables(con, "backup_source")
            if "schema_migrations" not in tables:
                if tables:
                    raise DatabaseFileError("backup.source_foreign", source=str(source), tables=tables[:5])
                raise DatabaseFileError("backup.source_empty", source=str(source))
            version = _schema_version(con, "backup_source")
            if version > latest:
                raise SchemaTooNewError("backup.source_too_new", source=str(source), version=version, latest=latest)
            if version < 1 or "audit_log" not in tables:
                raise DatabaseFileError("backup.source_incomplete", source=str(source))
            con.execute("ATTACH ? AS backup_staged", [str(staged_path)])
            con.execute("BEGIN TRANSACTION")
            con.execute("COPY FROM DATABASE backup_source TO backup_staged")
            copied = _counts(con, "backup_staged", _tables(con, "backup_staged"))
            original = _counts(con, "backup_source", tables)
            con.execute("COMMIT")
            if copied != original:
                raise DatabaseFileError("backup.source_copy_incomplete", source=str(source))
        except duckdb.Error as exc:
            raise DatabaseFileError("backup.source_damaged", source=str(source), error=type(exc).__name__) from None
        return version
    finally:
        con.close()


def _current_content(store: Store) -> dict[str, int] | None:
    """The registry's rows per table; None when it is not a readable Monosashi registry."""
    try:
        return registry_content(store)
    except DatabaseLockedError:
        raise
    except MonosashiError:
        return None


def _refuse_if_holding_data(store: Store, content: dict[str, int] | None) -> None:
    if content is None:
        raise MonosashiError("backup.target_unreadable", path=str(store.path))
    held = _held(content)
    if held:
        others = [_table_label(t) for t in held if t != "supplier"]
        if not others:
            raise MonosashiError("backup.target_holds_suppliers", path=str(store.path), suppliers=content["supplier"])
        raise MonosashiError(
            "backup.target_holds_data", path=str(store.path), suppliers=content.get("supplier", 0), kinds_label=others
        )


def _swap(
    store: Store,
    staged_path: Path,
    previous: Path,
    force: bool,
    actor: Actor,
    source: Path,
    digest: str,
    found_version: int,
    applied: list[int],
    tables: dict[str, int],
) -> dict[str, int]:
    """Write the audit line into the staged file, then put it in the registry's place."""
    with _exclusive(store) as content:
        if store.exists() and not force:
            _refuse_if_holding_data(store, content)
        had_file = store.exists()
        staged = Store(staged_path, lock_timeout=store.lock_timeout)
        with staged.transaction(actor) as tx:
            tx.audit(
                "restore",
                entity="registry",
                entity_id=store.path.name,
                detail={
                    "from": str(source.resolve()),
                    "schema_version_in_file": found_version,
                    "migrated": applied,
                    "previous": str(previous) if had_file else None,
                    "replaced": content,
                    "forced": force,
                    "tables": tables,
                },
                sha256=digest,
            )
        if _wal(staged_path).exists():
            raise MonosashiError("backup.restored_not_closed", path=str(staged_path))
        _fsync(staged_path)
        if had_file:
            try:
                os.link(store.path, previous)  # the old file keeps its bytes under the new name
                keep_private(previous)
            except OSError:  # a file system without hard links
                shutil.copy2(store.path, previous)
            os.replace(staged_path, store.path)
        else:
            _place(staged_path, store.path, force=False)
        store.wrote()  # another registry now: nothing kept for the old one may be read for it
        _fsync(store.path.parent)
        return content or {}


@contextlib.contextmanager
def _exclusive(store: Store) -> Iterator[dict[str, int] | None]:
    """Hold the registry file so that nobody (thread or process) uses it; yields its content.

    Threads of this process are kept out by the store's own locks. Other processes are kept out
    by the same fcntl lock DuckDB takes: the file is opened once through DuckDB (which waits for
    other processes and replays any write-ahead log), closed (which checkpoints it), and then
    locked by us. If another process slipped in between, the loop looks again.
    """
    shared = shared_handle(store.path.resolve())
    with store.write_lock, shared.lock:
        if shared.con is not None:
            raise MonosashiError("backup.open_in_process", path=str(store.path))
        deadline = time.monotonic() + 3 * store.lock_timeout
        while True:
            content = None
            if store.exists():
                try:
                    con = store.open_connection()
                except DatabaseLockedError:
                    raise
                except MonosashiError:
                    con = None
                if con is not None:
                    try:
                        store.schema_version_on(con)
                        database = con.execute("SELECT current_database()").fetchone()[0]
                        content = _counts(con, database, _tables(con, database))
                    except MonosashiError:
                        content = None
                    finally:
                        con.close()
            if not store.exists() or fcntl is None:
                yield content
                return
            stamp = _stamp(store.path)
            fd = os.open(store.path, os.O_RDWR)
            try:
                if _try_lock(fd) and _stamp(store.path) == stamp and not _wal(store.path).exists():
                    yield content
                    return
            finally:
                os.close(fd)  # releases the lock
            if time.monotonic() > deadline:
                raise DatabaseLockedError(store.path, None, 3 * store.lock_timeout)
            time.sleep(0.05)


def _stamp(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def _try_lock(fd: int) -> bool:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
