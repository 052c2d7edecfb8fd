"""Reminders as stored: suppliers' contacts and owners, each account's digest choice, and the
reminder rows whose state makes every reminder go out once (docs/reminders.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.domain.models import SupplierContact
from registry.errors import MonosashiError, NotFoundError
from registry.store.core import Store, Transaction

__all__ = [
    "CONTACT_SCHEMA",
    "add_contacts",
    "contact_recipients",
    "contacts",
    "due_reminders",
    "insert_reminders",
    "known_keys",
    "owned_flags",
    "owner_choices",
    "owner_of",
    "owner_recipients",
    "record_run",
    "reminder_choice",
    "reminders",
    "reminders_changed_by_person",
    "replace_contacts",
    "set_owner",
    "set_reminder_choice",
    "set_reminder_state",
]

CONTACT_SCHEMA: dict[str, pl.DataType] = {
    "supplier_id": pl.String(),
    "name": pl.String(),
    "email": pl.String(),
    "language": pl.String(),
    "opted_out_at": pl.Datetime("us"),
    "created_at": pl.Datetime("us"),
    "created_by": pl.String(),
}


def contacts(store: Store, supplier_id: str | None = None) -> pl.DataFrame:
    """Contacts (of one supplier, or all), in the order they were added."""
    return store.frame(
        """SELECT contact_id, supplier_id, name, email, language, opted_out_at, created_at, created_by
           FROM supplier_contact WHERE $supplier IS NULL OR supplier_id = $supplier
           ORDER BY supplier_id, contact_id""",
        {"supplier": supplier_id},
    )


def replace_contacts(store: Store, supplier_id: str, wanted: Sequence[SupplierContact], actor: Actor) -> int:
    """Make ``wanted`` the supplier's contacts (an edit of the whole list, from the Supplier page or
    the portal): a contact kept by its address keeps when it was added and when it opted out."""
    if any(c.supplier_id != supplier_id for c in wanted):
        raise MonosashiError("contact.other_supplier", supplier_id=supplier_id)
    seen: set[str] = set()
    for contact in wanted:
        if contact.email.lower() in seen:
            raise MonosashiError("contact.repeated", email=contact.email)
        seen.add(contact.email.lower())
    now = clock.now()
    with store.transaction(actor) as tx:
        if not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [supplier_id]):
            raise NotFoundError("supplier.not_found", supplier_id=supplier_id)
        before = {
            str(row[0]).lower(): row
            for row in tx.execute(
                "SELECT email, opted_out_at, created_at, created_by FROM supplier_contact WHERE supplier_id = ?",
                [supplier_id],
            )
        }
        tx.delete_rows("supplier_contact", pl.DataFrame({"supplier_id": [supplier_id]}))
        rows = []
        for contact in wanted:
            _, opted, created_at, created_by = before.get(contact.email.lower(), (None, None, now, actor.name))
            rows.append(
                {
                    "supplier_id": supplier_id,
                    "name": contact.name,
                    "email": contact.email,
                    "language": contact.language,
                    "opted_out_at": (opted or now) if contact.opted_out else None,
                    "created_at": created_at,
                    "created_by": created_by,
                }
            )
        tx.insert_frame("supplier_contact", pl.DataFrame(rows, schema=CONTACT_SCHEMA))
        tx.audit(
            "change_contacts",
            entity="supplier_contact",
            entity_id=supplier_id,
            detail={
                "supplier": supplier_id,
                "contacts": len(rows),
                "opted_out": [r["email"] for r in rows if r["opted_out_at"] is not None],
            },
        )
    return len(rows)


def add_contacts(tx: Transaction, frame: pl.DataFrame) -> int:
    """Add contacts from a supplier list inside an import's transaction; an address a supplier
    already has is left as it is (its language and opt-out stay)."""
    if frame.is_empty():
        return 0
    return tx.insert_new("supplier_contact", frame, key=("supplier_id", "email"))


def contact_recipients(store: Store) -> pl.DataFrame:
    """Every contact that has not opted out: supplier_id, contact_name, email, language."""
    return store.frame(
        """SELECT supplier_id, name AS contact_name, email, language FROM supplier_contact
           WHERE opted_out_at IS NULL ORDER BY supplier_id, contact_id"""
    )


def owner_choices(store: Store) -> pl.DataFrame:
    """Accounts that may own suppliers: enabled buyers and admins (a viewer writes nothing, so it
    cannot look after a supplier)."""
    return store.frame(
        """SELECT user_id, display_name, email FROM app_user
           WHERE role IN ('admin', 'buyer') AND disabled_at IS NULL ORDER BY display_name, user_id"""
    )


def owner_of(store: Store, supplier_id: str) -> str | None:
    """The account that owns a supplier, if any."""
    return store.scalar("SELECT owner_id FROM supplier WHERE supplier_id = ?", [supplier_id])


def set_owner(store: Store, supplier_ids: Sequence[str], owner_id: str | None, actor: Actor) -> int:
    """Make ``owner_id`` (an enabled buyer-side account, or None for nobody) the suppliers' owner."""
    ids = list(dict.fromkeys(supplier_ids))
    with store.transaction(actor) as tx:
        if owner_id is not None and not tx.execute(
            "SELECT 1 FROM app_user WHERE user_id = ? AND role IN ('admin', 'buyer') AND disabled_at IS NULL",
            [owner_id],
        ):
            raise NotFoundError("owner.not_found", user_id=owner_id)
        done = tx.execute(
            "UPDATE supplier SET owner_id = ? WHERE supplier_id IN (SELECT unnest(?)) RETURNING supplier_id",
            [owner_id, ids],
        )
        missing = sorted(set(ids) - {r[0] for r in done})
        if missing:
            raise NotFoundError("supplier.not_found", supplier_id=", ".join(missing[:5]))
        tx.audit(
            "set_owner",
            entity="supplier",
            entity_id=ids[0] if len(ids) == 1 else f"{len(ids)} suppliers",
            detail={"suppliers": ids, "owner": owner_id},
        )
    return len(ids)


