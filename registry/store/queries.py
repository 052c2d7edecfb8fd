"""Read queries of the store layer: tiers, held ★, requests and the portfolio figures.

Every date-dependent query takes ``as_of``; nothing here reads today's date. Results are polars
frames read through Arrow.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from registry import clock
from registry.domain.models import BUYER_ID
from registry.domain.validity import expiry_sql, policy_for, stale_sql
from registry.store import Store

__all__ = [
    "HELD_LEVELS",
    "audit_actions",
    "audit_entries",
    "certificate_files",
    "certificates_by_registration",
    "certificates_expiring",
    "facets",
    "file_content",
    "import_history",
    "imported_hashes",
    "invitation_usage",
    "official_texts",
    "proposals",
    "revision",
    "submissions",
    "supplier_choices",
    "supplier_details",
    "supplier_status",
    "supplier_status_of",
    "supplier_status_sql",
    "suppliers_matching",
    "user_profiles",
]

HELD_LEVELS = ("none", "security_action", "star3", "star4")

# Shortest distance from the buyer; USING KEY keeps one row per supplier, so cycles end.
_TIERS = f"""
tiers AS (
    WITH RECURSIVE reach(supplier_id, tier) USING KEY (supplier_id) AS (
        SELECT DISTINCT child_id, 1 FROM supplier_link WHERE parent_id = '{BUYER_ID}'
        UNION
        SELECT l.child_id, r.tier + 1
        FROM reach r
        JOIN supplier_link l ON l.parent_id = r.supplier_id
        LEFT JOIN recurring.reach seen ON seen.supplier_id = l.child_id
        WHERE seen.supplier_id IS NULL
    )
    SELECT supplier_id, min(tier) AS tier FROM reach GROUP BY supplier_id
)"""


def _certs(store: Store) -> str:
    return f"""
certs AS (
    SELECT c.*, {expiry_sql("c", policy_for(store))} AS valid_until, {stale_sql("c", policy_for(store))} AS stale
    FROM certificate c
)"""


_HELD = """
held AS (
    SELECT supplier_id,
           max(CASE scheme WHEN 'scs_star4' THEN 4 WHEN 'scs_star3' THEN 3 END) AS star,
           bool_or(scheme LIKE 'security_action%' AND NOT stale) AS security_action
    FROM certs
    WHERE issued_on <= $as_of AND (valid_until IS NULL OR valid_until >= $as_of)
    GROUP BY supplier_id
)"""

_REQUESTED = """
requested AS (
    SELECT supplier_id, arg_max(requested_level, (requested_on, created_at)) AS requested_level
    FROM level_request
    WHERE requested_on <= $as_of
    GROUP BY supplier_id
)"""


def supplier_status_sql(store: Store) -> str:
    """SQL (parameter ``$as_of``) giving one row per supplier: tier, held ★ and requested ★."""
    return f"""
WITH {_TIERS}, {_certs(store)}, {_HELD}, {_REQUESTED}
SELECT s.supplier_id, s.name, s.corporate_number, s.industry, s.employees, s.prefecture,
       t.tier,
       CASE WHEN h.star = 4 THEN 'star4' WHEN h.star = 3 THEN 'star3'
            WHEN h.security_action THEN 'security_action' ELSE 'none' END AS held_level,
       r.requested_level
