"""Who is acting (docs/security.md): signing in with a password or the identity provider, portal
links, the per-step check that a session is still valid, and which pages a role may open.

Who may write what is not decided here: registry/domain/actor.py holds the one permissions table
and the store checks every write against it.
"""

from registry.access.accounts import (
    FAILURES_PER_ACCOUNT,
    FAILURES_PER_ACCOUNT_AND_CLIENT,
    FAILURES_PER_CLIENT,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    THROTTLE_WINDOW,
    add_user,
    authenticate,
    check_password,
    principal_for_email,
    session_actor,
    set_password,
    set_user_disabled,
    users,
)
from registry.access.pages import PAGE_ROLES, allowed, page_allowed
from registry.access.portal import (
    Invitation,
    create_invitation,
    invitations,
    portal_address,
    redeem_invitation,
    revoke_invitation,
)
from registry.domain.actor import PERMISSIONS, ROLES, Actor
from registry.errors import AccessDenied

__all__ = [
    "FAILURES_PER_ACCOUNT",
    "FAILURES_PER_ACCOUNT_AND_CLIENT",
    "FAILURES_PER_CLIENT",
    "MAX_PASSWORD_LENGTH",
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
    "portal_address",
    "principal_for_email",
    "redeem_invitation",
    "revoke_invitation",
    "session_actor",
    "set_password",
    "set_user_disabled",
    "users",
]
