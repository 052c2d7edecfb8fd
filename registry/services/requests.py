"""★ level requests: the scheme's three screening questions, the buyer's decision, and the state
of each request as of a date. ``achieved`` and ``overdue`` follow from the data, never from a click:
a request is achieved when a valid ★ at or above its level is held, overdue when it was sent, is
not achieved and its due date has passed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import LevelRequest
from registry.domain.tables import REQUEST_SCHEMA
from registry.errors import MonosashiError
from registry.store import Store
from registry.store.suppliers import supplier_status_of, supplier_status_sql

__all__ = [
    "EFFECTIVE_STATES",
    "RequestError",
    "current_requests",
    "new_request_id",
    "recommend",
    "request_history",
    "request_list_example",
    "save_request",
    "set_request_state",
]

EFFECTIVE_STATES = ("draft", "sent", "acknowledged", "achieved", "overdue")
_HELD_STAR = "CASE {held} WHEN 'star4' THEN 4 WHEN 'star3' THEN 3 ELSE 0 END"


def _state(held: str) -> str:
    """A request's state on $as_of, given the SQL of the supplier's held level."""
    return f"""CASE WHEN {_HELD_STAR.format(held=held)} >= r.requested_level THEN 'achieved'
            WHEN r.state <> 'draft' AND r.due_on < $as_of THEN 'overdue'
            ELSE r.state END"""


class RequestError(MonosashiError):
    """A request change the data does not allow (unknown request, a state step backwards...)."""


def recommend(holds_confidential_info: bool, outage_delays_buyer: bool, reaches_buyer_network: bool) -> int:
    """The scheme's rule: any yes to the three questions recommends ★4, all no ★3."""
    return 4 if (holds_confidential_info or outage_delays_buyer or reaches_buyer_network) else 3


def new_request_id(supplier_id: str, requested_on: date) -> str:
    return f"REQ-{requested_on:%Y%m%d}-{supplier_id}-{uuid.uuid4().hex[:6]}"[:80]


def _sql(store: Store, where: str) -> str:
    return f"""
WITH st AS ({supplier_status_sql(store)}),
req AS (
    SELECT r.*,
           row_number() OVER (PARTITION BY r.supplier_id ORDER BY r.requested_on DESC, r.created_at DESC) = 1 AS current
    FROM level_request r
    WHERE r.requested_on <= $as_of
)
SELECT r.request_id, r.supplier_id, st.name, st.tier, st.industry, r.requested_level, r.recommended_level,
       r.requested_on, r.due_on, r.state AS stored_state,
       {_state("st.held_level")} AS state,
       st.held_level, datediff('day', $as_of, r.due_on) AS days_to_due,
       r.holds_confidential_info, r.outage_delays_buyer, r.reaches_buyer_network,
       r.reason, r.decided_by, r.sent_on, r.acknowledged_on, r.note, r.created_at, r.current
FROM req r JOIN st USING (supplier_id)
WHERE {where}
"""