FROM supplier s
LEFT JOIN tiers t USING (supplier_id)
LEFT JOIN held h USING (supplier_id)
LEFT JOIN requested r USING (supplier_id)
"""


def supplier_status(store: Store, as_of: date) -> pl.DataFrame:
    """Every supplier with its tier (null when not linked to the buyer), held and requested ★."""
    return store.frame(supplier_status_sql(store) + " ORDER BY s.supplier_id", {"as_of": as_of})


def certificates_expiring(store: Store, as_of: date, within_days: int) -> pl.DataFrame:
    """Certificates valid on ``as_of`` whose validity ends within ``within_days`` days."""
    return store.frame(
        f"""WITH {_certs(store)}
        SELECT c.certificate_id, c.supplier_id, s.name, c.scheme, c.registration_no,
               c.valid_until AS expires_on, datediff('day', $as_of, c.valid_until) AS days_left
        FROM certs c JOIN supplier s USING (supplier_id)
        WHERE c.issued_on <= $as_of AND c.valid_until BETWEEN $as_of AND $until
        ORDER BY c.valid_until, c.supplier_id""",
        {"as_of": as_of, "until": as_of + timedelta(days=within_days)},
    )


def official_texts(store: Store, catalogue_version: str) -> pl.DataFrame:
    """Official sentences imported for a catalogue version (empty when none were imported)."""
    return store.frame(
        "SELECT item_id, item_kind, text_ja FROM official_text WHERE catalogue_version = ? ORDER BY item_id",
        [catalogue_version],
    )


def user_profiles(store: Store) -> pl.DataFrame:
    """Mapping profiles users added: name and YAML text."""
    return store.frame("SELECT name, yaml FROM mapping_profile ORDER BY name")


def imported_hashes(store: Store, hashes: list[str]) -> set[str]:
    """Which of these file hashes were imported before."""
    if not hashes:
        return set()
    frame = store.frame(
        "SELECT DISTINCT sha256 FROM import_file WHERE status = 'imported' AND sha256 IN (SELECT unnest($h))",
        {"h": hashes},
    )
    return set(frame["sha256"].to_list())


def invitation_usage(store: Store, token_hash: str) -> tuple[int, int, int]:
    """What the files that came through one portal invitation take up: kept rejected files (count
    and bytes) and the bytes of the files it imported."""
    row = store.frame(
        """SELECT count(*) FILTER (status = 'rejected' AND content_kept) AS rejected_files,
                  coalesce(sum(size_bytes) FILTER (status = 'rejected' AND content_kept), 0) AS rejected_bytes,
                  coalesce(sum(size_bytes) FILTER (status = 'imported'), 0) AS imported_bytes
           FROM import_file WHERE via_invitation = ?""",
        [token_hash],
    ).row(0)
    return int(row[0]), int(row[1]), int(row[2])


def proposals(store: Store, supplier_id: str | None = None, state: str | None = None) -> pl.DataFrame:
    """Subcontractors suppliers declared, waiting for (or settled by) a buyer, newest first."""
    return store.frame(
        """SELECT p.proposal_id, p.proposed_by, s.name AS proposed_by_name, p.name, p.corporate_number, p.supplied,
                  p.critical, p.child_id, m.name AS child_name, p.state, p.source_name, p.location, p.proposed_at,
                  p.resolved_at, p.resolved_by
           FROM subcontractor_proposal p
           LEFT JOIN supplier s ON s.supplier_id = p.proposed_by
           LEFT JOIN supplier m ON m.supplier_id = p.child_id
           WHERE ($supplier IS NULL OR p.proposed_by = $supplier) AND ($state IS NULL OR p.state = $state)
           ORDER BY p.proposed_at DESC, p.proposal_id""",
        {"supplier": supplier_id, "state": state},
    )


def suppliers_matching(
    store: Store, *, ids: list[str], corporate_numbers: list[str], name_keys: list[str]
) -> pl.DataFrame:
    """Suppliers whose ID, corporate number or folded name is among those given."""
    return store.frame(
        """SELECT supplier_id, name, corporate_number, name_key FROM supplier
        WHERE supplier_id IN (SELECT unnest($ids)) OR corporate_number IN (SELECT unnest($numbers))
           OR name_key IN (SELECT unnest($keys))""",
        {"ids": ids or [""], "numbers": corporate_numbers or [""], "keys": name_keys or [""]},
    )


def certificates_by_registration(store: Store, numbers: list[str]) -> dict[str, str]:
    """Registration number → supplier, for certificates already recorded."""
    if not numbers:
        return {}
    frame = store.frame(
        "SELECT registration_no, supplier_id FROM certificate WHERE registration_no IN (SELECT unnest($n))",
        {"n": numbers},
    )
    return dict(frame.iter_rows())


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


def supplier_choices(store: Store, search: str = "", limit: int = 50) -> pl.DataFrame:
    """Suppliers whose ID, name or corporate number contains ``search`` (for pickers), by ID."""
    pattern = f"%{search.strip()}%"
    return store.frame(
        """SELECT supplier_id, name FROM supplier
        WHERE supplier_id ILIKE $p OR name ILIKE $p OR coalesce(corporate_number, '') LIKE $p
        ORDER BY supplier_id LIMIT $limit""",
        {"p": pattern, "limit": limit},
    )


def revision(store: Store) -> int:
    """A number that grows with every write (the newest audit entry): a cache key for derived views."""
    return int(store.scalar("SELECT coalesce(max(audit_id), 0) FROM audit_log") or 0)


def certificate_files(store: Store, supplier_id: str) -> pl.DataFrame:
    """Evidence files attached to a supplier's certificates (without their bytes)."""
    return store.frame(
        """SELECT f.certificate_id, f.file_name, f.media_type, f.sha256, f.attached_at, f.attached_by
        FROM certificate_file f JOIN certificate c USING (certificate_id)
        WHERE c.supplier_id = ? ORDER BY f.attached_at DESC""",
        [supplier_id],
    )


