"""The supply network as stored: the links between suppliers (the buyer's own, ``@buyer``, at the
top), the shortest path to each supplier, a supplier's sub-network, and who has sent anything."""

from __future__ import annotations

from datetime import date

import polars as pl

from registry.domain.models import BUYER_ID
from registry.store.core import Store
from registry.store.validity import expiry_sql, policy_for

__all__ = [
    "critical_into",
    "links_between_suppliers",
    "shortest_paths",
    "sub_network_edges",
    "suppliers_with_submissions",
    "suppliers_with_valid_isms",
]


def links_between_suppliers(store: Store) -> pl.DataFrame:
    """Every link below tier 1 (parent and child both suppliers), with its source and whether the
    part is critical."""
    return store.frame(
        "SELECT DISTINCT parent_id, child_id, source, critical FROM supplier_link WHERE parent_id <> ?", [BUYER_ID]
    )


def critical_into(store: Store) -> pl.DataFrame:
    """Per supplier: whether any link into it (the buyer's included) is marked critical."""
    return store.frame(
        "SELECT child_id AS supplier_id, bool_or(critical) AS critical FROM supplier_link GROUP BY child_id"
    )


def suppliers_with_submissions(store: Store, as_of: date, after: date | None = None) -> pl.Series:
    """The suppliers that had sent any questionnaire by ``as_of`` (answered after ``after``, when
    given: the fresh ones)."""
    return store.frame(
        "SELECT DISTINCT supplier_id FROM submission WHERE submitted_on <= $as_of AND submitted_on > $after",
        {"as_of": as_of, "after": after or date.min},
    )["supplier_id"]


def suppliers_with_valid_isms(store: Store, as_of: date) -> pl.Series:
    """The suppliers holding an ISMS certificate valid on ``as_of`` (other evidence than a ★)."""
    policy = policy_for(store)
    return store.frame(
        f"""SELECT DISTINCT c.supplier_id FROM certificate_counted c
            WHERE c.scheme = 'iso27001' AND c.issued_on <= $as_of
              AND coalesce({expiry_sql("c", policy)} >= $as_of, true)""",
        {"as_of": as_of},
    )["supplier_id"]


def shortest_paths(store: Store) -> pl.DataFrame:
    """Each linked supplier's shortest path from the buyer (a list of supplier IDs, tier-1 first).
    Cycles end: each supplier is reached once."""
    return store.frame(
        f"""WITH RECURSIVE p(supplier_id, path) USING KEY (supplier_id) AS (
                SELECT DISTINCT child_id, [child_id] FROM supplier_link WHERE parent_id = '{BUYER_ID}'
                UNION
                SELECT l.child_id, list_append(p.path, l.child_id)
                FROM p JOIN supplier_link l ON l.parent_id = p.supplier_id
                LEFT JOIN recurring.p seen ON seen.supplier_id = l.child_id
                WHERE seen.supplier_id IS NULL
            )
            SELECT supplier_id, path FROM p"""
    )


def sub_network_edges(store: Store, supplier_id: str, depth: int) -> pl.DataFrame:
    """The links below one supplier, down to ``depth`` levels, each with the level it first appears at."""
    return store.frame(
        """WITH RECURSIVE d(parent_id, child_id, level) AS (
                SELECT parent_id, child_id, 1 FROM supplier_link WHERE parent_id = $s
                UNION
                SELECT l.parent_id, l.child_id, d.level + 1 FROM d JOIN supplier_link l ON l.parent_id = d.child_id
                WHERE d.level < $depth
            )
            SELECT parent_id, child_id, min(level) AS level FROM d GROUP BY ALL""",
        {"s": supplier_id, "depth": depth},
    )