def current_requests(store: Store, as_of: date, supplier_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Each supplier's current request (the newest made by ``as_of``) with its state on that date."""
    where = "r.current" + ("" if supplier_ids is None else " AND r.supplier_id IN (SELECT unnest($ids))")
    params: dict[str, object] = {"as_of": as_of}
    if supplier_ids is not None:
        params["ids"] = list(supplier_ids) or [""]
    return store.frame(_sql(store, where) + " ORDER BY r.due_on, r.supplier_id", params)


def request_history(store: Store, as_of: date, supplier_id: str) -> pl.DataFrame:
    """Every request made of one supplier by ``as_of``, newest first (read for that supplier only)."""
    status = supplier_status_of(store, as_of, supplier_id)
    return store.frame(
        f"""SELECT r.request_id, r.supplier_id, $name AS name, r.requested_level, r.recommended_level,
                   r.requested_on, r.due_on, r.state AS stored_state, {_state("$held")} AS state,
                   $held AS held_level, datediff('day', $as_of, r.due_on) AS days_to_due,
                   r.holds_confidential_info, r.outage_delays_buyer, r.reaches_buyer_network,
                   r.reason, r.decided_by, r.sent_on, r.acknowledged_on, r.note, r.created_at
            FROM level_request r
            WHERE r.supplier_id = $supplier AND r.requested_on <= $as_of
            ORDER BY r.requested_on DESC, r.created_at DESC""",
        {
            "as_of": as_of,
            "supplier": supplier_id,
            "name": status.get("name"),
            "held": status.get("held_level", "none"),
        },
    )


def _frame(requests: Sequence[LevelRequest], now: datetime) -> pl.DataFrame:
    return pl.DataFrame(
        [{**r.model_dump(), "recommended_level": r.recommended_level} for r in requests], schema=REQUEST_SCHEMA
    ).with_columns(updated_at=pl.lit(now))


def save_request(store: Store, request: LevelRequest, actor: Actor) -> None:
    """Record a request (a new one, or a change to one): answers, decision, who and when are kept."""
    known = store.scalar("SELECT count(*) FROM supplier WHERE supplier_id = ?", [request.supplier_id])
    if not known:
        raise RequestError(f"supplier {request.supplier_id} does not exist in the registry")
    now = clock.now()
    decided = request if request.decided_by else request.model_copy(update={"decided_by": actor.name})
    with store.transaction(actor) as tx:
        existed = tx.execute("DELETE FROM level_request WHERE request_id = ? RETURNING 1", [request.request_id])
        tx.insert_frame("level_request", _frame([decided], now))
        tx.audit(
            "change_request" if existed else "add_request",
            entity="level_request",
            entity_id=request.request_id,
            detail={**decided.model_dump(mode="json"), "recommended_level": decided.recommended_level},
        )


_NEXT = {"sent": ("draft", "sent"), "acknowledged": ("sent", "acknowledged")}


def set_request_state(
    store: Store, request_ids: Sequence[str], state: str, on: date, actor: Actor, note: str | None = None
) -> int:
    """Move requests forward: ``sent`` (from draft) or ``acknowledged`` (from sent), dated ``on``.
    All or none: a request that cannot make the step refuses the whole change, naming it."""
    if state not in _NEXT:
        raise RequestError(f"a request can be marked sent or acknowledged; {state!r} follows from the data")
    ids = list(dict.fromkeys(request_ids))
    if not ids:
        return 0
    column = "sent_on" if state == "sent" else "acknowledged_on"
    with store.transaction(actor) as tx:
        found = dict(
            tx.execute("SELECT request_id, state FROM level_request WHERE request_id IN (SELECT unnest(?))", [ids])
        )
        missing = [i for i in ids if i not in found]
        if missing:
            raise RequestError(f"unknown request {', '.join(missing[:5])}")
        wrong = [f"{i} ({found[i]})" for i in ids if found[i] not in _NEXT[state]]
        if wrong:
            raise RequestError(f"cannot mark {state}: {', '.join(wrong[:5])}")
        tx.execute(
            f"""UPDATE level_request SET state = $state, {column} = coalesce({column}, $on),
                   note = coalesce($note, note), updated_at = $now
                WHERE request_id IN (SELECT unnest($ids))""",
            {"state": state, "on": on, "note": note, "now": clock.now(), "ids": ids},
        )
        tx.audit_many(
            [
                {
                    "action": f"request_{state}",
                    "entity": "level_request",
                    "entity_id": i,
                    "detail": {"on": on, "note": note},
                }
                for i in ids
            ]
        )
    return len(ids)


def request_list_example(rows: pl.DataFrame) -> pl.DataFrame:
    """A request list in the layout `monosashi requests import` reads, filled from ``rows`` (current
    requests) so a buyer sees real values; one sample row when there are none."""
    yes_no = {True: "はい", False: "いいえ"}
    if rows.is_empty():
        return pl.DataFrame(
            {
                "取引先ID": ["S000001"],
                "会社名": ["株式会社サンプル"],
                "要請レベル": ["★4"],
                "要請日": ["2026-04-01"],
                "期日": ["2027-03-31"],
                "機密情報を扱う": ["はい"],
                "停止で納入が遅れる": ["いいえ"],
                "社内システムに接続": ["いいえ"],
                "判断理由": [""],
            }
        )
    return rows.select(
        pl.col("supplier_id").alias("取引先ID"),
        pl.col("name").alias("会社名"),
        ("★" + pl.col("requested_level").cast(pl.String)).alias("要請レベル"),
        pl.col("requested_on").cast(pl.String).alias("要請日"),
        pl.col("due_on").cast(pl.String).alias("期日"),
        pl.col("holds_confidential_info")
        .replace_strict(yes_no, default="", return_dtype=pl.String)
        .alias("機密情報を扱う"),
        pl.col("outage_delays_buyer")
        .replace_strict(yes_no, default="", return_dtype=pl.String)
        .alias("停止で納入が遅れる"),
        pl.col("reaches_buyer_network")
        .replace_strict(yes_no, default="", return_dtype=pl.String)
        .alias("社内システムに接続"),
        pl.col("reason").fill_null("").alias("判断理由"),
    )