def reminder_choice(store: Store, user_id: str) -> dict[str, Any] | None:
    """An account's digest frequency, language and opt-out."""
    rows = store.frame(
        """SELECT user_id, display_name, email, coalesce(digest, 'weekly') AS digest,
                  coalesce(language, 'ja') AS language, reminders_opted_out_at
           FROM app_user WHERE user_id = ?""",
        [user_id],
    )
    return rows.row(0, named=True) if rows.height else None


def set_reminder_choice(
    store: Store, user_id: str, *, digest: str, language: str, opted_out: bool, actor: Actor
) -> None:
    """Record how an account wants its digest: each person for their own account, an admin for anyone."""
    if digest not in ("daily", "weekly") or language not in ("ja", "en"):
        raise MonosashiError("reminder.choice_unknown", digest=digest, language=language)
    if actor.role != "admin" and actor.credential != user_id:
        raise MonosashiError("reminder.choice_not_own", user_id=user_id)
    with store.transaction(actor) as tx:
        done = tx.execute(
            """UPDATE app_user SET digest = $digest, language = $language,
                   reminders_opted_out_at = CASE WHEN $out THEN coalesce(reminders_opted_out_at, $now) END
               WHERE user_id = $user RETURNING 1""",
            {"digest": digest, "language": language, "out": opted_out, "now": clock.now(), "user": user_id},
        )
        if not done:
            raise NotFoundError("account.not_found", user_id=user_id)
        tx.audit(
            "change_reminder_choice",
            entity="app_user",
            entity_id=user_id,
            detail={"digest": digest, "language": language, "opted_out": opted_out},
        )


def owner_recipients(store: Store) -> pl.DataFrame:
    """Accounts whose digest may go out: enabled buyers and admins with an e-mail, not opted out."""
    return store.frame(
        """SELECT user_id, display_name, email, coalesce(language, 'ja') AS language,
                  coalesce(digest, 'weekly') AS digest
           FROM app_user
           WHERE role IN ('admin', 'buyer') AND disabled_at IS NULL AND email IS NOT NULL
             AND reminders_opted_out_at IS NULL
             AND user_id IN (SELECT owner_id FROM supplier WHERE owner_id IS NOT NULL)
           ORDER BY user_id"""
    )


def owned_flags(store: Store) -> pl.DataFrame:
    """Open and acknowledged flags of suppliers that have an owner."""
    return store.frame(
        """SELECT s.owner_id, f.supplier_id, s.name AS supplier_name, f.rule_id, f.severity, f.state,
                  f.first_held_on, f.reason, f.reason_en
           FROM flag f JOIN supplier s USING (supplier_id)
           WHERE s.owner_id IS NOT NULL AND f.state IN ('open', 'acknowledged')
           ORDER BY s.owner_id, f.severity = 'critical' DESC, f.first_held_on, f.supplier_id"""
    )


