"""Who receives reminders: each supplier's contacts (edited on the Supplier page, in the portal
by the supplier itself, or imported with a supplier list), each supplier's owner on the buyer
side, and each account's digest choice (docs/reminders.md)."""

from __future__ import annotations

from registry.domain.models import SupplierContact
from registry.store.reminders import (
    contacts,
    owner_choices,
    owner_of,
    reminder_choice,
    replace_contacts,
    set_owner,
    set_reminder_choice,
)

__all__ = [
    "SupplierContact",
    "contacts",
    "owner_choices",
    "owner_of",
    "reminder_choice",
    "replace_contacts",
    "set_owner",
    "set_reminder_choice",
]
