"""Which pages each role may open, and whether an actor may make a write (to grey out buttons: the
store is what enforces it)."""

from __future__ import annotations

from registry.domain.actor import Actor, action_allowed
from registry.domain.actor import page_allowed as _role_opens

__all__ = ["PAGE_ROLES", "allowed", "page_allowed"]

# The least role each page needs; "supplier" pages are the portal, which only suppliers see.
PAGE_ROLES: dict[str, str] = {
    "overview": "viewer",
    "suppliers": "viewer",
    "readiness": "viewer",
    "supplier": "viewer",
    "requests": "viewer",
    "outbox": "viewer",
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


def allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor`` may make the write ``action`` at all."""
    return action_allowed(actor, action)


def page_allowed(actor: Actor, page: str) -> bool:
    """Whether ``actor`` may open ``page`` (suppliers see the portal and nothing else; a page
    nobody listed needs admin)."""
    return _role_opens(actor, PAGE_ROLES.get(page, "admin"))
