"""Sign-in and sessions (docs/security.md): accounts, passwords, the identity provider, portal
invitations, and the check that a session is still valid at every step.

Who may write what is not decided here: :mod:`registry.actor` holds the one permissions table and
the store checks every write against it. This module makes the :class:`~registry.actor.Actor` a
session acts as, and refuses people who are not (or no longer) who they say they are.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from registry import clock
from registry.domain.actor import PERMISSIONS, ROLES, Actor, action_allowed
from registry.domain.actor import page_allowed as _role_opens
from registry.errors import AccessDenied, MonosashiError
from registry.store import Store

__all__ = [
    "FAILURES_PER_ACCOUNT",
    "FAILURES_PER_CLIENT",
    "MIN_PASSWORD_LENGTH",
    "PAGE_ROLES",
    "PERMISSIONS",
    "ROLES",
    "THROTTLE_WINDOW",
    "AccessDenied",
    "Actor",
    "Invitation",
    "add_user",
    "allowed",
    "authenticate",
    "check_password",
    "create_invitation",
    "invitations",
    "page_allowed",
    "principal_for_email",
    "redeem_invitation",
    "revoke_invitation",
    "session_actor",
    "set_password",
    "set_user_disabled",
    "users",
]

# The least role each page needs; "supplier" pages are the portal, which only suppliers see.
PAGE_ROLES: dict[str, str] = {
    "overview": "viewer",
    "suppliers": "viewer",
    "readiness": "viewer",
    "supplier": "viewer",
    "requests": "viewer",
    "flags": "viewer",
    "support": "viewer",
    "supply_chain": "viewer",
    "renewals": "viewer",
    "certificates": "viewer",
    "imports": "buyer",
    "templates": "buyer",
    "crosswalks": "viewer",
    "catalogue": "viewer",
    "settings": "admin",
    "users": "admin",
    "audit": "admin",
    "portal": "supplier",
}

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 and the strength check both grow with the length
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0–4: 3 is "safely unguessable" (about 10^10 guesses)
# Sign-in throttling: this many failures in the window lock the account (or the client address)
# until the window holds fewer; counted from the audit log, so the app and the CLI share it.
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_CLIENT = 20
THROTTLE_WINDOW = timedelta(minutes=15)


def allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor`` may make the write ``action`` at all (buttons are greyed out otherwise;
    the store is what enforces it)."""
    return action_allowed(actor, action)


def page_allowed(actor: Actor, page: str) -> bool:
    """Whether ``actor`` may open ``page`` (suppliers see the portal and nothing else; a page
    nobody listed needs admin)."""
    return _role_opens(actor, PAGE_ROLES.get(page, "admin"))


# -- accounts -----------------------------------------------------------------------------------------

