"""Accounts and portal invitations as stored: people's accounts (argon2 hashes only), the sign-in
failures the throttle counts (from the audit log), and the hashed tokens of portal links.
The decisions (who may sign in, when a lock applies, what a link is worth) are registry/access."""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.errors import MonosashiError, NotFoundError
from registry.store.core import Store

__all__ = [
    "account",
    "account_by_email",
    "account_count",
    "add_account",
    "insert_invitation",
    "invitation",
    "invitations",
    "recent_failures",
    "record",
    "record_invitation_use",
    "refused_links",
    "revoke",
    "set_disabled",
    "set_password_hash",
    "users",
]


def account_count(store: Store) -> int:
    """How many accounts the registry has (0 for a registry from before accounts existed)."""
    try:
        return int(store.scalar("SELECT count(*) FROM app_user") or 0)
    except duckdb.CatalogException:
        return 0


def users(store: Store) -> pl.DataFrame:
    """Every account (never the password hashes)."""
    return store.frame(
        """SELECT user_id, display_name, email, role, supplier_id, password_hash IS NOT NULL AS has_password,
                  created_at, created_by, disabled_at
           FROM app_user ORDER BY user_id"""
    )


def account(store: Store, user_id: str) -> dict[str, object] | None:
    """One account's role, supplier, hash, e-mail, display name and dates, or None."""
    rows = store.frame(
        """SELECT user_id, role, supplier_id, password_hash, disabled_at, password_changed_at, email, display_name
           FROM app_user WHERE user_id = ?""",
        [user_id],
    )
    return rows.row(0, named=True) if rows.height else None


def account_by_email(store: Store, email: str) -> dict[str, object] | None:
    """The enabled account with this e-mail (compared without case), or None."""
    rows = store.frame(
        """SELECT user_id, role, supplier_id FROM app_user
           WHERE lower(email) = lower(?) AND disabled_at IS NULL ORDER BY user_id""",
        [email],
    )
    return rows.row(0, named=True) if rows.height == 1 else None


def add_account(
    store: Store,
    actor: Actor,
    *,
    user_id: str,
    role: str,
    password_hash: str | None,
    display_name: str,
    email: str | None,
    supplier_id: str | None,
) -> None:
    """Create an account (its user ID and e-mail unique, e-mails compared without case)."""
    with store.transaction(actor) as tx:
        if tx.execute(
            "SELECT 1 FROM app_user WHERE user_id = ? OR (email IS NOT NULL AND lower(email) = lower(?))",
            [user_id, email],
        ):
            if email:
                raise MonosashiError("account.exists_or_email", user_id=user_id, email=email)
            raise MonosashiError("account.exists", user_id=user_id)
        if supplier_id and not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [supplier_id]):
            raise NotFoundError("supplier.not_found", supplier_id=supplier_id)
        now = clock.now()
        tx.execute(
            """INSERT INTO app_user (user_id, display_name, email, role, supplier_id, password_hash, created_at,
                                     created_by, disabled_at, password_changed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)""",
            [user_id, display_name, email, role, supplier_id, password_hash, now, actor.name, now],
        )
        tx.audit("add_user", entity="app_user", entity_id=user_id, detail={"role": role, "supplier": supplier_id})


def set_password_hash(store: Store, user_id: str, password_hash: str, actor: Actor) -> None:
    """Replace an account's password hash; sessions opened before now end at their next step."""
    with store.transaction(actor) as tx:
        if not tx.execute(
            "UPDATE app_user SET password_hash = ?, password_changed_at = ? WHERE user_id = ? RETURNING 1",
            [password_hash, clock.now(), user_id],
        ):
            raise NotFoundError("account.not_found", user_id=user_id)
        tx.audit("change_user", entity="app_user", entity_id=user_id, detail={"password": "changed"})


def set_disabled(store: Store, user_id: str, disabled: bool, actor: Actor) -> None:
    """Disable (or enable again) an account."""
    with store.transaction(actor) as tx:
        done = tx.execute(
            "UPDATE app_user SET disabled_at = ? WHERE user_id = ? RETURNING 1",
            [clock.now() if disabled else None, user_id],
        )
        if not done:
            raise NotFoundError("account.not_found", user_id=user_id)
        tx.audit("change_user", entity="app_user", entity_id=user_id, detail={"disabled": disabled})


