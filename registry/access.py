"""Who may do what (docs/security.md): roles, accounts, sign-in, portal invitations, and the one
place every write is checked.

Every write a person makes runs in a transaction whose actor is a :class:`Principal`, and every
write appends to the audit log under an action name. :func:`check` is called by the transaction
for each audit line: the action must be allowed to the principal's role (and, for a supplier, be
about its own supplier only), else the whole transaction rolls back with :class:`AccessDenied`.
Actors given as plain strings are the system itself (migrations, the daily derivation, tests,
the CLI in single-user mode).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from registry.errors import MonosashiError
from registry.store import Store

__all__ = [
    "ACTION_ROLES",
    "PAGE_ROLES",
    "ROLES",
    "AccessDenied",
    "Invitation",
    "Principal",
    "add_user",
    "allowed",
    "allowed_role",
    "authenticate",
    "check",
    "create_invitation",
    "invitations",
    "page_allowed",
    "principal_for_email",
    "redeem_invitation",
    "revoke_invitation",
    "set_password",
    "set_user_disabled",
    "users",
]

Role = Literal["admin", "buyer", "viewer", "supplier"]
ROLES: tuple[Role, ...] = ("admin", "buyer", "viewer", "supplier")
# admin ⊃ buyer ⊃ viewer; a supplier is outside the ladder and sees only its own records.
_RANK = {"viewer": 1, "buyer": 2, "admin": 3}

# The least role each audited write needs. "supplier" marks the writes a supplier may make
# about itself through the portal (buyers and admins may make them too).
ACTION_ROLES: dict[str, str] = {
    "import_file": "supplier",
    "reject_file": "supplier",
    "add_certificate": "supplier",
    "invite_used": "supplier",
    "add_supplier": "buyer",
    "add_request": "buyer",
    "change_request": "buyer",
    "request_sent": "buyer",
    "request_acknowledged": "buyer",
    "flag_acknowledged": "buyer",
    "flag_resolved": "buyer",
    "flag_dismissed": "buyer",
    "flag_open": "buyer",
    "flag_raised": "buyer",
    "flag_closed": "buyer",
    "flag_reopened": "buyer",
    "derive_flags": "buyer",
    "add_profile": "buyer",
    "invite_created": "buyer",
    "invite_revoked": "buyer",
    "import_official_texts": "admin",
    "save_crosswalk": "admin",
    "save_settings": "admin",
    "reset_flag_rules": "admin",
    "set_setting": "admin",
    "replace_registry": "admin",
    "migrate": "admin",
    "add_user": "admin",
    "change_user": "admin",
    "backup": "admin",
    "restore": "admin",
    "sign_in": "supplier",
}

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


class AccessDenied(MonosashiError):
    """The signed-in person's role does not allow this."""


class Principal(str):
    """A person acting: their name (the string itself, as kept in the audit log), role and, for a
    supplier, the supplier they are."""

    role: str
    supplier_id: str | None
    via: str

    def __new__(cls, name: str, role: str, supplier_id: str | None = None, via: str = "local") -> Principal:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        if role == "supplier" and not supplier_id:
            raise ValueError("a supplier account needs its supplier ID")
        made = super().__new__(cls, name)
        made.role, made.supplier_id, made.via = role, supplier_id, via
        return made


def allowed(actor: str, action: str) -> bool:
    """Whether ``actor`` may make the write ``action`` at all (the supplier scope aside)."""
    if not isinstance(actor, Principal):
        return True
    needed = ACTION_ROLES.get(action)
    if needed is None:
        return False  # an action nobody listed is refused: the table must grow with the code
    if actor.role == "supplier":
        return needed == "supplier"
    return needed == "supplier" or _RANK[actor.role] >= _RANK[needed]


def allowed_role(actor: str, needed: str) -> bool:
    """Whether ``actor``'s role reaches ``needed`` (a supplier reaches only "supplier")."""
    if not isinstance(actor, Principal):
        return True
    if actor.role == "supplier" or needed == "supplier":
        return actor.role == needed
    return _RANK[actor.role] >= _RANK[needed]