def facets(store: Store) -> dict[str, list[object]]:
    """The values a supplier filter can offer: tiers (0: not linked to the buyer) and industries."""
    status = supplier_status(store, clock.today())
    tiers = sorted({int(t or 0) for t in status["tier"].to_list()})
    industries = sorted(i for i in status["industry"].unique().to_list() if i)
    return {"tiers": tiers, "industries": industries}


def supplier_details(store: Store, supplier_id: str) -> dict[str, object]:
    """One supplier's stored master data (``{}`` when there is no such supplier)."""
    rows = store.frame("SELECT * EXCLUDE (name_key) FROM supplier WHERE supplier_id = ?", [supplier_id])
    return rows.row(0, named=True) if rows.height else {}


def supplier_status_of(store: Store, as_of: date, supplier_id: str) -> dict[str, object]:
    """One supplier's row of :func:`supplier_status`, read without touching the others: its tier
    is found by walking up from it to the buyer ({} when there is no such supplier)."""
    policy = policy_for(store)
    rows = store.frame(
        f"""WITH RECURSIVE up(node, depth) USING KEY (node) AS (
                SELECT CAST($supplier AS VARCHAR), 0
                UNION
                SELECT l.parent_id, u.depth + 1
                FROM up u
                JOIN supplier_link l ON l.child_id = u.node
                LEFT JOIN recurring.up seen ON seen.node = l.parent_id
                WHERE seen.node IS NULL
            ),
            certs AS (
                SELECT c.*, {expiry_sql("c", policy)} AS valid_until, {stale_sql("c", policy)} AS stale
                FROM certificate c WHERE c.supplier_id = $supplier
            ),
            {_HELD.strip()},
            requested AS (
                SELECT supplier_id, arg_max(requested_level, (requested_on, created_at)) AS requested_level
                FROM level_request WHERE supplier_id = $supplier AND requested_on <= $as_of GROUP BY supplier_id
            )
            SELECT s.supplier_id, s.name, s.corporate_number, s.industry, s.employees, s.prefecture,
                   CAST((SELECT min(depth) FROM up WHERE node = '{BUYER_ID}') AS INTEGER) AS tier,
                   CASE WHEN h.star = 4 THEN 'star4' WHEN h.star = 3 THEN 'star3'
                        WHEN h.security_action THEN 'security_action' ELSE 'none' END AS held_level,
                   r.requested_level
            FROM supplier s LEFT JOIN held h USING (supplier_id) LEFT JOIN requested r USING (supplier_id)
            WHERE s.supplier_id = $supplier""",
        {"as_of": as_of, "supplier": supplier_id},
    )
    return rows.row(0, named=True) if rows.height else {}


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
