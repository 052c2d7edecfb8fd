"""Renewals: certificate states as of a date (valid, expiring, expired, superseded, stale
declarations, the ★4 yearly self-assessment and ISMS surveillance due or overdue), and the one
definition of "expiring" that the Renewals page and the Overview's key figure share.
Rules: docs/validity.md."""

from __future__ import annotations

from datetime import date

import polars as pl

from registry.services.kept import per_evidence_revision
from registry.store import Store
from registry.store import certificates as stored_certificates
from registry.store.suppliers import supplier_status
from registry.store.validity import policy_for

__all__ = [
    "STATES",
    "certificate_states",
    "expiring",
    "expiring_window",
    "expiring_windows",
    "filtered",
    "lapsed",
    "needs_action",
    "renewals",
    "with_supplier_facts",
    "yearly_check_overdue",
]

STATES = (
    "not_yet_valid",
    "superseded",
    "expired",
    "stale",
    "self_assessment_overdue",
    "self_assessment_due",
    "surveillance_overdue",
    "surveillance_due",
    "expiring",
    "valid",
)


def certificate_states(store: Store, as_of: date, supplier_id: str | None = None) -> pl.DataFrame:
    """Every certificate with its state on ``as_of`` (optionally of one supplier), soonest expiry
    first; the whole registry's kept until the evidence changes (registry/services/kept.py)."""
    if supplier_id is not None:
        return stored_certificates.certificate_states(store, as_of, supplier_id)
    return per_evidence_revision(
        store, ("certificate_states", as_of), lambda: stored_certificates.certificate_states(store, as_of)
    )


def _expiring_within(days: int) -> pl.Expr:
    return (pl.col("state") == "expiring") & (pl.col("days_left") <= days)


_CHECKS_DUE = ("self_assessment_due", "self_assessment_overdue", "surveillance_due", "surveillance_overdue")
_LAPSED = ("expired", "stale")


def expiring_windows(store: Store) -> tuple[int, ...]:
    """The "expiring" windows of the registry's validity policy, shortest first (Settings)."""
    return tuple(sorted(set(policy_for(store).expiring_windows_days)))


def expiring_window(store: Store) -> int:
    """The widest "expiring" window of the registry's validity policy (Settings; 90 days by default)."""
    return expiring_windows(store)[-1]


def expiring(states: pl.DataFrame, within_days: int) -> pl.DataFrame:
    """The certificates of ``states`` that expire within ``within_days``: valid, not superseded by a
    renewal, and not yet expired. What the Overview counts and the Renewals page lists."""
    return states.filter(_expiring_within(within_days))


def yearly_check_overdue(states: pl.DataFrame) -> bool:
    """Whether a supplier's certificate states hold a ★4 whose yearly self-assessment is overdue:
    its ★4 is then shown as "★4 (yearly check overdue)"."""
    return not states.filter(
        (pl.col("scheme") == "scs_star4") & (pl.col("state") == "self_assessment_overdue")
    ).is_empty()


def needs_action(states: pl.DataFrame, within_days: int) -> pl.DataFrame:
    """The certificates of ``states`` that need action soon: expiring within ``within_days``, and
    ★4 self-assessments and ISMS surveillance due or overdue."""
    return states.filter(pl.col("state").is_in(_CHECKS_DUE) | _expiring_within(within_days))


def lapsed(states: pl.DataFrame) -> pl.DataFrame:
    """The certificates of ``states`` that have lapsed: expired and not renewed, or stale declarations."""
    return states.filter(pl.col("state").is_in(_LAPSED))


def renewals(store: Store, as_of: date, within_days: int, include_expired: bool = True) -> pl.DataFrame:
    """What needs action (:func:`needs_action`) and, unless asked not to, what has lapsed."""
    states = certificate_states(store, as_of)
    wanted = pl.col("state").is_in(_CHECKS_DUE) | _expiring_within(within_days)
    if include_expired:
        wanted = wanted | pl.col("state").is_in(_LAPSED)
    return states.filter(wanted)


def with_supplier_facts(store: Store, as_of: date, frame: pl.DataFrame) -> pl.DataFrame:
    """Add each certificate's supplier tier and requested ★ (for filtering the lists)."""

    facts = supplier_status(store, as_of).select("supplier_id", "tier", "requested_level")
    return frame.join(facts, on="supplier_id", how="left")


def filtered(
    frame: pl.DataFrame,
    *,
    schemes: list[str] | None = None,
    tiers: list[int] | None = None,
    requested: list[int] | None = None,
) -> pl.DataFrame:
    """Certificates of the chosen schemes, supplier tiers and requested ★ levels (empty choice: all)."""
    if schemes:
        frame = frame.filter(pl.col("scheme").is_in(schemes))
    if tiers:
        frame = frame.filter(pl.col("tier").is_in(tiers))
    if requested:
        frame = frame.filter(pl.col("requested_level").is_in(requested))
    return frame
