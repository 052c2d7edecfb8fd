"""The audit log's own check: every line holds the hash of the line before it (docs/security.md).

Editing, deleting, inserting or reordering lines with plain SQL breaks the chain at the first line
touched; :func:`verify` names that line. Someone able to rewrite the whole file could rebuild the
chain from the start, so the head hash printed here is worth keeping outside the registry (the
backups keep it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from registry.store import AUDIT_COLUMNS, GENESIS_HASH, Store, audit_line_hash

__all__ = [
    "AuditVerdict",
    "audit_actions",
    "audit_entries",
    "evidence_revision",
    "revision",
    "verify",
]


@dataclass(frozen=True)
class AuditVerdict:
    """The result of checking the chain: how many lines, the first broken one (or None).

    ``problem`` is what ``--json`` prints (English, stable); ``problem_key`` is the same as a
    message key, for the reader's language (registry/messages)."""

    lines: int
    first_broken: int | None
    problem: str | None
    head_hash: str
    problem_key: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken is None

    def as_json(self) -> dict[str, object]:
        """The ``monosashi audit verify --json`` object (docs/cli.md)."""
        return {
            "intact": self.intact,
            "lines": self.lines,
            "first_broken_line": self.first_broken,
            "problem": self.problem,
            "head_hash": self.head_hash,
        }


def verify(store: Store) -> AuditVerdict:
    """Recompute every line's hash in order and compare it with the stored chain."""
    columns = ", ".join("CAST(detail AS VARCHAR) AS detail" if c == "detail" else c for c in AUDIT_COLUMNS)
    lines = store.frame(f"SELECT {columns}, prev_hash, line_hash FROM audit_log ORDER BY audit_id")
    previous = GENESIS_HASH
    count = 0
    for row in lines.iter_rows():
        count += 1
        *values, prev_hash, line_hash = row
        audit_id = values[0]
        if prev_hash != previous:
            if prev_hash is not None:
                problem, key = (
                    "the line before it was changed, removed or inserted",
                    "database.audit.line_before_changed",
                )
            else:
                problem, key = (
                    "it has no place in the chain (added outside the registry)",
                    "database.audit.outside_chain",
                )
            return AuditVerdict(count, audit_id, problem, previous, key)
        if audit_line_hash(previous, values) != line_hash:
            return AuditVerdict(
                count,
                audit_id,
                "its content was changed after it was written",
                previous,
                "database.audit.content_changed",
            )
        previous = line_hash
    return AuditVerdict(count, None, None, previous)


def revision(store: Store) -> int:
    """A number that grows with every write (the newest audit entry): a cache key for derived views."""
    return int(store.scalar("SELECT coalesce(max(audit_id), 0) FROM audit_log") or 0)


def evidence_revision(store: Store) -> int:
    """A number that grows with every write except the flags' and the reminders' (the newest audit
    entry about anything else): a cache key for what the evidence alone decides, which a derivation
    of the flags, writing flags and readiness history, or a reminder run leaves as it was."""
    return int(
        store.scalar(
            "SELECT coalesce(max(audit_id), 0) FROM audit_log WHERE entity IS NULL OR entity NOT IN ('flag', 'reminder')"
        )
        or 0
    )


def audit_entries(
    store: Store,
    *,
    since: date | None = None,
    until: date | None = None,
    actions: list[str] | None = None,
    by: str = "",
    entity: str = "",
    limit: int = 5000,
) -> pl.DataFrame:
    """Audit lines, newest first, filtered (every filter optional)."""
    return store.frame(
        """SELECT audit_id, logged_at, actor, action, entity, entity_id, CAST(detail AS VARCHAR) AS detail, sha256
           FROM audit_log
           WHERE ($since IS NULL OR CAST(logged_at AS DATE) >= $since)
             AND ($until IS NULL OR CAST(logged_at AS DATE) <= $until)
             AND (len($actions) = 0 OR action IN (SELECT unnest($actions)))
             AND ($by = '' OR actor ILIKE '%' || $by || '%')
             AND ($entity = '' OR entity = $entity OR entity_id = $entity)
           ORDER BY audit_id DESC
           LIMIT $limit""",
        {
            "since": since,
            "until": until,
            "actions": list(actions or []),
            "by": by.strip(),
            "entity": entity.strip(),
            "limit": limit,
        },
    )


def audit_actions(store: Store) -> list[str]:
    """Every action name the audit log holds."""
    return store.frame("SELECT DISTINCT action FROM audit_log ORDER BY action")["action"].to_list()
