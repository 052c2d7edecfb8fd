"""Supplier portal links (docs/security.md): a random token shown once inside the link, only its
SHA-256 kept, an expiry, revocation, and every use and refusal audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from registry import clock
from registry.domain.actor import Actor
from registry.errors import AccessDenied, MonosashiError
from registry.store import Store
from registry.store import accounts as stored

__all__ = [
    "REFUSED_LINKS_PER_CLIENT",
    "REFUSED_LINKS_WINDOW",
    "Invitation",
    "Refusal",
    "create_invitation",
    "invitation_problem",
    "invitation_refusal",
    "invitations",
    "portal_address",
    "redeem_invitation",
    "revoke_invitation",
    "token_hash",
]


@dataclass(frozen=True)
class Invitation:
    """A new invitation: the token is here once, to be put in the link; only its hash is kept."""

    token: str
    supplier_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Refusal:
    """Why a portal link (or a session) is refused: ``recorded`` is what the audit log keeps (data,
    the same words whatever the reader's language); ``key`` and ``params`` are the message people
    read, in theirs."""

    recorded: str
    key: str
    params: dict[str, object] = field(default_factory=dict)

    def error(self) -> AccessDenied:
        return AccessDenied(self.key, **self.params)


def portal_address(base_url: str, token: str) -> str:
    """The link a supplier opens: the app's address with the invitation token."""
    return f"{base_url.rstrip('/') or 'http://localhost:8501'}/?invite={token}"


def token_hash(token: str) -> str:
    """The SHA-256 a token is kept as."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(store: Store, supplier_id: str, actor: Actor, days: int = 30) -> Invitation:
    """A random token for a supplier's portal link, valid for ``days`` days."""
    if not 1 <= days <= 365:
        raise MonosashiError("access.invitation_days")
    token = secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(days=days)
    stored.insert_invitation(store, actor, token_hash(token), supplier_id, expires, days)
    return Invitation(token=token, supplier_id=supplier_id, expires_at=expires)


def invitations(store: Store, supplier_id: str | None = None) -> pl.DataFrame:
    """Invitations (by the first characters of their hash), newest first."""
    return stored.invitations(store, supplier_id)


def revoke_invitation(store: Store, invitation: str, actor: Actor) -> None:
    """Revoke an invitation, named by the start of its hash (as :func:`invitations` lists it);
    sessions opened with it end at their next step."""
    if len(invitation) < 8:
        raise MonosashiError("access.invitation_prefix_short")
    stored.revoke(store, invitation, actor)


def invitation_refusal(found: dict[str, object] | None) -> Refusal | None:
    """Why an invitation (its row, or None) cannot be used now; None when it can."""
    if found is None:
        return Refusal("this portal link is not valid; ask your buyer for a new one", "access.link_invalid")
    if found["revoked_at"] is not None:
        return Refusal("this portal link was revoked; ask your buyer for a new one", "access.link_revoked")
    expires = found["expires_at"]
    if isinstance(expires, datetime) and expires <= clock.now():
        return Refusal(
            f"this portal link expired on {expires:%Y-%m-%d}; ask your buyer for a new one",
            "access.link_expired",
            {"expired_on": f"{expires:%Y-%m-%d}"},
        )
    return None


def invitation_problem(found: dict[str, object] | None) -> str | None:
    """Why an invitation cannot be used now, in the words the audit log records; None when it can."""
    refusal = invitation_refusal(found)
    return refusal.recorded if refusal else None


# Refused links from one client in the throttle window before further tries are refused unread
# (and no longer audited one by one: a flood of junk links must not flood the audit log).
REFUSED_LINKS_PER_CLIENT = 20
REFUSED_LINKS_WINDOW = timedelta(minutes=15)


def redeem_invitation(store: Store, token: str, *, client: str | None = None) -> Actor:
    """The supplier actor of a portal link, if its token is known, not expired and not revoked.
    Every use and every refusal is audited, until one client has had too many refusals."""
    if client is not None:
        since = clock.now() - REFUSED_LINKS_WINDOW
        if stored.refused_links(store, client, since) >= REFUSED_LINKS_PER_CLIENT:
            raise AccessDenied("access.too_many_links")
    hashed = token_hash(token[:200])
    found = stored.invitation(store, hashed)
    refusal = invitation_refusal(found)
    supplier_id = str(found["supplier_id"]) if found else None
    stored.record_invitation_use(store, hashed, supplier_id, refusal.recorded if refusal else None, client)
    if refusal is not None:
        raise refusal.error()
    if supplier_id is None:
        raise AccessDenied("access.link_invalid")
    return Actor.person(
        f"portal:{supplier_id}",
        "supplier",
        supplier_id=supplier_id,
        via="invitation",
        credential=hashed,
        since=clock.now(),
    )