_HASHER = PasswordHasher()
# Verified when there is no hash to check (unknown name, identity-provider account), so that every
# refusal costs the same time and says nothing about which accounts exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def check_password(password: str, *, user_id: str = "", other_words: tuple[str, ...] = ()) -> None:
    """Refuse a password that is too short, too long or easy to guess (zxcvbn), saying why."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise MonosashiError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise MonosashiError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    score = zxcvbn(password[:100], user_inputs=[w for w in (user_id, *other_words, "monosashi") if w])["score"]
    if score < MIN_PASSWORD_SCORE:
        raise MonosashiError(
            f"this password is easy to guess (strength {score} of 4; {MIN_PASSWORD_SCORE} is needed): "
            "use a longer phrase of unrelated words, not a name, a date or a keyboard pattern"
        )


def users(store: Store) -> pl.DataFrame:
    """Every account (never the password hashes)."""
    return store.frame(
        """SELECT user_id, display_name, email, role, supplier_id, password_hash IS NOT NULL AS has_password,
                  created_at, created_by, disabled_at
           FROM app_user ORDER BY user_id"""
    )


def add_user(
    store: Store,
    user_id: str,
    role: str,
    actor: Actor,
    *,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    supplier_id: str | None = None,
) -> None:
    """Create an account. Passwords are kept only as argon2 hashes; an account without one signs
    in through the identity provider by its e-mail."""
    Actor.person(user_id, role, supplier_id=supplier_id)  # validates role and supplier
    if password is not None:
        check_password(password, user_id=user_id, other_words=tuple(w for w in (display_name, email) if w))
    if password is None and not email:
        raise MonosashiError("an account needs a password, or an e-mail to sign in with the identity provider")
    with store.transaction(actor) as tx:
        if tx.execute(
            "SELECT 1 FROM app_user WHERE user_id = ? OR (email IS NOT NULL AND email = ?)", [user_id, email]
        ):
            raise MonosashiError(f"an account {user_id} (or with e-mail {email}) exists already")
        if supplier_id and not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [supplier_id]):
            raise MonosashiError(f"supplier {supplier_id} does not exist in the registry")
        tx.execute(
            "INSERT INTO app_user VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                user_id,
                display_name or user_id,
                email,
                role,
                supplier_id,
                _HASHER.hash(password) if password is not None else None,
                clock.now(),
                actor.name,
            ],
        )
        tx.audit("add_user", entity="app_user", entity_id=user_id, detail={"role": role, "supplier": supplier_id})


def set_password(store: Store, user_id: str, password: str, actor: Actor) -> None:
    """Give an account a new password (checked like a new one)."""
    check_password(password, user_id=user_id)
    with store.transaction(actor) as tx:
        if not tx.execute(
            "UPDATE app_user SET password_hash = ? WHERE user_id = ? RETURNING 1", [_HASHER.hash(password), user_id]
        ):
            raise MonosashiError(f"no account {user_id}")
        tx.audit("change_user", entity="app_user", entity_id=user_id, detail={"password": "changed"})


def set_user_disabled(store: Store, user_id: str, disabled: bool, actor: Actor) -> None:
    """Disable (or enable again) an account; its open sessions end at their next step."""
    with store.transaction(actor) as tx:
        done = tx.execute(
            "UPDATE app_user SET disabled_at = ? WHERE user_id = ? RETURNING 1",
            [clock.now() if disabled else None, user_id],
        )
        if not done:
            raise MonosashiError(f"no account {user_id}")
        tx.audit("change_user", entity="app_user", entity_id=user_id, detail={"disabled": disabled})


def _signed_in(store: Store, actor: Actor, how: str) -> Actor:
    with store.transaction(actor) as tx:
        tx.audit(
            "sign_in",
            entity="app_user",
            entity_id=actor.name,
            detail={"via": how, "supplier": actor.supplier_id},
        )
    return actor


def _throttled_until(store: Store, user_id: str, client: str | None) -> datetime | None:
    """When the sign-in lock of this account (or client) lifts, if it is locked now."""
    since = clock.now() - THROTTLE_WINDOW
    rows = store.frame(
        """SELECT entity_id = $user AS same_account, logged_at FROM audit_log
           WHERE action = 'sign_in_failed' AND logged_at > $since
             AND (entity_id = $user OR ($client IS NOT NULL AND json_extract_string(detail, '$.client') = $client))
           ORDER BY logged_at""",
        {"user": user_id[:80], "client": client, "since": since},
    )
    if rows.is_empty():
        return None
    locks = []
    account = rows.filter(pl.col("same_account"))["logged_at"]
    if account.len() >= FAILURES_PER_ACCOUNT:
        locks.append(account[-FAILURES_PER_ACCOUNT] + THROTTLE_WINDOW)
    if client is not None and rows.height >= FAILURES_PER_CLIENT:
        locks.append(rows["logged_at"][-FAILURES_PER_CLIENT] + THROTTLE_WINDOW)
    return max(locks) if locks else None


def authenticate(store: Store, user_id: str, password: str, *, client: str | None = None) -> Actor:
    """The account's actor if the password is right; one message and the same work for every
    failure (unknown name, wrong password, disabled or identity-provider-only account), so that
    they cannot be told apart. After too many failures the account (and the client) is locked for
    a while, whatever the password."""
    user_id = user_id[:200]
    password = password[:MAX_PASSWORD_LENGTH]
    locked = _throttled_until(store, user_id, client)
    if locked is not None:
        _record(store, "sign_in_throttled", user_id, {"client": client, "until": locked.isoformat(timespec="seconds")})
        raise AccessDenied(
            f"too many failed sign-ins; try again after {locked:%Y-%m-%d %H:%M} UTC, or ask an administrator"
        )
    rows = store.frame(
        "SELECT role, supplier_id, password_hash, disabled_at FROM app_user WHERE user_id = ?", [user_id]
    )
    role, supplier_id, stored, disabled = rows.row(0) if rows.height else (None, None, None, None)
    try:
        verified = _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified or disabled is not None:
        _record(store, "sign_in_failed", user_id, {"client": client})
        raise AccessDenied("wrong name or password, or the account is disabled")
    actor = Actor.person(user_id, role, supplier_id=supplier_id, via="password", credential=user_id)
    return _signed_in(store, actor, "password")


def _record(store: Store, action: str, entity_id: str, detail: dict[str, object]) -> None:
    """The system's audit line about someone it refused."""
    with store.transaction(Actor.system("sign_in")) as tx:
        tx.audit(action, entity="app_user", entity_id=entity_id[:80], detail=detail)


def principal_for_email(store: Store, email: str | None) -> Actor | None:
    """The account an identity-provider sign-in maps to (by e-mail), or None if there is none."""
    if not email:
        return None
    rows = store.frame(
        "SELECT user_id, role, supplier_id FROM app_user WHERE lower(email) = lower(?) AND disabled_at IS NULL", [email]
    )
    if rows.is_empty():
        return None
    user_id, role, supplier_id = rows.row(0)
    return _signed_in(
        store, Actor.person(user_id, role, supplier_id=supplier_id, via="oidc", credential=user_id), "oidc"
    )


