"""Who acts, and what each role may write: the one permissions table (docs/security.md).

Every write runs in a transaction that carries an :class:`Actor`, a value and not a string: a
person (with a role and, for a supplier, the one supplier it is) or the system itself. People are
made by signing in (registry/access.py); the system actor has its own constructor,
:meth:`Actor.system`, for the non-interactive paths only (migrations, the demo, the derivation of
flags, recording sign-ins and portal uses, restore). Page code never calls it: a test holds that.

This module is pure: the store calls :func:`action_allowed` for each audit line and
:func:`scoped_tables` to know which rows a restricted role may write and who owns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from registry.errors import MonosashiError

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "SUPPLIER_TABLES",
    "Actor",
    "ActorError",
    "Role",
    "SystemPurpose",
    "action_allowed",
    "page_allowed",
    "role_reaches",
    "suppliers_named",
    "writes_raw_sql",
]

Role = Literal["admin", "buyer", "viewer", "supplier"]
ROLES: tuple[Role, ...] = get_args(Role)
SystemPurpose = Literal["migrate", "demo", "derive", "sign_in", "portal", "restore", "remind"]
_PURPOSES: tuple[str, ...] = get_args(SystemPurpose)
_SYSTEM_KEY = object()  # only Actor.system() holds it

# admin ⊃ buyer ⊃ viewer; a supplier is outside the ladder and sees only its own records.
_RANK = {"viewer": 1, "buyer": 2, "admin": 3}


class ActorError(MonosashiError, ValueError):
    """An actor that cannot be: no name, an unknown role, a supplier without its supplier ID."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone who writes: a signed-in person or the system.

    ``name`` is what the audit log records. ``credential`` names what the session rests on (the
    account's user ID, or the portal invitation's token hash), so that every run can check it is
    still valid. ``supplier_id`` is set for a supplier and only for a supplier.
    """

    name: str
    role: Role | Literal["system"]
    supplier_id: str | None = None
    via: str = "local"
    credential: str | None = None
    since: datetime | None = None  # when the session began (a password change ends older ones)
    _key: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ActorError("account.needs_name")
        if self.role == "system":
            if self._key is not _SYSTEM_KEY:
                raise ActorError("account.system_only")
        elif self.role not in ROLES:
            raise ActorError("account.unknown_role", role=repr(self.role), expected_label=[f"role.{r}" for r in ROLES])
        if self.role == "supplier" and not self.supplier_id:
            raise ActorError("account.supplier_needs_id")
        if self.role != "supplier" and self.supplier_id is not None:
            raise ActorError("account.only_supplier_bound")

    @classmethod
    def person(
        cls,
        name: str,
        role: str,
        *,
        supplier_id: str | None = None,
        via: str = "local",
        credential: str | None = None,
        since: datetime | None = None,
    ) -> Actor:
        """A signed-in person (``role`` one of :data:`ROLES`)."""
        return cls(name, role, supplier_id, via, credential, since)  # type: ignore[arg-type]

    @classmethod
    def system(cls, purpose: SystemPurpose, on_behalf_of: Actor | None = None) -> Actor:
        """The system itself, for a non-interactive purpose; ``on_behalf_of`` names the person whose
        action led to it (an import's derivation of flags), for the audit log only."""
        if purpose not in _PURPOSES:
            raise ActorError("account.unknown_purpose", purpose=repr(purpose))
        name = f"system:{purpose}" + (f" (after {on_behalf_of.name})" if on_behalf_of else "")
        return cls(name, "system", None, purpose, None, None, _SYSTEM_KEY)

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    def __str__(self) -> str:
        return self.name


# The one permissions table: every audited write action, and the roles that may make it. An
# action missing here is refused to everyone (a test checks that every action in the code is here).
_PEOPLE_WHO_MANAGE = frozenset({"admin", "buyer"})
_ADMIN = frozenset({"admin"})
PERMISSIONS: dict[str, frozenset[str]] = {
    # what a supplier may do about itself through the portal (buyers and admins too)
    "import_file": frozenset({"admin", "buyer", "supplier"}),
    "reject_file": frozenset({"admin", "buyer", "supplier"}),
    "add_certificate": frozenset({"admin", "buyer", "supplier"}),
    "record_yearly_check": frozenset({"admin", "buyer", "supplier"}),
    "change_contacts": frozenset({"admin", "buyer", "supplier"}),
    # every person records their own sign-in; a viewer writes nothing else
    "sign_in": frozenset({"admin", "buyer", "viewer", "supplier"}),
    # buyers' work
    "add_supplier": _PEOPLE_WHO_MANAGE,
    "add_request": _PEOPLE_WHO_MANAGE,
    "change_request": _PEOPLE_WHO_MANAGE,
    "request_sent": _PEOPLE_WHO_MANAGE,
    "request_acknowledged": _PEOPLE_WHO_MANAGE,
    "flag_acknowledged": _PEOPLE_WHO_MANAGE,
    "flag_resolved": _PEOPLE_WHO_MANAGE,
    "flag_dismissed": _PEOPLE_WHO_MANAGE,
    "flag_open": _PEOPLE_WHO_MANAGE,
    "add_profile": _PEOPLE_WHO_MANAGE,
    "learn_mappings": _PEOPLE_WHO_MANAGE,
    "invite_created": _PEOPLE_WHO_MANAGE,
    "invite_revoked": _PEOPLE_WHO_MANAGE,
    "resolve_proposal": _PEOPLE_WHO_MANAGE,
    "confirm_certificate": _PEOPLE_WHO_MANAGE,
    "set_owner": _PEOPLE_WHO_MANAGE,
    "queue_reminder": _PEOPLE_WHO_MANAGE,
    "reminder_cancelled": _PEOPLE_WHO_MANAGE,
    "reminder_resent": _PEOPLE_WHO_MANAGE,
    # each owner (a buyer or admin) chooses their own digest (the store checks it is their own)
    "change_reminder_choice": _PEOPLE_WHO_MANAGE,
    # the reminder run: the system each day, or a buyer asking for it on the Outbox page
    "run_reminders": frozenset({"admin", "buyer", "system"}),
    "reject_certificate": _PEOPLE_WHO_MANAGE,
    # the derivation: the system after any change, or a buyer asking for it
    "derive_flags": frozenset({"admin", "buyer", "system"}),
    "flag_raised": frozenset({"admin", "buyer", "system"}),
    "flag_closed": frozenset({"admin", "buyer", "system"}),
    "flag_reopened": frozenset({"admin", "buyer", "system"}),
    # the administrator's
    "import_official_texts": _ADMIN,
    "save_crosswalk": _ADMIN,
    "save_settings": _ADMIN,
    "reset_flag_rules": _ADMIN,
    "add_user": _ADMIN,
    "change_user": _ADMIN,
    "backup": _ADMIN,
    "restore": frozenset({"admin", "system"}),
    "migrate": frozenset({"admin", "system"}),
    "set_setting": frozenset({"admin", "system"}),
    "replace_registry": frozenset({"admin", "system"}),
    # what the system records about people it refused or let in
    "sign_in_failed": frozenset({"system"}),
    "sign_in_throttled": frozenset({"system"}),
    "invite_used": frozenset({"system"}),
    "invite_refused": frozenset({"system"}),
    "session_ended": frozenset({"system"}),
}

# What a supplier may write at all, and the column that says whose each row is. The store
# resolves rows without such a column through their parent (answers through their submission,
# certificate files through their certificate); file_blob rows are content-addressed bytes whose
# amount the portal quota bounds.
SUPPLIER_TABLES: dict[str, str | None] = {
    "submission": "supplier_id",
    "answer": "submission_id",
    "certificate": "supplier_id",
    "certificate_file": "certificate_id",
    "yearly_check": "supplier_id",
    "supplier_contact": "supplier_id",
    "import_file": "supplier_ids",
    "subcontractor_proposal": "proposed_by",
    "file_blob": None,
}


def action_allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor``'s role may make the audited write ``action`` (scope aside)."""
    return actor.role in PERMISSIONS.get(action, frozenset())


def writes_raw_sql(actor: Actor) -> bool:
    """Whether the actor's writes may be free SQL statements. A supplier's and a viewer's may not:
    their rows go through the transaction's typed writes, so that every row is known and checked."""
    return actor.role in ("admin", "buyer", "system")


def role_reaches(actor: Actor, needed: str) -> bool:
    """Whether ``actor``'s role reaches ``needed`` (a supplier reaches only "supplier"; the
    system reaches nothing a person needs: it never runs commands or pages)."""
    if actor.is_system:
        return False
    if actor.role == "supplier" or needed == "supplier":
        return actor.role == needed
    return _RANK[actor.role] >= _RANK[needed]


def page_allowed(actor: Actor, needed: str) -> bool:
    """Whether ``actor`` may open a page whose least role is ``needed`` (suppliers see the portal
    and nothing else)."""
    return role_reaches(actor, needed)


def suppliers_named(detail: Mapping[str, Any] | None) -> set[str]:
    """The suppliers an audit line's detail says the write is about."""
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
