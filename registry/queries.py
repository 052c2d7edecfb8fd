"""Read queries of the store layer: tiers, held ★, requests and the portfolio figures.

Every date-dependent query takes ``as_of``; nothing here reads today's date. Results are polars
frames read through Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from registry.models import BUYER_ID
from registry.store import Store
from registry.validity import STALE_AFTER_YEARS, expiry_sql

__all__ = [
    "HELD_LEVELS",
    "OverviewFigures",
    "audit_tail",
    "certificates_expiring",
    "official_texts",
    "overview",
    "supplier_status",
    "supplier_status_sql",
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

_CERTS = f"""
certs AS (
    SELECT c.*, {expiry_sql("c")} AS valid_until
    FROM certificate c
)"""

_HELD = f"""
held AS (
    SELECT supplier_id,
           max(CASE scheme WHEN 'scs_star4' THEN 4 WHEN 'scs_star3' THEN 3 END) AS star,
           bool_or(scheme LIKE 'security_action%'
                   AND issued_on > CAST($as_of - to_years({STALE_AFTER_YEARS}) AS DATE)) AS security_action
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


def supplier_status_sql() -> str:
    """SQL (parameter ``$as_of``) giving one row per supplier: tier, held ★ and requested ★."""
    return f"""
WITH {_TIERS}, {_CERTS}, {_HELD}, {_REQUESTED}
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
    return store.frame(supplier_status_sql() + " ORDER BY s.supplier_id", {"as_of": as_of})


def certificates_expiring(store: Store, as_of: date, within_days: int) -> pl.DataFrame:
    """Certificates valid on ``as_of`` whose validity ends within ``within_days`` days."""
    return store.frame(
        f"""WITH {_CERTS}
        SELECT c.certificate_id, c.supplier_id, s.name, c.scheme, c.registration_no,
               c.valid_until AS expires_on, datediff('day', $as_of, c.valid_until) AS days_left
        FROM certs c JOIN supplier s USING (supplier_id)
        WHERE c.issued_on <= $as_of AND c.valid_until BETWEEN $as_of AND $until
        ORDER BY c.valid_until, c.supplier_id""",
        {"as_of": as_of, "until": as_of + timedelta(days=within_days)},
    )


@dataclass(frozen=True)
class OverviewFigures:
    """What the Overview page shows, all computed from the database as of one date."""

    as_of: date
    suppliers: int
    by_tier: pl.DataFrame  # tier (null: not linked), suppliers
    held: pl.DataFrame  # held_level, suppliers
    requested_vs_held: pl.DataFrame  # requested_level, held_level, suppliers
    expiring: pl.DataFrame  # certificates expiring in the window
    catalogue_version: str | None
    star_holders: int  # suppliers holding a valid ★3 or ★4
    with_request: int  # suppliers with a ★ request
    meeting_request: int  # ... whose valid ★ is at or above the requested level

    @property
    def share_meeting_request(self) -> float | None:
        return self.meeting_request / self.with_request if self.with_request else None


def overview(store: Store, as_of: date, expiring_within_days: int = 90) -> OverviewFigures:
    """The portfolio figures of the Overview page, read in one pass over the suppliers."""
    status = supplier_status(store, as_of)
    by_tier = status.group_by("tier").agg(suppliers=pl.len()).sort("tier", nulls_last=True)
    held = (
        pl.DataFrame({"held_level": list(HELD_LEVELS)})
        .join(status.group_by("held_level").agg(suppliers=pl.len()), on="held_level", how="left")
        .with_columns(pl.col("suppliers").fill_null(0).cast(pl.Int64))
    )
    requested_vs_held = (
        status.filter(pl.col("requested_level").is_not_null())
        .group_by("requested_level", "held_level")
        .agg(suppliers=pl.len())
        .sort("requested_level", "held_level")
    )
    held_star = pl.col("held_level").replace_strict({"star4": 4, "star3": 3}, default=0, return_dtype=pl.Int32)
    requested = status.filter(pl.col("requested_level").is_not_null())
    return OverviewFigures(
        as_of=as_of,
        suppliers=status.height,
        by_tier=by_tier,
        held=held,
        requested_vs_held=requested_vs_held,
        expiring=certificates_expiring(store, as_of, expiring_within_days),
        catalogue_version=store.setting("catalogue_version"),
        star_holders=status.filter(held_star >= 3).height,
        with_request=requested.height,
        meeting_request=requested.filter(held_star >= pl.col("requested_level")).height,
    )


def official_texts(store: Store, catalogue_version: str) -> pl.DataFrame:
    """Official sentences imported for a catalogue version (empty when none were imported)."""
    return store.frame(
        "SELECT item_id, item_kind, text_ja FROM official_text WHERE catalogue_version = ? ORDER BY item_id",
        [catalogue_version],
    )


def audit_tail(store: Store, limit: int = 50) -> pl.DataFrame:
    """The newest audit entries."""
    return store.frame("SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT ?", [limit])
