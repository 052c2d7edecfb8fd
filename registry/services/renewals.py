"""Certificate states as of a date (store-layer queries): valid, expiring, expired, superseded,
stale declarations, and the ★4 yearly self-assessment due or overdue. Rules: docs/validity.md."""

from __future__ import annotations

from datetime import date

import polars as pl

from registry.domain.validity import anniversary_sql, computed_expiry_sql, expiry_sql, policy_for, stale_sql
from registry.store import Store

__all__ = ["STATES", "certificate_states", "filtered", "renewals", "with_supplier_facts"]

STATES = (
    "not_yet_valid",
    "superseded",
    "expired",
    "stale",
    "self_assessment_overdue",
    "self_assessment_due",
    "surveillance_overdue",
    "surveillance_due",
    "expiring",
    "valid",
)
# A self-assessment submitted this many days before a due date counts for it.
_EARLY_DAYS = 90
# The due-soon notice for the ★4 yearly self-assessment starts this many days before the date.
_NOTICE_DAYS = 30


def _sql(store: Store) -> str:
    policy = policy_for(store)
    checks = {s: r for s, r in policy.schemes.items() if r.yearly_check}
    grace = " ".join(f"WHEN '{s}' THEN {r.check_grace_days}" for s, r in checks.items()) or "WHEN '' THEN 0"
    kind = " ".join(f"WHEN '{s}' THEN '{r.yearly_check}'" for s, r in checks.items()) or "WHEN '' THEN NULL"
    windows = sorted(policy.expiring_windows_days)
    window_case = " ".join(f"WHEN days_left <= {w} THEN {w}" for w in windows)
    return f"""
WITH certs AS (
    SELECT c.*, {expiry_sql("c", policy)} AS valid_until, {computed_expiry_sql("c", policy)} AS computed_until,
           {stale_sql("c", policy)} AS stale,
           max(c.issued_on) FILTER (WHERE c.issued_on <= $as_of) OVER (PARTITION BY c.supplier_id, c.scheme) AS newest_issue,
           date_diff('year', c.issued_on, $as_of) AS year_span
    FROM certificate c
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
            WHEN 'self_assessment' THEN (
                SELECT max(s.submitted_on) FROM submission s
                WHERE s.supplier_id = d.supplier_id AND s.framework_id = 'scs' AND s.submitted_on <= $as_of)
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
       c.issuer, c.scope
FROM done c JOIN supplier s USING (supplier_id)
"""


def certificate_states(store: Store, as_of: date, supplier_id: str | None = None) -> pl.DataFrame:
    """Every certificate with its state on ``as_of`` (optionally of one supplier), soonest expiry first."""
    return store.frame(
        _sql(store) + " ORDER BY c.valid_until NULLS LAST, c.supplier_id",
        {"as_of": as_of, "supplier": supplier_id},
    )


def renewals(store: Store, as_of: date, within_days: int, include_expired: bool = True) -> pl.DataFrame:
    """What needs action: certificates expiring within ``within_days``, ★4 self-assessments due or
    overdue, and (unless asked not to) certificates already expired and not renewed."""
    states = certificate_states(store, as_of)
    wanted = pl.col("state").is_in(
        ["self_assessment_due", "self_assessment_overdue", "surveillance_due", "surveillance_overdue"]
    ) | ((pl.col("state") == "expiring") & (pl.col("days_left") <= within_days))
    if include_expired:
        wanted = wanted | pl.col("state").is_in(["expired", "stale"])
    return states.filter(wanted)


def with_supplier_facts(store: Store, as_of: date, frame: pl.DataFrame) -> pl.DataFrame:
    """Add each certificate's supplier tier and requested ★ (for filtering the lists)."""
    from registry.store.suppliers import supplier_status

    facts = supplier_status(store, as_of).select("supplier_id", "tier", "requested_level")
    return frame.join(facts, on="supplier_id", how="left")


def filtered(
    frame: pl.DataFrame,
    *,
    schemes: list[str] | None = None,
    tiers: list[int] | None = None,
    requested: list[int] | None = None,
) -> pl.DataFrame:
    """Certificates of the chosen schemes, supplier tiers and requested ★ levels (empty choice: all)."""
    if schemes:
        frame = frame.filter(pl.col("scheme").is_in(schemes))
    if tiers:
        frame = frame.filter(pl.col("tier").is_in(tiers))
    if requested:
        frame = frame.filter(pl.col("requested_level").is_in(requested))
    return frame