def page_allowed(actor: str, page: str) -> bool:
    """Whether ``actor`` may open ``page`` (suppliers see the portal and nothing else)."""
    needed = PAGE_ROLES.get(page, "admin")
    if not isinstance(actor, Principal):
        return needed != "supplier"
    if actor.role == "supplier" or needed == "supplier":
        return actor.role == "supplier" and needed == "supplier"
    return _RANK[actor.role] >= _RANK[needed]


def _suppliers_named(detail: Mapping[str, Any] | None) -> set[str]:
    if not detail:
        return set()
    named: set[str] = set()
    for key in ("supplier", "supplier_id"):
        if detail.get(key):
            named.add(str(detail[key]))
    for key in ("suppliers", "supplier_ids"):
        value = detail.get(key)
        if isinstance(value, list | tuple | set):
            named |= {str(v) for v in value}
    return named


def check(actor: str, action: str, detail: Mapping[str, Any] | None = None) -> None:
    """Refuse the write ``action`` unless ``actor`` may make it; a supplier may only write about
    itself. Called by the transaction for every audit line."""
    if not isinstance(actor, Principal):
        return
    if not allowed(actor, action):
        raise AccessDenied(f"{actor} ({actor.role}) may not {action.replace('_', ' ')}")
    if actor.role == "supplier":
        others = _suppliers_named(detail) - {actor.supplier_id}
        if others:
            raise AccessDenied(
                f"{actor} may only write about supplier {actor.supplier_id}, not {', '.join(sorted(others))}"
            )


# -- accounts -----------------------------------------------------------------------------------------

_HASHER = PasswordHasher()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
    actor: str,
    *,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    supplier_id: str | None = None,
) -> None:
    """Create an account. Passwords are kept only as argon2 hashes; an account without one signs
    in through the identity provider by its e-mail."""
    Principal(user_id, role, supplier_id)  # validates role and supplier
    if password is not None and len(password) < 10:
        raise MonosashiError("a password needs at least 10 characters")
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
                _now(),
                str(actor),
            ],
        )
        tx.audit("add_user", entity="app_user", entity_id=user_id, detail={"role": role, "supplier": supplier_id})


def set_password(store: Store, user_id: str, password: str, actor: str) -> None:
    if len(password) < 10:
        raise MonosashiError("a password needs at least 10 characters")
    with store.transaction(actor) as tx:
        if not tx.execute(
            "UPDATE app_user SET password_hash = ? WHERE user_id = ? RETURNING 1", [_HASHER.hash(password), user_id]
        ):
            raise MonosashiError(f"no account {user_id}")
        tx.audit("change_user", entity="app_user", entity_id=user_id, detail={"password": "changed"})


def set_user_disabled(store: Store, user_id: str, disabled: bool, actor: str) -> None:
    with store.transaction(actor) as tx:
        done = tx.execute(
            "UPDATE app_user SET disabled_at = ? WHERE user_id = ? RETURNING 1", [_now() if disabled else None, user_id]
        )
        if not done:
            raise MonosashiError(f"no account {user_id}")
        tx.audit("change_user", entity="app_user", entity_id=user_id, detail={"disabled": disabled})


def _signed_in(store: Store, principal: Principal, how: str) -> Principal:
    with store.transaction(principal) as tx:
        tx.audit(
            "sign_in",
            entity="app_user",
            entity_id=str(principal),
            detail={"via": how, "supplier": principal.supplier_id},
        )
    return principal


def authenticate(store: Store, user_id: str, password: str) -> Principal:
    """The account's principal if the password is right; one message for every failure, so that a
    wrong name and a wrong password cannot be told apart."""
    rows = store.frame(
        "SELECT role, supplier_id, password_hash, disabled_at FROM app_user WHERE user_id = ?", [user_id]
    )
    refused = AccessDenied("wrong name or password, or the account is disabled")
    if rows.is_empty():
        _HASHER.hash(password)  # spend the same time as a real check
        _record_failure(store, user_id)
        raise refused
    role, supplier_id, stored, disabled = rows.row(0)
    try:
        verified = stored is not None and _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified or disabled is not None:
        _record_failure(store, user_id)
        raise refused
    return _signed_in(store, Principal(user_id, role, supplier_id, via="password"), "password")


