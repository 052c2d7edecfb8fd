"""The one derivation: flags and readiness of the suppliers as of a date, set-wise, reconciled
with what is stored, their history kept (docs/flags.md).

It runs daily (the app's first render of the day, ``monosashi flags``), after every import (for
the suppliers it touched) and after a request or a setting changes. The facts are gathered for
the suppliers in scope; the rules (registry/domain/flag_rules.py) turn them into flags; the store
reconciles them with the stored flags in one transaction, keeping each flag's workflow, and
records the readiness the rules read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from questionnaires.flag_rules import FlagRules, default_rules
from registry.domain.actor import Actor
from registry.domain.flag_rules import FLAG_COLUMNS, Facts, evaluate
from registry.domain.history import flag_history, readiness_changes
from registry.services import kept, supply_chain, yardstick
from registry.services.renewals import certificate_states
from registry.services.requests import current_requests
from registry.store import Store
from registry.store import flags as stored_flags
from registry.store.suppliers import supplier_count, supplier_status

__all__ = ["Refresh", "derive", "ensure_current", "refresh", "replay", "rules_in_force"]

# Up to this many suppliers, a derivation reads them by ID (the yardstick then prunes its tables to
# them: tens of milliseconds after an import of a few files). More travel as a frame joined in SQL,
# and their yardstick counts come from the set-wise portfolio query: reading many suppliers by ID
# materialises every criterion of each (about 50 kB a supplier: 5 GB at 100,000, out of memory at
# a million; bench/bounded_bench.py).
_FEW = 256
# A scope this share of the registry or more reads every supplier and keeps the scope afterwards.
_MOST = 0.5


def rules_in_force(store: Store) -> FlagRules:
    """The shipped rules with this registry's threshold overrides (settings ``flags.<rule>.<name>``)."""
    return default_rules().with_overrides(stored_flags.rule_overrides(store))


@dataclass(frozen=True)
class _Scope:
    """The suppliers a derivation is for: every one (``frame`` None), or those of ``frame``."""

    frame: pl.DataFrame | None = None  # one column, supplier_id, each once
    by_id: bool = False  # few: read them by ID
    reads_all: bool = True  # read every supplier, then keep the scope

    @property
    def ids(self) -> list[str] | None:
        return None if self.frame is None else self.frame["supplier_id"].to_list()


def _scope_of(store: Store, suppliers: Sequence[str] | None) -> _Scope:
    if suppliers is None:
        return _Scope()
    frame = pl.Series("supplier_id", list(suppliers), dtype=pl.String).unique(maintain_order=True).to_frame()
    if frame.height <= _FEW:
        return _Scope(frame, by_id=True, reads_all=False)
    everyone = supplier_count(store)
    return _Scope(frame, reads_all=frame.height >= _MOST * everyone)


def _keep(frame: pl.DataFrame, scope: _Scope) -> pl.DataFrame:
    """The rows of the suppliers in scope (a semi-join: order kept)."""
    return frame if scope.frame is None else frame.join(scope.frame, on="supplier_id", how="semi")


def _gather(store: Store, as_of: date, scope: _Scope) -> Facts:
    gathered = None if scope.reads_all else scope.frame
    status = supplier_status(store, as_of)
    if scope.by_id:
        counts = yardstick.counts_of(yardstick.derive(store, as_of, scope.ids))
        requests = current_requests(store, as_of, scope.ids)
    else:
        counts = yardstick.portfolio_counts(store, as_of, with_conflicts=True)
        requests = current_requests(store, as_of)
    return Facts(
        as_of=as_of,
        suppliers=_keep(status, scope).join(stored_flags.people(store, gathered), on="supplier_id", how="left"),
        requests=_keep(requests, scope),
        certificates=_keep(certificate_states(store, as_of), scope),
        counts=_keep(counts, scope),
        answers=_keep(stored_flags.answer_counts(store, as_of, gathered), scope),
        newest=_keep(stored_flags.newest_evidence(store, as_of, gathered), scope),
        catalogue=yardstick.catalogue_in_force(store),
    )


