"""★ level requests as stored: each supplier's current request with its state as of a date (achieved
when a valid ★ at or above its level is held, overdue when sent, not achieved and past its due
date), the request history, and the writes that record and move requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import LevelRequest
from registry.domain.requests import EFFECTIVE_STATES, REQUEST_STEPS, RequestError
from registry.domain.tables import REQUEST_SCHEMA
from registry.store.core import Store
from registry.store.suppliers import supplier_status_of, supplier_status_sql

__all__ = [
    "current_requests",
    "request_history",
    "save_request",
    "set_request_state",
]

_HELD_STAR = "CASE {held} WHEN 'star4' THEN 4 WHEN 'star3' THEN 3 ELSE 0 END"


def _state(held: str) -> str:
    """A request's state on $as_of, given the SQL of the supplier's held level."""
    return f"""CASE WHEN {_HELD_STAR.format(held=held)} >= r.requested_level THEN 'achieved'
            WHEN r.state <> 'draft' AND r.due_on < $as_of THEN 'overdue'
            ELSE r.state END"""


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


def _state_label(state: str) -> str:
    """The message key naming a request's state, or the state as written (an unknown one)."""
    return f"request_state.{state}" if state in EFFECTIVE_STATES else repr(state)


def save_request(store: Store, request: LevelRequest, actor: Actor) -> None:
    """Record a request (a new one, or a change to one): answers, decision, who and when are kept."""
    known = store.scalar("SELECT count(*) FROM supplier WHERE supplier_id = ?", [request.supplier_id])
    if not known:
        raise RequestError("supplier.not_found", supplier_id=request.supplier_id)
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


def set_request_state(
    store: Store, request_ids: Sequence[str], state: str, on: date, actor: Actor, note: str | None = None
) -> int:
    """Move requests forward: ``sent`` (from draft) or ``acknowledged`` (from sent), dated ``on``.
    All or none: a request that cannot make the step refuses the whole change, naming it."""
    if state not in REQUEST_STEPS:
        raise RequestError("request.state_from_data", state_label=_state_label(state))
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
            raise RequestError("request.not_found", request_ids=missing[:5])
        wrong = [i for i in ids if found[i] not in REQUEST_STEPS[state]][:5]
        if wrong:
            raise RequestError(
                "request.wrong_step",
                state_label=_state_label(state),
                request_ids=wrong,
                current_label=[_state_label(s) for s in dict.fromkeys(found[i] for i in wrong)],
            )
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