def _record_failure(store: Store, user_id: str) -> None:
    with store.transaction("system") as tx:
        tx.audit("sign_in_failed", entity="app_user", entity_id=user_id[:80])


def principal_for_email(store: Store, email: str | None) -> Principal | None:
    """The account an identity-provider sign-in maps to (by e-mail), or None if there is none."""
    if not email:
        return None
    rows = store.frame(
        "SELECT user_id, role, supplier_id FROM app_user WHERE lower(email) = lower(?) AND disabled_at IS NULL", [email]
    )
    if rows.is_empty():
        return None
    user_id, role, supplier_id = rows.row(0)
    return _signed_in(store, Principal(user_id, role, supplier_id, via="oidc"), "oidc")


# -- portal invitations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """A new invitation: the token is here once, to be put in the link; only its hash is kept."""

    token: str
    supplier_id: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(store: Store, supplier_id: str, actor: str, days: int = 30) -> Invitation:
    """A random token for a supplier's portal link, valid for ``days`` days."""
    if not 1 <= days <= 365:
        raise MonosashiError("an invitation is valid for 1 to 365 days")
    token = secrets.token_urlsafe(32)
    expires = _now() + timedelta(days=days)
    with store.transaction(actor) as tx:
        if not tx.execute("SELECT 1 FROM supplier WHERE supplier_id = ?", [supplier_id]):
            raise MonosashiError(f"supplier {supplier_id} does not exist in the registry")
        tx.execute(
            "INSERT INTO portal_invitation (token_hash, supplier_id, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?)",
            [_hash(token), supplier_id, _now(), str(actor), expires],
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


def revoke_invitation(store: Store, invitation: str, actor: str) -> None:
    """Revoke an invitation, named by the start of its hash (as :func:`invitations` lists it)."""
    if len(invitation) < 8:
        raise MonosashiError("name the invitation by at least 8 characters of its hash")
    with store.transaction(actor) as tx:
        done = tx.execute(
            """UPDATE portal_invitation SET revoked_at = ?, revoked_by = ?
               WHERE starts_with(token_hash, ?) AND revoked_at IS NULL RETURNING supplier_id""",
            [_now(), str(actor), invitation],
        )
        if len(done) != 1:
            raise MonosashiError(f"no single open invitation starts with {invitation}")
        tx.audit("invite_revoked", entity="portal_invitation", entity_id=invitation, detail={"supplier": done[0][0]})


def redeem_invitation(store: Store, token: str) -> Principal:
    """The supplier principal of a portal link, if its token is known, not expired and not revoked."""
    rows = store.frame(
        "SELECT supplier_id, expires_at, revoked_at FROM portal_invitation WHERE token_hash = ?", [_hash(token)]
    )
    if rows.is_empty():
        raise AccessDenied("this portal link is not valid; ask your buyer for a new one")
    supplier_id, expires, revoked = rows.row(0)
    if revoked is not None:
        raise AccessDenied("this portal link was revoked; ask your buyer for a new one")
    if expires <= _now():
        raise AccessDenied(f"this portal link expired on {expires:%Y-%m-%d}; ask your buyer for a new one")
    principal = Principal(f"portal:{supplier_id}", "supplier", supplier_id, via="invitation")
    with store.transaction(principal) as tx:
        tx.execute(
            "UPDATE portal_invitation SET last_used_at = ?, uses = uses + 1 WHERE token_hash = ?",
            [_now(), _hash(token)],
        )
        tx.audit(
            "invite_used", entity="portal_invitation", entity_id=_hash(token)[:12], detail={"supplier": supplier_id}
        )
    return principal
