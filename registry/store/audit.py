"""The audit log's own check: every line holds the hash of the line before it (docs/security.md).

Editing, deleting, inserting or reordering lines with plain SQL breaks the chain at the first line
touched; :func:`verify` names that line. Someone able to rewrite the whole file could rebuild the
chain from the start, so the head hash printed here is worth keeping outside the registry (the
backups keep it too).
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.store import AUDIT_COLUMNS, GENESIS_HASH, Store, audit_line_hash

__all__ = ["AuditVerdict", "verify"]


@dataclass(frozen=True)
class AuditVerdict:
    """The result of checking the chain: how many lines, the first broken one (or None)."""

    lines: int
    first_broken: int | None
    problem: str | None
    head_hash: str

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
            problem = (
                "the line before it was changed, removed or inserted"
                if prev_hash is not None
                else "it has no place in the chain (added outside the registry)"
            )
            return AuditVerdict(count, audit_id, problem, previous)
        if audit_line_hash(previous, values) != line_hash:
            return AuditVerdict(count, audit_id, "its content was changed after it was written", previous)
        previous = line_hash
    return AuditVerdict(count, None, None, previous)