def known_keys(store: Store, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are reminders already planned (in any state)."""
    if not keys:
        return set()
    frame = store.frame("SELECT reminder_key FROM reminder WHERE reminder_key IN (SELECT unnest(?))", [list(keys)])
    return set(frame["reminder_key"].to_list())


def insert_reminders(store: Store, frame: pl.DataFrame, actor: Actor, *, action: str | None = None) -> int:
    """Record newly planned reminders (those already known are left as they are); ``action`` audits
    a person's queueing."""
    if frame.is_empty():
        return 0
    with store.transaction(actor) as tx:
        tx.derived_only = action is None  # the run's own planning changes no evidence
        added = tx.insert_new("reminder", frame, key=("reminder_key",))
        if action is not None:
            tx.audit(
                action,
                entity="reminder",
                entity_id=str(frame["kind"][0]),
                detail={"suppliers": sorted({s for s in frame["supplier_id"].to_list() if s}), "messages": added},
            )
    return added


def due_reminders(store: Store, as_of: date, now: datetime) -> pl.DataFrame:
    """Pending reminders that may go out now: their first day has come and no back-off holds them."""
    return store.frame(
        """SELECT * FROM reminder
           WHERE state = 'pending' AND send_on <= $as_of AND (next_try_at IS NULL OR next_try_at <= $now)
           ORDER BY send_on, kind, reminder_key""",
        {"as_of": as_of, "now": now},
    )


def reminders(store: Store, states: Sequence[str], *, limit: int = 5000) -> pl.DataFrame:
    """Reminders in the given states, the latest changed first."""
    return store.frame(
        """SELECT reminder_key, kind, supplier_id, subject_id, recipient, recipient_name, language, due_on,
                  send_on, message_id, state, tries, next_try_at, last_error, subject, body, attachments,
                  created_at, sent_at, changed_at, changed_by
           FROM reminder WHERE state IN (SELECT unnest($states))
           ORDER BY coalesce(sent_at, changed_at, created_at) DESC, reminder_key LIMIT $limit""",
        {"states": list(states), "limit": limit},
    )


def set_reminder_state(
    store: Store,
    key: str,
    actor: Actor,
    *,
    expect: Sequence[str],
    fields: Mapping[str, Any],
    action: str | None = None,
    tries_before: int | None = None,
) -> bool:
    """Move one reminder on, only from the states in ``expect`` (so two runs never both send it);
    True when it moved. The run's own steps are not audited one by one (``action`` None): they
    are the reminder row itself."""
    sets = ", ".join(f"{name} = ${name}" for name in fields)
    with store.transaction(actor) as tx:
        tx.derived_only = action is None
        moved = tx.execute(
            f"""UPDATE reminder SET {sets}, changed_at = $changed_at, changed_by = $changed_by
                WHERE reminder_key = $key AND state IN (SELECT unnest($expect))
                  AND ($tries_before IS NULL OR tries = $tries_before) RETURNING 1""",
            {
                **fields,
                "changed_at": clock.now(),
                "changed_by": actor.name,
                "key": key,
                "expect": list(expect),
                "tries_before": tries_before,
            },
        )
        if moved and action is not None:
            tx.audit(action, entity="reminder", entity_id=key, detail={"state": fields.get("state")})
    return bool(moved)


def reminders_changed_by_person(store: Store, keys: Sequence[str], state: str, actor: Actor, action: str) -> int:
    """A person's cancel or resend of several reminders in one audited write."""
    # A resend of one still pending (after a failure) tries it at the next run, back-off forgotten.
    # A row `sending` for less than a quarter of an hour may be in a run's hands right now: left
    # alone; an older one is a run that stopped (unconfirmed), for a person to settle.
    allowed = {"cancelled": ("pending", "sending"), "pending": ("pending", "sent", "failed", "sending", "cancelled")}[
        state
    ]
    in_flight_since = clock.now() - timedelta(minutes=15)
    with store.transaction(actor) as tx:
        moved = tx.execute(
            """UPDATE reminder SET state = $state, changed_at = $now, changed_by = $who,
                   next_try_at = NULL,
                   tries = CASE WHEN $state = 'pending' THEN 0 ELSE tries END,
                   message_id = CASE WHEN $state = 'pending' AND reminder.state = 'sent'
                       THEN regexp_replace(message_id, '\\.(\\d+)@', '.' || (CAST(regexp_extract(message_id, '\\.(\\d+)@', 1) AS INTEGER) + 1) || '@')
                       ELSE message_id END
               WHERE reminder_key IN (SELECT unnest($keys)) AND state IN (SELECT unnest($allowed))
                 AND NOT (reminder.state = 'sending' AND changed_at > $in_flight)
               RETURNING reminder_key""",
            {
                "state": state,
                "now": clock.now(),
                "who": actor.name,
                "keys": list(keys),
                "allowed": list(allowed),
                "in_flight": in_flight_since,
            },
        )
        if not moved:
            raise MonosashiError("reminder.none_to_change", state_label=f"reminder.state.{state}")
        tx.audit_many(
            [{"action": action, "entity": "reminder", "entity_id": row[0], "detail": {"state": state}} for row in moved]
        )
    return len(moved)


def record_run(store: Store, actor: Actor, as_of: date, detail: Mapping[str, Any]) -> None:
    """The audit line of a reminder run: how many were planned and what became of them."""
    with store.transaction(actor) as tx:
        tx.derived_only = True  # reminders are no evidence: the kept figures stay as they are
        tx.audit("run_reminders", entity="reminder", entity_id=as_of.isoformat(), detail=detail)
