"""The supplier directory in SQL: every supplier with what a buyer scans for (tier, industry, ★
requested and held, readiness, open flags, next expiry), filtered, sorted and paged in the
database so that it stays fast at 100,000 suppliers. Readiness comes in as a frame (the one
definition, registry/services/yardstick.py), joined here."""

from __future__ import annotations

from datetime import date

import polars as pl

from registry.domain.directory import COLUMNS, DirectoryQuery
from registry.store.core import Store
from registry.store.suppliers import supplier_status_sql
from registry.store.validity import expiry_sql, policy_for

__all__ = ["matching", "page"]


def _sql(store: Store, as_of: date, query: DirectoryQuery) -> tuple[str, dict[str, object]]:
    """The directory's SQL (rows matching the query, sorted, with the total as ``matching``)."""
    policy = policy_for(store)
    where = ["TRUE"]
    params: dict[str, object] = {"as_of": as_of}
    if query.search:
        where.append("(d.supplier_id ILIKE $pattern OR d.name ILIKE $pattern OR d.corporate_number LIKE $pattern)")
        params["pattern"] = f"%{query.search.strip()}%"
    if query.tiers:
        where.append("coalesce(d.tier, 0) IN (SELECT unnest($tiers))")
        params["tiers"] = query.tiers
    if query.industries:
        where.append("d.industry IN (SELECT unnest($industries))")
        params["industries"] = query.industries
    if query.held:
        where.append("d.held_level IN (SELECT unnest($held))")
        params["held"] = list(query.held)
    if query.requested:
        where.append("d.requested_level IN (SELECT unnest($requested))")
        params["requested"] = list(query.requested)
    if query.below_request:
        where.append("d.requested_level IS NOT NULL AND d.held_star < d.requested_level")
    if query.severities:
        where.append(
            "EXISTS (SELECT 1 FROM flag f WHERE f.supplier_id = d.supplier_id AND f.state IN ('open', 'acknowledged')"
            " AND f.severity IN (SELECT unnest($severities)))"
        )
        params["severities"] = list(query.severities)
    if query.max_readiness is not None:
        where.append("d.readiness < $max_readiness")
        params["max_readiness"] = query.max_readiness
    if query.expiring_within is not None:
        where.append("d.next_expiry <= CAST($as_of AS DATE) + CAST($within AS INTEGER)")
        params["within"] = query.expiring_within
    order = f"d.{query.sort} {'DESC' if query.descending else 'ASC'} NULLS LAST, d.supplier_id"
    expiry = expiry_sql("c", policy)
    sql = f"""
WITH st AS ({supplier_status_sql(store)}),
flags AS (
    SELECT supplier_id, count(*) AS open_flags,
           min(CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END) AS worst,
           bool_or(rule_id = 'renewal.self_assessment' AND severity = 'critical') AS check_overdue
    FROM flag WHERE state IN ('open', 'acknowledged') GROUP BY supplier_id
),
expiry AS (
    SELECT c.supplier_id, min({expiry}) AS next_expiry
    FROM certificate_counted c WHERE c.issued_on <= $as_of AND {expiry} >= $as_of
    GROUP BY c.supplier_id
),
d AS (
    SELECT st.supplier_id, st.name, st.corporate_number, st.tier, st.industry, st.requested_level, st.held_level,
           CASE st.held_level WHEN 'star4' THEN 4 WHEN 'star3' THEN 3 ELSE 0 END AS held_star,
           -- no evidence reads 0 %, as on the Overview, the Readiness board and the Supplier page
           coalesce(CASE WHEN st.requested_level = 4 THEN r.star4 ELSE r.star3 END, 0) AS readiness,
           coalesce(st.held_level = 'star4' AND f.check_overdue, false) AS check_overdue,
           coalesce(f.open_flags, 0) AS open_flags,
           CASE f.worst WHEN 0 THEN 'critical' WHEN 1 THEN 'warning' WHEN 2 THEN 'info' END AS worst_flag,
           e.next_expiry
    FROM st LEFT JOIN ready_frame r USING (supplier_id) LEFT JOIN flags f USING (supplier_id)
    LEFT JOIN expiry e USING (supplier_id)
)
SELECT {", ".join(f"d.{c}" for c in COLUMNS)}, count(*) OVER () AS matching
FROM d WHERE {" AND ".join(where)}
ORDER BY {order}"""
    return sql, params


def page(store: Store, as_of: date, query: DirectoryQuery, readiness: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """One page of the directory, the number of suppliers matching the query and the page shown (a
    page past the end shows the last page). ``readiness``: supplier_id, star3, star4."""
    sql, params = _sql(store, as_of, query)
    offset = (query.page - 1) * query.page_size
    ready = readiness.select("supplier_id", "star3", "star4")
    with store.held_open():
        rows = store.frame_with(
            sql + " LIMIT $limit OFFSET $offset",
            {**params, "limit": query.page_size, "offset": offset},
            ready_frame=ready,
        )
        if rows.is_empty() and query.page > 1:
            total = int(store.frame_with(f"SELECT count(*) AS n FROM ({sql})", params, ready_frame=ready)["n"][0])
            if total:
                return page(store, as_of, query.model_copy(update={"page": -(-total // query.page_size)}), readiness)
    total = int(rows["matching"][0]) if rows.height else 0
    return rows.drop("matching"), total, query.page


def matching(store: Store, as_of: date, query: DirectoryQuery, readiness: pl.DataFrame, limit: int) -> pl.DataFrame:
    """Every supplier the query matches (at most ``limit``), not just one page."""
    sql, params = _sql(store, as_of, query)
    return store.frame_with(
        sql + " LIMIT $limit", {**params, "limit": limit}, ready_frame=readiness.select("supplier_id", "star3", "star4")
    ).drop("matching")
