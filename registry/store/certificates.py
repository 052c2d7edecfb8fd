"""Certificates and their evidence files: saved under IDs the registry makes, a registration
number owned by one supplier, files kept unaltered by SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

import polars as pl

from questionnaires.catalogue import available_versions, load_catalogue
from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import Certificate, registration_key
from registry.errors import AccessDenied, MonosashiError, NotFoundError
from registry.store import Store, Transaction
from registry.store.validity import anniversary_sql, computed_expiry_sql, expiry_sql, policy_for, stale_sql

__all__ = [
    "CertificateConflictError",
    "add_certificate",
    "certificate_files",
    "certificate_owner",
    "certificate_states",
    "certificates_by_registration",
    "confirm",
    "record_yearly_check",
    "star4_by_registration",
    "unconfirmed",
    "yearly_checks",
]


def star4_by_registration(store: Store, numbers: list[str]) -> dict[str, tuple[str, str, date]]:
    """Registration number (as given) → (certificate ID, supplier, issue date) of the confirmed ★4
    recorded under it, compared by folded keys."""
    if not numbers:
        return {}
    given = pl.DataFrame({"registration_no": numbers}, schema={"registration_no": pl.String}).with_columns(
        registration_key=registration_key(pl.col("registration_no"))
    )
    frame = store.frame_with(
        """SELECT g.registration_no, arg_max(c.certificate_id, c.issued_on) AS certificate_id,
                  arg_max(c.supplier_id, c.issued_on) AS supplier_id, max(c.issued_on) AS issued_on
           FROM given g JOIN certificate_counted c ON c.registration_key = g.registration_key
           WHERE c.scheme = 'scs_star4' GROUP BY g.registration_no""",
        None,
        given=given,
    )
    return {r[0]: (r[1], r[2], r[3]) for r in frame.iter_rows()}


def certificates_by_registration(store: Store, numbers: list[str]) -> dict[str, str]:
    """Registration number (as given) → the supplier it is recorded for, compared by their folded
    keys (width, case, spaces and dashes aside)."""
    if not numbers:
        return {}
    given = pl.DataFrame({"registration_no": numbers}, schema={"registration_no": pl.String}).with_columns(
        registration_key=registration_key(pl.col("registration_no"))
    )
    frame = store.frame_with(
        """SELECT g.registration_no, c.supplier_id FROM given g
           JOIN certificate c ON c.registration_key = g.registration_key""",
        None,
        given=given,
    )
    return dict(frame.iter_rows())


def certificate_files(store: Store, supplier_id: str) -> pl.DataFrame:
    """Evidence files attached to a supplier's certificates (without their bytes)."""
    return store.frame(
        """SELECT f.certificate_id, f.file_name, f.media_type, f.sha256, f.attached_at, f.attached_by
        FROM certificate_file f JOIN certificate c USING (certificate_id)
        WHERE c.supplier_id = ? ORDER BY f.attached_at DESC""",
        [supplier_id],
    )


class CertificateConflictError(MonosashiError):
    """The registration number is already recorded for another supplier."""


