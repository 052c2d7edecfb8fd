"""This registry's settings as the Settings page edits them: the validity policy (the shipped
default, or the registry's own), and the other values saved in one audited write."""

from __future__ import annotations

from datetime import date

from questionnaires.catalogue import CatalogueDataError
from questionnaires.policy import ValidityPolicy, default_policy, parse_policy
from registry.store import Store
from registry.store.settings import save_settings
from registry.store.validity import policy_for

__all__ = [
    "CatalogueDataError",
    "ValidityPolicy",
    "default_policy",
    "parse_policy",
    "policy_for",
    "save_settings",
    "scheme_start",
]


def scheme_start(store: Store) -> date:
    """When SCS ★3/★4 start, as this registry's validity policy says (Settings)."""
    return policy_for(store).scheme_start
