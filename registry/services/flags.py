"""Flags as the pages and the CLI use them (docs/flags.md): the stored flags with their workflow,
the rules in force, and the derivation that keeps them current (registry/services/derivation.py).
"""

from __future__ import annotations

import polars as pl

from registry.domain.flag_rules import FLAG_COLUMNS, KINDS, SEVERITIES, STATES, FlagError
from registry.services.derivation import Refresh, derive, ensure_current, refresh, replay, rules_in_force
from registry.store import Store
from registry.store.flags import flag_history, flags, reset_rules, set_flag_state, yearly_check_overdue

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
    "rule_titles",
    "rules_in_force",
    "set_flag_state",
    "with_check_overdue",
]


def rule_titles(store: Store, lang: str) -> dict[str, str]:
    """Each flag rule's title in ``lang``, by its ID (the audit log names rules by them)."""
    return {rule.id: rule.title_ja if lang == "ja" else rule.title_en for rule in rules_in_force(store).rules}


def with_check_overdue(store: Store, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (with ``supplier_id`` and ``held_level``) with ``check_overdue``: a held ★4 whose
    yearly self-assessment is overdue, as the Suppliers directory marks it."""
    overdue = yearly_check_overdue(store).implode()
    return frame.with_columns(check_overdue=(pl.col("held_level") == "star4") & pl.col("supplier_id").is_in(overdue))
