"""Imported files and what they brought: the import history, the bytes kept (quarantine included),
submissions and answers, written set-wise with the rows each file planned."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.domain.tables import PlannedWrite
from registry.store import Store, Transaction
from registry.store.certificates import _save_certificates
from registry.store.suppliers import _upsert_suppliers

__all__ = [
    "ImportedFile",
    "file_content",
    "import_history",
    "imported_hashes",
    "invitation_usage",
    "self_check_results",
    "submissions",
    "write_import",
]


class ImportedFile(Protocol):
    """What the store needs to know of a file an import records (intake's FileReport)."""

    name: str
    sha256: str
    size_bytes: int
    status: str
    data: bytes | None
    format: str | None
    supplier_ids: list[str]
    planned: PlannedWrite | None
    errors: list
    warnings: list
    again: bool
    refused: list

    @property
    def framework(self) -> str | None: ...

    @property
    def catalogue_version(self) -> str | None: ...

    @property
    def answers(self) -> int: ...


def imported_hashes(store: Store, hashes: list[str]) -> dict[str, tuple[str, date]]:
    """Which of these file hashes were imported before: hash → (the suppliers it went to, the day)."""
    if not hashes:
        return {}
    frame = store.frame(
        """SELECT sha256, arg_min(coalesce(array_to_string(supplier_ids, ', '), ''), imported_at) AS suppliers,
                  CAST(min(imported_at) AS DATE) AS day
           FROM import_file WHERE status = 'imported' AND sha256 IN (SELECT unnest($h)) GROUP BY sha256""",
        {"h": hashes},
    )
    return {sha: (suppliers, day) for sha, suppliers, day in frame.iter_rows()}


def invitation_usage(store: Store, session: str) -> tuple[int, int, int]:
    """What the files that came through one supplier session (a portal link, or a supplier's
    account: ``via:credential``) take up: kept rejected files (count and bytes) and the bytes of
    the files it imported."""
    row = store.frame(
        """SELECT count(*) FILTER (status = 'rejected' AND content_kept) AS rejected_files,
                  coalesce(sum(size_bytes) FILTER (status = 'rejected' AND content_kept), 0) AS rejected_bytes,
                  coalesce(sum(size_bytes) FILTER (status = 'imported'), 0) AS imported_bytes
           FROM import_file WHERE via_invitation = ?""",
        [session],
    ).row(0)
    return int(row[0]), int(row[1]), int(row[2])


def import_history(store: Store, limit: int = 500, status: str | None = None) -> pl.DataFrame:
    """Files received, newest first: when, by whom, hash, result and reasons."""
    return store.frame(
        """SELECT import_id, imported_at, status, source_name, array_to_string(supplier_ids, ', ') AS supplier_ids,
                  framework_id, catalogue_version, answers, format, imported_by, sha256, size_bytes,
                  CAST(errors AS VARCHAR) AS errors, CAST(warnings AS VARCHAR) AS warnings, content_kept
           FROM import_file WHERE $status IS NULL OR status = $status
           ORDER BY import_id DESC LIMIT $limit""",
        {"status": status, "limit": limit},
    )


def file_content(store: Store, sha256: str) -> bytes | None:
    """The bytes of a received file (imported or quarantined), unchanged."""
    value = store.scalar("SELECT data FROM file_blob WHERE sha256 = ?", [sha256])
    return bytes(value) if value is not None else None


def submissions(store: Store, supplier_id: str | None = None) -> pl.DataFrame:
    """Submissions with whether each is the current one for its supplier and framework."""
    return store.frame(
        """SELECT s.submission_id, s.supplier_id, s.framework_id, s.framework_version, s.catalogue_version,
                  s.level, s.submitted_on, s.source_name, s.sha256, s.format, s.score, s.band, s.imported_at,
                  (SELECT count(*) FROM answer a WHERE a.submission_id = s.submission_id) AS answers,
                  s.submission_id IN (SELECT submission_id FROM current_submission) AS current
           FROM submission s WHERE $supplier IS NULL OR s.supplier_id = $supplier
           ORDER BY s.supplier_id, s.framework_id, s.submitted_on DESC, s.submission_id DESC""",
        {"supplier": supplier_id},
    )


def self_check_results(store: Store, as_of: date, supplier_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Each supplier's current IPA 自社診断 on ``as_of``: its total score (out of 100), band and date."""
    return store.frame(
        """SELECT supplier_id, score, band, submitted_on FROM (
               SELECT s.*, row_number() OVER (PARTITION BY supplier_id
                   ORDER BY submitted_on DESC, imported_at DESC, submission_id DESC) AS newest
               FROM submission s
               WHERE s.framework_id = 'ipa_5min' AND s.score IS NOT NULL AND s.submitted_on <= $as_of
                 AND ($ids IS NULL OR list_contains($ids, s.supplier_id))
           ) WHERE newest = 1 ORDER BY supplier_id""",
        {"as_of": as_of, "ids": list(supplier_ids) if supplier_ids is not None else None},
    )


def write_import(
    store: Store,
    ready: Sequence[ImportedFile],
    rejected: Sequence[ImportedFile],
    *,
    batch_id: str,
    actor: Actor,
    today: date,
) -> None:
    """Write ready files' rows and record every file in one transaction.

    The bytes of every file are kept (rejected ones too: the quarantine), except where the
    caller dropped them (``data`` None: a portal quota): such a file is recorded with its reasons.
    """
    now = clock.now()
    with store.transaction(actor) as tx:
        already = {
            r[0]
            for r in tx.execute(
                "SELECT DISTINCT sha256 FROM import_file WHERE status = 'imported' AND sha256 IN (SELECT unnest(?))",
                [[r.sha256 for r in ready] or [""]],
            )
        }
        for report in ready:
            # another session imported it since the analysis (unless the person chose to import it again)
            if report.sha256 in already and not report.again:
                report.status = "duplicate"
        writing = [r for r in ready if r.status == "ready"]
        records = [*writing, *rejected]
        written = {id(r) for r in writing}
        if not records:
            return
        import_ids = [r[0] for r in tx.execute("SELECT nextval('import_file_seq') FROM range(?)", [len(records)])]
        kept = {id(r) for r in records if r.data is not None and r.sha256}
        blobs = [r for r in records if id(r) in kept]
        if blobs:
            _insert_blobs(tx, blobs)
        tx.insert_frame(
            "import_file",
            pl.DataFrame(
                {
                    "import_id": import_ids,
                    "batch_id": [batch_id] * len(records),
                    "source_name": [r.name for r in records],
                    "sha256": [r.sha256 for r in records],
                    "size_bytes": [r.size_bytes for r in records],
                    "format": [r.format for r in records],
                    "status": ["imported" if id(r) in written else "rejected" for r in records],
                    "supplier_ids": [r.supplier_ids for r in records],
                    "framework_id": [r.framework for r in records],
                    "catalogue_version": [r.catalogue_version for r in records],
                    "answers": [r.answers if id(r) in written else 0 for r in records],
                    "errors": [json.dumps([e.model_dump() for e in r.errors], ensure_ascii=False) for r in records],
                    # the rows of a list refused on their own are kept with the warnings, each at its line
                    "warnings": [
                        json.dumps(
                            [w.model_dump() for w in [*r.warnings, *(p for row in r.refused for p in row.problems)]],
                            ensure_ascii=False,
                        )
                        for r in records
                    ],
                    "content_kept": [id(r) in kept for r in records],
                    "imported_at": [now] * len(records),
                    "imported_by": [actor.name] * len(records),
                    "via_invitation": [
                        f"{actor.via}:{actor.credential}" if actor.role == "supplier" and actor.credential else None
                    ]
                    * len(records),
                },
                schema_overrides={
                    "supplier_ids": pl.List(pl.String),
                    "format": pl.String,
                    "framework_id": pl.String,
                    "catalogue_version": pl.String,
                    "via_invitation": pl.String,
                },
            ),
        )
        pairs = list(zip(import_ids, records, strict=True))
        _write_plans(tx, [(i, r.planned) for i, r in pairs if id(r) in written and r.planned], today, now)
        tx.audit_many(
            [
                {
                    "action": "import_file" if id(r) in written else "reject_file",
                    "entity": "import_file",
                    "entity_id": str(import_id),
                    "detail": {
                        "file": r.name,
                        "format": r.format,
                        "suppliers": r.supplier_ids,
                        "answers": r.answers,
                        "errors": [e.message for e in r.errors][:5],
                        "content_kept": id(r) in kept,
                    },
                    "sha256": r.sha256 or None,
                }
                for import_id, r in pairs
            ]
        )


def _insert_blobs(tx: Transaction, blobs: Sequence[ImportedFile]) -> None:
    frame = pl.DataFrame(
        {
            "sha256": [r.sha256 for r in blobs],
            "size_bytes": [r.size_bytes for r in blobs],
            "data": [r.data for r in blobs],
        },
        schema={"sha256": pl.String, "size_bytes": pl.Int64, "data": pl.Binary},
    )
    tx.insert_new("file_blob", frame, key=["sha256"])


def _write_plans(tx: Transaction, plans: list[tuple[int, PlannedWrite]], today: date, now: datetime) -> None:
    """Insert the planned rows of every ready file set-wise (one statement per table)."""
    if not plans:
        return
    # Number every file's submissions and answers at once: (file, local index) → submission ID.
    submissions = pl.concat([p.submissions for _, p in plans])
    answers = pl.concat([p.answers for _, p in plans])
    submissions = submissions.with_columns(
        file=pl.Series([n for n, (_, p) in enumerate(plans) for _ in range(p.submissions.height)], dtype=pl.Int32),
        import_id=pl.Series([i for i, p in plans for _ in range(p.submissions.height)], dtype=pl.Int64),
    )
    answers = answers.with_columns(
        file=pl.Series([n for n, (_, p) in enumerate(plans) for _ in range(p.answers.height)], dtype=pl.Int32)
    )
    if submissions.height:
        ids = [r[0] for r in tx.execute("SELECT nextval('submission_seq') FROM range(?)", [submissions.height])]
        submissions = submissions.with_columns(submission_id=pl.Series(ids, dtype=pl.Int64))
        answers = answers.join(
            submissions.select("file", "local_index", "submission_id"), on=["file", "local_index"], how="left"
        )
    suppliers = pl.concat([p.suppliers for _, p in plans]).unique("supplier_id", keep="last", maintain_order=True)
    if not suppliers.is_empty():
        _upsert_suppliers(tx, suppliers, now)
    links = pl.concat([p.links for _, p in plans])
    tx.insert_new("supplier_link", links, key=["parent_id", "child_id"])
    _save_certificates(tx, pl.concat([p.certificates for _, p in plans]))
    requests = pl.concat([p.requests for _, p in plans]).unique("request_id", keep="last", maintain_order=True)
    if not requests.is_empty():
        requests = requests.with_columns(decided_by=pl.col("decided_by").fill_null(tx.actor.name))
        tx.delete_rows("level_request", requests.select("request_id"))
        tx.insert_frame("level_request", requests)
    if submissions.height:
        tx.insert_frame(
            "submission",
            submissions.with_columns(pl.col("submitted_on").fill_null(today), imported_by=pl.lit(tx.actor.name)).drop(
                "local_index", "file"
            ),
        )
        tx.insert_frame("answer", answers.drop("local_index", "file"))
    yearly = pl.concat([p.yearly_checks for _, p in plans])
    if not yearly.is_empty():
        tx.insert_frame("yearly_check", yearly.with_columns(recorded_by=pl.lit(tx.actor.name)))
    proposals = pl.concat([p.proposals for _, p in plans])
    if not proposals.is_empty():
        tx.insert_frame("subcontractor_proposal", proposals.with_columns(proposed_at=pl.lit(now), state=pl.lit("open")))
    if not suppliers.is_empty():  # the registry now holds suppliers the demo must not overwrite
        tx.execute("INSERT OR REPLACE INTO setting VALUES ('content_origin', 'user')")