def recent_failures(store: Store, user_id: str, client: str | None, since: datetime) -> pl.DataFrame:
    """Failed sign-ins since ``since`` of this account or from this client: when, and whether each
    was this account, this client, or both."""
    return store.frame(
        """SELECT logged_at, entity_id = $user AS same_account,
                  coalesce(json_extract_string(detail, '$.client') = $client, false) AS same_client
           FROM audit_log
           WHERE action = 'sign_in_failed' AND logged_at > $since
             AND (entity_id = $user OR ($client IS NOT NULL AND json_extract_string(detail, '$.client') = $client))
           ORDER BY logged_at""",
        {"user": user_id[:80], "client": client, "since": since},
    )


def record(store: Store, actor: Actor, action: str, entity: str, entity_id: str, detail: dict[str, object]) -> None:
    """One audit line and nothing else (a sign-in, a refusal, a session ended)."""
    with store.transaction(actor) as tx:
        tx.audit(action, entity=entity, entity_id=entity_id[:80], detail=detail)


# -- portal invitations -------------------------------------------------------------------------------


def insert_invitation(
    store: Store, actor: Actor, token_hash: str, supplier_id: str, expires_at: datetime, days: int
) -> None:
    """Keep a new invitation's token hash for a supplier."""
    with store.transaction(actor) as tx:
        if not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [supplier_id]):
            raise NotFoundError("supplier.not_found", supplier_id=supplier_id)
        tx.execute(
            """INSERT INTO portal_invitation (token_hash, supplier_id, created_at, created_by, expires_at)
               VALUES (?, ?, ?, ?, ?)""",
            [token_hash, supplier_id, clock.now(), actor.name, expires_at],
        )
        tx.audit(
            "invite_created",
            entity="portal_invitation",
            entity_id=token_hash[:12],
            detail={"supplier": supplier_id, "days": days},
        )


def invitation(store: Store, token_hash: str) -> dict[str, object] | None:
    """One invitation's supplier, expiry and revocation, or None."""
    rows = store.frame(
        "SELECT supplier_id, expires_at, revoked_at FROM portal_invitation WHERE token_hash = ?", [token_hash]
    )
    return rows.row(0, named=True) if rows.height else None


def invitations(store: Store, supplier_id: str | None = None) -> pl.DataFrame:
    """Invitations (by the first characters of their hash), newest first."""
    return store.frame(
        """SELECT left(token_hash, 12) AS invitation, supplier_id, created_at, created_by, expires_at, revoked_at,
                  revoked_by, last_used_at, uses
           FROM portal_invitation WHERE $supplier IS NULL OR supplier_id = $supplier ORDER BY created_at DESC""",
        {"supplier": supplier_id},
    )


def revoke(store: Store, prefix: str, actor: Actor) -> None:
    """Revoke the one open invitation whose hash starts with ``prefix``."""
    with store.transaction(actor) as tx:
        done = tx.execute(
            """UPDATE portal_invitation SET revoked_at = ?, revoked_by = ?
               WHERE starts_with(token_hash, ?) AND revoked_at IS NULL RETURNING supplier_id""",
            [clock.now(), actor.name, prefix],
        )
        if len(done) != 1:
            raise NotFoundError("access.invitation_not_unique", prefix=prefix)
        tx.audit("invite_revoked", entity="portal_invitation", entity_id=prefix, detail={"supplier": done[0][0]})


def record_invitation_use(
    store: Store, token_hash: str, supplier_id: str | None, problem: str | None, client: str | None = None
) -> None:
    """Audit a link's use (counting it) or its refusal, as the system."""
    with store.transaction(Actor.system("portal")) as tx:
        if problem is not None:
            tx.audit(
                "invite_refused",
                entity="portal_invitation",
                entity_id=token_hash[:12],
                detail={"reason": problem, "client": client},
            )
            return
        tx.execute(
            "UPDATE portal_invitation SET last_used_at = ?, uses = uses + 1 WHERE token_hash = ?",
            [clock.now(), token_hash],
        )
        tx.audit("invite_used", entity="portal_invitation", entity_id=token_hash[:12], detail={"supplier": supplier_id})


def refused_links(store: Store, client: str, since: datetime) -> int:
    """How many portal links were refused to this client since ``since``."""
    return int(
        store.scalar(
            """SELECT count(*) FROM audit_log WHERE action = 'invite_refused' AND logged_at > ?
               AND json_extract_string(detail, '$.client') = ?""",
            [since, client],
        )
    )