def _derive(store: Store, as_of: date, scope: _Scope, rules: FlagRules) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The flags, and the readiness the rules read (kept as history by :func:`refresh`)."""
    enabled = [r for r in rules.rules if r.enabled]
    with store.held_open():
        facts = _gather(store, as_of, scope)
        paths = None
        if any(r.id == "coverage_hole" for r in enabled):
            paths = supply_chain.uncovered_critical_paths(store, supply_chain.supplier_coverage(store, as_of))
    derived = _keep(evaluate(enabled, facts, paths), scope).select(FLAG_COLUMNS)
    snapshot = yardstick.readiness_snapshot(facts.counts, facts.suppliers["supplier_id"], facts.catalogue)
    return derived, snapshot


def derive(
    store: Store, as_of: date, suppliers: Sequence[str] | None = None, rules: FlagRules | None = None
) -> pl.DataFrame:
    """Every flag that holds on ``as_of`` (for all suppliers, or only ``suppliers``), one row each."""
    with store.held_open():
        return _derive(store, as_of, _scope_of(store, suppliers), rules or rules_in_force(store))[0]


@dataclass(frozen=True)
class Refresh:
    """What one re-derivation did."""

    as_of: date
    raised: int
    still_holding: int
    reopened: int
    closed: int

    @property
    def holding(self) -> int:
        return self.raised + self.still_holding


def _closing(rules: FlagRules) -> pl.DataFrame:
    """Each rule's note when it closes a flag."""
    return pl.DataFrame(
        {
            "rule_id": [r.id for r in rules.rules],
            "closed_ja": [r.closed_ja for r in rules.rules],
            "closed_en": [r.closed_en for r in rules.rules],
        }
    )


def refresh(store: Store, as_of: date, suppliers: Sequence[str] | None = None, *, actor: Actor) -> Refresh:
    """Re-derive the flags (of ``suppliers``, or all) and reconcile them with the stored ones, in
    one transaction."""
    rules = rules_in_force(store)
    with store.held_open():
        scope = _scope_of(store, suppliers)
        derived, snapshot = _derive(store, as_of, scope, rules)
    done = stored_flags.reconcile(store, actor, as_of, derived, snapshot, _closing(rules), scope.frame)
    return Refresh(as_of, done.raised, done.still_holding, done.reopened, done.closed)


def replay(store: Store, as_of: date, months: int, *, actor: Actor) -> Refresh:
    """Derive as of the same day of each of the last ``months`` months, then ``as_of``: a new
    registry (the demo) gets the flag and readiness history daily derivations would have left.

    On a registry that keeps no history yet, the days are derived in one pass and their history
    (which flags opened, closed and reopened when, and the readiness changes) is worked out
    set-wise and written in one transaction; otherwise day by day, reconciling with what is kept.
    """
    days = [as_of - timedelta(days=30 * back) for back in range(months, 0, -1)] + [as_of]
    if not stored_flags.history_is_empty(store):
        for day in days[:-1]:
            refresh(store, day, actor=actor)
        return refresh(store, as_of, actor=actor)
    rules = rules_in_force(store)
    held, snapshots = [], []
    with store.held_open():
        for number, day in enumerate(days):
            derived, snapshot = _derive(store, day, _Scope(), rules)
            held.append(derived.with_columns(day=pl.lit(number, dtype=pl.Int64)))
            snapshots.append(snapshot.with_columns(taken_on=pl.lit(day, dtype=pl.Date)))
            if day != as_of:  # a past day's counts are read once: keeping them only costs memory
                kept.forget()
    done = stored_flags.record_history(
        store,
        actor,
        days,
        flag_history(pl.concat(held), days, _closing(rules)),
        readiness_changes(pl.concat(snapshots)),
    )
    return Refresh(as_of, done.raised, done.still_holding, done.reopened, done.closed)


def ensure_current(store: Store, today: date) -> Refresh | None:
    """Derive the flags as of ``today`` unless that has been done (the daily derivation, which
    the system does, whoever opened the app first that day)."""
    if store.setting("flags.derived_as_of") == today.isoformat():
        return None
    return refresh(store, today, actor=Actor.system("derive"))