def _save_certificates(tx: Transaction, certificates: pl.DataFrame) -> list[str]:
    """Add or update certificates; returns their IDs, in order.

    A certificate is the same one when supplier, scheme, registration number and issue date
    agree: it is updated in place and keeps its ID and files. Any other is new and gets an ID
    the registry makes. A registration number (compared by its folded key) recorded for another
    supplier, or given to two suppliers in one write, is refused: a save never moves a certificate
    (or its files) from one supplier to another. A supplier's own entry is its claim until a buyer
    confirms it, and a supplier may not change a certificate its buyer recorded.
    """
    if certificates.is_empty():
        return []
    actor = tx.actor
    by_supplier = actor.role == "supplier"
    incoming = (
        certificates.drop("certificate_id", "confirmed", "added_by", "registration_key", strict=False)
        .unique(["supplier_id", "scheme", "registration_no", "issued_on"], keep="last", maintain_order=True)
        .with_columns(registration_key=registration_key(pl.col("registration_no")))
        .with_row_index("row")
    )
    shared = (
        incoming.filter(pl.col("registration_key").is_not_null())
        .group_by("registration_key")
        .agg(pl.col("registration_no").first(), suppliers=pl.col("supplier_id").n_unique())
        .filter(pl.col("suppliers") > 1)
    )
    if shared.height:
        raise CertificateConflictError("certificate.number_shared", number=shared["registration_no"][0])
    clash = tx.execute_with(
        """SELECT n.registration_no, e.supplier_id FROM {incoming} n JOIN certificate e
           ON e.registration_key = n.registration_key AND e.supplier_id <> n.supplier_id LIMIT 1""",
        incoming,
    )
    if clash:
        number, owner = clash[0]
        if by_supplier:  # a supplier learns nothing about who holds the number
            raise CertificateConflictError("certificate.number_taken_other", number=number)
        raise CertificateConflictError("certificate.number_taken", number=number, supplier_id=owner)
    known = tx.execute_with(
        """SELECT n.row, e.certificate_id, e.created_at, e.confirmed, e.added_by FROM {incoming} n JOIN certificate e
           ON e.supplier_id = n.supplier_id AND e.scheme = n.scheme AND e.issued_on = n.issued_on
          AND e.registration_key IS NOT DISTINCT FROM n.registration_key""",
        incoming,
    )
    if by_supplier and any(confirmed or added_by != actor.name for _, _, _, confirmed, added_by in known):
        raise CertificateConflictError("certificate.recorded_by_buyer")
    found = {row: (cid, created) for row, cid, created, _, _ in known}
    fresh = [r for r in range(incoming.height) if r not in found]
    numbers = [r[0] for r in tx.execute("SELECT nextval('certificate_seq') FROM range(?)", [len(fresh)])]
    now = clock.now()
    ids = dict(zip(fresh, (f"CERT-{n:07d}" for n in numbers), strict=True))
    ids |= {r: cid for r, (cid, _) in found.items()}
    created = {r: found[r][1] if r in found else now for r in range(incoming.height)}
    rows = incoming.with_columns(
        certificate_id=pl.Series([ids[r] for r in range(incoming.height)], dtype=pl.String),
        created_at=pl.Series([created[r] for r in range(incoming.height)], dtype=pl.Datetime("us")),
        confirmed=pl.lit(not by_supplier),
        added_by=pl.lit(actor.name),
    ).drop("row")
    if found:
        tx.delete_rows("certificate", pl.DataFrame({"certificate_id": [cid for cid, _ in found.values()]}))
    tx.insert_frame("certificate", rows)
    return rows["certificate_id"].to_list()


def add_certificate(
    store: Store, certificate: Certificate, files: Sequence[tuple[str, bytes, str]], actor: Actor
) -> str:
    """Record a certificate with its evidence files (name, bytes, media type) in one transaction;
    returns its ID.

    The files are kept unaltered by SHA-256; a registration number already recorded for another
    supplier is refused; the same certificate saved again is updated and keeps its files.
    """
    with store.transaction(actor) as tx:
        frame = pl.DataFrame([certificate.model_dump()]).with_columns(pl.col("issued_on", "expires_on").cast(pl.Date))
        (certificate_id,) = _save_certificates(tx, frame)
        now = clock.now()
        if files:
            digests = [hashlib.sha256(data).hexdigest() for _, data, _ in files]
            tx.insert_new(
                "file_blob",
                pl.DataFrame(
                    {
                        "sha256": digests,
                        "size_bytes": [len(data) for _, data, _ in files],
                        "data": [data for _, data, _ in files],
                    },
                    schema={"sha256": pl.String, "size_bytes": pl.Int64, "data": pl.Binary},
                ),
                key=["sha256"],
            )
            tx.insert_new(
                "certificate_file",
                pl.DataFrame(
                    {
                        "certificate_id": [certificate_id] * len(files),
                        "sha256": digests,
                        "file_name": [name for name, _, _ in files],
                        "media_type": [media for _, _, media in files],
                        "attached_at": [now] * len(files),
                        "attached_by": [actor.name] * len(files),
                    },
                    schema_overrides={"attached_at": pl.Datetime("us")},
                ),
                key=["certificate_id", "sha256"],
            )
        tx.audit(
            "add_certificate",
            entity="certificate",
            entity_id=certificate_id,
            detail={
                **certificate.model_dump(mode="json", exclude={"certificate_id"}),
                "files": [n for n, _, _ in files],
            },
            sha256=hashlib.sha256(files[0][1]).hexdigest() if files else None,
        )
    return certificate_id


