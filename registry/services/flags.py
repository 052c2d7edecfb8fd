"""Flags as the pages and the CLI use them (docs/flags.md): the stored flags with their workflow,
the rules in force, and the derivation that keeps them current (registry/services/derivation.py).
"""

from __future__ import annotations

from registry.domain.flag_rules import FLAG_COLUMNS, KINDS, SEVERITIES, STATES, FlagError
from registry.services.derivation import Refresh, derive, ensure_current, refresh, replay, rules_in_force
from registry.store.flags import flag_history, flags, reset_rules, set_flag_state

__all__ = [
    "FLAG_COLUMNS",
    "KINDS",
    "SEVERITIES",
    "STATES",
    "FlagError",
    "Refresh",
    "derive",
    "ensure_current",
    "flag_history",
    "flags",
    "refresh",
    "replay",
    "reset_rules",
    "rules_in_force",
    "set_flag_state",
]
