"""Accounts and signing in (docs/security.md): passwords (length and strength), the identity
provider's e-mail, throttling after failures, and the check that a session is still valid at each
step. Every refusal says the same thing and costs the same work."""

from __future__ import annotations

import functools
import re
import secrets
import threading
import unicodedata
from datetime import datetime, timedelta

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import TypeAdapter, ValidationError
from zxcvbn import zxcvbn

from registry import clock
from registry.access.portal import Refusal, invitation_refusal
from registry.domain.actor import Actor
from registry.domain.models import EmailAddress
from registry.errors import AccessDenied, MonosashiError
from registry.store import Store
from registry.store import accounts as stored

__all__ = [
    "FAILURES_PER_ACCOUNT",
    "FAILURES_PER_ACCOUNT_AND_CLIENT",
    "FAILURES_PER_CLIENT",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "MIN_PASSWORD_SCORE",
    "THROTTLE_WINDOW",
    "USER_ID",
    "add_user",
    "authenticate",
    "check_password",
    "principal_for_email",
    "session_actor",
    "set_password",
    "set_user_disabled",
    "users",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 and the strength check both grow with the length
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0–4: 3 is "safely unguessable" (about 10^10 guesses)
# Sign-in throttling, counted from the audit log so that the app and the CLI share it. Failures of
# one account from one client lock that pair; failures from one client lock the client; and a
# high ceiling for one account from everywhere stops a guessing spread over many addresses. A
# lock lifts when the window holds fewer failures.
FAILURES_PER_ACCOUNT_AND_CLIENT = 5
FAILURES_PER_CLIENT = 20
FAILURES_PER_ACCOUNT = 50
THROTTLE_WINDOW = timedelta(minutes=15)
# Sign-in names: letters, digits and . _ @ - only (no spaces, no invisible characters that would
# make one name look like another in the audit log).
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

_HASHER = PasswordHasher()
_EMAIL = TypeAdapter(EmailAddress)


@functools.cache
def _dummy_hash() -> str:
    """Verified when there is no hash to check (unknown name, identity-provider account), so that
    every refusal costs the same time and says nothing about which accounts exist. Made on the
    first sign-in, not at import: hashing costs a third of a second that every CLI command paid."""
    return PasswordHasher().hash(secrets.token_urlsafe(16))  # the same parameters as _HASHER


# Attempts on one account, and from one client, are checked one at a time in this process: a
# burst of parallel guesses cannot all pass the throttle before the first failure is recorded.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        if len(_LOCKS) > 10_000:
            _LOCKS.clear()
        return _LOCKS.setdefault(key, threading.Lock())


def _folded(text: str) -> str:
    """A password as the strength check reads it: full-width letters and digits as ASCII (what an
    IME in full-width mode types), lower case, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def check_password(password: str, *, user_id: str = "", other_words: tuple[str, ...] = ()) -> None:
    """Refuse a password that is too short, too long or easy to guess (zxcvbn, on the password
    folded to ASCII and lower case, with the account's name, e-mail and display name as known
    words), saying why."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise MonosashiError("account.password_too_short", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise MonosashiError("account.password_too_long", max=MAX_PASSWORD_LENGTH)
    folded = _folded(password)
    known = [_folded(w) for w in (user_id, *other_words, "monosashi", "モノサシ") if w]
    known += [part for word in known for part in re.split(r"[@._\s-]+", word) if len(part) >= 3]
    # zxcvbn reads at most 72 characters; a long passphrase is judged by its first 72
    score = zxcvbn(folded[:72], user_inputs=known)["score"]
    rest = folded
    for word in sorted(set(known), key=len, reverse=True):  # what is left beyond the known words
        rest = rest.replace(word, "")
    if score < MIN_PASSWORD_SCORE or len(re.sub(r"[\W_]", "", rest)) < 6 or len(set(folded)) < 6:
        raise MonosashiError("account.password_weak", score=score, needed=MIN_PASSWORD_SCORE)


def users(store: Store) -> pl.DataFrame:
    """Every account (never the password hashes)."""
    return stored.users(store)


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
    if not USER_ID.fullmatch(user_id):
        raise MonosashiError("account.bad_user_id", user_id=repr(user_id))  # repr: invisible characters shown
    Actor.person(user_id, role, supplier_id=supplier_id)  # validates role and supplier
    if password is not None:
        check_password(password, user_id=user_id, other_words=tuple(w for w in (display_name, email) if w))
    if password is None and not email:
        raise MonosashiError("account.needs_password_or_email")
    if email:
        try:
            email = _EMAIL.validate_python(email)
        except ValidationError:
            raise MonosashiError("email.invalid", found=email[:80]) from None
    stored.add_account(
        store,
        actor,
        user_id=user_id,
        role=role,
        password_hash=_HASHER.hash(password) if password is not None else None,
        display_name=display_name or user_id,
        email=email,
        supplier_id=supplier_id,
    )


def set_password(store: Store, user_id: str, password: str, actor: Actor) -> None:
    """Give an account a new password (checked like a new one); its open sessions end."""
    found = stored.account(store, user_id)
    words = tuple(str(w) for w in (found or {}).values() if isinstance(w, str))
    check_password(password, user_id=user_id, other_words=words)
    stored.set_password_hash(store, user_id, _HASHER.hash(password), actor)


def set_user_disabled(store: Store, user_id: str, disabled: bool, actor: Actor) -> None:
    """Disable (or enable again) an account; its open sessions end at their next step."""
    stored.set_disabled(store, user_id, disabled, actor)


def _signed_in(store: Store, actor: Actor, how: str) -> Actor:
    stored.record(store, actor, "sign_in", "app_user", actor.name, {"via": how, "supplier": actor.supplier_id})
    return actor


def _throttled_until(store: Store, user_id: str, client: str | None) -> datetime | None:
    """When the sign-in lock of this account, this client or the pair lifts, if one holds now."""
    failures = stored.recent_failures(store, user_id, client, clock.now() - THROTTLE_WINDOW)
    locks = []
    for rows, limit in (
        (failures.filter(pl.col("same_account") & pl.col("same_client")), FAILURES_PER_ACCOUNT_AND_CLIENT),
        (failures.filter(pl.col("same_client")), FAILURES_PER_CLIENT),
        (failures.filter(pl.col("same_account")), FAILURES_PER_ACCOUNT),
    ):
        if rows.height >= limit:
            locks.append(rows["logged_at"][-limit] + THROTTLE_WINDOW)
    return max(locks) if locks else None


def _system(store: Store, action: str, entity_id: str, detail: dict[str, object]) -> None:
    """The system's audit line about someone it refused or let go."""
    stored.record(store, Actor.system("sign_in"), action, "app_user", entity_id, detail)


def authenticate(store: Store, user_id: str, password: str, *, client: str | None = None) -> Actor:
    """The account's actor if the password is right; one message and the same work for every
    failure (unknown name, wrong password, disabled or identity-provider-only account), so that
    they cannot be told apart. After too many failures the account (from that client), the client,
    or the account from everywhere is locked for a while, whatever the password."""
    user_id = user_id.strip()[:200]
    password = password[:MAX_PASSWORD_LENGTH]
    client_key = client or "cli"
    with _lock(f"account:{user_id}"), _lock(f"client:{client_key}"):
        locked = _throttled_until(store, user_id, client)
        if locked is not None:
            _system(
                store, "sign_in_throttled", user_id, {"client": client, "until": locked.isoformat(timespec="seconds")}
            )
            raise AccessDenied("access.too_many_failures", until=f"{locked:%Y-%m-%d %H:%M}")
        found = stored.account(store, user_id)
        hashed = found["password_hash"] if found else None
        try:
            verified = _HASHER.verify(hashed or _dummy_hash(), password) and hashed is not None
        except (VerificationError, InvalidHashError):
            verified = False
        if not verified or found is None or found["disabled_at"] is not None:
            _system(store, "sign_in_failed", user_id, {"client": client})
            raise AccessDenied("access.wrong_password")
    actor = Actor.person(
        user_id,
        str(found["role"]),
        supplier_id=found["supplier_id"],
        via="password",
        credential=user_id,
        since=clock.now(),
    )
    return _signed_in(store, actor, "password")


def principal_for_email(store: Store, email: str | None, *, verified: bool | None = None) -> Actor | None:
    """The account an identity-provider sign-in maps to (by e-mail, compared without case), or None
    if there is none, the e-mail matches more than one account, or the provider says it is not
    verified."""
    if not email or verified is False:
        return None
    found = stored.account_by_email(store, email)
    if found is None:
        return None
    actor = Actor.person(
        str(found["user_id"]),
        str(found["role"]),
        supplier_id=found["supplier_id"],
        via="oidc",
        credential=str(found["user_id"]),
        since=clock.now(),
    )
    return _signed_in(store, actor, "oidc")


def session_actor(store: Store, actor: Actor) -> Actor:
    """The actor a session acts as now: its account's current role, or its invitation, checked
    again. A disabled or deleted account, a password changed since the session began, or a revoked
    or expired invitation ends the session (AccessDenied, audited). Sessions without a credential
    (single-user mode) pass unchanged."""
    if actor.credential is None or actor.is_system:
        return actor
    if actor.via == "invitation":
        found = stored.invitation(store, actor.credential)
        refusal = invitation_refusal(found)
        if refusal is None and found is not None and found["supplier_id"] == actor.supplier_id:
            return actor
        refusal = refusal or Refusal("this portal link now belongs to another supplier", "access.link_other_supplier")
    else:
        found = stored.account(store, actor.credential)
        changed = found["password_changed_at"] if found else None
        if found and found["disabled_at"] is None and not (changed and actor.since and changed > actor.since):
            role, supplier_id = str(found["role"]), found["supplier_id"]
            if role == actor.role and supplier_id == actor.supplier_id:
                return actor
            return Actor.person(
                actor.name, role, supplier_id=supplier_id, via=actor.via, credential=actor.credential, since=actor.since
            )
        refusal = (
            Refusal("your password was changed; sign in again", "access.password_changed")
            if found and found["disabled_at"] is None
            else Refusal("your account was disabled; ask an administrator", "access.account_disabled")
        )
    _system(store, "session_ended", actor.name, {"via": actor.via, "reason": refusal.recorded})
    raise refusal.error()