def _star4_criteria_sql() -> tuple[str, str]:
    """CASE branches per catalogue version: the ★4 criteria's IDs, and how many there are."""
    lists, counts = [], []
    for version in available_versions():
        ids = [c.id for c in load_catalogue(version).criteria if c.level == 4]
        lists.append(f"WHEN '{version}' THEN [{', '.join(repr(i) for i in ids)}]")
        counts.append(f"WHEN '{version}' THEN {len(ids)}")
    return " ".join(lists), " ".join(counts)


def record_yearly_check(
    store: Store,
    certificate_id: str,
    submitted_on: date,
    receipt: tuple[str, bytes, str] | None,
    *,
    via: str,
    actor: Actor,
) -> int:
    """Record that the ★4 yearly self-assessment of ``certificate_id`` was submitted to the
    evaluation body on ``submitted_on`` (with its receipt file, if given); returns the record's ID.
    Refused for a certificate that is not a ★4, a date in the future or before the ★'s issue."""
    if via not in ("portal", "list", "hand"):
        raise ValueError(f"unknown way in {via!r}")
    with store.transaction(actor) as tx:
        found = tx.execute(
            "SELECT supplier_id, scheme, issued_on FROM certificate_counted WHERE certificate_id = ?", [certificate_id]
        )
        if not found:
            raise NotFoundError("certificate.not_found_or_unconfirmed", certificate_id=certificate_id)
        row = dict(zip(("supplier_id", "scheme", "issued_on"), found[0], strict=True))
        if actor.role == "supplier" and row["supplier_id"] != actor.supplier_id:
            # refused before anything about it is said: its kind, issue date and holder stay untold
            raise AccessDenied("access.not_own_record", actor=actor.name, supplier_id=actor.supplier_id)
        if row["scheme"] != "scs_star4":
            raise MonosashiError("certificate.yearly_not_star4", certificate_id=certificate_id)
        if submitted_on > clock.today():
            raise MonosashiError(
                "certificate.submitted_after_today",
                submitted_on=submitted_on.isoformat(),
                today=clock.today().isoformat(),
            )
        if submitted_on < row["issued_on"]:
            raise MonosashiError(
                "certificate.submitted_before_issue",
                submitted_on=submitted_on.isoformat(),
                issued_on=row["issued_on"].isoformat(),
            )
        digest = None
        if receipt is not None:
            _, data, _ = receipt
            digest = hashlib.sha256(data).hexdigest()
            tx.insert_new(
                "file_blob",
                pl.DataFrame(
                    {"sha256": [digest], "size_bytes": [len(data)], "data": [data]},
                    schema={"sha256": pl.String, "size_bytes": pl.Int64, "data": pl.Binary},
                ),
                key=["sha256"],
            )
        tx.insert_frame(
            "yearly_check",
            pl.DataFrame(
                {
                    "certificate_id": [certificate_id],
                    "supplier_id": [row["supplier_id"]],
                    "submitted_on": [submitted_on],
                    "receipt_sha256": [digest],
                    "receipt_name": [receipt[0] if receipt else None],
                    "via": [via],
                    "recorded_by": [actor.name],
                },
                schema={
                    "certificate_id": pl.String,
                    "supplier_id": pl.String,
                    "submitted_on": pl.Date,
                    "receipt_sha256": pl.String,
                    "receipt_name": pl.String,
                    "via": pl.String,
                    "recorded_by": pl.String,
                },
            ),
        )
        check_id = int(tx.execute("SELECT currval('yearly_check_seq')")[0][0])
        tx.audit(
            "record_yearly_check",
            entity="certificate",
            entity_id=certificate_id,
            detail={"supplier_id": row["supplier_id"], "submitted_on": submitted_on.isoformat(), "via": via},
            sha256=digest,
        )
    return check_id


def certificate_owner(store: Store, certificate_id: str) -> str:
    """The supplier a certificate belongs to."""
    return str(store.scalar("SELECT supplier_id FROM certificate WHERE certificate_id = ?", [certificate_id]))


def yearly_checks(store: Store, supplier_id: str) -> pl.DataFrame:
    """The ★4 yearly self-assessments a supplier submitted to the evaluation body, newest first."""
    return store.frame(
        """SELECT y.check_id, y.certificate_id, c.registration_no, y.submitted_on, y.receipt_name, y.receipt_sha256,
                  y.via, y.recorded_by, y.recorded_at
           FROM yearly_check y JOIN certificate c USING (certificate_id)
           WHERE y.supplier_id = ? ORDER BY y.submitted_on DESC, y.check_id DESC""",
        [supplier_id],
    )


