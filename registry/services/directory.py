"""The supplier directory: every supplier with what a buyer scans for (tier, industry, ★ requested
and held, readiness, open flags, next expiry), filtered, sorted and paged in the database so that
it stays fast at 100,000 suppliers. Filters arrive from the page, from links under the Overview's
charts (URL query parameters) and from the CLI as one validated :class:`DirectoryQuery`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from registry.store import Store
from registry.store.suppliers import supplier_status_sql
from registry.store.validity import expiry_sql, policy_for

__all__ = ["COLUMNS", "SORTABLE", "DirectoryPage", "DirectoryQuery", "directory", "export_all", "query_from_params"]

COLUMNS = (
    "supplier_id",
    "name",
    "corporate_number",
    "tier",
    "industry",
    "requested_level",
    "held_level",
    "readiness",
    "open_flags",
    "worst_flag",
    "next_expiry",
)
SORTABLE = (
    "supplier_id",
    "name",
    "tier",
    "industry",
    "requested_level",
    "held_level",
    "readiness",
    "open_flags",
    "next_expiry",
)
HeldLevel = Literal["none", "security_action", "star3", "star4"]


class DirectoryQuery(BaseModel):
    """Which suppliers to list and how (every filter optional; empty lists mean "any")."""

    model_config = ConfigDict(extra="forbid")

    search: str = Field(default="", max_length=100, description="part of the ID, name or corporate number")
    tiers: list[int] = Field(default_factory=list, description="0 lists suppliers not linked to the buyer")
    industries: list[str] = Field(default_factory=list)
    held: list[HeldLevel] = Field(default_factory=list)
    requested: list[Literal[3, 4]] = Field(default_factory=list)
    below_request: bool = False
    severities: list[Literal["critical", "warning", "info"]] = Field(default_factory=list)
    max_readiness: float | None = Field(default=None, ge=0, le=1)
    expiring_within: int | None = Field(default=None, ge=0, le=3650)
    sort: Literal[SORTABLE] = "supplier_id"  # type: ignore[valid-type]
    descending: bool = False
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=1000)


@dataclass(frozen=True)
class DirectoryPage:
    rows: pl.DataFrame
    total: int
    query: DirectoryQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


_LISTS = {"tiers": int, "industries": str, "held": str, "requested": int, "severities": str}


def query_from_params(params: Mapping[str, str | list[str]]) -> tuple[DirectoryQuery, list[str]]:
    """A query from URL parameters (``?tier=1&tier=2&held=none&below_request=1``); parameters
    that do not make sense are dropped and named, never fatal."""
    names = {"tier": "tiers", "industry": "industries", "severity": "severities"}
    values: dict[str, object] = {}
    for key, raw in params.items():
        field = names.get(key, key)
        if field not in DirectoryQuery.model_fields:
            continue
        items = raw if isinstance(raw, list) else [raw]
        if field in _LISTS:
            values[field] = [x for item in items for x in str(item).split(",") if x]
        elif field in ("below_request", "descending"):
            values[field] = str(items[-1]).lower() in {"1", "true", "yes"}
        else:
            values[field] = items[-1]
    problems: list[str] = []
    while True:
        try:
            return DirectoryQuery.model_validate(values), problems
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors()}
            problems.extend(sorted(bad))
            for field in bad:
                values.pop(field, None)


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
        where.append("coalesce(d.readiness, 0) < $max_readiness")
        params["max_readiness"] = query.max_readiness
    if query.expiring_within is not None:
        where.append("d.next_expiry <= CAST($as_of AS DATE) + CAST($within AS INTEGER)")
        params["within"] = query.expiring_within
    order = f"d.{query.sort} {'DESC' if query.descending else 'ASC'} NULLS LAST, d.supplier_id"
    expiry = expiry_sql("c", policy)
    sql = f"""
WITH st AS ({supplier_status_sql(store)}),
ready AS (
    SELECT supplier_id, arg_max(star3, taken_on) AS star3, arg_max(star4, taken_on) AS star4
    FROM readiness_history WHERE taken_on <= $as_of GROUP BY supplier_id
),
flags AS (
    SELECT supplier_id, count(*) AS open_flags,
           min(CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END) AS worst
    FROM flag WHERE state IN ('open', 'acknowledged') GROUP BY supplier_id
),
expiry AS (
    SELECT c.supplier_id, min({expiry}) AS next_expiry
    FROM certificate c WHERE c.issued_on <= $as_of AND {expiry} >= $as_of
    GROUP BY c.supplier_id
),
d AS (
    SELECT st.supplier_id, st.name, st.corporate_number, st.tier, st.industry, st.requested_level, st.held_level,
           CASE st.held_level WHEN 'star4' THEN 4 WHEN 'star3' THEN 3 ELSE 0 END AS held_star,
           CASE WHEN st.requested_level = 4 THEN r.star4 ELSE r.star3 END AS readiness,
           coalesce(f.open_flags, 0) AS open_flags,
           CASE f.worst WHEN 0 THEN 'critical' WHEN 1 THEN 'warning' WHEN 2 THEN 'info' END AS worst_flag,
           e.next_expiry
    FROM st LEFT JOIN ready r USING (supplier_id) LEFT JOIN flags f USING (supplier_id)
    LEFT JOIN expiry e USING (supplier_id)
)
SELECT {", ".join(f"d.{c}" for c in COLUMNS)}, count(*) OVER () AS matching
FROM d WHERE {" AND ".join(where)}
ORDER BY {order}"""
    return sql, params


def directory(store: Store, as_of: date, query: DirectoryQuery) -> DirectoryPage:
    """One page of the directory and the number of suppliers matching the query (a page past the
    end shows the last page)."""
    sql, params = _sql(store, as_of, query)
    offset = (query.page - 1) * query.page_size
    rows = store.frame(sql + " LIMIT $limit OFFSET $offset", {**params, "limit": query.page_size, "offset": offset})
    if rows.is_empty() and query.page > 1:
        total = store.scalar(f"SELECT count(*) FROM ({sql})", params)
        if total:
            return directory(store, as_of, query.model_copy(update={"page": -(-total // query.page_size)}))
    total = int(rows["matching"][0]) if rows.height else 0
    return DirectoryPage(rows=rows.drop("matching"), total=total, query=query)


def export_all(store: Store, as_of: date, query: DirectoryQuery, limit: int = 100_000) -> pl.DataFrame:
    """Every supplier the query matches (at most ``limit``), not just one page, for an export."""
    sql, params = _sql(store, as_of, query)
    return store.frame(sql + " LIMIT $limit", {**params, "limit": limit}).drop("matching")