def session_actor(store: Store, actor: Actor) -> Actor:
    """The actor a session acts as now: its account's current role, or its invitation, checked
    again. A disabled or deleted account, or a revoked or expired invitation, ends the session
    (AccessDenied, audited). Sessions without a credential (single-user mode) pass unchanged."""
    if actor.credential is None or actor.is_system:
        return actor
    if actor.via == "invitation":
        rows = store.frame(
            "SELECT supplier_id, expires_at, revoked_at FROM portal_invitation WHERE token_hash = ?", [actor.credential]
        )
        reason = _invitation_problem(rows)
        if reason is None and rows.item(0, "supplier_id") == actor.supplier_id:
            return actor
        reason = reason or "this portal link now belongs to another supplier"
    else:
        rows = store.frame("SELECT role, supplier_id, disabled_at FROM app_user WHERE user_id = ?", [actor.credential])
        if rows.height and rows.item(0, "disabled_at") is None:
            role, supplier_id = rows.item(0, "role"), rows.item(0, "supplier_id")
            if role == actor.role and supplier_id == actor.supplier_id:
                return actor
            return Actor.person(actor.name, role, supplier_id=supplier_id, via=actor.via, credential=actor.credential)
        reason = "your account was disabled; ask an administrator"
    _record(store, "session_ended", actor.name, {"via": actor.via, "reason": reason})
    raise AccessDenied(reason)


# -- portal invitations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """A new invitation: the token is here once, to be put in the link; only its hash is kept."""

    token: str
    supplier_id: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(store: Store, supplier_id: str, actor: Actor, days: int = 30) -> Invitation:
    """A random token for a supplier's portal link, valid for ``days`` days."""
    if not 1 <= days <= 365:
        raise MonosashiError("an invitation is valid for 1 to 365 days")
    token = secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(days=days)
    with store.transaction(actor) as tx:
        if not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [supplier_id]):
            raise MonosashiError(f"supplier {supplier_id} does not exist in the registry")
        tx.execute(
            "INSERT INTO portal_invitation (token_hash, supplier_id, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?)",
            [_hash(token), supplier_id, clock.now(), actor.name, expires],
        )
        tx.audit(
            "invite_created",
            entity="portal_invitation",
            entity_id=_hash(token)[:12],
            detail={"supplier": supplier_id, "days": days},
        )
    return Invitation(token=token, supplier_id=supplier_id, expires_at=expires)


def invitations(store: Store, supplier_id: str | None = None) -> pl.DataFrame:
    """Invitations (by the first characters of their hash), newest first."""
    return store.frame(
        """SELECT left(token_hash, 12) AS invitation, supplier_id, created_at, created_by, expires_at, revoked_at,
                  revoked_by, last_used_at, uses
           FROM portal_invitation WHERE $supplier IS NULL OR supplier_id = $supplier ORDER BY created_at DESC""",
        {"supplier": supplier_id},
    )


def revoke_invitation(store: Store, invitation: str, actor: Actor) -> None:
    """Revoke an invitation, named by the start of its hash (as :func:`invitations` lists it);
    sessions opened with it end at their next step."""
    if len(invitation) < 8:
        raise MonosashiError("name the invitation by at least 8 characters of its hash")
    with store.transaction(actor) as tx:
        done = tx.execute(
            """UPDATE portal_invitation SET revoked_at = ?, revoked_by = ?
               WHERE starts_with(token_hash, ?) AND revoked_at IS NULL RETURNING supplier_id""",
            [clock.now(), actor.name, invitation],
        )
        if len(done) != 1:
            raise MonosashiError(f"no single open invitation starts with {invitation}")
        tx.audit("invite_revoked", entity="portal_invitation", entity_id=invitation, detail={"supplier": done[0][0]})


def _invitation_problem(rows: pl.DataFrame) -> str | None:
    """Why an invitation (its row, or none) cannot be used now; None when it can."""
    if rows.is_empty():
        return "this portal link is not valid; ask your buyer for a new one"
    _, expires, revoked = rows.row(0)
    if revoked is not None:
        return "this portal link was revoked; ask your buyer for a new one"
    if expires <= clock.now():
        return f"this portal link expired on {expires:%Y-%m-%d}; ask your buyer for a new one"
    return None


def redeem_invitation(store: Store, token: str) -> Actor:
    """The supplier actor of a portal link, if its token is known, not expired and not revoked.
    Every use and every refusal is audited."""
    token_hash = _hash(token[:200])
    rows = store.frame(
        "SELECT supplier_id, expires_at, revoked_at FROM portal_invitation WHERE token_hash = ?", [token_hash]
    )
    problem = _invitation_problem(rows)
    with store.transaction(Actor.system("portal")) as tx:
        if problem is not None:
            tx.audit(
                "invite_refused", entity="portal_invitation", entity_id=token_hash[:12], detail={"reason": problem}
            )
        else:
            supplier_id = rows.item(0, "supplier_id")
            tx.execute(
                "UPDATE portal_invitation SET last_used_at = ?, uses = uses + 1 WHERE token_hash = ?",
                [clock.now(), token_hash],
            )
            tx.audit(
                "invite_used", entity="portal_invitation", entity_id=token_hash[:12], detail={"supplier": supplier_id}
            )
    if problem is not None:
        raise AccessDenied(problem)
    return Actor.person(
        f"portal:{supplier_id}", "supplier", supplier_id=supplier_id, via="invitation", credential=token_hash
    )