# A self-assessment submitted this many days before a due date counts for it.
_EARLY_DAYS = 90


# The due-soon notice for the ★4 yearly self-assessment starts this many days before the date.
_NOTICE_DAYS = 30


def _states_sql(store: Store) -> str:
    policy = policy_for(store)
    checks = {s: r for s, r in policy.schemes.items() if r.yearly_check}
    grace = " ".join(f"WHEN '{s}' THEN {r.check_grace_days}" for s, r in checks.items()) or "WHEN '' THEN 0"
    kind = " ".join(f"WHEN '{s}' THEN '{r.yearly_check}'" for s, r in checks.items()) or "WHEN '' THEN NULL"
    windows = sorted(policy.expiring_windows_days)
    window_case = " ".join(f"WHEN days_left <= {w} THEN {w}" for w in windows)
    star4_lists, star4_counts = _star4_criteria_sql()
    return f"""
WITH certs AS (
    SELECT c.*, {expiry_sql("c", policy)} AS valid_until, {computed_expiry_sql("c", policy)} AS computed_until,
           {stale_sql("c", policy)} AS stale,
           max(c.issued_on) FILTER (WHERE c.issued_on <= $as_of) OVER (PARTITION BY c.supplier_id, c.scheme) AS newest_issue,
           date_diff('year', c.issued_on, $as_of) AS year_span
    FROM certificate_counted c
    WHERE $supplier IS NULL OR c.supplier_id = $supplier  -- early: the windows are per supplier
),
years AS (
    SELECT *, CASE WHEN {anniversary_sql("certs", "year_span")} > $as_of THEN year_span - 1 ELSE year_span END AS checks_passed
    FROM certs
),
dues AS (
    SELECT *,
        CASE WHEN checks_passed >= 1 THEN {anniversary_sql("years", "checks_passed")} END AS last_due,
        {anniversary_sql("years", "checks_passed + 1")} AS next_due,
        (CASE scheme {grace} END) AS grace_days,
        (CASE scheme {kind} END) AS check_kind
    FROM years
),
checked AS (
    SELECT d.*,
        d.check_kind IS NOT NULL AS needs_check,
        -- the newest evidence of the yearly check by the as-of date: an SCS self-assessment, or
        -- (surveillance) an audit report attached to the certificate
        CASE d.check_kind
            -- (★4) the self-assessment submitted to the evaluation body, recorded for the
            -- certificate; or an SCS sheet sent to the buyer that answers every ★4 criterion (a
            -- ★3 sheet with its ★4 rows blank does not count)
            WHEN 'self_assessment' THEN greatest(
                (SELECT max(y.submitted_on) FROM yearly_check y
                 WHERE y.certificate_id = d.certificate_id AND y.submitted_on <= $as_of),
                (SELECT max(s.submitted_on) FROM submission s
                 WHERE s.supplier_id = d.supplier_id AND s.framework_id = 'scs' AND s.submitted_on <= $as_of
                   AND (SELECT count(*) FROM answer a
                        WHERE a.submission_id = s.submission_id AND a.raw_answer IS NOT NULL
                          AND list_contains(CASE s.catalogue_version {star4_lists} END, a.item_id))
                       >= CASE s.catalogue_version {star4_counts} END))
            WHEN 'surveillance' THEN (
                SELECT max(CAST(f.attached_at AS DATE)) FROM certificate_file f
                WHERE f.certificate_id = d.certificate_id AND CAST(f.attached_at AS DATE) <= $as_of)
        END AS checked_on,
        datediff('day', $as_of, d.valid_until) AS days_left
    FROM dues d
),
done AS (
    SELECT *,
        coalesce(checked_on >= last_due - {_EARLY_DAYS}, false) AS last_done,
        coalesce(checked_on >= next_due - {_EARLY_DAYS}, false) AS next_done
    FROM checked
)
SELECT c.certificate_id, c.supplier_id, s.name, c.scheme,
       CASE c.scheme WHEN 'scs_star4' THEN 4 WHEN 'scs_star3' THEN 3 END AS level,
       c.scheme_name, c.registration_no, c.issued_on, c.valid_until AS expires_on, c.expires_on AS printed_expiry,
       c.computed_until AS computed_expiry,
       (c.expires_on IS NOT NULL AND c.computed_until IS NOT NULL AND c.expires_on <> c.computed_until) AS expiry_mismatch,
       CASE
           WHEN c.issued_on > $as_of THEN 'not_yet_valid'
           WHEN c.issued_on < c.newest_issue THEN 'superseded'
           WHEN c.valid_until < $as_of THEN 'expired'
           WHEN c.stale THEN 'stale'
           WHEN c.needs_check AND c.last_due IS NOT NULL AND NOT c.last_done
                AND $as_of > c.last_due + c.grace_days THEN c.check_kind || '_overdue'
           WHEN c.needs_check AND c.last_due IS NOT NULL AND NOT c.last_done THEN c.check_kind || '_due'
           WHEN c.needs_check AND c.next_due < c.valid_until AND datediff('day', $as_of, c.next_due) <= {_NOTICE_DAYS}
                AND NOT c.next_done THEN c.check_kind || '_due'
           WHEN c.days_left <= {max(windows)} THEN 'expiring'
           ELSE 'valid'
       END AS state,
       c.days_left,
       CASE WHEN c.days_left >= 0 THEN CASE {window_case} END END AS window,
       CASE WHEN c.needs_check THEN
            CASE WHEN c.last_due IS NOT NULL AND NOT c.last_done THEN c.last_due
                 WHEN c.next_due < c.valid_until THEN c.next_due END
       END AS check_due_on,
       c.issuer, c.scope, c.expert_registration_no, c.evaluation_body,
       -- issued before SCS ★3/★4 started (the policy's scheme_start): kept, shown as pre-scheme
       (c.scheme IN ('scs_star3', 'scs_star4') AND c.issued_on < DATE '{policy.scheme_start.isoformat()}') AS pre_scheme
FROM done c JOIN supplier s USING (supplier_id)
"""


