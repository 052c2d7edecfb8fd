"""Suppliers: their tier, held and requested ★ as of a date, lookups, adding them, and the
subcontractors they declared (proposals a buyer settles)."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import BUYER_ID, Supplier, supplier_name_key
from registry.domain.tables import SUPPLIER_SCHEMA
from registry.errors import MonosashiError, NotFoundError
from registry.store import Store, Transaction
from registry.store.reminders import CONTACT_SCHEMA, add_contacts
from registry.store.validity import expiry_sql, policy_for, stale_sql

__all__ = [
    "HELD_LEVELS",
    "DuplicateSupplierError",
    "ProposalDecision",
    "add_supplier",
    "contact_addresses",
    "facets",
    "proposals",
    "resolve_proposals",
    "supplier_choices",
    "supplier_count",
    "supplier_details",
    "supplier_profile",
    "supplier_status",
    "supplier_status_of",
    "supplier_status_sql",
    "suppliers_matching",
    "suppliers_registered_by",
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
    FROM certificate_counted c
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


def contact_addresses(store: Store, supplier_ids: Sequence[str]) -> pl.DataFrame:
    """The contacts' addresses these suppliers have: supplier_id and the address in lower case
    (``folded``), so that an import finds an address it names again whatever its case."""
    return store.frame(
        """SELECT DISTINCT supplier_id, lower(email) AS folded FROM supplier_contact
           WHERE supplier_id IN (SELECT unnest($ids))""",
        {"ids": list(supplier_ids) or [""]},
    )


def supplier_choices(store: Store, search: str = "", limit: int = 50) -> pl.DataFrame:
    """Suppliers whose ID, name (also as folded: 株式会社 and widths aside) or corporate number
    contains ``search`` (for pickers): an exact ID or corporate number first, then IDs that start
    with it, then the rest by ID."""
    typed = unicodedata.normalize("NFKC", search).strip()
    key = supplier_name_key(typed) if typed else ""
    return store.frame(
        """SELECT supplier_id, name FROM supplier
        WHERE supplier_id ILIKE $p OR name ILIKE $p OR coalesce(corporate_number, '') LIKE $p
           OR ($key <> '' AND name_key LIKE '%' || $key || '%')
        ORDER BY CASE WHEN lower(supplier_id) = lower($typed) OR corporate_number = $typed THEN 0
                      WHEN supplier_id ILIKE $typed || '%' THEN 1 ELSE 2 END, supplier_id
        LIMIT $limit""",
        {"p": f"%{typed}%", "typed": typed, "key": key, "limit": limit},
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
                FROM certificate_counted c WHERE c.supplier_id = $supplier
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


class DuplicateSupplierError(MonosashiError):
    """A supplier with the same ID or corporate number is already registered."""


def _supplier_frame(suppliers: Sequence[Supplier]) -> pl.DataFrame:
    return pl.DataFrame(
        [{**s.model_dump(), "name_key": supplier_name_key(s.name)} for s in suppliers], schema=SUPPLIER_SCHEMA
    )


def add_supplier(store: Store, supplier: Supplier, actor: Actor) -> None:
    """Register one supplier; refuses a duplicate ID or corporate number with a clear message."""
    with store.transaction(actor) as tx:
        clash = tx.execute(
            "SELECT supplier_id, name, corporate_number FROM supplier WHERE supplier_id = ? OR corporate_number = ?",
            [supplier.supplier_id, supplier.corporate_number],
        )
        for supplier_id, name, corporate_number in clash:
            if supplier_id == supplier.supplier_id:
                raise DuplicateSupplierError("supplier.id_taken", supplier_id=supplier_id, name=name)
            raise DuplicateSupplierError(
                "supplier.corporate_number_taken", corporate_number=corporate_number, supplier_id=supplier_id, name=name
            )
        tx.insert_frame("supplier", _supplier_frame([supplier]))
        store.set_setting(tx, "content_origin", "user")
        tx.audit("add_supplier", entity="supplier", entity_id=supplier.supplier_id, detail=supplier.model_dump())


def _upsert_suppliers(tx: Transaction, suppliers: pl.DataFrame, now: datetime) -> None:
    """Add new suppliers and update known ones, with the contacts a list names for them
    (``contacts``, :data:`~registry.domain.tables.PLANNED_SUPPLIER_SCHEMA`). A column the list
    leaves empty keeps the value the registry holds: a list without 営業所 (or without an owner)
    never erases what a buyer completed by hand. A contact whose address the supplier has already
    is left as it is (its language and opt-out stay)."""
    contacts = _planned_contacts(suppliers, tx.actor.name, now)
    suppliers = suppliers.drop("contacts", strict=False)
    columns = [c for c in suppliers.columns if c != "supplier_id"]
    kept = ", ".join(f'"{c}" = coalesce(excluded."{c}", supplier."{c}")' for c in columns)
    names = ", ".join(f'"{c}"' for c in ["supplier_id", *columns, "created_at"])
    tx.execute_with(
        f"INSERT INTO supplier ({names}) SELECT {names} FROM {{incoming}} "
        f"ON CONFLICT (supplier_id) DO UPDATE SET {kept}",
        suppliers.with_columns(created_at=pl.lit(now, dtype=pl.Datetime("us"))),
    )
    add_contacts(tx, contacts)


def _planned_contacts(suppliers: pl.DataFrame, actor_name: str, now: datetime) -> pl.DataFrame:
    """The contacts planned supplier rows carry, as supplier_contact rows (one per supplier and
    address, whatever its case)."""
    if "contacts" not in suppliers.columns:
        return pl.DataFrame(schema=CONTACT_SCHEMA)
    return (
        suppliers.select("supplier_id", "contacts")
        .explode("contacts")
        .drop_nulls("contacts")
        .unnest("contacts")
        .with_columns(folded=pl.col("email").str.to_lowercase())
        .unique(["supplier_id", "folded"], keep="first", maintain_order=True)
        .with_columns(
            opted_out_at=pl.lit(None, dtype=pl.Datetime("us")),
            created_at=pl.lit(now, dtype=pl.Datetime("us")),
            created_by=pl.lit(actor_name),
        )
        .select(list(CONTACT_SCHEMA))
        .cast(CONTACT_SCHEMA)
    )


ProposalDecision = Literal["confirm", "merge", "reject"]


def resolve_proposals(
    store: Store,
    proposal_ids: Sequence[int],
    decision: ProposalDecision,
    actor: Actor,
    *,
    into: str | None = None,
) -> int:
    """Settle open subcontractor proposals; returns how many.

    ``confirm``: link the proposing supplier to the proposal's matching supplier, or to a new
    supplier made from the proposal (a supplier row that exists is never changed). ``merge``:
    link it to the known supplier ``into``. ``reject``: record the refusal. All or none.
    """
    ids = sorted({int(i) for i in proposal_ids})
    if not ids:
        return 0
    if decision == "merge" and not into:
        raise MonosashiError("supplier.merge_needs_target")
    now = clock.now()
    with store.transaction(actor) as tx:
        rows = tx.execute(
            """SELECT proposal_id, proposed_by, name, corporate_number, supplied, critical, state, child_id
               FROM subcontractor_proposal WHERE proposal_id IN (SELECT unnest(?)) ORDER BY proposal_id""",
            [ids],
        )
        found = {r[0]: r for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError("supplier.proposal_not_found", proposal_ids=[str(i) for i in missing])
        settled = [i for i in ids if found[i][6] != "open"]
        if settled:
            raise MonosashiError("supplier.proposal_settled", proposal_ids=[str(i) for i in settled])
        if into is not None and not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [into]):
            raise NotFoundError("supplier.not_found", supplier_id=into)
        children: dict[int, str | None] = {}
        new_suppliers = []
        for proposal_id, _, name, number, _, _, _, match in rows:
            if decision == "reject":
                children[proposal_id] = None
            elif decision == "merge":
                children[proposal_id] = into
            elif match:
                children[proposal_id] = match
            else:
                basis = number or supplier_name_key(name)
                child = f"D-{hashlib.sha256(basis.encode()).hexdigest()[:10].upper()}"
                children[proposal_id] = child
                new_suppliers.append(
                    {
                        "supplier_id": child,
                        "name": name,
                        "corporate_number": number,
                        "name_key": supplier_name_key(name),
                    }
                )
        if new_suppliers:
            frame = pl.DataFrame(new_suppliers, schema={k: pl.String for k in new_suppliers[0]})
            clash = tx.execute_with(
                """SELECT n.supplier_id, s.supplier_id FROM {incoming} n JOIN supplier s
                   ON s.corporate_number = n.corporate_number AND s.supplier_id <> n.supplier_id LIMIT 1""",
                frame,
            )
            if clash:
                raise MonosashiError("supplier.proposal_number_taken", supplier_id=clash[0][1])
            tx.insert_new("supplier", frame, key=["supplier_id"])
        links = pl.DataFrame(
            [
                {
                    "parent_id": r[1],
                    "child_id": children[r[0]],
                    "supplied": r[4],
                    "source": "declared",
                    "critical": r[5],
                }
                for r in rows
                if children[r[0]] is not None and children[r[0]] != r[1]
            ],
            schema={
                "parent_id": pl.String,
                "child_id": pl.String,
                "supplied": pl.String,
                "source": pl.String,
                "critical": pl.Boolean,
            },
        )
        tx.insert_new("supplier_link", links, key=["parent_id", "child_id"])
        state = {"confirm": "confirmed", "merge": "merged", "reject": "rejected"}[decision]
        tx.execute_with(
            """UPDATE subcontractor_proposal SET state = $state, resolved_at = $now, resolved_by = $actor,
                      child_id = coalesce(n.child_id, subcontractor_proposal.child_id)
               FROM {incoming} n WHERE subcontractor_proposal.proposal_id = n.proposal_id""",
            pl.DataFrame(
                {"proposal_id": ids, "child_id": [children[i] for i in ids]},
                schema={"proposal_id": pl.Int64, "child_id": pl.String},
            ),
            {"state": state, "now": now, "actor": actor.name},
        )
        tx.audit_many(
            [
                {
                    "action": "resolve_proposal",
                    "entity": "subcontractor_proposal",
                    "entity_id": str(i),
                    "detail": {"decision": decision, "supplier": found[i][1], "child": children[i]},
                }
                for i in ids
            ]
        )
    return len(ids)


def suppliers_registered_by(store: Store, on: date) -> int:
    """How many suppliers the registry held on ``on`` (registered that day or before)."""
    return int(store.scalar("SELECT count(*) FROM supplier WHERE CAST(created_at AS DATE) <= ?", [on]))


def supplier_profile(store: Store, supplier_id: str) -> pl.DataFrame:
    """One supplier's master data (empty when there is no such supplier)."""
    return store.frame(
        """SELECT supplier_id, name, corporate_number, industry, employees, prefecture, has_security_staff,
                  far_from_it_support FROM supplier WHERE supplier_id = ?""",
        [supplier_id],
    )


def supplier_count(store: Store) -> int:
    """How many suppliers the registry holds."""
    return int(store.scalar("SELECT count(*) FROM supplier"))