def certificate_states(store: Store, as_of: date, supplier_id: str | None = None) -> pl.DataFrame:
    """Every certificate with its state on ``as_of`` (optionally of one supplier), soonest expiry first."""
    return store.frame(
        _states_sql(store) + " ORDER BY c.valid_until NULLS LAST, c.supplier_id",
        {"as_of": as_of, "supplier": supplier_id},
    )


def unconfirmed(store: Store, supplier_id: str | None = None) -> pl.DataFrame:
    """Certificates suppliers entered that no buyer has confirmed yet (they count for nothing)."""
    return store.frame(
        """SELECT c.certificate_id, c.supplier_id, s.name, c.scheme, c.scheme_name, c.registration_no, c.issued_on,
                  c.expires_on, c.issuer, c.scope, c.added_by, c.created_at
           FROM certificate c JOIN supplier s USING (supplier_id)
           WHERE NOT c.confirmed AND ($supplier IS NULL OR c.supplier_id = $supplier)
           ORDER BY c.created_at DESC""",
        {"supplier": supplier_id},
    )


def confirm(store: Store, certificate_ids: Sequence[str], accept: bool, actor: Actor) -> int:
    """Confirm suppliers' certificates (they count from now on) or reject them (removed, with their
    files' links); all or none."""
    ids = sorted(set(certificate_ids))
    if not ids:
        return 0
    with store.transaction(actor) as tx:
        rows = dict(
            tx.execute(
                "SELECT certificate_id, supplier_id FROM certificate WHERE certificate_id IN (SELECT unnest(?)) AND NOT confirmed",
                [ids],
            )
        )
        missing = [i for i in ids if i not in rows]
        if missing:
            raise NotFoundError("certificate.not_awaiting", certificate_ids=missing[:5])
        if accept:
            tx.execute(
                "UPDATE certificate SET confirmed = true, confirmed_by = ?, confirmed_at = ? WHERE certificate_id IN (SELECT unnest(?))",
                [actor.name, clock.now(), ids],
            )
        else:
            keys = pl.DataFrame({"certificate_id": ids})
            tx.delete_rows("certificate_file", keys)
            tx.delete_rows("certificate", keys)
        tx.audit_many(
            [
                {
                    "action": "confirm_certificate" if accept else "reject_certificate",
                    "entity": "certificate",
                    "entity_id": i,
                    "detail": {"supplier": rows[i]},
                }
                for i in ids
            ]
        )
    return len(ids)
